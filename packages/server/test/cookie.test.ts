import test from 'ava'
import { createSocket } from 'node:dgram'
import { fileURLToPath } from 'node:url'
import { EdnsOption, Name, RRType, Rcode, createQuery, decodeMessage, encodeMessage, type Message } from '@secdns/wire'
import { loadZoneFile } from '@secdns/zone'
import { makeServerCookie, checkServerCookie, responseCookie, COOKIE_MAX_AGE_S } from '../src/cookie.js'
import { answer, encodeResponse, type AnswerContext } from '../src/answer.js'
import { ServedZone, ZoneTable } from '../src/served_zone.js'
import { Acl } from '../src/acl.js'
import { DnsServer } from '../src/server.js'
import { parseConfig } from '../src/config.js'

const secret = new Uint8Array(16).fill(1)
const client = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
const NOW = 1_790_000_000

test('a server cookie checks for the same client and address only', (t) => {
  const s = makeServerCookie(secret, client, '192.0.2.1', NOW)
  t.is(s.length, 16)
  t.is(s[0], 1)
  t.true(checkServerCookie(secret, client, s, '192.0.2.1', NOW + 10))
  t.false(checkServerCookie(secret, client, s, '192.0.2.2', NOW + 10))
  t.false(checkServerCookie(secret, new Uint8Array(8), s, '192.0.2.1', NOW + 10))
  t.false(checkServerCookie(new Uint8Array(16), client, s, '192.0.2.1', NOW + 10))
})

test('a server cookie older than an hour or from the future no longer checks', (t) => {
  const s = makeServerCookie(secret, client, '192.0.2.1', NOW)
  t.false(checkServerCookie(secret, client, s, '192.0.2.1', NOW + COOKIE_MAX_AGE_S + 1))
  t.false(checkServerCookie(secret, client, s, '192.0.2.1', NOW - 400))
})

test('a fresh valid cookie is reused and an old one replaced', (t) => {
  const s = makeServerCookie(secret, client, '192.0.2.1', NOW)
  t.deepEqual([...responseCookie(secret, client, s, '192.0.2.1', NOW + 60).data.subarray(8)], [...s])
  t.notDeepEqual([...responseCookie(secret, client, s, '192.0.2.1', NOW + 2000).data.subarray(8)], [...s])
})

// The COOKIE policy on the query path (RFC 7873 §5.2), through answer().
const zone = (() => {
  const r = loadZoneFile(fileURLToPath(new URL('../../test/fixtures/example.test.zone', import.meta.url)), { origin: 'example.test' })
  return new ServedZone(r.zone)
})()

function query(cookie: Uint8Array | undefined, edns = true): Message {
  const q = createQuery(Name.fromString('www.example.test.'), RRType.A, { rd: false, dnssecOk: false })
  if (!edns) { delete (q as { edns?: unknown }).edns; return q }
  if (cookie !== undefined) q.edns!.options.push({ code: EdnsOption.COOKIE, data: cookie })
  return q
}

function ask(q: Message, extra: Partial<AnswerContext> = {}): { m: Message, cookieRefused: boolean } {
  const ctx: AnswerContext = {
    zones: new ZoneTable([zone]), requester: { address: '192.0.2.1' }, transport: 'udp', udpPayload: 1232,
    cookieSecret: secret, now: NOW, cookiePolicy: { requireValid: false, allow: new Acl([]) }, ...extra,
  }
  const { response, info } = answer(q, ctx)
  // What the client reads: the encoded response, with the extended RCODE in OPT.
  return { m: decodeMessage(encodeResponse(response, 1232)), cookieRefused: info.cookieRefused === true }
}

const both = (server: Uint8Array): Uint8Array => Buffer.concat([client, server])
const serverCookieOf = (m: Message): Uint8Array => m.edns!.options.find((o) => o.code === EdnsOption.COOKIE)!.data.subarray(8)

test('a valid server cookie is answered normally, with the cookie echoed', (t) => {
  const s = makeServerCookie(secret, client, '192.0.2.1', NOW - 60)
  const { m, cookieRefused } = ask(query(both(s)))
  t.false(cookieRefused)
  t.is(m.rcode, Rcode.NOERROR)
  t.is(m.answer.length, 1)
  t.deepEqual([...serverCookieOf(m)], [...s])
})

test('attack: a forged server cookie gets BADCOOKIE, no data, and a fresh cookie that then works', (t) => {
  const forged = new Uint8Array(16).fill(0xab)
  forged[0] = 1
  new DataView(forged.buffer).setUint32(4, NOW)
  const { m, cookieRefused } = ask(query(both(forged)))
  t.true(cookieRefused)
  t.is(m.rcode, Rcode.BADCOOKIE)
  t.is(m.rcode, 23)
  t.deepEqual(m.answer, [])
  t.deepEqual(m.authority, [])
  t.false(m.flags.aa)
  const fresh = serverCookieOf(m)
  t.is(fresh.length, 16)
  t.notDeepEqual([...fresh], [...forged])
  t.true(checkServerCookie(secret, client, fresh, '192.0.2.1', NOW))
  const retry = ask(query(both(fresh)))
  t.is(retry.m.rcode, Rcode.NOERROR)
  t.is(retry.m.answer.length, 1)
})

test('attack: an expired server cookie (over an hour old) gets BADCOOKIE and a fresh one', (t) => {
  const old = makeServerCookie(secret, client, '192.0.2.1', NOW - COOKIE_MAX_AGE_S - 1)
  const { m } = ask(query(both(old)))
  t.is(m.rcode, Rcode.BADCOOKIE)
  t.true(checkServerCookie(secret, client, serverCookieOf(m), '192.0.2.1', NOW))
})

test('attack: a server cookie made for another address, or under another secret, gets BADCOOKIE', (t) => {
  t.is(ask(query(both(makeServerCookie(secret, client, '192.0.2.99', NOW)))).m.rcode, Rcode.BADCOOKIE)
  t.is(ask(query(both(makeServerCookie(new Uint8Array(16).fill(2), client, '192.0.2.1', NOW)))).m.rcode, Rcode.BADCOOKIE)
  t.is(ask(query(both(makeServerCookie(secret, new Uint8Array(8).fill(9), '192.0.2.1', NOW)))).m.rcode, Rcode.BADCOOKIE)
})

test('a client cookie alone is answered normally unless requireValid, then BADCOOKIE with a server cookie', (t) => {
  t.is(ask(query(client)).m.rcode, Rcode.NOERROR)
  const { m } = ask(query(client), { cookiePolicy: { requireValid: true, allow: new Acl([]) } })
  t.is(m.rcode, Rcode.BADCOOKIE)
  t.true(checkServerCookie(secret, client, serverCookieOf(m), '192.0.2.1', NOW))
})

test('requireValid: a UDP query without any COOKIE gets an empty answer with TC; without EDNS too', (t) => {
  const policy = { cookiePolicy: { requireValid: true, allow: new Acl([]) } }
  for (const q of [query(undefined), query(undefined, false)]) {
    const { m, cookieRefused } = ask(q, policy)
    t.true(cookieRefused)
    t.true(m.flags.tc)
    t.is(m.rcode, Rcode.NOERROR)
    t.deepEqual(m.answer, [])
  }
  t.false(ask(query(undefined)).m.flags.tc)
})

test('TCP, TSIG-signed queries and the allow list are never refused for their cookies', (t) => {
  const forged = both(new Uint8Array(16).fill(1))
  const strict = new Acl([])
  t.is(ask(query(forged), { transport: 'tcp', cookiePolicy: { requireValid: true, allow: strict } }).m.rcode, Rcode.NOERROR)
  t.is(ask(query(forged), { transport: 'dot', cookiePolicy: { requireValid: true, allow: strict } }).m.rcode, Rcode.NOERROR)
  t.is(ask(query(forged), { authenticated: true, cookiePolicy: { requireValid: true, allow: strict } }).m.rcode, Rcode.NOERROR)
  const allow = { cookiePolicy: { requireValid: true, allow: new Acl(['192.0.2.0/24']) } }
  t.is(ask(query(forged), allow).m.rcode, Rcode.NOERROR)
  t.is(ask(query(client), allow).m.rcode, Rcode.NOERROR)
  t.false(ask(query(undefined), allow).m.flags.tc)
  // Outside the allow list the same forged cookie is refused.
  t.is(ask(query(forged), { requester: { address: '198.51.100.1' }, ...allow }).m.rcode, Rcode.BADCOOKIE)
})

test('attack: a malformed COOKIE option (wrong length) is FORMERR at decode, before any answer', (t) => {
  const q = query(new Uint8Array(12))
  const bytes = encodeMessage({ ...q, edns: { ...q.edns!, options: [] } })
  // Splice a 12-octet COOKIE option in by hand: the encoder refuses to make one.
  const opt = Buffer.from([0, 10, 0, 12, ...new Uint8Array(12)])
  const raw = Buffer.concat([bytes, opt])
  raw.writeUInt16BE(opt.length, raw.length - opt.length - 2)
  t.throws(() => decodeMessage(raw), { code: 'ERR_WIRE_BAD_OPT', message: /COOKIE option at offset \d+ is 12 octets; expected 8 or 16\.\.40/ })
})

test('attack: past cookies.maxRefusalsPerSecond, queries with forged cookies are dropped unanswered; valid ones still answered', async (t) => {
  const server = new DnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'example.test', type: 'primary', file: fileURLToPath(new URL('../../test/fixtures/example.test.zone', import.meta.url)) }],
    cookieSecret: Buffer.from(secret).toString('hex'),
    cookies: { maxRefusalsPerSecond: 2 },
  }), { now: () => Math.floor(Date.now() / 1000) })
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners[0]!.port
  const forged = new Uint8Array(16).fill(0x5a)
  forged[0] = 1
  // Sent within the same second (retried once if a second boundary falls between them).
  let answers: (Message | null)[] = []
  for (let attempt = 0; attempt < 2; attempt++) {
    while (Date.now() % 1000 > 700) await new Promise((r) => setTimeout(r, 50))
    answers = await Promise.all([0, 1, 2, 3, 4].map(() => udpAsk(port, encodeMessage(query(both(forged))), 400)))
    if (answers.filter((a) => a !== null).length === 2) break
  }
  const got = answers.filter((a): a is Message => a !== null)
  t.is(got.length, 2)
  for (const m of got) t.is(m.rcode, Rcode.BADCOOKIE)
  t.true(server.status().counters.dropped >= 3)
  // A query with a cookie of ours is not a refusal and is answered.
  const ok = makeServerCookie(secret, client, '127.0.0.1', Math.floor(Date.now() / 1000))
  const m = await udpAsk(port, encodeMessage(query(both(ok))), 2000)
  t.is(m?.rcode, Rcode.NOERROR)
  t.is(m?.answer.length, 1)
})

function udpAsk(port: number, bytes: Uint8Array, timeoutMs: number): Promise<Message | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4')
    const timer = setTimeout(() => { s.close(); resolve(null) }, timeoutMs)
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(decodeMessage(m)) })
    s.send(bytes, port, '127.0.0.1')
  })
}
