/**
 * The channel server: accepts WebSocket connections, runs the responder handshake, checks
 * the client against its connection security rule, then answers each DNS message with the
 * handler. Refusals are counted in `stats` and emitted as 'refused'; the server never
 * stops serving others because one peer misbehaved.
 */
import { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { WebSocketServer, type WebSocket } from 'ws'
import { ChannelError, isChannelErrorCode, type ChannelErrorCode } from './errors.js'
import { loadIdentity, type ChannelIdentity, type ChannelTrust, type LoadedIdentity } from './auth.js'
import { Responder, type HandshakeResult } from './handshake.js'
import { CookieJar } from './cookie.js'
import { ChannelSession, type SaSpis } from './session.js'
import { CoalescingTransport } from './bundle.js'
import { resolveLimits, type ChannelLimits } from './limits.js'
import { SERVER_ENCRYPTION, type ServerEncryption } from './policy.js'
import type { TransformName } from './transforms.js'
import type { GroupName } from './key_exchange.js'
import type { PrfName } from './key_schedule.js'

/** The server's connection security rule. */
export interface ServerRules {
  /** 'require': encryption required; 'request': preferred, integrity accepted; 'none': integrity only. */
  encryption: ServerEncryption
  /** Encrypting transforms in the server's preference order. */
  transforms?: TransformName[]
  /** Key-exchange groups the server accepts, preferred first (a client share in another group gets INVALID_KE_PAYLOAD). */
  groups?: GroupName[]
  prfs?: PrfName[]
}

/** Who sent a DNS message, as the handler sees it. */
export interface PeerInfo {
  readonly sessionId: string
  readonly address: string
  readonly subject: string
  readonly issuer: string
  readonly serial: string
  readonly transform: TransformName
}

/** One established channel, for listings (the console). */
export interface SessionInfo extends PeerInfo {
  readonly group: GroupName
  readonly prf: PrfName
  readonly spis: SaSpis
  readonly ikeSpis: { readonly initiator: string; readonly responder: string }
  readonly establishedAt: Date
  /** CREATE_CHILD_SA exchanges completed, whichever side started them. */
  readonly rekeys: number
  /** Child rekeys the server started itself. */
  readonly rekeysInitiated: number
  /** Child rekeys that crossed one from the client (RFC 7296 §2.8.1). */
  readonly collisions: number
  /** IKE SA rekeys. */
  readonly ikeRekeys: number
  /** IKE SA rekeys the server started itself. */
  readonly ikeRekeysInitiated: number
}

/** Counters of a server. `refused` counts each refusal by its code. */
export interface ChannelServerStats {
  connections: number
  established: number
  active: number
  halfOpen: number
  queries: number
  responses: number
  handlerErrors: number
  cookiesSent: number
  /** CREATE_CHILD_SA exchanges completed, whichever side started them. */
  rekeys: number
  /** IKE SA rekeys completed. */
  ikeRekeys: number
  refused: Partial<Record<ChannelErrorCode, number>>
  /** Refusals the clients reported about us, by their code. */
  peerRefused: Record<string, number>
}

/** Options of {@link createChannelServer}. */
export interface ChannelServerOptions {
  identity: ChannelIdentity
  trust: ChannelTrust
  rules: ServerRules
  handler: (msg: Uint8Array, peer: PeerInfo) => Promise<Uint8Array>
  /** Clock for certificate validity (tests inject one). */
  now?: () => Date
  limits?: Partial<ChannelLimits>
}

function servfail(query: Uint8Array): Uint8Array {
  // RFC 1035 §4.1.1: same ID, QR=1, opcode and RD copied, RCODE=2 (server failure).
  const r = new Uint8Array(12)
  if (query.length >= 2) { r[0] = query[0]!; r[1] = query[1]! }
  r[2] = 0x80 | ((query[2] ?? 0) & 0x79)
  r[3] = 0x02
  return r
}

interface Conn {
  readonly id: string
  readonly ws: WebSocket
  readonly address: string
  halfOpen: boolean
  session?: ChannelSession
  info?: SessionInfo
  timer?: NodeJS.Timeout
}

/**
 * A channel server. Events: 'session' (SessionInfo), 'refused' (ChannelError, {address}),
 * 'peer-refused' ({code, message, address}), 'rekey' (SessionInfo), 'closed' (SessionInfo).
 */
export class ChannelServer extends EventEmitter {
  readonly stats: ChannelServerStats = {
    connections: 0, established: 0, active: 0, halfOpen: 0, queries: 0, responses: 0, handlerErrors: 0, cookiesSent: 0, rekeys: 0, ikeRekeys: 0, refused: {}, peerRefused: {},
  }
  readonly limits: ChannelLimits
  private readonly opts: ChannelServerOptions
  private readonly identity: LoadedIdentity
  private readonly now: () => Date
  private readonly cookies = new CookieJar()
  private readonly conns = new Set<Conn>()
  private readonly halfOpenBySource = new Map<string, number>()
  private readonly wss: WebSocketServer
  private readonly cookieTimer: NodeJS.Timeout
  private ownServer: HttpServer | undefined
  private readonly attached: { server: HttpServer | HttpsServer; listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void }[] = []

  constructor(opts: ChannelServerOptions) {
    super()
    if (!SERVER_ENCRYPTION.includes(opts.rules?.encryption)) throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', `rules.encryption must be one of ${SERVER_ENCRYPTION.join(', ')}`)
    if (!Array.isArray(opts.trust?.cas) || opts.trust.cas.length === 0) throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', 'trust.cas must name at least one CA certificate')
    if (typeof opts.handler !== 'function') throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', 'handler must be a function')
    this.opts = opts
    this.identity = loadIdentity(opts.identity)
    this.now = opts.now ?? (() => new Date())
    this.limits = resolveLimits(opts.limits)
    this.wss = new WebSocketServer({
      noServer: true,
      // permessage-deflate costs 7–20× per message and compresses secrets next to
      // attacker-chosen data; records are random anyway.
      perMessageDeflate: false,
      maxPayload: this.limits.maxMessageOctets,
      verifyClient: (info, cb) => this.verifyClient(info.req, cb),
    })
    this.wss.on('connection', (ws, req) => this.onConnection(ws, req))
    // RFC 7296 §2.6: change the cookie secret now and then.
    this.cookieTimer = setInterval(() => this.cookies.rotate(), 60_000)
    this.cookieTimer.unref()
  }

  private count(code: ChannelErrorCode): void {
    this.stats.refused[code] = (this.stats.refused[code] ?? 0) + 1
  }

  private refuseEarly(err: ChannelError, address: string): void {
    this.count(err.code)
    if (this.listenerCount('refused') > 0) this.emit('refused', err, { address })
  }

  private verifyClient(req: IncomingMessage, cb: (ok: boolean, code?: number, message?: string) => void): void {
    const address = req.socket.remoteAddress ?? 'unknown'
    // Reject before the upgrade when a source or the server has too many half-open
    // handshakes: nothing is allocated for the connection.
    if ((this.halfOpenBySource.get(address) ?? 0) >= this.limits.maxHalfOpenPerSource) {
      this.refuseEarly(new ChannelError('ERR_CHANNEL_RATE_LIMITED', `${address} has ${this.limits.maxHalfOpenPerSource} handshakes open already`), address)
      cb(false, 429, 'ERR_CHANNEL_RATE_LIMITED')
      return
    }
    if (this.stats.halfOpen >= this.limits.maxHalfOpen) {
      this.refuseEarly(new ChannelError('ERR_CHANNEL_BUSY', `server has ${this.limits.maxHalfOpen} handshakes open`), address)
      cb(false, 503, 'ERR_CHANNEL_BUSY')
      return
    }
    cb(true)
  }

  private leaveHalfOpen(c: Conn): void {
    if (!c.halfOpen) return
    c.halfOpen = false
    this.stats.halfOpen--
    const n = (this.halfOpenBySource.get(c.address) ?? 1) - 1
    if (n <= 0) this.halfOpenBySource.delete(c.address); else this.halfOpenBySource.set(c.address, n)
    if (c.timer !== undefined) clearTimeout(c.timer)
  }

  private refuse(c: Conn, err: ChannelError): void {
    this.count(err.code)
    if (this.listenerCount('refused') > 0) this.emit('refused', err, { address: c.address })
    this.leaveHalfOpen(c)
    try { c.ws.close(err.closeCode, err.code) } catch { /* gone */ }
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? 'unknown'
    const c: Conn = { id: randomBytes(8).toString('hex'), ws, address, halfOpen: true }
    this.conns.add(c)
    this.stats.connections++
    this.stats.halfOpen++
    this.halfOpenBySource.set(address, (this.halfOpenBySource.get(address) ?? 0) + 1)
    c.timer = setTimeout(() => this.refuse(c, new ChannelError('ERR_CHANNEL_TIMEOUT', `handshake not finished within ${this.limits.handshakeTimeoutMs} ms`)), this.limits.handshakeTimeoutMs)
    const rules = this.opts.rules
    const hs = new Responder({
      identity: this.identity, trust: this.opts.trust, encryption: rules.encryption, transforms: rules.transforms, groups: rules.groups, prfs: rules.prfs,
      now: this.now, address, cookies: this.cookies, cookieRequired: () => this.stats.halfOpen > this.limits.cookieThreshold,
      verifyCache: { size: this.limits.verifyCacheSize, ttlMs: this.limits.verifyCacheTtlMs }, maxMessageOctets: this.limits.maxMessageOctets,
    })
    let busy = false
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (c.session !== undefined) { c.session.handleFrame(data); return }
      if (!isBinary) { this.refuse(c, new ChannelError('ERR_CHANNEL_PROTOCOL', 'text WebSocket message')); return }
      if (busy || !c.halfOpen) return
      try {
        if (hs.state === 'init') {
          const step = hs.onInit(data)
          ws.send(step.reply)
          if (step.cookie === true) this.stats.cookiesSent++
          if (step.error !== undefined) this.refuse(c, step.error)
          return
        }
        busy = true
        hs.onAuth(data).then((step) => {
          busy = false
          if (!c.halfOpen) return
          ws.send(step.reply)
          if (step.error !== undefined || step.result === undefined) { this.refuse(c, step.error ?? new ChannelError('ERR_CHANNEL_AUTH_FAILED', 'authentication failed')); return }
          this.establish(c, step.result)
        }, (e: unknown) => {
          busy = false
          this.refuse(c, e instanceof ChannelError ? e : new ChannelError('ERR_CHANNEL_PROTOCOL', String(e), { cause: e }))
        })
      } catch (e) {
        this.refuse(c, e instanceof ChannelError ? e : new ChannelError('ERR_CHANNEL_PROTOCOL', String(e), { cause: e }))
      }
    })
    ws.on('error', (e: Error & { code?: string }) => {
      // ws refuses bad frames itself (RFC 6455 §7.4.1: 1009 too big, 1002 protocol error)
      // and closes; count them like our own refusals.
      const err = e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
        ? new ChannelError('ERR_CHANNEL_TOO_BIG', `message larger than ${this.limits.maxMessageOctets} octets`, { cause: e })
        : new ChannelError('ERR_CHANNEL_PROTOCOL', e.message, { cause: e })
      this.refuseEarly(err, address)
    })
    ws.on('close', (code: number, reason: Buffer) => {
      // A client that refused us before any key existed (e.g. a downgraded INIT answer)
      // can only say why in its close frame; count that too.
      const why = reason.toString()
      if (c.halfOpen && code >= 4000 && isChannelErrorCode(why)) {
        this.stats.peerRefused[why] = (this.stats.peerRefused[why] ?? 0) + 1
        if (this.listenerCount('peer-refused') > 0) this.emit('peer-refused', { code: why, message: `client closed with ${code}`, address })
      }
      this.leaveHalfOpen(c)
      this.conns.delete(c)
      if (c.session !== undefined && !c.session.closed) c.session.end(undefined, 1000, 'closed')
    })
  }

  private establish(c: Conn, r: HandshakeResult): void {
    this.leaveHalfOpen(c)
    const peer = r.peer
    const base = { sessionId: c.id, address: c.address, subject: peer.subject, issuer: peer.issuer, serial: peer.serial, transform: r.transform.name }
    // Answers produced in one turn of the event loop leave as one WebSocket message.
    const session = new ChannelSession(new CoalescingTransport(c.ws, Math.min(this.limits.maxMessageOctets, r.peerMaxMessageOctets)), r, this.limits, {
      onMessage: (payload) => {
        this.stats.queries++
        let p: Promise<Uint8Array>
        try { p = this.opts.handler(payload, base) } catch (e) { p = Promise.reject(e) }
        const answer = (resp: Uint8Array): void => {
          if (session.closed) return
          try {
            session.send(resp)
            this.stats.responses++
          } catch {
            this.stats.handlerErrors++
          }
        }
        p.then(answer, () => { this.stats.handlerErrors++; answer(servfail(payload)) })
      },
      onError: (err) => {
        this.count(err.code)
        if (this.listenerCount('refused') > 0) this.emit('refused', err, { address: c.address })
      },
      onPeerRefusal: (code, message) => {
        this.stats.peerRefused[code] = (this.stats.peerRefused[code] ?? 0) + 1
        if (this.listenerCount('peer-refused') > 0) this.emit('peer-refused', { code, message, address: c.address })
      },
      onRekey: () => { this.stats.rekeys++; if (this.listenerCount('rekey') > 0) this.emit('rekey', c.info) },
      onIkeRekey: () => { this.stats.ikeRekeys++ },
      onClose: () => { this.stats.active--; if (this.listenerCount('closed') > 0) this.emit('closed', c.info) },
    })
    c.session = session
    c.info = {
      ...base, group: r.group, prf: r.prf, spis: session.spis, establishedAt: new Date(), rekeys: 0, rekeysInitiated: 0, collisions: 0, ikeRekeys: 0, ikeRekeysInitiated: 0,
      ikeSpis: { initiator: Buffer.from(r.spiI).toString('hex'), responder: Buffer.from(r.spiR).toString('hex') },
    }
    this.stats.established++
    this.stats.active++
    if (this.listenerCount('session') > 0) this.emit('session', c.info)
  }

  /** The established channels: peer, negotiated transform, SA ids. */
  sessions(): SessionInfo[] {
    const out: SessionInfo[] = []
    for (const c of this.conns) {
      if (c.session !== undefined && c.info !== undefined && !c.session.closed) out.push({
        ...c.info, spis: c.session.spis, ikeSpis: c.session.ikeSpis, rekeys: c.session.rekeys,
        rekeysInitiated: c.session.rekeysInitiated, collisions: c.session.collisions, ikeRekeys: c.session.ikeRekeys, ikeRekeysInitiated: c.session.ikeRekeysInitiated,
      })
    }
    return out
  }

  /**
   * Serve channel connections on `path` of an existing http or https server.
   *
   * @example
   * const http = createServer(); channel.attach(http, '/dns'); http.listen(8443)
   */
  attach(server: HttpServer | HttpsServer, path = '/'): void {
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const url = new URL(req.url ?? '/', 'http://x')
      if (url.pathname !== path) {
        // Another upgrade listener may own this path; when we are the only one, refuse it.
        if (server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')
        return
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req))
    }
    server.on('upgrade', listener)
    this.attached.push({ server, listener })
  }

  /**
   * Listen on a port of its own (an http server that only upgrades).
   *
   * @returns the bound address (port 0 picks a free port)
   */
  listen(o: { host?: string; port?: number; path?: string } = {}): Promise<{ host: string; port: number }> {
    const http = createServer((_req, res) => { res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n') })
    this.ownServer = http
    this.attach(http, o.path ?? '/')
    return new Promise((resolve, reject) => {
      http.once('error', reject)
      http.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
        const a = http.address() as AddressInfo
        resolve({ host: a.address, port: a.port })
      })
    })
  }

  /** Close every channel (1001 going away) and stop listening. */
  async close(): Promise<void> {
    clearInterval(this.cookieTimer)
    for (const { server, listener } of this.attached) server.off('upgrade', listener)
    for (const c of this.conns) {
      if (c.timer !== undefined) clearTimeout(c.timer)
      if (c.session !== undefined) c.session.end(undefined, 1001, 'server closing')
      else c.ws.close(1001, 'server closing')
      c.ws.terminate()
    }
    this.wss.close()
    if (this.ownServer !== undefined) {
      const s = this.ownServer
      s.closeAllConnections?.()
      await new Promise<void>((resolve) => s.close(() => resolve()))
    }
  }
}

/**
 * Create a channel server.
 *
 * @throws {ChannelError} ERR_CHANNEL_INVALID_OPTIONS for a bad identity, rule or trust list
 * @example
 * const server = createChannelServer({
 *   identity: { certPem, keyPem }, trust: { cas: [rootPem] }, rules: { encryption: 'require' },
 *   handler: async (query) => answer(query),
 * })
 * const { port } = await server.listen({ host: '127.0.0.1', port: 0 })
 */
export function createChannelServer(opts: ChannelServerOptions): ChannelServer {
  return new ChannelServer(opts)
}
