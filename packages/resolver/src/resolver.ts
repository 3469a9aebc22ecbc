/**
 * The validating resolver: forwarding (per zone and default) or iterative resolution
 * from root hints, a cache, and chain-of-trust validation from the closest trust anchor
 * for every answer a trust anchor covers, whether or not the client asked for DNSSEC
 * (issue 7 §3). The server agent calls {@link Resolver.resolve} from its query path.
 */
import { Name, RRType, Rcode, EdeCode, createQuery, encodeMessage, decodeMessage, type Message, type ResourceRecord, type Ds, type Soa, type Nsec, type Nsec3 } from '@secdns/wire'
import { nowSeconds } from '@secdns/dnssec'
import { ResolverError } from './errors.js'
import { resolveLimits, type ResolverLimits } from './limits.js'
import { TrustAnchors } from './trust_anchors.js'
import { Cache } from './cache.js'
import { ResponseCache, queryKey } from './response_cache.js'
import { buildResponse } from './response.js'
import { NetTransport, queryServers, type Server, type Transport } from './transport.js'
import {
  groupRRsets, validateRRset, verifyDnskeysWithDs, verifyDnskeysWithAnchor, checkNsecDenial, checkNsec3Denial, nsecCovers,
  SignatureBudget, type SecurityState, type SignedRRset, type ZoneKeys, type DenialVerdict, type Verdict,
} from './validator.js'

/** Forwarders for one zone and the names below it. */
export interface ZoneForwarder {
  readonly zone: Name | string
  readonly servers: readonly Server[]
}

/** How a {@link Resolver} is set up. */
export interface ResolverOptions {
  /** Trust anchors; names no anchor covers are Indeterminate. */
  readonly trustAnchors?: TrustAnchors
  /** Default forwarders: every name no zone forwarder matches goes here. */
  readonly forwarders?: readonly Server[]
  /** Conditional forwarders, by zone (the longest match wins). */
  readonly zoneForwarders?: readonly ZoneForwarder[]
  /** Root hints for iterative resolution of names no forwarder takes. */
  readonly rootHints?: readonly Server[]
  /** Port used for servers found by referral (glue addresses). Default 53. */
  readonly iterativePort?: number
  /**
   * Where to really send queries meant for a referral address: labs that run every
   * server on 127.0.0.1 with its own port map the glue addresses onto them.
   */
  readonly addressMap?: Readonly<Record<string, Server>>
  /** The network, or recorded answers in tests. */
  readonly transport?: Transport
  /** The clock, seconds since the epoch (signature validity and cache expiry). */
  readonly now?: () => number
  /** Limits to override (limits.ts). */
  readonly limits?: Partial<ResolverLimits>
  /** Receives one line per Bogus answer (which record failed and why) and per anchor problem. */
  readonly log?: (line: string) => void
  /**
   * Aggressive use of validated NSEC records (RFC 8198): answer NXDOMAIN and NODATA
   * from cached, validated NSEC ranges without asking upstream. Default false.
   */
  readonly aggressiveNsec?: boolean
}

/** Validated NSEC or NSEC3 records of one zone kept for RFC 8198 synthesis. */
interface NsecRange {
  readonly soa: ResourceRecord[]
  readonly nsecs: Map<string, { records: ResourceRecord[], expires: number }>
}

/** Flags of a client query that matter to validation. */
export interface ResolveOptions {
  /** The query had DO: DNSSEC records are kept in the answer. */
  readonly dnssecOk?: boolean
  /** The query had CD: the answer is returned without validation (RFC 4035 §3.2.2). */
  readonly checkingDisabled?: boolean
  /** The query had AD: the client wants the AD bit even without DO (RFC 6840 §5.7). */
  readonly authenticatedData?: boolean
}

/** What {@link Resolver.resolve} returns: never throws for Bogus (STYLE.md §3). */
export interface ResolveResult {
  readonly rcode: number
  readonly answer: ResourceRecord[]
  readonly authority: ResourceRecord[]
  readonly additional: ResourceRecord[]
  readonly state: SecurityState
  /** Set AD in the response (Secure, and the query had DO or AD). */
  readonly ad: boolean
  readonly reason?: string
  /** RFC 8914 INFO-CODE to attach as an Extended DNS Error. */
  readonly ede?: number
}

interface Work { queries: number, readonly budget: SignatureBudget, cnames: number }

/** How an anchored zone's keys matched its trust anchor when last checked (for status output). */
export interface AnchorStatus {
  readonly zone: string
  readonly state: SecurityState
  readonly reason?: string
  /** When it was checked, seconds since the epoch (the resolver's clock). */
  readonly checked: number
}

const DNSSEC_TYPES: ReadonlySet<number> = new Set([RRType.RRSIG, RRType.NSEC, RRType.NSEC3])
const NEGATIVE_TYPES: ReadonlySet<number> = new Set([RRType.SOA, RRType.RRSIG, RRType.NSEC, RRType.NSEC3])

function worst(a: Verdict, b: Verdict): Verdict {
  const rank: Record<SecurityState, number> = { secure: 0, indeterminate: 1, insecure: 2, bogus: 3 }
  return rank[b.state] > rank[a.state] ? b : a
}

/**
 * A validating recursive resolver.
 *
 * @example
 * const r = new Resolver({ trustAnchors: TrustAnchors.load('TrustAnchors.dns'), forwarders: [{ address: '127.0.0.1', port: 5353 }] })
 * const res = await r.resolve(Name.fromString('www.example.test.'), RRType.A, { dnssecOk: true })
 * if (res.state === 'bogus') console.log(res.reason, res.ede)
 */
export class Resolver {
  private readonly anchors: TrustAnchors
  private readonly forwarders: readonly Server[]
  private readonly zoneForwarders: { zone: Name, servers: readonly Server[] }[]
  private readonly rootHints: readonly Server[]
  private readonly iterativePort: number
  private readonly addressMap: Readonly<Record<string, Server>>
  private readonly transport: Transport
  private readonly now: () => number
  private readonly log: (line: string) => void
  /** The limits in force. */
  readonly limits: ResolverLimits
  /** Upstream answers, proven zone keys and validated results, under separate kinds. */
  readonly cache: Cache<unknown>
  private readonly anchorChecks = new Map<string, AnchorStatus>()
  private readonly aggressiveNsec: boolean
  private readonly nsecRanges = new Map<string, NsecRange>()
  private readonly fetchedAt = new WeakMap<Message, number>()
  /** Upstream cache keys of the answers a CNAME chase joined into a message (iteration). */
  private readonly parts = new WeakMap<Message, string[]>()
  private readonly responses: ResponseCache

  /**
   * @param opts forwarders and/or root hints, trust anchors, clock, limits
   * @throws {ResolverError} ERR_RESOLVER_BAD_OPTION when there is nowhere to send queries
   */
  constructor(opts: ResolverOptions) {
    this.anchors = opts.trustAnchors ?? TrustAnchors.empty()
    this.forwarders = opts.forwarders ?? []
    this.zoneForwarders = (opts.zoneForwarders ?? []).map((z) => ({ zone: typeof z.zone === 'string' ? Name.fromString(z.zone.endsWith('.') ? z.zone : z.zone + '.') : z.zone, servers: z.servers }))
    this.rootHints = opts.rootHints ?? []
    if (this.forwarders.length === 0 && this.zoneForwarders.length === 0 && this.rootHints.length === 0) {
      throw new ResolverError('ERR_RESOLVER_BAD_OPTION', 'a resolver needs forwarders or root hints')
    }
    this.iterativePort = opts.iterativePort ?? 53
    this.addressMap = opts.addressMap ?? {}
    this.transport = opts.transport ?? new NetTransport()
    this.now = opts.now ?? nowSeconds
    this.log = opts.log ?? (() => {})
    this.limits = resolveLimits(opts.limits)
    this.cache = new Cache<unknown>(this.limits.maxCacheEntries, this.now, this.limits.maxCacheBytes)
    this.aggressiveNsec = opts.aggressiveNsec ?? false
    this.responses = new ResponseCache(this.cache, this.now)
  }

  /**
   * Answer a query from the encoded-response cache, synchronously: the stored response
   * with the query's ID, RD, question case and the TTLs counted down. Null when the
   * query needs the full path ({@link Resolver.respond}): not cached yet, not a plain
   * query, CD set, or too large for the client's UDP size.
   *
   * @param query the query as received
   * @param tcp it came over TCP (no UDP size limit)
   * @param maxUdpSize the responder's own UDP payload bound, when it has one below the client's
   * @param option an encoded EDNS option (code, length, data) to put first in the response's
   *   OPT RDATA, e.g. a server's COOKIE for this client (the key ignores the query's options:
   *   the caller decides which queries may take this path)
   * @returns the response to send, or null
   * @example
   * const out = resolver.respondCached(packet, false) ?? await resolver.respond(packet, false)
   */
  respondCached(query: Uint8Array, tcp = false, maxUdpSize?: number, option?: Uint8Array): Uint8Array | null {
    const key = queryKey(query)
    return key === null ? null : this.responses.lookup(query, key, tcp, maxUdpSize, option)
  }

  /**
   * Keep a response built elsewhere (a server that adds its own EDNS, RA and so on) for
   * {@link Resolver.respondCached}, until `expires` from {@link Resolver.resolveReusable}.
   * Nothing is kept for a query that is not a plain one (see `queryKey`: CD set, options
   * ignored by the key, …) nor for a truncated response; the caller must only pass queries
   * whose response does not depend on more than the key (no TSIG, no EDNS options).
   *
   * @param query the query as received
   * @param response the response sent for it
   * @param expires until when it may be reused, seconds on the resolver's clock
   * @returns true when it was kept
   */
  storeResponse(query: Uint8Array, response: Uint8Array, expires: number): boolean {
    const key = queryKey(query)
    return key !== null && this.responses.store(key, response, expires)
  }

  /** Forget the encoded responses only (verdicts, keys and upstream answers stay). */
  clearResponses(): void {
    this.responses.clear()
  }

  /**
   * Answer a query given as wire bytes: decode, {@link Resolver.resolve}, build and encode
   * the response (TC when it does not fit the client's UDP size), and keep the encoded
   * response for {@link Resolver.respondCached} while every record in it is valid. Bogus,
   * SERVFAIL, CD and synthesized (RFC 8198) answers are not kept.
   *
   * @param query the query as received
   * @param tcp it came over TCP (no UDP size limit)
   * @returns the response, or null for a message that is not a query with one question
   * @example
   * socket.on('message', async (b, peer) => { const r = await resolver.respond(b); if (r) socket.send(r, peer.port, peer.address) })
   */
  async respond(query: Uint8Array, tcp = false): Promise<Uint8Array | null> {
    const key = queryKey(query)
    if (key !== null) {
      const hit = this.responses.lookup(query, key, tcp)
      if (hit !== null) return hit
    }
    let q: Message
    try { q = decodeMessage(query) } catch { return null }
    const qq = q.question[0]
    if (q.flags.qr || qq === undefined) return null
    const r = await this.resolveFull(qq.name, qq.type, { dnssecOk: q.edns?.dnssecOk === true, checkingDisabled: q.flags.cd, authenticatedData: q.flags.ad })
    const out = encodeMessage(buildResponse(q, r.result), { maxSize: tcp ? 65535 : Math.max(512, q.edns?.udpSize ?? 512) })
    if (key !== null && r.expires !== undefined) this.responses.store(key, out, r.expires)
    return out
  }

  /**
   * Resolve and validate one question.
   *
   * @param name the query name (its case is kept in the question sent upstream)
   * @param type the query type
   * @param opts the client's DO, CD and AD bits
   * @returns rcode, sections and the security state; Bogus gives SERVFAIL with an EDE
   * @example
   * const { rcode, answer, state, ad } = await resolver.resolve(Name.fromString('example.test.'), RRType.SOA, { dnssecOk: true })
   */
  async resolve(name: Name, type: number, opts: ResolveOptions = {}): Promise<ResolveResult> {
    return (await this.resolveFull(name, type, opts)).result
  }

  /**
   * {@link Resolver.resolve}, and until when (seconds, the resolver's clock) a response
   * built from the result may be reused as it is: absent for Bogus, SERVFAIL, CD and
   * synthesized (RFC 8198) answers, which must not be reused.
   *
   * @param name the query name
   * @param type the query type
   * @param opts the client's DO, CD and AD bits
   * @returns the result, and `expires` when it may be reused
   */
  async resolveReusable(name: Name, type: number, opts: ResolveOptions = {}): Promise<{ result: ResolveResult, expires?: number }> {
    return await this.resolveFull(name, type, opts)
  }

  /** {@link Resolver.resolve}, and until when the result may be reused as it is (none: not at all). */
  private async resolveFull(name: Name, type: number, opts: ResolveOptions): Promise<{ result: ResolveResult, expires?: number }> {
    const work: Work = { queries: 0, budget: new SignatureBudget(this.limits.maxSignatureChecks), cnames: 0 }
    const strip = (rrs: ResourceRecord[]): ResourceRecord[] =>
      // RFC 4035 §3.2.1: DNSSEC records go only to clients that set DO (or asked for them).
      opts.dnssecOk === true ? rrs : rrs.filter((r) => !DNSSEC_TYPES.has(r.data.type) || r.data.type === type)
    if (this.aggressiveNsec && opts.checkingDisabled !== true && this.cache.get('upstream', `${name.toLowerCase().toString()}|${type}`) === undefined) {
      const synth = this.synthesize(name, type)
      if (synth !== null) {
        const ad = opts.dnssecOk === true || opts.authenticatedData === true
        return { result: { rcode: synth.rcode, answer: [], authority: strip(synth.authority), additional: [], state: 'secure', ad, reason: 'synthesized from cached NSEC records (RFC 8198)' } }
      }
    }
    let msg: Message
    try {
      msg = await this.fetch(name, type, work)
    } catch (e) {
      const err = e as Error
      this.log(`resolve ${name.toString()}/${type}: ${err.message}`)
      const ede = e instanceof ResolverError && e.code === 'ERR_RESOLVER_LIMIT' ? EdeCode.OTHER : EdeCode.NO_REACHABLE_AUTHORITY
      return { result: { rcode: Rcode.SERVFAIL, answer: [], authority: [], additional: [], state: 'indeterminate', ad: false, reason: err.message, ede } }
    }
    if (opts.checkingDisabled === true) {
      // RFC 4035 §3.2.2: with CD the client validates; hand it the data as it came.
      return { result: { rcode: msg.rcode, answer: strip(msg.answer), authority: strip(msg.authority), additional: strip(msg.additional), state: 'indeterminate', ad: false, reason: 'checking disabled by the client' } }
    }
    const key = `${name.toLowerCase().toString()}|${type}`
    let entry = this.cache.get('validated', key) as { v: Verdict, expires: number } | undefined
    if (entry === undefined) {
      let ttl: number
      let verdict: Verdict
      try {
        const r = await this.validate(name, type, msg, work)
        verdict = r.verdict
        // RFC 4035 §4.7: Bogus is kept only briefly (and never longer than the records).
        ttl = verdict.state === 'bogus' ? Math.min(this.limits.bogusTtl, Math.max(1, r.ttl)) : r.ttl
        // The data judged Bogus goes with the verdict: once the verdict expires the answer
        // is fetched afresh, so a repaired zone is believed again after the bogus TTL.
        if (verdict.state === 'bogus') this.distrust(key, msg, ttl)
      } catch (e) {
        // Validation could not finish (a limit, unreachable servers): nothing is judged.
        verdict = { state: 'bogus', ede: EdeCode.DNSSEC_BOGUS, reason: `validation stopped: ${(e as Error).message}` }
        ttl = 0
      }
      entry = { v: verdict, expires: this.now() + ttl }
      this.cache.set('validated', key, entry, ttl, 256)
    }
    const v = entry.v
    if (v.state === 'bogus') {
      this.log(`bogus ${name.toString()}/${typeText(type)}: ${v.reason ?? ''} (EDE ${v.ede ?? EdeCode.DNSSEC_BOGUS})`)
      // RFC 4035 §5.5: Bogus data is not returned; the client gets SERVFAIL.
      return { result: { rcode: Rcode.SERVFAIL, answer: [], authority: [], additional: [], state: 'bogus', ad: false, reason: v.reason ?? 'bogus', ede: v.ede ?? EdeCode.DNSSEC_BOGUS } }
    }
    // RFC 4035 §3.2.3, RFC 6840 §5.7: AD only for Secure data, and only to a client that signalled it understands it.
    const ad = v.state === 'secure' && (opts.dnssecOk === true || opts.authenticatedData === true)
    // Minimal responses: only what was validated goes back. The authority section keeps
    // the SOA and denial records of a negative answer; referral NS sets and glue, which
    // no signature covers (RFC 4035 §2.2), are left out.
    const negative = msg.rcode === Rcode.NXDOMAIN || !msg.answer.some((r) => r.data.type === type || r.data.type === RRType.CNAME || type === RRType.ANY)
    const authority = negative ? msg.authority.filter((r) => NEGATIVE_TYPES.has(r.data.type)) : []
    // TTLs count down while cached, and never outlive the signatures that vouch for them
    // (RFC 4035 §5.3.3) nor the validated entry.
    const now = this.now()
    const age = now - (this.fetchedAt.get(msg) ?? now)
    const cap = Math.max(0, entry.expires - now)
    const aged = (rrs: ResourceRecord[]): ResourceRecord[] => rrs.map((r) => ({ ...r, ttl: Math.max(0, Math.min(r.ttl - age, cap)) }))
    const result: ResolveResult = {
      rcode: msg.rcode, answer: aged(strip(msg.answer)), authority: aged(strip(authority)), additional: [], state: v.state, ad,
      ...(v.reason === undefined ? {} : { reason: v.reason }), ...(v.ede === undefined ? {} : { ede: v.ede }),
    }
    // Reusable while both the upstream answer and the verdict on it are: the TTLs above
    // then stay above zero as they count down.
    if (msg.rcode !== Rcode.NOERROR && msg.rcode !== Rcode.NXDOMAIN) return { result }
    return { result, expires: Math.min(entry.expires, (this.fetchedAt.get(msg) ?? now) + this.ttlOf(msg)) }
  }

  /**
   * Forget everything learnt: cached answers, encoded responses, proven keys, verdicts,
   * RFC 8198 NSEC ranges and the anchor checks. Call it after the trust anchors change,
   * so nothing validated (or found stale) under the old ones outlives them.
   */
  clearCache(): void {
    this.cache.clear()
    this.nsecRanges.clear()
    this.anchorChecks.clear()
  }

  /**
   * How each anchored zone's DNSKEY RRset matched its trust anchor when last fetched:
   * for the server's status page and `secdns trust-anchor` over the admin API.
   *
   * @returns one entry per anchored zone checked so far
   */
  anchorStatus(): AnchorStatus[] {
    // Only zones still anchored: an anchor removed at run time leaves no stale line.
    const anchored = new Set(this.anchors.zones().map((z) => z.toLowerCase().toString()))
    return [...this.anchorChecks.entries()].filter(([k]) => anchored.has(k)).map(([, v]) => v)
  }

  /**
   * Fetch and check the DNSKEY RRset of every anchored zone now, as Unbound does when it
   * starts, so a stale anchor is reported at once and the first query finds the keys.
   *
   * @returns the status of each anchored zone (as {@link Resolver.anchorStatus})
   * @example
   * for (const a of await resolver.prime()) if (a.state === 'bogus') log.error(a.reason)
   */
  async prime(): Promise<AnchorStatus[]> {
    for (const zone of this.anchors.zones()) {
      const work: Work = { queries: 0, budget: new SignatureBudget(this.limits.maxSignatureChecks), cnames: 0 }
      try {
        await this.anchorKeys(zone, work)
      } catch (e) {
        this.log(`trust anchor for ${zone.toString()}: cannot fetch its DNSKEY RRset: ${(e as Error).message}`)
        this.anchorChecks.set(zone.toLowerCase().toString(), { zone: zone.toString(), state: 'indeterminate', checked: this.now(), reason: (e as Error).message })
      }
    }
    return this.anchorStatus()
  }

  // ------------------------------------------------------------------ fetching

  private async fetch(name: Name, type: number, work: Work): Promise<Message> {
    const key = `${name.toLowerCase().toString()}|${type}`
    const hit = this.cache.get('upstream', key) as Message | undefined
    if (hit !== undefined) return hit
    const fwd = this.forwardersFor(name)
    let msg: Message
    if (fwd !== null) msg = await this.ask(fwd, name, type, true, work)
    else msg = await this.iterate(name, type, work)
    this.fetchedAt.set(msg, this.now())
    this.cache.set('upstream', key, msg, this.ttlOf(msg), encodeMessage(msg).length)
    return msg
  }

  /**
   * Keep an upstream answer that validated Bogus (and the answers a CNAME chase joined
   * into it) for at most `ttl` more seconds; its own TTL still bounds it.
   */
  private distrust(key: string, msg: Message | undefined, ttl: number): void {
    this.cache.cap('upstream', key, ttl)
    if (msg === undefined) return
    for (const k of this.parts.get(msg) ?? []) this.cache.cap('upstream', k, ttl)
  }

  private forwardersFor(name: Name): readonly Server[] | null {
    let best: { zone: Name, servers: readonly Server[] } | null = null
    for (const z of this.zoneForwarders) if (name.isSubdomainOf(z.zone) && (best === null || z.zone.labelCount > best.zone.labelCount)) best = z
    if (best !== null) return best.servers
    if (this.forwarders.length > 0) return this.forwarders
    return null
  }

  private ask(servers: readonly Server[], name: Name, type: number, rd: boolean, work: Work): Promise<Message> {
    // We validate ourselves, so ask for everything (DO) and for unvalidated data (CD).
    const q = createQuery(name, type, { rd, dnssecOk: true, cd: true, udpSize: 1232 })
    return queryServers(this.transport, servers, q, {
      timeoutMs: this.limits.queryTimeoutMs,
      retries: this.limits.retriesPerServer,
      onSend: () => {
        if (++work.queries > this.limits.maxQueriesPerResolution) throw new ResolverError('ERR_RESOLVER_LIMIT', `more than ${this.limits.maxQueriesPerResolution} upstream queries for one resolution`)
      },
    })
  }

  private async iterate(name: Name, type: number, work: Work): Promise<Message> {
    let servers: readonly Server[] = this.rootHints
    let zone = Name.ROOT
    // A DS lives in the parent zone (RFC 4035 §3.1.4.1): start above the name.
    const start = type === RRType.DS && !name.isRoot() ? name.parent() : name
    for (let n = start; ; n = n.parent()) {
      const s = this.cache.get('upstream', `ns|${n.toLowerCase().toString()}`) as Server[] | undefined
      if (s !== undefined) { servers = s; zone = n; break }
      if (n.isRoot()) break
    }
    for (let hop = 0; hop < this.limits.maxReferralDepth; hop++) {
      const resp = await this.ask(servers, name, type, false, work)
      if (resp.rcode !== Rcode.NOERROR) return resp
      if (resp.answer.length > 0) return this.chase(name, type, resp, work)
      const ns = resp.authority.filter((r) => r.data.type === RRType.NS)
      if (resp.flags.aa || ns.length === 0 || resp.authority.some((r) => r.data.type === RRType.SOA)) return resp
      const cut = ns[0]!.name
      // A referral must lead down, towards the name (RFC 1034 §5.3.3); anything else is lame.
      if (!name.isSubdomainOf(cut) || cut.labelCount <= zone.labelCount) return { ...resp, rcode: Rcode.SERVFAIL }
      const targets = ns.map((r) => (r.data as { nsdname: Name }).nsdname)
      // RFC 2181 §5.4.1: glue is only believed inside the referring server's zone.
      let addrs = resp.additional.filter((r) => r.data.type === RRType.A && r.name.isSubdomainOf(zone) && targets.some((t) => t.equals(r.name))).map((r) => (r.data as { address: string }).address)
      if (addrs.length === 0) {
        for (const t of targets) {
          if (t.isSubdomainOf(cut)) continue // glue was needed and missing
          const a = await this.fetch(t, RRType.A, work)
          addrs = addrs.concat(a.answer.filter((r) => r.data.type === RRType.A).map((r) => (r.data as { address: string }).address))
          if (addrs.length > 0) break
        }
      }
      if (addrs.length === 0) return { ...resp, rcode: Rcode.SERVFAIL }
      servers = addrs.map((address) => this.addressMap[address] ?? { address, port: this.iterativePort })
      this.cache.set('upstream', `ns|${cut.toLowerCase().toString()}`, servers, Math.min(ns[0]!.ttl, this.limits.maxCacheTtl))
      zone = cut
    }
    throw new ResolverError('ERR_RESOLVER_LIMIT', `more than ${this.limits.maxReferralDepth} referrals for ${name.toString()}`)
  }

  private async chase(name: Name, type: number, resp: Message, work: Work): Promise<Message> {
    if (type === RRType.CNAME) return resp
    let cur = name
    for (;;) {
      if (resp.answer.some((r) => r.data.type === type && r.name.equals(cur))) return resp
      const c = resp.answer.find((r) => r.data.type === RRType.CNAME && r.name.equals(cur))
      if (c === undefined) return resp
      cur = (c.data as { target: Name }).target
      if (++work.cnames > this.limits.maxCnameChain) throw new ResolverError('ERR_RESOLVER_LIMIT', `CNAME chain from ${name.toString()} longer than ${this.limits.maxCnameChain}`)
      if (!resp.answer.some((r) => r.name.equals(cur))) {
        const sub = await this.fetch(cur, type, work)
        const joined = { ...sub, answer: [...resp.answer, ...sub.answer] }
        this.parts.set(joined, [`${cur.toLowerCase().toString()}|${type}`, ...(this.parts.get(sub) ?? [])])
        return joined
      }
    }
  }

  private ttlOf(msg: Message): number {
    const soa = msg.authority.find((r) => r.data.type === RRType.SOA) as ResourceRecord<Soa> | undefined
    if (msg.answer.length === 0 && soa !== undefined) {
      // RFC 2308 §5: a negative answer lives min(SOA TTL, SOA MINIMUM).
      return Math.min(soa.ttl, soa.data.minimum, this.limits.maxNegativeTtl)
    }
    if (msg.rcode !== Rcode.NOERROR && msg.rcode !== Rcode.NXDOMAIN) return 0
    const all = [...msg.answer, ...msg.authority]
    if (all.length === 0) return 0
    return Math.min(this.limits.maxCacheTtl, ...all.map((r) => r.ttl))
  }

  // ------------------------------------------------------------------ validation

  private async validate(qname: Name, qtype: number, msg: Message, work: Work): Promise<{ verdict: Verdict, ttl: number }> {
    let ttl = this.ttlOf(msg)
    if (this.anchors.closest(qname) === null) {
      return { verdict: { state: 'indeterminate', reason: `no trust anchor covers ${qname.toString()}` }, ttl }
    }
    if (msg.rcode !== Rcode.NOERROR && msg.rcode !== Rcode.NXDOMAIN) return { verdict: { state: 'indeterminate', reason: `upstream rcode ${msg.rcode}` }, ttl: 0 }
    let verdict: Verdict = { state: 'secure' }
    const sets = groupRRsets(msg.answer)
    const dnames = new Set<string>()
    // Follow the chain from the query name: every RRset on it must validate.
    let cur = qname
    const seen = new Set<SignedRRset>()
    for (let hops = 0; hops <= this.limits.maxCnameChain; hops++) {
      const here = sets.filter((s) => s.name.equals(cur) && (s.type === qtype || s.type === RRType.CNAME || qtype === RRType.ANY))
      const dname = sets.find((s) => s.type === RRType.DNAME && cur.isSubdomainOf(s.name) && !cur.equals(s.name))
      if (dname !== undefined && !seen.has(dname)) {
        seen.add(dname)
        const v = await this.validateSet(dname, msg, work)
        verdict = worst(verdict, v.verdict)
        ttl = Math.min(ttl, v.ttl)
        if (v.verdict.state === 'secure') dnames.add(cur.toLowerCase().toString())
      }
      if (here.length === 0) break
      let next: Name | null = null
      for (const s of here) {
        seen.add(s)
        // RFC 6672 §5.3.3: a CNAME synthesized from a validated DNAME carries no RRSIG.
        if (s.type === RRType.CNAME && s.sigs.length === 0 && dnames.has(cur.toLowerCase().toString())) {
          next = (s.records[0]!.data as { target: Name }).target
          continue
        }
        const v = await this.validateSet(s, msg, work)
        verdict = worst(verdict, v.verdict)
        ttl = Math.min(ttl, v.ttl)
        if (s.type === RRType.CNAME && qtype !== RRType.CNAME) next = (s.records[0]!.data as { target: Name }).target
      }
      if (next === null || here.some((s) => s.type === qtype)) break
      cur = next
    }
    // Anything else in the answer section is checked too: AD vouches for the whole section.
    for (const s of sets) {
      if (seen.has(s) || (s.type === RRType.CNAME && s.sigs.length === 0 && dnames.has(s.name.toLowerCase().toString()))) continue
      const v = await this.validateSet(s, msg, work)
      verdict = worst(verdict, v.verdict)
      ttl = Math.min(ttl, v.ttl)
    }
    const answered = sets.some((s) => s.name.equals(cur) && (s.type === qtype || qtype === RRType.ANY))
    if (!answered || msg.rcode === Rcode.NXDOMAIN) {
      // RFC 4035 §3.1.4.1: the absence of a DS is proven by the parent zone.
      const zk = await this.zoneOf(qtype === RRType.DS && !cur.isRoot() ? cur.parent() : cur, work)
      if (zk.state === 'secure') {
        const d = this.checkDenial(cur, qtype, msg, zk, work)
        verdict = worst(verdict, d)
      } else {
        verdict = worst(verdict, zk.state === 'bogus' ? zk : { state: zk.state, ...(zk.reason === undefined ? {} : { reason: zk.reason }) })
      }
    }
    return { verdict, ttl }
  }

  /** Validate one RRset of an answer: with its signer's keys, or prove its zone Insecure. */
  private async validateSet(set: SignedRRset, msg: Message, work: Work): Promise<{ verdict: Verdict, ttl: number }> {
    const minTtl = Math.min(...set.records.map((r) => r.ttl))
    const anchor = this.anchors.closest(set.name)
    if (anchor === null) return { verdict: { state: 'indeterminate', reason: `no trust anchor covers ${set.name.toString()}` }, ttl: minTtl }
    const sig = set.sigs.find((s) => set.name.isSubdomainOf(s.data.signerName))
    if (sig === undefined) {
      const zk = await this.zoneOf(set.name, work)
      if (zk.state !== 'secure') return { verdict: zk, ttl: minTtl }
      const v = validateRRset(set, zk, this.now(), work.budget)
      return { verdict: v, ttl: minTtl }
    }
    const signer = sig.data.signerName
    const zk = await this.zoneOf(signer, work)
    if (zk.state !== 'secure') return { verdict: zk, ttl: minTtl }
    if (!zk.zone.equals(signer)) {
      return { verdict: { state: 'bogus', ede: EdeCode.DNSKEY_MISSING, reason: `${set.name.toString()}: signed by ${signer.toString()}, which is not a zone proven under ${zk.zone.toString()}` }, ttl: minTtl }
    }
    const v = validateRRset(set, zk, this.now(), work.budget)
    if (v.state !== 'secure') return { verdict: v, ttl: minTtl }
    if (v.wildcardEncloser !== undefined) {
      // RFC 4035 §5.3.4: a wildcard expansion needs proof that the name itself does not exist.
      const d = this.checkDenial(set.name, set.type, msg, zk, work, v.wildcardEncloser)
      if (d.state !== 'secure') return { verdict: { ...d, reason: `wildcard answer ${set.name.toString()}: ${d.reason ?? ''}` }, ttl: minTtl }
    }
    return { verdict: v, ttl: Math.min(v.ttl, zk.ttl > 0 ? zk.ttl : v.ttl) }
  }

  /** Check the denial of existence in a negative answer (or the next-closer proof of a wildcard answer). */
  private checkDenial(qname: Name, qtype: number, msg: Message, zk: ZoneKeys, work: Work, wildcardEncloser?: Name): DenialVerdict {
    const auth = groupRRsets(msg.authority).filter((s) => s.name.isSubdomainOf(zk.zone))
    const proofSets = auth.filter((s) => s.type === RRType.NSEC || s.type === RRType.NSEC3 || s.type === RRType.SOA)
    for (const s of proofSets) {
      const v = validateRRset(s, zk, this.now(), work.budget)
      if (v.state !== 'secure') return v
    }
    const nsecs = auth.filter((s) => s.type === RRType.NSEC).flatMap((s) => s.records) as ResourceRecord<Nsec>[]
    const nsec3s = auth.filter((s) => s.type === RRType.NSEC3).flatMap((s) => s.records) as ResourceRecord<Nsec3>[]
    const kind = wildcardEncloser !== undefined ? 'wildcard-answer' : msg.rcode === Rcode.NXDOMAIN ? 'nxdomain' : qtype === RRType.DS ? 'no-ds' : 'nodata'
    if (nsecs.length > 0) {
      const v = checkNsecDenial(kind, qname, qtype, nsecs, zk.zone, wildcardEncloser)
      if (v.state === 'secure' && this.aggressiveNsec) this.keepNsecs(zk.zone, auth)
      return v
    }
    if (nsec3s.length > 0) {
      const v = checkNsec3Denial(kind, qname, qtype, nsec3s, zk.zone, this.limits, wildcardEncloser)
      if (v.state === 'secure' && this.aggressiveNsec) this.keepNsecs(zk.zone, auth)
      return v
    }
    return { state: 'bogus', ede: EdeCode.NSEC_MISSING, reason: `${qname.toString()}/${typeText(qtype)}: ${kind} answer from signed zone ${zk.zone.toString()} without NSEC or NSEC3` }
  }

  /** Keep validated NSEC and NSEC3 RRsets (and the zone's SOA) for RFC 8198 synthesis. */
  private keepNsecs(zone: Name, auth: readonly SignedRRset[]): void {
    const key = zone.toLowerCase().toString()
    let range = this.nsecRanges.get(key)
    const soa = auth.find((s) => s.type === RRType.SOA && s.name.equals(zone))
    if (range === undefined) {
      if (soa === undefined) return
      // Bound the store as the cache is bounded: forget the oldest zone first.
      if (this.nsecRanges.size >= this.limits.maxCacheEntries) this.nsecRanges.delete(this.nsecRanges.keys().next().value as string)
      range = { soa: [...soa.records, ...soa.sigs], nsecs: new Map() }
      this.nsecRanges.set(key, range)
    }
    const now = this.now()
    for (const s of auth) {
      if (s.type !== RRType.NSEC && s.type !== RRType.NSEC3) continue
      // RFC 8198 §5.4 / RFC 2308 §5: no longer than the record's TTL or the SOA minimum.
      const ttl = Math.min(...s.records.map((r) => r.ttl), (range.soa[0]?.data as Soa | undefined)?.minimum ?? 0, this.limits.maxNegativeTtl)
      range.nsecs.set(s.name.toLowerCase().toString(), { records: [...s.records, ...s.sigs], expires: now + ttl })
    }
  }

  /** An NXDOMAIN or NODATA answer proven by cached NSEC or NSEC3 records alone (RFC 8198 §5.1–5.3), or null. */
  private synthesize(name: Name, type: number): { rcode: number, authority: ResourceRecord[] } | null {
    let zone: Name | null = null
    for (const r of this.nsecRanges.values()) {
      const z = r.soa[0]?.name
      if (z !== undefined && name.isSubdomainOf(z) && (zone === null || z.labelCount > zone.labelCount)) zone = z
    }
    if (zone === null) return null
    const range = this.nsecRanges.get(zone.toLowerCase().toString())!
    const now = this.now()
    const live: ResourceRecord[] = []
    for (const [k, e] of range.nsecs) {
      if (e.expires <= now) range.nsecs.delete(k)
      else live.push(...e.records)
    }
    const nsecs = live.filter((r) => r.data.type === RRType.NSEC) as ResourceRecord<Nsec>[]
    if (nsecs.length === 0) {
      // RFC 8198 §5.2 with NSEC3: the closest encloser proof from cached ranges. An
      // opt-out span proves nothing about unsigned names and gives no synthesis.
      const nsec3s = live.filter((r) => r.data.type === RRType.NSEC3) as ResourceRecord<Nsec3>[]
      if (nsec3s.length === 0) return null
      for (const [kind, rcode] of [['nxdomain', Rcode.NXDOMAIN], ['nodata', Rcode.NOERROR]] as const) {
        if (checkNsec3Denial(kind, name, type, nsec3s, zone, this.limits).state === 'secure') return { rcode, authority: [...range.soa, ...live] }
      }
      return null
    }
    // The records were validated when they were stored; only the proof logic runs again.
    for (const [kind, rcode] of [['nxdomain', Rcode.NXDOMAIN], ['nodata', Rcode.NOERROR]] as const) {
      if (checkNsecDenial(kind, name, type, nsecs, zone).state !== 'secure') continue
      // Send back only the NSEC RRsets that take part: at or covering the name or a wildcard above it.
      const wilds: Name[] = []
      for (let a = name; a.isSubdomainOf(zone) && !a.isRoot(); a = a.parent()) wilds.push(a.parent().prepend('*'))
      const z = zone
      const used = nsecs.filter((n) => n.name.equals(name) || nsecCovers(n.name, n.data, name, z) || wilds.some((w) => n.name.equals(w) || nsecCovers(n.name, n.data, w, z)))
      const keep = live.filter((r) => used.some((u) => u.name.equals(r.name)))
      return { rcode, authority: [...range.soa, ...keep] }
    }
    return null
  }

  /** The proven keys of the anchored zone itself. */
  private async anchorKeys(zone: Name, work: Work): Promise<ZoneKeys> {
    const key = `anchor|${zone.toLowerCase().toString()}`
    const hit = this.cache.get('keys', key) as ZoneKeys | undefined
    if (hit !== undefined) return hit
    const a = this.anchors.closest(zone)!
    const resp = await this.fetch(zone, RRType.DNSKEY, work)
    const set = groupRRsets(resp.answer).find((s) => s.type === RRType.DNSKEY && s.name.equals(zone)) ?? null
    const zk = verifyDnskeysWithAnchor(zone, set, a, this.now(), work.budget)
    // Issue 7 §1: an anchor that no longer matches its zone is reported, never silently ignored.
    if (zk.state === 'bogus') {
      this.log(`trust anchor for ${zone.toString()}: ${zk.reason ?? ''}`)
      this.distrust(`${zone.toLowerCase().toString()}|${RRType.DNSKEY}`, resp, this.limits.bogusTtl)
    }
    this.anchorChecks.set(zone.toLowerCase().toString(), { zone: zone.toString(), state: zk.state, checked: this.now(), ...(zk.reason === undefined ? {} : { reason: zk.reason }) })
    this.cache.set('keys', key, zk, zk.state === 'bogus' ? this.limits.bogusTtl : Math.min(zk.ttl || this.limits.maxCacheTtl, this.limits.maxCacheTtl))
    return zk
  }

  /**
   * The deepest zone enclosing a name, proven from the closest trust anchor downwards
   * through DS and DNSKEY (RFC 4035 §5.1–5.2): Secure with its keys, Insecure below an
   * unsigned delegation, or Bogus where the chain breaks.
   */
  private async zoneOf(name: Name, work: Work): Promise<ZoneKeys> {
    const anchor = this.anchors.closest(name)
    if (anchor === null) return { zone: name, keys: [], state: 'indeterminate', ttl: 0, reason: `no trust anchor covers ${name.toString()}` }
    let cur = await this.anchorKeys(anchor.zone, work)
    for (let i = anchor.zone.labelCount + 1; i <= name.labelCount; i++) {
      if (cur.state !== 'secure') return cur
      const n = name.parent(name.labelCount - i)
      const ck = `cut|${n.toLowerCase().toString()}`
      const cached = this.cache.get('keys', ck) as { next: ZoneKeys | null, stop: boolean } | undefined
      if (cached !== undefined) {
        if (cached.next !== null) cur = cached.next
        if (cached.stop) return cur
        continue
      }
      const step = await this.stepDown(n, cur, work)
      if (step.next?.state === 'bogus') {
        // The DS or DNSKEY answers that broke the chain live no longer than the verdict.
        const nk = n.toLowerCase().toString()
        this.distrust(`${nk}|${RRType.DS}`, undefined, this.limits.bogusTtl)
        this.distrust(`${nk}|${RRType.DNSKEY}`, undefined, this.limits.bogusTtl)
      }
      this.cache.set('keys', ck, step, step.next?.state === 'bogus' ? this.limits.bogusTtl : Math.max(1, Math.min(step.ttl, this.limits.maxCacheTtl)))
      if (step.next !== null) cur = step.next
      if (step.stop) return cur
    }
    return cur
  }

  /** One step down the chain: is `n` a zone cut below the secure zone `parent`, and is it signed? */
  private async stepDown(n: Name, parent: ZoneKeys, work: Work): Promise<{ next: ZoneKeys | null, stop: boolean, ttl: number }> {
    const resp = await this.fetch(n, RRType.DS, work)
    const now = this.now()
    const sets = groupRRsets(resp.answer)
    const ds = sets.find((s) => s.type === RRType.DS && s.name.equals(n))
    if (ds !== undefined) {
      const v = validateRRset(ds, parent, now, work.budget)
      if (v.state !== 'secure') return { next: { zone: n, keys: [], state: 'bogus', ttl: 0, ede: v.ede ?? EdeCode.DNSSEC_BOGUS, reason: `DS of ${n.toString()}: ${v.reason ?? ''}` }, stop: true, ttl: 0 }
      const dk = await this.fetch(n, RRType.DNSKEY, work)
      const dkset = groupRRsets(dk.answer).find((s) => s.type === RRType.DNSKEY && s.name.equals(n)) ?? null
      const zk = verifyDnskeysWithDs(n, dkset, ds.records.map((r) => r.data as Ds), now, work.budget)
      return { next: zk, stop: zk.state !== 'secure', ttl: Math.min(v.ttl, zk.ttl || v.ttl) }
    }
    if (resp.rcode !== Rcode.NOERROR && resp.rcode !== Rcode.NXDOMAIN) {
      return { next: { zone: n, keys: [], state: 'bogus', ttl: 0, ede: EdeCode.DNSSEC_BOGUS, reason: `DS query for ${n.toString()} failed with rcode ${resp.rcode}` }, stop: true, ttl: 0 }
    }
    // A CNAME at the name: no zone cut here.
    if (sets.some((s) => s.type === RRType.CNAME && s.name.equals(n))) return { next: null, stop: false, ttl: this.ttlOf(resp) }
    const d = this.checkDenial(n, RRType.DS, resp, parent, work)
    if (d.state === 'bogus') return { next: { zone: n, keys: [], state: 'bogus', ttl: 0, ede: d.ede ?? EdeCode.DNSSEC_BOGUS, reason: `no DS for ${n.toString()} and no valid proof of that: ${d.reason ?? ''}` }, stop: true, ttl: 0 }
    if (d.state === 'insecure' || d.delegation === true) {
      // RFC 4035 §5.2: a proven unsigned delegation; everything below is Insecure.
      return { next: { zone: n, keys: [], state: 'insecure', ttl: 0, reason: d.reason ?? `${n.toString()} is an unsigned delegation (no DS in ${parent.zone.toString()})` }, stop: true, ttl: this.ttlOf(resp) }
    }
    // Not a zone cut (or NXDOMAIN: nothing below exists); stay in the parent's zone.
    return { next: null, stop: resp.rcode === Rcode.NXDOMAIN, ttl: this.ttlOf(resp) }
  }
}

function typeText(t: number): string {
  for (const [k, v] of Object.entries(RRType)) if (v === t) return k
  return `TYPE${t}`
}
