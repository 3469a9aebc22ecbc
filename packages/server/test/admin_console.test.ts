import test from 'ava'
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request as httpsRequest } from 'node:https'
import { request as httpRequest } from 'node:http'
import { writeTestPki } from './test_pki.js'
import { createDnsServer } from '../src/create.js'
import { parseConfig } from '../src/config.js'
import { MAX_LOGIN_FAILURES_PER_MINUTE } from '../src/admin_console.js'

const fixture = (f: string): string => fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url))
const TOKEN = 'a-long-enough-admin-token-0123456789'

function dirWithToken(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-console-'))
  writeFileSync(join(dir, 'token'), TOKEN + '\n')
  chmodSync(join(dir, 'token'), 0o600)
  copyFileSync(fixture('plain.test.zone'), join(dir, 'plain.test.zone'))
  return dir
}

async function httpServer(t: { teardown(fn: () => unknown): void }, admin: Record<string, unknown> = {}): Promise<{ base: string, dir: string }> {
  const dir = dirWithToken()
  const server = createDnsServer(parseConfig({
    listeners: { admin: { address: '127.0.0.1', port: 0, tokenFile: join(dir, 'token'), ...admin } },
    zones: [{ name: 'plain.test', type: 'primary', file: join(dir, 'plain.test.zone') }],
  }))
  await server.start()
  t.teardown(() => server.stop())
  return { base: `http://127.0.0.1:${server.listeners.find((l) => l.kind === 'admin')!.port}`, dir }
}

function login(base: string, token: string, origin = base): Promise<Response> {
  return fetch(`${base}/console/login`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ token }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
  })
}

interface Reply { status: number, headers: Record<string, string | string[] | undefined>, body: string }

function httpsCall(port: number, ca: string, opts: { method?: string, path: string, headers?: Record<string, string>, cert?: { certPem: string, keyPem: string }, body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: opts.path, method: opts.method ?? 'GET', ca, servername: 'ns1.example.test', headers: opts.headers ?? {},
      ...(opts.cert ? { cert: opts.cert.certPem, key: opts.cert.keyPem } : {}),
    }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }))
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

test('an admin certificate works from a script, but a browser request with it needs the CSRF token and a same-origin Origin', async (t) => {
  const dir = dirWithToken()
  const { root, peers: [admin] } = await writeTestPki(dir, 'secdns console test root', [{ profile: 'admin', name: 'operator' }])
  const server = createDnsServer(parseConfig({
    listeners: { admin: { address: '127.0.0.1', port: 0, certificate: join(dir, 'ns.pem'), key: join(dir, 'ns.key'), clientCa: join(dir, 'ca.pem'), tokenFile: join(dir, 'token') } },
    zones: [{ name: 'plain.test', type: 'primary', file: join(dir, 'plain.test.zone') }],
  }))
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners.find((l) => l.kind === 'admin')!.port
  const self = `https://127.0.0.1:${port}`
  const cert = admin!
  const ca = root.certPem

  t.is((await httpsCall(port, ca, { method: 'POST', path: '/reload', cert })).status, 200, 'a script (no Origin, no Sec-Fetch-*) needs no CSRF token')
  const cross = await httpsCall(port, ca, { method: 'POST', path: '/reload', cert, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } })
  t.is(cross.status, 403)
  t.is(JSON.parse(cross.body).error, `refused: Origin https://evil.example is not ${self}`)
  const noToken = await httpsCall(port, ca, { method: 'POST', path: '/reload', cert, headers: { origin: self, 'sec-fetch-site': 'same-origin' } })
  t.is(noToken.status, 403)
  t.is(JSON.parse(noToken.body).error, 'refused: the x-csrf-token header is missing')
  const sameSiteOnly = await httpsCall(port, ca, { method: 'POST', path: '/reload', cert, headers: { origin: self, 'sec-fetch-site': 'same-site' } })
  t.is(JSON.parse(sameSiteOnly.body).error, 'refused: Sec-Fetch-Site is same-site, not same-origin')
  const session = JSON.parse((await httpsCall(port, ca, { path: '/console/api/session', cert })).body) as { actor: string, via: string, csrf: string }
  t.is(session.via, 'certificate')
  t.regex(session.actor, /^certificate CN=operator/)
  const ok = await httpsCall(port, ca, { method: 'POST', path: '/reload', cert, headers: { origin: self, 'sec-fetch-site': 'same-origin', 'x-csrf-token': session.csrf } })
  t.is(ok.status, 200)
  t.is(ok.headers['strict-transport-security'], 'max-age=31536000')

  // A token login over HTTPS gets a __Host- cookie marked Secure.
  const form = new URLSearchParams({ token: TOKEN }).toString()
  const li = await httpsCall(port, ca, { method: 'POST', path: '/console/login', headers: { origin: self, 'content-type': 'application/x-www-form-urlencoded' }, body: form })
  t.is(li.status, 303)
  const setCookie = String(li.headers['set-cookie'])
  t.regex(setCookie, /^__Host-secdns-console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800; Secure$/)
})

test('the login form refuses another origin, a wrong token sends back to the form, and repeated failures get 429', async (t) => {
  const { base } = await httpServer(t)
  const cross = await login(base, TOKEN, 'http://evil.example')
  t.is(cross.status, 403)
  t.is((await cross.json() as { error: string }).error, `refused: Origin http://evil.example is not ${base}`)
  // fetch() adds an Origin of its own; a bare request has none, and is refused too.
  const bare = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${base}/console/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end(new URLSearchParams({ token: TOKEN }).toString())
  })
  t.is(bare, 403)
  for (let i = 0; i < MAX_LOGIN_FAILURES_PER_MINUTE; i++) {
    const r = await login(base, 'wrong-token-wrong-token-wrong')
    t.is(r.status, 303)
    t.is(r.headers.get('location'), '/console/login?failed=1')
    t.is(r.headers.get('set-cookie'), null)
  }
  const limited = await login(base, TOKEN)
  t.is(limited.status, 429, 'even the right token waits once the failures pile up')
  t.is((await limited.json() as { error: string }).error, 'too many failed logins; wait a minute')
})

test('a session cookie that was never issued is no login, and logging out ends a session', async (t) => {
  const { base } = await httpServer(t)
  t.is((await fetch(`${base}/console/api/zones`, { headers: { cookie: `secdns-console=${'A'.repeat(43)}` } })).status, 401)
  const li = await login(base, TOKEN)
  const cookie = li.headers.get('set-cookie')!.split(';')[0]!
  const s = await (await fetch(`${base}/console/api/session`, { headers: { cookie } })).json() as { csrf: string, canLogout: boolean }
  t.true(s.canLogout)
  const zones = await (await fetch(`${base}/console/api/zones`, { headers: { cookie } })).json() as { zones: { name: string, signed: boolean }[] }
  t.deepEqual(zones.zones.map((z) => [z.name, z.signed]), [['plain.test', false]])
  const noCsrf = await fetch(`${base}/console/logout`, { method: 'POST', headers: { cookie, origin: base } })
  t.is(noCsrf.status, 403)
  const out = await fetch(`${base}/console/logout`, { method: 'POST', headers: { cookie, origin: base, 'x-csrf-token': s.csrf } })
  t.is(out.status, 200)
  t.regex(out.headers.get('set-cookie')!, /Max-Age=0/)
  t.is((await fetch(`${base}/console/api/zones`, { headers: { cookie } })).status, 401)
})

test('console files: the login page is public, the modules are not; ETags give 304; nothing outside the console files is served', async (t) => {
  const { base } = await httpServer(t)
  const page = await fetch(`${base}/console/login`)
  t.is(page.status, 200)
  t.regex(page.headers.get('content-type')!, /^text\/html/)
  t.regex(await page.text(), /<form method="post" action="login"/)
  t.is((await fetch(`${base}/console/login.js`)).status, 200)
  t.is((await fetch(`${base}/console/main.js`)).status, 401)
  const css = await fetch(`${base}/console/console.css`)
  t.is(css.status, 200)
  const etag = css.headers.get('etag')!
  t.is((await fetch(`${base}/console/console.css`, { headers: { 'if-none-match': etag } })).status, 304)
  const cookie = (await login(base, TOKEN)).headers.get('set-cookie')!.split(';')[0]!
  const js = await fetch(`${base}/console/main.js`, { headers: { cookie } })
  t.is(js.status, 200)
  t.regex(js.headers.get('content-type')!, /^text\/javascript/)
  for (const p of ['/console/..%2Ftoken', '/console/%2e%2e/%2e%2e/package.json', '/console/assets.js', '/console/main.ts']) {
    t.is((await fetch(`${base}${p}`, { headers: { cookie } })).status, 404, p)
  }
})

test('changes are audited with who made them: in memory without a file, else as 0600 JSON lines in auditLog', async (t) => {
  const mem = await httpServer(t)
  const auth = { authorization: `Bearer ${TOKEN}` }
  t.is((await fetch(`${mem.base}/reload/plain.test`, { method: 'POST', headers: auth })).status, 200)
  const a = await (await fetch(`${mem.base}/audit`, { headers: auth })).json() as { file: string | null, entries: { actor: string, action: string, path: string, status: number, ok: boolean }[] }
  t.is(a.file, null)
  t.deepEqual(a.entries.map((e) => [e.actor, e.action, e.path, e.status, e.ok]), [['bearer token', 'reload', '/reload/plain.test', 200, true]])

  const dir = mkdtempSync(join(tmpdir(), 'secdns-audit-'))
  const file = join(dir, 'logs', 'audit.jsonl')
  const disk = await httpServer(t, { auditLog: file })
  t.is((await fetch(`${disk.base}/reload/nope.test`, { method: 'POST', headers: auth })).status, 404)
  t.is((await fetch(`${disk.base}/trust-anchors`, { method: 'POST', headers: auth, body: '{}' })).status, 409)
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string, status: number, ok: boolean })
  t.deepEqual(lines.map((e) => [e.action, e.status, e.ok]), [['reload', 404, false], ['trust-anchor.add', 409, false]])
  t.is(statSync(file).mode & 0o777, 0o600)
  t.is((await fetch(`${disk.base}/audit`)).status, 401)
})

test('the records view pages through a signed zone: pages put together are the whole list, each RRset followed by its RRSIGs', async (t) => {
  const dir = dirWithToken()
  const server = createDnsServer(parseConfig({
    listeners: { admin: { address: '127.0.0.1', port: 0, tokenFile: join(dir, 'token') } },
    zones: [{ name: 'example.test', type: 'primary', file: fixture('example.test.nsec3.signed') }],
  }))
  await server.start()
  t.teardown(() => server.stop())
  const base = `http://127.0.0.1:${server.listeners.find((l) => l.kind === 'admin')!.port}`
  const auth = { authorization: `Bearer ${TOKEN}` }
  type Page = { total: number, records: { name: string, type: string, rdata: string, covers?: string }[] }
  const get = async (q: string): Promise<Page> => await (await fetch(`${base}/console/api/zones/example.test/records?${q}`, { headers: auth })).json() as Page
  const all = await get('limit=2000')
  t.is(all.total, all.records.length)
  t.is(all.records[0]!.type, 'SOA')
  t.is(all.records[1]!.type, 'RRSIG')
  t.is(all.records[1]!.covers, 'SOA')
  const pieces: Page['records'] = []
  for (let off = 0; off < all.total; off += 7) {
    const p = await get(`limit=7&offset=${off}`)
    t.is(p.total, all.total)
    pieces.push(...p.records)
  }
  t.deepEqual(pieces, all.records)
  const nsec3 = await get('type=nsec3&limit=5&offset=5')
  t.is(nsec3.total, all.records.filter((r) => r.type === 'NSEC3').length)
  t.deepEqual(nsec3.records, all.records.filter((r) => r.type === 'NSEC3').slice(5, 10))
  const www = await get('name=www')
  t.true(www.records.length > 0 && www.records.every((r) => r.name.includes('www')))
  t.is((await fetch(`${base}/console/api/zones/nope.test/records`, { headers: auth })).status, 404)
  t.is((await fetch(`${base}/console/api/zones/example.test/records?type=BOGUS`, { headers: auth })).status, 400)
})
