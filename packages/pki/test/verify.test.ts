import 'reflect-metadata'
import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { verifyCertificate, parseCertificate } from '../src/verify.js'
import { createRootCa, createIntermediateCa, issueCertificate } from '../src/issue.js'
import { createCrl } from '../src/crl.js'
import { PkiError } from '../src/errors.js'
import { OID_CLIENT_AUTH, OID_DNS_SERVER_TRUST, OID_SERVER_AUTH, OID_ANY_EKU } from '../src/oids.js'
import { makeLab, forge, tamperSignature, NOW, DAY, type Lab } from './helpers/lab.js'
import * as x509 from '@peculiar/x509'

let lab: Lab
test.before(async () => { lab = await makeLab() })

function opts(leaf: { certPem: string }, extra: Partial<Parameters<typeof verifyCertificate>[0]> = {}) {
  return { cert: leaf.certPem, chain: [lab.inter.certPem], trusted: [lab.root.certPem], purpose: 'dns-server' as const, name: 'dns1.lab.test', now: NOW, ...extra }
}

test('accepts a DNS server certificate through an intermediate and returns the path', async (t) => {
  const r = await verifyCertificate(opts(lab.server))
  t.is(r.path.length, 3)
  t.is(r.serial, lab.server.serial)
  t.regex(r.subject, /CN=dns1\.lab\.test/)
  t.regex(r.anchorSubject, /CN=secdns Test Root/)
})

test('accepts the server by IP address and DER input', async (t) => {
  const r = await verifyCertificate(opts(lab.server, { cert: lab.server.certDer, name: '127.0.0.1' }))
  t.is(r.path.length, 3)
})

test('accepts a client certificate for the client purpose', async (t) => {
  const r = await verifyCertificate(opts(lab.client, { purpose: 'client', name: 'client1.lab.test' }))
  t.is(r.serial, lab.client.serial)
})

test('refuses a certificate from another CA with the same subject names', async (t) => {
  const other = await makeLab()  // same names, different keys
  const e = await t.throwsAsync(verifyCertificate(opts(other.server, { chain: [other.inter.certPem] })), { instanceOf: PkiError, code: 'ERR_PKI_UNTRUSTED' })
  t.regex(e!.message, /not issued by a trusted CA/)
})

test('refuses a leaf whose chain is missing', async (t) => {
  await t.throwsAsync(verifyCertificate(opts(lab.server, { chain: [] })), { code: 'ERR_PKI_UNTRUSTED' })
})

test('refuses an expired certificate', async (t) => {
  const e = await t.throwsAsync(verifyCertificate(opts(lab.server, { now: new Date(NOW.getTime() + 400 * DAY) })), { code: 'ERR_PKI_EXPIRED' })
  t.regex(e!.message, /dns1\.lab\.test expired on/)
})

test('refuses a certificate that is not yet valid', async (t) => {
  const e = await t.throwsAsync(verifyCertificate(opts(lab.server, { now: new Date(NOW.getTime() - 2 * DAY) })), { code: 'ERR_PKI_NOT_YET_VALID' })
  t.regex(e!.message, /not valid until/)
})

test('refuses a revoked certificate with the issuer CRL', async (t) => {
  const crl = await createCrl(lab.inter, { revoked: [{ serial: lab.server.serial, date: new Date(NOW.getTime() - 3600_000), reason: 'keyCompromise' }], number: 1, thisUpdate: new Date(NOW.getTime() - 3600_000) })
  const e = await t.throwsAsync(verifyCertificate(opts(lab.server, { crls: [crl.pem] })), { code: 'ERR_PKI_REVOKED' })
  t.regex(e!.message, /revoked on .*keyCompromise/)
})

test('accepts a certificate not on the CRL', async (t) => {
  const crl = await createCrl(lab.inter, { revoked: [{ serial: lab.client.serial, date: NOW }], number: 2, thisUpdate: new Date(NOW.getTime() - 3600_000) })
  await t.notThrowsAsync(verifyCertificate(opts(lab.server, { crls: [crl.der] })))
})

test('refuses a CRL whose signature was tampered with', async (t) => {
  const crl = await createCrl(lab.inter, { revoked: [], number: 1, thisUpdate: new Date(NOW.getTime() - 3600_000) })
  const e = await t.throwsAsync(verifyCertificate(opts(lab.server, { crls: [tamperSignature(crl.der)] })), { code: 'ERR_PKI_CRL_INVALID' })
  t.regex(e!.message, /bad signature/)
})

test('ignores the CRL of a same-named CA with another key', async (t) => {
  const other = await makeLab()
  const crl = await createCrl(other.inter, { revoked: [{ serial: lab.server.serial, date: NOW }], number: 1, thisUpdate: new Date(NOW.getTime() - 3600_000) })
  await t.notThrowsAsync(verifyCertificate(opts(lab.server, { crls: [crl.pem] })))
})

test('refuses a stale CRL', async (t) => {
  const crl = await createCrl(lab.inter, { revoked: [], number: 1, thisUpdate: new Date(NOW.getTime() - 9 * DAY) })
  const e = await t.throwsAsync(verifyCertificate(opts(lab.server, { crls: [crl.pem] })), { code: 'ERR_PKI_CRL_INVALID' })
  t.regex(e!.message, /stale/)
})

test('refuses a server certificate without the DNS Server Trust EKU', async (t) => {
  const leaf = await forge(lab.inter, { name: 'dns1.lab.test', eku: [OID_SERVER_AUTH], dns: ['dns1.lab.test'] })
  const e = await t.throwsAsync(verifyCertificate(opts(leaf)), { code: 'ERR_PKI_WRONG_PURPOSE' })
  t.true(e!.message.startsWith('certificate for dns1.lab.test lacks the DNS Server Trust EKU (1.3.6.1.4.1.311.64.1.1)'), e!.message)
})

test('a tls-server certificate from the same CA passes as a TLS server and is refused as a DNS server', async (t) => {
  const leaf = await issueCertificate(lab.inter, { profile: 'tls-server', name: 'dns1.lab.test', now: NOW })
  t.deepEqual(parseCertificate(leaf.certDer).eku, [OID_SERVER_AUTH])
  await t.notThrowsAsync(verifyCertificate(opts(leaf, { purpose: 'tls-server' })))
  const e = await t.throwsAsync(verifyCertificate(opts(leaf)), { code: 'ERR_PKI_WRONG_PURPOSE' })
  t.true(e!.message.startsWith('certificate for dns1.lab.test lacks the DNS Server Trust EKU (1.3.6.1.4.1.311.64.1.1)'), e!.message)
})

test('refuses a server certificate with no EKU at all, and one with only anyExtendedKeyUsage', async (t) => {
  const none = await forge(lab.inter, { name: 'dns1.lab.test', dns: ['dns1.lab.test'] })
  await t.throwsAsync(verifyCertificate(opts(none)), { code: 'ERR_PKI_WRONG_PURPOSE', message: /DNS Server Trust/ })
  const any = await forge(lab.inter, { name: 'dns1.lab.test', eku: [OID_ANY_EKU], dns: ['dns1.lab.test'] })
  await t.throwsAsync(verifyCertificate(opts(any)), { code: 'ERR_PKI_WRONG_PURPOSE', message: /DNS Server Trust/ })
})

test('refuses a DNS Server Trust certificate that lacks serverAuth', async (t) => {
  const leaf = await forge(lab.inter, { name: 'dns1.lab.test', eku: [OID_DNS_SERVER_TRUST], dns: ['dns1.lab.test'] })
  await t.throwsAsync(verifyCertificate(opts(leaf)), { code: 'ERR_PKI_WRONG_PURPOSE', message: /Server Authentication/ })
})

test('refuses a client certificate used as a server', async (t) => {
  const e = await t.throwsAsync(verifyCertificate(opts(lab.client, { name: 'client1.lab.test' })), { code: 'ERR_PKI_WRONG_PURPOSE' })
  t.regex(e!.message, /client1\.lab\.test lacks the Server Authentication/)
})

test('refuses a server certificate used as a client', async (t) => {
  await t.throwsAsync(verifyCertificate(opts(lab.server, { purpose: 'client' })), { code: 'ERR_PKI_WRONG_PURPOSE', message: /Client Authentication/ })
})

test('refuses a client certificate as admin, accepts an admin certificate', async (t) => {
  await t.throwsAsync(verifyCertificate(opts(lab.client, { purpose: 'admin', name: undefined })), { code: 'ERR_PKI_WRONG_PURPOSE', message: /secdns Administrator/ })
  const admin = await issueCertificate(lab.inter, { profile: 'admin', name: 'alice', now: NOW })
  const r = await verifyCertificate(opts(admin, { purpose: 'admin', name: undefined }))
  t.is(r.serial, admin.serial)
  // An admin certificate is still a client certificate.
  await t.notThrowsAsync(verifyCertificate(opts(admin, { purpose: 'client', name: undefined })))
})

test('refuses an intermediate whose EKU excludes the purpose', async (t) => {
  const mid = await forge(lab.root, { name: 'Client-only CA', ca: true, eku: [OID_CLIENT_AUTH] })
  const leaf = await issueCertificate(mid, { profile: 'dns-server', name: 'dns1.lab.test', now: NOW })
  await t.throwsAsync(verifyCertificate(opts(leaf, { chain: [mid.certPem] })), { code: 'ERR_PKI_WRONG_PURPOSE', message: /CA certificate "Client-only CA" restricts/ })
})

test('refuses a chain through an intermediate with cA=false', async (t) => {
  const notCa = await forge(lab.root, { name: 'Not A CA', ca: false, keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature })
  const leaf = await forge(notCa, { name: 'dns1.lab.test', eku: [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST], dns: ['dns1.lab.test'] })
  const e = await t.throwsAsync(verifyCertificate(opts(leaf, { chain: [notCa.certPem] })), { code: 'ERR_PKI_NOT_CA' })
  t.regex(e!.message, /"Not A CA" signed "dns1\.lab\.test" but is not a CA \(basicConstraints cA is FALSE\)/)
})

test('refuses a chain through an intermediate without basicConstraints', async (t) => {
  const notCa = await forge(lab.root, { name: 'No BC', noBasicConstraints: true, keyUsage: x509.KeyUsageFlags.keyCertSign })
  const leaf = await forge(notCa, { name: 'dns1.lab.test', eku: [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST], dns: ['dns1.lab.test'] })
  await t.throwsAsync(verifyCertificate(opts(leaf, { chain: [notCa.certPem] })), { code: 'ERR_PKI_NOT_CA', message: /absent/ })
})

test('refuses a chain that exceeds a pathLen', async (t) => {
  const root = await createRootCa({ name: 'PathLen0 Root', pathLen: 0, now: new Date(NOW.getTime() - DAY) })
  const mid = await forge(root, { name: 'Too Deep CA', ca: true })
  const leaf = await issueCertificate(mid, { profile: 'dns-server', name: 'dns1.lab.test', now: NOW })
  const e = await t.throwsAsync(verifyCertificate(opts(leaf, { chain: [mid.certPem], trusted: [root.certPem] })), { code: 'ERR_PKI_PATH_LEN' })
  t.regex(e!.message, /pathLen 0/)
})

test('accepts a chain exactly at its pathLen', async (t) => {
  const root = await createRootCa({ name: 'PathLen1 Root', pathLen: 1, now: new Date(NOW.getTime() - DAY) })
  const mid = await createIntermediateCa(root, { name: 'Mid', now: NOW })
  const leaf = await issueCertificate(mid, { profile: 'dns-server', name: 'dns1.lab.test', now: NOW })
  await t.notThrowsAsync(verifyCertificate(opts(leaf, { chain: [mid.certPem], trusted: [root.certPem] })))
})

test('refuses a CA without keyCertSign', async (t) => {
  const mid = await forge(lab.root, { name: 'No Sign CA', ca: true, keyUsage: x509.KeyUsageFlags.cRLSign })
  const leaf = await forge(mid, { name: 'dns1.lab.test', eku: [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST], dns: ['dns1.lab.test'] })
  await t.throwsAsync(verifyCertificate(opts(leaf, { chain: [mid.certPem] })), { code: 'ERR_PKI_KEY_USAGE', message: /keyCertSign/ })
})

test('refuses a leaf whose keyUsage lacks digitalSignature', async (t) => {
  const leaf = await forge(lab.inter, { name: 'dns1.lab.test', eku: [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST], dns: ['dns1.lab.test'], keyUsage: x509.KeyUsageFlags.keyAgreement })
  await t.throwsAsync(verifyCertificate(opts(leaf)), { code: 'ERR_PKI_KEY_USAGE', message: /digitalSignature/ })
})

test('refuses a certificate with a flipped signature byte', async (t) => {
  const e = await t.throwsAsync(verifyCertificate(opts(lab.server, { cert: tamperSignature(lab.server.certDer) })), { code: 'ERR_PKI_BAD_SIGNATURE' })
  t.regex(e!.message, /does not verify/)
})

test('refuses a tampered intermediate', async (t) => {
  await t.throwsAsync(verifyCertificate(opts(lab.server, { chain: [tamperSignature(lab.inter.certDer)] })), { code: 'ERR_PKI_BAD_SIGNATURE' })
})

test('refuses the wrong name', async (t) => {
  const e = await t.throwsAsync(verifyCertificate(opts(lab.server, { name: 'dns2.lab.test' })), { code: 'ERR_PKI_NAME_MISMATCH' })
  t.regex(e!.message, /does not name dns2\.lab\.test \(its subjectAltName has dns1\.lab\.test, 127\.0\.0\.1\)/)
  await t.throwsAsync(verifyCertificate(opts(lab.server, { name: '127.0.0.2' })), { code: 'ERR_PKI_NAME_MISMATCH' })
})

test('matches a wildcard certificate to one label only', async (t) => {
  const leaf = await issueCertificate(lab.inter, { profile: 'dns-server', name: 'wild', dns: ['*.lab.test'], now: NOW })
  await t.notThrowsAsync(verifyCertificate(opts(leaf, { name: 'ns7.lab.test' })))
  await t.throwsAsync(verifyCertificate(opts(leaf, { name: 'a.b.lab.test' })), { code: 'ERR_PKI_NAME_MISMATCH' })
  await t.throwsAsync(verifyCertificate(opts(leaf, { name: 'lab.test' })), { code: 'ERR_PKI_NAME_MISMATCH' })
})

test('refuses an unknown critical extension', async (t) => {
  const leaf = await forge(lab.inter, { name: 'dns1.lab.test', eku: [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST], dns: ['dns1.lab.test'], extra: [new x509.Extension('1.2.3.4.5', true, new Uint8Array([0x05, 0x00]))] })
  await t.throwsAsync(verifyCertificate(opts(leaf)), { code: 'ERR_PKI_UNKNOWN_CRITICAL_EXTENSION', message: /1\.2\.3\.4\.5/ })
})

test('refuses an expired intermediate', async (t) => {
  const mid = await forge(lab.root, { name: 'Short CA', ca: true, notAfter: new Date(NOW.getTime() - 1000) , notBefore: new Date(NOW.getTime() - 3 * DAY) })
  const leaf = await forge(mid, { name: 'dns1.lab.test', eku: [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST], dns: ['dns1.lab.test'], notBefore: new Date(NOW.getTime() - 2 * DAY), notAfter: new Date(NOW.getTime() + DAY) })
  await t.throwsAsync(verifyCertificate(opts(leaf, { chain: [mid.certPem] })), { code: 'ERR_PKI_EXPIRED', message: /intermediate CA certificate for Short CA/ })
})

test('refuses garbage input with a coded error', async (t) => {
  await t.throwsAsync(verifyCertificate(opts(lab.server, { cert: new Uint8Array([1, 2, 3]) })), { code: 'ERR_PKI_BAD_CERTIFICATE' })
  await t.throwsAsync(verifyCertificate(opts(lab.server, { cert: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]) })), { code: 'ERR_PKI_BAD_CERTIFICATE' })
  await t.throwsAsync(verifyCertificate(opts(lab.server, { cert: 'not a pem' })), { code: 'ERR_PKI_BAD_CERTIFICATE' })
  await t.throwsAsync(verifyCertificate(opts(lab.server, { trusted: [] })), { code: 'ERR_PKI_INVALID_PARAMS' })
})

test('parseCertificate reads SANs, key ids and constraints', (t) => {
  const p = parseCertificate(lab.server.certPem)
  t.deepEqual(p.names, { dns: ['dns1.lab.test'], ip: ['127.0.0.1'] })
  t.false(p.ca)
  t.deepEqual(p.eku, [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST])
  t.is(p.aki, parseCertificate(lab.inter.certPem).ski)
})

test('verifies chains with RSA, P-384 and Ed25519 keys', async (t) => {
  for (const key of ['rsa-2048', 'ecdsa-p384', 'ed25519'] as const) {
    const l = await makeLab(key)
    const r = await verifyCertificate({ cert: l.server.certPem, chain: [l.inter.certPem], trusted: [l.root.certPem], purpose: 'dns-server', name: 'dns1.lab.test', now: NOW })
    t.is(r.path.length, 3, key)
  }
})

testProp('parseCertificate never throws anything but PkiError on random bytes', [fc.uint8Array({ maxLength: 400 })], (t, bytes) => {
  try { parseCertificate(bytes); t.pass() } catch (e) { t.true(e instanceof PkiError, String(e)) }
}, { numRuns: 500 })

testProp('a certificate with any single byte changed is refused with a PkiError', [fc.nat(), fc.integer({ min: 1, max: 255 })], async (t, pos, xor) => {
  const der = new Uint8Array(lab.server.certDer)
  const i = pos % der.length
  der[i] = (der[i] as number) ^ xor
  const e = await t.throwsAsync(verifyCertificate(opts(lab.server, { cert: der })))
  t.true(e instanceof PkiError, `byte ${i}: ${String(e)}`)
}, { numRuns: 300 })

test('backtracks past a cross-certificate that leads to an untrusted root', async (t) => {
  const { generateKey } = await import('../src/keys.js')
  const { buildCertificate, certifiedFromDer, createRootCa } = await import('../src/issue.js')
  const stranger = await createRootCa({ name: 'secdns Test Root', now: new Date(NOW.getTime() - DAY) })  // same name, untrusted
  const k = await generateKey('ecdsa-p256')
  const ski = await x509.SubjectKeyIdentifierExtension.create(new Uint8Array(k.publicKey.export({ format: 'der', type: 'spki' })))
  const make = async (issuer: typeof lab.root) => {
    const aki = new x509.X509Certificate(issuer.certDer).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId
    const c = await buildCertificate({
      issuer, signingKey: issuer.privateKey!, publicKey: k.publicKey, subject: [{ CN: ['Cross CA'] }], serial: 'ab' + String(Math.random()).slice(2, 10),
      notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + 30 * DAY),
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true), ski, new x509.AuthorityKeyIdentifierExtension(aki)],
    })
    return certifiedFromDer(c.certDer, k.privateKey)
  }
  const viaStranger = await make(stranger)
  const viaRoot = await make(lab.root)
  const leaf = await issueCertificate(viaRoot, { profile: 'dns-server', name: 'dns1.lab.test', now: NOW })
  const r = await verifyCertificate(opts(leaf, { chain: [viaStranger.certPem, viaRoot.certPem] }))
  t.is(r.path.length, 3)
  t.regex(r.anchorSubject, /secdns Test Root/)
  t.is(r.path[1]!.serialNumber.toLowerCase(), viaRoot.serial)
})
