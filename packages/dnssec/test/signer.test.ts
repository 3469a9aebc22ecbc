import test from 'ava'
import { Name, RRType, rdataFromString, type Nsec, type Nsec3, type ResourceRecord, type Rrsig } from '@secdns/wire'
import { nextSerial, signZone, type SignZoneOptions } from '../src/signer.js'
import { createKey, type DnssecKey } from '../src/keys.js'
import { dnskeyOf, verifyRrsig } from '../src/rrsig.js'
import { DnssecError } from '../src/errors.js'

const origin = Name.fromString('example.test.')
const NOW = 1_800_000_000
function rr(owner: string, type: number, text: string, ttl = 3600): ResourceRecord {
  return { name: owner === '@' ? origin : Name.fromString(owner, origin), class: 1, ttl, data: rdataFromString(type, text, origin) }
}
const ZONE: ResourceRecord[] = [
  rr('@', RRType.SOA, 'ns1 hostmaster 1 7200 3600 1209600 300'),
  rr('@', RRType.NS, 'ns1'),
  rr('ns1', RRType.A, '192.0.2.1'),
  rr('www', RRType.A, '192.0.2.80'),
  rr('a.b', RRType.TXT, '"deep"'),
  rr('sub', RRType.NS, 'ns.sub'),
  rr('ns.sub', RRType.A, '192.0.2.53'),
  rr('sec', RRType.NS, 'ns.other.test.'),
  rr('sec', RRType.DS, '1 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
]
let ksk: DnssecKey, zsk: DnssecKey
test.before(() => {
  ksk = createKey('example.test', 13, { ksk: true, now: NOW - 100 }).key
  zsk = createKey('example.test', 15, { now: NOW - 100 }).key
  zsk = createKey('example.test', 13, { now: NOW - 100 }).key
})
const opts = (o: Partial<SignZoneOptions> = {}): SignZoneOptions => ({ origin, keys: [ksk, zsk], now: NOW, ...o })
const at = (o: string) => (o === '@' ? origin : Name.fromString(o, origin))
const find = (rs: ResourceRecord[], owner: string, type: number) => rs.filter((r) => r.name.equals(at(owner)) && r.data.type === type)
const sigsOf = (rs: ResourceRecord[], owner: string, type: number) => find(rs, owner, RRType.RRSIG).filter((r) => (r.data as Rrsig).typeCovered === type)

test('signs every authoritative RRset but not glue or delegation NS', async (t) => {
  const { records } = await signZone(ZONE, opts())
  t.is(sigsOf(records, 'www', RRType.A).length, 1)
  t.is(sigsOf(records, '@', RRType.DNSKEY).length, 1)
  t.is((sigsOf(records, '@', RRType.DNSKEY)[0]!.data as Rrsig).keyTag, ksk.keyTag)
  t.is((sigsOf(records, '@', RRType.SOA)[0]!.data as Rrsig).keyTag, zsk.keyTag)
  t.is(sigsOf(records, 'sub', RRType.NS).length, 0)
  t.is(sigsOf(records, 'ns.sub', RRType.A).length, 0)
  t.is(sigsOf(records, 'sec', RRType.DS).length, 1)
  t.is(find(records, 'ns.sub', RRType.A).length, 1, 'glue is kept')
  const all = records.filter((r) => r.data.type === RRType.RRSIG)
  for (const s of all) {
    const set = records.filter((r) => r.name.equals(s.name) && r.data.type === (s.data as Rrsig).typeCovered)
    const key = (s.data as Rrsig).keyTag === ksk.keyTag ? ksk : zsk
    t.is(verifyRrsig(set, s.data as Rrsig, { owner: origin, data: dnskeyOf(key, NOW) }, NOW), null)
  }
})

test('NSEC bitmaps have NSEC and RRSIG everywhere and only NS/DS at delegations', async (t) => {
  const { records } = await signZone(ZONE, opts())
  const nsec = (o: string) => find(records, o, RRType.NSEC)[0]!.data as Nsec
  t.deepEqual(nsec('@').types, [RRType.NS, RRType.SOA, RRType.RRSIG, RRType.NSEC, RRType.DNSKEY])
  t.deepEqual(nsec('sub').types, [RRType.NS, RRType.RRSIG, RRType.NSEC])
  t.deepEqual(nsec('sec').types, [RRType.NS, RRType.DS, RRType.RRSIG, RRType.NSEC])
  t.is(find(records, 'b', RRType.NSEC).length, 0, 'no NSEC at an empty non-terminal')
  t.is(find(records, 'ns.sub', RRType.NSEC).length, 0, 'no NSEC for glue')
  t.true(nsec('www').nextDomainName.equals(origin), 'the chain closes at the apex')
})

test('NSEC3 covers empty non-terminals, leaves opt-out delegations out, and puts NSEC3PARAM at the apex', async (t) => {
  const plain = await signZone(ZONE, opts({ nsec3: { hashAlgorithm: 1, iterations: 0, salt: new Uint8Array(0), optOut: false } }))
  const optout = await signZone(ZONE, opts({ nsec3: { hashAlgorithm: 1, iterations: 0, salt: new Uint8Array(0), optOut: true } }))
  // apex, ns1, www, a.b, b (ENT), sub, sec
  t.is(plain.stats.nsec3, 7)
  t.is(optout.stats.nsec3, 6)
  t.true(optout.records.filter((r) => r.data.type === RRType.NSEC3).every((r) => ((r.data as Nsec3).flags & 1) === 1))
  t.is(find(plain.records, '@', RRType.NSEC3PARAM).length, 1)
  t.is(plain.records.filter((r) => r.data.type === RRType.NSEC).length, 0)
})

test('output is identical when signed twice with deterministic algorithms', async (t) => {
  const k = createKey('example.test', 15, { ksk: true, now: NOW - 100 }).key
  const a = await signZone(ZONE, opts({ keys: [k] }))
  const b = await signZone(ZONE, opts({ keys: [k] }))
  t.deepEqual(a.records, b.records)
})

test('re-signing reuses fresh signatures and replaces those of changed RRsets', async (t) => {
  const first = await signZone(ZONE, opts())
  const changed = first.records.map((r) => r.name.equals(Name.fromString('www', origin)) && r.data.type === RRType.A ? rr('www', RRType.A, '192.0.2.81') : r)
  const again = await signZone(changed, opts({ now: NOW + 86400 }))
  t.true(again.stats.reused > 0)
  t.is(again.stats.signatures, 1, 'only the changed www A RRset is signed again (serial kept)')
  const oldSig = sigsOf(first.records, 'ns1', RRType.A)[0]!.data as Rrsig
  const newSig = sigsOf(again.records, 'ns1', RRType.A)[0]!.data as Rrsig
  t.deepEqual(newSig.signature, oldSig.signature)
  t.notDeepEqual((sigsOf(again.records, 'www', RRType.A)[0]!.data as Rrsig).signature, (sigsOf(first.records, 'www', RRType.A)[0]!.data as Rrsig).signature)
  // close to expiry: everything is re-made
  const late = await signZone(first.records, opts({ now: NOW + 28 * 86400 }))
  t.is(late.stats.reused, 0)
})

test('old DNSSEC records and DNSKEYs of keys not in the store are stripped', async (t) => {
  const stranger = createKey('example.test', 13, { ksk: true, now: NOW - 100 }).key
  const withStranger = await signZone(ZONE, opts({ keys: [ksk, zsk, stranger] }))
  const resigned = await signZone(withStranger.records, opts())
  t.is(find(resigned.records, '@', RRType.DNSKEY).length, 2)
  t.false(resigned.records.some((r) => r.data.type === RRType.RRSIG && (r.data as Rrsig).keyTag === stranger.keyTag))
})

test('the SOA serial follows the chosen policy', async (t) => {
  t.is(nextSerial(5, 'keep', NOW), 5)
  t.is(nextSerial(5, 'increment', NOW), 6)
  t.is(nextSerial(0xffffffff, 'increment', NOW), 0)
  t.is(nextSerial(5, 'unixtime', NOW), NOW)
  t.is(nextSerial(NOW + 10, 'unixtime', NOW), NOW + 11)
  t.is(nextSerial(1, 'date', Date.UTC(2026, 10, 25) / 1000), 2026112500)
  t.is(nextSerial(2026112507, 'date', Date.UTC(2026, 10, 25) / 1000), 2026112508)
  const { records } = await signZone(ZONE, opts({ serial: 'increment' }))
  t.regex(JSON.stringify(find(records, '@', RRType.SOA)[0]!.data), /"serial":2/)
})

test('inception is back-dated one hour and expiration is 30 days with jitter', async (t) => {
  const { records } = await signZone(ZONE, opts())
  for (const s of records.filter((r) => r.data.type === RRType.RRSIG).map((r) => r.data as Rrsig)) {
    t.is(s.inception, NOW - 3600)
    t.true(s.expiration <= NOW + 30 * 86400 && s.expiration > NOW + 26 * 86400)
  }
})

test('refuses a zone without SOA, naming the file', async (t) => {
  await t.throwsAsync(signZone(ZONE.slice(1), opts({ file: 'db.example' })), { instanceOf: DnssecError, code: 'ERR_DNSSEC_NO_SOA', message: /db\.example/ })
})

test('refuses keys for another zone', async (t) => {
  const other = createKey('other.test', 13, { now: NOW - 100 }).key
  await t.throwsAsync(signZone(ZONE, opts({ keys: [ksk, other] })), { instanceOf: DnssecError, code: 'ERR_DNSSEC_WRONG_ZONE' })
})

test('refuses expired keys', async (t) => {
  const old = createKey('example.test', 13, { now: NOW - 1000, timing: { inactive: NOW - 500 } }).key
  await t.throwsAsync(signZone(ZONE, opts({ keys: [old] })), { instanceOf: DnssecError, code: 'ERR_DNSSEC_KEY_EXPIRED' })
  const gone = createKey('example.test', 13, { now: NOW - 1000, timing: { inactive: NOW - 500, delete: NOW - 100 } }).key
  await t.throwsAsync(signZone(ZONE, opts({ keys: [gone] })), { instanceOf: DnssecError, code: 'ERR_DNSSEC_KEY_EXPIRED' })
})

test('refuses an active key without its private key, naming it', async (t) => {
  const pub = { ...zsk, privateKey: null, source: 'Kexample.test.+013+00001.json' }
  await t.throwsAsync(signZone(ZONE, opts({ keys: [ksk, pub] })), { instanceOf: DnssecError, code: 'ERR_DNSSEC_MISSING_PRIVATE_KEY', message: /Kexample\.test\.\+013\+00001\.json/ })
})

test('refuses RSASHA1 keys for an NSEC3 zone', async (t) => {
  const k = createKey('example.test', 5, { bits: 512, now: NOW - 100 }).key
  await t.throwsAsync(signZone(ZONE, opts({ keys: [k], nsec3: { hashAlgorithm: 1, iterations: 0, salt: new Uint8Array(0), optOut: false } })), { instanceOf: DnssecError, code: 'ERR_DNSSEC_UNSUPPORTED_ALGORITHM' })
})

test('a published algorithm with no active key is refused (every algorithm must sign)', async (t) => {
  const future = createKey('example.test', 15, { now: NOW - 100, timing: { publish: NOW - 100, activate: NOW + 1000 } }).key
  await t.throwsAsync(signZone(ZONE, opts({ keys: [ksk, zsk, future] })), { instanceOf: DnssecError, code: 'ERR_DNSSEC_NO_KEYS', message: /ED25519/ })
})

test('DS records are made for published KSKs', async (t) => {
  const { ds } = await signZone(ZONE, opts({ dsDigests: [2, 4] }))
  t.is(ds.length, 2)
  t.true(ds.every((d) => d.data.keyTag === ksk.keyTag))
})
