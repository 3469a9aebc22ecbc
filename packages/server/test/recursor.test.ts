import test from 'ava'
import { Name, RRType, Rcode, createQuery, decodeMessage, encodeMessage } from '@secdns/wire'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DnsServer } from '../src/server.js'
import { createDnsServer } from '../src/create.js'
import { parseConfig } from '../src/config.js'
import type { Recursor } from '../src/recursor.js'

const asked: string[] = []
const recursor: Recursor = {
  async resolve(q, o) {
    asked.push(`${q.name.toString()} do=${o.dnssecOk} cd=${o.checkingDisabled}`)
    return { rcode: 0, answer: [{ name: q.name, class: 1, ttl: 60, data: { type: RRType.A, address: '198.51.100.7' } }], authority: [], additional: [], authenticated: true }
  },
}
const ask = async (server: DnsServer, rd: boolean, address = '127.0.0.1') => {
  const out = await server.handle(encodeMessage(createQuery(Name.fromString('www.elsewhere.test.'), RRType.A, { rd, dnssecOk: true })), { address, port: 1, transport: 'udp' })
  return decodeMessage(out![0]!)
}

test('recursion is refused by default, even with a recursor', async (t) => {
  const server = new DnsServer(parseConfig({ listeners: {} }), { recursor })
  const r = await ask(server, true)
  t.is(r.rcode, Rcode.REFUSED)
  t.false(r.flags.ra)
})

test('a client in the recursion ACL with RD gets the recursor answer, with RA and AD', async (t) => {
  const server = new DnsServer(parseConfig({ listeners: {}, acl: { recursion: ['127.0.0.0/8'] } }), { recursor })
  const r = await ask(server, true)
  t.is(r.rcode, Rcode.NOERROR)
  t.true(r.flags.ra)
  t.true(r.flags.ad)
  t.is(r.answer.length, 1)
  t.true(asked.includes('www.elsewhere.test. do=true cd=false'))
  t.is((await ask(server, false)).rcode, Rcode.REFUSED)
  t.is((await ask(server, true, '192.0.2.1')).rcode, Rcode.REFUSED)
})

test('configured recursion forwards through @secdns/resolver and validates with our trust anchor (AD)', async (t) => {
  const fixture = fileURLToPath(new URL('../../test/fixtures/example.test.nsec.signed', import.meta.url))
  const auth = new DnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'example.test', type: 'primary', file: fixture }],
  }))
  await auth.start()
  t.teardown(() => auth.stop())
  const port = auth.listeners.find((l) => l.kind === 'udp')!.port
  const ksk = readFileSync(fixture, 'utf8').replace(/\(\s*([^)]*?)\s*\)/g, (_, inner: string) => inner.replace(/\s+/g, ' '))
    .split('\n').find((l) => /DNSKEY\s+257 3 13/.test(l))!.trim().replace(/^.*DNSKEY\s+/, '').replace(/\s*;.*$/, '')
  const dir = mkdtempSync(join(tmpdir(), 'secdns-recursion-'))
  writeFileSync(join(dir, 'TrustAnchors.dns'), `example.test. 3600 IN DNSKEY ${ksk}\n`)
  const rec = createDnsServer(parseConfig({
    listeners: {}, acl: { recursion: ['localhost'] },
    resolver: { forwarders: [`127.0.0.1:${port}`], trustAnchors: join(dir, 'TrustAnchors.dns') },
  }))
  const out = await rec.handle(encodeMessage(createQuery(Name.fromString('www.example.test.'), RRType.A, { rd: true, dnssecOk: true })), { address: '127.0.0.1', port: 1, transport: 'udp' })
  const r = decodeMessage(out![0]!)
  t.is(r.rcode, Rcode.NOERROR)
  t.true(r.flags.ra)
  t.true(r.flags.ad)
  t.true(r.answer.some((x) => x.data.type === RRType.A))
  const nx = decodeMessage((await rec.handle(encodeMessage(createQuery(Name.fromString('nope.example.test.'), RRType.A, { rd: true, dnssecOk: true })), { address: '127.0.0.1', port: 1, transport: 'udp' }))![0]!)
  t.is(nx.rcode, Rcode.NXDOMAIN)
  t.true(nx.flags.ad)
})

test('a resolver section without forwarders or root hints is rejected naming the field', (t) => {
  t.throws(() => parseConfig({ listeners: {}, resolver: {} }), { code: 'ERR_SERVER_CONFIG', message: /resolver\.forwarders: the resolver needs forwarders, zoneForwarders or rootHints/ })
})

test('an Extended DNS Error from the recursor is passed on to EDNS clients', async (t) => {
  const bogus: Recursor = { async resolve() { return { rcode: 2, answer: [], authority: [], additional: [], authenticated: false, ede: { infoCode: 6, text: 'RRSIG over A does not verify' } } } }
  const server = new DnsServer(parseConfig({ listeners: {}, acl: { recursion: ['localhost'] } }), { recursor: bogus })
  const r = await ask(server, true)
  t.is(r.rcode, Rcode.SERVFAIL)
  const ede = r.edns!.options.find((o) => o.code === 15)!
  t.is((ede.data[0]! << 8) | ede.data[1]!, 6)
  t.regex(Buffer.from(ede.data.subarray(2)).toString(), /does not verify/)
})
