import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Name, RRType, Rcode, rcodeToString, rrTypeToString, toBase32Hex, type Nsec3, type ResourceRecord } from '@secdns/wire'
import { nsec3Hash } from '@secdns/dnssec'
import { Resolver } from '../src/resolver.js'
import { TrustAnchors } from '../src/trust_anchors.js'
import { ResolverError } from '../src/errors.js'
import { parseScenario, ReplayTransport, type Scenario } from './replay.js'

const dir = fileURLToPath(new URL('../../test/fixtures/replay/', import.meta.url))
const files = readdirSync(dir).filter((f) => f.endsWith('.rpl')).sort()
const load = (f: string): Scenario => parseScenario(readFileSync(dir + f, 'utf8'), f)
const UPSTREAM = [{ address: '192.0.2.53', port: 53 }]

function resolverFor(s: Scenario, log?: (l: string) => void): { r: Resolver, tx: ReplayTransport } {
  const tx = new ReplayTransport(s.steps)
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n') + '\n'), forwarders: UPSTREAM, transport: tx, now: () => s.now, ...(log === undefined ? {} : { log }) })
  return { r, tx }
}

test('the replay scenarios cover every case issue 7 lists', (t) => {
  for (const f of ['secure_a', 'nsec_nxdomain', 'nsec3_nxdomain', 'optout_insecure_delegation', 'nsec_wildcard', 'nsec3_wildcard', 'rsa', 'ed25519',
    'unsigned_delegation', 'island_of_trust', 'signature_expired', 'signature_not_yet_valid', 'ds_matches_no_key', 'dnskey_without_rrsig',
    'changed_a', 'nsec_removed', 'nsec_not_covering', 'bad_wildcard_proof', 'changed_a_cd', 'secure_a_no_do']) t.true(files.includes(`${f}.rpl`), f)
})

for (const f of files) {
  const s = load(f)
  const want = `${s.expect.state}, ${rcodeToString(s.expect.rcode)}, AD ${s.expect.ad ? 1 : 0}, EDE ${s.expect.ede ?? '-'}`
  test(`${f.replace(/\.rpl$/, '')}: ${s.name.toString()} ${rrTypeToString(s.type)} gives ${want}`, async (t) => {
    const { r } = resolverFor(s)
    const res = await r.resolve(s.name, s.type, s.flags)
    t.is(res.state as string, s.expect.state, res.reason)
    t.is(res.rcode, s.expect.rcode)
    t.is(res.ad, s.expect.ad)
    t.is(res.ede ?? null, s.expect.ede)
    if (res.state === 'bogus') {
      t.deepEqual([res.answer.length, res.authority.length], [0, 0])
      t.truthy(res.reason)
    }
  })
}

test('a warm cache answers again without asking upstream', async (t) => {
  const s = load('secure_a.rpl')
  const { r, tx } = resolverFor(s)
  const cold = await r.resolve(s.name, s.type, { dnssecOk: true })
  const asked = tx.asked.length
  t.true(asked >= 3)
  const warm = await r.resolve(s.name, s.type, { dnssecOk: true })
  t.is(tx.asked.length, asked)
  t.deepEqual([warm.state, warm.ad, warm.answer.length], [cold.state, cold.ad, cold.answer.length])
})

test('the cache expires entries by the injected clock', async (t) => {
  const s = load('secure_a.rpl')
  let now = s.now
  const tx = new ReplayTransport(s.steps)
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: tx, now: () => now })
  await r.resolve(s.name, s.type, { dnssecOk: true })
  const asked = tx.asked.length
  now += 301 // the lab's TTLs are 300
  await r.resolve(s.name, s.type, { dnssecOk: true })
  t.true(tx.asked.length > asked)
})

test('a client without DO gets no RRSIGs, yet the answer is validated', async (t) => {
  const s = load('secure_a_no_do.rpl')
  const { r } = resolverFor(s)
  const res = await r.resolve(s.name, s.type, {})
  t.is(res.state, 'secure')
  t.false(res.answer.some((x) => x.data.type === RRType.RRSIG))
  const withDo = await r.resolve(s.name, s.type, { dnssecOk: true })
  t.true(withDo.answer.some((x) => x.data.type === RRType.RRSIG))
})

test('a bogus answer is logged with the record that failed and why', async (t) => {
  const s = load('changed_a.rpl')
  const lines: string[] = []
  const { r } = resolverFor(s, (l) => lines.push(l))
  await r.resolve(s.name, s.type, { dnssecOk: true })
  t.is(lines.length, 1)
  t.regex(lines[0]!, /^bogus changed\.example\.test\.\/A: changed\.example\.test\.\/A: no valid RRSIG \(tag \d+: bad-signature\) \(EDE 6\)$/)
})

test('the same scenario validated an hour after its signatures expire is bogus with EDE 7', async (t) => {
  const s = load('secure_a.rpl')
  const tx = new ReplayTransport(s.steps)
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: tx, now: () => Date.UTC(2036, 0, 1, 1) / 1000 })
  const res = await r.resolve(s.name, s.type, { dnssecOk: true })
  t.deepEqual([res.state, res.rcode, res.ede], ['bogus', Rcode.SERVFAIL, 7])
})

test('a trust anchor that no longer matches the zone is reported and makes answers bogus', async (t) => {
  const s = load('island_of_trust.rpl')
  // Replace the island's anchor with the root's key: the anchor matches no island key.
  const anchors = s.anchors.map((a) => a.startsWith('island.test.') ? a.replace(/^island\.test\./, 'island.test.').replace(/DNSKEY .*/, s.anchors[0]!.slice(s.anchors[0]!.indexOf('DNSKEY'))) : a)
  const lines: string[] = []
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(anchors.join('\n')), forwarders: UPSTREAM, transport: new ReplayTransport(s.steps), now: () => s.now, log: (l) => lines.push(l) })
  const res = await r.resolve(s.name, s.type, { dnssecOk: true })
  t.deepEqual([res.state, res.ede], ['bogus', 9])
  t.true(lines.some((l) => /^trust anchor for island\.test\.: .*no longer in the zone's DNSKEY RRset/.test(l)))
  const status = r.anchorStatus().find((a) => a.zone === 'island.test.')
  t.is(status?.state, 'bogus')
  t.is(status?.checked, s.now)
})

test('an upstream that never answers gives SERVFAIL, state indeterminate, EDE 22', async (t) => {
  const s = load('secure_a.rpl')
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: new ReplayTransport([]), now: () => s.now })
  const res = await r.resolve(s.name, s.type, { dnssecOk: true })
  t.deepEqual([res.rcode, res.state, res.ede], [Rcode.SERVFAIL, 'indeterminate', 22])
})

test('a resolver needs forwarders or root hints', (t) => {
  t.throws(() => new Resolver({}), { instanceOf: ResolverError, code: 'ERR_RESOLVER_BAD_OPTION' })
})

test('a zone forwarder takes the names below its zone, the default the rest', async (t) => {
  const s = load('secure_a.rpl')
  const seen: string[] = []
  const tx = new ReplayTransport(s.steps)
  const spy = { query: async (srv: { address: string, port: number }, q: Parameters<ReplayTransport['query']>[1]) => { seen.push(`${srv.address} ${q.question[0]!.name.toString()}`); return tx.query(srv, q) } }
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, zoneForwarders: [{ zone: 'example.test', servers: [{ address: '192.0.2.99', port: 53 }] }], transport: spy, now: () => s.now })
  await r.resolve(Name.fromString('www.example.test.'), RRType.A, { dnssecOk: true })
  t.true(seen.includes('192.0.2.99 www.example.test.'))
  t.true(seen.includes('192.0.2.53 .'))
})

test('with aggressive NSEC a covered name is answered NXDOMAIN from the cache, without asking upstream (RFC 8198)', async (t) => {
  const s = load('nsec_nxdomain.rpl')
  const tx = new ReplayTransport(s.steps)
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: tx, now: () => s.now, aggressiveNsec: true })
  t.is((await r.resolve(s.name, s.type, { dnssecOk: true })).rcode, Rcode.NXDOMAIN)
  const asked = tx.asked.length
  // nz.example.test. lies in the same NSEC range as nx.example.test. (ns → txt).
  const res = await r.resolve(Name.fromString('nz.example.test.'), RRType.A, { dnssecOk: true })
  t.is(tx.asked.length, asked)
  t.deepEqual([res.rcode, res.state, res.ad], [Rcode.NXDOMAIN, 'secure', true])
  t.true(res.authority.some((x) => x.data.type === RRType.SOA))
  t.true(res.authority.some((x) => x.data.type === RRType.NSEC && x.name.toString() === 'ns.example.test.'))
  // A name outside every cached range still goes upstream.
  const other = await r.resolve(Name.fromString('b.example.test.'), RRType.A, { dnssecOk: true })
  t.true(tx.asked.length > asked)
  t.is(other.state, 'indeterminate') // not recorded in this scenario: the replay upstream has no answer
})

test('without aggressive NSEC the same name is asked upstream', async (t) => {
  const s = load('nsec_nxdomain.rpl')
  const tx = new ReplayTransport(s.steps)
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: tx, now: () => s.now })
  await r.resolve(s.name, s.type, { dnssecOk: true })
  const asked = tx.asked.length
  await r.resolve(Name.fromString('nz.example.test.'), RRType.A, { dnssecOk: true })
  t.true(tx.asked.length > asked)
})

test('aggressive NSEC ranges expire with their TTL', async (t) => {
  const s = load('nsec_nxdomain.rpl')
  let now = s.now
  const tx = new ReplayTransport(s.steps)
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: tx, now: () => now, aggressiveNsec: true })
  await r.resolve(s.name, s.type, { dnssecOk: true })
  now += 301
  const res = await r.resolve(Name.fromString('nz.example.test.'), RRType.A, { dnssecOk: true })
  t.not(res.reason, 'synthesized from cached NSEC records (RFC 8198)')
})

test('cached answers come back with TTLs counted down by the time spent in the cache', async (t) => {
  const s = load('secure_a.rpl')
  let now = s.now
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: new ReplayTransport(s.steps), now: () => now })
  t.is((await r.resolve(s.name, s.type, {})).answer[0]?.ttl, 300)
  now += 100
  t.is((await r.resolve(s.name, s.type, {})).answer[0]?.ttl, 200)
})

test('a small byte bound keeps the cache within it', async (t) => {
  const s = load('secure_a.rpl')
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: new ReplayTransport(s.steps), now: () => s.now, limits: { maxCacheBytes: 1000 } })
  const res = await r.resolve(s.name, s.type, { dnssecOk: true })
  t.is(res.state, 'secure')
  t.true(r.cache.byteSize <= 1000)
  t.true(r.cache.stats.evictions > 0)
})

test('the work limit per query stops a resolution with SERVFAIL instead of running on', async (t) => {
  const s = load('secure_a.rpl')
  const tx = new ReplayTransport(s.steps)
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: tx, now: () => s.now, limits: { maxQueriesPerResolution: 2 } })
  const res = await r.resolve(s.name, s.type, { dnssecOk: true })
  t.is(res.rcode, Rcode.SERVFAIL)
  t.not(res.state, 'secure')
  t.true(tx.asked.length <= 2)
})

const secureA = load('secure_a.rpl')
const octet = fc.integer({ min: 0, max: 255 })

testProp('a changed address in a signed answer is never secure', [octet, octet], async (t, a, b) => {
  const address = `192.0.${a}.${b}`
  fc.pre(address !== '192.0.2.1')
  const steps = secureA.steps.map((st) => st.name.equals(secureA.name) && st.type === secureA.type
    ? { ...st, message: { ...st.message, answer: st.message.answer.map((r) => r.data.type === RRType.A ? { ...r, data: { type: RRType.A, address } } : r) } }
    : st)
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(secureA.anchors.join('\n')), forwarders: UPSTREAM, transport: new ReplayTransport(steps), now: () => secureA.now })
  const res = await r.resolve(secureA.name, secureA.type, { dnssecOk: true })
  t.deepEqual([res.state, res.rcode, res.answer.length], ['bogus', Rcode.SERVFAIL, 0])
}, { numRuns: 100 })

testProp('dropping any upstream records never throws, and never makes a bogus scenario secure', [fc.constantFrom(...files), fc.array(fc.nat(), { maxLength: 4 })], async (t, f, drops) => {
  const s = load(f)
  const steps = s.steps.map((st, i) => {
    const all = [...st.message.answer, ...st.message.authority]
    const gone = new Set(drops.filter((d) => d % (s.steps.length) === i).map((d) => all.length === 0 ? -1 : d % all.length))
    let k = 0
    const keep = (): boolean => !gone.has(k++)
    return { ...st, message: { ...st.message, answer: st.message.answer.filter(keep), authority: st.message.authority.filter(keep) } }
  })
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: new ReplayTransport(steps), now: () => s.now })
  const res = await r.resolve(s.name, s.type, s.flags)
  t.true(['secure', 'insecure', 'bogus', 'indeterminate'].includes(res.state))
  if (s.expect.state === 'bogus') t.not(res.state, 'secure')
}, { numRuns: 200 })

test('with aggressive NSEC an NSEC3 range answers NXDOMAIN for another name hashed into it', async (t) => {
  const s = load('nsec3_nxdomain.rpl')
  const tx = new ReplayTransport(s.steps)
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: tx, now: () => s.now, aggressiveNsec: true })
  t.is((await r.resolve(s.name, s.type, { dnssecOk: true })).rcode, Rcode.NXDOMAIN)
  // Find another name whose hash falls in the range that covered nx.nsec3.test. (same salt, 0 iterations).
  const zone = Name.fromString('nsec3.test.')
  const auth = s.steps.find((x) => x.name.equals(s.name))!.message.authority.filter((x) => x.data.type === RRType.NSEC3) as ResourceRecord<Nsec3>[]
  const h = (nm: Name): string => toBase32Hex(nsec3Hash(nm, new Uint8Array(0), 0)).toLowerCase()
  const target = h(s.name)
  const range = auth.map((x) => [x.name.toString().split('.')[0]!, toBase32Hex(x.data.nextHashedOwnerName).toLowerCase()] as const)
    .find(([a, b]) => (a < b ? a < target && target < b : a < target || target < b))!
  let other: Name | null = null
  for (let i = 0; i < 5000 && other === null; i++) {
    const c = zone.prepend(`n${i}`)
    const x = h(c)
    if (x !== target && (range[0] < range[1] ? range[0] < x && x < range[1] : range[0] < x || x < range[1])) other = c
  }
  t.truthy(other)
  const asked = tx.asked.length
  const res = await r.resolve(other!, RRType.A, { dnssecOk: true })
  t.is(tx.asked.length, asked)
  t.deepEqual([res.rcode, res.state, res.ad], [Rcode.NXDOMAIN, 'secure', true])
})

test('prime checks every anchored zone at once and reports a stale anchor before any query', async (t) => {
  const s = load('island_of_trust.rpl')
  const rootKey = s.anchors[0]!.slice(s.anchors[0]!.indexOf('DNSKEY'))
  const anchors = s.anchors.map((a) => a.startsWith('island.test.') ? `island.test. IN ${rootKey}` : a)
  const lines: string[] = []
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(anchors.join('\n')), forwarders: UPSTREAM, transport: new ReplayTransport(s.steps), now: () => s.now, log: (l) => lines.push(l) })
  const status = await r.prime()
  // The island scenario never needed the root's keys, so its recording cannot answer for them.
  t.deepEqual(status.map((a) => [a.zone, a.state]).sort(), [['.', 'indeterminate'], ['island.test.', 'bogus']])
  t.true(lines.some((l) => l.startsWith('trust anchor for island.test.:')))
})

test('prime reports an anchored zone whose keys cannot be fetched as indeterminate', async (t) => {
  const s = load('secure_a.rpl')
  const r = new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n')), forwarders: UPSTREAM, transport: new ReplayTransport([]), now: () => s.now })
  const status = await r.prime()
  t.true(status.length > 0 && status.every((a) => a.state === 'indeterminate'))
})
