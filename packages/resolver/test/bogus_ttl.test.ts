/**
 * Data that validated Bogus lives in the cache for the bogus TTL only (RFC 4035 §4.7):
 * after the zone is repaired upstream, the resolver fetches afresh once that TTL has
 * passed, instead of judging its old copy bogus again until the copy's own TTL runs out.
 * The upstream is the resolver lab's recorded answers; "tampered" alters one record
 * after signing, "repaired" is the answer as the lab signed it.
 */
import test from 'ava'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Name, RRType, Rcode, createQuery, decodeMessage, encodeMessage, type Message, type ResourceRecord } from '@secdns/wire'
import { Resolver } from '../src/resolver.js'
import { TrustAnchors } from '../src/trust_anchors.js'
import { BOGUS_TTL } from '../src/limits.js'
import type { Server, Transport } from '../src/transport.js'
import { parseScenario, ReplayTransport, type Scenario, type Step } from './replay.js'

const dir = fileURLToPath(new URL('../../test/fixtures/replay/', import.meta.url))
const load = (f: string): Scenario => parseScenario(readFileSync(dir + f, 'utf8'), f)
const UPSTREAM = [{ address: '192.0.2.53', port: 53 }]

/** The recorded upstream, switched from the tampered to the repaired zone by `repair()`. */
class Upstream implements Transport {
  private current: ReplayTransport
  private readonly fixed: ReplayTransport
  /** Questions asked, in order, over both states. */
  readonly asked: string[] = []
  constructor(tampered: Step[], repaired: Step[]) {
    this.current = new ReplayTransport(tampered)
    this.fixed = new ReplayTransport(repaired)
  }

  repair(): void {
    this.current = this.fixed
  }

  async query(server: Server, q: Message): Promise<Message> {
    const before = this.current.asked.length
    const m = await this.current.query(server, q)
    this.asked.push(...this.current.asked.slice(before))
    return m
  }
}

type Tamper = (r: ResourceRecord) => ResourceRecord

/** The steps with every record of `type` at `name` altered by `f` (its RRSIGs left as signed). */
function tamper(steps: Step[], owner: string | null, type: number, f: Tamper): Step[] {
  const n = owner === null ? null : Name.fromString(owner)
  const alter = (rrs: ResourceRecord[]): ResourceRecord[] => rrs.map((r) => r.data.type === type && (n === null || r.name.equals(n)) ? f(r) : r)
  return steps.map((s) => ({ ...s, message: { ...s.message, answer: alter(s.message.answer), authority: alter(s.message.authority) } }))
}

const flip = (b: Uint8Array): Uint8Array => { const c = Uint8Array.from(b); c[c.length - 1] ^= 0x01; return c }

interface Case {
  readonly what: string
  readonly file: string
  /** The question (type A). */
  readonly name: string
  /** The record altered upstream: owner (null: every one of the type) and type. */
  readonly owner: string | null
  readonly type: number
  readonly tamper: Tamper
  /** The refusal: EDE and reason. */
  readonly ede: number
  readonly reason: RegExp
}

const cases: Case[] = [
  { what: 'an A RRset changed after signing', file: 'secure_a.rpl', name: 'www.example.test.', owner: 'www.example.test.', type: RRType.A, tamper: (r) => ({ ...r, data: { ...r.data, address: '192.0.2.66' } as ResourceRecord['data'] }), ede: 6, reason: /^www\.example\.test\.\/A: no valid RRSIG \(tag 15122: bad-signature\)$/ },
  { what: 'a negative answer whose NSEC was changed', file: 'nsec_nxdomain.rpl', name: 'nx.example.test.', owner: null, type: RRType.NSEC, tamper: (r) => ({ ...r, data: { ...r.data, types: [RRType.A] } as ResourceRecord['data'] }), ede: 6, reason: /^no DS for nx\.example\.test\. and no valid proof of that: example\.test\.\/NSEC: no valid RRSIG \(tag 15122: bad-signature\)$/ },
  { what: 'a DS changed after signing', file: 'secure_a.rpl', name: 'www.example.test.', owner: 'example.test.', type: RRType.DS, tamper: (r) => ({ ...r, data: { ...r.data, digest: flip((r.data as { digest: Uint8Array }).digest) } as ResourceRecord['data'] }), ede: 6, reason: /^DS of example\.test\.: example\.test\.\/DS: no valid RRSIG \(tag 20003: bad-signature\)$/ },
  { what: 'a DNSKEY changed after signing', file: 'secure_a.rpl', name: 'www.example.test.', owner: 'example.test.', type: RRType.DNSKEY, tamper: (r) => ({ ...r, data: { ...r.data, publicKey: flip((r.data as { publicKey: Uint8Array }).publicKey) } as ResourceRecord['data'] }), ede: 9, reason: /^example\.test\.: no DNSKEY matches the DS \(tag 37803 alg 13 digest 2\)$/ },
]

function setup(c: Case, bogusTtl?: number): { r: Resolver, up: Upstream, clock: { now: number }, s: Scenario } {
  const s = load(c.file)
  const up = new Upstream(tamper(s.steps, c.owner, c.type, c.tamper), s.steps)
  const clock = { now: s.now }
  const r = new Resolver({
    trustAnchors: TrustAnchors.parse(s.anchors.join('\n') + '\n'), forwarders: UPSTREAM, transport: up, now: () => clock.now,
    ...(bogusTtl === undefined ? {} : { limits: { bogusTtl } }),
  })
  return { r, up, clock, s }
}

for (const c of cases) {
  test(`${c.what}: SERVFAIL from the cache until the bogus TTL (${BOGUS_TTL} s), then the repaired zone is Secure`, async (t) => {
    const { r, up, clock, s } = setup(c)
    const name = Name.fromString(c.name)
    const bad = await r.resolve(name, RRType.A, { dnssecOk: true })
    t.deepEqual([bad.state, bad.rcode, bad.ad], ['bogus', Rcode.SERVFAIL, false], bad.reason)
    t.is(bad.ede, c.ede)
    t.regex(bad.reason ?? '', c.reason)
    up.repair()
    const asked = up.asked.length
    clock.now = s.now + BOGUS_TTL - 1
    const still = await r.resolve(name, RRType.A, { dnssecOk: true })
    t.deepEqual([still.state, still.rcode, still.ad], ['bogus', Rcode.SERVFAIL, false])
    t.is(up.asked.length, asked, 'no upstream query inside the bogus TTL')
    clock.now = s.now + BOGUS_TTL + 1
    const good = await r.resolve(name, RRType.A, { dnssecOk: true })
    t.deepEqual([good.state, good.rcode, good.ad], ['secure', s.expect.rcode, true], good.reason)
    t.true(up.asked.length > asked, 'fetched afresh after the bogus TTL')
    // Once Secure again it keeps the records' TTL (300 s here), not the bogus TTL.
    const n = up.asked.length
    clock.now = s.now + BOGUS_TTL + 200
    t.is((await r.resolve(name, RRType.A, { dnssecOk: true })).state, 'secure')
    t.is(up.asked.length, n)
  })
}

test('the bogus TTL is an option: 10 s keeps a bogus answer 10 s', async (t) => {
  const { r, up, clock, s } = setup(cases[0]!, 10)
  const name = Name.fromString('www.example.test.')
  t.is((await r.resolve(name, RRType.A, { dnssecOk: true })).state, 'bogus')
  up.repair()
  clock.now = s.now + 9
  t.is((await r.resolve(name, RRType.A, { dnssecOk: true })).state, 'bogus')
  clock.now = s.now + 11
  t.deepEqual((await r.resolve(name, RRType.A, { dnssecOk: true })).state, 'secure')
})

test('the bogus TTL is capped by the record TTL: a bogus TTL of an hour keeps a 300 s answer 300 s', async (t) => {
  const { r, up, clock, s } = setup(cases[0]!, 3600)
  const name = Name.fromString('www.example.test.')
  t.is((await r.resolve(name, RRType.A, { dnssecOk: true })).state, 'bogus')
  up.repair()
  const asked = up.asked.length
  clock.now = s.now + 299
  t.is((await r.resolve(name, RRType.A, { dnssecOk: true })).state, 'bogus')
  t.is(up.asked.length, asked)
  clock.now = s.now + 301
  t.is((await r.resolve(name, RRType.A, { dnssecOk: true })).state, 'secure')
})

test('the response cache never serves the bogus answer, and serves the repaired one after the bogus TTL', async (t) => {
  const { r, up, clock, s } = setup(cases[0]!)
  const name = Name.fromString('www.example.test.')
  const query = encodeMessage(createQuery(name, RRType.A, { id: 0x1234, dnssecOk: true }))
  t.is(decodeMessage((await r.respond(query))!).rcode, Rcode.SERVFAIL)
  // A bogus answer is never kept as an encoded response, nor offered for reuse.
  t.is(r.respondCached(query), null)
  t.is((await r.resolveReusable(name, RRType.A, { dnssecOk: true })).expires, undefined)
  up.repair()
  clock.now = s.now + BOGUS_TTL - 1
  t.is(decodeMessage((await r.respond(query))!).rcode, Rcode.SERVFAIL)
  t.is(r.respondCached(query), null)
  clock.now = s.now + BOGUS_TTL + 1
  t.is(r.respondCached(query), null, 'past the bogus TTL the fast path has nothing: the full path fetches afresh')
  const fixed = decodeMessage((await r.respond(query))!)
  t.deepEqual([fixed.rcode, fixed.flags.ad], [Rcode.NOERROR, true])
  const hit = r.respondCached(query)
  t.not(hit, null)
  const m = decodeMessage(hit!)
  t.deepEqual([m.rcode, m.flags.ad, m.answer.filter((x) => x.data.type === RRType.A).map((x) => (x.data as { address: string }).address)], [Rcode.NOERROR, true, ['192.0.2.1']])
})
