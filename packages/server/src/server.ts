/**
 * The DNS server agent: zones, listeners (UDP, TCP; DoT and the protected channel feed
 * the same path), transfers out, NOTIFY, UPDATE policy, reload and graceful stop.
 */
import cluster from 'node:cluster'
import { createSocket } from 'node:dgram'
import { createServer, isIP, isIPv6, type Server as NetServer, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import {
  NO_FLAGS, Opcode, edeOption, RRType, Rcode, TcpFrameReader, decodeHeader, decodeMessage, encodeMessage, frameTcp,
  type Header, type Message, type Soa,
} from '@secdns/wire'
import { loadZoneFile, writeZoneFile, Zone } from '@secdns/zone'
import { BatchedUdpSocket, nativeUdpStatus } from '@secdns/udp'
import type { Logger } from 'pino'
import { Acl, type Requester } from './acl.js'
import { checkServerCookie, responseCookie } from './cookie.js'
import { answer, encodeResponse, responseTo, type AnswerContext, type CookiePolicy, type Transport } from './answer.js'
import type { ServerConfig, ZoneConfig } from './config.js'
import { ServerError } from './errors.js'
import type { Recursor } from './recursor.js'
import { ServedZone, ZoneTable } from './served_zone.js'
import { findTsig, signTsig, tsigKey, tsigSize, verifyTsig, withoutTsig, type FoundTsig, type TsigCheck, type TsigKey } from './tsig.js'
import { applyUpdate } from './update.js'
import { SecondaryEngine } from './secondary.js'
import { diffZones, ixfrRecords, recordsWithoutSoa, xfrMessages, MAX_JOURNAL_ENTRIES, type JournalEntry } from './xfr.js'

/** Receive buffer asked for on UDP sockets (octets). */
export const UDP_RECV_BUFFER = 4 * 1024 * 1024

/** Counters reported by status (and the fuzz test). */
export interface ServerCounters {
  received: number
  answered: number
  /** UDP queries answered BADCOOKIE or TC by the COOKIE policy. */
  badCookies: number
  dropped: number
  formerr: number
  refused: number
  errors: number
  transfers: number
  updates: number
  tcpConnections: number
  tcpRejected: number
  tcpTimeouts: number
}

/**
 * The UDP listeners' path and, on the native path, their sockets' counters (all zero on
 * node:dgram): datagrams received and sent, answers waiting in the EAGAIN queue, answers
 * dropped (queue full, too long, or after close), datagrams skipped (truncated or without
 * a usable sender), send and receive errors.
 */
export interface UdpStatus {
  readonly path: 'native' | 'dgram'
  readonly received: number
  readonly sent: number
  readonly queued: number
  readonly dropped: number
  readonly skipped: number
  readonly errors: number
}

/** A socket the server listens on. */
export interface BoundListener {
  readonly kind: 'udp' | 'tcp' | 'dot' | 'channel' | 'admin'
  readonly address: string
  readonly port: number
}

/** Where a message came from. */
export interface Peer {
  readonly address: string
  readonly port: number
  readonly transport: Transport
}

interface ZoneState {
  readonly config: ZoneConfig
  served: ServedZone | undefined
  journal: JournalEntry[]
  lastError?: string
}

/** The result of one zone's reload. */
export interface ReloadResult {
  readonly zone: string
  readonly ok: boolean
  readonly serial?: number
  readonly error?: string
}

/** Options of {@link DnsServer}. */
export interface DnsServerOptions {
  readonly logger?: Logger
  readonly recursor?: Recursor
  /** Seconds since the epoch (tests inject it for TSIG and cookies). */
  readonly now?: () => number
}

/** Extra listeners (DoT, channel, admin) plug in with this. */
export interface ListenerPlugin {
  readonly kind: BoundListener['kind']
  start(server: DnsServer): Promise<BoundListener>
  stop(): Promise<void>
}

const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent } } as unknown as Logger

/**
 * The server.
 *
 * @example
 * const server = new DnsServer(loadConfig('server.json'), { logger: pino() })
 * await server.start()          // binds every listener or none
 * process.on('SIGTERM', () => server.stop().then(() => process.exit(0)))
 */
export class DnsServer {
  /** The validated configuration the server runs with. */
  readonly config: ServerConfig
  /** The zones served now (replaced atomically on reload, transfer and update). */
  readonly zones = new ZoneTable()
  /** Packet and connection counters (status reports them). */
  readonly counters: ServerCounters = {
    received: 0, answered: 0, badCookies: 0, dropped: 0, formerr: 0, refused: 0, errors: 0, transfers: 0, updates: 0,
    tcpConnections: 0, tcpRejected: 0, tcpTimeouts: 0,
  }
  /** The pino logger (silent unless one is given). */
  readonly log: Logger
  readonly #states = new Map<string, ZoneState>()
  readonly #keys = new Map<string, TsigKey>()
  readonly #acl: { query: Acl, recursion: Acl, transfer: Acl, notify: Acl, update: Acl }
  readonly #recursor: Recursor | undefined
  readonly #now: () => number
  readonly #cookieSecret: Uint8Array
  readonly #nsid: Uint8Array | undefined
  readonly #cookiePolicy: CookiePolicy
  /** Encoded answers by transport and query bytes after the ID (see {@link answerCacheKey}). */
  readonly #answers = new Map<string, Uint8Array>()
  #answersGeneration = -1
  /** The zone-table generation the recursor's stored responses were made under. */
  #recursionGeneration = -1
  /**
   * What the ACLs and the COOKIE policy let an address (no TSIG key) do, as MAY_* bits,
   * remembered for the cached paths: they do not change while the server runs, and a check
   * costs more than the rest of those paths. Emptied when it reaches its bound.
   */
  readonly #allowed = new Map<string, number>()
  /** COOKIE options for the warm recursive path, for the second `#cookieMemoAt` ({@link DnsServer.#cookieOption}). */
  readonly #cookieMemo = new Map<string, Uint8Array | null>()
  #cookieMemoAt = -1
  readonly #answersMax: number
  /** Set by {@link DnsServer.#cachedTemplate} for the hit it returns: RA goes on. */
  #hitRa = false
  #refusalSecond = 0
  #refusals = 0
  readonly #udp: { close(): void }[] = []
  /** The native UDP sockets among `#udp` (their counters go into status). */
  readonly #nativeUdp: BatchedUdpSocket[] = []
  readonly #tcp: NetServer[] = []
  readonly #sockets = new Set<Socket>()
  readonly #inflight = new Set<Promise<unknown>>()
  readonly #plugins: ListenerPlugin[] = []
  readonly #bound: BoundListener[] = []
  #secondaries: SecondaryEngine | undefined
  #started = false
  #stopping = false

  /**
   * @param config a validated configuration (see loadConfig)
   * @param opts logger, recursor, clock
   */
  constructor(config: ServerConfig, opts: DnsServerOptions = {}) {
    this.config = config
    this.log = opts.logger ?? silent
    this.#recursor = opts.recursor
    this.#now = opts.now ?? (() => Math.floor(Date.now() / 1000))
    this.#cookieSecret = config.cookieSecret !== undefined ? new Uint8Array(Buffer.from(config.cookieSecret, 'hex')) : new Uint8Array(randomBytes(16))
    this.#nsid = config.nsid !== undefined ? new Uint8Array(Buffer.from(config.nsid, 'utf8')) : undefined
    this.#cookiePolicy = { requireValid: config.cookies.requireValid, allow: new Acl(config.cookies.allow) }
    this.#acl = {
      query: new Acl(config.acl.query), recursion: new Acl(config.acl.recursion), transfer: new Acl(config.acl.transfer),
      notify: new Acl(config.acl.notify), update: new Acl(config.acl.update),
    }
    this.#answersMax = config.limits.answerCacheEntries
    for (const k of config.tsigKeys) this.#keys.set(k.name.toLowerCase().replace(/\.$/, ''), tsigKey(k.name, k.secret))
  }

  /** The sockets bound (ports resolved when the configuration said 0). */
  get listeners(): readonly BoundListener[] { return this.#bound }
  /** The recursor names outside our zones go to (undefined: no recursion). */
  get recursor(): Recursor | undefined { return this.#recursor }

  /** Add a listener (DoT, channel, admin) started and stopped with the server. */
  use(plugin: ListenerPlugin): void { this.#plugins.push(plugin) }

  /** The TSIG keys by lowercase name. */
  get tsigKeys(): ReadonlyMap<string, TsigKey> { return this.#keys }

  /**
   * Load the zones, then bind every listener. Either all listeners are bound or none:
   * on any failure everything opened so far is closed and the error thrown.
   * @throws {ServerError} ERR_SERVER_ZONE_LOAD, ERR_SERVER_BIND
   */
  async start(): Promise<void> {
    if (this.#started) return
    for (const zc of this.config.zones) {
      const state: ZoneState = { config: zc, served: undefined, journal: [] }
      this.#states.set(zoneKey(zc.name), state)
      if (zc.type === 'primary') {
        state.served = this.#load(zc)
      } else if (existsSync(zc.file)) {
        // A secondary kept on disk is served at once after a restart.
        try { state.served = this.#load(zc) } catch (e) { state.lastError = (e as Error).message }
      }
      if (state.served) this.zones.set(state.served)
    }
    try {
      for (const l of this.config.listeners.udp) await this.#bindUdp(l.address, l.port)
      for (const l of this.config.listeners.tcp) await this.#bindTcp(l.address, l.port)
      for (const p of this.#plugins) this.#bound.push(await p.start(this))
    } catch (e) {
      await this.#closeAll()
      throw e instanceof ServerError ? e : new ServerError('ERR_SERVER_BIND', `cannot start a listener: ${(e as Error).message}`, { cause: e })
    }
    this.#started = true
    const secondaries = this.config.zones.filter((z): z is Extract<ZoneConfig, { type: 'secondary' }> => z.type === 'secondary')
    if (secondaries.length > 0) {
      const engine = new SecondaryEngine(this, secondaries)
      this.#secondaries = engine
      this.emitNotify = (zone) => { void engine.refreshNow(zone).catch(() => {}) }
      engine.start()
    }
    this.log.info({ listeners: this.#bound, zones: this.zones.all().map((z) => ({ zone: z.origin.toString(), serial: z.serial, signed: z.signed })) }, 'server started')
  }

  #load(zc: ZoneConfig): ServedZone {
    let r
    try {
      r = loadZoneFile(zc.file, { origin: zc.name })
    } catch (e) {
      throw new ServerError('ERR_SERVER_ZONE_LOAD', `zone ${zc.name}: ${(e as Error).message}`, { cause: e })
    }
    if (r.errors.length > 0) {
      const shown = r.errors.slice(0, 5).map((e) => e.message).join('\n')
      throw new ServerError('ERR_SERVER_ZONE_LOAD', `zone ${zc.name}: ${r.errors.length} error(s):\n${shown}`)
    }
    return new ServedZone(r.zone)
  }

  /** Whether UDP listeners use the batched native socket (see {@link udpPath}). */
  get udpPath(): 'native' | 'dgram' { return udpPath() }

  async #bindUdp(address: string, port: number): Promise<void> {
    if (udpPath() === 'native') { this.#bindUdpNative(address, port); return }
    // Answers go back to the address a query came from, always an IP address: no resolver
    // call and no extra tick per answer (dns.lookup's default path).
    const sock = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false, lookup: literalLookup })
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.bind(port, address, () => { sock.off('error', reject); resolve() })
    }).catch((e: unknown) => {
      sock.close()
      throw new ServerError('ERR_SERVER_BIND', `UDP ${address}:${port}: ${(e as Error).message}`, { cause: e })
    })
    // A burst of queries waits in the kernel rather than being dropped while a reload or a
    // transfer holds the event loop; the kernel caps this at net.core.rmem_max.
    try { sock.setRecvBufferSize(UDP_RECV_BUFFER) } catch { /* the default size then */ }
    this.#udp.push(sock)
    const a = sock.address()
    this.#bound.push({ kind: 'udp', address: a.address, port: a.port })
    sock.on('error', (e) => { this.counters.errors++; this.log.warn({ err: e.message }, 'UDP socket error') })
    sock.on('message', (msg, rinfo) => {
      // A repeated query is answered from the cache, or a warm recursive one from the
      // recursor's stored responses, without leaving this handler.
      const hit = this.#cached(msg, 'u', rinfo.address) ?? this.#recursionCached(msg, rinfo.address, 'udp')
      if (hit !== undefined) {
        if (!this.#stopping) sock.send(hit, rinfo.port, rinfo.address)
        return
      }
      // STYLE.md §4: one bad packet never takes the server down.
      const p = this.handle(msg, { address: rinfo.address, port: rinfo.port, transport: 'udp' }).then((out) => {
        if (out === null || this.#stopping) return
        for (const b of out) sock.send(b, rinfo.port, rinfo.address)
      }).catch((e: unknown) => { this.counters.errors++; this.log.error({ err: (e as Error).message }, 'UDP handler failed') })
      void p
    })
  }

  /**
   * The UDP listener on the native batched socket (@secdns/udp): recvmmsg hands a batch of
   * queries to one call, the cached paths answer into the shared out buffer, and the batch's
   * answers leave in one sendmmsg. Cluster workers each bind their own socket on the port
   * (SO_REUSEPORT) and the kernel spreads the queries between them.
   */
  #bindUdpNative(address: string, port: number): void {
    let sock: BatchedUdpSocket
    try {
      sock = BatchedUdpSocket.open({ address, port, reusePort: cluster.isWorker, recvBufferSize: UDP_RECV_BUFFER }, (msg, i, s) => {
        const from = s.addressOf(i)
        // A cached answer is copied straight into the out buffer and patched there.
        const tpl = this.#cachedTemplate(msg, 'u', from)
        if (tpl !== undefined) {
          const at = this.#stopping ? -1 : s.reserve(tpl.length)
          if (at < 0) return
          const out = s.outBuffer
          out.set(tpl, at)
          this.#patchCached(out, at, msg)
          s.commitReply(i, tpl.length)
          return
        }
        const hit = this.#recursionCached(msg, from, 'udp')
        if (hit !== undefined) {
          if (!this.#stopping) s.reply(i, hit)
          return
        }
        // The message is a view of the shared receive buffer, which the next batch overwrites.
        const query = Uint8Array.prototype.slice.call(msg)
        const peer = s.peerOf(i)
        // STYLE.md §4: one bad packet never takes the server down.
        this.handle(query, { address: from, port: peer.port, transport: 'udp' }).then((out) => {
          if (out === null || this.#stopping) return
          for (const b of out) s.sendTo(b, peer)
        }).catch((e: unknown) => { this.counters.errors++; this.log.error({ err: (e as Error).message }, 'UDP handler failed') })
      })
    } catch (e) {
      throw new ServerError('ERR_SERVER_BIND', `UDP ${address}:${port}: ${(e as Error).message}`, { cause: e })
    }
    this.#udp.push(sock)
    this.#nativeUdp.push(sock)
    this.#bound.push({ kind: 'udp', address: sock.address, port: sock.port })
  }

  async #bindTcp(address: string, port: number): Promise<void> {
    const srv = createServer((sock) => this.serveStream(sock, 'tcp'))
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject)
      srv.listen({ port, host: address, exclusive: false }, () => { srv.off('error', reject); resolve() })
    }).catch((e: unknown) => {
      srv.close()
      throw new ServerError('ERR_SERVER_BIND', `TCP ${address}:${port}: ${(e as Error).message}`, { cause: e })
    })
    this.#tcp.push(srv)
    const a = srv.address()
    if (a !== null && typeof a === 'object') this.#bound.push({ kind: 'tcp', address: a.address, port: a.port })
  }

  /**
   * Serve DNS over a stream (TCP, TLS): two-octet framing (RFC 1035 §4.2.2), idle and
   * read timeouts (RFC 7766 §6.2.3), the connection limit and a per-connection query cap.
   * @param sock an accepted connection
   * @param transport how it came in
   */
  serveStream(sock: Socket, transport: Transport): void {
    const limits = this.config.limits
    if (this.#stopping || this.#sockets.size >= limits.tcpConnections) {
      this.counters.tcpRejected++
      sock.destroy()
      return
    }
    this.#sockets.add(sock)
    this.counters.tcpConnections++
    const peer: Peer = { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0, transport }
    const frames = new TcpFrameReader()
    let queries = 0
    let readTimer: NodeJS.Timeout | undefined
    let chain: Promise<void> = Promise.resolve()
    let corked = false
    const drop = (why: string): void => {
      this.log.debug({ peer: peer.address, why }, 'closing stream')
      sock.destroy()
    }
    sock.setNoDelay(true)
    sock.setTimeout(limits.tcpIdleMs, () => { this.counters.tcpTimeouts++; drop('idle') })
    sock.on('error', () => { /* resets are normal; the close handler cleans up */ })
    sock.on('close', () => {
      this.#sockets.delete(sock)
      if (readTimer) clearTimeout(readTimer)
    })
    sock.on('data', (chunk: Buffer) => {
      let msgs: Uint8Array[]
      try {
        msgs = frames.push(chunk)
      } catch {
        this.counters.dropped++
        drop('bad frame')
        return
      }
      // A query that arrives slower than the read timeout is cut off (slowloris).
      if (frames.pending > 0 && readTimer === undefined) {
        readTimer = setTimeout(() => { this.counters.tcpTimeouts++; drop('slow read') }, limits.tcpReadMs)
      } else if (frames.pending === 0 && readTimer !== undefined) {
        clearTimeout(readTimer)
        readTimer = undefined
      }
      // The answers to one read go out in as few writes as possible (RFC 7766 §6.2.1.1
      // pipelining); cached answers go at once, possibly before earlier uncached ones.
      if (msgs.length > 1 && !corked) {
        corked = true
        sock.cork()
        setImmediate(() => { corked = false; if (!sock.destroyed) sock.uncork() })
      }
      for (const m of msgs) {
        if (++queries > limits.tcpQueriesPerConnection) { drop('query limit'); return }
        const hit = this.#cached(m, 's', peer.address)
        if (hit !== undefined) { if (!sock.destroyed) sock.write(frameTcp(hit)); continue }
        // Tracked until the last byte is handed to the socket, so a graceful stop lets
        // transfers in flight finish.
        chain = this.#track(chain.then(async () => {
          const out = await this.handle(m, peer)
          if (out === null || sock.destroyed) return
          for (const b of out) {
            if (sock.destroyed) return
            if (!sock.write(frameTcp(b))) await new Promise<void>((r) => { sock.once('drain', () => r()); sock.once('close', () => r()) })
          }
        }).catch((e: unknown) => { this.counters.errors++; this.log.error({ err: (e as Error).message }, 'stream handler failed') }))
      }
    })
  }

  /**
   * Handle one message from any listener, in the order STYLE.md §4 gives: header
   * (drop when short or QR=1), whole message (FORMERR), TSIG, access, then the opcode.
   * @param buf the message
   * @param peer where it came from
   * @returns encoded responses (several for a transfer), or null to send nothing
   */
  async handle(buf: Uint8Array, peer: Peer): Promise<Uint8Array[] | null> {
    const kind = peer.transport === 'udp' ? 'u' : 's'
    const hit = this.#cached(buf, kind, peer.address) ?? this.#recursionCached(buf, peer.address, peer.transport)
    if (hit !== undefined) return [hit]
    const meta: QueryMeta = { cacheable: false }
    const out = await this.#handle(buf, peer, meta)
    if (out !== null && out.length === 1) {
      if (meta.cacheable) this.#remember(buf, kind, out[0]!)
      else if (meta.reuse !== undefined && meta.reuse.generation === this.zones.generation) this.#recursor?.storeResponse?.(buf, out[0]!, meta.reuse.expires)
    }
    return out
  }

  /**
   * A warm recursive answer from the recursor's stored responses, for a plain query
   * (see {@link recursionFastPath}; a COOKIE is checked and ours added as the full path
   * would) from a client the query and recursion ACLs allow and
   * the COOKIE policy does not stop; undefined sends it down the full path.
   */
  #recursionCached(buf: Uint8Array, address: string, transport: Transport): Uint8Array | undefined {
    const rec = this.#recursor
    if (rec?.respondCached === undefined) return undefined
    const shape = recursionFastPath(buf)
    if (shape === NOT_PLAIN) return undefined
    if (this.#recursionGeneration !== this.zones.generation) {
      // A zone added (or removed) since: names it now covers must not get recursive answers.
      rec.clearResponses?.()
      this.#recursionGeneration = this.zones.generation
      return undefined
    }
    // A plain query has no TSIG, so the address alone is who asks.
    const may = this.#may(address)
    if ((may & MAY_QUERY) === 0 || (may & MAY_RECURSE) === 0) return undefined
    let option: Uint8Array | undefined
    if (shape === PLAIN) {
      // RFC 7873 §5.2.1: without a COOKIE such a client gets TC over UDP (the full path says so).
      if (transport === 'udp' && (may & MAY_SKIP_COOKIE) === 0) return undefined
    } else {
      const hasServer = buf.length > shape + 12
      // RFC 7873 §5.2.3: a client cookie alone gets BADCOOKIE by policy, from the full path.
      if (!hasServer && transport === 'udp' && (may & MAY_SKIP_COOKIE) === 0) return undefined
      const found = this.#cookieOption(buf, shape, address)
      // RFC 7873 §5.2.4: a server cookie we did not make for this address, or a stale one:
      // BADCOOKIE or a normal answer, as the full path decides.
      if (found === null) return undefined
      option = found
    }
    const out = rec.respondCached(buf, transport !== 'udp', this.config.limits.udpPayload, option)
    if (out === null) return undefined
    this.counters.received++
    this.counters.answered++
    return out
  }

  /**
   * The cached answer to this query with its ID, counted; undefined when not cached or
   * when this client must take the full path (the query ACL refuses it, or the COOKIE
   * policy wants a cookie from it).
   */
  #cached(buf: Uint8Array, kind: string, address: string): Uint8Array | undefined {
    const tpl = this.#cachedTemplate(buf, kind, address)
    if (tpl === undefined) return undefined
    const out = Buffer.allocUnsafe(tpl.length)
    out.set(tpl)
    this.#patchCached(out, 0, buf)
    return out
  }

  /**
   * {@link DnsServer.#cached} without the copy: the stored answer (to be patched by
   * {@link DnsServer.#patchCached} once copied), counted; `#hitRa` says whether RA goes on.
   */
  #cachedTemplate(buf: Uint8Array, kind: string, address: string): Uint8Array | undefined {
    if (this.#answersMax === 0 || this.#answers.size === 0) return undefined
    if (this.#answersGeneration !== this.zones.generation) { this.#answers.clear(); return undefined }
    const key = answerCacheKey(buf, kind)
    if (key === undefined) return undefined
    const tpl = this.#answers.get(key)
    if (tpl === undefined) return undefined
    // A cached query has no TSIG, so the address alone is who asks.
    const may = this.#may(address)
    if ((may & MAY_QUERY) === 0) return undefined
    if (kind === 'u' && (may & MAY_SKIP_COOKIE) === 0) return undefined
    this.counters.received++
    this.counters.answered++
    // RA is the one bit of an authoritative answer that depends on who asks (the recursion ACL).
    this.#hitRa = this.#recursor !== undefined && (may & MAY_RECURSE) !== 0
    return tpl
  }

  /** Give a copied cached answer at `at` in `out` the query's ID and this client's RA bit. */
  #patchCached(out: Uint8Array, at: number, query: Uint8Array): void {
    out[at] = query[0]!
    out[at + 1] = query[1]!
    if (this.#hitRa) out[at + 3]! |= 0x80
    else out[at + 3]! &= 0x7f
  }

  /** The MAY_* bits of an address without a TSIG key (remembered, see `#allowed`). */
  #may(address: string): number {
    let may = this.#allowed.get(address)
    if (may === undefined) {
      const who: Requester = { address }
      may = (this.#acl.query.isAny || this.#acl.query.allows(who) ? MAY_QUERY : 0) |
        (this.#acl.recursion.allows(who) ? MAY_RECURSE : 0) |
        (!this.#cookiePolicy.requireValid || this.#cookiePolicy.allow.allows(who) ? MAY_SKIP_COOKIE : 0)
      if (this.#allowed.size >= MAY_MEMO_MAX) this.#allowed.clear()
      this.#allowed.set(address, may)
    }
    return may
  }

  /**
   * The COOKIE option the full path would send for this query's COOKIE (at `at`), encoded;
   * null when it brings a server cookie that does not check. Both depend only on the
   * cookies, the address and the second, so they are remembered for the current second.
   */
  #cookieOption(buf: Uint8Array, at: number, address: string): Uint8Array | null {
    const now = this.#now()
    if (now !== this.#cookieMemoAt) { this.#cookieMemo.clear(); this.#cookieMemoAt = now }
    const key = address + '|' + Buffer.from(buf.buffer, buf.byteOffset + at + 4, buf.length - at - 4).toString('latin1')
    const memo = this.#cookieMemo.get(key)
    if (memo !== undefined) return memo
    const client = buf.subarray(at + 4, at + 12)
    const server = buf.length > at + 12 ? buf.subarray(at + 12) : undefined
    let option: Uint8Array | null = null
    if (server === undefined || checkServerCookie(this.#cookieSecret, client, server, address, now)) {
      const o = responseCookie(this.#cookieSecret, client, server, address, now)
      option = new Uint8Array(4 + o.data.length)
      option[1] = o.code
      option[3] = o.data.length
      option.set(o.data, 4)
    }
    if (this.#cookieMemo.size >= MAY_MEMO_MAX) this.#cookieMemo.clear()
    this.#cookieMemo.set(key, option)
    return option
  }

  #remember(buf: Uint8Array, kind: string, response: Uint8Array): void {
    if (this.#answersMax === 0 || response.length < 12) return
    // Only plain answers: NOERROR or NXDOMAIN (FORMERR, REFUSED, SERVFAIL keep their counters).
    const rcode = response[3]! & 0x0f
    if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) return
    const key = answerCacheKey(buf, kind)
    if (key === undefined) return
    if (this.#answersGeneration !== this.zones.generation) {
      this.#answers.clear()
      this.#answersGeneration = this.zones.generation
    }
    // First in, first out: the oldest entry makes room.
    if (this.#answers.size >= this.#answersMax) this.#answers.delete(this.#answers.keys().next().value!)
    this.#answers.set(key, Uint8Array.from(response))
  }

  async #handle(buf: Uint8Array, peer: Peer, meta: QueryMeta): Promise<Uint8Array[] | null> {
    this.counters.received++
    let h: Header
    try {
      h = decodeHeader(buf)
    } catch {
      this.counters.dropped++
      return null
    }
    // RFC 1035 §4.1.1 / hickory: a response is never answered (reflection loops, DoS).
    if (h.flags.qr) { this.counters.dropped++; return null }
    let q: Message
    try {
      q = decodeMessage(buf)
    } catch {
      // RFC 1035 §4.1.1: FORMERR, same ID; RFC 6891 §7: no OPT since we could not read theirs.
      this.counters.formerr++
      return [encodeMessage({ id: h.id, flags: { ...NO_FLAGS, qr: true, rd: h.flags.rd }, opcode: h.opcode, rcode: Rcode.FORMERR, question: [], answer: [], authority: [], additional: [] })]
    }
    let found: FoundTsig | null
    try {
      found = findTsig(buf)
    } catch {
      this.counters.formerr++
      return [encodeMessage(responseTo(q, this.#ctx(peer, undefined), Rcode.FORMERR))]
    }
    let check: TsigCheck | undefined
    if (found !== null) {
      check = verifyTsig(buf, found, this.#keys, this.#now())
      q = withoutTsig(q)
      if (!check.ok) {
        this.log.warn({ peer: peer.address, key: found.record.keyName.toString(), reason: check.reason }, 'TSIG check failed')
        return [this.#tsigError(q, peer, found, check)]
      }
    }
    const requester: Requester = check?.ok ? { address: peer.address, keyName: keyNameOf(check.key) } : { address: peer.address }
    try {
      switch (q.opcode) {
        case Opcode.QUERY: {
          const qt = q.question[0]?.type
          if ((qt === RRType.AXFR || qt === RRType.IXFR) && peer.transport !== 'udp' && q.question.length === 1) {
            return await this.#track(this.#transfer(q, requester, peer, check))
          }
          // Only unsigned queries may be answered again from the cache (a TSIG response is signed for one request).
          meta.cacheable = found === null
          const r = await this.#query(q, requester, peer, check, meta)
          return r === null ? null : [r]
        }
        case Opcode.NOTIFY:
          return [this.#sign(this.#notify(q, requester, peer), check, peer)]
        case Opcode.UPDATE:
          return [this.#sign(await this.#update(q, requester, peer, check), check, peer)]
        default:
          // RFC 1035 §4.1.1: an opcode we do not implement.
          return [this.#sign(responseTo(q, this.#ctx(peer, requester), Rcode.NOTIMP), check, peer)]
      }
    } catch (e) {
      this.counters.errors++
      this.log.error({ err: (e as Error).message, peer: peer.address }, 'query failed')
      return [encodeMessage(responseTo(q, this.#ctx(peer, requester), Rcode.SERVFAIL))]
    }
  }

  #ctx(peer: Peer, requester: Requester | undefined): AnswerContext {
    return {
      zones: this.zones, requester: requester ?? { address: peer.address }, transport: peer.transport, queryAcl: this.#acl.query,
      nsid: this.#nsid, udpPayload: this.config.limits.udpPayload, cookieSecret: this.#cookieSecret, now: this.#now(),
      recursionAvailable: this.#recursor !== undefined && requester !== undefined && this.#acl.recursion.allows(requester),
      cookiePolicy: this.#cookiePolicy, authenticated: requester?.keyName !== undefined,
    }
  }

  /** Largest response for this query over this transport (RFC 6891 §6.2.5, RFC 1035 §4.2.1). */
  #maxSize(q: Message, peer: Peer): number {
    if (peer.transport !== 'udp') return 65535
    if (q.edns === undefined) return 512
    return Math.max(512, Math.min(q.edns.udpSize, this.config.limits.udpPayload))
  }

  #sign(m: Message, check: TsigCheck | undefined, peer: Peer, q?: Message, requiredAdditional = 0): Uint8Array {
    const max = this.#maxSize(q ?? m, peer)
    if (m.rcode === Rcode.REFUSED) this.counters.refused++
    this.counters.answered++
    if (check === undefined || !check.ok) return encodeResponse(m, max, requiredAdditional)
    // RFC 8945 §5.3: a signed request gets a signed response.
    const bytes = encodeResponse(m, max - tsigSize(check.key), requiredAdditional)
    return signTsig(bytes, check.key, { now: this.#now(), priorMac: check.record.mac }).bytes
  }

  #tsigError(q: Message, peer: Peer, found: FoundTsig, check: Extract<TsigCheck, { ok: false }>): Uint8Array {
    // RFC 8945 §5.2: NOTAUTH with the TSIG error; BADKEY/BADSIG responses are unsigned.
    const m = responseTo(q, this.#ctx(peer, undefined), Rcode.NOTAUTH)
    m.question = q.question.slice(0, 1)
    const bytes = encodeMessage(m)
    const key: TsigKey = check.key ?? { name: found.record.keyName, algorithm: found.record.algorithm, secret: new Uint8Array(0) }
    const now = this.#now()
    if (check.error === Rcode.BADTIME && check.key !== undefined) {
      const other = new Uint8Array(6)
      new DataView(other.buffer).setUint16(0, Math.floor(now / 2 ** 32))
      new DataView(other.buffer).setUint32(2, now >>> 0)
      return signTsig(bytes, key, { now: found.record.timeSigned, priorMac: found.record.mac, error: check.error, otherData: other }).bytes
    }
    return signTsig(bytes, key, { now: found.record.timeSigned, error: check.error, unsigned: true }).bytes
  }

  async #query(q: Message, requester: Requester, peer: Peer, check: TsigCheck | undefined, meta?: QueryMeta): Promise<Uint8Array | null> {
    const ctx = this.#ctx(peer, requester)
    const { response, info } = answer(q, ctx)
    // Only answers from our zones are cached: not the COOKIE policy's, not the recursor's.
    if (meta !== undefined && (info.cookieRefused === true || info.zone === undefined)) meta.cacheable = false
    if (info.cookieRefused === true) {
      // RFC 7873 §5.2.3: past the configured rate, discard silently instead of answering.
      if (!this.#refusalAllowed()) { this.counters.dropped++; return null }
      this.counters.badCookies++
    }
    if (info.noZone && q.flags.rd && this.#recursor !== undefined && this.#acl.recursion.allows(requester) && q.question.length === 1) {
      const generation = this.zones.generation
      const r = await this.#recursor.resolve(q.question[0]!, { dnssecOk: q.edns?.dnssecOk === true, checkingDisabled: q.flags.cd })
      const m = responseTo(q, ctx, r.rcode)
      m.flags.ra = true
      m.flags.ad = r.authenticated && (q.flags.ad || q.edns?.dnssecOk === true)
      m.answer = [...r.answer]
      m.authority = [...r.authority]
      m.additional = [...r.additional]
      // RFC 8914: say why an answer failed (Bogus, …) when the client speaks EDNS.
      if (r.ede !== undefined && m.edns !== undefined) m.edns.options.push(edeOption(r.ede.infoCode, (r.ede.text ?? '').slice(0, 200)))
      // Stored for the recursor only when nothing in it is particular to this request: no
      // TSIG, no EDNS option (a COOKIE is added to the stored bytes per query), CD clear
      // (the key checks the rest).
      if (meta !== undefined && r.expires !== undefined && check === undefined && !q.flags.cd && (q.edns?.options.length ?? 0) === 0) {
        meta.reuse = { expires: r.expires, generation }
      }
      return this.#sign(m, check, peer, q)
    }
    return this.#sign(response, check, peer, q, info.requiredAdditional)
  }

  /** One more BADCOOKIE/TC answer within `cookies.maxRefusalsPerSecond` (a window per whole second). */
  #refusalAllowed(): boolean {
    const max = this.config.cookies.maxRefusalsPerSecond
    if (max === 0) return true
    const second = Math.floor(Date.now() / 1000)
    if (second !== this.#refusalSecond) { this.#refusalSecond = second; this.#refusals = 0 }
    return ++this.#refusals <= max
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inflight.add(p)
    void p.finally(() => this.#inflight.delete(p)).catch(() => {})
    return p
  }

  async #transfer(q: Message, requester: Requester, peer: Peer, check: TsigCheck | undefined): Promise<Uint8Array[]> {
    const question = q.question[0]!
    const zone = this.zones.get(question.name)
    const ctx = this.#ctx(peer, requester)
    // RFC 5936 §2.2.1: only for the apex of a zone we serve.
    if (zone === undefined) return [this.#sign(responseTo(q, ctx, Rcode.NOTAUTH), check, peer)]
    if (!this.#acl.transfer.allows(requester)) {
      this.log.info({ peer: peer.address, zone: zone.origin.toString(), key: requester.keyName }, 'transfer refused by ACL')
      return [this.#sign(responseTo(q, ctx, Rcode.REFUSED), check, peer)]
    }
    const soa = zone.zone.soa!
    let records: ReturnType<typeof recordsWithoutSoa> | undefined
    if (question.type === RRType.IXFR) {
      const clientSoa = q.authority.find((r) => r.data.type === RRType.SOA)
      const state = this.#states.get(zoneKey(zone.origin.toString()))
      if (clientSoa !== undefined && state !== undefined && !(clientSoa.data as { data?: unknown }).data) {
        records = ixfrRecords(zone.zone, state.journal, (clientSoa.data as Soa).serial)
      }
    }
    // RFC 1995 §4: when the differences are unknown, the whole zone in AXFR form.
    records ??= [soa, ...recordsWithoutSoa(zone.zone), soa]
    this.counters.transfers++
    this.log.info({ peer: peer.address, zone: zone.origin.toString(), type: question.type === RRType.IXFR ? 'IXFR' : 'AXFR', records: records.length, key: requester.keyName }, 'transfer out')
    const out: Uint8Array[] = []
    const key = check?.ok ? check.key : undefined
    let prior = check?.ok ? check.record.mac : undefined
    let first = true
    for (const msg of xfrMessages(q, records, key ? tsigSize(key) : 0)) {
      if (key === undefined) { out.push(msg); continue }
      // RFC 8945 §5.3.1: each message chains on the previous MAC; later ones cover the timers only.
      const s = signTsig(msg, key, { now: this.#now(), priorMac: prior, timersOnly: !first })
      out.push(s.bytes)
      prior = s.mac
      first = false
    }
    this.counters.answered += out.length
    return out
  }

  #notify(q: Message, requester: Requester, peer: Peer): Message {
    const ctx = this.#ctx(peer, requester)
    const question = q.question[0]
    const r = responseTo(q, ctx, Rcode.NOERROR)
    r.flags.aa = true
    if (question === undefined || question.type !== RRType.SOA) { r.rcode = Rcode.FORMERR; return r }
    const state = this.#states.get(zoneKey(question.name.toString()))
    // RFC 1996 §3.10: NOTIFY for a zone we are not a secondary of is NOTAUTH.
    if (state === undefined || state.config.type !== 'secondary') { r.rcode = Rcode.NOTAUTH; return r }
    if (!this.#acl.notify.allows(requester)) { r.rcode = Rcode.REFUSED; return r }
    this.log.info({ zone: question.name.toString(), peer: peer.address }, 'NOTIFY received')
    this.emitNotify?.(state.config.name)
    return r
  }

  /** Called when a NOTIFY for a secondary zone is accepted (the secondary engine hooks it). */
  emitNotify?: (zone: string) => void

  async #update(q: Message, requester: Requester, peer: Peer, check: TsigCheck | undefined): Promise<Message> {
    const ctx = this.#ctx(peer, requester)
    const r = responseTo(q, ctx, Rcode.NOERROR)
    this.counters.updates++
    const zq = q.question[0]
    // RFC 2136 §3.1.1: exactly one zone, of type SOA.
    if (q.question.length !== 1 || zq!.type !== RRType.SOA) { r.rcode = Rcode.FORMERR; return r }
    const state = this.#states.get(zoneKey(zq!.name.toString()))
    const served = this.zones.get(zq!.name)
    // RFC 2136 §3.1.2: not a zone we are primary for.
    if (state === undefined || served === undefined) { r.rcode = Rcode.NOTAUTH; return r }
    if (served.signed) {
      this.log.warn({ zone: served.origin.toString(), peer: peer.address, key: requester.keyName }, 'UPDATE refused: the zone is signed; signed zones are changed only by re-signing offline')
      r.rcode = Rcode.REFUSED
      return r
    }
    if (state.config.type !== 'primary') { r.rcode = Rcode.NOTAUTH; return r }
    if (check === undefined || !check.ok || !this.#acl.update.allows(requester)) {
      this.log.warn({ zone: served.origin.toString(), peer: peer.address, key: requester.keyName, signed: check !== undefined }, 'UPDATE refused: a valid TSIG key allowed by the update ACL is required')
      r.rcode = Rcode.REFUSED
      return r
    }
    const outcome = applyUpdate(served.zone, q)
    if (outcome.rcode !== 0 || !('zone' in outcome)) {
      this.log.info({ zone: served.origin.toString(), rcode: outcome.rcode, reason: (outcome as { reason: string }).reason }, 'UPDATE not applied')
      r.rcode = outcome.rcode
      return r
    }
    if (outcome.changed) {
      // Written first (temp file + rename), served second: a crash never loses an acknowledged update.
      writeZoneFile(outcome.zone, state.config.file)
      this.#replace(state, new ServedZone(outcome.zone))
      this.log.info({ zone: served.origin.toString(), serial: outcome.zone.soa?.data.serial, key: requester.keyName }, 'UPDATE applied')
    }
    return r
  }

  #replace(state: ZoneState, next: ServedZone): void {
    const prev = state.served
    if (prev !== undefined) {
      const d = diffZones(prev.zone, next.zone)
      if (d !== undefined) {
        state.journal.push(d)
        if (state.journal.length > MAX_JOURNAL_ENTRIES) state.journal.shift()
      } else if (prev.serial !== next.serial) state.journal = []
    }
    state.served = next
    this.zones.set(next)
  }

  /**
   * Reload primary zones from their files. A file with errors leaves the old zone
   * served and reports the error. Secondaries listed in `notify` are sent NOTIFY.
   * @param name one zone, or every zone when omitted
   * @throws {ServerError} ERR_SERVER_UNKNOWN_ZONE
   */
  reload(name?: string): ReloadResult[] {
    const states = name === undefined ? [...this.#states.values()] : [this.#states.get(zoneKey(name))]
    if (states[0] === undefined) throw new ServerError('ERR_SERVER_UNKNOWN_ZONE', `zone ${name} is not served here`)
    const out: ReloadResult[] = []
    for (const st of states as ZoneState[]) {
      if (st.config.type !== 'primary') { out.push({ zone: st.config.name, ok: true, serial: st.served?.serial }); continue }
      try {
        const next = this.#load(st.config)
        const changed = st.served === undefined || st.served.serial !== next.serial
        this.#replace(st, next)
        st.lastError = undefined
        out.push({ zone: st.config.name, ok: true, serial: next.serial })
        this.log.info({ zone: st.config.name, serial: next.serial }, 'zone reloaded')
        if (changed) this.#sendNotify(st)
      } catch (e) {
        st.lastError = (e as Error).message
        this.log.error({ zone: st.config.name, err: st.lastError }, 'reload failed; the old zone is still served')
        out.push({ zone: st.config.name, ok: false, serial: st.served?.serial, error: st.lastError })
      }
    }
    return out
  }

  #sendNotify(st: ZoneState): void {
    if (st.config.type !== 'primary' || st.config.notify.length === 0 || st.served === undefined) return
    const soa = st.served.zone.soa!
    const m: Message = {
      id: randomBytes(2).readUInt16BE(0), flags: { ...NO_FLAGS, aa: true }, opcode: Opcode.NOTIFY, rcode: 0,
      question: [{ name: st.served.origin, type: RRType.SOA, class: 1 }], answer: [soa], authority: [], additional: [],
    }
    const bytes = encodeMessage(m)
    for (const target of st.config.notify) {
      const { host, port } = splitHostPort(target, 53)
      const s = createSocket(isIPv6(host) ? 'udp6' : 'udp4')
      s.on('error', () => s.close())
      s.send(bytes, port, host, () => s.close())
    }
  }

  /**
   * Replace a secondary zone's data after a transfer: checked, written to its file, served.
   * @param name the zone
   * @param zone the transferred zone
   * @throws {ServerError} ERR_SERVER_UNKNOWN_ZONE, ERR_SERVER_ZONE_LOAD
   */
  installSecondary(name: string, zone: Zone): void {
    const st = this.#states.get(zoneKey(name))
    if (st === undefined || st.config.type !== 'secondary') throw new ServerError('ERR_SERVER_UNKNOWN_ZONE', `zone ${name} is not a secondary here`)
    writeZoneFile(zone, st.config.file)
    this.#replace(st, new ServedZone(zone))
  }

  /**
   * Stop serving a secondary zone whose data expired (RFC 1034 §4.3.5).
   * @param name the zone
   */
  expireSecondary(name: string): void {
    const st = this.#states.get(zoneKey(name))
    if (st === undefined || st.served === undefined) return
    this.zones.delete(st.served.origin)
    st.served = undefined
    st.lastError = 'expired'
  }

  /**
   * Refresh a secondary zone now: SOA query to its primaries, then IXFR or AXFR when the
   * primary's serial is newer (the admin API's `POST /refresh/<zone>`).
   * @param name the zone
   * @returns the serial served afterwards, or the error of every primary tried
   * @throws {ServerError} ERR_SERVER_UNKNOWN_ZONE
   */
  async refreshSecondary(name: string): Promise<ReloadResult> {
    const st = this.#states.get(zoneKey(name))
    if (this.#secondaries === undefined || st === undefined || st.config.type !== 'secondary') {
      throw new ServerError('ERR_SERVER_UNKNOWN_ZONE', `zone ${name} is not a secondary here`)
    }
    await this.#secondaries.refreshNow(name)
    const error = this.#secondaries.errors()[st.config.name]
    const serial = st.served?.serial
    return error === undefined ? { zone: st.config.name, ok: true, serial } : { zone: st.config.name, ok: false, serial, error }
  }

  /** What status reports: zones with serials and errors, listeners, counters, the UDP path. */
  status(): { zones: { name: string, type: string, serial?: number, signed?: boolean, loadedAt?: string, error?: string }[], listeners: readonly BoundListener[], counters: ServerCounters, udp: UdpStatus } {
    const udp = { path: udpPath(), received: 0, sent: 0, queued: 0, dropped: 0, skipped: 0, errors: 0 }
    for (const sock of this.#nativeUdp) {
      if (sock.closed) continue
      const st = sock.stats()
      udp.received += st.received
      udp.sent += st.sent
      udp.queued += st.queued
      udp.dropped += st.dropped + sock.refused
      udp.skipped += sock.skipped
      udp.errors += st.errors + sock.handlerErrors
    }
    return {
      udp,
      zones: [...this.#states.values()].map((s) => ({
        name: s.config.name, type: s.config.type, serial: s.served?.serial, signed: s.served?.signed,
        loadedAt: s.served ? new Date(s.served.loadedAt).toISOString() : undefined,
        error: s.lastError ?? this.#secondaries?.errors()[s.config.name],
      })),
      listeners: this.#bound,
      counters: { ...this.counters },
    }
  }

  /**
   * Graceful stop: stop accepting, let transfers in flight finish (up to `graceMs`),
   * close every connection.
   * @param graceMs how long to wait for transfers in flight
   */
  async stop(graceMs = 10000): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    for (const s of this.#tcp) s.close()
    await this.#secondaries?.stop()
    if (this.#inflight.size > 0) {
      await Promise.race([Promise.allSettled([...this.#inflight]), new Promise((r) => setTimeout(r, graceMs).unref())])
    }
    await this.#closeAll()
    this.log.info({ counters: this.counters }, 'server stopped')
  }

  async #closeAll(): Promise<void> {
    for (const s of this.#udp) { try { s.close() } catch { /* already closed */ } }
    this.#udp.length = 0
    this.#nativeUdp.length = 0
    await Promise.all(this.#tcp.map((s) => new Promise<void>((r) => s.close(() => r()))))
    this.#tcp.length = 0
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
    for (const p of this.#plugins) { try { await p.stop() } catch { /* best effort on the way down */ } }
    this.#bound.length = 0
  }
}

/** Addresses whose ACL verdicts (and COOKIE memos) the cached paths remember at most. */
const MAY_MEMO_MAX = 4096
/** The recursion ACL allows the address. */
const MAY_RECURSE = 1
/** The COOKIE policy lets the address query over UDP without a COOKIE. */
const MAY_SKIP_COOKIE = 2
/** The query ACL allows the address. */
const MAY_QUERY = 4

/** What the query path tells {@link DnsServer.handle} about keeping its answer. */
interface QueryMeta {
  /** An authoritative answer that may go into the answer cache. */
  cacheable: boolean
  /** A recursive answer the recursor may keep until `expires`, if the zones are still those of `generation`. */
  reuse?: { expires: number, generation: number }
}

/** {@link recursionFastPath}: the query may not take the warm recursive path. */
export const NOT_PLAIN = -1
/** {@link recursionFastPath}: a plain query without EDNS options. */
export const PLAIN = 0

/**
 * Whether a query may be answered from the recursor's stored responses: a QUERY with RD
 * set and CD clear, one question, no answer or authority records, and at most an OPT
 * record last whose RDATA is empty or one COOKIE option (RFC 7873 §4: an 8-octet client
 * cookie, and a server cookie of 8 to 32 octets or none). Anything else — an NSID request,
 * padding, any other option, a TSIG — takes the full path.
 * @param buf the query
 * @returns {@link NOT_PLAIN}, {@link PLAIN}, or the offset of the COOKIE option (its code field)
 */
export function recursionFastPath(buf: Uint8Array): number {
  const n = buf.length
  // QR=0, OPCODE=QUERY, TC=0, RD=1; CD=0; QDCOUNT=1, ANCOUNT=NSCOUNT=0, ARCOUNT 0 or 1.
  if (n < 17 || (buf[2]! & 0xfb) !== 0x01 || (buf[3]! & 0x10) !== 0 || buf[4] !== 0 || buf[5] !== 1) return NOT_PLAIN
  if ((buf[6]! | buf[7]! | buf[8]! | buf[9]! | buf[10]!) !== 0 || buf[11]! > 1) return NOT_PLAIN
  if (buf[11] === 0) return PLAIN
  // Where the question ends (uncompressed labels; the resolver's key checks the rest).
  let o = 12
  for (let len = buf[o]; len !== 0; len = buf[o]) {
    if (len === undefined || len > 63) return NOT_PLAIN
    o += len + 1
  }
  o += 5
  // The OPT record: root owner, TYPE=OPT, CLASS, TTL, RDLENGTH, to the end of the message.
  if (o + 11 > n || buf[o] !== 0 || buf[o + 1] !== 0 || buf[o + 2] !== 41) return NOT_PLAIN
  const rdlen = (buf[o + 9]! << 8) | buf[o + 10]!
  if (o + 11 + rdlen !== n) return NOT_PLAIN
  if (rdlen === 0) return PLAIN
  const c = o + 11
  const len = (buf[c + 2]! << 8) | buf[c + 3]!
  if (buf[c] !== 0 || buf[c + 1] !== 10 || len + 4 !== rdlen || (len !== 8 && (len < 16 || len > 40))) return NOT_PLAIN
  return c
}

/**
 * The answer-cache key of a query: the transport kind and the bytes after the ID, for a
 * plain QUERY only (QR clear, one question, no answer or authority records, and at most a
 * bare OPT record with no options: a COOKIE makes every answer different and TSIG-signed
 * requests are never cached). Undefined when the query is not of that shape.
 * @param buf the query
 * @param kind `u` for UDP, `s` for streams (their size limits differ)
 */
export function answerCacheKey(buf: Uint8Array, kind: string): string | undefined {
  const n = buf.length
  // Header, a question of at least the root name, type and class.
  if (n < 17 || n > 300) return undefined
  // QR=0, OPCODE=QUERY; QDCOUNT=1, ANCOUNT=NSCOUNT=0, ARCOUNT 0 or 1.
  if ((buf[2]! & 0xf8) !== 0 || buf[4] !== 0 || buf[5] !== 1 || (buf[6]! | buf[7]! | buf[8]! | buf[9]! | buf[10]!) !== 0 || buf[11]! > 1) return undefined
  if (buf[11] === 1) {
    // The last 11 octets: root owner, TYPE=OPT, CLASS (payload size), TTL (ext. RCODE, version, DO), RDLENGTH=0.
    const o = n - 11
    if (o < 17 || buf[o] !== 0 || buf[o + 1] !== 0 || buf[o + 2] !== 41 || buf[o + 9] !== 0 || buf[o + 10] !== 0) return undefined
  }
  return kind + Buffer.from(buf.buffer, buf.byteOffset + 2, n - 2).toString('latin1')
}

/**
 * Which UDP path the listeners take: `native` (the batched socket of @secdns/udp) when its
 * addon is loaded and `SECDNS_NATIVE_UDP` is not `0`, else `dgram` (node:dgram).
 */
export function udpPath(): 'native' | 'dgram' {
  return nativeUdpStatus().loaded ? 'native' : 'dgram'
}

/**
 * The `lookup` of our UDP sockets: the address is the peer's, already an IP address.
 * Anything else is refused rather than resolved.
 */
function literalLookup(address: string, _family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  const fam = isIP(address)
  if (fam === 0) { callback(Object.assign(new Error(`not an IP address: ${address}`), { code: 'EINVAL' }), '', 0); return }
  callback(null, address, fam)
}

function zoneKey(name: string): string {
  return name.toLowerCase().replace(/\.$/, '')
}

function keyNameOf(k: TsigKey): string {
  return k.name.toString().toLowerCase().replace(/\.$/, '')
}

/**
 * Split `host`, `host:port` or `[v6]:port`.
 * @param s the text
 * @param defaultPort port when none is given
 */
export function splitHostPort(s: string, defaultPort: number): { host: string, port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s)
  if (m) return { host: m[1]!, port: m[2] ? Number(m[2]) : defaultPort }
  const i = s.lastIndexOf(':')
  if (i > 0 && s.indexOf(':') === i) return { host: s.slice(0, i), port: Number(s.slice(i + 1)) }
  return { host: s, port: defaultPort }
}

