/**
 * TSIG (RFC 8945) with HMAC-SHA256: find and check the TSIG record of a request,
 * sign responses (and every message of a TCP stream, §5.3.1), sign requests.
 * Works on encoded messages, because the MAC covers the exact bytes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { HEADER_OCTETS, Name, RRType, Rcode, WireReader, WireWriter, type Message } from '@secdns/wire'
import { ServerError } from './errors.js'

/** RFC 8945 §6: the algorithm name of HMAC-SHA256. */
export const HMAC_SHA256 = Name.fromString('hmac-sha256.')
/** RFC 8945 §10: the fudge we send (seconds). */
export const DEFAULT_FUDGE = 300
/** RFC 8945 §5.2.2.1: a truncated MAC shorter than this (or half the hash) is refused. */
export const MIN_MAC_OCTETS = 16

/** A shared key. */
export interface TsigKey {
  /** Key name (compared case-insensitively). */
  readonly name: Name
  /** Algorithm; only {@link HMAC_SHA256}. */
  readonly algorithm: Name
  readonly secret: Uint8Array
}

/** The TSIG RDATA fields (RFC 8945 §4.2). */
export interface TsigRecord {
  readonly keyName: Name
  readonly algorithm: Name
  /** 48-bit seconds since the epoch. */
  readonly timeSigned: number
  readonly fudge: number
  readonly mac: Uint8Array
  readonly originalId: number
  /** An extended rcode: 0, BADSIG 16, BADKEY 17, BADTIME 18, BADTRUNC 22. */
  readonly error: number
  readonly otherData: Uint8Array
}

/** A request's TSIG found in the encoded bytes. */
export interface FoundTsig {
  readonly record: TsigRecord
  /** Offset where the TSIG RR starts: the MAC covers the bytes before it. */
  readonly offset: number
}

/** The outcome of {@link verifyRequest}. */
export type TsigCheck =
  | { readonly ok: true, readonly key: TsigKey, readonly record: TsigRecord }
  | { readonly ok: false, readonly error: number, readonly record: TsigRecord, readonly key?: TsigKey, readonly reason: string }

/**
 * Make a {@link TsigKey} from configuration values.
 * @param name key name
 * @param secretBase64 the secret in base64
 */
export function tsigKey(name: string, secretBase64: string): TsigKey {
  return { name: Name.fromString(name.endsWith('.') ? name : name + '.'), algorithm: HMAC_SHA256, secret: new Uint8Array(Buffer.from(secretBase64, 'base64')) }
}

function skipRR(r: WireReader): number {
  const start = r.pos
  r.name(true, 'Owner name')
  r.need(10, 'RR header')
  const type = r.u16()
  r.pos += 6
  const len = r.u16()
  r.need(len, 'RDATA')
  r.pos += len
  return type === RRType.TSIG ? start : -1
}

/**
 * Locate the TSIG record of an encoded message. RFC 8945 §5.1: it must be the last
 * record of the additional section; anywhere else is FORMERR.
 * @param buf an encoded message (already known to decode)
 * @returns null when the message has no TSIG
 * @throws {ServerError} ERR_TSIG_FORMAT
 */
export function findTsig(buf: Uint8Array): FoundTsig | null {
  const r = new WireReader(buf, HEADER_OCTETS)
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const qd = v.getUint16(4), an = v.getUint16(6), ns = v.getUint16(8), ar = v.getUint16(10)
  for (let i = 0; i < qd; i++) { r.name(true); r.pos += 4 }
  const total = an + ns + ar
  let found = -1
  for (let i = 0; i < total; i++) {
    const at = skipRR(r)
    if (at >= 0) {
      if (i !== total - 1) throw new ServerError('ERR_TSIG_FORMAT', `TSIG record at offset ${at} is not the last record (RFC 8945 §5.1)`)
      found = at
    }
  }
  if (found < 0) return null
  const rr = new WireReader(buf, found)
  const keyName = rr.name(true, 'TSIG key name')
  rr.pos += 8
  const len = rr.u16()
  return { record: parseTsigRData(buf, rr.pos, rr.pos + len, keyName), offset: found }
}

/**
 * Parse TSIG RDATA.
 * @param buf the packet
 * @param start RDATA start
 * @param end RDATA end
 * @param keyName the owner name of the TSIG RR
 * @throws {ServerError} ERR_TSIG_FORMAT
 */
export function parseTsigRData(buf: Uint8Array, start: number, end: number, keyName: Name): TsigRecord {
  try {
    const r = new WireReader(buf, start, end)
    const algorithm = r.name(false, 'TSIG algorithm')
    const hi = r.u16(), lo = r.u32()
    const fudge = r.u16()
    const mac = r.bytes(r.u16(), 'TSIG MAC')
    const originalId = r.u16(), error = r.u16()
    const otherData = r.bytes(r.u16(), 'TSIG other data')
    if (r.pos !== end) throw new Error(`${end - r.pos} octets after the TSIG RDATA`)
    return { keyName, algorithm, timeSigned: hi * 2 ** 32 + lo, fudge, mac, originalId, error, otherData }
  } catch (e) {
    throw new ServerError('ERR_TSIG_FORMAT', `TSIG RDATA at offset ${start}: ${(e as Error).message}`, { cause: e })
  }
}

function variables(w: WireWriter, t: { keyName: Name, algorithm: Name, timeSigned: number, fudge: number, error: number, otherData: Uint8Array }, timersOnly: boolean): void {
  if (!timersOnly) {
    // RFC 8945 §4.3.3: key name and algorithm in canonical form, class ANY, TTL 0.
    w.nameLower(t.keyName)
    w.u16(255)
    w.u32(0)
    w.nameLower(t.algorithm)
  }
  w.u16(Math.floor(t.timeSigned / 2 ** 32))
  w.u32(t.timeSigned >>> 0)
  w.u16(t.fudge)
  if (timersOnly) return
  w.u16(t.error)
  w.u16(t.otherData.length)
  w.bytes(t.otherData)
}

function hmac(key: TsigKey, prior: Uint8Array | undefined, msg: Uint8Array, vars: Uint8Array): Buffer {
  const h = createHmac('sha256', key.secret)
  if (prior !== undefined) {
    const len = new Uint8Array([prior.length >> 8, prior.length & 0xff])
    h.update(len).update(prior)
  }
  return h.update(msg).update(vars).digest()
}

/** The message bytes before the TSIG RR, with ARCOUNT one less and the original ID (RFC 8945 §4.3.2). */
function stripped(buf: Uint8Array, found: FoundTsig): Uint8Array {
  const m = buf.slice(0, found.offset)
  const ar = (m[10]! << 8) | m[11]!
  m[10] = (ar - 1) >> 8
  m[11] = (ar - 1) & 0xff
  m[0] = found.record.originalId >> 8
  m[1] = found.record.originalId & 0xff
  return m
}

/**
 * Check the TSIG of a request (RFC 8945 §5.2): key known (BADKEY), MAC valid
 * (BADSIG), not truncated too far (BADTRUNC), time within the fudge (BADTIME).
 * @param buf the encoded request
 * @param found from {@link findTsig}
 * @param keys known keys by lowercase name without the trailing dot
 * @param now seconds since the epoch
 * @param priorMac for a response or a later message of a stream: the MAC it answers
 */
export function verifyTsig(buf: Uint8Array, found: FoundTsig, keys: ReadonlyMap<string, TsigKey>, now: number, priorMac?: Uint8Array): TsigCheck {
  const rec = found.record
  const key = keys.get(rec.keyName.toString().toLowerCase().replace(/\.$/, ''))
  // RFC 8945 §5.2.1: an unknown key or algorithm is BADKEY.
  if (key === undefined || !rec.algorithm.equals(key.algorithm)) {
    return { ok: false, error: Rcode.BADKEY, record: rec, reason: `unknown TSIG key ${rec.keyName.toString()} or algorithm ${rec.algorithm.toString()}` }
  }
  const w = new WireWriter(128)
  variables(w, rec, false)
  const mac = hmac(key, priorMac, stripped(buf, found), w.finish())
  // RFC 8945 §5.2.2.1: a MAC may be truncated, but not below half the hash or 10 octets.
  if (rec.mac.length > mac.length || rec.mac.length < MIN_MAC_OCTETS) {
    return { ok: false, error: rec.mac.length < MIN_MAC_OCTETS ? Rcode.BADTRUNC : Rcode.BADSIG, record: rec, key, reason: `TSIG MAC of ${rec.mac.length} octets` }
  }
  if (!timingSafeEqual(mac.subarray(0, rec.mac.length), rec.mac)) {
    return { ok: false, error: Rcode.BADSIG, record: rec, key, reason: `TSIG MAC with key ${rec.keyName.toString()} does not verify` }
  }
  // RFC 8945 §5.2.3: time is checked after the MAC, so a forged time cannot probe the clock.
  if (Math.abs(now - rec.timeSigned) > rec.fudge) {
    return { ok: false, error: Rcode.BADTIME, record: rec, key, reason: `TSIG time ${rec.timeSigned} is more than ${rec.fudge} s from ${now}` }
  }
  return { ok: true, key, record: rec }
}

/** Options for {@link signTsig}. */
export interface SignOptions {
  /** Seconds since the epoch. */
  readonly now: number
  readonly fudge?: number
  /** For a response: the request's MAC; for a later message of a stream: the previous MAC. */
  readonly priorMac?: Uint8Array
  /** RFC 8945 §5.3.1: later messages of a stream cover only the timers. */
  readonly timersOnly?: boolean
  /** TSIG error to report (BADTIME, …). */
  readonly error?: number
  /** Other data (the server time for BADTIME, RFC 8945 §5.2.3). */
  readonly otherData?: Uint8Array
  /** Leave the MAC empty (responses to BADKEY/BADSIG, RFC 8945 §5.3.2). */
  readonly unsigned?: boolean
}

/**
 * Append a TSIG record to an encoded message.
 * @param msg the encoded message without TSIG
 * @param key the key to sign with
 * @param opts time, prior MAC, error
 * @returns the signed message and the MAC (to chain the next message with)
 * @example
 * const { bytes, mac } = signTsig(encodeMessage(query), key, { now: Math.floor(Date.now() / 1000) })
 */
export function signTsig(msg: Uint8Array, key: TsigKey, opts: SignOptions): { bytes: Uint8Array, mac: Uint8Array } {
  const rec = {
    keyName: key.name, algorithm: key.algorithm, timeSigned: opts.now, fudge: opts.fudge ?? DEFAULT_FUDGE,
    error: opts.error ?? 0, otherData: opts.otherData ?? new Uint8Array(0),
  }
  let mac: Uint8Array = new Uint8Array(0)
  if (opts.unsigned !== true) {
    const vw = new WireWriter(128)
    variables(vw, rec, opts.timersOnly === true)
    mac = hmac(key, opts.priorMac, msg, vw.finish())
  }
  const id = (msg[0]! << 8) | msg[1]!
  const w = new WireWriter(msg.length + 128)
  w.bytes(msg)
  w.name(key.name, false)
  w.u16(RRType.TSIG)
  w.u16(255)
  w.u32(0)
  const lenAt = w.pos
  w.u16(0)
  w.name(key.algorithm, false)
  w.u16(Math.floor(rec.timeSigned / 2 ** 32))
  w.u32(rec.timeSigned >>> 0)
  w.u16(rec.fudge)
  w.u16(mac.length)
  w.bytes(mac)
  w.u16(id)
  w.u16(rec.error)
  w.u16(rec.otherData.length)
  w.bytes(rec.otherData)
  w.setU16(lenAt, w.pos - lenAt - 2)
  const out = w.finish().slice()
  const ar = ((out[10]! << 8) | out[11]!) + 1
  out[10] = ar >> 8
  out[11] = ar & 0xff
  return { bytes: out, mac }
}

/**
 * Checks the TSIG of every message of a signed TCP stream (a transfer) in turn
 * (RFC 8945 §5.3.1): the first covers the request MAC and the full variables, later
 * ones the previous MAC, any unsigned messages since (at most 99) and the timers.
 *
 * @example
 * const v = new TsigStreamVerifier(key, requestMac)
 * for (const m of messages) v.push(m, now)
 * v.finish()
 */
export class TsigStreamVerifier {
  readonly #key: TsigKey
  #prior: Uint8Array
  #pending: Uint8Array[] = []
  #first = true

  /**
   * @param key the key the request was signed with
   * @param requestMac the MAC of the request
   */
  constructor(key: TsigKey, requestMac: Uint8Array) {
    this.#key = key
    this.#prior = requestMac
  }

  /**
   * Check one message of the stream.
   * @param buf the encoded message
   * @param now seconds since the epoch
   * @throws {ServerError} ERR_TSIG_BAD_SIG, ERR_TSIG_BAD_KEY, ERR_TSIG_BAD_TIME, ERR_TSIG_FORMAT
   */
  push(buf: Uint8Array, now: number): void {
    const found = findTsig(buf)
    if (found === null) {
      // RFC 8945 §5.3.1: the first and the last message are signed, and no more than 99 in a row are not.
      if (this.#first) throw new ServerError('ERR_TSIG_BAD_SIG', 'the first message of the signed transfer carries no TSIG')
      if (this.#pending.length >= 99) throw new ServerError('ERR_TSIG_BAD_SIG', 'more than 99 messages in a row without TSIG')
      this.#pending.push(buf)
      return
    }
    const rec = found.record
    if (!rec.keyName.equals(this.#key.name) || !rec.algorithm.equals(this.#key.algorithm)) {
      throw new ServerError('ERR_TSIG_BAD_KEY', `the transfer is signed with ${rec.keyName.toString()}, not ${this.#key.name.toString()}`)
    }
    if (rec.error !== 0) throw new ServerError('ERR_TSIG_BAD_SIG', `the server reports TSIG error ${rec.error}`)
    const w = new WireWriter(128)
    variables(w, rec, !this.#first)
    const h = createHmac('sha256', this.#key.secret)
    h.update(new Uint8Array([this.#prior.length >> 8, this.#prior.length & 0xff])).update(this.#prior)
    for (const p of this.#pending) h.update(p)
    const mac = h.update(stripped(buf, found)).update(w.finish()).digest()
    if (rec.mac.length < MIN_MAC_OCTETS || rec.mac.length > mac.length || !timingSafeEqual(mac.subarray(0, rec.mac.length), rec.mac)) {
      throw new ServerError('ERR_TSIG_BAD_SIG', `TSIG of transfer message does not verify with ${this.#key.name.toString()}`)
    }
    if (Math.abs(now - rec.timeSigned) > rec.fudge) throw new ServerError('ERR_TSIG_BAD_TIME', `TSIG time ${rec.timeSigned} is more than ${rec.fudge} s from ${now}`)
    this.#prior = rec.mac
    this.#pending = []
    this.#first = false
  }

  /**
   * The stream ended: its last message must have been signed.
   * @throws {ServerError} ERR_TSIG_BAD_SIG
   */
  finish(): void {
    if (this.#first || this.#pending.length > 0) throw new ServerError('ERR_TSIG_BAD_SIG', 'the last message of the signed transfer carries no TSIG')
  }
}

/** Octets a TSIG RR with this key adds to a message (to reserve room when truncating). */
export function tsigSize(key: TsigKey): number {
  return key.name.length + 10 + key.algorithm.length + 6 + 2 + 32 + 6 + 2 + 6
}

/**
 * Remove the TSIG pseudo-record from a decoded message's additional section.
 * @param m a decoded message
 */
export function withoutTsig(m: Message): Message {
  const last = m.additional[m.additional.length - 1]
  if (last === undefined || last.data.type !== RRType.TSIG) return m
  return { ...m, additional: m.additional.slice(0, -1) }
}
