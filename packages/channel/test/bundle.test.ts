import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { ChannelError } from '../src/errors.js'
import { CoalescingTransport, encodeBundle, splitBundle, KIND_BUNDLE, BUNDLE_MAX_OCTETS } from '../src/bundle.js'
import { connect } from '../src/client.js'
import { pki, startServer, clientOptions, dnsQuery, goodClientAnswers } from './helpers.js'
import { startRelay } from './relay.js'

const frame = (kind: number, n: number, fill = 7) => { const f = Buffer.alloc(n, fill); f[0] = kind; return f }
const parts = (b: Uint8Array) => { const out: Buffer[] = []; splitBundle(b, (f) => out.push(Buffer.from(f))); return out }

test('a bundle carries its frames in order and splits back into them', (t) => {
  const fs = [frame(0, 40, 1), frame(1, 30, 2), frame(0, 1, 3)]
  const b = encodeBundle(fs)
  t.is(b[0], KIND_BUNDLE)
  t.is(b.length, 1 + 3 * 2 + 71)
  t.deepEqual(parts(b), fs)
})

testProp('split∘encode is identity; garbage never throws anything but ChannelError', [
  fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }).filter((f) => f[0] !== KIND_BUNDLE), { maxLength: 20 }),
  fc.uint8Array({ maxLength: 400 }),
], (t, fs, junk) => {
  t.deepEqual(parts(encodeBundle(fs)).map((f) => Buffer.from(f)), fs.map((f) => Buffer.from(f)))
  try { parts(Buffer.concat([Buffer.of(KIND_BUNDLE), junk])) } catch (e) { t.true(e instanceof ChannelError) }
})

test('a length that overruns the bundle is refused with ERR_CHANNEL_TRUNCATED after the frames before it', (t) => {
  const b = Buffer.from(encodeBundle([frame(0, 10), frame(0, 20)]))
  const cut = b.subarray(0, b.length - 1)
  const got: Uint8Array[] = []
  t.throws(() => splitBundle(cut, (f) => got.push(f)), { instanceOf: ChannelError, code: 'ERR_CHANNEL_TRUNCATED', message: 'frame of 20 octets at offset 15 overruns the 34-octet bundle' })
  t.is(got.length, 1)
  t.throws(() => splitBundle(Buffer.of(KIND_BUNDLE, 0), () => {}), { code: 'ERR_CHANNEL_TRUNCATED', message: 'bundle ends inside a length prefix at offset 1' })
})

test('nested and empty frames in a bundle are refused with ERR_CHANNEL_MALFORMED', (t) => {
  const inner = encodeBundle([frame(0, 10), frame(0, 10)])
  const nested = Buffer.concat([Buffer.of(KIND_BUNDLE, 0, inner.length), inner])
  t.throws(() => splitBundle(nested, () => {}), { code: 'ERR_CHANNEL_MALFORMED', message: 'bundle nested in a bundle at offset 3' })
  t.throws(() => splitBundle(Buffer.of(KIND_BUNDLE, 0, 0), () => {}), { code: 'ERR_CHANNEL_MALFORMED', message: 'empty frame in bundle at offset 1' })
  t.throws(() => encodeBundle([inner]), { instanceOf: RangeError })
})

test('the coalescing transport writes one message per turn of the event loop, in order', async (t) => {
  const sent: Uint8Array[] = []
  const tr = new CoalescingTransport({ send: (f) => sent.push(f), close: () => {} })
  tr.send(frame(0, 50, 1)); tr.send(frame(1, 60, 2)); tr.send(frame(0, 50, 3))
  t.is(sent.length, 0)
  await new Promise((r) => setImmediate(r))
  t.is(sent.length, 1)
  t.deepEqual(parts(sent[0]!).map((f) => f[1]), [1, 2, 3])
  tr.send(frame(0, 50, 4))
  await new Promise((r) => setImmediate(r))
  // A lone frame goes out as itself.
  t.is(sent[1]![0], 0)
  t.is(tr.messages, 2)
  t.is(tr.frameCount, 4)
})

test('the coalescing transport never makes a bundle larger than its limit; a large frame travels alone', async (t) => {
  const sent: Uint8Array[] = []
  const tr = new CoalescingTransport({ send: (f) => sent.push(f), close: () => {} }, 4096)
  for (let i = 0; i < 20; i++) tr.send(frame(0, 1000))
  tr.send(frame(0, BUNDLE_MAX_OCTETS + 10))
  tr.send(frame(0, 100))
  await new Promise((r) => setImmediate(r))
  t.true(sent.every((f) => f.length <= 4096 || f[0] === 0))
  t.is(sent.filter((f) => f[0] === 0 && f.length === BUNDLE_MAX_OCTETS + 10).length, 1)
  t.is(sent.reduce((n, f) => n + (f[0] === KIND_BUNDLE ? parts(f).length : 1), 0), 22)
})

test('closing the coalescing transport writes what it holds first', (t) => {
  const log: string[] = []
  const tr = new CoalescingTransport({ send: () => log.push('send'), close: (code) => log.push(`close ${code}`) })
  tr.send(frame(0, 10))
  tr.close(1000)
  t.deepEqual(log, ['send', 'close 1000'])
  t.throws(() => tr.send(frame(0, 10)), { code: 'ERR_CHANNEL_CLOSED' })
})

test('queries in flight together travel in bundles and are each answered once', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p))
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => c.query(dnsQuery(i))))
  t.deepEqual(answers.map((a) => (a[0]! << 8) | a[1]!), Array.from({ length: 200 }, (_, i) => i))
  t.is(server.stats.queries, 200)
  const bundles = (c as unknown as { session: { transport: CoalescingTransport } }).session.transport.messages
  t.true(bundles < 20, `${bundles} WebSocket messages for 200 queries`)
  await c.close()
})

test('a cut bundle from a man in the middle is refused with ERR_CHANNEL_TRUNCATED and counted; the channel goes on', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  let cut = false
  const relay = await startRelay(url, {
    toServer: (f, send) => {
      // Re-bundle the first record with a second copy whose length runs past the end.
      if (f[0] === 0 && !cut) {
        cut = true
        const b = Buffer.from(encodeBundle([f, f]))
        send(b.subarray(0, b.length - 5))
        return
      }
      send(f)
    },
  })
  t.teardown(() => relay.close())
  const c = await connect(relay.url, clientOptions(p))
  t.is((await c.query(dnsQuery(1)))[1], 1)
  t.is(server.stats.refused.ERR_CHANNEL_TRUNCATED, 1)
  t.is((await c.query(dnsQuery(2)))[1], 2)
  await c.close()
  t.true(await goodClientAnswers(url, p))
})

test('bundles stay within the peer\'s maxMessageOctets, which each end tells the other in AUTH', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p, { limits: { maxMessageOctets: 4096 } })
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p))
  // 200 queries at once would make 32 KiB bundles; this server takes 4 KiB messages.
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => c.query(dnsQuery(i))))
  t.is(answers.length, 200)
  t.deepEqual(server.stats.refused, {})
  const messages = (c as unknown as { session: { transport: CoalescingTransport } }).session.transport.messages
  t.true(messages >= 200 * 60 / 4096, `${messages} messages`)
  await c.close()
})
