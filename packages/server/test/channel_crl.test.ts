import test from 'ava'
import { copyFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { connect as tlsConnect } from 'node:tls'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Name, RRType, Rcode, createQuery, decodeMessage, encodeMessage, frameTcp, TcpFrameReader } from '@secdns/wire'
import { createCrl, issueCertificate } from '@secdns/pki'
import { connect, ChannelError } from '@secdns/channel'
import { writeTestPki, type TestIdentity } from './test_pki.js'
import { DnsServer } from '../src/server.js'
import { ChannelListener } from '../src/channel_listener.js'
import { DotListener } from '../src/dot.js'
import { AdminApi } from '../src/admin.js'
import { parseConfig } from '../src/config.js'
import { createDnsServer } from '../src/create.js'
import { X509Certificate } from 'node:crypto'

const fixture = (f: string): string => fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url))
const TOKEN = 'a-long-enough-admin-token-0123456789'
const query = (id: number): Uint8Array => encodeMessage(createQuery(Name.fromString('www.example.test.'), RRType.A, { id, rd: false }))

/** Write a file the way `secdns ca crl` does: temp file and rename. */
function writeAtomic(file: string, data: string | Uint8Array): void {
  writeFileSync(`${file}.tmp`, data)
  renameSync(`${file}.tmp`, file)
}

async function setup(): Promise<{ dir: string, caPem: string, client: TestIdentity, clientSerial: string, crlFile: string, crl: (serials: string[], n: number) => Promise<{ pem: string, der: Uint8Array }> }> {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-crl-'))
  const { root } = await writeTestPki(dir, 'secdns crl test root')
  const c = await issueCertificate(root, { profile: 'client', name: 'client.example.test' })
  copyFileSync(fixture('example.test.nsec.signed'), join(dir, 'zone'))
  writeFileSync(join(dir, 'token'), TOKEN + '\n', { mode: 0o600 })
  const crl = (serials: string[], n: number): Promise<{ pem: string, der: Uint8Array }> => createCrl(root, { revoked: serials.map((serial) => ({ serial, date: new Date() })), number: n })
  return { dir, caPem: root.certPem, client: { certPem: c.certPem, keyPem: c.keyPem! }, clientSerial: c.serial, crlFile: join(dir, 'ca.crl'), crl }
}

test('a client certificate revoked after start is refused by the channel listener once POST /reload reads the new CRL', async (t) => {
  const p = await setup()
  writeAtomic(p.crlFile, (await p.crl([], 1)).pem)
  const config = parseConfig({
    listeners: {
      channel: [{ address: '127.0.0.1', port: 0, certificate: join(p.dir, 'ns.pem'), key: join(p.dir, 'ns.key'), trustedCas: [join(p.dir, 'ca.pem')], crl: p.crlFile }],
      admin: { address: '127.0.0.1', port: 0, tokenFile: join(p.dir, 'token') },
    },
    zones: [{ name: 'example.test', type: 'primary', file: join(p.dir, 'zone') }],
  })
  const server = new DnsServer(config)
  const channel = new ChannelListener(config.listeners.channel[0]!)
  server.use(channel)
  server.use(new AdminApi(config.listeners.admin!, { channels: [channel] }))
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners.find((l) => l.kind === 'channel')!.port
  const admin = server.listeners.find((l) => l.kind === 'admin')!.port
  const opts = { identity: p.client, trust: { cas: [p.caPem] }, serverName: 'ns1.example.test', policy: { encryption: 'High' as const } }

  // Not revoked yet: answered.
  const before = await connect(`ws://127.0.0.1:${port}/`, opts)
  t.is(decodeMessage(await before.query(query(1))).rcode, Rcode.NOERROR)
  before.close()

  // Revoke, as `secdns ca revoke` + `secdns ca crl` do (DER this time), and reload.
  writeAtomic(p.crlFile, (await p.crl([p.clientSerial], 2)).der)
  const r = await fetch(`http://127.0.0.1:${admin}/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
  t.is(r.status, 200)
  const err = await t.throwsAsync(connect(`ws://127.0.0.1:${port}/`, opts), { instanceOf: ChannelError })
  t.is(err.code, 'ERR_CHANNEL_PEER_REVOKED')
  t.is(channel.stats?.refused.ERR_CHANNEL_PEER_REVOKED, 1)
})

test('a new CRL file is picked up by its mtime, without a reload', async (t) => {
  const p = await setup()
  writeAtomic(p.crlFile, (await p.crl([], 1)).pem)
  const config = parseConfig({
    listeners: { channel: [{ address: '127.0.0.1', port: 0, certificate: join(p.dir, 'ns.pem'), key: join(p.dir, 'ns.key'), trustedCas: [join(p.dir, 'ca.pem')], crl: [p.crlFile] }] },
    zones: [{ name: 'example.test', type: 'primary', file: join(p.dir, 'zone') }],
  })
  const server = new DnsServer(config)
  const channel = new ChannelListener(config.listeners.channel[0]!)
  server.use(channel)
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners.find((l) => l.kind === 'channel')!.port
  const opts = { identity: p.client, trust: { cas: [p.caPem] }, serverName: 'ns1.example.test', policy: { encryption: 'High' as const } }
  const before = await connect(`ws://127.0.0.1:${port}/`, opts)
  before.close()
  writeAtomic(p.crlFile, (await p.crl([p.clientSerial], 2)).pem)
  // The files are polled every second.
  let code = ''
  for (let i = 0; i < 40 && code === ''; i++) {
    await new Promise((r) => setTimeout(r, 100))
    if (i < 10) continue
    try { (await connect(`ws://127.0.0.1:${port}/`, opts)).close() } catch (e) { code = (e as ChannelError).code }
  }
  t.is(code, 'ERR_CHANNEL_PEER_REVOKED')
})

test('a CRL file that is not a CRL is a configuration error naming the field', async (t) => {
  const p = await setup()
  writeFileSync(p.crlFile, 'not a CRL\n')
  const config = parseConfig({
    listeners: { channel: [{ address: '127.0.0.1', port: 0, certificate: join(p.dir, 'ns.pem'), key: join(p.dir, 'ns.key'), trustedCas: [join(p.dir, 'ca.pem')], crl: p.crlFile }] },
  })
  const server = new DnsServer(config)
  server.use(new ChannelListener(config.listeners.channel[0]!))
  const err = await t.throwsAsync(server.start())
  t.is((err as { code?: string }).code, 'ERR_SERVER_CONFIG')
  t.true(err.message.includes(`listeners.channel.crl: ${p.crlFile}: not a readable CRL`), err.message)
  const missing = await t.throwsAsync(async () => {
    const s = new DnsServer(parseConfig({ listeners: { dot: [{ address: '127.0.0.1', port: 0, certificate: join(p.dir, 'ns.pem'), key: join(p.dir, 'ns.key'), clientCa: join(p.dir, 'ca.pem'), crl: join(p.dir, 'nope.crl') }] } }))
    s.use(new DotListener(s.config.listeners.dot[0]!))
    await s.start()
  })
  t.true(missing.message.includes('listeners.dot.crl:'), missing.message)
  t.throws(() => parseConfig({ listeners: { dot: [{ address: '127.0.0.1', port: 853, certificate: 'a', key: 'b', crl: 'c.crl' }] } }), { message: 'config: listeners.dot[0].crl: crl needs clientCa' })
})

function dotAsk(port: number, ca: string, cert: TestIdentity): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'ns1.example.test', cert: cert.certPem, key: cert.keyPem }, () => s.write(frameTcp(query(9))))
    const frames = new TcpFrameReader()
    s.on('data', (c) => { for (const f of frames.push(c)) { resolve(decodeMessage(f).answer.length); s.end() } })
    let failed: Error | undefined
    s.on('error', (e) => { failed = e })
    s.on('close', () => reject(failed ?? new Error('closed without an answer')))
  })
}

test('DoT with a required client certificate refuses a revoked one after the CRL changes', async (t) => {
  const p = await setup()
  writeAtomic(p.crlFile, (await p.crl([], 1)).der)
  const config = parseConfig({
    listeners: {
      dot: [{ address: '127.0.0.1', port: 0, certificate: join(p.dir, 'ns.pem'), key: join(p.dir, 'ns.key'), clientCa: join(p.dir, 'ca.pem'), requireClientCertificate: true, crl: p.crlFile }],
    },
    zones: [{ name: 'example.test', type: 'primary', file: join(p.dir, 'zone') }],
  })
  const server = new DnsServer(config)
  server.use(new DotListener(config.listeners.dot[0]!))
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners.find((l) => l.kind === 'dot')!.port
  t.is(await dotAsk(port, p.caPem, p.client), 1)
  const rejectedBefore = server.counters.tcpRejected
  writeAtomic(p.crlFile, (await p.crl([p.clientSerial], 2)).pem)
  let refused: Error | undefined
  for (let i = 0; i < 40 && refused === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100))
    if (i < 10) continue
    try { await dotAsk(port, p.caPem, p.client) } catch (e) { refused = e as Error }
  }
  // node:tls refuses the handshake (the client, on TLS 1.3, sees the connection closed
  // without an answer) and the server counts a rejected TLS client.
  t.regex(refused?.message ?? 'answered', /closed without an answer|socket disconnected|ECONNRESET/)
  t.true(server.counters.tcpRejected > rejectedBefore)
})

function adminStatus(port: number, ca: string, cert: TestIdentity): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/status', ca, servername: 'ns1.example.test', agent: false, cert: cert.certPem, key: cert.keyPem }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end()
  })
}

test('the admin API no longer takes a revoked administrator certificate once the CRL changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-crl-admin-'))
  const { root, peers: [admin] } = await writeTestPki(dir, 'secdns crl admin root', [{ profile: 'admin', name: 'operator' }])
  const serial = new X509Certificate(admin!.certPem).serialNumber.toLowerCase().replace(/^(00)+/, '')
  const crlFile = join(dir, 'ca.crl')
  writeAtomic(crlFile, (await createCrl(root, { revoked: [], number: 1 })).pem)
  const server = createDnsServer(parseConfig({
    listeners: { admin: { address: '127.0.0.1', port: 0, certificate: join(dir, 'ns.pem'), key: join(dir, 'ns.key'), clientCa: join(dir, 'ca.pem'), crl: crlFile } },
  }))
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners.find((l) => l.kind === 'admin')!.port
  t.is(await adminStatus(port, root.certPem, admin!), 200)
  writeAtomic(crlFile, (await createCrl(root, { revoked: [{ serial, date: new Date() }], number: 2 })).der)
  let status = 200
  for (let i = 0; i < 40 && status === 200; i++) {
    await new Promise((r) => setTimeout(r, 100))
    if (i >= 10) status = await adminStatus(port, root.certPem, admin!)
  }
  t.is(status, 401)
})
