/**
 * NSEC3 hashing (RFC 5155 §5) and the NSEC3 parameters a signer uses.
 */
import { createHash } from 'node:crypto'
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
  let h = createHash('sha1').update(name.canonicalWire()).update(salt).digest()
  for (let i = 0; i < iterations; i++) h = createHash('sha1').update(h).update(salt).digest()
  return new Uint8Array(h)
}

/** The owner name of the NSEC3 record for a name: base32hex(hash) + '.' + zone (RFC 5155 §3). */
export function nsec3Owner(hash: Uint8Array, zone: Name): Name {
  return zone.prepend(toBase32Hex(hash).toLowerCase())
}
