/**
 * The web console over HTTPS with an admin client certificate, in Chromium: no login form,
 * changes carry the CSRF token derived for the certificate, and a page without it is refused.
 */
import test from 'ava'
import { mkdirSync, mkdtempSync, copyFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { createRootCa, issueCertificate } from '@secdns/pki'
import { createDnsServer, parseConfig } from '@secdns/server'
import { havePeers, which } from './helpers/peers.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

test('an admin certificate opens the console without a login; its changes need the CSRF token', async (t) => {
  if (!havePeers(t, 'chromium')) return
  const dir = mkdtempSync(join(tmpdir(), 'secdns-console-cert-'))
  const ca = await createRootCa({ name: 'secdns console cert test root' })
  const srv = await issueCertificate(ca, { profile: 'dns-server', name: 'ns1.console.test' })
  const admin = await issueCertificate(ca, { profile: 'admin', name: 'operator' })
  writeFileSync(join(dir, 'ca.pem'), ca.certPem)
  writeFileSync(join(dir, 'ns.pem'), srv.certPem)
  writeFileSync(join(dir, 'ns.key'), srv.keyPem!, { mode: 0o600 })
  copyFileSync(join(root, 'packages/server/test/fixtures/example.test.nsec.signed'), join(dir, 'zone'))
  const server = createDnsServer(parseConfig({
    listeners: { admin: { address: '127.0.0.1', port: 0, certificate: join(dir, 'ns.pem'), key: join(dir, 'ns.key'), clientCa: join(dir, 'ca.pem'), auditLog: join(dir, 'audit.jsonl') } },
    zones: [{ name: 'example.test', type: 'primary', file: join(dir, 'zone') }],
  }))
  await server.start()
  t.teardown(() => server.stop())
  const base = `https://127.0.0.1:${server.listeners.find((l) => l.kind === 'admin')!.port}`

  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'secdns-chromium-')), {
    executablePath: which('chromium')!, headless: true, viewport: { width: 1360, height: 800 },
    // The lab CA is not in the browser's store; the server is still checked by our own client tests.
    ignoreHTTPSErrors: true,
    clientCertificates: [{ origin: base, cert: Buffer.from(admin.certPem), key: Buffer.from(admin.keyPem!) }],
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
  t.teardown(() => context.close())
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${base}/console/`)
  await page.waitForSelector('tr[data-zone="example.test"]')
  t.regex(await page.locator('#who').innerText(), /^certificate CN=operator/)
  t.true(await page.isHidden('#logout'), 'nothing to log out of: the certificate is the login')
  t.regex(await page.locator('tr[data-zone="example.test"]').innerText(), /example\.test\. IN DS 55018 13 2 229A50FF/)
  mkdirSync(join(root, 'test-output', 'console'), { recursive: true })
  await page.screenshot({ path: join(root, 'test-output', 'console', '9-certificate-zones.png'), fullPage: true })

  // The Reload button sends the certificate's CSRF token; a bare fetch from the page does not.
  await page.click('tr[data-zone="example.test"] button')
  await page.waitForSelector('text=example.test: reloaded, serial 2026112501')
  const bare = await page.evaluate(async () => {
    const r = await fetch('/reload', { method: 'POST' })
    return { status: r.status, error: ((await r.json()) as { error: string }).error }
  })
  t.deepEqual(bare, { status: 403, error: 'refused: the x-csrf-token header is missing' })
  t.deepEqual(errors, [])
})
