/**
 * NSEC3 hashing (RFC 5155 §5) and the NSEC3 parameters a signer uses.
 */
import { createHash, hash as cryptoHash } from 'node:crypto'
import { Name, toBase32Hex } from '@secdns/wire'
import { DnssecError } from './errors.js'

/** NSEC3 parameters of a chain. */
export interface Nsec3Params {
  /** Hash algorithm: 1 (SHA-1) is the only one defined (RFC 5155 §11). */
  hashAlgorithm: 1
  iterations: number
  salt: Uint8Array
  optOut: boolean
}

/**
 * Largest iteration count secdns signs with. RFC 9276 §3.1 says 0 SHOULD be used; validators
 * treat more than 100 as insecure (RFC 9276 §3.2), so more would make the zone unverifiable.
 */
export const MAX_SIGN_ITERATIONS = 100

/**
 * RFC 9276 defaults: iterations 0, empty salt, no opt-out.
 */
export function defaultNsec3Params(): Nsec3Params {
  return { hashAlgorithm: 1, iterations: 0, salt: new Uint8Array(0), optOut: false }
}

/**
 * Parse a salt given as hex, or '-' / '' for the empty salt (RFC 5155 §3.3 presentation).
 *
 * @throws {DnssecError} ERR_DNSSEC_BAD_SALT
 */
export function parseSalt(text: string): Uint8Array {
  const t = text.trim()
  if (t === '-' || t === '') return new Uint8Array(0)
  if (!/^([0-9a-fA-F]{2})+$/.test(t) || t.length > 510) throw new DnssecError('ERR_DNSSEC_BAD_SALT', `bad NSEC3 salt "${text}": use an even number of hex digits (at most 255 octets) or "-"`)
  return new Uint8Array(Buffer.from(t, 'hex'))
}

/**
 * The NSEC3 hash of a name (RFC 5155 §5): IH(salt, x, 0) = H(x || salt),
 * IH(salt, x, k) = H(IH(salt, x, k-1) || salt), x the canonical wire form of the owner.
 */
export function nsec3Hash(name: Name, salt: Uint8Array, iterations: number): Uint8Array {
  // One-shot crypto.hash over x || salt: about five times cheaper than a Hash object per
  // name, which made hashing a 100,000-name zone a visible share of the signing time.
  const x = name.canonicalWire()
  let buf = hashInput
  if (buf.length < 255 + salt.length) buf = hashInput = new Uint8Array(255 + salt.length + 64)
  buf.set(x, 0); buf.set(salt, x.length)
  let h = sha1(buf.subarray(0, x.length + salt.length))
  for (let i = 0; i < iterations; i++) { buf.set(h, 0); buf.set(salt, 20); h = sha1(buf.subarray(0, 20 + salt.length)) }
  return new Uint8Array(h.buffer, h.byteOffset, h.length)
}

/** Scratch input of {@link nsec3Hash}: a name (at most 255 octets) followed by the salt. */
let hashInput = new Uint8Array(512)

/** SHA-1 of bytes (crypto.hash where node has it, else a Hash object). */
const sha1: (b: Uint8Array) => Uint8Array = typeof cryptoHash === 'function'
  ? (b) => cryptoHash('sha1', b, 'buffer')
  : (b) => createHash('sha1').update(b).digest()

/** The owner name of the NSEC3 record for a name: base32hex(hash) + '.' + zone (RFC 5155 §3). */
export function nsec3Owner(hash: Uint8Array, zone: Name): Name {
  // The name's wire form made at once: the label (base32hex, lowercase, no padding) as
  // octets, then the zone; no text to parse back.
  const len = Math.ceil(hash.length * 8 / 5)
  if (len > 63 || len + 1 + zone.wire.length > 255) return zone.prepend(toBase32Hex(hash).toLowerCase())
  const w = new Uint8Array(len + 1 + zone.wire.length)
  w[0] = len
  let val = 0
  let bits = 0
  let o = 1
  for (let i = 0; i < hash.length; i++) {
    val = ((val << 8) | hash[i]!) & 0xfff
    bits += 8
    while (bits >= 5) { bits -= 5; w[o++] = B32HEX_LOWER[(val >>> bits) & 31]! }
  }
  if (bits > 0) w[o++] = B32HEX_LOWER[(val << (5 - bits)) & 31]!
  w.set(zone.wire, o)
  return new Name(w)
}

/** Base32hex digits (RFC 4648 §7), lowercase, as octets. */
const B32HEX_LOWER = new Uint8Array(Buffer.from('0123456789abcdefghijklmnopqrstuv', 'latin1'))
