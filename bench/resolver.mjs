// Benchmark: secdns's validating resolver beside Unbound, both validating the same
// signed lab zones (test/fixtures/resolver) served by the same BIND named.
//   npx tsc -b packages/resolver test && node bench/resolver.mjs [seconds]
// Prints, for each: warm-cache queries/s and latency from dnsperf (DO set), and the
// cold-cache time to validate the first answer (fresh resolver, one query, wall time).
// secdns runs behind a minimal UDP front end in this process (the server agent is a
// separate package); Unbound runs in the foreground with one thread.
import { createSocket } from 'node:dgram'
import { spawn } from 'node:child_process'
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Name, RRType, createQuery, encodeMessage, decodeMessage } from '@secdns/wire'
import { Resolver, TrustAnchors, buildResponse } from '@secdns/resolver'
import { startBindLab, startUnbound, freePort } from '../dist/test/helpers/bind_lab.js'

const SECONDS = Number(process.argv[2] ?? 10)
const NAMES = ['www.example.test A', 'www.nsec3.test A', 'x.wild.example.test A', 'nx.example.test A', 'www.rsa.test A', 'www.ed.test A', 'txt.example.test A', 'www.optout.test A']

async function secdnsFrontEnd(lab) {
  const port = await freePort()
  let resolver = null
  const fresh = () => { resolver = new Resolver({ trustAnchors: TrustAnchors.load(lab.anchorsFile), forwarders: [{ address: '127.0.0.1', port: lab.port }] }) }
  fresh()
  const sock = createSocket('udp4')
  sock.on('message', async (buf, rinfo) => {
    let q
    try { q = decodeMessage(new Uint8Array(buf)) } catch { return }
    const qq = q.question[0]
    if (qq === undefined) return
    const res = await resolver.resolve(qq.name, qq.type, { dnssecOk: q.edns?.dnssecOk === true, checkingDisabled: q.flags.cd, authenticatedData: q.flags.ad })
    const m = buildResponse(q, res)
    sock.send(encodeMessage(m, { maxSize: Math.max(512, q.edns?.udpSize ?? 512) }), rinfo.port, rinfo.address)
  })
  await new Promise((resolve) => sock.bind(port, '127.0.0.1', resolve))
  return { port, fresh, prime: () => resolver.prime(), close: () => sock.close() }
}

function firstAnswerMs(port, name, type) {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4')
    const q = encodeMessage(createQuery(Name.fromString(name), RRType[type], { id: 4242, dnssecOk: true }))
    const t0 = process.hrtime.bigint()
    const timer = setTimeout(() => { s.close(); reject(new Error('timeout')) }, 10000)
    s.on('message', (b) => {
      const m = decodeMessage(new Uint8Array(b))
      clearTimeout(timer); s.close()
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, ad: m.flags.ad, rcode: m.rcode })
    })
    s.send(q, port, '127.0.0.1')
  })
}

function dnsperf(port, file) {
  return new Promise((resolve) => {
    const p = spawn('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(SECONDS), '-D', '-c', '4', '-q', '64'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout.on('data', (d) => { out += d })
    p.on('exit', () => {
      const num = (re) => Number(re.exec(out)?.[1] ?? NaN)
      resolve({ qps: num(/Queries per second:\s+([\d.]+)/), avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000, lost: num(/Queries lost:\s+(\d+)/), completed: num(/Queries completed:\s+(\d+)/) })
    })
  })
}

const tmp = mkdtempSync(join(tmpdir(), 'secdns-bench-'))
const file = join(tmp, 'queries.txt')
writeFileSync(file, NAMES.join('\n') + '\n')
const lab = await startBindLab()
let unbound = null
let ours = null
try {
  ours = await secdnsFrontEnd(lab)
  unbound = await startUnbound(lab)
  // Cold: a fresh secdns resolver; Unbound just started (it primes its trust anchors at
  // start). secdns is measured twice: fully cold, and primed like Unbound (prime()).
  const coldOurs = await firstAnswerMs(ours.port, 'www.example.test.', 'A')
  ours.fresh()
  await ours.prime()
  const primedOurs = await firstAnswerMs(ours.port, 'www.example.test.', 'A')
  ours.fresh()
  const coldUnbound = await firstAnswerMs(unbound.port, 'www.example.test.', 'A')
  const warmOurs = (await dnsperf(ours.port, file))
  const warmUnbound = (await dnsperf(unbound.port, file))
  const row = (n, c, w) => `| ${n.padEnd(8)} | ${w.qps.toFixed(0).padStart(8)} | ${w.avgMs.toFixed(3).padStart(10)} | ${String(w.lost).padStart(5)} | ${c.ms.toFixed(1).padStart(12)} | ${c.ad ? 'AD' : '--'} |`
  console.log(`dnsperf -l ${SECONDS} -D -c 4 -q 64, ${NAMES.length} names (secure, NXDOMAIN, wildcard, NODATA; NSEC, NSEC3, RSA, Ed25519)`)
  console.log('| resolver | warm q/s | avg ms     | lost  | cold first ms | AD |')
  console.log('|----------|----------|------------|-------|---------------|----|')
  console.log(row('secdns', coldOurs, warmOurs))
  console.log(row('unbound', coldUnbound, warmUnbound))
  console.log(`secdns cold first answer after prime(): ${primedOurs.ms.toFixed(1)} ms (${primedOurs.ad ? 'AD' : 'no AD'})`)
} finally {
  ours?.close()
  await unbound?.stop()
  await lab.stop()
  rmSync(tmp, { recursive: true, force: true })
}
