/**
 * DNS messages (RFC 1035 §4.1): header, the four sections, name compression
 * where RFC 3597 §4 allows it, EDNS(0) (RFC 6891), size-limited encoding with
 * TC and whole-RRset truncation (RFC 2181 §9).
 */
import { WireFormatError } from './errors.js'
import { HEADER_OCTETS, MAX_MESSAGE_OCTETS, MIN_QUESTION_OCTETS, MIN_RR_OCTETS } from './limits.js'
import { Name } from './name.js'
import { WireReader } from './reader.js'
import { WireWriter, checkUint } from './writer.js'
import { readRData, writeRData, type EdnsOptionData, type RData, type ResourceRecord } from './rdata.js'
import { RRType } from './types.js'
import { checkEdnsOption, type Edns } from './edns.js'

export type { Edns } from './edns.js'

/** Header flags (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD and CD). */
export interface Flags {
  qr: boolean
  aa: boolean
  tc: boolean
  rd: boolean
  ra: boolean
  ad: boolean
  cd: boolean
  /**
   * The reserved Z bit (0x0040, RFC 1035 §4.1.1: "must be zero"; a receiver ignores it). Present only when set, so a re-encode keeps it byte-exact.
   */
  z?: boolean
}

/** A question (RFC 1035 §4.1.2). */
export interface Question {
  name: Name
  type: number
  class: number
}

/** A whole DNS message. OPT is lifted out of `additional` into `edns`. */
export interface Message {
  id: number
  flags: Flags
  opcode: number
  /** The full 12-bit rcode: header RCODE plus the OPT extended bits (RFC 6891 §6.1.3). */
  rcode: number
  question: Question[]
  answer: ResourceRecord[]
  authority: ResourceRecord[]
  additional: ResourceRecord[]
  edns?: Edns
}

/** The 12-byte header alone, for a server's drop-early path. */
export interface Header {
  id: number
  flags: Flags
  opcode: number
  /** Header RCODE only (4 bits); the OPT record may extend it. */
  rcode: number
  counts: { question: number, answer: number, authority: number, additional: number }
}

/** Options for {@link encodeMessage}. */
export interface EncodeOptions {
  /**
   * Largest message to produce. Records that do not fit are left out by whole
   * RRsets; TC is set when answer or authority data is left out (RFC 2181 §9).
   * The OPT record is always kept. Default: no limit (65535).
   */
  maxSize?: number
  /** Compress names (RFC 1035 §4.1.4) where RFC 3597 §4 allows. Default true. */
  compress?: boolean
}

/**
 * Read the 12-octet header.
 * @param buf at least 12 octets
 * @throws {WireFormatError} ERR_WIRE_TRUNCATED
 */
export function decodeHeader(buf: Uint8Array): Header {
  if (buf.length < HEADER_OCTETS) {
    throw new WireFormatError('ERR_WIRE_TRUNCATED', `Message of ${buf.length} octets is shorter than the ${HEADER_OCTETS}-octet header`, buf.length)
  }
  const f = (buf[2]! << 8) | buf[3]!
  return {
    id: (buf[0]! << 8) | buf[1]!,
    flags: flagsOf(f),
    opcode: (f >> 11) & 0xf,
    rcode: f & 0xf,
    counts: {
      question: (buf[4]! << 8) | buf[5]!,
      answer: (buf[6]! << 8) | buf[7]!,
      authority: (buf[8]! << 8) | buf[9]!,
      additional: (buf[10]! << 8) | buf[11]!,
    },
  }
}

/**
 * Decode the header and the question section only, for a server's second step
 * (a failure here is answered with FORMERR and the same ID; STYLE.md §4).
 * @param buf the message
 * @returns the header and the questions
 * @throws {WireFormatError} ERR_WIRE_TRUNCATED, ERR_WIRE_COUNT, ERR_WIRE_BAD_POINTER, …
 */
export function decodeQuestionSection(buf: Uint8Array): { header: Header, question: Question[] } {
  const header = decodeHeader(buf)
  const qd = header.counts.question
  if (qd * MIN_QUESTION_OCTETS > buf.length - HEADER_OCTETS) {
    throw new WireFormatError('ERR_WIRE_COUNT', `QDCOUNT ${qd} needs at least ${qd * MIN_QUESTION_OCTETS} octets, only ${buf.length - HEADER_OCTETS} follow the header`, 4)
  }
  const r = new WireReader(buf, HEADER_OCTETS)
  const question: Question[] = []
  for (let i = 0; i < qd; i++) {
    const name = r.name(true, 'Question name')
    r.need(4, 'Question type and class')
    question.push({ name, type: r.u16(), class: r.u16() })
  }
  return { header, question }
}

function flagsOf(f: number): Flags {
  const flags: Flags = {
    qr: (f & 0x8000) !== 0, aa: (f & 0x0400) !== 0, tc: (f & 0x0200) !== 0, rd: (f & 0x0100) !== 0,
    ra: (f & 0x0080) !== 0, ad: (f & 0x0020) !== 0, cd: (f & 0x0010) !== 0,
  }
  if ((f & 0x0040) !== 0) flags.z = true
  return flags
}

/** Types whose RDATA layout depends on the class being IN (RFC 3597 §4 leaves the rest opaque). */
function inOnly(type: number): boolean {
  return type === RRType.A || type === RRType.AAAA || type === RRType.SRV || type === RRType.NAPTR
}

const SECTION = ['answer', 'authority', 'additional'] as const

/**
 * Decode a whole message. On any input it returns a message or throws a
 * WireFormatError: every read is bounds checked, section counts are checked
 * against the bytes left before anything is allocated, pointers must go
 * strictly backwards, RDLENGTH must match the RDATA exactly.
 * @param buf the message (UDP payload, or a TCP frame without its length)
 * @throws {WireFormatError} ERR_WIRE_TRUNCATED, ERR_WIRE_COUNT, ERR_WIRE_BAD_POINTER,
 *   ERR_WIRE_RDLENGTH, ERR_WIRE_BAD_RDATA, ERR_WIRE_BAD_OPT, ERR_WIRE_TRAILING_DATA, …
 * @example
 * const msg = decodeMessage(udpPayload)
 * for (const rr of msg.answer) console.log(rrToText(rr))
 */
export function decodeMessage(buf: Uint8Array): Message {
  if (buf.length < HEADER_OCTETS) {
    throw new WireFormatError('ERR_WIRE_TRUNCATED', `Message of ${buf.length} octets is shorter than the ${HEADER_OCTETS}-octet header`, buf.length)
  }
  const f = (buf[2]! << 8) | buf[3]!
  const qd = (buf[4]! << 8) | buf[5]!, an = (buf[6]! << 8) | buf[7]!
  const ns = (buf[8]! << 8) | buf[9]!, ar = (buf[10]! << 8) | buf[11]!
  const left = buf.length - HEADER_OCTETS
  // STYLE.md §5: a count may promise no more than the bytes left can hold
  // (each question ≥ 5 octets, each RR ≥ 11), checked before allocating.
  const least = qd * MIN_QUESTION_OCTETS + (an + ns + ar) * MIN_RR_OCTETS
  if (least > left) {
    throw new WireFormatError('ERR_WIRE_COUNT', `Header counts (${qd} questions, ${an}/${ns}/${ar} records) need at least ${least} octets, only ${left} follow the header`, 4)
  }
  const r = new WireReader(buf, HEADER_OCTETS)
  const question: Question[] = new Array(qd)
  for (let i = 0; i < qd; i++) {
    const name = r.name(true, 'Question name')
    r.need(4, 'Question type and class')
    question[i] = { name, type: r.u16(), class: r.u16() }
  }
  const msg: Message = {
    id: (buf[0]! << 8) | buf[1]!, flags: flagsOf(f), opcode: (f >> 11) & 0xf, rcode: f & 0xf, question,
    answer: [], authority: [], additional: [],
  }
  const counts = [an, ns, ar]
  for (let s = 0; s < 3; s++) {
    const n = counts[s]!
    const list = s === 2 ? msg.additional : msg[SECTION[s]!]
    for (let i = 0; i < n; i++) {
      const at = r.pos
      const name = r.name(true, 'Owner name')
      r.need(10, 'RR type, class, TTL and RDLENGTH')
      const type = r.u16(), cls = r.u16(), ttl = r.u32(), rdlen = r.u16()
      if (r.pos + rdlen > buf.length) {
        throw new WireFormatError('ERR_WIRE_RDLENGTH', `RDLENGTH ${rdlen} at offset ${r.pos - 2} runs past the end of the message (${buf.length - r.pos} octets left)`, r.pos - 2)
      }
      const end = r.pos + rdlen
      if (type === RRType.OPT) {
        // RFC 6891 §6.1.1: one OPT at most, in the additional section, owned by the root.
        if (s !== 2) throw new WireFormatError('ERR_WIRE_BAD_OPT', `OPT record at offset ${at} is in the ${SECTION[s]} section`, at)
        if (msg.edns !== undefined) throw new WireFormatError('ERR_WIRE_BAD_OPT', `Second OPT record at offset ${at}`, at)
        if (name.wire.length !== 1) throw new WireFormatError('ERR_WIRE_BAD_OPT', `OPT record at offset ${at} is not owned by the root`, at)
        const options: EdnsOptionData[] = []
        while (r.pos < end) {
          const oat = r.pos
          if (oat + 4 > end) throw new WireFormatError('ERR_WIRE_BAD_OPT', `EDNS option header at offset ${oat} runs past the OPT RDATA`, oat)
          const code = r.u16(), olen = r.u16()
          if (r.pos + olen > end) throw new WireFormatError('ERR_WIRE_BAD_OPT', `EDNS option ${code} at offset ${oat} of ${olen} octets runs past the OPT RDATA`, oat)
          const o = { code, data: r.bytes(olen) }
          checkEdnsOption(o, oat)
          options.push(o)
        }
        // RFC 6891 §6.1.3: the OPT TTL's top octet is the upper 8 bits of the 12-bit rcode.
        const edns: Edns = { udpSize: cls, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0, options }
        if ((ttl & 0x7fff) !== 0) edns.z = ttl & 0x7fff
        msg.edns = edns
        msg.rcode |= (ttl >>> 24) << 4
        continue
      }
      let data: RData
      r.end = end
      if ((rdlen === 0 && (cls === 255 || cls === 254)) || (cls !== 1 && inOnly(type))) {
        // RFC 2136 §2.5: empty RDATA in class ANY/NONE deletes; other classes' A/AAAA/SRV/NAPTR are opaque here.
        data = { type, data: r.rest() }
      } else {
        data = readRData(r, type)
      }
      r.end = buf.length
      list.push({ name, class: cls, ttl, data })
    }
  }
  if (r.pos !== buf.length) {
    throw new WireFormatError('ERR_WIRE_TRAILING_DATA', `${buf.length - r.pos} octet(s) after the last record at offset ${r.pos}`, r.pos)
  }
  return msg
}

function flagsWord(m: Message): number {
  const f = m.flags
  return (f.qr ? 0x8000 : 0) | ((m.opcode & 0xf) << 11) | (f.aa ? 0x0400 : 0) | (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) | (f.ra ? 0x0080 : 0) | (f.z === true ? 0x0040 : 0) | (f.ad ? 0x0020 : 0) | (f.cd ? 0x0010 : 0) | (m.rcode & 0xf)
}

function sameRRset(a: ResourceRecord, b: ResourceRecord): boolean {
  return a.data.type === b.data.type && a.class === b.class && a.name.equals(b.name)
}

function writeRR(w: WireWriter, rr: ResourceRecord, compress: boolean): void {
  checkUint(rr.ttl, 0xffffffff, 'TTL')
  checkUint(rr.class, 0xffff, 'CLASS')
  checkUint(rr.data.type, 0xffff, 'TYPE')
  w.name(rr.name, compress)
  w.ensure(10)
  w.u16(rr.data.type)
  w.u16(rr.class)
  w.u32(rr.ttl)
  const lenAt = w.pos
  w.pos += 2
  writeRData(w, rr.data, compress ? 1 : 0)
  const len = w.pos - lenAt - 2
  if (len > 0xffff) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `RDATA of ${len} octets is over 65535`, -1)
  w.setU16(lenAt, len)
}

function writeOpt(w: WireWriter, e: Edns, rcode: number): void {
  checkUint(e.udpSize, 0xffff, 'EDNS UDP size')
  checkUint(e.version, 0xff, 'EDNS version')
  w.ensure(11)
  w.u8(0)
  w.u16(RRType.OPT)
  w.u16(e.udpSize)
  w.u8(rcode >>> 4)
  w.u8(e.version)
  w.u16((e.dnssecOk ? 0x8000 : 0) | ((e.z ?? 0) & 0x7fff))
  const lenAt = w.pos
  w.pos += 2
  for (const o of e.options) {
    checkUint(o.code, 0xffff, 'EDNS option code')
    w.u16(o.code)
    w.u16(o.data.length)
    w.bytes(o.data)
  }
  w.setU16(lenAt, w.pos - lenAt - 2)
}

/**
 * Encode a message. Names are compressed (case-sensitively, so case survives)
 * in owner names and in RDATA of NS, CNAME, SOA, PTR and MX only (RFC 3597 §4).
 * With `maxSize`, RRsets that do not fit are left out whole; TC is set when
 * that happens in the answer or authority section (RFC 2181 §9). OPT is kept.
 * @param msg the message
 * @param opts size limit and compression
 * @returns a new array holding exactly the encoded bytes
 * @throws {WireFormatError} ERR_WIRE_VALUE_RANGE, ERR_WIRE_MESSAGE_TOO_LARGE
 * @example
 * const q = encodeMessage({ id: 1, flags: { ...NO_FLAGS, rd: true }, opcode: 0, rcode: 0,
 *   question: [{ name: Name.fromString('example.test.'), type: RRType.A, class: RRClass.IN }],
 *   answer: [], authority: [], additional: [], edns: { udpSize: 1232, version: 0, dnssecOk: true, options: [] } })
 */
export function encodeMessage(msg: Message, opts: EncodeOptions = {}): Uint8Array {
  const compress = opts.compress ?? true
  const limit = opts.maxSize ?? MAX_MESSAGE_OCTETS
  checkUint(msg.id, 0xffff, 'Message ID')
  checkUint(msg.opcode, 0xf, 'Opcode')
  checkUint(msg.rcode, 0xfff, 'Rcode')
  // RFC 6891 §6.1.3: rcodes over 15 need the OPT record's extended bits.
  if (msg.rcode > 15 && msg.edns === undefined) {
    throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `Rcode ${msg.rcode} needs EDNS (an OPT record) to be sent`, -1)
  }
  // One shared writer (encoding is synchronous); a nested call gets its own.
  const w = sharedBusy ? new WireWriter(512, compress) : shared
  if (w === shared) {
    sharedBusy = true
    w.reset(compress)
  }
  try {
    return encodeInto(w, msg, compress, limit).slice()
  } finally {
    if (w === shared) {
      sharedBusy = false
      // do not keep a huge buffer alive after one large message
      if (w.buf.length > SHARED_SIZE) shared = new WireWriter(SHARED_SIZE, true)
    }
  }
}

const SHARED_SIZE = 16384
let shared = new WireWriter(SHARED_SIZE, true)
let sharedBusy = false

function encodeInto(w: WireWriter, msg: Message, compress: boolean, limit: number): Uint8Array {
  w.pos = HEADER_OCTETS
  let optSize = 0
  if (msg.edns !== undefined) {
    optSize = 11
    for (const o of msg.edns.options) optSize += 4 + o.data.length
  }
  let tc = msg.flags.tc
  for (const q of msg.question) {
    checkUint(q.type, 0xffff, 'QTYPE')
    checkUint(q.class, 0xffff, 'QCLASS')
    w.name(q.name, compress)
    w.u16(q.type)
    w.u16(q.class)
  }
  if (w.pos + optSize > limit) {
    throw new WireFormatError('ERR_WIRE_MESSAGE_TOO_LARGE', `Header, question and OPT need ${w.pos + optSize} octets, over the limit of ${limit}`, -1)
  }
  const counts = [0, 0, 0]
  const sections = [msg.answer, msg.authority, msg.additional]
  let stop = false
  for (let s = 0; s < 3 && !stop; s++) {
    const list = sections[s]!
    let i = 0
    while (i < list.length) {
      const mark = w.mark()
      let j = i
      do {
        if (list[j]!.data.type === RRType.OPT) {
          throw new WireFormatError('ERR_WIRE_BAD_OPT', `OPT record in the ${SECTION[s]} section; put it in Message.edns`, -1)
        }
        writeRR(w, list[j]!, compress)
        j++
      } while (j < list.length && sameRRset(list[j - 1]!, list[j]!))
      if (w.pos + optSize > limit) {
        w.rollback(mark)
        // RFC 2181 §9: TC only when required data (answer, authority) was dropped.
        if (s < 2) { tc = true; stop = true }
        break
      }
      counts[s]! += j - i
      i = j
    }
  }
  if (msg.edns !== undefined) {
    writeOpt(w, msg.edns, msg.rcode)
    counts[2]!++
  }
  if (w.pos > MAX_MESSAGE_OCTETS) {
    throw new WireFormatError('ERR_WIRE_MESSAGE_TOO_LARGE', `Message of ${w.pos} octets is over ${MAX_MESSAGE_OCTETS}`, -1)
  }
  if (msg.question.length > 0xffff) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', 'More than 65535 questions', -1)
  const fw = flagsWord(msg) | (tc ? 0x0200 : 0)
  w.setU16(0, msg.id)
  w.setU16(2, fw)
  w.setU16(4, msg.question.length)
  w.setU16(6, counts[0]!)
  w.setU16(8, counts[1]!)
  w.setU16(10, counts[2]!)
  return w.finish()
}

/** All header flags false. */
export const NO_FLAGS: Readonly<Flags> = Object.freeze({ qr: false, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false })

/** Options for {@link createQuery}. */
export interface QueryOptions {
  id?: number
  class?: number
  /** Recursion desired (default true). */
  rd?: boolean
  cd?: boolean
  ad?: boolean
  /** Add an OPT record with this UDP size (default 1232); null: no EDNS. */
  udpSize?: number | null
  /** Set DO (default false). */
  dnssecOk?: boolean
  options?: EdnsOptionData[]
}

/**
 * A one-question query message.
 * @param name the QNAME
 * @param type the QTYPE
 * @param opts id, flags and EDNS settings
 * @example encodeMessage(createQuery(Name.fromString('example.test.'), RRType.DNSKEY, { dnssecOk: true }))
 */
export function createQuery(name: Name, type: number, opts: QueryOptions = {}): Message {
  const m: Message = {
    id: opts.id ?? 0,
    flags: { ...NO_FLAGS, rd: opts.rd ?? true, cd: opts.cd ?? false, ad: opts.ad ?? false },
    opcode: 0,
    rcode: 0,
    question: [{ name, type, class: opts.class ?? 1 }],
    answer: [], authority: [], additional: [],
  }
  const udp = opts.udpSize === undefined ? 1232 : opts.udpSize
  if (udp !== null) m.edns = { udpSize: udp, version: 0, dnssecOk: opts.dnssecOk ?? false, options: opts.options ?? [] }
  return m
}
