import test from 'ava'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Name, Rcode, createQuery, decodeMessage, encodeMessage, type Message } from '@secdns/wire'
import { Resolver } from '../src/resolver.js'
import { TrustAnchors } from '../src/trust_anchors.js'
import { buildResponse } from '../src/response.js'
import { queryKey } from '../src/response_cache.js'
import { parseScenario, ReplayTransport, type Scenario } from './replay.js'

const dir = fileURLToPath(new URL('../../test/fixtures/replay/', import.meta.url))
const load = (f: string): Scenario => parseScenario(readFileSync(dir + f, 'utf8'), f)
const UPSTREAM = [{ address: '192.0.2.53', port: 53 }]

function resolverFor(s: Scenario, now: () => number, log?: (l: string) => void): { r: Resolver, tx: ReplayTransport } {
  const tx = new ReplayTransport(s.steps)
  return { r: new Resolver({ trustAnchors: TrustAnchors.parse(s.anchors.join('\n') + '\n'), forwarders: UPSTREAM, transport: tx, now, ...(log === undefined ? {} : { log }) }), tx }
}

/** The full path, as the bench front end did it before: decode, resolve, build, encode. */
async function fullPath(r: Resolver, query: Uint8Array): Promise<Uint8Array> {
  const q = decodeMessage(query)
  const qq = q.question[0]!
  const res = await r.resolve(qq.name, qq.type, { dnssecOk: q.edns?.dnssecOk === true, checkingDisabled: q.flags.cd, authenticatedData: q.flags.ad })
  return encodeMessage(buildResponse(q, res), { maxSize: Math.max(512, q.edns?.udpSize ?? 512) })
}

/** Flip the case of every other ASCII letter of a name, as a DNS 0x20 client does. */
function mixCase(name: string): string {
  let up = false
  return [...name].map((c) => /[a-z]/.test(c) ? ((up = !up) ? c.toUpperCase() : c) : c).join('')
}

const variants = (name: string, type: number): Uint8Array[] => [
  encodeMessage(createQuery(Name.fromString(name), type, { id: 1, dnssecOk: true })),
  encodeMessage(createQuery(Name.fromString(mixCase(name)), type, { id: 0xbeef, dnssecOk: true })),
  encodeMessage(createQuery(Name.fromString(name.toUpperCase()), type, { id: 7, dnssecOk: false })),
  encodeMessage(createQuery(Name.fromString(name), type, { id: 8, dnssecOk: false, ad: true })),
  encodeMessage(createQuery(Name.fromString(mixCase(name)), type, { id: 9, rd: false, dnssecOk: true })),
  encodeMessage(createQuery(Name.fromString(name), type, { id: 10, udpSize: null })),
]

for (const f of ['secure_a.rpl', 'nsec_nxdomain.rpl', 'nsec3_nxdomain.rpl', 'nsec_wildcard.rpl', 'unsigned_delegation.rpl', 'no_anchor_covers.rpl']) {
  test(`${f}: a warm-cache response is byte for byte what the full path encodes, for each ID, case, DO, AD, RD and EDNS, now and 100 s later`, async (t) => {
    const s = load(f)
    let now = s.now
    const { r: ours } = resolverFor(s, () => now)
    const { r: ref } = resolverFor(s, () => now)
    const queries = variants(s.name.toString(), s.type)
    t.is(ours.respondCached(queries[0]!), null, 'nothing is cached before the first answer')
    for (const q of queries) t.deepEqual(Uint8Array.from((await ours.respond(q))!), await fullPath(ref, q))
    for (const step of [0, 100]) {
      now += step
      for (const q of queries) {
        const hit = ours.respondCached(q)
        t.not(hit, null)
        t.deepEqual(Uint8Array.from(hit!), await fullPath(ref, q), `${step} s later`)
      }
    }
  })
}

test('TTLs count down in a cached response and it is gone when the data expires (300 s in the lab)', async (t) => {
  const s = load('secure_a.rpl')
  let now = s.now
  const { r, tx } = resolverFor(s, () => now)
  const q = encodeMessage(createQuery(s.name, s.type, { id: 3, dnssecOk: true }))
  const first = decodeMessage((await r.respond(q))!)
  now += 250
  const later = decodeMessage(r.respondCached(q)!)
  t.deepEqual(later.answer.map((x) => x.ttl), first.answer.map((x) => x.ttl - 250))
  now += 51
  t.is(r.respondCached(q), null)
  const asked = tx.asked.length
  t.not(await r.respond(q), null)
  t.true(tx.asked.length > asked, 'the expired answer is fetched again')
})

test('a bogus answer is never served from the response cache: every query is SERVFAIL with its EDE and logged again', async (t) => {
  const s = load('changed_a.rpl')
  const lines: string[] = []
  const { r } = resolverFor(s, () => s.now, (l) => lines.push(l))
  const q = encodeMessage(createQuery(s.name, s.type, { id: 5, dnssecOk: true }))
  for (let i = 0; i < 3; i++) {
    t.is(r.respondCached(q), null)
    const m = decodeMessage((await r.respond(q))!)
    t.deepEqual([m.rcode, m.flags.ad, m.answer.length, m.edns?.options[0]?.code], [Rcode.SERVFAIL, false, 0, 15])
  }
  t.is(lines.filter((l) => l.startsWith('bogus changed.example.test./A')).length, 3)
})

test('with CD set the data of a bogus zone comes back unvalidated, and never from or into the response cache', async (t) => {
  const s = load('changed_a_cd.rpl')
  const { r } = resolverFor(s, () => s.now)
  const cd = encodeMessage(createQuery(s.name, s.type, { id: 6, dnssecOk: true, cd: true }))
  t.is(queryKey(cd), null)
  const m = decodeMessage((await r.respond(cd))!)
  t.deepEqual([m.rcode, m.flags.cd, m.flags.ad], [Rcode.NOERROR, true, false])
  t.true(m.answer.length > 0)
  t.is(r.respondCached(cd), null)
  // The same question without CD is still validated: Bogus.
  const plain = encodeMessage(createQuery(s.name, s.type, { id: 6, dnssecOk: true }))
  t.is(r.respondCached(plain), null)
  t.is(decodeMessage((await r.respond(plain))!).rcode, Rcode.SERVFAIL)
})

test('names that differ only in a non-ASCII byte do not share an entry (RFC 4343: only A–Z fold)', (t) => {
  const q = (b: number) => {
    const m = encodeMessage(createQuery(Name.fromString('xx.example.test.'), 1, { id: 1 }))
    m[13] = b
    return m
  }
  t.not(queryKey(q(0xc1))!.key, queryKey(q(0xe1))!.key)
  t.is(queryKey(q(0x41))!.key, queryKey(q(0x61))!.key)
})

test('queries the fast path leaves to the full path: responses, other opcodes, several questions, other classes, meta types, EDNS version 1, compression, trailing bytes', (t) => {
  const base = () => encodeMessage(createQuery(Name.fromString('www.example.test.'), 1, { id: 1, dnssecOk: true }))
  t.not(queryKey(base()), null)
  const edit = (fn: (b: Uint8Array) => void): Uint8Array => { const b = base(); fn(b); return b }
  t.is(queryKey(edit((b) => { b[2]! |= 0x80 })), null, 'QR set')
  t.is(queryKey(edit((b) => { b[2]! |= 0x28 })), null, 'opcode 5 (UPDATE)')
  t.is(queryKey(edit((b) => { b[2]! |= 0x02 })), null, 'TC set')
  t.is(queryKey(edit((b) => { b[5] = 2 })), null, 'two questions')
  t.is(queryKey(edit((b) => { b[7] = 1 })), null, 'an answer record')
  const qclass = 12 + 18 + 2
  t.is(queryKey(edit((b) => { b[qclass + 1] = 3 })), null, 'class CH')
  t.is(queryKey(edit((b) => { b[qclass - 1] = 252 })), null, 'AXFR')
  t.is(queryKey(edit((b) => { b[qclass - 1] = 255 })), null, 'ANY')
  t.is(queryKey(edit((b) => { b[qclass + 2 + 6] = 1 })), null, 'EDNS version 1 (BADVERS is the full path\'s answer)')
  t.is(queryKey(edit((b) => { b[12] = 0xc0 })), null, 'a compression pointer in the question')
  t.is(queryKey(new Uint8Array([...base(), 0])), null, 'a trailing byte')
  t.is(queryKey(base().subarray(0, 20)), null, 'cut short')
})

test('a cached response larger than the client\'s UDP size is not served; the full path truncates it', async (t) => {
  const s = load('nsec3_nxdomain.rpl')
  const { r } = resolverFor(s, () => s.now)
  const big = encodeMessage(createQuery(s.name, s.type, { id: 1, dnssecOk: true, udpSize: 4096 }))
  const full = (await r.respond(big))!
  t.true(full.length > 512, `the NSEC3 NXDOMAIN proof is ${full.length} octets`)
  const small = encodeMessage(createQuery(s.name, s.type, { id: 2, dnssecOk: true, udpSize: 4096 }))
  small.set([0x02, 0x00], small.length - 8) // OPT UDP size 512
  t.is(queryKey(small)!.key, queryKey(big)!.key)
  t.is(r.respondCached(small), null)
  t.deepEqual(Uint8Array.from(r.respondCached(small, true)!), Object.assign(Uint8Array.from(full), { 0: 0, 1: 2 }), 'over TCP the stored one fits')
  const m = decodeMessage((await r.respond(small))!)
  t.true(m.flags.tc)
})

test('clearing the cache (a trust-anchor change) drops the cached responses', async (t) => {
  const s = load('secure_a.rpl')
  const { r } = resolverFor(s, () => s.now)
  const q = encodeMessage(createQuery(s.name, s.type, { id: 1, dnssecOk: true }))
  await r.respond(q)
  t.not(r.respondCached(q), null)
  r.cache.clear()
  t.is(r.respondCached(q), null)
})

test('undecodable bytes and responses get no answer from respond()', async (t) => {
  const s = load('secure_a.rpl')
  const { r } = resolverFor(s, () => s.now)
  t.is(await r.respond(new Uint8Array([1, 2, 3])), null)
  const resp = encodeMessage({ ...createQuery(s.name, s.type, { id: 1 }), flags: { ...createQuery(s.name, s.type).flags, qr: true } } as Message)
  t.is(await r.respond(resp), null)
})
