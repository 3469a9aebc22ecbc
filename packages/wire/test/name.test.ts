import test from 'ava'
import { testProp, fc } from '@fast-check/ava'
import { Name } from '../src/name.js'
import { WireFormatError } from '../src/errors.js'

const n = (s: string): Name => Name.fromString(s)

test('parses an absolute name into wire labels', (t) => {
  t.deepEqual([...n('www.Example.test.').wire], [3, 0x77, 0x77, 0x77, 7, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 4, 0x74, 0x65, 0x73, 0x74, 0])
  t.is(n('www.Example.test.').labelCount, 3)
  t.is(n('.').labelCount, 0)
  t.true(n('.').isRoot())
})

test('makes a relative name absolute with the origin', (t) => {
  t.is(Name.fromString('www', n('example.test.')).toString(), 'www.example.test.')
  t.is(Name.fromString('a.b', n('.')).toString(), 'a.b.')
})

test('rejects a relative name without an origin', (t) => {
  t.throws(() => Name.fromString('www'), { instanceOf: WireFormatError, code: 'ERR_WIRE_RELATIVE_NAME' })
})

test('reads \\. and \\DDD escapes and prints them as BIND does', (t) => {
  const x = n('a\\.b\\032c.test.')
  t.is(x.labelCount, 2)
  t.deepEqual([...x.label(0)], [0x61, 0x2e, 0x62, 0x20, 0x63])
  t.is(x.toString(), 'a\\.b\\032c.test.')
  t.is(n('\\@\\$\\;\\(\\)\\"\\\\.').toString(), '\\@\\$\\;\\(\\)\\"\\\\.')
  t.is(n('\\255\\000.').toString(), '\\255\\000.')
  t.is(n('\\a.').toString(), 'a.')
  // non-ASCII text is UTF-8, as BIND reads a UTF-8 zone file
  t.is(n('é.').toString(), '\\195\\169.')
  t.is(n('😀\\é.').toString(), '\\240\\159\\152\\128\\195\\169.')
  t.throws(() => n('é'.repeat(32) + '.'), { code: 'ERR_WIRE_LABEL_TOO_LONG' })
})

test('rejects bad escapes, empty labels and empty names', (t) => {
  t.throws(() => n('a\\25.'), { code: 'ERR_WIRE_BAD_ESCAPE' })
  t.throws(() => n('a\\256.'), { code: 'ERR_WIRE_BAD_ESCAPE' })
  t.throws(() => n('a\\'), { code: 'ERR_WIRE_BAD_ESCAPE' })
  t.throws(() => n('a..b.'), { code: 'ERR_WIRE_EMPTY_LABEL' })
  t.throws(() => n('.a.'), { code: 'ERR_WIRE_EMPTY_LABEL' })
  t.throws(() => n(''), { code: 'ERR_WIRE_EMPTY_LABEL' })
})

test('enforces 63-octet labels and 255-octet names in fromString', (t) => {
  t.is(n('a'.repeat(63) + '.').wire.length, 65)
  t.throws(() => n('a'.repeat(64) + '.'), { instanceOf: WireFormatError, code: 'ERR_WIRE_LABEL_TOO_LONG' })
  const l63 = 'a'.repeat(63)
  // 4 × 64 = 256 > 255
  t.throws(() => n(`${l63}.${l63}.${l63}.${l63}.`), { code: 'ERR_WIRE_NAME_TOO_LONG' })
  // 3 × 64 + 62 + 1 = 255 is the largest name
  const max = n(`${l63}.${l63}.${l63}.${'a'.repeat(61)}.`)
  t.is(max.wire.length, 255)
  t.throws(() => Name.fromString('b', max.parent(0)), { code: 'ERR_WIRE_NAME_TOO_LONG' })
  t.throws(() => Name.fromString(`${l63}.${l63}.${l63}`, n(`${'a'.repeat(62)}.`)), { code: 'ERR_WIRE_NAME_TOO_LONG' })
})

test('fromWire validates an uncompressed name', (t) => {
  t.is(Name.fromWire(Uint8Array.of(1, 0x61, 0)).toString(), 'a.')
  t.throws(() => Name.fromWire(Uint8Array.of(1, 0x61)), { code: 'ERR_WIRE_TRUNCATED' })
  t.throws(() => Name.fromWire(Uint8Array.of(0xc0, 0)), { code: 'ERR_WIRE_BAD_POINTER' })
  t.throws(() => Name.fromWire(Uint8Array.of(0, 0)), { code: 'ERR_WIRE_TRAILING_DATA' })
  const long = new Uint8Array(66); long[0] = 64
  t.throws(() => Name.fromWire(long), { code: 'ERR_WIRE_LABEL_TOO_LONG' })
})

test('compares case-insensitively and keeps the case', (t) => {
  t.true(n('WWW.example.TEST.').equals(n('www.EXAMPLE.test.')))
  t.false(n('www.example.test.').equals(n('ww.example.test.')))
  t.is(n('WWW.example.TEST.').toString(), 'WWW.example.TEST.')
  t.is(n('WWW.example.TEST.').hashKey(), n('www.example.test.').hashKey())
  t.is(n('WWW.Example.').toLowerCase().toString(), 'www.example.')
  t.deepEqual([...n('A.').canonicalWire()], [1, 0x61, 0])
})

test('orders names canonically as in RFC 4034 §6.1', (t) => {
  // the example list of RFC 4034 §6.1, in order
  const ordered = ['example.', 'a.example.', 'yljkjljk.a.example.', 'Z.a.example.', 'zABC.a.EXAMPLE.', 'z.example.', '\\001.z.example.', '*.z.example.', '\\200.z.example.'].map(n)
  const shuffled = [...ordered].reverse().sort((a, b) => a.compare(b))
  t.deepEqual(shuffled.map(String), ordered.map(String))
  t.is(n('a.').compare(n('A.')), 0)
})

test('knows subdomains, parents, wildcards and prepending', (t) => {
  t.true(n('a.b.example.').isSubdomainOf(n('Example.')))
  t.true(n('example.').isSubdomainOf(n('example.')))
  t.false(n('xexample.').isSubdomainOf(n('example.')))
  t.true(n('a.').isSubdomainOf(Name.ROOT))
  t.is(n('a.b.c.').parent().toString(), 'b.c.')
  t.is(n('a.b.c.').parent(3).toString(), '.')
  t.throws(() => n('a.').parent(2), { instanceOf: RangeError })
  t.true(n('*.a.').isWildcard())
  t.false(n('a.*.').isWildcard())
  t.is(n('b.').prepend('a').toString(), 'a.b.')
  t.is(n('b.').prepend(Uint8Array.of(0x2e)).toString(), '\\..b.')
  t.throws(() => n('b.').prepend(new Uint8Array(64)), { code: 'ERR_WIRE_LABEL_TOO_LONG' })
  t.is(n('www.example.').relativeTo(n('example.')), 'www')
  t.is(n('example.').relativeTo(n('example.')), '@')
  t.is(n('other.').relativeTo(n('example.')), 'other.')
})

const arbLabel = fc.uint8Array({ minLength: 1, maxLength: 63 })
const arbName = fc.array(arbLabel, { maxLength: 6 }).map((labels) => {
  let name = Name.ROOT
  for (const l of labels) {
    try { name = name.prepend(l) } catch { break }
  }
  return name
})

testProp('any name round-trips through its text form', [arbName], (t, name) => {
  const back = Name.fromString(name.toString())
  t.deepEqual([...back.wire], [...name.wire])
}, { numRuns: 500 })

testProp('any name round-trips through fromWire', [arbName], (t, name) => {
  t.true(Name.fromWire(name.wire.slice()).equals(name))
}, { numRuns: 200 })

testProp('compare is antisymmetric and agrees with equals', [arbName, arbName], (t, a, b) => {
  t.true(Math.sign(a.compare(b)) === -Math.sign(b.compare(a)))
  t.is(a.compare(b) === 0, a.equals(b))
}, { numRuns: 300 })

test('hashKey folds A-Z only, never latin1 letters above 0xC0 (RFC 4343 §3)', (t) => {
  t.is(n('WWW.Example.TEST.').hashKey(), n('www.example.test.').hashKey())
  t.not(n('\\192.test.').hashKey(), n('\\224.test.').hashKey())
  t.is(n('A\\192.test.').hashKey(), n('a\\192.test.').hashKey())
  t.is(n('\\255x.test.').hashKey(), n('\\255X.test.').hashKey())
})

test('labelCount and isSubdomainOf agree with parent() whichever is asked first', (t) => {
  const a = n('a.bc.d.test.')
  t.is(a.labelCount, 4)
  t.true(a.isSubdomainOf(n('d.test.')))
  t.false(n('xbc.d.test.').isSubdomainOf(n('bc.d.test.')))
  t.false(n('a.xd.test.').isSubdomainOf(n('d.test.')))
  t.true(a.parent(2).equals(n('d.test.')))
  t.is(a.labelCount, 4)
})

test('names parsed from text stay intact when many are made (shared storage)', (t) => {
  const names: Name[] = []
  for (let i = 0; i < 20000; i++) names.push(n(`host${i}.d${i % 97}.example.test.`))
  for (let i = 0; i < names.length; i += 997) t.is(names[i]!.toString(), `host${i}.d${i % 97}.example.test.`)
  t.is(names[19999]!.toString(), 'host19999.d17.example.test.')
})
