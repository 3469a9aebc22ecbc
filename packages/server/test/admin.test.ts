import test from 'ava'
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request as httpsRequest } from 'node:https'
import { writeTestPki } from './test_pki.js'
import { createDnsServer } from '../src/create.js'
import { parseConfig } from '../src/config.js'

const fixture = (f: string): string => fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url))
const TOKEN = 'a-long-enough-admin-token-0123456789'

function setup(mode: number): { dir: string, config: ReturnType<typeof parseConfig> } {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-admin-'))
  writeFileSync(join(dir, 'token'), TOKEN + '\n')
  chmodSync(join(dir, 'token'), mode)
  copyFileSync(fixture('plain.test.zone'), join(dir, 'plain.test.zone'))
  const config = parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], admin: { address: '127.0.0.1', port: 0, tokenFile: join(dir, 'token') } },
    zones: [{ name: 'plain.test', type: 'primary', file: join(dir, 'plain.test.zone') }],
  })
  return { dir, config }
}

test('a token file that others can read stops the start, and nothing stays bound', async (t) => {
  const { config } = setup(0o644)
  const server = createDnsServer(config)
  await t.throwsAsync(server.start(), { code: 'ERR_SERVER_CONFIG', message: /must be 0600/ })
  t.deepEqual(server.listeners, [])
})

test('status needs the token; a reload with errors keeps the old zone and says why', async (t) => {
  const { dir, config } = setup(0o600)
  const server = createDnsServer(config)
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners.find((l) => l.kind === 'admin')!.port
  const base = `http://127.0.0.1:${port}`
  const auth = { authorization: `Bearer ${TOKEN}` }
  t.is((await fetch(`${base}/status`)).status, 401)
  t.is((await fetch(`${base}/status`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401)
  const st = await (await fetch(`${base}/status`, { headers: auth })).json() as { zones: { name: string, serial: number }[] }
  t.is(st.zones[0]!.serial, 2026112501)
  appendFileSync(join(dir, 'plain.test.zone'), 'broken line here\n')
  const bad = await fetch(`${base}/reload/plain.test`, { method: 'POST', headers: auth })
  t.is(bad.status, 422)
  const body = await bad.json() as { results: { ok: boolean, serial: number, error: string }[] }
  t.false(body.results[0]!.ok)
  t.is(body.results[0]!.serial, 2026112501)
  t.regex(body.results[0]!.error, /plain\.test\.zone:\d+:\d+/)
  t.is((await fetch(`${base}/reload/nope.test`, { method: 'POST', headers: auth })).status, 404)
})

function httpsGet(port: number, ca: string, cert?: { certPem: string, keyPem: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/status', ca, servername: 'ns1.example.test', ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end()
  })
}

test('over HTTPS an admin certificate from our CA is accepted, a client certificate without the admin EKU is not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-admin-tls-'))
  const { root, peers: [admin, plain] } = await writeTestPki(dir, 'secdns admin test root', [{ profile: 'admin', name: 'operator' }, { profile: 'client', name: 'someone' }])
  const server = createDnsServer(parseConfig({
    listeners: { admin: { address: '127.0.0.1', port: 0, certificate: join(dir, 'ns.pem'), key: join(dir, 'ns.key'), clientCa: join(dir, 'ca.pem') } },
  }))
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners.find((l) => l.kind === 'admin')!.port
  t.is(await httpsGet(port, root.certPem, admin!), 200)
  t.is(await httpsGet(port, root.certPem, plain!), 401)
  t.is(await httpsGet(port, root.certPem), 401)
})
