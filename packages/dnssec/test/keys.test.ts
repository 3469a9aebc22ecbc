import test from 'ava'
import { createKey, isActive, isPublished, keyBaseName, keyRole, normalizeZone, publishedFlags, publishedKeyTag } from '../src/keys.js'

test('a new key is published and active from its creation time', (t) => {
  const { key } = createKey('example.test', 13, { now: 1000 })
  t.true(isPublished(key, 1000))
  t.true(isActive(key, 1000))
  t.false(isPublished(key, 999))
})

test('KSK and ZSK are told apart by the SEP flag', (t) => {
  t.is(keyRole(createKey('example.test', 15, { ksk: true }).key), 'ksk')
  t.is(createKey('example.test', 15, { ksk: true }).key.flags, 257)
  t.is(keyRole(createKey('example.test', 15).key), 'zsk')
})

test('an inactive key is still published until its delete time, and signs nothing', (t) => {
  const { key } = createKey('example.test', 13, { now: 1000, timing: { inactive: 2000, delete: 3000 } })
  t.false(isActive(key, 2500))
  t.true(isPublished(key, 2500))
  t.false(isPublished(key, 3000))
})

test('a revoked key gets the REVOKE flag, a new key tag, and stops signing data', (t) => {
  const { key } = createKey('example.test', 13, { ksk: true, now: 1000, timing: { revoke: 2000 } })
  t.is(publishedFlags(key, 1500), 257)
  t.is(publishedFlags(key, 2000), 385)
  t.not(publishedKeyTag(key, 2000), key.keyTag)
  t.false(isActive(key, 2000))
})

test('key base names follow BIND', (t) => {
  const key = { zone: 'example.test.', algorithm: 8, keyTag: 535 }
  t.is(keyBaseName(key), 'Kexample.test.+008+00535')
  t.is(normalizeZone('Example.TEST'), 'example.test.')
  t.is(normalizeZone('.'), '.')
})
