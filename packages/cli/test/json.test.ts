import test from 'ava'
import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { commandPath } from '../src/help.js'
import { allCommands, fullProgram } from '../src/reference.js'

const bin = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))
const example = fileURLToPath(new URL('../../../../docs/examples/example.test.zone', import.meta.url))

/** Commands whose --json is parsed by another test, with the reason it is not run here. */
const ELSEWHERE: Record<string, string> = {
  lab: 'test/e2e/lab.test.ts runs the whole lab with --json and reads its summary',
}

interface Run { status: number | null, stdout: string, stderr: string }

function run(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    p.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

test('every command that takes --json prints one JSON document on stdout, for success and for failure', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-cli-json-'))
  copyFileSync(example, join(dir, 'db'))
  const covered = new Set<string>()
  /** Run `secdns …args --json`, check the exit code, and parse stdout as one JSON value. */
  const json = async (path: string, args: readonly string[], status: number, env: Record<string, string> = {}): Promise<Record<string, unknown>> => {
    covered.add(path)
    const r = await run([...path.split(' '), ...args, '--json'], dir, env)
    t.is(r.status, status, `secdns ${path} ${args.join(' ')}: ${r.stderr}`)
    let v: unknown
    t.notThrows(() => { v = JSON.parse(r.stdout) }, `secdns ${path} ${args.join(' ')}: stdout is not one JSON document: ${r.stdout.slice(0, 200)}`)
    t.true(typeof v === 'object' && v !== null, `secdns ${path}: ${r.stdout.slice(0, 200)}`)
    if (status === 0) {
      t.true(Array.isArray(v) || (v as { ok?: unknown }).ok === true, `secdns ${path}: a success without ok: true`)
    } else {
      // The one failure shape: {ok: false, error: {code, message}}.
      const e = v as { ok?: unknown, error?: { code?: unknown, message?: unknown } }
      t.is(e.ok, false, `secdns ${path} failed but does not say ok: false`)
      t.regex(String(e.error?.code), /^(ERR_|HTTP_)/, `secdns ${path}: error.code`)
      t.is(typeof e.error?.message, 'string', `secdns ${path}: error.message`)
    }
    return v as Record<string, unknown>
  }

  // The CA and the zone's keys do not depend on each other.
  const now = ['--now', '20261101000000']
  const [, ksk] = await Promise.all([
    json('ca init', ['--ca-dir', 'ca', '--name', 'Json Root'], 0),
    json('key create', ['--zone', 'example.test', '--algorithm', 'ECDSAP256SHA256', '--ksk', '--key-dir', 'keys', ...now], 0),
    json('key create', ['--zone', 'example.test', '--algorithm', 'ECDSAP256SHA256', '--key-dir', 'keys', ...now], 0),
    json('nrpt add', ['--nrpt', 'nrpt.json', '--name', 'corp', '--namespace', '.corp.example', '--server', 'udp://127.0.0.1:1', '--validation-required'], 0),
  ])
  const issued = await json('ca issue', ['--ca-dir', 'ca', '--profile', 'dns-server', '--name', 'dns1', '--dns', 'dns1.example.test', '--out', 'out'], 0)
  const signAt = ['--now', '20261125000000']
  const [, , , , , , , , ds] = await Promise.all([
    json('ca list', ['--ca-dir', 'ca'], 0),
    json('ca show', ['out/dns1.crt'], 0),
    json('ca verify', ['--ca-dir', 'ca', '--cert', 'out/dns1.crt', '--purpose', 'dns-server', '--name', 'dns1.example.test'], 0),
    json('ca crl', ['--ca-dir', 'ca'], 0),
    json('key list', ['--key-dir', 'keys'], 0),
    json('key status', ['--zone', 'example.test', '--key-dir', 'keys', ...signAt], 0),
    json('zone check', ['db', '--zone', 'example.test'], 0),
    json('zone print', ['db', '--zone', 'example.test'], 0),
    json('zone ds', ['--zone', 'example.test', '--key-dir', 'keys', ...signAt], 0),
    json('nrpt list', ['--nrpt', 'nrpt.json'], 0),
    json('nrpt show', ['--nrpt', 'nrpt.json', '--effective', 'www.corp.example'], 0),
    json('nrpt global', ['--nrpt', 'nrpt.json'], 0),
  ])
  await Promise.all([
    json('ca revoke', ['--ca-dir', 'ca', '--serial', String(issued['serial']), '--reason', 'superseded'], 0),
    json('zone sign', ['db', '--zone', 'example.test', '--key-dir', 'keys', ...signAt], 0)
      .then(() => json('zone verify', ['db.signed', '--zone', 'example.test', '--now', '20261126000000'], 0)),
    json('key export-bind', ['--key-dir', 'keys', '--out', 'bind'], 0)
      .then(() => json('key import-bind', readdirSync(join(dir, 'bind')).map((f) => join('bind', f)).concat(['--key-dir', 'keys2']), 0)),
    json('key export-pkcs12', ['--key-dir', 'keys', '--zone', 'example.test', '--key-tag', String(ksk['keyTag'])], 0, { SECDNS_PFX_PASSWORD: 'pw' }),
    json('trust-anchor add', ['--trust-anchors', 'TrustAnchors.dns', ...String((ds['ds'] as string[])[0]).split(' ')], 0)
      .then(() => json('trust-anchor list', ['--trust-anchors', 'TrustAnchors.dns'], 0))
      .then(() => json('trust-anchor export', ['--trust-anchors', 'TrustAnchors.dns', '--format', 'unbound'], 0))
      .then(() => json('trust-anchor check', ['--trust-anchors', 'TrustAnchors.dns'], 2))
      .then(() => json('trust-anchor remove', ['example.test', '--trust-anchors', 'TrustAnchors.dns'], 0)),
    json('nrpt remove', ['corp', '--nrpt', 'nrpt.json'], 0),
  ])
  // After signing: the rollover and the revocation change the key store.
  await json('key rollover', ['--zone', 'example.test', '--key-dir', 'keys', '--role', 'zsk', ...signAt], 0)
  await json('key revoke', ['--zone', 'example.test', '--key-dir', 'keys', '--key-tag', String(ksk['keyTag']), ...signAt], 0)

  // Failures are JSON too: no server at the address, a server config without an admin API.
  writeFileSync(join(dir, 'server.json'), JSON.stringify({ listeners: { udp: [{ address: '127.0.0.1', port: 0 }] } }))
  await Promise.all([
    json('query', ['www.example.test', 'A', '--server', 'udp://127.0.0.1:1', '--timeout', '300'], 1),
    json('server start', ['--config', 'missing.json'], 2),
    json('server status', ['--config', 'server.json'], 2),
    json('server reload', ['--config', 'server.json'], 2),
    json('server refresh', ['example.test', '--config', 'server.json'], 2),
  ])

  // client serve: the one line it prints once listening, then it is stopped.
  covered.add('client serve')
  const serve = spawn(process.execPath, [bin, 'client', 'serve', '--listen', '127.0.0.1:0', '--nrpt', 'nrpt.json', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    serve.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; if (out.includes('\n')) resolve(out.split('\n')[0]!) })
    serve.on('exit', (c) => reject(new Error(`client serve exited ${c} before listening`)))
  })
  const listening = JSON.parse(line) as { ok: boolean, port: number }
  t.true(listening.ok)
  t.true(listening.port > 0)
  serve.removeAllListeners('exit')
  const stopped = new Promise<string>((resolve) => serve.on('exit', (code, signal) => resolve(`${code} ${signal}`)))
  serve.kill('SIGTERM')
  t.is(await stopped, '0 null', 'client serve stops cleanly on SIGTERM')

  // Every command with --json was run above (or is named in ELSEWHERE with the test that does).
  const withJson = allCommands(await fullProgram()).filter((c) => c.options.some((o) => o.long === '--json')).map(commandPath)
  t.deepEqual(withJson.filter((p) => !covered.has(p) && ELSEWHERE[p] === undefined), [])
})
