#!/usr/bin/env node
// DNS server benchmark: dnsperf against secdns, BIND named, Knot knotd and NSD, each serving
// the same ECDSA P-256-signed zone of 100,000 names on 127.0.0.1, with and without DO, over
// UDP and TCP. Every server may use both cores: secdns as one process and as a node cluster of
// 2 workers sharing the port, named -n 2, knotd with 2 UDP and 2 TCP workers, nsd with
// server-count 2. Prints queries/s, latency percentiles (from dnsperf -v), the server's CPU
// time per answered query, and the servers' RSS after the runs.
//
//   npm run build && node bench/server.mjs [--names=100000] [--seconds=5] [--clients=10] [--servers=secdns,secdns-cluster,named,knotd,nsd] [--secdns-workers=2] [--secdns-cache=N]
//
// The signed zone is kept in $SECDNS_BENCH_CACHE (default /tmp/secdns-bench-server-cache),
// one directory per --names, and reused for 7 days, so only the first run signs.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, readdirSync, existsSync, statSync, renameSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { createServer } from 'node:net'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const flag = (name, dflt) => {
  const a = process.argv.slice(2).find((x) => x.startsWith(`--${name}=`))
  const v = a === undefined ? dflt : Number(a.slice(name.length + 3))
  if (!Number.isInteger(v) || v < 1) { console.error(`bench/server.mjs: --${name} must be a positive integer`); process.exit(2) }
  return v
}
const NAMES = flag('names', 100_000)
const SECONDS = flag('seconds', 5)
const CLIENTS = flag('clients', 10)
const WORKERS = Math.min(2, cpus().length)
// secdns-cluster: node cluster workers sharing the port (on the native UDP path each worker
// binds its own UDP socket with SO_REUSEPORT; with SECDNS_NATIVE_UDP=0 the primary holds the
// one dgram socket and every worker reads from it; TCP connections are handed out round-robin).
// SECDNS_NATIVE_UDP=0 in the environment runs secdns on node:dgram (the children inherit it).
const SECDNS_WORKERS = flag('secdns-workers', WORKERS)
// secdns's answer cache (limits.answerCacheEntries); --secdns-cache=0 measures every answer built afresh.
const cacheArg = process.argv.slice(2).find((x) => x.startsWith('--secdns-cache='))
const SECDNS_CACHE = cacheArg === undefined ? undefined : Number(cacheArg.slice(15))
if (SECDNS_CACHE !== undefined && !(Number.isInteger(SECDNS_CACHE) && SECDNS_CACHE >= 0)) { console.error('bench/server.mjs: --secdns-cache must be an integer >= 0'); process.exit(2) }
const ALL_SERVERS = ['secdns', 'secdns-cluster', 'named', 'knotd', 'nsd']
const serversArg = process.argv.slice(2).find((x) => x.startsWith('--servers='))
const ONLY = serversArg === undefined ? ALL_SERVERS : serversArg.slice(10).split(',')
for (const s of ONLY) if (!ALL_SERVERS.includes(s)) { console.error(`bench/server.mjs: --servers: unknown server "${s}" (${ALL_SERVERS.join(', ')})`); process.exit(2) }
const serverDist = fileURLToPath(new URL('../packages/server/dist/src/index.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'secdns-bench-server-'))
const ORIGIN = 'bench.test'

function need(tool) {
  const r = spawnSync('sh', ['-c', `command -v ${tool} || ls /usr/sbin/${tool} 2>/dev/null`], { encoding: 'utf8' })
  const p = r.stdout.trim().split('\n')[0]
  if (!p) { console.error(`bench/server.mjs: ${tool} is not installed`); process.exit(2) }
  return p
}
const tools = Object.fromEntries(['dnsperf', 'dnssec-keygen', 'dnssec-signzone', 'named', 'knotd', 'nsd', 'dig'].map((t) => [t, need(t)]))

// 1. The zone: NAMES hosts with an A record, signed with dnssec-signzone (ECDSA P-256, NSEC),
// cached between runs (signing 100,000 names takes about 100 s).
const CACHE = join(process.env.SECDNS_BENCH_CACHE ?? join(tmpdir(), 'secdns-bench-server-cache'), `names-${NAMES}`)
const zoneFile = join(CACHE, 'signed')
let t0 = Date.now()
if (existsSync(zoneFile) && Date.now() - statSync(zoneFile).mtimeMs < 7 * 86400_000) {
  console.log(`zone: ${NAMES} names, ECDSA P-256, NSEC, signed by dnssec-signzone (cached in ${CACHE})`)
} else {
  console.log(`zone: ${NAMES} names, ECDSA P-256, NSEC, signed with dnssec-signzone …`)
  const work = mkdtempSync(join(tmpdir(), 'secdns-bench-sign-'))
  const lines = [`$TTL 3600`, `$ORIGIN ${ORIGIN}.`, `@ SOA ns1 hostmaster 1 7200 3600 1209600 300`, `@ NS ns1`, `ns1 A 127.0.0.1`]
  for (let i = 0; i < NAMES; i++) lines.push(`h${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
  writeFileSync(join(work, 'zone'), lines.join('\n') + '\n')
  spawnSync(tools['dnssec-keygen'], ['-q', '-K', work, '-a', 'ECDSAP256SHA256', '-f', 'KSK', ORIGIN])
  spawnSync(tools['dnssec-keygen'], ['-q', '-K', work, '-a', 'ECDSAP256SHA256', ORIGIN])
  for (const f of readdirSync(work).filter((f) => f.endsWith('.key'))) writeFileSync(join(work, 'zone'), readFileSync(join(work, f)), { flag: 'a' })
  const signed = spawnSync(tools['dnssec-signzone'], ['-q', '-K', work, '-o', ORIGIN, '-f', join(work, 'signed'), '-d', work, join(work, 'zone')], { encoding: 'utf8' })
  if (signed.status !== 0) { console.error(signed.stderr); process.exit(1) }
  console.log(`signed in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  mkdirSync(CACHE, { recursive: true })
  renameSync(join(work, 'signed'), zoneFile + '.tmp')
  renameSync(zoneFile + '.tmp', zoneFile)
  rmSync(work, { recursive: true, force: true })
}

// Queries: 90 % existing names, 10 % NXDOMAIN, in a fixed pseudo-random order.
let seed = 12345
const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed }
const q = []
for (let i = 0; i < 100_000; i++) q.push(rnd() % 10 === 0 ? `nx${rnd() % NAMES}.${ORIGIN} A` : `h${rnd() % NAMES}.${ORIGIN} A`)
writeFileSync(join(dir, 'queries'), q.join('\n') + '\n')

async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const p = s.address().port
  await new Promise((r) => s.close(r))
  return p
}

function rssOf(pid) {
  // the process and its children (the cluster workers)
  const r = spawnSync('sh', ['-c', `ps -o rss= --pid ${pid} --ppid ${pid}`], { encoding: 'utf8' })
  return r.stdout.split('\n').map(Number).filter((n) => n > 0).reduce((a, b) => a + b, 0) * 1024
}

/** CPU seconds used so far by a process and its children (the cluster workers), from /proc. */
function cpuOf(pid) {
  // the process and all its descendants (nsd forks twice)
  const all = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number))
  const tree = new Set([pid])
  for (let grew = true; grew;) { grew = false; for (const [p, pp] of all) if (tree.has(pp) && !tree.has(p)) { tree.add(p); grew = true } }
  let ticks = 0
  for (const p of tree) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8')
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
      ticks += Number(rest[11]) + Number(rest[12]) // utime, stime
    } catch { /* gone */ }
  }
  return ticks / 100
}

async function waitFor(port) {
  for (let i = 0; i < 600; i++) {
    const r = spawnSync(tools.dig, ['+short', '+norec', '+time=1', '+tries=1', '-p', String(port), '@127.0.0.1', ORIGIN, 'SOA'], { encoding: 'utf8' })
    if (/^\S+ \S+ \d+ \d+ \d+ \d+ \d+$/m.test(r.stdout)) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`no answer on port ${port}`)
}

function dnsperf(port, mode, dnssec) {
  return new Promise((resolve) => {
    const args = ['-s', '127.0.0.1', '-p', String(port), '-m', mode, '-d', join(dir, 'queries'), '-l', String(SECONDS), '-c', String(CLIENTS), '-q', '200', '-v', ...(dnssec ? ['-D'] : [])]
    const child = spawn(tools.dnsperf, args, { stdio: ['ignore', 'pipe', 'ignore'] })
    let lat = new Float64Array(1 << 16), n = 0, qps = 0, lost = 0
    const rl = createInterface({ input: child.stdout })
    rl.on('line', (l) => {
      if (l.startsWith('> ')) {
        const v = Number(l.slice(l.lastIndexOf(' ') + 1))
        if (l.startsWith('> T')) return
        if (n === lat.length) { const b = new Float64Array(lat.length * 2); b.set(lat); lat = b }
        lat[n++] = v
        return
      }
      let m = /Queries per second:\s+([\d.]+)/.exec(l)
      if (m) qps = Number(m[1])
      m = /Queries lost:\s+(\d+)/.exec(l)
      if (m) lost = Number(m[1])
    })
    child.on('exit', () => {
      const s = lat.subarray(0, n).sort()
      const p = (x) => (n === 0 ? NaN : s[Math.min(n - 1, Math.floor(x * n))] * 1000)
      resolve({ qps, lost, p50: p(0.5), p90: p(0.9), p99: p(0.99) })
    })
  })
}

// 2. The servers.
const secdnsConfig = (port) => JSON.stringify({
  listeners: { udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }] },
  zones: [{ name: ORIGIN, type: 'primary', file: zoneFile }],
  limits: { tcpConnections: 4096, tcpQueriesPerConnection: 1000000, ...(SECDNS_CACHE === undefined ? {} : { answerCacheEntries: SECDNS_CACHE }) },
})
const servers = {
  async secdns(port) {
    // One process, as `secdns server start` runs it.
    const script = join(dir, 'secdns-one.mjs')
    writeFileSync(script, `const { DnsServer, parseConfig } = await import(${JSON.stringify(serverDist)})
const server = new DnsServer(parseConfig(${secdnsConfig(port)}))
await server.start()
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)))
`)
    return spawn(process.execPath, [script], { stdio: 'ignore' })
  },
  async 'secdns-cluster'(port) {
    const script = join(dir, 'secdns-cluster.mjs')
    writeFileSync(script, `import cluster from 'node:cluster'
const workers = ${SECDNS_WORKERS}
if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork()
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill('SIGTERM'); setTimeout(() => process.exit(0), 500) })
} else {
  const { DnsServer, parseConfig } = await import(${JSON.stringify(serverDist)})
  const server = new DnsServer(parseConfig(${secdnsConfig(port)}))
  await server.start()
  process.on('SIGTERM', () => server.stop().then(() => process.exit(0)))
}
`)
    return spawn(process.execPath, [script], { stdio: 'ignore' })
  },
  async named(port) {
    const conf = join(dir, 'named.conf')
    writeFileSync(conf, `options { directory "${dir}"; pid-file "${dir}/named.pid"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };
  recursion no; dnssec-validation no; notify no; minimal-responses yes; };
controls { };
zone "${ORIGIN}" { type primary; file "${zoneFile}"; };
`)
    return spawn(tools.named, ['-g', '-c', conf, '-n', String(WORKERS)], { stdio: 'ignore' })
  },
  async knotd(port) {
    const conf = join(dir, 'knot.conf')
    writeFileSync(conf, `server:
  rundir: "${dir}/knot"
  listen: 127.0.0.1@${port}
  udp-workers: ${WORKERS}
  tcp-workers: ${WORKERS}
  background-workers: 1
database:
  storage: "${dir}/knot"
template:
  - id: default
    storage: "${dir}"
    journal-content: none
    zonefile-sync: -1
zone:
  - domain: ${ORIGIN}
    file: "${zoneFile}"
`)
    spawnSync('mkdir', ['-p', `${dir}/knot`])
    return spawn(tools.knotd, ['-c', conf], { stdio: 'ignore' })
  },
  async nsd(port) {
    const conf = join(dir, 'nsd.conf')
    writeFileSync(conf, `server:
  ip-address: 127.0.0.1@${port}
  server-count: ${WORKERS}
  username: ""
  zonesdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  database: ""
  xfrdfile: "${dir}/xfrd.state"
  zonelistfile: "${dir}/zone.list"
  logfile: "${dir}/nsd.log"
remote-control:
  control-enable: no
zone:
  name: ${ORIGIN}
  zonefile: "${zoneFile}"
`)
    return spawn(tools.nsd, ['-d', '-c', conf], { stdio: 'ignore' })
  },
}

const results = []
for (const [name, start] of Object.entries(servers).filter(([n]) => ONLY.includes(n))) {
  const port = await freePort()
  t0 = Date.now()
  const child = await start(port)
  try {
    await waitFor(port)
  } catch (e) {
    console.log(`${name}: did not start (${e.message})`)
    child.kill('SIGTERM')
    continue
  }
  const loadS = (Date.now() - t0) / 1000
  for (const [mode, dnssec] of [['udp', false], ['udp', true], ['tcp', false], ['tcp', true]]) {
    const cpu0 = cpuOf(child.pid)
    const r = await dnsperf(port, mode, dnssec)
    // CPU per answer: less noisy than queries/s on a shared machine.
    r.cpuUsPerQuery = ((cpuOf(child.pid) - cpu0) * 1e6) / Math.max(1, r.qps * SECONDS)
    const row = { server: name, mode, do: dnssec, ...r }
    results.push(row)
    console.log(`${name.padEnd(14)} ${mode} DO=${dnssec ? 1 : 0}  ${r.qps.toFixed(0).padStart(7)} q/s  p50 ${r.p50.toFixed(2)} ms  p90 ${r.p90.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  lost ${r.lost}  CPU ${r.cpuUsPerQuery.toFixed(1)} µs/query`)
  }
  const rss = rssOf(child.pid)
  console.log(`${name.padEnd(14)} ready in ${loadS.toFixed(1)} s, RSS after the runs ${(rss / 2 ** 20).toFixed(0)} MiB`)
  results.push({ server: name, readyS: loadS, rssMiB: rss / 2 ** 20 })
  child.kill('SIGTERM')
  await new Promise((r) => child.once('exit', r))
}
const outDir = fileURLToPath(new URL('./out/', import.meta.url))
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'server-results.json'), JSON.stringify({ date: new Date().toISOString(), secdnsCache: SECDNS_CACHE ?? 'default', names: NAMES, seconds: SECONDS, clients: CLIENTS, workers: WORKERS, results }, null, 2))
console.log('results written to bench/out/server-results.json')
rmSync(dir, { recursive: true, force: true })
