import test from 'ava'
import { testProp, fc } from '@fast-check/ava'
import { Name } from '../src/name.js'
import { WireFormatError } from '../src/errors.js'
import { NO_FLAGS, createQuery, decodeHeader, decodeMessage, decodeQuestionSection, encodeMessage, type Message } from '../src/message.js'
import { decodeRData, rdataFromString, rdataToText, type ResourceRecord } from '../src/rdata.js'
import { rrToText } from '../src/canonical.js'
import { RRType, Rcode } from '../src/types.js'
import { cookieOption, edeOption, nsidOption, paddingOption } from '../src/edns.js'
import { arbMessage } from './arbitraries.js'

const N = (s: string): Name => Name.fromString(s)
const rr = (name: string, type: number, text: string, ttl = 300): ResourceRecord => ({ name: N(name), class: 1, ttl, data: rdataFromString(type, text, N('example.test.')) })

function response(answer: ResourceRecord[], extra: Partial<Message> = {}): Message {
  return {
    id: 0x1234, flags: { ...NO_FLAGS, qr: true, aa: true }, opcode: 0, rcode: 0,
    question: [{ name: N('www.example.test.'), type: RRType.A, class: 1 }],
    answer, authority: [], additional: [], ...extra,
  }
}

/** Header + question for `www.example.test. A IN`, then `rest`; counts as given. */
function packet(counts: [number, number, number, number], ...rest: number[]): Uint8Array {
  return Uint8Array.from([0x12, 0x34, 0x81, 0x00, 0, counts[0], 0, counts[1], 0, counts[2], 0, counts[3], ...rest])
}
const QNAME = [3, 0x77, 0x77, 0x77, 7, ...Buffer.from('example'), 4, ...Buffer.from('test'), 0] // at offset 12, 18 octets
const Q = [...QNAME, 0, 1, 0, 1]

test('encodes and decodes every header flag, the opcode and the rcode', (t) => {
  for (const flag of ['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const) {
    const m = response([], { flags: { ...NO_FLAGS, [flag]: true }, opcode: 5, rcode: Rcode.NXDOMAIN })
    const d = decodeMessage(encodeMessage(m))
    t.deepEqual(d.flags, { ...NO_FLAGS, [flag]: true })
    t.is(d.opcode, 5)
    t.is(d.rcode, 3)
  }
  const h = decodeHeader(encodeMessage(response([rr('www.example.test.', 1, '192.0.2.1')])))
  t.deepEqual(h.counts, { question: 1, answer: 1, authority: 0, additional: 0 })
  t.is(h.id, 0x1234)
})

test('keeps the reserved Z bit through decode and re-encode', (t) => {
  // flags 0x8140: QR, RD and Z (0x0040) set
  const bytes = packet([1, 0, 0, 0], ...Q)
  bytes[3] = 0x40
  const d = decodeMessage(bytes)
  t.true(d.flags.z)
  t.true(decodeHeader(bytes).flags.z)
  t.deepEqual(encodeMessage(d), bytes)
  // without it the flag is absent, and the bit stays clear
  const plain = decodeMessage(packet([1, 0, 0, 0], ...Q))
  t.false('z' in plain.flags)
  t.is(encodeMessage(plain)[3]! & 0x40, 0)
})

test('carries the extended rcode in OPT and refuses it without EDNS', (t) => {
  const m = response([], { rcode: Rcode.BADVERS, edns: { udpSize: 1232, version: 0, dnssecOk: false, options: [] } })
  const bytes = encodeMessage(m)
  t.is(bytes[3]! & 0xf, 0)
  const d = decodeMessage(bytes)
  t.is(d.rcode, 16)
  t.is(d.edns!.extendedRcode, 1)
  // BADCOOKIE (23) = header 7, OPT upper bits 1; an rcode of 0xabc = upper 0xab
  const e = decodeMessage(encodeMessage(response([], { rcode: 0xabc, edns: { udpSize: 1232, version: 0, dnssecOk: false, options: [] } })))
  t.is(e.edns!.extendedRcode, 0xab)
  t.is(e.rcode, 0xabc)
  t.is(decodeMessage(encodeMessage(response([], { rcode: 3, edns: { udpSize: 512, version: 0, dnssecOk: false, options: [] } }))).edns!.extendedRcode, 0)
  t.throws(() => encodeMessage(response([], { rcode: 16 })), { code: 'ERR_WIRE_VALUE_RANGE' })
})

test('keeps EDNS size, version, DO and options byte-exact', (t) => {
  const options = [nsidOption(), cookieOption(new Uint8Array(8).fill(7), new Uint8Array(16).fill(9)), edeOption(6, 'bogus'), paddingOption(5), { code: 65001, data: Uint8Array.of(1, 2) }]
  const m = response([], { edns: { udpSize: 4096, version: 0, dnssecOk: true, options } })
  const bytes = encodeMessage(m)
  const d = decodeMessage(bytes)
  t.deepEqual(d.edns, { udpSize: 4096, extendedRcode: 0, version: 0, dnssecOk: true, options })
  t.deepEqual(encodeMessage(d), bytes)
  t.is(d.additional.length, 0)
})

test('compresses owner names and NS/CNAME/SOA/PTR/MX RDATA, nothing newer', (t) => {
  const answer = [
    rr('www.example.test.', RRType.CNAME, 'host.example.test.'),
    rr('host.example.test.', RRType.MX, '10 mail.example.test.'),
    rr('host.example.test.', RRType.SRV, '1 1 1 mail.example.test.'),
    rr('host.example.test.', RRType.RRSIG, 'MX 8 3 300 20300101000000 20250101000000 1 example.test. AA=='),
    rr('host.example.test.', RRType.NSEC, 'mail.example.test. A'),
    rr('host.example.test.', RRType.SVCB, '1 mail.example.test.'),
  ]
  const m = response(answer)
  const c = encodeMessage(m)
  const u = encodeMessage(m, { compress: false })
  t.true(c.length < u.length)
  t.deepEqual(decodeMessage(c).answer.map(rrToText), answer.map(rrToText))
  t.deepEqual(decodeMessage(u).answer.map(rrToText), answer.map(rrToText))
  // find each RDATA in the compressed packet and decode it alone: types that may not
  // be compressed must carry no pointer
  const d = new DataView(c.buffer, c.byteOffset)
  let p = 12 + 22
  const selfContained: boolean[] = []
  for (let i = 0; i < answer.length; i++) {
    while (c[p] !== 0 && c[p]! < 0xc0) p += c[p]! + 1
    p += c[p] === 0 ? 1 : 2
    const type = d.getUint16(p), len = d.getUint16(p + 8)
    p += 10
    try { decodeRData(type, c.slice(p, p + len)); selfContained.push(true) } catch { selfContained.push(false) }
    p += len
  }
  t.deepEqual(selfContained, [false, false, true, true, true, true])
})

test('compresses case-insensitively, keeping the case of the first occurrence (RFC 1035 §4.1.4)', (t) => {
  const answer = [rr('WWW.Example.TEST.', 1, '192.0.2.1'), rr('Mail.example.test.', RRType.MX, '10 MAIL.EXAMPLE.TEST.')]
  const mixed = encodeMessage(response(answer))
  const lower = encodeMessage(response([rr('www.example.test.', 1, '192.0.2.1'), rr('mail.example.test.', RRType.MX, '10 mail.example.test.')]))
  t.is(mixed.length, lower.length, 'every repeated suffix became a pointer')
  const d = decodeMessage(mixed)
  // the owner is a pointer to the question; the MX target points at the second owner
  t.deepEqual(d.answer.map((x) => x.name.toString()), ['www.example.test.', 'Mail.example.test.'])
  t.is(rdataToText(d.answer[1]!.data), '10 Mail.example.test.')
  // 0x40 '@' and 0x60 '`' differ only in bit 0x20 but are not letters: no match
  const odd = encodeMessage(response([rr('\\@.example.test.', 1, '192.0.2.1'), rr('`.example.test.', 1, '192.0.2.2')]))
  t.deepEqual(decodeMessage(odd).answer.map((x) => x.name.toString()), ['\\@.example.test.', '`.example.test.'])
})

test('truncates whole RRsets to the size limit and sets TC', (t) => {
  const answer = [
    ...[1, 2, 3].map((i) => rr('www.example.test.', 1, `192.0.2.${i}`)),
    ...[1, 2, 3, 4, 5, 6].map((i) => rr('www.example.test.', RRType.TXT, `"${'x'.repeat(40)}${i}"`)),
  ]
  const edns = { udpSize: 512, version: 0, dnssecOk: true, options: [] }
  const full = encodeMessage(response(answer, { edns }))
  t.true(full.length > 200)
  const cut = encodeMessage(response(answer, { edns }), { maxSize: 200 })
  t.true(cut.length <= 200)
  const d = decodeMessage(cut)
  t.true(d.flags.tc)
  t.is(d.answer.length, 3, 'the A RRset fits, the TXT RRset is left out whole')
  t.truthy(d.edns, 'OPT is kept')
  const none = decodeMessage(encodeMessage(response(answer, { edns }), { maxSize: 60 }))
  t.is(none.answer.length, 0)
  t.true(none.flags.tc)
})

test('refuses a limit too small for the header, question and OPT', (t) => {
  t.throws(() => encodeMessage(response([]), { maxSize: 20 }), { code: 'ERR_WIRE_MESSAGE_TOO_LARGE' })
  t.is(encodeMessage(response([]), { maxSize: 34 }).length, 34)
})

test('drops additional RRsets that do not fit without setting TC', (t) => {
  const m = response([rr('www.example.test.', 1, '192.0.2.1')], { additional: [rr('x.example.test.', RRType.TXT, `"${'y'.repeat(200)}"`)] })
  const d = decodeMessage(encodeMessage(m, { maxSize: 120 }))
  t.is(d.answer.length, 1)
  t.is(d.additional.length, 0)
  t.false(d.flags.tc)
})

test('decodes the question section alone, before the records', (t) => {
  // the answer record is broken (RDLENGTH past the end), the question is fine
  const bytes = packet([1, 1, 0, 0], ...Q, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 9, 192)
  const { header, question } = decodeQuestionSection(bytes)
  t.is(header.id, 0x1234)
  t.is(question[0]!.name.toString(), 'www.example.test.')
  t.throws(() => decodeMessage(bytes), { code: 'ERR_WIRE_RDLENGTH' })
  t.throws(() => decodeQuestionSection(packet([1, 0, 0, 0], 0xc0, 12, 0, 1, 0, 1)), { code: 'ERR_WIRE_BAD_POINTER' })
  t.throws(() => decodeQuestionSection(packet([9, 0, 0, 0], ...Q)), { code: 'ERR_WIRE_COUNT' })
})

test('builds queries with EDNS and DO', (t) => {
  const q = encodeMessage(createQuery(N('example.test.'), RRType.DNSKEY, { id: 42, dnssecOk: true }))
  const d = decodeMessage(q)
  t.is(d.id, 42)
  t.true(d.flags.rd)
  t.true(d.edns?.dnssecOk)
  t.is(d.edns?.udpSize, 1232)
  t.is(q.length, 12 + 14 + 4 + 11)
})

// ---- attacks: each asserts the exact code ------------------------------------

const attacks: Array<[string, Uint8Array, string, number?]> = [
  ['a truncated header', Uint8Array.of(0x12, 0x34, 0x81, 0, 0, 1, 0, 0, 0, 0, 0), 'ERR_WIRE_TRUNCATED'],
  ['a compression pointer that points forward', packet([1, 0, 0, 0], 0xc0, 32, 0, 1, 0, 1, ...new Array(20).fill(0)), 'ERR_WIRE_BAD_POINTER', 12],
  ['a compression pointer that points to itself', packet([1, 0, 0, 0], 0xc0, 12, 0, 1, 0, 1), 'ERR_WIRE_BAD_POINTER', 12],
  ['a pointer loop inside one name', packet([1, 0, 0, 0], 1, 0x61, 0xc0, 12, 0, 1, 0, 1), 'ERR_WIRE_BAD_POINTER', 14],
  ['a pointer loop between two names', packet([1, 1, 0, 0], ...Q, 0xc0, 36, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0xc0, 34), 'ERR_WIRE_BAD_POINTER', 34],
  ['a 64-octet label', packet([1, 0, 0, 0], 64, ...new Array(64).fill(0x61), 0, 0, 1, 0, 1), 'ERR_WIRE_LABEL_TOO_LONG', 12],
  ['a reserved label type', packet([1, 0, 0, 0], 0x80, 0, 1, 0, 1), 'ERR_WIRE_BAD_LABEL_TYPE', 12],
  ['a 256-octet name', packet([1, 0, 0, 0], ...[0, 1, 2, 3].flatMap(() => [63, ...new Array(63).fill(0x61)]), 0, 0, 1, 0, 1), 'ERR_WIRE_NAME_TOO_LONG'],
  ['a name over 255 octets made with pointers', packet([1, 1, 0, 0], ...[0, 1, 2].flatMap(() => [63, ...new Array(63).fill(0x61)]), 0, 0, 1, 0, 1,
    63, ...new Array(63).fill(0x62), 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0), 'ERR_WIRE_NAME_TOO_LONG'],
  ['RDLENGTH longer than the message', packet([1, 1, 0, 0], ...Q, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 9, 192, 0, 2, 1), 'ERR_WIRE_RDLENGTH', 44],
  ['RDLENGTH longer than the RDATA', packet([1, 1, 0, 0], ...Q, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 192, 0, 2, 1, 7), 'ERR_WIRE_RDLENGTH'],
  ['RDLENGTH shorter than the RDATA', packet([1, 1, 0, 0], ...Q, 0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 3, 0, 10, 1, 0x61, 0), 'ERR_WIRE_RDLENGTH', 48],
  ['a question count larger than the bytes left', packet([200, 0, 0, 0], ...Q), 'ERR_WIRE_COUNT', 4],
  ['record counts larger than the bytes left', packet([1, 255, 255, 255], ...Q), 'ERR_WIRE_COUNT', 4],
  ['a record cut off in its fixed fields', packet([1, 1, 0, 0], ...Q, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0), 'ERR_WIRE_TRUNCATED'],
  ['OPT in the answer section', packet([1, 1, 0, 0], ...Q, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0), 'ERR_WIRE_BAD_OPT', 34],
  ['two OPT records', packet([1, 0, 0, 2], ...Q, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0), 'ERR_WIRE_BAD_OPT', 45],
  ['an OPT record not owned by the root', packet([1, 0, 0, 1], ...Q, 0xc0, 12, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0), 'ERR_WIRE_BAD_OPT', 34],
  ['an EDNS option running past the OPT RDATA', packet([1, 0, 0, 1], ...Q, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 5, 0, 10, 0, 8, 1), 'ERR_WIRE_BAD_OPT'],
  ['a COOKIE option of the wrong length', packet([1, 0, 0, 1], ...Q, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 7, 0, 10, 0, 3, 1, 2, 3), 'ERR_WIRE_BAD_OPT'],
  ['bytes after the last record', packet([1, 0, 0, 0], ...Q, 0), 'ERR_WIRE_TRAILING_DATA', 34],
]

for (const [what, bytes, code, offset] of attacks) {
  test(`rejects ${what} with ${code}`, (t) => {
    const e = t.throws(() => decodeMessage(bytes), { instanceOf: WireFormatError, code })
    if (offset !== undefined) t.is(e?.offset, offset)
    t.regex(e?.message ?? '', /offset|octets/)
  })
}

/** A root question, a record whose RDATA is a chain of `hops` pointers, then `rrs` records owned by the chain's top. */
function pointerChain(hops: number, rrs: number): Uint8Array {
  const b: number[] = [0, 1, 0x80, 0, 0, 1, (1 + rrs) >> 8, (1 + rrs) & 255, 0, 0, 0, 0, 0, 0, 1, 0, 1]
  b.push(0, 0xff, 0, 0, 1, 0, 0, 0, 0, (hops * 2) >> 8, (hops * 2) & 255)
  let prev = 12
  for (let i = 0; i < hops; i++) { const at = b.length; b.push(0xc0 | (prev >> 8), prev & 255); prev = at }
  for (let i = 0; i < rrs; i++) b.push(0xc0 | (prev >> 8), prev & 255, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4)
  return Uint8Array.from(b)
}

test('caps the compression pointers followed in one name', (t) => {
  t.is(decodeMessage(pointerChain(126, 3)).answer.length, 4) // 126 in the chain + the owner's own pointer = 127
  t.throws(() => decodeMessage(pointerChain(127, 1)), { code: 'ERR_WIRE_BAD_POINTER' })
  // 8000 chained pointers behind 3000 owner names: without the cap this costs ~0.5 s
  const e = t.throws(() => decodeMessage(pointerChain(8000, 3000)), { instanceOf: WireFormatError, code: 'ERR_WIRE_BAD_POINTER' })
  t.regex(e?.message ?? '', /more than 127 compression pointers/)
})

test('says where a forward pointer points', (t) => {
  t.throws(() => decodeMessage(packet([1, 0, 0, 0], 0xc0, 32, 0, 1, 0, 1, ...new Array(20).fill(0))), {
    message: 'Compression pointer at offset 12 points forward to 32',
  })
})

test('accepts a pointer to an earlier name and an empty RDATA in class ANY', (t) => {
  const ok = packet([1, 1, 0, 0], ...Q, 0xc0, 12, 0, 1, 0, 255, 0, 0, 0, 0, 0, 0)
  const d = decodeMessage(ok)
  t.is(d.answer[0]!.name.toString(), 'www.example.test.')
  t.deepEqual(d.answer[0]!.data, { type: 1, data: new Uint8Array(0) })
})

// ---- properties ----------------------------------------------------------------

testProp('random bytes never make decodeMessage throw anything but WireFormatError', [fc.uint8Array({ maxLength: 600 })], (t, bytes) => {
  try {
    decodeMessage(bytes)
    t.pass()
  } catch (e) {
    t.true(e instanceof WireFormatError, String(e))
  }
}, { numRuns: 1000 })

testProp('mutated valid messages decode or throw only WireFormatError', [arbMessage, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })], (t, m, edits) => {
  const bytes = encodeMessage(m).slice()
  for (const [at, v] of edits) bytes[at % bytes.length] = v
  try {
    const d = decodeMessage(bytes)
    // whatever decodes has to encode again
    encodeMessage(d)
    t.pass()
  } catch (e) {
    t.true(e instanceof WireFormatError, String(e))
  }
}, { numRuns: 500 })

/** A deep copy with every Name lowercased (compression may give a name the case of an earlier one). */
function lowerNames<T>(v: T): T {
  if (v instanceof Name) return v.toLowerCase() as T
  if (Array.isArray(v)) return v.map(lowerNames) as T
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, lowerNames(x)])) as T
  }
  return v
}

testProp('random valid messages round-trip: decode(encode(m)) deep-equals m, names up to case', [arbMessage], (t, m) => {
  const bytes = encodeMessage(m)
  const d = decodeMessage(bytes)
  t.deepEqual(lowerNames(d), lowerNames(m))
  t.deepEqual(encodeMessage(d), bytes, 're-encoding the decoded message gives the same octets')
  t.deepEqual(decodeMessage(encodeMessage(m, { compress: false })), m)
}, { numRuns: 300 })
