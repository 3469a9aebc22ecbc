import test from 'ava'
import { testProp, fc } from '@fast-check/ava'
import { TcpFrameReader, frameTcp } from '../src/tcp.js'

const msg = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

test('frames a message with its two-octet length', (t) => {
  t.deepEqual([...frameTcp(msg(12, 1)).subarray(0, 3)], [0, 12, 1])
  t.throws(() => frameTcp(new Uint8Array(65536)), { code: 'ERR_WIRE_MESSAGE_TOO_LARGE' })
})

test('reassembles messages split and joined across chunks', (t) => {
  const r = new TcpFrameReader()
  const stream = new Uint8Array([...frameTcp(msg(12, 1)), ...frameTcp(msg(300, 2)), ...frameTcp(msg(13, 3))])
  t.deepEqual(r.push(stream.subarray(0, 1)), [])
  const a = r.push(stream.subarray(1, 20))
  t.is(a.length, 1)
  t.deepEqual(a[0], msg(12, 1))
  const b = r.push(stream.subarray(20))
  t.deepEqual(b, [msg(300, 2), msg(13, 3)])
  t.is(r.pending, 0)
})

test('rejects a frame shorter than a DNS header', (t) => {
  t.throws(() => new TcpFrameReader().push(Uint8Array.of(0, 5, 1, 2, 3, 4, 5)), { code: 'ERR_WIRE_FRAME' })
})

testProp('any chunking yields the same messages', [fc.array(fc.integer({ min: 12, max: 600 }), { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 })], (t, sizes, cuts) => {
  const msgs = sizes.map((n, i) => msg(n, i + 1))
  const stream = new Uint8Array(msgs.reduce((a, m) => a + m.length + 2, 0))
  let o = 0
  for (const m of msgs) { stream.set(frameTcp(m), o); o += m.length + 2 }
  const r = new TcpFrameReader()
  const got: Uint8Array[] = []
  let p = 0, i = 0
  while (p < stream.length) {
    const n = cuts[i++ % cuts.length]!
    got.push(...r.push(stream.subarray(p, p + n)))
    p += n
  }
  t.deepEqual(got, msgs)
}, { numRuns: 200 })
