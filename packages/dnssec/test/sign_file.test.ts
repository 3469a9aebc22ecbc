import test from 'ava'
import { chmod, copyFile, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Name } from '@secdns/wire'
import { signZoneFile, readZoneRecords, recordsToText } from '../src/sign_file.js'
import { createKey, type DnssecKey } from '../src/keys.js'
import { verifyZone } from '../src/verify.js'
import { DnssecError } from '../src/errors.js'

const fixture = fileURLToPath(new URL('../../../../test/fixtures/dnssec/example.test.zone', import.meta.url))
const origin = Name.fromString('example.test.')
const NOW = 1_800_000_000
let keys: DnssecKey[]
test.before(() => {
  keys = [createKey('example.test', 13, { ksk: true, now: NOW - 10 }).key, createKey('example.test', 13, { now: NOW - 10 }).key]
})

async function setup(): Promise<{ dir: string, zone: string, out: string, before: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-sf-'))
  const zone = join(dir, 'example.test.zone')
  await copyFile(fixture, zone)
  const out = join(dir, 'example.test.zone.signed')
  await signZoneFile(zone, { origin, keys, now: NOW })
  return { dir, zone, out, before: await readFile(out) }
}

test('writes the signed zone and the dsset file, and the output verifies', async (t) => {
  const { dir, out } = await setup()
  t.true(verifyZone(readZoneRecords(out, origin), { origin, now: NOW }).ok)
  t.regex(await readFile(join(dir, 'dsset-example.test.'), 'utf8'), /^example\.test\. 3600 IN DS \d+ 13 2 /)
})

test('a zone written in several text pieces is byte-identical to the text of its records', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-sf-'))
  const zone = join(dir, 'big.zone')
  // About 1.5 MB of signed text: more than one of the writer's 1 MiB pieces.
  const lines = ['$ORIGIN example.test.', '$TTL 3600', '@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300', '@ IN NS ns1', 'ns1 IN A 192.0.2.1']
  for (let i = 0; i < 3500; i++) lines.push(`Host${i} IN A 10.0.${(i >> 8) & 0xff}.${i & 0xff}`)
  await writeFile(zone, lines.join('\n') + '\n')
  const res = await signZoneFile(zone, { origin, keys, now: NOW })
  const text = await readFile(res.out, 'utf8')
  t.true(text.length > 1 << 20)
  t.is(text, recordsToText(res.records))
})

test('a bad key leaves the previous output byte-identical', async (t) => {
  const { zone, out, before } = await setup()
  const other = createKey('other.test', 13, { now: NOW - 10 }).key
  await t.throwsAsync(signZoneFile(zone, { origin, keys: [other], now: NOW + 60 }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_WRONG_ZONE' })
  t.deepEqual(await readFile(out), before)
})

test('a full disk (injected writer failure) leaves the previous output byte-identical', async (t) => {
  const { zone, out, before } = await setup()
  const writer = async () => { throw new DnssecError('ERR_DNSSEC_WRITE_FAILED', `cannot write ${out}: ENOSPC`) }
  await t.throwsAsync(signZoneFile(zone, { origin, keys, now: NOW + 60, serial: 'increment', writer }), { code: 'ERR_DNSSEC_WRITE_FAILED' })
  t.deepEqual(await readFile(out), before)
})

test('a read-only output directory fails cleanly and leaves no temp file', async (t) => {
  const { dir, zone, out, before } = await setup()
  if (process.getuid?.() === 0) {
    // root writes into read-only directories; make the dsset directory unusable instead
    // (a regular file), so the second of the two writes fails after the first succeeded.
    const notDir = join(dir, 'not-a-dir')
    await writeFile(notDir, '')
    await t.throwsAsync(signZoneFile(zone, { origin, keys, now: NOW + 60, serial: 'increment', dsDir: notDir }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_WRITE_FAILED' })
  } else {
    await chmod(dir, 0o555)
    try {
      await t.throwsAsync(signZoneFile(zone, { origin, keys, now: NOW + 60, serial: 'increment' }), { instanceOf: DnssecError, code: 'ERR_DNSSEC_WRITE_FAILED' })
    } finally { await chmod(dir, 0o755) }
  }
  t.deepEqual(await readFile(out), before)
  t.deepEqual((await readdir(dir)).filter((f) => f.includes('.tmp-')), [])
})

test('a zone file with errors is refused naming the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-sf-'))
  const zone = join(dir, 'bad.zone')
  await writeFile(zone, '$TTL 3600\n@ IN SOA ns1 hostmaster 1 2 3 4 5\nwww IN A 999.1.1.1\n')
  await t.throwsAsync(signZoneFile(zone, { origin, keys, now: NOW }), { instanceOf: DnssecError, message: /bad\.zone/ })
})

test('a signing run killed mid-way leaves the previous output byte-identical', async (t) => {
  const { zone, out, before } = await setup()
  // A child process signs with a progress hook that tells us it is half-way and then
  // waits, so the kill lands while signatures are being made, before anything is written.
  const signFile = new URL('../src/sign_file.js', import.meta.url).href
  const keysFile = new URL('../src/keys.js', import.meta.url).href
  const wire = import.meta.resolve('@secdns/wire')
  const code = `
    import { signZoneFile } from '${signFile}'
    import { createKey } from '${keysFile}'
    import { Name } from '${wire}'
    const keys = [createKey('example.test', 15, { ksk: true, now: ${NOW} }).key, createKey('example.test', 15, { now: ${NOW} }).key]
    let told = false
    const signer = async (ks, jobs) => {
      if (!told) { told = true; process.send('mid'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000) }
      return []
    }
    await signZoneFile(${JSON.stringify(zone)}, { origin: Name.fromString('example.test.'), keys, now: ${NOW + 86400}, serial: 'increment', signer })
    process.send('finished')
  `
  const { spawn } = await import('node:child_process')
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  const closed = new Promise((r) => child.on('close', r))
  let err = ''
  child.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const got = await new Promise<string>((resolve) => {
    child.on('message', (m) => { if (m === 'mid') child.kill('SIGKILL'); resolve(String(m)) })
    child.on('exit', () => resolve(`exit: ${err}`))
  })
  t.is(got, 'mid')
  await closed
  t.deepEqual(await readFile(out), before)
})
