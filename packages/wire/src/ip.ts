/**
 * IPv4 and IPv6 address text, as glibc's inet_ntop/inet_pton (and so BIND) do.
 */
import { WireFormatError } from './errors.js'

/** Dotted quad from 4 octets at `o`. */
export function ipv4ToText(b: Uint8Array, o = 0): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`
}

/**
 * Parse a dotted quad into `out` at `o`.
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT
 */
export function ipv4FromText(s: string, out: Uint8Array = new Uint8Array(4), o = 0): Uint8Array {
  let part = 0, val = 0, digits = 0
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e
    if (c === 0x2e) {
      if (digits === 0 || part > 3) throw bad4(s)
      out[o + part++] = val
      val = 0; digits = 0
      continue
    }
    const d = c - 0x30
    if (d < 0 || d > 9 || (digits > 0 && val === 0)) throw bad4(s)
    val = val * 10 + d
    digits++
    if (val > 255) throw bad4(s)
  }
  if (part !== 4) throw bad4(s)
  return out
}

function bad4(s: string): WireFormatError {
  return new WireFormatError('ERR_WIRE_BAD_TEXT', `"${s}" is not an IPv4 address`, -1)
}

function bad6(s: string): WireFormatError {
  return new WireFormatError('ERR_WIRE_BAD_TEXT', `"${s}" is not an IPv6 address`, -1)
}

/** RFC 5952 text of 16 octets at `o`, with glibc's IPv4-mapped/compatible forms. */
export function ipv6ToText(b: Uint8Array, o = 0): string {
  const words: number[] = []
  for (let i = 0; i < 8; i++) words.push((b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!)
  let bestBase = -1, bestLen = 0, curBase = -1, curLen = 0
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) { curBase = i; curLen = 1 } else curLen++
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) { bestBase = curBase; bestLen = curLen }
      curBase = -1
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) { bestBase = curBase; bestLen = curLen }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1
  let s = ''
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':'
      continue
    }
    if (i !== 0) s += ':'
    // glibc inet_ntop6: ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 tail
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      s += ipv4ToText(b, o + 12)
      break
    }
    s += words[i]!.toString(16)
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ':'
  return s
}

const WORDS = new Uint16Array(8)
const TAIL = new Uint16Array(8)

/** Colon-separated groups of 1-4 hex digits in s[start, end) into `into`; the count, or throws. */
function hexGroups(s: string, start: number, end: number, into: Uint16Array, at: number): number {
  if (start === end) return 0
  let count = 0
  let p = start
  for (;;) {
    let v = 0
    let q = p
    while (q < end) {
      const c = s.charCodeAt(q)
      if (c === 0x3a) break
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1
      if (d < 0) throw bad6(s)
      v = v * 16 + d
      q++
    }
    if (q === p || q - p > 4 || count === 8) throw bad6(s)
    into[at + count++] = v
    if (q === end) return count
    p = q + 1
  }
}

/**
 * Parse IPv6 text (with `::` and an optional dotted-quad tail) into `out` at `o`.
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT
 */
export function ipv6FromText(s: string, out: Uint8Array = new Uint8Array(16), o = 0): Uint8Array {
  const dbl = s.indexOf('::')
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) throw bad6(s)
  // Without a dotted-quad tail, parse in place: no split, no arrays (a zone load parses
  // every AAAA address). Accepts and rejects exactly what the general path below does.
  if (s.indexOf('.') < 0) {
    if (dbl < 0) {
      if (hexGroups(s, 0, s.length, WORDS, 0) !== 8) throw bad6(s)
    } else {
      const head = hexGroups(s, 0, dbl, WORDS, 0)
      const tail = hexGroups(s, dbl + 2, s.length, TAIL, 0)
      if (head + tail > 7) throw bad6(s)
      for (let i = head; i < 8 - tail; i++) WORDS[i] = 0
      for (let i = 0; i < tail; i++) WORDS[8 - tail + i] = TAIL[i]!
    }
    for (let i = 0; i < 8; i++) {
      out[o + 2 * i] = WORDS[i]! >> 8
      out[o + 2 * i + 1] = WORDS[i]! & 0xff
    }
    return out
  }
  const parseSide = (t: string, allowV4: boolean): number[] => {
    if (t === '') return []
    const parts = t.split(':')
    const words: number[] = []
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!
      if (allowV4 && i === parts.length - 1 && p.includes('.')) {
        const v4 = ipv4FromText(p)
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
        continue
      }
      if (p.length === 0 || p.length > 4) throw bad6(s)
      let v = 0
      for (let j = 0; j < p.length; j++) {
        const c = p.charCodeAt(j)
        const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1
        if (d < 0) throw bad6(s)
        v = v * 16 + d
      }
      words.push(v)
    }
    return words
  }
  let words: number[]
  if (dbl >= 0) {
    const head = parseSide(s.slice(0, dbl), false)
    const tail = parseSide(s.slice(dbl + 2), true)
    if (head.length + tail.length > 7) throw bad6(s)
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
  } else {
    words = parseSide(s, true)
    if (words.length !== 8) throw bad6(s)
  }
  for (let i = 0; i < 8; i++) {
    out[o + 2 * i] = words[i]! >> 8
    out[o + 2 * i + 1] = words[i]! & 0xff
  }
  return out
}
