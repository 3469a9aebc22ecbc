/**
 * NRPT namespaces, as `Add-DnsClientNrptRule -Namespace` takes them: a suffix with a
 * leading dot (`.corp.example`: the name and everything below it), an FQDN
 * (`host.corp.example`: that name only), `.` (any name), or an IPv4/IPv6 subnet
 * (`10.1.0.0/16`, `fd00::/8`) that covers the reverse names under in-addr.arpa / ip6.arpa.
 */
import { Name, ipv4FromText, ipv6FromText } from '@secdns/wire'
import { ClientError } from './errors.js'

/** A parsed namespace. `text` is the form the NRPT file holds. */
export type Namespace =
  | { readonly kind: 'any'; readonly text: string }
  | { readonly kind: 'suffix'; readonly text: string; readonly name: Name }
  | { readonly kind: 'fqdn'; readonly text: string; readonly name: Name }
  | { readonly kind: 'subnet'; readonly text: string; readonly family: 4 | 6; readonly address: Uint8Array; readonly prefix: number }

/** How a namespace ranks when several match: FQDN above suffixes and subnets, `.` last. */
export const NAMESPACE_RANK = { fqdn: 3, suffix: 2, subnet: 2, any: 1 } as const

const IN_ADDR_ARPA = Name.fromString('in-addr.arpa.')
const IP6_ARPA = Name.fromString('ip6.arpa.')

function absolute(text: string): string {
  return text.endsWith('.') ? text : `${text}.`
}

/**
 * Parse one namespace.
 *
 * @param text `.`, `.corp.example`, `host.corp.example`, `10.1.0.0/16` or `fd00::/8`
 * @throws {ClientError} ERR_CLIENT_BAD_NAMESPACE
 * @example
 * parseNamespace('.corp.example') // { kind: 'suffix', name: corp.example. }
 */
export function parseNamespace(text: string): Namespace {
  const t = text.trim()
  if (t === '.') return { kind: 'any', text: '.' }
  if (t === '') throw new ClientError('ERR_CLIENT_BAD_NAMESPACE', 'empty namespace (use "." for any name)')
  const slash = t.indexOf('/')
  if (slash >= 0) return parseSubnet(t, slash)
  try {
    if (t.startsWith('.')) {
      const rest = t.slice(1)
      if (rest === '' || rest.startsWith('.')) throw new ClientError('ERR_CLIENT_BAD_NAMESPACE', `namespace "${text}": empty label after the leading dot`)
      return { kind: 'suffix', text: t, name: Name.fromString(absolute(t.slice(1))) }
    }
    return { kind: 'fqdn', text: t, name: Name.fromString(absolute(t)) }
  } catch (e) {
    throw new ClientError('ERR_CLIENT_BAD_NAMESPACE', `namespace "${text}": ${(e as Error).message}`, { cause: e })
  }
}

function parseSubnet(t: string, slash: number): Namespace {
  const addr = t.slice(0, slash)
  const bits = t.slice(slash + 1)
  const family: 4 | 6 = addr.includes(':') ? 6 : 4
  const max = family === 4 ? 32 : 128
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) {
    throw new ClientError('ERR_CLIENT_BAD_NAMESPACE', `namespace "${t}": prefix length "${bits}" is not 0..${max}`)
  }
  let address: Uint8Array
  try {
    address = family === 4 ? ipv4FromText(addr) : ipv6FromText(addr)
  } catch (e) {
    throw new ClientError('ERR_CLIENT_BAD_NAMESPACE', `namespace "${t}": "${addr}" is not an IPv${family} address`, { cause: e })
  }
  const prefix = Number(bits)
  // Host bits set below the prefix (10.1.2.0/16) would make the rule mean something
  // other than it says; refuse it, as routers do.
  for (let i = prefix; i < max; i++) {
    if (bit(address, i)) throw new ClientError('ERR_CLIENT_BAD_NAMESPACE', `namespace "${t}": address has bits set beyond the /${prefix} prefix`)
  }
  return { kind: 'subnet', text: t, family, address, prefix }
}

function bit(b: Uint8Array, i: number): boolean {
  return ((b[i >> 3]! >> (7 - (i & 7))) & 1) === 1
}

/** The address bits a reverse name spells, and how many of them. */
interface ReverseAddress { family: 4 | 6; address: Uint8Array; bits: number }

/**
 * Read the address prefix from a reverse-lookup name (RFC 1035 §3.5 in-addr.arpa,
 * RFC 3596 §2.5 ip6.arpa). Labels are read right to left from the arpa suffix and the
 * first one that is not an octet (or nibble) ends the address (`_dns-sd._udp.1.10.in-addr.arpa`
 * is under 10.1/16).
 * @param name a query name
 * @returns undefined when the name is not under in-addr.arpa or ip6.arpa
 */
export function reverseAddress(name: Name): ReverseAddress | undefined {
  const v4 = name.isSubdomainOf(IN_ADDR_ARPA)
  if (!v4 && !name.isSubdomainOf(IP6_ARPA)) return undefined
  const family: 4 | 6 = v4 ? 4 : 6
  const labels = name.labelCount - 2
  const address = new Uint8Array(family === 4 ? 4 : 16)
  let bits = 0
  for (let i = labels - 1; i >= 0; i--) {
    const l = Buffer.from(name.label(i)).toString('latin1')
    if (family === 4) {
      // RFC 1035 §3.5: each label is one octet in decimal, most significant first from the right.
      if (bits >= 32 || !/^(0|[1-9]\d{0,2})$/.test(l) || Number(l) > 255) break
      address[bits >> 3] = Number(l)
      bits += 8
    } else {
      // RFC 3596 §2.5: one hex nibble per label.
      if (bits >= 128 || !/^[0-9a-fA-F]$/.test(l)) break
      const v = parseInt(l, 16)
      address[bits >> 3]! |= (bits & 4) === 0 ? v << 4 : v
      bits += 4
    }
  }
  return { family, address, bits }
}

/**
 * True when `ns` covers `name`.
 * @param ns a parsed namespace
 * @param name the query name
 * @param rev the name's reverse address, when already computed
 */
export function namespaceCovers(ns: Namespace, name: Name, rev: ReverseAddress | undefined = reverseAddress(name)): boolean {
  switch (ns.kind) {
    case 'any': return true
    case 'fqdn': return name.equals(ns.name)
    case 'suffix': return name.isSubdomainOf(ns.name)
    case 'subnet': {
      // A reverse name covers a subnet only when it spells at least the prefix:
      // 10.in-addr.arpa is the parent of 10.1.0.0/16, not inside it.
      if (rev === undefined || rev.family !== ns.family || rev.bits < ns.prefix) return false
      for (let i = 0; i < ns.prefix; i++) if (bit(rev.address, i) !== bit(ns.address, i)) return false
      return true
    }
  }
}

/**
 * How specific a namespace is, for ordering matches: suffixes count their labels,
 * a subnet counts the labels its prefix spells (in-addr.arpa = 2, plus one per 8 bits of
 * IPv4 or 4 bits of IPv6, fractional for partial labels) so `10.1.0.0/16` ranks the same
 * as `.1.10.in-addr.arpa`; FQDNs and `.` rank on {@link NAMESPACE_RANK} alone.
 * @param ns a parsed namespace
 */
export function namespaceSpecificity(ns: Namespace): number {
  switch (ns.kind) {
    case 'any': return 0
    case 'fqdn': return ns.name.labelCount
    case 'suffix': return ns.name.labelCount
    case 'subnet': return 2 + ns.prefix / (ns.family === 4 ? 8 : 4)
  }
}

/**
 * Canonical key of a namespace, to find duplicates: `10.1.0.0/16` and `.1.10.in-addr.arpa`
 * are different rules (one is a subnet) but `.Corp.Example` and `.corp.example.` are one.
 * @param ns a parsed namespace
 */
export function namespaceKey(ns: Namespace): string {
  switch (ns.kind) {
    case 'any': return '.'
    case 'fqdn': return `=${ns.name.hashKey()}`
    case 'suffix': return `.${ns.name.hashKey()}`
    case 'subnet': return `/${ns.family}:${Buffer.from(ns.address).toString('hex')}/${ns.prefix}`
  }
}
