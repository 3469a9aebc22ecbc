import test, { type ExecutionContext } from 'ava'
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKey, keyBaseName } from '../src/keys.js'
import { keyCertificate, loadKeys, readKeyCertificate, saveKey, saveKeyPkcs12 } from '../src/key_store.js'
import { DnssecError } from '../src/errors.js'

test('every algorithm is kept in a self-signed certificate that names zone, role, algorithm and tag', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-ks-'))
  for (const alg of [5, 7, 8, 10, 13, 14, 15]) {
    const { key } = createKey('example.test', alg, { bits: alg <= 10 ? 1024 : undefined, ksk: alg === 13, now: 1_800_000_000 })
    const base = await saveKey(dir, key)
    const cert = new x509.X509Certificate(await readFile(`${base}.crt`, 'utf8'))
    t.true(await cert.verify({ signatureOnly: true }), `self-signature of alg ${alg}`)
    t.regex(cert.subject, /CN=example\.test/)
    t.regex(cert.subject, alg === 13 ? /OU=KSK/ : /OU=ZSK/)
    const info = readKeyCertificate(await readFile(`${base}.crt`, 'utf8'))
    t.deepEqual(info, { zone: 'example.test.', role: alg === 13 ? 'ksk' : 'zsk', flags: key.flags, algorithm: alg, keyTag: key.keyTag })
    t.is((await stat(`${base}.key.pem`)).mode & 0o777, 0o600)
  }
  const loaded = await loadKeys(dir, { zone: 'EXAMPLE.test', needPrivate: true })
  t.is(loaded.length, 7)
  for (const s of loaded) t.not(s.key.privateKey, null)
})

test('a 512-bit RSA key still gets a certificate (signed with SHA-256)', async (t) => {
  const { key, warnings } = createKey('example.test', 8, { bits: 512 })
  t.true(warnings.length > 0)
  const cert = await keyCertificate(key)
  t.is((cert.signatureAlgorithm as unknown as { name: string }).name, 'RSASSA-PKCS1-v1_5')
  t.true(await cert.verify({ signatureOnly: true }))
})

/**
 * True when the failure is a missing openssl binary: logged here, a failure under CI=true
 * (CI installs openssl). Any other failure (openssl refusing our file) is rethrown by the caller.
 */
function opensslMissing(t: ExecutionContext, e: unknown): boolean {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return false
  if (process.env['CI'] === 'true') t.fail('openssl is missing (apt-get install -y openssl)')
  else { t.log('openssl not installed here (apt-get install -y openssl)'); t.pass() }
  return true
}

test('OpenSSL reads the key certificate', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-ks-'))
  const { key } = createKey('example.test', 13, { ksk: true })
  const base = await saveKey(dir, key)
  let out: string
  try { out = execFileSync('openssl', ['x509', '-in', `${base}.crt`, '-noout', '-subject'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) } catch (e) {
    if (!opensslMissing(t, e)) throw e
    return
  }
  t.regex(out, /CN\s*=\s*example\.test/)
})

test('an encrypted private key needs its passphrase', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-ks-'))
  const { key } = createKey('example.test', 15)
  const base = await saveKey(dir, key, { passphrase: 'correct horse' })
  t.regex(await readFile(`${base}.key.pem`, 'utf8'), /ENCRYPTED PRIVATE KEY/)
  await t.throwsAsync(loadKeys(dir, { needPrivate: true }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_MISSING_PRIVATE_KEY' })
  await t.throwsAsync(loadKeys(dir, { passphrase: 'wrong', needPrivate: true }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_BAD_PRIVATE_KEY' })
  const [k] = await loadKeys(dir, { passphrase: 'correct horse', needPrivate: true })
  t.true(k!.key.privateKey!.equals(key.privateKey!))
})

test('timing metadata survives the JSON file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-ks-'))
  const { key } = createKey('example.test', 13, { now: 1_800_000_000, timing: { inactive: 1_900_000_000, delete: 1_950_000_000 } })
  await saveKey(dir, key)
  const [k] = await loadKeys(dir)
  t.deepEqual(k!.key.timing, key.timing)
  const json = JSON.parse(await readFile(join(dir, `${keyBaseName(key)}.json`), 'utf8'))
  t.is(json.timing.inactive, '2030-03-17T17:46:40Z')
  t.deepEqual((await readdir(dir)).filter((f) => f.includes('.tmp-')), [])
})

test('a missing private key is refused naming the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-ks-'))
  const { key } = createKey('example.test', 13)
  const base = await saveKey(dir, key)
  await writeFile(`${base}.key.pem`, '')
  await t.throwsAsync(loadKeys(dir, { needPrivate: true }), { instanceOf: DnssecError, message: /\.key\.pem/ })
})

test('a certificate that does not match its metadata is refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-ks-'))
  const a = createKey('example.test', 13).key
  const b = createKey('example.test', 13).key
  const baseA = await saveKey(dir, a)
  const baseB = await saveKey(join(dir, 'b'), b)
  await writeFile(`${baseA}.crt`, await readFile(`${baseB}.crt`))
  await t.throwsAsync(loadKeys(dir), { instanceOf: DnssecError, code: 'ERR_DNSSEC_KEY_MISMATCH' })
})

test('a key exports as a PKCS#12 bundle OpenSSL opens with the password', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-ks-'))
  const { key } = createKey('example.test', 13, { ksk: true })
  const path = await saveKeyPkcs12(dir, key, 'pw')
  t.is((await stat(path)).mode & 0o777, 0o600)
  let out: string
  try { out = execFileSync('openssl', ['pkcs12', '-in', path, '-passin', 'pass:pw', '-nodes', '-nocerts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) } catch (e) {
    if (!opensslMissing(t, e)) throw e
    return
  }
  t.regex(out, /BEGIN PRIVATE KEY/)
})
