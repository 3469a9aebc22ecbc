// Benchmark: secdns's validating resolver beside Unbound, both validating the same
// signed lab zones (test/fixtures/resolver) served by the same BIND named.
//   npx tsc -b packages/resolver test && node bench/resolver.mjs [seconds]
// Prints, for each: warm-cache queries/s and latency from dnsperf (DO set), and the
// cold-cache time to validate the first answer (fresh resolver, one query, wall time).
// secdns runs behind a minimal UDP front end in this process (the server agent is a
// separate package); Unbound runs in the foreground with one thread.
import { createSocket } from 'node:dgram'
import { spawn } from 'node:child_process'
import { writeFileSync, mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Name, RRType, createQuery, encodeMessage, decodeMessage } from '@secdns/wire'
import { Resolver, TrustAnchors } from '@secdns/resolver'
import { startBindLab, startUnbound, freePort } from '../dist/test/helpers/bind_lab.js'

const SECONDS = Number(process.argv[2] ?? 10)
const NAMES = ['www.example.test A', 'www.nsec3.test A', 'x.wild.example.test A', 'nx.example.test A', 'www.rsa.test A', 'www.ed.test A', 'txt.example.test A', 'www.optout.test A']

async function secdnsFrontEnd(lab) {
  const port = await freePort()
  let resolver = null
  const fresh = () => { resolver = new Resolver({ trustAnchors: TrustAnchors.load(lab.anchorsFile), forwarders: [{ address: '127.0.0.1', port: lab.port }] }) }
  fresh()
  const sock = createSocket('udp4')
  sock.on('message', (buf, rinfo) => {
    // Warm cache: the stored encoded response, patched (Resolver.respondCached); else the
    // full path, which decodes, resolves, validates, encodes and keeps the response.
    const hit = resolver.respondCached(buf)
    if (hit !== null) { sock.send(hit, rinfo.port, rinfo.address); return }
    resolver.respond(buf).then((out) => { if (out !== null) sock.send(out, rinfo.port, rinfo.address) }, () => {})
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

// CPU seconds (user + system) a process has used so far: /proc/<pid>/stat fields 14 and 15.
function procCpu(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { user: Number(f[11]) / 100, system: Number(f[12]) / 100 }
}
const ownCpu = () => { const u = process.cpuUsage(); return { user: u.user / 1e6, system: u.system / 1e6 } }

// The Unbound started for this run: the process whose command line names its config.
function pidOf(configPath) {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try { if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(configPath)) return Number(d) } catch { /* gone */ }
  }
  throw new Error(`no process runs with ${configPath}`)
}

// dnsperf, and the CPU time the resolver under test used meanwhile: on a shared machine
// wall-clock queries/s move with the load, CPU time per query much less.
async function measured(port, file, cpu) {
  const c0 = cpu()
  const r = await dnsperf(port, file)
  const c1 = cpu()
  return { ...r, userUs: (c1.user - c0.user) * 1e6 / r.completed, systemUs: (c1.system - c0.system) * 1e6 / r.completed }
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
  const unboundPid = pidOf(join(unbound.dir, 'unbound.conf'))
  const warmOurs = await measured(ours.port, file, ownCpu)
  const warmUnbound = await measured(unbound.port, file, () => procCpu(unboundPid))
  const row = (n, c, w) => `| ${n.padEnd(8)} | ${w.qps.toFixed(0).padStart(8)} | ${w.avgMs.toFixed(3).padStart(10)} | ${String(w.lost).padStart(5)} | ${`${(w.userUs + w.systemUs).toFixed(1)} (${w.userUs.toFixed(1)} + ${w.systemUs.toFixed(1)})`.padStart(22)} | ${c.ms.toFixed(1).padStart(12)} | ${c.ad ? 'AD' : '--'} |`
  console.log(`dnsperf -l ${SECONDS} -D -c 4 -q 64, ${NAMES.length} names (secure, NXDOMAIN, wildcard, NODATA; NSEC, NSEC3, RSA, Ed25519); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
  console.log('| resolver | warm q/s | avg ms     | lost  | CPU µs / query (user + sys) | cold first ms | AD |')
  console.log('|----------|----------|------------|-------|-----------------------------|---------------|----|')
  console.log(row('secdns', coldOurs, warmOurs))
  console.log(row('unbound', coldUnbound, warmUnbound))
  console.log(`secdns cold first answer after prime(): ${primedOurs.ms.toFixed(1)} ms (${primedOurs.ad ? 'AD' : 'no AD'})`)
} finally {
  ours?.close()
  await unbound?.stop()
  await lab.stop()
  rmSync(tmp, { recursive: true, force: true })
}
