/**
 * Record protection transforms (the ESP "encryption algorithms" of this design) and the
 * AEAD primitives under them, all on node:crypto.
 *
 * - AES-GCM with a 16-octet ICV, RFC 4106 (ESP) / RFC 5282 (IKEv2 SK payload);
 * - ChaCha20-Poly1305, RFC 7634;
 * - AES-GMAC, RFC 4543 (ENCR_NULL_AUTH_AES_GMAC): integrity only, the payload travels in
 *   clear and is authenticated as additional data with an empty plaintext.
 *
 * With the native addon loaded (see native.ts) the same primitives run in one call each
 * on the OpenSSL inside node; the output is identical.
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto'
import { ChannelError } from './errors.js'
import { NATIVE_ALG, nativeAead } from './native.js'

/** Names of the record transforms. */
export type TransformName = 'AES-256-GCM' | 'AES-128-GCM' | 'ChaCha20-Poly1305' | 'AES-GMAC'

/** What a transform needs and gives. */
export interface TransformSpec {
  readonly name: TransformName
  /** Our 16-bit code on the wire: IANA IKEv2 transform id (high byte) and key octets (low byte). */
  readonly id: number
  readonly keyOctets: number
  /** Salt octets of the nonce (RFC 4106 §4, RFC 7634 §2, RFC 4543 §3.2). */
  readonly saltOctets: 4
  /** True when the payload is encrypted; false for integrity only. */
  readonly encrypts: boolean
  /** Strength of the encryption in bits (0 for integrity only). */
  readonly strength: number
  readonly cipher: CipherGCMTypes | 'chacha20-poly1305'
}

/** Octets of every ICV (integrity check value). */
export const ICV_OCTETS = 16
/** Octets of the explicit IV carried in each record and SK payload (RFC 4106 §3.1). */
export const IV_OCTETS = 8

/** The transform registry. IANA ids: ENCR_AES_GCM_16 = 20, ENCR_NULL_AUTH_AES_GMAC = 21, ENCR_CHACHA20_POLY1305 = 28. */
export const TRANSFORMS: Readonly<Record<TransformName, TransformSpec>> = {
  'AES-256-GCM': { name: 'AES-256-GCM', id: (20 << 8) | 32, keyOctets: 32, saltOctets: 4, encrypts: true, strength: 256, cipher: 'aes-256-gcm' },
  'AES-128-GCM': { name: 'AES-128-GCM', id: (20 << 8) | 16, keyOctets: 16, saltOctets: 4, encrypts: true, strength: 128, cipher: 'aes-128-gcm' },
  'ChaCha20-Poly1305': { name: 'ChaCha20-Poly1305', id: (28 << 8) | 32, keyOctets: 32, saltOctets: 4, encrypts: true, strength: 256, cipher: 'chacha20-poly1305' },
  'AES-GMAC': { name: 'AES-GMAC', id: (21 << 8) | 32, keyOctets: 32, saltOctets: 4, encrypts: false, strength: 0, cipher: 'aes-256-gcm' },
}

const BY_ID = new Map<number, TransformSpec>(Object.values(TRANSFORMS).map((t) => [t.id, t]))

/** The transform with wire code `id`, or undefined for an unknown code. */
export function transformById(id: number): TransformSpec | undefined {
  return BY_ID.get(id)
}

/** The key material of one direction: cipher key and nonce salt. */
export interface DirectionKey {
  readonly key: Uint8Array
  readonly salt: Uint8Array
}

const EMPTY = Buffer.alloc(0)

// One scratch nonce: createCipheriv copies the IV into its context, so it can be reused.
const NONCE = Buffer.allocUnsafe(12)

function nonceOf(salt: Uint8Array, iv: Uint8Array): Buffer {
  NONCE.set(salt, 0)
  NONCE.set(iv, 4)
  return NONCE
}

/**
 * Protect `payload`, writing ciphertext (or, for GMAC, the payload in clear) and the ICV
 * into `out` at `offset`. Returns the octets written (payload length + 16).
 *
 * @param aad the record or message header the ICV also covers
 * @param iv the 8-octet explicit IV (must never repeat under one key)
 */
export function seal(spec: TransformSpec, k: DirectionKey, iv: Uint8Array, aad: Uint8Array, payload: Uint8Array, out: Uint8Array, offset: number): number {
  const addon = nativeAead()
  if (addon !== undefined) return addon.aeadSeal(NATIVE_ALG[spec.name], k.key, k.salt, iv, aad, payload, out, offset)
  const cipher = createCipheriv(spec.cipher as CipherGCMTypes, k.key, nonceOf(k.salt, iv), { authTagLength: ICV_OCTETS })
  let n = 0
  if (spec.encrypts) {
    cipher.setAAD(aad)
    const ct = cipher.update(payload)
    out.set(ct, offset)
    n = ct.length
    const fin = cipher.final()
    if (fin.length > 0) { out.set(fin, offset + n); n += fin.length }
  } else {
    // RFC 4543 §3.1: with ENCR_NULL_AUTH_AES_GMAC the whole packet (header, IV and
    // payload) is authenticated as AAD and nothing is encrypted.
    cipher.setAAD(aad)
    cipher.setAAD(iv)
    cipher.setAAD(payload)
    cipher.final()
    out.set(payload, offset)
    n = payload.length
  }
  out.set(cipher.getAuthTag(), offset + n)
  return n + ICV_OCTETS
}

/**
 * Check and unprotect `body` (ciphertext or clear payload, then the 16-octet ICV).
 * Returns the payload.
 *
 * @throws {ChannelError} ERR_CHANNEL_INTEGRITY when the ICV does not verify
 */
export function open(spec: TransformSpec, k: DirectionKey, iv: Uint8Array, aad: Uint8Array, body: Uint8Array): Uint8Array {
  if (body.length < ICV_OCTETS) throw new ChannelError('ERR_CHANNEL_TRUNCATED', `protected body of ${body.length} octets is shorter than the ${ICV_OCTETS}-octet ICV`)
  const dataLen = body.length - ICV_OCTETS
  const data = body.subarray(0, dataLen)
  const tag = body.subarray(dataLen)
  const addon = nativeAead()
  if (addon !== undefined) {
    const pt = spec.encrypts ? Buffer.allocUnsafe(dataLen) : EMPTY
    if (!addon.aeadOpen(NATIVE_ALG[spec.name], k.key, k.salt, iv, aad, body, pt)) throw new ChannelError('ERR_CHANNEL_INTEGRITY', `ICV check failed (${spec.name})`)
    return spec.encrypts ? pt : data
  }
  const decipher = createDecipheriv(spec.cipher as CipherGCMTypes, k.key, nonceOf(k.salt, iv), { authTagLength: ICV_OCTETS })
  decipher.setAuthTag(tag)
  try {
    if (spec.encrypts) {
      decipher.setAAD(aad)
      const pt = decipher.update(data)
      const fin = decipher.final()
      return fin.length === 0 ? pt : Buffer.concat([pt, fin])
    }
    decipher.setAAD(aad)
    decipher.setAAD(iv)
    decipher.setAAD(data)
    decipher.final()
    return data
  } catch (e) {
    // RFC 4303 §3.4.4: a record whose ICV does not verify is discarded and audited.
    throw new ChannelError('ERR_CHANNEL_INTEGRITY', `ICV check failed (${spec.name})`, { cause: e })
  }
}
