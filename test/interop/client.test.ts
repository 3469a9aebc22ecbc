// The stub client against BIND: one named is authoritative for three signed zones
// (NSEC, NSEC3, and one whose data no longer matches its signatures); a second named is a
// validating resolver with trust anchors for them, forwarding to the first. Our client,
// with an NRPT, asks the validating one; `dig` asks through `secdns client serve`.
// Everything listens on 127.0.0.1 on random ports; the resolver's root hints point at
// loopback, so nothing leaves the machine.
import test from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createStubClient, ClientError, type StubClient } from '@secdns/client'
import { createRootCa, issueCertificate } from '@secdns/pki'
import { havePeers, runPeer, which } from '../helpers/peers.js'
import { freePort } from '../helpers/ports.js'
import { signClientZone } from '../helpers/client_zones.js'

const BIN = fileURLToPath(new URL('../../../packages/cli/bin/secdns.js', import.meta.url))
const ZONES = ['secure.test', 'nsec3.test', 'bogus.test'] as const


/** The zone's KSK as a BIND trust-anchors entry. */
function sign(dir: string, zone: string): string {
  const [, , , , flags, proto, alg, ...key] = signClientZone(dir, zone).trim().split(/\s+/)
  return `${zone}. static-key ${flags} ${proto} ${alg} "${key.join('')}";`
}

function startNamed(dir: string, conf: string): Promise<ChildProcess> {
  writeFileSync(join(dir, 'named.conf'), conf)
  return new Promise((resolve, reject) => {
    const p = spawn(which('named')!, ['-g', '-c', join(dir, 'named.conf')], { cwd: dir })
    let err = ''
    const timer = setTimeout(() => reject(new Error(`named did not start:\n${err}`)), 20_000)
    p.stderr!.on('data', (d) => {
      err += d
      if (/running$/m.test(err)) { clearTimeout(timer); resolve(p) }
    })
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`named exited ${code}:\n${err}`)) })
  })
}

interface Lab { resolverPort: number; authPort: number; dotPort: number; rootPem: string; dir: string; stop(): void }
let lab: Promise<Lab> | undefined

function startLab(): Promise<Lab> {
  lab ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secdns-client-interop-'))
    const anchors = ZONES.map((z) => sign(dir, z))
    const authPort = await freePort()
    const resolverPort = await freePort()
    const dotPort = await freePort()
    // DNS over TLS on the validating resolver, with a certificate from our CA.
    const root = await createRootCa({ name: 'secdns Lab Root CA' })
    const cert = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], ip: ['127.0.0.1'], days: 30 })
    writeFileSync(join(dir, 'dot.pem'), cert.certPem)
    writeFileSync(join(dir, 'dot.key'), cert.keyPem!, { mode: 0o600 })
    const common = (d: string, port: number): string => `directory "${d}"; pid-file "${d}/named.pid"; session-keyfile "${d}/session.key"; managed-keys-directory "${d}"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; }; notify no;`
    const authDir = join(dir, 'auth'); mkdirSync(authDir)
    const resDir = join(dir, 'resolver'); mkdirSync(resDir)
    const auth = await startNamed(authDir, `options { ${common(authDir, authPort)} recursion no; dnssec-validation no; };
${ZONES.map((z) => `zone "${z}" { type primary; file "${join(dir, `${z}.signed`)}"; };`).join('\n')}
`)
    writeFileSync(join(resDir, 'root.hints'), '. 3600000 NS a.root.invalid.\na.root.invalid. 3600000 A 127.0.0.1\n')
    const res = await startNamed(resDir, `tls lab-tls { cert-file "${join(dir, 'dot.pem')}"; key-file "${join(dir, 'dot.key')}"; };
options { ${common(resDir, resolverPort)} listen-on port ${dotPort} tls lab-tls { 127.0.0.1; }; recursion yes; allow-recursion { 127.0.0.1; }; dnssec-validation yes; forward only; forwarders { 127.0.0.1 port ${authPort}; }; };
zone "." { type hint; file "${join(resDir, 'root.hints')}"; };
trust-anchors {
${anchors.join('\n')}
};
`)
    return { resolverPort, authPort, dotPort, rootPem: root.certPem, dir, stop: () => { auth.kill('SIGTERM'); res.kill('SIGTERM') } }
  })()
  return lab
}

test.after.always(async () => { if (lab !== undefined) (await lab.catch(() => undefined))?.stop() })

function nrpt(l: Lab): Record<string, unknown> {
  const server = `udp://127.0.0.1:${l.resolverPort}`
  return {
    global: { defaultServers: [server], timeoutMs: 3000 },
    rules: [
      { name: 'secure', namespace: '.secure.test', nameServers: [server], dnsSecEnable: true, dnsSecValidationRequired: true },
      { name: 'bogus', namespace: '.bogus.test', nameServers: [server], dnsSecEnable: true, dnsSecValidationRequired: true },
      { name: 'nsec3-required', namespace: '.nsec3.test', nameServers: [`tcp://127.0.0.1:${l.resolverPort}`], dnsSecEnable: true, dnsSecValidationRequired: true },
      { name: 'nsec3-plain', namespace: 'www.nsec3.test', nameServers: [server] },
      { name: 'exempt', namespace: '.pub.secure.test' },
      { name: 'dot', namespace: 'mail.secure.test', nameServers: [{ address: `tls://127.0.0.1:${l.dotPort}`, serverName: 'dns1.lab.test' }], dnsSecEnable: true, dnsSecValidationRequired: true, trustAuthority: l.rootPem },
    ],
  }
}

async function client(t: import('ava').ExecutionContext): Promise<StubClient | undefined> {
  if (!havePeers(t, 'named', 'dnssec-keygen', 'dnssec-signzone')) return undefined
  const c = createStubClient({ nrpt: nrpt(await startLab()) })
  t.teardown(() => c.close())
  return c
}

test('validation required and a secure zone: the answer comes with AD', async (t) => {
  const c = await client(t)
  if (c === undefined) return
  const r = await c.resolve('www.secure.test', 'A')
  t.true(r.ad)
  t.is(r.answer.filter((x) => x.data.type === 1).length, 1)
  t.regex(r.verdict, /^validated/)
})

test('validation required and a bogus zone: ERR_CLIENT_SERVFAIL, nothing returned', async (t) => {
  const c = await client(t)
  if (c === undefined) return
  const e = await t.throwsAsync(c.resolve('www.bogus.test', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_SERVFAIL' })
  t.notRegex(e.message, /192\.0\.2\.8/)
})

test('a validated denial (NXDOMAIN with AD) under a requiring rule is handed over', async (t) => {
  const c = await client(t)
  if (c === undefined) return
  const r = await c.resolve('nothere.secure.test', 'A')
  t.is(r.rcodeName, 'NXDOMAIN')
  t.true(r.ad)
})

test('NSEC3 zone: AD clear under a rule that does not ask for DNSSEC, AD set under the requiring rule', async (t) => {
  const c = await client(t)
  if (c === undefined) return
  const plain = await c.resolve('www.nsec3.test', 'A')
  t.is(plain.policy.rule, 'nsec3-plain')
  t.false(plain.ad)
  t.is(plain.answer.length, 1)
  const secure = await c.resolve('mail.nsec3.test', 'A')
  t.is(secure.policy.rule, 'nsec3-required')
  t.true(secure.ad)
  t.is(secure.transport, 'tcp')
  const denial = await c.resolve('nothere.nsec3.test', 'A')
  t.is(denial.rcodeName, 'NXDOMAIN')
  t.true(denial.ad)
})

test('an exempted namespace resolves in plain DNS: no DO, AD clear', async (t) => {
  const c = await client(t)
  if (c === undefined) return
  const r = await c.resolve('www.pub.secure.test', 'A')
  t.true(r.policy.exempt)
  t.false(r.ad)
  t.false(r.message.edns?.dnssecOk ?? false)
  t.is(r.answer.length, 1)
})

function dig(port: number, ...args: string[]): string {
  const r = runPeer('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=5', ...args])
  return r.stdout
}

test('dig through secdns client serve shows the same verdicts', async (t) => {
  if (!havePeers(t, 'named', 'dnssec-keygen', 'dnssec-signzone', 'dig')) return
  const l = await startLab()
  const f = join(l.dir, 'nrpt.json')
  writeFileSync(f, JSON.stringify(nrpt(l)))
  const proc = spawn(process.execPath, [BIN, 'client', 'serve', '--listen', '127.0.0.1:0', '--nrpt', f, '--quiet'])
  t.teardown(() => { proc.kill('SIGTERM') })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    proc.stdout.on('data', (d) => { out += d; const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out); if (m) resolve(Number(m[1])) })
    proc.on('exit', (code) => reject(new Error(`client serve exited ${code}`)))
  })
  const secure = dig(port, '+dnssec', 'www.secure.test', 'A')
  t.regex(secure, /status: NOERROR/)
  t.regex(secure, /flags: qr rd ra ad;/)
  t.regex(secure, /www\.secure\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.80/)
  t.regex(secure, /RRSIG\s+A 13/)
  const bogus = dig(port, '+dnssec', 'www.bogus.test', 'A')
  t.regex(bogus, /status: SERVFAIL/)
  t.regex(bogus, /EDE: 6 \(DNSSEC Bogus\): \(ERR_CLIENT_SERVFAIL/)
  t.notRegex(bogus, /192\.0\.2\.81/)
  const plain = dig(port, 'www.nsec3.test', 'A')
  t.regex(plain, /status: NOERROR/)
  t.notRegex(plain, /flags: [a-z ]*\bad\b/)
  const exempt = dig(port, '+tcp', 'www.pub.secure.test', 'A')
  t.regex(exempt, /192\.0\.2\.99/)
})

test('DNS over TLS to BIND with a certificate from our CA: validated answer, TLS parameters in the result', async (t) => {
  const c = await client(t)
  if (c === undefined) return
  const r = await c.resolve('mail.secure.test', 'A')
  t.is(r.policy.rule, 'dot')
  t.is(r.transport, 'tls')
  t.true(r.ad)
  t.regex(r.negotiated, /^tls TLSv1\.3 TLS_\S+, server dns1\.lab\.test, CA "secdns Lab Root CA"$/)
  const again = await c.resolve('mail.secure.test', 'A')
  t.true(again.ad)
})

test('DNS over TLS to BIND with a trust authority that did not issue its certificate: refused', async (t) => {
  if (!havePeers(t, 'named', 'dnssec-keygen', 'dnssec-signzone')) return
  const l = await startLab()
  const other = await createRootCa({ name: 'Other Root CA' })
  const c = createStubClient({ nrpt: { rules: [{ name: 'dot', namespace: '.secure.test', nameServers: [{ address: `tls://127.0.0.1:${l.dotPort}`, serverName: 'dns1.lab.test' }], dnsSecEnable: true, dnsSecValidationRequired: true, trustAuthority: other.certPem }] } })
  t.teardown(() => c.close())
  await t.throwsAsync(c.resolve('www.secure.test', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
})
