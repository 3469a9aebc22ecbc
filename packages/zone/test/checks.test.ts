import test from 'ava'
import { loadZoneText } from '../src/load.js'

const check = (text: string) => loadZoneText(text, { origin: 'example.test', file: 'db' })
const HEAD = '$TTL 300\n@ SOA ns hostmaster 1 2 3 4 5\n  NS ns\nns A 192.0.2.1\n'

test('a good zone has no errors', (t) => {
  const r = check(HEAD + 'www A 192.0.2.2')
  t.deepEqual(r.errors, [])
  t.is(r.zone.soa!.data.serial, 1)
})

test('a zone without SOA is an error', (t) => {
  const r = check('$TTL 300\n@ NS ns\nns A 192.0.2.1')
  t.deepEqual(r.errors.map((e) => [e.code, e.message]), [['ERR_ZONE_NO_SOA', 'db: zone example.test. has no SOA record at its apex']])
})

test('more than one SOA is an error at the SOA', (t) => {
  const r = check(HEAD + '@ SOA ns2 hostmaster 2 2 3 4 5')
  t.deepEqual(r.errors.map((e) => [e.code, e.line]), [['ERR_ZONE_MULTIPLE_SOA', 2]])
})

test('an SOA below the apex is an error at its line', (t) => {
  const r = check(HEAD + 'sub SOA ns hostmaster 1 2 3 4 5')
  t.deepEqual(r.errors.map((e) => [e.code, e.line, e.column]), [['ERR_ZONE_SOA_NOT_AT_APEX', 5, 1]])
})

test('a CNAME beside other data is an error, but RRSIG and NSEC beside it are not', (t) => {
  const r = check(HEAD + 'a CNAME ns\na A 192.0.2.9\nb CNAME ns\nb NSEC c.example.test. CNAME RRSIG NSEC')
  t.deepEqual(r.errors.map((e) => [e.code, e.line]), [['ERR_ZONE_CNAME_AND_OTHER_DATA', 6]])
})

test('two CNAMEs at one name are an error', (t) => {
  const r = check(HEAD + 'a CNAME ns\na CNAME www')
  t.is(r.errors[0]!.code, 'ERR_ZONE_MULTIPLE_CNAME')
})

test('no NS at the apex is an error', (t) => {
  const r = check('$TTL 300\n@ SOA ns hostmaster 1 2 3 4 5\nns A 192.0.2.1')
  t.is(r.errors[0]!.code, 'ERR_ZONE_NO_NS_AT_APEX')
  t.is(r.errors[0]!.line, 2)
})

test('an in-zone name server under a delegation without glue is an error at the NS', (t) => {
  const r = check(HEAD + 'sub NS ns.sub\nsub NS ns.example.net.')
  t.deepEqual(r.errors.map((e) => [e.code, e.line]), [['ERR_ZONE_MISSING_GLUE', 5]])
  t.regex(r.errors[0]!.reason, /ns\.sub\.example\.test\..*no glue .* below the delegation sub\.example\.test\./)
})

test('an in-zone apex name server without addresses is an error', (t) => {
  const r = check('$TTL 300\n@ SOA ns hostmaster 1 2 3 4 5\n  NS ns\n  NS ns2\nns A 192.0.2.1')
  t.is(r.errors[0]!.code, 'ERR_ZONE_MISSING_GLUE')
  t.regex(r.errors[0]!.reason, /ns2\.example\.test\..*no address records/)
})

test('an NS that names a CNAME is an error', (t) => {
  const r = check(HEAD + 'sub NS alias\nalias CNAME ns')
  t.is(r.errors[0]!.code, 'ERR_ZONE_NS_IS_CNAME')
})

test('content checks are skipped when the file did not read cleanly', (t) => {
  const r = check('$TTL 300\nwww A 1.2.3')
  t.deepEqual(r.errors.map((e) => e.code), ['ERR_ZONE_BAD_RDATA'])
})
