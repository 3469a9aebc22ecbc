/**
 * The offline zone signer: strips old DNSSEC data, adds the DNSKEY RRset, an NSEC or
 * NSEC3 chain and RRSIGs on every authoritative RRset, reusing fresh signatures of a
 * previously signed zone, and bumps the SOA serial.
 */
import {
  Name, RRType, canonicalRData, rdataToText, timeToText, toBase64, rrClassToString, rrTypeToString, type Ds, type Nsec, type Nsec3, type Nsec3Param, type RData, type ResourceRecord,
  type Rrsig, type Soa,
} from '@secdns/wire'
import { Zone, peekRRsets, rrsetRData, rrsetSize, rrsetWire, type RRset, type ZoneNode } from '@secdns/zone'
import { algorithmInfo, algorithmToString, signBytes, DnssecAlgorithm } from './algorithms.js'
import { DnssecError } from './errors.js'
import {
  isActive, isPublished, isRevoked, keyBaseName, keyRole, normalizeZone, publishedKeyTag, type DnssecKey,
} from './keys.js'
import { MAX_SIGN_ITERATIONS, nsec3Hash, nsec3Owner, type Nsec3Params } from './nsec3.js'
import { dnskeyOf, dsOf, rrsigLabels, verifyRrsig, type RrsigFields } from './rrsig.js'
import { toRrsigTime } from './time.js'
import { LOWERCASED, RRsetBatchWriter, eachSignedData, type BatchHeader } from './sign_batch.js'

/** How the SOA serial changes when signing. */
export type SerialPolicy = 'keep' | 'increment' | 'unixtime' | 'date'

/** One signature to make: which key, over which bytes. */
export interface SignJob { readonly keyIndex: number, readonly data: Uint8Array }

/**
 * Signs RRsets given in the batch form of sign_batch.ts (the signing side builds the
 * canonical signed data); resolves to the signatures in batch order.
 */
export type RRsetBatchSigner = (keys: readonly DnssecKey[], keyTags: readonly number[], batch: Uint8Array, sigs: number, head: BatchHeader) => Promise<Uint8Array[]>

/**
 * Signs a batch of jobs (pre-computed signed data); the worker pool implements it for many
 * threads, and also `signRRsets`, which the signer then uses instead.
 */
export type BatchSigner = ((keys: readonly DnssecKey[], jobs: readonly SignJob[]) => Promise<Uint8Array[]>) & { signRRsets?: RRsetBatchSigner }

/** Options of {@link signZone}. */
export interface SignZoneOptions {
  /** Zone apex. */
  origin: Name
  /** Candidate keys (the store's keys for this zone); timing decides which are used. */
  keys: readonly DnssecKey[]
  /** Signing time, unix seconds. */
  now: number
  /** RRSIG inception (unix seconds); default now − 1 h (clock skew). */
  inception?: number
  /** RRSIG expiration (unix seconds); default now + 30 d. */
  expiration?: number
  /** Spread expirations over this many seconds before `expiration`; default (expiration − now)/8. */
  jitter?: number
  /** Re-sign a reused signature when less than this remains; default (expiration − now)/4. */
  refresh?: number
  /** NSEC3 chain parameters; NSEC when absent. */
  nsec3?: Nsec3Params
  serial?: SerialPolicy
  /** DNSKEY TTL; default the input's DNSKEY TTL, else the SOA TTL. */
  dnskeyTtl?: number
  /** DS digest types for the dsset; default [2] (SHA-256). */
  dsDigests?: readonly number[]
  /** Parallel signer; default signs on this thread. */
  signer?: BatchSigner
  /** Called as signatures are made (done, total). */
  progress?: (done: number, total: number) => void
  /** File name for messages. */
  file?: string
  /**
   * Receives the signed zone's presentation text (the records, one a line) in pieces, in
   * output order, while the signing threads are still at work; a rejection stops signing.
   */
  output?: (text: string) => Promise<void>
  /**
   * As `output`, the text as UTF-8 bytes (used instead of `output` when given). The bytes
   * are a view of a buffer reused once the promise settles.
   */
  outputBytes?: (bytes: Uint8Array) => Promise<void>
  /**
   * Return the signed zone's records (`records` of the result); default true. With false
   * (when the text output is all that is needed) the records are dropped as they are
   * written and `records` is empty.
   */
  keepRecords?: boolean
}

/** What {@link signZone} produced. */
export interface SignZoneResult {
  /** The signed zone in output order (canonical owners, SOA first, RRSIG after what it covers). */
  records: ResourceRecord[]
  /** DS records for the parent (one per published KSK per digest). */
  ds: ResourceRecord<Ds>[]
  stats: { names: number, rrsets: number, signatures: number, reused: number, nsec: number, nsec3: number, serial: number, keys: string[] }
  warnings: string[]
}

const NO_SIGS: readonly Rrsig[] = []
/** The `rdata` of an output set that reads its RDATA from the zone (`src`). */
const NO_RDATA: readonly RData[] = []

/** The RDATA of an output set (decoded from the zone's store for the zone's data; not kept there). */
function rdataOf(set: OutSet): readonly RData[] {
  return set.src !== undefined ? rrsetRData(set.src) : set.rdata
}
/** Stands for the reused signatures of an RRset without old ones (never written to). */
const NO_REUSED: Rrsig[] = []
const NO_FRESH: ReadonlyArray<{ fields: RrsigFields, job: number }> = []
/** Placeholder RDATA of an RRSIG slot until its signature arrives (always replaced before return). */
const NO_DATA: RData = { type: RRType.RRSIG, data: new Uint8Array(0) }

const DNSSEC_TYPES = new Set<number>([RRType.RRSIG, RRType.NSEC, RRType.NSEC3, RRType.NSEC3PARAM, RRType.DNSKEY])

const byNumber = (a: number, b: number): number => a - b

/** Next SOA serial under a policy (RFC 1982 arithmetic). */
export function nextSerial(old: number, policy: SerialPolicy, now: number): number {
  const inc = (s: number) => (s + 1) % 2 ** 32
  const after = (cand: number) => (((cand - old) | 0) > 0 ? cand >>> 0 : inc(old))
  switch (policy) {
    case 'keep': return old
    case 'increment': return inc(old)
    case 'unixtime': return after(now)
    case 'date': {
      const d = new Date(now * 1000)
      const base = (d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate()) * 100
      return after(base)
    }
  }
}

/** A stable per-RRset value in [0, span) so jitter is the same whatever the thread count (FNV-1a). */
function jitterFor(owner: Name, type: number, span: number): number {
  if (span <= 0) return 0
  let h = 0x811c9dc5
  const w = owner.wire
  for (let i = 0; i < w.length; i++) {
    let c = w[i]!
    if (c >= 0x41 && c <= 0x5a) c |= 0x20
    h = Math.imul(h ^ c, 0x01000193)
  }
  h = Math.imul(h ^ (type & 0xff), 0x01000193)
  h = Math.imul(h ^ (type >> 8), 0x01000193)
  return (h >>> 0) % span
}

function fail(code: ConstructorParameters<typeof DnssecError>[0], msg: string): never {
  throw new DnssecError(code, msg)
}

/** Which keys sign which RRsets at `now`, per algorithm (RFC 6781 §3.1, RFC 6840 §5.11). */
function chooseKeys(opts: SignZoneOptions, file: string): { published: DnssecKey[], dnskeySigners: DnssecKey[], dataSigners: DnssecKey[], warnings: string[] } {
  const zone = normalizeZone(opts.origin.toString())
  const warnings: string[] = []
  for (const k of opts.keys) {
    if (k.zone !== zone) fail('ERR_DNSSEC_WRONG_ZONE', `key ${k.source ?? keyBaseName(k)} is for zone ${k.zone}, not ${zone}`)
  }
  const published = opts.keys.filter((k) => isPublished(k, opts.now))
  if (published.length === 0) {
    const why = opts.keys.length === 0 ? 'no keys were given' : opts.keys.map((k) => `${k.source ?? keyBaseName(k)}: ${describeTiming(k, opts.now)}`).join('; ')
    fail(opts.keys.length > 0 && opts.keys.every((k) => k.timing.delete !== undefined && k.timing.delete <= opts.now) ? 'ERR_DNSSEC_KEY_EXPIRED' : 'ERR_DNSSEC_NO_KEYS', `${file}: no key of ${zone} is published at ${new Date(opts.now * 1000).toISOString()} (${why})`)
  }
  const dnskeySigners: DnssecKey[] = []
  const dataSigners: DnssecKey[] = []
  const algs = [...new Set(published.map((k) => k.algorithm))].sort((a, b) => a - b)
  for (const alg of algs) {
    const pub = published.filter((k) => k.algorithm === alg)
    const active = pub.filter((k) => isActive(k, opts.now))
    const ksk = active.filter((k) => keyRole(k) === 'ksk')
    const zsk = active.filter((k) => keyRole(k) === 'zsk')
    // RFC 4035 §2.2 / RFC 6840 §5.11: every algorithm in the DNSKEY RRset signs every RRset.
    if (active.length === 0) {
      const detail = pub.map((k) => `${k.source ?? keyBaseName(k)}: ${describeTiming(k, opts.now)}`).join('; ')
      const expired = pub.every((k) => k.timing.inactive !== undefined && k.timing.inactive <= opts.now)
      fail(expired ? 'ERR_DNSSEC_KEY_EXPIRED' : 'ERR_DNSSEC_NO_KEYS', `${file}: algorithm ${algorithmToString(alg)} is in the DNSKEY RRset but no key of it is active (${detail})`)
    }
    // RFC 5011 §2.1: a revoked key still signs the DNSKEY RRset that carries it.
    const revoked = pub.filter((k) => isRevoked(k, opts.now) && k.privateKey !== null)
    dnskeySigners.push(...(ksk.length > 0 ? ksk : zsk), ...revoked)
    dataSigners.push(...(zsk.length > 0 ? zsk : ksk))
    if (ksk.length === 0) warnings.push(`no active KSK for ${algorithmToString(alg)}: ZSKs sign the DNSKEY RRset`)
  }
  for (const k of [...dnskeySigners, ...dataSigners]) {
    if (k.privateKey === null) fail('ERR_DNSSEC_MISSING_PRIVATE_KEY', `${file}: key ${k.source ?? keyBaseName(k)} (tag ${k.keyTag}) is active but its private key is missing`)
  }
  if (opts.nsec3 !== undefined) {
    for (const k of published) {
      // RFC 5155 §2: algorithms 5 (RSASHA1) and older cannot be used in an NSEC3 zone.
      if (k.algorithm === DnssecAlgorithm.RSASHA1) fail('ERR_DNSSEC_UNSUPPORTED_ALGORITHM', `${file}: key ${k.source ?? keyBaseName(k)} uses RSASHA1 (5), which cannot sign an NSEC3 zone (RFC 5155 §2); use RSASHA1-NSEC3-SHA1 (7) or newer`)
    }
  }
  return { published, dnskeySigners: unique(dnskeySigners), dataSigners: unique(dataSigners), warnings }
}

function unique(keys: DnssecKey[]): DnssecKey[] {
  return [...new Set(keys)]
}

function describeTiming(k: DnssecKey, now: number): string {
  const t = k.timing
  const iso = (s: number) => new Date(s * 1000).toISOString()
  if (t.delete !== undefined && t.delete <= now) return `deleted since ${iso(t.delete)}`
  if (t.inactive !== undefined && t.inactive <= now) return `inactive since ${iso(t.inactive)}`
  if (t.revoke !== undefined && t.revoke <= now) return `revoked since ${iso(t.revoke)}`
  const pub = t.publish ?? t.activate
  if (pub === undefined) return 'never published'
  if (pub > now) return `published only from ${iso(pub)}`
  if (t.activate === undefined) return 'never activated'
  if (t.activate > now) return `active only from ${iso(t.activate)}`
  return 'active'
}

/** One RRset the signer will output. */
interface OutSet {
  name: Name, type: number, class: number, ttl: number, rdata: readonly RData[], signedBy: DnssecKey[] | null
  /**
   * The zone's RRset when the set is the zone's data (then `rdata` is unused): its RDATA is
   * read as wire octets for the batch and decoded only when the output is laid out, so no
   * typed objects live from the batch to the output.
   */
  src?: RRset
  /** Old signatures reused, and new ones with their job number (set while signing). */
  reused?: Rrsig[], fresh?: Array<{ fields: RrsigFields, job: number }>
}

/**
 * Sign a zone.
 *
 * @param input every record of the (unsigned or signed) zone, or a loaded Zone (used in
 *   place, SOA serial included, when it holds no DNSSEC records)
 * @throws {DnssecError} ERR_DNSSEC_NO_SOA, ERR_DNSSEC_WRONG_ZONE, ERR_DNSSEC_NO_KEYS, ERR_DNSSEC_KEY_EXPIRED,
 *   ERR_DNSSEC_MISSING_PRIVATE_KEY, ERR_DNSSEC_UNSUPPORTED_ALGORITHM
 * @example
 * const { records, ds } = await signZone(records, { origin, keys, now: Math.floor(Date.now() / 1000) })
 */
export async function signZone(input: Iterable<ResourceRecord> | Zone, opts: SignZoneOptions): Promise<SignZoneResult> {
  const file = opts.file ?? 'zone'
  const origin = opts.origin
  const now = opts.now
  const inception = opts.inception ?? now - 3600
  const expiration = opts.expiration ?? now + 30 * 86400
  if (expiration <= now) fail('ERR_DNSSEC_BAD_TIME', `signature expiration ${new Date(expiration * 1000).toISOString()} is not after the signing time`)
  if (inception >= expiration) fail('ERR_DNSSEC_BAD_TIME', 'signature inception must be before expiration')
  const jitter = Math.min(opts.jitter ?? Math.floor((expiration - now) / 8), Math.max(0, expiration - now - 60))
  const refresh = opts.refresh ?? Math.floor((expiration - now) / 4)
  if (opts.nsec3 !== undefined && (opts.nsec3.iterations < 0 || opts.nsec3.iterations > MAX_SIGN_ITERATIONS || !Number.isInteger(opts.nsec3.iterations))) {
    fail('ERR_DNSSEC_BAD_SALT', `NSEC3 iterations ${opts.nsec3.iterations} out of range 0–${MAX_SIGN_ITERATIONS} (RFC 9276 §3.1 advises 0)`)
  }

  // Split the input: data into a fresh zone model, old signatures kept aside for reuse.
  // A loaded Zone without any DNSSEC data (the usual unsigned input) is used as it is.
  const reuseZone = input instanceof Zone && input.origin.equals(origin) && !hasDnssecData(input)
  const zone = reuseZone ? input : new Zone(origin)
  const oldSigs = new Map<string, Rrsig[]>()
  let inputDnskeyTtl: number | undefined
  for (const rr of reuseZone ? [] : input instanceof Zone ? input.records() : input) {
    const t = rr.data.type
    if (t === RRType.RRSIG) {
      const s = rr.data as Rrsig
      const k = `${rr.name.hashKey()}|${s.typeCovered}`
      const list = oldSigs.get(k)
      if (list === undefined) oldSigs.set(k, [s]); else list.push(s)
      continue
    }
    if (t === RRType.DNSKEY && rr.name.equals(origin)) { inputDnskeyTtl ??= rr.ttl; continue }
    if (DNSSEC_TYPES.has(t)) continue
    zone.add(rr)
  }
  const soaRR = zone.soa
  if (soaRR === undefined) fail('ERR_DNSSEC_NO_SOA', `${file}: the zone ${origin.toString()} has no SOA record at its apex`)
  const chosen = chooseKeys(opts, file)
  const warnings = [...chosen.warnings]
  for (const k of chosen.published) {
    const info = algorithmInfo(k.algorithm)
    if (info.family === 'rsa' && k.privateKey !== null && (k.privateKey.asymmetricKeyDetails?.modulusLength ?? 2048) < 2048) {
      warnings.push(`key ${keyBaseName(k)} is RSA ${k.privateKey.asymmetricKeyDetails?.modulusLength} bits: weak (RFC 8624)`)
    }
  }

  // SOA serial.
  const soaSet = zone.rrset(origin, RRType.SOA)!
  const oldSoa = soaSet.rdata[0] as Soa
  const serial = nextSerial(oldSoa.serial, opts.serial ?? 'keep', now)
  soaSet.rdata[0] = { ...oldSoa, serial }
  // RFC 9077 §3.2 (updating RFC 4034 §4 and RFC 5155 §3): NSEC/NSEC3 TTL = min(SOA TTL, SOA MINIMUM).
  const negTtl = Math.min(soaSet.ttl, oldSoa.minimum)

  // Signatures: reuse fresh old ones over unchanged RRsets, make the rest.
  const keys = unique([...chosen.dnskeySigners, ...chosen.dataSigners])
  const keyIndex = new Map(keys.map((k, i) => [k, i]))
  const tagOf = new Map(keys.map((k) => [k, publishedKeyTag(k, now)]))
  // RRsets go to the signer in batches (sign_batch.ts): each RRset written once in compact
  // canonical wire form with the keys that sign it; the signing side sorts its RDATA, builds
  // the signed data per key and signs. A full batch is handed over at once, so the threads
  // sign while this one builds the rest.
  const keyTags = keys.map((k) => tagOf.get(k)!)
  const batchKeys = keys.map((k, i) => ({ algorithm: k.algorithm, keyTag: keyTags[i]! }))
  const signerWire = origin.canonicalWire()
  const inceptionField = toRrsigTime(inception)
  const head: BatchHeader = { inception: inceptionField, signerWire }
  const batch = new RRsetBatchWriter()
  const chunks: Array<Promise<Uint8Array[]>> = []
  /** The job number of each chunk's first signature. */
  const chunkStart: number[] = []
  const local: Array<{ data: Uint8Array, sigs: number }> = []
  let jobCount = 0
  /** A batch went out since the last turn of the event loop (whose replies hand the threads the next ones). */
  let yieldDue = false
  const send = (): void => {
    const sigs = batch.sigs
    if (sigs === 0) return
    const data = batch.take()
    const signer = opts.signer
    if (signer === undefined) { local.push({ data, sigs }); return }
    chunkStart.push(jobCount - sigs)
    yieldDue = true
    if (signer.signRRsets !== undefined) chunks.push(signer.signRRsets(keys, keyTags, data, sigs, head))
    else {
      const jobs: SignJob[] = []
      eachSignedData(data, batchKeys, head, (keyIndex, signed) => { jobs.push({ keyIndex, data: signed.slice() }) })
      chunks.push(signer(keys, jobs))
    }
  }
  let reused = 0
  const newKeys: number[] = []
  // Each RRset is handed to the signer as soon as it is made, so the threads sign the data
  // while this thread builds the NSEC or NSEC3 chain and the rest.
  const signSet = (set: OutSet): void => {
    if (set.signedBy === null) return
    const old = oldSigs.size === 0 ? NO_SIGS : oldSigs.get(`${set.name.hashKey()}|${set.type}`) ?? NO_SIGS
    // Only a re-sign with old signatures needs the records as objects (to verify them).
    const decoded = old.length === 0 ? null : rdataOf(set)
    const rrs: ResourceRecord[] = decoded === null ? [] : decoded.map((data) => ({ name: set.name, class: set.class, ttl: set.ttl, data }))
    const sigs: Rrsig[] = old.length === 0 ? NO_REUSED : []
    if (old.length > 0) set.reused = sigs
    const labels = rrsigLabels(set.name)
    let expField = -1
    newKeys.length = 0
    for (const k of set.signedBy) {
      const tag = tagOf.get(k)!
      const fresh = old.length === 0 ? undefined : old.find((s) => s.keyTag === tag && s.algorithm === k.algorithm &&
        ((s.expiration - toRrsigTime(now)) | 0) > refresh && ((toRrsigTime(now) - s.inception) | 0) >= 0 &&
        s.originalTtl === set.ttl && s.signerName.equals(origin) &&
        verifyRrsig(rrs, s, { owner: origin, data: dnskeyOf(k, now) }, now) === null)
      if (fresh !== undefined) { sigs.push(fresh); reused++; continue }
      if ((set.src !== undefined ? rrsetSize(set.src) : set.rdata.length) === 0) fail('ERR_DNSSEC_SIGN_FAILED', 'cannot sign an empty RRset')
      if (expField < 0) expField = toRrsigTime(expiration - jitterFor(set.name, set.type, jitter)) >>> 0
      // Every RR of an output set has the set's TTL, so the Original TTL is that TTL.
      const fields: RrsigFields = {
        typeCovered: set.type, algorithm: k.algorithm, labels, originalTtl: set.ttl,
        expiration: expField, inception: inceptionField, keyTag: tag, signerName: origin,
      }
      const entry = { fields, job: jobCount++ }
      if (set.fresh === undefined) set.fresh = [entry]; else set.fresh.push(entry)
      newKeys.push(keyIndex.get(k)!)
    }
    if (newKeys.length > 0) {
      // The zone's RDATA goes in as the octets it holds when they are already canonical.
      if (set.src !== undefined && decoded === null && !LOWERCASED.has(set.type)) batch.addWire(set.name, set.type, set.class, set.ttl, labels, expField, rrsetWire(set.src), newKeys)
      else batch.add(set.name, set.type, set.class, set.ttl, labels, expField, decoded ?? rdataOf(set), newKeys)
      if (batch.sigs >= RRSET_BATCH_SIGS) send()
    }
  }
  const add = (set: OutSet): void => { out.push(set); signSet(set) }

  const nodes = zone.nodes()
  // Sets of one owner share its Name object: the output is laid out by it.
  const apexName = nodes.find((n) => n.kind === 'apex')?.name ?? origin
  const out: OutSet[] = []
  const dnskeyTtl = opts.dnskeyTtl ?? inputDnskeyTtl ?? soaSet.ttl
  add({
    name: apexName, type: RRType.DNSKEY, class: zone.class, ttl: dnskeyTtl,
    rdata: chosen.published.map((k) => dnskeyOf(k, now)), signedBy: chosen.dnskeySigners,
  })

  // Data RRsets: sign authoritative data; at a delegation only DS (RFC 4035 §2.2).
  const owners: Array<{ node: ZoneNode, types: number[], sets: RRset[] }> = []
  for (const node of nodes) {
    if (node.kind === 'glue' || node.kind === 'occluded') continue
    const types: number[] = []
    const sets = peekRRsets(node)
    for (const set of sets) {
      // RFC 4035 §2.3: at a delegation the bitmap shows only NS and DS (other data is glue).
      if (node.kind !== 'delegation' || set.type === RRType.NS || set.type === RRType.DS) types.push(set.type)
    }
    if (node.kind === 'apex') types.push(RRType.DNSKEY)
    owners.push({ node, types, sets })
  }
  // The RRsets are handed to the signer in output order (each owner's data, then its NSEC;
  // NSEC3 records merged in by owner name; NSEC3PARAM beside the DNSKEY at the apex), so
  // the output can be written as the signatures come back.
  let nsecCount = 0
  let nsec3Count = 0
  // NSEC3 records are made when the merge reaches them (not all before the first batch).
  let nsec3Total = 0
  let nsec3At: (i: number) => OutSet = () => fail('ERR_DNSSEC_SIGN_FAILED', 'no NSEC3 chain')
  if (opts.nsec3 !== undefined) {
    const p = opts.nsec3
    const flags = p.optOut ? 1 : 0
    // RFC 5155 §7.1: an NSEC3 for every authoritative name and empty non-terminal;
    // with opt-out, insecure delegations (no DS) MAY be left out — and so are empty
    // non-terminals that exist only above them.
    const included: Array<{ name: Name, types: number[], kind: ZoneNode['kind'] }> = []
    const entsNeeded = new Set<string>()
    for (const o of owners) {
      if (o.node.kind === 'emptyNonTerminal') continue
      const insecure = o.node.kind === 'delegation' && !o.types.includes(RRType.DS)
      if (insecure && p.optOut) continue
      included.push({ name: o.node.name, types: o.types, kind: o.node.kind })
      let a = o.node.name
      while (a.labelCount > origin.labelCount + 1) { a = a.parent(); entsNeeded.add(a.hashKey()) }
    }
    for (const o of owners) {
      if (o.node.kind === 'emptyNonTerminal' && entsNeeded.has(o.node.name.hashKey())) included.push({ name: o.node.name, types: [], kind: o.node.kind })
    }
    // The hashes (SHA-1, 20 octets) side by side in one buffer, sorted through an index
    // array by their first six octets as a number, then the rest: no object or string per
    // name for the sort, and one buffer, not 100,000 small ones, for the GC to keep.
    const n = included.length
    const hashes = new Uint8Array(n * NSEC3_HASH_OCTETS)
    const lead = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const h = nsec3Hash(included[i]!.name, p.salt, p.iterations)
      hashes.set(h, i * NSEC3_HASH_OCTETS)
      lead[i] = ((((h[0]! * 256 + h[1]!) * 256 + h[2]!) * 256 + h[3]!) * 256 + h[4]!) * 256 + h[5]!
    }
    const rest = (a: number, b: number): number => {
      const x = a * NSEC3_HASH_OCTETS
      const y = b * NSEC3_HASH_OCTETS
      for (let k = 6; k < NSEC3_HASH_OCTETS; k++) { const d = hashes[x + k]! - hashes[y + k]!; if (d !== 0) return d }
      return 0
    }
    const order = Array.from({ length: n }, (_, i) => i)
    order.sort((a, b) => lead[a]! - lead[b]! || rest(a, b))
    for (let i = 1; i < n; i++) {
      const a = order[i - 1]!
      const b = order[i]!
      if (lead[a] === lead[b] && rest(a, b) === 0) {
        fail('ERR_DNSSEC_SIGN_FAILED', `NSEC3 hash collision between ${included[a]!.name.toString()} and ${included[b]!.name.toString()}; choose another salt (RFC 5155 §7.1)`)
      }
    }
    const hashOf = (i: number): Uint8Array => { const at = order[i]! * NSEC3_HASH_OCTETS; return hashes.subarray(at, at + NSEC3_HASH_OCTETS) }
    nsec3Total = n
    nsec3At = (i) => {
      const h = included[order[i]!]!
      const types = h.types.slice()
      if (h.kind === 'apex' && !types.includes(RRType.NSEC3PARAM)) types.push(RRType.NSEC3PARAM)
      // RFC 5155 §3.2.1: RRSIG present when the name has signed RRsets.
      if (h.kind !== 'emptyNonTerminal' && (h.kind !== 'delegation' || types.includes(RRType.DS)) && !types.includes(RRType.RRSIG)) types.push(RRType.RRSIG)
      if (types.length > 1) types.sort(byNumber)
      const data: Nsec3 = {
        type: RRType.NSEC3, hashAlgorithm: 1, flags, iterations: p.iterations, salt: p.salt,
        nextHashedOwnerName: hashOf((i + 1) % n), types,
      }
      nsec3Count++
      return { name: nsec3Owner(hashOf(i), origin), type: RRType.NSEC3, class: zone.class, ttl: negTtl, rdata: [data], signedBy: chosen.dataSigners }
    }
    // RFC 5155 §4: NSEC3PARAM at the apex; flags 0 there (opt-out lives in the NSEC3 flags).
    const param: Nsec3Param = { type: RRType.NSEC3PARAM, hashAlgorithm: 1, flags: 0, iterations: p.iterations, salt: p.salt }
    add({ name: apexName, type: RRType.NSEC3PARAM, class: zone.class, ttl: 0, rdata: [param], signedBy: chosen.dataSigners })
  }
  // RFC 4035 §2.3: one NSEC per authoritative owner (delegations included, glue not),
  // in canonical order, the last pointing back to the apex.
  const nsecChain = opts.nsec3 === undefined
  const withData = nsecChain ? owners.filter((o) => o.node.kind !== 'emptyNonTerminal') : []
  let n3 = 0
  let next3 = nsec3Total > 0 ? nsec3At(0) : null
  for (const o of owners) {
    if (yieldDue) { yieldDue = false; await new Promise<void>((resolve) => { setImmediate(resolve) }) }
    const node = o.node
    while (next3 !== null && next3.name.compare(node.name) <= 0) { add(next3); next3 = ++n3 < nsec3Total ? nsec3At(n3) : null }
    for (const set of o.sets) {
      const signed = node.kind !== 'delegation' || set.type === RRType.DS
      add({ name: node.name, type: set.type, class: set.class, ttl: set.ttl, rdata: NO_RDATA, src: set, signedBy: signed ? chosen.dataSigners : null })
    }
    if (!nsecChain || node.kind === 'emptyNonTerminal') continue
    const next = withData[(nsecCount + 1) % withData.length]!.node.name
    // RFC 4035 §2.3: NSEC and RRSIG at every owner — even an insecure delegation has the
    // RRSIG that covers its own NSEC.
    const types = o.types
    if (!types.includes(RRType.NSEC)) types.push(RRType.NSEC)
    if (!types.includes(RRType.RRSIG)) types.push(RRType.RRSIG)
    types.sort(byNumber)
    const data: Nsec = { type: RRType.NSEC, nextDomainName: next, types }
    add({ name: node.name, type: RRType.NSEC, class: zone.class, ttl: negTtl, rdata: [data], signedBy: chosen.dataSigners })
    nsecCount++
  }
  while (next3 !== null) { add(next3); next3 = ++n3 < nsec3Total ? nsec3At(n3) : null }


  send()
  // Start the signing now (the last batch too) and lay out the output while threads sign.
  // A rejected chunk is reported where it is awaited, never as an unhandled rejection.
  for (const c of chunks) c.catch(() => undefined)
  /** Signatures of each chunk once back. */
  const parts: Array<Uint8Array[] | undefined> = new Array(chunks.length)
  chunks.forEach((p, c) => { p.then((v) => { parts[c] = v }, () => undefined) })
  if (opts.signer === undefined) {
    // This thread signs everything now; the layout below finds every signature ready.
    parts.push(signBatchesLocally(keys, batchKeys, head, local, jobCount, opts.progress))
    chunkStart.push(0)
  }

  // Output order: owners canonical; SOA first at the apex, then types by number; each
  // RRset followed by its RRSIGs (as dnssec-signzone writes them); glue and occluded data
  // unsigned at their place. The zone's nodes are in canonical order already, and the
  // NSEC3 owners (base32hex of the hash, which keeps the hash order) are merged in. New
  // signatures get a slot and their RDATA once signed. The layout runs owner by owner and
  // each owner's records are written (as text, when asked) before the next owner's are
  // made: the text goes out as the signatures come back, and without keepRecords nothing
  // of the output is kept once written.
  const setsOf = new Map<Name, OutSet[]>()
  const nsec3Sets: OutSet[] = []
  for (const set of out) {
    if (set.type === RRType.NSEC3) { nsec3Sets.push(set); continue }
    const list = setsOf.get(set.name)
    if (list === undefined) setsOf.set(set.name, [set]); else list.push(set)
  }
  const keep = opts.keepRecords !== false
  const records: ResourceRecord[] = []
  /** The records of the owner being laid out; a Slot stands for a new RRSIG. */
  const pend: Array<ResourceRecord | Slot> = []
  const emitSets = (sets: OutSet[]): void => {
    if (sets.length > 1) sets.sort((a, b) => (a.type === RRType.SOA ? -1 : b.type === RRType.SOA ? 1 : a.type - b.type))
    for (const set of sets) {
      const rdata = rdataOf(set)
      if (rdata.length === 1) pend.push({ name: set.name, class: set.class, ttl: set.ttl, data: rdata[0]! })
      else {
        const sorted = rdata.map((d) => ({ d, k: canonicalRData(d) })).sort((a, b) => Buffer.compare(a.k, b.k))
        for (const { d } of sorted) pend.push({ name: set.name, class: set.class, ttl: set.ttl, data: d })
      }
      const old = set.reused ?? NO_SIGS
      const fresh = set.fresh ?? NO_FRESH
      if (old.length === 0) {
        // New signatures only: already in key order (algorithm, then key tag, stable).
        const list = fresh.length > 1 ? [...fresh].sort((a, b) => a.fields.algorithm - b.fields.algorithm || a.fields.keyTag - b.fields.keyTag) : fresh
        for (const e of list) pend.push({ rec: { name: set.name, class: set.class, ttl: e.fields.originalTtl, data: NO_DATA }, fields: e.fields, job: e.job })
        continue
      }
      // Reused signatures first, then new ones, each in key order; a stable sort by
      // algorithm and key tag keeps that order among equal tags.
      const entries: Array<{ algorithm: number, keyTag: number, sig: Rrsig | null, fields: RrsigFields | null, job: number }> = []
      for (const sg of old) entries.push({ algorithm: sg.algorithm, keyTag: sg.keyTag, sig: sg, fields: null, job: -1 })
      for (const p of fresh) entries.push({ algorithm: p.fields.algorithm, keyTag: p.fields.keyTag, sig: null, fields: p.fields, job: p.job })
      if (entries.length > 1) entries.sort((a, b) => a.algorithm - b.algorithm || a.keyTag - b.keyTag)
      for (const e of entries) {
        if (e.sig !== null) { pend.push({ name: set.name, class: set.class, ttl: e.sig.originalTtl, data: e.sig }); continue }
        pend.push({ rec: { name: set.name, class: set.class, ttl: e.fields!.originalTtl, data: NO_DATA }, fields: e.fields!, job: e.job })
      }
    }
  }
  const textOut = opts.output
  const output = opts.outputBytes ?? (textOut === undefined ? undefined : (b: Uint8Array) => textOut(Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8')))
  const text = output === undefined ? null : new TextWriter(output)
  let sinceYield = 0
  /** Fill the pending slots (waiting for their chunk when it is still out) and write the records. */
  const drain = async (): Promise<void> => {
    for (let i = 0; i < pend.length; i++) {
      const x = pend[i]!
      let rec: ResourceRecord
      if ('job' in x) {
        const c = chunkOf(chunkStart, x.job)
        let part = parts[c]
        if (part === undefined) {
          // Hand over the text made so far, then wait for the chunk.
          if (text !== null) await text.flush()
          part = await chunks[c]!
          parts[c] = part
        }
        fillSlot(x, part[x.job - chunkStart[c]!]!)
        rec = x.rec
      } else rec = x
      if (keep) records.push(rec)
      if (text !== null) {
        text.add(rec)
        if (text.full) await text.flush()
      }
    }
    sinceYield += pend.length
    pend.length = 0
    // A turn of the event loop now and then takes the replies of the signing threads.
    if (sinceYield >= TEXT_YIELD) { sinceYield = 0; await new Promise<void>((resolve) => { setImmediate(resolve) }) }
  }
  let j = 0
  for (const node of nodes) {
    let sets = setsOf.get(node.name)
    while (j < nsec3Sets.length) {
      const c = nsec3Sets[j]!.name.compare(node.name)
      if (c > 0) break
      // An NSEC3 owner that is also a name of the zone joins that name's RRsets.
      if (c === 0) { if (sets === undefined) sets = [nsec3Sets[j]!]; else sets.push(nsec3Sets[j]!) } else { emitSets([nsec3Sets[j]!]); await drain() }
      j++
    }
    if (node.kind === 'glue' || node.kind === 'occluded') {
      for (const set of peekRRsets(node)) for (const d of rrsetRData(set)) pend.push({ name: node.name, class: set.class, ttl: set.ttl, data: d })
    } else if (sets !== undefined) emitSets(sets)
    await drain()
  }
  while (j < nsec3Sets.length) { emitSets([nsec3Sets[j++]!]); await drain() }
  if (text !== null) await text.flush()
  const merged = records

  const digests = opts.dsDigests ?? [2]
  const ds: ResourceRecord<Ds>[] = []
  for (const k of chosen.published) {
    if (keyRole(k) !== 'ksk' || isRevoked(k, now)) continue
    for (const d of digests) ds.push({ name: origin, class: zone.class, ttl: dnskeyTtl, data: dsOf(k, d, now) })
  }
  return {
    records: merged, ds,
    stats: {
      names: owners.length, rrsets: jobCount + reused, signatures: jobCount, reused, nsec: nsecCount, nsec3: nsec3Count, serial,
      keys: chosen.published.map((k) => `${keyBaseName(k)} ${keyRole(k)}${chosen.dnskeySigners.includes(k) || chosen.dataSigners.includes(k) ? ' signing' : ' published'}`),
    },
    warnings,
  }
}

function hasDnssecData(zone: Zone): boolean {
  for (const n of zone.nodes()) for (const t of DNSSEC_TYPES) if (n.rrsets.has(t)) return true
  return false
}


/** Octets of an NSEC3 hash (SHA-1, the one hash algorithm, RFC 5155 §11). */
const NSEC3_HASH_OCTETS = 20

/** Signatures asked for in one RRset batch before it is handed to the signer. */
const RRSET_BATCH_SIGS = 1024

/** An RRSIG record of the output waiting for its signature (job). */
interface Slot { rec: ResourceRecord, fields: RrsigFields, job: number }

function fillSlot(sl: Slot, signature: Uint8Array): void {
  const f = sl.fields
  sl.rec.data = {
    type: RRType.RRSIG, typeCovered: f.typeCovered, algorithm: f.algorithm, labels: f.labels, originalTtl: f.originalTtl,
    expiration: f.expiration, inception: f.inception, keyTag: f.keyTag, signerName: f.signerName, signature,
  }
}

/** The chunk holding a job: the last whose first job is at most `job` (binary search). */
function chunkOf(starts: readonly number[], job: number): number {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= job) lo = mid; else hi = mid - 1
  }
  return lo
}

/** Bytes of zone text handed to the output at a time. */
const TEXT_CHUNK = 1 << 20
/** Records turned into text between two turns of the event loop (so replies from the signing threads are taken). */
const TEXT_YIELD = 2048

/**
 * Presentation text of records, one a line, handed to `output` in pieces of about
 * TEXT_CHUNK bytes. An owner's text is made once for its consecutive records (the signer
 * reuses one Name object per RRset). Each line is encoded into a byte buffer as soon as it
 * is made: a line is a small tree of concatenated strings, and appending lines to one
 * string kept ~20 such nodes per line alive until the piece was written (flattening that
 * rope took ~35 ms per MB, and the young-generation GC copied it).
 */
class TextWriter {
  readonly #output: (bytes: Uint8Array) => Promise<void>
  #buf = Buffer.allocUnsafe(TEXT_CHUNK + 4096)
  #len = 0
  #lastName: Name | null = null
  #lastText = ''
  readonly #times = new Map<number, string>()
  #signer: Name | null = null
  #signerText = ''

  constructor(output: (bytes: Uint8Array) => Promise<void>) {
    this.#output = output
  }

  /** Whether a piece is ready to be handed over. */
  get full(): boolean { return this.#len >= TEXT_CHUNK }

  /** Add a record's line. */
  add(rr: ResourceRecord): void {
    if (rr.name !== this.#lastName) { this.#lastName = rr.name; this.#lastText = rr.name.toString() }
    const d = rr.data
    const rd = d.type === RRType.RRSIG && (d as Rrsig).signature.length > 0 ? this.#rrsigText(d as Rrsig) : rdataToText(d)
    const line = `${this.#lastText} ${rr.ttl} ${rrClassToString(rr.class)} ${rrTypeToString(d.type)} ${rd}\n`
    let buf = this.#buf
    // At most 3 UTF-8 bytes per UTF-16 unit.
    if (this.#len + line.length * 3 > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, this.#len + line.length * 3))
      buf.copy(grown, 0, 0, this.#len)
      buf = this.#buf = grown
    }
    this.#len += buf.write(line, this.#len, 'utf8')
  }

  /**
   * An RRSIG's RDATA text, as rdataToText makes it, with the texts of its times and signer
   * kept (a zone's signatures share one inception and a few expirations).
   */
  #rrsigText(d: Rrsig): string {
    let exp = this.#times.get(d.expiration)
    if (exp === undefined) { exp = timeToText(d.expiration); this.#times.set(d.expiration, exp) }
    let inc = this.#times.get(d.inception)
    if (inc === undefined) { inc = timeToText(d.inception); this.#times.set(d.inception, inc) }
    if (d.signerName !== this.#signer) { this.#signer = d.signerName; this.#signerText = d.signerName.toString() }
    const b64 = toBase64(d.signature)
    let sig = b64.length <= 56 ? b64 : b64.slice(0, 56)
    for (let i = 56; i < b64.length; i += 56) sig += ' ' + b64.slice(i, i + 56)
    return `${rrTypeToString(d.typeCovered)} ${d.algorithm} ${d.labels} ${d.originalTtl} ${exp} ${inc} ${d.keyTag} ${this.#signerText} ${sig}`
  }

  /** Hand over the text made so far. */
  async flush(): Promise<void> {
    if (this.#len > 0) { const b = this.#buf.subarray(0, this.#len); this.#len = 0; await this.#output(b) }
  }
}

/** Sign RRset batches on the calling thread. */
function signBatchesLocally(keys: readonly DnssecKey[], batchKeys: ReadonlyArray<{ algorithm: number, keyTag: number }>, head: BatchHeader, batches: ReadonlyArray<{ data: Uint8Array }>, total: number, progress?: (done: number, total: number) => void): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const b of batches) {
    eachSignedData(b.data, batchKeys, head, (ki, signed) => {
      const k = keys[ki]!
      out.push(signBytes(k.algorithm, k.privateKey!, signed))
      if (progress !== undefined && (out.length & 1023) === 0) progress(out.length, total)
    })
  }
  progress?.(out.length, total)
  return out
}

/** Sign jobs on the calling thread. */
export function signLocally(keys: readonly DnssecKey[], jobs: readonly SignJob[], progress?: (done: number, total: number) => void): Uint8Array[] {
  const out: Uint8Array[] = new Array(jobs.length)
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i]!
    const k = keys[j.keyIndex]!
    out[i] = signBytes(k.algorithm, k.privateKey!, j.data)
    if (progress !== undefined && (i & 1023) === 1023) progress(i + 1, jobs.length)
  }
  progress?.(jobs.length, jobs.length)
  return out
}
