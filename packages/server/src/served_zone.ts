/**
 * A zone as the server holds it: the {@link Zone} plus the indexes DNSSEC answers need
 * (NSEC owners in canonical order, NSEC3 hashes in order), and the table of zones that
 * picks the closest enclosing zone for a name.
 */
import { Name, RRType, fromBase32Hex, type Nsec3Param, type ResourceRecord, type RData, type Rrsig } from '@secdns/wire'
import { type Zone, type ZoneNode, type RRset } from '@secdns/zone'
import { nsec3Hash } from '@secdns/dnssec'

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

interface Nsec3Entry { readonly hash: Uint8Array, readonly node: ZoneNode }

/**
 * A zone ready to serve.
 *
 * @example
 * const served = new ServedZone(loadZoneFile('db.example', { origin: 'example.test' }).zone)
 * served.signed // true when the apex has a DNSKEY RRset and RRSIGs
 */
export class ServedZone {
  readonly zone: Zone
  /** True when the apex holds a DNSKEY RRset and its RRSIGs (RFC 4035 §2.1). */
  readonly signed: boolean
  /** The NSEC3PARAM at the apex, when the zone is signed with NSEC3 (RFC 5155 §4). */
  readonly nsec3Param: Nsec3Param | undefined
  readonly #nsec: ZoneNode[]
  readonly #nsec3: Nsec3Entry[]
  /** When this zone was loaded (ms since the epoch). */
  readonly loadedAt: number

  /**
   * @param zone a loaded, checked zone
   * @param loadedAt load time, for status
   */
  constructor(zone: Zone, loadedAt = Date.now()) {
    this.zone = zone
    this.loadedAt = loadedAt
    zone.finalize()
    const apex = zone.node(zone.origin)
    this.signed = apex !== undefined && apex.rrsets.has(RRType.DNSKEY) && apex.rrsets.has(RRType.RRSIG)
    const p = apex?.rrsets.get(RRType.NSEC3PARAM)?.rdata[0] as Nsec3Param | undefined
    this.nsec3Param = p !== undefined && (p as { data?: unknown }).data === undefined ? p : undefined
    this.#nsec = []
    this.#nsec3 = []
    for (const n of zone.nodes()) {
      if (n.rrsets.has(RRType.NSEC)) this.#nsec.push(n)
      if (n.rrsets.has(RRType.NSEC3) && n.name.labelCount === zone.origin.labelCount + 1) {
        try {
          this.#nsec3.push({ hash: fromBase32Hex(Buffer.from(n.name.label(0)).toString('latin1'), 'NSEC3 owner'), node: n })
        } catch {
          // An owner that is not base32hex is not part of a chain; it is served as data only.
        }
      }
    }
    this.#nsec3.sort((a, b) => compareBytes(a.hash, b.hash))
  }

  /** The zone apex. */
  get origin(): Name { return this.zone.origin }

  /** The SOA serial. */
  get serial(): number { return this.zone.soa?.data.serial ?? 0 }

  /** True when the zone has an NSEC3 chain to prove denial with. */
  get usesNsec3(): boolean { return this.nsec3Param !== undefined && this.#nsec3.length > 0 }

  /**
   * The RRSIG records at `owner` covering `type`, renamed to `as` (for wildcard
   * synthesis, RFC 4035 §3.1.3.3) or kept at `owner`.
   * @param owner where the RRSIGs live
   * @param type the covered type
   * @param as owner name to give them in the response
   */
  rrsigs(owner: Name, type: number, as: Name = owner): ResourceRecord[] {
    const set = this.zone.rrset(owner, RRType.RRSIG)
    if (set === undefined) return []
    // RFC 4035 §2.2: an RRSIG's TTL equals that of the RRset it covers (the zone keeps one
    // TTL for all RRSIGs at a name, so take the covered RRset's).
    const ttl = this.zone.rrset(owner, type)?.ttl ?? set.ttl
    const out: ResourceRecord[] = []
    for (const d of set.rdata) {
      if ((d as Rrsig).typeCovered === type) out.push({ name: as, class: set.class, ttl, data: d })
    }
    return out
  }

  /**
   * The NSEC node whose owner is `name`, or else the one that covers it (the greatest
   * owner before it in canonical order, RFC 4034 §6.1; the last one wraps around).
   * @param name a name in the zone
   */
  nsecFor(name: Name): ZoneNode | undefined {
    const a = this.#nsec
    if (a.length === 0) return undefined
    let lo = 0, hi = a.length - 1, best = a.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const c = a[mid]!.name.compare(name)
      if (c === 0) return a[mid]
      if (c < 0) { best = mid; lo = mid + 1 } else hi = mid - 1
    }
    return a[best]
  }

  /**
   * The NSEC3 node matching `name`'s hash, or the one covering it, and whether it matched.
   * @param name a name in the zone
   */
  nsec3For(name: Name): { node: ZoneNode, matches: boolean } | undefined {
    const a = this.#nsec3
    const p = this.nsec3Param
    if (a.length === 0 || p === undefined) return undefined
    const h = nsec3Hash(name, p.salt, p.iterations)
    let lo = 0, hi = a.length - 1, best = a.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const c = compareBytes(a[mid]!.hash, h)
      if (c === 0) return { node: a[mid]!.node, matches: true }
      if (c < 0) { best = mid; lo = mid + 1 } else hi = mid - 1
    }
    return { node: a[best]!.node, matches: false }
  }
}

/** The zones a server answers for, found by closest enclosing origin. */
export class ZoneTable {
  readonly #byKey = new Map<string, ServedZone>()
  #generation = 0

  /** Bumped on every change, so caches of answers know when to forget them. */
  get generation(): number { return this.#generation }

  /** @param zones the initial zones */
  constructor(zones: Iterable<ServedZone> = []) {
    for (const z of zones) this.set(z)
  }

  /** Add or replace a zone (atomically: lookups see the old or the new one). */
  set(z: ServedZone): void {
    this.#byKey.set(z.origin.hashKey(), z)
    this.#generation++
  }

  /** Stop serving a zone. */
  delete(origin: Name): boolean {
    this.#generation++
    return this.#byKey.delete(origin.hashKey())
  }

  /** The zone whose apex is exactly `origin`. */
  get(origin: Name): ServedZone | undefined { return this.#byKey.get(origin.hashKey()) }

  /** Every zone. */
  all(): ServedZone[] { return [...this.#byKey.values()] }

  /**
   * The zone with the longest origin that `name` is at or below.
   * @param name the query name
   * @param skipApexOf when true and a zone's apex is `name`, prefer the parent zone (DS, RFC 4035 §3.1.4.1)
   */
  find(name: Name, skipApexOf = false): ServedZone | undefined {
    const n = name.labelCount
    let fallback: ServedZone | undefined
    for (let l = 0; l <= n; l++) {
      const z = this.#byKey.get((l === 0 ? name : name.parent(l)).hashKey())
      if (z === undefined) continue
      if (skipApexOf && l === 0) { fallback = z; continue }
      return z
    }
    return fallback
  }
}

/** Records of an RRset renamed to `as` when given. */
export function setRecords(set: RRset, as: Name = set.name): ResourceRecord[] {
  const out: ResourceRecord[] = new Array(set.rdata.length)
  for (let i = 0; i < set.rdata.length; i++) out[i] = { name: as, class: set.class, ttl: set.ttl, data: set.rdata[i] as RData }
  return out
}
