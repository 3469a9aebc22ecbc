import test from 'ava'
import { parseTtl, parseClass, classToString, looksLikeTtl } from '../src/ttl.js'

test('parses plain seconds', (t) => { t.is(parseTtl('3600'), 3600); t.is(parseTtl('0'), 0) })
test('parses unit groups in either case', (t) => {
  t.is(parseTtl('1h30m'), 5400)
  t.is(parseTtl('1W2D'), 7 * 86400 + 2 * 86400)
  t.is(parseTtl('2d1s'), 172801)
  t.is(parseTtl('10M'), 600)
})
test('rejects a bare number after a unit group, unknown units and empty text', (t) => {
  t.is(parseTtl('1h30'), null)
  t.is(parseTtl('1y'), null)
  t.is(parseTtl(''), null)
  t.is(parseTtl('h'), null)
  t.is(parseTtl('IN'), null)
})
test('rejects TTLs above 2^32 - 1', (t) => { t.is(parseTtl('4294967296'), null); t.is(parseTtl('4294967295'), 4294967295) })
test('recognises class mnemonics and RFC 3597 CLASSnnn', (t) => {
  t.is(parseClass('in'), 1)
  t.is(parseClass('CH'), 3)
  t.is(parseClass('HS'), 4)
  t.is(parseClass('CLASS1'), 1)
  t.is(parseClass('CLASS65535'), 65535)
  t.is(parseClass('CLASS65536'), null)
  t.is(parseClass('IN2'), null)
  t.is(classToString(1), 'IN')
  t.is(classToString(32), 'CLASS32')
})
test('a token starting with a digit looks like a TTL', (t) => { t.true(looksLikeTtl('1h')); t.false(looksLikeTtl('IN')) })
