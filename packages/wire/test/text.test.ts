import test from 'ava'
import { testProp, fc } from '@fast-check/ava'
import {
  fromBase32Hex, fromBase64, fromHex, group, parseTtl, quoteString, timeFromText, timeToText,
  toBase32Hex, toBase64, toHex, tokenize, unescapeText,
} from '../src/text.js'

test('tokenizes quoted strings, escapes and key="value"', (t) => {
  t.deepEqual(tokenize('10 "a b" c\\ d alpn="h2,h3"'), [
    { value: '10', quoted: false }, { value: 'a b', quoted: true }, { value: 'c\\ d', quoted: false },
    { value: 'alpn="h2,h3"', quoted: false },
  ])
  t.deepEqual(tokenize('key7="a\\"b c" x'), [{ value: 'key7="a\\"b c"', quoted: false }, { value: 'x', quoted: false }])
  t.throws(() => tokenize('"open'), { code: 'ERR_WIRE_BAD_TEXT' })
  t.throws(() => tokenize('k="open\\"'), { code: 'ERR_WIRE_BAD_TEXT' })
})

test('parses TTLs with BIND units', (t) => {
  t.is(parseTtl('3600', 'x'), 3600)
  t.is(parseTtl('1w2d3h4m5s', 'x'), 604800 + 172800 + 10800 + 240 + 5)
  t.is(parseTtl('1H', 'x'), 3600)
  t.throws(() => parseTtl('h', 'x'), { code: 'ERR_WIRE_BAD_TEXT' })
  t.throws(() => parseTtl('1x', 'x'), { code: 'ERR_WIRE_BAD_TEXT' })
  t.throws(() => parseTtl('', 'x'), { code: 'ERR_WIRE_BAD_TEXT' })
})

test('prints RRSIG times as YYYYMMDDHHmmSS and reads both forms', (t) => {
  t.is(timeToText(0), '19700101000000')
  t.is(timeToText(1893456000), '20300101000000')
  t.is(timeFromText('20300101000000', 'x'), 1893456000)
  t.is(timeFromText('1893456000', 'x'), 1893456000)
  t.throws(() => timeFromText('20301301000000', 'x'), { code: 'ERR_WIRE_BAD_TEXT' })
})

// Expected strings are what named-compilezone -D (BIND 9.18.49) printed for these fields
// on 2026-12-03, the `now` given here.
const NOW = Date.UTC(2026, 11, 3) / 1000

test('prints an RRSIG time as the date nearest the present (serial arithmetic, RFC 4034 §3.1.5)', (t) => {
  const show = (s: string): string => timeToText(timeFromText(s, 'x'), NOW)
  t.is(show('19650101000000'), '19650101000000')
  t.is(show('19600229120000'), '19600229120000')
  t.is(show('19750101000000'), '19750101000000')
  t.is(show('19700101000000'), '19700101000000')
  // more than 2^31 s ahead of now: the same 32-bit value is nearer in the past
  t.is(show('21050101000000'), '19681124173144')
  t.is(show('20950101000000'), '19581125173144')
  t.is(timeToText(4026531840, NOW), '19610630023544')
  t.is(show('99991231235959'), '19691223021215')
  t.is(show('16000101000000'), '20080421192448')
  // in 2100 the value 0 is 2106-02-07, not 1970
  t.is(timeToText(0, Date.UTC(2100, 0, 1) / 1000), '21060207062816')
})

test('reads RRSIG times of any year, checks the day against its month and takes second 60', (t) => {
  t.is(timeFromText('19650101000000', 'x'), 2 ** 32 - 157766400)
  t.is(timeFromText('00000101000000', 'x'), timeFromText('00000101000000', 'x') >>> 0)
  t.is(timeFromText('20250228000060', 'x'), timeFromText('20250228000100', 'x'))
  t.is(timeFromText('20240229000000', 'x'), Date.UTC(2024, 1, 29) / 1000)
  for (const bad of ['20250230000000', '20250229000000', '21000229000000', '20250431000000', '20250101240000', '20250101006000', '20250101000061']) {
    t.throws(() => timeFromText(bad, 'RRSIG expiration'), { code: 'ERR_WIRE_BAD_TEXT', message: `RRSIG expiration: "${bad}" is not a valid YYYYMMDDHHmmSS time` })
  }
})

test('encodes base32hex without padding as RFC 5155 prints it', (t) => {
  // RFC 4648 §10 test vectors, base32hex, padding removed
  const v: Array<[string, string]> = [['', ''], ['f', 'CO'], ['fo', 'CPNG'], ['foo', 'CPNMU'], ['foob', 'CPNMUOG'], ['fooba', 'CPNMUOJ1'], ['foobar', 'CPNMUOJ1E8']]
  for (const [plain, enc] of v) {
    t.is(toBase32Hex(Buffer.from(plain)), enc)
    t.deepEqual(Buffer.from(fromBase32Hex(enc.toLowerCase(), 'x')).toString(), plain)
  }
  t.throws(() => fromBase32Hex('CPNMUOJ1E9', 'x'), { code: 'ERR_WIRE_BAD_TEXT' })
  t.throws(() => fromBase32Hex('W', 'x'), { code: 'ERR_WIRE_BAD_TEXT' })
})

test('decodes base64 and hex strictly', (t) => {
  t.deepEqual([...fromBase64('AQID', 'x')], [1, 2, 3])
  t.throws(() => fromBase64('AQI', 'x'), { code: 'ERR_WIRE_BAD_TEXT' })
  t.throws(() => fromBase64('AQ*D', 'x'), { code: 'ERR_WIRE_BAD_TEXT' })
  t.deepEqual([...fromHex('0aFF', 'x')], [10, 255])
  t.throws(() => fromHex('0aF', 'x'), { code: 'ERR_WIRE_BAD_TEXT' })
  t.throws(() => fromHex('0g', 'x'), { code: 'ERR_WIRE_BAD_TEXT' })
  t.is(group('a'.repeat(60)), 'a'.repeat(56) + ' aaaa')
})

test('quotes character-strings with BIND escapes and reads them back', (t) => {
  t.is(quoteString(Uint8Array.of(0x61, 0x22, 0x5c, 0x01, 0xff, 0x20)), '"a\\"\\\\\\001\\255 "')
  t.deepEqual([...unescapeText('a\\"\\\\\\001\\255 ', 'x')], [0x61, 0x22, 0x5c, 0x01, 0xff, 0x20])
  t.deepEqual([...unescapeText('é€\\é😀', 'x')], [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80])
  t.throws(() => unescapeText('\\256', 'x'), { code: 'ERR_WIRE_BAD_ESCAPE' })
})

testProp('base64, hex and base32hex round-trip any bytes', [fc.uint8Array({ maxLength: 80 })], (t, b) => {
  t.deepEqual([...fromBase64(toBase64(b), 'x')], [...b])
  t.deepEqual([...fromHex(toHex(b), 'x')], [...b])
  t.deepEqual([...fromBase32Hex(toBase32Hex(b), 'x')], [...b])
  const q = quoteString(b)
  t.deepEqual([...unescapeText(q.slice(1, -1), 'x')], [...b])
}, { numRuns: 300 })

test('unescapeText gives plain ASCII as its own octets, each call a separate array', (t) => {
  const a = unescapeText('v=spf1 -all', 'x')
  const b = unescapeText('v=spf1 -all', 'x')
  t.deepEqual([...a], [...Buffer.from('v=spf1 -all', 'latin1')])
  a[0] = 0
  t.is(b[0], 0x76)
  t.is(unescapeText('', 'x').length, 0)
})
