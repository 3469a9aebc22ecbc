/**
 * Matching the name a caller expected against a certificate's subjectAltName (RFC 6125 §6).
 */
import { isIP } from 'node:net'

/** The identifiers a certificate presents. */
export interface PresentedNames {
  readonly dns: readonly string[]
  readonly ip: readonly string[]
}

/** Canonical bytes of an IPv4 or IPv6 address (v4-mapped v6 is not treated as v4), or null. */
export function ipBytes(addr: string): Uint8Array | null {
  const a = addr.trim()
  const v = isIP(a)
  if (v === 4) return new Uint8Array(a.split('.').map(Number))
  if (v !== 6) return null
  let text = a
  let tail: number[] = []
  const lastColon = text.lastIndexOf(':')
  if (text.slice(lastColon + 1).includes('.')) {
    tail = text.slice(lastColon + 1).split('.').map(Number)
    text = `${text.slice(0, lastColon + 1)}0:0`
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined]
  const h = head === '' ? [] : head.split(':')
  const r = rest === undefined || rest === '' ? [] : rest.split(':')
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r]
  const out = new Uint8Array(16)
  groups.forEach((g, i) => { const n = parseInt(g, 16); out[i * 2] = n >> 8; out[i * 2 + 1] = n & 0xff })
  if (tail.length === 4) out.set(tail, 12)
  return out
}

function normalizeDns(n: string): string {
  return n.trim().toLowerCase().replace(/\.$/, '')
}

/**
 * Does one presented DNS-ID match a reference identifier? RFC 6125 §6.4:
 * - compare case-insensitively, label by label (§6.4.1);
 * - a wildcard is only the whole left-most label "*" (§6.4.3 allows "f*" too; we do not, as
 *   CA/B Forum BR §7.1.4.2.1 and browsers) and matches exactly one label;
 * - a wildcard needs at least two labels after it, and never matches an IDN A-label ("xn--").
 */
export function matchDnsId(presented: string, reference: string): boolean {
  const p = normalizeDns(presented)
  const r = normalizeDns(reference)
  if (p === '' || r === '') return false
  if (!p.startsWith('*.')) return p === r
  const pl = p.split('.')
  const rl = r.split('.')
  if (pl.length < 3 || pl.slice(1).includes('*')) return false
  if (rl.length !== pl.length) return false
  const first = rl[0] ?? ''
  if (first === '' || first.startsWith('xn--')) return false
  return pl.slice(1).join('.') === rl.slice(1).join('.')
}

/**
 * Does the certificate present the name the caller expected? An IP address is matched only
 * against iPAddress entries (RFC 6125 §6.2.1 leaves IPs to RFC 5280 byte comparison), a DNS
 * name only against dNSName entries. The subject CN is never consulted (RFC 6125 §6.4.4 allows
 * it only without any SAN; our profiles always write SANs, and CN fallback is how mis-issued
 * names slip through).
 */
export function matchName(names: PresentedNames, reference: string): boolean {
  const ref = reference.trim()
  const refIp = ipBytes(ref)
  if (refIp !== null) {
    return names.ip.some((a) => {
      const b = ipBytes(a)
      return b !== null && b.length === refIp.length && b.every((x, i) => x === refIp[i])
    })
  }
  return names.dns.some((d) => matchDnsId(d, ref))
}
