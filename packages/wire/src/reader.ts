/**
 * WireReader: one cursor over a packet, bounds checked on every read
 * (STYLE.md §8), returning views rather than copies.
 */
import { WireFormatError } from './errors.js'
import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS, MAX_POINTER_HOPS } from './limits.js'
import { Name } from './name.js'

const nameScratch = new Uint8Array(MAX_NAME_OCTETS + 64)

/**
 * A bounds-checked cursor over a DNS packet.
 *
 * @example
 * const r = new WireReader(packet)
 * const id = r.u16()
 */
export class WireReader {
  /** The whole packet (a plain Uint8Array view, even when given a Buffer). */
  readonly buf: Uint8Array
  /** Next offset to read. */
  pos: number
  /** Reads in place may not go past this offset (the RDATA end, or the packet end). */
  end: number

  /**
   * @param buf the packet; a Node Buffer is re-viewed as a plain Uint8Array (no copy)
   * @param pos first offset to read
   * @param end offset after the last byte that may be read in place
   */
  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf.constructor === Uint8Array ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    this.pos = pos
    this.end = end
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos
  }

  /**
   * Throws ERR_WIRE_TRUNCATED unless `n` more bytes can be read.
   * @param n bytes needed
   * @param what what is being read, for the message
   */
  need(n: number, what: string): void {
    if (this.pos + n > this.end) {
      throw new WireFormatError('ERR_WIRE_TRUNCATED', `${what} at offset ${this.pos} needs ${n} byte(s), ${this.end - this.pos} left`, this.pos)
    }
  }

  /** One octet. @throws {WireFormatError} ERR_WIRE_TRUNCATED */
  u8(what = 'Octet'): number {
    this.need(1, what)
    return this.buf[this.pos++]!
  }

  /** A big-endian 16-bit value. @throws {WireFormatError} ERR_WIRE_TRUNCATED */
  u16(what = '16-bit field'): number {
    this.need(2, what)
    const b = this.buf, p = this.pos
    this.pos = p + 2
    return (b[p]! << 8) | b[p + 1]!
  }

  /** A big-endian 32-bit value. @throws {WireFormatError} ERR_WIRE_TRUNCATED */
  u32(what = '32-bit field'): number {
    this.need(4, what)
    const b = this.buf, p = this.pos
    this.pos = p + 4
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0
  }

  /**
   * `n` bytes as a view into the packet.
   * @throws {WireFormatError} ERR_WIRE_TRUNCATED
   */
  bytes(n: number, what = 'Data'): Uint8Array {
    this.need(n, what)
    const v = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return v
  }

  /** The bytes up to `end`, as a view. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end)
    this.pos = this.end
    return v
  }

  /**
   * A possibly compressed domain name. Pointers must point strictly before the
   * start of the name (or name segment) that holds them, so they cannot loop.
   * @param allowPointers false where RFC 3597 §4 / RFC 4034 forbid compression
   * @param where context for messages, e.g. `RRSIG signer name`
   * @throws {WireFormatError} ERR_WIRE_TRUNCATED, ERR_WIRE_BAD_POINTER,
   *   ERR_WIRE_BAD_LABEL_TYPE, ERR_WIRE_LABEL_TOO_LONG, ERR_WIRE_NAME_TOO_LONG
   */
  name(allowPointers = true, where = 'Name'): Name {
    const buf = this.buf
    const start = this.pos
    let p = start
    let bound = this.end
    let limit = start
    let after = -1
    let out = 0
    let hops = 0
    for (;;) {
      if (p >= bound) {
        throw new WireFormatError('ERR_WIRE_TRUNCATED', `${where} at offset ${start} runs past the end at offset ${p}`, p)
      }
      const len = buf[p]!
      if (len === 0) {
        if (after >= 0) nameScratch[out] = 0
        out++
        p++
        break
      }
      if (len >= 0xc0) {
        if (!allowPointers) {
          throw new WireFormatError('ERR_WIRE_BAD_POINTER', `Compression pointer at offset ${p} is not allowed in ${where} (RFC 3597 §4)`, p)
        }
        if (p + 1 >= bound) {
          throw new WireFormatError('ERR_WIRE_TRUNCATED', `Compression pointer at offset ${p} is cut off`, p)
        }
        const target = ((len & 0x3f) << 8) | buf[p + 1]!
        // RFC 1035 §4.1.4: a pointer replaces a name with a *prior* occurrence.
        // Only targets before the current name segment are accepted, so every
        // jump goes strictly backwards: no self pointers, no loops.
        if (target >= limit) {
          const how = target > p ? `points forward to ${target}`
            : target === p ? 'points to itself'
              : `points to ${target}, inside the name that holds it (starts at ${limit})`
          throw new WireFormatError('ERR_WIRE_BAD_POINTER', `Compression pointer at offset ${p} ${how}`, p)
        }
        if (++hops > MAX_POINTER_HOPS) {
          throw new WireFormatError('ERR_WIRE_BAD_POINTER', `${where} at offset ${start} follows more than ${MAX_POINTER_HOPS} compression pointers (at offset ${p})`, p)
        }
        if (after < 0) {
          // first jump: from here on the name is assembled in the scratch buffer
          after = p + 2
          for (let i = 0; i < out; i++) nameScratch[i] = buf[start + i]!
        }
        limit = target
        p = target
        bound = buf.length
        continue
      }
      if (len > MAX_LABEL_OCTETS) {
        // RFC 6891 §5 retired label type 0b01; 0b10 is reserved (RFC 1035 §4.1.4).
        if (len >= 0x80) throw new WireFormatError('ERR_WIRE_BAD_LABEL_TYPE', `Label type 0b10 (octet 0x${len.toString(16)}) at offset ${p} is reserved`, p)
        throw new WireFormatError('ERR_WIRE_LABEL_TOO_LONG', `Label at offset ${p} claims ${len} octets; labels are at most ${MAX_LABEL_OCTETS} (RFC 1035 §2.3.4)`, p)
      }
      if (p + 1 + len > bound) {
        throw new WireFormatError('ERR_WIRE_TRUNCATED', `Label at offset ${p} of ${len} octets runs past offset ${bound}`, p)
      }
      // RFC 1035 §2.3.4: 255 octets including the root label that must follow.
      if (out + len + 2 > MAX_NAME_OCTETS) {
        throw new WireFormatError('ERR_WIRE_NAME_TOO_LONG', `${where} at offset ${start} is longer than ${MAX_NAME_OCTETS} octets (label at offset ${p})`, p)
      }
      if (after >= 0) for (let i = 0; i <= len; i++) nameScratch[out + i] = buf[p + i]!
      out += len + 1
      p += len + 1
    }
    if (after < 0) {
      this.pos = p
      return new Name(buf.subarray(start, p))
    }
    this.pos = after
    return new Name(nameScratch.slice(0, out))
  }
}
