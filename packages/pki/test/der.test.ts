import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import forge from 'node-forge'
import { oid, integer, seq, set, octets, tlv, bmpString } from '../src/der.js'

const arbOid = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.bigInt({ min: 0n, max: (1n << 130n) }), { maxLength: 6 }))
  .map(([a, b, rest]) => [a, b, ...rest].join('.'))

testProp('oid() encodes like node-forge for arcs that fit in 32 bits', [arbOid.filter((o) => o.split('.').every((a) => BigInt(a) < 2n ** 31n))], (t, o) => {
  const ours = Buffer.from(oid(o)).toString('hex')
  const body = forge.asn1.oidToDer(o).getBytes()
  t.is(ours, Buffer.from(tlv(0x06, new Uint8Array(Buffer.from(body, 'binary')))).toString('hex'))
}, { numRuns: 300 })

test('oid() encodes a 128-bit UUID arc as OpenSSL does', (t) => {
  // From: openssl asn1parse -genstr OID:2.25.329800735698586629295641978511506172918 -out o.der; xxd -p o.der (OpenSSL 3.0.22)
  t.is(Buffer.from(oid('2.25.329800735698586629295641978511506172918')).toString('hex'), '06146983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776')
})

test('integer(), lengths and SET ordering follow DER', (t) => {
  t.deepEqual([...integer(0)], [0x02, 0x01, 0x00])
  t.deepEqual([...integer(128)], [0x02, 0x02, 0x00, 0x80])
  t.deepEqual([...integer(2048)], [0x02, 0x02, 0x08, 0x00])
  t.deepEqual([...octets(new Uint8Array(200)).subarray(0, 3)], [0x04, 0x81, 200])
  t.deepEqual([...octets(new Uint8Array(300)).subarray(0, 4)], [0x04, 0x82, 0x01, 0x2c])
  t.deepEqual([...set(octets(new Uint8Array([2])), octets(new Uint8Array([1])))], [0x31, 6, 4, 1, 1, 4, 1, 2])
  t.deepEqual([...seq()], [0x30, 0])
  t.deepEqual([...bmpString('é')], [0x1e, 2, 0x00, 0xe9])
})
