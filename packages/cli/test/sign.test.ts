import test from 'ava'
import { spawnSync } from 'node:child_process'
import { copyFile, cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))
const fixture = fileURLToPath(new URL('../../../../test/fixtures/dnssec/example.test.zone', import.meta.url))
const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd })

// One key store made through the CLI, copied for each test (spawning is the slow part).
let keyStore = ''
test.before(async () => {
  keyStore = await mkdtemp(join(tmpdir(), 'secdns-cli-keys-'))
  t0(run(keyStore, 'key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--ksk', '--key-dir', 'keys', '--now', '20261101000000'))
  t0(run(keyStore, 'key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--key-dir', 'keys', '--now', '20261101000000'))
})

async function setup(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-cli-sign-'))
  await copyFile(fixture, join(dir, 'db'))
  await cp(join(keyStore, 'keys'), join(dir, 'keys'), { recursive: true })
  return dir
}
function t0(r: ReturnType<typeof run>): void {
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`)
}

test('zone sign writes the signed zone and dsset, and --json summarises it', async (t) => {
  const dir = await setup()
  const r = run(dir, 'zone', 'sign', 'db', '--zone', 'example.test', '--key-dir', 'keys', '--now', '20261125000000', '--serial', 'increment', '--json')
  t.is(r.status, 0, r.stderr)
  const j = JSON.parse(r.stdout)
  t.true(j.ok)
  t.is(j.out, 'db.signed')
  t.is(j.serial, 2026112502)
  t.regex(await readFile(join(dir, 'dsset-example.test.'), 'utf8'), /IN DS \d+ 15 2 /)
  t.is(r.stderr, '', 'no progress bar when not on a TTY')
})

test('zone sign output is identical for --jobs 1 and --jobs 2 with Ed25519', async (t) => {
  const dir = await setup()
  t.is(run(dir, 'zone', 'sign', 'db', '--zone', 'example.test', '--key-dir', 'keys', '--now', '20261125000000', '--jobs', '1', '--out', 'one').status, 0)
  t.is(run(dir, 'zone', 'sign', 'db', '--zone', 'example.test', '--key-dir', 'keys', '--now', '20261125000000', '--jobs', '2', '--out', 'two', '--nsec3').status, 0)
  t.is(run(dir, 'zone', 'sign', 'db', '--zone', 'example.test', '--key-dir', 'keys', '--now', '20261125000000', '--jobs', '2', '--out', 'three').status, 0)
  t.is(await readFile(join(dir, 'one'), 'utf8'), await readFile(join(dir, 'three'), 'utf8'))
})

test('zone verify exits 0 on our output and 1 naming the record when it is changed', async (t) => {
  const dir = await setup()
  t.is(run(dir, 'zone', 'sign', 'db', '--zone', 'example.test', '--key-dir', 'keys', '--now', '20261125000000').status, 0)
  const ok = run(dir, 'zone', 'verify', 'db.signed', '--zone', 'example.test', '--now', '20261126000000', '--json')
  t.is(ok.status, 0, ok.stdout)
  t.true(JSON.parse(ok.stdout).ok)
  const text = await readFile(join(dir, 'db.signed'), 'utf8')
  await writeFile(join(dir, 'bad'), text.replace(/^(mail\.example\.test\. 3600 IN A )192\.0\.2\.25$/m, '$1192.0.2.26'))
  const bad = run(dir, 'zone', 'verify', 'bad', '--zone', 'example.test', '--now', '20261126000000')
  t.is(bad.status, 1)
  t.regex(bad.stderr, /mail\.example\.test\. A: no valid RRSIG/)
  const expired = run(dir, 'zone', 'verify', 'db.signed', '--zone', 'example.test', '--now', '20270301000000')
  t.is(expired.status, 1)
  t.regex(expired.stderr, /expired/)
})

test('zone sign refuses keys for another zone with exit 2 and a message naming the key file', async (t) => {
  const dir = await setup()
  t.is(run(dir, 'key', 'create', '--zone', 'other.test', '--algorithm', 'ED25519', '--key-dir', 'keys2').status, 0)
  const r = run(dir, 'zone', 'sign', 'db', '--zone', 'example.test', '--key-dir', 'keys2', '--json')
  t.is(r.status, 2)
  t.is(JSON.parse(r.stdout).error.code, 'ERR_DNSSEC_NO_KEYS')
  const r2 = run(dir, 'zone', 'sign', 'db', '--zone', 'example.test', '--key-dir', 'nowhere')
  t.is(r2.status, 2)
  t.regex(r2.stderr, /nowhere/)
})

test('zone sign refuses a zone without SOA, naming the file', async (t) => {
  const dir = await setup()
  await writeFile(join(dir, 'nosoa'), '$TTL 300\nwww.example.test. IN A 192.0.2.1\n')
  const r = run(dir, 'zone', 'sign', 'nosoa', '--zone', 'example.test', '--key-dir', 'keys', '--json')
  t.is(r.status, 2)
  t.regex(JSON.parse(r.stdout).error.message, /nosoa/)
})

test('usage errors exit 2', async (t) => {
  const dir = await setup()
  t.is(run(dir, 'zone', 'sign', 'db', '--key-dir', 'keys').status, 2)
  t.is(run(dir, 'zone', 'sign', 'db', '--zone', 'example.test', '--key-dir', 'keys', '--opt-out').status, 2)
  t.is(run(dir, 'zone', 'sign', 'db', '--zone', 'example.test', '--key-dir', 'keys', '--serial', 'sometimes').status, 2)
  t.is(run(dir, 'zone', 'sign', 'db', '--zone', 'example.test', '--key-dir', 'keys', '--nsec3', '--salt', 'xyz').status, 2)
})

test('zone ds prints DS records of the KSKs with the chosen digests', async (t) => {
  const dir = await setup()
  const r = run(dir, 'zone', 'ds', '--zone', 'example.test', '--key-dir', 'keys', '--digest', 'sha256,sha384')
  t.is(r.status, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  t.is(lines.length, 2)
  t.regex(lines[0]!, /^example\.test\. IN DS \d+ 15 2 [0-9A-F]/)
  t.regex(lines[1]!, /^example\.test\. IN DS \d+ 15 4 [0-9A-F]/)
})
