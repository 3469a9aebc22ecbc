// End to end with separate processes: our DNS server (`secdns server start --foreground`,
// authoritative, with UDP and three protected-channel listeners) and our stub client with
// an NRPT (in this process, and as `secdns client serve` asked by dig). Certificates come
// from @secdns/pki; everything is on 127.0.0.1 with random ports.
import test from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRootCa, issueCertificate, type CertifiedKey } from '@secdns/pki'
import { createStubClient, ClientError } from '@secdns/client'
import { havePeers, runPeer } from '../helpers/peers.js'
import { freePort } from '../helpers/ports.js'
import { signClientZone } from '../helpers/client_zones.js'

const TEMPLATE = fileURLToPath(new URL('../../../test/fixtures/client/zone.template', import.meta.url))
const BIN = fileURLToPath(new URL('../../../packages/cli/bin/secdns.js', import.meta.url))


interface Lab {
  dir: string
  udp: number
  channel: { high: number; integrityOnly: number; noEku: number }
  root: CertifiedKey
  other: CertifiedKey
  client: CertifiedKey
  proc: ChildProcess
}

let lab: Promise<Lab> | undefined

function pem(dir: string, name: string, text: string): string {
  const f = join(dir, name)
  writeFileSync(f, text, { mode: 0o600 })
  return f
}

function startLab(): Promise<Lab> {
  lab ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secdns-client-e2e-'))
    const root = await createRootCa({ name: 'secdns Lab Root CA' })
    const other = await createRootCa({ name: 'Other Root CA' })
    const server = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], ip: ['127.0.0.1'] })
    const noEku = await issueCertificate(root, { profile: 'client', name: 'dns1.lab.test' })
    const client = await issueCertificate(root, { profile: 'client', name: 'client1.lab.test' })
    writeFileSync(join(dir, 'corp.example.zone'), readFileSync(TEMPLATE, 'utf8').replaceAll('@ORIGIN@', 'corp.example.'))
    const [udp, high, integrityOnly, noEkuPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
    const listener = (port: number, cert: CertifiedKey, encryption: string, tag: string) => ({
      address: '127.0.0.1', port, encryption,
      certificate: pem(dir, `${tag}.pem`, cert.certPem), key: pem(dir, `${tag}.key`, cert.keyPem!), trustedCas: [pem(dir, 'root.pem', root.certPem)],
    })
    writeFileSync(join(dir, 'server.json'), JSON.stringify({
      listeners: {
        udp: [{ address: '127.0.0.1', port: udp }], tcp: [{ address: '127.0.0.1', port: udp }],
        channel: [listener(high, server, 'require', 'server'), listener(integrityOnly, server, 'none', 'server'), listener(noEkuPort, noEku, 'require', 'noeku')],
      },
      zones: [{ name: 'corp.example', type: 'primary', file: join(dir, 'corp.example.zone') }],
    }))
    const proc = spawn(process.execPath, [BIN, 'server', 'start', '--foreground', '--config', join(dir, 'server.json'), '--log-level', 'info'])
    await new Promise<void>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000)
      const on = (d: Buffer): void => { out += d.toString(); if (out.includes('server started')) { clearTimeout(timer); resolve() } }
      proc.stdout.on('data', on)
      proc.stderr.on('data', on)
      proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${out}`)) })
    })
    return { dir, udp, channel: { high, integrityOnly, noEku: noEkuPort }, root, other, client, proc }
  })()
  return lab
}

test.after.always(async () => { if (lab !== undefined) (await lab.catch(() => undefined))?.proc.kill('SIGTERM') })

function nrpt(l: Lab, over: { port?: number; trust?: string; encryption?: string } = {}): Record<string, unknown> {
  return {
    global: { clientCertificate: { certificate: l.client.certPem, privateKey: l.client.keyPem! }, defaultServers: [`udp://127.0.0.1:${l.udp}`], timeoutMs: 5000 },
    rules: [
      {
        name: 'corp', namespace: '.corp.example', dnsSecEnable: true, secureChannelRequired: true, encryption: over.encryption ?? 'High',
        nameServers: [{ address: `ws://127.0.0.1:${over.port ?? l.channel.high}/`, serverName: 'dns1.lab.test' }], trustAuthority: over.trust ?? l.root.certPem,
      },
      { name: 'pub', namespace: '.pub.corp.example' },
    ],
  }
}

test('encryption High over the protected channel to our server: answered, and the result says what was negotiated', async (t) => {
  const l = await startLab()
  const c = createStubClient({ nrpt: nrpt(l) })
  t.teardown(() => c.close())
  const r = await c.resolve('www.corp.example', 'A')
  t.is(r.transport, 'channel')
  t.regex(r.negotiated, /^channel (AES-256-GCM|ChaCha20-Poly1305), .*server dns1\.lab\.test, CA "secdns Lab Root CA"/)
  t.deepEqual(r.answer.map((x) => (x.data as { address?: string }).address), ['192.0.2.80'])
  const again = await c.resolve('mail.corp.example', 'A')
  t.is(again.answer.length, 1)
})

test('encryption High required and our server offering integrity only: refused', async (t) => {
  const l = await startLab()
  const c = createStubClient({ nrpt: nrpt(l, { port: l.channel.integrityOnly }) })
  t.teardown(() => c.close())
  const e = await t.throwsAsync(c.resolve('www.corp.example', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
  t.is(e.causeCode, 'ERR_CHANNEL_NO_PROPOSAL')
})

test('trust authority A while our server\'s certificate is from CA B: refused', async (t) => {
  const l = await startLab()
  const c = createStubClient({ nrpt: nrpt(l, { trust: l.other.certPem }) })
  t.teardown(() => c.close())
  const e = await t.throwsAsync(c.resolve('www.corp.example', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
  t.is(e.causeCode, 'ERR_CHANNEL_UNTRUSTED_PEER')
})

test('our server with a certificate without the DNS Server Trust EKU: refused', async (t) => {
  const l = await startLab()
  const c = createStubClient({ nrpt: nrpt(l, { port: l.channel.noEku }) })
  t.teardown(() => c.close())
  const e = await t.throwsAsync(c.resolve('www.corp.example', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
  t.is(e.causeCode, 'ERR_CHANNEL_PEER_PURPOSE')
})

test('an exempted namespace goes to our server in plain DNS', async (t) => {
  const l = await startLab()
  const c = createStubClient({ nrpt: nrpt(l) })
  t.teardown(() => c.close())
  const r = await c.resolve('www.pub.corp.example', 'A')
  t.true(r.policy.exempt)
  t.is(r.transport, 'udp')
  t.false(r.message.edns?.dnssecOk ?? false)
  t.deepEqual(r.answer.map((x) => (x.data as { address?: string }).address), ['192.0.2.99'])
})

test('dig through secdns client serve: channel answers pass, a refused channel is SERVFAIL with EDE Prohibited', async (t) => {
  if (!havePeers(t, 'dig')) return
  const l = await startLab()
  const serve = async (table: Record<string, unknown>, name: string): Promise<{ port: number; proc: ChildProcess }> => {
    const f = join(l.dir, name)
    writeFileSync(f, JSON.stringify(table))
    const proc = spawn(process.execPath, [BIN, 'client', 'serve', '--listen', '127.0.0.1:0', '--nrpt', f, '--quiet'])
    t.teardown(() => { proc.kill('SIGTERM') })
    const port = await new Promise<number>((resolve, reject) => {
      let out = ''
      proc.stdout!.on('data', (d) => { out += d; const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out); if (m) resolve(Number(m[1])) })
      proc.on('exit', (code) => reject(new Error(`client serve exited ${code}`)))
    })
    return { port, proc }
  }
  const good = await serve(nrpt(l), 'good.json')
  const bad = await serve(nrpt(l, { port: l.channel.integrityOnly }), 'bad.json')
  const ok = runPeer('dig', ['@127.0.0.1', '-p', String(good.port), '+tries=1', '+time=10', 'www.corp.example', 'A']).stdout
  t.regex(ok, /status: NOERROR/)
  t.regex(ok, /www\.corp\.example\.\s+\d+\s+IN\s+A\s+192\.0\.2\.80/)
  const refused = runPeer('dig', ['@127.0.0.1', '-p', String(bad.port), '+tries=1', '+time=10', 'www.corp.example', 'A']).stdout
  t.regex(refused, /status: SERVFAIL/)
  t.regex(refused, /EDE: 18 \(Prohibited\): \(ERR_CLIENT_CHANNEL_REFUSED/)
})

// ---- validation: our authoritative server (signed zones) behind our server as a
// validating resolver with trust anchors; the client reaches the resolver over the
// protected channel. Zones are signed with BIND's tools at test time.

const VALIDATOR = fileURLToPath(new URL('../../../test/fixtures/client/validating_server.mjs', import.meta.url))
const ZONES = ['secure.test', 'nsec3.test', 'bogus.test'] as const

interface ValidatingLab { channelPort: number; udpPort: number; root: CertifiedKey; client: CertifiedKey; procs: ChildProcess[] }
let vlab: Promise<ValidatingLab> | undefined


function waitFor(proc: ChildProcess, what: RegExp, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${label} did not start:\n${out}`)), 30_000)
    const on = (d: Buffer): void => { out += d.toString(); if (what.test(out)) { clearTimeout(timer); resolve() } }
    proc.stdout!.on('data', on)
    proc.stderr!.on('data', on)
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${label} exited ${code}:\n${out}`)) })
  })
}

function startValidatingLab(): Promise<ValidatingLab> {
  vlab ??= (async () => {
    const base = await startLab()
    const dir = mkdtempSync(join(tmpdir(), 'secdns-client-e2e-val-'))
    const anchors = ZONES.map((z) => signClientZone(dir, z))
    writeFileSync(join(dir, 'TrustAnchors.dns'), `${anchors.join('\n')}\n`)
    const authPort = await freePort()
    writeFileSync(join(dir, 'auth.json'), JSON.stringify({
      listeners: { udp: [{ address: '127.0.0.1', port: authPort }], tcp: [{ address: '127.0.0.1', port: authPort }] },
      zones: ZONES.map((z) => ({ name: z, type: 'primary', file: join(dir, `${z}.signed`) })),
    }))
    const auth = spawn(process.execPath, [BIN, 'server', 'start', '--foreground', '--config', join(dir, 'auth.json')])
    await waitFor(auth, /server started/, 'authoritative server')
    const [udpPort, channelPort] = [await freePort(), await freePort()]
    writeFileSync(join(dir, 'resolver.json'), JSON.stringify({
      listeners: {
        udp: [{ address: '127.0.0.1', port: udpPort }], tcp: [{ address: '127.0.0.1', port: udpPort }],
        channel: [{ address: '127.0.0.1', port: channelPort, encryption: 'require', certificate: join(base.dir, 'server.pem'), key: join(base.dir, 'server.key'), trustedCas: [join(base.dir, 'root.pem')] }],
      },
      acl: { recursion: ['127.0.0.1'] },
    }))
    const res = spawn(process.execPath, [VALIDATOR, join(dir, 'resolver.json'), join(dir, 'TrustAnchors.dns'), String(authPort), ...ZONES])
    await waitFor(res, /validating server started/, 'validating server')
    return { channelPort, udpPort, root: base.root, client: base.client, procs: [auth, res] }
  })()
  return vlab
}

test.after.always(async () => { if (vlab !== undefined) for (const p of (await vlab.catch(() => undefined))?.procs ?? []) p.kill('SIGTERM') })

function validatingNrpt(l: ValidatingLab): Record<string, unknown> {
  const channel = { address: `ws://127.0.0.1:${l.channelPort}/`, serverName: 'dns1.lab.test' }
  const secure = { dnsSecEnable: true, dnsSecValidationRequired: true, secureChannelRequired: true, encryption: 'High', trustAuthority: l.root.certPem, nameServers: [channel] }
  return {
    global: { clientCertificate: { certificate: l.client.certPem, privateKey: l.client.keyPem! }, defaultServers: [`udp://127.0.0.1:${l.udpPort}`], timeoutMs: 5000 },
    rules: [
      { name: 'secure', namespace: '.secure.test', ...secure },
      { name: 'bogus', namespace: '.bogus.test', ...secure },
      { name: 'nsec3-required', namespace: '.nsec3.test', ...secure },
      { name: 'nsec3-plain', namespace: 'www.nsec3.test', nameServers: [`udp://127.0.0.1:${l.udpPort}`] },
    ],
  }
}

async function validatingClient(t: import('ava').ExecutionContext) {
  if (!havePeers(t, 'dnssec-keygen', 'dnssec-signzone')) return undefined
  const c = createStubClient({ nrpt: validatingNrpt(await startValidatingLab()) })
  t.teardown(() => c.close())
  return c
}

test('validation required and a secure zone: our resolver validates, the answer comes with AD over the channel', async (t) => {
  const c = await validatingClient(t)
  if (c === undefined) return
  const r = await c.resolve('www.secure.test', 'A')
  t.true(r.ad)
  t.is(r.transport, 'channel')
  t.regex(r.negotiated, /CA "secdns Lab Root CA"/)
  t.true(r.answer.some((x) => (x.data as { address?: string }).address === '192.0.2.80'))
})

test('validation required and a bogus zone: ERR_CLIENT_SERVFAIL, nothing returned', async (t) => {
  const c = await validatingClient(t)
  if (c === undefined) return
  await t.throwsAsync(c.resolve('www.bogus.test', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_SERVFAIL' })
})

test('NSEC3 zone: AD clear under a rule without DNSSEC, validated under the requiring rule', async (t) => {
  const c = await validatingClient(t)
  if (c === undefined) return
  const plain = await c.resolve('www.nsec3.test', 'A')
  t.is(plain.policy.rule, 'nsec3-plain')
  t.false(plain.ad)
  t.is(plain.answer.length, 1)
  const secure = await c.resolve('mail.nsec3.test', 'A')
  t.true(secure.ad)
  const denial = await c.resolve('nothere.nsec3.test', 'A')
  t.is(denial.rcodeName, 'NXDOMAIN')
  t.true(denial.ad)
})

test('dig through secdns client serve in front of our validating server: AD for the secure zone, SERVFAIL for the bogus one', async (t) => {
  if (!havePeers(t, 'dig', 'dnssec-keygen', 'dnssec-signzone')) return
  const l = await startValidatingLab()
  const f = join(mkdtempSync(join(tmpdir(), 'secdns-client-e2e-dig-')), 'nrpt.json')
  writeFileSync(f, JSON.stringify(validatingNrpt(l)))
  const proc = spawn(process.execPath, [BIN, 'client', 'serve', '--listen', '127.0.0.1:0', '--nrpt', f, '--quiet'])
  t.teardown(() => { proc.kill('SIGTERM') })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    proc.stdout.on('data', (d) => { out += d; const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out); if (m) resolve(Number(m[1])) })
    proc.on('exit', (code) => reject(new Error(`client serve exited ${code}`)))
  })
  const dig = (...args: string[]): string => runPeer('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=10', ...args]).stdout
  const secure = dig('+dnssec', 'www.secure.test', 'A')
  t.regex(secure, /status: NOERROR/)
  t.regex(secure, /flags: qr rd ra ad;/)
  const bogus = dig('+dnssec', 'www.bogus.test', 'A')
  t.regex(bogus, /status: SERVFAIL/)
  t.regex(bogus, /EDE: 6 \(DNSSEC Bogus\): \(ERR_CLIENT_SERVFAIL/)
  t.notRegex(bogus, /192\.0\.2\.81/)
  const plain = dig('www.nsec3.test', 'A')
  t.regex(plain, /status: NOERROR/)
  t.notRegex(plain, /flags: [a-z ]*\bad\b/)
})
