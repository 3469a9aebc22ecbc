/**
 * @secdns/wire against BIND: a signed zone (dnssec-keygen + dnssec-signzone) is
 * served by `named` on 127.0.0.1 (random port, temp dir). Our encoded queries go
 * out over UDP and TCP; the answers we decode must print record for record as
 * `dig +dnssec +norec` prints them (whitespace normalised, sets sorted).
 */
import test, { type ExecutionContext } from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Name, RRType, Rcode, TcpFrameReader, createQuery, decodeMessage, encodeMessage, frameTcp, rrToText,
  rrTypeFromString, type Message,
} from '@secdns/wire'
import { havePeers, runPeer, which } from '../helpers/peers.js'
import { freePort } from '../helpers/ports.js'

const TOOLS = ['named', 'dig', 'dnssec-keygen', 'dnssec-signzone']
const ZONE = `$ORIGIN example.test.
$TTL 300
@         SOA   ns1 hostmaster 2024010101 7200 3600 1209600 300
@         NS    ns1
@         MX    10 mail
ns1       A     127.0.0.1
mail      A     192.0.2.25
www       A     192.0.2.1
www       A     192.0.2.2
www       AAAA  2001:db8::1
txt       TXT   "hello world" "a\\"b\\\\c" "\\001\\255;()"
_sip._tcp SRV   10 60 5060 sip.example.test.
naptr     NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:info@example.test!" .
caa       CAA   0 issue "ca.example.test"
ssh       SSHFP 4 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
_443._tcp TLSA  3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
svc       SVCB  1 . alpn="h2,h3" port=8443 ipv4hint=192.0.2.1 ipv6hint=2001:db8::1
https     HTTPS 1 . alpn="h2" no-default-alpn
unk       TYPE65280 \\# 4 0a000001
hinfo     HINFO "PC" "Linux"
esc\\.ape  A     192.0.2.9
dn        DNAME other.test.
sub       NS    ns.sub
ns.sub    A     192.0.2.53
sub       DS    12345 13 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
`

const NSEC3_ZONE = `$ORIGIN nsec3.test.
$TTL 300
@         SOA   ns1 hostmaster 1 7200 3600 1209600 300
@         NS    ns1
ns1       A     127.0.0.1
www       A     192.0.2.80
*.wild    TXT   "wildcard"
`

interface Bind { dir: string, port: number, proc: ChildProcess }
let bind: Bind | null = null
let setupError: unknown = null


function udpQuery(bytes: Uint8Array, port: number, timeoutMs = 2000): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4')
    const timer = setTimeout(() => { s.close(); reject(new Error('UDP timeout')) }, timeoutMs)
    s.once('message', (m) => { clearTimeout(timer); s.close(); resolve(new Uint8Array(m)) })
    s.send(bytes, port, '127.0.0.1')
  })
}

/** Send several messages on one TCP connection; resolve with as many answers. */
function tcpQuery(msgs: Uint8Array[], port: number, timeoutMs = 5000): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const frames = new TcpFrameReader()
    const got: Uint8Array[] = []
    const sock = connect(port, '127.0.0.1')
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('TCP timeout')) }, timeoutMs)
    sock.on('error', (e) => { clearTimeout(timer); reject(e) })
    sock.on('connect', () => { for (const m of msgs) sock.write(frameTcp(m)) })
    sock.on('data', (chunk) => {
      got.push(...frames.push(chunk))
      if (got.length === msgs.length) { clearTimeout(timer); sock.end(); resolve(got) }
    })
  })
}

async function startBind(): Promise<Bind> {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-interop-wire-'))
  writeFileSync(join(dir, 'example.test.zone'), ZONE)
  for (const args of [['-a', 'RSASHA256', '-b', '2048', '-f', 'KSK'], ['-a', 'RSASHA256', '-b', '2048']]) {
    const r = runPeer('dnssec-keygen', ['-q', ...args, '-K', dir, 'example.test'], { cwd: dir })
    if (r.status !== 0) throw new Error(`dnssec-keygen: ${r.stderr}`)
  }
  const s = runPeer('dnssec-signzone', ['-S', '-K', dir, '-o', 'example.test', '-f', join(dir, 'signed.zone'), join(dir, 'example.test.zone')], { cwd: dir })
  if (s.status !== 0) throw new Error(`dnssec-signzone: ${s.stderr}${s.stdout}`)
  // a second zone with NSEC3 (RFC 5155), no salt, no extra iterations (RFC 9276)
  writeFileSync(join(dir, 'nsec3.test.zone'), NSEC3_ZONE)
  for (const args of [['-a', 'ECDSAP256SHA256', '-f', 'KSK'], ['-a', 'ECDSAP256SHA256']]) {
    const r = runPeer('dnssec-keygen', ['-q', ...args, '-K', dir, 'nsec3.test'], { cwd: dir })
    if (r.status !== 0) throw new Error(`dnssec-keygen: ${r.stderr}`)
  }
  const s3 = runPeer('dnssec-signzone', ['-S', '-3', '-', '-H', '0', '-K', dir, '-o', 'nsec3.test', '-f', join(dir, 'nsec3.signed'), join(dir, 'nsec3.test.zone')], { cwd: dir })
  if (s3.status !== 0) throw new Error(`dnssec-signzone -3: ${s3.stderr}${s3.stdout}`)
  const port = await freePort()
  writeFileSync(join(dir, 'named.conf'), `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  check-names primary ignore;
};
controls { };
zone "example.test" { type primary; file "${dir}/signed.zone"; };
zone "nsec3.test" { type primary; file "${dir}/nsec3.signed"; };
`)
  const proc = spawn(which('named') ?? 'named', ['-g', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  proc.stderr!.on('data', (d: Buffer) => { log += d.toString() })
  const probe = encodeMessage(createQuery(Name.fromString('example.test.'), RRType.SOA, { rd: false }))
  for (let i = 0; i < 60; i++) {
    if (proc.exitCode !== null) throw new Error(`named exited: ${log}`)
    try {
      // named answers SERVFAIL until the zone is loaded
      const m = decodeMessage(await udpQuery(probe, port, 300))
      if (m.rcode === Rcode.NOERROR && m.answer.length > 0) return { dir, port, proc }
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200))
  }
  proc.kill()
  throw new Error(`named did not serve the zone on port ${port}: ${log.split('\n').slice(-12).join('\n')}`)
}

test.before(async () => {
  if (TOOLS.some((x) => which(x) === null)) return
  try { bind = await startBind() } catch (e) { setupError = e }
})

test.after.always(() => {
  if (bind) {
    bind.proc.kill('SIGTERM')
    rmSync(bind.dir, { recursive: true, force: true })
  }
})

function ready(t: ExecutionContext): Bind | null {
  if (!havePeers(t, ...TOOLS)) return null
  if (setupError) throw setupError
  return bind
}

const norm = (s: string): string => s.trim().split(/\s+/).join(' ')

function digLines(b: Bind, name: string, type: string, extra: string[] = []): string[] {
  const r = runPeer('dig', ['+dnssec', '+norec', '+noall', '+answer', '+authority', '+additional', ...extra, '@127.0.0.1', '-p', String(b.port), name, type])
  if (r.status !== 0) throw new Error(`dig failed: ${r.stderr}`)
  return r.stdout.split('\n').filter((l) => l.trim() && !l.startsWith(';')).map(norm).sort()
}

function ourLines(m: Message): string[] {
  return [...m.answer, ...m.authority, ...m.additional].map(rrToText).sort()
}

function query(name: string, type: string, udpSize = 1232): Uint8Array {
  return encodeMessage(createQuery(Name.fromString(name), rrTypeFromString(type), { id: (Math.random() * 65536) | 0, rd: false, dnssecOk: true, udpSize }))
}

const CASES: Array<[string, string]> = [
  ['nsec3.test.', 'NSEC3PARAM'], ['nsec3.test.', 'DNSKEY'], ['www.nsec3.test.', 'TXT'], ['a.wild.nsec3.test.', 'TXT'],
  ['example.test.', 'SOA'], ['example.test.', 'NS'], ['example.test.', 'MX'], ['www.example.test.', 'A'],
  ['www.example.test.', 'AAAA'], ['txt.example.test.', 'TXT'], ['_sip._tcp.example.test.', 'SRV'],
  ['naptr.example.test.', 'NAPTR'], ['caa.example.test.', 'CAA'], ['ssh.example.test.', 'SSHFP'],
  ['_443._tcp.example.test.', 'TLSA'], ['svc.example.test.', 'SVCB'], ['https.example.test.', 'HTTPS'],
  ['unk.example.test.', 'TYPE65280'], ['hinfo.example.test.', 'HINFO'], ['esc\\.ape.example.test.', 'A'],
  ['dn.example.test.', 'DNAME'], ['sub.example.test.', 'DS'], ['host.sub.example.test.', 'A'],
  ['www.example.test.', 'TXT'],
]

for (const [name, type] of CASES) {
  test.serial(`decodes BIND's UDP answer to ${name} ${type} as dig prints it`, async (t) => {
    const b = ready(t)
    if (!b) return
    const q = query(name, type)
    const m = decodeMessage(await udpQuery(q, b.port))
    t.true(m.flags.qr)
    t.is(m.id, decodeMessage(q).id)
    t.true(m.edns?.dnssecOk, 'DO echoed')
    t.false(m.flags.tc)
    t.is(m.rcode, Rcode.NOERROR, `rcode ${m.rcode}`)
    const ours = ourLines(m)
    t.true(ours.length > 0)
    t.deepEqual(ours, digLines(b, name, type))
  })
}

test.serial('decodes an NXDOMAIN with its NSEC proof as dig prints it', async (t) => {
  const b = ready(t)
  if (!b) return
  const m = decodeMessage(await udpQuery(query('nx.example.test.', 'A'), b.port))
  t.is(m.rcode, Rcode.NXDOMAIN)
  t.is(m.answer.length, 0)
  const types = m.authority.map((r) => r.data.type)
  t.true(types.includes(RRType.NSEC))
  t.true(types.includes(RRType.RRSIG))
  t.true(types.includes(RRType.SOA))
  t.deepEqual(ourLines(m), digLines(b, 'nx.example.test.', 'A'))
})

test.serial('decodes an NXDOMAIN with its NSEC3 proof as dig prints it', async (t) => {
  const b = ready(t)
  if (!b) return
  const m = decodeMessage(await udpQuery(query('nx.nsec3.test.', 'A'), b.port))
  t.is(m.rcode, Rcode.NXDOMAIN)
  const nsec3 = m.authority.filter((r) => r.data.type === RRType.NSEC3)
  t.true(nsec3.length >= 2, 'closest encloser and next closer proofs')
  t.deepEqual(ourLines(m), digLines(b, 'nx.nsec3.test.', 'A'))
})

test.serial('gets TC for DNSKEY with a 512-octet buffer, then the whole RRset over TCP', async (t) => {
  const b = ready(t)
  if (!b) return
  const small = decodeMessage(await udpQuery(query('example.test.', 'DNSKEY', 512), b.port))
  t.true(small.flags.tc, 'BIND sets TC when the signed DNSKEY RRset does not fit 512 octets')
  const [raw] = await tcpQuery([query('example.test.', 'DNSKEY', 512)], b.port)
  t.true(raw!.length > 512)
  const full = decodeMessage(raw!)
  t.false(full.flags.tc)
  t.is(full.answer.filter((r) => r.data.type === RRType.DNSKEY).length, 2)
  t.deepEqual(ourLines(full), digLines(b, 'example.test.', 'DNSKEY', ['+tcp']))
})

test.serial('pipelines several queries on one TCP connection', async (t) => {
  const b = ready(t)
  if (!b) return
  const names: Array<[string, string]> = [['www.example.test.', 'A'], ['example.test.', 'MX'], ['nx.example.test.', 'A']]
  const answers = (await tcpQuery(names.map(([n, ty]) => query(n, ty)), b.port)).map(decodeMessage)
  t.is(answers.length, 3)
  const byQ = new Map(answers.map((m) => [`${m.question[0]!.name} ${m.question[0]!.type}`, m]))
  for (const [n, ty] of names) {
    const m = byQ.get(`${n} ${rrTypeFromString(ty)}`)
    t.truthy(m, `answer for ${n} ${ty}`)
    t.is(m!.rcode, n.startsWith('nx.') ? Rcode.NXDOMAIN : Rcode.NOERROR)
    t.deepEqual(ourLines(m!), digLines(b, n, ty, ['+tcp']))
  }
})

test.serial('our truncation of BIND\'s DNSKEY answer keeps whole RRsets and sets TC', async (t) => {
  const b = ready(t)
  if (!b) return
  const [raw] = await tcpQuery([query('example.test.', 'DNSKEY')], b.port)
  const full = decodeMessage(raw!)
  const cut = decodeMessage(encodeMessage(full, { maxSize: 700 }))
  t.true(cut.flags.tc)
  t.is(cut.answer.length, 2, 'the DNSKEY RRset fits, its RRSIG RRset does not')
  t.true(cut.answer.every((r) => r.data.type === RRType.DNSKEY))
  t.deepEqual(decodeMessage(encodeMessage(full)).answer.map(rrToText), full.answer.map(rrToText))
})
