import test from 'ava'
import { fileURLToPath } from 'node:url'
import { Name, RRType, type Nsec } from '@secdns/wire'
import { loadZoneFile } from '@secdns/zone'
import { ServedZone, ZoneTable } from '../src/served_zone.js'

const load = (f: string, origin: string): ServedZone => new ServedZone(loadZoneFile(fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url)), { origin }).zone)
const nsec = load('example.test.nsec.signed', 'example.test')
const nsec3 = load('example.test.nsec3.signed', 'example.test')
const plain = load('plain.test.zone', 'plain.test')
const n = (s: string): Name => Name.fromString(s)

test('a zone with DNSKEY and RRSIGs at the apex is signed; NSEC3PARAM selects NSEC3', (t) => {
  t.true(nsec.signed)
  t.false(nsec.usesNsec3)
  t.true(nsec3.signed)
  t.true(nsec3.usesNsec3)
  t.false(plain.signed)
})

test('nsecFor finds the matching NSEC, or the one before the name, wrapping at the end', (t) => {
  t.true(nsec.nsecFor(n('www.example.test.'))!.name.equals(n('www.example.test.')))
  const cover = nsec.nsecFor(n('nope.example.test.'))!
  t.true(cover.name.compare(n('nope.example.test.')) < 0)
  // zzzz sorts after every name, so the last NSEC (whose next name is the apex) covers it
  const last = nsec.nsecFor(n('zzzz.example.test.'))!
  t.true((last.rrsets.get(RRType.NSEC)!.rdata[0] as Nsec).nextDomainName.equals(n('example.test.')))
})

test('nsec3For matches names that exist and covers those that do not', (t) => {
  t.true(nsec3.nsec3For(n('www.example.test.'))!.matches)
  t.false(nsec3.nsec3For(n('nope.example.test.'))!.matches)
  t.is(nsec.nsec3For(n('www.example.test.')), undefined)
})

test('RRSIGs carry the TTL of the RRset they cover and can be renamed for wildcards', (t) => {
  const sigs = nsec.rrsigs(n('www.example.test.'), RRType.NSEC)
  t.is(sigs.length, 1)
  t.is(sigs[0]!.ttl, 300)
  const renamed = nsec.rrsigs(n('*.wild.example.test.'), RRType.A, n('x.wild.example.test.'))
  t.true(renamed[0]!.name.equals(n('x.wild.example.test.')))
})

test('the zone table picks the closest enclosing zone, and the parent for DS at an apex', (t) => {
  const parent = load('plain.test.zone', 'plain.test')
  const table = new ZoneTable([nsec, parent])
  t.is(table.find(n('a.b.www.example.test.')), nsec)
  t.is(table.find(n('www.plain.test.')), parent)
  t.is(table.find(n('other.test.')), undefined)
  t.is(table.find(n('example.test.'), true), nsec) // no served parent: the zone itself
})
