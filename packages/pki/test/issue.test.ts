import 'reflect-metadata'
import test from 'ava'
import * as x509 from '@peculiar/x509'
import { generateKeyPairSync, webcrypto } from 'node:crypto'
import {
  createRootCa, createIntermediateCa, issueCertificate, checkCsr, randomSerial, normalizeSerial, loadCertifiedKey, profileEkus,
} from '../src/issue.js'
import { decodeExtKeyUsage, OID_CLIENT_AUTH, OID_DNS_SERVER_TRUST, OID_IKE_INTERMEDIATE, OID_SECDNS_ADMIN, OID_SERVER_AUTH } from '../src/oids.js'
import { parseCertificate } from '../src/verify.js'
import { PkiError } from '../src/errors.js'
import { NOW, DAY } from './helpers/lab.js'

function ekus(pem: string): string[] {
  const c = new x509.X509Certificate(pem)
  const e = c.extensions.find((x) => x.type === '2.5.29.37')
  return e === undefined ? [] : decodeExtKeyUsage(new Uint8Array(e.value))
}

test('a root CA has critical basicConstraints cA with pathLen, keyCertSign|cRLSign and key identifiers', async (t) => {
  const root = await createRootCa({ name: 'Root', pathLen: 1, now: NOW, days: 10 })
  const c = new x509.X509Certificate(root.certDer)
  const bc = c.getExtension(x509.BasicConstraintsExtension)!
  t.true(bc.ca); t.is(bc.pathLength, 1); t.true(bc.critical)
  const ku = c.getExtension(x509.KeyUsagesExtension)!
  t.truthy(ku.usages & x509.KeyUsageFlags.keyCertSign)
  t.truthy(ku.usages & x509.KeyUsageFlags.cRLSign)
  const ski = c.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId
  t.is(c.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId, ski)
  t.is(c.notBefore.getTime(), NOW.getTime())
  t.is(c.notAfter.getTime(), NOW.getTime() + 10 * DAY)
  t.true(await c.isSelfSigned())
  t.regex(root.keyPem!, /BEGIN PRIVATE KEY/)
})

test('an intermediate inherits a bounded pathLen and its AKI is the root SKI', async (t) => {
  const root = await createRootCa({ name: 'Root', pathLen: 2, now: NOW })
  const mid = await createIntermediateCa(root, { name: 'Mid', now: NOW })
  t.is(parseCertificate(mid.certPem).pathLen, 1)
  t.is(parseCertificate(mid.certPem).aki, parseCertificate(root.certPem).ski)
  await t.throwsAsync(createIntermediateCa(root, { name: 'Mid', pathLen: 5 }), { code: 'ERR_PKI_PATH_LEN' })
  const r0 = await createRootCa({ name: 'Root0', pathLen: 0 })
  await t.throwsAsync(createIntermediateCa(r0, { name: 'Mid' }), { code: 'ERR_PKI_PATH_LEN' })
})

test('validity is bounded by the issuer', async (t) => {
  const root = await createRootCa({ name: 'Root', now: NOW, days: 30 })
  const leaf = await issueCertificate(root, { profile: 'client', name: 'c', now: NOW, days: 365 })
  t.is(new x509.X509Certificate(leaf.certDer).notAfter.getTime(), NOW.getTime() + 30 * DAY)
  const early = await issueCertificate(root, { profile: 'client', name: 'c', notBefore: new Date(NOW.getTime() - DAY), days: 2 })
  t.is(new x509.X509Certificate(early.certDer).notBefore.getTime(), NOW.getTime())
  await t.throwsAsync(issueCertificate(root, { profile: 'client', name: 'c', now: new Date(NOW.getTime() + 40 * DAY) }), { code: 'ERR_PKI_INVALID_PARAMS', message: /no validity left: .* \(the issuer is valid from 2026-01-01/ })
})

test('the dns-server profile carries serverAuth, DNS Server Trust, optional IKE, SANs and digitalSignature', async (t) => {
  const root = await createRootCa({ name: 'Root' })
  const s = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test', 'DNS.lab.test.'], ip: ['127.0.0.1', '::1'] })
  t.deepEqual(ekus(s.certPem), [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST])
  t.deepEqual(parseCertificate(s.certPem).names, { dns: ['dns1.lab.test', 'dns.lab.test'], ip: ['127.0.0.1', '::1'] })
  t.is(parseCertificate(s.certPem).keyUsage, x509.KeyUsageFlags.digitalSignature)
  const ike = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', ike: true })
  t.deepEqual(ekus(ike.certPem), [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST, OID_IKE_INTERMEDIATE])
  t.deepEqual(parseCertificate(ike.certPem).names.dns, ['dns1.lab.test'], 'the name becomes the SAN when none is given')
})

test('RSA end-entity certificates also get keyEncipherment', async (t) => {
  const root = await createRootCa({ name: 'Root', key: 'rsa-2048' })
  const s = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', key: 'rsa-2048' })
  t.is(parseCertificate(s.certPem).keyUsage, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment)
})

test('client and admin profiles carry their EKUs', async (t) => {
  const root = await createRootCa({ name: 'Root' })
  t.deepEqual(ekus((await issueCertificate(root, { profile: 'client', name: 'c' })).certPem), [OID_CLIENT_AUTH])
  t.deepEqual(ekus((await issueCertificate(root, { profile: 'client', name: 'c', ike: true })).certPem), [OID_CLIENT_AUTH, OID_IKE_INTERMEDIATE])
  t.deepEqual(ekus((await issueCertificate(root, { profile: 'admin', name: 'alice' })).certPem), [OID_CLIENT_AUTH, OID_SECDNS_ADMIN])
  t.deepEqual(profileEkus('admin'), [OID_CLIENT_AUTH, OID_SECDNS_ADMIN])
})

test('a leaf cannot issue and bad parameters are refused with codes', async (t) => {
  const root = await createRootCa({ name: 'Root' })
  const leaf = await issueCertificate(root, { profile: 'client', name: 'c' })
  await t.throwsAsync(issueCertificate(leaf, { profile: 'client', name: 'd' }), { code: 'ERR_PKI_NOT_CA' })
  await t.throwsAsync(issueCertificate(root, { profile: 'client', name: 'c', dns: ['bad name!'] }), { code: 'ERR_PKI_INVALID_PARAMS', message: /not a valid DNS name/ })
  await t.throwsAsync(issueCertificate(root, { profile: 'client', name: 'c', ip: ['300.1.1.1'] }), { code: 'ERR_PKI_INVALID_PARAMS' })
  await t.throwsAsync(issueCertificate(root, { profile: 'web' as never, name: 'c' }), { code: 'ERR_PKI_INVALID_PARAMS' })
  await t.throwsAsync(issueCertificate(root, { profile: 'client', name: '' }), { code: 'ERR_PKI_INVALID_PARAMS' })
  await t.throwsAsync(issueCertificate(root, { profile: 'client', name: 'c', days: 0 }), { code: 'ERR_PKI_INVALID_PARAMS' })
  await t.throwsAsync(createRootCa({ name: 'R', pathLen: -1 }), { code: 'ERR_PKI_INVALID_PARAMS' })
  await t.throwsAsync(issueCertificate(loadCertifiedKey(root.certPem), { profile: 'client', name: 'c' }), { code: 'ERR_PKI_INVALID_PARAMS', message: /no private key/ })
})

async function makeCsr(cn: string, ext: x509.Extension[] = []): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${cn}`, keys: keys as never, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as never, extensions: ext })
  return csr.toString('pem')
}

test('signs a CSR with the profile extensions, not the CSR ones', async (t) => {
  const root = await createRootCa({ name: 'Root' })
  const csr = await makeCsr('asks-for-ca', [new x509.BasicConstraintsExtension(true, 5, true), new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.3'])])
  const checked = await checkCsr(csr)
  t.is(checked.keySpec, 'ecdsa-p256')
  const s = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', csrPem: csr })
  t.is(s.keyPem, undefined)
  t.false(parseCertificate(s.certPem).ca)
  t.deepEqual(ekus(s.certPem), [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST])
  t.true(s.certificate.publicKey.equals(checked.publicKey))
})

test('refuses a CSR with a bad self-signature', async (t) => {
  const csr = new x509.Pkcs10CertificateRequest(await makeCsr('tampered'))
  const der = new Uint8Array(csr.rawData)
  der[der.length - 3] ^= 0x01
  const root = await createRootCa({ name: 'Root' })
  const e = await t.throwsAsync(issueCertificate(root, { profile: 'client', name: 'c', csrPem: x509.PemConverter.encode(der.buffer, 'CERTIFICATE REQUEST') }), { instanceOf: PkiError, code: 'ERR_PKI_BAD_CSR' })
  t.regex(e!.message, /bad self-signature/)
  await t.throwsAsync(checkCsr('garbage'), { code: 'ERR_PKI_BAD_CSR' })
  await t.throwsAsync(checkCsr(new Uint8Array([0x30, 0x01, 0x00])), { code: 'ERR_PKI_BAD_CSR' })
})

test('random serials are positive 128-bit numbers', (t) => {
  const seen = new Set<string>()
  for (let i = 0; i < 500; i++) {
    const s = randomSerial()
    t.regex(s, /^[1-9a-f][0-9a-f]{31}$/)
    seen.add(s)
  }
  t.is(seen.size, 500)
})

test('issued certificates carry the serial they report, and leading zeros are normalised', async (t) => {
  const root = await createRootCa({ name: 'Root', serial: '00ff01' })
  t.is(root.serial, 'ff01')
  t.is(normalizeSerial('00:FF:01'), 'ff01')
  t.throws(() => normalizeSerial('xyz'), { code: 'ERR_PKI_INVALID_PARAMS' })
})

test('loadCertifiedKey refuses a key that does not match the certificate', async (t) => {
  const root = await createRootCa({ name: 'Root' })
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  t.throws(() => loadCertifiedKey(root.certPem, other.privateKey), { code: 'ERR_PKI_BAD_KEY' })
  t.is(loadCertifiedKey(root.certPem, root.privateKey).serial, root.serial)
})
