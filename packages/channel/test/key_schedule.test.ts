import test from 'ava'
import { createHmac, randomBytes } from 'node:crypto'
import { deriveChildKeys, deriveIkeKeys, prf, prfById, prfOctets, prfPlus, PRFS } from '../src/key_schedule.js'
import { TRANSFORMS } from '../src/transforms.js'

test('prf+ chains T1 = prf(K, S|1), T2 = prf(K, T1|S|2) as RFC 7296 §2.13 says', (t) => {
  const k = randomBytes(32), s = randomBytes(40)
  const t1 = createHmac('sha256', k).update(s).update(Uint8Array.of(1)).digest()
  const t2 = createHmac('sha256', k).update(t1).update(s).update(Uint8Array.of(2)).digest()
  t.deepEqual(prfPlus('HMAC-SHA-256', k, s, 50), Buffer.concat([t1, t2]).subarray(0, 50))
})

test('prf+ refuses more than 255 blocks', (t) => {
  t.throws(() => prfPlus('HMAC-SHA-256', randomBytes(32), randomBytes(8), 256 * 32), { instanceOf: RangeError })
})

test('SKEYSEED is prf(Ni | Nr, g^ir) and both sides derive the same IKE keys', (t) => {
  const ss = randomBytes(32), ni = randomBytes(32), nr = randomBytes(32), si = randomBytes(8), sr = randomBytes(8)
  const a = deriveIkeKeys('HMAC-SHA-384', ss, ni, nr, si, sr)
  const b = deriveIkeKeys('HMAC-SHA-384', ss, ni, nr, si, sr)
  t.deepEqual(a, b)
  t.is(a.skD.length, 48)
  t.is(a.skEi.key.length, 32)
  t.is(a.skEi.salt.length, 4)
  t.notDeepEqual(Buffer.from(a.skEi.key), Buffer.from(a.skEr.key))
  t.notDeepEqual(Buffer.from(a.skPi), Buffer.from(a.skPr))
  const skeyseed = prf('HMAC-SHA-384', Buffer.concat([ni, nr]), ss)
  const km = prfPlus('HMAC-SHA-384', skeyseed, Buffer.concat([ni, nr, si, sr]), 48)
  t.deepEqual(Buffer.from(a.skD), km)
})

test('a different nonce gives different keys', (t) => {
  const ss = randomBytes(32), ni = randomBytes(32), si = randomBytes(8), sr = randomBytes(8)
  const a = deriveIkeKeys('HMAC-SHA-256', ss, ni, randomBytes(32), si, sr)
  const b = deriveIkeKeys('HMAC-SHA-256', ss, ni, randomBytes(32), si, sr)
  t.notDeepEqual(Buffer.from(a.skD), Buffer.from(b.skD))
})

test('child keys are separate per direction and fresh per nonce pair', (t) => {
  const skD = randomBytes(32)
  const ni = randomBytes(32), nr = randomBytes(32)
  const a = deriveChildKeys('HMAC-SHA-256', skD, TRANSFORMS['AES-128-GCM'], ni, nr)
  t.is(a.i2r.key.length, 16)
  t.notDeepEqual(Buffer.from(a.i2r.key), Buffer.from(a.r2i.key))
  const b = deriveChildKeys('HMAC-SHA-256', skD, TRANSFORMS['AES-128-GCM'], ni, randomBytes(32))
  t.notDeepEqual(Buffer.from(a.i2r.key), Buffer.from(b.i2r.key))
})

test('PRF ids round-trip and sizes are the hash sizes', (t) => {
  t.is(prfById(PRFS['HMAC-SHA-256']), 'HMAC-SHA-256')
  t.is(prfById(PRFS['HMAC-SHA-384']), 'HMAC-SHA-384')
  t.is(prfById(2), undefined)
  t.is(prfOctets('HMAC-SHA-384'), 48)
})
