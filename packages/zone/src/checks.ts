/**
 * Zone content checks, as named-checkzone makes them after loading.
 */
import { Name, RRType, rrTypeToString, type Ns } from '@secdns/wire'
import { ZoneError, type SourceLocation, type ZoneWarning } from './errors.js'
import { peekRRset, peekRRsets, rrsetRData, rrsetSize, type Zone, type RRset } from './zone.js'

/** Errors (the zone must not be served) and warnings found by {@link checkZone}. */
export interface ZoneCheckResult {
  readonly errors: ZoneError[]
  readonly warnings: ZoneWarning[]
}

// Types allowed beside a CNAME (RFC 1034 §3.6.2 "no other data"; RFC 4035 §2.5 adds
// RRSIG and NSEC; RFC 2065 KEY too).
const CNAME_COMPANIONS = new Set<number>([RRType.CNAME, RRType.RRSIG, RRType.NSEC, 25])

/**
 * Check a loaded zone: one SOA at the apex and none elsewhere, NS at the apex, no CNAME
 * beside other data, address records for every in-zone name server (glue under a
 * delegation), NS targets that are not CNAMEs.
 *
 * @param zone the zone (finalized here)
 * @param file the file name used for zone-wide problems (no single record to point at)
 * @example
 * const { errors, warnings } = checkZone(zone, 'db.example')
 */
export function checkZone(zone: Zone, file = '<zone>'): ZoneCheckResult {
  const errors: ZoneError[] = []
  const warnings: ZoneWarning[] = []
  const whole: SourceLocation = { file, line: 0, column: 0 }
  const at = (s: RRset): SourceLocation => s.source ?? whole
  const origin = zone.origin.toString()

  const soa = zone.rrset(zone.origin, RRType.SOA)
  if (soa === undefined) {
    errors.push(new ZoneError('ERR_ZONE_NO_SOA', `zone ${origin} has no SOA record at its apex`, whole))
  } else if (rrsetSize(soa) > 1) {
    // RFC 1035 §5.2: exactly one SOA, at the top of the zone.
    errors.push(new ZoneError('ERR_ZONE_MULTIPLE_SOA', `zone ${origin} has ${rrsetSize(soa)} SOA records; a zone has exactly one`, at(soa)))
  }
  if (zone.rrset(zone.origin, RRType.NS) === undefined) {
    errors.push(new ZoneError('ERR_ZONE_NO_NS_AT_APEX', `zone ${origin} has no NS records at its apex`, soa ? at(soa) : whole))
  }

  for (const node of zone.nodes()) {
    if (node.kind !== 'apex') {
      const s = peekRRset(node, RRType.SOA)
      if (s !== undefined) errors.push(new ZoneError('ERR_ZONE_SOA_NOT_AT_APEX', `SOA record at ${node.name.toString()}, which is not the zone apex ${origin}`, at(s)))
    }
    const cname = peekRRset(node, RRType.CNAME)
    if (cname !== undefined) {
      if (rrsetSize(cname) > 1) {
        errors.push(new ZoneError('ERR_ZONE_MULTIPLE_CNAME', `${node.name.toString()} has ${rrsetSize(cname)} CNAME records; a name has at most one`, at(cname)))
      }
      for (const other of peekRRsets(node)) {
        const type = other.type
        if (CNAME_COMPANIONS.has(type)) continue
        // RFC 1034 §3.6.2 / RFC 2181 §10.1: a CNAME owner has no other data.
        errors.push(new ZoneError('ERR_ZONE_CNAME_AND_OTHER_DATA', `${node.name.toString()} has a CNAME and other data (${rrTypeToString(type)})`, at(other)))
        break
      }
    }
    if (node.kind === 'glue' || node.kind === 'occluded') continue
    const ns = peekRRset(node, RRType.NS)
    if (ns === undefined) continue
    for (const d of rrsetRData(ns)) checkNsTarget(zone, (d as Ns).nsdname, ns, errors, at(ns))
  }
  for (const w of zone.warnings) warnings.push(w)
  return { errors, warnings }
}

function checkNsTarget(zone: Zone, target: Name, ns: RRset, errors: ZoneError[], loc: SourceLocation): void {
  // Targets outside the zone are resolved elsewhere; nothing to check here.
  if (!target.isSubdomainOf(zone.origin)) return
  const node = zone.node(target)
  if (node?.rrsets.has(RRType.CNAME)) {
    // RFC 2181 §10.3: NS must not point at an alias.
    errors.push(new ZoneError('ERR_ZONE_NS_IS_CNAME', `NS '${target.toString()}' of ${ns.name.toString()} is a CNAME (not allowed)`, loc))
    return
  }
  if (node !== undefined && (node.rrsets.has(RRType.A) || node.rrsets.has(RRType.AAAA))) return
  // RFC 1034 §4.2.1: a server named inside the zone (or under one of its cuts) can only be
  // reached through address records kept here: glue below a delegation.
  const under = zone.cutAbove(target)
  const what = under !== undefined ? `no glue (A or AAAA) below the delegation ${under.name.toString()}` : 'no address records (A or AAAA)'
  errors.push(new ZoneError('ERR_ZONE_MISSING_GLUE', `NS '${target.toString()}' of ${ns.name.toString()} has ${what}`, loc))
}

