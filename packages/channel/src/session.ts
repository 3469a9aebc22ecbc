/**
 * An established channel, for either role: child SAs and their records (RFC 4303),
 * CREATE_CHILD_SA rekeying of child SAs by either side (RFC 7296 §1.3.3, §2.8, with the
 * simultaneous-rekey rule of §2.8.1), rekeying of the IKE SA itself by the initiator
 * (§1.3.2, §2.18), liveness checks (§2.4), DELETE (§1.4.1) and the encrypted exchanges that
 * carry them. The transport is any object with `send` and `close` (a ws WebSocket, or a
 * CoalescingTransport around one).
 */
import { randomBytes, randomInt } from 'node:crypto'
import { ChannelError } from './errors.js'
import {
  EXCHANGE, FLAG_INITIATOR, FLAG_RESPONSE, KIND_IKE, KIND_RECORD, NOTIFY, PAYLOAD,
  decodeIkeMessage, encodeEncrypted, openSk, parseErrorNotify, type Payload,
} from './ike_message.js'
import { deriveChildKeys, deriveRekeyedIkeKeys, PRFS, type IkeKeys } from './key_schedule.js'
import { createKeyShare, GROUPS } from './key_exchange.js'
import { InboundSa, OutboundSa, recordSpi } from './esp.js'
import { KIND_BUNDLE, splitBundle } from './bundle.js'
import type { HandshakeResult } from './handshake.js'
import { REKEY_AT, type ChannelLimits } from './limits.js'
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
  /** A CREATE_CHILD_SA exchange (started by either side) made a new child SA. */
  onRekey?(info: { oldSpis: SaSpis; newSpis: SaSpis }): void
  /** A new IKE SA replaced the old one (RFC 7296 §2.18). */
  onIkeRekey?(info: { oldSpis: IkeSpis; newSpis: IkeSpis }): void
  /** The session ended (err: why, when it was not a clean close). */
  onClose(err?: ChannelError): void
}

/** The SPIs of one child SA: ours (inbound) and the peer's (outbound). */
export interface SaSpis {
  readonly inbound: number
  readonly outbound: number
}

/** The SPIs of an IKE SA, in hex. */
export interface IkeSpis {
  readonly initiator: string
  readonly responder: string
}

/** One IKE SA: its keys, message ids and the requests it has outstanding. */
interface IkeSa {
  readonly spiI: Uint8Array
  readonly spiR: Uint8Array
  readonly keys: IkeKeys
  readonly sendKey: DirectionKey
  readonly recvKey: DirectionKey
  /**
   * True when we are this IKE SA's initiator: the end that began the handshake, or, after
   * a rekey, the end that started that rekey (RFC 7296 §2.18, §3.1: the I flag "changes to
   * reflect who initiated the last rekey of the IKE SA"). It decides SK_ei/SK_er and the I flag.
   */
  readonly weInitiated: boolean
  nextRequestId: number
  expectedPeerRequest: number
  readonly pending: Map<number, (ps: Payload[]) => void>
  readonly createdAt: number
}

/** Our child rekey in progress, and the peer's that crossed it (RFC 7296 §2.8.1). */
interface ChildRekey {
  readonly ni: Uint8Array
  collision?: { readonly peerNi: Uint8Array; readonly myNr: Uint8Array; readonly inSpi: number }
}

function find<T extends Payload['type']>(ps: Payload[], type: T): Extract<Payload, { type: T }> | undefined {
  return ps.find((p) => p.type === type) as Extract<Payload, { type: T }> | undefined
}

function hasNotify(ps: Payload[], type: number): boolean {
  return ps.some((p) => p.type === PAYLOAD.NOTIFY && p.notifyType === type)
}

function lower(a: Uint8Array, b: Uint8Array): Uint8Array {
  return Buffer.compare(a, b) <= 0 ? a : b
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
  /** The inbound half of the child SA we send on (its budget counts too). */
  private currentIn: InboundSa
  readonly inbound = new Map<number, InboundSa>()
  /** Our inbound SPI → the outbound half of the same child SA. */
  private readonly pairs = new Map<number, OutboundSa>()
  /** Our inbound SPIs whose DELETE we sent and the peer has not answered yet. */
  private readonly deleting = new Set<number>()
  /** The IKE SA in use for new requests. */
  private ike: IkeSa
  /** The IKE SA just replaced, kept until its DELETE exchange ends (RFC 7296 §2.8). */
  private oldIke: IkeSa | undefined
  private readonly queue: Uint8Array[] = []
  private childRekey: ChildRekey | undefined
  private ikeRekeying = false
  /** A rekey was asked for (or refused with TEMPORARY_FAILURE) and waits for its chance. */
  private childRekeyWanted = false
  private ikeRekeyWanted = false
  private retryTimer: NodeJS.Timeout | undefined
  private readonly limits: ChannelLimits
  private readonly inboundSoftLimit: number
  private readonly transport: SessionTransport
  private readonly hooks: SessionHooks
  private readonly timer: NodeJS.Timeout
  private lastRx = Date.now()
  private dpdDeadline = 0
  closed = false
  /** CREATE_CHILD_SA exchanges completed, whichever side started them. */
  rekeys = 0
  /** Child rekeys this side started. */
  rekeysInitiated = 0
  /** Rekeys that crossed one from the peer (RFC 7296 §2.8.1). */
  collisions = 0
  /** IKE SA rekeys completed. */
  ikeRekeys = 0
  /** IKE SA rekeys this end started (and completed). */
  ikeRekeysInitiated = 0
  /** Exchanges the peer answered with TEMPORARY_FAILURE (retried later). */
  temporaryFailures = 0

  constructor(transport: SessionTransport, hs: HandshakeResult, limits: ChannelLimits, hooks: SessionHooks) {
    this.transport = transport
    this.hs = hs
    this.limits = limits
    this.hooks = hooks
    this.inboundSoftLimit = limits.saMaxPackets * REKEY_AT
    const initiator = hs.role === 'initiator'
    // Message ids 0 and 1 were INIT and AUTH (initiator's requests); the responder's own
    // requests start at 0 (RFC 7296 §2.2: each side numbers its requests).
    this.ike = this.newIkeSa(hs.spiI, hs.spiR, hs.ikeKeys, initiator ? 2 : 0, initiator ? 0 : 2, initiator)
    this.outbound = this.install(hs.child, initiator, hs.inboundSpi, hs.outboundSpi)
    this.currentIn = this.inbound.get(hs.inboundSpi)!
    const period = Math.max(20, Math.min(1000, limits.dpdIntervalMs / 2, limits.idleTimeoutMs / 2, limits.saLifetimeMs / 8, limits.ikeSaLifetimeMs / 8))
    this.timer = setInterval(() => this.tick(), period)
    this.timer.unref()
  }

  private newIkeSa(spiI: Uint8Array, spiR: Uint8Array, keys: IkeKeys, nextRequestId: number, expectedPeerRequest: number, weInitiated: boolean): IkeSa {
    return {
      spiI, spiR, keys, sendKey: weInitiated ? keys.skEi : keys.skEr, recvKey: weInitiated ? keys.skEr : keys.skEi, weInitiated,
      nextRequestId, expectedPeerRequest, pending: new Map(), createdAt: Date.now(),
    }
  }

  /**
   * Install both halves of a child SA. RFC 7296 §2.17: the keys for the direction from the
   * initiator of the exchange that made it come first in KEYMAT.
   */
  private install(child: { i2r: DirectionKey; r2i: DirectionKey }, weInitiated: boolean, inSpi: number, outSpi: number): OutboundSa {
    this.inbound.set(inSpi, new InboundSa(inSpi, this.hs.transform, weInitiated ? child.r2i : child.i2r, this.limits.replayWindow))
    const out = new OutboundSa(outSpi, this.hs.transform, weInitiated ? child.i2r : child.r2i, this.limits.saMaxPackets, this.limits.saMaxBytes, Date.now())
    this.pairs.set(inSpi, out)
    return out
  }

  /** The SPIs of the child SA in use for sending. */
  get spis(): SaSpis {
    for (const [i, o] of this.pairs) if (o === this.outbound) return { inbound: i, outbound: o.spi }
    return { inbound: 0, outbound: this.outbound.spi }
  }

  /** The SPIs of the IKE SA in use. */
  get ikeSpis(): IkeSpis {
    return { initiator: Buffer.from(this.ike.spiI).toString('hex'), responder: Buffer.from(this.ike.spiR).toString('hex') }
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
    const o = this.outbound, l = this.limits, f = REKEY_AT
    if (o.seq >= l.saMaxPackets * f || o.bytes >= l.saMaxBytes * f) return true
    // Lifetimes run on both ends' clocks alike; the responder waits a little longer, so the
    // initiator usually goes first and simultaneous rekeys (§2.8.1) stay rare.
    if (Date.now() - o.createdAt >= l.saLifetimeMs * (this.hs.role === 'initiator' ? f : f + 0.1)) return true
    return this.currentIn.packets >= l.saMaxPackets * f
  }

  /** Send on `out` from now on. */
  private use(out: OutboundSa): void {
    this.outbound = out
    for (const [spi, o] of this.pairs) if (o === out) this.currentIn = this.inbound.get(spi)!
  }

  private maybeRekey(force: boolean): void {
    // After a TEMPORARY_FAILURE wait out the pause, or two colliding ends would retry in lockstep forever.
    if (this.childRekey !== undefined || this.ikeRekeying || this.closed || this.retryTimer !== undefined) return
    // Either side replaces a child SA whose budget or lifetime runs out (RFC 7296 §2.8);
    // when both start at once, §2.8.1 decides which new SA stays.
    if (force || this.softLimitReached()) this.rekey()
  }

  /** Start the rekeys that are due and not blocked by another exchange. */
  private kick(): void {
    if (this.closed) return
    this.maybeRekey(this.queue.length > 0 || this.childRekeyWanted)
    this.maybeRekeyIke(this.ikeRekeyWanted)
  }

  /** Start a CREATE_CHILD_SA exchange now (RFC 7296 §1.3.3): a new child SA with fresh nonces and a fresh Diffie-Hellman exchange. */
  rekey(): void {
    if (this.childRekey !== undefined || this.closed) return
    if (this.ikeRekeying) { this.childRekeyWanted = true; return }
    this.childRekeyWanted = false
    const newIn = randomSpi32()
    const ni = randomBytes(32)
    // RFC 7296 §1.3.2: a KE payload in CREATE_CHILD_SA gives the new child SA perfect
    // forward secrecy; we always send one, in the IKE SA's group.
    const share = createKeyShare(this.hs.group)
    const old: SaSpis = this.spis
    const ike = this.ike
    const state: ChildRekey = { ni }
    this.childRekey = state
    this.rekeysInitiated++
    this.request(EXCHANGE.CREATE_CHILD_SA, [
      { type: PAYLOAD.SA, spi: spiBytes(newIn), groups: [GROUPS[this.hs.group]], prfs: [], transforms: [this.hs.transform.id] },
      { type: PAYLOAD.NONCE, data: ni },
      { type: PAYLOAD.KE, group: GROUPS[this.hs.group], data: share.publicKey },
    ], (ps) => {
      this.childRekey = undefined
      // RFC 7296 §2.25: the peer is busy with an exchange that collides with ours; retry.
      if (hasNotify(ps, NOTIFY.TEMPORARY_FAILURE)) { this.temporaryFailures++; this.childRekeyWanted = true; this.retryLater(); return }
      const sa = find(ps, PAYLOAD.SA), nonce = find(ps, PAYLOAD.NONCE), ke = find(ps, PAYLOAD.KE)
      if (sa === undefined || sa.spi.length !== 4 || nonce === undefined || ke === undefined || ke.group !== GROUPS[this.hs.group] || sa.transforms[0] !== this.hs.transform.id) {
        this.fail(new ChannelError('ERR_CHANNEL_PROTOCOL', 'bad CREATE_CHILD_SA response'))
        return
      }
      let secret: Uint8Array
      try { secret = share.computeSecret(ke.data) } catch (e) { this.fail(e as ChannelError); return }
      const peerIn = Buffer.from(sa.spi).readUInt32BE(0)
      const keys = deriveChildKeys(this.hs.prf, ike.keys.skD, this.hs.transform, ni, nonce.data, secret)
      let next = this.install(keys, true, newIn, peerIn)
      const c = state.collision
      if (c !== undefined) {
        this.collisions++
        // RFC 7296 §2.8.1: when both ends rekeyed at once, the SA made with the lowest of
        // the four nonces is redundant and the end that made it (the initiator of that
        // exchange) deletes it. Both ends hold all four nonces, so both agree.
        const peers = this.pairs.get(c.inSpi)
        if (peers !== undefined && Buffer.compare(lower(ni, nonce.data), lower(c.peerNi, c.myNr)) < 0) {
          next = peers
          this.deletePair(newIn)
        }
      }
      // The peer switched to the new SA before it answered; we switch now. Our old inbound
      // SA stays until the peer answers our DELETE, so records it sent before are not lost.
      this.use(next)
      this.rekeys++
      this.hooks.onRekey?.({ oldSpis: old, newSpis: this.spis })
      this.deletePair(old.inbound)
      this.flush()
    })
  }

  /** Ask the peer to delete the child SA whose inbound half is `inSpi` (RFC 7296 §1.4.1); ours goes when it answers. */
  private deletePair(inSpi: number): void {
    if (!this.pairs.has(inSpi) || this.deleting.has(inSpi) || this.pairs.get(inSpi) === this.outbound) return
    this.deleting.add(inSpi)
    this.request(EXCHANGE.INFORMATIONAL, [{ type: PAYLOAD.DELETE, spis: [spiBytes(inSpi)] }], () => {
      this.deleting.delete(inSpi)
      // The peer answered after its last record on this SA, so nothing more can arrive on it.
      const out = this.pairs.get(inSpi)
      if (out !== undefined && out !== this.outbound) { this.pairs.delete(inSpi); this.dropSa(inSpi, out) }
    })
  }

  /** Forget both halves of a child SA and wipe their keys. */
  private dropSa(inSpi: number, out: OutboundSa): void {
    this.inbound.get(inSpi)?.destroy()
    this.inbound.delete(inSpi)
    out.destroy()
  }

  private retryLater(): void {
    if (this.retryTimer !== undefined || this.closed) return
    // A random pause, so two ends that keep colliding fall out of step.
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.kick() }, randomInt(5, 50))
    this.retryTimer.unref()
  }

  private ikeSoftLimitReached(): boolean {
    const k = this.ike, l = this.limits
    // Both ends count the same messages and run the same clock; the server waits a little
    // longer, so the client usually goes first and the server rekeys only for a client that
    // does not (crossing IKE SA rekeys are refused with TEMPORARY_FAILURE and retried).
    const f = this.hs.role === 'initiator' ? REKEY_AT : REKEY_AT + 0.1
    return k.nextRequestId + k.expectedPeerRequest >= l.ikeSaMaxMessages * f || Date.now() - k.createdAt >= l.ikeSaLifetimeMs * f
  }

  private maybeRekeyIke(force: boolean): void {
    if (this.retryTimer !== undefined) return
    if (force || this.ikeSoftLimitReached()) this.rekeyIke()
  }

  /**
   * Replace the IKE SA now (RFC 7296 §1.3.2, §2.18): CREATE_CHILD_SA with a new SPIi, nonce
   * and key share; the new keys come from the old SK_d and the new Diffie-Hellman secret.
   * Child SAs carry on unchanged and belong to the new IKE SA; the old one is deleted.
   * Either end may rekey the IKE SA, and only while no other exchange of its own is
   * outstanding (§2.25.2); otherwise the call waits for the next chance. The end that
   * rekeys becomes the new IKE SA's initiator (§2.18).
   */
  rekeyIke(): void {
    if (this.ikeRekeying || this.closed) return
    if (this.childRekey !== undefined || this.oldIke !== undefined || this.ike.pending.size > 0) { this.ikeRekeyWanted = true; return }
    this.ikeRekeyWanted = false
    this.ikeRekeying = true
    const spiI = randomBytes(8)
    const ni = randomBytes(32)
    const share = createKeyShare(this.hs.group)
    const old = this.ike
    this.request(EXCHANGE.CREATE_CHILD_SA, [
      { type: PAYLOAD.SA, spi: spiI, groups: [GROUPS[this.hs.group]], prfs: [PRFS[this.hs.prf]], transforms: [] },
      { type: PAYLOAD.NONCE, data: ni },
      { type: PAYLOAD.KE, group: GROUPS[this.hs.group], data: share.publicKey },
    ], (ps) => {
      this.ikeRekeying = false
      if (hasNotify(ps, NOTIFY.TEMPORARY_FAILURE)) { this.temporaryFailures++; this.ikeRekeyWanted = true; this.retryLater(); return }
      const sa = find(ps, PAYLOAD.SA), nonce = find(ps, PAYLOAD.NONCE), ke = find(ps, PAYLOAD.KE)
      if (sa === undefined || sa.spi.length !== 8 || sa.spi.every((b) => b === 0) || nonce === undefined || ke === undefined || ke.group !== GROUPS[this.hs.group]) {
        this.fail(new ChannelError('ERR_CHANNEL_PROTOCOL', 'bad CREATE_CHILD_SA response to an IKE SA rekey'))
        return
      }
      let secret: Uint8Array
      try { secret = share.computeSecret(ke.data) } catch (e) { this.fail(e as ChannelError); return }
      const spiR = Uint8Array.from(sa.spi)
      const keys = deriveRekeyedIkeKeys(this.hs.prf, old.keys.skD, secret, ni, nonce.data, spiI, spiR)
      const before = this.ikeSpis
      this.ike = this.newIkeSa(spiI, spiR, keys, 0, 0, true)
      this.oldIke = old
      this.ikeRekeys++
      this.ikeRekeysInitiated++
      this.hooks.onIkeRekey?.({ oldSpis: before, newSpis: this.ikeSpis })
      // RFC 7296 §2.8: the initiator of the rekey deletes the old IKE SA, in the old SA.
      this.requestOn(old, EXCHANGE.INFORMATIONAL, [{ type: PAYLOAD.DELETE, spis: [], ike: true }], () => {
        if (this.oldIke === old) this.oldIke = undefined
      })
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

  private header(sa: IkeSa, exchange: number, messageId: number, response: boolean) {
    return { spiI: sa.spiI, spiR: sa.spiR, exchange, flags: (sa.weInitiated ? FLAG_INITIATOR : 0) | (response ? FLAG_RESPONSE : 0), messageId }
  }

  private request(exchange: number, payloads: Payload[], onResponse: (ps: Payload[]) => void): void {
    this.requestOn(this.ike, exchange, payloads, onResponse)
  }

  private requestOn(sa: IkeSa, exchange: number, payloads: Payload[], onResponse: (ps: Payload[]) => void): void {
    const id = sa.nextRequestId++
    sa.pending.set(id, onResponse)
    this.transport.send(encodeEncrypted(this.header(sa, exchange, id, false), payloads, sa.sendKey))
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
        const payload = sa.open(frame)
        // The receiving half has a budget too: the end that sees it run low starts the rekey.
        if (sa.packets >= this.inboundSoftLimit) this.maybeRekey(false)
        this.hooks.onMessage(payload)
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

  private ikeSaOf(spiI: Uint8Array, spiR: Uint8Array): IkeSa | undefined {
    for (const sa of [this.ike, this.oldIke]) {
      if (sa !== undefined && Buffer.compare(spiI, sa.spiI) === 0 && Buffer.compare(spiR, sa.spiR) === 0) return sa
    }
    return undefined
  }

  private handleIke(frame: Uint8Array): void {
    const m = decodeIkeMessage(frame)
    const h = m.header
    // An IKE SA that was rekeyed and deleted is gone: its SPIs name nothing any more.
    const ike = this.ikeSaOf(h.spiI, h.spiR)
    if (ike === undefined) throw new ChannelError('ERR_CHANNEL_BAD_SPI', 'handshake message for another IKE SA')
    if ((h.flags & FLAG_RESPONSE) !== 0) {
      const cb = ike.pending.get(h.messageId)
      if (cb === undefined) throw new ChannelError('ERR_CHANNEL_REPLAY', `response to message ${h.messageId}, which is not outstanding`)
      const ps = openSk(frame, m, ike.recvKey)
      ike.pending.delete(h.messageId)
      cb(ps)
      this.kick()
      return
    }
    // RFC 7296 §2.2: requests arrive in message-id order; an old id is a replay.
    if (h.messageId !== ike.expectedPeerRequest) throw new ChannelError('ERR_CHANNEL_REPLAY', `request with message id ${h.messageId}, expected ${ike.expectedPeerRequest}`)
    const ps = openSk(frame, m, ike.recvKey)
    ike.expectedPeerRequest++
    const reply = (payloads: Payload[]) => this.transport.send(encodeEncrypted(this.header(ike, h.exchange, h.messageId, true), payloads, ike.sendKey))
    if (h.exchange === EXCHANGE.INFORMATIONAL) { this.onInformational(ike, ps, reply); return }
    if (h.exchange === EXCHANGE.CREATE_CHILD_SA) {
      const sa = find(ps, PAYLOAD.SA)
      if (sa !== undefined && sa.spi.length === 8) this.onIkeRekeyRequest(ike, ps, reply)
      else this.onChildRekeyRequest(ike, ps, reply)
      return
    }
    throw new ChannelError('ERR_CHANNEL_PROTOCOL', `unexpected exchange ${h.exchange}`)
  }

  private onInformational(ike: IkeSa, ps: Payload[], reply: (payloads: Payload[]) => void): void {
    const err = ps.find((p) => p.type === PAYLOAD.NOTIFY && p.notifyType === NOTIFY.SECDNS_ERROR) as { data: Uint8Array } | undefined
    if (err !== undefined) {
      const { code, message } = parseErrorNotify(err.data)
      this.hooks.onPeerRefusal?.(code, message)
      this.end(undefined, 1000, 'peer refused')
      return
    }
    if (hasNotify(ps, NOTIFY.SECDNS_REKEY_REQUEST)) {
      // An older responder asks the initiator to rekey for it.
      reply([])
      this.rekey()
      return
    }
    const del = find(ps, PAYLOAD.DELETE)
    if (del?.ike === true) {
      reply([])
      // RFC 7296 §2.8: the old IKE SA is gone once its DELETE is answered; a peer that
      // deletes the IKE SA in use ends the channel (§1.4.1).
      if (ike === this.oldIke) this.oldIke = undefined
      else this.end(undefined, 1000, 'peer deleted the IKE SA')
      return
    }
    const gone: Uint8Array[] = []
    if (del !== undefined) {
      for (const s of del.spis) {
        const peerSpi = Buffer.from(s).readUInt32BE(0)
        for (const [mine, out] of this.pairs) {
          if (out.spi !== peerSpi) continue
          if (out === this.outbound) {
            // The peer deletes the SA we send on: move to the newest other one, if any.
            let other: OutboundSa | undefined
            for (const [, o] of this.pairs) if (o !== out) other = o
            if (other === undefined) continue
            this.use(other)
          }
          // RFC 7296 §1.4.1: delete our inbound half and answer with its SPI.
          this.pairs.delete(mine); this.deleting.delete(mine); this.dropSa(mine, out); gone.push(spiBytes(mine))
        }
      }
    }
    reply(gone.length > 0 ? [{ type: PAYLOAD.DELETE, spis: gone }] : [])
    if (gone.length > 0) this.flush()
  }

  private onChildRekeyRequest(ike: IkeSa, ps: Payload[], reply: (payloads: Payload[]) => void): void {
    // RFC 7296 §2.25.2: a child SA exchange while we rekey the IKE SA gets TEMPORARY_FAILURE.
    if (this.ikeRekeying) { reply([{ type: PAYLOAD.NOTIFY, notifyType: NOTIFY.TEMPORARY_FAILURE, data: new Uint8Array(0) }]); return }
    const sa = find(ps, PAYLOAD.SA), nonce = find(ps, PAYLOAD.NONCE), ke = find(ps, PAYLOAD.KE)
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
    const keys = deriveChildKeys(this.hs.prf, ike.keys.skD, this.hs.transform, nonce.data, nr, secret)
    const old = this.spis
    const next = this.install(keys, false, newIn, peerIn)
    reply([
      { type: PAYLOAD.SA, spi: spiBytes(newIn), groups: [GROUPS[this.hs.group]], prfs: [], transforms: [this.hs.transform.id] },
      { type: PAYLOAD.NONCE, data: nr },
      { type: PAYLOAD.KE, group: GROUPS[this.hs.group], data: share.publicKey },
    ])
    // Our own rekey is in flight: remember this exchange's nonces for §2.8.1.
    if (this.childRekey !== undefined) this.childRekey.collision = { peerNi: Uint8Array.from(nonce.data), myNr: nr, inSpi: newIn }
    // Everything we send from now on uses the new SA; the old inbound SA stays until a DELETE.
    this.use(next)
    this.rekeys++
    this.hooks.onRekey?.({ oldSpis: old, newSpis: this.spis })
    this.flush()
  }

  private onIkeRekeyRequest(ike: IkeSa, ps: Payload[], reply: (payloads: Payload[]) => void): void {
    if (ike !== this.ike) throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'IKE SA rekey requested on an IKE SA that was already replaced')
    // RFC 7296 §2.25.2: while we are rekeying or deleting a child SA or rekeying the IKE SA
    // ourselves (any request of ours outstanding), an IKE SA rekey gets TEMPORARY_FAILURE and
    // its initiator tries again after a random pause; two crossing IKE SA rekeys both get it.
    if (this.childRekey !== undefined || ike.pending.size > 0 || this.oldIke !== undefined) {
      reply([{ type: PAYLOAD.NOTIFY, notifyType: NOTIFY.TEMPORARY_FAILURE, data: new Uint8Array(0) }])
      return
    }
    const sa = find(ps, PAYLOAD.SA)!, nonce = find(ps, PAYLOAD.NONCE), ke = find(ps, PAYLOAD.KE)
    if (nonce === undefined || ke === undefined || sa.spi.every((b) => b === 0) || !sa.prfs.includes(PRFS[this.hs.prf])) throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'bad CREATE_CHILD_SA request to rekey the IKE SA')
    if (ke.group !== GROUPS[this.hs.group]) throw new ChannelError('ERR_CHANNEL_PROTOCOL', `IKE SA rekey key share in group ${ke.group}, not the negotiated ${this.hs.group}`)
    const share = createKeyShare(this.hs.group)
    const secret = share.computeSecret(ke.data)
    const spiI = Uint8Array.from(sa.spi)
    const spiR = randomBytes(8)
    const nr = randomBytes(32)
    const keys = deriveRekeyedIkeKeys(this.hs.prf, ike.keys.skD, secret, nonce.data, nr, spiI, spiR)
    reply([
      { type: PAYLOAD.SA, spi: spiR, groups: [GROUPS[this.hs.group]], prfs: [PRFS[this.hs.prf]], transforms: [] },
      { type: PAYLOAD.NONCE, data: nr },
      { type: PAYLOAD.KE, group: GROUPS[this.hs.group], data: share.publicKey },
    ])
    const before = this.ikeSpis
    // New requests of ours go in the new IKE SA; the old one stays for the initiator's DELETE.
    this.oldIke = ike
    this.ike = this.newIkeSa(spiI, spiR, keys, 0, 0, false)
    this.ikeRekeys++
    this.hooks.onIkeRekey?.({ oldSpis: before, newSpis: this.ikeSpis })
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
    } else if (now - this.lastRx >= this.limits.idleTimeoutMs) {
      this.fail(new ChannelError('ERR_CHANNEL_TIMEOUT', `channel idle for ${this.limits.idleTimeoutMs} ms`))
      return
    }
    // Lifetimes run out without traffic too (RFC 7296 §2.8).
    this.kick()
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
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.queue.length = 0
    this.ike.pending.clear()
    this.oldIke?.pending.clear()
    try { this.transport.close(code, reason) } catch { /* already closed */ }
    // The transport has taken every frame it will send: wipe every child SA's keys.
    for (const sa of this.inbound.values()) sa.destroy()
    for (const out of this.pairs.values()) out.destroy()
    this.hooks.onClose(err)
  }
}
