import test from 'ava'
import { Name } from '../src/name.js'
import { canonicalRRWire, canonicalRRsetOrder, rrToText } from '../src/canonical.js'
import { rdataFromString, type ResourceRecord } from '../src/rdata.js'
import { RRType } from '../src/types.js'

const rr = (type: number, text: string, name = 'Host.Example.'): ResourceRecord => ({ name: Name.fromString(name), class: 1, ttl: 300, data: rdataFromString(type, text) })

test('orders an RRset by canonical RDATA and drops duplicates (RFC 4034 §6.3)', (t) => {
  const set = [rr(1, '192.0.2.10'), rr(1, '192.0.2.2'), rr(1, '10.0.0.1'), rr(1, '192.0.2.2')]
  t.deepEqual(canonicalRRsetOrder(set).map((r) => rrToText(r).split(' ')[4]), ['10.0.0.1', '192.0.2.2', '192.0.2.10'])
  // names compare lowercased, so these two MX are one record in canonical form
  const mx = canonicalRRsetOrder([rr(RRType.MX, '10 B.example.'), rr(RRType.MX, '10 a.example.'), rr(RRType.MX, '10 b.EXAMPLE.')])
  t.is(mx.length, 2)
  t.is(rrToText(mx[0]!), 'Host.Example. 300 IN MX 10 a.example.')
})

test('builds the canonical RR wire form with a lowercased owner and the given TTL', (t) => {
  const w = canonicalRRWire(rr(RRType.NS, 'NS1.Example.', 'Example.'), 3600)
  t.deepEqual([...w], [7, ...Buffer.from('example'), 0, 0, 2, 0, 1, 0, 0, 0x0e, 0x10, 0, 13, 3, ...Buffer.from('ns1'), 7, ...Buffer.from('example'), 0])
})

test('prints a record on one line as owner TTL class type rdata', (t) => {
  t.is(rrToText(rr(RRType.TXT, '"a b"')), 'Host.Example. 300 IN TXT "a b"')
  t.is(rrToText({ name: Name.ROOT, class: 3, ttl: 0, data: { type: 65280, data: Uint8Array.of(1) } }), '. 0 CH TYPE65280 \\# 1 01')
})
