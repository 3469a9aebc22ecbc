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
import { ChannelError } from './errors.js'
import { ICV_OCTETS, IV_OCTETS, open, seal, type DirectionKey, type TransformSpec } from './transforms.js'
import { ReplayWindow } from './replay_window.js'
import { KIND_RECORD } from './ike_message.js'

/** Octets before the payload: kind, SPI, sequence number, IV. */
export const RECORD_HEADER_OCTETS = 1 + 4 + 8 + IV_OCTETS
/** Octets a record adds to its payload. */
export const RECORD_OVERHEAD = RECORD_HEADER_OCTETS + ICV_OCTETS
const AAD_OCTETS = 13

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
  private readonly key: DirectionKey

  constructor(spi: number, spec: TransformSpec, key: DirectionKey, maxPackets: number, maxBytes: number, now: number) {
    this.spi = spi; this.spec = spec; this.key = key; this.maxPackets = maxPackets; this.maxBytes = maxBytes
    this.createdAt = now
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
    if (!this.canSend(payload.length)) throw new ChannelError('ERR_CHANNEL_SA_EXHAUSTED', `SA ${this.spi.toString(16)} has spent its budget (${this.seq} records, ${this.bytes} octets)`)
    const seq = ++this.seq
    this.bytes += payload.length
    const out = Buffer.allocUnsafe(RECORD_OVERHEAD + payload.length)
    out[0] = KIND_RECORD
    out.writeUInt32BE(this.spi, 1)
    out.writeUInt32BE(Math.floor(seq / 2 ** 32), 5)
    out.writeUInt32BE(seq >>> 0, 9)
    out.copy(out, 13, 5, 13) // IV = sequence number
    seal(this.spec, this.key, out.subarray(13, 21), out.subarray(0, AAD_OCTETS), payload, out, RECORD_HEADER_OCTETS)
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
  private readonly key: DirectionKey

  constructor(spi: number, spec: TransformSpec, key: DirectionKey, windowSize: number) {
    this.spi = spi; this.spec = spec; this.key = key
    this.window = new ReplayWindow(windowSize)
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
    const payload = open(this.spec, this.key, frame.subarray(13, 21), frame.subarray(0, AAD_OCTETS), frame.subarray(RECORD_HEADER_OCTETS))
    // …and the window moves only once the ICV has verified.
    this.window.accept(seq)
    this.packets++
    return payload
  }
}
