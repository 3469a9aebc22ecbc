/**
 * DNSSEC time values: unix seconds, the YYYYMMDDHHmmSS form (RFC 4034 §3.2, BIND key
 * metadata) and relative offsets such as `+30d`.
 */
import { DnssecError } from './errors.js'

/** Current time in unix seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** Unix seconds as YYYYMMDDHHmmSS (UTC). */
export function toDnssecTime(seconds: number): string {
  const d = new Date(seconds * 1000)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`
}

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 }

/**
 * Parse a duration such as `3600`, `90m`, `1h30m`, `30d`, `2w` into seconds.
 *
 * @throws {DnssecError} ERR_DNSSEC_BAD_TIME
 */
export function parseDuration(text: string): number {
  const t = text.trim().toLowerCase()
  if (/^\d+$/.test(t)) return Number(t)
  const re = /(\d+)([smhdwy])/gy
  let total = 0
  let m: RegExpExecArray | null
  let end = 0
  while ((m = re.exec(t)) !== null) { total += Number(m[1]) * UNITS[m[2]!]!; end = re.lastIndex }
  if (end !== t.length || t.length === 0) throw new DnssecError('ERR_DNSSEC_BAD_TIME', `bad duration "${text}"; use e.g. 3600, 90m, 1h, 30d, 2w`)
  return total
}

/**
 * Parse a time: YYYYMMDDHHmmSS, unix seconds (10 digits or fewer), an ISO 8601 date,
 * `now`, or `now+DUR` / `+DUR` / `-DUR` relative to `base`.
 *
 * @param text the time as given by the user
 * @param base the time relative offsets count from (unix seconds)
 * @throws {DnssecError} ERR_DNSSEC_BAD_TIME
 */
export function parseTime(text: string, base: number = nowSeconds()): number {
  const t = text.trim()
  if (t === 'now') return base
  let m = /^(?:now)?([+-])(.+)$/.exec(t)
  if (m !== null) return base + (m[1] === '-' ? -1 : 1) * parseDuration(m[2]!)
  if (/^\d{14}$/.test(t)) {
    const v = Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12), +t.slice(12, 14)) / 1000
    if (toDnssecTime(v) !== t) throw new DnssecError('ERR_DNSSEC_BAD_TIME', `bad time "${text}": not a valid date`)
    return v
  }
  if (/^\d{1,10}$/.test(t)) return Number(t)
  m = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/.exec(t)
  if (m !== null) {
    const iso = /[T ]/.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? `${t}Z` : t
    const v = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso)
    if (!Number.isNaN(v)) return Math.floor(v / 1000)
  }
  throw new DnssecError('ERR_DNSSEC_BAD_TIME', `bad time "${text}"; use YYYYMMDDHHmmSS, unix seconds, ISO 8601, now, or +30d`)
}

/**
 * RFC 1982 serial-number comparison of two 32-bit RRSIG times (RFC 4034 §3.1.5).
 * Negative when a is before b.
 */
export function compareSerialTime(a: number, b: number): number {
  const d = (a - b) | 0
  return d
}

/** Unix seconds to a 32-bit RRSIG time field (RFC 4034 §3.1.5: modulo 2^32). */
export function toRrsigTime(seconds: number): number {
  return ((seconds % 2 ** 32) + 2 ** 32) % 2 ** 32
}

/**
 * An RRSIG 32-bit time turned back into unix seconds closest to `near`
 * (RFC 4034 §3.1.5: serial arithmetic, valid within 68 years).
 */
export function fromRrsigTime(field: number, near: number): number {
  return near + compareSerialTime(field, toRrsigTime(near))
}
