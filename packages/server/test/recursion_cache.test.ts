import test from 'ava'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  EdnsOption, Name, RRType, Rcode, cookieOption, createQuery, decodeMessage, encodeMessage, parseCookieOption, parseEdeOption,
  type EdnsOptionData, type Message,
} from '@secdns/wire'
import { DnsServer } from '../src/server.js'
import { createDnsServer } from '../src/create.js'
import { parseConfig } from '../src/config.js'
import { NOT_PLAIN, PLAIN, recursionFastPath } from '../src/server.js'
import { tsigKey, signTsig } from '../src/tsig.js'

const signed = fileURLToPath(new URL('../../test/fixtures/example.test.nsec.signed', import.meta.url))
const SECRET = '00112233445566778899aabbccddeeff'

/** The KSK of the signed fixture as DNSKEY rdata text. */
function fixtureKsk(): string {
  return readFileSync(signed, 'utf8').replace(/\(\s*([^)]*?)\s*\)/g, (_, inner: string) => inner.replace(/\s+/g, ' '))
    .split('\n').find((l) => /DNSKEY\s+257 3 13/.test(l))!.trim().replace(/^.*DNSKEY\s+/, '').replace(/\s*;.*$/, '')
}

interface Lab { rec: DnsServer, stats: () => Readonly<Record<string, number>> }

/**
 * An authoritative secdns server for the signed fixture (or a copy with www's address
 * changed after signing, so its RRSIG no longer checks), and a validating recursive
 * secdns server forwarding to it with the fixture's KSK as trust anchor.
 */
async function lab(t: { teardown(fn: () => unknown): void }, opts: { broken?: boolean, extra?: Record<string, unknown> } = {}): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-reccache-'))
  let zoneFile = signed
  if (opts.broken === true) {
    zoneFile = join(dir, 'example.test.broken')
    writeFileSync(zoneFile, readFileSync(signed, 'utf8').replace(/^(www\.example\.test\.\s+3600\s+IN A\s+)192\.0\.2\.80/m, '$1192.0.2.99'))
  }
  const auth = new DnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'example.test', type: 'primary', file: zoneFile }],
  }))
  await auth.start()
  t.teardown(() => auth.stop())
  writeFileSync(join(dir, 'TrustAnchors.dns'), `example.test. 3600 IN DNSKEY ${fixtureKsk()}\n`)
  const rec = createDnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }] }, acl: { recursion: ['127.0.0.1', '127.0.0.4'], query: ['127.0.0.1', '127.0.0.2'] }, cookieSecret: SECRET,
    resolver: { forwarders: [`127.0.0.1:${auth.listeners.find((l) => l.kind === 'udp')!.port}`], trustAnchors: join(dir, 'TrustAnchors.dns') },
    ...opts.extra,
  }))
  await rec.start()
  t.teardown(() => rec.stop())
  return { rec, stats: () => rec.recursor!.stats! }
}

function query(id: number, o: { name?: string, type?: number, dnssecOk?: boolean, options?: EdnsOptionData[], rd?: boolean, cd?: boolean } = {}): Uint8Array {
  return encodeMessage(createQuery(Name.fromString(o.name ?? 'www.example.test.'), o.type ?? RRType.A, {
    id, rd: o.rd ?? true, cd: o.cd ?? false, dnssecOk: o.dnssecOk ?? true, options: o.options ?? [],
  }))
}

async function send(s: DnsServer, q: Uint8Array, address = '127.0.0.1', transport: 'udp' | 'tcp' = 'udp'): Promise<Uint8Array> {
  const out = await s.handle(q, { address, port: 5300, transport })
  if (out === null || out.length !== 1) throw new Error('expected one response')
  return out[0]!
}

/** Wait until a new second has just begun, so two quick answers see the same clock second. */
async function atSecondStart(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5))
}

const withId = (b: Uint8Array, id: number): Uint8Array => { const c = Uint8Array.from(b); c[0] = id >> 8; c[1] = id & 0xff; return c }

test('recursionFastPath takes plain RD queries, bare or with one COOKIE: not CD, not RD clear, not other EDNS options, not TSIG', (t) => {
  const client = new Uint8Array(8).fill(7)
  t.is(recursionFastPath(query(1)), PLAIN)
  t.is(recursionFastPath(encodeMessage(createQuery(Name.fromString('www.example.test.'), RRType.A, { udpSize: null }))), PLAIN)
  t.is(recursionFastPath(query(1, { rd: false })), NOT_PLAIN)
  t.is(recursionFastPath(query(1, { cd: true })), NOT_PLAIN)
  const withCookie = query(1, { options: [cookieOption(client)] })
  t.is(recursionFastPath(withCookie), withCookie.length - 12, 'the offset of the COOKIE option')
  const both = query(1, { options: [cookieOption(client, new Uint8Array(16).fill(1))] })
  t.is(recursionFastPath(both), both.length - 28)
  t.is(recursionFastPath(query(1, { options: [{ code: EdnsOption.COOKIE, data: new Uint8Array(12) }] })), NOT_PLAIN, 'a COOKIE of a length RFC 7873 does not allow')
  t.is(recursionFastPath(query(1, { options: [{ code: EdnsOption.NSID, data: new Uint8Array(0) }] })), NOT_PLAIN)
  t.is(recursionFastPath(query(1, { options: [cookieOption(client), { code: EdnsOption.NSID, data: new Uint8Array(0) }] })), NOT_PLAIN, 'COOKIE and NSID')
  t.is(recursionFastPath(query(1, { options: [{ code: 65001, data: new Uint8Array(8) }] })), NOT_PLAIN)
  const key = tsigKey('k.', Buffer.from('0123456789abcdef0123456789abcdef').toString('base64'))
  t.is(recursionFastPath(signTsig(query(1), key, { now: 1_700_000_000 }).bytes), NOT_PLAIN)
})

test('a warm recursive answer comes from the stored responses and is byte for byte the full path\'s, apart from the ID', async (t) => {
  const { rec, stats } = await lab(t)
  for (const dnssecOk of [true, false]) {
    const cold = decodeMessage(await send(rec, query(1, { dnssecOk })))
    t.is(cold.rcode, Rcode.NOERROR)
    t.true(cold.flags.ad === dnssecOk, 'secure: AD for a DO query')
    t.true(cold.flags.ra)
    const before = stats().cached!
    await atSecondStart()
    const warm = await send(rec, query(0x1234, { dnssecOk }))
    t.is(stats().cached, before + 1, 'answered from the stored responses')
    // The same query with an option we never echo takes the full path, on a warm resolver cache.
    const full = await send(rec, query(0x4321, { dnssecOk, options: [{ code: 65001, data: new Uint8Array([1, 2, 3]) }] }))
    t.is(stats().cached, before + 1, 'an EDNS option sends the query down the full path')
    t.is(warm[0], 0x12)
    t.is(warm[1], 0x34)
    t.deepEqual(withId(warm, 0x4321), full)
    t.is(decodeMessage(warm).answer.filter((r) => r.data.type === RRType.RRSIG).length, dnssecOk ? 1 : 0)
  }
  // Over TCP too, and the question keeps the client's letter case (DNS 0x20).
  const mixed = decodeMessage(await send(rec, query(7, { name: 'WwW.ExAmPlE.tEsT.' }), '127.0.0.1', 'tcp'))
  t.is(mixed.question[0]!.name.toString(), 'WwW.ExAmPlE.tEsT.')
  t.is(mixed.id, 7)
})

test('attack: a client not allowed recursion is REFUSED even when the answer is stored', async (t) => {
  const { rec, stats } = await lab(t)
  await send(rec, query(1))
  t.is(decodeMessage(await send(rec, query(2))).rcode, Rcode.NOERROR)
  const cached = stats().cached!
  t.true(cached >= 1)
  // 127.0.0.2 may query but not recurse; 127.0.0.4 may recurse but not query; 127.0.0.3 neither.
  for (const address of ['127.0.0.2', '127.0.0.4', '127.0.0.3']) {
    const r = decodeMessage(await send(rec, query(3), address))
    t.is(r.rcode, Rcode.REFUSED, address)
    t.deepEqual(r.answer, [], address)
    t.false(r.flags.ra && address !== '127.0.0.4', address)
  }
  t.is(stats().cached, cached, 'no refused client was served from the store')
})

test('attack: a bogus answer is never stored: every query is validated again and gets SERVFAIL with its EDE', async (t) => {
  const { rec, stats } = await lab(t, { broken: true })
  for (let i = 0; i < 3; i++) {
    const r = decodeMessage(await send(rec, query(i)))
    t.is(r.rcode, Rcode.SERVFAIL)
    t.deepEqual(r.answer, [])
    const ede = r.edns?.options.find((o) => o.code === EdnsOption.EDE)
    t.truthy(ede, 'EDE kept')
    t.is(parseEdeOption(ede!).infoCode, 6) // DNSSEC Bogus
  }
  t.is(stats().cached, 0)
  t.is(stats().bogus, 3)
  // CD: the client validates itself; answered, never from the store, and never stored.
  const cd = decodeMessage(await send(rec, query(9, { cd: true })))
  t.is(cd.rcode, Rcode.NOERROR)
  t.true(cd.flags.cd)
  t.is(decodeMessage(await send(rec, query(10))).rcode, Rcode.SERVFAIL)
  t.is(stats().cached, 0)
})

function cookieOf(m: Message): { client: Uint8Array, server?: Uint8Array } {
  const o = m.edns?.options.find((x) => x.code === EdnsOption.COOKIE)
  if (o === undefined) throw new Error('no COOKIE in the response')
  return parseCookieOption(o)
}

test('cookies on warm recursive answers: ours is added to the stored response, byte for byte what the full path sends', async (t) => {
  const { rec, stats } = await lab(t)
  await send(rec, query(1))
  const client = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
  const unknown = { code: 65001, data: new Uint8Array([9]) }
  await atSecondStart()
  const before = stats().cached!
  const first = await send(rec, query(3, { options: [cookieOption(client)] }))
  t.is(stats().cached, before + 1, 'a client cookie alone: from the store')
  // The same with an option we never echo: the full path, for the reference.
  t.deepEqual(withId(first, 0x4444), await send(rec, query(0x4444, { options: [cookieOption(client), unknown] })))
  const m = decodeMessage(first)
  t.is(m.rcode, Rcode.NOERROR)
  t.is(m.answer.filter((r) => r.data.type === RRType.A).length, 1)
  const c = cookieOf(m)
  t.deepEqual(c.client, client)
  t.is(c.server?.length, 16)
  const again = await send(rec, query(4, { options: [cookieOption(client, c.server)] }))
  t.is(stats().cached, before + 2, 'with our valid server cookie: from the store')
  t.deepEqual(cookieOf(decodeMessage(again)).server, c.server, 'a fresh valid server cookie is echoed')
  t.deepEqual(withId(again, 0x5555), await send(rec, query(0x5555, { options: [cookieOption(client, c.server), unknown] })))
  // Over TCP too.
  const tcp = await send(rec, query(5, { options: [cookieOption(client, c.server)] }), '127.0.0.1', 'tcp')
  t.deepEqual(withId(tcp, 0x6666), await send(rec, query(0x6666, { options: [cookieOption(client, c.server), unknown] }), '127.0.0.1', 'tcp'))
  t.is(stats().cached, before + 3)
})

test('attack: a forged or foreign server cookie gets BADCOOKIE and no data from the full path even when the answer is stored', async (t) => {
  const { rec, stats } = await lab(t, { extra: { acl: { recursion: ['127.0.0.0/8'], query: ['any'] } } })
  await send(rec, query(1))
  const client = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
  const good = cookieOf(decodeMessage(await send(rec, query(2, { options: [cookieOption(client)] }))))
  const cached = stats().cached!
  // Our server cookie for 127.0.0.1, sent again (and remembered as good) from there, then from another address.
  t.is(decodeMessage(await send(rec, query(5, { options: [cookieOption(client, good.server)] }))).rcode, Rcode.NOERROR)
  t.is(stats().cached, cached + 1)
  const moved = decodeMessage(await send(rec, query(6, { options: [cookieOption(client, good.server)] }), '127.0.0.5'))
  t.is(moved.rcode, Rcode.BADCOOKIE, 'a server cookie made for another address')
  t.deepEqual(moved.answer, [])
  t.notDeepEqual(cookieOf(moved).server, good.server)
  const forged = decodeMessage(await send(rec, query(3, { options: [cookieOption(client, new Uint8Array(16).fill(1))] })))
  t.is(forged.rcode, Rcode.BADCOOKIE)
  t.deepEqual(forged.answer, [])
  // Our server cookie, presented with another client cookie.
  const otherClient = decodeMessage(await send(rec, query(4, { options: [cookieOption(new Uint8Array(8).fill(9), good.server)] })))
  t.is(otherClient.rcode, Rcode.BADCOOKIE, 'a server cookie made for another client cookie')
  t.deepEqual(otherClient.answer, [])
  t.is(stats().cached, cached + 1)
})

test('attack: with cookies required, a UDP query without a COOKIE gets TC and no data even when the answer is stored', async (t) => {
  const { rec, stats } = await lab(t, { extra: { cookies: { requireValid: true } } })
  // Stored through TCP, where no cookie is needed.
  await send(rec, query(1), '127.0.0.1', 'tcp')
  t.is(decodeMessage(await send(rec, query(2), '127.0.0.1', 'tcp')).answer.length > 0, true)
  const cached = stats().cached!
  t.true(cached >= 1)
  const r = decodeMessage(await send(rec, query(3)))
  t.true(r.flags.tc)
  t.deepEqual(r.answer, [])
  t.is(stats().cached, cached)
  // A client cookie alone: BADCOOKIE by policy, no data, and a server cookie that then works from the store.
  const client = new Uint8Array(8).fill(1)
  const bad = decodeMessage(await send(rec, query(4, { options: [cookieOption(client)] })))
  t.is(bad.rcode, Rcode.BADCOOKIE)
  t.deepEqual(bad.answer, [])
  t.is(stats().cached, cached)
  const ok = decodeMessage(await send(rec, query(5, { options: [cookieOption(client, cookieOf(bad).server)] })))
  t.is(ok.rcode, Rcode.NOERROR)
  t.true(ok.answer.length > 0)
  t.is(stats().cached, cached + 1)
})

test('a zone added after an answer was stored answers its names from then on, not the stored recursive answer', async (t) => {
  const { rec, stats } = await lab(t)
  await send(rec, query(1))
  await send(rec, query(2))
  t.is(stats().cached, 1)
  const before = rec.zones.generation
  const other = await (async () => {
    const s = createDnsServer(parseConfig({ listeners: {}, zones: [{ name: 'example.test', type: 'primary', file: signed }] }))
    await s.start()
    t.teardown(() => s.stop())
    return s
  })()
  rec.zones.set(other.zones.all()[0]!)
  t.not(rec.zones.generation, before)
  const r = decodeMessage(await send(rec, query(3)))
  t.true(r.flags.aa, 'the authoritative answer of the zone now served')
  t.is(stats().cached, 1)
})

/** dig from the host; under CI=true its absence fails the test (this package cannot import test/helpers). */
function haveDig(t: { fail(m: string): void, log(m: string): void, pass(): void }): boolean {
  if (spawnSync('sh', ['-c', 'command -v dig'], { encoding: 'utf8' }).stdout.trim() !== '') return true
  const msg = 'peer tool missing: dig (apt-get install -y bind9-dnsutils)'
  if (process.env['CI'] === 'true') t.fail(msg)
  else { t.log(`not run here: ${msg}`); t.pass() }
  return false
}

test('dig over UDP: warm answers leave the socket handler from the store, with and without a COOKIE (good)', async (t) => {
  if (!haveDig(t)) return
  const { rec, stats } = await lab(t)
  const port = rec.listeners.find((l) => l.kind === 'udp')!.port
  // Not spawnSync: the server answers from this process's event loop.
  const dig = async (...extra: string[]): Promise<string> => (await promisify(execFile)('dig', ['-p', String(port), '@127.0.0.1', 'www.example.test', 'A', '+dnssec', '+tries=1', '+time=5', ...extra], { encoding: 'utf8' })).stdout
  const cold = await dig('+nocookie')
  t.regex(cold, /status: NOERROR/)
  t.regex(cold, /flags: qr rd ra ad;/)
  const warm = await dig('+nocookie')
  t.regex(warm, /flags: qr rd ra ad;/)
  t.regex(warm, /www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.80/)
  t.is(stats().cached, 1)
  const withCookie = await dig('+cookie')
  t.regex(withCookie, /flags: qr rd ra ad;/)
  t.regex(withCookie, /; COOKIE: [0-9a-f]{48} \(good\)/)
  t.is(stats().cached, 2, 'a COOKIE query is answered from the store too')
})
