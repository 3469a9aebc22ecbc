import test from 'ava'
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EdnsOption, Name, RRType, Rcode, TcpFrameReader, createQuery, decodeMessage, encodeMessage, frameTcp, type Message, type A } from '@secdns/wire'
import { DnsServer, answerCacheKey } from '../src/server.js'
import { parseConfig } from '../src/config.js'
import { findTsig, signTsig, tsigKey } from '../src/tsig.js'
import type { Recursor } from '../src/recursor.js'

const fixture = (f: string): string => fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url))
const SECRET = Buffer.alloc(32, 0x42).toString('base64')

async function start(extra: Record<string, unknown> = {}, now?: () => number, zone = 'example.test.zone', recursor?: Recursor): Promise<{ server: DnsServer, port: number, file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-answer-cache-'))
  const file = join(dir, 'example.test.zone')
  copyFileSync(fixture(zone), file)
  const server = new DnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'example.test', type: 'primary', file }],
    tsigKeys: [{ name: 'k', secret: SECRET }],
    ...extra,
  }), { ...(now === undefined ? {} : { now }), ...(recursor === undefined ? {} : { recursor }) })
  await server.start()
  return { server, port: server.listeners.find((l) => l.kind === 'udp')!.port, file }
}

function udp(port: number, bytes: Uint8Array, from = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4')
    const timer = setTimeout(() => { s.close(); reject(new Error('no answer')) }, 2000)
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m) })
    s.bind(0, from, () => s.send(bytes, port, '127.0.0.1'))
  })
}

function tcp(port: number, bytes: Uint8Array): Promise<Message> {
  return new Promise((resolve, reject) => {
    const frames = new TcpFrameReader()
    const s = connect(port, '127.0.0.1', () => s.write(frameTcp(bytes)))
    s.on('data', (c) => { const [f] = frames.push(c); if (f) { s.end(); resolve(decodeMessage(f)) } })
    s.on('error', reject)
  })
}

const query = (name: string, type: number, id: number, opts: Parameters<typeof createQuery>[2] = {}): Uint8Array =>
  encodeMessage(createQuery(Name.fromString(name), type, { rd: false, id, ...opts }))
const address = (m: Message): string => (m.answer[0]!.data as A).address

test('only a plain query has a cache key: no COOKIE, no TSIG, one question, no other sections', (t) => {
  const plain = query('www.example.test.', RRType.A, 1)
  t.is(answerCacheKey(plain, 'u')?.slice(0, 1), 'u')
  // The ID is not part of the key.
  t.is(answerCacheKey(query('www.example.test.', RRType.A, 2), 'u'), answerCacheKey(plain, 'u'))
  t.not(answerCacheKey(plain, 's'), answerCacheKey(plain, 'u'))
  t.not(answerCacheKey(query('WWW.example.test.', RRType.A, 1), 'u'), answerCacheKey(plain, 'u'))
  t.not(answerCacheKey(query('www.example.test.', RRType.A, 1, { dnssecOk: true }), 'u'), answerCacheKey(plain, 'u'))
  t.truthy(answerCacheKey(query('www.example.test.', RRType.A, 1, { udpSize: null }), 'u'))
  const withCookie = createQuery(Name.fromString('www.example.test.'), RRType.A, { id: 1 })
  withCookie.edns!.options.push({ code: EdnsOption.COOKIE, data: new Uint8Array(8).fill(3) })
  t.is(answerCacheKey(encodeMessage(withCookie), 'u'), undefined)
  const signed = signTsig(query('www.example.test.', RRType.A, 1, { udpSize: null }), tsigKey('k', SECRET), { now: 1_790_000_000 }).bytes
  t.is(answerCacheKey(signed, 'u'), undefined)
  const response = query('www.example.test.', RRType.A, 1)
  response[2]! |= 0x80
  t.is(answerCacheKey(response, 'u'), undefined)
  t.is(answerCacheKey(new Uint8Array(12), 'u'), undefined)
})

test.serial('a repeated query gets the same answer with its own ID; a reload forgets the cached answers', async (t) => {
  const { server, port, file } = await start()
  t.teardown(() => server.stop())
  const a = await udp(port, query('www.example.test.', RRType.A, 0x1111))
  const b = await udp(port, query('www.example.test.', RRType.A, 0x2222))
  t.is(a.readUInt16BE(0), 0x1111)
  t.is(b.readUInt16BE(0), 0x2222)
  t.deepEqual(a.subarray(2), b.subarray(2))
  t.is(address(decodeMessage(b)), '192.0.2.80')
  t.is(server.status().counters.received, 2)
  t.is(server.status().counters.answered, 2)
  // The case of the query name is kept, cached or not (RFC 4343 §4.1).
  const upper = decodeMessage(await udp(port, query('WwW.example.test.', RRType.A, 3)))
  t.is(upper.answer[0]!.name.toString(), 'WwW.example.test.')
  t.is(upper.question[0]!.name.toString(), 'WwW.example.test.')
  writeFileSync(file, readFileSync(file, 'utf8').replace('2026112501', '2026112502').replace('www     IN A    192.0.2.80', 'www     IN A    192.0.2.90'))
  t.true(server.reload('example.test')[0]!.ok)
  t.is(address(decodeMessage(await udp(port, query('www.example.test.', RRType.A, 4)))), '192.0.2.90')
})

test.serial('a UDP answer cut with TC is never given to a TCP client', async (t) => {
  // An NSEC3 NXDOMAIN with DO is about 800 octets: TC at 512 over UDP, whole over TCP.
  const { server, port } = await start({}, undefined, 'example.test.nsec3.signed')
  t.teardown(() => server.stop())
  const tcpPort = server.listeners.find((l) => l.kind === 'tcp')!.port
  const q = query('nope.example.test.', RRType.A, 7, { dnssecOk: true, udpSize: 512 })
  for (let i = 0; i < 2; i++) {
    const u = decodeMessage(await udp(port, q))
    t.true(u.flags.tc)
    const s = await tcp(tcpPort, q)
    t.false(s.flags.tc)
    t.is(s.rcode, Rcode.NXDOMAIN)
    t.true(s.authority.length > 4)
  }
})

test.serial('attack: with a query ACL the cached answer to an allowed client is not given to a refused one', async (t) => {
  const { server, port } = await start({ acl: { query: ['127.0.0.1'] } })
  t.teardown(() => server.stop())
  const q = query('www.example.test.', RRType.A, 9)
  t.is(decodeMessage(await udp(port, q)).rcode, Rcode.NOERROR)
  t.is(decodeMessage(await udp(port, q)).rcode, Rcode.NOERROR)
  const refused = decodeMessage(await udp(port, q, '127.0.0.2'))
  t.is(refused.rcode, Rcode.REFUSED)
  t.deepEqual(refused.answer, [])
})

test.serial('attack: a replayed TSIG-signed query is signed afresh, never answered from the cache', async (t) => {
  let clock = 1_790_000_000
  const { server, port } = await start({}, () => clock)
  t.teardown(() => server.stop())
  const key = tsigKey('k', SECRET)
  const signed = signTsig(query('www.example.test.', RRType.A, 10, { udpSize: null }), key, { now: clock }).bytes
  const first = await udp(port, signed)
  clock += 10
  const second = await udp(port, signed)
  const t1 = findTsig(first)!.record.timeSigned
  const t2 = findTsig(second)!.record.timeSigned
  t.is(t1, 1_790_000_000)
  t.is(t2, 1_790_000_010)
})

test.serial('answerCacheEntries 0 turns the cache off; a full cache drops its oldest answer', async (t) => {
  const off = await start({ limits: { answerCacheEntries: 0 } })
  t.teardown(() => off.server.stop())
  t.is(address(decodeMessage(await udp(off.port, query('www.example.test.', RRType.A, 1)))), '192.0.2.80')
  const small = await start({ limits: { answerCacheEntries: 2 } })
  t.teardown(() => small.server.stop())
  for (const n of ['www', 'ns1', 'mail', 'www', 'ns2']) {
    const m = decodeMessage(await udp(small.port, query(`${n}.example.test.`, RRType.A, 2)))
    t.is(m.rcode, Rcode.NOERROR)
    t.is(m.answer[0]!.name.toString(), `${n}.example.test.`)
  }
})

test.serial('RA on a cached answer follows the recursion ACL of each client; the recursor\'s answers are never cached', async (t) => {
  let n = 0
  const recursor: Recursor = {
    resolve: async (question) => ({
      rcode: Rcode.NOERROR, authenticated: false, authority: [], additional: [],
      answer: [{ name: question.name, class: 1, ttl: 60, data: { type: RRType.A, address: `198.51.100.${++n}` } }],
    }),
  }
  const { server, port } = await start({ acl: { query: ['any'], recursion: ['127.0.0.1'] } }, undefined, 'example.test.zone', recursor)
  t.teardown(() => server.stop())
  const q = query('www.example.test.', RRType.A, 11, { rd: true })
  for (let i = 0; i < 2; i++) {
    const inside = decodeMessage(await udp(port, q))
    t.true(inside.flags.ra)
    t.true(inside.flags.aa)
    const outside = decodeMessage(await udp(port, q, '127.0.0.2'))
    t.false(outside.flags.ra)
    t.is(address(outside), '192.0.2.80')
  }
  const out = query('www.elsewhere.test.', RRType.A, 12, { rd: true })
  t.is(address(decodeMessage(await udp(port, out))), '198.51.100.1')
  t.is(address(decodeMessage(await udp(port, out))), '198.51.100.2')
  // Not for recursion: REFUSED, never someone else's recursive answer.
  t.is(decodeMessage(await udp(port, out, '127.0.0.2')).rcode, Rcode.REFUSED)
})

test.serial('attack: with cookies.requireValid a cached answer is not given over UDP to a client outside the allow list', async (t) => {
  const { server, port } = await start({ cookies: { requireValid: true, allow: ['127.0.0.1'] } })
  t.teardown(() => server.stop())
  const q = query('www.example.test.', RRType.A, 13)
  for (let i = 0; i < 2; i++) t.is(address(decodeMessage(await udp(port, q))), '192.0.2.80')
  const outside = decodeMessage(await udp(port, q, '127.0.0.2'))
  t.true(outside.flags.tc)
  t.deepEqual(outside.answer, [])
  t.true(server.status().counters.badCookies >= 1)
})
