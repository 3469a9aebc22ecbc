import test from 'ava'
import { Name, RRType, rdataFromString, type Dnskey, type Ds, type ResourceRecord, type Rrsig } from '@secdns/wire'
import { startRollover, keyStatus, keyState, DEFAULT_TIMINGS, type RolloverTimings } from '../src/rollover.js'
import { signZone } from '../src/signer.js'
import { createKey, type DnssecKey } from '../src/keys.js'
import { verifyZone } from '../src/verify.js'
import { verifyRrsig, dsOf, dsOfDnskey } from '../src/rrsig.js'
import { DnssecError } from '../src/errors.js'

const origin = Name.fromString('example.test.')
const T0 = 1_800_000_000
const timings: RolloverTimings = { ...DEFAULT_TIMINGS, dnskeyTtl: 3600, maxZoneTtl: 7200, dsTtl: 86400, propagation: 300, parentPropagation: 3600, safety: 600 }
const ZONE: ResourceRecord[] = [
  { name: origin, class: 1, ttl: 3600, data: rdataFromString(RRType.SOA, 'ns1 hostmaster 1 7200 3600 1209600 300', origin) },
  { name: Name.fromString('www', origin), class: 1, ttl: 7200, data: rdataFromString(RRType.A, '192.0.2.1', origin) },
]

interface Phase { at: number, records: ResourceRecord[], dnskeys: Dnskey[], ds: Ds[] }

async function phase(keys: DnssecKey[], at: number, parentDs: Ds[]): Promise<Phase> {
  const { records } = await signZone(ZONE, { origin, keys, now: at })
  return { at, records, dnskeys: records.filter((r) => r.data.type === RRType.DNSKEY).map((r) => r.data as Dnskey), ds: parentDs }
}

/**
 * A validator that cached the previous phase's DNSKEY RRset (and the parent's DS) must
 * still validate the next phase: every RRset signed by a key it has cached, and the new
 * DNSKEY RRset signed by a key the cached DS points to.
 */
function cachedValidates(t: { true: (v: boolean, m?: string) => void }, prev: Phase, next: Phase): void {
  const sets = new Map<string, ResourceRecord[]>()
  for (const r of next.records) {
    if (r.data.type === RRType.RRSIG) continue
    const k = `${r.name.toString()}|${r.data.type}`
    sets.set(k, [...(sets.get(k) ?? []), r])
  }
  for (const [k, rrs] of sets) {
    const sigs = next.records.filter((r) => r.data.type === RRType.RRSIG && r.name.equals(rrs[0]!.name) && (r.data as Rrsig).typeCovered === rrs[0]!.data.type).map((r) => r.data as Rrsig)
    const keysToTry = rrs[0]!.data.type === RRType.DNSKEY
      ? (rrs.map((r) => r.data as Dnskey)).filter((dk) => prev.ds.some((d) => { const mine = dsOfDnskey(origin, dk, d.digestType); return mine.keyTag === d.keyTag && Buffer.compare(mine.digest, d.digest) === 0 }))
      : prev.dnskeys
    const ok = sigs.some((s) => keysToTry.some((dk) => verifyRrsig(rrs, s, { owner: origin, data: dk }, next.at) === null))
    t.true(ok, `${k} at +${next.at - T0}s validates with the DNSKEY/DS cached at +${prev.at - T0}s`)
  }
}

test('ZSK pre-publication: every phase verifies and caches from the previous phase still validate', async (t) => {
  const ksk = createKey('example.test', 13, { ksk: true, now: T0 - 86400 }).key
  const zsk = createKey('example.test', 13, { now: T0 - 86400 }).key
  const ds = [dsOf(ksk, 2, T0)]
  const plan = startRollover([ksk, zsk], { zone: 'example.test.', role: 'zsk', method: 'prepublish', now: T0, timings })
  const keys = [ksk, plan.predecessor, plan.successor]
  t.is(plan.successor.timing.publish, T0)
  t.is(plan.successor.timing.activate, T0 + 300 + 3600 + 600)
  t.is(plan.predecessor.timing.delete, plan.successor.timing.activate! + 300 + 7200 + 600)
  const times = [T0 - 60, T0, plan.successor.timing.activate!, plan.predecessor.timing.delete!]
  const phases: Phase[] = []
  for (const at of times) phases.push(await phase(at === times[0] ? [ksk, zsk] : keys, at, ds))
  t.deepEqual(phases.map((p) => p.dnskeys.length), [2, 3, 3, 2])
  for (const p of phases) t.deepEqual(verifyZone(p.records, { origin, now: p.at }).errors, [])
  for (let i = 1; i < phases.length; i++) cachedValidates(t, phases[i - 1]!, phases[i]!)
  t.is(keyState(plan.predecessor, times[2]!), 'retired')
  t.is(keyState(plan.predecessor, times[3]!), 'removed')
})

test('KSK double signature: both KSKs sign the DNSKEY RRset until the DS has changed', async (t) => {
  const ksk = createKey('example.test', 13, { ksk: true, now: T0 - 86400 }).key
  const zsk = createKey('example.test', 13, { now: T0 - 86400 }).key
  const plan = startRollover([ksk, zsk], { zone: 'example.test.', role: 'ksk', method: 'double-signature', now: T0, timings })
  const keys = [plan.predecessor, zsk, plan.successor]
  t.is(plan.dsSubmit, T0 + 300 + 3600 + 600)
  const oldDs = [dsOf(ksk, 2, T0)]
  const newDs = [dsOf(plan.successor, 2, T0)]
  const p0 = await phase([ksk, zsk], T0 - 60, oldDs)
  const p1 = await phase(keys, T0, oldDs)
  t.is(p1.records.filter((r) => r.data.type === RRType.RRSIG && (r.data as Rrsig).typeCovered === RRType.DNSKEY).length, 2)
  const p2 = await phase(keys, plan.dsSubmit!, newDs)
  const p3 = await phase(keys, plan.predecessor.timing.delete!, newDs)
  t.is(p3.dnskeys.length, 2)
  for (const p of [p0, p1, p2, p3]) t.deepEqual(verifyZone(p.records, { origin, now: p.at }).errors, [])
  cachedValidates(t, p0, p1)
  cachedValidates(t, p1, p2)
  // a validator that still has the old DS cached validates the DNSKEY RRset of p2 (double signed)
  cachedValidates(t, { ...p1, ds: oldDs }, p2)
  cachedValidates(t, p2, p3)
})

test('ZSK double signature and KSK pre-publication (double DS) are allowed too', async (t) => {
  const ksk = createKey('example.test', 13, { ksk: true, now: T0 - 86400 }).key
  const zsk = createKey('example.test', 13, { now: T0 - 86400 }).key
  const z = startRollover([ksk, zsk], { zone: 'example.test.', role: 'zsk', method: 'double-signature', now: T0, timings })
  const p = await phase([ksk, z.predecessor, z.successor], T0, [dsOf(ksk, 2, T0)])
  t.is(p.records.filter((r) => r.data.type === RRType.RRSIG && (r.data as Rrsig).typeCovered === RRType.A).length, 2)
  const k = startRollover([ksk, zsk], { zone: 'example.test.', role: 'ksk', method: 'prepublish', now: T0, timings })
  t.is(k.dsSubmit, T0)
  const before = await phase([k.predecessor, zsk, k.successor], T0, [dsOf(ksk, 2, T0), dsOf(k.successor, 2, T0)])
  const after = await phase([k.predecessor, zsk, k.successor], k.successor.timing.activate!, [dsOf(ksk, 2, T0), dsOf(k.successor, 2, T0)])
  t.is(before.dnskeys.length, 2)
  t.is(after.dnskeys.length, 2)
  cachedValidates(t, before, after)
})

test('key status names the next step with the earliest safe time', (t) => {
  const ksk = createKey('example.test', 13, { ksk: true, now: T0 - 86400 }).key
  const zsk = createKey('example.test', 13, { now: T0 - 86400 }).key
  const plan = startRollover([ksk, zsk], { zone: 'example.test.', role: 'zsk', method: 'prepublish', now: T0, timings })
  const st = keyStatus([ksk, plan.predecessor, plan.successor], T0, timings)
  const succ = st.find((s) => s.keyTag === plan.successor.keyTag)!
  t.is(succ.state, 'published')
  t.deepEqual(succ.next, { step: 'start signing with it (sign the zone at or after this time)', at: plan.successor.timing.activate! })
  const pred = st.find((s) => s.keyTag === zsk.keyTag)!
  t.is(pred.state, 'active')
  t.is(pred.next!.at, plan.successor.timing.activate!)
  const later = keyStatus([plan.predecessor], plan.successor.timing.activate!, timings)[0]!
  t.is(later.state, 'retired')
  t.is(later.next!.at, plan.predecessor.timing.delete!)
})

test('a rollover without a current key of that role is refused', (t) => {
  const zsk = createKey('example.test', 13, { now: T0 - 86400 }).key
  t.throws(() => startRollover([zsk], { zone: 'example.test.', role: 'ksk', method: 'double-signature', now: T0, timings }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_ROLLOVER' })
})
