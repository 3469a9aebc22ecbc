/**
 * OpenSSL and node's TLS as referees for @secdns/pki: what we issue must verify with
 * `openssl verify`, our CRLs must revoke there, our .pfx files must open, OpenSSL-made CSRs
 * must be signed, and a mutual-TLS connection must work with our certificates.
 */
import 'reflect-metadata'
import test from 'ava'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, connect, type TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import * as x509 from '@peculiar/x509'
import {
  createCrl, createIntermediateCa, createRootCa, exportPkcs12, issueCertificate, buildCertificate, generateKey, randomSerial,
  verifyCertificate, type CertifiedKey, type KeySpec,
} from '@secdns/pki'
import { havePeers, runPeer } from '../helpers/peers.js'

async function tmp(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await fs.mkdtemp(join(tmpdir(), 'secdns-pki-interop-'))
  t.teardown(() => fs.rm(d, { recursive: true, force: true }))
  return d
}

interface Lab { root: CertifiedKey; inter: CertifiedKey; server: CertifiedKey; client: CertifiedKey }

async function lab(key: KeySpec): Promise<Lab> {
  const root = await createRootCa({ name: `Interop Root ${key}`, key })
  const inter = await createIntermediateCa(root, { name: `Interop Issuing ${key}`, key })
  const server = await issueCertificate(inter, { profile: 'dns-server', name: 'dns1.lab.test', ip: ['127.0.0.1'], key, ike: true })
  const client = await issueCertificate(inter, { profile: 'client', name: 'client1.lab.test', dns: ['client1.lab.test'], key })
  return { root, inter, server, client }
}

async function write(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [name, data] of Object.entries(files)) await fs.writeFile(join(dir, name), data)
}

for (const key of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048'] as const) {
  test(`openssl verify accepts our ${key} server and client certificates for their purposes only`, async (t) => {
    if (!havePeers(t, 'openssl')) return
    const dir = await tmp(t)
    const l = await lab(key)
    await write(dir, { 'root.pem': l.root.certPem, 'inter.pem': l.inter.certPem, 'server.pem': l.server.certPem, 'client.pem': l.client.certPem })
    const v = (purpose: string, cert: string) => runPeer('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', 'inter.pem', '-purpose', purpose, cert], { cwd: dir })
    let r = v('sslserver', 'server.pem')
    t.is(r.status, 0, r.stderr + r.stdout)
    t.regex(r.stdout, /server\.pem: OK/)
    r = v('sslclient', 'client.pem')
    t.is(r.status, 0, r.stderr + r.stdout)
    r = v('sslserver', 'client.pem')
    t.not(r.status, 0)
    t.regex(r.stdout + r.stderr, /unsuitable certificate purpose/)
    // Without the intermediate there is no path.
    r = runPeer('openssl', ['verify', '-CAfile', 'root.pem', 'server.pem'], { cwd: dir })
    t.not(r.status, 0)
  })
}

test('openssl x509 -text shows the DNS Server Trust and IKE intermediate EKUs and our SANs', async (t) => {
  if (!havePeers(t, 'openssl')) return
  const l = await lab('ecdsa-p256')
  const r = runPeer('openssl', ['x509', '-noout', '-text'], { input: l.server.certPem })
  t.is(r.status, 0, r.stderr)
  t.regex(r.stdout, /X509v3 Extended Key Usage: *\n\s*TLS Web Server Authentication, 1\.3\.6\.1\.4\.1\.311\.64\.1\.1, (1\.3\.6\.1\.5\.5\.8\.2\.2|ipsec Internet Key Exchange)/)
  t.regex(r.stdout, /DNS:dns1\.lab\.test, IP Address:127\.0\.0\.1/)
  t.regex(r.stdout, /X509v3 Basic Constraints: critical\s*\n\s*CA:FALSE/)
  const ca = runPeer('openssl', ['x509', '-noout', '-text'], { input: l.inter.certPem })
  t.regex(ca.stdout, /CA:TRUE/)
  t.regex(ca.stdout, /Certificate Sign, CRL Sign/)
})

test('openssl verify -crl_check rejects a certificate revoked on our CRL and accepts the others', async (t) => {
  if (!havePeers(t, 'openssl')) return
  const dir = await tmp(t)
  const root = await createRootCa({ name: 'CRL Root' })
  const server = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test' })
  const other = await issueCertificate(root, { profile: 'dns-server', name: 'dns2.lab.test' })
  const crl = await createCrl(root, { revoked: [{ serial: server.serial, date: new Date(Date.now() - 60_000), reason: 'keyCompromise' }], number: 7 })
  t.true(crl.pem.startsWith('-----BEGIN X509 CRL-----'))
  await write(dir, { 'root.pem': root.certPem, 'server.pem': server.certPem, 'other.pem': other.certPem, 'crl.pem': crl.pem })
  let r = runPeer('openssl', ['verify', '-crl_check', '-CAfile', 'root.pem', '-CRLfile', 'crl.pem', 'server.pem'], { cwd: dir })
  t.not(r.status, 0)
  t.regex(r.stdout + r.stderr, /certificate revoked/)
  r = runPeer('openssl', ['verify', '-crl_check', '-CAfile', 'root.pem', '-CRLfile', 'crl.pem', 'other.pem'], { cwd: dir })
  t.is(r.status, 0, r.stdout + r.stderr)
  r = runPeer('openssl', ['crl', '-in', 'crl.pem', '-CAfile', 'root.pem', '-noout', '-text'], { cwd: dir })
  t.is(r.status, 0, r.stderr)
  t.regex(r.stderr + r.stdout, /verify OK/)
  t.regex(r.stdout, /X509v3 CRL Number: *\n\s*7/)
  t.regex(r.stdout, /Key Compromise/)
  // Our verifier agrees with OpenSSL.
  await t.throwsAsync(verifyCertificate({ cert: server.certPem, trusted: [root.certPem], purpose: 'dns-server', crls: [crl.pem] }), { code: 'ERR_PKI_REVOKED' })
})

for (const key of ['rsa-2048', 'ecdsa-p256', 'ecdsa-p384'] as const) {
  test(`openssl pkcs12 reads our ${key} .pfx, default and legacy, and refuses a wrong password`, async (t) => {
    if (!havePeers(t, 'openssl')) return
    const dir = await tmp(t)
    const l = await lab(key)
    for (const legacy of [false, true]) {
      const file = `s-${legacy}.pfx`
      await write(dir, { [file]: exportPkcs12({ cert: l.server.certPem, privateKey: l.server.privateKey!, chain: [l.inter.certPem, l.root.certPem], password: 'pfx-pw', legacy, friendlyName: 'dns1' }) })
      // OpenSSL 3.0 reads pbeWithSHAAnd3-KeyTripleDES-CBC with its default provider: no -legacy needed here.
      let r = runPeer('openssl', ['pkcs12', '-info', '-noout', '-in', file, '-passin', 'pass:pfx-pw'], { cwd: dir })
      t.is(r.status, 0, `${key} legacy=${legacy}: ${r.stderr}`)
      t.regex(r.stderr + r.stdout, legacy ? /MAC: sha1[\s\S]*pbeWithSHA1And3-KeyTripleDES-CBC/ : /MAC: sha256[\s\S]*PBES2, PBKDF2, AES-256-CBC[\s\S]*hmacWithSHA256/)
      // The key inside is the server's key, and all three certificates are there.
      r = runPeer('openssl', ['pkcs12', '-in', file, '-passin', 'pass:pfx-pw', '-nodes'], { cwd: dir })
      t.is(r.status, 0, r.stderr)
      t.is((r.stdout.match(/BEGIN CERTIFICATE/g) ?? []).length, 3)
      const { createPrivateKey } = await import('node:crypto')
      t.true(createPrivateKey(r.stdout).equals(l.server.privateKey!))
      r = runPeer('openssl', ['pkcs12', '-info', '-noout', '-in', file, '-passin', 'pass:wrong'], { cwd: dir })
      t.not(r.status, 0)
      t.regex(r.stderr, /mac verify (failure|error)/i)
    }
  })
}

for (const [alg, args] of [['rsa', ['-newkey', 'rsa:2048']], ['ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']]] as const) {
  test(`signs an openssl req ${alg} CSR with our profile, and openssl verifies the result`, async (t) => {
    if (!havePeers(t, 'openssl')) return
    const dir = await tmp(t)
    let r = runPeer('openssl', ['req', '-new', ...args, '-nodes', '-keyout', 'k.pem', '-subj', '/CN=from-openssl', '-addext', 'basicConstraints=critical,CA:TRUE', '-out', 'req.csr'], { cwd: dir })
    t.is(r.status, 0, r.stderr)
    const root = await createRootCa({ name: 'CSR Root' })
    const csrPem = await fs.readFile(join(dir, 'req.csr'), 'utf8')
    const s = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', csrPem })
    t.is(s.keyPem, undefined)
    await write(dir, { 'root.pem': root.certPem, 's.pem': s.certPem })
    r = runPeer('openssl', ['verify', '-CAfile', 'root.pem', '-purpose', 'sslserver', 's.pem'], { cwd: dir })
    t.is(r.status, 0, r.stdout + r.stderr)
    // The certificate carries the CSR's key, and the profile's CA:FALSE, not the CSR's CA:TRUE.
    r = runPeer('openssl', ['x509', '-in', 's.pem', '-noout', '-text'], { cwd: dir })
    t.regex(r.stdout, /CA:FALSE/)
    const { createPrivateKey } = await import('node:crypto')
    t.true(s.certificate.checkPrivateKey(createPrivateKey(await fs.readFile(join(dir, 'k.pem'), 'utf8'))))
    // A flipped byte in the CSR signature is refused.
    const der = new x509.Pkcs10CertificateRequest(csrPem).rawData
    const bad = new Uint8Array(der)
    bad[bad.length - 4] = (bad[bad.length - 4] ?? 0) ^ 0x01
    await t.throwsAsync(issueCertificate(root, { profile: 'client', name: 'x', csrPem: x509.PemConverter.encode(bad.buffer, 'CERTIFICATE REQUEST') }), { code: 'ERR_PKI_BAD_CSR' })
  })
}

/** A certificate with exactly these extensions, signed by `issuer` (our issuing refuses to make bad ones). */
async function handMade(issuer: CertifiedKey, name: string, ca: boolean, serverEku: boolean): Promise<CertifiedKey & { privateKey: NonNullable<CertifiedKey['privateKey']> }> {
  const k = await generateKey('ecdsa-p256')
  const ski = await x509.SubjectKeyIdentifierExtension.create(new Uint8Array(k.publicKey.export({ format: 'der', type: 'spki' })))
  const issuerSki = new x509.X509Certificate(issuer.certDer).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId
  const ext: x509.Extension[] = [
    new x509.BasicConstraintsExtension(ca, undefined, true),
    new x509.KeyUsagesExtension(ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
    ski, new x509.AuthorityKeyIdentifierExtension(issuerSki),
  ]
  if (serverEku) {
    ext.push(new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1', '1.3.6.1.4.1.311.64.1.1']))
    ext.push(new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }]))
  }
  const c = await buildCertificate({
    issuer, signingKey: issuer.privateKey!, publicKey: k.publicKey, subject: [{ CN: [name] }], serial: randomSerial(),
    notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), extensions: ext,
  })
  return { ...c, privateKey: k.privateKey }
}

test('openssl refuses a chain that exceeds pathLen, as our verifier does', async (t) => {
  if (!havePeers(t, 'openssl')) return
  const dir = await tmp(t)
  const root = await createRootCa({ name: 'Strict Root', pathLen: 0 })
  const mid = await handMade(root, 'Too Deep', true, false)
  const leaf = await issueCertificate(mid, { profile: 'dns-server', name: 'dns1.lab.test' })
  await write(dir, { 'root.pem': root.certPem, 'mid.pem': mid.certPem, 'leaf.pem': leaf.certPem })
  const r = runPeer('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', 'mid.pem', 'leaf.pem'], { cwd: dir })
  t.not(r.status, 0)
  t.regex(r.stdout + r.stderr, /path length constraint exceeded/)
  await t.throwsAsync(verifyCertificate({ cert: leaf.certPem, chain: [mid.certPem], trusted: [root.certPem], purpose: 'dns-server' }), { code: 'ERR_PKI_PATH_LEN' })
})

test('openssl refuses a chain through a cA=false issuer, as our verifier does', async (t) => {
  if (!havePeers(t, 'openssl')) return
  const dir = await tmp(t)
  const root = await createRootCa({ name: 'Strict Root' })
  const notCa = await handMade(root, 'Not A CA', false, false)
  const leaf = await handMade(notCa, 'dns1.lab.test', false, true)
  await write(dir, { 'root.pem': root.certPem, 'mid.pem': notCa.certPem, 'leaf.pem': leaf.certPem })
  const r = runPeer('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', 'mid.pem', 'leaf.pem'], { cwd: dir })
  t.not(r.status, 0)
  t.regex(r.stdout + r.stderr, /invalid CA certificate|unable to get local issuer certificate/)
  await t.throwsAsync(verifyCertificate({ cert: leaf.certPem, chain: [notCa.certPem], trusted: [root.certPem], purpose: 'dns-server' }), { code: 'ERR_PKI_NOT_CA' })
})

test('our verifier accepts an OpenSSL-made DNS server chain, refuses one without DNS Server Trust, and honours an OpenSSL CRL', async (t) => {
  if (!havePeers(t, 'openssl')) return
  const dir = await tmp(t)
  const ok = (args: string[]): string => {
    const r = runPeer('openssl', args, { cwd: dir })
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
  ok(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-subj', '/C=US/O=Example/CN=OpenSSL Root', '-days', '30',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'ca.pem'])
  const leaf = async (name: string, eku: string): Promise<string> => {
    ok(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-subj', `/C=US/O=Example/CN=${name}`, '-out', `${name}.csr`])
    await fs.writeFile(join(dir, `${name}.cnf`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${eku}\nsubjectAltName=DNS:${name}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`)
    ok(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '10', '-extfile', `${name}.cnf`, '-out', `${name}.pem`])
    return fs.readFile(join(dir, `${name}.pem`), 'utf8')
  }
  const caPem = await fs.readFile(join(dir, 'ca.pem'), 'utf8')
  const good = await leaf('dns1.lab.test', 'serverAuth,1.3.6.1.4.1.311.64.1.1')
  const plain = await leaf('web.lab.test', 'serverAuth')
  const r = await verifyCertificate({ cert: good, trusted: [caPem], purpose: 'dns-server', name: 'dns1.lab.test' })
  t.regex(r.subject, /CN=dns1\.lab\.test/)
  await t.throwsAsync(verifyCertificate({ cert: plain, trusted: [caPem], purpose: 'dns-server', name: 'web.lab.test' }), { code: 'ERR_PKI_WRONG_PURPOSE', message: /lacks the DNS Server Trust EKU \(1\.3\.6\.1\.4\.1\.311\.64\.1\.1\)/ })
  // Revoke with `openssl ca` and check its CRL with our verifier.
  await fs.writeFile(join(dir, 'index.txt'), '')
  await fs.writeFile(join(dir, 'crlnumber'), '1000\n')
  await fs.writeFile(join(dir, 'ca.cnf'), '[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\n')
  ok(['ca', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-revoke', 'dns1.lab.test.pem', '-crl_reason', 'keyCompromise'])
  ok(['ca', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-gencrl', '-out', 'crl.pem'])
  const crl = await fs.readFile(join(dir, 'crl.pem'), 'utf8')
  await t.throwsAsync(verifyCertificate({ cert: good, trusted: [caPem], purpose: 'dns-server', crls: [crl] }), { code: 'ERR_PKI_REVOKED', message: /keyCompromise/ })
})

async function tlsHandshake(server: { key: string; cert: string; ca: string }, client: { key: string; cert: string; ca: string }): Promise<{ serverSaw: string | null; clientOk: boolean; error?: string }> {
  return new Promise((resolve) => {
    let serverSaw: string | null = null
    const srv = createServer({ key: server.key, cert: server.cert, ca: server.ca, requestCert: true, rejectUnauthorized: true }, (sock: TLSSocket) => {
      const peer = sock.getPeerCertificate()
      serverSaw = typeof peer.subject?.CN === 'string' ? peer.subject.CN : null
      sock.end('hello')
    })
    srv.on('tlsClientError', () => undefined)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port
      let data = ''
      const c = connect({ host: '127.0.0.1', port, servername: 'dns1.lab.test', key: client.key, cert: client.cert, ca: client.ca, rejectUnauthorized: true })
      const finish = (error?: string): void => {
        c.destroy()
        srv.close()
        resolve(error === undefined ? { serverSaw, clientOk: data === 'hello' } : { serverSaw, clientOk: false, error })
      }
      c.on('data', (d: Buffer) => { data += d.toString() })
      c.on('end', () => finish(data === 'hello' ? undefined : 'closed without data'))
      c.on('error', (e: Error) => finish(e.message))
    })
  })
}

test('node TLS accepts mutual TLS on 127.0.0.1 with our certificates and refuses a client from another CA', async (t) => {
  const l = await lab('ecdsa-p256')
  const serverSide = { key: l.server.keyPem!, cert: l.server.certPem + l.inter.certPem, ca: l.root.certPem }
  const ok = await tlsHandshake(serverSide, { key: l.client.keyPem!, cert: l.client.certPem + l.inter.certPem, ca: l.root.certPem })
  t.true(ok.clientOk, ok.error)
  t.is(ok.serverSaw, 'client1.lab.test')

  const stranger = await lab('ecdsa-p256')
  const refused = await tlsHandshake(serverSide, { key: stranger.client.keyPem!, cert: stranger.client.certPem + stranger.inter.certPem, ca: l.root.certPem })
  t.false(refused.clientOk)
  t.is(refused.serverSaw, null)

  // And a client that trusts another CA refuses our server.
  const wrongTrust = await tlsHandshake(serverSide, { key: l.client.keyPem!, cert: l.client.certPem + l.inter.certPem, ca: stranger.root.certPem })
  t.false(wrongTrust.clientOk)
  t.regex(wrongTrust.error ?? '', /certificate/i)
})
