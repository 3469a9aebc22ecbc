/**
 * DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): a two-octet length
 * before each message.
 */
import { WireFormatError } from './errors.js'
import { HEADER_OCTETS, MAX_MESSAGE_OCTETS } from './limits.js'

/**
 * Prefix a message with its 16-bit length.
 * @param msg an encoded message
 * @throws {WireFormatError} ERR_WIRE_MESSAGE_TOO_LARGE
 */
export function frameTcp(msg: Uint8Array): Uint8Array {
  if (msg.length > MAX_MESSAGE_OCTETS) throw new WireFormatError('ERR_WIRE_MESSAGE_TOO_LARGE', `Message of ${msg.length} octets does not fit a TCP frame`, -1)
  const out = new Uint8Array(msg.length + 2)
  out[0] = msg.length >> 8
  out[1] = msg.length & 0xff
  out.set(msg, 2)
  return out
}

/**
 * Reassembles length-prefixed messages from a TCP stream, whatever the chunking.
 *
 * @example
 * const frames = new TcpFrameReader()
 * socket.on('data', (chunk) => { for (const m of frames.push(chunk)) handle(decodeMessage(m)) })
 */
export class TcpFrameReader {
  #buf = new Uint8Array(0)
  #len = 0

  /** Bytes received but not yet returned as a message. */
  get pending(): number {
    return this.#len
  }

  /**
   * Add received bytes; returns every message now complete (each a new array).
   * @param chunk bytes from the stream
   * @throws {WireFormatError} ERR_WIRE_FRAME for a frame shorter than a DNS header
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#len + chunk.length > this.#buf.length) {
      const b = new Uint8Array(Math.max(this.#len + chunk.length, this.#buf.length * 2, 512))
      b.set(this.#buf.subarray(0, this.#len))
      this.#buf = b
    }
    this.#buf.set(chunk, this.#len)
    this.#len += chunk.length
    const out: Uint8Array[] = []
    let p = 0
    while (this.#len - p >= 2) {
      const n = (this.#buf[p]! << 8) | this.#buf[p + 1]!
      // RFC 1035 §4.1.1: nothing shorter than the header is a message.
      if (n < HEADER_OCTETS) throw new WireFormatError('ERR_WIRE_FRAME', `TCP frame of ${n} octets is shorter than a DNS header`, p)
      if (this.#len - p - 2 < n) break
      out.push(this.#buf.slice(p + 2, p + 2 + n))
      p += 2 + n
    }
    if (p > 0) {
      this.#buf.copyWithin(0, p, this.#len)
      this.#len -= p
    }
    return out
  }
}
