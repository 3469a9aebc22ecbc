import test from 'ava'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { cookieOption, createQuery, decodeMessage, edeOption, encodeMessage } from '@secdns/wire'
import { Cache } from '../src/cache.js'
import { Resolver } from '../src/resolver.js'
import { TrustAnchors } from '../src/trust_anchors.js'
import { parseScenario, ReplayTransport, type Scenario } from './replay.js'

const dir = fileURLToPath(new URL('../../test/fixtures/replay/', import.meta.url))
const load = (f: string): Scenario => parseScenario(readFileSync(dir + f, 'utf8'), f)

function resolverFor(s: Scenario, now: () => number): { r: Resolver, tx: ReplayTransport } {
  const tx = new ReplayTransport(s.steps)
  return { r: new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n') + '\n'), forwarders: [{ address: '192.0.2.53', port: 53 }], transport: tx, now }), tx }
}

test('resolveReusable gives an expiry for a Secure answer and none for a Bogus one or with CD', async (t) => {
  const good = load('secure_a.rpl')
  const { r } = resolverFor(good, () => good.now)
  const ok = await r.resolveReusable(good.name, good.type, { dnssecOk: true })
  t.is(ok.result.state, 'secure')
  t.true(ok.expires! > good.now)
  t.true(ok.expires! <= good.now + Math.max(...ok.result.answer.map((x) => x.ttl)))
  const bad = load('changed_a.rpl')
  const { r: rb } = resolverFor(bad, () => bad.now)
  const b = await rb.resolveReusable(bad.name, bad.type, { dnssecOk: true })
  t.is(b.result.state, 'bogus')
  t.is(b.expires, undefined)
  const cdCase = load('changed_a_cd.rpl')
  const { r: rc } = resolverFor(cdCase, () => cdCase.now)
  t.is((await rc.resolveReusable(cdCase.name, cdCase.type, { dnssecOk: true, checkingDisabled: true })).expires, undefined)
})

test('a response stored by its builder comes back patched for each query until it expires', async (t) => {
  const s = load('secure_a.rpl')
  let now = s.now
  const { r } = resolverFor(s, () => now)
  const q = encodeMessage(createQuery(s.name, s.type, { id: 1, dnssecOk: true, udpSize: 4096 }))
  // A response the way some other front end builds it: here, with its own EDNS size.
  const built = encodeMessage({ ...decodeMessage((await r.respond(q))!), edns: { udpSize: 1400, version: 0, dnssecOk: true, options: [] } })
  r.clearResponses()
  t.is(r.respondCached(q), null, 'clearResponses drops the stored responses')
  t.true(r.storeResponse(q, built, now + 60))
  t.deepEqual(Uint8Array.from(r.respondCached(q)!), built)
  const q2 = Uint8Array.from(q)
  q2[0] = 0xab
  q2[1] = 0xcd
  now += 10
  const hit = decodeMessage(r.respondCached(q2)!)
  t.is(hit.id, 0xabcd)
  t.deepEqual(hit.answer.map((x) => x.ttl), decodeMessage(built).answer.map((x) => x.ttl - 10))
  t.not(r.respondCached(q, false, 100), null, 'a UDP bound below 512 counts as 512 (RFC 1035 §4.2.1)')
  now += 51
  t.is(r.respondCached(q), null, 'gone at its expiry')
  t.false(r.storeResponse(encodeMessage(createQuery(s.name, s.type, { id: 1, cd: true })), built, now + 60), 'a CD query is never stored')
  t.false(r.storeResponse(q, built, now), 'nothing stored that has expired')
})

test('a stored response larger than the responder\'s own UDP bound is not served over UDP, still over TCP', async (t) => {
  const s = load('nsec3_nxdomain.rpl')
  const { r } = resolverFor(s, () => s.now)
  const q = encodeMessage(createQuery(s.name, s.type, { id: 1, dnssecOk: true, udpSize: 4096 }))
  const full = (await r.respond(q))!
  t.true(full.length > 512, `the NSEC3 NXDOMAIN proof is ${full.length} octets`)
  t.is(r.respondCached(q, false, 512), null)
  t.is(r.respondCached(q, false, full.length - 1), null)
  t.not(r.respondCached(q, true, 512), null, 'no UDP bound over TCP')
  t.not(r.respondCached(q, false, full.length), null)
  t.not(r.respondCached(q), null, 'without a bound the client\'s size alone decides')
})

test('an option given to respondCached goes first in the OPT RDATA, as the encoder puts it', async (t) => {
  const s = load('secure_a.rpl')
  const { r } = resolverFor(s, () => s.now)
  const q = encodeMessage(createQuery(s.name, s.type, { id: 1, dnssecOk: true }))
  const m = decodeMessage((await r.respond(q))!)
  const ede = edeOption(1, 'unsupported algorithm')
  r.clearResponses()
  t.true(r.storeResponse(q, encodeMessage({ ...m, edns: { ...m.edns!, options: [ede] } }), s.now + 60))
  const cookie = cookieOption(new Uint8Array(8).fill(3), new Uint8Array(16).fill(4))
  const wire = new Uint8Array([0, cookie.code, 0, cookie.data.length, ...cookie.data])
  const out = r.respondCached(q, false, undefined, wire)!
  t.deepEqual(Uint8Array.from(out), encodeMessage({ ...m, edns: { ...m.edns!, options: [cookie, ede] } }))
  const noEdns = encodeMessage(createQuery(s.name, s.type, { id: 1, udpSize: null }))
  await r.respond(noEdns)
  t.is(r.respondCached(noEdns, false, undefined, wire), null, 'no OPT record to put it in')
  t.not(r.respondCached(noEdns), null)
})

test('clearing one kind of cache entry leaves the others', (t) => {
  const c = new Cache<number>(10, () => 0)
  c.set('response', 'a', 1, 60, 10)
  c.set('validated', 'a', 2, 60, 20)
  c.clear('response')
  t.is(c.get('response', 'a'), undefined)
  t.is(c.get('validated', 'a'), 2)
  t.is(c.byteSize, 20)
})
