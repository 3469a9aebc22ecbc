import test from 'ava'
import { Name, toBase32Hex } from '@secdns/wire'
import { nsec3Hash, nsec3Owner, parseSalt, defaultNsec3Params } from '../src/nsec3.js'
import { DnssecError } from '../src/errors.js'

// RFC 5155 Appendix A: salt aabbccdd, 12 iterations.
const salt = new Uint8Array(Buffer.from('aabbccdd', 'hex'))
const vectors: Array<[string, string]> = [
  ['example.', '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom'],
  ['a.example.', '35mthgpgcu1qg68fab165klnsnk3dpvl'],
  ['ai.example.', 'gjeqe526plbf1g8mklp59enfd789njgi'],
  ['ns1.example.', '2t7b4g4vsa5smi47k61mv5bv1a22bojr'],
  ['ns2.example.', 'q04jkcevqvmu85r014c7dkba38o0ji5r'],
  ['w.example.', 'k8udemvp1j2f7eg6jebps17vp3n8i58h'],
  ['*.w.example.', 'r53bq7cc2uvmubfu5ocmm6pers9tk9en'],
  ['x.w.example.', 'b4um86eghhds6nea196smvmlo4ors995'],
  ['y.w.example.', 'ji6neoaepv8b5o6k4ev33abha8ht9fgc'],
  ['x.y.w.example.', '2vptu5timamqttgl4luu9kg21e0aor3s'],
  ['xx.example.', 't644ebqk9bibcna874givr6joj62mlhv'],
]

test('NSEC3 hashes of the RFC 5155 Appendix A names match', (t) => {
  for (const [name, hash] of vectors) {
    t.is(toBase32Hex(nsec3Hash(Name.fromString(name), salt, 12)).toLowerCase(), hash, name)
  }
})

test('the NSEC3 owner is the base32hex hash under the zone', (t) => {
  const h = nsec3Hash(Name.fromString('example.'), salt, 12)
  t.is(nsec3Owner(h, Name.fromString('example.')).toString(), '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.')
})

test('salts parse from hex or "-"; defaults follow RFC 9276', (t) => {
  t.deepEqual(parseSalt('-'), new Uint8Array(0))
  t.deepEqual(Array.from(parseSalt('AABB')), [0xaa, 0xbb])
  t.throws(() => parseSalt('abc'), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_SALT' })
  const d = defaultNsec3Params()
  t.is(d.iterations, 0)
  t.is(d.salt.length, 0)
  t.false(d.optOut)
})
