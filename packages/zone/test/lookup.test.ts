import test from 'ava'
import { fileURLToPath } from 'node:url'
import { Name, RRType, rrTypeFromString } from '@secdns/wire'
import { loadZoneFile } from '../src/load.js'
import { loadZoneText } from '../src/load.js'
import { lookup, MAX_CHAIN_LENGTH, type LookupKind } from '../src/lookup.js'

const file = fileURLToPath(new URL('../../test/fixtures/lookup.zone', import.meta.url))
const loaded = loadZoneFile(file, { origin: 'example.test' })
const zone = loaded.zone
const n = (s: string) => Name.fromString(s.endsWith('.') ? s : s + '.example.test.')
const q = (name: string, type: string) => lookup(zone, name === '@' ? zone.origin : n(name), rrTypeFromString(type))
const names = (sets: readonly { name: Name, type: number }[]) => sets.map((s) => `${s.name.toString()}/${s.type}`)

test('the lookup fixture loads without errors', (t) => {
  t.deepEqual(loaded.errors.map((e) => e.message), [])
})

// [qname, qtype, kind, rcode, answer owner/type list, authority owner/type list]
const table: [string, string, LookupKind, number, string[], string[]][] = [
  ['www', 'A', 'answer', 0, ['www.example.test./1'], []],
  ['@', 'SOA', 'answer', 0, ['example.test./6'], []],
  ['www', 'MX', 'nodata', 0, [], ['example.test./6']],
  ['b.c', 'TXT', 'nodata', 0, [], ['example.test./6']],
  ['nope.www', 'A', 'nxdomain', 3, [], ['example.test./6']],
  ['alias', 'A', 'answer', 0, ['alias.example.test./5', 'www.example.test./1'], []],
  ['alias', 'CNAME', 'answer', 0, ['alias.example.test./5'], []],
  ['chain1', 'AAAA', 'answer', 0, ['chain1.example.test./5', 'chain2.example.test./5', 'www.example.test./28'], []],
  ['outside', 'A', 'cname', 0, ['outside.example.test./5'], []],
  ['host.wild', 'A', 'answer', 0, ['host.wild.example.test./1'], []],
  ['a.b.wild', 'TXT', 'answer', 0, ['a.b.wild.example.test./16'], []],
  ['host.wild', 'AAAA', 'nodata', 0, [], ['example.test./6']],
  ['x.wc', 'A', 'answer', 0, ['x.wc.example.test./5', 'www.example.test./1'], []],
  ['sec', 'A', 'referral', 0, [], ['sec.example.test./2', 'sec.example.test./43']],
  ['deep.in.sec', 'A', 'referral', 0, [], ['sec.example.test./2', 'sec.example.test./43']],
  ['ns.sec', 'A', 'referral', 0, [], ['sec.example.test./2', 'sec.example.test./43']],
  ['insec', 'A', 'referral', 0, [], ['insec.example.test./2']],
  ['sec', 'DS', 'answer', 0, ['sec.example.test./43'], []],
  ['insec', 'DS', 'nodata', 0, [], ['example.test./6']],
  ['a.old', 'CNAME', 'dname', 0, ['old.example.test./39', 'a.old.example.test./5'], []],
  ['x.old', 'A', 'answer', 0, ['old.example.test./39', 'x.old.example.test./5', 'x.new.example.test./1'], []],
  ['gone.old', 'A', 'nxdomain', 3, ['old.example.test./39', 'gone.old.example.test./5'], ['example.test./6']],
  ['old', 'DNAME', 'answer', 0, ['old.example.test./39'], []],
  ['anything', 'MX', 'answer', 0, ['anything.example.test./15'], []],
  ['www.example.net.', 'A', 'notAuthoritative', 5, [], []],
  ['tosec', 'A', 'referral', 0, ['tosec.example.test./5'], ['sec.example.test./2', 'sec.example.test./43']],
]
for (const [qname, qtype, kind, rcode, answer, authority] of table) {
  test(`${qname} ${qtype} gives ${kind}`, (t) => {
    const r = q(qname, qtype)
    t.is(r.kind, kind)
    t.is(r.rcode, rcode)
    t.deepEqual(names(r.answer), answer)
    t.deepEqual(names(r.authority), authority)
  })
}

test('the DNAME step names a target under the new owner and ends in the right kind', (t) => {
  const r = q('x.old', 'A')
  t.is(r.steps[0]!.kind, 'dname')
  t.is(r.steps[0]!.dnameOwner!.toString(), 'old.example.test.')
  t.is(r.steps[1]!.kind, 'answer')
  t.is(r.steps[1]!.qname.toString(), 'x.new.example.test.')
})

test('a NODATA at an empty non-terminal has the name itself as closest encloser', (t) => {
  const s = q('b.c', 'TXT').steps[0]!
  t.is(s.closestEncloser.toString(), 'b.c.example.test.')
  t.is(s.nextCloser, undefined)
  t.false(s.synthesized)
})

test('NXDOMAIN gives the closest encloser, next closer name and the absent wildcard', (t) => {
  const s = q('x.y.nope.www', 'A').steps[0]!
  t.is(s.closestEncloser.toString(), 'www.example.test.')
  t.is(s.nextCloser!.toString(), 'nope.www.example.test.')
  t.is(s.wildcard!.toString(), '*.www.example.test.')
  t.false(s.synthesized)
})

test('a wildcard answer gives the source of synthesis and the next closer name', (t) => {
  const r = q('a.b.wild', 'A')
  const s = r.steps[0]!
  t.true(s.synthesized)
  t.is(s.wildcard!.toString(), '*.wild.example.test.')
  t.is(s.closestEncloser.toString(), 'wild.example.test.')
  t.is(s.nextCloser!.toString(), 'b.wild.example.test.')
  t.is(r.answer[0]!.name.toString(), 'a.b.wild.example.test.')
})

test('a wildcard NODATA is flagged as synthesized', (t) => {
  const s = q('host.wild', 'AAAA').steps[0]!
  t.is(s.kind, 'nodata')
  t.true(s.synthesized)
  t.is(s.wildcard!.toString(), '*.wild.example.test.')
})

test('a referral carries the delegation point, whether DS exists, and glue', (t) => {
  const r = q('www.sec', 'A')
  t.false(r.authoritative)
  t.is(r.steps[0]!.delegation!.toString(), 'sec.example.test.')
  t.true(r.steps[0]!.dsExists)
  t.deepEqual(names(r.additional), ['ns.sec.example.test./1'])
  const i = q('insec', 'A')
  t.false(i.steps[0]!.dsExists)
  t.deepEqual(i.additional, [])
})

test('a CNAME into a delegation ends in a referral that keeps AA for the CNAME', (t) => {
  const r = q('tosec', 'A')
  t.true(r.authoritative)
  t.deepEqual(r.steps.map((s) => s.kind), ['cname', 'referral'])
  t.deepEqual(names(r.additional), ['ns.sec.example.test./1'])
})

test('a DS query at a cut is answered from the parent side and names the cut', (t) => {
  const s = q('sec', 'DS').steps[0]!
  t.is(s.delegation!.toString(), 'sec.example.test.')
  t.true(q('sec', 'DS').authoritative)
})

test('negative answers carry the SOA with the RFC 2308 negative TTL', (t) => {
  const r = q('nope.www', 'A')
  t.is(r.authority[0]!.ttl, 300)
})

test('a CNAME loop stops after each name once', (t) => {
  const r = q('loop1', 'A')
  t.is(r.kind, 'cname')
  t.deepEqual(names(r.answer), ['loop1.example.test./5', 'loop2.example.test./5'])
})

test('ANY returns every RRset at the name', (t) => {
  const r = q('www', 'ANY')
  t.deepEqual(names(r.answer), ['www.example.test./1', 'www.example.test./28'])
})

test('a long CNAME chain stops at the chain limit', (t) => {
  const lines = ['$TTL 60', '@ SOA ns h 1 2 3 4 5', ' NS ns', 'ns A 192.0.2.1']
  for (let i = 0; i < 40; i++) lines.push(`c${i} CNAME c${i + 1}`)
  const z = loadZoneText(lines.join('\n'), { origin: 'example.test' }).zone
  const r = lookup(z, n('c0'), RRType.A)
  t.is(r.steps.length, MAX_CHAIN_LENGTH)
  t.is(r.kind, 'cname')
})

test('a DNAME that would make a name over 255 octets gives YXDOMAIN', (t) => {
  const long = Array.from({ length: 3 }, () => 'a'.repeat(63)).join('.')
  const z = loadZoneText(`$TTL 60\n@ SOA ns h 1 2 3 4 5\n NS ns\nns A 192.0.2.1\nd DNAME ${long}.example.test.`, { origin: 'example.test' }).zone
  const r = lookup(z, Name.fromString(`${'b'.repeat(60)}.d.example.test.`), RRType.A)
  t.is(r.kind, 'yxdomain')
  t.is(r.rcode, 6)
})
