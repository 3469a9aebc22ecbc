/** A minimal DER writer (X.690 §10) for the structures PKCS#12 needs. */

function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n]
  const out: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff)
  return [0x80 | out.length, ...out]
}

/** Tag-length-value. */
export function tlv(tag: number, body: Uint8Array): Uint8Array {
  const len = lengthOctets(body.length)
  const out = new Uint8Array(1 + len.length + body.length)
  out[0] = tag
  out.set(len, 1)
  out.set(body, 1 + len.length)
  return out
}

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** SEQUENCE. */
export const seq = (...items: Uint8Array[]): Uint8Array => tlv(0x30, concat(...items))
/** SET OF (elements sorted, X.690 §11.6). */
export const set = (...items: Uint8Array[]): Uint8Array => tlv(0x31, concat(...[...items].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))))
/** OCTET STRING. */
export const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b)
/** NULL. */
export const nul = (): Uint8Array => new Uint8Array([0x05, 0x00])
/** [n] EXPLICIT / constructed context tag. */
export const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 | n, inner)
/** [n] IMPLICIT primitive context tag. */
export const implicitPrimitive = (n: number, body: Uint8Array): Uint8Array => tlv(0x80 | n, body)
/** BMPString (UTF-16BE). */
export const bmpString = (s: string): Uint8Array => tlv(0x1e, Buffer.from(s, 'utf16le').swap16())

/** INTEGER from a non-negative number or bigint. */
export function integer(n: number | bigint): Uint8Array {
  let hex = BigInt(n).toString(16)
  if (hex.length % 2 === 1) hex = `0${hex}`
  if (parseInt(hex.slice(0, 2), 16) > 0x7f) hex = `00${hex}`
  return tlv(0x02, new Uint8Array(Buffer.from(hex, 'hex')))
}

/** OBJECT IDENTIFIER from dotted text (X.690 §8.19, arcs of any size). */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => BigInt(a))
  const [a0 = 0n, a1 = 0n, ...rest] = arcs
  const body: number[] = []
  for (const arc of [a0 * 40n + a1, ...rest]) {
    const bytes: number[] = [Number(arc & 0x7fn)]
    for (let v = arc >> 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80)
    body.push(...bytes)
  }
  return tlv(0x06, new Uint8Array(body))
}
