/**
 * RDATA from presentation tokens straight to uncompressed wire octets, for the types
 * that fill large zones, without making the typed RDATA object first: a zone that
 * keeps records as octets (`@secdns/zone`) would only encode that object again and
 * drop it.
 */
import { Name } from './name.js'
import { ipv4FromText, ipv6FromText } from './ip.js'
import { fromBase64, parseTtl, parseUint, timeFromText, type RDataToken } from './text.js'
import { RRType, rrTypeFromString } from './types.js'
import { encodeTypeBitmap } from './bitmap.js'
import { MAX_CHARACTER_STRING } from './limits.js'
import type { WireWriter } from './writer.js'

const DIGEST_LENGTH: Record<number, number> = { 1: 20, 2: 32, 3: 32, 4: 48 }

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  return -1
}

function uint(s: string, max: number): number {
  try { return parseUint(s, max, '') } catch { return -1 }
}

// Numeric algorithm only: mnemonics go the typed way.
function alg(s: string): number {
  const c = s.charCodeAt(0)
  return c >= 0x30 && c <= 0x39 ? uint(s, 255) : -1
}

function base64Rest(w: WireWriter, tokens: readonly RDataToken[], from: number, what: string): void {
  let s = ''
  for (let t = from; t < tokens.length; t++) s += tokens[t]!.value
  w.bytes(fromBase64(s, what))
}

function name(w: WireWriter, s: string, origin: Name | null): boolean {
  let n: Name
  try { n = Name.fromString(s, origin) } catch { return false }
  w.bytes(n.wire)
  return true
}

function write(w: WireWriter, type: number, tokens: readonly RDataToken[], f: number, origin: Name | null): boolean {
  const n = tokens.length - f
  switch (type) {
    case RRType.A: {
      if (n !== 1) return false
      w.ensure(4)
      try { ipv4FromText(tokens[f + 0]!.value, w.buf, w.pos) } catch { return false }
      w.pos += 4
      return true
    }
    case RRType.AAAA: {
      if (n !== 1) return false
      w.ensure(16)
      try { ipv6FromText(tokens[f + 0]!.value, w.buf, w.pos) } catch { return false }
      w.pos += 16
      return true
    }
    case RRType.NS: case RRType.CNAME: case RRType.PTR: case RRType.DNAME:
      return n === 1 && name(w, tokens[f + 0]!.value, origin)
    case RRType.MX: {
      if (n !== 2) return false
      const pref = uint(tokens[f + 0]!.value, 0xffff)
      if (pref < 0) return false
      w.u16(pref)
      return name(w, tokens[f + 1]!.value, origin)
    }
    case RRType.TXT: case RRType.SPF: {
      if (n === 0) return false
      for (let t = 0; t < n; t++) {
        const s = tokens[f + t]!.value
        const len = s.length
        // only plain ASCII without escapes; anything else goes the typed way
        if (len > MAX_CHARACTER_STRING) return false
        w.ensure(len + 1)
        const b = w.buf
        let p = w.pos
        b[p++] = len
        for (let i = 0; i < len; i++) {
          const c = s.charCodeAt(i)
          if (c === 0x5c || c >= 0x80) return false
          b[p++] = c
        }
        w.pos = p
      }
      return true
    }
    case RRType.DS: case RRType.CDS: {
      if (n < 3) return false
      const keyTag = uint(tokens[f + 0]!.value, 0xffff)
      // mnemonic algorithms go the typed way
      const alg = uint(tokens[f + 1]!.value, 255)
      const digestType = uint(tokens[f + 2]!.value, 255)
      if (keyTag < 0 || alg < 0 || digestType < 0) return false
      let hexLen = 0
      for (let t = 3; t < n; t++) hexLen += tokens[f + t]!.value.length
      if (hexLen % 2 !== 0) return false
      const want = DIGEST_LENGTH[digestType]
      if (want !== undefined && hexLen / 2 !== want) return false
      w.ensure(4 + hexLen / 2)
      w.u16(keyTag); w.u8(alg); w.u8(digestType)
      const b = w.buf
      let p = w.pos
      let hi = -1
      for (let t = 3; t < n; t++) {
        const s = tokens[f + t]!.value
        for (let i = 0; i < s.length; i++) {
          const v = hexVal(s.charCodeAt(i))
          if (v < 0) return false
          if (hi < 0) hi = v
          else { b[p++] = (hi << 4) | v; hi = -1 }
        }
      }
      w.pos = p
      return true
    }
    case RRType.RRSIG: {
      if (n < 8) return false
      const covered = rrTypeFromString(tokens[f + 0]!.value)
      const a = alg(tokens[f + 1]!.value)
      const labels = uint(tokens[f + 2]!.value, 255)
      if (a < 0 || labels < 0) return false
      const originalTtl = parseTtl(tokens[f + 3]!.value, 'RRSIG original TTL')
      const expiration = timeFromText(tokens[f + 4]!.value, 'RRSIG expiration')
      const inception = timeFromText(tokens[f + 5]!.value, 'RRSIG inception')
      const keyTag = uint(tokens[f + 6]!.value, 0xffff)
      if (keyTag < 0) return false
      w.ensure(18)
      w.u16(covered); w.u8(a); w.u8(labels); w.u32(originalTtl); w.u32(expiration); w.u32(inception); w.u16(keyTag)
      if (!name(w, tokens[f + 7]!.value, origin)) return false
      base64Rest(w, tokens, f + 8, 'RRSIG signature')
      return true
    }
    case RRType.NSEC: {
      if (n < 1) return false
      if (!name(w, tokens[f + 0]!.value, origin)) return false
      const types = new Set<number>()
      for (let t = 1; t < n; t++) types.add(rrTypeFromString(tokens[f + t]!.value))
      w.bytes(encodeTypeBitmap([...types].sort((x, y) => x - y)))
      return true
    }
    case RRType.DNSKEY: case RRType.CDNSKEY: {
      if (n < 3) return false
      const flags = uint(tokens[f + 0]!.value, 0xffff)
      const protocol = uint(tokens[f + 1]!.value, 255)
      const a = alg(tokens[f + 2]!.value)
      if (flags < 0 || protocol < 0 || a < 0) return false
      w.u16(flags); w.u8(protocol); w.u8(a)
      base64Rest(w, tokens, f + 3, 'DNSKEY public key')
      return true
    }
    default:
      return false
  }
}

/**
 * Write the RDATA of a record in presentation format straight into `w`, uncompressed,
 * for A, AAAA, NS, CNAME, PTR, DNAME, MX, TXT, SPF, DS, CDS, RRSIG, NSEC, DNSKEY and
 * CDNSKEY in their usual forms.
 *
 * When it returns true, the octets written are exactly those of
 * `writeRData(w, rdataFromText(type, tokens, origin), 0)`. It returns false, leaving
 * `w` as it was, for any other type, the RFC 3597 `\#` form, escapes, algorithm
 * mnemonics, and for text that does not parse: use {@link rdataFromText} then, which
 * says precisely what is wrong.
 *
 * @param w the writer (at the RDATA start)
 * @param type the RR type
 * @param tokens RDATA tokens, escapes kept, quotes removed (as the zone lexer gives them)
 * @param origin for relative names (null: names must be absolute)
 * @param from index of the first RDATA token in `tokens` (default 0)
 * @example
 * const w = new WireWriter(64)
 * rdataTextToWire(w, RRType.A, [{ value: '192.0.2.1', quoted: false }], null) // true; w.buf[0..4] = c0 00 02 01
 */
export function rdataTextToWire(w: WireWriter, type: number, tokens: readonly RDataToken[], origin: Name | null, from = 0): boolean {
  const start = w.pos
  if (tokens.length > from && tokens[from]!.value === '\\#' && !tokens[from]!.quoted) return false
  let ok = false
  try {
    ok = write(w, type, tokens, from, origin)
  } catch {
    ok = false
  }
  if (!ok) w.pos = start
  return ok
}
