import test from 'ava'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { createSocket } from 'node:dgram'
import { Name, RRType, Rcode, createQuery, decodeMessage, encodeMessage, type Message } from '@secdns/wire'
import { DnsServer, parseConfig } from '@secdns/server'

const bin = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))
const zoneFixture = fileURLToPath(new URL('../../../server/test/fixtures/plain.test.zone', import.meta.url))

/**
 * A port free for TCP and UDP, from below the ephemeral range (32768+), where client sockets
 * of tests running alongside cannot take it between this check and the server's bind
 * (the same rule as test/helpers/ports.ts, which this package's test project cannot import).
 */
async function freePort(): Promise<number> {
  for (;;) {
    const p = 20_000 + Math.floor(Math.random() * 12_000)
    const s = createServer()
    const tcp = await new Promise<boolean>((r) => { s.once('error', () => r(false)); s.listen(p, '127.0.0.1', () => s.close(() => r(true))) })
    if (!tcp) continue
    const u = createSocket('udp4')
    const udp = await new Promise<boolean>((r) => { u.once('error', () => { u.close(); r(false) }); u.bind(p, '127.0.0.1', () => u.close(() => r(true))) })
    if (udp) return p
  }
}

test('server start with a bad configuration exits 2 and names the field', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-cli-server-'))
  writeFileSync(join(dir, 'server.json'), JSON.stringify({ listeners: { udp: [{ address: '127.0.0.1', port: 99999 }] } }))
  const r = spawnSync(process.execPath, [bin, 'server', 'start', '--foreground', '--config', join(dir, 'server.json')], { encoding: 'utf8' })
  t.is(r.status, 2)
  t.regex(r.stderr, /listeners\.udp\[0\]\.port/)
})

test('server start --foreground logs JSON lines, answers status and reload, and exits 0 on SIGTERM', async (t) => {
  t.timeout(30_000)
  const dir = mkdtempSync(join(tmpdir(), 'secdns-cli-server-'))
  copyFileSync(zoneFixture, join(dir, 'plain.test.zone'))
  writeFileSync(join(dir, 'token'), 'cli-test-token-0123456789abcdef\n')
  chmodSync(join(dir, 'token'), 0o600)
  const port = await freePort()
  const admin = await freePort()
  writeFileSync(join(dir, 'server.json'), JSON.stringify({
    listeners: { udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }], admin: { address: '127.0.0.1', port: admin, tokenFile: 'token' } },
    zones: [{ name: 'plain.test', type: 'primary', file: 'plain.test.zone' }],
  }))
  const child = spawn(process.execPath, [bin, 'server', 'start', '--foreground', '--config', join(dir, 'server.json')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
  for (let i = 0; i < 100 && !out.includes('server started'); i++) await new Promise((r) => setTimeout(r, 100))
  const started = JSON.parse(out.split('\n').find((l) => l.includes('server started'))!) as { msg: string, level: number }
  t.is(started.level, 30)
  const status = await new Promise<{ code: number | null, stdout: string }>((resolve) => {
    const c = spawn(process.execPath, [bin, 'server', 'status', '--json', '--config', join(dir, 'server.json')])
    let s = ''
    c.stdout.on('data', (d: Buffer) => { s += d.toString() })
    c.on('exit', (code) => resolve({ code, stdout: s }))
  })
  t.is(status.code, 0)
  t.is((JSON.parse(status.stdout) as { zones: { serial: number }[] }).zones[0]!.serial, 2026112501)
  const reload = await new Promise<{ code: number | null, stdout: string }>((resolve) => {
    const c = spawn(process.execPath, [bin, 'server', 'reload', 'plain.test', '--config', join(dir, 'server.json')])
    let s = ''
    c.stdout.on('data', (d: Buffer) => { s += d.toString() })
    c.on('exit', (code) => resolve({ code, stdout: s }))
  })
  t.is(reload.code, 0)
  t.regex(reload.stdout, /plain\.test: serial 2026112501/)
  child.kill('SIGTERM')
  t.is(await exited, 0)
  t.regex(out, /"msg":"server stopped"/)
})

test('server start without --foreground returns once the server runs and leaves it running', async (t) => {
  t.timeout(30_000)
  const dir = mkdtempSync(join(tmpdir(), 'secdns-cli-server-bg-'))
  copyFileSync(zoneFixture, join(dir, 'plain.test.zone'))
  writeFileSync(join(dir, 'token'), 'cli-test-token-0123456789abcdef\n')
  chmodSync(join(dir, 'token'), 0o600)
  const port = await freePort()
  const admin = await freePort()
  writeFileSync(join(dir, 'server.json'), JSON.stringify({
    listeners: { udp: [{ address: '127.0.0.1', port }], admin: { address: '127.0.0.1', port: admin, tokenFile: 'token' } },
    zones: [{ name: 'plain.test', type: 'primary', file: 'plain.test.zone' }],
  }))
  const r = await new Promise<{ code: number | null, stdout: string }>((resolve) => {
    const c = spawn(process.execPath, [bin, 'server', 'start', '--config', join(dir, 'server.json')], { stdio: ['ignore', 'pipe', 'inherit'] })
    let s = ''
    c.stdout.on('data', (d: Buffer) => { s += d.toString() })
    c.on('exit', (code) => resolve({ code, stdout: s }))
  })
  t.is(r.code, 0)
  const pid = Number(/pid (\d+)/.exec(r.stdout)![1])
  t.teardown(() => { try { process.kill(pid, 'SIGTERM') } catch { /* already gone */ } })
  const status = spawnSync(process.execPath, [bin, 'server', 'status', '--config', join(dir, 'server.json')], { encoding: 'utf8' })
  t.is(status.status, 0)
  t.regex(status.stdout, /zone plain\.test primary serial 2026112501/)
  process.kill(pid, 'SIGTERM')
  for (let i = 0; i < 50; i++) {
    try { process.kill(pid, 0) } catch { break }
    await new Promise((res) => setTimeout(res, 100))
  }
  t.throws(() => process.kill(pid, 0))
})

test('on a terminal the log lines are readable text rather than JSON', async (t) => {
  t.timeout(30_000)
  const dir = mkdtempSync(join(tmpdir(), 'secdns-cli-server-tty-'))
  copyFileSync(zoneFixture, join(dir, 'plain.test.zone'))
  const port = await freePort()
  writeFileSync(join(dir, 'server.json'), JSON.stringify({
    listeners: { udp: [{ address: '127.0.0.1', port }] },
    zones: [{ name: 'plain.test', type: 'primary', file: 'plain.test.zone' }],
  }))
  // script(1) gives the server a pseudo-terminal; timeout(1) sends SIGTERM after 4 s.
  const cmd = `timeout --preserve-status -s TERM 4 ${process.execPath} ${bin} server start --foreground --config ${join(dir, 'server.json')}`
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 20_000 })
  t.is(r.status, 0, r.stderr)
  t.regex(r.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO server started \{/m)
  t.regex(r.stdout, /INFO server stopped/)
  t.notRegex(r.stdout, /^\{"level"/m)
})

async function udpAsk(port: number, name: string): Promise<Message> {
  const sock = createSocket('udp4')
  try {
    return await new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000)
      sock.on('message', (m) => { clearTimeout(timer); resolve(decodeMessage(new Uint8Array(m))) })
      sock.send(encodeMessage(createQuery(Name.fromString(name), RRType.A, { rd: true, dnssecOk: true })), port, '127.0.0.1')
    })
  } finally { sock.close() }
}

test('server start with a resolver section validates, and trust-anchor add --server -c changes the running server', async (t) => {
  t.timeout(30_000)
  const signed = fileURLToPath(new URL('../../../server/test/fixtures/example.test.nsec.signed', import.meta.url))
  const auth = new DnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'example.test', type: 'primary', file: signed }],
  }))
  await auth.start()
  t.teardown(() => auth.stop())
  const dir = mkdtempSync(join(tmpdir(), 'secdns-cli-server-resolver-'))
  writeFileSync(join(dir, 'token'), 'cli-test-token-0123456789abcdef\n')
  chmodSync(join(dir, 'token'), 0o600)
  writeFileSync(join(dir, 'TrustAnchors.dns'), '; lab anchors\n')
  const [port, admin] = [await freePort(), await freePort()]
  writeFileSync(join(dir, 'server.json'), JSON.stringify({
    listeners: { udp: [{ address: '127.0.0.1', port }], admin: { address: '127.0.0.1', port: admin, tokenFile: 'token' } },
    acl: { recursion: ['localhost'] },
    resolver: { zoneForwarders: [{ zone: 'example.test', servers: [`127.0.0.1:${auth.listeners.find((l) => l.kind === 'udp')!.port}`] }], trustAnchors: 'TrustAnchors.dns' },
  }))
  const child = spawn(process.execPath, [bin, 'server', 'start', '--foreground', '--config', join(dir, 'server.json')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
  t.teardown(() => { child.kill('SIGTERM') })
  for (let i = 0; i < 100 && !out.includes('server started'); i++) await new Promise((r) => setTimeout(r, 100))
  const before = await udpAsk(port, 'www.example.test.')
  t.is(before.rcode, Rcode.NOERROR)
  t.true(before.flags.ra)
  t.false(before.flags.ad)
  const ksk = readFileSync(signed, 'utf8').replace(/\(\s*([^)]*?)\s*\)/g, (_, inner: string) => inner.replace(/\s+/g, ' '))
    .split('\n').find((l) => /DNSKEY\s+257 3 13/.test(l))!.trim().replace(/^.*DNSKEY\s+/, '').replace(/\s*;.*$/, '')
  const add = await new Promise<{ code: number | null, stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [bin, 'trust-anchor', 'add', '--server', `http://127.0.0.1:${admin}`, '-c', join(dir, 'server.json'), `example.test. 3600 IN DNSKEY ${ksk}`])
    let e = ''
    c.stderr.on('data', (d: Buffer) => { e += d.toString() })
    c.on('exit', (code) => resolve({ code, stderr: e }))
  })
  t.is(add.code, 0, add.stderr)
  t.regex(readFileSync(join(dir, 'TrustAnchors.dns'), 'utf8'), /^; lab anchors\nexample\.test\.\s+3600\s+IN\s+DNSKEY 257 3 13 /)
  t.true((await udpAsk(port, 'www.example.test.')).flags.ad)
  child.kill('SIGTERM')
  t.is(await exited, 0)
})
