import test from 'ava'
import { REVOKE_HOLD_DOWN, createKey, isActive, isPublished, keyBaseName, keyRole, normalizeZone, publishedFlags, publishedKeyTag, revokeKey } from '../src/keys.js'
import { DnssecError } from '../src/errors.js'

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

test('revokeKey sets the revoke time, the new tag and flags 385, and a delete time after the RFC 5011 hold-down', (t) => {
  const { key } = createKey('example.test', 13, { ksk: true, now: 1000 })
  const r = revokeKey(key, { now: 5000, dnskeyTtl: 3600 })
  t.is(r.key.timing.revoke, 5000)
  t.is(r.key.timing.delete, 5000 + REVOKE_HOLD_DOWN + 3600)
  t.is(r.revokedFlags, 385)
  t.is(r.revokedKeyTag, publishedKeyTag(r.key, 5000))
  t.not(r.revokedKeyTag, key.keyTag)
  t.is(r.key.keyTag, key.keyTag, 'the key keeps its identity (tag without the REVOKE bit)')
  t.is(key.timing.revoke, undefined, 'the input key is left as it was')
  t.false(isActive(r.key, 5000), 'a revoked key signs no zone data')
  t.true(isPublished(r.key, 5000 + REVOKE_HOLD_DOWN))
  t.is(revokeKey(key, { now: 5000, delete: 9000 }).key.timing.delete, 9000)
})

test('revokeKey refuses a ZSK, a revoked key, a key without its private part and an unpublished key', (t) => {
  const zsk = createKey('example.test', 13, { now: 1000 }).key
  t.throws(() => revokeKey(zsk, { now: 2000 }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_REVOKE', message: /it is a ZSK \(flags 256\)/ })
  const ksk = createKey('example.test', 13, { ksk: true, now: 1000 }).key
  const once = revokeKey(ksk, { now: 2000 }).key
  t.throws(() => revokeKey(once, { now: 3000 }), { code: 'ERR_DNSSEC_REVOKE', message: /already revoked since 1970-01-01T00:33:20\.000Z/ })
  t.throws(() => revokeKey({ ...ksk, privateKey: null }, { now: 2000 }), { code: 'ERR_DNSSEC_REVOKE', message: /private key is not available/ })
  t.throws(() => revokeKey(ksk, { now: 500 }), { code: 'ERR_DNSSEC_REVOKE', message: /not published at/ })
  t.throws(() => revokeKey(ksk, { now: 2000, delete: 2000 }), { code: 'ERR_DNSSEC_REVOKE', message: /delete time is not after the revoke time/ })
})
