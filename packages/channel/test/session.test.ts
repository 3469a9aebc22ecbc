// Established channels: rekeying under load, liveness checks, idle timeouts, id matching.
import test from 'ava'
import { connect } from '../src/client.js'
import { pki, startServer, clientOptions, dnsQuery, goodClientAnswers } from './helpers.js'
import { startRelay } from './relay.js'

test('10,000 queries across forced rekeys arrive once each, none lost or duplicated', async (t) => {
  const p = await pki()
  const limits = { saMaxPackets: 300 }
  const { server, url } = await startServer(p, { limits })
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p, {}, limits))
  const seen = new Map<number, number>()
  let next = 0
  const total = 10_000
  async function worker(): Promise<void> {
    while (next < total) {
      const n = next++
      const a = await c.query(dnsQuery(n & 0xffff, `q${n}.example.test`))
      const id = (a[0]! << 8) | a[1]!
      t.is(id, n & 0xffff)
      // The name in the answer says which query it answers.
      const name = Buffer.from(a.subarray(13, 13 + a[12]!)).toString()
      t.is(name, `q${n}`)
      seen.set(n, (seen.get(n) ?? 0) + 1)
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker))
  t.is(seen.size, total)
  t.true([...seen.values()].every((v) => v === 1))
  t.true(c.stats.rekeys >= 30, `only ${c.stats.rekeys} rekeys`)
  t.is(server.stats.rekeys, c.stats.rekeys)
  t.deepEqual(server.stats.refused, {})
  t.deepEqual(c.stats.refused, {})
  t.is(server.stats.queries, total)
  // After the last rekey the server dropped old inbound SAs on DELETE.
  await c.ping()
  t.true(server.sessions()[0]!.rekeys >= 30)
  await c.close()
})

test('10,000 queries while both ends rekey child SAs (at once, too) and the IKE SA is rekeyed: none lost or duplicated', async (t) => {
  const p = await pki()
  // Both ends spend their budgets at about the same time, so both start rekeys and some cross.
  const { server, url } = await startServer(p, { limits: { saMaxPackets: 200 } })
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p, {}, { saMaxPackets: 200, ikeSaMaxMessages: 24 }))
  const firstIke = c.negotiated.ikeSpis
  const seen = new Map<number, number>()
  let next = 0
  const total = 10_000
  async function worker(): Promise<void> {
    while (next < total) {
      const n = next++
      const a = await c.query(dnsQuery(n & 0xffff, `q${n}.example.test`))
      t.is(Buffer.from(a.subarray(13, 13 + a[12]!)).toString(), `q${n}`)
      seen.set(n, (seen.get(n) ?? 0) + 1)
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker))
  t.is(seen.size, total)
  t.true([...seen.values()].every((v) => v === 1))
  t.is(server.stats.queries, total)
  await c.ping()
  const s = server.sessions()[0]!
  t.log(`child rekeys ${c.stats.rekeys} (client started ${c.stats.rekeysInitiated}, server ${s.rekeysInitiated}, crossed ${c.stats.collisions}); IKE SA rekeys ${c.stats.ikeRekeys}`)
  t.true(c.stats.rekeysInitiated > 0 && s.rekeysInitiated > 0, 'both ends started rekeys')
  // Equal budgets: the server notices its inbound budget on the same record the client
  // starts its rekey after, so the two requests cross.
  t.true(c.stats.collisions >= 10, `only ${c.stats.collisions} simultaneous rekeys`)
  t.true(c.stats.rekeys >= 40, `only ${c.stats.rekeys} rekeys`)
  t.is(s.rekeys, c.stats.rekeys)
  t.is(s.collisions, c.stats.collisions)
  t.true(c.stats.ikeRekeys >= 3, `only ${c.stats.ikeRekeys} IKE SA rekeys`)
  t.is(server.stats.ikeRekeys, c.stats.ikeRekeys)
  t.notDeepEqual(c.negotiated.ikeSpis, firstIke)
  t.deepEqual(s.ikeSpis, c.negotiated.ikeSpis)
  t.deepEqual(server.stats.refused, {})
  t.deepEqual(c.stats.refused, {})
  await c.close()
})

test('10,000 queries while the server rekeys the IKE SA by itself (the client never does) and both ends rekey child SAs: none lost or duplicated', async (t) => {
  const p = await pki()
  // Only the server's IKE SA budget is small: every IKE SA rekey is the server's.
  const { server, url } = await startServer(p, { limits: { saMaxPackets: 200, ikeSaMaxMessages: 24 } })
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p, {}, { saMaxPackets: 200, ikeSaMaxMessages: 1_000_000 }))
  const firstIke = c.negotiated.ikeSpis
  const seen = new Map<number, number>()
  let next = 0
  const total = 10_000
  async function worker(): Promise<void> {
    while (next < total) {
      const n = next++
      const a = await c.query(dnsQuery(n & 0xffff, `q${n}.example.test`))
      t.is(Buffer.from(a.subarray(13, 13 + a[12]!)).toString(), `q${n}`)
      seen.set(n, (seen.get(n) ?? 0) + 1)
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker))
  t.is(seen.size, total)
  t.true([...seen.values()].every((v) => v === 1))
  t.is(server.stats.queries, total)
  await c.ping()
  const s = server.sessions()[0]!
  t.log(`IKE SA rekeys ${c.stats.ikeRekeys} (server started ${s.ikeRekeysInitiated}); child rekeys ${c.stats.rekeys}`)
  t.true(s.ikeRekeysInitiated >= 3, `only ${s.ikeRekeysInitiated} IKE SA rekeys by the server`)
  t.is(c.stats.ikeRekeysInitiated, 0)
  t.is(c.stats.ikeRekeys, s.ikeRekeysInitiated)
  t.is(server.stats.ikeRekeys, c.stats.ikeRekeys)
  t.true(c.stats.rekeys >= 40, `only ${c.stats.rekeys} rekeys`)
  t.notDeepEqual(c.negotiated.ikeSpis, firstIke)
  t.deepEqual(s.ikeSpis, c.negotiated.ikeSpis)
  t.deepEqual(server.stats.refused, {})
  t.deepEqual(c.stats.refused, {})
  await c.close()
})

test('a message of a rekeyed-away IKE SA replayed by a man in the middle is refused with ERR_CHANNEL_BAD_SPI', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  const ikeRequests: Buffer[] = []
  let inject: ((f: Uint8Array) => void) | undefined
  const relay = await startRelay(url, { toServer: (f, send) => { inject = send; if (f[0] === 1) ikeRequests.push(f); send(f) } })
  t.teardown(() => relay.close())
  const c = await connect(relay.url, clientOptions(p))
  await c.ping()
  const oldPing = ikeRequests.at(-1)!
  const rekeyed = new Promise((r) => c.once('ike-rekey', r))
  c.rekeyIke()
  await rekeyed
  await c.ping()                              // the old IKE SA's DELETE has been answered by now
  inject!(oldPing)
  await c.ping()
  t.is(server.stats.refused.ERR_CHANNEL_BAD_SPI, 1)
  t.is(server.stats.ikeRekeys, 1)
  t.is((await c.query(dnsQuery(5)))[1], 5)
  await c.close()
  t.true(await goodClientAnswers(url, p))
})

test('a rekey gives new SPIs and keeps queries flowing', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p))
  const before = c.negotiated.spis
  const rekeyed = new Promise<{ oldSpis: unknown; newSpis: { inbound: number; outbound: number } }>((r) => c.once('rekey', r))
  const inflight = Array.from({ length: 20 }, (_, i) => c.query(dnsQuery(i)))
  c.rekey()
  const after = await rekeyed
  t.notDeepEqual(after.newSpis, before)
  const answers = await Promise.all([...inflight, ...Array.from({ length: 20 }, (_, i) => c.query(dnsQuery(100 + i)))])
  t.is(answers.length, 40)
  t.deepEqual(c.negotiated.spis, after.newSpis)
  await c.close()
})

test('queries with the same DNS id in flight get distinct wire ids and their own answers', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p))
  const names = ['a.test', 'b.test', 'c.test']
  const answers = await Promise.all(names.map((n) => c.query(dnsQuery(7, n))))
  answers.forEach((a, i) => {
    t.is((a[0]! << 8) | a[1]!, 7)
    t.is(Buffer.from(a.subarray(13, 14)).toString(), names[i]![0])
  })
  await c.close()
})

test('a peer that stops answering liveness checks ends the channel with ERR_CHANNEL_TIMEOUT', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  let blackhole = false
  const relay = await startRelay(url, { toClient: (f, send) => { if (!blackhole) send(f) } })
  t.teardown(async () => { await relay.close(); await server.close() })
  // Wide enough that a loaded machine does not time out the first query by itself.
  const c = await connect(relay.url, clientOptions(p, {}, { dpdIntervalMs: 500, dpdTimeoutMs: 1000 }))
  const closed = new Promise<{ code: number; error?: { code: string } }>((r) => c.once('close', r))
  await c.query(dnsQuery(1))
  blackhole = true
  const ev = await closed
  t.is(ev.error?.code, 'ERR_CHANNEL_TIMEOUT')
  t.is(c.stats.refused.ERR_CHANNEL_TIMEOUT, 1)
  await t.throwsAsync(c.query(dnsQuery(2)), { code: 'ERR_CHANNEL_TIMEOUT' })
  t.true(await goodClientAnswers(url, p))
})

test('liveness checks keep a quiet channel open', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p, { limits: { idleTimeoutMs: 3000 } })
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p, {}, { dpdIntervalMs: 100 }))
  await new Promise((r) => setTimeout(r, 4000))
  t.is((await c.query(dnsQuery(3)))[1], 3)
  t.deepEqual(server.stats.refused, {})
  await c.close()
})

test('the server closes a channel idle past its limit with ERR_CHANNEL_TIMEOUT', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p, { limits: { idleTimeoutMs: 200 } })
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p, {}, { dpdIntervalMs: 60_000 }))
  const closed = new Promise<{ code: number; error?: { code: string } }>((r) => c.once('close', r))
  const ev = await closed
  t.is(ev.error?.code, 'ERR_CHANNEL_TIMEOUT')
  t.is(server.stats.refused.ERR_CHANNEL_TIMEOUT, 1)
})

test('queries larger than a DNS message or shorter than its header are refused locally', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p))
  await t.throwsAsync(c.query(new Uint8Array(70_000)), { code: 'ERR_CHANNEL_TOO_BIG' })
  await t.throwsAsync(c.query(new Uint8Array(5)), { code: 'ERR_CHANNEL_MALFORMED' })
  await c.close()
  await t.throwsAsync(c.query(dnsQuery(1)), { code: 'ERR_CHANNEL_CLOSED' })
})

test('a server with a smaller packet budget than the client rekeys by itself and loses nothing', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p, { limits: { saMaxPackets: 40 } })
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p))
  const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => c.query(dnsQuery(i))))
  answers.forEach((a, i) => t.is((a[0]! << 8) | a[1]!, i))
  t.true(server.stats.rekeys >= 5)
  t.true(server.sessions()[0]!.rekeysInitiated >= 5)
  t.is(c.stats.rekeysInitiated, 0)
  t.deepEqual(server.stats.refused, {})
  await c.close()
})

test('a byte budget and a lifetime each trigger a rekey', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  const bytes = await connect(url, clientOptions(p, {}, { saMaxBytes: 4000 }))
  const big = Buffer.alloc(500); big.writeUInt16BE(0x0100, 2)
  for (let i = 0; i < 20; i++) { big.writeUInt16BE(i, 0); await bytes.query(big) }
  t.true(bytes.stats.rekeys >= 2)
  await bytes.close()
  const life = await connect(url, clientOptions(p, {}, { saLifetimeMs: 300, dpdIntervalMs: 100 }))
  await new Promise((r) => life.once('rekey', r))
  t.is((await life.query(dnsQuery(9)))[1], 9)
  await life.close()
})
