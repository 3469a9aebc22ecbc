import test from 'ava'
import { Name, RRType, rdataFromString, type Nsec, type ResourceRecord, type Rrsig } from '@secdns/wire'
import { verifyZone } from '../src/verify.js'
import { signZone } from '../src/signer.js'
import { createKey, type DnssecKey } from '../src/keys.js'

const origin = Name.fromString('example.test.')
const NOW = 1_800_000_000
const at = (o: string) => (o === '@' ? origin : Name.fromString(o, origin))
const rr = (owner: string, type: number, text: string): ResourceRecord => ({ name: at(owner), class: 1, ttl: 3600, data: rdataFromString(type, text, origin) })
const ZONE = [
  rr('@', RRType.SOA, 'ns1 hostmaster 1 7200 3600 1209600 300'), rr('@', RRType.NS, 'ns1'), rr('ns1', RRType.A, '192.0.2.1'),
  rr('www', RRType.A, '192.0.2.80'), rr('a.b', RRType.TXT, '"deep"'), rr('sub', RRType.NS, 'ns.sub'), rr('ns.sub', RRType.A, '192.0.2.53'),
]
let keys: DnssecKey[]
test.before(() => {
  keys = [createKey('example.test', 13, { ksk: true, now: NOW - 100 }).key, createKey('example.test', 13, { now: NOW - 100 }).key]
})
const signed = async (nsec3 = false) => (await signZone(ZONE, { origin, keys, now: NOW, ...(nsec3 ? { nsec3: { hashAlgorithm: 1 as const, iterations: 0, salt: new Uint8Array(0), optOut: false } } : {}) })).records

test('a zone we signed verifies, with NSEC and with NSEC3', async (t) => {
  for (const n3 of [false, true]) {
    const r = verifyZone(await signed(n3), { origin, now: NOW })
    t.deepEqual(r.errors, [])
    t.true(r.ok)
    t.is(r.stats.denial, n3 ? 'NSEC3' : 'NSEC')
  }
})

test('rejects changed RDATA, naming the record', async (t) => {
  const recs = (await signed()).map((r) => (r.name.equals(at('www')) && r.data.type === RRType.A ? rr('www', RRType.A, '192.0.2.81') : r))
  const r = verifyZone(recs, { origin, now: NOW })
  t.false(r.ok)
  t.is(r.errors[0]!.code, 'bad-signature')
  t.regex(r.errors[0]!.message, /^www\.example\.test\. A: no valid RRSIG/)
})

test('rejects expired signatures', async (t) => {
  const r = verifyZone(await signed(), { origin, now: NOW + 40 * 86400 })
  t.false(r.ok)
  t.true(r.errors.every((e) => e.code === 'expired'))
  t.regex(r.errors[0]!.message, /expired/)
})

test('rejects a missing NSEC, naming the owner', async (t) => {
  const recs = (await signed()).filter((r) => !(r.name.equals(at('www')) && (r.data.type === RRType.NSEC || (r.data.type === RRType.RRSIG && (r.data as Rrsig).typeCovered === RRType.NSEC))))
  const r = verifyZone(recs, { origin, now: NOW })
  t.false(r.ok)
  t.true(r.errors.some((e) => e.code === 'missing-nsec' && e.owner === 'www.example.test.'))
})

test('rejects a wrong NSEC type bitmap', async (t) => {
  const recs = (await signed()).map((r) => (r.name.equals(at('www')) && r.data.type === RRType.NSEC ? { ...r, data: { ...(r.data as Nsec), types: [RRType.A, RRType.MX, RRType.RRSIG, RRType.NSEC] } } : r))
  const r = verifyZone(recs, { origin, now: NOW })
  t.false(r.ok)
  t.true(r.errors.some((e) => e.code === 'bad-nsec' && /www\.example\.test\. NSEC: type bitmap "A MX RRSIG NSEC", expected "A RRSIG NSEC"/.test(e.message)))
})

test('rejects a zone whose DNSKEY RRset was removed', async (t) => {
  const recs = (await signed()).filter((r) => r.data.type !== RRType.DNSKEY)
  const r = verifyZone(recs, { origin, now: NOW })
  t.false(r.ok)
  t.is(r.errors[0]!.code, 'missing-dnskey')
})

test('rejects a missing NSEC3 and a signature on glue', async (t) => {
  const recs = await signed(true)
  const nsec3Owners = recs.filter((r) => r.data.type === RRType.NSEC3).map((r) => r.name)
  const victim = nsec3Owners[1]!
  const broken = recs.filter((r) => !r.name.equals(victim))
  const r = verifyZone(broken, { origin, now: NOW })
  t.false(r.ok)
  t.true(r.errors.some((e) => e.code === 'missing-nsec3' || e.code === 'bad-nsec3'))
  const sig = recs.find((r) => r.data.type === RRType.RRSIG)!
  const glueSigned = [...(await signed()), { ...sig, name: at('ns.sub') }]
  t.true(verifyZone(glueSigned, { origin, now: NOW }).errors.some((e) => e.code === 'signed-glue'))
})

test('an algorithm in the DNSKEY RRset that signs nothing is an error', async (t) => {
  const extra = createKey('example.test', 15, { ksk: true, now: NOW - 100 }).key
  const recs = (await signed()).concat([{ name: origin, class: 1, ttl: 3600, data: { type: RRType.DNSKEY, flags: 257, protocol: 3, algorithm: 15, publicKey: extra.publicKey } }])
  const r = verifyZone(recs, { origin, now: NOW })
  t.false(r.ok)
  t.true(r.errors.some((e) => /ED25519/.test(e.message)))
})
