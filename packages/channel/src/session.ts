/**
 * An established channel, for either role: child SAs and their records (RFC 4303),
 * CREATE_CHILD_SA rekeying (RFC 7296 §1.3.3, §2.8), liveness checks (§2.4), DELETE (§1.4.1)
 * and the encrypted exchanges that carry them. The transport is any object with `send`
 * and `close` (a ws WebSocket).
 */
import { randomBytes } from 'node:crypto'
import { ChannelError } from './errors.js'
import {
  EXCHANGE, FLAG_INITIATOR, FLAG_RESPONSE, KIND_IKE, KIND_RECORD, NOTIFY, PAYLOAD,
  decodeIkeMessage, encodeEncrypted, openSk, parseErrorNotify, type Payload, type SaPayload,
} from './ike_message.js'
import { deriveChildKeys } from './key_schedule.js'
import { createKeyShare, GROUPS } from './key_exchange.js'
import { InboundSa, OutboundSa, recordSpi } from './esp.js'
import { KIND_BUNDLE, splitBundle } from './bundle.js'
import type { HandshakeResult } from './handshake.js'
import type { ChannelLimits } from './limits.js'
import type { DirectionKey } from './transforms.js'

/** The transport a session writes to (a ws WebSocket fits). */
export interface SessionTransport {
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
}

/** Callbacks from a session to its owner. */
export interface SessionHooks {
  /** A DNS message arrived in a record that verified. */
  onMessage(payload: Uint8Array): void
  /** A record or message was refused (`fatal` false: dropped and counted, the channel goes on). */
  onError(err: ChannelError, fatal: boolean): void
  /** The peer told us why it refused us. */
  onPeerRefusal?(code: string, message: string): void
  /** A new child SA replaced the old one. */
  onRekey?(info: { oldSpis: SaSpis; newSpis: SaSpis }): void
  /** The session ended (err: why, when it was not a clean close). */
  onClose(err?: ChannelError): void
}

/** The SPIs of one child SA: ours (inbound) and the peer's (outbound). */
export interface SaSpis {
  readonly inbound: number
  readonly outbound: number
}

function spiBytes(spi: number): Uint8Array {
  const b = Buffer.alloc(4); b.writeUInt32BE(spi >>> 0); return b
}

function randomSpi32(): number {
  let s = 0
  while (s < 256) s = randomBytes(4).readUInt32BE(0)
  return s
}

/**
 * One established channel.
 *
 * @example
 * const s = new ChannelSession(ws, result, limits, { onMessage, onError, onClose })
 * ws.on('message', (d) => s.handleFrame(d))
 * s.send(dnsQuery)
 */
export class ChannelSession {
  readonly hs: HandshakeResult
  outbound: OutboundSa
  readonly inbound = new Map<number, InboundSa>()
  /** Our inbound SPI → the peer's inbound SPI of the same child SA. */
  private readonly pairs = new Map<number, number>()
  private readonly sendKey: DirectionKey
  private readonly recvKey: DirectionKey
  private nextRequestId: number
  private expectedPeerRequest: number
  private readonly pending = new Map<number, (ps: Payload[]) => void>()
  private readonly queue: Uint8Array[] = []
  private rekeying = false
  private readonly limits: ChannelLimits
  private readonly transport: SessionTransport
  private readonly hooks: SessionHooks
  private readonly timer: NodeJS.Timeout
  private lastRx = Date.now()
  private dpdDeadline = 0
  closed = false
  /** Number of completed rekeys. */
  rekeys = 0

  constructor(transport: SessionTransport, hs: HandshakeResult, limits: ChannelLimits, hooks: SessionHooks) {
    this.transport = transport
    this.hs = hs
    this.limits = limits
    this.hooks = hooks
    const initiator = hs.role === 'initiator'
    this.sendKey = initiator ? hs.ikeKeys.skEi : hs.ikeKeys.skEr
    this.recvKey = initiator ? hs.ikeKeys.skEr : hs.ikeKeys.skEi
    // Message ids 0 and 1 were INIT and AUTH (initiator's requests); the responder's own
    // requests start at 0 (RFC 7296 §2.2: each side numbers its requests).
    this.nextRequestId = initiator ? 2 : 0
    this.expectedPeerRequest = initiator ? 0 : 2
    this.outbound = this.install(hs.child, hs.inboundSpi, hs.outboundSpi)
    const period = Math.max(20, Math.min(1000, limits.dpdIntervalMs / 2, limits.idleTimeoutMs / 2))
    this.timer = setInterval(() => this.tick(), period)
    this.timer.unref()
  }

  private install(child: { i2r: DirectionKey; r2i: DirectionKey }, inSpi: number, outSpi: number): OutboundSa {
    const initiator = this.hs.role === 'initiator'
    this.inbound.set(inSpi, new InboundSa(inSpi, this.hs.transform, initiator ? child.r2i : child.i2r, this.limits.replayWindow))
    this.pairs.set(inSpi, outSpi)
    return new OutboundSa(outSpi, this.hs.transform, initiator ? child.i2r : child.r2i, this.limits.saMaxPackets, this.limits.saMaxBytes, Date.now())
  }

  /** The SPIs of the child SA in use for sending. */
  get spis(): SaSpis {
    for (const [i, o] of this.pairs) if (o === this.outbound.spi) return { inbound: i, outbound: o }
    return { inbound: 0, outbound: this.outbound.spi }
  }

  /**
   * Send one DNS message in one record. When the SA's budget is spent the message waits
   * for the rekey (never sent on an exhausted SA, RFC 4303 §3.3.3).
   */
  send(payload: Uint8Array): void {
    if (this.closed) throw new ChannelError('ERR_CHANNEL_CLOSED', 'channel is closed')
    if (this.queue.length > 0 || !this.outbound.canSend(payload.length)) {
      this.queue.push(payload)
      this.maybeRekey(true)
      return
    }
    this.transport.send(this.outbound.seal(payload))
    this.maybeRekey(false)
  }

  private softLimitReached(): boolean {
    const o = this.outbound, l = this.limits, f = 0.75
    if (o.seq >= l.saMaxPackets * f || o.bytes >= l.saMaxBytes * f) return true
    if (Date.now() - o.createdAt >= l.saLifetimeMs * f) return true
    for (const [spi, peerSpi] of this.pairs) {
      if (peerSpi === o.spi && (this.inbound.get(spi)?.packets ?? 0) >= l.saMaxPackets * f) return true
    }
    return false
  }

  private rekeyRequested = false

  private maybeRekey(force: boolean): void {
    if (this.rekeying || this.closed) return
    if (this.hs.role !== 'initiator') {
      // Only the initiator starts CREATE_CHILD_SA (the client); a responder whose own
      // budget is spent asks it to, once per SA, and holds its answers until the new SA.
      if ((force || this.softLimitReached()) && !this.rekeyRequested) {
        this.rekeyRequested = true
        this.request(EXCHANGE.INFORMATIONAL, [{ type: PAYLOAD.NOTIFY, notifyType: NOTIFY.SECDNS_REKEY_REQUEST, data: new Uint8Array(0) }], () => {})
      }
      return
    }
    if (force || this.softLimitReached()) this.rekey()
  }

  /** Start a CREATE_CHILD_SA exchange now (RFC 7296 §1.3.3): a new child SA with fresh nonces and a fresh Diffie-Hellman exchange. */
  rekey(): void {
    if (this.rekeying || this.closed) return
    this.rekeying = true
    const newIn = randomSpi32()
    const ni = randomBytes(32)
    // RFC 7296 §1.3.2: a KE payload in CREATE_CHILD_SA gives the new child SA perfect
    // forward secrecy; we always send one, in the IKE SA's group.
    const share = createKeyShare(this.hs.group)
    const old: SaSpis = this.spis
    this.request(EXCHANGE.CREATE_CHILD_SA, [
      { type: PAYLOAD.SA, spi: spiBytes(newIn), groups: [GROUPS[this.hs.group]], prfs: [], transforms: [this.hs.transform.id] },
      { type: PAYLOAD.NONCE, data: ni },
      { type: PAYLOAD.KE, group: GROUPS[this.hs.group], data: share.publicKey },
    ], (ps) => {
      const sa = ps.find((p): p is SaPayload => p.type === PAYLOAD.SA)
      const nonce = ps.find((p) => p.type === PAYLOAD.NONCE) as { data: Uint8Array } | undefined
      const ke = ps.find((p) => p.type === PAYLOAD.KE) as { group: number; data: Uint8Array } | undefined
      if (sa === undefined || sa.spi.length !== 4 || nonce === undefined || ke === undefined || ke.group !== GROUPS[this.hs.group] || sa.transforms[0] !== this.hs.transform.id) {
        this.fail(new ChannelError('ERR_CHANNEL_PROTOCOL', 'bad CREATE_CHILD_SA response'))
        return
      }
      let secret: Uint8Array
      try { secret = share.computeSecret(ke.data) } catch (e) { this.fail(e as ChannelError); return }
      const peerIn = Buffer.from(sa.spi).readUInt32BE(0)
      const keys = deriveChildKeys(this.hs.prf, this.hs.ikeKeys.skD, this.hs.transform, ni, nonce.data, secret)
      this.outbound = this.install(keys, newIn, peerIn)
      // The responder switched to the new SA before it answered, and the transport keeps
      // order, so no record can still arrive on our old inbound SA: delete it now and tell
      // the peer, which keeps its old inbound SA until this DELETE arrives (records we sent
      // on it before the switch are ahead of the DELETE).
      this.inbound.delete(old.inbound)
      this.pairs.delete(old.inbound)
      this.request(EXCHANGE.INFORMATIONAL, [{ type: PAYLOAD.DELETE, spis: [spiBytes(old.inbound)] }], () => {})
      this.rekeying = false
      this.rekeys++
      this.hooks.onRekey?.({ oldSpis: old, newSpis: { inbound: newIn, outbound: peerIn } })
      this.flush()
    })
  }

  private flush(): void {
    while (this.queue.length > 0 && !this.closed) {
      const p = this.queue[0]!
      if (!this.outbound.canSend(p.length)) { this.maybeRekey(true); return }
      this.queue.shift()
      this.transport.send(this.outbound.seal(p))
    }
    this.maybeRekey(false)
  }

  private header(exchange: number, messageId: number, response: boolean) {
    const initiator = this.hs.role === 'initiator'
    return { spiI: this.hs.spiI, spiR: this.hs.spiR, exchange, flags: (initiator ? FLAG_INITIATOR : 0) | (response ? FLAG_RESPONSE : 0), messageId }
  }

  private request(exchange: number, payloads: Payload[], onResponse: (ps: Payload[]) => void): void {
    const id = this.nextRequestId++
    this.pending.set(id, onResponse)
    this.transport.send(encodeEncrypted(this.header(exchange, id, false), payloads, this.sendKey))
  }

  /** Process one received WebSocket message (a record, a handshake message or a bundle of them). Never throws: refusals go to `hooks.onError`. */
  handleFrame(frame: Uint8Array): void {
    if (this.closed) return
    this.lastRx = Date.now()
    this.dpdDeadline = 0
    if (frame.length > 0 && frame[0] === KIND_BUNDLE) {
      try {
        splitBundle(frame, this.handleOne)
      } catch (e) {
        // The frames before the bad length were handled; the rest of the bundle is dropped.
        this.refused(e)
      }
      return
    }
    this.handleOne(frame)
  }

  /** One record or handshake message (bound once: it is called for every inner frame of a bundle). */
  private readonly handleOne = (frame: Uint8Array): void => {
    if (this.closed) return
    try {
      if (frame.length > 0 && frame[0] === KIND_RECORD) {
        const sa = this.inbound.get(recordSpi(frame))
        // RFC 4303 §3.4.2: no SA for the SPI → discard and audit.
        if (sa === undefined) throw new ChannelError('ERR_CHANNEL_BAD_SPI', `record for unknown SPI ${recordSpi(frame).toString(16)}`, { offset: 1 })
        this.hooks.onMessage(sa.open(frame))
        return
      }
      if (frame.length > 0 && frame[0] === KIND_IKE) { this.handleIke(frame); return }
      throw new ChannelError('ERR_CHANNEL_MALFORMED', `frame kind ${frame[0] ?? 'missing'} is neither a record nor a handshake message`, { offset: 0 })
    } catch (e) {
      this.refused(e)
    }
  }

  private refused(e: unknown): void {
    const err = e instanceof ChannelError ? e : new ChannelError('ERR_CHANNEL_PROTOCOL', (e as Error).message, { cause: e })
    // A bad record is dropped and counted; the channel goes on (RFC 4303 §3.4.3, §3.4.4).
    this.hooks.onError(err, false)
  }

  private handleIke(frame: Uint8Array): void {
    const m = decodeIkeMessage(frame)
    const h = m.header
    if (Buffer.compare(h.spiI, this.hs.spiI) !== 0 || Buffer.compare(h.spiR, this.hs.spiR) !== 0) throw new ChannelError('ERR_CHANNEL_BAD_SPI', 'handshake message for another IKE SA')
    if ((h.flags & FLAG_RESPONSE) !== 0) {
      const cb = this.pending.get(h.messageId)
      if (cb === undefined) throw new ChannelError('ERR_CHANNEL_REPLAY', `response to message ${h.messageId}, which is not outstanding`)
      const ps = openSk(frame, m, this.recvKey)
      this.pending.delete(h.messageId)
      cb(ps)
      return
    }
    // RFC 7296 §2.2: requests arrive in message-id order; an old id is a replay.
    if (h.messageId !== this.expectedPeerRequest) throw new ChannelError('ERR_CHANNEL_REPLAY', `request with message id ${h.messageId}, expected ${this.expectedPeerRequest}`)
    const ps = openSk(frame, m, this.recvKey)
    this.expectedPeerRequest++
    const reply = (payloads: Payload[]) => this.transport.send(encodeEncrypted(this.header(h.exchange, h.messageId, true), payloads, this.sendKey))
    if (h.exchange === EXCHANGE.INFORMATIONAL) {
      const err = ps.find((p) => p.type === PAYLOAD.NOTIFY && p.notifyType === NOTIFY.SECDNS_ERROR) as { data: Uint8Array } | undefined
      if (err !== undefined) {
        const { code, message } = parseErrorNotify(err.data)
        this.hooks.onPeerRefusal?.(code, message)
        this.end(undefined, 1000, 'peer refused')
        return
      }
      if (ps.some((p) => p.type === PAYLOAD.NOTIFY && p.notifyType === NOTIFY.SECDNS_REKEY_REQUEST)) {
        reply([])
        if (this.hs.role === 'initiator') this.rekey()
        return
      }
      const del = ps.find((p) => p.type === PAYLOAD.DELETE) as { spis: Uint8Array[] } | undefined
      const gone: Uint8Array[] = []
      if (del !== undefined) {
        for (const s of del.spis) {
          const peerSpi = Buffer.from(s).readUInt32BE(0)
          for (const [mine, theirs] of this.pairs) {
            if (theirs === peerSpi && peerSpi !== this.outbound.spi) {
              // RFC 7296 §1.4.1: delete our inbound half and answer with its SPI.
              this.inbound.delete(mine); this.pairs.delete(mine); gone.push(spiBytes(mine))
            }
          }
        }
      }
      reply(gone.length > 0 ? [{ type: PAYLOAD.DELETE, spis: gone }] : [])
      return
    }
    if (h.exchange === EXCHANGE.CREATE_CHILD_SA && this.hs.role === 'responder') {
      const sa = ps.find((p): p is SaPayload => p.type === PAYLOAD.SA)
      const nonce = ps.find((p) => p.type === PAYLOAD.NONCE) as { data: Uint8Array } | undefined
      const ke = ps.find((p) => p.type === PAYLOAD.KE) as { group: number; data: Uint8Array } | undefined
      if (sa === undefined || sa.spi.length !== 4 || nonce === undefined || ke === undefined || !sa.transforms.includes(this.hs.transform.id)) {
        throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'bad CREATE_CHILD_SA request')
      }
      // RFC 7296 §1.3.2: the KE must be in the group the IKE SA negotiated.
      if (ke.group !== GROUPS[this.hs.group]) throw new ChannelError('ERR_CHANNEL_PROTOCOL', `CREATE_CHILD_SA key share in group ${ke.group}, not the negotiated ${this.hs.group}`)
      const share = createKeyShare(this.hs.group)
      const secret = share.computeSecret(ke.data)
      const peerIn = Buffer.from(sa.spi).readUInt32BE(0)
      const newIn = randomSpi32()
      const nr = randomBytes(32)
      const keys = deriveChildKeys(this.hs.prf, this.hs.ikeKeys.skD, this.hs.transform, nonce.data, nr, secret)
      const old = this.spis
      const next = this.install(keys, newIn, peerIn)
      reply([
        { type: PAYLOAD.SA, spi: spiBytes(newIn), groups: [GROUPS[this.hs.group]], prfs: [], transforms: [this.hs.transform.id] },
        { type: PAYLOAD.NONCE, data: nr },
        { type: PAYLOAD.KE, group: GROUPS[this.hs.group], data: share.publicKey },
      ])
      // Everything we send from now on uses the new SA; the old inbound SA stays until the
      // initiator's DELETE.
      this.outbound = next
      this.rekeyRequested = false
      this.rekeys++
      this.hooks.onRekey?.({ oldSpis: old, newSpis: { inbound: newIn, outbound: peerIn } })
      this.flush()
      return
    }
    throw new ChannelError('ERR_CHANNEL_PROTOCOL', `unexpected exchange ${h.exchange}`)
  }

  private tick(): void {
    if (this.closed) return
    const now = Date.now()
    if (this.hs.role === 'initiator') {
      if (this.dpdDeadline !== 0 && now >= this.dpdDeadline) {
        this.fail(new ChannelError('ERR_CHANNEL_TIMEOUT', `peer did not answer a liveness check within ${this.limits.dpdTimeoutMs} ms`))
        return
      }
      if (this.dpdDeadline === 0 && now - this.lastRx >= this.limits.dpdIntervalMs) {
        // RFC 7296 §2.4: an empty INFORMATIONAL request is the liveness check.
        this.dpdDeadline = now + this.limits.dpdTimeoutMs
        this.request(EXCHANGE.INFORMATIONAL, [], () => {})
      }
      this.maybeRekey(false)
    } else if (now - this.lastRx >= this.limits.idleTimeoutMs) {
      this.fail(new ChannelError('ERR_CHANNEL_TIMEOUT', `channel idle for ${this.limits.idleTimeoutMs} ms`))
    }
  }

  /** Send a liveness check now (RFC 7296 §2.4); resolves when the peer answers. */
  ping(): Promise<void> {
    return new Promise((resolve) => this.request(EXCHANGE.INFORMATIONAL, [], () => resolve()))
  }

  /** End the session with a fatal error: tell the owner and close with the error's close code. */
  fail(err: ChannelError): void {
    if (this.closed) return
    this.hooks.onError(err, true)
    this.end(err, err.closeCode, err.code)
  }

  /** Close cleanly: delete our child SA (RFC 7296 §1.4.1) and close the transport with 1000. */
  close(): void {
    if (this.closed) return
    try { this.request(EXCHANGE.INFORMATIONAL, [{ type: PAYLOAD.DELETE, spis: [spiBytes(this.spis.inbound)] }], () => {}) } catch { /* transport already gone */ }
    this.end(undefined, 1000, 'closed')
  }

  /** Mark closed, stop timers and close the transport; called once. */
  end(err: ChannelError | undefined, code: number, reason: string): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    this.queue.length = 0
    this.pending.clear()
    try { this.transport.close(code, reason) } catch { /* already closed */ }
    this.hooks.onClose(err)
  }
}
