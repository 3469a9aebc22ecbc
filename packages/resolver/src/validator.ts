/**
 * The validator core (RFC 4033–4035, 5155, 6840): pure functions over records, with no
 * I/O. The resolver feeds them the DNSKEY sets it has already proven and the records an
 * upstream sent, and gets back a security state with the reason and the Extended DNS
 * Error (RFC 8914) that explains it. Bogus is a result, never thrown (STYLE.md §3).
 */
import { Name, RRType, EdeCode, fromBase32Hex, type Dnskey, type Ds, type Nsec, type Nsec3, type Rrsig, type ResourceRecord } from '@secdns/wire'
import { verifyRrsig, dsOfDnskey, isSupportedAlgorithm, keyTagOfRdata, dnskeyRdata, nsec3Hash, type RrsigFailure } from '@secdns/dnssec'
import { DEFAULT_LIMITS, type ResolverLimits } from './limits.js'

/** The four security states of RFC 4033 §5 / RFC 4035 §4.3. */
export type SecurityState = 'secure' | 'insecure' | 'bogus' | 'indeterminate'

/** A security verdict: the state, and for anything but Secure why, with an EDE code. */
export interface Verdict {
  readonly state: SecurityState
  readonly reason?: string
  /** RFC 8914 INFO-CODE. */
  readonly ede?: number
}

/** One RRset as it came in a section, with the RRSIGs that cover it. */
export interface SignedRRset {
  readonly name: Name
  readonly type: number
  readonly class: number
  readonly records: ResourceRecord[]
  readonly sigs: ResourceRecord<Rrsig>[]
}

/** A zone whose DNSKEY RRset has been proven (or that is proven insecure). */
export interface ZoneKeys {
  readonly zone: Name
  /** The DNSKEY RRset, validated. Empty when the zone is insecure. */
  readonly keys: readonly ResourceRecord<Dnskey>[]
  readonly state: SecurityState
  /** The DNSKEY RRset's TTL capped by its signatures (RFC 4035 §5.3.3), for caching. */
  readonly ttl: number
  readonly reason?: string
  readonly ede?: number
}

/** Counts signature verifications of one response, to stop KeyTrap-style floods. */
export class SignatureBudget {
  private used = 0
  /** Most verifications allowed. */
  readonly max: number
  /** @param max most verifications allowed */
  constructor(max: number = DEFAULT_LIMITS.maxSignatureChecks) {
    this.max = max
  }
  /** Take one; false when the budget is spent. */
  take(): boolean {
    if (this.used >= this.max) return false
    this.used++
    return true
  }
}

const secure: Verdict = { state: 'secure' }

/**
 * Group records into RRsets (owner, class, type) and attach the RRSIGs that cover each.
 *
 * @param records the records of one section (or several)
 * @example
 * const sets = groupRRsets(msg.answer)
 */
export function groupRRsets(records: readonly ResourceRecord[]): SignedRRset[] {
  const out: SignedRRset[] = []
  const find = (name: Name, type: number, cls: number): SignedRRset => {
    let s = out.find((x) => x.type === type && x.class === cls && x.name.equals(name))
    if (s === undefined) { s = { name, type, class: cls, records: [], sigs: [] }; out.push(s) }
    return s
  }
  for (const rr of records) {
    if (rr.data.type === RRType.RRSIG) find(rr.name, (rr.data as Rrsig).typeCovered, rr.class).sigs.push(rr as ResourceRecord<Rrsig>)
    else if (rr.data.type !== RRType.OPT) find(rr.name, rr.data.type, rr.class).records.push(rr)
  }
  // RRSIGs that cover nothing present stay out of the result.
  return out.filter((s) => s.records.length > 0)
}

function keyTagOf(k: Dnskey): number {
  return keyTagOfRdata(dnskeyRdata(k.flags, k.algorithm, k.publicKey))
}

/** The result of validating one RRset. */
export interface RRsetVerdict extends Verdict {
  /** TTL the RRset may be cached for: min(TTL, Original TTL, time to expiry) (RFC 4035 §5.3.3). */
  readonly ttl: number
  /** When the RRset was synthesized from a wildcard: the closest encloser (RFC 4035 §5.3.4). */
  readonly wildcardEncloser?: Name
  /** The RRSIG that verified it. */
  readonly sig?: Rrsig
}

/**
 * Validate one RRset with the proven DNSKEY set of its zone (RFC 4035 §5.3): some RRSIG
 * must come from the zone (signer name), match a key (tag and algorithm), be inside its
 * validity window at `now`, and verify.
 *
 * @param set the RRset and its RRSIGs
 * @param zone the zone the RRset is in, with its proven keys
 * @param now seconds since the epoch (an injected clock)
 * @param budget signature verifications left for this response
 * @returns Secure, or Bogus with the EDE that fits best (7 expired, 8 not yet valid, 9 no key, 10 no RRSIG, 6 otherwise)
 * @example
 * const v = validateRRset(set, { zone, keys }, Date.now() / 1000)
 */
export function validateRRset(set: SignedRRset, zone: { zone: Name, keys: readonly ResourceRecord<Dnskey>[] }, now: number, budget = new SignatureBudget()): RRsetVerdict {
  const what = `${set.name.toString()}/${typeName(set.type)}`
  const minTtl = Math.min(...set.records.map((r) => r.ttl))
  if (set.sigs.length === 0) return { state: 'bogus', ede: EdeCode.RRSIGS_MISSING, reason: `${what}: no RRSIG (zone ${zone.zone.toString()} is signed)`, ttl: minTtl }
  const failures: { tag: number, why: RrsigFailure | 'no-key' | 'budget' }[] = []
  for (const s of set.sigs) {
    const sig = s.data
    // RFC 4035 §5.3.1: the signer name is the zone of the RRset.
    if (!sig.signerName.equals(zone.zone)) { failures.push({ tag: sig.keyTag, why: 'wrong-signer' }); continue }
    // RFC 4035 §5.3.1: the labels field is at most the owner's label count ('*' not counted).
    const ownerLabels = set.name.isWildcard() ? set.name.labelCount - 1 : set.name.labelCount
    if (sig.labels > ownerLabels) { failures.push({ tag: sig.keyTag, why: 'labels' }); continue }
    const keys = zone.keys.filter((k) => k.data.algorithm === sig.algorithm && keyTagOf(k.data) === sig.keyTag)
    if (keys.length === 0) { failures.push({ tag: sig.keyTag, why: 'no-key' }); continue }
    for (const k of keys) {
      if (!budget.take()) { failures.push({ tag: sig.keyTag, why: 'budget' }); break }
      const f = verifyRrsig(set.records, sig, { owner: k.name, data: k.data }, now)
      if (f === null) {
        // RFC 4035 §5.3.3: never cache longer than the Original TTL or past expiration.
        const left = ((sig.expiration - (now >>> 0)) | 0)
        const ttl = Math.max(0, Math.min(minTtl, sig.originalTtl, left))
        const wildcardEncloser = sig.labels < ownerLabels ? set.name.parent(set.name.labelCount - sig.labels) : undefined
        return { state: 'secure', ttl, ...(wildcardEncloser === undefined ? {} : { wildcardEncloser }), sig }
      }
      failures.push({ tag: sig.keyTag, why: f })
    }
  }
  const list = failures.map((f) => `tag ${f.tag}: ${f.why}`).join(', ')
  const has = (w: string): boolean => failures.some((f) => f.why === w)
  // Name the most specific cause: a signature that would verify but for the clock beats a generic failure.
  const ede = has('budget') ? EdeCode.DNSSEC_BOGUS
    : has('expired') ? EdeCode.SIGNATURE_EXPIRED
      : has('not-yet-valid') ? EdeCode.SIGNATURE_NOT_YET_VALID
        : failures.every((f) => f.why === 'no-key' || f.why === 'wrong-signer') ? EdeCode.DNSKEY_MISSING
          : EdeCode.DNSSEC_BOGUS
  return { state: 'bogus', ede, reason: `${what}: no valid RRSIG (${list})`, ttl: minTtl }
}

/**
 * Prove a zone's DNSKEY RRset from DS records (RFC 4035 §5.2): some DS with a supported
 * algorithm and digest must match a key of the set, and that key must sign the set.
 * DS records that all use unsupported algorithms or digests make the zone Insecure,
 * not Bogus (RFC 4035 §5.2, RFC 6840 §5.2).
 *
 * @param zone the zone
 * @param dnskeys the zone's DNSKEY RRset with its RRSIGs (null when the fetch gave none)
 * @param ds the validated DS RRset of the zone, from its parent
 * @param now the injected clock, seconds
 */
export function verifyDnskeysWithDs(zone: Name, dnskeys: SignedRRset | null, ds: readonly Ds[], now: number, budget = new SignatureBudget()): ZoneKeys {
  let usable = ds.filter((d) => isSupportedAlgorithm(d.algorithm) && [1, 2, 4].includes(d.digestType))
  if (usable.length === 0) {
    const alg = ds.some((d) => !isSupportedAlgorithm(d.algorithm))
    return { zone, keys: [], state: 'insecure', ttl: 0, ede: alg ? EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM : EdeCode.UNSUPPORTED_DS_DIGEST_TYPE, reason: `${zone.toString()}: no DS uses a supported algorithm and digest (RFC 6840 §5.2)` }
  }
  // RFC 4509 §3: with a SHA-256 DS present, SHA-1 DS records are ignored (downgrade defence).
  if (usable.some((d) => d.digestType !== 1)) usable = usable.filter((d) => d.digestType !== 1)
  if (dnskeys === null) return { zone, keys: [], state: 'bogus', ttl: 0, ede: EdeCode.DNSKEY_MISSING, reason: `${zone.toString()}: the zone has a DS but no DNSKEY RRset came back` }
  const keys = dnskeys.records as ResourceRecord<Dnskey>[]
  const matched: ResourceRecord<Dnskey>[] = []
  for (const k of keys) {
    for (const d of usable) {
      if (k.data.algorithm !== d.algorithm || keyTagOf(k.data) !== d.keyTag) continue
      const mine = dsOfDnskey(zone, k.data, d.digestType)
      if (equalBytes(mine.digest, d.digest)) matched.push(k)
    }
  }
  if (matched.length === 0) {
    return { zone, keys: [], state: 'bogus', ttl: 0, ede: EdeCode.DNSKEY_MISSING, reason: `${zone.toString()}: no DNSKEY matches the DS (${usable.map((d) => `tag ${d.keyTag} alg ${d.algorithm} digest ${d.digestType}`).join(', ')})` }
  }
  const v = validateRRset(dnskeys, { zone, keys: matched }, now, budget)
  if (v.state !== 'secure') return { zone, keys: [], state: 'bogus', ttl: 0, ede: v.ede ?? EdeCode.DNSSEC_BOGUS, reason: `${zone.toString()}: DNSKEY RRset not signed by a key the DS names: ${v.reason ?? ''}` }
  return { zone, keys: zoneKeys(keys), state: 'secure', ttl: v.ttl }
}

/**
 * Prove a zone's DNSKEY RRset from a trust anchor (RFC 4035 §5, RFC 5011 §2): an anchor
 * DNSKEY must be in the set and sign it, or an anchor DS must match as for a DS from
 * the parent. An anchor that matches no key of the set is reported: Bogus, EDE 9, with
 * the anchor's key tag in the reason (issue 7 §1: never silently ignored).
 *
 * @param zone the anchored zone
 * @param dnskeys the zone's DNSKEY RRset, as fetched
 * @param anchors the anchor records of the zone
 * @param now the injected clock
 */
export function verifyDnskeysWithAnchor(zone: Name, dnskeys: SignedRRset | null, anchors: { dnskeys: readonly ResourceRecord<Dnskey>[], ds: readonly ResourceRecord<Ds>[] }, now: number, budget = new SignatureBudget()): ZoneKeys {
  if (anchors.ds.length > 0 && anchors.dnskeys.length === 0) return verifyDnskeysWithDs(zone, dnskeys, anchors.ds.map((d) => d.data), now, budget)
  const supported = anchors.dnskeys.filter((a) => isSupportedAlgorithm(a.data.algorithm))
  if (supported.length === 0 && anchors.ds.length === 0) {
    return { zone, keys: [], state: 'insecure', ttl: 0, ede: EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM, reason: `${zone.toString()}: no trust anchor uses a supported algorithm` }
  }
  if (dnskeys === null) return { zone, keys: [], state: 'bogus', ttl: 0, ede: EdeCode.DNSKEY_MISSING, reason: `${zone.toString()}: trust anchor present but the zone returned no DNSKEY RRset` }
  const keys = dnskeys.records as ResourceRecord<Dnskey>[]
  const present = keys.filter((k) => supported.some((a) => a.data.algorithm === k.data.algorithm && equalBytes(a.data.publicKey, k.data.publicKey)))
  if (present.length > 0) {
    const v = validateRRset(dnskeys, { zone, keys: present }, now, budget)
    if (v.state === 'secure') return { zone, keys: zoneKeys(keys), state: 'secure', ttl: v.ttl }
    if (anchors.ds.length === 0) return { zone, keys: [], state: 'bogus', ttl: 0, ede: v.ede ?? EdeCode.DNSSEC_BOGUS, reason: `${zone.toString()}: DNSKEY RRset not signed by the trust anchor: ${v.reason ?? ''}` }
  }
  if (anchors.ds.length > 0) return verifyDnskeysWithDs(zone, dnskeys, anchors.ds.map((d) => d.data), now, budget)
  const tags = supported.map((a) => keyTagOf(a.data)).join(', ')
  return { zone, keys: [], state: 'bogus', ttl: 0, ede: EdeCode.DNSKEY_MISSING, reason: `${zone.toString()}: trust anchor key(s) ${tags} no longer in the zone's DNSKEY RRset (tags ${keys.map((k) => keyTagOf(k.data)).join(', ')})` }
}

function zoneKeys(keys: readonly ResourceRecord<Dnskey>[]): ResourceRecord<Dnskey>[] {
  // RFC 4034 §2.1.1 and RFC 5011 §7: only zone keys that are not revoked sign zone data.
  return keys.filter((k) => (k.data.flags & 0x0100) !== 0 && (k.data.flags & 0x0080) === 0)
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function typeName(t: number): string {
  for (const [k, v] of Object.entries(RRType)) if (v === t) return k
  return `TYPE${t}`
}

// ---------------------------------------------------------------- NSEC (RFC 4035 §5.4)

/** True when an NSEC record at `owner` proves `name` does not exist: owner < name < next, the last NSEC wrapping to the apex. */
export function nsecCovers(owner: Name, nsec: Nsec, name: Name, zone: Name): boolean {
  if (owner.compare(name) >= 0) return false
  const next = nsec.nextDomainName
  // RFC 4034 §4.1.1: the last NSEC in the zone points back at the apex.
  if (next.equals(zone) || next.compare(owner) <= 0) return name.isSubdomainOf(zone)
  if (name.compare(next) >= 0) return false
  // RFC 6840 §4.1: an NSEC at a delegation point (NS without SOA) or at a DNAME cannot deny names below it.
  if (name.isSubdomainOf(owner) && ((nsec.types.includes(RRType.NS) && !nsec.types.includes(RRType.SOA)) || nsec.types.includes(RRType.DNAME))) return false
  return true
}

function commonAncestor(a: Name, b: Name): Name {
  let x = a
  while (!b.isSubdomainOf(x)) x = x.parent()
  return x
}

/** The kinds of denial a response may carry. */
export type DenialKind = 'nxdomain' | 'nodata' | 'wildcard-answer' | 'no-ds'

/** The result of checking a denial of existence. */
export interface DenialVerdict extends Verdict {
  /** For 'no-ds': the DS absence was proven at a delegation (the child is Insecure), or the name is no zone cut. */
  readonly delegation?: boolean
}

/**
 * Check an NSEC denial (RFC 4035 §3.1.3, §5.4; RFC 6840 §4) over NSEC records already
 * validated as Secure.
 *
 * @param kind what the response claims: NXDOMAIN, NODATA, a wildcard answer (next closer proof), or no DS
 * @param qname the query name
 * @param qtype the query type
 * @param nsecs validated NSEC RRsets of the zone
 * @param zone the zone apex
 * @param encloser for 'wildcard-answer': the closest encloser from the RRSIG labels
 */
export function checkNsecDenial(kind: DenialKind, qname: Name, qtype: number, nsecs: readonly ResourceRecord<Nsec>[], zone: Name, encloser?: Name): DenialVerdict {
  // NSEC records are present but prove nothing: Bogus (6), as Unbound reports it; EDE 12
  // (NSEC Missing) is for answers that carry no denial records at all.
  const missing = (why: string): DenialVerdict => ({ state: 'bogus', ede: nsecs.length === 0 ? EdeCode.NSEC_MISSING : EdeCode.DNSSEC_BOGUS, reason: `${qname.toString()}/${typeName(qtype)}: ${why}` })
  const match = nsecs.find((n) => n.name.equals(qname))
  const cover = (name: Name): ResourceRecord<Nsec> | undefined => nsecs.find((n) => nsecCovers(n.name, n.data, name, zone))
  if (kind === 'nodata' || kind === 'no-ds') {
    if (match !== undefined) {
      const t = match.data.types
      if (t.includes(qtype)) return missing(`the NSEC at the name lists type ${typeName(qtype)}`)
      if (t.includes(RRType.CNAME) && qtype !== RRType.CNAME) return missing('the NSEC at the name lists CNAME')
      if (kind === 'no-ds') {
        // RFC 4035 §5.2: a proven absent DS at a delegation (NS, no SOA) makes the child Insecure.
        return { state: 'secure', delegation: t.includes(RRType.NS) && !t.includes(RRType.SOA) }
      }
      return secure
    }
    // RFC 4035 §3.1.3.4 / RFC 4592: NODATA from a wildcard: qname covered, and the wildcard's NSEC lacks the type.
    const c = cover(qname)
    if (c === undefined) return missing('no NSEC matches or covers the name')
    // An empty non-terminal: the NSEC covering it has a next name below it (RFC 4035 §3.1.3.2).
    if (c.data.nextDomainName.isSubdomainOf(qname) && !c.data.nextDomainName.equals(qname)) return kind === 'no-ds' ? { state: 'secure', delegation: false } : secure
    const ce = commonAncestor(qname, c.name).labelCount >= commonAncestor(qname, c.data.nextDomainName).labelCount ? commonAncestor(qname, c.name) : commonAncestor(qname, c.data.nextDomainName)
    const wild = nsecs.find((n) => n.name.equals(ce.prepend('*')))
    if (wild === undefined) return missing('no NSEC for the wildcard that would have matched')
    if (wild.data.types.includes(qtype) || wild.data.types.includes(RRType.CNAME)) return missing('the wildcard NSEC lists the type')
    return kind === 'no-ds' ? { state: 'secure', delegation: false } : secure
  }
  if (kind === 'nxdomain') {
    if (match !== undefined) return missing('an NSEC matches the name, which therefore exists')
    const c = cover(qname)
    if (c === undefined) return missing('no NSEC covers the name')
    // The closest encloser is the longest ancestor shared with either end of the covering NSEC.
    const a = commonAncestor(qname, c.name)
    const b = commonAncestor(qname, c.data.nextDomainName.equals(zone) ? zone : c.data.nextDomainName)
    const ce = a.labelCount >= b.labelCount ? a : b
    const wildcard = ce.prepend('*')
    // RFC 4035 §5.4: the wildcard that could have answered must be denied too.
    if (!nsecs.some((n) => nsecCovers(n.name, n.data, wildcard, zone)) && !(wildcard.equals(qname))) return missing(`no NSEC covers the wildcard ${wildcard.toString()}`)
    return secure
  }
  // A wildcard answer: the query name itself must not exist (RFC 4035 §5.3.4).
  if (encloser === undefined) return missing('wildcard answer without closest encloser')
  if (match !== undefined) return missing('an NSEC matches the name, so it was not synthesized from a wildcard')
  const nextCloser = qname.parent(qname.labelCount - encloser.labelCount - 1)
  if (cover(qname) === undefined && cover(nextCloser) === undefined) return missing('no NSEC proves the name did not exist before wildcard expansion')
  return secure
}

// ---------------------------------------------------------------- NSEC3 (RFC 5155 §8)

function nsec3OwnerHash(owner: Name): Uint8Array | null {
  try { return fromBase32Hex(new TextDecoder().decode(owner.label(0)), 'NSEC3 owner') } catch { return null }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

interface Nsec3Entry { readonly rr: ResourceRecord<Nsec3>, readonly hash: Uint8Array }

/**
 * Check an NSEC3 denial (RFC 5155 §8) over NSEC3 records already validated as Secure.
 * Iteration counts above the limits of RFC 9276 §3.2 give Insecure (soft) or Bogus (hard).
 *
 * @param kind what the response claims
 * @param qname the query name
 * @param qtype the query type
 * @param nsec3s validated NSEC3 RRsets of the zone
 * @param zone the zone apex
 * @param limits NSEC3 iteration limits
 * @param encloser for 'wildcard-answer': the closest encloser from the RRSIG labels
 */
export function checkNsec3Denial(kind: DenialKind, qname: Name, qtype: number, nsec3s: readonly ResourceRecord<Nsec3>[], zone: Name, limits: Pick<ResolverLimits, 'nsec3SoftIterationLimit' | 'nsec3HardIterationLimit'> = DEFAULT_LIMITS, encloser?: Name): DenialVerdict {
  const missing = (why: string): DenialVerdict => ({ state: 'bogus', ede: nsec3s.length === 0 ? EdeCode.NSEC_MISSING : EdeCode.DNSSEC_BOGUS, reason: `${qname.toString()}/${typeName(qtype)}: ${why}` })
  // RFC 5155 §8.1: records with an unknown hash algorithm are ignored; none left is Insecure.
  const known = nsec3s.filter((r) => r.data.hashAlgorithm === 1 && r.name.parent().equals(zone))
  if (known.length === 0) return nsec3s.length > 0 ? { state: 'insecure', reason: `${zone.toString()}: NSEC3 hash algorithm not supported` } : missing('no NSEC3 records')
  const first = known[0]!.data
  // RFC 9276 §3.2 (and STYLE.md §5): expensive chains are not worth proving.
  if (first.iterations > limits.nsec3HardIterationLimit) return { state: 'bogus', ede: EdeCode.UNSUPPORTED_NSEC3_ITERATIONS, reason: `${zone.toString()}: NSEC3 iterations ${first.iterations} above ${limits.nsec3HardIterationLimit}` }
  if (first.iterations > limits.nsec3SoftIterationLimit) return { state: 'insecure', ede: EdeCode.UNSUPPORTED_NSEC3_ITERATIONS, reason: `${zone.toString()}: NSEC3 iterations ${first.iterations} above ${limits.nsec3SoftIterationLimit}` }
  const entries: Nsec3Entry[] = []
  for (const r of known) {
    // RFC 5155 §8.2: all NSEC3 records of a proof share the parameters.
    if (r.data.iterations !== first.iterations || !equalBytes(r.data.salt, first.salt)) continue
    const h = nsec3OwnerHash(r.name)
    if (h !== null && h.length === r.data.nextHashedOwnerName.length) entries.push({ rr: r, hash: h })
  }
  const hashes = new Map<string, Uint8Array>()
  const hashOf = (n: Name): Uint8Array => {
    const k = n.toLowerCase().toString()
    let h = hashes.get(k)
    if (h === undefined) { h = nsec3Hash(n, first.salt, first.iterations); hashes.set(k, h) }
    return h
  }
  const matchOf = (n: Name): Nsec3Entry | undefined => { const h = hashOf(n); return entries.find((e) => equalBytes(e.hash, h)) }
  const coverOf = (n: Name): Nsec3Entry | undefined => {
    const h = hashOf(n)
    return entries.find((e) => {
      const next = e.rr.data.nextHashedOwnerName
      const a = compareBytes(e.hash, h), b = compareBytes(h, next)
      // The last NSEC3 in hash order wraps around to the first.
      return compareBytes(e.hash, next) < 0 ? a < 0 && b < 0 : a < 0 || b < 0
    })
  }
  // RFC 5155 §8.3: the closest encloser proof.
  const closestEncloser = (): { ce: Name, nextCloser: Name, cover: Nsec3Entry } | null => {
    for (let n = qname; n.isSubdomainOf(zone); n = n.parent()) {
      const m = matchOf(n)
      if (m === undefined) {
        if (n.equals(zone) || n.isRoot()) break
        continue
      }
      const t = m.rr.data.types
      // A delegation's or DNAME's NSEC3 cannot prove anything below it (RFC 5155 §8.3, RFC 6840 §4.1).
      if (!n.equals(zone) && ((t.includes(RRType.NS) && !t.includes(RRType.SOA)) || t.includes(RRType.DNAME))) return null
      if (n.equals(qname)) return null
      const nextCloser = qname.parent(qname.labelCount - n.labelCount - 1)
      const c = coverOf(nextCloser)
      return c === undefined ? null : { ce: n, nextCloser, cover: c }
    }
    return null
  }
  const match = matchOf(qname)
  if (kind === 'nodata' || kind === 'no-ds') {
    if (match !== undefined) {
      const t = match.rr.data.types
      if (t.includes(qtype)) return missing('the NSEC3 at the name lists the type')
      if (t.includes(RRType.CNAME) && qtype !== RRType.CNAME) return missing('the NSEC3 at the name lists CNAME')
      if (kind === 'no-ds') return { state: 'secure', delegation: t.includes(RRType.NS) && !t.includes(RRType.SOA) }
      return secure
    }
    const p = closestEncloser()
    if (p === null) return missing('no NSEC3 matches the name and no closest encloser proof')
    // RFC 5155 §8.6: for DS, an opt-out NSEC3 covering the next closer name makes the delegation Insecure.
    if (kind === 'no-ds' && (p.cover.rr.data.flags & 1) === 1) return { state: 'insecure', delegation: true, reason: `${qname.toString()}: unsigned delegation under NSEC3 opt-out` }
    // RFC 5155 §8.7: NODATA from a wildcard: the NSEC3 matching *.ce lacks the type.
    const w = matchOf(p.ce.prepend('*'))
    if (w === undefined) return missing('no NSEC3 for the wildcard at the closest encloser')
    if (w.rr.data.types.includes(qtype) || w.rr.data.types.includes(RRType.CNAME)) return missing('the wildcard NSEC3 lists the type')
    return kind === 'no-ds' ? { state: 'secure', delegation: false } : secure
  }
  if (kind === 'nxdomain') {
    if (match !== undefined) return missing('an NSEC3 matches the name, which therefore exists')
    const p = closestEncloser()
    if (p === null) return missing('no closest encloser proof')
    // RFC 5155 §8.4: and the wildcard at the closest encloser is covered.
    if (coverOf(p.ce.prepend('*')) === undefined) return missing(`no NSEC3 covers the wildcard *.${p.ce.toString()}`)
    // RFC 5155 §8.4 (errata) / RFC 7129 §5.5: opt-out NXDOMAIN proves nothing about unsigned names.
    if ((p.cover.rr.data.flags & 1) === 1) return { state: 'insecure', reason: `${qname.toString()}: NXDOMAIN covered by an opt-out NSEC3` }
    return secure
  }
  // RFC 5155 §8.8: a wildcard answer needs the next closer name covered.
  if (encloser === undefined) return missing('wildcard answer without closest encloser')
  const nextCloser = qname.parent(qname.labelCount - encloser.labelCount - 1)
  if (coverOf(nextCloser) === undefined) return missing('no NSEC3 covers the next closer name of the wildcard answer')
  return secure
}
