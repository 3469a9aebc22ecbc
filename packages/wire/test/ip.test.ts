import test from 'ava'
import { testProp, fc } from '@fast-check/ava'
import { ipv4FromText, ipv6FromText, ipv6ToText } from '../src/ip.js'
import { WireFormatError } from '../src/errors.js'

test('prints IPv6 as glibc inet_ntop does', (t) => {
  const cases: Array<[string, string]> = [
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'], ['0:0:0:0:0:0:0:0', '::'], ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'], ['::1.2.3.4', '::1.2.3.4'], ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
    ['1:0:0:0:1:0:0:1', '1::1:0:0:1'], ['FE80::ABCD', 'fe80::abcd'], ['1::', '1::'],
  ]
  for (const [i, o] of cases) t.is(ipv6ToText(ipv6FromText(i)), o)
})

test('rejects malformed addresses', (t) => {
  for (const s of ['1.2.3', '1.2.3.4.5', '1.2.3.256', '01.2.3.4', 'a.b.c.d', '']) t.throws(() => ipv4FromText(s), { code: 'ERR_WIRE_BAD_TEXT' })
  for (const s of ['1::2::3', '12345::', '1:2:3:4:5:6:7', ':::', 'g::']) t.throws(() => ipv6FromText(s), { code: 'ERR_WIRE_BAD_TEXT' })
})

testProp('IPv6 text round-trips', [fc.uint8Array({ minLength: 16, maxLength: 16 })], (t, b) => {
  t.deepEqual([...ipv6FromText(ipv6ToText(b))], [...b])
}, { numRuns: 300 })

test('ipv6FromText without a dotted tail accepts and rejects what the general parser does', (t) => {
  const ok: [string, string][] = [['::', '0'.repeat(32)], ['1::', '0001' + '0'.repeat(28)], ['::2:3:4:5:6:7:8', '0000000200030004000500060007' + '0008'], ['ABCD:ef01::', 'abcdef01' + '0'.repeat(24)]]
  for (const [s, hex] of ok) t.is(Buffer.from(ipv6FromText(s)).toString('hex'), hex, s)
  for (const s of ['1:2:3:4:5:6:7:8:9', '1:2:3:4::5:6:7:8', '1:', ':1', '1::2:', ':1::2', 'fffff::', 'g::', '', ':', '1:::2']) {
    t.throws(() => ipv6FromText(s), { instanceOf: WireFormatError, code: 'ERR_WIRE_BAD_TEXT' }, s)
  }
})
