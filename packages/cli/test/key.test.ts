import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))
const run = (cwd: string, args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, env: { ...process.env, ...env } })

test('key create writes a certificate, a 0600 private key and JSON timing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-cli-key-'))
  const r = run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ECDSAP256SHA256', '--ksk', '--key-dir', 'keys', '--json'])
  t.is(r.status, 0, r.stderr)
  const j = JSON.parse(r.stdout)
  t.is(j.role, 'ksk')
  t.is(j.flags, 257)
  t.is(j.algorithm, 'ECDSAP256SHA256')
  const files = await readdir(join(dir, 'keys'))
  t.deepEqual(files.map((f) => f.replace(/\+\d{5}/, '+TAG')).sort(), ['Kexample.test.+013+TAG.crt', 'Kexample.test.+013+TAG.json', 'Kexample.test.+013+TAG.key.pem'])
  t.is((await stat(join(dir, 'keys', files.find((f) => f.endsWith('.key.pem'))!))).mode & 0o777, 0o600)
})

test('key create warns about a weak RSA size and refuses a bad one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-cli-key-'))
  const r = run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'RSASHA256', '--bits', '512', '--key-dir', 'keys'])
  t.is(r.status, 0, r.stderr)
  t.regex(r.stderr, /warning: RSA key of 512 bits is weak/)
  const bad = run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'RSASHA256', '--bits', '100', '--key-dir', 'keys', '--json'])
  t.is(bad.status, 2)
  t.is(JSON.parse(bad.stdout).error.code, 'ERR_DNSSEC_BAD_KEY_SIZE')
  t.is(run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'RSAMD5', '--key-dir', 'keys']).status, 2)
})

test('key list shows each key with role, algorithm and state', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-cli-key-'))
  run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--ksk', '--key-dir', 'keys'])
  run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--key-dir', 'keys'])
  const r = run(dir, ['key', 'list', '--key-dir', 'keys', '--json'])
  t.is(r.status, 0)
  const keys = JSON.parse(r.stdout).keys
  t.is(keys.length, 2)
  t.deepEqual(keys.map((k: { role: string }) => k.role).sort(), ['ksk', 'zsk'])
  t.true(keys.every((k: { state: string }) => k.state === 'active'))
})

test('BIND K-files export and import back to the same keys', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-cli-key-'))
  run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ECDSAP384SHA384', '--key-dir', 'keys'])
  const ex = run(dir, ['key', 'export-bind', '--key-dir', 'keys', '--out', 'bind'])
  t.is(ex.status, 0, ex.stderr)
  const kfiles = (await readdir(join(dir, 'bind'))).sort()
  t.is(kfiles.length, 2)
  t.is((await stat(join(dir, 'bind', kfiles.find((f) => f.endsWith('.private'))!))).mode & 0o777, 0o600)
  const im = run(dir, ['key', 'import-bind', ...kfiles.map((f) => join('bind', f)), '--key-dir', 'keys2', '--json'])
  t.is(im.status, 0, im.stderr)
  t.deepEqual(JSON.parse(im.stdout).imported, [kfiles[0]!.replace(/\.(key|private)$/, '')])
  const a = JSON.parse(run(dir, ['key', 'list', '--key-dir', 'keys', '--json']).stdout).keys[0]
  const b = JSON.parse(run(dir, ['key', 'list', '--key-dir', 'keys2', '--json']).stdout).keys[0]
  t.is(a.keyTag, b.keyTag)
})

test('key rollover writes the successor and key status gives the next step and its time', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-cli-key-'))
  run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--ksk', '--key-dir', 'keys', '--now', '20261101000000'])
  run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--key-dir', 'keys', '--now', '20261101000000'])
  const r = run(dir, ['key', 'rollover', '--zone', 'example.test', '--key-dir', 'keys', '--role', 'zsk', '--method', 'prepublish', '--now', '20261125000000',
    '--dnskey-ttl', '1h', '--max-zone-ttl', '1d', '--propagation', '5m', '--safety', '1h', '--json'])
  t.is(r.status, 0, r.stderr)
  const j = JSON.parse(r.stdout)
  t.is(j.successor.publish, '2026-11-25T00:00:00Z')
  t.is(j.successor.activate, '2026-11-25T02:05:00Z')
  t.is(j.predecessor.inactive, '2026-11-25T02:05:00Z')
  t.is(j.predecessor.delete, '2026-11-26T03:10:00Z')
  const s = JSON.parse(run(dir, ['key', 'status', '--zone', 'example.test', '--key-dir', 'keys', '--now', '20261125010000', '--json']).stdout)
  const succ = s.keys.find((k: { keyTag: number }) => k.keyTag === j.successor.keyTag)
  t.is(succ.state, 'published')
  t.is(succ.next.at, '2026-11-25T02:05:00Z')
  const bad = run(dir, ['key', 'rollover', '--zone', 'example.test', '--key-dir', 'keys', '--role', 'csk'])
  t.is(bad.status, 2)
})

test('an encrypted key store needs SECDNS_KEY_PASSPHRASE to sign', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-cli-key-'))
  t.is(run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--key-dir', 'keys'], { SECDNS_KEY_PASSPHRASE: 'pw' }).status, 0)
  const r = run(dir, ['key', 'export-bind', '--key-dir', 'keys', '--out', 'bind', '--json'], { SECDNS_KEY_PASSPHRASE: '' })
  t.is(r.status, 2)
  t.is(JSON.parse(r.stdout).error.code, 'ERR_DNSSEC_MISSING_PRIVATE_KEY')
  t.is(run(dir, ['key', 'export-bind', '--key-dir', 'keys', '--out', 'bind'], { SECDNS_KEY_PASSPHRASE: 'pw' }).status, 0)
})

test('a rollover run without the passphrase keeps the predecessor\'s private key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-cli-key-'))
  const pw = { SECDNS_KEY_PASSPHRASE: 'pw' }
  t.is(run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--key-dir', 'keys', '--now', '20261101000000'], pw).status, 0)
  const r = run(dir, ['key', 'rollover', '--zone', 'example.test', '--key-dir', 'keys', '--role', 'zsk', '--now', '20261125000000'], { SECDNS_KEY_PASSPHRASE: '' })
  t.is(r.status, 0, r.stderr)
  const list = JSON.parse(run(dir, ['key', 'list', '--key-dir', 'keys', '--json'], pw).stdout).keys
  t.is(list.length, 2)
  t.true(list.every((k: { hasPrivateKey: boolean }) => k.hasPrivateKey))
})
