import test from 'ava'
import { WireReader } from '../src/reader.js'

test('reads integers and bytes with bounds checks', (t) => {
  const r = new WireReader(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9))
  t.is(r.u8(), 1)
  t.is(r.u16(), 0x0203)
  t.is(r.u32(), 0x04050607)
  t.deepEqual([...r.bytes(1)], [8])
  t.is(r.remaining, 1)
  t.throws(() => r.u16('Field'), { code: 'ERR_WIRE_TRUNCATED', message: 'Field at offset 8 needs 2 byte(s), 1 left' })
})

test('returns views, not copies, and treats a Buffer as a plain Uint8Array', (t) => {
  const b = Buffer.from([3, 0x61, 0x62, 0x63, 0, 9])
  const r = new WireReader(b)
  const n = r.name()
  t.is(n.wire.constructor, Uint8Array)
  t.is(n.wire.buffer, b.buffer)
  t.is(n.toString(), 'abc.')
  t.is(r.pos, 5)
})

test('follows backward pointers and copies the name together', (t) => {
  const buf = Uint8Array.of(1, 0x61, 0, 1, 0x62, 0xc0, 0)
  const r = new WireReader(buf, 3)
  t.is(r.name().toString(), 'b.a.')
  t.is(r.pos, 7)
  t.throws(() => new WireReader(buf, 3).name(false, 'RRSIG signer name'), { code: 'ERR_WIRE_BAD_POINTER', message: /not allowed in RRSIG signer name/ })
})

test('stays inside the RDATA end for in-place names', (t) => {
  const r = new WireReader(Uint8Array.of(1, 0x61, 0), 0, 2)
  t.throws(() => r.name(), { code: 'ERR_WIRE_TRUNCATED' })
})
