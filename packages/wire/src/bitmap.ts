/**
 * NSEC/NSEC3/CSYNC type bitmaps (RFC 4034 §4.1.2, RFC 5155 §3.2.1).
 */
import { WireFormatError } from './errors.js'

/**
 * Encode a list of RR types as window blocks. Duplicates are dropped, order
 * does not matter.
 * @param types RR type numbers (0..65535)
 * @throws {WireFormatError} ERR_WIRE_VALUE_RANGE for a value outside 0..65535
 * @example encodeTypeBitmap([1, 2, 6, 46, 47, 48])
 */
export function encodeTypeBitmap(types: readonly number[]): Uint8Array {
  if (types.length === 0) return new Uint8Array(0)
  const sorted = Int32Array.from(types).sort()
  for (const t of sorted) {
    if (t < 0 || t > 0xffff || !Number.isInteger(t)) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `Type ${t} is not in 0..65535`, -1)
  }
  const out = new Uint8Array(sorted.length * 34 > 8704 ? 8704 : sorted.length * 34)
  let o = 0
  let i = 0
  while (i < sorted.length) {
    const win = sorted[i]! >> 8
    const start = o
    o += 2
    let maxOctet = 0
    for (; i < sorted.length && sorted[i]! >> 8 === win; i++) {
      const low = sorted[i]! & 0xff
      const oct = low >> 3
      out[start + 2 + oct]! |= 0x80 >> (low & 7)
      if (oct + 1 > maxOctet) maxOctet = oct + 1
    }
    out[start] = win
    out[start + 1] = maxOctet
    o = start + 2 + maxOctet
  }
  return out.slice(0, o)
}

/**
 * Decode window blocks into a sorted type list. Windows must increase, each
 * bitmap be 1..32 octets and end in a non-zero octet (RFC 4034 §4.1.2).
 * @param buf the bytes holding the bitmap
 * @param offset where it starts (also used in error offsets)
 * @param end where it ends
 * @throws {WireFormatError} ERR_WIRE_BAD_RDATA, ERR_WIRE_TRUNCATED
 */
export function decodeTypeBitmap(buf: Uint8Array, offset = 0, end = buf.length): number[] {
  const types: number[] = []
  let p = offset
  let lastWin = -1
  while (p < end) {
    if (p + 2 > end) throw new WireFormatError('ERR_WIRE_TRUNCATED', `Type bitmap window at offset ${p} is cut off`, p)
    const win = buf[p]!, len = buf[p + 1]!
    // RFC 4034 §4.1.2: blocks in increasing window order, 1..32 octets, no trailing zero octets.
    if (win <= lastWin) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `Type bitmap window ${win} at offset ${p} is not after window ${lastWin}`, p)
    if (len < 1 || len > 32) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `Type bitmap length ${len} at offset ${p + 1} is not in 1..32`, p + 1)
    if (p + 2 + len > end) throw new WireFormatError('ERR_WIRE_TRUNCATED', `Type bitmap at offset ${p} runs past offset ${end}`, p)
    if (buf[p + 1 + len] === 0) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `Type bitmap window ${win} at offset ${p} ends in a zero octet`, p)
    for (let i = 0; i < len; i++) {
      const b = buf[p + 2 + i]!
      if (b === 0) continue
      for (let bit = 0; bit < 8; bit++) if (b & (0x80 >> bit)) types.push((win << 8) | (i << 3) | bit)
    }
    lastWin = win
    p += 2 + len
  }
  return types
}
