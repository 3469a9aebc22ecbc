/**
 * The secdns DNS server against real peers: dig, kdig and delv (UDP, TCP, DoT) with
 * NSEC and NSEC3 signed zones and our trust anchor; AXFR with TSIG; nsupdate against
 * signed and unsigned zones.
 *
 * The server runs in this process, so peers are run asynchronously (a synchronous
 * spawn would stop the server from answering).
 */
import test, { type ExecutionContext } from 'ava'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createDnsServer, parseConfig, type DnsServer } from '@secdns/server'
import { createKey, signZoneFile, defaultNsec3Params } from '@secdns/dnssec'
import { Name } from '@secdns/wire'
import { havePeers, stopChild, which } from '../helpers/peers.js'
import { freePort } from '../helpers/ports.js'

const fixtures = fileURLToPath(new URL('../../../packages/server/test/fixtures/', import.meta.url))
const TSIG_SECRET = Buffer.alloc(32, 0x5a).toString('base64')

function run(tool: string, args: readonly string[], input?: string): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(which(tool) ?? tool, args, { timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
    if (input !== undefined) child.stdin!.end(input)
  })
}

interface Running { server: DnsServer, dir: string, port: number, dot: number, anchors: string, cert: string }

async function serve(t: ExecutionContext, zones: { file: string, name?: string, copyAs?: string }[], extra: Record<string, unknown> = {}): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-server-interop-'))
  const cert = join(dir, 'ns.pem'), key = join(dir, 'ns.key')
  const ssl = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=ns1.example.test', '-addext', 'subjectAltName=DNS:ns1.example.test'])
  if (ssl.code !== 0) throw new Error(ssl.stderr)
  const zoneConfigs = zones.map((z) => {
    const file = join(dir, z.copyAs ?? basename(z.file))
    copyFileSync(isAbsolute(z.file) ? z.file : join(fixtures, z.file), file)
    return { name: z.name ?? 'example.test', type: 'primary', file }
  })
  const port = await freePort()
  const config = parseConfig({
    listeners: {
      udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }],
      dot: [{ address: '127.0.0.1', port: 0, certificate: cert, key }],
    },
    zones: zoneConfigs,
    tsigKeys: [{ name: 'xfr-key', secret: TSIG_SECRET }],
    ...extra,
  })
  const server = createDnsServer(config)
  await server.start()
  t.teardown(async () => { await server.stop(); rmSync(dir, { recursive: true, force: true }) })
  const dot = server.listeners.find((l) => l.kind === 'dot')!.port
  return { server, dir, port, dot, anchors: join(dir, 'anchors.conf'), cert }
}


/** Our trust anchor: the KSK served at the apex, in delv's trust-anchors form. */
async function writeAnchors(r: Running): Promise<void> {
  const d = await run('dig', ['+short', '+norec', '@127.0.0.1', '-p', String(r.port), 'example.test', 'DNSKEY'])
  const ksk = d.stdout.split('\n').find((l) => l.startsWith('257 '))!
  const [flags, proto, alg, ...key] = ksk.split(' ')
  writeFileSync(r.anchors, `trust-anchors { example.test. static-key ${flags} ${proto} ${alg} "${key.join('')}"; };\n`)
}

async function delv(r: Running, name: string, type: string, tcp = false): Promise<string> {
  const port = r.port
  const out = await run('delv', ['@127.0.0.1', '-p', String(port), '-a', r.anchors, '+root=example.test', ...(tcp ? ['+tcp'] : []), name, type])
  return out.stdout + out.stderr
}

for (const chain of ['nsec', 'nsec3', 'nsec3-optout'] as const) {
  test.serial(`delv fully validates answers, NXDOMAIN, NODATA and wildcards from our ${chain.toUpperCase()}-signed zone over UDP and TCP`, async (t) => {
    if (!havePeers(t, 'dig', 'delv', 'openssl')) return
    const r = await serve(t, [{ file: `example.test.${chain}.signed` }])
    await writeAnchors(r)
    for (const tcp of [false, true]) {
      const pos = await delv(r, 'www.example.test', 'A', tcp)
      t.regex(pos, /; fully validated/)
      t.regex(pos, /192\.0\.2\.80/)
      t.regex(await delv(r, 'nope.example.test', 'A', tcp), /; negative response, fully validated[\s\S]*NXDOMAIN/)
      t.regex(await delv(r, 'www.example.test', 'TXT', tcp), /; negative response, fully validated[\s\S]*NXRRSET/)
      // RFC 5155 §9.2: under opt-out, the NSEC3 covering the next closer name cannot exclude an
      // unsigned delegation there, so a wildcard answer is insecure (not bogus).
      t.regex(await delv(r, 'a.b.wild.example.test', 'TXT', tcp), chain === 'nsec3-optout' ? /; unsigned answer[\s\S]*"wildcard"/ : /; fully validated[\s\S]*"wildcard"/)
      t.regex(await delv(r, 'x.wild.example.test', 'MX', tcp), /; negative response, fully validated/)
      t.regex(await delv(r, 'b.c.example.test', 'A', tcp), /; negative response, fully validated/)
      t.regex(await delv(r, 'chain.example.test', 'A', tcp), /; fully validated[\s\S]*192\.0\.2\.80/)
      t.regex(await delv(r, 'sub.example.test', 'DS', tcp), /; fully validated[\s\S]*DS\s+12345/)
      t.regex(await delv(r, 'insecure.example.test', 'DS', tcp), /; negative response, fully validated/)
    }
  })
}

test.serial('dig and kdig get the same answers over UDP, TCP and DoT', async (t) => {
  if (!havePeers(t, 'dig', 'kdig', 'openssl')) return
  const r = await serve(t, [{ file: 'example.test.nsec3.signed' }])
  const udp = await run('dig', ['+norec', '+dnssec', '+noall', '+answer', '+comments', '@127.0.0.1', '-p', String(r.port), 'www.example.test', 'A'])
  t.regex(udp.stdout, /flags: qr aa;/)
  t.regex(udp.stdout, /www\.example\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.80/)
  t.regex(udp.stdout, /RRSIG\s+A 13 3 3600/)
  const tcp = await run('kdig', ['+tcp', '+norec', '+dnssec', '+short', '@127.0.0.1', '-p', String(r.port), 'www.example.test', 'A'])
  t.regex(tcp.stdout, /^192\.0\.2\.80$/m)
  const dot = await run('kdig', [`+tls-ca=${r.cert}`, '+tls-hostname=ns1.example.test', '+norec', '@127.0.0.1', '-p', String(r.dot), 'www.example.test', 'A'])
  t.regex(dot.stdout, /status: NOERROR/)
  t.regex(dot.stdout, /192\.0\.2\.80/)
  t.regex(dot.stdout, /TLS/)
  const nx = await run('kdig', [`+tls-ca=${r.cert}`, '+tls-hostname=ns1.example.test', '+dnssec', '@127.0.0.1', '-p', String(r.dot), 'nope.example.test', 'A'])
  t.regex(nx.stdout, /status: NXDOMAIN/)
  t.regex(nx.stdout, /NSEC3/)
  const bad = await run('kdig', ['+tls-ca=/etc/ssl/certs/ca-certificates.crt', '+tls-hostname=ns1.example.test', '@127.0.0.1', '-p', String(r.dot), 'www.example.test', 'A'])
  t.notRegex(bad.stdout, /192\.0\.2\.80/)
  const refused = await run('dig', ['+norec', '@127.0.0.1', '-p', String(r.port), 'www.other.test', 'A'])
  t.regex(refused.stdout, /status: REFUSED/)
  const nsid = await run('dig', ['+norec', '+nsid', '+cookie', '@127.0.0.1', '-p', String(r.port), 'www.example.test', 'A'])
  t.regex(nsid.stdout, /COOKIE: [0-9a-f]{48} \(good\)/)
})

test.serial('dig shows the MX exchange address and its RRSIG in the additional section', async (t) => {
  if (!havePeers(t, 'dig', 'openssl')) return
  const r = await serve(t, [{ file: 'example.test.nsec.signed' }])
  const mx = await run('dig', ['+norec', '+dnssec', '+noall', '+answer', '+additional', '@127.0.0.1', '-p', String(r.port), 'example.test', 'MX'])
  t.regex(mx.stdout, /example\.test\.\s+3600\s+IN\s+MX\s+10 mail\.example\.test\./)
  t.regex(mx.stdout, /mail\.example\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.25/)
  t.regex(mx.stdout, /mail\.example\.test\.\s+3600\s+IN\s+RRSIG\s+A 13 3 3600/)
})

test.serial('AXFR with the TSIG key in the transfer ACL is signed and complete; without it the transfer is refused', async (t) => {
  if (!havePeers(t, 'dig', 'openssl')) return
  const r = await serve(t, [{ file: 'example.test.nsec.signed' }], { acl: { transfer: ['key:xfr-key'] } })
  const ok = await run('dig', ['-y', `hmac-sha256:xfr-key:${TSIG_SECRET}`, '@127.0.0.1', '-p', String(r.port), 'example.test', 'AXFR'])
  t.notRegex(ok.stdout, /Transfer failed|tsig verify failure/i)
  t.regex(ok.stdout, /XFR size: \d+ records/)
  const soas = ok.stdout.split('\n').filter((l) => /^example\.test\.\s+\d+\s+IN\s+SOA/.test(l))
  t.is(soas.length, 2)
  t.regex(ok.stdout, /NSEC\s/)
  const plain = await run('dig', ['@127.0.0.1', '-p', String(r.port), 'example.test', 'AXFR'])
  t.regex(plain.stdout, /Transfer failed/)
  const wrong = await run('dig', ['-y', `hmac-sha256:xfr-key:${Buffer.alloc(32, 1).toString('base64')}`, '@127.0.0.1', '-p', String(r.port), 'example.test', 'AXFR'])
  t.notRegex(wrong.stdout, /XFR size/)
})

test.serial('nsupdate: a signed zone refuses updates even with the key; an unsigned zone applies and persists them with the key and refuses them without', async (t) => {
  if (!havePeers(t, 'nsupdate', 'dig', 'openssl')) return
  const r = await serve(t, [
    { file: 'example.test.nsec.signed' },
    { file: 'plain.test.zone', name: 'plain.test' },
  ], { acl: { update: ['key:xfr-key'] } })
  const key = ['-y', `hmac-sha256:xfr-key:${TSIG_SECRET}`]
  const signedBefore = readFileSync(join(r.dir, 'example.test.nsec.signed'), 'utf8')
  const s = await run('nsupdate', key, `server 127.0.0.1 ${r.port}\nzone example.test\nupdate add new.example.test 300 A 192.0.2.200\nsend\n`)
  t.regex(s.stdout + s.stderr, /REFUSED/)
  t.is(readFileSync(join(r.dir, 'example.test.nsec.signed'), 'utf8'), signedBefore)
  const still = await run('dig', ['+short', '+norec', '@127.0.0.1', '-p', String(r.port), 'new.example.test', 'A'])
  t.is(still.stdout.trim(), '')
  const no = await run('nsupdate', [], `server 127.0.0.1 ${r.port}\nzone plain.test\nupdate add new.plain.test 300 A 192.0.2.201\nsend\n`)
  t.regex(no.stdout + no.stderr, /REFUSED/)
  const yes = await run('nsupdate', key, `server 127.0.0.1 ${r.port}\nzone plain.test\nupdate add new.plain.test 300 A 192.0.2.201\nupdate delete www.plain.test AAAA\nsend\n`)
  t.is(yes.code, 0, yes.stderr)
  const a = await run('dig', ['+short', '+norec', '@127.0.0.1', '-p', String(r.port), 'new.plain.test', 'A'])
  t.is(a.stdout.trim(), '192.0.2.201')
  const aaaa = await run('dig', ['+short', '+norec', '@127.0.0.1', '-p', String(r.port), 'www.plain.test', 'AAAA'])
  t.is(aaaa.stdout.trim(), '')
  const soa = await run('dig', ['+short', '+norec', '@127.0.0.1', '-p', String(r.port), 'plain.test', 'SOA'])
  t.regex(soa.stdout, / 2026112502 /)
  const file = readFileSync(join(r.dir, 'plain.test.zone'), 'utf8')
  t.regex(file, /new\.plain\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.201|new\s+300\s+IN\s+A\s+192\.0\.2\.201/)
  t.regex(file, /2026112502/)
  const pre = await run('nsupdate', key, `server 127.0.0.1 ${r.port}\nzone plain.test\nprereq nxdomain www.plain.test\nupdate add other.plain.test 300 A 192.0.2.202\nsend\n`)
  t.regex(pre.stdout + pre.stderr, /YXDOMAIN/)
})

/** Start named with a configuration; resolves once it answers the zone's SOA. */

async function startNamed(t: ExecutionContext, dir: string, port: number, zoneClause: string, zone = 'example.test'): Promise<ChildProcess> {
  const conf = join(dir, 'named.conf')
  writeFileSync(conf, `options {
  directory "${dir}"; pid-file "${dir}/named.pid"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };
  recursion no; dnssec-validation no; notify no; minimal-responses yes;
};
key "xfr-key" { algorithm hmac-sha256; secret "${TSIG_SECRET}"; };
controls { };
${zoneClause}
`)
  const child = spawn(which('named') ?? 'named', ['-g', '-c', conf, '-n', '1'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr.on('data', (c: Buffer) => { log += c.toString() })
  // Wait for named to exit: it writes its zone files on shutdown, which would race the temp dir's removal.
  t.teardown(() => stopChild(child))
  for (let i = 0; i < 100; i++) {
    const r = await run('dig', ['+norec', '+time=1', '+tries=1', '@127.0.0.1', '-p', String(port), zone, 'SOA'])
    if (/status: NOERROR/.test(r.stdout) && /flags: qr aa/.test(r.stdout)) return child
    await new Promise((res) => setTimeout(res, 200))
  }
  throw new Error(`named did not serve ${zone}:\n${log.slice(-2000)}`)
}

const COMPARED: [string, string][] = [
  ['www.example.test', 'A'], ['www.example.test', 'TXT'], ['nope.example.test', 'A'], ['a.b.wild.example.test', 'TXT'],
  ['x.wild.example.test', 'MX'], ['b.c.example.test', 'A'], ['chain.example.test', 'A'], ['www.dn.example.test', 'A'],
  ['host.sub.example.test', 'A'], ['www.insecure.example.test', 'A'], ['sub.example.test', 'DS'], ['example.test', 'DNSKEY'],
  ['example.test', 'NSEC3PARAM'], ['ns2.example.test', 'AAAA'],
]

/** Answer and authority sections (sorted lines) and the status, as dig prints them. */
async function sections(port: number, name: string, type: string): Promise<string> {
  const r = await run('dig', ['+norec', '+dnssec', '+noall', '+answer', '+authority', '+comments', '+nocookie', '@127.0.0.1', '-p', String(port), name, type])
  const status = /status: (\w+)/.exec(r.stdout)?.[1] ?? 'none'
  const flags = /flags: ([a-z ]+);/.exec(r.stdout)?.[1] ?? ''
  const lines = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith(';')).map((l) => l.replace(/\s+/g, ' ')).sort()
  return `${status} ${flags}\n${lines.join('\n')}`
}

for (const chain of ['nsec3', 'nsec3-optout'] as const) {
test.serial(`a BIND secondary transfers our ${chain.toUpperCase()}-signed zone by AXFR with TSIG and answers identically`, async (t) => {
  if (!havePeers(t, 'named', 'dig', 'openssl')) return
  const r = await serve(t, [{ file: `example.test.${chain}.signed` }], { acl: { transfer: ['key:xfr-key'] } })
  const dir = mkdtempSync(join(tmpdir(), 'secdns-named-sec-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  await startNamed(t, dir, port, `zone "example.test" { type secondary; primaries port ${r.port} { 127.0.0.1 key xfr-key; }; file "${dir}/sec.db"; };`)
  t.true(r.server.counters.transfers >= 1)
  for (const [name, type] of COMPARED) t.is(await sections(port, name, type), await sections(r.port, name, type), `${name} ${type}`)
})
}

test.serial('our server as secondary of a BIND primary serving a BIND-signed zone answers identically to BIND', async (t) => {
  if (!havePeers(t, 'named', 'dig', 'openssl')) return
  const dir = mkdtempSync(join(tmpdir(), 'secdns-named-pri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  copyFileSync(join(fixtures, 'example.test.nsec.signed'), join(dir, 'pri.db'))
  const bindPort = await freePort()
  await startNamed(t, dir, bindPort, `zone "example.test" { type primary; file "${dir}/pri.db"; allow-transfer { key xfr-key; }; };`)
  const ours = mkdtempSync(join(tmpdir(), 'secdns-secondary-'))
  t.teardown(() => rmSync(ours, { recursive: true, force: true }))
  const port = await freePort()
  const config = parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }] },
    zones: [{ name: 'example.test', type: 'secondary', primaries: [`127.0.0.1:${bindPort}`], file: join(ours, 'example.test.db'), tsigKey: 'xfr-key' }],
    tsigKeys: [{ name: 'xfr-key', secret: TSIG_SECRET }],
  })
  const server = createDnsServer(config)
  await server.start()
  t.teardown(() => server.stop())
  await server.refreshSecondary('example.test')
  t.is(server.status().zones[0]!.serial, 2026112501)
  t.true(server.status().zones[0]!.signed)
  for (const [name, type] of COMPARED) t.is(await sections(port, name, type), await sections(bindPort, name, type), `${name} ${type}`)
  // kept on disk: a restart serves it before any transfer. The restarted server takes a
  // fresh port: the old one is back in the ephemeral range once freed, and a client socket
  // of a test running alongside may hold it by then.
  await server.stop()
  let again: ReturnType<typeof createDnsServer> | undefined
  let againPort = 0
  for (let attempt = 0; again === undefined; attempt++) {
    againPort = await freePort()
    const s = createDnsServer(parseConfig({
      ...config,
      listeners: { udp: [{ address: '127.0.0.1', port: againPort }], tcp: [{ address: '127.0.0.1', port: againPort }] },
      zones: [{ ...config.zones[0]!, primaries: ['127.0.0.1:1'] }],
    }))
    try {
      await s.start()
      again = s
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_SERVER_BIND' || attempt >= 4) throw e
    }
  }
  const restarted = again
  t.teardown(() => restarted.stop())
  t.is(await sections(againPort, 'www.example.test', 'A'), await sections(bindPort, 'www.example.test', 'A'))
})

test.serial('an Unbound forwarder with forward-tls-upstream validates answers it gets from us over DoT', async (t) => {
  if (!havePeers(t, 'unbound', 'dig', 'openssl')) return
  const r = await serve(t, [{ file: 'example.test.nsec3.signed' }])
  const d = await run('dig', ['+short', '+norec', '@127.0.0.1', '-p', String(r.port), 'example.test', 'DNSKEY'])
  const ksk = d.stdout.split('\n').find((l) => l.startsWith('257 '))!
  const port = await freePort()
  const conf = join(r.dir, 'unbound.conf')
  writeFileSync(conf, `server:
  interface: 127.0.0.1
  port: ${port}
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${r.dir}"
  pidfile: "${r.dir}/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  tls-cert-bundle: "${r.cert}"
  trust-anchor: "example.test. DNSKEY ${ksk}"
  module-config: "validator iterator"
  val-log-level: 2
  local-zone: "test." nodefault
  do-not-query-localhost: no
remote-control:
  control-enable: no
forward-zone:
  name: "example.test"
  forward-addr: 127.0.0.1@${r.dot}#ns1.example.test
  forward-tls-upstream: yes
`)
  const child = spawn(which('unbound') ?? 'unbound', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr.on('data', (c: Buffer) => { log += c.toString() })
  t.teardown(() => { child.kill('SIGTERM') })
  let out = ''
  for (let i = 0; i < 50; i++) {
    out = (await run('dig', ['+dnssec', '+time=2', '+tries=1', '@127.0.0.1', '-p', String(port), 'www.example.test', 'A'])).stdout
    if (/status: NOERROR/.test(out)) break
    await new Promise((res) => setTimeout(res, 200))
  }
  t.regex(out, /flags: qr rd ra ad;/, log.slice(-3000))
  t.regex(out, /192\.0\.2\.80/)
  const nx = (await run('dig', ['+dnssec', '@127.0.0.1', '-p', String(port), 'nope.example.test', 'A'])).stdout
  t.regex(nx, /status: NXDOMAIN/)
  t.regex(nx, /flags: qr rd ra ad;/)
  const before = r.server.counters.received
  t.true(before > 0)
})

for (const chain of ['nsec', 'nsec3'] as const) {
  test.serial(`a zone signed by our own signer (${chain.toUpperCase()}) is served and fully validated by delv`, async (t) => {
    if (!havePeers(t, 'dig', 'delv', 'openssl')) return
    const dir = mkdtempSync(join(tmpdir(), 'secdns-own-signer-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const now = Math.floor(Date.now() / 1000)
    const ksk = createKey('example.test', 13, { ksk: true, now: now - 7200 }).key
    const zsk = createKey('example.test', 13, { now: now - 7200 }).key
    copyFileSync(join(fixtures, 'example.test.zone'), join(dir, 'example.test.zone'))
    const out = join(dir, 'example.test.signed')
    await signZoneFile(join(dir, 'example.test.zone'), {
      origin: Name.fromString('example.test.'), keys: [ksk, zsk], now, out,
      ...(chain === 'nsec3' ? { nsec3: defaultNsec3Params() } : {}),
    })
    const r = await serve(t, [{ file: out }])
    await writeAnchors(r)
    t.regex(await delv(r, 'www.example.test', 'A'), /; fully validated/)
    t.regex(await delv(r, 'nope.example.test', 'A'), /; negative response, fully validated/)
    t.regex(await delv(r, 'www.example.test', 'TXT'), /; negative response, fully validated/)
    t.regex(await delv(r, 'a.b.wild.example.test', 'TXT'), /; fully validated/)
    t.regex(await delv(r, 'x.wild.example.test', 'MX'), /; negative response, fully validated/)
    t.regex(await delv(r, 'insecure.example.test', 'DS'), /; negative response, fully validated/)
  })
}

test.serial('a NOTIFY from a BIND primary makes our secondary follow by IXFR', async (t) => {
  if (!havePeers(t, 'named', 'dig')) return
  const dir = mkdtempSync(join(tmpdir(), 'secdns-named-ixfr-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  copyFileSync(join(fixtures, 'plain.test.zone'), join(dir, 'pri.db'))
  const port = await freePort()
  const bindPort = await freePort()
  const named = await startNamed(t, dir, bindPort, `zone "plain.test" { type primary; file "${dir}/pri.db"; ixfr-from-differences yes; max-ixfr-ratio unlimited;
  allow-transfer { key xfr-key; }; notify explicit; also-notify { 127.0.0.1 port ${port}; }; };`, 'plain.test')
  const events: { obj: Record<string, unknown>, msg: string }[] = []
  const record = (obj: Record<string, unknown>, msg: string): void => { events.push({ obj, msg }) }
  const logger = { info: record, warn: record, error: record, debug: () => {}, child: () => logger } as never
  const server = createDnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }] },
    zones: [{ name: 'plain.test', type: 'secondary', primaries: [`127.0.0.1:${bindPort}`], file: join(dir, 'sec.db'), tsigKey: 'xfr-key' }],
    tsigKeys: [{ name: 'xfr-key', secret: TSIG_SECRET }], acl: { notify: ['127.0.0.1'] },
  }), { logger })
  await server.start()
  t.teardown(() => server.stop())
  await server.refreshSecondary('plain.test')
  t.is(server.status().zones[0]!.serial, 2026112501)
  writeFileSync(join(dir, 'pri.db'), readFileSync(join(dir, 'pri.db'), 'utf8').replace('2026112501', '2026112502').replace('192.0.2.80', '192.0.2.81'))
  named.kill('SIGHUP')
  for (let i = 0; i < 100 && server.status().zones[0]!.serial !== 2026112502; i++) await new Promise((res) => setTimeout(res, 100))
  t.is(server.status().zones[0]!.serial, 2026112502)
  t.true(events.some((e) => e.msg === 'NOTIFY received'))
  t.deepEqual(events.filter((e) => e.msg === 'zone transferred in').map((e) => e.obj['kind']), ['axfr', 'ixfr'])
  const a = await run('dig', ['+short', '+norec', '@127.0.0.1', '-p', String(port), 'www.plain.test', 'A'])
  t.is(a.stdout.trim(), '192.0.2.81')
  t.is(await sections(port, 'www.plain.test', 'AAAA'), await sections(bindPort, 'www.plain.test', 'AAAA'))
})
