import test from 'ava'
import { createPublicKey } from 'node:crypto'
import {
  DnssecAlgorithm, algorithmFromString, algorithmToString, generateKeyPair, encodeDnskeyPublicKey,
  decodeDnskeyPublicKey, signBytes, verifyBytes, keyTagOfRdata, dsDigest, privateKeyFromRaw, privateKeyToRaw,
  ecdsaDerToRaw, digestTypeFromString, keyBits,
} from '../src/algorithms.js'
import { DnssecError } from '../src/errors.js'

// Known-answer vectors copied from the RFCs (RFC 4034 §5.4, RFC 6605 §6.1/§6.2,
// RFC 8080 §6.1 with its examples' private keys).
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
/** Uncompressed wire form of a lowercase absolute name, built by hand for these vectors. */
function nameWire(text: string): Uint8Array {
  const parts = text.replace(/\.$/, '').split('.').filter((p) => p.length > 0)
  return Uint8Array.from([...parts.flatMap((p) => [p.length, ...Buffer.from(p, 'ascii')]), 0])
}
function rdata(flags: number, alg: number, key: Uint8Array): Uint8Array {
  return Uint8Array.from([flags >> 8, flags & 0xff, 3, alg, ...key])
}

const RFC4034_KEY = b64('AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==')
const P256_KEY = b64('GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==')
const P384_KEY = b64('xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40')
const ED_KEY_1 = b64('l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=')
const ED_PRIV_1 = b64('ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=')
const ED_KEY_2 = b64('zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=')
const ED_PRIV_2 = b64('DSSF3o0s0f+ElWzj9E/Osxw8hLpk55chkmx0LYN5WiY=')
// RFC 8080 §6.2 (Ed448).
const ED448_KEY = b64('3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYUcJKm1MDpJtIA')
const ED448_PRIV = b64('xZ+5Cgm463xugtkY5B0Jx6erFTXp13rYegst0qRtNsOYnaVpMx0Z/c5EiA9x8wWbDDct/U3FhYWA')

test('key tag of the RFC 4034 §5.4 example key is 60485', (t) => {
  t.is(keyTagOfRdata(rdata(256, 5, RFC4034_KEY)), 60485)
})

test('DS SHA-1 digest of the RFC 4034 §5.4 example matches', (t) => {
  const d = dsDigest(nameWire('dskey.example.com.'), rdata(256, 5, RFC4034_KEY), 1)
  t.is(Buffer.from(d).toString('hex').toUpperCase(), '2BB183AF5F22588179A53B0A98631FAD1A292118')
})

test('key tags and DS digests of the RFC 6605 §6 examples match', (t) => {
  const r256 = rdata(257, 13, P256_KEY)
  t.is(keyTagOfRdata(r256), 55648)
  t.is(Buffer.from(dsDigest(nameWire('example.net.'), r256, 2)).toString('hex'), 'b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17')
  const r384 = rdata(257, 14, P384_KEY)
  t.is(keyTagOfRdata(r384), 10771)
  t.is(Buffer.from(dsDigest(nameWire('example.net.'), r384, 4)).toString('hex'), '72d7b62976ce06438e9c0bf319013cf801f09ecc84b8d7e9495f27e305c6a9b0563a9b5f4d288405c3008a946df983d6')
})

test('key tags and DS digests of the RFC 8080 §6.1 examples match', (t) => {
  const r1 = rdata(257, 15, ED_KEY_1)
  t.is(keyTagOfRdata(r1), 3613)
  t.is(Buffer.from(dsDigest(nameWire('example.com.'), r1, 2)).toString('hex'), '3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b')
  const r2 = rdata(257, 15, ED_KEY_2)
  t.is(keyTagOfRdata(r2), 35217)
  t.is(Buffer.from(dsDigest(nameWire('example.com.'), r2, 2)).toString('hex'), '401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c')
})

test('the RFC 8080 private keys give the RFC 8080 public keys', (t) => {
  for (const [priv, pub] of [[ED_PRIV_1, ED_KEY_1], [ED_PRIV_2, ED_KEY_2]] as const) {
    const k = privateKeyFromRaw(15, priv)
    t.deepEqual(encodeDnskeyPublicKey(15, k), pub)
    t.deepEqual(privateKeyToRaw(15, k), priv)
  }
})

test('ED448 (16): the RFC 8080 §6.2 key tag, DS, and public key from the private key match', (t) => {
  t.is(DnssecAlgorithm.ED448, 16)
  const r = rdata(257, 16, ED448_KEY)
  t.is(keyTagOfRdata(r), 9713)
  t.is(Buffer.from(dsDigest(nameWire('example.com.'), r, 2)).toString('hex'), '6ccf18d5bc5d7fc2fceb1d59d17321402f2aa8d368048db93dd811f5cb2b19c7')
  const k = privateKeyFromRaw(16, ED448_PRIV)
  t.deepEqual(encodeDnskeyPublicKey(16, k), ED448_KEY)
  t.deepEqual(privateKeyToRaw(16, k), ED448_PRIV)
  t.is(keyBits(16, k), 456)
})

test('ED448 signs deterministically (RFC 8032 §5.2): the RFC 8080 key over a fixed message gives the known signature', (t) => {
  const k = privateKeyFromRaw(16, ED448_PRIV)
  // The vector Net::DNS::SEC's t/51-ED448.t checks for this key and message.
  const want = hex('01f546bfe2fd040170133b3797c1c95a31dbb2f216d95f44ced76998f7dc8e168f7082550a83eea4ebeb66e34696249d790db5ba76047ca9002a3dedc10e6d26bddc8378ff1a81815aa146e72a0d9672553b2aa5cc38354cbdf2b9c4b8e36a1cf7651f828fb64c200e2ee5d0686490910c00')
  const sig = signBytes(16, k, new TextEncoder().encode('arbitrary data'))
  t.is(sig.length, 114)
  t.deepEqual(sig, want)
  const pub = decodeDnskeyPublicKey(16, ED448_KEY)
  t.true(verifyBytes(16, pub, new TextEncoder().encode('arbitrary data'), sig))
  t.false(verifyBytes(16, pub, new TextEncoder().encode('corrupted data'), sig))
})

test('ED448 refuses wrong sizes and key types', (t) => {
  t.throws(() => decodeDnskeyPublicKey(16, new Uint8Array(32)), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_PUBLIC_KEY', message: /ED448 public key must be 57 octets, got 32/ })
  t.throws(() => privateKeyFromRaw(16, new Uint8Array(32)), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_PRIVATE_KEY', message: /ED448 seed must be 57 octets/ })
  const ed25519 = generateKeyPair(15)
  t.throws(() => encodeDnskeyPublicKey(16, ed25519.publicKey), { instanceOf: DnssecError, code: 'ERR_DNSSEC_KEY_MISMATCH', message: /ed25519 key cannot be used with ED448/ })
  t.throws(() => generateKeyPair(16, { bits: 256 }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_KEY_SIZE' })
  t.is(algorithmFromString('ed448'), 16)
  t.is(algorithmToString(16), 'ED448')
})

/** RRSIG RDATA without the signature, then the one canonical A record (RFC 4034 §3.1.8.1). */
function rfc6605SignedData(alg: number, exp: number, inc: number, tag: number): Uint8Array {
  const u32 = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
  return Uint8Array.from([
    0, 1, alg, 3, ...u32(3600), ...u32(exp), ...u32(inc), tag >> 8, tag & 0xff, ...nameWire('example.net.'),
    ...nameWire('www.example.net.'), 0, 1, 0, 1, ...u32(3600), 0, 4, 192, 0, 2, 1,
  ])
}

test('the RFC 6605 §6.1 ECDSAP256SHA256 signature verifies and a changed one does not', (t) => {
  const key = decodeDnskeyPublicKey(13, P256_KEY)
  const sig = b64('qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==')
  const data = rfc6605SignedData(13, Date.UTC(2010, 8, 9, 10, 4, 39) / 1000, Date.UTC(2010, 7, 12, 10, 4, 39) / 1000, 55648)
  t.true(verifyBytes(13, key, data, sig))
  data[data.length - 1] = 2
  t.false(verifyBytes(13, key, data, sig))
})

test('the RFC 6605 §6.2 ECDSAP384SHA384 signature verifies', (t) => {
  const key = decodeDnskeyPublicKey(14, P384_KEY)
  const sig = b64('/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm')
  const data = rfc6605SignedData(14, Date.UTC(2010, 8, 9, 10, 20, 25) / 1000, Date.UTC(2010, 7, 12, 10, 20, 25) / 1000, 10771)
  t.true(verifyBytes(14, key, data, sig))
})

test('every algorithm signs and verifies, and rejects a changed message', (t) => {
  for (const alg of [5, 7, 8, 10, 13, 14, 15, 16]) {
    const kp = generateKeyPair(alg, alg <= 10 ? { bits: 1024 } : {})
    const pub = decodeDnskeyPublicKey(alg, encodeDnskeyPublicKey(alg, kp.publicKey))
    const msg = new TextEncoder().encode(`message for ${algorithmToString(alg)}`)
    const sig = signBytes(alg, kp.privateKey, msg)
    t.true(verifyBytes(alg, pub, msg, sig), algorithmToString(alg))
    t.false(verifyBytes(alg, pub, msg.subarray(1), sig), algorithmToString(alg))
  }
})

test('RSA and Ed25519 signatures are deterministic', (t) => {
  for (const alg of [8, 15]) {
    const kp = generateKeyPair(alg, { bits: alg === 8 ? 1024 : 256 })
    const msg = Uint8Array.of(1, 2, 3)
    t.deepEqual(signBytes(alg, kp.privateKey, msg), signBytes(alg, kp.privateKey, msg))
  }
})

test('RSA public key encoding follows RFC 3110 and round-trips', (t) => {
  const kp = generateKeyPair(8, { bits: 1024 })
  const enc = encodeDnskeyPublicKey(8, kp.publicKey)
  t.is(enc[0], 3) // exponent 65537 takes three octets
  t.deepEqual(Array.from(enc.subarray(1, 4)), [1, 0, 1])
  t.is(enc.length, 1 + 3 + 128)
  const back = decodeDnskeyPublicKey(8, enc)
  t.true(back.equals(createPublicKey(kp.privateKey)))
  t.is(keyBits(8, kp.privateKey), 1024)
})

test('a 512-bit RSA key is made with a warning, never silently', (t) => {
  const kp = generateKeyPair(8, { bits: 512 })
  t.is(kp.bits, 512)
  t.regex(kp.warnings.join(' '), /weak/)
})

test('rejects RSA sizes outside 512–4096 bits', (t) => {
  t.throws(() => generateKeyPair(8, { bits: 256 }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_KEY_SIZE' })
  t.throws(() => generateKeyPair(8, { bits: 8192 }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_KEY_SIZE' })
  t.throws(() => generateKeyPair(10, { bits: 512 }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_KEY_SIZE' })
})

test('rejects an unsupported algorithm by code', (t) => {
  t.throws(() => generateKeyPair(3), { instanceOf: DnssecError, code: 'ERR_DNSSEC_UNSUPPORTED_ALGORITHM' })
  t.throws(() => algorithmFromString('RSAMD5'), { instanceOf: DnssecError, code: 'ERR_DNSSEC_UNSUPPORTED_ALGORITHM' })
})

test('parses algorithm mnemonics and numbers', (t) => {
  t.is(algorithmFromString('ecdsap256sha256'), DnssecAlgorithm.ECDSAP256SHA256)
  t.is(algorithmFromString('RSASHA1-NSEC3-SHA1'), 7)
  t.is(algorithmFromString('NSEC3RSASHA1'), 7)
  t.is(algorithmFromString('15'), 15)
  t.is(digestTypeFromString('SHA-384'), 4)
  t.throws(() => digestTypeFromString('md5'), { code: 'ERR_DNSSEC_UNSUPPORTED_DIGEST' })
})

test('rejects malformed DNSKEY public keys with a coded error', (t) => {
  t.throws(() => decodeDnskeyPublicKey(13, new Uint8Array(63)), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_PUBLIC_KEY' })
  t.throws(() => decodeDnskeyPublicKey(15, new Uint8Array(31)), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_PUBLIC_KEY' })
  t.throws(() => decodeDnskeyPublicKey(8, Uint8Array.of(5, 1, 2)), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_PUBLIC_KEY' })
  // a point not on the curve
  t.throws(() => decodeDnskeyPublicKey(13, new Uint8Array(64).fill(1)), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_PUBLIC_KEY' })
})

test('a key of the wrong type is refused for an algorithm', (t) => {
  const ec = generateKeyPair(13)
  t.throws(() => encodeDnskeyPublicKey(14, ec.publicKey), { instanceOf: DnssecError, code: 'ERR_DNSSEC_KEY_MISMATCH' })
  t.throws(() => encodeDnskeyPublicKey(8, ec.publicKey), { instanceOf: DnssecError, code: 'ERR_DNSSEC_KEY_MISMATCH' })
})

test('verify returns false for a signature of the wrong length', (t) => {
  const kp = generateKeyPair(13)
  t.false(verifyBytes(13, kp.publicKey, Uint8Array.of(1), new Uint8Array(10)))
})

test('converts a DER ECDSA signature to raw r|s', (t) => {
  const der = hex('3006020101020200ff')
  t.deepEqual(Buffer.from(ecdsaDerToRaw(der, 4)).toString('hex'), '00000001000000ff')
})

test('key tag uses the algorithm 1 rule of RFC 4034 Appendix B.1', (t) => {
  const r = Uint8Array.of(1, 0, 3, 1, 1, 3, 9, 9, 0xab, 0xcd, 0xef)
  t.is(keyTagOfRdata(r), 0xabcd)
})

test('the REVOKE flag changes the key tag', (t) => {
  t.not(keyTagOfRdata(rdata(257, 13, P256_KEY)), keyTagOfRdata(rdata(257 | 0x80, 13, P256_KEY)))
})
