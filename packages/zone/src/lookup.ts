/**
 * Authoritative lookup on a {@link Zone}: RFC 1034 §4.3.2 steps 3 and 4, with wildcards
 * as RFC 4592 defines them and DNAME as RFC 6672 does.
 *
 * The result says not only what to put in each section but, for every name looked up
 * on the way (a CNAME or DNAME chain inside the zone), which names a DNSSEC denial
 * proof has to speak about: the closest encloser, the next closer name, the wildcard
 * (source of synthesis) used or proven absent, and the delegation point. The signer
 * and the server add the NSEC/NSEC3 records from these; lookup itself knows nothing
 * of DNSSEC records beyond treating them as data.
 */
import { Name, RRType, type Cname, type Dname, type Ns, type Soa } from '@secdns/wire'
import type { Zone, RRset, ZoneNode } from './zone.js'

/** The longest CNAME/DNAME chain followed inside one zone (STYLE §5: cap chain length). */
export const MAX_CHAIN_LENGTH = 16

/**
 * What one step of a lookup found.
 *
 * - `answer`: the name has the type (`wildcard` set when synthesized, RFC 4592 §3.3.1).
 * - `cname`: the name (or its wildcard) has a CNAME and the type asked for is not CNAME.
 *   The next step, if any, looks up the target.
 * - `dname`: an ancestor of the name has a DNAME (RFC 6672 §3.1); the step's `rrsets`
 *   hold the DNAME and the CNAME synthesized from it. The next step, if any, looks up
 *   the new name (none when the CNAME type itself was asked for).
 * - `referral`: the name is at or below a zone cut (`delegation`); not authoritative.
 * - `nodata`: the name exists (maybe as an empty non-terminal, maybe only through a
 *   wildcard) but has no RRset of the type.
 * - `nxdomain`: neither the name nor a wildcard that could match it exists.
 * - `notAuthoritative`: the name is outside the zone.
 * - `yxdomain`: DNAME substitution made a name longer than 255 octets (RFC 6672 §2.2).
 */
export type LookupKind = 'answer' | 'cname' | 'dname' | 'referral' | 'nodata' | 'nxdomain' | 'notAuthoritative' | 'yxdomain'

/**
 * One name looked up, and the facts a DNSSEC proof for it needs.
 *
 * What the signer/server must prove, by kind (RFC 4035 §3.1.3, RFC 5155 §7.2):
 * - `answer` with `wildcard`: `nextCloser` does not exist (NSEC covering it / NSEC3
 *   covering the next closer name); RRSIG labels show the wildcard.
 * - `nodata` without `wildcard`: the NSEC/NSEC3 matching `qname` shows no such type.
 * - `nodata` with `wildcard`: `nextCloser` does not exist, and the NSEC/NSEC3 matching
 *   `wildcard` shows no such type (NSEC3 also matches `closestEncloser`).
 * - `nxdomain`: `nextCloser` (NSEC: `qname`) does not exist, `wildcard` does not exist;
 *   NSEC3 also matches `closestEncloser`.
 * - `referral`: when `dsExists` the DS RRset is signed; otherwise the NSEC/NSEC3 matching
 *   `delegation` shows no DS (or an opt-out NSEC3 covers it).
 * - `cname`/`dname`: the CNAME/DNAME RRset is signed (a synthesized CNAME is not).
 */
export interface LookupStep {
  readonly kind: LookupKind
  /** The name looked up in this step (the QNAME, then each alias target). */
  readonly qname: Name
  /**
   * RFC 5155 §1.3 / RFC 4592 §3.3.1: the longest existing ancestor of `qname` (or
   * `qname` itself when it exists). For referral and dname, the cut or DNAME owner.
   */
  readonly closestEncloser: Name
  /** The ancestor of `qname` one label longer than `closestEncloser`; set when `qname` does not exist. */
  readonly nextCloser?: Name
  /**
   * `*.closestEncloser`: for a wildcard answer/nodata/cname the source of synthesis that
   * was used; for nxdomain the wildcard proven absent.
   */
  readonly wildcard?: Name
  /** True when the step's data came from `wildcard` (RFC 4592 §3.3.1 synthesis). */
  readonly synthesized: boolean
  /** The zone cut, for a referral and for a DS query at a cut (answered from the parent side). */
  readonly delegation?: Name
  /** For a referral: whether the cut has a DS RRset (a secure delegation). */
  readonly dsExists?: boolean
  /** For dname: the owner of the DNAME applied. */
  readonly dnameOwner?: Name
  /** The RRsets this step contributes to the answer section (owner = `qname` when synthesized). */
  readonly rrsets: readonly RRset[]
}

/**
 * The outcome of {@link lookup}: sections ready to send, plus the steps.
 *
 * `kind` is the last step's kind (after following CNAME/DNAME inside the zone): a
 * `cname` or `dname` kind means the chain left the zone (or hit the chain limit or a
 * loop), and a resolver continues from the last target.
 */
export interface LookupResult {
  readonly kind: LookupKind
  /** 0 NOERROR, 3 NXDOMAIN (RFC 6604: the last name's), 5 REFUSED (out of zone), 6 YXDOMAIN. */
  readonly rcode: number
  /**
   * AA: false for a referral from the QNAME itself and for a name outside the zone; true
   * otherwise (also when a CNAME/DNAME chain from this zone ends in a referral, since the
   * answer section then holds authoritative data).
   */
  readonly authoritative: boolean
  readonly answer: readonly RRset[]
  /** Negative answers: the SOA (TTL per RFC 2308 §5). Referrals: NS, then DS when present. */
  readonly authority: readonly RRset[]
  /** Referrals: address records of in-zone name servers (glue). */
  readonly additional: readonly RRset[]
  /** Each name looked up, in order; `steps[0].qname` is the QNAME. */
  readonly steps: readonly LookupStep[]
}

/**
 * Look a name and type up in a zone, as an authoritative server does.
 *
 * @param zone the zone
 * @param qname the name asked for
 * @param qtype the type asked for (255 ANY returns every RRset at the name)
 * @example
 * const r = lookup(zone, Name.fromString('www.example.test.'), RRType.A)
 * if (r.kind === 'nxdomain') console.log('no such name; prove', r.steps[0].nextCloser?.toString())
 */
export function lookup(zone: Zone, qname: Name, qtype: number): LookupResult {
  zone.finalize()
  const steps: LookupStep[] = []
  const answer: RRset[] = []
  const seen = new Set<string>()
  let name = qname
  for (;;) {
    const step = lookupOne(zone, name, qtype)
    steps.push(step)
    answer.push(...step.rrsets)
    if (step.kind !== 'cname' && step.kind !== 'dname') break
    // RFC 6672 §3.1: asked for CNAME, the synthesized CNAME is the answer itself.
    if (qtype === RRType.CNAME) break
    seen.add(name.hashKey())
    const next = nextName(step)
    // Follow aliases inside the zone only; loops and long chains stop here (RFC 1034 §3.6.2).
    if (next === undefined || !next.isSubdomainOf(zone.origin) || seen.has(next.hashKey()) || steps.length >= MAX_CHAIN_LENGTH) break
    name = next
  }
  const last = steps[steps.length - 1]!
  const first = steps[0]!
  if (first.kind === 'notAuthoritative') {
    return { kind: 'notAuthoritative', rcode: 5, authoritative: false, answer: [], authority: [], additional: [], steps }
  }
  switch (last.kind) {
    case 'nxdomain':
    case 'nodata':
      return { kind: last.kind, rcode: last.kind === 'nxdomain' ? 3 : 0, authoritative: true, answer, authority: negativeSoa(zone), additional: [], steps }
    case 'referral': {
      const cut = last.delegation!
      const ns = zone.rrset(cut, RRType.NS)!
      const ds = zone.rrset(cut, RRType.DS)
      return { kind: 'referral', rcode: 0, authoritative: steps.length > 1, answer, authority: ds ? [ns, ds] : [ns], additional: glue(zone, ns), steps }
    }
    case 'yxdomain':
      return { kind: 'yxdomain', rcode: 6, authoritative: true, answer, authority: [], additional: [], steps }
    default:
      return { kind: last.kind, rcode: 0, authoritative: true, answer, authority: [], additional: [], steps }
  }
}

function nextName(step: LookupStep): Name | undefined {
  const rr = step.rrsets[step.rrsets.length - 1]
  if (rr === undefined || rr.type !== RRType.CNAME) return undefined
  return (rr.rdata[0] as Cname).target
}

function rename(set: RRset, name: Name): RRset {
  return { name, type: set.type, class: set.class, ttl: set.ttl, rdata: set.rdata }
}

function typesAnswer(node: ZoneNode, qtype: number): RRset[] {
  if (qtype === RRType.ANY) return [...node.rrsets.values()].sort((a, b) => a.type - b.type)
  const s = node.rrsets.get(qtype)
  return s ? [s] : []
}

function lookupOne(zone: Zone, qname: Name, qtype: number): LookupStep {
  const origin = zone.origin
  if (!qname.isSubdomainOf(origin)) {
    return { kind: 'notAuthoritative', qname, closestEncloser: origin, synthesized: false, rrsets: [] }
  }
  const apexLabels = origin.labelCount
  let encloser: ZoneNode | undefined
  // RFC 1034 §4.3.2 step 3: walk down from the apex, label by label, looking for a cut
  // or a DNAME on the way to the name.
  for (let l = apexLabels; l <= qname.labelCount; l++) {
    const anc = l === qname.labelCount ? qname : qname.parent(qname.labelCount - l)
    const node = zone.node(anc)
    if (node === undefined) break
    encloser = node
    const atName = l === qname.labelCount
    if (l > apexLabels && node.rrsets.has(RRType.NS)) {
      // RFC 4035 §3.1.4.1: DS lives on the parent side of the cut; answer it here.
      if (atName && qtype === RRType.DS) {
        const ds = node.rrsets.get(RRType.DS)
        return { kind: ds ? 'answer' : 'nodata', qname, closestEncloser: anc, synthesized: false, delegation: anc, rrsets: ds ? [ds] : [] }
      }
      // RFC 1034 §4.3.2 3b: a referral.
      return { kind: 'referral', qname, closestEncloser: anc, synthesized: false, delegation: anc, dsExists: node.rrsets.has(RRType.DS), rrsets: [] }
    }
    const dname = node.rrsets.get(RRType.DNAME)
    if (dname !== undefined && !atName) return dnameStep(zone, qname, node, dname)
  }
  const node = encloser !== undefined && encloser.name.labelCount === qname.labelCount ? encloser : undefined
  if (node !== undefined) {
    const sets = typesAnswer(node, qtype)
    if (sets.length > 0) return { kind: 'answer', qname, closestEncloser: qname, synthesized: false, rrsets: sets }
    const cname = node.rrsets.get(RRType.CNAME)
    // RFC 1034 §4.3.2 3a: an alias is followed unless the CNAME itself is asked for.
    if (cname !== undefined) return { kind: 'cname', qname, closestEncloser: qname, synthesized: false, rrsets: [cname] }
    return { kind: 'nodata', qname, closestEncloser: qname, synthesized: false, rrsets: [] }
  }
  const ce = encloser!.name
  const nextCloser = qname.parent(qname.labelCount - ce.labelCount - 1)
  const wildcard = ce.prepend('*')
  const wnode = zone.node(wildcard)
  // RFC 4592 §3.3.1: the wildcard at the closest encloser, if any, is the source of synthesis.
  if (wnode === undefined) {
    return { kind: 'nxdomain', qname, closestEncloser: ce, nextCloser, wildcard, synthesized: false, rrsets: [] }
  }
  const sets = typesAnswer(wnode, qtype)
  if (sets.length > 0) return { kind: 'answer', qname, closestEncloser: ce, nextCloser, wildcard, synthesized: true, rrsets: sets.map((s) => rename(s, qname)) }
  const cname = wnode.rrsets.get(RRType.CNAME)
  if (cname !== undefined) return { kind: 'cname', qname, closestEncloser: ce, nextCloser, wildcard, synthesized: true, rrsets: [rename(cname, qname)] }
  return { kind: 'nodata', qname, closestEncloser: ce, nextCloser, wildcard, synthesized: true, rrsets: [] }
}

function dnameStep(zone: Zone, qname: Name, node: ZoneNode, dname: RRset): LookupStep {
  const target = (dname.rdata[0] as Dname).target
  // RFC 6672 §2.2: replace the DNAME owner suffix of the name with the target.
  const prefixLabels = qname.labelCount - node.name.labelCount
  let newName: Name
  try {
    newName = target
    for (let i = prefixLabels - 1; i >= 0; i--) newName = newName.prepend(qname.label(i))
  } catch {
    return { kind: 'yxdomain', qname, closestEncloser: node.name, synthesized: false, dnameOwner: node.name, rrsets: [dname] }
  }
  // RFC 6672 §3.1: the synthesized CNAME has the DNAME's TTL.
  const cname: RRset = { name: qname, type: RRType.CNAME, class: zone.class, ttl: dname.ttl, rdata: [{ type: RRType.CNAME, target: newName }] }
  return { kind: 'dname', qname, closestEncloser: node.name, synthesized: true, dnameOwner: node.name, rrsets: [dname, cname] }
}

function negativeSoa(zone: Zone): RRset[] {
  const soa = zone.rrset(zone.origin, RRType.SOA)
  if (soa === undefined) return []
  // RFC 2308 §5: the negative TTL is the smaller of the SOA's TTL and its MINIMUM.
  const ttl = Math.min(soa.ttl, (soa.rdata[0] as Soa).minimum)
  return [{ name: soa.name, type: soa.type, class: soa.class, ttl, rdata: soa.rdata }]
}

function glue(zone: Zone, ns: RRset): RRset[] {
  const out: RRset[] = []
  for (const d of ns.rdata) {
    const target = (d as Ns).nsdname
    // Only addresses the zone holds: in-zone names (glue below the cut or our own data).
    if (!target.isSubdomainOf(zone.origin)) continue
    const a = zone.rrset(target, RRType.A)
    const aaaa = zone.rrset(target, RRType.AAAA)
    if (a) out.push(a)
    if (aaaa) out.push(aaaa)
  }
  return out
}
