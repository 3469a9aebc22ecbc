/**
 * The channel client: connects, runs the initiator handshake, checks the server against
 * the NRPT rule (trusted CA, DNS Server Trust EKU, the server name, encryption level) and
 * then carries DNS queries, many in flight, matched by their DNS ids.
 */
import { EventEmitter } from 'node:events'
import { randomInt } from 'node:crypto'
import { WebSocket } from 'ws'
import { ChannelError, CLOSE_CODES, isChannelErrorCode } from './errors.js'
import { loadIdentity, type ChannelIdentity, type ChannelTrust, type LoadedIdentity } from './auth.js'
import { Initiator, type HandshakeResult } from './handshake.js'
import { ChannelSession, type SaSpis } from './session.js'
import { CoalescingTransport } from './bundle.js'
import { resolveLimits, MAX_DNS_MESSAGE_OCTETS, type ChannelLimits } from './limits.js'
import { ENCRYPTION_LEVELS, type EncryptionLevel } from './policy.js'
import type { TransformName } from './transforms.js'
import type { GroupName } from './key_exchange.js'
import type { PrfName } from './key_schedule.js'

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** PEM certificate and key, or an identity made once with `loadIdentity`. */
  identity: ChannelIdentity | LoadedIdentity
  /** The CA(s) the NRPT rule names, and CRLs. */
  trust: ChannelTrust
  /** The DNS name (or IP address) the server's certificate must carry. */
  serverName: string
  /** The NRPT rule's encryption level (DnsSecIPsecEncryptionType). */
  policy: { encryption: EncryptionLevel }
  now?: () => Date
  limits?: Partial<ChannelLimits>
  /** Key-exchange groups to offer, preferred first (the first one's share is sent). */
  groups?: GroupName[]
  prfs?: PrfName[]
}

/** What the handshake agreed on and whom it authenticated. */
export interface Negotiated {
  readonly transform: TransformName
  readonly encrypted: boolean
  readonly keyExchange: GroupName
  readonly prf: PrfName
  readonly peer: { readonly subject: string; readonly issuer: string; readonly serial: string; readonly anchorSubject: string }
  readonly spis: SaSpis
  readonly ikeSpis: { readonly initiator: string; readonly responder: string }
}

/** Counters of a client. */
export interface ChannelClientStats {
  queries: number
  answers: number
  unmatched: number
  /** CREATE_CHILD_SA exchanges completed, whichever side started them. */
  rekeys: number
  /** Child rekeys this client started. */
  rekeysInitiated: number
  /** Child rekeys that crossed one from the server (RFC 7296 §2.8.1). */
  collisions: number
  /** IKE SA rekeys completed. */
  ikeRekeys: number
  /** IKE SA rekeys this client started. */
  ikeRekeysInitiated: number
  refused: Record<string, number>
}

interface InFlight {
  resolve(m: Uint8Array): void
  reject(e: ChannelError): void
  readonly origId: number
  /** Date.now() after which the query fails with ERR_CHANNEL_TIMEOUT. */
  readonly deadline: number
}

/**
 * An established channel to a server. Events: 'rekey' ({oldSpis, newSpis}), 'ike-rekey'
 * ({oldSpis, newSpis} of the IKE SA),
 * 'error' (ChannelError: a dropped record, or the fatal error), 'close' ({code, error?}).
 */
export class ChannelClient extends EventEmitter {
  readonly stats: ChannelClientStats = { queries: 0, answers: 0, unmatched: 0, rekeys: 0, rekeysInitiated: 0, collisions: 0, ikeRekeys: 0, ikeRekeysInitiated: 0, refused: {} }
  private readonly session: ChannelSession
  private readonly inflight = new Map<number, InFlight>()
  private readonly limits: ChannelLimits
  private readonly r: HandshakeResult
  private closeError: ChannelError | undefined
  private closedPromise: Promise<void>
  private resolveClosed!: () => void
  /** One sweep timer for all query deadlines (a timer per query costs more than the query's crypto). */
  private readonly sweep: NodeJS.Timeout

  /** @internal made by {@link connect} */
  constructor(ws: WebSocket, r: HandshakeResult, limits: ChannelLimits, backlog: Uint8Array[]) {
    super()
    this.limits = limits
    this.r = r
    this.closedPromise = new Promise((resolve) => { this.resolveClosed = resolve })
    // Records produced in one turn of the event loop leave as one WebSocket message.
    this.session = new ChannelSession(new CoalescingTransport(ws, Math.min(limits.maxMessageOctets, r.peerMaxMessageOctets)), r, limits, {
      onMessage: (m) => this.onAnswer(m),
      onError: (err, fatal) => {
        this.stats.refused[err.code] = (this.stats.refused[err.code] ?? 0) + 1
        if (fatal) this.closeError = err
        if (this.listenerCount('error') > 0) this.emit('error', err)
      },
      onRekey: (info) => {
        this.stats.rekeys++
        this.stats.rekeysInitiated = this.session.rekeysInitiated
        this.stats.collisions = this.session.collisions
        if (this.listenerCount('rekey') > 0) this.emit('rekey', info)
      },
      onIkeRekey: (info) => { this.stats.ikeRekeys++; this.stats.ikeRekeysInitiated = this.session.ikeRekeysInitiated; if (this.listenerCount('ike-rekey') > 0) this.emit('ike-rekey', info) },
      onClose: (err) => this.onClosed(err ?? this.closeError),
    })
    ws.on('message', (d: Buffer) => this.session.handleFrame(d))
    ws.on('close', (code: number, reason: Buffer) => {
      if (!this.session.closed) {
        const err = closeError(code, reason.toString())
        this.session.end(err, code, reason.toString())
      }
      this.resolveClosed()
    })
    ws.on('error', () => { /* followed by close */ })
    this.sweep = setInterval(() => this.expire(), Math.max(10, Math.min(1000, limits.queryTimeoutMs / 4)))
    this.sweep.unref()
    for (const f of backlog) this.session.handleFrame(f)
  }

  private expire(): void {
    const now = Date.now()
    for (const [id, q] of this.inflight) {
      if (q.deadline <= now) {
        this.inflight.delete(id)
        q.reject(new ChannelError('ERR_CHANNEL_TIMEOUT', `no answer to query id ${q.origId} within ${this.limits.queryTimeoutMs} ms`))
      }
    }
  }

  /** What the handshake agreed on: transform, key exchange, PRF, the server's certificate, SA ids. */
  get negotiated(): Negotiated {
    const r = this.r
    return {
      transform: r.transform.name, encrypted: r.transform.encrypts, keyExchange: r.group, prf: r.prf,
      peer: { subject: r.peer.subject, issuer: r.peer.issuer, serial: r.peer.serial, anchorSubject: r.peer.anchorSubject },
      spis: this.session.spis,
      ikeSpis: this.session.ikeSpis,
    }
  }

  /** Queries sent and not yet answered. */
  get inFlight(): number {
    return this.inflight.size
  }

  private onAnswer(m: Uint8Array): void {
    if (m.length < 2) { this.stats.unmatched++; return }
    const id = (m[0]! << 8) | m[1]!
    const q = this.inflight.get(id)
    // An answer must match a query in flight; anything else is dropped.
    if (q === undefined) { this.stats.unmatched++; return }
    this.inflight.delete(id)
    this.stats.answers++
    if (q.origId !== id) {
      const copy = Buffer.from(m)
      copy.writeUInt16BE(q.origId, 0)
      q.resolve(copy)
    } else {
      q.resolve(m)
    }
  }

  private onClosed(err: ChannelError | undefined): void {
    const e = err ?? new ChannelError('ERR_CHANNEL_CLOSED', 'channel closed')
    clearInterval(this.sweep)
    for (const [, q] of this.inflight) q.reject(e)
    this.inflight.clear()
    if (this.listenerCount('close') > 0) this.emit('close', { code: err?.closeCode ?? 1000, error: err })
  }

  /**
   * Send one DNS message and wait for the answer with the same id. A query whose id is
   * already in flight gets a free id on the wire; the answer comes back with the original.
   *
   * @throws {ChannelError} ERR_CHANNEL_CLOSED, ERR_CHANNEL_TIMEOUT, ERR_CHANNEL_TOO_BIG, ERR_CHANNEL_BUSY, ERR_CHANNEL_MALFORMED
   */
  query(message: Uint8Array): Promise<Uint8Array> {
    if (this.session.closed) return Promise.reject(this.closeError ?? new ChannelError('ERR_CHANNEL_CLOSED', 'channel is closed'))
    // RFC 1035 §4.1.1: a DNS message starts with a 12-octet header.
    if (message.length < 12) return Promise.reject(new ChannelError('ERR_CHANNEL_MALFORMED', `DNS message of ${message.length} octets is shorter than its 12-octet header`))
    if (message.length > MAX_DNS_MESSAGE_OCTETS) return Promise.reject(new ChannelError('ERR_CHANNEL_TOO_BIG', `DNS message of ${message.length} octets exceeds ${MAX_DNS_MESSAGE_OCTETS}`))
    if (this.inflight.size >= this.limits.maxInFlight) return Promise.reject(new ChannelError('ERR_CHANNEL_BUSY', `${this.inflight.size} queries already in flight`))
    const origId = (message[0]! << 8) | message[1]!
    let id = origId
    let wire = message
    if (this.inflight.has(id)) {
      do { id = randomInt(0, 65536) } while (this.inflight.has(id))
      const copy = Buffer.from(message)
      copy.writeUInt16BE(id, 0)
      wire = copy
    }
    return new Promise((resolve, reject) => {
      this.inflight.set(id, { resolve, reject, origId, deadline: Date.now() + this.limits.queryTimeoutMs })
      this.stats.queries++
      try {
        this.session.send(wire)
      } catch (e) {
        this.inflight.delete(id)
        reject(e)
      }
    })
  }

  /** Replace the child SA now (CREATE_CHILD_SA); the 'rekey' event tells when it is done. */
  rekey(): void {
    this.session.rekey()
  }

  /**
   * Replace the IKE SA now (RFC 7296 §2.18), as soon as no other exchange is outstanding;
   * the 'ike-rekey' event tells when it is done. Queries in flight are not affected.
   */
  rekeyIke(): void {
    this.session.rekeyIke()
  }

  /** Send a liveness check and wait for the answer. */
  ping(): Promise<void> {
    return this.session.ping()
  }

  /** Delete the child SA and close the connection. */
  close(): Promise<void> {
    this.session.close()
    return this.closedPromise
  }
}

function closeError(code: number, reason: string): ChannelError {
  if (isChannelErrorCode(reason)) return new ChannelError(reason, `server closed the channel: ${reason}`)
  const byCode = (Object.entries(CLOSE_CODES) as [ChannelError['code'], number][]).find(([, c]) => c === code && c >= 4000)
  if (byCode !== undefined) return new ChannelError(byCode[0], `server closed the channel with ${code}`)
  return new ChannelError('ERR_CHANNEL_CLOSED', `connection closed (${code}${reason === '' ? '' : ` ${reason}`})`)
}

/**
 * Open a channel to `url` (ws:// or wss://).
 *
 * @throws {ChannelError} ERR_CHANNEL_NO_PROPOSAL, ERR_CHANNEL_AUTH_FAILED, ERR_CHANNEL_UNTRUSTED_PEER,
 *   ERR_CHANNEL_PEER_PURPOSE, ERR_CHANNEL_PEER_NAME, ERR_CHANNEL_PEER_EXPIRED, ERR_CHANNEL_PEER_REVOKED,
 *   ERR_CHANNEL_TIMEOUT, ERR_CHANNEL_RATE_LIMITED, ERR_CHANNEL_BUSY, ERR_CHANNEL_CLOSED, ERR_CHANNEL_INVALID_OPTIONS
 * @example
 * const ch = await connect('ws://127.0.0.1:8053/', {
 *   identity: { certPem, keyPem }, trust: { cas: [rootPem] }, serverName: 'dns1.lab.test', policy: { encryption: 'High' },
 * })
 * const answer = await ch.query(queryBytes)
 * console.log(`channel ${ch.negotiated.transform}, server ${ch.negotiated.peer.subject}`)
 */
export function connect(url: string, opts: ConnectOptions): Promise<ChannelClient> {
  let identity
  let limits: ChannelLimits
  try {
    limits = resolveLimits(opts.limits)
    if (!ENCRYPTION_LEVELS.includes(opts.policy?.encryption)) throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', `policy.encryption must be one of ${ENCRYPTION_LEVELS.join(', ')}`)
    if (!Array.isArray(opts.trust?.cas) || opts.trust.cas.length === 0) throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', 'trust.cas must name at least one CA certificate')
    if (typeof opts.serverName !== 'string' || opts.serverName === '') throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', 'serverName is required')
    identity = loadIdentity(opts.identity)
  } catch (e) {
    return Promise.reject(e)
  }
  const hs = new Initiator({
    identity, trust: opts.trust, serverName: opts.serverName, level: opts.policy.encryption, groups: opts.groups, prfs: opts.prfs, now: opts.now ?? (() => new Date()),
    verifyCache: { size: limits.verifyCacheSize, ttlMs: limits.verifyCacheTtlMs }, maxMessageOctets: limits.maxMessageOctets,
  })
  return new Promise((resolve, reject) => {
    // Over wss:// the TLS layer checks the server against the same CAs and name as the
    // channel does; the channel's own AUTH still authenticates both sides.
    const tls = url.startsWith('wss:') ? { ca: opts.trust.cas, servername: opts.serverName } : {}
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: limits.maxMessageOctets, handshakeTimeout: limits.handshakeTimeoutMs, ...tls })
    let settled = false
    let authPending = false
    const backlog: Uint8Array[] = []
    const fail = (err: ChannelError): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      try { ws.close(err.closeCode, err.code) } catch { ws.terminate() }
      reject(err)
    }
    const timer = setTimeout(() => {
      fail(new ChannelError('ERR_CHANNEL_TIMEOUT', `handshake with ${url} not finished within ${limits.handshakeTimeoutMs} ms`))
      ws.terminate()
    }, limits.handshakeTimeoutMs)
    ws.binaryType = 'nodebuffer'
    ws.on('unexpected-response', (_req, res) => {
      const code = res.statusCode === 429 ? 'ERR_CHANNEL_RATE_LIMITED' : res.statusCode === 503 ? 'ERR_CHANNEL_BUSY' : 'ERR_CHANNEL_PROTOCOL'
      fail(new ChannelError(code, `server refused the WebSocket upgrade with HTTP ${res.statusCode ?? '?'}`))
      ws.terminate()
    })
    ws.on('error', (e) => fail(new ChannelError('ERR_CHANNEL_CLOSED', `cannot reach ${url}: ${e.message}`, { cause: e })))
    ws.on('close', (code, reason) => fail(closeError(code, reason.toString())))
    ws.on('open', () => ws.send(hs.start()))
    const onMessage = (data: Buffer): void => {
      if (settled) { backlog.push(data); return }
      try {
        if (hs.state === 'init') { ws.send(hs.onInitResponse(data)); return }
        // Frames after the AUTH response wait for the channel (the response is checked
        // asynchronously, and records may follow it at once).
        if (hs.state !== 'auth' || authPending) { backlog.push(data); return }
        authPending = true
        hs.onAuthResponse(data).then((r) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          ws.off('message', onMessage)
          ws.removeAllListeners('close')
          ws.removeAllListeners('error')
          ws.removeAllListeners('unexpected-response')
          resolve(new ChannelClient(ws, r, limits, backlog))
        }, (e: unknown) => onError(e))
      } catch (e) {
        onError(e)
      }
    }
    const onError = (e: unknown): void => {
      const err = e instanceof ChannelError ? e : new ChannelError('ERR_CHANNEL_PROTOCOL', String(e), { cause: e })
      // Our own refusal of the server (certificate, name, signature): tell the server why
      // before closing, so both ends log the same code (RFC 7296 §2.21.2).
      if (hs.state === 'auth') {
        const f = hs.refusal(err)
        if (f !== undefined && ws.readyState === WebSocket.OPEN) ws.send(f)
      }
      fail(err)
    }
    ws.on('message', onMessage)
  })
}
