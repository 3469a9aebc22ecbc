import test from 'ava'
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatBindPrivateKey, formatBindPublicKey, parseBindKey, readBindKey, writeBindKey } from '../src/bind_keys.js'
import { createKey, keyBaseName } from '../src/keys.js'
import { DnssecError } from '../src/errors.js'
import { parseTime } from '../src/time.js'

const fixtures = fileURLToPath(new URL('../../test/fixtures/bind/', import.meta.url))

test('reads the keys dnssec-keygen made, with their timing', async (t) => {
  const files = (await readdir(fixtures)).filter((f) => f.endsWith('.key'))
  t.is(files.length, 3)
  for (const f of files) {
    const key = await readBindKey(join(fixtures, f))
    t.is(key.zone, 'example.test.')
    t.is(key.flags, 257)
    t.not(key.privateKey, null)
    t.is(keyBaseName(key) + '.key', f, 'the key tag we compute is the one in the file name')
    t.is(key.timing.publish, parseTime('20261101000000'))
    t.is(key.timing.activate, parseTime('20261101000000'))
    t.is(key.timing.inactive, parseTime('20271101000000'))
    t.is(key.timing.delete, parseTime('20271201000000'))
  }
})

test('a BIND key written and read back is the same key, the private file mode 0600', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-bind-'))
  for (const alg of [5, 7, 8, 10, 13, 14, 15]) {
    const { key } = createKey('Example.Test', alg, { bits: alg <= 10 ? 1024 : undefined, ksk: alg % 2 === 0, now: 1_800_000_000 })
    const base = await writeBindKey(key, dir)
    t.is((await stat(`${base}.private`)).mode & 0o777, 0o600)
    const back = await readBindKey(`${base}.key`)
    t.deepEqual(back.publicKey, key.publicKey)
    t.is(back.keyTag, key.keyTag)
    t.is(back.flags, key.flags)
    t.deepEqual(back.timing, key.timing)
    t.true(back.privateKey!.equals(key.privateKey!))
  }
})

test('the exported text has the v1.3 fields BIND expects', (t) => {
  const { key } = createKey('example.test', 8, { bits: 1024, now: 1_800_000_000 })
  const priv = formatBindPrivateKey(key)
  for (const f of ['Private-key-format: v1.3', 'Algorithm: 8 (RSASHA256)', 'Modulus:', 'PublicExponent:', 'PrivateExponent:', 'Prime1:', 'Prime2:', 'Exponent1:', 'Exponent2:', 'Coefficient:', 'Created: 20270115080000', 'Activate: 20270115080000']) {
    t.true(priv.includes(f), f)
  }
  t.regex(formatBindPublicKey(key), /^example\.test\. IN DNSKEY 256 3 8 [A-Za-z0-9+/=]+$/m)
})

test('rejects a private key that does not match the public key', async (t) => {
  const a = createKey('example.test', 13).key
  const b = createKey('example.test', 13).key
  t.throws(() => parseBindKey(formatBindPublicKey(a), formatBindPrivateKey(b), { key: 'Ka.key' }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_KEY_MISMATCH' })
})

test('rejects malformed key files with a message naming the file', async (t) => {
  t.throws(() => parseBindKey('example.test. IN A 1.2.3.4\n', null, { key: 'Kx.key' }), { code: 'ERR_DNSSEC_BAD_KEY_FILE', message: /Kx\.key/ })
  t.throws(() => parseBindKey('example.test. IN DNSKEY 256 4 13 AAAA\n', null, { key: 'Kx.key' }), { code: 'ERR_DNSSEC_BAD_KEY_FILE', message: /protocol/ })
  const a = createKey('example.test', 13).key
  t.throws(() => parseBindKey(formatBindPublicKey(a), 'Private-key-format: v1.3\nAlgorithm: 13\n', { key: 'Ky.key' }), { code: 'ERR_DNSSEC_BAD_KEY_FILE', message: /Ky\.private: missing field PrivateKey/ })
  t.throws(() => parseBindKey(formatBindPublicKey(a), 'garbage\n', { key: 'Ky.key' }), { code: 'ERR_DNSSEC_BAD_KEY_FILE', message: /Ky\.private:1/ })
  const dir = await mkdtemp(join(tmpdir(), 'secdns-bind-'))
  await t.throwsAsync(readBindKey(join(dir, 'Knone.+013+00001.key')), { code: 'ERR_DNSSEC_BAD_KEY_FILE', message: /Knone/ })
  await writeFile(join(dir, 'Kz.key'), formatBindPublicKey(a))
  const pubOnly = await readBindKey(join(dir, 'Kz.key'))
  t.is(pubOnly.privateKey, null)
  t.is((await readFile(join(dir, 'Kz.key'), 'utf8')).length > 0, true)
})

import { testProp, fc } from '@fast-check/ava'

testProp('parsing arbitrary key file text throws only DnssecError', [fc.string({ maxLength: 300 }), fc.option(fc.string({ maxLength: 300 }))], (t, pub, priv) => {
  try { parseBindKey(pub, priv, { key: 'K.key' }); t.pass() } catch (e) { t.true(e instanceof DnssecError, String(e)) }
}, { numRuns: 300 })

testProp('a DNSKEY line with random fields throws only DnssecError', [fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 300 }), fc.base64String({ maxLength: 200 })], (t, flags, alg, b64) => {
  try { parseBindKey(`example.test. IN DNSKEY ${flags} 3 ${alg} ${b64}\n`, null, { key: 'K.key' }); t.pass() } catch (e) { t.true(e instanceof DnssecError, String(e)) }
}, { numRuns: 300 })

test('a DNSKEY with the REVOKE bit and no Revoke time is read as revoked from its publication', (t) => {
  const { key } = createKey('example.test', 13, { ksk: true, now: 1_800_000_000 })
  const text = formatBindPublicKey(key, undefined, 1_800_000_000).replace('IN DNSKEY 257 ', 'IN DNSKEY 385 ')
  const back = parseBindKey(text, formatBindPrivateKey(key), { key: 'Kx.key' })
  t.is(back.flags, 257)
  t.is(back.keyTag, key.keyTag)
  t.is(back.timing.revoke, 1_800_000_000)
})
