/**
 * The web console in a real browser: Debian's chromium driven by playwright-core against a
 * validating server (admin listener, a signed zone of its own, a trust-anchor file, a
 * protected-channel listener with a client connected) forwarding to an authoritative one.
 * Every page is saved as a screenshot under test-output/console/.
 */
import test, { type ExecutionContext } from 'ava'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createSocket } from 'node:dgram'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { Name, RRType, createQuery, decodeMessage, encodeMessage, type Message } from '@secdns/wire'
import { createRootCa, issueCertificate } from '@secdns/pki'
import { connect, type ChannelClient } from '@secdns/channel'
import { createDnsServer, parseConfig, type DnsServer } from '@secdns/server'
import { havePeers, peer, which } from './helpers/peers.js'

const TOKEN = 'console-test-admin-token-0123456789abcdef'
const root = fileURLToPath(new URL('../../', import.meta.url))
const shots = join(root, 'test-output', 'console')
const signedFixture = join(root, 'packages/server/test/fixtures/example.test.nsec.signed')

const ZONE = `$TTL 3600
console.test. IN SOA ns1.console.test. hostmaster.console.test. 2026120301 3600 900 604800 300
console.test. IN NS ns1.console.test.
ns1.console.test. IN A 127.0.0.1
www.console.test. IN A 192.0.2.10
www.console.test. IN AAAA 2001:db8::10
mail.console.test. IN A 192.0.2.25
console.test. IN MX 10 mail.console.test.
`

interface Lab {
  dir: string
  anchors: string
  auth: DnsServer
  rec: DnsServer
  base: string
  udpPort: number
  context: BrowserContext
  page: Page
  channel: ChannelClient
  errors: string[]
  /** Set while the test itself makes requests that must fail (Chromium logs those as errors). */
  expectRefusals: boolean
}
let lab: Lab | undefined
/** What the before hook started, stopped in reverse order even when it fails half-way. */
const cleanup: (() => Promise<unknown>)[] = []

/** A zone signed by BIND with NSEC3 whose signatures run out in 3 days (the console must warn). */
function signZone(dir: string): string {
  writeFileSync(join(dir, 'console.test.zone'), ZONE)
  peer('dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', '-f', 'KSK', 'console.test'])
  peer('dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', 'console.test'])
  const keys = readdirSync(dir).filter((f) => f.startsWith('Kconsole.test.') && f.endsWith('.key'))
  writeFileSync(join(dir, 'console.test.zone'), ZONE + keys.map((k) => readFileSync(join(dir, k), 'utf8')).join(''))
  peer('dnssec-signzone', ['-q', '-K', dir, '-o', 'console.test', '-3', '-', '-H', '0', '-s', 'now-3600', '-e', 'now+259200', '-f', join(dir, 'console.test.signed'), '-d', dir, join(dir, 'console.test.zone')])
  return join(dir, 'console.test.signed')
}

/** The KSK of the authoritative server's zone, as a zone-file DNSKEY record. */
function exampleKskRecord(): string {
  const text = readFileSync(signedFixture, 'utf8').replace(/\(\s*([^)]*?)\s*\)/g, (_, inner: string) => inner.replace(/\s+/g, ' '))
  const rdata = text.split('\n').find((l) => /DNSKEY\s+257 3 13/.test(l))!.trim().replace(/^.*DNSKEY\s+/, '').replace(/\s*;.*$/, '')
  return `example.test. 3600 IN DNSKEY ${rdata}`
}

function ask(port: number, name: string, type: number): Promise<Message> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4')
    const timer = setTimeout(() => { s.close(); reject(new Error(`no answer from 127.0.0.1:${port}`)) }, 5000)
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(decodeMessage(m)) })
    s.on('error', (e) => { clearTimeout(timer); s.close(); reject(e) })
    s.send(encodeMessage(createQuery(Name.fromString(name), type, { rd: true, dnssecOk: true })), port, '127.0.0.1')
  })
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
}

test.before(async () => {
  if (which('chromium') === null || which('dnssec-signzone') === null || which('dnssec-keygen') === null) return
  const dir = mkdtempSync(join(tmpdir(), 'secdns-console-'))
  const zoneFile = signZone(dir)
  copyFileSync(join(root, 'packages/server/test/fixtures/plain.test.zone'), join(dir, 'plain.test.zone'))
  writeFileSync(join(dir, 'TrustAnchors.dns'), '; trust anchors of the console test resolver\n')
  writeFileSync(join(dir, 'token'), TOKEN + '\n', { mode: 0o600 })
  chmodSync(join(dir, 'token'), 0o600)
  const ca = await createRootCa({ name: 'secdns console test root' })
  const ns = await issueCertificate(ca, { profile: 'dns-server', name: 'ns1.console.test' })
  const client = await issueCertificate(ca, { profile: 'client', name: 'laptop.console.test' })
  writeFileSync(join(dir, 'ca.pem'), ca.certPem)
  writeFileSync(join(dir, 'ns.pem'), ns.certPem)
  writeFileSync(join(dir, 'ns.key'), ns.keyPem!, { mode: 0o600 })

  const auth = createDnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'example.test', type: 'primary', file: signedFixture }],
  }))
  await auth.start()
  cleanup.push(() => auth.stop())
  const authPort = auth.listeners.find((l) => l.kind === 'udp')!.port
  const rec = createDnsServer(parseConfig({
    listeners: {
      udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }],
      channel: [{ address: '127.0.0.1', port: 0, certificate: join(dir, 'ns.pem'), key: join(dir, 'ns.key'), trustedCas: [join(dir, 'ca.pem')], encryption: 'require' }],
      admin: { address: '127.0.0.1', port: 0, tokenFile: join(dir, 'token') },
    },
    dataDir: join(dir, 'state'),
    acl: { recursion: ['localhost'] },
    zones: [{ name: 'console.test', type: 'primary', file: zoneFile }, { name: 'plain.test', type: 'primary', file: join(dir, 'plain.test.zone') }],
    resolver: { forwarders: [`127.0.0.1:${authPort}`], trustAnchors: join(dir, 'TrustAnchors.dns') },
  }))
  await rec.start()
  cleanup.push(() => rec.stop())
  const port = (k: string): number => rec.listeners.find((l) => l.kind === k)!.port
  const channel = await connect(`ws://127.0.0.1:${port('channel')}/`, {
    identity: { certPem: client.certPem, keyPem: client.keyPem! }, trust: { cas: [ca.certPem] }, serverName: 'ns1.console.test', policy: { encryption: 'High' },
  })
  cleanup.push(() => channel.close())
  await channel.query(encodeMessage(createQuery(Name.fromString('www.console.test.'), RRType.A, { id: 7, rd: false })))

  // A fresh profile (--user-data-dir, which playwright passes for a persistent context).
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'secdns-chromium-')), {
    executablePath: which('chromium')!, headless: true, viewport: { width: 1360, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
  cleanup.push(() => context.close())
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() !== 'error') return
    if (lab?.expectRefusals === true && /^Failed to load resource: the server responded with a status of 40[13]/.test(m.text())) return
    errors.push(`console error: ${m.text()}`)
  })
  lab = { dir, anchors: join(dir, 'TrustAnchors.dns'), auth, rec, base: `http://127.0.0.1:${port('admin')}`, udpPort: port('udp'), context, page, channel, errors, expectRefusals: false }
})

test.after.always(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined)
})

function ready(t: ExecutionContext): Lab | undefined {
  if (!havePeers(t, 'chromium', 'dnssec-keygen', 'dnssec-signzone')) return undefined
  if (lab === undefined) { t.fail('the console test lab did not start'); return undefined }
  return lab
}

test.serial('without credentials the console redirects to the login form and the API answers 401; a wrong token is turned away', async (t) => {
  const l = ready(t); if (!l) return
  const r = await fetch(`${l.base}/console/`, { redirect: 'manual' })
  t.is(r.status, 303)
  t.is(r.headers.get('location'), '/console/login')
  t.is((await fetch(`${l.base}/console/api/zones`)).status, 401)
  t.is((await fetch(`${l.base}/trust-anchors`)).status, 401)
  t.is((await fetch(`${l.base}/audit`)).status, 401)
  t.is((await fetch(`${l.base}/console/main.js`)).status, 401)
  const csp = r.headers.get('content-security-policy') ?? ''
  t.regex(csp, /script-src 'self'/)
  t.regex(csp, /frame-ancestors 'none'/)
  t.notRegex(csp, /unsafe-inline/)
  t.is(r.headers.get('x-frame-options'), 'DENY')
  t.is(r.headers.get('x-content-type-options'), 'nosniff')

  const { page } = l
  await page.goto(`${l.base}/console/#/zones`)
  t.true(page.url().startsWith(`${l.base}/console/login`))
  await page.fill('#token', 'not-the-token-but-long-enough')
  await page.click('button[type=submit]')
  await page.waitForURL(/login\?failed=1/)
  t.true(await page.isVisible('#failed'))
  await shot(page, '1-login')
})

test.serial('logging in with the token shows the zones: signed or not, NSEC3, keys, DS for the parent, and the close expiry flagged', async (t) => {
  const l = ready(t); if (!l) return
  const { page } = l
  await page.fill('#token', TOKEN)
  await page.click('button[type=submit]')
  await page.waitForSelector('tr[data-zone="console.test"]')
  const cookies = await l.context.cookies()
  const c = cookies.find((x) => x.name === 'secdns-console')!
  t.true(c.httpOnly)
  t.is(c.sameSite, 'Strict')
  const row = page.locator('tr[data-zone="console.test"]')
  const text = await row.innerText()
  t.regex(text, /signed/)
  t.regex(text, /NSEC3, 0 iterations/)
  t.regex(text, /ECDSAP256SHA256 \(13\)/)
  t.regex(text, /KSK \d+/)
  t.regex(text, /ZSK \d+/)
  t.regex(text, /console\.test\. IN DS \d+ 13 2 [0-9A-F]{64}/)
  t.regex(text, /re-sign soon/)
  t.regex(await page.locator('tr[data-zone="plain.test"]').innerText(), /unsigned/)
  await shot(page, '2-zones')
})

test.serial('a signed zone opens with its records, each RRset followed by its RRSIGs, and its NSEC3 chain', async (t) => {
  const l = ready(t); if (!l) return
  const { page } = l
  await page.click('a[href="#/zone/console.test"]')
  await page.waitForSelector('tr[data-type="RRSIG"]')
  const rows = await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-type')))
  const first = rows.indexOf('A')
  t.true(first >= 0)
  t.is(rows[first + 1], 'RRSIG', 'the A RRset is followed by its signature')
  t.true(rows.includes('NSEC3'))
  t.true(rows.includes('DNSKEY'))
  t.regex(await page.locator('tr[data-type="RRSIG"]').first().innerText(), /RRSIG \(\w+\)\s+\w+ 13 \d/)
  await shot(page, '3-zone-records')
  await page.selectOption('#type-filter', 'NSEC3')
  await page.click('form.inline button[type=submit]')
  await page.waitForURL(/type=NSEC3/)
  await page.waitForSelector('tr[data-type="NSEC3"]')
  const types = new Set(await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-type'))))
  t.deepEqual([...types], ['NSEC3'])
})

test.serial('a trust anchor fetched from a zone is added after confirmation: written to TrustAnchors.dns and validation turns Secure', async (t) => {
  const l = ready(t); if (!l) return
  const { page } = l
  const before = await ask(l.udpPort, 'www.example.test.', RRType.A)
  t.false(before.flags.ad, 'no anchor: the answer is not validated')
  await page.click('a[href="#/anchors"]')
  await page.waitForSelector('#fetch-zone')
  await page.fill('#fetch-zone', 'example.test')
  await page.click('#fetch-go')
  await page.waitForSelector('#fetch-trust')
  const confirm = await page.locator('#fetch-confirm').innerText()
  t.regex(confirm, /signed by its own SEP key/)
  t.regex(confirm, /55018/)
  t.regex(confirm, /229A50FF152045E4EBC6FE7D91BADA99E961E693011BC798CF213D22A04346B1/)
  t.true(await page.isChecked('input[data-keytag="55018"]'), 'the KSK is proposed')
  t.false(await page.isChecked('input[data-keytag="19535"]'), 'the ZSK is not')
  await shot(page, '4-anchor-confirm')
  // Nothing is written before the confirmation.
  t.notRegex(readFileSync(l.anchors, 'utf8'), /DNSKEY/)
  await page.click('#fetch-trust')
  await page.waitForSelector('tr[data-anchor="example.test. DNSKEY 55018"]')
  const file = readFileSync(l.anchors, 'utf8')
  t.true(file.startsWith('; trust anchors of the console test resolver\n'), 'the file keeps its comments')
  t.regex(file, /example\.test\.\s+3600\s+IN\s+DNSKEY\s+257 3 13/)
  const after = await ask(l.udpPort, 'www.example.test.', RRType.A)
  t.true(after.flags.ad, 'with the anchor the answer validates as Secure')
  await shot(page, '5-anchors')
})

test.serial('a change without the CSRF token, or from another origin, is refused with 403 and the file is unchanged', async (t) => {
  const l = ready(t); if (!l) return
  const { page } = l
  const file = readFileSync(l.anchors, 'utf8')
  // From the console page itself, but without the header.
  l.expectRefusals = true
  const inPage = await page.evaluate(async () => {
    const r = await fetch('/trust-anchors/example.test', { method: 'DELETE' })
    return { status: r.status, body: await r.json() as { error: string, code: string } }
  })
  t.is(inPage.status, 403)
  t.is(inPage.body.code, 'ERR_SERVER_CSRF')
  t.is(inPage.body.error, 'refused: the x-csrf-token header is missing')
  l.expectRefusals = false
  // With the session cookie and the right token, but from another site.
  const cookie = (await l.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
  const csrf = await page.evaluate(async () => ((await (await fetch('/console/api/session')).json()) as { csrf: string }).csrf)
  const cross = await fetch(`${l.base}/trust-anchors`, { method: 'POST', headers: { cookie, origin: 'http://evil.example', 'x-csrf-token': csrf }, body: JSON.stringify({ records: exampleKskRecord() }) })
  t.is(cross.status, 403)
  t.is((await cross.json() as { error: string }).error, `refused: Origin http://evil.example is not ${l.base}`)
  // A forged token.
  const forged = await fetch(`${l.base}/reload`, { method: 'POST', headers: { cookie, origin: l.base, 'x-csrf-token': 'x'.repeat(43) } })
  t.is(forged.status, 403)
  t.is((await forged.json() as { error: string }).error, 'refused: the x-csrf-token header does not match this session')
  t.is(readFileSync(l.anchors, 'utf8'), file)
})

test.serial('removing the trust anchor takes it out of the file and validation stops', async (t) => {
  const l = ready(t); if (!l) return
  const { page } = l
  const button = page.locator('tr[data-anchor="example.test. DNSKEY 55018"] button')
  await button.click()
  t.regex(await button.innerText(), /Confirm: remove DNSKEY 55018/)
  await button.click()
  await page.waitForSelector('text=Removed example.test. DNSKEY 55018')
  t.notRegex(readFileSync(l.anchors, 'utf8'), /DNSKEY/)
  t.false((await ask(l.udpPort, 'www.example.test.', RRType.A)).flags.ad)
  await shot(page, '6-anchor-removed')
})

test.serial('the status page lists listeners, query and validation counters and the channel client with its protection', async (t) => {
  const l = ready(t); if (!l) return
  const { page } = l
  await page.click('a[href="#/status"]')
  await page.waitForSelector('text=Protected-channel clients')
  const text = await page.locator('main').innerText()
  t.regex(text, /laptop\.console\.test/)
  t.regex(text, /encrypted/)
  t.regex(text, /AES-256-GCM|ChaCha20-Poly1305|AES-128-GCM/)
  t.regex(text, /secure/)
  t.regex(text, /received/)
  t.regex(text, /admin\s+127\.0\.0\.1/)
  await shot(page, '7-status')
})

test.serial('the audit log lists every change and refusal, in the file and on its page; no script error happened', async (t) => {
  const l = ready(t); if (!l) return
  const { page } = l
  const lines = readFileSync(join(l.dir, 'state', 'admin-audit.jsonl'), 'utf8').trim().split('\n').map((x) => JSON.parse(x) as { action: string, status: number, ok: boolean, actor: string })
  const seen = lines.map((e) => `${e.action} ${e.status}`)
  t.true(seen.includes('login 303'))
  t.true(seen.includes('trust-anchor.add 200'))
  t.true(seen.includes('trust-anchor.remove 200'))
  t.true(seen.includes('trust-anchor.remove 403'))
  t.true(seen.includes('trust-anchor.add 403'))
  t.true(lines.filter((e) => e.action === 'login').some((e) => !e.ok), 'the failed login is there too')
  await page.click('a[href="#/audit"]')
  await page.waitForSelector('text=trust-anchor.remove')
  t.regex(await page.locator('main').innerText(), /trust-anchor\.add/)
  await shot(page, '8-audit')
  await page.click('#logout')
  await page.waitForURL(/\/console\/login/)
  l.expectRefusals = true
  t.is((await page.evaluate(async () => (await fetch('/console/api/zones')).status)), 401)
  t.deepEqual(l.errors, [])
})
