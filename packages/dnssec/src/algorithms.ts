/**
 * DNSSEC signing algorithms on node:crypto: key generation, the DNSKEY public-key
 * encodings (RFC 3110 RSA, RFC 6605 ECDSA, RFC 8080 Ed25519) and sign/verify over bytes.
 */
import {
  createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign,
  verify as cryptoVerify, createECDH, type KeyObject, type JsonWebKey,
} from 'node:crypto'
import { DnssecError } from './errors.js'

/** DNS Security Algorithm Numbers (IANA registry) that secdns signs with. */
export const DnssecAlgorithm = {
  RSASHA1: 5,
  RSASHA1_NSEC3_SHA1: 7,
  RSASHA256: 8,
  RSASHA512: 10,
  ECDSAP256SHA256: 13,
  ECDSAP384SHA384: 14,
  ED25519: 15,
  ED448: 16,
} as const

/** Mnemonics as BIND and the IANA registry print them. */
const MNEMONICS: Readonly<Record<number, string>> = {
  5: 'RSASHA1', 7: 'NSEC3RSASHA1', 8: 'RSASHA256', 10: 'RSASHA512',
  13: 'ECDSAP256SHA256', 14: 'ECDSAP384SHA384', 15: 'ED25519', 16: 'ED448',
}

/** Family and parameters of one algorithm. */
export interface AlgorithmInfo {
  readonly number: number
  readonly mnemonic: string
  readonly family: 'rsa' | 'ecdsa' | 'eddsa'
  /** node:crypto hash name, or null for Ed25519 and Ed448 (hash built in). */
  readonly hash: string | null
  /** Named curve (ECDSA) or null. */
  readonly curve: 'P-256' | 'P-384' | null
  /** Octets of one coordinate / scalar (ECDSA), of the public key and seed (EdDSA: 32 or 57). */
  readonly fieldBytes: number
  /** Default key size in bits. */
  readonly defaultBits: number
}

const INFO: Readonly<Record<number, AlgorithmInfo>> = {
  5: { number: 5, mnemonic: 'RSASHA1', family: 'rsa', hash: 'sha1', curve: null, fieldBytes: 0, defaultBits: 2048 },
  7: { number: 7, mnemonic: 'NSEC3RSASHA1', family: 'rsa', hash: 'sha1', curve: null, fieldBytes: 0, defaultBits: 2048 },
  8: { number: 8, mnemonic: 'RSASHA256', family: 'rsa', hash: 'sha256', curve: null, fieldBytes: 0, defaultBits: 2048 },
  10: { number: 10, mnemonic: 'RSASHA512', family: 'rsa', hash: 'sha512', curve: null, fieldBytes: 0, defaultBits: 2048 },
  13: { number: 13, mnemonic: 'ECDSAP256SHA256', family: 'ecdsa', hash: 'sha256', curve: 'P-256', fieldBytes: 32, defaultBits: 256 },
  14: { number: 14, mnemonic: 'ECDSAP384SHA384', family: 'ecdsa', hash: 'sha384', curve: 'P-384', fieldBytes: 48, defaultBits: 384 },
  15: { number: 15, mnemonic: 'ED25519', family: 'eddsa', hash: null, curve: null, fieldBytes: 32, defaultBits: 256 },
  // RFC 8080 §3: 57-octet public keys and 114-octet signatures (RFC 8032 §5.2).
  16: { number: 16, mnemonic: 'ED448', family: 'eddsa', hash: null, curve: null, fieldBytes: 57, defaultBits: 456 },
}

/** Smallest and largest RSA modulus Windows Server lets a DNSSEC key have. */
export const MIN_RSA_BITS = 512
/** Largest RSA modulus (bits). */
export const MAX_RSA_BITS = 4096
/** Below this an RSA key is weak and secdns warns (never silently). */
export const WEAK_RSA_BITS = 2048

/**
 * Parameters of a supported algorithm.
 *
 * @param alg algorithm number
 * @throws {DnssecError} ERR_DNSSEC_UNSUPPORTED_ALGORITHM
 */
export function algorithmInfo(alg: number): AlgorithmInfo {
  const info = INFO[alg]
  if (info === undefined) {
    throw new DnssecError('ERR_DNSSEC_UNSUPPORTED_ALGORITHM', `DNSSEC algorithm ${alg} (${algorithmToString(alg)}) is not supported; use one of ${Object.values(MNEMONICS).join(', ')}`)
  }
  return info
}

/** True when secdns can sign and verify with this algorithm number. */
export function isSupportedAlgorithm(alg: number): boolean {
  return INFO[alg] !== undefined
}

/** The mnemonic of an algorithm number ('ECDSAP256SHA256'), or its number as text. */
export function algorithmToString(alg: number): string {
  return MNEMONICS[alg] ?? String(alg)
}

/**
 * Parse an algorithm given as a number or a mnemonic (case-insensitive; accepts
 * 'RSASHA1-NSEC3-SHA1', 'NSEC3RSASHA1', 'ECDSA256', 'ED25519').
 *
 * @throws {DnssecError} ERR_DNSSEC_UNSUPPORTED_ALGORITHM
 */
export function algorithmFromString(text: string): number {
  const t = text.trim().toUpperCase().replace(/_/g, '-')
  if (/^\d+$/.test(t)) return algorithmInfo(Number(t)).number
  const aliases: Record<string, number> = {
    'RSASHA1': 5, 'RSASHA1-NSEC3-SHA1': 7, 'NSEC3RSASHA1': 7, 'RSASHA256': 8, 'RSASHA512': 10,
    'ECDSAP256SHA256': 13, 'ECDSA256': 13, 'ECDSAP384SHA384': 14, 'ECDSA384': 14, 'ED25519': 15, 'ED448': 16,
  }
  const n = aliases[t]
  if (n === undefined) throw new DnssecError('ERR_DNSSEC_UNSUPPORTED_ALGORITHM', `unknown DNSSEC algorithm "${text}"; use one of ${Object.values(MNEMONICS).join(', ')}`)
  return n
}

/** A generated key pair with the DNSKEY public-key field. */
export interface KeyPair {
  readonly algorithm: number
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** Bits of the RSA modulus, curve order size for ECDSA, 256 for Ed25519, 456 for Ed448. */
  readonly bits: number
  /** Warnings for the operator (weak RSA sizes); never empty silently. */
  readonly warnings: readonly string[]
}

/**
 * Generate a key pair for a DNSSEC algorithm.
 *
 * @param alg algorithm number
 * @param opts bits: RSA modulus size 512–4096 (default 2048); ignored for ECDSA and Ed25519
 * @throws {DnssecError} ERR_DNSSEC_UNSUPPORTED_ALGORITHM, ERR_DNSSEC_BAD_KEY_SIZE
 * @example
 * const kp = generateKeyPair(DnssecAlgorithm.ECDSAP256SHA256)
 */
export function generateKeyPair(alg: number, opts: { bits?: number } = {}): KeyPair {
  const info = algorithmInfo(alg)
  const warnings: string[] = []
  if (info.family === 'rsa') {
    const bits = opts.bits ?? info.defaultBits
    if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
      throw new DnssecError('ERR_DNSSEC_BAD_KEY_SIZE', `RSA key size ${bits} is out of range ${MIN_RSA_BITS}–${MAX_RSA_BITS} bits`)
    }
    // RFC 5702 §2: RSASHA512 keys are 1024–4096 bits.
    if (alg === DnssecAlgorithm.RSASHA512 && bits < 1024) {
      throw new DnssecError('ERR_DNSSEC_BAD_KEY_SIZE', `RSASHA512 keys must be at least 1024 bits (RFC 5702 §2), got ${bits}`)
    }
    if (bits < WEAK_RSA_BITS) warnings.push(`RSA key of ${bits} bits is weak; use at least ${WEAK_RSA_BITS} bits (RFC 8624)`)
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 })
    return { algorithm: alg, privateKey, publicKey, bits, warnings }
  }
  if (opts.bits !== undefined && opts.bits !== info.defaultBits) {
    throw new DnssecError('ERR_DNSSEC_BAD_KEY_SIZE', `${info.mnemonic} keys are always ${info.defaultBits} bits, got --bits ${opts.bits}`)
  }
  if (info.family === 'ecdsa') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: info.curve === 'P-256' ? 'prime256v1' : 'secp384r1' })
    return { algorithm: alg, privateKey, publicKey, bits: info.defaultBits, warnings }
  }
  const { privateKey, publicKey } = alg === DnssecAlgorithm.ED448 ? generateKeyPairSync('ed448') : generateKeyPairSync('ed25519')
  return { algorithm: alg, privateKey, publicKey, bits: info.defaultBits, warnings }
}

function b64u(s: string | undefined, what: string): Buffer {
  if (s === undefined) throw new DnssecError('ERR_DNSSEC_BAD_PUBLIC_KEY', `key has no ${what}`)
  return Buffer.from(s, 'base64url')
}

/** Left-pad a big-endian integer to `len` octets (JWK strips nothing, but be safe). */
function pad(b: Uint8Array, len: number): Uint8Array {
  if (b.length === len) return b
  if (b.length > len) throw new DnssecError('ERR_DNSSEC_BAD_PUBLIC_KEY', `integer of ${b.length} octets does not fit in ${len}`)
  const out = new Uint8Array(len)
  out.set(b, len - b.length)
  return out
}

/** Strip leading zero octets of a big-endian integer (RFC 3110 §2 encodes them minimal). */
function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0
  while (i < b.length - 1 && b[i] === 0) i++
  return b.subarray(i)
}

/**
 * The DNSKEY public-key field of a public (or private) key.
 *
 * @param alg algorithm number the key is used with
 * @param key a node:crypto KeyObject of the right type
 * @throws {DnssecError} ERR_DNSSEC_KEY_MISMATCH when the key does not suit the algorithm
 */
export function encodeDnskeyPublicKey(alg: number, key: KeyObject): Uint8Array {
  const info = algorithmInfo(alg)
  const pub = key.type === 'private' ? createPublicKey(key) : key
  checkKeyType(info, pub)
  const jwk = pub.export({ format: 'jwk' }) as JsonWebKey
  if (info.family === 'rsa') {
    // RFC 3110 §2: exponent length (1 octet, or 0 then 2 octets), exponent, modulus.
    const e = stripZeros(b64u(jwk.e, 'exponent'))
    const n = stripZeros(b64u(jwk.n, 'modulus'))
    const head = e.length <= 255 ? Uint8Array.of(e.length) : Uint8Array.of(0, e.length >> 8, e.length & 0xff)
    const out = new Uint8Array(head.length + e.length + n.length)
    out.set(head, 0); out.set(e, head.length); out.set(n, head.length + e.length)
    return out
  }
  if (info.family === 'ecdsa') {
    // RFC 6605 §4: the public key is Q as x | y, each exactly fieldBytes octets, no 0x04 prefix.
    const out = new Uint8Array(info.fieldBytes * 2)
    out.set(pad(b64u(jwk.x, 'x'), info.fieldBytes), 0)
    out.set(pad(b64u(jwk.y, 'y'), info.fieldBytes), info.fieldBytes)
    return out
  }
  // RFC 8080 §3: the public key of RFC 8032 (32 octets Ed25519, 57 octets Ed448).
  return new Uint8Array(b64u(jwk.x, 'x'))
}

function checkKeyType(info: AlgorithmInfo, key: KeyObject): void {
  const t = key.asymmetricKeyType
  const want = info.family === 'rsa' ? 'rsa' : info.family === 'ecdsa' ? 'ec' : info.number === DnssecAlgorithm.ED448 ? 'ed448' : 'ed25519'
  if (t !== want) throw new DnssecError('ERR_DNSSEC_KEY_MISMATCH', `a ${t ?? 'unknown'} key cannot be used with ${info.mnemonic}`)
  if (info.family === 'ecdsa') {
    const crv = key.asymmetricKeyDetails?.namedCurve
    const wantCurve = info.curve === 'P-256' ? 'prime256v1' : 'secp384r1'
    if (crv !== wantCurve) throw new DnssecError('ERR_DNSSEC_KEY_MISMATCH', `an EC key on ${crv ?? 'unknown curve'} cannot be used with ${info.mnemonic}`)
  }
}

/**
 * Turn a DNSKEY public-key field into a node:crypto public key.
 *
 * @throws {DnssecError} ERR_DNSSEC_BAD_PUBLIC_KEY for malformed fields
 */
export function decodeDnskeyPublicKey(alg: number, data: Uint8Array): KeyObject {
  const info = algorithmInfo(alg)
  try {
    if (info.family === 'rsa') {
      if (data.length < 3) throw new Error(`RSA public key field of ${data.length} octets is too short`)
      let off = 1
      let elen = data[0]!
      // RFC 3110 §2: a zero first octet means a two-octet exponent length follows.
      if (elen === 0) { elen = (data[1]! << 8) | data[2]!; off = 3 }
      if (elen === 0 || off + elen >= data.length) throw new Error(`RSA exponent length ${elen} overruns the ${data.length}-octet key field`)
      const e = data.subarray(off, off + elen)
      const n = data.subarray(off + elen)
      const bits = n.length * 8
      if (bits > MAX_RSA_BITS + 8 || n.length < 1) throw new Error(`RSA modulus of ${n.length} octets is out of range`)
      return createPublicKey({ key: { kty: 'RSA', n: Buffer.from(n).toString('base64url'), e: Buffer.from(e).toString('base64url') }, format: 'jwk' })
    }
    if (info.family === 'ecdsa') {
      if (data.length !== info.fieldBytes * 2) throw new Error(`${info.mnemonic} public key must be ${info.fieldBytes * 2} octets, got ${data.length}`)
      const x = Buffer.from(data.subarray(0, info.fieldBytes)).toString('base64url')
      const y = Buffer.from(data.subarray(info.fieldBytes)).toString('base64url')
      return createPublicKey({ key: { kty: 'EC', crv: info.curve!, x, y }, format: 'jwk' })
    }
    if (data.length !== info.fieldBytes) throw new Error(`${info.mnemonic} public key must be ${info.fieldBytes} octets, got ${data.length}`)
    const crv = info.number === DnssecAlgorithm.ED448 ? 'Ed448' : 'Ed25519'
    return createPublicKey({ key: { kty: 'OKP', crv, x: Buffer.from(data).toString('base64url') }, format: 'jwk' })
  } catch (e) {
    if (e instanceof DnssecError) throw e
    throw new DnssecError('ERR_DNSSEC_BAD_PUBLIC_KEY', `bad ${info.mnemonic} DNSKEY public key: ${(e as Error).message}`, { cause: e })
  }
}

/**
 * Sign bytes with a DNSSEC algorithm. ECDSA signatures come out raw r | s
 * (RFC 6605 §4), RSA as PKCS #1 v1.5 (RFC 3110, 5702), Ed25519 and Ed448 as RFC 8032.
 *
 * @throws {DnssecError} ERR_DNSSEC_KEY_MISMATCH
 */
export function signBytes(alg: number, privateKey: KeyObject, data: Uint8Array): Uint8Array {
  const info = algorithmInfo(alg)
  if (info.family === 'ecdsa') {
    // RFC 6605 §4: r and s as fixed-size big-endian integers, concatenated (not DER).
    return new Uint8Array(cryptoSign(info.hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' }))
  }
  return new Uint8Array(cryptoSign(info.hash, data, privateKey))
}

/**
 * Verify a DNSSEC signature over bytes. Returns false for a wrong or malformed
 * signature; never throws on attacker-controlled signature bytes.
 */
export function verifyBytes(alg: number, publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const info = algorithmInfo(alg)
  try {
    if (info.family === 'ecdsa') {
      if (signature.length !== info.fieldBytes * 2) return false
      return cryptoVerify(info.hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)
    }
    return cryptoVerify(info.hash, data, publicKey, signature)
  } catch {
    return false
  }
}

/** Convert a DER ECDSA signature (SEQUENCE { r, s }) into raw r | s of `fieldBytes` each. */
export function ecdsaDerToRaw(der: Uint8Array, fieldBytes: number): Uint8Array {
  const bad = (why: string): never => { throw new DnssecError('ERR_DNSSEC_VERIFY_FAILED', `bad DER ECDSA signature: ${why}`) }
  let p = 0
  if (der[p++] !== 0x30) bad('not a SEQUENCE')
  let len = der[p++] ?? bad('truncated')
  if (len & 0x80) { const n = len & 0x7f; len = 0; for (let i = 0; i < n; i++) len = (len << 8) | (der[p++] ?? bad('truncated')) }
  const out = new Uint8Array(fieldBytes * 2)
  for (let k = 0; k < 2; k++) {
    if (der[p++] !== 0x02) bad('not an INTEGER')
    const l = der[p++] ?? bad('truncated')
    let v = der.subarray(p, p + l)
    p += l
    while (v.length > 0 && v[0] === 0) v = v.subarray(1)
    if (v.length > fieldBytes) bad('integer too long')
    out.set(v, k * fieldBytes + fieldBytes - v.length)
  }
  return out
}

/**
 * Rebuild a private key from the raw private scalar / seed (ECDSA d, Ed25519 seed), as
 * BIND's `.private` files keep them.
 */
export function privateKeyFromRaw(alg: number, raw: Uint8Array): KeyObject {
  const info = algorithmInfo(alg)
  try {
    if (info.family === 'ecdsa') {
      if (raw.length !== info.fieldBytes) throw new Error(`private scalar must be ${info.fieldBytes} octets, got ${raw.length}`)
      const ecdh = createECDH(info.curve === 'P-256' ? 'prime256v1' : 'secp384r1')
      ecdh.setPrivateKey(raw)
      const q = ecdh.getPublicKey()
      const f = info.fieldBytes
      return createPrivateKey({
        key: { kty: 'EC', crv: info.curve!, d: Buffer.from(raw).toString('base64url'), x: q.subarray(1, 1 + f).toString('base64url'), y: q.subarray(1 + f).toString('base64url') },
        format: 'jwk',
      })
    }
    if (info.family === 'eddsa') {
      if (raw.length !== info.fieldBytes) throw new Error(`${info.mnemonic} seed must be ${info.fieldBytes} octets, got ${raw.length}`)
      // PKCS #8 wrapper of RFC 8410 §7 around the seed (OID 1.3.101.112 Ed25519, 1.3.101.113 Ed448).
      const prefix = Buffer.from(info.number === DnssecAlgorithm.ED448 ? '3047020100300506032b6571043b0439' : '302e020100300506032b657004220420', 'hex')
      return createPrivateKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'pkcs8' })
    }
    throw new Error('RSA private keys are not a single raw value')
  } catch (e) {
    throw new DnssecError('ERR_DNSSEC_BAD_PRIVATE_KEY', `bad ${info.mnemonic} private key: ${(e as Error).message}`, { cause: e })
  }
}

/** The raw private scalar (ECDSA) or seed (Ed25519, Ed448) of a private key. */
export function privateKeyToRaw(alg: number, key: KeyObject): Uint8Array {
  const info = algorithmInfo(alg)
  const jwk = key.export({ format: 'jwk' }) as JsonWebKey
  if (jwk.d === undefined) throw new DnssecError('ERR_DNSSEC_BAD_PRIVATE_KEY', 'key has no private part')
  const d = Buffer.from(jwk.d, 'base64url')
  return info.family === 'ecdsa' ? pad(d, info.fieldBytes) : new Uint8Array(d)
}

/** Size in bits of a key (RSA modulus; fixed for ECDSA, Ed25519 and Ed448). */
export function keyBits(alg: number, key: KeyObject): number {
  const info = algorithmInfo(alg)
  if (info.family === 'rsa') return key.asymmetricKeyDetails?.modulusLength ?? 0
  return info.defaultBits
}

/**
 * Key tag of a DNSKEY RDATA (RFC 4034 Appendix B), with the algorithm 1 rule (B.1).
 *
 * @param rdata DNSKEY RDATA: flags(2) protocol(1) algorithm(1) public key
 */
export function keyTagOfRdata(rdata: Uint8Array): number {
  if (rdata.length < 4) throw new DnssecError('ERR_DNSSEC_BAD_PUBLIC_KEY', `DNSKEY RDATA of ${rdata.length} octets is too short`)
  // RFC 4034 Appendix B.1: for algorithm 1 (RSA/MD5) the tag is the most significant 16
  // bits of the least significant 24 bits of the modulus.
  if (rdata[3] === 1) {
    if (rdata.length < 7) return 0
    return (rdata[rdata.length - 3]! << 8) | rdata[rdata.length - 2]!
  }
  let ac = 0
  for (let i = 0; i < rdata.length; i++) ac += (i & 1) ? rdata[i]! : rdata[i]! << 8
  ac += (ac >>> 16) & 0xffff
  return ac & 0xffff
}

/** DS digest types (IANA) secdns computes. */
export const DigestType = { SHA1: 1, SHA256: 2, SHA384: 4 } as const

const DIGESTS: Readonly<Record<number, string>> = { 1: 'sha1', 2: 'sha256', 4: 'sha384' }

/**
 * Parse a digest type given as a number or name ('sha256', 'SHA-384', '2').
 *
 * @throws {DnssecError} ERR_DNSSEC_UNSUPPORTED_DIGEST
 */
export function digestTypeFromString(text: string): number {
  const t = text.trim().toLowerCase().replace(/-/g, '')
  const m: Record<string, number> = { '1': 1, 'sha1': 1, '2': 2, 'sha256': 2, '4': 4, 'sha384': 4 }
  const n = m[t]
  if (n === undefined) throw new DnssecError('ERR_DNSSEC_UNSUPPORTED_DIGEST', `unknown DS digest type "${text}"; use sha1, sha256 or sha384`)
  return n
}

/**
 * The DS digest (RFC 4034 §5.1.4): digest(canonical owner name | DNSKEY RDATA).
 *
 * @param ownerCanonicalWire lowercased uncompressed owner name
 * @param dnskeyRdata DNSKEY RDATA
 * @param digestType 1 (SHA-1), 2 (SHA-256, RFC 4509), 4 (SHA-384, RFC 6605)
 * @throws {DnssecError} ERR_DNSSEC_UNSUPPORTED_DIGEST
 */
export function dsDigest(ownerCanonicalWire: Uint8Array, dnskeyRdata: Uint8Array, digestType: number): Uint8Array {
  const h = DIGESTS[digestType]
  if (h === undefined) throw new DnssecError('ERR_DNSSEC_UNSUPPORTED_DIGEST', `DS digest type ${digestType} is not supported (1, 2, 4 are)`)
  return new Uint8Array(createHash(h).update(ownerCanonicalWire).update(dnskeyRdata).digest())
}

/** DNSKEY flag bits (RFC 4034 §2.1.1, RFC 5011 §7). */
export const DnskeyFlags = { ZONE: 0x0100, SEP: 0x0001, REVOKE: 0x0080 } as const
