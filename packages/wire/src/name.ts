/**
 * Domain names held as uncompressed wire labels (knot's `knot_dname_t`), case
 * preserved; comparison is case-insensitive (RFC 4343) and ordering canonical
 * (RFC 4034 §6.1). The text form is built only when asked for.
 */
import { WireFormatError } from './errors.js'
import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS } from './limits.js'

/** ASCII lowercase of one octet; RFC 4343 §3: only A-Z fold. */
function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b
}

const scratch = new Uint8Array(MAX_NAME_OCTETS + 64)

function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
}

function writeUtf8(cp: number, buf: Uint8Array, o: number): number {
  if (cp < 0x800) {
    buf[o++] = 0xc0 | (cp >> 6)
  } else if (cp < 0x10000) {
    buf[o++] = 0xe0 | (cp >> 12)
    buf[o++] = 0x80 | ((cp >> 6) & 0x3f)
  } else {
    buf[o++] = 0xf0 | (cp >> 18)
    buf[o++] = 0x80 | ((cp >> 12) & 0x3f)
    buf[o++] = 0x80 | ((cp >> 6) & 0x3f)
  }
  buf[o++] = 0x80 | (cp & 0x3f)
  return o
}

// Parsed names are views into shared 64 KiB slabs (as Node pools small Buffers): a zone
// load makes hundreds of thousands of names, and a view costs the garbage collector about
// half of what an array with its own ArrayBuffer does. `wire.buffer` is therefore shared;
// use byteOffset/length (every user in this repository does), and never transfer it.
const SLAB_OCTETS = 64 * 1024
let slabBuf = new ArrayBuffer(SLAB_OCTETS)
let slabPos = 0

/**
 * `n` octets as a view into a shared 64 KiB slab (see above); for small arrays that a
 * zone load keeps by the hundred thousand (names, TXT strings). Not for public export.
 * @param n at most 64 KiB
 */
export function slab(n: number): Uint8Array {
  if (slabPos + n > SLAB_OCTETS) { slabBuf = new ArrayBuffer(SLAB_OCTETS); slabPos = 0 }
  const a = new Uint8Array(slabBuf, slabPos, n)
  slabPos += n
  return a
}

/** True when a label's length octet is at `at` (walking the labels, nothing allocated). */
function onLabelBoundary(wire: Uint8Array, at: number): boolean {
  let p = 0
  while (p < at && wire[p] !== 0) p += wire[p]! + 1
  return p === at
}

/** Offsets of each label's length octet, root label excluded. Wire is trusted. */
function labelOffsets(wire: Uint8Array): number[] {
  const out: number[] = []
  let p = 0
  while (wire[p] !== 0) {
    out.push(p)
    p += wire[p]! + 1
  }
  return out
}

/**
 * A fully qualified domain name.
 *
 * @example
 * const n = Name.fromString('www.Example.test.')
 * n.labelCount              // 3
 * n.equals(Name.fromString('WWW.example.TEST.'))  // true
 * n.toString()              // 'www.Example.test.'
 */
export class Name {
  /** The root name `.`. */
  static readonly ROOT: Name = new Name(new Uint8Array([0]))

  /** Uncompressed wire form, original case, ending in the root label. */
  readonly wire: Uint8Array
  #offsets: number[] | undefined
  #key: string | undefined

  /**
   * Wraps wire octets that are already known to be a valid uncompressed name.
   * Use {@link Name.fromWire} or {@link Name.fromString} for untrusted input.
   * @param wire valid uncompressed wire form (not copied)
   */
  constructor(wire: Uint8Array) {
    this.wire = wire
  }

  /**
   * Parses presentation format (RFC 1035 §5.1) with `\X` and `\DDD` escapes.
   * Non-ASCII characters become their UTF-8 octets (as BIND reads a UTF-8 file).
   * A name ending in an unescaped `.` is absolute; anything else is made
   * relative to `origin`. `@` is not special here.
   * @param text the name, e.g. `www.example.test.` or `a\.b\032c`
   * @param origin appended to relative names
   * @throws {WireFormatError} ERR_WIRE_RELATIVE_NAME, ERR_WIRE_EMPTY_LABEL,
   *   ERR_WIRE_LABEL_TOO_LONG, ERR_WIRE_NAME_TOO_LONG, ERR_WIRE_BAD_ESCAPE
   */
  static fromString(text: string, origin?: Name | null): Name {
    if (text === '.') return Name.ROOT
    if (text.length === 0) throw new WireFormatError('ERR_WIRE_EMPTY_LABEL', 'Empty domain name', 0)
    const buf = scratch
    let out = 0          // next write position in buf
    let lenPos = 0       // position of the current label's length octet
    let labelLen = 0
    let absolute = false
    out = 1
    const n = text.length
    for (let i = 0; i < n; i++) {
      let c = text.charCodeAt(i)
      if (c === 0x2e) { // '.'
        if (labelLen === 0) {
          throw new WireFormatError('ERR_WIRE_EMPTY_LABEL', `Empty label at character ${i} in "${text}"`, i)
        }
        buf[lenPos] = labelLen
        if (i === n - 1) { absolute = true; break }
        lenPos = out++
        labelLen = 0
        if (out > MAX_NAME_OCTETS) {
          throw new WireFormatError('ERR_WIRE_NAME_TOO_LONG', `Name "${text}" is longer than ${MAX_NAME_OCTETS} octets`, i)
        }
        continue
      }
      let octets = 1
      if (c === 0x5c) { // '\'
        if (i + 1 >= n) throw new WireFormatError('ERR_WIRE_BAD_ESCAPE', `Backslash at the end of "${text}"`, i)
        const d1 = text.charCodeAt(i + 1)
        if (d1 >= 0x80) {
          i += 1
          c = text.codePointAt(i)!
          if (c > 0xffff) i++
          octets = utf8Length(c)
        } else if (d1 >= 0x30 && d1 <= 0x39) {
          // RFC 1035 §5.1: \DDD is exactly three decimal digits.
          const d2 = text.charCodeAt(i + 2), d3 = text.charCodeAt(i + 3)
          if (!(d2 >= 0x30 && d2 <= 0x39 && d3 >= 0x30 && d3 <= 0x39)) {
            throw new WireFormatError('ERR_WIRE_BAD_ESCAPE', `Escape at character ${i} in "${text}" needs three digits`, i)
          }
          c = (d1 - 0x30) * 100 + (d2 - 0x30) * 10 + (d3 - 0x30)
          if (c > 255) throw new WireFormatError('ERR_WIRE_BAD_ESCAPE', `Escape \\${text.slice(i + 1, i + 4)} at character ${i} is over 255`, i)
          i += 3
        } else {
          c = d1
          i += 1
        }
      } else if (c >= 0x80) {
        // non-ASCII text is written as its UTF-8 octets, as BIND reads a UTF-8 file
        c = text.codePointAt(i)!
        if (c > 0xffff) i++
        octets = utf8Length(c)
      }
      labelLen += octets
      // RFC 1035 §2.3.4: labels are 63 octets or less.
      if (labelLen > MAX_LABEL_OCTETS) {
        throw new WireFormatError('ERR_WIRE_LABEL_TOO_LONG', `Label at character ${i} in "${text.slice(0, 80)}" is longer than ${MAX_LABEL_OCTETS} octets`, i)
      }
      if (out + octets > MAX_NAME_OCTETS - 1) {
        throw new WireFormatError('ERR_WIRE_NAME_TOO_LONG', `Name "${text.slice(0, 80)}…" is longer than ${MAX_NAME_OCTETS} octets`, i)
      }
      if (octets === 1) buf[out++] = c
      else out = writeUtf8(c, buf, out)
    }
    if (!absolute) {
      buf[lenPos] = labelLen
      if (!origin) {
        throw new WireFormatError('ERR_WIRE_RELATIVE_NAME', `"${text}" is a relative name and no origin is set`, 0)
      }
      const total = out + origin.wire.length
      // RFC 1035 §2.3.4: the whole name, origin included, is 255 octets or less.
      if (total > MAX_NAME_OCTETS) {
        throw new WireFormatError('ERR_WIRE_NAME_TOO_LONG', `Name "${text}" with origin "${origin.toString()}" is longer than ${MAX_NAME_OCTETS} octets`, 0)
      }
      const wire = slab(total)
      for (let j = 0; j < out; j++) wire[j] = buf[j]!
      wire.set(origin.wire, out)
      return new Name(wire)
    }
    const wire = slab(out + 1)
    for (let j = 0; j < out; j++) wire[j] = buf[j]!
    wire[out] = 0
    return new Name(wire)
  }

  /**
   * Validates and wraps an uncompressed wire name (no pointers, nothing after it).
   * @param wire the octets; kept, not copied
   * @throws {WireFormatError} ERR_WIRE_TRUNCATED, ERR_WIRE_LABEL_TOO_LONG,
   *   ERR_WIRE_BAD_POINTER, ERR_WIRE_NAME_TOO_LONG, ERR_WIRE_TRAILING_DATA
   */
  static fromWire(wire: Uint8Array): Name {
    let p = 0
    for (;;) {
      if (p >= wire.length) throw new WireFormatError('ERR_WIRE_TRUNCATED', `Name ends at offset ${p} without a root label`, p)
      const len = wire[p]!
      if (len === 0) break
      if (len >= 0xc0) throw new WireFormatError('ERR_WIRE_BAD_POINTER', `Compression pointer at offset ${p} in an uncompressed name`, p)
      if (len > MAX_LABEL_OCTETS) {
        throw new WireFormatError(len & 0x80 ? 'ERR_WIRE_BAD_LABEL_TYPE' : 'ERR_WIRE_LABEL_TOO_LONG', `Label length ${len} at offset ${p} is over ${MAX_LABEL_OCTETS}`, p)
      }
      p += len + 1
      if (p >= MAX_NAME_OCTETS) throw new WireFormatError('ERR_WIRE_NAME_TOO_LONG', `Name is longer than ${MAX_NAME_OCTETS} octets at offset ${p}`, p)
    }
    if (p + 1 !== wire.length) {
      throw new WireFormatError('ERR_WIRE_TRAILING_DATA', `${wire.length - p - 1} octets after the root label at offset ${p}`, p + 1)
    }
    return new Name(wire)
  }

  #labelOffsets(): number[] {
    return (this.#offsets ??= labelOffsets(this.wire))
  }

  /** Number of labels, root excluded (root = 0). A leading `*` counts. */
  get labelCount(): number {
    if (this.#offsets !== undefined) return this.#offsets.length
    // Counted without keeping an offsets array: a zone load asks this of every name.
    const w = this.wire
    let count = 0
    for (let p = 0; w[p] !== 0; p += w[p]! + 1) count++
    return count
  }

  /** Length of the uncompressed wire form in octets. */
  get length(): number {
    return this.wire.length
  }

  /**
   * The label at index `i` (0 = leftmost), as a view without its length octet.
   * @param i label index
   */
  label(i: number): Uint8Array {
    const offs = this.#labelOffsets()
    const o = offs[i]
    if (o === undefined) throw new RangeError(`label index ${i} out of range (0..${offs.length - 1})`)
    return this.wire.subarray(o + 1, o + 1 + this.wire[o]!)
  }

  /** True for `.`. */
  isRoot(): boolean {
    return this.wire.length === 1
  }

  /** True when the leftmost label is `*` (RFC 4592). */
  isWildcard(): boolean {
    return this.wire[0] === 1 && this.wire[1] === 0x2a
  }

  /**
   * Presentation format, absolute with a trailing dot, escaped as BIND's
   * masterfile output does: `. ; \ " ( ) @ $` get a backslash, octets outside
   * 0x21..0x7e become `\DDD`.
   */
  toString(): string {
    const w = this.wire
    if (w.length === 1) return '.'
    let s = ''
    let p = 0
    while (w[p] !== 0) {
      const len = w[p]!
      const end = p + 1 + len
      for (let i = p + 1; i < end; i++) {
        const c = w[i]!
        switch (c) {
          case 0x22: case 0x28: case 0x29: case 0x2e: case 0x3b: case 0x5c: case 0x40: case 0x24:
            s += '\\' + String.fromCharCode(c)
            break
          default:
            if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c)
            else s += '\\' + (c < 10 ? '00' : c < 100 ? '0' : '') + c
        }
      }
      s += '.'
      p = end
    }
    return s
  }

  /** Same as toString(), so names print well in template strings and JSON. */
  toJSON(): string {
    return this.toString()
  }

  /**
   * Case-insensitive equality (RFC 4343).
   * @param other the name to compare with
   */
  equals(other: Name): boolean {
    const a = this.wire, b = other.wire
    if (a === b) return true
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!, y = b[i]!
      if (x !== y && lower(x) !== lower(y)) return false
    }
    return true
  }

  /**
   * Canonical DNS name order (RFC 4034 §6.1): compare labels from the right,
   * each as lowercased octets; a name that runs out of labels sorts first.
   * @param other the name to compare with
   * @returns negative, zero or positive
   */
  compare(other: Name): number {
    const ao = this.#labelOffsets(), bo = other.#labelOffsets()
    const a = this.wire, b = other.wire
    let i = ao.length - 1, j = bo.length - 1
    for (; i >= 0 && j >= 0; i--, j--) {
      const pa = ao[i]!, pb = bo[j]!
      const la = a[pa]!, lb = b[pb]!
      const m = la < lb ? la : lb
      for (let k = 1; k <= m; k++) {
        const d = lower(a[pa + k]!) - lower(b[pb + k]!)
        if (d !== 0) return d
      }
      if (la !== lb) return la - lb
    }
    return (i + 1) - (j + 1)
  }

  /**
   * True when this name is `other` or below it.
   * @param other the possible ancestor
   */
  isSubdomainOf(other: Name): boolean {
    const a = this.wire, b = other.wire
    if (b.length > a.length) return false
    const start = a.length - b.length
    // the suffix has to start on a label boundary
    if (start !== 0 && start !== a.length - 1 && !onLabelBoundary(a, start)) return false
    for (let i = 0; i < b.length; i++) {
      const x = a[start + i]!, y = b[i]!
      if (x !== y && lower(x) !== lower(y)) return false
    }
    return true
  }

  /**
   * The name with the `levels` leftmost labels removed (a view, not a copy).
   * @param levels how many labels to strip (default 1)
   */
  parent(levels = 1): Name {
    if (levels === 0) return this
    const offs = this.#labelOffsets()
    if (levels < 0 || levels > offs.length) throw new RangeError(`cannot strip ${levels} labels from ${this.toString()}`)
    if (levels === offs.length) return Name.ROOT
    return new Name(this.wire.subarray(offs[levels]!))
  }

  /**
   * A new name with one label added on the left.
   * @param label the label as presentation text (escapes allowed) or raw octets
   * @throws {WireFormatError} ERR_WIRE_LABEL_TOO_LONG, ERR_WIRE_NAME_TOO_LONG, ERR_WIRE_EMPTY_LABEL
   */
  prepend(label: string | Uint8Array): Name {
    if (typeof label === 'string') return Name.fromString(label, this)
    if (label.length === 0) throw new WireFormatError('ERR_WIRE_EMPTY_LABEL', 'Cannot prepend an empty label', -1)
    if (label.length > MAX_LABEL_OCTETS) throw new WireFormatError('ERR_WIRE_LABEL_TOO_LONG', `Label of ${label.length} octets is longer than ${MAX_LABEL_OCTETS}`, -1)
    const total = label.length + 1 + this.wire.length
    if (total > MAX_NAME_OCTETS) throw new WireFormatError('ERR_WIRE_NAME_TOO_LONG', `Name would be ${total} octets, over ${MAX_NAME_OCTETS}`, -1)
    const w = new Uint8Array(total)
    w[0] = label.length
    w.set(label, 1)
    w.set(this.wire, label.length + 1)
    return new Name(w)
  }

  /**
   * Presentation text relative to `origin`: `@` when equal, the labels above it
   * without a trailing dot when below it, otherwise the absolute name.
   * @param origin the zone origin
   */
  relativeTo(origin: Name): string {
    if (this.equals(origin)) return '@'
    if (!origin.isRoot() && this.isSubdomainOf(origin)) {
      const keep = this.labelCount - origin.labelCount
      const offs = this.#labelOffsets()
      const head = new Uint8Array(offs[keep]! + 1)
      head.set(this.wire.subarray(0, offs[keep]!))
      const s = new Name(head).toString()
      return s.slice(0, -1)
    }
    return this.toString()
  }

  /** The same name with A-Z folded to a-z. Returns `this` when already lowercase. */
  toLowerCase(): Name {
    const w = this.wire
    let i = 0
    for (; i < w.length; i++) if (w[i]! >= 0x41 && w[i]! <= 0x5a) break
    if (i === w.length) return this
    return new Name(this.canonicalWire())
  }

  /** Lowercased uncompressed wire form (RFC 4034 §6.2 item 3); always a new array. */
  canonicalWire(): Uint8Array {
    const w = this.wire
    const out = new Uint8Array(w.length)
    for (let i = 0; i < w.length; i++) out[i] = lower(w[i]!)
    return out
  }

  /** A lowercase string usable as a Map key; equal names give equal keys. */
  hashKey(): string {
    if (this.#key !== undefined) return this.#key
    const w = this.wire
    // A native latin1 decode then toLowerCase is far cheaper than building the string a
    // char at a time; but toLowerCase also folds latin1 letters (0xC0-0xDE) where DNS
    // folds ASCII only (RFC 4343 §3), so names with such octets take the slow path.
    const fast = Buffer.from(w.buffer, w.byteOffset, w.length).toString('latin1')
    let i = 0
    while (i < fast.length && fast.charCodeAt(i) < 0xc0) i++
    if (i === fast.length) return (this.#key = fast.toLowerCase())
    let s = ''
    for (let j = 0; j < w.length; j++) s += String.fromCharCode(lower(w[j]!))
    return (this.#key = s)
  }
}
