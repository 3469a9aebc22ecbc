import test from 'ava'
import { Name, RRType } from '@secdns/wire'
import { Zone, RRsetTable, sortRData, rrsetRecords, type RRset } from '../src/zone.js'
import { loadZoneText } from '../src/load.js'

const n = (s: string) => Name.fromString(s)
const ZONE = `$TTL 300
@ SOA ns hostmaster 1 2 3 4 5
  NS ns
ns A 192.0.2.1
a.b.c TXT "deep"
sub NS ns.sub
ns.sub A 192.0.2.2
x.sub TXT "occluded"
sub TXT "occluded at the cut"
Z A 192.0.2.3
*.w A 192.0.2.4
d DNAME example.net.
e.d A 192.0.2.5
`
const zone = loadZoneText(ZONE, { origin: 'example.test' }).zone

test('iterates owners in RFC 4034 §6.1 canonical order with empty non-terminals', (t) => {
  t.deepEqual([...zone.names()].map(String), [
    'example.test.', 'c.example.test.', 'b.c.example.test.', 'a.b.c.example.test.', 'd.example.test.', 'e.d.example.test.',
    'ns.example.test.', 'sub.example.test.', 'ns.sub.example.test.', 'x.sub.example.test.', 'w.example.test.', '*.w.example.test.', 'Z.example.test.',
  ])
})

test('classifies apex, delegation, glue, occluded, empty non-terminal and authoritative names', (t) => {
  t.is(zone.kindOf(n('example.test.')), 'apex')
  t.is(zone.kindOf(n('sub.example.test.')), 'delegation')
  t.is(zone.kindOf(n('ns.sub.example.test.')), 'glue')
  t.is(zone.kindOf(n('x.sub.example.test.')), 'occluded')
  t.is(zone.kindOf(n('e.d.example.test.')), 'glue')
  t.is(zone.kindOf(n('b.c.example.test.')), 'emptyNonTerminal')
  t.is(zone.kindOf(n('a.b.c.example.test.')), 'authoritative')
  t.is(zone.kindOf(n('*.w.example.test.')), 'authoritative')
  t.is(zone.kindOf(n('nope.example.test.')), undefined)
})

test('lists delegations and empty non-terminals', (t) => {
  t.deepEqual(zone.delegations().map(String), ['sub.example.test.'])
  t.deepEqual(zone.emptyNonTerminals().map(String), ['c.example.test.', 'b.c.example.test.', 'w.example.test.'])
})

test('lists wildcard owners', (t) => {
  t.deepEqual(zone.wildcards().map(String), ['*.w.example.test.'])
})

test('finds the cut above a name', (t) => {
  t.is(zone.cutAbove(n('a.b.x.sub.example.test.'))!.name.toString(), 'sub.example.test.')
  t.is(zone.cutAbove(n('a.b.c.example.test.')), undefined)
})

test('looks names up case-insensitively and keeps the case of the first owner', (t) => {
  t.is(zone.rrset(n('z.EXAMPLE.test.'), RRType.A)!.name.toString(), 'Z.example.test.')
  t.true(zone.has(n('NS.example.test.')))
})

test('drops duplicate records and warns about a TTL that differs inside an RRset', (t) => {
  const z = new Zone(n('example.test.'))
  const loc = { file: 'f', line: 3, column: 1 }
  t.true(z.add({ name: n('a.example.test.'), class: 1, ttl: 60, data: { type: RRType.A, address: '192.0.2.1' } }, loc))
  t.false(z.add({ name: n('A.example.test.'), class: 1, ttl: 60, data: { type: RRType.A, address: '192.0.2.1' } }, loc))
  t.true(z.add({ name: n('a.example.test.'), class: 1, ttl: 90, data: { type: RRType.A, address: '192.0.2.2' } }, loc))
  t.is(z.size, 2)
  t.is(z.rrset(n('a.example.test.'), RRType.A)!.ttl, 60)
  t.is(z.warnings[0]!.code, 'ERR_ZONE_TTL_MISMATCH')
})

test('RRsetTable behaves as a Map keyed by RRset type, in insertion order', (t) => {
  const mk = (type: number): RRset => ({ name: n('a.example.test.'), type, class: 1, ttl: 60, rdata: [] })
  const m = new RRsetTable()
  t.is(m.size, 0)
  t.is(m.get(1), undefined)
  t.deepEqual([...m], [])
  const a = mk(1), txt = mk(16), aaaa = mk(28), mx = mk(15)
  m.set(1, a).set(16, txt).set(28, aaaa).set(15, mx)
  t.is(m.size, 4)
  t.is(m.get(28), aaaa)
  t.true(m.has(15))
  t.false(m.has(2))
  t.deepEqual([...m.keys()], [1, 16, 28, 15])
  t.deepEqual([...m.values()], [a, txt, aaaa, mx])
  t.deepEqual([...m].map(([k]) => k), [1, 16, 28, 15])
  const a2 = mk(1)
  m.set(1, a2)
  t.is(m.get(1), a2)
  t.is(m.size, 4)
  t.true(m.delete(1))
  t.false(m.delete(1))
  t.deepEqual([...m.keys()], [16, 28, 15])
  const seen: number[] = []
  m.forEach((v, k, map) => { seen.push(k); t.is(v.type, k); t.is(map, m) })
  t.deepEqual(seen, [16, 28, 15])
  t.throws(() => m.set(2, mk(1)), { instanceOf: RangeError, message: 'RRset of type 1 cannot be stored under type 2' })
  m.clear()
  t.is(m.size, 0)
  t.deepEqual(new Map(zone.node(n('ns.example.test.'))!.rrsets).get(RRType.A)!.rdata, [{ type: RRType.A, address: '192.0.2.1' }])
})

test('an RRset handed out keeps its rdata array: later records go into the same array', (t) => {
  const z = new Zone(n('example.test.'))
  const a = (x: number) => ({ name: n('a.example.test.'), class: 1, ttl: 60, data: { type: RRType.A, address: `192.0.2.${x}` } })
  z.add(a(1), { file: 'f', line: 7, column: 1 })
  const set = z.rrset(n('a.example.test.'), RRType.A)!
  t.deepEqual(set.source, { file: 'f', line: 7, column: 1 })
  const arr = set.rdata
  t.is(arr.length, 1)
  z.add(a(2))
  z.add(a(2))
  t.is(set.rdata, arr)
  t.deepEqual(arr.map((d) => (d as { address: string }).address), ['192.0.2.1', '192.0.2.2'])
  const json = JSON.parse(JSON.stringify(set)) as { ttl: number, rdata: unknown[], source: unknown }
  t.is(json.ttl, 60)
  t.is(json.rdata.length, 2)
  t.deepEqual(json.source, { file: 'f', line: 7, column: 1 })
  // a set that was never handed out grows too
  z.add({ ...a(3), name: n('b.example.test.') })
  z.add({ ...a(4), name: n('b.example.test.') })
  t.is(z.rrset(n('b.example.test.'), RRType.A)!.rdata.length, 2)
  t.is(z.size, 4)
})

test('drops duplicates in large RRsets too (a Set of canonical forms from 8 records on)', (t) => {
  const z = new Zone(n('example.test.'))
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 20; i++) z.add({ name: n(i % 2 ? 'A.example.test.' : 'a.example.test.'), class: 1, ttl: 60, data: { type: RRType.A, address: `192.0.2.${i}` } })
  }
  t.is(z.size, 20)
  t.is(z.rrset(n('a.example.test.'), RRType.A)!.rdata.length, 20)
})

test('records come out with RDATA in canonical order', (t) => {
  const z = loadZoneText('$TTL 1\n@ SOA ns h 1 2 3 4 5\n NS ns\nns A 192.0.2.9\n A 192.0.2.10\n A 10.0.0.1', { origin: 'example.test' }).zone
  t.deepEqual([...z.records()].filter((r) => r.data.type === RRType.A).map((r) => (r.data as { address: string }).address), ['10.0.0.1', '192.0.2.9', '192.0.2.10'])
  t.is(sortRData([]).length, 0)
  t.is(rrsetRecords(z.rrset(n('ns.example.test.'), RRType.A)!).length, 3)
})

test('recomputes empty non-terminals after more records are added', (t) => {
  const z = new Zone(n('example.test.'))
  z.add({ name: n('a.b.example.test.'), class: 1, ttl: 1, data: { type: RRType.A, address: '192.0.2.1' } })
  t.deepEqual(z.emptyNonTerminals().map(String), ['b.example.test.'])
  z.add({ name: n('b.example.test.'), class: 1, ttl: 1, data: { type: RRType.A, address: '192.0.2.2' } })
  t.deepEqual(z.emptyNonTerminals().map(String), [])
  t.is(z.soa, undefined)
})

test('refuses a record whose owner is outside the zone', (t) => {
  const z = new Zone(n('example.test.'))
  t.throws(() => z.add({ name: n('www.example.net.'), class: 1, ttl: 1, data: { type: RRType.A, address: '192.0.2.1' } }), { code: 'ERR_ZONE_OUT_OF_ZONE' })
})
