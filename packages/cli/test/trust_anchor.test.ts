import test, { type ExecutionContext } from 'ava'
import { execFile, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { Name, RRType, createQuery, decodeMessage, encodeMessage } from '@secdns/wire'
import { DnsServer, createDnsServer, parseConfig } from '@secdns/server'
import { createRootCa, issueCertificate } from '@secdns/pki'

const bin = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))
const fixtures = fileURLToPath(new URL('../../../resolver/test/fixtures/anchors/', import.meta.url))
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'trust-anchor', ...args], { encoding: 'utf8' })
const dir = mkdtempSync(join(tmpdir(), 'secdns-cli-ta-'))
const signed = fileURLToPath(new URL('../../../server/test/fixtures/example.test.nsec.signed', import.meta.url))
const TOKEN = 'a-long-enough-admin-token-0123456789'
// Asynchronous: the server under test runs in this process and must keep answering.
const runAsync = (...args: string[]): Promise<{ status: number, stdout: string, stderr: string }> => new Promise((resolve) => {
  execFile(process.execPath, [bin, 'trust-anchor', ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
    resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : 99, stdout, stderr })
  })
})
const DS = 'example.test. DS 61811 13 2 0102DFEA3A358309DF9E91A65CD3D14F0CE1F0517E4F83FE1507AECAACAD7DA5'

/** Serve the signed example.test zone on 127.0.0.1 for the test's length; its UDP address:port. */
async function serveSignedZone(t: ExecutionContext): Promise<string> {
  const auth = new DnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'example.test', type: 'primary', file: signed }],
  }))
  await auth.start()
  t.teardown(() => auth.stop())
  return `127.0.0.1:${auth.listeners.find((l) => l.kind === 'udp')!.port}`
}

test('add creates the file, list shows the anchor, a second add of it is skipped', (t) => {
  const f = join(dir, 'a.dns')
  const r = run('add', '--trust-anchors', f, ...DS.split(' '))
  t.is(r.status, 0, r.stderr)
  t.is(r.stdout, 'added example.test.\tDS      tag 61811 alg 13 digest 2\n')
  t.is(run('add', '--trust-anchors', f, DS).stdout, '1 already present\n')
  const l = JSON.parse(run('list', '--trust-anchors', f, '--json').stdout)
  t.deepEqual(l.anchors.map((a: { zone: string, type: string, keyTag: number }) => [a.zone, a.type, a.keyTag]), [['example.test.', 'DS', 61811]])
})

test('add --import reads a BIND clause; export writes it back for BIND and Unbound', (t) => {
  const f = join(dir, 'b.dns')
  const r = run('add', '--trust-anchors', f, '--import', join(fixtures, 'named.conf'), '--json')
  t.is(r.status, 0, r.stderr)
  t.is(JSON.parse(r.stdout).added.length, 3)
  const bind = run('export', '--trust-anchors', f, '--format', 'bind')
  t.is(bind.status, 0)
  t.regex(bind.stdout, /^trust-anchors \{\n\t"example\.test\." static-key 257 3 13 "fX7VVl/)
  const unbound = run('export', '--trust-anchors', f, '--format', 'unbound')
  t.is(unbound.stdout.trim().split('\n').length, 3)
  t.is(run('export', '--trust-anchors', f, '--format', 'knot').status, 2)
})

test('remove deletes the matching anchor, keeps comments, and exits 1 when nothing matches', (t) => {
  const f = join(dir, 'c.dns')
  copyFileSync(join(fixtures, 'TrustAnchors.dns'), f)
  const r = run('remove', 'example.test', '--trust-anchors', f, '--type', 'DS')
  t.is(r.status, 0, r.stderr)
  t.regex(r.stdout, /^removed example\.test\.\tDS {6}tag 61811/)
  const text = readFileSync(f, 'utf8')
  t.true(text.includes('; Kept by hand; do not remove this comment.'))
  t.false(text.includes(' DS '))
  const none = run('remove', 'nothing.test', '--trust-anchors', f, '--json')
  t.is(none.status, 1)
  t.is(JSON.parse(none.stdout).error.code, 'ERR_RESOLVER_ANCHOR_NOT_FOUND')
})

test('bad input exits 2 with a coded message and leaves the file alone', (t) => {
  const f = join(dir, 'd.dns')
  writeFileSync(f, '; only a comment\n')
  const a = run('add', '--trust-anchors', f, 'example.test. A 192.0.2.1', '--json')
  t.is(a.status, 2)
  t.is(JSON.parse(a.stdout).error.code, 'ERR_RESOLVER_ANCHOR_TYPE')
  t.is(readFileSync(f, 'utf8'), '; only a comment\n')
  t.is(run('add', '--trust-anchors', f).status, 2)
  t.is(run('remove', 'example.test', '--trust-anchors', f, '--key-tag', '70000').status, 2)
  t.is(run('list').status, 2)
  const missing = run('add', '--trust-anchors', join(dir, 'e.dns'), '--import', join(dir, 'nope.conf'))
  t.is(missing.status, 2)
  t.false(existsSync(join(dir, 'e.dns')))
})

test('add, list and remove --server change a running server\'s anchors: the file keeps its comments and validation follows', async (t) => {
  const dns = await serveSignedZone(t)
  const d = mkdtempSync(join(tmpdir(), 'secdns-cli-ta-server-'))
  const anchors = join(d, 'TrustAnchors.dns')
  writeFileSync(anchors, '; anchors of the lab resolver\n')
  writeFileSync(join(d, 'token'), TOKEN + '\n')
  chmodSync(join(d, 'token'), 0o600)
  const rec = createDnsServer(parseConfig({
    listeners: { admin: { address: '127.0.0.1', port: 0, tokenFile: join(d, 'token') } }, acl: { recursion: ['localhost'] },
    resolver: { forwarders: [dns], trustAnchors: anchors },
  }))
  await rec.start()
  t.teardown(() => rec.stop())
  const url = `http://127.0.0.1:${rec.listeners.find((l) => l.kind === 'admin')!.port}`
  const ask = async () => decodeMessage((await rec.handle(encodeMessage(createQuery(Name.fromString('www.example.test.'), RRType.A, { rd: true, dnssecOk: true })),
    { address: '127.0.0.1', port: 1, transport: 'udp' }))![0]!)
  const ksk = readFileSync(signed, 'utf8').replace(/\(\s*([^)]*?)\s*\)/g, (_, inner: string) => inner.replace(/\s+/g, ' '))
    .split('\n').find((l) => /DNSKEY\s+257 3 13/.test(l))!.trim().replace(/^.*DNSKEY\s+/, '').replace(/\s*;.*$/, '')

  t.false((await ask()).flags.ad)
  const refused = await runAsync('add', '--server', url, `example.test. 3600 IN DNSKEY ${ksk}`)
  t.is(refused.status, 1)
  t.regex(refused.stderr, /refused our credentials/)
  t.is(readFileSync(anchors, 'utf8'), '; anchors of the lab resolver\n')

  const added = await runAsync('add', '--server', url, '--token-file', join(d, 'token'), '--json', `example.test. 3600 IN DNSKEY ${ksk}`)
  t.is(added.status, 0, added.stderr)
  t.is((JSON.parse(added.stdout) as { added: { zone: string }[] }).added[0]!.zone, 'example.test.')
  t.regex(readFileSync(anchors, 'utf8'), /^; anchors of the lab resolver\nexample\.test\.\s+3600\s+IN\s+DNSKEY\s+257 3 13 /)
  t.true((await ask()).flags.ad)

  const listed = await runAsync('list', '--server', url, '--token-file', join(d, 'token'))
  t.is(listed.status, 0, listed.stderr)
  t.regex(listed.stdout, /^example\.test\.\tDNSKEY  tag \d+ alg 13\n$/)

  const removed = await runAsync('remove', 'example.test', '--server', url, '--token-file', join(d, 'token'))
  t.is(removed.status, 0, removed.stderr)
  t.regex(removed.stdout, /^removed example\.test\./)
  t.is(readFileSync(anchors, 'utf8'), '; anchors of the lab resolver\n')
  t.false((await ask()).flags.ad)
  const again = await runAsync('remove', 'example.test', '--server', url, '--token-file', join(d, 'token'))
  t.is(again.status, 1)
})

test('--server https:// with --cert/--key/--ca uses an admin certificate; a client certificate without the admin EKU is refused', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'secdns-cli-ta-tls-'))
  const root = await createRootCa({ name: 'secdns trust-anchor cli test root' })
  const srv = await issueCertificate(root, { profile: 'dns-server', name: 'ns1.example.test' })
  const admin = await issueCertificate(root, { profile: 'admin', name: 'operator' })
  const plain = await issueCertificate(root, { profile: 'client', name: 'someone' })
  writeFileSync(join(d, 'ca.pem'), root.certPem)
  writeFileSync(join(d, 'ns.pem'), srv.certPem)
  writeFileSync(join(d, 'ns.key'), srv.keyPem!, { mode: 0o600 })
  writeFileSync(join(d, 'admin.pem'), admin.certPem)
  writeFileSync(join(d, 'admin.key'), admin.keyPem!, { mode: 0o600 })
  writeFileSync(join(d, 'plain.pem'), plain.certPem)
  writeFileSync(join(d, 'plain.key'), plain.keyPem!, { mode: 0o600 })
  const anchors = join(d, 'TrustAnchors.dns')
  writeFileSync(anchors, '; kept\n')
  const rec = createDnsServer(parseConfig({
    listeners: { admin: { address: '127.0.0.1', port: 0, certificate: join(d, 'ns.pem'), key: join(d, 'ns.key'), clientCa: join(d, 'ca.pem') } },
    resolver: { forwarders: ['127.0.0.1:9'], trustAnchors: anchors },
  }))
  await rec.start()
  t.teardown(() => rec.stop())
  const url = `https://127.0.0.1:${rec.listeners.find((l) => l.kind === 'admin')!.port}`
  const refused = await runAsync('add', '--server', url, '--cert', join(d, 'plain.pem'), '--key', join(d, 'plain.key'), '--ca', join(d, 'ca.pem'), DS)
  t.is(refused.status, 1)
  t.is(readFileSync(anchors, 'utf8'), '; kept\n')
  const added = await runAsync('add', '--server', url, '--cert', join(d, 'admin.pem'), '--key', join(d, 'admin.key'), '--ca', join(d, 'ca.pem'), DS)
  t.is(added.status, 0, added.stderr)
  t.regex(readFileSync(anchors, 'utf8'), /^; kept\nexample\.test\.\s+\d+\s+IN\s+DS\s+61811 13 2 /)
  const listed = await runAsync('list', '--server', url, '--cert', join(d, 'admin.pem'), '--key', join(d, 'admin.key'), '--ca', join(d, 'ca.pem'), '--json')
  t.is(listed.status, 0, listed.stderr)
  t.deepEqual((JSON.parse(listed.stdout) as { anchors: { keyTag: number }[] }).anchors.map((a) => a.keyTag), [61811])
})

test('add --from-zone --dns writes the fetched KSK to --file, or pushes it to a running server with --server URL, where it takes effect without a restart', async (t) => {
  const dns = await serveSignedZone(t)
  const d = mkdtempSync(join(tmpdir(), 'secdns-cli-ta-fromzone-'))
  writeFileSync(join(d, 'token'), TOKEN + '\n')
  chmodSync(join(d, 'token'), 0o600)

  // To a local file, with the DNS source as --dns; --json carries what was fetched.
  const local = join(d, 'local.dns')
  const l = await runAsync('add', '--trust-anchors', local, '--from-zone', 'example.test', '--dns', dns, '--yes', '--json')
  t.is(l.status, 0, l.stderr)
  const lj = JSON.parse(l.stdout) as { added: { zone: string, keyTag: number }[], fetched: { zone: string, dns: string, selfSigned: boolean, keys: { keyTag: number, sep: boolean, dsSha256: string, trusted: boolean }[] } }
  t.is(lj.fetched.zone, 'example.test.')
  t.is(lj.fetched.dns, dns)
  t.true(lj.fetched.selfSigned)
  const ksk = lj.fetched.keys.filter((k) => k.sep)
  t.is(ksk.length, 1)
  t.true(ksk[0]!.trusted)
  t.regex(ksk[0]!.dsSha256, /^[0-9A-F]{64}$/)
  t.deepEqual(lj.fetched.keys.filter((k) => !k.sep).map((k) => k.trusted), [false])
  t.deepEqual(lj.added.map((a) => [a.zone, a.keyTag]), [['example.test.', ksk[0]!.keyTag]])
  t.regex(l.stderr, /KSK tag \d+ alg 13 {2}DS SHA-256 [0-9A-F]{64} {2}<- to trust/)

  // The older spelling (--server ADDR with --from-zone) still fetches from a DNS server.
  const old = join(d, 'old.dns')
  const o = await runAsync('add', '--trust-anchors', old, '--from-zone', 'example.test.', '--server', dns, '--yes')
  t.is(o.status, 0, o.stderr)
  t.is(readFileSync(old, 'utf8'), readFileSync(local, 'utf8'))

  // Usage errors: an admin URL without a DNS source, --dns twice over, --dns without --from-zone.
  const noDns = await runAsync('add', '--from-zone', 'example.test', '--server', 'http://127.0.0.1:1', '--yes', '--json')
  t.is(noDns.status, 2)
  t.is((JSON.parse(noDns.stdout) as { error: { code: string, message: string } }).error.message, '--from-zone needs --dns <address[:port]>, the DNS server to fetch the DNSKEY RRset from')
  t.is((await runAsync('add', '--trust-anchors', old, '--from-zone', 'example.test', '--dns', dns, '--server', dns, '--yes')).status, 2)
  t.is((await runAsync('add', '--trust-anchors', old, '--dns', dns, DS)).status, 2)

  // Into a running validating server through its admin API.
  const anchors = join(d, 'TrustAnchors.dns')
  writeFileSync(anchors, '; pushed from the zone\n')
  const rec = createDnsServer(parseConfig({
    listeners: { admin: { address: '127.0.0.1', port: 0, tokenFile: join(d, 'token') } }, acl: { recursion: ['localhost'] },
    resolver: { forwarders: [dns], trustAnchors: anchors },
  }))
  await rec.start()
  t.teardown(() => rec.stop())
  const url = `http://127.0.0.1:${rec.listeners.find((x) => x.kind === 'admin')!.port}`
  const ask = async () => decodeMessage((await rec.handle(encodeMessage(createQuery(Name.fromString('www.example.test.'), RRType.A, { rd: true, dnssecOk: true })),
    { address: '127.0.0.1', port: 1, transport: 'udp' }))![0]!)
  t.false((await ask()).flags.ad)
  const refused = await runAsync('add', '--from-zone', 'example.test', '--dns', dns, '--server', url, '--yes')
  t.is(refused.status, 1)
  t.regex(refused.stderr, /refused our credentials/)
  t.is(readFileSync(anchors, 'utf8'), '; pushed from the zone\n')
  const pushed = await runAsync('add', '--from-zone', 'example.test', '--dns', dns, '--server', url, '--token-file', join(d, 'token'), '--yes', '--json')
  t.is(pushed.status, 0, pushed.stderr)
  const pj = JSON.parse(pushed.stdout) as { added: { zone: string, keyTag: number }[], fetched: { keys: { keyTag: number, sep: boolean }[] } }
  t.deepEqual(pj.added.map((a) => [a.zone, a.keyTag]), [['example.test.', ksk[0]!.keyTag]])
  t.regex(readFileSync(anchors, 'utf8'), /^; pushed from the zone\nexample\.test\.\s+\d+\s+IN\s+DNSKEY\s+257 3 13 /)
  t.true((await ask()).flags.ad)
  const text = await runAsync('add', '--from-zone', 'example.test', '--dns', dns, '--server', url, '--token-file', join(d, 'token'), '--yes')
  t.is(text.status, 0, text.stderr)
  t.regex(text.stdout, /^DNSKEY RRset of example\.test\. from 127\.0\.0\.1:\d+ \(signed by its own SEP key\):\n/)
  t.regex(text.stdout, /1 already present\n$/)
})

test('check --dns reports the anchor matches; --help shows the --dns and --server examples', async (t) => {
  const dns = await serveSignedZone(t)
  const f = join(mkdtempSync(join(tmpdir(), 'secdns-cli-ta-check-')), 'a.dns')
  t.is((await runAsync('add', '--trust-anchors', f, '--from-zone', 'example.test', '--dns', dns, '--yes')).status, 0)
  const c = await runAsync('check', '--trust-anchors', f, '--dns', dns, '--json')
  t.is(c.status, 0, c.stderr)
  t.deepEqual((JSON.parse(c.stdout) as { anchors: { zone: string, state: string }[] }).anchors.map((a) => [a.zone, a.state]), [['example.test.', 'secure']])
  const stale = join(dir, 'stale.dns')
  writeFileSync(stale, DS + '\n')
  const s = await runAsync('check', '--trust-anchors', stale, '--dns', dns)
  t.is(s.status, 1)
  t.regex(s.stdout, /^example\.test\.\tbogus\t/)
  const help = run('add', '--help')
  t.is(help.status, 0)
  t.regex(help.stdout, /--dns <address\[:port\]>/)
  t.regex(help.stdout, /secdns trust-anchor add --from-zone example\.test --dns 192\.0\.2\.53:5353 --server http:\/\/127\.0\.0\.1:8053 --token-file admin\.token --yes --json/)
})
