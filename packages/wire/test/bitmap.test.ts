import test from 'ava'
import { testProp, fc } from '@fast-check/ava'
import { decodeTypeBitmap, encodeTypeBitmap } from '../src/bitmap.js'

test('encodes the RFC 4034 §4.3 example bitmap', (t) => {
  // A MX RRSIG NSEC TYPE1234
  const b = encodeTypeBitmap([1, 15, 46, 47, 1234])
  t.deepEqual([...b], [0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20])
  t.deepEqual(decodeTypeBitmap(b), [1, 15, 46, 47, 1234])
})

test('rejects windows out of order, bad lengths and trailing zero octets', (t) => {
  t.throws(() => decodeTypeBitmap(Uint8Array.of(1, 1, 0x80, 0, 1, 0x80)), { code: 'ERR_WIRE_BAD_RDATA' })
  t.throws(() => decodeTypeBitmap(Uint8Array.of(0, 0)), { code: 'ERR_WIRE_BAD_RDATA' })
  t.throws(() => decodeTypeBitmap(Uint8Array.of(0, 33, ...new Array(33).fill(1))), { code: 'ERR_WIRE_BAD_RDATA' })
  t.throws(() => decodeTypeBitmap(Uint8Array.of(0, 2, 0x40, 0)), { code: 'ERR_WIRE_BAD_RDATA' })
  t.throws(() => decodeTypeBitmap(Uint8Array.of(0, 2, 0x40)), { code: 'ERR_WIRE_TRUNCATED' })
  t.throws(() => decodeTypeBitmap(Uint8Array.of(0)), { code: 'ERR_WIRE_TRUNCATED' })
  t.throws(() => encodeTypeBitmap([70000]), { code: 'ERR_WIRE_VALUE_RANGE' })
})

testProp('bitmaps round-trip any set of types', [fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 40 })], (t, types) => {
  const want = [...new Set(types)].sort((a, b) => a - b)
  t.deepEqual(decodeTypeBitmap(encodeTypeBitmap(types)), want)
}, { numRuns: 300 })
