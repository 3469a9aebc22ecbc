import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { ChannelError } from '../src/errors.js'
import { randomBytes } from 'node:crypto'
import { InboundSa, OutboundSa, RECORD_OVERHEAD, recordSpi } from '../src/esp.js'
import { TRANSFORMS } from '../src/transforms.js'

function pair(name: keyof typeof TRANSFORMS = 'AES-256-GCM', maxPackets = 1000, windowSize = 64) {
  const spec = TRANSFORMS[name]
  const k = { key: randomBytes(spec.keyOctets), salt: randomBytes(4) }
  return { out: new OutboundSa(0x1234abcd, spec, k, maxPackets, 1e9, 0), inb: new InboundSa(0x1234abcd, spec, k, windowSize) }
}

test('a record carries SPI, sequence number and payload, and opens once', (t) => {
  const { out, inb } = pair()
  const r = out.seal(Buffer.from('hello'))
  t.is(r.length, 5 + RECORD_OVERHEAD)
  t.is(recordSpi(r), 0x1234abcd)
  t.is(Buffer.from(inb.open(r)).toString(), 'hello')
  t.throws(() => inb.open(r), { code: 'ERR_CHANNEL_REPLAY' })
})

test('records opened out of order inside the window are accepted', (t) => {
  const { out, inb } = pair()
  const rs = Array.from({ length: 10 }, (_, i) => out.seal(Buffer.from([i])))
  for (const i of [9, 0, 5, 3, 1, 2, 4, 8, 7, 6]) t.is(inb.open(rs[i]!)[0], i)
})

test('a record left of the window is refused', (t) => {
  const { out, inb } = pair('AES-GMAC', 1000, 32)
  const old = out.seal(Buffer.from('old'))
  for (let i = 0; i < 40; i++) inb.open(out.seal(Buffer.from('x')))
  t.throws(() => inb.open(old), { code: 'ERR_CHANNEL_REPLAY' })
})

test('flipped bits in header, payload or ICV are refused and do not move the window', (t) => {
  const { out, inb } = pair('ChaCha20-Poly1305')
  const r = out.seal(randomBytes(40))
  for (const at of [6, 13, 25, r.length - 1]) {
    const bad = Uint8Array.from(r); bad[at]! ^= 0x10
    t.throws(() => inb.open(bad), { code: 'ERR_CHANNEL_INTEGRITY' })
  }
  t.notThrows(() => inb.open(r))
})

test('truncated records and wrong SPIs are refused', (t) => {
  const { out, inb } = pair()
  const r = out.seal(randomBytes(40))
  t.throws(() => inb.open(r.subarray(0, 60)), { code: "ERR_CHANNEL_INTEGRITY" })
  t.throws(() => inb.open(r.subarray(0, 20)), { code: 'ERR_CHANNEL_TRUNCATED' })
  const other = Uint8Array.from(r); other[4]! ^= 1
  t.throws(() => inb.open(other), { code: 'ERR_CHANNEL_BAD_SPI' })
})

test('an SA refuses to send past its packet budget', (t) => {
  const { out } = pair('AES-128-GCM', 3)
  out.seal(new Uint8Array(1)); out.seal(new Uint8Array(1)); out.seal(new Uint8Array(1))
  t.false(out.canSend(1))
  t.throws(() => out.seal(new Uint8Array(1)), { code: 'ERR_CHANNEL_SA_EXHAUSTED' })
})

test('a record under another key does not open', (t) => {
  const a = pair(), b = pair()
  t.throws(() => b.inb.open(a.out.seal(randomBytes(10))), { code: 'ERR_CHANNEL_INTEGRITY' })
})

testProp('opening arbitrary bytes throws only ChannelError', [fc.uint8Array({ maxLength: 200 })], (t, bytes) => {
  const { inb } = pair()
  const frame = Uint8Array.from([0, 0x12, 0x34, 0xab, 0xcd, ...bytes])
  try { inb.open(frame); t.fail('opened random bytes') } catch (e) { t.true(e instanceof ChannelError) }
}, { numRuns: 300 })
