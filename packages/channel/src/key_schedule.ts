/**
 * The key schedule of RFC 7296 §2.13–§2.14 (prf, prf+, SKEYSEED) and §2.17 (child SA
 * KEYMAT), with HMAC-SHA-256 or HMAC-SHA-384 as prf (RFC 4868).
 */
import { createHmac } from 'node:crypto'
import { TRANSFORMS, type DirectionKey, type TransformSpec } from './transforms.js'

/** Names of the pseudo-random functions. */
export type PrfName = 'HMAC-SHA-256' | 'HMAC-SHA-384'

/** IANA IKEv2 PRF transform ids: PRF_HMAC_SHA2_256 = 5, PRF_HMAC_SHA2_384 = 6. */
export const PRFS: Readonly<Record<PrfName, number>> = { 'HMAC-SHA-256': 5, 'HMAC-SHA-384': 6 }

/** The PRF with IANA id `id`, or undefined. */
export function prfById(id: number): PrfName | undefined {
  return id === 5 ? 'HMAC-SHA-256' : id === 6 ? 'HMAC-SHA-384' : undefined
}

/** Output octets of a PRF (also its preferred key length, RFC 7296 §2.13). */
export function prfOctets(prf: PrfName): number {
  return prf === 'HMAC-SHA-256' ? 32 : 48
}

/** prf(K, S). */
export function prf(alg: PrfName, key: Uint8Array, ...data: Uint8Array[]): Buffer {
  const h = createHmac(alg === 'HMAC-SHA-256' ? 'sha256' : 'sha384', key)
  for (const d of data) h.update(d)
  return h.digest()
}

/**
 * prf+(K, S) = T1 | T2 | …, T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) (RFC 7296 §2.13).
 *
 * @throws {RangeError} when more than 255 blocks are asked for (the counter is one octet)
 */
export function prfPlus(alg: PrfName, key: Uint8Array, seed: Uint8Array, length: number): Buffer {
  const size = prfOctets(alg)
  const blocks = Math.ceil(length / size)
  // RFC 7296 §2.13: "this function is only defined for up to 255 iterations".
  if (blocks > 255) throw new RangeError(`prf+ asked for ${length} octets, more than 255 blocks`)
  const out = Buffer.allocUnsafe(blocks * size)
  let prev: Uint8Array = new Uint8Array(0)
  for (let i = 1; i <= blocks; i++) {
    prev = prf(alg, key, prev, seed, Uint8Array.of(i))
    out.set(prev, (i - 1) * size)
  }
  return out.subarray(0, length)
}

/** The keys of the IKE SA. SK_e protects the encrypted exchanges (AUTH, CREATE_CHILD_SA, INFORMATIONAL). */
export interface IkeKeys {
  readonly skD: Uint8Array
  /** Initiator → responder SK payload key (AES-256-GCM, RFC 5282). */
  readonly skEi: DirectionKey
  /** Responder → initiator SK payload key. */
  readonly skEr: DirectionKey
  readonly skPi: Uint8Array
  readonly skPr: Uint8Array
}

/** The IKE SA always protects its own messages with AES-256-GCM, whatever the records use. */
export const IKE_SA_TRANSFORM: TransformSpec = TRANSFORMS['AES-256-GCM']

function split(buf: Uint8Array, at: number, keyOctets: number): DirectionKey {
  return { key: buf.subarray(at, at + keyOctets), salt: buf.subarray(at + keyOctets, at + keyOctets + 4) }
}

/**
 * Derive the IKE SA keys. RFC 7296 §2.14:
 * SKEYSEED = prf(Ni | Nr, g^ir);
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
 * With an AEAD (RFC 5282 §7) there is no SK_a.
 */
export function deriveIkeKeys(alg: PrfName, sharedSecret: Uint8Array, ni: Uint8Array, nr: Uint8Array, spiI: Uint8Array, spiR: Uint8Array): IkeKeys {
  return expandIkeKeys(alg, prf(alg, Buffer.concat([ni, nr]), sharedSecret), ni, nr, spiI, spiR)
}

/**
 * Derive the keys of a new IKE SA that rekeys an old one. RFC 7296 §2.18:
 * SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), then the same prf+ as §2.14 with the
 * new SPIs — so the new keys depend on the old SA's SK_d and on a fresh Diffie-Hellman.
 */
export function deriveRekeyedIkeKeys(alg: PrfName, oldSkD: Uint8Array, sharedSecret: Uint8Array, ni: Uint8Array, nr: Uint8Array, spiI: Uint8Array, spiR: Uint8Array): IkeKeys {
  return expandIkeKeys(alg, prf(alg, oldSkD, sharedSecret, ni, nr), ni, nr, spiI, spiR)
}

function expandIkeKeys(alg: PrfName, skeyseed: Uint8Array, ni: Uint8Array, nr: Uint8Array, spiI: Uint8Array, spiR: Uint8Array): IkeKeys {
  const p = prfOctets(alg)
  const e = IKE_SA_TRANSFORM.keyOctets + 4
  const km = prfPlus(alg, skeyseed, Buffer.concat([ni, nr, spiI, spiR]), p + 2 * e + 2 * p)
  return {
    skD: km.subarray(0, p),
    skEi: split(km, p, IKE_SA_TRANSFORM.keyOctets),
    skEr: split(km, p + e, IKE_SA_TRANSFORM.keyOctets),
    skPi: km.subarray(p + 2 * e, 2 * p + 2 * e),
    skPr: km.subarray(2 * p + 2 * e, 3 * p + 2 * e),
  }
}

/** Keys of one child SA: initiator → responder and responder → initiator. */
export interface ChildKeys {
  readonly i2r: DirectionKey
  readonly r2i: DirectionKey
}

/**
 * Derive child SA keys. RFC 7296 §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr); the
 * initiator-to-responder keys are taken first. A rekey uses the nonces of its own
 * CREATE_CHILD_SA exchange, so every child SA gets fresh keys.
 */
export function deriveChildKeys(alg: PrfName, skD: Uint8Array, transform: TransformSpec, ni: Uint8Array, nr: Uint8Array, sharedSecret?: Uint8Array): ChildKeys {
  const e = transform.keyOctets + transform.saltOctets
  const seed = sharedSecret === undefined ? Buffer.concat([ni, nr]) : Buffer.concat([sharedSecret, ni, nr])
  const km = prfPlus(alg, skD, seed, 2 * e)
  return { i2r: split(km, 0, transform.keyOctets), r2i: split(km, e, transform.keyOctets) }
}
