import test from 'ava'
import { createSecureContext } from 'node:tls'
import forge from 'node-forge'
import { fc, testProp } from '@fast-check/ava'
import { exportPkcs12, pkcs12Kdf } from '../src/pkcs12.js'
import { createRootCa, issueCertificate } from '../src/issue.js'

testProp('pkcs12Kdf matches node-forge for SHA-1 and SHA-256', [
  fc.string({ maxLength: 20 }), fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>,
  fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 70 }), fc.constantFrom('sha1', 'sha256') as fc.Arbitrary<'sha1' | 'sha256'>,
], (t, password, salt, id, iter, n, hash) => {
  const ours = Buffer.from(pkcs12Kdf(hash, password, salt, id, iter, n)).toString('hex')
  const md = hash === 'sha1' ? forge.md.sha1.create() : forge.md.sha256.create()
  const theirs = forge.util.bytesToHex(forge.pkcs12.generateKey(password, forge.util.createBuffer(forge.util.binary.raw.encode(salt)), id, iter, n, md).getBytes())
  t.is(ours, theirs)
}, { numRuns: 200 })

for (const key of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'ed25519'] as const) {
  test(`node's TLS reads our ${key} .pfx, default and legacy, and refuses a wrong password`, async (t) => {
    const root = await createRootCa({ name: `Root ${key}`, key })
    const srv = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', key })
    for (const legacy of [false, true]) {
      const pfx = Buffer.from(exportPkcs12({ cert: srv.certPem, privateKey: srv.privateKey!, chain: [root.certPem], password: 'pw é', legacy, friendlyName: 'dns1' }))
      t.notThrows(() => createSecureContext({ pfx, passphrase: 'pw é' }), `${key} legacy=${legacy}`)
      t.throws(() => createSecureContext({ pfx, passphrase: 'wrong' }), undefined, `${key} legacy=${legacy}`)
    }
  })
}

test('node-forge reads the RSA .pfx back with the same key and certificates', async (t) => {
  const root = await createRootCa({ name: 'Root', key: 'rsa-2048' })
  const srv = await issueCertificate(root, { profile: 'client', name: 'c1', key: 'rsa-2048' })
  const pfx = exportPkcs12({ cert: srv.certPem, privateKey: srv.privateKey!, chain: [root.certPem], password: 'secret', legacy: true })
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.binary.raw.encode(pfx)), 'secret')
  const certs = p12.getBags({ bagType: forge.pki.oids['certBag'] as string })[forge.pki.oids['certBag'] as string] ?? []
  t.is(certs.length, 2)
  const keys = p12.getBags({ bagType: forge.pki.oids['pkcs8ShroudedKeyBag'] as string })[forge.pki.oids['pkcs8ShroudedKeyBag'] as string] ?? []
  t.is(keys.length, 1)
  const pem = forge.pki.privateKeyToPem(keys[0]!.key!)
  const { createPrivateKey } = await import('node:crypto')
  t.true(createPrivateKey(pem).equals(srv.privateKey!))
})

test('refuses a public key and bad iteration counts', async (t) => {
  const root = await createRootCa({ name: 'Root' })
  t.throws(() => exportPkcs12({ cert: root.certPem, privateKey: root.certificate.publicKey, password: 'x' }), { code: 'ERR_PKI_BAD_KEY' })
  t.throws(() => exportPkcs12({ cert: root.certPem, privateKey: root.privateKey!, password: 'x', iterations: 0 }), { code: 'ERR_PKI_INVALID_PARAMS' })
  t.throws(() => exportPkcs12({ cert: 'nope', privateKey: root.privateKey!, password: 'x' }), { code: 'ERR_PKI_BAD_CERTIFICATE' })
})
