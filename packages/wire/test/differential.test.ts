/**
 * Differential test: packets that dns-packet 5.6.1 encodes decode here to the
 * same records (simple types, plain ASCII names, which dns-packet handles).
 */
import test from 'ava'
import { testProp, fc } from '@fast-check/ava'
import dnsPacket from 'dns-packet'
import { decodeMessage, encodeMessage } from '../src/message.js'
import { rrToText } from '../src/canonical.js'
import { quoteString } from '../src/text.js'
import { ipv4ToText, ipv6ToText } from '../src/ip.js'

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/)
const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'))
const ttl = fc.integer({ min: 0, max: 0x7fffffff })

type Pair = [dnsPacket.Answer, string]
const record: fc.Arbitrary<Pair> = fc.oneof(
  fc.tuple(name, ttl, fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([n, t, b]): Pair => [{ type: 'A', name: n, ttl: t, data: ipv4ToText(b) }, `${n}. ${t} IN A ${ipv4ToText(b)}`]),
  fc.tuple(name, ttl, fc.uint8Array({ minLength: 16, maxLength: 16 })).map(([n, t, b]): Pair => [{ type: 'AAAA', name: n, ttl: t, data: ipv6ToText(b) }, `${n}. ${t} IN AAAA ${ipv6ToText(b)}`]),
  fc.tuple(name, ttl, name).map(([n, t, d]): Pair => [{ type: 'NS', name: n, ttl: t, data: d }, `${n}. ${t} IN NS ${d}.`]),
  fc.tuple(name, ttl, name).map(([n, t, d]): Pair => [{ type: 'CNAME', name: n, ttl: t, data: d }, `${n}. ${t} IN CNAME ${d}.`]),
  fc.tuple(name, ttl, name).map(([n, t, d]): Pair => [{ type: 'PTR', name: n, ttl: t, data: d }, `${n}. ${t} IN PTR ${d}.`]),
  fc.tuple(name, ttl, fc.integer({ min: 0, max: 65535 }), name).map(([n, t, p, d]): Pair => [{ type: 'MX', name: n, ttl: t, data: { preference: p, exchange: d } }, `${n}. ${t} IN MX ${p} ${d}.`]),
  fc.tuple(name, ttl, fc.array(fc.uint8Array({ maxLength: 100 }), { minLength: 1, maxLength: 3 })).map(([n, t, s]): Pair =>
    [{ type: 'TXT', name: n, ttl: t, data: s.map((x) => Buffer.from(x)) }, `${n}. ${t} IN TXT ${s.map(quoteString).join(' ')}`]),
  fc.tuple(name, ttl, fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 3, maxLength: 3 }), name).map(([n, t, [a, b, c], d]): Pair =>
    [{ type: 'SRV', name: n, ttl: t, data: { priority: a!, weight: b!, port: c!, target: d } }, `${n}. ${t} IN SRV ${a} ${b} ${c} ${d}.`]),
  fc.tuple(name, ttl, name, name, fc.array(fc.integer({ min: 0, max: 0x7fffffff }), { minLength: 5, maxLength: 5 })).map(([n, t, m, r, [s, a, b, c, d]]): Pair =>
    [{ type: 'SOA', name: n, ttl: t, data: { mname: m, rname: r, serial: s!, refresh: a!, retry: b!, expire: c!, minimum: d! } }, `${n}. ${t} IN SOA ${m}. ${r}. ${s} ${a} ${b} ${c} ${d}`]),
)

testProp('decodes what dns-packet encodes to the same records', [fc.array(record, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 65535 })], (t, recs, id) => {
  const bytes = dnsPacket.encode({ type: 'response', id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [{ type: 'A', name: 'q.test' }], answers: recs.map((r) => r[0]) })
  const m = decodeMessage(bytes)
  t.is(m.id, id)
  t.true(m.flags.aa && m.flags.qr)
  t.deepEqual(m.answer.map(rrToText), recs.map((r) => r[1]))
  // and dns-packet reads back what we encode (with compression)
  const back = dnsPacket.decode(Buffer.from(encodeMessage(m)))
  t.deepEqual(back.answers?.map((a) => a.name), recs.map((r) => r[0].name))
}, { numRuns: 300 })

test('agrees with dns-packet on EDNS and the DO bit', (t) => {
  const bytes = dnsPacket.encode({
    type: 'query', id: 9, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'DNSKEY', name: 'example.test' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flag_do: true, flags: dnsPacket.DNSSEC_OK, options: [{ code: 12, data: Buffer.alloc(4) }] } as dnsPacket.Answer],
  })
  const m = decodeMessage(bytes)
  t.deepEqual(m.edns, { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, options: [{ code: 12, data: new Uint8Array(4) }] })
  t.true(m.flags.rd)
  t.is(m.question[0]!.type, 48)
})
