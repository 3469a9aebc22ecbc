import test from 'ava'
import { connect } from '../src/client.js'
import { pki, startServer, clientOptions, dnsQuery } from './helpers.js'
import { startRelay } from './relay.js'

test('a client connects, negotiates AES-256-GCM and gets answers matched by id', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p))
  t.is(c.negotiated.transform, 'AES-256-GCM')
  t.is(c.negotiated.keyExchange, 'X25519')
  t.regex(c.negotiated.peer.subject, /dns1\.lab\.test/)
  t.regex(c.negotiated.peer.anchorSubject, /secdns Lab Root CA/)
  const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => c.query(dnsQuery(i))))
  answers.forEach((a, i) => t.is((a[0]! << 8) | a[1]!, i))
  t.is(server.sessions().length, 1)
  t.regex(server.sessions()[0]!.subject, /client1\.lab\.test/)
  await c.close()
})

test('the client refuses a replayed or altered answer record and still takes the next answers', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  let n = 0
  const relay = await startRelay(url, {
    toClient: (f, send) => {
      if (f[0] !== 0) { send(f); return }
      n++
      if (n === 1) { send(f); send(f); return }
      if (n === 2) { const g = Buffer.from(f); g[30]! ^= 1; send(g); return }
      send(f)
    },
  })
  t.teardown(async () => { await relay.close(); await server.close() })
  const c = await connect(relay.url, clientOptions(p, {}, { queryTimeoutMs: 1500 }))
  const errors: string[] = []
  c.on('error', (e: { code: string }) => errors.push(e.code))
  t.is((await c.query(dnsQuery(1)))[1], 1)
  await t.throwsAsync(c.query(dnsQuery(2)), { code: 'ERR_CHANNEL_TIMEOUT' })
  t.is((await c.query(dnsQuery(3)))[1], 3)
  t.deepEqual(errors, ['ERR_CHANNEL_REPLAY', 'ERR_CHANNEL_INTEGRITY'])
  t.is(c.stats.refused.ERR_CHANNEL_REPLAY, 1)
  await c.close()
})

test('connect refuses bad options with ERR_CHANNEL_INVALID_OPTIONS', async (t) => {
  const p = await pki()
  await t.throwsAsync(connect('ws://127.0.0.1:1/', clientOptions(p, { policy: { encryption: 'Ultra' as 'High' } })), { code: 'ERR_CHANNEL_INVALID_OPTIONS' })
  await t.throwsAsync(connect('ws://127.0.0.1:1/', clientOptions(p, { trust: { cas: [] } })), { code: 'ERR_CHANNEL_INVALID_OPTIONS' })
  await t.throwsAsync(connect('ws://127.0.0.1:1/', clientOptions(p, { serverName: '' })), { code: 'ERR_CHANNEL_INVALID_OPTIONS' })
})

test('connect to a port nobody listens on fails with ERR_CHANNEL_CLOSED', async (t) => {
  const p = await pki()
  await t.throwsAsync(connect('ws://127.0.0.1:1/', clientOptions(p)), { code: 'ERR_CHANNEL_CLOSED' })
})

for (const [transform, level] of [['ChaCha20-Poly1305', 'High'], ['AES-128-GCM', 'Medium']] as const) {
  test(`a server that prefers ${transform} gets it from a ${level} client and the records carry queries`, async (t) => {
    const p = await pki()
    const { server, url } = await startServer(p, { rules: { encryption: 'require', transforms: [transform] } })
    t.teardown(() => server.close())
    const c = await connect(url, clientOptions(p, { policy: { encryption: level } }))
    t.is(c.negotiated.transform, transform)
    t.true(c.negotiated.encrypted)
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => c.query(dnsQuery(i))))
    answers.forEach((a, i) => t.is(a[1], i))
    t.is(server.sessions()[0]?.transform, transform)
    await c.close()
  })
}
