/**
 * Full check of a signed zone, as `dnssec-verify` does: every authoritative RRset signed
 * by an active key of every algorithm in the DNSKEY RRset, signatures in date, the NSEC or
 * NSEC3 chain complete with the right type bitmaps, nothing signed that must not be.
 */
import {
  Name, RRType, rrTypeToString, toBase32Hex, type Dnskey, type Nsec, type Nsec3, type Nsec3Param, type ResourceRecord, type Rrsig,
} from '@secdns/wire'
import { Zone, rrsetRecords, type ZoneNode } from '@secdns/zone'
import { algorithmToString, isSupportedAlgorithm, DnskeyFlags } from './algorithms.js'
import { nsec3Hash } from './nsec3.js'
import { verifyRrsig } from './rrsig.js'
import { readZoneRecords } from './sign_file.js'

/** One problem found, naming the record. */
export interface VerifyProblem {
  code: 'missing-dnskey' | 'missing-signature' | 'bad-signature' | 'expired' | 'not-yet-valid' | 'missing-nsec' | 'bad-nsec'
    | 'missing-nsec3' | 'bad-nsec3' | 'no-denial' | 'signed-glue' | 'no-soa'
  owner: string
  type: string
  message: string
}

/** Result of {@link verifyZone}. */
export interface VerifyResult {
  ok: boolean
  errors: VerifyProblem[]
  stats: { rrsets: number, signatures: number, denial: 'NSEC' | 'NSEC3' | 'none', algorithms: string[] }
}

function bitmapText(types: Iterable<number>): string {
  return [...types].sort((a, b) => a - b).map(rrTypeToString).join(' ')
}

function sameTypes(a: readonly number[], b: Set<number>): boolean {
  if (a.length !== b.size) return false
  for (const t of a) if (!b.has(t)) return false
  return true
}

/**
 * Verify a signed zone held as records.
 *
 * @param records every record of the signed zone
 * @param opts zone apex and the time signatures must be valid at
 * @example
 * const { ok, errors } = verifyZone(records, { origin: Name.fromString('example.test.'), now: Date.now() / 1000 | 0 })
 */
export function verifyZone(records: Iterable<ResourceRecord>, opts: { origin: Name, now: number }): VerifyResult {
  const origin = opts.origin
  const errors: VerifyProblem[] = []
  const zone = new Zone(origin)
  const sigs = new Map<string, Rrsig[]>()
  for (const rr of records) {
    if (rr.data.type === RRType.RRSIG) {
      const k = `${rr.name.hashKey()}|${(rr.data as Rrsig).typeCovered}`
      const l = sigs.get(k)
      if (l === undefined) sigs.set(k, [rr.data as Rrsig]); else l.push(rr.data as Rrsig)
      zone.add({ ...rr, data: rr.data })
      continue
    }
    zone.add(rr)
  }
  const problem = (code: VerifyProblem['code'], owner: Name, type: number | string, message: string) => {
    errors.push({ code, owner: owner.toString(), type: typeof type === 'number' ? rrTypeToString(type) : type, message })
  }
  const stats: VerifyResult['stats'] = { rrsets: 0, signatures: 0, denial: 'none', algorithms: [] }
  if (zone.soa === undefined) {
    problem('no-soa', origin, RRType.SOA, `${origin.toString()} SOA: missing at the apex`)
    return { ok: false, errors, stats }
  }
  const dnskeySet = zone.rrset(origin, RRType.DNSKEY)
  if (dnskeySet === undefined || dnskeySet.rdata.length === 0) {
    problem('missing-dnskey', origin, RRType.DNSKEY, `${origin.toString()} DNSKEY: no DNSKEY RRset at the apex`)
    return { ok: false, errors, stats }
  }
  const dnskeys = (dnskeySet.rdata as Dnskey[]).filter((k) => (k.flags & DnskeyFlags.ZONE) !== 0)
  // RFC 4035 §2.2 / RFC 6840 §5.11: every algorithm of a (non-revoked) zone key signs every RRset.
  const algs = [...new Set(dnskeys.filter((k) => (k.flags & DnskeyFlags.REVOKE) === 0).map((k) => k.algorithm))].filter(isSupportedAlgorithm).sort((a, b) => a - b)
  stats.algorithms = algs.map(algorithmToString)
  const nodes = zone.nodes()

  const nsec3Param = zone.rrset(origin, RRType.NSEC3PARAM)?.rdata[0] as Nsec3Param | undefined
  // Owners that hold only NSEC3 (and its RRSIG) are the hashed chain, not zone names.
  const isNsec3Owner = (n: ZoneNode) => n.rrsets.has(RRType.NSEC3) && [...n.rrsets.keys()].every((t) => t === RRType.NSEC3 || t === RRType.RRSIG)

  const checkSigned = (name: Name, type: number, rrs: ResourceRecord[]) => {
    stats.rrsets++
    const list = sigs.get(`${name.hashKey()}|${type}`) ?? []
    const what = `${name.toString()} ${rrTypeToString(type)}`
    for (const alg of algs) {
      const mine = list.filter((s) => s.algorithm === alg)
      const reasons: string[] = []
      let good = false
      for (const s of mine) {
        const candidates = dnskeys.filter((k) => k.algorithm === alg)
        for (const k of candidates) {
          stats.signatures++
          const r = verifyRrsig(rrs, s, { owner: origin, data: k }, opts.now)
          if (r === null) { good = true; break }
          if (r !== 'key-mismatch') reasons.push(`RRSIG ${s.keyTag}: ${r}`)
        }
        if (good) break
        if (!reasons.some((x) => x.startsWith(`RRSIG ${s.keyTag}:`))) reasons.push(`RRSIG ${s.keyTag}: no DNSKEY with that tag`)
      }
      if (good) continue
      if (mine.length === 0) problem('missing-signature', name, type, `${what}: no RRSIG by algorithm ${algorithmToString(alg)}`)
      else {
        const code = reasons.some((x) => x.endsWith('expired')) ? 'expired' : reasons.some((x) => x.endsWith('not-yet-valid')) ? 'not-yet-valid' : 'bad-signature'
        problem(code, name, type, `${what}: no valid RRSIG by algorithm ${algorithmToString(alg)} (${reasons.join(', ')})`)
      }
    }
  }

  const expected: Array<{ node: ZoneNode, types: Set<number> }> = []
  for (const node of nodes) {
    if (isNsec3Owner(node)) { const s = node.rrsets.get(RRType.NSEC3)!; checkSigned(node.name, RRType.NSEC3, rrsetRecords(s)); continue }
    if (node.kind === 'glue' || node.kind === 'occluded') {
      if (node.rrsets.has(RRType.RRSIG)) problem('signed-glue', node.name, RRType.RRSIG, `${node.name.toString()} RRSIG: signatures on glue or occluded data below a zone cut`)
      continue
    }
    const types = new Set<number>()
    for (const set of node.rrsets.values()) {
      if (set.type === RRType.RRSIG) continue
      const signed = node.kind !== 'delegation' || set.type === RRType.DS || set.type === RRType.NSEC
      if (node.kind !== 'delegation' || set.type === RRType.NS || set.type === RRType.DS || set.type === RRType.NSEC) types.add(set.type)
      if (signed) checkSigned(node.name, set.type, rrsetRecords(set))
    }
    expected.push({ node, types })
  }

  const hasNsec = expected.some((e) => e.types.has(RRType.NSEC))
  if (nsec3Param !== undefined) {
    stats.denial = 'NSEC3'
    checkNsec3(zone, expected, nsec3Param, origin, problem)
  } else if (hasNsec) {
    stats.denial = 'NSEC'
    const owners = expected.filter((e) => e.node.kind !== 'emptyNonTerminal')
    for (let i = 0; i < owners.length; i++) {
      const e = owners[i]!
      const set = e.node.rrsets.get(RRType.NSEC)
      const name = e.node.name
      if (set === undefined) { problem('missing-nsec', name, RRType.NSEC, `${name.toString()} NSEC: missing (the chain skips this name)`); continue }
      const nsec = set.rdata[0] as Nsec
      const next = owners[(i + 1) % owners.length]!.node.name
      if (!nsec.nextDomainName.equals(next)) problem('bad-nsec', name, RRType.NSEC, `${name.toString()} NSEC: next name ${nsec.nextDomainName.toString()}, expected ${next.toString()}`)
      // RFC 4035 §2.3: the bitmap lists the types present, NSEC and RRSIG included.
      const want = new Set(e.types)
      want.add(RRType.RRSIG)
      if (!sameTypes(nsec.types, want)) problem('bad-nsec', name, RRType.NSEC, `${name.toString()} NSEC: type bitmap "${bitmapText(nsec.types)}", expected "${bitmapText(want)}"`)
    }
  } else {
    problem('no-denial', origin, 'NSEC', `${origin.toString()}: neither an NSEC chain nor NSEC3PARAM`)
  }
  return { ok: errors.length === 0, errors, stats }
}

function checkNsec3(zone: Zone, expected: Array<{ node: ZoneNode, types: Set<number> }>, param: Nsec3Param, origin: Name,
  problem: (code: VerifyProblem['code'], owner: Name, type: number | string, message: string) => void): void {
  // The chain as published, by hash.
  const chain = new Map<string, { owner: Name, data: Nsec3 }>()
  for (const node of zone.nodes()) {
    const set = node.rrsets.get(RRType.NSEC3)
    if (set === undefined) continue
    const d = set.rdata[0] as Nsec3
    if (d.iterations !== param.iterations || Buffer.compare(d.salt, param.salt) !== 0 || d.hashAlgorithm !== param.hashAlgorithm) continue
    if (!node.name.parent().equals(origin)) { problem('bad-nsec3', node.name, RRType.NSEC3, `${node.name.toString()} NSEC3: owner is not directly below the apex`); continue }
    chain.set(Buffer.from(node.name.label(0)).toString('latin1').toLowerCase(), { owner: node.name, data: d })
  }
  const hashes = [...chain.keys()].sort()
  for (let i = 0; i < hashes.length; i++) {
    const e = chain.get(hashes[i]!)!
    const next = hashes[(i + 1) % hashes.length]!
    const got = toBase32Hex(e.data.nextHashedOwnerName).toLowerCase()
    if (got !== next) problem('bad-nsec3', e.owner, RRType.NSEC3, `${e.owner.toString()} NSEC3: next hashed owner ${got}, expected ${next}`)
  }
  const covering = (h: string) => {
    // the NSEC3 whose interval (owner, next) contains h
    let prev = hashes[hashes.length - 1]
    for (const x of hashes) { if (x > h) break; prev = x }
    return prev === undefined ? undefined : chain.get(prev)
  }
  const used = new Set<string>()
  for (const e of expected) {
    const name = e.node.name
    const h = toBase32Hex(nsec3Hash(name, param.salt, param.iterations)).toLowerCase()
    const rec = chain.get(h)
    const insecure = e.node.kind === 'delegation' && !e.types.has(RRType.DS)
    if (rec === undefined) {
      // RFC 5155 §7.1: only insecure delegations (and empty non-terminals above them) may
      // be left out, and only under an opt-out NSEC3.
      const cov = covering(h)
      if ((insecure || e.node.kind === 'emptyNonTerminal') && cov !== undefined && (cov.data.flags & 1) === 1) continue
      problem('missing-nsec3', name, RRType.NSEC3, `${name.toString()} NSEC3: missing (hash ${h})`)
      continue
    }
    used.add(h)
    const want = new Set(e.types)
    want.delete(RRType.NSEC)
    if (e.node.kind === 'apex') want.add(RRType.NSEC3PARAM)
    if (e.node.kind !== 'emptyNonTerminal' && !insecure) want.add(RRType.RRSIG)
    if (!sameTypes(rec.data.types, want)) problem('bad-nsec3', name, RRType.NSEC3, `${name.toString()} NSEC3 (${rec.owner.toString()}): type bitmap "${bitmapText(rec.data.types)}", expected "${bitmapText(want)}"`)
  }
  for (const [h, e] of chain) {
    if (!used.has(h)) problem('bad-nsec3', e.owner, RRType.NSEC3, `${e.owner.toString()} NSEC3: matches no name in the zone`)
  }
}

/**
 * Verify a signed zone file.
 *
 * @throws {DnssecError} ERR_DNSSEC_SIGN_FAILED when the file cannot be read
 */
export function verifyZoneFile(path: string, opts: { origin: Name, now: number }): VerifyResult {
  return verifyZone(readZoneRecords(path, opts.origin), opts)
}
