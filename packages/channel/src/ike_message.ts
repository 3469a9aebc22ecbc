/**
 * Codec of the handshake messages: an IKEv2-style header and payloads (RFC 7296 §3), in
 * a compact framing for WebSocket binary messages.
 *
 * Every WebSocket message starts with a kind octet: {@link KIND_RECORD} for an ESP-style
 * record (see esp.ts) or {@link KIND_IKE} for a handshake message laid out as
 *
 * ```
 * kind(1)=1 | SPIi(8) | SPIr(8) | exchange(1) | flags(1) | message id(4) | payloads…
 * payload  = type(1) | length(2) | body(length)
 * ```
 *
 * Encrypted exchanges (AUTH, CREATE_CHILD_SA, INFORMATIONAL) carry one SK payload whose
 * body is IV(8) | ciphertext | ICV(16) under AES-256-GCM (RFC 5282); its AAD is the header
 * through the SK payload header (RFC 5282 §5.1).
 */
import { ChannelError } from './errors.js'
import { ICV_OCTETS, IV_OCTETS, open, seal, type DirectionKey } from './transforms.js'
import { IKE_SA_TRANSFORM } from './key_schedule.js'

/** First octet of a record frame. */
export const KIND_RECORD = 0x00
/** First octet of a handshake frame. */
export const KIND_IKE = 0x01
/** Octets of the handshake header. */
export const IKE_HEADER_OCTETS = 23

/** Exchange types, RFC 7296 §3.1. */
export const EXCHANGE = { IKE_SA_INIT: 34, IKE_AUTH: 35, CREATE_CHILD_SA: 36, INFORMATIONAL: 37 } as const
/** Header flags, RFC 7296 §3.1. */
export const FLAG_INITIATOR = 0x08
/** Header flags, RFC 7296 §3.1. */
export const FLAG_RESPONSE = 0x20

/** Payload types, RFC 7296 §3.2. */
export const PAYLOAD = { SA: 33, KE: 34, IDi: 35, IDr: 36, CERT: 37, AUTH: 39, NONCE: 40, NOTIFY: 41, DELETE: 42, SK: 46 } as const

/** Notify message types, RFC 7296 §3.10.1 (40960+ is private use). */
export const NOTIFY = {
  INVALID_SYNTAX: 7,
  NO_PROPOSAL_CHOSEN: 14,
  INVALID_KE_PAYLOAD: 17,
  AUTHENTICATION_FAILED: 24,
  TEMPORARY_FAILURE: 43,
  COOKIE: 16390,
  /** Private use: a secdns error code and message, "CODE\0message". */
  SECDNS_ERROR: 40960,
  /** Private use: the responder's SA budget is spent; the initiator should rekey now. */
  SECDNS_REKEY_REQUEST: 40961,
  /** Private use, in AUTH: the largest WebSocket message the sender accepts (4 octets). */
  SECDNS_MAX_MESSAGE: 40962,
} as const

/** ID types, RFC 7296 §3.5. */
export const ID_TYPE = { FQDN: 2, DER_ASN1_DN: 9 } as const
/** Certificate encoding "X.509 Certificate - Signature", RFC 7296 §3.6. */
export const CERT_X509 = 4
/** Authentication method "Digital Signature", RFC 7427. */
export const AUTH_DIGITAL_SIGNATURE = 14

/** The header of a handshake message. */
export interface IkeHeader {
  readonly spiI: Uint8Array
  readonly spiR: Uint8Array
  readonly exchange: number
  readonly flags: number
  readonly messageId: number
}

/** Proposals (or, in a response, the one choice) plus the sender's SPI. */
export interface SaPayload { readonly type: typeof PAYLOAD.SA; readonly spi: Uint8Array; readonly groups: number[]; readonly prfs: number[]; readonly transforms: number[] }
/** A Diffie-Hellman public value. */
export interface KePayload { readonly type: typeof PAYLOAD.KE; readonly group: number; readonly data: Uint8Array }
/** An identity (IDi or IDr). */
export interface IdPayload { readonly type: typeof PAYLOAD.IDi | typeof PAYLOAD.IDr; readonly idType: number; readonly data: Uint8Array }
/** One certificate (DER). */
export interface CertPayload { readonly type: typeof PAYLOAD.CERT; readonly encoding: number; readonly data: Uint8Array }
/** An AUTH signature. */
export interface AuthPayload { readonly type: typeof PAYLOAD.AUTH; readonly method: number; readonly data: Uint8Array }
/** A nonce. */
export interface NoncePayload { readonly type: typeof PAYLOAD.NONCE; readonly data: Uint8Array }
/** A notification. */
export interface NotifyPayload { readonly type: typeof PAYLOAD.NOTIFY; readonly notifyType: number; readonly data: Uint8Array }
/** Delete of ESP SAs by their 4-octet SPIs, or (`ike`) of the IKE SA the message travels in (RFC 7296 §3.11: protocol 1, no SPIs). */
export interface DeletePayload { readonly type: typeof PAYLOAD.DELETE; readonly spis: Uint8Array[]; readonly ike?: true }
/** The encrypted container, still sealed. */
export interface SkPayload { readonly type: typeof PAYLOAD.SK; readonly data: Uint8Array }

/** Any payload. */
export type Payload = SaPayload | KePayload | IdPayload | CertPayload | AuthPayload | NoncePayload | NotifyPayload | DeletePayload | SkPayload

/** A decoded handshake message. */
export interface IkeMessage {
  readonly header: IkeHeader
  readonly payloads: Payload[]
}

function malformed(msg: string, offset: number): ChannelError {
  return new ChannelError('ERR_CHANNEL_MALFORMED', `${msg} at offset ${offset}`, { offset })
}

function bodyLength(p: Payload): number {
  switch (p.type) {
    case PAYLOAD.SA: return 1 + p.spi.length + 3 + 2 * (p.groups.length + p.prfs.length + p.transforms.length)
    case PAYLOAD.KE: return 4 + p.data.length
    case PAYLOAD.IDi: case PAYLOAD.IDr: return 4 + p.data.length
    case PAYLOAD.CERT: return 1 + p.data.length
    case PAYLOAD.AUTH: return 4 + p.data.length
    case PAYLOAD.NONCE: return p.data.length
    case PAYLOAD.NOTIFY: return 2 + p.data.length
    case PAYLOAD.DELETE: return 4 + 4 * p.spis.length
    case PAYLOAD.SK: return p.data.length
  }
}

/** Octets `payloads` take on the wire. */
export function payloadsLength(payloads: readonly Payload[]): number {
  let n = 0
  for (const p of payloads) n += 3 + bodyLength(p)
  return n
}

function writeList(out: Uint8Array, dv: DataView, at: number, list: number[]): number {
  if (list.length > 255) throw new RangeError('more than 255 proposals')
  out[at++] = list.length
  for (const v of list) { dv.setUint16(at, v); at += 2 }
  return at
}

/** Write `payloads` into `out` at `at`; returns the offset after them. */
export function writePayloads(payloads: readonly Payload[], out: Uint8Array, at: number): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength)
  for (const p of payloads) {
    const len = bodyLength(p)
    if (len > 0xffff) throw new RangeError(`payload of type ${p.type} is ${len} octets, more than 65535`)
    out[at] = p.type
    dv.setUint16(at + 1, len)
    at += 3
    switch (p.type) {
      case PAYLOAD.SA:
        out[at++] = p.spi.length; out.set(p.spi, at); at += p.spi.length
        at = writeList(out, dv, at, p.groups); at = writeList(out, dv, at, p.prfs); at = writeList(out, dv, at, p.transforms)
        break
      case PAYLOAD.KE:
        dv.setUint16(at, p.group); dv.setUint16(at + 2, 0); out.set(p.data, at + 4); at += 4 + p.data.length
        break
      case PAYLOAD.IDi: case PAYLOAD.IDr:
        out[at] = p.idType; out[at + 1] = 0; out[at + 2] = 0; out[at + 3] = 0; out.set(p.data, at + 4); at += 4 + p.data.length
        break
      case PAYLOAD.CERT:
        out[at] = p.encoding; out.set(p.data, at + 1); at += 1 + p.data.length
        break
      case PAYLOAD.AUTH:
        out[at] = p.method; out[at + 1] = 0; out[at + 2] = 0; out[at + 3] = 0; out.set(p.data, at + 4); at += 4 + p.data.length
        break
      case PAYLOAD.NONCE: case PAYLOAD.SK:
        out.set(p.data, at); at += p.data.length
        break
      case PAYLOAD.NOTIFY:
        dv.setUint16(at, p.notifyType); out.set(p.data, at + 2); at += 2 + p.data.length
        break
      case PAYLOAD.DELETE:
        // RFC 7296 §3.11: the IKE SA is deleted with protocol id 1, SPI size 0 and no SPIs
        // (the header names it).
        if (p.ike === true) { out[at] = 1; out[at + 1] = 0; dv.setUint16(at + 2, 0); at += 4; break }
        // Protocol id 3 (ESP), SPI size 4, number of SPIs.
        out[at] = 3; out[at + 1] = 4; dv.setUint16(at + 2, p.spis.length); at += 4
        for (const s of p.spis) { out.set(s, at); at += 4 }
        break
    }
  }
  return at
}

function readList(buf: Uint8Array, dv: DataView, at: number, end: number): [number[], number] {
  if (at >= end) throw malformed('SA proposal list count missing', at)
  const n = buf[at++]!
  if (at + 2 * n > end) throw malformed(`SA proposal list of ${n} entries overruns the payload`, at)
  const list: number[] = []
  for (let i = 0; i < n; i++) { list.push(dv.getUint16(at)); at += 2 }
  return [list, at]
}

/**
 * Decode a sequence of payloads from `buf[start, end)`.
 *
 * @throws {ChannelError} ERR_CHANNEL_MALFORMED with the byte offset of the problem
 */
export function readPayloads(buf: Uint8Array, start: number, end: number): Payload[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const out: Payload[] = []
  let at = start
  while (at < end) {
    if (at + 3 > end) throw malformed('truncated payload header', at)
    const type = buf[at]!
    const len = dv.getUint16(at + 1)
    const b = at + 3
    const e = b + len
    if (e > end) throw malformed(`payload of type ${type} claims ${len} octets but only ${end - b} remain`, at + 1)
    const body = buf.subarray(b, e)
    switch (type) {
      case PAYLOAD.SA: {
        if (len < 1) throw malformed('empty SA payload', b)
        const spiLen = buf[b]!
        if (spiLen !== 0 && spiLen !== 4 && spiLen !== 8) throw malformed(`SA SPI size ${spiLen} is not 0, 4 or 8`, b)
        if (b + 1 + spiLen > e) throw malformed('SA SPI overruns the payload', b)
        const spi = buf.subarray(b + 1, b + 1 + spiLen)
        let p = b + 1 + spiLen
        let groups: number[], prfs: number[], transforms: number[]
        ;[groups, p] = readList(buf, dv, p, e)
        ;[prfs, p] = readList(buf, dv, p, e)
        ;[transforms, p] = readList(buf, dv, p, e)
        if (p !== e) throw malformed(`${e - p} stray octets after SA proposals`, p)
        out.push({ type, spi, groups, prfs, transforms })
        break
      }
      case PAYLOAD.KE:
        if (len < 4) throw malformed('KE payload shorter than 4 octets', b)
        out.push({ type, group: dv.getUint16(b), data: body.subarray(4) })
        break
      case PAYLOAD.IDi: case PAYLOAD.IDr:
        if (len < 5) throw malformed('ID payload without data', b)
        out.push({ type, idType: buf[b]!, data: body.subarray(4) })
        break
      case PAYLOAD.CERT:
        if (len < 2) throw malformed('CERT payload without data', b)
        out.push({ type, encoding: buf[b]!, data: body.subarray(1) })
        break
      case PAYLOAD.AUTH:
        if (len < 5) throw malformed('AUTH payload without data', b)
        out.push({ type, method: buf[b]!, data: body.subarray(4) })
        break
      case PAYLOAD.NONCE:
        // RFC 7296 §3.9: nonces are 16 to 256 octets.
        if (len < 16 || len > 256) throw malformed(`nonce of ${len} octets (must be 16–256)`, b)
        out.push({ type, data: body })
        break
      case PAYLOAD.NOTIFY:
        if (len < 2) throw malformed('NOTIFY payload shorter than 2 octets', b)
        out.push({ type, notifyType: dv.getUint16(b), data: body.subarray(2) })
        break
      case PAYLOAD.DELETE: {
        if (len < 4) throw malformed('DELETE payload shorter than 4 octets', b)
        if (buf[b] === 1 && buf[b + 1] === 0 && len === 4 && dv.getUint16(b + 2) === 0) { out.push({ type, spis: [], ike: true }); break }
        if (buf[b] !== 3 || buf[b + 1] !== 4) throw malformed('DELETE payload is not for ESP SPIs of 4 octets', b)
        const n = dv.getUint16(b + 2)
        if (len !== 4 + 4 * n) throw malformed(`DELETE payload of ${len} octets does not hold ${n} SPIs`, b + 2)
        const spis: Uint8Array[] = []
        for (let i = 0; i < n; i++) spis.push(buf.subarray(b + 4 + 4 * i, b + 8 + 4 * i))
        out.push({ type, spis })
        break
      }
      case PAYLOAD.SK:
        if (len < IV_OCTETS + ICV_OCTETS) throw malformed('SK payload shorter than IV + ICV', b)
        out.push({ type, data: body })
        break
      default:
        // RFC 7296 §2.5: an unknown payload with the critical bit would be answered with
        // UNSUPPORTED_CRITICAL_PAYLOAD; this design has no optional payloads, so any
        // unknown type is a malformed message.
        throw malformed(`unknown payload type ${type}`, at)
    }
    at = e
  }
  return out
}

function writeHeader(h: IkeHeader, out: Uint8Array): void {
  if (h.spiI.length !== 8 || h.spiR.length !== 8) throw new RangeError('IKE SPIs are 8 octets')
  out[0] = KIND_IKE
  out.set(h.spiI, 1)
  out.set(h.spiR, 9)
  out[17] = h.exchange
  out[18] = h.flags
  new DataView(out.buffer, out.byteOffset).setUint32(19, h.messageId >>> 0)
}

/** Encode an unencrypted handshake message (the INIT exchange). */
export function encodeIkeMessage(msg: IkeMessage): Uint8Array {
  const out = new Uint8Array(IKE_HEADER_OCTETS + payloadsLength(msg.payloads))
  writeHeader(msg.header, out)
  writePayloads(msg.payloads, out, IKE_HEADER_OCTETS)
  return out
}

/**
 * Decode a handshake frame. An SK payload stays sealed; open it with {@link openSk}.
 *
 * @throws {ChannelError} ERR_CHANNEL_MALFORMED / ERR_CHANNEL_TRUNCATED with the byte offset
 */
export function decodeIkeMessage(frame: Uint8Array): IkeMessage {
  if (frame.length < IKE_HEADER_OCTETS) throw new ChannelError('ERR_CHANNEL_TRUNCATED', `handshake frame of ${frame.length} octets is shorter than its ${IKE_HEADER_OCTETS}-octet header`, { offset: frame.length })
  if (frame[0] !== KIND_IKE) throw malformed(`frame kind ${frame[0]} is not a handshake message`, 0)
  const header: IkeHeader = {
    spiI: frame.subarray(1, 9),
    spiR: frame.subarray(9, 17),
    exchange: frame[17]!,
    flags: frame[18]!,
    messageId: new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(19),
  }
  return { header, payloads: readPayloads(frame, IKE_HEADER_OCTETS, frame.length) }
}

/** The 8-octet SK IV: response flag and message id, unique per message under one key. */
function skIv(h: IkeHeader): Uint8Array {
  const iv = new Uint8Array(IV_OCTETS)
  iv[0] = (h.flags & FLAG_RESPONSE) !== 0 ? 1 : 0
  new DataView(iv.buffer).setUint32(4, h.messageId >>> 0)
  return iv
}

/**
 * Encode an encrypted handshake message: header, then one SK payload holding `inner`
 * sealed with `key` (RFC 7296 §3.14, RFC 5282).
 */
export function encodeEncrypted(header: IkeHeader, inner: readonly Payload[], key: DirectionKey): Uint8Array {
  const innerLen = payloadsLength(inner)
  const plain = new Uint8Array(innerLen)
  writePayloads(inner, plain, 0)
  const skLen = IV_OCTETS + innerLen + ICV_OCTETS
  const out = new Uint8Array(IKE_HEADER_OCTETS + 3 + skLen)
  writeHeader(header, out)
  out[IKE_HEADER_OCTETS] = PAYLOAD.SK
  new DataView(out.buffer).setUint16(IKE_HEADER_OCTETS + 1, skLen)
  const iv = skIv(header)
  const ivAt = IKE_HEADER_OCTETS + 3
  out.set(iv, ivAt)
  seal(IKE_SA_TRANSFORM, key, iv, out.subarray(0, ivAt), plain, out, ivAt + IV_OCTETS)
  return out
}

/**
 * Open the SK payload of a decoded message and decode its payloads.
 *
 * @throws {ChannelError} ERR_CHANNEL_MALFORMED when there is no single SK payload,
 *   ERR_CHANNEL_INTEGRITY when it does not verify
 */
export function openSk(frame: Uint8Array, msg: IkeMessage, key: DirectionKey): Payload[] {
  const sk = msg.payloads[0]
  if (msg.payloads.length !== 1 || sk === undefined || sk.type !== PAYLOAD.SK) throw malformed('encrypted exchange without exactly one SK payload', IKE_HEADER_OCTETS)
  const ivAt = IKE_HEADER_OCTETS + 3
  const iv = frame.subarray(ivAt, ivAt + IV_OCTETS)
  // The IV is bound to the header: a message moved to another message id or direction
  // fails here even before the ICV.
  if (Buffer.compare(iv, skIv(msg.header)) !== 0) throw new ChannelError('ERR_CHANNEL_INTEGRITY', 'SK IV does not match the message id and direction')
  const plain = open(IKE_SA_TRANSFORM, key, iv, frame.subarray(0, ivAt), sk.data.subarray(IV_OCTETS))
  return readPayloads(plain, 0, plain.length)
}

/** Encode a notify data field carrying a secdns error code and message. */
export function errorNotifyData(code: string, message: string): Uint8Array {
  return Buffer.from(`${code}\0${message.slice(0, 1000)}`, 'utf8')
}

/** Decode {@link errorNotifyData}. */
export function parseErrorNotify(data: Uint8Array): { code: string; message: string } {
  const s = Buffer.from(data).toString('utf8')
  const i = s.indexOf('\0')
  return i < 0 ? { code: s, message: '' } : { code: s.slice(0, i), message: s.slice(i + 1) }
}
