/**
 * `POST /refresh/<zone>` and `secdns server refresh ZONE` against a BIND primary that sends
 * no NOTIFY: the secondary follows the primary's new serial at once when asked, not at the
 * SOA refresh timer (two hours here); a refresh that cannot reach the primary says so and
 * keeps the old zone served; the API refuses requests without the token and zones that are
 * not secondaries.
 *
 * The server runs in this process, so peers are run asynchronously.
 */
import test, { type ExecutionContext } from 'ava'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createDnsServer, loadConfig } from '@secdns/server'
import { havePeers, stopChild, which } from '../helpers/peers.js'
import { freePort } from '../helpers/ports.js'

const fixtures = fileURLToPath(new URL('../../../packages/server/test/fixtures/', import.meta.url))
const CLI = fileURLToPath(new URL('../../../packages/cli/bin/secdns.js', import.meta.url))
const TOKEN = 'refresh-test-admin-token-0123456789'

function run(cmd: string, args: readonly string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

const dig = (port: number, ...args: string[]): Promise<{ code: number, stdout: string }> =>
  run(which('dig') ?? 'dig', ['+norec', '+short', '+time=1', '+tries=1', '@127.0.0.1', '-p', String(port), ...args])


async function until(what: string, ok: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await ok()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function startNamed(t: ExecutionContext, dir: string, port: number): Promise<ChildProcess> {
  const conf = join(dir, 'named.conf')
  writeFileSync(conf, `options {
  directory "${dir}"; pid-file "${dir}/named.pid"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };
  recursion no; dnssec-validation no; notify no; minimal-responses yes;
};
controls { };
zone "plain.test" { type primary; file "${dir}/pri.db"; allow-transfer { 127.0.0.1; }; };
`)
  const child = spawn(which('named') ?? 'named', ['-g', '-c', conf, '-n', '1'], { stdio: ['ignore', 'ignore', 'ignore'] })
  t.teardown(() => stopChild(child))
  await until('named to serve plain.test', async () => /2026112501/.test((await dig(port, 'plain.test', 'SOA')).stdout))
  return child
}

test.serial('secdns server refresh makes a secondary of a BIND primary take its new serial at once; failures and refusals are exact', async (t) => {
  if (!havePeers(t, 'named', 'dig')) return
  const dir = mkdtempSync(join(tmpdir(), 'secdns-refresh-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  copyFileSync(join(fixtures, 'plain.test.zone'), join(dir, 'pri.db'))
  copyFileSync(join(fixtures, 'plain.test.zone'), join(dir, 'own.db'))
  writeFileSync(join(dir, 'token'), TOKEN + '\n')
  chmodSync(join(dir, 'token'), 0o600)
  const bindPort = await freePort()
  const port = await freePort()
  const adminPort = await freePort()
  const named = await startNamed(t, dir, bindPort)
  const configFile = join(dir, 'server.json')
  writeFileSync(configFile, JSON.stringify({
    listeners: { udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }], admin: { address: '127.0.0.1', port: adminPort, tokenFile: 'token' } },
    zones: [
      { name: 'plain.test', type: 'secondary', primaries: [`127.0.0.1:${bindPort}`], file: 'sec.db' },
      { name: 'own.test', type: 'primary', file: 'own.db' },
    ],
  }))
  const server = createDnsServer(loadConfig(configFile))
  await server.start()
  t.teardown(() => server.stop())
  const serial = (): number | undefined => server.status().zones.find((z) => z.name === 'plain.test')?.serial
  await until('the first transfer', () => serial() === 2026112501)

  // The primary changes; with NOTIFY off and a refresh timer of 7200 s nothing would follow it for two hours.
  writeFileSync(join(dir, 'pri.db'), readFileSync(join(dir, 'pri.db'), 'utf8').replace('2026112501', '2026112502').replace('192.0.2.80', '192.0.2.81'))
  named.kill('SIGHUP')
  await until('named to load serial 2026112502', async () => /2026112502/.test((await dig(bindPort, 'plain.test', 'SOA')).stdout))
  t.is(serial(), 2026112501)
  t.is((await dig(port, 'www.plain.test', 'A')).stdout.trim(), '192.0.2.80')

  const cli = await run(process.execPath, [CLI, 'server', 'refresh', 'plain.test', '-c', configFile])
  t.is(cli.code, 0, cli.stderr)
  t.is(cli.stdout, 'plain.test: serial 2026112502\n')
  t.is(serial(), 2026112502)
  t.is((await dig(port, 'www.plain.test', 'A')).stdout.trim(), '192.0.2.81')
  t.regex(readFileSync(join(dir, 'sec.db'), 'utf8'), /192\.0\.2\.81/)

  // Nothing newer: the refresh is a SOA check only and says the same serial.
  const again = await run(process.execPath, [CLI, 'server', 'refresh', 'plain.test.', '-c', configFile, '--json'])
  t.is(again.code, 0, again.stderr)
  t.deepEqual(JSON.parse(again.stdout), { ok: true, results: [{ zone: 'plain.test', ok: true, serial: 2026112502 }] })

  // Refusals: no token, a wrong token, a primary zone, a zone not served, GET instead of POST.
  const base = `http://127.0.0.1:${adminPort}`
  const noToken = await fetch(`${base}/refresh/plain.test`, { method: 'POST' })
  t.is(noToken.status, 401)
  t.deepEqual(await noToken.json(), { error: 'unauthorized' })
  const badToken = await fetch(`${base}/refresh/plain.test`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}x` } })
  t.is(badToken.status, 401)
  const auth = { authorization: `Bearer ${TOKEN}` }
  const primary = await fetch(`${base}/refresh/own.test`, { method: 'POST', headers: auth })
  t.is(primary.status, 404)
  t.deepEqual(await primary.json(), { error: 'zone own.test is not a secondary here', code: 'ERR_SERVER_UNKNOWN_ZONE' })
  const unknown = await run(process.execPath, [CLI, 'server', 'refresh', 'nowhere.test', '-c', configFile])
  t.is(unknown.code, 2)
  t.is(unknown.stderr, 'secdns server: zone nowhere.test is not a secondary here\n')
  t.is((await fetch(`${base}/refresh/plain.test`, { headers: auth })).status, 404)

  // The primary is gone: the refresh fails with the reason and the old zone stays served.
  await stopChild(named)
  const down = await run(process.execPath, [CLI, 'server', 'refresh', 'plain.test', '-c', configFile])
  t.is(down.code, 1)
  t.regex(down.stdout, new RegExp(`^plain\\.test: refresh failed, still serving serial 2026112502: 127\\.0\\.0\\.1:${bindPort}: .+\\n$`))
  t.is((await dig(port, 'www.plain.test', 'A')).stdout.trim(), '192.0.2.81')
})
