import test from 'ava'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Name, RRType, EdeCode, type Dnskey, type Ds, type Nsec, type Nsec3, type ResourceRecord } from '@secdns/wire'
import {
  groupRRsets, validateRRset, verifyDnskeysWithDs, verifyDnskeysWithAnchor, nsecCovers, checkNsecDenial, checkNsec3Denial, SignatureBudget,
  type SignedRRset,
} from '../src/validator.js'
import { parseScenario, type Scenario } from './replay.js'

const dir = fileURLToPath(new URL('../../test/fixtures/replay/', import.meta.url))
const load = (f: string): Scenario => parseScenario(readFileSync(dir + f, 'utf8'), f)
const secureA = load('secure_a.rpl')
const wildcard = load('nsec_wildcard.rpl')
const n = (s: string): Name => Name.fromString(s)

function set(s: Scenario, name: string, type: number, qtype = type): SignedRRset {
  const step = s.steps.find((x) => x.name.equals(n(name)) && x.type === qtype)!
  return groupRRsets(step.message.answer).find((x) => x.type === type && x.name.equals(n(name)))!
}
const zoneKeys = (s: Scenario, zone: string): { zone: Name, keys: ResourceRecord<Dnskey>[] } => ({ zone: n(zone), keys: set(s, zone, RRType.DNSKEY).records as ResourceRecord<Dnskey>[] })
const NOW = secureA.now

test('groupRRsets attaches each RRSIG to the RRset it covers', (t) => {
  const s = set(secureA, 'www.example.test.', RRType.A)
  t.is(s.records.length, 1)
  t.is(s.sigs.length, 1)
  t.is(s.sigs[0]!.data.typeCovered, RRType.A)
})

test('an RRset signed by a key of its zone is secure, its TTL capped by the Original TTL', (t) => {
  const s = set(secureA, 'www.example.test.', RRType.A)
  const v = validateRRset(s, zoneKeys(secureA, 'example.test.'), NOW)
  t.is(v.state, 'secure')
  t.is(v.ttl, 300)
  const longer = { ...s, records: s.records.map((r) => ({ ...r, ttl: 86400 })) }
  const v2 = validateRRset(longer, zoneKeys(secureA, 'example.test.'), NOW)
  t.deepEqual([v2.state, v2.ttl], ['secure', 300])
})

test('the TTL of a secure RRset never runs past signature expiration', (t) => {
  const s = set(secureA, 'www.example.test.', RRType.A)
  const v = validateRRset(s, zoneKeys(secureA, 'example.test.'), Date.UTC(2035, 11, 31, 23, 59, 0) / 1000)
  t.deepEqual([v.state, v.ttl], ['secure', 60])
})

test('keys of another zone leave the RRset bogus with DNSKEY Missing', (t) => {
  const v = validateRRset(set(secureA, 'www.example.test.', RRType.A), zoneKeys(secureA, '.'), NOW)
  t.deepEqual([v.state, v.ede], ['bogus', EdeCode.DNSKEY_MISSING])
})

test('an RRset without RRSIG in a signed zone is bogus with RRSIGs Missing', (t) => {
  const v = validateRRset({ ...set(secureA, 'www.example.test.', RRType.A), sigs: [] }, zoneKeys(secureA, 'example.test.'), NOW)
  t.deepEqual([v.state, v.ede], ['bogus', EdeCode.RRSIGS_MISSING])
})

test('a spent signature budget stops verification: bogus', (t) => {
  const v = validateRRset(set(secureA, 'www.example.test.', RRType.A), zoneKeys(secureA, 'example.test.'), NOW, new SignatureBudget(0))
  t.deepEqual([v.state, v.ede], ['bogus', EdeCode.DNSSEC_BOGUS])
  t.regex(v.reason!, /budget/)
})

test('an RRSIG with fewer labels than the owner marks a wildcard expansion and names the closest encloser', (t) => {
  const v = validateRRset(set(wildcard, 'x.wild.example.test.', RRType.A), zoneKeys(wildcard, 'example.test.'), NOW)
  t.is(v.state, 'secure')
  t.is(v.wildcardEncloser?.toString(), 'wild.example.test.')
})

test('the DNSKEY RRset is proven from the DS, and a DS with a wrong digest proves nothing', (t) => {
  const dnskeys = set(secureA, 'example.test.', RRType.DNSKEY)
  const ds = set(secureA, 'example.test.', RRType.DS).records.map((r) => r.data as Ds)
  const ok = verifyDnskeysWithDs(n('example.test.'), dnskeys, ds, NOW)
  t.is(ok.state, 'secure')
  t.is(ok.keys.length, 2)
  const bad = verifyDnskeysWithDs(n('example.test.'), dnskeys, ds.map((d) => ({ ...d, digest: new Uint8Array(d.digest.length) })), NOW)
  t.deepEqual([bad.state, bad.ede], ['bogus', EdeCode.DNSKEY_MISSING])
  t.is(verifyDnskeysWithDs(n('example.test.'), null, ds, NOW).state, 'bogus')
})

test('DS records of unsupported algorithms or digests make the zone insecure, not bogus (RFC 6840 §5.2)', (t) => {
  const dnskeys = set(secureA, 'example.test.', RRType.DNSKEY)
  const ds = set(secureA, 'example.test.', RRType.DS).records.map((r) => r.data as Ds)
  const alg = verifyDnskeysWithDs(n('example.test.'), dnskeys, ds.map((d) => ({ ...d, algorithm: 253 })), NOW)
  t.deepEqual([alg.state, alg.ede], ['insecure', EdeCode.UNSUPPORTED_DNSKEY_ALGORITHM])
  const dig = verifyDnskeysWithDs(n('example.test.'), dnskeys, ds.map((d) => ({ ...d, digestType: 99 })), NOW)
  t.deepEqual([dig.state, dig.ede], ['insecure', EdeCode.UNSUPPORTED_DS_DIGEST_TYPE])
})

test('a trust anchor key missing from the zone is reported with its key tag', (t) => {
  const root = set(secureA, '.', RRType.DNSKEY)
  const exampleKeys = set(secureA, 'example.test.', RRType.DNSKEY).records as ResourceRecord<Dnskey>[]
  const good = verifyDnskeysWithAnchor(n('.'), root, { dnskeys: root.records.filter((r) => (r.data as Dnskey).flags === 257) as ResourceRecord<Dnskey>[], ds: [] }, NOW)
  t.is(good.state, 'secure')
  const stale = verifyDnskeysWithAnchor(n('.'), root, { dnskeys: exampleKeys.map((k) => ({ ...k, name: n('.') })), ds: [] }, NOW)
  t.deepEqual([stale.state, stale.ede], ['bogus', EdeCode.DNSKEY_MISSING])
  t.regex(stale.reason!, /no longer in the zone's DNSKEY RRset/)
})

const nsec = (owner: string, next: string, types: number[]): ResourceRecord<Nsec> => ({ name: n(owner), class: 1, ttl: 300, data: { type: RRType.NSEC, nextDomainName: n(next), types } })

test('an NSEC covers names between its owner and next name, the last one wrapping to the apex', (t) => {
  const zone = n('example.test.')
  const a = nsec('a.example.test.', 'c.example.test.', [RRType.A])
  t.true(nsecCovers(a.name, a.data, n('b.example.test.'), zone))
  t.false(nsecCovers(a.name, a.data, n('c.example.test.'), zone))
  t.false(nsecCovers(a.name, a.data, n('a.example.test.'), zone))
  const last = nsec('z.example.test.', 'example.test.', [RRType.A])
  t.true(nsecCovers(last.name, last.data, n('zz.example.test.'), zone))
})

test('an NSEC at a delegation does not deny names below it (RFC 6840 §4.1)', (t) => {
  const cut = nsec('sub.example.test.', 'z.example.test.', [RRType.NS, RRType.RRSIG, RRType.NSEC])
  t.false(nsecCovers(cut.name, cut.data, n('www.sub.example.test.'), n('example.test.')))
})

test('an NSEC matching the name with the type present is no NODATA proof', (t) => {
  const v = checkNsecDenial('nodata', n('www.example.test.'), RRType.A, [nsec('www.example.test.', 'z.example.test.', [RRType.A])], n('example.test.'))
  t.deepEqual([v.state, v.ede], ['bogus', EdeCode.DNSSEC_BOGUS])
  t.is(checkNsecDenial('nodata', n('www.example.test.'), RRType.TXT, [nsec('www.example.test.', 'z.example.test.', [RRType.A])], n('example.test.')).state, 'secure')
})

test('an NXDOMAIN proof also needs the wildcard denied', (t) => {
  const zone = n('example.test.')
  const covering = nsec('a.example.test.', 'c.example.test.', [RRType.A])
  t.is(checkNsecDenial('nxdomain', n('b.example.test.'), RRType.A, [covering], zone).state, 'bogus')
  t.is(checkNsecDenial('nxdomain', n('b.example.test.'), RRType.A, [covering, nsec('example.test.', 'a.example.test.', [RRType.SOA])], zone).state, 'secure')
})

const nsec3 = (iterations: number, hashAlgorithm = 1): ResourceRecord<Nsec3> => ({
  name: n('0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.nsec3.test.'), class: 1, ttl: 300,
  data: { type: RRType.NSEC3, hashAlgorithm, flags: 0, iterations, salt: new Uint8Array(0), nextHashedOwnerName: new Uint8Array(20), types: [RRType.A] },
})

test('NSEC3 iterations above 100 make the answer insecure and above 500 bogus (RFC 9276)', (t) => {
  const zone = n('nsec3.test.')
  const soft = checkNsec3Denial('nxdomain', n('x.nsec3.test.'), RRType.A, [nsec3(150)], zone)
  t.deepEqual([soft.state, soft.ede], ['insecure', EdeCode.UNSUPPORTED_NSEC3_ITERATIONS])
  const hard = checkNsec3Denial('nxdomain', n('x.nsec3.test.'), RRType.A, [nsec3(501)], zone)
  t.deepEqual([hard.state, hard.ede], ['bogus', EdeCode.UNSUPPORTED_NSEC3_ITERATIONS])
  const lowered = checkNsec3Denial('nxdomain', n('x.nsec3.test.'), RRType.A, [nsec3(150)], zone, { nsec3SoftIterationLimit: 200, nsec3HardIterationLimit: 500 })
  t.is(lowered.state, 'bogus') // within limits, but one fake NSEC3 proves nothing
})

test('NSEC3 records of an unknown hash algorithm are ignored: insecure', (t) => {
  t.is(checkNsec3Denial('nxdomain', n('x.nsec3.test.'), RRType.A, [nsec3(0, 7)], n('nsec3.test.')).state, 'insecure')
})

test('the recorded NSEC3 NXDOMAIN proof holds, and fails for a name it does not cover', (t) => {
  const s = load('nsec3_nxdomain.rpl')
  const auth = s.steps.find((x) => x.name.equals(n('nx.nsec3.test.')))!.message.authority
  const recs = auth.filter((r) => r.data.type === RRType.NSEC3) as ResourceRecord<Nsec3>[]
  t.is(checkNsec3Denial('nxdomain', n('nx.nsec3.test.'), RRType.A, recs, n('nsec3.test.')).state, 'secure')
  t.is(checkNsec3Denial('nxdomain', n('www.nsec3.test.'), RRType.A, recs, n('nsec3.test.')).state, 'bogus')
})
