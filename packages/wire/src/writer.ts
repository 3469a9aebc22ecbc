/**
 * WireWriter: one growable output buffer with a compression table keyed by a
 * numeric hash of each name suffix (no strings on the hot path).
 */
import { WireFormatError } from './errors.js'
import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS, MAX_POINTER_OFFSET } from './limits.js'
import type { Name } from './name.js'

const offsScratch = new Int32Array(128)
const hashScratch = new Int32Array(128)

// Compression table: open addressing over typed arrays, keyed by a hash of
// each name suffix, value = offset + 1 (0 = empty). Entries are undone in
// reverse order (rollback), which is safe with linear probing.
const TABLE_SLOTS = 4096
const TABLE_MASK = TABLE_SLOTS - 1
const TABLE_MAX = (TABLE_SLOTS * 3) >> 2

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
  /** Next offset to write. */
  pos = 0
  #compress: boolean
  #keys: Int32Array | null = null
  #vals: Int32Array | null = null
  #log: Int32Array | null = null
  #logLen = 0

  /**
   * @param size initial capacity
   * @param compress keep a table of written names for RFC 1035 §4.1.4 compression
   */
  constructor(size = 512, compress = false) {
    this.buf = new Uint8Array(size)
    this.#compress = compress
  }

  /**
   * Start over at offset 0 with an empty compression table, keeping the buffer,
   * so one writer can serve many messages without allocating.
   * @param compress keep a compression table for this message
   */
  reset(compress: boolean): void {
    this.pos = 0
    this.#undo(0)
    this.#compress = compress
  }

  #undo(to: number): void {
    const vals = this.#vals, log = this.#log
    if (vals === null || log === null) return
    for (let i = this.#logLen - 1; i >= to; i--) vals[log[i]!] = 0
    this.#logLen = to
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
    const b = this.buf, p = this.pos
    b[p] = v >>> 24
    b[p + 1] = v >>> 16
    b[p + 2] = v >>> 8
    b[p + 3] = v
    this.pos = p + 4
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
    return this.pos * 65536 + this.#logLen
  }

  /**
   * Forget everything written since `mark`, compression entries included.
   * @param mark a value from {@link WireWriter.mark}
   */
  rollback(mark: number): void {
    this.#undo(mark % 65536)
    this.pos = Math.floor(mark / 65536)
  }

  /**
   * Write a name, compressed against earlier names when `compress` is true and
   * this writer keeps a table. Suffixes match case-insensitively (RFC 1035 §4.1.4,
   * RFC 4343 §3): a later `WWW.Example.test` points at an earlier `www.example.test`
   * and so is read back in the case of the first occurrence, as BIND and Knot do.
   * @param n the name
   * @param compress use pointers for suffixes already written
   */
  name(n: Name, compress: boolean): void {
    const w = n.wire
    // RFC 1035 §2.3.4 on encode too: a Name built with `new Name(bytes)` is not validated.
    if (w.length > MAX_NAME_OCTETS) throw new WireFormatError('ERR_WIRE_NAME_TOO_LONG', `Name of ${w.length} octets is longer than ${MAX_NAME_OCTETS}`, -1)
    if (!compress || !this.#compress || w.length === 1) {
      checkLabels(w)
      this.bytes(w)
      return
    }
    if (this.#keys === null) {
      this.#keys = new Int32Array(TABLE_SLOTS)
      this.#vals = new Int32Array(TABLE_SLOTS)
      this.#log = new Int32Array(TABLE_MAX)
    }
    const keys = this.#keys, vals = this.#vals!, log = this.#log!
    let k = 0
    for (let p = 0; w[p] !== 0; p += w[p]! + 1) {
      if (w[p]! > MAX_LABEL_OCTETS || p >= w.length) checkLabels(w)
      offsScratch[k++] = p
    }
    let h = 0x811c9dc5 | 0
    for (let i = k - 1; i >= 0; i--) {
      const o = offsScratch[i]!
      const len = w[o]!
      h = Math.imul(h ^ len, 0x01000193)
      for (let j = 1; j <= len; j++) {
        const b = w[o + j]!
        h = Math.imul(h ^ (b >= 0x41 && b <= 0x5a ? b | 0x20 : b), 0x01000193)
      }
      hashScratch[i] = h
    }
    this.ensure(w.length)
    const buf = this.buf
    for (let i = 0; i < k; i++) {
      const hi = hashScratch[i]!
      let slot = (hi ^ (hi >>> 15)) & TABLE_MASK
      let v: number
      while ((v = vals[slot]!) !== 0) {
        if (keys[slot] === hi && this.#matches(w, offsScratch[i]!, v - 1)) {
          const at = v - 1
          buf[this.pos] = 0xc0 | (at >>> 8)
          buf[this.pos + 1] = at & 0xff
          this.pos += 2
          return
        }
        slot = (slot + 1) & TABLE_MASK
      }
      // RFC 1035 §4.1.4: pointer offsets have 14 bits.
      if (this.pos <= MAX_POINTER_OFFSET && this.#logLen < TABLE_MAX) {
        keys[slot] = hi
        vals[slot] = this.pos + 1
        log[this.#logLen++] = slot
      }
      const o = offsScratch[i]!
      const len = w[o]! + 1
      for (let j = 0; j < len; j++) buf[this.pos + j] = w[o + j]!
      this.pos += len
    }
    buf[this.pos++] = 0
  }

  /** Does the name suffix of `w` at `s` equal (ignoring ASCII case) the pointer-following name at `at`? */
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
      for (let j = 1; j <= len; j++) {
        const x = buf[o + j]!, y = w[p + j]!
        // RFC 1035 §4.1.4 / RFC 4343: labels match without regard to ASCII case.
        if (x !== y && ((x | 0x20) !== (y | 0x20) || (x | 0x20) < 0x61 || (x | 0x20) > 0x7a)) return false
      }
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
    if (w.length > MAX_NAME_OCTETS) throw new WireFormatError('ERR_WIRE_NAME_TOO_LONG', `Name of ${w.length} octets is longer than ${MAX_NAME_OCTETS}`, -1)
    checkLabels(w)
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

/** Throws unless `w` is a well-formed uncompressed name (labels ≤ 63, one root at the end). */
function checkLabels(w: Uint8Array): void {
  let p = 0
  for (;;) {
    if (p >= w.length) throw new WireFormatError('ERR_WIRE_TRUNCATED', `Name has no root label (${w.length} octets)`, -1)
    const len = w[p]!
    if (len === 0) break
    if (len > MAX_LABEL_OCTETS) throw new WireFormatError('ERR_WIRE_LABEL_TOO_LONG', `Label of ${len} octets at ${p} in a name is longer than ${MAX_LABEL_OCTETS}`, -1)
    p += len + 1
  }
  if (p !== w.length - 1) throw new WireFormatError('ERR_WIRE_TRAILING_DATA', `Name has ${w.length - p - 1} octets after its root label`, -1)
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
