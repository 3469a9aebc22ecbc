/**
 * WireWriter: one growable output buffer with a compression table keyed by a
 * numeric hash of each name suffix (no strings on the hot path).
 */
import { WireFormatError } from './errors.js'
import { MAX_POINTER_OFFSET } from './limits.js'
import type { Name } from './name.js'

const offsScratch = new Int32Array(128)
const hashScratch = new Int32Array(128)

/**
 * A growable big-endian writer.
 *
 * @example
 * const w = new WireWriter(512, true)
 * w.u16(id); w.name(qname, true)
 * const bytes = w.finish()
 */
export class WireWriter {
  /** Output buffer; replaced when it grows. */
  buf: Uint8Array
  /** DataView over `buf`. */
  view: DataView
  /** Next offset to write. */
  pos = 0
  readonly #table: Map<number, number[]> | null
  #logHash: number[] = []

  /**
   * @param size initial capacity
   * @param compress keep a table of written names for RFC 1035 §4.1.4 compression
   */
  constructor(size = 512, compress = false) {
    this.buf = new Uint8Array(size)
    this.view = new DataView(this.buf.buffer)
    this.#table = compress ? new Map() : null
  }

  /**
   * Make room for `n` more bytes, doubling the buffer as needed.
   * @param n bytes about to be written
   */
  ensure(n: number): void {
    const need = this.pos + n
    if (need <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < need) size *= 2
    const b = new Uint8Array(size)
    b.set(this.buf.subarray(0, this.pos))
    this.buf = b
    this.view = new DataView(b.buffer)
  }

  /** Write one octet. */
  u8(v: number): void {
    this.ensure(1)
    this.buf[this.pos++] = v
  }

  /** Write a big-endian 16-bit value. */
  u16(v: number): void {
    this.ensure(2)
    this.buf[this.pos] = v >>> 8
    this.buf[this.pos + 1] = v
    this.pos += 2
  }

  /** Write a big-endian 32-bit value. */
  u32(v: number): void {
    this.ensure(4)
    this.view.setUint32(this.pos, v >>> 0)
    this.pos += 4
  }

  /** Write raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  /**
   * Overwrite a 16-bit value at an earlier offset (RDLENGTH, counts).
   * @param at offset
   * @param v value
   */
  setU16(at: number, v: number): void {
    this.buf[at] = v >>> 8
    this.buf[at + 1] = v
  }

  /** A point to come back to with {@link WireWriter.rollback}. */
  mark(): number {
    return this.pos * 65536 + this.#logHash.length
  }

  /**
   * Forget everything written since `mark`, compression entries included.
   * @param mark a value from {@link WireWriter.mark}
   */
  rollback(mark: number): void {
    const logLen = mark % 65536
    this.pos = Math.floor(mark / 65536)
    const t = this.#table
    if (t) {
      for (let i = this.#logHash.length - 1; i >= logLen; i--) t.get(this.#logHash[i]!)!.pop()
    }
    this.#logHash.length = logLen
  }

  /**
   * Write a name, compressed against earlier names when `compress` is true and
   * this writer keeps a table. Matching is case-sensitive so the case of every
   * name survives (RFC 4343 §4.1).
   * @param n the name
   * @param compress use pointers for suffixes already written
   */
  name(n: Name, compress: boolean): void {
    const w = n.wire
    const table = this.#table
    if (!compress || table === null || w.length === 1) {
      this.bytes(w)
      return
    }
    let k = 0
    for (let p = 0; w[p] !== 0; p += w[p]! + 1) offsScratch[k++] = p
    let h = 0x811c9dc5 | 0
    for (let i = k - 1; i >= 0; i--) {
      const o = offsScratch[i]!
      const len = w[o]!
      h = Math.imul(h ^ len, 0x01000193)
      for (let j = 1; j <= len; j++) h = Math.imul(h ^ w[o + j]!, 0x01000193)
      hashScratch[i] = h
    }
    this.ensure(w.length)
    const buf = this.buf
    for (let i = 0; i < k; i++) {
      const hi = hashScratch[i]!
      const cands = table.get(hi)
      if (cands !== undefined) {
        for (let c = cands.length - 1; c >= 0; c--) {
          const at = cands[c]!
          if (this.#matches(w, offsScratch[i]!, at)) {
            buf[this.pos] = 0xc0 | (at >>> 8)
            buf[this.pos + 1] = at & 0xff
            this.pos += 2
            return
          }
        }
      }
      // RFC 1035 §4.1.4: pointer offsets have 14 bits.
      if (this.pos <= MAX_POINTER_OFFSET) {
        if (cands === undefined) table.set(hi, [this.pos])
        else cands.push(this.pos)
        this.#logHash.push(hi)
      }
      const o = offsScratch[i]!
      const len = w[o]! + 1
      buf.set(w.subarray(o, o + len), this.pos)
      this.pos += len
    }
    buf[this.pos++] = 0
  }

  /** Does the name suffix of `w` at `s` equal the (pointer-following) name at `at`? */
  #matches(w: Uint8Array, s: number, at: number): boolean {
    const buf = this.buf
    let p = s
    let o = at
    for (;;) {
      let b = buf[o]!
      while (b >= 0xc0) {
        o = ((b & 0x3f) << 8) | buf[o + 1]!
        b = buf[o]!
      }
      const len = w[p]!
      if (b !== len) return false
      if (len === 0) return true
      for (let j = 1; j <= len; j++) if (buf[o + j] !== w[p + j]) return false
      p += len + 1
      o += len + 1
    }
  }

  /**
   * Write a name lowercased (RFC 4034 §6.2 canonical form), never compressed.
   * @param n the name
   */
  nameLower(n: Name): void {
    const w = n.wire
    this.ensure(w.length)
    for (let i = 0; i < w.length; i++) {
      const b = w[i]!
      this.buf[this.pos++] = b >= 0x41 && b <= 0x5a ? b | 0x20 : b
    }
  }

  /** The bytes written so far (a view of the buffer). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }
}

/**
 * Throws ERR_WIRE_VALUE_RANGE unless `v` is an integer in 0..max.
 * @param v the value
 * @param max the largest allowed value
 * @param what field name for the message
 */
export function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `${what} ${v} is not an integer in 0..${max}`, -1)
  }
}
