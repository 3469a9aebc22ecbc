/**
 * Access control lists: `any`, `none`, `localhost`, an address, a prefix
 * (`192.0.2.0/24`, `2001:db8::/32`) or `key:<name>` (a request signed with that TSIG key).
 * An entry may be negated with a leading `!`; the first entry that matches decides.
 */
import { BlockList, isIP } from 'node:net'
import { ServerError } from './errors.js'

/** Who is asking: the peer address and, when the request carried a valid TSIG, its key. */
export interface Requester {
  readonly address: string
  /** Lowercase key name without the trailing dot, when a valid TSIG was present. */
  readonly keyName?: string
}

interface Entry {
  readonly negate: boolean
  readonly kind: 'any' | 'addr' | 'key'
  readonly block?: BlockList
  readonly key?: string
}

/** A compiled ACL. */
export class Acl {
  readonly #entries: readonly Entry[]
  /** The entries as written. */
  readonly source: readonly string[]

  /**
   * @param entries the ACL as written in the configuration
   * @throws {ServerError} `ERR_SERVER_ACL` naming the entry that does not parse
   */
  constructor(entries: readonly string[]) {
    this.source = entries
    this.#entries = entries.map((e, i) => parseEntry(e, i))
  }

  /**
   * True when the first matching entry allows the requester; false when none matches.
   * @param who address and TSIG key of the request
   */
  allows(who: Requester): boolean {
    const addr = unmap(who.address)
    const fam = isIP(addr) === 6 ? 'ipv6' : 'ipv4'
    for (const e of this.#entries) {
      let m: boolean
      if (e.kind === 'any') m = true
      else if (e.kind === 'key') m = who.keyName !== undefined && who.keyName === e.key
      else m = e.block!.check(addr, fam)
      if (m) return !e.negate
    }
    return false
  }

  /** True when the ACL allows every requester whatever its address or key (its first entry is `any`). */
  get isAny(): boolean {
    const e = this.#entries[0]
    return e !== undefined && e.kind === 'any' && !e.negate
  }

  /** True when the ACL can never allow anyone (empty, or only denying entries such as `none`). */
  get isNone(): boolean {
    return this.#entries.every((e) => e.negate)
  }
}

/**
 * The problem with one ACL entry, or undefined when it parses (for config validation).
 * @param entry one entry as written
 */
export function aclEntryProblem(entry: string): string | undefined {
  try {
    parseEntry(entry, 0)
    return undefined
  } catch (e) {
    return (e as Error).message.replace(/^ACL entry 0 "[^"]*": /, '')
  }
}

function unmap(a: string): string {
  // IPv4-mapped IPv6 addresses from dual-stack sockets match IPv4 entries.
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a
}

function parseEntry(raw: string, i: number): Entry {
  let s = raw.trim()
  const negate = s.startsWith('!')
  if (negate) s = s.slice(1)
  if (s === 'any') return { negate, kind: 'any' }
  if (s === 'none') return { negate: !negate, kind: 'any' }
  if (s.startsWith('key:')) {
    const key = s.slice(4).toLowerCase().replace(/\.$/, '')
    if (key === '') throw new ServerError('ERR_SERVER_ACL', `ACL entry ${i} "${raw}": empty key name`)
    return { negate, kind: 'key', key }
  }
  const block = new BlockList()
  if (s === 'localhost') {
    block.addSubnet('127.0.0.0', 8, 'ipv4')
    block.addAddress('::1', 'ipv6')
    return { negate, kind: 'addr', block }
  }
  const slash = s.indexOf('/')
  const addr = slash < 0 ? s : s.slice(0, slash)
  const fam = isIP(addr)
  if (fam === 0) throw new ServerError('ERR_SERVER_ACL', `ACL entry ${i} "${raw}": expected any, none, localhost, an address, a prefix or key:<name>`)
  const max = fam === 4 ? 32 : 128
  const len = slash < 0 ? max : Number(s.slice(slash + 1))
  if (!Number.isInteger(len) || len < 0 || len > max || (slash >= 0 && !/^\d+$/.test(s.slice(slash + 1)))) {
    throw new ServerError('ERR_SERVER_ACL', `ACL entry ${i} "${raw}": prefix length must be 0..${max}`)
  }
  block.addSubnet(addr, len, fam === 4 ? 'ipv4' : 'ipv6')
  return { negate, kind: 'addr', block }
}
