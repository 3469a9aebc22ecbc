// End-to-end attacks on a live server over real WebSockets on 127.0.0.1. Each ends with
// the exact refusal code, a counter, and a good client that still gets answers.
import test from 'ava'
import { WebSocket } from 'ws'
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createChannelServer } from '../src/server.js'
import { connect } from '../src/client.js'
import { Initiator } from '../src/handshake.js'
import { loadIdentity } from '../src/auth.js'
import { ChannelError } from '../src/errors.js'
import { pki, startServer, clientOptions, dnsQuery, goodClientAnswers, ident, now, echo } from './helpers.js'
import { startRelay, type Send } from './relay.js'

const isRecord = (f: Buffer) => f[0] === 0

async function setup(t: import('ava').ExecutionContext, serverOver: Parameters<typeof startServer>[1] = {}, hooks: Parameters<typeof startRelay>[1] = {}) {
  const p = await pki()
  const s = await startServer(p, serverOver)
  const relay = await startRelay(s.url, hooks)
  t.teardown(async () => { await relay.close(); await s.server.close() })
  return { p, ...s, relay }
}

test('a replayed record is refused with ERR_CHANNEL_REPLAY and counted; the channel goes on', async (t) => {
  let done = false
  const { p, server, url, relay } = await setup(t, {}, {
    toServer: (f, send) => { send(f); if (isRecord(f) && !done) { done = true; send(f) } },
  })
  const c = await connect(relay.url, clientOptions(p))
  const a = await c.query(dnsQuery(1))
  t.is(a[1], 1)
  t.is((await c.query(dnsQuery(2)))[1], 2)
  t.is(server.stats.refused.ERR_CHANNEL_REPLAY, 1)
  t.is(server.stats.queries, 2)
  await c.close()
  t.true(await goodClientAnswers(url, p))
})

test('a record held back until it falls left of the window is refused as a replay', async (t) => {
  let held: Buffer | undefined
  let sendHeld: Send | undefined
  let n = 0
  const { p, server, url, relay } = await setup(t, { limits: { replayWindow: 32 } }, {
    toServer: (f, send) => {
      if (!isRecord(f)) { send(f); return }
      n++
      if (n === 1) { held = f; sendHeld = send; return }
      send(f)
      if (n === 40) sendHeld!(held!)
    },
  })
  const c = await connect(relay.url, clientOptions(p, {}, { queryTimeoutMs: 1500 }))
  const first = c.query(dnsQuery(1000))
  for (let i = 0; i < 39; i++) await c.query(dnsQuery(i))
  await t.throwsAsync(first, { code: 'ERR_CHANNEL_TIMEOUT' })
  t.is(server.stats.refused.ERR_CHANNEL_REPLAY, 1)
  await c.close()
  t.true(await goodClientAnswers(url, p))
})

test('records reordered inside the window are each accepted once', async (t) => {
  const held: Buffer[] = []
  const { p, server, relay } = await setup(t, {}, {
    toServer: (f, send) => {
      if (!isRecord(f) || held.length >= 8) { send(f); return }
      held.push(f)
      if (held.length === 8) for (const h of [...held].reverse()) send(h)
    },
  })
  const c = await connect(relay.url, clientOptions(p))
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => c.query(dnsQuery(i))))
  answers.forEach((a, i) => t.is(a[1], i))
  t.deepEqual(server.stats.refused, {})
  await c.close()
})

for (const [what, mutate, code] of [
  ['a flipped bit in the payload', (f: Buffer) => { const g = Buffer.from(f); g[25]! ^= 1; return g }, 'ERR_CHANNEL_INTEGRITY'],
  ['a flipped bit in the ICV', (f: Buffer) => { const g = Buffer.from(f); g[g.length - 1]! ^= 0x80; return g }, 'ERR_CHANNEL_INTEGRITY'],
  ['a record truncated inside its payload', (f: Buffer) => f.subarray(0, f.length - 5), 'ERR_CHANNEL_INTEGRITY'],
  ['a record truncated inside its header', (f: Buffer) => f.subarray(0, 12), 'ERR_CHANNEL_TRUNCATED'],
  ['a record with a wrong SPI', (f: Buffer) => { const g = Buffer.from(f); g[2]! ^= 0xff; return g }, 'ERR_CHANNEL_BAD_SPI'],
] as const) {
  test(`${what} is refused with ${code}, counted, and the next query is answered`, async (t) => {
    let done = false
    const { p, server, url, relay } = await setup(t, {}, {
      toServer: (f, send) => { if (isRecord(f) && !done) { done = true; send(mutate(f)); return } send(f) },
    })
    const c = await connect(relay.url, clientOptions(p, {}, { queryTimeoutMs: 1500 }))
    await t.throwsAsync(c.query(dnsQuery(1)), { code: 'ERR_CHANNEL_TIMEOUT' })
    t.is((await c.query(dnsQuery(2)))[1], 2)
    t.is(server.stats.refused[code], 1)
    await c.close()
    t.true(await goodClientAnswers(url, p))
  })
}

test('a client whose certificate comes from another CA is refused as an untrusted peer on both ends', async (t) => {
  const { p, server, url } = await setup(t)
  const e = await t.throwsAsync<ChannelError>(connect(url, clientOptions(p, { identity: ident(p.otherClient) })), { code: 'ERR_CHANNEL_UNTRUSTED_PEER' })
  t.truthy(e)
  const refused: ChannelError[] = []
  server.on('refused', (err: ChannelError) => refused.push(err))
  await t.throwsAsync(connect(url, clientOptions(p, { identity: ident(p.otherClient) })), { code: 'ERR_CHANNEL_UNTRUSTED_PEER' })
  t.is(server.stats.refused.ERR_CHANNEL_UNTRUSTED_PEER, 2)
  t.is(refused[0]?.pkiCode, 'ERR_PKI_UNTRUSTED')
  t.true(await goodClientAnswers(url, p))
})

test('an expired client certificate is refused with ERR_CHANNEL_PEER_EXPIRED', async (t) => {
  const { p, server, url } = await setup(t)
  await t.throwsAsync(connect(url, clientOptions(p, { identity: ident(p.expiredClient) })), { code: 'ERR_CHANNEL_PEER_EXPIRED' })
  t.is(server.stats.refused.ERR_CHANNEL_PEER_EXPIRED, 1)
  t.true(await goodClientAnswers(url, p))
})

test('a revoked client certificate is refused with ERR_CHANNEL_PEER_REVOKED', async (t) => {
  const { p, server, url } = await setup(t)
  await t.throwsAsync(connect(url, clientOptions(p, { identity: ident(p.revokedClient) })), { code: 'ERR_CHANNEL_PEER_REVOKED' })
  t.is(server.stats.refused.ERR_CHANNEL_PEER_REVOKED, 1)
  t.true(await goodClientAnswers(url, p))
})

test('a server certificate without the DNS Server Trust EKU is refused by the client and reported to the server', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p, { identity: ident(p.clientAsServer) })
  t.teardown(() => server.close())
  const reported = new Promise((r) => server.once('peer-refused', r))
  const e = await t.throwsAsync<ChannelError>(connect(url, clientOptions(p)), { code: 'ERR_CHANNEL_PEER_PURPOSE' })
  t.is(e?.pkiCode, 'ERR_PKI_WRONG_PURPOSE')
  await reported
  t.is(server.stats.peerRefused.ERR_CHANNEL_PEER_PURPOSE, 1)
})

test('a server certificate for another name is refused with ERR_CHANNEL_PEER_NAME', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p, { identity: ident(p.wrongName) })
  t.teardown(() => server.close())
  const reported = new Promise((r) => server.once('peer-refused', r))
  const e = await t.throwsAsync<ChannelError>(connect(url, clientOptions(p)), { code: 'ERR_CHANNEL_PEER_NAME' })
  t.is(e?.pkiCode, 'ERR_PKI_NAME_MISMATCH')
  await reported
  t.is(server.stats.peerRefused.ERR_CHANNEL_PEER_NAME, 1)
})

test('a server certificate from a CA the client does not trust is refused', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p, { identity: ident(p.otherServer) })
  t.teardown(() => server.close())
  await t.throwsAsync(connect(url, clientOptions(p)), { code: 'ERR_CHANNEL_UNTRUSTED_PEER' })
})

function rawInit(url: string, p: Awaited<ReturnType<typeof pki>>): Promise<{ ws: WebSocket; first: Promise<Buffer>; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    const hs = new Initiator({ identity: loadIdentity(ident(p.client)), trust: { cas: [p.root.certPem] }, serverName: 'dns1.lab.test', level: 'High', now })
    const first = new Promise<Buffer>((r) => ws.once('message', (d: Buffer) => r(d)))
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    ws.once('open', () => { ws.send(hs.start()); resolve({ ws, first, closed }) })
    ws.once('unexpected-response', (_q, res) => reject(new ChannelError(res.statusCode === 429 ? 'ERR_CHANNEL_RATE_LIMITED' : 'ERR_CHANNEL_BUSY', String(res.statusCode))))
    ws.once('error', () => {})
  })
}

test('a client that never finishes the handshake is cut off with ERR_CHANNEL_TIMEOUT', async (t) => {
  const { p, server, url } = await setup(t, { limits: { handshakeTimeoutMs: 3000 } })
  const r = await rawInit(url, p)
  t.is(await r.closed, 4008)
  t.is(server.stats.refused.ERR_CHANNEL_TIMEOUT, 1)
  t.is(server.stats.halfOpen, 0)
  t.true(await goodClientAnswers(url, p))
})

test('a handshake flood from one source meets cookies, then the per-source limit', async (t) => {
  const { p, server, url } = await setup(t, { limits: { handshakeTimeoutMs: 20_000, cookieThreshold: 2, maxHalfOpenPerSource: 4 } })
  const flood = []
  for (let i = 0; i < 4; i++) flood.push(await rawInit(url, p))
  const replies = await Promise.all(flood.map((f) => f.first))
  // Past two half-open handshakes the server answers INIT with a COOKIE notify only.
  t.true(replies.some((r) => r.length < 80 && r.includes(Buffer.from([0x40, 0x06]))))
  t.true(server.stats.cookiesSent >= 1)
  await t.throwsAsync(rawInit(url, p), { code: 'ERR_CHANNEL_RATE_LIMITED' })
  await t.throwsAsync(connect(url, clientOptions(p)), { code: 'ERR_CHANNEL_RATE_LIMITED' })
  t.is(server.stats.refused.ERR_CHANNEL_RATE_LIMITED, 2)
  for (const f of flood) f.ws.terminate()
  await Promise.all(flood.map((f) => f.closed))
  while (server.stats.halfOpen > 0) await new Promise((r) => setTimeout(r, 10))
  t.true(await goodClientAnswers(url, p))
})

test('past the server-wide half-open limit new connections get ERR_CHANNEL_BUSY until handshakes end', async (t) => {
  const { p, server, url } = await setup(t, { limits: { handshakeTimeoutMs: 20_000, maxHalfOpen: 2, maxHalfOpenPerSource: 10 } })
  const open = [await rawInit(url, p), await rawInit(url, p)]
  await Promise.all(open.map((f) => f.first))
  await t.throwsAsync(connect(url, clientOptions(p)), { code: 'ERR_CHANNEL_BUSY' })
  t.is(server.stats.refused.ERR_CHANNEL_BUSY, 1)
  for (const f of open) f.ws.terminate()
  await Promise.all(open.map((f) => f.closed))
  while (server.stats.halfOpen > 0) await new Promise((r) => setTimeout(r, 10))
  t.true(await goodClientAnswers(url, p))
})

test('a good client passes the cookie exchange while the server is under load', async (t) => {
  const { p, server, url } = await setup(t, { limits: { handshakeTimeoutMs: 20_000, cookieThreshold: 1, maxHalfOpenPerSource: 10 } })
  const flood = [await rawInit(url, p), await rawInit(url, p)]
  await Promise.all(flood.map((f) => f.first))
  const before = server.stats.cookiesSent
  t.true(await goodClientAnswers(url, p))
  t.true(server.stats.cookiesSent > before)
  for (const f of flood) f.ws.terminate()
})

test('random bytes and oversized messages are refused without stopping the server', async (t) => {
  const { p, server, url } = await setup(t, { limits: { maxMessageOctets: 4096 } })
  const ws = new WebSocket(url, { perMessageDeflate: false })
  await new Promise((r) => ws.once('open', r))
  const closed = new Promise<number>((r) => ws.once('close', (c) => r(c)))
  ws.send(Buffer.from([1, 2, 3, 4, 5, 6, 7]))
  t.is(await closed, 1002)
  t.is(server.stats.refused.ERR_CHANNEL_TRUNCATED, 1)
  const ws2 = new WebSocket(url, { perMessageDeflate: false })
  ws2.on('error', () => {})
  await new Promise((r) => ws2.once('open', r))
  const closed2 = new Promise<number>((r) => ws2.once('close', (c) => r(c)))
  ws2.send(Buffer.alloc(5000))
  t.is(await closed2, 1009)
  t.is(server.stats.refused.ERR_CHANNEL_TOO_BIG, 1)
  t.true(await goodClientAnswers(url, p))
})

test('the server lists sessions and forgets them after an explicit delete', async (t) => {
  const { p, server, url } = await setup(t)
  const c = await connect(url, clientOptions(p))
  const [s] = server.sessions()
  t.is(s?.transform, 'AES-256-GCM')
  t.is(s?.spis.outbound, c.negotiated.spis.inbound)
  t.is(s?.spis.inbound, c.negotiated.spis.outbound)
  await c.close()
  await new Promise((r) => setTimeout(r, 50))
  t.is(server.sessions().length, 0)
  t.is(server.stats.active, 0)
})

test('a handler that throws gets a SERVFAIL answer and the server goes on', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p, { handler: async () => { throw new Error('boom') } })
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p))
  const a = await c.query(dnsQuery(77))
  t.is(a[1], 77)
  t.is(a[3]! & 0x0f, 2)
  t.is(server.stats.handlerErrors, 1)
  await c.close()
})

test('a server attached to an existing http server answers on its path only', async (t) => {
  const p = await pki()
  const http = createServer((_q, r) => { r.end('hello') })
  const server = createChannelServer({ identity: ident(p.server), trust: { cas: [p.root.certPem] }, rules: { encryption: 'require' }, handler: echo, now })
  server.attach(http, '/dns')
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  t.teardown(async () => { await server.close(); http.closeAllConnections(); await new Promise((r) => http.close(r)) })
  const port = (http.address() as AddressInfo).port
  t.true(await goodClientAnswers(`ws://127.0.0.1:${port}/dns`, p))
  await t.throwsAsync(connect(`ws://127.0.0.1:${port}/other`, clientOptions(p)), { code: 'ERR_CHANNEL_PROTOCOL' })
})

test('random frames sent on an established channel are refused and counted, and the channel goes on', async (t) => {
  let inject: ((f: Uint8Array) => void) | undefined
  const { p, server, relay } = await setup(t, {}, { toServer: (f, send) => { inject = send; send(f) } })
  const c = await connect(relay.url, clientOptions(p))
  const junk = [Buffer.from([0]), Buffer.from([0, 1, 2, 3, 4, 5]), Buffer.from([1, 2, 3]), Buffer.from([9, 9, 9]), Buffer.alloc(0), Buffer.alloc(60, 0xff)]
  for (const j of junk) inject!(j)
  t.is((await c.query(dnsQuery(5)))[1], 5)
  const refused = Object.values(server.stats.refused).reduce((a, b) => a + (b ?? 0), 0)
  t.is(refused, junk.length)
  await c.close()
})

test('a server certificate from an intermediate CA is accepted when the server sends the chain', async (t) => {
  const p = await pki()
  const { createIntermediateCa, issueCertificate } = await import('@secdns/pki')
  const inter = await createIntermediateCa(p.root, { name: 'secdns Lab Issuing CA', now: new Date(Date.UTC(2025, 1, 1)), days: 1000 })
  const leaf = await issueCertificate(inter, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], now: new Date(Date.UTC(2025, 6, 1)) })
  const withChain = await startServer(p, { identity: { certPem: leaf.certPem, privateKey: leaf.privateKey!, chainPem: inter.certPem } })
  const without = await startServer(p, { identity: { certPem: leaf.certPem, privateKey: leaf.privateKey! } })
  t.teardown(async () => { await withChain.server.close(); await without.server.close() })
  const c = await connect(withChain.url, clientOptions(p))
  t.regex(c.negotiated.peer.issuer, /secdns Lab Issuing CA/)
  t.regex(c.negotiated.peer.anchorSubject, /secdns Lab Root CA/)
  await c.close()
  await t.throwsAsync(connect(without.url, clientOptions(p)), { code: 'ERR_CHANNEL_UNTRUSTED_PEER' })
})

test('the server never agrees to permessage-deflate, even when a client offers it', async (t) => {
  const { server, url } = await setup(t)
  const ws = new WebSocket(url, { perMessageDeflate: true })
  await new Promise((r) => ws.once('open', r))
  t.is(ws.extensions, '')
  ws.terminate()
  t.is(server.stats.connections, 1)
})

test('a server attached to an https server serves wss:// with the same CAs checking TLS', async (t) => {
  const p = await pki()
  const { issueCertificate } = await import('@secdns/pki')
  // TLS checks dates on the real clock, the channel on the injected one: valid at both.
  const srv = await issueCertificate(p.root, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], notBefore: new Date(Date.UTC(2025, 11, 1)), notAfter: new Date(Date.now() + 30 * 86_400_000) })
  const https = createHttpsServer({ cert: srv.certPem, key: srv.keyPem! }, (_q, r) => { r.writeHead(426).end() })
  const server = createChannelServer({ identity: ident(srv), trust: { cas: [p.root.certPem] }, rules: { encryption: 'require' }, handler: echo, now })
  server.attach(https, '/dns')
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r))
  t.teardown(async () => { await server.close(); https.closeAllConnections(); await new Promise((r) => https.close(r)) })
  const port = (https.address() as AddressInfo).port
  const c = await connect(`wss://127.0.0.1:${port}/dns`, clientOptions(p))
  t.is((await c.query(dnsQuery(11)))[1], 11)
  t.is(c.negotiated.transform, 'AES-256-GCM')
  await c.close()
  await t.throwsAsync(connect(`wss://127.0.0.1:${port}/dns`, clientOptions(p, { trust: { cas: [p.otherRoot.certPem] } })), { code: 'ERR_CHANNEL_CLOSED' })
})
