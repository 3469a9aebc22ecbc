/**
 * BIND's `$GENERATE range lhs [ttl] [class] type rhs` text substitution.
 *
 * In lhs and rhs, `$` is the iterator, `$$` a literal dollar, `\x` is copied with its
 * backslash, and `${offset[,width[,base]]}` adds an offset, zero-pads to a width and
 * prints in base d, o, x, X, n or N (nibbles, least significant first, dot separated,
 * the width counting the dots too), exactly as BIND 9's `genname()` does.
 */

/** The most iterations one $GENERATE may produce (a typo like 0-4000000000 must not hang the reader). */
export const MAX_GENERATE_ITERATIONS = 1_000_000

/** A parsed $GENERATE range. */
export interface GenerateRange { readonly start: number; readonly stop: number; readonly step: number }

/**
 * Parse `start-stop[/step]`. Returns null when malformed, when stop < start, or when
 * step < 1 (as BIND: "invalid range").
 */
export function parseGenerateRange(text: string): GenerateRange | null {
  const m = /^([0-9]{1,10})-([0-9]{1,10})(?:\/([0-9]{1,10}))?$/.exec(text)
  if (!m) return null
  const start = Number(m[1])
  const stop = Number(m[2])
  const step = m[3] === undefined ? 1 : Number(m[3])
  if (start > 0x7fffffff || stop > 0x7fffffff || stop < start || step < 1 || step > 0x7fffffff) return null
  return { start, stop, step }
}

const HEX_LOWER = '0123456789abcdef'
const HEX_UPPER = '0123456789ABCDEF'

function nibbles(value: number, width: number, upper: boolean): string {
  const digits = upper ? HEX_UPPER : HEX_LOWER
  let out = ''
  let v = value
  let w = width
  do {
    out += digits[v & 0x0f]
    v = Math.floor(v / 16)
    if (w > 0) w--
    // A separator when more digits follow, either from the value or the width.
    if (w > 0 || v !== 0) {
      out += '.'
      if (w > 0) w--
    }
  } while (v !== 0 || w > 0)
  return out
}

function formatNumber(value: number, width: number, base: string): string {
  let s: string
  switch (base) {
    case 'o': s = value.toString(8); break
    case 'x': s = value.toString(16); break
    case 'X': s = value.toString(16).toUpperCase(); break
    case 'n': return nibbles(value, width, false)
    case 'N': return nibbles(value, width, true)
    default: s = value.toString(10)
  }
  if (value < 0) {
    const digits = s.slice(1)
    return '-' + digits.padStart(Math.max(0, width - 1), '0')
  }
  return s.padStart(width, '0')
}

/**
 * Substitute the iterator into a $GENERATE template. Returns null on a malformed
 * `${…}` modifier.
 *
 * @example
 * generateText('host-${10,3,d}', 2) // 'host-012'
 */
export function generateText(template: string, it: number): string | null {
  let out = ''
  const n = template.length
  let i = 0
  while (i < n) {
    const c = template[i]!
    if (c === '$') {
      i++
      if (template[i] === '$') { out += '$'; i++; continue }
      let delta = 0
      let width = 0
      let base = 'd'
      if (template[i] === '{') {
        const close = template.indexOf('}', i)
        if (close < 0) return null
        const m = /^\{([+-]?[0-9]{1,10})(?:,([0-9]{1,3})(?:,([doxXnN]))?)?\}$/.exec(template.slice(i, close + 1))
        if (!m) return null
        delta = Number(m[1])
        if (m[2] !== undefined) width = Number(m[2])
        if (m[3] !== undefined) base = m[3]
        i = close + 1
      }
      const value = it + delta
      if (!Number.isSafeInteger(value) || value > 0x7fffffff) return null
      if (value < 0 && (base === 'n' || base === 'N')) return null
      out += formatNumber(value, width, base)
    } else if (c === '\\') {
      out += c
      i++
      if (i < n) { out += template[i]; i++ }
    } else {
      out += c
      i++
    }
  }
  return out
}
