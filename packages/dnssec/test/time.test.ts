import test from 'ava'
import { fromRrsigTime, parseDuration, parseTime, toDnssecTime, toRrsigTime } from '../src/time.js'
import { DnssecError } from '../src/errors.js'

test('parses YYYYMMDDHHmmSS, unix seconds, ISO 8601 and relative times', (t) => {
  t.is(parseTime('20100909100439'), 1284026679)
  t.is(parseTime('1284026679'), 1284026679)
  t.is(parseTime('2010-09-09T10:04:39Z'), 1284026679)
  t.is(parseTime('2010-09-09'), 1283990400)
  t.is(parseTime('+30d', 1000), 1000 + 30 * 86400)
  t.is(parseTime('now-1h', 10000), 6400)
  t.is(parseTime('now', 42), 42)
})

test('formats unix seconds as YYYYMMDDHHmmSS', (t) => {
  t.is(toDnssecTime(1284026679), '20100909100439')
})

test('parses durations with units', (t) => {
  t.is(parseDuration('1h30m'), 5400)
  t.is(parseDuration('2w'), 1209600)
  t.is(parseDuration('3600'), 3600)
})

test('rejects bad times and durations by code', (t) => {
  t.throws(() => parseTime('20101301000000'), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_TIME' })
  t.throws(() => parseTime('tomorrow'), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_TIME' })
  t.throws(() => parseDuration('5x'), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_TIME' })
})

test('RRSIG times wrap modulo 2^32 and come back by serial arithmetic', (t) => {
  const y2107 = 2 ** 32 + 1000
  t.is(toRrsigTime(y2107), 1000)
  t.is(fromRrsigTime(1000, y2107 - 500), y2107)
  t.is(fromRrsigTime(toRrsigTime(1_800_000_000), 1_799_000_000), 1_800_000_000)
})
