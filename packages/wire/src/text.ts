/**
 * Presentation-format helpers shared by the RDATA codecs: base64, hex and
 * base32hex as BIND groups them, character-strings with BIND's escapes,
 * RRSIG times, numbers, and a cursor over the zone lexer's tokens.
 */
import { WireFormatError } from './errors.js'
import { slab } from './name.js'

/** One token of RDATA text from the zone lexer: escapes kept, quotes removed. */
export interface RDataToken {
  /** Token text with its backslash escapes still in it. */
  readonly value: string
  /** True when the token was a "quoted string". */
  readonly quoted: boolean
}

/**
 * Split an RDATA presentation string into tokens the way a zone lexer does
 * (whitespace separated, "quoted strings", escapes kept). For tests and tools;
 * parentheses and comments are the zone reader's business.
 * @param text e.g. `10 mail.example.test.` or `"a b" c`
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT on an unterminated quote
 */
export function tokenize(text: string): RDataToken[] {
  const out: RDataToken[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) { i++; continue }
    if (c === 0x22) {
      let j = i + 1
      let v = ''
      for (; j < n; j++) {
        const d = text.charCodeAt(j)
        if (d === 0x5c && j + 1 < n) { v += text[j]! + text[j + 1]!; j++; continue }
        if (d === 0x22) break
        v += text[j]!
      }
      if (j >= n) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `Unterminated quoted string at character ${i}`, i)
      out.push({ value: v, quoted: true })
      i = j + 1
      continue
    }
    let j = i
    let v = ''
    for (; j < n; j++) {
      const d = text.charCodeAt(j)
      if (d === 0x5c && j + 1 < n) { v += text[j]! + text[j + 1]!; j++; continue }
      if (d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d) break
      if (d === 0x22) {
        // key="value" (RFC 9460 §2.1): the quoted part, escapes and all, belongs to this token
        let k = j + 1
        while (k < n && text.charCodeAt(k) !== 0x22) k += text.charCodeAt(k) === 0x5c ? 2 : 1
        if (k >= n) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `Unterminated quoted string at character ${j}`, j)
        v += text.slice(j, k + 1)
        j = k
        continue
      }
      v += text[j]!
    }
    out.push({ value: v, quoted: false })
    i = j
  }
  return out
}

/** Reads RDATA tokens in order, with typed accessors and coded errors. */
export class TokenCursor {
  /** The tokens. */
  readonly tokens: readonly RDataToken[]
  /** Index of the next token. */
  i = 0
  /** Type mnemonic, for messages. */
  readonly what: string

  /**
   * @param tokens the RDATA tokens
   * @param what e.g. `MX`, used in error messages
   */
  constructor(tokens: readonly RDataToken[], what: string) {
    this.tokens = tokens
    this.what = what
  }

  /** True when tokens are left. */
  more(): boolean {
    return this.i < this.tokens.length
  }

  /** The next token, or an ERR_WIRE_BAD_TEXT naming `field`. */
  token(field: string): RDataToken {
    const t = this.tokens[this.i]
    if (t === undefined) throw this.error(`missing ${field}`)
    this.i++
    return t
  }

  /** The next token's text. */
  next(field: string): string {
    return this.token(field).value
  }

  /** A decimal integer in 0..max. */
  int(field: string, max: number): number {
    const s = this.next(field)
    return parseUint(s, max, `${this.what} ${field}`)
  }

  /** Everything that is left, concatenated (base64/hex split over tokens). */
  joinRest(field: string, allowEmpty = false): string {
    if (!this.more() && !allowEmpty) throw this.error(`missing ${field}`)
    let s = ''
    while (this.i < this.tokens.length) s += this.tokens[this.i++]!.value
    return s
  }

  /** Throws unless every token was used. */
  end(): void {
    if (this.i < this.tokens.length) throw this.error(`unexpected "${this.tokens[this.i]!.value}" after the RDATA`)
  }

  /** An ERR_WIRE_BAD_TEXT for this record type. */
  error(msg: string): WireFormatError {
    return new WireFormatError('ERR_WIRE_BAD_TEXT', `${this.what}: ${msg}`, -1)
  }
}

/**
 * A decimal integer in 0..max; no sign, no spaces.
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT
 */
export function parseUint(s: string, max: number, what: string): number {
  if (s.length === 0 || s.length > 10) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: "${s}" is not a number in 0..${max}`, -1)
  let v = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 0x30
    if (c < 0 || c > 9) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: "${s}" is not a number in 0..${max}`, -1)
    v = v * 10 + c
  }
  if (v > max) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: ${v} is over ${max}`, -1)
  return v
}

/**
 * A TTL-style duration: seconds, or BIND units `1w2d3h4m5s` (case-insensitive).
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT
 */
export function parseTtl(s: string, what: string): number {
  let total = 0, cur = 0, digits = 0, units = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x30 && c <= 0x39) { cur = cur * 10 + (c - 0x30); digits++; continue }
    if (digits === 0) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: "${s}" is not a time value`, -1)
    const u = c | 0x20
    const mul = u === 0x77 ? 604800 : u === 0x64 ? 86400 : u === 0x68 ? 3600 : u === 0x6d ? 60 : u === 0x73 ? 1 : 0
    if (mul === 0) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: "${s}" is not a time value`, -1)
    total += cur * mul
    cur = 0; digits = 0; units = true
  }
  if (digits > 0) total += cur
  else if (!units) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: empty time value`, -1)
  if (total > 0xffffffff) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: ${s} is over 2^32-1 seconds`, -1)
  return total
}

const HEX = '0123456789ABCDEF'

/** Uppercase hex, no spaces. */
export function toHex(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!
  return s
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  c |= 0x20
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  return -1
}

/**
 * Hex (either case) to bytes.
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT
 */
export function fromHex(s: string, what: string): Uint8Array {
  if (s.length % 2 !== 0) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: odd number of hex digits`, -1)
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) {
    const a = hexVal(s.charCodeAt(2 * i)), b = hexVal(s.charCodeAt(2 * i + 1))
    if (a < 0 || b < 0) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: "${s.slice(2 * i, 2 * i + 2)}" is not hex`, -1)
    out[i] = (a << 4) | b
  }
  return out
}

/** Base64 (RFC 4648 §4, padded). */
export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
}

function b64Val(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41
  if (c >= 0x61 && c <= 0x7a) return c - 0x47
  if (c >= 0x30 && c <= 0x39) return c + 4
  if (c === 0x2b) return 62
  if (c === 0x2f) return 63
  return -1
}

/**
 * Strict base64: whole quads, padding only at the end.
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT
 */
export function fromBase64(s: string, what: string): Uint8Array {
  if (s.length % 4 !== 0) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: base64 length ${s.length} is not a multiple of 4`, -1)
  let pad = 0
  if (s.endsWith('==')) pad = 2
  else if (s.endsWith('=')) pad = 1
  for (let i = 0; i < s.length - pad; i++) {
    if (b64Val(s.charCodeAt(i)) < 0) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: "${s[i]}" at ${i} is not base64`, -1)
  }
  const b = Buffer.from(s, 'base64')
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/**
 * Split `s` into space-separated groups of `n` characters, as BIND's
 * full-style output does for base64 and hex (56 columns).
 */
export function group(s: string, n = 56): string {
  if (s.length <= n) return s
  let out = s.slice(0, n)
  for (let i = n; i < s.length; i += n) out += ' ' + s.slice(i, i + n)
  return out
}

const B32 = '0123456789ABCDEFGHIJKLMNOPQRSTUV'

/** Base32hex (RFC 4648 §7), uppercase, no padding (RFC 5155 §3.3). */
export function toBase32Hex(b: Uint8Array): string {
  let s = ''
  let bits = 0, acc = 0
  for (let i = 0; i < b.length; i++) {
    acc = (acc << 8) | b[i]!
    bits += 8
    while (bits >= 5) {
      s += B32[(acc >>> (bits - 5)) & 31]!
      bits -= 5
    }
    acc &= (1 << bits) - 1
  }
  if (bits > 0) s += B32[(acc << (5 - bits)) & 31]!
  return s
}

/**
 * Base32hex, either case, padding optional.
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT
 */
export function fromBase32Hex(s: string, what: string): Uint8Array {
  let end = s.length
  while (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--
  const rem = end % 8
  if (rem === 1 || rem === 3 || rem === 6) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: base32hex length ${end} is not valid`, -1)
  const out = new Uint8Array(Math.floor(end * 5 / 8))
  let bits = 0, acc = 0, o = 0
  for (let i = 0; i < end; i++) {
    let c = s.charCodeAt(i)
    let v: number
    if (c >= 0x30 && c <= 0x39) v = c - 0x30
    else {
      c |= 0x20
      if (c >= 0x61 && c <= 0x76) v = c - 0x57
      else throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: "${s[i]}" is not base32hex`, -1)
    }
    acc = ((acc << 5) | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      out[o++] = (acc >>> (bits - 8)) & 0xff
      bits -= 8
    }
  }
  // RFC 4648 §6: the unused low bits have to be zero, or two texts decode alike.
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: base32hex has non-zero trailing bits`, -1)
  return out
}

/**
 * One character-string as BIND prints it: quoted, `"` and `\` escaped,
 * octets outside 0x20..0x7e as `\DDD`.
 */
export function quoteString(b: Uint8Array): string {
  let s = '"'
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!
    if (c === 0x22 || c === 0x5c) s += '\\' + String.fromCharCode(c)
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c)
    else s += '\\' + (c < 10 ? '00' : c < 100 ? '0' : '') + c
  }
  return s + '"'
}

/**
 * Unescape presentation text (`\X`, `\DDD`) to octets. Non-ASCII characters
 * become their UTF-8 octets, as BIND reads a UTF-8 zone file.
 * @throws {WireFormatError} ERR_WIRE_BAD_ESCAPE
 */
export function unescapeText(s: string, what: string): Uint8Array {
  // Plain ASCII without escapes (most TXT strings) is its own octets: no number[] detour.
  const n = s.length
  let k = 0
  while (k < n) { const c = s.charCodeAt(k); if (c === 0x5c || c >= 0x80) break; k++ }
  if (k === n) {
    // a view into a shared slab: no ArrayBuffer of its own (a TXT record per name is common)
    const b = n <= 255 ? slab(n) : new Uint8Array(n)
    for (let j = 0; j < n; j++) b[j] = s.charCodeAt(j)
    return b
  }
  const out: number[] = []
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i)
    if (c === 0x5c) {
      if (i + 1 >= s.length) throw new WireFormatError('ERR_WIRE_BAD_ESCAPE', `${what}: backslash at the end of "${s}"`, -1)
      const d1 = s.charCodeAt(i + 1)
      if (d1 >= 0x30 && d1 <= 0x39) {
        const d2 = s.charCodeAt(i + 2), d3 = s.charCodeAt(i + 3)
        if (!(d2 >= 0x30 && d2 <= 0x39 && d3 >= 0x30 && d3 <= 0x39)) throw new WireFormatError('ERR_WIRE_BAD_ESCAPE', `${what}: \\DDD needs three digits in "${s}"`, -1)
        c = (d1 - 0x30) * 100 + (d2 - 0x30) * 10 + (d3 - 0x30)
        if (c > 255) throw new WireFormatError('ERR_WIRE_BAD_ESCAPE', `${what}: \\${s.slice(i + 1, i + 4)} is over 255`, -1)
        i += 3
      } else if (d1 >= 0x80) {
        const cp = s.codePointAt(i + 1)!
        i += cp > 0xffff ? 2 : 1
        for (const x of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(x)
        continue
      } else {
        c = d1
        i++
      }
      out.push(c)
    } else if (c >= 0x80) {
      const cp = s.codePointAt(i)!
      if (cp > 0xffff) i++
      for (const x of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(x)
    } else out.push(c)
  }
  return Uint8Array.from(out)
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0')
}

/**
 * RRSIG time (RFC 4034 §3.2) as YYYYMMDDHHmmSS. The field is a 32-bit serial number
 * (RFC 1982, RFC 4034 §3.1.5), so it is printed as the date nearest `now` (within 2^31
 * seconds either side), as BIND's `dns_time32_totext` does: in 2026, 0 is 1970-01-01 and
 * 0xF0000000 is 1961-06-30, not 2097.
 * @param t the 32-bit field
 * @param now the present in seconds since 1970 (default: the clock)
 */
export function timeToText(t: number, now: number = Math.floor(Date.now() / 1000)): string {
  // RFC 1982 §3.2: t is after now when (t - now) mod 2^32 is in 1..2^31-1.
  const secs = now + ((t - now) | 0)
  const d = new Date(secs * 1000)
  return pad(d.getUTCFullYear(), 4) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) +
    pad(d.getUTCHours(), 2) + pad(d.getUTCMinutes(), 2) + pad(d.getUTCSeconds(), 2)
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * RRSIG time from YYYYMMDDHHmmSS (any year 0000..9999, before 1970 too) or from plain
 * seconds (RFC 4034 §3.2), reduced modulo 2^32 (serial arithmetic, RFC 4034 §3.1.5), as
 * BIND's `dns_time32_fromtext` reads it. The day must exist in its month; second 60 (a
 * leap second) is accepted and counts as the next minute's 0.
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT
 */
export function timeFromText(s: string, what: string): number {
  if (s.length !== 14) return parseUint(s, 0xffffffff, what)
  const n = (a: number, b: number): number => parseUint(s.slice(a, b), 9999, what)
  const y = n(0, 4), mo = n(4, 6), d = n(6, 8), h = n(8, 10), mi = n(10, 12), se = n(12, 14)
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  if (mo < 1 || mo > 12 || d < 1 || d > MONTH_DAYS[mo - 1]! + (mo === 2 && leap ? 1 : 0) || h > 23 || mi > 59 || se > 60) {
    throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${what}: "${s}" is not a valid YYYYMMDDHHmmSS time`, -1)
  }
  // Date.UTC would read years 0..99 as 1900..1999; setUTCFullYear takes them as they are.
  const date = new Date(0)
  date.setUTCFullYear(y, mo - 1, d)
  const secs = date.getTime() / 1000 + h * 3600 + mi * 60 + se
  return ((secs % 0x100000000) + 0x100000000) % 0x100000000
}
