import test from 'ava'
import { fileURLToPath } from 'node:url'
import { Name, RRType, WireFormatError, encodeRData, rrToText, type RData } from '@secdns/wire'
import { Zone, addRecordWire, rrsetWire, rrsetSize, rrsetRData, peekRRset, type RRset } from '../src/zone.js'
import { loadZoneFile, loadZoneText } from '../src/load.js'
import { readZoneFile } from '../src/reader.js'

const n = (s: string) => Name.fromString(s)
const fixtures = fileURLToPath(new URL('../../../../test/fixtures/zones/', import.meta.url))

test('a zone larger than one store chunk (1 MiB) keeps every record exactly', (t) => {
  const z = new Zone(n('example.test.'))
  const want = new Map<string, RData[]>()
  for (let i = 0; i < 6000; i++) {
    const name = n(`h${i}.example.test.`)
    const txt: RData = { type: RRType.TXT, strings: [new TextEncoder().encode(`${i}:`.padEnd(200 + (i % 50), 'x'))] }
    const a: RData = { type: RRType.A, address: `10.0.${i >> 8}.${i & 255}` }
    t.true(z.add({ name, class: 1, ttl: 60, data: txt }))
    t.true(z.add({ name, class: 1, ttl: 60, data: a }))
    // the same records again: duplicates, in a later chunk than the originals
    if (i % 1000 === 999) for (let j = i - 999; j <= i; j += 97) t.false(z.add({ name: n(`h${j}.example.test.`), class: 1, ttl: 60, data: want.get(`h${j}`)![0]! }))
    want.set(`h${i}`, [txt, a])
  }
  t.is(z.size, 12000)
  for (const i of [0, 1, 2047, 2048, 4095, 5999]) {
    const node = z.node(n(`H${i}.Example.test.`))!
    t.is(node.name.toString(), `h${i}.example.test.`)
    const [txt, a] = want.get(`h${i}`)!
    t.deepEqual(rrsetWire(peekRRset(node, RRType.TXT)!), [encodeRData(txt!)])
    t.deepEqual(z.rrset(n(`h${i}.example.test.`), RRType.A)!.rdata, [a])
  }
  t.is([...z.records()].length, 12000)
})

test('duplicates are found by canonical form: names in RDATA ignore case, other octets do not', (t) => {
  const z = new Zone(n('example.test.'))
  const at = n('a.example.test.')
  t.true(z.add({ name: at, class: 1, ttl: 60, data: { type: RRType.MX, preference: 10, exchange: n('Mail.Example.test.') } }))
  t.false(z.add({ name: at, class: 1, ttl: 60, data: { type: RRType.MX, preference: 10, exchange: n('mail.example.TEST.') } }))
  t.true(z.add({ name: at, class: 1, ttl: 60, data: { type: RRType.MX, preference: 20, exchange: n('mail.example.test.') } }))
  t.true(z.add({ name: at, class: 1, ttl: 60, data: { type: RRType.TXT, strings: [new TextEncoder().encode('Hello')] } }))
  t.true(z.add({ name: at, class: 1, ttl: 60, data: { type: RRType.TXT, strings: [new TextEncoder().encode('hello')] } }))
  t.false(z.add({ name: at, class: 1, ttl: 60, data: { type: RRType.TXT, strings: [new TextEncoder().encode('Hello')] } }))
  t.is(z.size, 4)
  // the first spelling is kept, as BIND keeps it
  t.deepEqual(z.rrset(at, RRType.MX)!.rdata.map((d) => rrToText({ name: at, class: 1, ttl: 60, data: d })), ['a.example.test. 60 IN MX 10 Mail.Example.test.', 'a.example.test. 60 IN MX 20 mail.example.test.'])
})

test('RDATA that does not encode is refused before the zone changes', (t) => {
  const z = new Zone(n('example.test.'))
  z.add({ name: n('a.example.test.'), class: 1, ttl: 60, data: { type: RRType.A, address: '192.0.2.1' } })
  const e = t.throws(() => z.add({ name: n('b.example.test.'), class: 1, ttl: 60, data: { type: RRType.A, address: '192.0.2.300' } }))
  t.true(e instanceof WireFormatError)
  t.throws(() => z.add({ name: n('a.example.test.'), class: 1, ttl: 60, data: { type: RRType.TXT, strings: [new Uint8Array(300)] } }), { code: 'ERR_WIRE_VALUE_RANGE' })
  t.is(z.size, 1)
  t.is(z.node(n('b.example.test.')), undefined)
  t.deepEqual([...z.node(n('a.example.test.'))!.rrsets.keys()], [RRType.A])
})

test('an RRset view writes its TTL through; sets put in from outside and deleted ones behave as in a Map', (t) => {
  const z = new Zone(n('example.test.'))
  const at = n('a.example.test.')
  z.add({ name: at, class: 1, ttl: 60, data: { type: RRType.A, address: '192.0.2.1' } })
  z.add({ name: at, class: 1, ttl: 60, data: { type: RRType.TXT, strings: [new Uint8Array([65])] } })
  const a = z.rrset(at, RRType.A)!
  a.ttl = 99
  t.is(z.rrset(at, RRType.A)!.ttl, 99)
  t.is(z.rrset(at, RRType.A), a)
  t.is([...z.records()].find((r) => r.data.type === RRType.A)!.ttl, 99)
  const node = z.node(at)!
  const mine: RRset = { name: at, type: RRType.AAAA, class: 1, ttl: 5, rdata: [{ type: RRType.AAAA, address: '2001:db8::1' }] }
  node.rrsets.set(RRType.AAAA, mine)
  t.true(z.add({ name: at, class: 1, ttl: 5, data: { type: RRType.AAAA, address: '2001:db8::2' } }))
  t.false(z.add({ name: at, class: 1, ttl: 5, data: { type: RRType.AAAA, address: '2001:db8::1' } }))
  t.is(mine.rdata.length, 2)
  t.is(node.rrsets.size, 3)
  t.true(node.rrsets.delete(RRType.TXT))
  t.false(node.rrsets.has(RRType.TXT))
  t.deepEqual([...node.rrsets.keys()], [RRType.A, RRType.AAAA])
  t.is(rrsetSize(a), 1)
  t.deepEqual(rrsetRData(mine), mine.rdata)
})

for (const file of ['types.zone', 'syntax.zone', 'generate.zone', 'include.zone']) {
  test(`${file}: loading straight to octets gives the records of the typed path`, (t) => {
    const path = fixtures + file
    const loaded = loadZoneFile(path, { origin: 'example.test' })
    const typed = new Zone(n('example.test.'))
    const r = readZoneFile(path, { origin: 'example.test' }, (rr, loc) => { typed.add(rr, loc) })
    t.deepEqual(loaded.errors.map((e) => e.message), r.errors.map((e) => e.message))
    const text = (z: Zone) => [...z.records()].map(rrToText)
    t.true(text(typed).length > 0)
    t.deepEqual(text(loaded.zone), text(typed))
  })
}

test('records handed out stay intact while the store goes on growing (octets given to a kept array are copied)', (t) => {
  const z = new Zone(n('example.test.'))
  const at = n('a.example.test.')
  const txt = (s: string): RData => ({ type: RRType.TXT, strings: [new TextEncoder().encode(s)] })
  z.add({ name: at, class: 1, ttl: 60, data: txt('first') })
  const kept = z.rrset(at, RRType.TXT)!.rdata
  const w = encodeRData(txt('second'))
  t.true(addRecordWire(z, at, 1, 60, RRType.TXT, w, 0, w.length))
  t.false(addRecordWire(z, at, 1, 60, RRType.TXT, w, 0, w.length))
  // write over the store where the dropped octets were, and well beyond
  for (let i = 0; i < 3000; i++) z.add({ name: n(`b${i}.example.test.`), class: 1, ttl: 60, data: txt(`filler ${i}`.padEnd(250, 'z')) })
  t.is(kept.length, 2)
  t.deepEqual(kept.map((d) => rrToText({ name: at, class: 1, ttl: 60, data: d })), ['a.example.test. 60 IN TXT "first"', 'a.example.test. 60 IN TXT "second"'])
  t.deepEqual(z.rrset(n('b7.example.test.'), RRType.TXT)!.rdata, [txt('filler 7'.padEnd(250, 'z'))])
})

test('loading straight to octets drops duplicates in large RRsets too, whatever the case of names', (t) => {
  const lines = ['$TTL 60', '@ SOA ns h 1 2 3 4 5', '  NS ns', 'ns A 192.0.2.1']
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 20; i++) lines.push(`big A 10.0.0.${i}`, `big MX ${i} ${round ? 'MAIL' : 'mail'}${i}.example.test.`)
  }
  const { zone, errors } = loadZoneText(lines.join('\n'), { origin: 'example.test' })
  t.deepEqual(errors, [])
  t.is(rrsetSize(zone.rrset(n('big.example.test.'), RRType.A)!), 20)
  t.is(rrsetSize(zone.rrset(n('big.example.test.'), RRType.MX)!), 20)
  t.is(zone.size, 43)
})
