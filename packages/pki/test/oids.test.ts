import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { decodeExtKeyUsage, decodeOidBody, OID_SECDNS_ADMIN, OID_DNS_SERVER_TRUST, EKU_NAMES } from '../src/oids.js'
import { oid, seq } from '../src/der.js'

const arbOid = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.bigInt({ min: 0n, max: 1n << 130n }), { maxLength: 6 }))
  .map(([a, b, rest]) => [a, b, ...rest].join('.'))

testProp('decodeExtKeyUsage reads back any list of OIDs, however large the arcs', [fc.array(arbOid, { minLength: 1, maxLength: 5 })], (t, oids) => {
  t.deepEqual(decodeExtKeyUsage(seq(...oids.map(oid))), oids)
}, { numRuns: 300 })

testProp('decodeExtKeyUsage never throws anything but RangeError', [fc.uint8Array({ maxLength: 64 })], (t, bytes) => {
  try { decodeExtKeyUsage(bytes); t.pass() } catch (e) { t.true(e instanceof RangeError) }
}, { numRuns: 500 })

test('reads the admin UUID arc that asn1js garbles', (t) => {
  t.deepEqual(decodeExtKeyUsage(seq(oid(OID_DNS_SERVER_TRUST), oid(OID_SECDNS_ADMIN))), [OID_DNS_SERVER_TRUST, OID_SECDNS_ADMIN])
  t.is(EKU_NAMES[OID_DNS_SERVER_TRUST], 'DNS Server Trust')
})

test('rejects truncated and overlong encodings with the offset', (t) => {
  t.throws(() => decodeOidBody(new Uint8Array([0x2a, 0x86])), { instanceOf: RangeError })
  t.throws(() => decodeExtKeyUsage(new Uint8Array([0x30, 0x05, 0x06, 0x01, 0x2a])), { message: /SEQUENCE length 5/ })
  t.throws(() => decodeExtKeyUsage(new Uint8Array([0x30, 0x02, 0x05, 0x00])), { message: /offset 2/ })
  t.throws(() => decodeExtKeyUsage(new Uint8Array([0x31, 0x00])), { message: /offset 0/ })
})
