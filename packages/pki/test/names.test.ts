import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { matchDnsId, matchName, ipBytes } from '../src/names.js'

test('matches DNS names case-insensitively and ignores a trailing dot', (t) => {
  t.true(matchDnsId('DNS1.Lab.Test', 'dns1.lab.test.'))
  t.false(matchDnsId('dns1.lab.test', 'dns2.lab.test'))
  t.false(matchDnsId('', ''))
})

test('a wildcard matches exactly one whole left-most label (RFC 6125 §6.4.3)', (t) => {
  t.true(matchDnsId('*.lab.test', 'ns.lab.test'))
  t.false(matchDnsId('*.lab.test', 'lab.test'))
  t.false(matchDnsId('*.lab.test', 'a.b.lab.test'))
  t.false(matchDnsId('*.test', 'lab.test'), 'needs two labels after the wildcard')
  t.false(matchDnsId('f*.lab.test', 'foo.lab.test'), 'partial wildcards are refused')
  t.false(matchDnsId('a.*.test', 'a.b.test'))
  t.false(matchDnsId('*.lab.test', 'xn--bcher-kva.lab.test'), 'never into an A-label')
})

test('IP references match only iPAddress entries, comparing bytes', (t) => {
  const names = { dns: ['127.0.0.1'], ip: ['::1', '192.0.2.1'] }
  t.true(matchName(names, '0:0:0:0:0:0:0:1'))
  t.true(matchName(names, '192.0.2.1'))
  t.false(matchName({ dns: ['127.0.0.1'], ip: [] }, '127.0.0.1'), 'a dNSName never matches an IP reference')
  t.false(matchName(names, '192.0.2.2'))
  t.deepEqual([...ipBytes('::ffff:192.0.2.1')!], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1])
  t.is(ipBytes('nope'), null)
})

testProp('ipBytes agrees with the canonical form node produces', [fc.ipV6()], (t, a) => {
  const b = ipBytes(a)
  t.not(b, null)
  const url = new URL(`http://[${a}]/`).hostname.slice(1, -1)
  t.deepEqual(ipBytes(url), b)
}, { numRuns: 300 })
