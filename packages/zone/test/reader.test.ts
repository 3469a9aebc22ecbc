import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { fileURLToPath } from 'node:url'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Name, rrToText, type ResourceRecord } from '@secdns/wire'
import { readZoneText, readZoneFile } from '../src/reader.js'
import { ZoneError } from '../src/errors.js'

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url))
const ORIGIN = 'example.test.'

function read(text: string, opts: { defaultTtl?: number, maxErrors?: number } = {}) {
  const rrs: ResourceRecord[] = []
  const r = readZoneText(text, { origin: ORIGIN, file: 'db.example', ...opts }, (rr) => rrs.push(rr))
  return { ...r, lines: rrs.map(rrToText) }
}

const SOA = '@ 3600 IN SOA ns hostmaster 1 2 3 4 5\n'

test('reads owner, TTL, class, type and RDATA', (t) => {
  const r = read(SOA + 'www 300 IN A 192.0.2.1')
  t.deepEqual(r.errors, [])
  t.deepEqual(r.lines, ['example.test. 3600 IN SOA ns.example.test. hostmaster.example.test. 1 2 3 4 5', 'www.example.test. 300 IN A 192.0.2.1'])
})

test('accepts TTL and class in either order, or neither', (t) => {
  const r = read('$TTL 60\n' + SOA + 'a IN 300 A 192.0.2.1\nb 300 IN A 192.0.2.2\nc IN A 192.0.2.3\nd A 192.0.2.4\ne 1h30m A 192.0.2.5')
  t.deepEqual(r.errors, [])
  t.deepEqual(r.lines.slice(1).map((l) => l.split(' ').slice(0, 2).join(' ')), ['a.example.test. 300', 'b.example.test. 300', 'c.example.test. 60', 'd.example.test. 60', 'e.example.test. 5400'])
})

test('a blank owner repeats the previous owner and @ is the origin', (t) => {
  const r = read(SOA + 'www A 192.0.2.1\n  AAAA 2001:db8::1\n@ MX 10 @')
  t.deepEqual(r.errors, [])
  t.is(r.lines[2], 'www.example.test. 3600 IN AAAA 2001:db8::1')
  t.is(r.lines[3], 'example.test. 3600 IN MX 10 example.test.')
})

test('@ is the origin in IPSECKEY gateways and HIP rendezvous servers (as named-compilezone reads them)', (t) => {
  const r = read(SOA + 'a IPSECKEY 10 3 2 @ AQID\nb HIP 2 00 AQID @ rvs @\nc LOC 42 21 54 N 71 6 18 W -24m 30m')
  t.deepEqual(r.errors, [])
  t.is(r.lines[1], 'a.example.test. 3600 IN IPSECKEY 10 3 2 example.test. AQID')
  t.is(r.lines[2], 'b.example.test. 3600 IN HIP 2 00 AQID example.test. rvs.example.test. example.test.')
  t.is(r.lines[3], 'c.example.test. 3600 IN LOC 42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m')
})

test('@ in a TXT is text, not the origin', (t) => {
  const r = read(SOA + 'a TXT @')
  t.is(r.lines[1], 'a.example.test. 3600 IN TXT "@"')
})

test('$ORIGIN may change any number of times and may be relative', (t) => {
  const r = read(SOA + '$ORIGIN sub.example.test.\nwww A 192.0.2.1\n$ORIGIN deeper\nx A 192.0.2.2\n$ORIGIN example.test.\ny CNAME www.sub')
  t.deepEqual(r.errors, [])
  t.deepEqual(r.lines.slice(1), ['www.sub.example.test. 3600 IN A 192.0.2.1', 'x.deeper.sub.example.test. 3600 IN A 192.0.2.2', 'y.example.test. 3600 IN CNAME www.sub.example.test.'])
})

test('without $TTL an omitted TTL is the last one stated (RFC 1035) and the SOA falls back to its minimum', (t) => {
  const r = read('@ IN SOA ns hostmaster 1 2 3 4 600\nwww A 192.0.2.1\nx 77 A 192.0.2.2\ny A 192.0.2.3')
  t.deepEqual(r.errors, [])
  t.is(r.warnings[0]!.code, 'ERR_ZONE_NO_TTL_DEFAULT')
  t.deepEqual(r.lines.map((l) => l.split(' ')[1]), ['600', '600', '77', '77'])
})

test('a record with no TTL anywhere is an error', (t) => {
  const r = read('www A 192.0.2.1')
  t.is(r.errors[0]!.code, 'ERR_ZONE_NO_TTL')
  t.is(r.errors[0]!.message, 'db.example:1:1: no TTL specified: give the record a TTL or put $TTL before it')
})

test('reads RFC 3597 generic types, classes and RDATA', (t) => {
  const r = read(SOA + 'a 60 CLASS1 TYPE65280 \\# 4 0a000001\nb 60 IN TYPE1 \\# 4 c0000201')
  t.deepEqual(r.errors, [])
  t.regex(r.lines[1]!, /^a\.example\.test\. 60 IN TYPE65280 \\# 4 0a000001$/i)
  t.is(r.lines[2], 'b.example.test. 60 IN A 192.0.2.1')
})

test('reports an unknown class or type with its location and what was expected', (t) => {
  const r = read(SOA + 'www 300 IN2 A 192.0.2.1')
  t.is(r.errors.length, 1)
  t.is(r.errors[0]!.code, 'ERR_ZONE_UNKNOWN_TYPE')
  t.is(r.errors[0]!.message, 'db.example:2:9: expected a class or type, got "IN2"')
})

test('reports a bad TTL', (t) => {
  const r = read(SOA + 'www 1x IN A 192.0.2.1\n$TTL forever')
  t.deepEqual(r.errors.map((e) => [e.code, e.line, e.column]), [['ERR_ZONE_BAD_TTL', 2, 5], ['ERR_ZONE_BAD_TTL', 3, 6]])
})

test('reports bad RDATA at its first token, wrapping the wire error', (t) => {
  const r = read(SOA + 'www A 192.0.2.300')
  t.is(r.errors[0]!.code, 'ERR_ZONE_BAD_RDATA')
  t.is(r.errors[0]!.line, 2)
  t.is(r.errors[0]!.column, 7)
  t.truthy((r.errors[0] as ZoneError & { cause?: unknown }).cause)
})

test('reports a bad owner name', (t) => {
  const r = read(SOA + 'a..b A 192.0.2.1')
  t.is(r.errors[0]!.code, 'ERR_ZONE_BAD_NAME')
  t.is(r.errors[0]!.column, 1)
})

test('reports a first record with a blank owner', (t) => {
  const r = read('  A 192.0.2.1')
  t.is(r.errors[0]!.code, 'ERR_ZONE_NO_OWNER')
  t.is(r.errors[0]!.column, 3)
})

test('reports a class other than the zone class', (t) => {
  const r = read(SOA + 'www CH A 192.0.2.1')
  t.is(r.errors[0]!.code, 'ERR_ZONE_CLASS_MISMATCH')
})

test('refuses meta-types in zone data', (t) => {
  const r = read(SOA + 'www ANY \\# 0')
  t.is(r.errors[0]!.code, 'ERR_ZONE_META_TYPE')
})

test('reports a record that stops before its type', (t) => {
  const r = read(SOA + 'www 300 IN')
  t.is(r.errors[0]!.code, 'ERR_ZONE_UNKNOWN_TYPE')
  t.regex(r.errors[0]!.reason, /got the end of the record/)
})

test('reports unknown and malformed directives', (t) => {
  const r = read(SOA + '$FOO bar\n$ORIGIN\n$TTL 1 2')
  t.deepEqual(r.errors.map((e) => [e.code, e.line]), [['ERR_ZONE_BAD_DIRECTIVE', 2], ['ERR_ZONE_BAD_DIRECTIVE', 3], ['ERR_ZONE_BAD_DIRECTIVE', 4]])
})

test('ignores out-of-zone data with a warning', (t) => {
  const r = read(SOA + 'www.example.net. A 192.0.2.1')
  t.deepEqual(r.errors, [])
  t.is(r.records, 1)
  t.is(r.warnings[0]!.code, 'ERR_ZONE_OUT_OF_ZONE')
  t.is(r.warnings[0]!.message, 'db.example:2:1: ignoring out-of-zone data (www.example.net.)')
})

test('collects every error in a file, not just the first', (t) => {
  const r = read(SOA + 'a A 1.2.3\nb 5x A 192.0.2.1\nc IN2 A 192.0.2.1\nd TXT "open\ne A 192.0.2.5')
  t.deepEqual(r.errors.map((e) => e.code), ['ERR_ZONE_BAD_RDATA', 'ERR_ZONE_BAD_TTL', 'ERR_ZONE_UNKNOWN_TYPE', 'ERR_ZONE_UNTERMINATED_QUOTE'])
  t.deepEqual(r.errors.map((e) => e.line), [2, 3, 4, 5])
  t.is(r.records, 2)
})

test('stops at the error cap with a final error saying so', (t) => {
  const r = read(Array.from({ length: 20 }, (_, i) => `n${i} 1x A 192.0.2.1`).join('\n'), { maxErrors: 5 })
  t.is(r.errors.length, 6)
  t.is(r.errors[5]!.code, 'ERR_ZONE_TOO_MANY_ERRORS')
})

test('$GENERATE makes records with modifiers, TTL and class', (t) => {
  const r = read(SOA + '$GENERATE 1-3 host-$ A 192.0.2.$\n$GENERATE 0-4/2 ${10,3,d} 60 IN PTR host-$.example.test.\n$GENERATE 1-2 m$ MX "10 mx${0,2,x}"')
  t.deepEqual(r.errors, [])
  t.deepEqual(r.lines.slice(1), [
    'host-1.example.test. 3600 IN A 192.0.2.1', 'host-2.example.test. 3600 IN A 192.0.2.2', 'host-3.example.test. 3600 IN A 192.0.2.3',
    '010.example.test. 60 IN PTR host-0.example.test.', '012.example.test. 60 IN PTR host-2.example.test.', '014.example.test. 60 IN PTR host-4.example.test.',
    // No $TTL: the last TTL stated (60, on the line before) carries on (RFC 1035 §5.1).
    'm1.example.test. 60 IN MX 10 mx01.example.test.', 'm2.example.test. 60 IN MX 10 mx02.example.test.',
  ])
})

test('$GENERATE nibble mode builds reverse names', (t) => {
  const r = read(SOA + '$GENERATE 255-256 ${0,5,n}.ip6 PTR h$')
  t.deepEqual(r.errors, [])
  t.deepEqual(r.lines.slice(1).map((l) => l.split(' ')[0]), ['f.f.0.ip6.example.test.', '0.0.1.ip6.example.test.'])
})

test('$GENERATE errors: bad range, bad modifier, missing fields, unknown type', (t) => {
  const r = read(SOA + '$GENERATE 5-1 a$ A 192.0.2.1\n$GENERATE 1-2 a${x} A 192.0.2.1\n$GENERATE 1-2 a$\n$GENERATE 1-2 a$ BOGUS x\n$GENERATE 1-2 a$ A 1.2.3.4 extra')
  t.deepEqual(r.errors.map((e) => [e.code, e.line]), [
    ['ERR_ZONE_BAD_GENERATE', 2], ['ERR_ZONE_BAD_GENERATE', 3], ['ERR_ZONE_BAD_GENERATE', 4], ['ERR_ZONE_UNKNOWN_TYPE', 5], ['ERR_ZONE_BAD_GENERATE', 6],
  ])
  t.is(r.errors[0]!.column, 11)
})

test('$INCLUDE reads relative paths, takes an optional origin and restores the origin after', (t) => {
  const rrs: ResourceRecord[] = []
  const r = readZoneFile(fixtures + 'include/main.zone', { origin: ORIGIN }, (rr) => rrs.push(rr))
  t.deepEqual(r.errors, [])
  t.deepEqual(rrs.map((x) => x.name.toString()), ['example.test.', 'example.test.', 'ns.example.test.', 'sub.example.test.', 'www.sub.example.test.', 'after.example.test.', 'leaf2.example.test.', 'leaf.example.test.'])
})

test('$INCLUDE refuses a loop with the location of the directive', (t) => {
  const r = readZoneFile(fixtures + 'include/loop_a.zone', { origin: ORIGIN }, () => {})
  t.is(r.errors.length, 1)
  t.is(r.errors[0]!.code, 'ERR_ZONE_INCLUDE_LOOP')
  t.is(r.errors[0]!.file, 'loop_b.inc')
  t.is(r.errors[0]!.line, 2)
  t.is(r.errors[0]!.column, 10)
})

test('$INCLUDE of a missing file is an error at the directive', (t) => {
  const r = read(SOA + '$INCLUDE /nonexistent/secdns/x.inc')
  t.is(r.errors[0]!.code, 'ERR_ZONE_FILE')
  t.is(r.errors[0]!.line, 2)
})

test('a missing top-level file throws ERR_ZONE_FILE', (t) => {
  t.throws(() => readZoneFile('/nonexistent/secdns/db', { origin: ORIGIN }, () => {}), { instanceOf: ZoneError, code: 'ERR_ZONE_FILE' })
})

test('the origin may be given as a Name', (t) => {
  const rrs: ResourceRecord[] = []
  readZoneText('$TTL 1\nwww A 192.0.2.1', { origin: Name.fromString('example.org.') }, (rr) => rrs.push(rr))
  t.is(rrs[0]!.name.toString(), 'www.example.org.')
})

const zoneish = fc.array(fc.oneof(
  fc.constantFrom('$TTL 1h', '$ORIGIN sub', '$GENERATE 1-3 a$ A 192.0.2.$', '@ SOA ns h 1 2 3 4 5', ' NS ns', 'www A 192.0.2.1', '( ', ' )', '"q', '\\', 'TYPE65280 \\# 2 abcd', 'IN', '300', ';c', '\t', 'MX 10 @', '$INCLUDE nothere'),
  fc.string({ maxLength: 12 })), { maxLength: 30 }).chain((parts) => fc.array(fc.constantFrom(' ', '\n', '\t'), { minLength: parts.length, maxLength: parts.length })
  .map((seps) => parts.map((p, i) => p + seps[i]).join('')))
testProp('random zone text never crashes the reader, only collects ZoneErrors', [zoneish], (t, text) => {
  const r = readZoneText(text, { origin: ORIGIN, file: 'fuzz' }, () => {})
  const lines = text.split('\n').length
  t.true(r.errors.every((e) => e instanceof ZoneError && e.file === 'fuzz' && e.line >= 1 && e.line <= lines && e.column >= 1 && e.code.startsWith('ERR_ZONE_')))
}, { numRuns: 400 })

test('$INCLUDE nesting stops at the depth limit', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-include-'))
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${i}.inc`), `n${i} A 192.0.2.${i}\n$INCLUDE f${i + 1}.inc\n`)
  writeFileSync(join(dir, 'f20.inc'), 'last A 192.0.2.99\n')
  const r = readZoneText(SOA + '$INCLUDE f0.inc', { origin: ORIGIN, file: join(dir, 'top.zone') }, () => {})
  t.is(r.errors.length, 1)
  t.is(r.errors[0]!.code, 'ERR_ZONE_INCLUDE_DEPTH')
  t.is(r.errors[0]!.line, 2)
  t.is(r.errors[0]!.column, 10)
})

test('$INCLUDE with too many arguments or a bad origin is an error at that token', (t) => {
  const r = read(SOA + '$INCLUDE a b c\n$INCLUDE a b..c')
  t.deepEqual(r.errors.map((e) => [e.code, e.line, e.column]), [['ERR_ZONE_BAD_DIRECTIVE', 2, 14], ['ERR_ZONE_BAD_NAME', 3, 12]])
})

test('a bad $ORIGIN is reported and the old origin stays', (t) => {
  const r = read(SOA + '$ORIGIN a..b\nwww A 192.0.2.1')
  t.deepEqual(r.errors.map((e) => [e.code, e.line, e.column]), [['ERR_ZONE_BAD_NAME', 2, 9]])
  t.is(r.lines[1], 'www.example.test. 3600 IN A 192.0.2.1')
})

test('TTLs above 2^31-1 become 0 with a warning (RFC 2181 §8)', (t) => {
  const r = read('$TTL 4294967295\n' + SOA + 'www A 192.0.2.1\nx 3000000000 A 192.0.2.2')
  t.deepEqual(r.errors, [])
  t.deepEqual(r.warnings.map((w) => [w.code, w.line]), [['ERR_ZONE_TTL_TOO_LARGE', 1], ['ERR_ZONE_TTL_TOO_LARGE', 4]])
  t.deepEqual(r.lines.slice(1).map((l) => l.split(' ')[1]), ['0', '0'])
})

test('$INCLUDE can be refused', (t) => {
  const r = readZoneText(SOA + '$INCLUDE x.inc', { origin: ORIGIN, allowInclude: false }, () => {})
  t.is(r.errors[0]!.code, 'ERR_ZONE_BAD_DIRECTIVE')
})

test('a line that is not UTF-8 is an error, not silently changed data', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-enc-'))
  const path = join(dir, 'latin1.zone')
  writeFileSync(path, Buffer.concat([Buffer.from(SOA + 'ok TXT "caf\u00e9"\nbad TXT "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]))
  const rrs: ResourceRecord[] = []
  const r = readZoneFile(path, { origin: ORIGIN }, (rr) => rrs.push(rr))
  t.deepEqual(r.errors.map((e) => [e.code, e.line, e.column]), [['ERR_ZONE_BAD_ENCODING', 3, 13]])
  t.is(rrToText(rrs[1]!), 'ok.example.test. 3600 IN TXT "caf\\195\\169"')
})
