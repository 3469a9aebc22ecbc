/**
 * TTL text as BIND reads it: plain seconds (`3600`) or unit groups (`1h30m`, `1W2D`),
 * units s, m, h, d, w in either case.
 */

/** The largest TTL a master file may hold (RFC 2181 §8: 2^31 - 1). */
export const MAX_TTL = 0x7fffffff

const UNIT: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/**
 * Parse a TTL. Returns null when the text is not a TTL at all (so the caller can try
 * it as a class or type); values above 2^32 - 1 also return null.
 *
 * @param text e.g. `3600`, `1h30m`, `1W2D`
 * @returns seconds, or null
 * @example
 * parseTtl('1h30m') // 5400
 */
export function parseTtl(text: string): number | null {
  const n = text.length
  if (n === 0) return null
  let total = 0
  let i = 0
  let groups = 0
  while (i < n) {
    const start = i
    let v = 0
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c < 48 || c > 57) break
      v = v * 10 + (c - 48)
      if (v > 0xffffffff) return null
      i++
    }
    if (i === start) return null
    if (i === n) {
      // A bare number is seconds only when it is the whole TTL: BIND rejects `1h30`.
      if (groups > 0) return null
      return v
    }
    const mult = UNIT[text[i]!.toLowerCase()]
    if (mult === undefined) return null
    i++
    total += v * mult
    if (total > 0xffffffff) return null
    groups++
  }
  return total
}

/** True when the token starts like a TTL (a digit): then it must parse as one. */
export function looksLikeTtl(text: string): boolean {
  const c = text.charCodeAt(0)
  return c >= 48 && c <= 57
}

/**
 * Parse a class mnemonic as it may appear in a master file: IN, CH (CHAOS), HS (HESIOD)
 * or RFC 3597 `CLASSnnn`. Returns null for anything else.
 */
export function parseClass(text: string): number | null {
  // Fast refusal: every class mnemonic starts with C, H or I (types mostly do not).
  const c0 = text.charCodeAt(0) | 0x20
  if (c0 !== 0x63 && c0 !== 0x68 && c0 !== 0x69) return null
  const u = text.toUpperCase()
  switch (u) {
    case 'IN': return 1
    case 'CH': case 'CHAOS': return 3
    case 'HS': case 'HESIOD': return 4
  }
  if (u.length > 5 && u.startsWith('CLASS')) {
    const digits = u.slice(5)
    if (!/^[0-9]{1,5}$/.test(digits)) return null
    const v = Number(digits)
    return v <= 0xffff ? v : null
  }
  return null
}

/** The mnemonic of a class number (RFC 3597 `CLASSnnn` when it has none). */
export function classToString(c: number): string {
  switch (c) {
    case 1: return 'IN'
    case 3: return 'CH'
    case 4: return 'HS'
    default: return `CLASS${c}`
  }
}
