/**
 * Transports to a name server: UDP with a retry over TCP when the answer is truncated
 * (RFC 1035 §4.2.1, RFC 7766 §5), TCP and DNS over TLS (RFC 7858) with one connection
 * reused for many queries (RFC 7766 §6.2.1), and the protected channel of
 * @secdns/channel. Each reports what it negotiated, for the result.
 */
import { createSocket } from 'node:dgram'
import { connect as tcpConnect, isIP, type Socket } from 'node:net'
import { checkServerIdentity, connect as tlsConnect, type TLSSocket } from 'node:tls'
import { TcpFrameReader, frameTcp, ipv6FromText } from '@secdns/wire'
import { ChannelError, connect as channelConnect, satisfiesLevel, type ChannelClient, type ChannelIdentity } from '@secdns/channel'
import { ClientError } from './errors.js'
import type { ServerAddress } from './server_address.js'
import type { EncryptionType } from './nrpt.js'

/** One answer and how it travelled. */
export interface Exchanged {
  /** The answer, as received. */
  readonly wire: Uint8Array
  /** udp, tcp (also after a UDP answer with TC), tls or channel. */
  readonly transport: 'udp' | 'tcp' | 'tls' | 'channel'
  /** What the transport negotiated, for people: `channel AES-256-GCM, server dns1.lab.test, CA "…"`. */
  readonly negotiated: string
}

/** A way to one server. `exchange` sends one query and returns its answer. */
export interface Transport {
  exchange(query: Uint8Array, timeoutMs: number): Promise<Exchanged>
  close(): Promise<void>
}

/** Security settings for the certificate-checking transports (DoT and the channel). */
export interface TransportSecurity {
  /** CA certificates (PEM) the server's must chain to; empty for DoT means the system store. */
  readonly cas: readonly string[]
  /**
   * CRLs (PEM) of those CAs, asked for at every new connection (so a CRL file that changed is
   * read again): a revoked server certificate is refused.
   */
  readonly crls?: () => readonly string[]
  /** The client certificate for the channel's mutual authentication. */
  readonly identity?: ChannelIdentity
  /** The rule's encryption level. */
  readonly encryption: EncryptionType
  /** Clock for certificate validity (tests inject one). */
  readonly now?: () => Date
}

function idOf(b: Uint8Array): number {
  return (b[0]! << 8) | b[1]!
}

function cnOf(dn: string): string {
  const m = /(?:^|[\n,/])\s*CN=([^\n,/]+)/.exec(dn)
  return m?.[1]?.trim() ?? dn.replace(/\n/g, ', ')
}

function timeoutError(server: ServerAddress, ms: number): ClientError {
  return new ClientError('ERR_CLIENT_TIMEOUT', `no answer from ${server.text} within ${ms} ms`)
}

function unreachable(server: ServerAddress, e: unknown): ClientError {
  return new ClientError('ERR_CLIENT_UNREACHABLE', `cannot reach ${server.text}: ${(e as Error).message ?? String(e)}`, { cause: e })
}

/**
 * UDP: a fresh socket (and so a fresh source port) for every query, as RFC 5452 §9.2
 * asks of resolvers, so an off-path attacker must guess the port and the ID.
 */
export class UdpTransport implements Transport {
  readonly #server: ServerAddress
  readonly #tcp: StreamTransport

  /** @param server a udp:// address */
  constructor(server: ServerAddress) {
    this.#server = server
    this.#tcp = new StreamTransport({ ...server, kind: 'tcp' }, undefined)
  }

  /** Send over UDP; on TC=1 ask again over TCP. */
  async exchange(query: Uint8Array, timeoutMs: number): Promise<Exchanged> {
    const wire = await this.#udp(query, timeoutMs)
    // RFC 1035 §4.2.1 / RFC 7766 §5: a truncated answer is retried over TCP.
    if ((wire[2]! & 0x02) !== 0) {
      const t = await this.#tcp.exchange(query, timeoutMs)
      return { wire: t.wire, transport: 'tcp', negotiated: `udp truncated (TC), then tcp ${this.#server.host}:${this.#server.port}` }
    }
    return { wire, transport: 'udp', negotiated: `udp ${this.#server.host}:${this.#server.port}` }
  }

  #udp(query: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const s = this.#server
    return new Promise((resolve, reject) => {
      const sock = createSocket(isIP(s.host) === 6 ? 'udp6' : 'udp4')
      const done = (err: Error | undefined, msg?: Uint8Array): void => {
        clearTimeout(timer)
        sock.removeAllListeners()
        sock.on('error', () => undefined)
        try { sock.close() } catch { /* already closed */ }
        if (err !== undefined) reject(err)
        else resolve(msg!)
      }
      const timer = setTimeout(() => done(timeoutError(s, timeoutMs)), timeoutMs)
      sock.on('error', (e) => done(unreachable(s, e)))
      sock.on('message', (msg, rinfo) => {
        // RFC 5452 §4.3: accept only an answer from the address and port we asked, with our ID;
        // anything else is ignored (and the real answer may still come).
        if (msg.length < 12 || idOf(msg) !== idOf(query) || rinfo.port !== s.port || !sameAddress(rinfo.address, s.host)) return
        done(undefined, new Uint8Array(msg))
      })
      sock.send(query, s.port, s.host, (e) => { if (e) done(unreachable(s, e)) })
    })
  }

  async close(): Promise<void> {
    await this.#tcp.close()
  }
}

function sameAddress(from: string, host: string): boolean {
  const v = isIP(host)
  if (v === 0) return true // a host name: the socket was sent to whatever it resolved to
  if (v === 4) return from === host
  try {
    return Buffer.from(ipv6FromText(from.replace(/%.*$/, ''))).equals(Buffer.from(ipv6FromText(host)))
  } catch {
    return false
  }
}

interface Pending { resolve(m: Uint8Array): void; reject(e: Error): void; timer: NodeJS.Timeout }

/**
 * TCP or DoT: one connection reused for many queries, pipelined and matched by ID
 * (RFC 7766 §6.2.1.1). A connection that drops is opened again on the next query; a
 * query whose connection dropped before the answer is sent once more on a new one
 * (servers may close idle connections, RFC 7766 §6.2.3).
 */
export class StreamTransport implements Transport {
  readonly #server: ServerAddress
  readonly #security: TransportSecurity | undefined
  #sock: Socket | TLSSocket | undefined
  #ready: Promise<Socket | TLSSocket> | undefined
  #pending = new Map<number, Pending>()
  #negotiated = ''
  #closed = false

  /**
   * @param server a tcp:// or tls:// address
   * @param security for tls://: the CAs (none: the system store) and the name to check
   */
  constructor(server: ServerAddress, security: TransportSecurity | undefined) {
    this.#server = server
    this.#security = security
  }

  async exchange(query: Uint8Array, timeoutMs: number): Promise<Exchanged> {
    try {
      return await this.#once(query, timeoutMs)
    } catch (e) {
      if (e instanceof ClientError && e.code === 'ERR_CLIENT_UNREACHABLE' && (e.cause as { retryable?: boolean } | undefined)?.retryable === true) {
        return this.#once(query, timeoutMs)
      }
      throw e
    }
  }

  async #once(query: Uint8Array, timeoutMs: number): Promise<Exchanged> {
    if (this.#closed) throw new ClientError('ERR_CLIENT_CLOSED', 'the client is closed')
    const deadline = Date.now() + timeoutMs
    const sock = await this.#connect(timeoutMs)
    const id = idOf(query)
    if (this.#pending.has(id)) throw new ClientError('ERR_CLIENT_BAD_QUERY', `query id ${id} is already in flight to ${this.#server.text}`)
    const wire = await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(timeoutError(this.#server, timeoutMs))
      }, Math.max(1, deadline - Date.now()))
      this.#pending.set(id, { resolve, reject, timer })
      sock.write(frameTcp(query))
    })
    return { wire, transport: this.#server.kind === 'tls' ? 'tls' : 'tcp', negotiated: this.#negotiated }
  }

  #connect(timeoutMs: number): Promise<Socket | TLSSocket> {
    if (this.#sock !== undefined && !this.#sock.destroyed) return Promise.resolve(this.#sock)
    if (this.#ready !== undefined) return this.#ready
    const s = this.#server
    let crl: readonly string[] = []
    try { if (s.kind === 'tls') crl = this.#security?.crls?.() ?? [] } catch (e) { return Promise.reject(e) }
    const p = new Promise<Socket | TLSSocket>((resolve, reject) => {
      let sock: Socket | TLSSocket
      const frames = new TcpFrameReader()
      const timer = setTimeout(() => { sock.destroy(); reject(timeoutError(s, timeoutMs)) }, timeoutMs)
      const onUp = (): void => {
        clearTimeout(timer)
        this.#sock = sock
        this.#ready = undefined
        if (s.kind === 'tls') {
          const t = sock as TLSSocket
          const cipher = t.getCipher()
          const peer = t.getPeerCertificate(true)
          let ca = peer.issuerCertificate as typeof peer | undefined
          while (ca?.issuerCertificate !== undefined && ca.issuerCertificate !== ca) ca = ca.issuerCertificate as typeof peer
          this.#negotiated = `tls ${t.getProtocol() ?? '?'} ${cipher.standardName ?? cipher.name}, server ${s.serverName ?? s.host}, CA "${ca?.subject?.CN ?? peer.issuer?.CN ?? '?'}"`
        } else {
          this.#negotiated = `tcp ${s.host}:${s.port}`
        }
        resolve(sock)
      }
      if (s.kind === 'tls') {
        const cas = this.#security?.cas ?? []
        sock = tlsConnect({
          host: s.host, port: s.port,
          // RFC 6066 §3: SNI carries host names only, never IP literals.
          ...(s.serverName !== undefined && isIP(s.serverName) === 0 ? { servername: s.serverName } : {}),
          ...(cas.length > 0 ? { ca: [...cas] } : {}),
          ...(crl.length > 0 ? { crl: [...crl] } : {}),
          // RFC 7858 §4.2 strict privacy profile: the certificate must carry the name we meant.
          checkServerIdentity: (_host, cert) => checkServerIdentity(s.serverName ?? s.host, cert),
          minVersion: 'TLSv1.2', ALPNProtocols: ['dot'],
        }, onUp)
      } else {
        sock = tcpConnect({ host: s.host, port: s.port }, onUp)
      }
      sock.on('data', (chunk: Buffer) => {
        let msgs: Uint8Array[]
        try { msgs = frames.push(chunk) } catch (e) { sock.destroy(e as Error); return }
        for (const m of msgs) {
          const q = this.#pending.get(idOf(m))
          if (q === undefined) continue
          this.#pending.delete(idOf(m))
          clearTimeout(q.timer)
          q.resolve(m)
        }
      })
      const fail = (e: Error | undefined): void => {
        clearTimeout(timer)
        if (this.#sock === sock) this.#sock = undefined
        if (this.#ready === p) this.#ready = undefined
        const up = !sock.connecting && (s.kind !== 'tls' || (sock as TLSSocket).authorized)
        const cause = Object.assign(e ?? new Error('connection closed'), { retryable: up })
        const err = up || e === undefined ? unreachable(s, cause) : tlsError(s, e)
        for (const [, q] of this.#pending) { clearTimeout(q.timer); q.reject(err) }
        this.#pending.clear()
        reject(err)
      }
      sock.on('error', (e) => fail(e))
      sock.on('close', () => fail(undefined))
    })
    this.#ready = p
    return p
  }

  async close(): Promise<void> {
    this.#closed = true
    const s = this.#sock
    this.#sock = undefined
    if (s !== undefined && !s.destroyed) {
      await new Promise<void>((resolve) => { s.once('close', () => resolve()); s.end(); setTimeout(() => { s.destroy(); resolve() }, 200).unref() })
    }
  }
}

function tlsError(s: ServerAddress, e: Error): ClientError {
  const code = (e as { code?: string }).code ?? ''
  // Certificate problems are a refusal of the secure transport, not a network failure.
  if (/CERT|SELF_SIGNED|ERR_TLS|UNABLE_TO|HOSTNAME|ALTNAME/i.test(code)) {
    return new ClientError('ERR_CLIENT_CHANNEL_REFUSED', `DNS over TLS to ${s.text} refused: ${e.message}`, { cause: e })
  }
  return unreachable(s, e)
}

/**
 * The protected channel: one ChannelClient per server, reused for every query and
 * established again after it closes. A handshake that fails for policy or certificate
 * reasons is ERR_CLIENT_CHANNEL_REFUSED with the ChannelError as `cause`.
 */
export class ChannelTransport implements Transport {
  readonly #server: ServerAddress
  readonly #security: TransportSecurity
  #client: ChannelClient | undefined
  #connecting: Promise<ChannelClient> | undefined
  #closed = false

  /**
   * @param server a ws:// or wss:// address
   * @param security the rule's trust authority, the client certificate and the encryption level
   */
  constructor(server: ServerAddress, security: TransportSecurity) {
    this.#server = server
    this.#security = security
  }

  async exchange(query: Uint8Array, timeoutMs: number): Promise<Exchanged> {
    if (this.#closed) throw new ClientError('ERR_CLIENT_CLOSED', 'the client is closed')
    let ch = await this.#connect(timeoutMs)
    let wire: Uint8Array
    try {
      try {
        wire = await withTimeout(ch.query(query), timeoutMs, () => timeoutError(this.#server, timeoutMs))
      } catch (e) {
        // The server closed the channel (idle timeout, restart) before or while the query
        // went out: forget it and ask once more on a new channel.
        if ((e as ChannelError).code !== 'ERR_CHANNEL_CLOSED' || this.#closed) throw e
        if (this.#client === ch) this.#client = undefined
        ch = await this.#connect(timeoutMs)
        wire = await withTimeout(ch.query(query), timeoutMs, () => timeoutError(this.#server, timeoutMs))
      }
    } catch (e) {
      if (e instanceof ClientError) throw e
      const ce = e as ChannelError
      if (ce.code === 'ERR_CHANNEL_TIMEOUT') throw new ClientError('ERR_CLIENT_TIMEOUT', `no answer from ${this.#server.text}: ${ce.message}`, { cause: e })
      if (ce.code === 'ERR_CHANNEL_CLOSED') throw new ClientError('ERR_CLIENT_UNREACHABLE', `channel to ${this.#server.text} closed: ${ce.message}`, { cause: e })
      throw new ClientError('ERR_CLIENT_CHANNEL_REFUSED', `channel to ${this.#server.text} failed: ${ce.code}: ${ce.message}`, { cause: e })
    }
    const n = ch.negotiated
    return {
      wire, transport: 'channel',
      negotiated: `channel ${n.transform}${n.encrypted ? '' : ' (integrity only)'}, ${n.keyExchange}, server ${this.#server.serverName ?? cnOf(n.peer.subject)}, CA "${cnOf(n.peer.anchorSubject)}"`,
    }
  }

  #connect(timeoutMs: number): Promise<ChannelClient> {
    if (this.#client !== undefined) return Promise.resolve(this.#client)
    if (this.#connecting !== undefined) return this.#connecting
    const s = this.#server
    const sec = this.#security
    if (sec.identity === undefined) {
      return Promise.reject(new ClientError('ERR_CLIENT_CHANNEL_REFUSED', `channel to ${s.text}: no client certificate configured (clientCertificate in the rule or the global settings)`))
    }
    let crls: readonly string[] | undefined
    try { crls = sec.crls?.() } catch (e) { return Promise.reject(e) }
    const p = (async () => {
      let ch: ChannelClient
      try {
        ch = await channelConnect(s.url, {
          identity: sec.identity!, trust: { cas: [...sec.cas], ...(crls !== undefined ? { crls: [...crls] } : {}) }, serverName: s.serverName ?? s.host,
          policy: { encryption: sec.encryption }, ...(sec.now !== undefined ? { now: sec.now } : {}),
          limits: { handshakeTimeoutMs: Math.max(timeoutMs, 1000), queryTimeoutMs: timeoutMs },
        })
      } catch (e) {
        const ce = e as ChannelError
        if (ce.code === 'ERR_CHANNEL_TIMEOUT') throw new ClientError('ERR_CLIENT_TIMEOUT', `channel to ${s.text}: ${ce.message}`, { cause: e })
        if (ce.code === 'ERR_CHANNEL_CLOSED' && /cannot reach/.test(ce.message)) throw new ClientError('ERR_CLIENT_UNREACHABLE', `channel to ${s.text}: ${ce.message}`, { cause: e })
        throw new ClientError('ERR_CLIENT_CHANNEL_REFUSED', `channel to ${s.text} refused: ${ce.code ?? 'error'}: ${ce.message}`, { cause: e })
      }
      // The channel enforces the level in the handshake; check the outcome once more here,
      // because a rule that requires encryption must never run integrity-only.
      if (!satisfiesLevel(sec.encryption, ch.negotiated.transform)) {
        await ch.close().catch(() => undefined)
        const cause = new ChannelError('ERR_CHANNEL_NO_PROPOSAL', `server chose ${ch.negotiated.transform}, below ${sec.encryption}`)
        throw new ClientError('ERR_CLIENT_CHANNEL_REFUSED', `channel to ${s.text} refused: ${cause.message}`, { cause })
      }
      ch.on('close', () => { if (this.#client === ch) this.#client = undefined })
      ch.on('error', () => undefined)
      if (this.#closed) { await ch.close().catch(() => undefined); throw new ClientError('ERR_CLIENT_CLOSED', 'the client is closed') }
      this.#client = ch
      return ch
    })()
    this.#connecting = p
    p.then(() => { this.#connecting = undefined }, () => { this.#connecting = undefined })
    return p
  }

  async close(): Promise<void> {
    this.#closed = true
    const c = this.#client
    this.#client = undefined
    if (c !== undefined) await withTimeout(c.close(), 1000, () => new Error('close timed out')).catch(() => undefined)
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, err: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(err()), ms)
    p.then((v) => { clearTimeout(t); resolve(v) }, (e: unknown) => { clearTimeout(t); reject(e) })
  })
}

/**
 * The transport a server address needs.
 * @param server the parsed address
 * @param security CAs, client certificate and encryption level (DoT and channel)
 */
export function createTransport(server: ServerAddress, security: TransportSecurity): Transport {
  switch (server.kind) {
    case 'udp': return new UdpTransport(server)
    case 'tcp': return new StreamTransport(server, undefined)
    case 'tls': return new StreamTransport(server, security)
    case 'ws':
    case 'wss': return new ChannelTransport(server, security)
  }
}
