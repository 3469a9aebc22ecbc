import test from 'ava'
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { BatchedUdpSocket, nativeUdpStatus, type UdpPeer } from '../src/index.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function client(type: 'udp4' | 'udp6' = 'udp4'): Promise<Socket> {
  const c = createSocket(type)
  c.bind(0, type === 'udp4' ? '127.0.0.1' : '::1')
  await once(c, 'listening')
  c.setRecvBufferSize(4 * 1024 * 1024)
  return c
}

/** Collect what a client receives until `n` datagrams came or `ms` passed. */
function collect(c: Socket, n: number, ms = 3000): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const got: Buffer[] = []
    const done = (): void => { clearTimeout(timer); c.off('message', on); resolve(got) }
    const on = (m: Buffer): void => { got.push(m); if (got.length === n) done() }
    const timer = setTimeout(done, ms)
    c.on('message', on)
  })
}

const echo = (msg: Uint8Array, i: number, s: BatchedUdpSocket): void => { s.reply(i, msg) }

test('the addon is loaded (required under CI)', (t) => {
  const st = nativeUdpStatus()
  if (process.env.SECDNS_NATIVE_UDP === '0') t.is(st.reason, 'disabled by SECDNS_NATIVE_UDP=0')
  else t.true(st.loaded, st.reason)
})

test('a batch of many IPv4 datagrams is answered, each to its own sender', async (t) => {
  const seen: string[] = []
  const s = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0, recvBufferSize: 4 * 1024 * 1024 }, (msg, i, sock) => {
    seen.push(`${sock.addressOf(i)}:${sock.portOf(i)}`)
    sock.reply(i, msg)
  })
  t.teardown(() => s.close())
  const a = await client()
  const b = await client()
  t.teardown(() => { a.close(); b.close() })
  const N = 300
  const gotA = collect(a, N)
  const gotB = collect(b, N)
  for (let i = 0; i < N; i++) {
    a.send(`a${i}`, s.port, '127.0.0.1')
    b.send(`b${i}`, s.port, '127.0.0.1')
  }
  const [ra, rb] = await Promise.all([gotA, gotB])
  t.is(ra.length, N)
  t.is(rb.length, N)
  t.true(ra.every((m) => m.toString().startsWith('a')))
  t.true(rb.every((m) => m.toString().startsWith('b')))
  t.deepEqual(new Set(ra.map(String)).size, N)
  t.true(seen.includes(`127.0.0.1:${a.address().port}`))
  t.true(seen.includes(`127.0.0.1:${b.address().port}`))
  const st = s.stats()
  t.is(st.received, 2 * N)
  t.is(st.sent, 2 * N)
  // Fewer calls into JavaScript than datagrams: that is the point.
  t.true(st.batches < st.received, `batches ${st.batches}, received ${st.received}`)
})

test('IPv6: answers go back to ::1 and a dual-stack socket names IPv4 senders ::ffff:a.b.c.d', async (t) => {
  const from: string[] = []
  const s = BatchedUdpSocket.open({ address: '::1', port: 0 }, (msg, i, sock) => { from.push(sock.addressOf(i)); sock.reply(i, msg) })
  t.teardown(() => s.close())
  t.is(s.family, 6)
  const c = await client('udp6')
  t.teardown(() => c.close())
  const got = collect(c, 1)
  c.send('six', s.port, '::1')
  t.deepEqual((await got).map(String), ['six'])
  t.deepEqual(from, ['::1'])

  const any = BatchedUdpSocket.open({ address: '::', port: 0 }, (msg, i, sock) => { from.push(sock.addressOf(i)); sock.reply(i, msg) })
  t.teardown(() => any.close())
  const c4 = await client('udp4')
  t.teardown(() => c4.close())
  const got4 = collect(c4, 1)
  c4.send('four', any.port, '127.0.0.1')
  t.deepEqual((await got4).map(String), ['four'])
  t.is(from[1], '::ffff:127.0.0.1')

  const only = BatchedUdpSocket.open({ address: '::', port: 0, ipv6Only: true }, echo)
  t.teardown(() => only.close())
  const lost = collect(c4, 1, 300)
  c4.send('four', only.port, '127.0.0.1')
  t.deepEqual(await lost, [])
})

test('empty, largest and truncated datagrams: the first two are handed on whole, a truncated one is skipped', async (t) => {
  const lengths: number[] = []
  const s = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0, recvBufferSize: 1 << 20 }, (msg, i, sock) => {
    lengths.push(msg.length)
    sock.reply(i, msg.length === 65507 ? msg.subarray(0, 4) : msg)
  })
  t.teardown(() => s.close())
  const c = await client()
  t.teardown(() => c.close())
  const got = collect(c, 2)
  c.send(Buffer.alloc(0), s.port, '127.0.0.1')
  const big = Buffer.alloc(65507, 0xab)
  big[65506] = 0xcd
  c.send(big, s.port, '127.0.0.1')
  const r = await got
  t.deepEqual(lengths, [0, 65507])
  t.deepEqual(r.map((m) => m.length), [0, 4])

  const small = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0, maxDatagram: 512 }, echo)
  t.teardown(() => small.close())
  const got2 = collect(c, 1)
  c.send(Buffer.alloc(1000, 1), small.port, '127.0.0.1')
  c.send(Buffer.alloc(512, 2), small.port, '127.0.0.1')
  const r2 = await got2
  t.deepEqual(r2.map((m) => m.length), [512])
  t.is(small.skipped, 1)
  t.is(small.stats().truncated, 1)
})

test('an answer longer than 65535 octets is refused, not sent', async (t) => {
  const s = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0 }, (_msg, i, sock) => { sock.reply(i, new Uint8Array(65536)) })
  t.teardown(() => s.close())
  const c = await client()
  t.teardown(() => c.close())
  const got = collect(c, 1, 300)
  c.send('x', s.port, '127.0.0.1')
  t.deepEqual(await got, [])
  t.is(s.refused, 1)
  t.is(s.stats().sent, 0)
})

test('answers made after the batch (after an await) go out on the next turn', async (t) => {
  const s = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0 }, (msg, i, sock) => {
    const copy = Uint8Array.from(msg)
    const peer: UdpPeer = sock.peerOf(i)
    setTimeout(() => sock.sendTo(copy, peer), 20)
  })
  t.teardown(() => s.close())
  const c = await client()
  t.teardown(() => c.close())
  const got = collect(c, 3)
  for (const m of ['one', 'two', 'three']) c.send(m, s.port, '127.0.0.1')
  t.deepEqual((await got).map(String).sort(), ['one', 'three', 'two'])
})

test('closing inside a batch with datagrams in flight neither crashes nor sends after close', async (t) => {
  let handled = 0
  let late: UdpPeer | undefined
  const s = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0, recvBufferSize: 1 << 20 }, (msg, i, sock) => {
    handled++
    sock.reply(i, msg)
    late = sock.peerOf(i)
    sock.close()
  })
  const c = await client()
  t.teardown(() => c.close())
  const got = collect(c, 200, 500)
  for (let i = 0; i < 200; i++) c.send(`q${i}`, s.port, '127.0.0.1')
  const r = await got
  t.is(handled, 1)
  t.is(r.length, 1)
  t.true(s.closed)
  s.sendTo(new Uint8Array(3), late!)
  t.is(s.refused, 1)
  s.close()
  // The port is free again once the socket closed.
  await sleep(20)
  const again = BatchedUdpSocket.open({ address: '127.0.0.1', port: s.port }, echo)
  again.close()
  t.pass()
})

test('while the kernel says EAGAIN, answers wait in a bounded queue; beyond it they are dropped and counted', async (t) => {
  const s = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0, queueMax: 10, recvBufferSize: 1 << 20 }, echo)
  t.teardown(() => s.close())
  const c = await client()
  t.teardown(() => c.close())
  s.blockSendForTest(true)
  for (let i = 0; i < 30; i++) c.send(`q${i}`, s.port, '127.0.0.1')
  for (let i = 0; i < 50 && s.stats().received < 30; i++) await sleep(10)
  let st = s.stats()
  t.is(st.received, 30)
  t.is(st.queued, 10)
  t.is(st.dropped, 20)
  t.is(st.sent, 0)
  const got = collect(c, 10, 1000)
  s.blockSendForTest(false)
  const r = await got
  t.is(r.length, 10)
  t.deepEqual(r.map(String), Array.from({ length: 10 }, (_, i) => `q${i}`))
  st = s.stats()
  t.is(st.queued, 0)
  t.is(st.sent, 10)
})

test('binding a port in use fails with EADDRINUSE; with reusePort two sockets share it', async (t) => {
  const a = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0 }, echo)
  t.teardown(() => a.close())
  const e = t.throws(() => BatchedUdpSocket.open({ address: '127.0.0.1', port: a.port }, echo))
  t.is((e as Error & { code: string }).code, 'EADDRINUSE')
  t.regex(e!.message, new RegExp(`^bind 127\\.0\\.0\\.1:${a.port}: EADDRINUSE`))
  const r1 = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0, reusePort: true }, echo)
  t.teardown(() => r1.close())
  const r2 = BatchedUdpSocket.open({ address: '127.0.0.1', port: r1.port, reusePort: true }, echo)
  t.teardown(() => r2.close())
  t.is(r2.port, r1.port)
  t.throws(() => BatchedUdpSocket.open({ address: 'localhost', port: 0 }, echo), { code: 'EINVAL', message: 'not an IP address: localhost' })
  t.throws(() => BatchedUdpSocket.open({ address: '127.0.0.1', port: 0, batch: 0 }, echo), { instanceOf: RangeError })
  t.throws(() => BatchedUdpSocket.open({ address: '127.0.0.1', port: 70000 }, echo), { code: 'ERR_OUT_OF_RANGE' })
})

test('random datagrams of any length from 0 to 65507 octets never crash the socket', async (t) => {
  let n = 0
  const s = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0, recvBufferSize: 8 << 20, maxDatagram: 4096 }, (msg, i, sock) => { n++; sock.reply(i, msg.subarray(0, 2)) })
  t.teardown(() => s.close())
  const c = await client()
  t.teardown(() => c.close())
  let seed = 7
  const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 8 }
  const lengths = Array.from({ length: 200 }, (_, i) => i % 20 === 0 ? 65507 - (rnd() % 100) : i === 1 ? 0 : rnd() % 600)
  const longer = lengths.filter((l) => l > 4096).length
  const replies = collect(c, 200 - longer)
  for (const [i, len] of lengths.entries()) {
    const b = Buffer.allocUnsafe(len)
    for (let k = 0; k < len; k++) b[k] = rnd() & 255
    c.send(b, s.port, '127.0.0.1')
    if (i % 50 === 49) await sleep(5)
  }
  t.is((await replies).length, 200 - longer)
  t.is(s.stats().received, 200)
  t.is(s.skipped, longer)
  t.is(n, 200 - longer)
  // Still answering.
  const got = collect(c, 1)
  c.send('ok', s.port, '127.0.0.1')
  t.deepEqual((await got).map(String), ['ok'])
})

test('sockets closed and dropped are collected without harm (finalizer after close, 200 times)', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const c = await client()
  t.teardown(() => c.close())
  for (let k = 0; k < 200; k++) {
    const s = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0, batch: 4 }, echo)
    if (k % 20 === 0) {
      const got = collect(c, 1)
      c.send('x', s.port, '127.0.0.1')
      t.is((await got).length, 1)
    }
    s.close()
    if (k % 50 === 49) { await sleep(5); gc() }
  }
  await sleep(10)
  gc()
  const s = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0 }, echo)
  t.teardown(() => s.close())
  const got = collect(c, 1)
  c.send('still', s.port, '127.0.0.1')
  t.deepEqual((await got).map(String), ['still'])
})
