import test from 'ava'
import { randomBytes } from 'node:crypto'
import { TRANSFORMS, open, seal, transformById, ICV_OCTETS, type TransformName } from '../src/transforms.js'

const names = Object.keys(TRANSFORMS) as TransformName[]

function keyFor(name: TransformName) {
  return { key: randomBytes(TRANSFORMS[name].keyOctets), salt: randomBytes(4) }
}

for (const name of names) {
  test(`${name} seal then open returns the payload`, (t) => {
    const spec = TRANSFORMS[name]
    const k = keyFor(name)
    const iv = randomBytes(8), aad = randomBytes(13), payload = randomBytes(300)
    const out = new Uint8Array(10 + payload.length + ICV_OCTETS)
    const n = seal(spec, k, iv, aad, payload, out, 10)
    t.is(n, payload.length + ICV_OCTETS)
    t.deepEqual(Buffer.from(open(spec, k, iv, aad, out.subarray(10))), payload)
  })

  test(`${name} rejects a flipped bit in the payload, the ICV and the AAD`, (t) => {
    const spec = TRANSFORMS[name]
    const k = keyFor(name)
    const iv = randomBytes(8), aad = randomBytes(13), payload = randomBytes(64)
    const out = new Uint8Array(payload.length + ICV_OCTETS)
    seal(spec, k, iv, aad, payload, out, 0)
    for (const at of [0, 63, 64, 79]) {
      const bad = Uint8Array.from(out); bad[at]! ^= 1
      t.throws(() => open(spec, k, iv, aad, bad), { code: 'ERR_CHANNEL_INTEGRITY' })
    }
    const badAad = Uint8Array.from(aad); badAad[0]! ^= 0x80
    t.throws(() => open(spec, k, iv, badAad, out), { code: 'ERR_CHANNEL_INTEGRITY' })
    const badIv = Uint8Array.from(iv); badIv[7]! ^= 1
    t.throws(() => open(spec, k, badIv, aad, out), { code: 'ERR_CHANNEL_INTEGRITY' })
  })

  test(`${name} finds its own wire id`, (t) => {
    t.is(transformById(TRANSFORMS[name].id), TRANSFORMS[name])
  })
}

test('encrypting transforms hide the payload and AES-GMAC leaves it readable', (t) => {
  const payload = Buffer.from('distinctive-name.example.test')
  for (const name of names) {
    const spec = TRANSFORMS[name]
    const out = Buffer.alloc(payload.length + ICV_OCTETS)
    seal(spec, keyFor(name), randomBytes(8), randomBytes(13), payload, out, 0)
    t.is(out.includes(payload), !spec.encrypts, name)
  }
})

test('open rejects a body shorter than the ICV', (t) => {
  t.throws(() => open(TRANSFORMS['AES-256-GCM'], keyFor('AES-256-GCM'), randomBytes(8), randomBytes(13), new Uint8Array(15)), { code: 'ERR_CHANNEL_TRUNCATED' })
})

test('AES-GCM matches the RFC 4106 construction: nonce is salt | IV', (t) => {
  // The same key, salt and IV through node:crypto directly must give the same ICV.
  const k = keyFor('AES-128-GCM'), iv = randomBytes(8), aad = randomBytes(13), payload = randomBytes(20)
  const out = new Uint8Array(payload.length + 16)
  seal(TRANSFORMS['AES-128-GCM'], k, iv, aad, payload, out, 0)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return import('node:crypto').then(({ createCipheriv }) => {
    const c = createCipheriv('aes-128-gcm', k.key, Buffer.concat([k.salt, iv]))
    c.setAAD(aad)
    const ct = Buffer.concat([c.update(payload), c.final(), c.getAuthTag()])
    t.deepEqual(Buffer.from(out), ct)
  })
})
