import test from 'ava'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import {
  generateKey, keySpecOf, signWithKey, verifyWithCertificate, exportPrivateKeyPem, importPrivateKeyPem, KEY_SPECS, isKeySpec,
} from '../src/keys.js'
import { createRootCa } from '../src/issue.js'
import { PkiError } from '../src/errors.js'

test('generates every key spec and recognises it again', async (t) => {
  for (const spec of KEY_SPECS.filter((s) => s !== 'rsa-4096' && s !== 'rsa-3072')) {
    const k = await generateKey(spec)
    t.is(keySpecOf(k.privateKey), spec)
    t.is(keySpecOf(k.publicKey), spec)
  }
})

test('rejects an unknown key spec and a key size we do not use', async (t) => {
  await t.throwsAsync(generateKey('dsa-1024' as never), { instanceOf: PkiError, code: 'ERR_PKI_INVALID_PARAMS' })
  t.false(isKeySpec('rsa-1024'))
  const { generateKeyPairSync } = await import('node:crypto')
  const k = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  t.throws(() => keySpecOf(k.privateKey), { code: 'ERR_PKI_BAD_KEY' })
})

test('signWithKey and verifyWithCertificate agree for every CA key type', async (t) => {
  const data = new TextEncoder().encode('IKE AUTH payload')
  for (const key of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'ed25519'] as const) {
    const ca = await createRootCa({ name: `k ${key}`, key })
    const sig = signWithKey(ca.privateKey!, data)
    t.true(verifyWithCertificate(ca.certificate, data, sig), key)
    const bad = new Uint8Array(data); bad[0] ^= 1
    t.false(verifyWithCertificate(ca.certificate, bad, sig), key)
    const badSig = new Uint8Array(sig); badSig[badSig.length - 1] ^= 1
    t.false(verifyWithCertificate(ca.certificate, data, badSig), key)
    t.false(verifyWithCertificate(ca.certificate, data, new Uint8Array(3)), key)
  }
})

test('a P-384 signature uses SHA-384 (node verifies it with sha384)', async (t) => {
  const ca = await createRootCa({ name: 'p384', key: 'ecdsa-p384' })
  const data = new Uint8Array([1, 2, 3])
  const sig = signWithKey(ca.privateKey!, data)
  const { verify } = await import('node:crypto')
  t.true(verify('sha384', data, ca.certificate.publicKey, sig))
  t.true(ca.certificate instanceof X509Certificate)
})

test('signWithKey refuses a public key', async (t) => {
  const k = await generateKey('ecdsa-p256')
  t.throws(() => signWithKey(k.publicKey, new Uint8Array(1)), { code: 'ERR_PKI_BAD_KEY' })
})

test('an encrypted private key round-trips and needs the right passphrase', async (t) => {
  const k = await generateKey('ecdsa-p256')
  const pem = exportPrivateKeyPem(k.privateKey, 'correct horse')
  t.regex(pem, /BEGIN ENCRYPTED PRIVATE KEY/)
  const back = importPrivateKeyPem(pem, 'correct horse')
  t.true(back.equals(k.privateKey))
  t.throws(() => importPrivateKeyPem(pem, 'wrong'), { code: 'ERR_PKI_BAD_PASSPHRASE' })
  t.throws(() => importPrivateKeyPem(pem), { code: 'ERR_PKI_BAD_PASSPHRASE' })
  const plain = exportPrivateKeyPem(k.privateKey)
  t.true(createPrivateKey(plain).equals(k.privateKey))
  t.throws(() => importPrivateKeyPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), { code: 'ERR_PKI_BAD_KEY' })
})
