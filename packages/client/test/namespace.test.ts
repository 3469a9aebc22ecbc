import test from 'ava'
import { Name } from '@secdns/wire'
import { namespaceCovers, namespaceKey, namespaceSpecificity, parseNamespace, reverseAddress } from '../src/namespace.js'
import { ClientError } from '../src/errors.js'

const n = (s: string): Name => Name.fromString(s.endsWith('.') ? s : `${s}.`)

test('parses a suffix, an FQDN, "." and subnets', (t) => {
  t.like(parseNamespace('.corp.example'), { kind: 'suffix' })
  t.like(parseNamespace('host.corp.example'), { kind: 'fqdn' })
  t.like(parseNamespace('.'), { kind: 'any' })
  t.like(parseNamespace('10.1.0.0/16'), { kind: 'subnet', family: 4, prefix: 16 })
  t.like(parseNamespace('fd00::/8'), { kind: 'subnet', family: 6, prefix: 8 })
})

test('a suffix covers the name itself and everything below it', (t) => {
  const ns = parseNamespace('.corp.example')
  t.true(namespaceCovers(ns, n('corp.example')))
  t.true(namespaceCovers(ns, n('a.b.corp.example')))
  t.false(namespaceCovers(ns, n('xcorp.example')))
  t.false(namespaceCovers(ns, n('example')))
})

test('an FQDN covers only itself', (t) => {
  const ns = parseNamespace('host.corp.example')
  t.true(namespaceCovers(ns, n('HOST.corp.example')))
  t.false(namespaceCovers(ns, n('a.host.corp.example')))
})

test('reads the address a reverse name spells', (t) => {
  t.deepEqual(reverseAddress(n('4.3.2.1.in-addr.arpa')), { family: 4, address: new Uint8Array([1, 2, 3, 4]), bits: 32 })
  t.like(reverseAddress(n('2.1.in-addr.arpa')), { bits: 16 })
  t.like(reverseAddress(n('x.2.1.in-addr.arpa')), { bits: 16 })
  t.like(reverseAddress(n('256.1.in-addr.arpa')), { bits: 8 })
  t.like(reverseAddress(n('d.f.ip6.arpa')), { family: 6, bits: 8 })
  t.is(reverseAddress(n('www.example')), undefined)
})

test('a subnet covers reverse names that spell at least its prefix', (t) => {
  const ns = parseNamespace('172.16.0.0/12')
  t.true(namespaceCovers(ns, n('16.172.in-addr.arpa')))
  t.true(namespaceCovers(ns, n('9.31.172.in-addr.arpa')))
  t.false(namespaceCovers(ns, n('32.172.in-addr.arpa')))
  t.false(namespaceCovers(ns, n('172.in-addr.arpa')))
  t.false(namespaceCovers(ns, n('16.172.example')))
  t.false(namespaceCovers(parseNamespace('fd00::/8'), n('16.172.in-addr.arpa')))
})

test('a /0 subnet covers the whole reverse tree of its family', (t) => {
  t.true(namespaceCovers(parseNamespace('0.0.0.0/0'), n('in-addr.arpa')))
  t.false(namespaceCovers(parseNamespace('0.0.0.0/0'), n('ip6.arpa')))
})

test('a subnet ranks with the reverse suffix of the same length', (t) => {
  t.is(namespaceSpecificity(parseNamespace('10.1.0.0/16')), namespaceSpecificity(parseNamespace('.1.10.in-addr.arpa')))
  t.true(namespaceSpecificity(parseNamespace('172.16.0.0/12')) > namespaceSpecificity(parseNamespace('.172.in-addr.arpa')))
})

test('equal namespaces in different spellings share a key', (t) => {
  t.is(namespaceKey(parseNamespace('.Corp.Example')), namespaceKey(parseNamespace('.corp.example.')))
  t.not(namespaceKey(parseNamespace('corp.example')), namespaceKey(parseNamespace('.corp.example')))
})

for (const bad of ['', '10.1.0.0/33', '10.1.0.0/x', '10.1.2.0/16', 'fd00::/129', '300.1.0.0/8', 'a..b', '.a..b']) {
  test(`rejects the namespace "${bad}"`, (t) => {
    t.throws(() => parseNamespace(bad), { instanceOf: ClientError, code: 'ERR_CLIENT_BAD_NAMESPACE' })
  })
}
