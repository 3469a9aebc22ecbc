/**
 * ESP-style records (RFC 4303 §2) inside WebSocket binary messages:
 *
 * ```
 * kind(1)=0 | SPI(4) | sequence number(8) | IV(8) | payload or ciphertext | ICV(16)
 * ```
 *
 * The 64-bit sequence number is sent whole (RFC 4303 §2.2.1's ESN, without the need to
 * infer the high half). The AAD is kind | SPI | sequence number (RFC 4106 §5); the IV is the
 * sequence number, unique per key as RFC 4106 §3.1 requires. One record carries one DNS
 * message; there is no padding or next-header octet because the payload is always DNS.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type CipherGCMTypes, type KeyObject } from 'node:crypto'
import { ChannelError } from './errors.js'
import { ICV_OCTETS, IV_OCTETS, type DirectionKey, type TransformSpec } from './transforms.js'
import { ReplayWindow } from './replay_window.js'
import { KIND_RECORD } from './ike_message.js'
import { NATIVE_ALG, nativeAead, type NativeAead, type NativeSaHandle } from './native.js'

/** Octets before the payload: kind, SPI, sequence number, IV. */
export const RECORD_HEADER_OCTETS = 1 + 4 + 8 + IV_OCTETS
/** Octets a record adds to its payload. */
export const RECORD_OVERHEAD = RECORD_HEADER_OCTETS + ICV_OCTETS
const AAD_OCTETS = 13
const TAG = { authTagLength: ICV_OCTETS }
const EMPTY = Buffer.alloc(0)

// The per-record AEAD, specialised for the record layout: the key is a KeyObject made once
// per SA (node then skips converting raw key bytes for every record), the nonce lives in
// one scratch buffer per SA (createCipheriv copies it), and with AES-GMAC the header, IV
// and payload are contiguous in the frame, so they go to setAAD in one call.
function nonceInto(n: Buffer, frame: Uint8Array): Buffer {
  // RFC 4106 §4: nonce = salt(4) | IV(8); the IV is at octets 13–20 of the frame.
  for (let i = 0; i < 8; i++) n[4 + i] = frame[13 + i]!
  return n
}

function makeNonce(salt: Uint8Array): Buffer {
  const n = Buffer.alloc(12)
  n.set(salt, 0)
  return n
}

/** The SPI of a record frame (for dispatch to an inbound SA), or -1 if the frame is too short. */
export function recordSpi(frame: Uint8Array): number {
  if (frame.length < 5) return -1
  return ((frame[1]! << 24) | (frame[2]! << 16) | (frame[3]! << 8) | frame[4]!) >>> 0
}

/** The outbound half of a child SA: the sender's sequence number and budget. */
export class OutboundSa {
  /** Sequence number of the last record sent (RFC 4303 §3.3.3: starts at 0, first record is 1). */
  seq = 0
  /** Payload octets sent. */
  bytes = 0
  readonly createdAt: number

  /**
   * @param spi the SPI the peer chose for its inbound SA
   * @param maxPackets records this SA may send before it is exhausted
   * @param maxBytes payload octets this SA may send before it is exhausted
   */
  readonly spi: number
  readonly spec: TransformSpec
  readonly maxPackets: number
  readonly maxBytes: number
  // Either the native SA (one keyed EVP context) or node:crypto's KeyObject and nonce.
  private readonly addon: NativeAead | undefined
  private handle: NativeSaHandle | undefined
  private key: KeyObject | undefined
  private readonly nonce: Buffer

  constructor(spi: number, spec: TransformSpec, key: DirectionKey, maxPackets: number, maxBytes: number, now: number) {
    this.spi = spi; this.spec = spec; this.maxPackets = maxPackets; this.maxBytes = maxBytes
    this.addon = nativeAead()
    if (this.addon !== undefined) {
      this.handle = this.addon.saNew(NATIVE_ALG[spec.name], true, key.key, key.salt)
      this.nonce = EMPTY
    } else {
      this.key = createSecretKey(key.key)
      this.nonce = makeNonce(key.salt)
    }
    this.createdAt = now
  }

  /** True when records are protected by the native addon. */
  get native(): boolean {
    return this.addon !== undefined
  }

  /** Drop the key now (the native key schedule is wiped); the SA cannot seal afterwards. */
  destroy(): void {
    if (this.handle !== undefined) { this.addon!.saFree(this.handle); this.handle = undefined }
    this.key = undefined
  }

  /** True when one more record of `len` octets fits the budget. */
  canSend(len: number): boolean {
    return this.seq < this.maxPackets && this.bytes + len <= this.maxBytes
  }

  /**
   * Protect one payload into a record frame.
   *
   * @throws {ChannelError} ERR_CHANNEL_SA_EXHAUSTED when the budget is spent (RFC 4303
   *   §3.3.3: the sequence number must never cycle; a new SA is needed first)
   */
  seal(payload: Uint8Array): Uint8Array {
    if (this.handle === undefined && this.key === undefined) throw new ChannelError('ERR_CHANNEL_CLOSED', `SA ${this.spi.toString(16)} has been deleted`)
    if (!this.canSend(payload.length)) throw new ChannelError('ERR_CHANNEL_SA_EXHAUSTED', `SA ${this.spi.toString(16)} has spent its budget (${this.seq} records, ${this.bytes} octets)`)
    const seq = ++this.seq
    this.bytes += payload.length
    const out = Buffer.allocUnsafe(RECORD_OVERHEAD + payload.length)
    if (this.addon !== undefined) {
      // One call writes the header, the ciphertext (or clear payload) and the ICV.
      this.addon.recordSeal(this.handle!, out, payload, this.spi, Math.floor(seq / 2 ** 32), seq >>> 0)
      return out
    }
    out[0] = KIND_RECORD
    out.writeUInt32BE(this.spi, 1)
    out.writeUInt32BE(Math.floor(seq / 2 ** 32), 5)
    out.writeUInt32BE(seq >>> 0, 9)
    out.copy(out, 13, 5, 13) // IV = sequence number
    const end = RECORD_HEADER_OCTETS + payload.length
    const cipher = createCipheriv(this.spec.cipher as CipherGCMTypes, this.key!, nonceInto(this.nonce, out), TAG)
    if (this.spec.encrypts) {
      // RFC 4106 §5: AAD = SPI | sequence number (with our kind octet in front).
      cipher.setAAD(out.subarray(0, AAD_OCTETS))
      out.set(cipher.update(payload), RECORD_HEADER_OCTETS)
      cipher.final()
    } else {
      // RFC 4543 §3.1: with ENCR_NULL_AUTH_AES_GMAC the header, IV and payload are all AAD
      // and nothing is encrypted.
      out.set(payload, RECORD_HEADER_OCTETS)
      cipher.setAAD(out.subarray(0, end))
      cipher.final()
    }
    out.set(cipher.getAuthTag(), end)
    return out
  }
}

/** The inbound half of a child SA: keys and the anti-replay window. */
export class InboundSa {
  readonly window: ReplayWindow
  /** Records accepted. */
  packets = 0

  /** @param spi the SPI we chose; records carrying it are ours */
  readonly spi: number
  readonly spec: TransformSpec
  private readonly addon: NativeAead | undefined
  private handle: NativeSaHandle | undefined
  private key: KeyObject | undefined
  private readonly nonce: Buffer

  constructor(spi: number, spec: TransformSpec, key: DirectionKey, windowSize: number) {
    this.spi = spi; this.spec = spec
    this.window = new ReplayWindow(windowSize)
    this.addon = nativeAead()
    if (this.addon !== undefined) {
      this.handle = this.addon.saNew(NATIVE_ALG[spec.name], false, key.key, key.salt)
      this.nonce = EMPTY
    } else {
      this.key = createSecretKey(key.key)
      this.nonce = makeNonce(key.salt)
    }
  }

  /** True when records are checked by the native addon. */
  get native(): boolean {
    return this.addon !== undefined
  }

  /** Drop the key now (the native key schedule is wiped); the SA cannot open afterwards. */
  destroy(): void {
    if (this.handle !== undefined) { this.addon!.saFree(this.handle); this.handle = undefined }
    this.key = undefined
  }

  /**
   * Check and unprotect one record frame; returns the payload.
   *
   * @throws {ChannelError} ERR_CHANNEL_TRUNCATED, ERR_CHANNEL_BAD_SPI, ERR_CHANNEL_REPLAY, ERR_CHANNEL_INTEGRITY
   */
  open(frame: Uint8Array): Uint8Array {
    if (frame.length < RECORD_OVERHEAD) throw new ChannelError('ERR_CHANNEL_TRUNCATED', `record of ${frame.length} octets is shorter than its ${RECORD_OVERHEAD}-octet header and ICV`, { offset: frame.length })
    if (recordSpi(frame) !== this.spi) throw new ChannelError('ERR_CHANNEL_BAD_SPI', `record SPI ${recordSpi(frame).toString(16)} is not SA ${this.spi.toString(16)}`, { offset: 1 })
    const hi = ((frame[5]! << 24) | (frame[6]! << 16) | (frame[7]! << 8) | frame[8]!) >>> 0
    const lo = ((frame[9]! << 24) | (frame[10]! << 16) | (frame[11]! << 8) | frame[12]!) >>> 0
    const seq = hi * 2 ** 32 + lo
    // RFC 4303 §3.4.3: the duplicate check comes first, it is cheap and stops replays
    // before any cryptography is spent on them.
    this.window.check(seq)
    const tagAt = frame.length - ICV_OCTETS
    if (this.addon !== undefined) {
      if (this.handle === undefined) throw new ChannelError('ERR_CHANNEL_BAD_SPI', `SA ${this.spi.toString(16)} has been deleted`, { offset: 1 })
      const payload = this.spec.encrypts ? Buffer.allocUnsafe(tagAt - RECORD_HEADER_OCTETS) : frame.subarray(RECORD_HEADER_OCTETS, tagAt)
      // RFC 4303 §3.4.4: a record whose ICV does not verify is discarded and audited.
      if (!this.addon.recordOpen(this.handle, frame, this.spec.encrypts ? payload : EMPTY)) throw new ChannelError('ERR_CHANNEL_INTEGRITY', `ICV check failed (${this.spec.name})`)
      this.window.accept(seq)
      this.packets++
      return payload
    }
    if (this.key === undefined) throw new ChannelError('ERR_CHANNEL_BAD_SPI', `SA ${this.spi.toString(16)} has been deleted`, { offset: 1 })
    const decipher = createDecipheriv(this.spec.cipher as CipherGCMTypes, this.key, nonceInto(this.nonce, frame), TAG)
    decipher.setAuthTag(frame.subarray(tagAt))
    let payload: Uint8Array
    try {
      if (this.spec.encrypts) {
        decipher.setAAD(frame.subarray(0, AAD_OCTETS))
        payload = decipher.update(frame.subarray(RECORD_HEADER_OCTETS, tagAt))
        decipher.final()
      } else {
        decipher.setAAD(frame.subarray(0, tagAt))
        decipher.final()
        payload = frame.subarray(RECORD_HEADER_OCTETS, tagAt)
      }
    } catch (e) {
      // RFC 4303 §3.4.4: a record whose ICV does not verify is discarded and audited.
      throw new ChannelError('ERR_CHANNEL_INTEGRITY', `ICV check failed (${this.spec.name})`, { cause: e })
    }
    // …and the window moves only once the ICV has verified.
    this.window.accept(seq)
    this.packets++
    return payload
  }
}
