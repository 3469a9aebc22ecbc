/**
 * Fetch a zone's DNSKEY RRset from a server, for `secdns trust-anchor add --from-zone`
 * and the admin API: the keys, their key tags, the DS digests to compare with what the
 * zone's operator publishes, and whether the set is signed by its own SEP key.
 */
import { Name, RRType, createQuery, type Dnskey, type ResourceRecord } from '@secdns/wire'
import { dsOfDnskey, keyTagOfRdata, dnskeyRdata, nowSeconds } from '@secdns/dnssec'
import { ResolverError } from './errors.js'
import { NetTransport, queryServers, type Server, type Transport } from './transport.js'
import { groupRRsets, validateRRset } from './validator.js'
import { QUERY_TIMEOUT_MS, RETRIES_PER_SERVER } from './limits.js'

/** One key of a fetched DNSKEY RRset, with what a user checks before trusting it. */
export interface FetchedKey {
  readonly record: ResourceRecord<Dnskey>
  readonly keyTag: number
  /** Secure Entry Point (flag 1): a KSK, the usual trust anchor. */
  readonly sep: boolean
  /** SHA-256 DS digest, upper-case hex, as `dnssec-dsfromkey -2` prints it. */
  readonly dsSha256: string
}

/** A fetched DNSKEY RRset. */
export interface FetchedKeys {
  readonly zone: Name
  readonly keys: FetchedKey[]
  /** The RRset verifies with one of its own SEP keys at `now`. */
  readonly selfSigned: boolean
}

/**
 * Ask a server for a zone's DNSKEY RRset (UDP, TCP when truncated).
 *
 * @param zone the zone
 * @param server where to ask
 * @param opts transport (tests), clock, timeout
 * @throws {ResolverError} ERR_RESOLVER_TIMEOUT, ERR_RESOLVER_TRANSPORT, or ERR_RESOLVER_ANCHOR_NOT_FOUND when the answer holds no DNSKEY
 * @example
 * const { keys } = await fetchDnskeys(Name.fromString('example.test.'), { address: '192.0.2.53', port: 53 })
 */
export async function fetchDnskeys(zone: Name, server: Server, opts: { transport?: Transport, now?: number, timeoutMs?: number } = {}): Promise<FetchedKeys> {
  const q = createQuery(zone, RRType.DNSKEY, { rd: true, cd: true, dnssecOk: true })
  const m = await queryServers(opts.transport ?? new NetTransport(), [server], q, { timeoutMs: opts.timeoutMs ?? QUERY_TIMEOUT_MS, retries: RETRIES_PER_SERVER })
  const set = groupRRsets(m.answer).find((s) => s.type === RRType.DNSKEY && s.name.equals(zone))
  if (set === undefined) throw new ResolverError('ERR_RESOLVER_ANCHOR_NOT_FOUND', `${server.address}:${server.port} returned no DNSKEY RRset for ${zone.toString()} (rcode ${m.rcode})`)
  const records = set.records as ResourceRecord<Dnskey>[]
  const keys = records.map((record) => {
    const d = record.data
    const ds = dsOfDnskey(zone, d, 2)
    return { record, keyTag: keyTagOfRdata(dnskeyRdata(d.flags, d.algorithm, d.publicKey)), sep: (d.flags & 1) === 1, dsSha256: Buffer.from(ds.digest).toString('hex').toUpperCase() }
  })
  const sep = records.filter((r) => (r.data.flags & 1) === 1)
  const selfSigned = sep.length > 0 && validateRRset(set, { zone, keys: sep }, opts.now ?? nowSeconds()).state === 'secure'
  return { zone, keys, selfSigned }
}
