import test from 'ava'
import { Name } from '../src/name.js'
import { WireWriter, checkUint } from '../src/writer.js'

test('grows its buffer by doubling', (t) => {
  const w = new WireWriter(2)
  for (let i = 0; i < 100; i++) w.u32(i)
  t.is(w.pos, 400)
  t.true(w.buf.length >= 400)
  t.is(new DataView(w.buf.buffer).getUint32(396), 99)
})

test('compresses repeated suffixes with pointers', (t) => {
  const w = new WireWriter(64, true)
  w.name(Name.fromString('www.example.test.'), true)
  w.name(Name.fromString('mail.example.test.'), true)
  w.name(Name.fromString('example.test.'), true)
  t.deepEqual([...w.finish().subarray(18)], [4, ...Buffer.from('mail'), 0xc0, 4, 0xc0, 4])
})

test('forgets names written after a rollback mark', (t) => {
  const w = new WireWriter(64, true)
  w.name(Name.fromString('a.test.'), true)
  const mark = w.mark()
  w.name(Name.fromString('b.example.'), true)
  w.rollback(mark)
  w.name(Name.fromString('example.'), true)
  t.deepEqual([...w.finish()], [1, 0x61, 4, ...Buffer.from('test'), 0, 7, ...Buffer.from('example'), 0])
})

test('writes names lowercased for canonical form', (t) => {
  const w = new WireWriter(8)
  w.nameLower(Name.fromString('A.Bc.'))
  t.deepEqual([...w.finish()], [1, 0x61, 2, 0x62, 0x63, 0])
})

test('range-checks integers', (t) => {
  t.throws(() => checkUint(65536, 0xffff, 'Port'), { code: 'ERR_WIRE_VALUE_RANGE', message: 'Port 65536 is not an integer in 0..65535' })
  t.throws(() => checkUint(1.5, 0xffff, 'Port'), { code: 'ERR_WIRE_VALUE_RANGE' })
  t.notThrows(() => checkUint(0, 0, 'Zero'))
})

test('refuses to encode a hand-built Name with a 64-octet label or over 255 octets', (t) => {
  const long = new Name(Uint8Array.of(64, ...new Array(64).fill(0x61), 0))
  t.throws(() => new WireWriter(8).name(long, false), { code: 'ERR_WIRE_LABEL_TOO_LONG' })
  t.throws(() => new WireWriter(8, true).name(long, true), { code: 'ERR_WIRE_LABEL_TOO_LONG' })
  t.throws(() => new WireWriter(8).nameLower(long), { code: 'ERR_WIRE_LABEL_TOO_LONG' })
  const huge = new Name(Uint8Array.from([...new Array(5).fill(0).flatMap(() => [63, ...new Array(63).fill(0x61)]), 0]))
  t.throws(() => new WireWriter(8).name(huge, true), { code: 'ERR_WIRE_NAME_TOO_LONG' })
  t.throws(() => new WireWriter(8).name(new Name(Uint8Array.of(1, 0x61)), false), { code: 'ERR_WIRE_TRUNCATED' })
})
