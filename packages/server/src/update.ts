/**
 * Dynamic update (RFC 2136) on unsigned zones: prerequisites checked, then every
 * change applied to a copy that replaces the zone at once, serial bumped. Signed
 * zones refuse every UPDATE (the Windows Server policy secdns keeps): their
 * signatures are made offline and a change here would leave them stale.
 */
import { RRType, Rcode, decodeRData, isUnknown, rdataToText, type Message, type RData, type ResourceRecord, type Soa } from '@secdns/wire'
import { Zone, checkZone } from '@secdns/zone'

/** The result of {@link applyUpdate}. */
export type UpdateOutcome =
  | { readonly rcode: 0, readonly zone: Zone, readonly changed: boolean }
  | { readonly rcode: number, readonly reason: string }

const ANY = 255
const NONE = 254

function typed(rr: ResourceRecord): RData {
  const d = rr.data
  if (isUnknown(d) && d.data.length > 0) {
    try { return decodeRData(d.type, d.data) } catch { return d }
  }
  return d
}

/** Identity of a record for comparison: owner (case-folded), type and RDATA text. */
function key(rr: { name: ResourceRecord['name'], data: RData }): string {
  return `${rr.name.hashKey()} ${rr.data.type} ${rdataToText(rr.data)}`
}

/**
 * Check the prerequisites and apply the updates of an UPDATE message to a zone.
 * The zone given is not changed; on success a new zone is returned (serial + 1).
 *
 * @param zone the current zone (unsigned)
 * @param msg the decoded UPDATE, TSIG removed (zone/prerequisite/update/additional in
 *   question/answer/authority/additional, RFC 2136 §2)
 * @returns rcode 0 and the new zone, or the rcode to answer with and why
 */
export function applyUpdate(zone: Zone, msg: Message): UpdateOutcome {
  const origin = zone.origin
  const zclass = zone.class
  const records: ResourceRecord[] = [...zone.records()]
  const byName = (n: ResourceRecord['name']): ResourceRecord[] => records.filter((r) => r.name.equals(n))
  // RFC 2136 §3.2: prerequisites.
  for (const p of msg.answer) {
    if (p.ttl !== 0) return { rcode: Rcode.FORMERR, reason: `prerequisite ${p.name.toString()} has TTL ${p.ttl}, not 0` }
    if (!p.name.isSubdomainOf(origin)) return { rcode: Rcode.NOTZONE, reason: `prerequisite ${p.name.toString()} is outside ${origin.toString()}` }
    const at = byName(p.name)
    const type = p.data.type
    if (p.class === ANY) {
      if (type === ANY) { if (at.length === 0) return { rcode: Rcode.NXDOMAIN, reason: `${p.name.toString()} is not in use` } }
      else if (!at.some((r) => r.data.type === type)) return { rcode: Rcode.NXRRSET, reason: `no ${type} RRset at ${p.name.toString()}` }
    } else if (p.class === NONE) {
      if (type === ANY) { if (at.length > 0) return { rcode: Rcode.YXDOMAIN, reason: `${p.name.toString()} is in use` } }
      else if (at.some((r) => r.data.type === type)) return { rcode: Rcode.YXRRSET, reason: `an RRset of type ${type} exists at ${p.name.toString()}` }
    } else if (p.class === zclass) {
      // RFC 2136 §3.2.3: value-dependent: the RRset must be exactly the listed records.
      const want = new Set(msg.answer.filter((x) => x.class === zclass && x.name.equals(p.name) && x.data.type === type).map((x) => key({ ...x, data: typed(x) })))
      const have = new Set(at.filter((r) => r.data.type === type).map((r) => key(r)))
      if (want.size !== have.size || [...want].some((k) => !have.has(k))) return { rcode: Rcode.NXRRSET, reason: `the ${type} RRset at ${p.name.toString()} differs from the prerequisite` }
    } else return { rcode: Rcode.FORMERR, reason: `prerequisite class ${p.class}` }
  }
  // RFC 2136 §3.4.1: prescan the update section before changing anything.
  for (const u of msg.authority) {
    if (!u.name.isSubdomainOf(origin)) return { rcode: Rcode.NOTZONE, reason: `update ${u.name.toString()} is outside ${origin.toString()}` }
    const t = u.data.type
    if (u.class === zclass) {
      if (t === ANY || t === RRType.AXFR || t === RRType.IXFR || t === RRType.MAILA || t === RRType.MAILB || t === RRType.OPT) return { rcode: Rcode.FORMERR, reason: `cannot add type ${t}` }
    } else if (u.class === ANY) {
      if (u.ttl !== 0 || !isUnknown(u.data) || u.data.data.length !== 0) return { rcode: Rcode.FORMERR, reason: 'a class ANY delete has TTL 0 and no RDATA' }
    } else if (u.class === NONE) {
      if (u.ttl !== 0) return { rcode: Rcode.FORMERR, reason: 'a class NONE delete has TTL 0' }
    } else return { rcode: Rcode.FORMERR, reason: `update class ${u.class}` }
  }
  // RFC 2136 §3.4.2: apply in order, on the copy.
  let list = records
  let changed = false
  const isApex = (n: ResourceRecord['name']): boolean => n.equals(origin)
  for (const u of msg.authority) {
    const t = u.data.type
    if (u.class === zclass) {
      if (t === RRType.SOA) continue // serials are ours to manage
      const data = typed(u)
      const k = key({ ...u, data })
      const at = list.filter((r) => r.name.equals(u.name))
      // RFC 2136 §3.4.2.2: a CNAME and other data do not mix; the one there wins.
      if (t === RRType.CNAME && at.some((r) => r.data.type !== RRType.CNAME && r.data.type !== RRType.RRSIG && r.data.type !== RRType.NSEC)) continue
      if (t !== RRType.CNAME && at.some((r) => r.data.type === RRType.CNAME)) continue
      if (t === RRType.CNAME) list = list.filter((r) => !(r.name.equals(u.name) && r.data.type === RRType.CNAME))
      if (list.some((r) => key(r) === k)) continue
      const existing = list.find((r) => r.name.equals(u.name) && r.data.type === t)
      list = [...list, { name: u.name, class: zclass, ttl: existing?.ttl ?? u.ttl, data }]
      changed = true
    } else if (u.class === ANY) {
      const before = list.length
      list = list.filter((r) => {
        if (!r.name.equals(u.name)) return true
        // RFC 2136 §3.4.2.3: the apex SOA and NS are never deleted this way.
        if (isApex(u.name) && (r.data.type === RRType.SOA || r.data.type === RRType.NS)) return true
        return t !== ANY && r.data.type !== t
      })
      changed ||= list.length !== before
    } else {
      const k = key({ ...u, data: typed(u) })
      if (t === RRType.SOA && isApex(u.name)) continue
      if (t === RRType.NS && isApex(u.name) && list.filter((r) => isApex(r.name) && r.data.type === RRType.NS).length <= 1) continue
      const before = list.length
      list = list.filter((r) => !(r.name.equals(u.name) && key(r) === k))
      changed ||= list.length !== before
    }
  }
  if (!changed) return { rcode: 0, zone, changed: false }
  const next = new Zone(origin, zclass)
  for (const rr of list) {
    if (rr.data.type === RRType.SOA) {
      const soa = rr.data as Soa
      // RFC 2136 §3.6 / RFC 1982: the serial moves forward, modulo 2^32.
      next.add({ ...rr, data: { ...soa, serial: (soa.serial + 1) >>> 0 } })
    } else next.add(rr)
  }
  const check = checkZone(next)
  if (check.errors.length > 0) return { rcode: Rcode.REFUSED, reason: `the updated zone would not load: ${check.errors[0]!.message}` }
  return { rcode: 0, zone: next, changed: true }
}
