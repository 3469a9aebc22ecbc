/**
 * The two handshake state machines, free of I/O: the initiator (client) and the responder
 * (server) of the INIT and AUTH exchanges (RFC 7296 §1.2), with the INVALID_KE_PAYLOAD
 * retry (§1.2/§2.7) and the cookie exchange (§2.6). Each takes a received frame and
 * returns the frame to send; the transport lives in client.ts and server.ts.
 *
 * ```
 * initiator                                   responder
 * INIT  [N(COOKIE)] SA KE Ni            →
 *                                       ←     N(COOKIE) | N(INVALID_KE_PAYLOAD) | N(NO_PROPOSAL_CHOSEN)
 *                                       ←     SA KE Nr
 * AUTH  SK{IDi CERT+ AUTH SA(spi)}      →
 *                                       ←     SK{IDr CERT+ AUTH SA(spi)} | SK{N(AUTHENTICATION_FAILED)}
 * ```
 */
import { randomBytes } from 'node:crypto'
import type { VerifiedChain } from '@secdns/pki'
import { ChannelError, isChannelErrorCode } from './errors.js'
import {
  AUTH_DIGITAL_SIGNATURE, CERT_X509, EXCHANGE, FLAG_INITIATOR, FLAG_RESPONSE, NOTIFY, PAYLOAD,
  decodeIkeMessage, encodeEncrypted, encodeIkeMessage, errorNotifyData, openSk, parseErrorNotify,
  type IkeHeader, type IkeMessage, type Payload, type SaPayload, type NotifyPayload,
} from './ike_message.js'
import { createKeyShare, groupById, GROUPS, type GroupName, type KeyShare } from './key_exchange.js'
import { deriveChildKeys, deriveIkeKeys, prfById, PRFS, type ChildKeys, type IkeKeys, type PrfName } from './key_schedule.js'
import { TRANSFORMS, transformById, type TransformName, type TransformSpec } from './transforms.js'
import {
  chooseFirst, chooseTransform, clientProposals, describeLevel, describeRule, satisfiesLevel,
  DEFAULT_GROUPS, DEFAULT_PRFS, type EncryptionLevel, type ServerEncryption,
} from './policy.js'
import { checkAuthSignature, ID_KEY_ID, identityOf, signAuth, signedOctets, verifyPeer, type ChannelTrust, type LoadedIdentity } from './auth.js'
import { CookieJar } from './cookie.js'
import { MAX_MESSAGE_OCTETS } from './limits.js'
import type { VerifyCacheOptions } from './auth.js'

/** Octets of every nonce we send (RFC 7296 §2.10: at least half the PRF key size, ≥ 16). */
export const NONCE_OCTETS = 32

/** Everything an established channel needs from its handshake. */
export interface HandshakeResult {
  readonly role: 'initiator' | 'responder'
  readonly spiI: Uint8Array
  readonly spiR: Uint8Array
  readonly group: GroupName
  readonly prf: PrfName
  readonly transform: TransformSpec
  readonly ikeKeys: IkeKeys
  readonly child: ChildKeys
  /** The SPI we chose for records we receive. */
  readonly inboundSpi: number
  /** The SPI the peer chose, for records we send. */
  readonly outboundSpi: number
  readonly peer: VerifiedChain
  /** The largest WebSocket message the peer accepts (its maxMessageOctets), from its AUTH. */
  readonly peerMaxMessageOctets: number
}

/** What a peer that does not say accepts at least (the smallest maxMessageOctets allowed). */
export const MIN_PEER_MESSAGE_OCTETS = 1024

function find<T extends Payload['type']>(ps: Payload[], type: T): Extract<Payload, { type: T }> | undefined {
  return ps.find((p) => p.type === type) as Extract<Payload, { type: T }> | undefined
}

function notify(ps: Payload[], type: number): NotifyPayload | undefined {
  return ps.find((p): p is NotifyPayload => p.type === PAYLOAD.NOTIFY && p.notifyType === type)
}

function errorFrom(ps: Payload[], fallback: ChannelError['code'], what: string): ChannelError | undefined {
  const n = notify(ps, NOTIFY.SECDNS_ERROR)
  if (n !== undefined) {
    const { code, message } = parseErrorNotify(n.data)
    return new ChannelError(isChannelErrorCode(code) ? code : fallback, `${what}: ${message}`)
  }
  if (notify(ps, NOTIFY.NO_PROPOSAL_CHOSEN) !== undefined) return new ChannelError('ERR_CHANNEL_NO_PROPOSAL', `${what}: NO_PROPOSAL_CHOSEN`)
  if (notify(ps, NOTIFY.AUTHENTICATION_FAILED) !== undefined) return new ChannelError('ERR_CHANNEL_AUTH_FAILED', `${what}: AUTHENTICATION_FAILED`)
  return undefined
}

function randomSpi32(): number {
  // SPIs 1–255 are reserved by IANA (RFC 4303 §2.1); 0 is never used.
  let s = 0
  while (s < 256) s = randomBytes(4).readUInt32BE(0)
  return s
}

function spiBytes(spi: number): Uint8Array {
  const b = Buffer.alloc(4); b.writeUInt32BE(spi >>> 0); return b
}

function childSpi(sa: SaPayload | undefined, what: string): number {
  if (sa === undefined || sa.spi.length !== 4) throw new ChannelError('ERR_CHANNEL_MALFORMED', `${what} carries no 4-octet child SA SPI`)
  const v = Buffer.from(sa.spi).readUInt32BE(0)
  if (v < 256) throw new ChannelError('ERR_CHANNEL_MALFORMED', `${what} child SA SPI ${v} is reserved`)
  return v
}

function authPayloads(identity: LoadedIdentity, idType: typeof PAYLOAD.IDi | typeof PAYLOAD.IDr, sig: Uint8Array, spi: number, maxMessageOctets: number): Payload[] {
  // Private notify: the largest message we accept, so the peer's bundles fit (bundle.ts).
  const max = Buffer.alloc(4); max.writeUInt32BE(maxMessageOctets >>> 0)
  return [
    { type: idType, idType: ID_KEY_ID, data: identity.id },
    { type: PAYLOAD.CERT, encoding: CERT_X509, data: identity.certDer },
    ...identity.chainDer.map((d): Payload => ({ type: PAYLOAD.CERT, encoding: CERT_X509, data: d })),
    { type: PAYLOAD.AUTH, method: AUTH_DIGITAL_SIGNATURE, data: sig },
    { type: PAYLOAD.SA, spi: spiBytes(spi), groups: [], prfs: [], transforms: [] },
    { type: PAYLOAD.NOTIFY, notifyType: NOTIFY.SECDNS_MAX_MESSAGE, data: max },
  ]
}

/** What the peer presented in its AUTH payloads, checked for shape and self-consistency. */
function readAuth(ps: Payload[], idType: typeof PAYLOAD.IDi | typeof PAYLOAD.IDr, who: string): { idData: Uint8Array; certs: Uint8Array[]; sig: Uint8Array; spi: number; maxMessageOctets: number } {
  const id = find(ps, idType)
  const auth = find(ps, PAYLOAD.AUTH)
  const certs = ps.filter((p) => p.type === PAYLOAD.CERT && p.encoding === CERT_X509).map((p) => (p as { data: Uint8Array }).data)
  if (id === undefined || auth === undefined || certs.length === 0) throw new ChannelError('ERR_CHANNEL_AUTH_FAILED', `${who} sent an AUTH exchange without ID, CERT and AUTH payloads`)
  if (id.idType !== ID_KEY_ID || Buffer.compare(id.data, identityOf(certs[0]!)) !== 0) {
    // RFC 4945 §3.1: the identity must be bound to the certificate that authenticates it.
    throw new ChannelError('ERR_CHANNEL_AUTH_FAILED', `${who}'s identity does not match its certificate`)
  }
  const max = notify(ps, NOTIFY.SECDNS_MAX_MESSAGE)
  const maxMessageOctets = max !== undefined && max.data.length === 4 ? Math.max(MIN_PEER_MESSAGE_OCTETS, Buffer.from(max.data).readUInt32BE(0)) : MIN_PEER_MESSAGE_OCTETS
  return { idData: id.data, certs, sig: auth.data, spi: childSpi(find(ps, PAYLOAD.SA), `${who}'s AUTH`), maxMessageOctets }
}

/** Options of the initiator state machine. */
export interface InitiatorOptions {
  identity: LoadedIdentity
  trust: ChannelTrust
  serverName: string
  level: EncryptionLevel
  groups?: readonly GroupName[]
  prfs?: readonly PrfName[]
  now: () => Date
  /** Verification cache (default: none). */
  verifyCache?: VerifyCacheOptions
  /** Our maxMessageOctets, told to the peer in AUTH (default MAX_MESSAGE_OCTETS). */
  maxMessageOctets?: number
}

/**
 * The initiator (client) side of INIT and AUTH.
 *
 * @example
 * const hs = new Initiator({ identity, trust, serverName: 'dns1.lab.test', level: 'High', now: () => new Date() })
 * ws.send(hs.start())
 * // then feed each reply: hs.onInitResponse(frame) → AUTH request; await hs.onAuthResponse(frame) → result
 */
export class Initiator {
  readonly spiI: Uint8Array = randomBytes(8)
  state: 'init' | 'auth' | 'done' | 'failed' = 'init'
  private readonly o: InitiatorOptions
  private readonly offered: TransformName[]
  private readonly groups: readonly GroupName[]
  private readonly prfs: readonly PrfName[]
  private share: KeyShare
  private readonly ni: Uint8Array = randomBytes(NONCE_OCTETS)
  private cookie: Uint8Array | undefined
  private realMessage1: Uint8Array = new Uint8Array(0)
  private keRetried = false
  private cookieRetried = false
  /** Set once INIT completes: what AUTH and the channel need. */
  keys: { spiR: Uint8Array; group: GroupName; prf: PrfName; transform: TransformSpec; ikeKeys: IkeKeys; nr: Uint8Array; realMessage2: Uint8Array } | undefined
  /** The child SA SPI we chose for records we receive. */
  readonly inboundSpi = randomSpi32()
  /** Payloads of the last AUTH response, once opened (tests use it to stage attacks). */
  lastAuthResponse: Payload[] | undefined

  constructor(o: InitiatorOptions) {
    this.o = o
    this.offered = clientProposals(o.level)
    this.groups = o.groups ?? DEFAULT_GROUPS
    this.prfs = o.prfs ?? DEFAULT_PRFS
    this.share = createKeyShare(this.groups[0]!)
  }

  /** The INIT request (again, after a cookie or a group change). */
  start(): Uint8Array {
    const payloads: Payload[] = []
    // RFC 7296 §2.6: the cookie must be the first payload of the retried INIT.
    if (this.cookie !== undefined) payloads.push({ type: PAYLOAD.NOTIFY, notifyType: NOTIFY.COOKIE, data: this.cookie })
    payloads.push(
      { type: PAYLOAD.SA, spi: new Uint8Array(0), groups: this.groups.map((g) => GROUPS[g]), prfs: this.prfs.map((p) => PRFS[p]), transforms: this.offered.map((t) => TRANSFORMS[t].id) },
      { type: PAYLOAD.KE, group: GROUPS[this.share.group], data: this.share.publicKey },
      { type: PAYLOAD.NONCE, data: this.ni },
    )
    this.realMessage1 = encodeIkeMessage({ header: { spiI: this.spiI, spiR: new Uint8Array(8), exchange: EXCHANGE.IKE_SA_INIT, flags: FLAG_INITIATOR, messageId: 0 }, payloads })
    return this.realMessage1
  }

  /**
   * Handle the INIT response. Returns the next frame to send: a retried INIT (cookie or
   * group) or the AUTH request.
   *
   * @throws {ChannelError} ERR_CHANNEL_NO_PROPOSAL, ERR_CHANNEL_PROTOCOL, ERR_CHANNEL_MALFORMED, …
   */
  onInitResponse(frame: Uint8Array): Uint8Array {
    if (this.state !== 'init') throw new ChannelError('ERR_CHANNEL_PROTOCOL', `INIT response in state ${this.state}`)
    const m = decodeIkeMessage(frame)
    const h = m.header
    if (h.exchange !== EXCHANGE.IKE_SA_INIT || (h.flags & FLAG_RESPONSE) === 0 || Buffer.compare(h.spiI, this.spiI) !== 0 || h.messageId !== 0) {
      throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'expected the INIT response for our SPI')
    }
    const err = errorFrom(m.payloads, 'ERR_CHANNEL_NO_PROPOSAL', 'server refused INIT')
    if (err !== undefined) {
      if (err.code === 'ERR_CHANNEL_NO_PROPOSAL') {
        throw new ChannelError('ERR_CHANNEL_NO_PROPOSAL', `no common proposal: ${describeLevel(this.o.level)} (offered ${this.offered.join(', ')}); ${err.message}`)
      }
      throw err
    }
    const cookie = notify(m.payloads, NOTIFY.COOKIE)
    if (cookie !== undefined) {
      if (this.cookieRetried) throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'server asked for a cookie twice')
      this.cookieRetried = true
      this.cookie = cookie.data
      return this.start()
    }
    const invalidKe = notify(m.payloads, NOTIFY.INVALID_KE_PAYLOAD)
    if (invalidKe !== undefined) {
      // RFC 7296 §1.2: the responder names the group it wants; retry once with it, and only
      // with a group we offered.
      const want = invalidKe.data.length === 2 ? groupById(Buffer.from(invalidKe.data).readUInt16BE(0)) : undefined
      if (this.keRetried || want === undefined || !this.groups.includes(want) || want === this.share.group) {
        throw new ChannelError('ERR_CHANNEL_NO_PROPOSAL', `server wants key-exchange group ${want ?? 'unknown'}, which this client did not offer or already tried`)
      }
      this.keRetried = true
      this.share = createKeyShare(want)
      return this.start()
    }
    const sa = find(m.payloads, PAYLOAD.SA), ke = find(m.payloads, PAYLOAD.KE), nonce = find(m.payloads, PAYLOAD.NONCE)
    if (sa === undefined || ke === undefined || nonce === undefined) throw new ChannelError('ERR_CHANNEL_MALFORMED', 'INIT response lacks SA, KE or Nonce')
    if (sa.groups.length !== 1 || sa.prfs.length !== 1 || sa.transforms.length !== 1) throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'INIT response must choose exactly one of each transform')
    const group = groupById(sa.groups[0]!), prfName = prfById(sa.prfs[0]!), transform = transformById(sa.transforms[0]!)
    // RFC 7296 §2.7: the responder must pick from what was offered; a pick outside the offer
    // (or one the policy forbids) is a downgrade attempt.
    if (group !== this.share.group || ke.group !== GROUPS[this.share.group]) throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'server chose a key-exchange group other than our key share')
    if (prfName === undefined || !this.prfs.includes(prfName)) throw new ChannelError('ERR_CHANNEL_NO_PROPOSAL', 'server chose a PRF we did not offer')
    if (transform === undefined || !this.offered.includes(transform.name) || !satisfiesLevel(this.o.level, transform.name)) {
      throw new ChannelError('ERR_CHANNEL_NO_PROPOSAL', `server chose ${transform?.name ?? 'an unknown transform'}, which ${describeLevel(this.o.level)} does not allow`)
    }
    if (h.spiR.every((b) => b === 0)) throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'server SPI is zero')
    const secret = this.share.computeSecret(ke.data)
    const spiR = Uint8Array.from(h.spiR)
    const ikeKeys = deriveIkeKeys(prfName, secret, this.ni, nonce.data, this.spiI, spiR)
    this.keys = { spiR, group, prf: prfName, transform, ikeKeys, nr: Uint8Array.from(nonce.data), realMessage2: Uint8Array.from(frame) }
    const sig = signAuth(this.o.identity, signedOctets(prfName, this.realMessage1, nonce.data, ikeKeys.skPi, ID_KEY_ID, this.o.identity.id))
    this.state = 'auth'
    return encodeEncrypted(this.header(EXCHANGE.IKE_AUTH, 1, false), authPayloads(this.o.identity, PAYLOAD.IDi, sig, this.inboundSpi, this.o.maxMessageOctets ?? MAX_MESSAGE_OCTETS), ikeKeys.skEi)
  }

  private header(exchange: number, messageId: number, response: boolean): IkeHeader {
    return { spiI: this.spiI, spiR: this.keys!.spiR, exchange, flags: FLAG_INITIATOR | (response ? FLAG_RESPONSE : 0), messageId }
  }

  /**
   * Handle the AUTH response: check the server's certificate (trusted CA, dates, CRL,
   * DNS Server Trust EKU, the name asked for) and its signature.
   *
   * @throws {ChannelError} ERR_CHANNEL_AUTH_FAILED, ERR_CHANNEL_UNTRUSTED_PEER, ERR_CHANNEL_PEER_PURPOSE, …
   */
  async onAuthResponse(frame: Uint8Array): Promise<HandshakeResult> {
    if (this.state !== 'auth' || this.keys === undefined) throw new ChannelError('ERR_CHANNEL_PROTOCOL', `AUTH response in state ${this.state}`)
    const k = this.keys
    const m = decodeIkeMessage(frame)
    if (m.header.exchange !== EXCHANGE.IKE_AUTH || (m.header.flags & FLAG_RESPONSE) === 0 || m.header.messageId !== 1) throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'expected the AUTH response')
    const ps = openSk(frame, m, k.ikeKeys.skEr)
    this.lastAuthResponse = ps
    const err = errorFrom(ps, 'ERR_CHANNEL_AUTH_FAILED', 'server refused our authentication')
    if (err !== undefined) { this.state = 'failed'; throw err }
    const a = readAuth(ps, PAYLOAD.IDr, 'server')
    const peer = await verifyPeer(a.certs, this.o.trust, 'dns-server', this.o.now(), this.o.serverName, this.o.verifyCache)
    // The path's leaf is the certificate just verified (parsed once, by pki).
    checkAuthSignature(peer.path[0]!, signedOctets(k.prf, k.realMessage2, this.ni, k.ikeKeys.skPr, ID_KEY_ID, a.idData), a.sig, 'server')
    this.state = 'done'
    return {
      role: 'initiator', spiI: this.spiI, spiR: k.spiR, group: k.group, prf: k.prf, transform: k.transform, ikeKeys: k.ikeKeys,
      child: deriveChildKeys(k.prf, k.ikeKeys.skD, k.transform, this.ni, k.nr), inboundSpi: this.inboundSpi, outboundSpi: a.spi, peer, peerMaxMessageOctets: a.maxMessageOctets,
    }
  }

  /** An INFORMATIONAL request telling the server why we refused it (RFC 7296 §2.21.2), when keys exist. */
  refusal(err: ChannelError): Uint8Array | undefined {
    if (this.keys === undefined) return undefined
    return encodeEncrypted(this.header(EXCHANGE.INFORMATIONAL, 2, false), [
      { type: PAYLOAD.NOTIFY, notifyType: NOTIFY.AUTHENTICATION_FAILED, data: new Uint8Array(0) },
      { type: PAYLOAD.NOTIFY, notifyType: NOTIFY.SECDNS_ERROR, data: errorNotifyData(err.code, err.message) },
    ], this.keys.ikeKeys.skEi)
  }
}

/** Options of the responder state machine. */
export interface ResponderOptions {
  identity: LoadedIdentity
  trust: ChannelTrust
  encryption: ServerEncryption
  /** Preferred encrypting transforms, best first. */
  transforms?: readonly TransformName[]
  groups?: readonly GroupName[]
  prfs?: readonly PrfName[]
  now: () => Date
  /** The peer's address, bound into cookies. */
  address: string
  cookies: CookieJar
  /** True when the server is under load and demands cookies. */
  cookieRequired: () => boolean
  /** Verification cache (default: none). */
  verifyCache?: VerifyCacheOptions
  /** Our maxMessageOctets, told to the peer in AUTH (default MAX_MESSAGE_OCTETS). */
  maxMessageOctets?: number
}

/** What the responder wants sent: a frame, and whether the handshake failed with it. */
export interface ResponderStep {
  readonly reply: Uint8Array
  readonly error?: ChannelError
  /** True when the reply asks for a cookie (nothing was kept). */
  readonly cookie?: boolean
}

/**
 * The responder (server) side of INIT and AUTH.
 *
 * @example
 * const hs = new Responder({ identity, trust, encryption: 'require', now, address, cookies, cookieRequired: () => false })
 * const step = hs.onInit(frame)          // send step.reply
 * const auth = await hs.onAuth(frame2)   // send auth.reply; auth.result when established
 */
export class Responder {
  readonly spiR: Uint8Array = randomBytes(8)
  state: 'init' | 'auth' | 'done' | 'failed' = 'init'
  readonly inboundSpi = randomSpi32()
  private readonly o: ResponderOptions
  private readonly groups: readonly GroupName[]
  private readonly prfs: readonly PrfName[]
  private keRejected = false
  /** Payloads of the AUTH request, once opened (tests use it to stage attacks). */
  lastAuthRequest: Payload[] | undefined
  private k: { spiI: Uint8Array; group: GroupName; prf: PrfName; transform: TransformSpec; ikeKeys: IkeKeys; ni: Uint8Array; nr: Uint8Array; realMessage1: Uint8Array; realMessage2: Uint8Array } | undefined

  constructor(o: ResponderOptions) {
    this.o = o
    this.groups = o.groups ?? DEFAULT_GROUPS
    this.prfs = o.prfs ?? DEFAULT_PRFS
  }

  private initReply(spiI: Uint8Array, spiR: Uint8Array, payloads: Payload[]): Uint8Array {
    return encodeIkeMessage({ header: { spiI, spiR, exchange: EXCHANGE.IKE_SA_INIT, flags: FLAG_RESPONSE, messageId: 0 }, payloads })
  }

  private fail(spiI: Uint8Array, notifyType: number, err: ChannelError): ResponderStep {
    this.state = 'failed'
    return {
      reply: this.initReply(spiI, new Uint8Array(8), [
        { type: PAYLOAD.NOTIFY, notifyType, data: new Uint8Array(0) },
        { type: PAYLOAD.NOTIFY, notifyType: NOTIFY.SECDNS_ERROR, data: errorNotifyData(err.code, err.message) },
      ]),
      error: err,
    }
  }

  /**
   * Handle an INIT request.
   *
   * @throws {ChannelError} ERR_CHANNEL_MALFORMED / ERR_CHANNEL_PROTOCOL for a frame that is not a valid INIT
   */
  onInit(frame: Uint8Array): ResponderStep {
    if (this.state !== 'init') throw new ChannelError('ERR_CHANNEL_PROTOCOL', `INIT request in state ${this.state}`)
    const m: IkeMessage = decodeIkeMessage(frame)
    const h = m.header
    if (h.exchange !== EXCHANGE.IKE_SA_INIT || (h.flags & FLAG_RESPONSE) !== 0 || (h.flags & FLAG_INITIATOR) === 0 || h.messageId !== 0) {
      throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'expected an INIT request')
    }
    const sa = find(m.payloads, PAYLOAD.SA), ke = find(m.payloads, PAYLOAD.KE), nonce = find(m.payloads, PAYLOAD.NONCE)
    if (sa === undefined || ke === undefined || nonce === undefined) throw new ChannelError('ERR_CHANNEL_MALFORMED', 'INIT request lacks SA, KE or Nonce')
    if (this.o.cookieRequired()) {
      const c = m.payloads[0]
      const ok = c !== undefined && c.type === PAYLOAD.NOTIFY && c.notifyType === NOTIFY.COOKIE && this.o.cookies.check(c.data, nonce.data, this.o.address, h.spiI)
      if (!ok) {
        // RFC 7296 §2.6: answer with a cookie and keep no state.
        return { reply: this.initReply(h.spiI, new Uint8Array(8), [{ type: PAYLOAD.NOTIFY, notifyType: NOTIFY.COOKIE, data: this.o.cookies.make(nonce.data, this.o.address, h.spiI) }]), cookie: true }
      }
    }
    const offeredT = sa.transforms.map((id) => transformById(id)?.name).filter((x): x is TransformName => x !== undefined)
    const offeredG = sa.groups.map(groupById).filter((x): x is GroupName => x !== undefined)
    const offeredP = sa.prfs.map(prfById).filter((x): x is PrfName => x !== undefined)
    const transform = chooseTransform(offeredT, this.o.encryption, this.o.transforms)
    const group = chooseFirst(this.groups, offeredG)
    const prfName = chooseFirst(offeredP, this.prfs)
    if (transform === undefined || group === undefined || prfName === undefined) {
      const what = transform === undefined
        ? `client offered ${offeredT.join(', ') || 'nothing known'}; ${describeRule(this.o.encryption)}`
        : group === undefined ? `client offered groups ${offeredG.join(', ') || 'none known'}; server supports ${this.groups.join(', ')}`
          : `client offered PRFs ${offeredP.join(', ') || 'none known'}; server supports ${this.prfs.join(', ')}`
      // RFC 7296 §2.7: nothing acceptable → NO_PROPOSAL_CHOSEN.
      return this.fail(h.spiI, NOTIFY.NO_PROPOSAL_CHOSEN, new ChannelError('ERR_CHANNEL_NO_PROPOSAL', `no common proposal: ${what}`))
    }
    if (ke.group !== GROUPS[group]) {
      if (this.keRejected) return this.fail(h.spiI, NOTIFY.INVALID_KE_PAYLOAD, new ChannelError('ERR_CHANNEL_NO_PROPOSAL', `client sent a ${groupById(ke.group) ?? ke.group} key share twice; server wants ${group}`))
      this.keRejected = true
      // RFC 7296 §1.2: INVALID_KE_PAYLOAD carries the group the responder wants.
      const d = Buffer.alloc(2); d.writeUInt16BE(GROUPS[group])
      return { reply: this.initReply(h.spiI, new Uint8Array(8), [{ type: PAYLOAD.NOTIFY, notifyType: NOTIFY.INVALID_KE_PAYLOAD, data: d }]) }
    }
    const share = createKeyShare(group)
    const secret = share.computeSecret(ke.data)
    const nr = randomBytes(NONCE_OCTETS)
    const spiI = Uint8Array.from(h.spiI)
    const ikeKeys = deriveIkeKeys(prfName, secret, nonce.data, nr, spiI, this.spiR)
    const reply = this.initReply(spiI, this.spiR, [
      { type: PAYLOAD.SA, spi: new Uint8Array(0), groups: [GROUPS[group]], prfs: [PRFS[prfName]], transforms: [TRANSFORMS[transform].id] },
      { type: PAYLOAD.KE, group: GROUPS[group], data: share.publicKey },
      { type: PAYLOAD.NONCE, data: nr },
    ])
    this.k = { spiI, group, prf: prfName, transform: TRANSFORMS[transform], ikeKeys, ni: Uint8Array.from(nonce.data), nr, realMessage1: Uint8Array.from(frame), realMessage2: reply }
    this.state = 'auth'
    return { reply }
  }

  private authReply(payloads: Payload[]): Uint8Array {
    const k = this.k!
    return encodeEncrypted({ spiI: k.spiI, spiR: this.spiR, exchange: EXCHANGE.IKE_AUTH, flags: FLAG_RESPONSE, messageId: 1 }, payloads, k.ikeKeys.skEr)
  }

  /**
   * Handle the AUTH request: check the client's certificate (trusted CA, dates, CRL, client
   * authentication EKU), that it is not our own (reflection), and its signature over the
   * INIT request this side received.
   */
  async onAuth(frame: Uint8Array): Promise<ResponderStep & { result?: HandshakeResult }> {
    if (this.state !== 'auth' || this.k === undefined) throw new ChannelError('ERR_CHANNEL_PROTOCOL', `AUTH request in state ${this.state}`)
    const k = this.k
    const m = decodeIkeMessage(frame)
    const h = m.header
    if (h.exchange !== EXCHANGE.IKE_AUTH || (h.flags & FLAG_RESPONSE) !== 0 || h.messageId !== 1 || Buffer.compare(h.spiI, k.spiI) !== 0 || Buffer.compare(h.spiR, this.spiR) !== 0) {
      throw new ChannelError('ERR_CHANNEL_PROTOCOL', 'expected the AUTH request for this IKE SA')
    }
    const ps = openSk(frame, m, k.ikeKeys.skEi)
    this.lastAuthRequest = ps
    try {
      const a = readAuth(ps, PAYLOAD.IDi, 'client')
      if (Buffer.compare(a.certs[0]!, this.o.identity.certDer) === 0) {
        // A reflected AUTH carries our own certificate; it can never be a client's.
        throw new ChannelError('ERR_CHANNEL_AUTH_FAILED', 'client presented this server\'s own certificate (reflection)')
      }
      const peer = await verifyPeer(a.certs, this.o.trust, 'client', this.o.now(), undefined, this.o.verifyCache)
      checkAuthSignature(peer.path[0]!, signedOctets(k.prf, k.realMessage1, k.nr, k.ikeKeys.skPi, ID_KEY_ID, a.idData), a.sig, 'client')
      const sig = signAuth(this.o.identity, signedOctets(k.prf, k.realMessage2, k.ni, k.ikeKeys.skPr, ID_KEY_ID, this.o.identity.id))
      this.state = 'done'
      return {
        reply: this.authReply(authPayloads(this.o.identity, PAYLOAD.IDr, sig, this.inboundSpi, this.o.maxMessageOctets ?? MAX_MESSAGE_OCTETS)),
        result: {
          role: 'responder', spiI: k.spiI, spiR: this.spiR, group: k.group, prf: k.prf, transform: k.transform, ikeKeys: k.ikeKeys,
          child: deriveChildKeys(k.prf, k.ikeKeys.skD, k.transform, k.ni, k.nr), inboundSpi: this.inboundSpi, outboundSpi: a.spi, peer, peerMaxMessageOctets: a.maxMessageOctets,
        },
      }
    } catch (e) {
      if (!(e instanceof ChannelError)) throw e
      this.state = 'failed'
      // RFC 7296 §2.21.2: an AUTH failure is answered with AUTHENTICATION_FAILED, encrypted.
      return {
        reply: this.authReply([
          { type: PAYLOAD.NOTIFY, notifyType: NOTIFY.AUTHENTICATION_FAILED, data: new Uint8Array(0) },
          { type: PAYLOAD.NOTIFY, notifyType: NOTIFY.SECDNS_ERROR, data: errorNotifyData(e.code, e.message) },
        ]),
        error: e,
      }
    }
  }
}
