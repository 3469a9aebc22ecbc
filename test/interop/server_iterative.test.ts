/**
 * The server agent as an iterating validating resolver, started from a configuration
 * file whose `resolver` section has root hints (no forwarders) and a TrustAnchors.dns:
 * the BIND lab split over three named (root, test., the leaf zones) on 127.0.0.1, glue
 * addresses mapped onto them with `resolver.addressMap`. Checked with dig (AD, SERVFAIL
 * with the Extended DNS Error of each broken zone, CD) and delv (which validates what our
 * server hands it with CD set).
 */
import test from 'ava'
import { execFile } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDnsServer, loadConfig, type DnsServer } from '@secdns/server'
import { havePeers, which } from '../helpers/peers.js'
import { LAB_DIR, startSplitLab, type SplitLab } from '../helpers/bind_lab.js'

function run(tool: string, args: readonly string[]): Promise<string> {
  // Asynchronous: the server under test answers from this process.
  return new Promise((resolve) => {
    execFile(which(tool) ?? tool, args, { timeout: 60_000, encoding: 'utf8' }, (_err, stdout, stderr) => resolve(stdout + stderr))
  })
}

const ready = ['named', 'dig', 'delv'].every((t) => which(t) !== null)
let split: SplitLab | null = null
let server: DnsServer | null = null
let port = 0
let dir = ''
let bindAnchors = ''

test.before(async () => {
  if (!ready) return
  split = await startSplitLab()
  dir = mkdtempSync(join(tmpdir(), 'secdns-iterative-'))
  const anchors = join(dir, 'TrustAnchors.dns')
  copyFileSync(join(LAB_DIR, 'anchors', 'TrustAnchors.dns'), anchors)
  // The same anchors for delv -a, as a BIND trust-anchors clause.
  bindAnchors = join(dir, 'anchors.conf')
  const keys = readFileSync(anchors, 'utf8').split('\n').filter((l) => / DNSKEY /.test(l) && !l.startsWith(';'))
  writeFileSync(bindAnchors, 'trust-anchors {\n' + keys.map((l) => {
    const f = l.trim().split(/\s+/)
    const i = f.indexOf('DNSKEY')
    return `  "${f[0]}" static-key ${f[i + 1]} ${f[i + 2]} ${f[i + 3]} "${f.slice(i + 4).join('')}";`
  }).join('\n') + '\n};\n')
  const config = join(dir, 'server.json')
  writeFileSync(config, JSON.stringify({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    acl: { recursion: ['localhost'] },
    resolver: {
      rootHints: [`${split.root.address}:${split.root.port}`],
      addressMap: Object.fromEntries(Object.entries(split.addressMap).map(([from, to]) => [from, `${to.address}:${to.port}`])),
      trustAnchors: anchors,
    },
  }, null, 2))
  server = createDnsServer(loadConfig(config))
  await server.start()
  port = server.listeners.find((l) => l.kind === 'udp')!.port
})

test.after.always(async () => {
  await server?.stop()
  await split?.stop()
  if (dir !== '') rmSync(dir, { recursive: true, force: true })
})

interface DigResult { status: string, ad: boolean, ede: number | null, answer: string[] }

async function dig(q: string, ...flags: string[]): Promise<DigResult> {
  const out = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=10', '+tries=1', ...flags, ...q.split(' ')])
  return {
    status: /status: (\w+)/.exec(out)?.[1] ?? `no answer: ${out}`,
    ad: /^;; flags:[^;]*\bad\b/m.test(out),
    ede: /^; EDE: (\d+)/m.test(out) ? Number(/^; EDE: (\d+)/m.exec(out)![1]) : null,
    answer: out.split('\n;; ANSWER SECTION:\n')[1]?.split('\n\n')[0]?.split('\n').filter((l) => l !== '') ?? [],
  }
}

const CASES: { q: string, status: string, ad: boolean, ede: number | null }[] = [
  { q: 'www.example.test. A', status: 'NOERROR', ad: true, ede: null },
  { q: 'nx.nsec3.test. A', status: 'NXDOMAIN', ad: true, ede: null },
  { q: 'x.wild.example.test. A', status: 'NOERROR', ad: true, ede: null },
  { q: 'www.insecure.optout.test. A', status: 'NOERROR', ad: false, ede: null },
  { q: 'www.unsigned.test. A', status: 'NOERROR', ad: false, ede: null },
  { q: 'www.island.test. A', status: 'NOERROR', ad: true, ede: null },
  { q: 'changed.example.test. A', status: 'SERVFAIL', ad: false, ede: 6 },
  { q: 'www.badds.test. A', status: 'SERVFAIL', ad: false, ede: 9 },
  { q: 'www.expired.test. A', status: 'SERVFAIL', ad: false, ede: 7 },
  { q: 'www.future.test. A', status: 'SERVFAIL', ad: false, ede: 8 },
  { q: 'www.nokeysig.test. A', status: 'SERVFAIL', ad: false, ede: 10 },
]

test.serial('dig: from root hints, validated answers get AD; each broken zone is SERVFAIL with its Extended DNS Error', async (t) => {
  if (!havePeers(t, 'named', 'dig')) return
  for (const c of CASES) {
    const r = await dig(c.q, '+dnssec')
    t.deepEqual([r.status, r.ad, r.ede], [c.status, c.ad, c.ede], c.q)
    if (c.status === 'SERVFAIL') t.deepEqual(r.answer, [], `${c.q}: bogus data is not returned`)
  }
})

test.serial('dig: a client without DO is protected too, and with CD it gets the unvalidated data', async (t) => {
  if (!havePeers(t, 'named', 'dig')) return
  const plain = await dig('changed.example.test. A', '+nodnssec', '+noadflag')
  t.deepEqual([plain.status, plain.ad], ['SERVFAIL', false])
  const good = await dig('www.example.test. A', '+nodnssec', '+noadflag')
  t.deepEqual([good.status, good.ad], ['NOERROR', false])
  t.regex(good.answer.join('\n'), /^www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1$/m)
  t.false(good.answer.some((l) => /\sRRSIG\s/.test(l)), 'no RRSIG without DO')
  const cd = await dig('changed.example.test. A', '+dnssec', '+cd')
  t.deepEqual([cd.status, cd.ad], ['NOERROR', false])
  t.true(cd.answer.some((l) => /\sIN\s+A\s/.test(l)))
})

test.serial('delv through our iterating server: fully validated where we say Secure, a failure where we say Bogus', async (t) => {
  if (!havePeers(t, 'named', 'dig', 'delv')) return
  const delv = (q: string, root = '.') => run('delv', ['@127.0.0.1', '-p', String(port), '-a', bindAnchors, `+root=${root}`, ...q.split(' ')])
  t.regex(await delv('www.example.test. A'), /^; fully validated/m)
  t.regex(await delv('nx.nsec3.test. A'), /^; negative response, fully validated/m)
  t.regex(await delv('www.unsigned.test. A'), /^; unsigned answer/m)
  t.regex(await delv('www.island.test. A', 'island.test'), /^; fully validated/m)
  for (const q of ['changed.example.test. A', 'www.expired.test. A', 'www.badds.test. A']) {
    const out = await delv(q)
    t.notRegex(out, /fully validated|unsigned answer/, q)
    t.regex(out, /resolution failed|validation failed|no valid|insecurity proof failed|broken trust chain/, q)
  }
})
