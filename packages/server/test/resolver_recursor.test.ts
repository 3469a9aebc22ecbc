import test from 'ava'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { Name, RRType, Rcode, createQuery, decodeMessage, encodeMessage } from '@secdns/wire'
import { DnsServer } from '../src/server.js'
import { createDnsServer } from '../src/create.js'
import { parseConfig } from '../src/config.js'

const signed = fileURLToPath(new URL('../../test/fixtures/example.test.nsec.signed', import.meta.url))
const TOKEN = 'a-long-enough-admin-token-0123456789'

/** The KSK of the signed fixture as DNSKEY rdata text. */
function fixtureKsk(): string {
  return readFileSync(signed, 'utf8').replace(/\(\s*([^)]*?)\s*\)/g, (_, inner: string) => inner.replace(/\s+/g, ' '))
    .split('\n').find((l) => /DNSKEY\s+257 3 13/.test(l))!.trim().replace(/^.*DNSKEY\s+/, '').replace(/\s*;.*$/, '')
}

async function setup(t: { teardown(fn: () => unknown): void }, logLines?: string[]): Promise<{ dir: string, rec: DnsServer, base: string }> {
  const auth = new DnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'example.test', type: 'primary', file: signed }],
  }))
  await auth.start()
  t.teardown(() => auth.stop())
  const dir = mkdtempSync(join(tmpdir(), 'secdns-anchors-'))
  writeFileSync(join(dir, 'TrustAnchors.dns'), '; trust anchors of the lab resolver\n')
  writeFileSync(join(dir, 'token'), TOKEN + '\n')
  chmodSync(join(dir, 'token'), 0o600)
  const rec = createDnsServer(parseConfig({
    listeners: { admin: { address: '127.0.0.1', port: 0, tokenFile: join(dir, 'token') } }, acl: { recursion: ['localhost'] },
    resolver: { forwarders: [`127.0.0.1:${auth.listeners.find((l) => l.kind === 'udp')!.port}`], trustAnchors: join(dir, 'TrustAnchors.dns') },
  }), logLines === undefined ? {} : { logger: pino({ level: 'warn' }, { write: (l: string) => { logLines.push(l) } }) })
  await rec.start()
  t.teardown(() => rec.stop())
  return { dir, rec, base: `http://127.0.0.1:${rec.listeners.find((l) => l.kind === 'admin')!.port}` }
}

async function ask(server: DnsServer, dnssecOk = true) {
  const out = await server.handle(encodeMessage(createQuery(Name.fromString('www.example.test.'), RRType.A, { rd: true, dnssecOk })), { address: '127.0.0.1', port: 1, transport: 'udp' })
  return decodeMessage(out![0]!)
}

const auth = { authorization: `Bearer ${TOKEN}` }

test('an anchor added through the admin API is written to the file with its comments and validates at once', async (t) => {
  const { dir, rec, base } = await setup(t)
  t.false((await ask(rec)).flags.ad)
  const add = await fetch(`${base}/trust-anchors`, { method: 'POST', headers: auth, body: JSON.stringify({ records: `example.test. 3600 IN DNSKEY ${fixtureKsk()}` }) })
  t.is(add.status, 200)
  const body = await add.json() as { added: { zone: string, type: string }[] }
  t.deepEqual(body.added.map((a) => `${a.zone} ${a.type}`), ['example.test. DNSKEY'])
  const file = readFileSync(join(dir, 'TrustAnchors.dns'), 'utf8')
  t.true(file.startsWith('; trust anchors of the lab resolver\n'))
  t.regex(file, /example\.test\.\s+3600\s+IN\s+DNSKEY\s+257 3 13/)
  const r = await ask(rec)
  t.is(r.rcode, Rcode.NOERROR)
  t.true(r.flags.ad)
  const list = await (await fetch(`${base}/trust-anchors`, { headers: auth })).json() as { anchors: { zone: string }[] }
  t.deepEqual(list.anchors.map((a) => a.zone), ['example.test.'])
  const del = await fetch(`${base}/trust-anchors/example.test`, { method: 'DELETE', headers: auth })
  t.is(del.status, 200)
  t.is(readFileSync(join(dir, 'TrustAnchors.dns'), 'utf8'), '; trust anchors of the lab resolver\n')
  t.false((await ask(rec)).flags.ad)
})

test('the trust-anchor endpoints refuse a request without the token and change nothing', async (t) => {
  const { dir, base } = await setup(t)
  const add = await fetch(`${base}/trust-anchors`, { method: 'POST', body: JSON.stringify({ records: `example.test. 3600 IN DNSKEY ${fixtureKsk()}` }) })
  t.is(add.status, 401)
  t.is((await fetch(`${base}/trust-anchors`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401)
  t.is(readFileSync(join(dir, 'TrustAnchors.dns'), 'utf8'), '; trust anchors of the lab resolver\n')
})

test('a record that is not a DNSKEY or DS, or removing an absent anchor, is answered with a coded error', async (t) => {
  const { base } = await setup(t)
  const bad = await fetch(`${base}/trust-anchors`, { method: 'POST', headers: auth, body: JSON.stringify({ records: 'example.test. 3600 IN A 192.0.2.1' }) })
  t.is(bad.status, 400)
  t.truthy(((await bad.json()) as { code?: string }).code)
  const notJson = await fetch(`${base}/trust-anchors`, { method: 'POST', headers: auth, body: '{' })
  t.is(notJson.status, 400)
  const gone = await fetch(`${base}/trust-anchors/nothing.test`, { method: 'DELETE', headers: auth })
  t.is(gone.status, 404)
  t.is(((await gone.json()) as { code?: string }).code, 'ERR_RESOLVER_ANCHOR_NOT_FOUND')
})

test('the resolver section takes zone forwarders and resolver limits, and rejects unknown limits naming the field', (t) => {
  const c = parseConfig({ listeners: {}, resolver: { zoneForwarders: [{ zone: 'corp.test', servers: ['127.0.0.1:5300'] }], limits: { maxCacheEntries: 500 } } })
  t.is(c.resolver?.limits?.maxCacheEntries, 500)
  t.throws(() => parseConfig({ listeners: {}, resolver: { forwarders: ['127.0.0.1'], limits: { cacheSize: 5 } } }), { code: 'ERR_SERVER_CONFIG', message: /resolver\.limits/ })
})

test('a server without a trust-anchor file answers the trust-anchor endpoints with 409', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-anchors-'))
  writeFileSync(join(dir, 'token'), TOKEN + '\n')
  chmodSync(join(dir, 'token'), 0o600)
  const s = createDnsServer(parseConfig({ listeners: { admin: { address: '127.0.0.1', port: 0, tokenFile: join(dir, 'token') } } }))
  await s.start()
  t.teardown(() => s.stop())
  const r = await fetch(`http://127.0.0.1:${s.listeners.find((l) => l.kind === 'admin')!.port}/trust-anchors`, { headers: auth })
  t.is(r.status, 409)
})

test('a trust anchor that no longer matches its zone is logged and shown in GET /status; a matching one is secure', async (t) => {
  const lines: string[] = []
  const { dir, rec, base } = await setup(t, lines)
  // Before any anchor: no trust-anchor lines.
  t.deepEqual(((await (await fetch(`${base}/status`, { headers: auth })).json()) as { trustAnchors: unknown[] }).trustAnchors, [])
  // A DS for example.test. that matches none of the zone's keys: stale.
  const stale = 'example.test. 3600 IN DS 61811 13 2 0102DFEA3A358309DF9E91A65CD3D14F0CE1F0517E4F83FE1507AECAACAD7DA5'
  t.is((await fetch(`${base}/trust-anchors`, { method: 'POST', headers: auth, body: JSON.stringify({ records: stale }) })).status, 200)
  const status = await (await fetch(`${base}/status`, { headers: auth })).json() as { zones: unknown[], trustAnchors: { zone: string, state: string, reason?: string, checked: number }[] }
  t.true(Array.isArray(status.zones), 'the usual status is still there')
  t.is(status.trustAnchors.length, 1)
  const a = status.trustAnchors[0]!
  t.deepEqual([a.zone, a.state], ['example.test.', 'bogus'])
  t.regex(a.reason!, /61811/)
  t.true(a.checked > 0)
  t.true(lines.some((l) => l.includes(`trust anchor for example.test.: ${a.reason!}`)), 'the stale anchor is logged with its reason')
  t.is((await ask(rec)).rcode, Rcode.SERVFAIL)
  // Replaced by the zone's real KSK: secure, and the stale line is gone.
  t.is((await fetch(`${base}/trust-anchors/example.test`, { method: 'DELETE', headers: auth })).status, 200)
  t.is((await fetch(`${base}/trust-anchors`, { method: 'POST', headers: auth, body: JSON.stringify({ records: `example.test. 3600 IN DNSKEY ${fixtureKsk()}` }) })).status, 200)
  const fresh = await (await fetch(`${base}/status`, { headers: auth })).json() as { trustAnchors: { zone: string, state: string }[] }
  t.deepEqual(fresh.trustAnchors.map((x) => [x.zone, x.state]), [['example.test.', 'secure']])
  t.true(readFileSync(join(dir, 'TrustAnchors.dns'), 'utf8').includes('DNSKEY'))
})
