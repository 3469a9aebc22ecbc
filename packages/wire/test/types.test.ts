import test from 'ava'
import { RRType, isMetaType, isRRClassString, isRRTypeString, opcodeToString, rcodeToString, rrClassFromString, rrClassToString, rrTypeFromString, rrTypeToString } from '../src/types.js'

test('maps types both ways, with TYPEnnn for the rest (RFC 3597 §5)', (t) => {
  t.is(rrTypeToString(1), 'A')
  t.is(rrTypeToString(65280), 'TYPE65280')
  t.is(rrTypeFromString('aaaa'), 28)
  t.is(rrTypeFromString('TYPE65280'), 65280)
  t.is(rrTypeFromString('type1'), 1)
  t.is(rrTypeFromString('NSAP-PTR'), 23)
  t.is(RRType.NSEC3PARAM, 51)
  t.throws(() => rrTypeFromString('BOGUS'), { code: 'ERR_WIRE_UNKNOWN_TYPE' })
  t.throws(() => rrTypeFromString('TYPE65536'), { code: 'ERR_WIRE_UNKNOWN_TYPE' })
  t.throws(() => rrTypeFromString('TYPE'), { code: 'ERR_WIRE_UNKNOWN_TYPE' })
  t.true(isRRTypeString('rrsig'))
  t.false(isRRTypeString('IN'))
})

test('maps classes both ways, with CLASSnnn for the rest', (t) => {
  t.is(rrClassToString(1), 'IN')
  t.is(rrClassToString(3), 'CH')
  t.is(rrClassToString(42), 'CLASS42')
  t.is(rrClassFromString('CLASS1'), 1)
  t.is(rrClassFromString('chaos'), 3)
  t.throws(() => rrClassFromString('XX'), { code: 'ERR_WIRE_UNKNOWN_CLASS' })
  t.true(isRRClassString('in'))
  t.false(isRRClassString('A'))
})

test('names opcodes, rcodes and meta-types', (t) => {
  t.is(opcodeToString(5), 'UPDATE')
  t.is(opcodeToString(3), 'RESERVED3')
  t.is(rcodeToString(16), 'BADVERS')
  t.is(rcodeToString(3), 'NXDOMAIN')
  t.true(isMetaType(41))
  t.true(isMetaType(255))
  t.false(isMetaType(46))
})
