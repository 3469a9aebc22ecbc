// Benchmark: secdns's validating resolver beside Unbound, both validating the same
// signed lab zones (test/fixtures/resolver) served by the same BIND named.
//   npx tsc -b && node bench/resolver.mjs [seconds] [--workers N] [--floor] [--hit-path] [--server]
// Prints, for each: warm-cache queries/s and latency from dnsperf (DO set), the CPU time
// the resolver used per answered query (user + system, from /proc; on a shared machine
// this moves far less than queries/s), and the cold-cache time to validate the first
// answer (fresh resolver, one query, wall time).
// secdns runs behind a minimal UDP front end (the server agent is a separate package):
// Resolver.respondCached (the encoded-response cache), else Resolver.respond; the row
// "secdns full path" decodes, resolves, builds and encodes every response instead (the
// front end before the response cache). Unbound runs in the foreground with num-threads N;
// with --workers N > 1 secdns runs as N cluster workers sharing one UDP socket (same cores).
// --server: also the deployed form, `secdns server start --foreground` (one process) with a
// recursion config forwarding to the same named and validating with the same anchors; the
// row "secdns server" is its warm path (the resolver's stored responses), "secdns srv
// COOKIE" the same with a client COOKIE in every query (dnsperf -E 10:…: ours is computed
// and added to each stored response), "secdns server full" the same server with an EDNS option (65001) in every query, which sends each one
// down its full path (decode, ACLs, recursion, build, encode).
// "secdns native UDP" (one process only): the front end of "secdns" on the batched native
// UDP socket of @secdns/udp instead of node:dgram, as `secdns server` uses it.
import cluster from 'node:cluster'
import { createSocket } from 'node:dgram'
import { spawn } from 'node:child_process'
import { writeFileSync, mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Name, RRType, createQuery, encodeMessage, decodeMessage } from '@secdns/wire'
import { Resolver, TrustAnchors, buildResponse } from '@secdns/resolver'
import { BatchedUdpSocket, nativeUdpStatus } from '@secdns/udp'
import { startBindLab, startUnbound, freePort } from '../dist/test/helpers/bind_lab.js'

const args = process.argv.slice(2)
const wi = args.indexOf('--workers')
const WORKERS = wi < 0 ? 1 : Number(args[wi + 1])
// --floor: also measure a Node UDP socket that only echoes each query back (QR set), the
// runtime's own cost per query with no DNS work at all.
const FLOOR = args.includes('--floor')
// --hit-path: also time Resolver.respondCached alone, in this process, on the warm names
// (no sockets): the response cache's own CPU cost per query.
const HIT_PATH = args.includes('--hit-path')
const SERVER = args.includes('--server')
const SECONDS = Number(args.filter((a, i) => !a.startsWith('--') && (wi < 0 || i !== wi + 1))[0] ?? 10)
const NAMES = ['www.example.test A', 'www.nsec3.test A', 'x.wild.example.test A', 'nx.example.test A', 'www.rsa.test A', 'www.ed.test A', 'txt.example.test A', 'www.optout.test A']

/** Answer UDP queries on `sock` with `resolver`: the response cache, or every response built anew. */
function serve(sock, getResolver, fullPath) {
  sock.on('message', (buf, rinfo) => {
    const resolver = getResolver()
    if (fullPath) {
      let q
      try { q = decodeMessage(new Uint8Array(buf)) } catch { return }
      const qq = q.question[0]
      if (qq === undefined) return
      resolver.resolve(qq.name, qq.type, { dnssecOk: q.edns?.dnssecOk === true, checkingDisabled: q.flags.cd, authenticatedData: q.flags.ad }).then((res) => {
        sock.send(encodeMessage(buildResponse(q, res), { maxSize: Math.max(512, q.edns?.udpSize ?? 512) }), rinfo.port, rinfo.address)
      }, () => {})
      return
    }
    // Warm cache: the stored encoded response, patched (Resolver.respondCached); else the
    // full path, which decodes, resolves, validates, encodes and keeps the response.
    const hit = resolver.respondCached(buf)
    if (hit !== null) { sock.send(hit, rinfo.port, rinfo.address); return }
    resolver.respond(buf).then((out) => { if (out !== null) sock.send(out, rinfo.port, rinfo.address) }, () => {})
  })
}

const newResolver = (anchorsFile, port) => new Resolver({ trustAnchors: TrustAnchors.load(anchorsFile), forwarders: [{ address: '127.0.0.1', port }] })

if (cluster.isWorker) {
  // One of N processes sharing the UDP socket (the primary holds it; each worker reads it).
  const resolver = newResolver(process.env.ANCHORS, Number(process.env.UPSTREAM))
  const sock = createSocket('udp4')
  serve(sock, () => resolver, process.env.FULL_PATH === '1')
  sock.bind(Number(process.env.PORT), '127.0.0.1', () => process.send('ready'))
  process.on('message', (m) => { if (m === 'stop') { sock.close(); process.exit(0) } })
}

async function secdnsFrontEnd(lab, fullPath = false) {
  const port = await freePort()
  if (WORKERS > 1) {
    const workers = []
    for (let i = 0; i < WORKERS; i++) {
      const w = cluster.fork({ ANCHORS: lab.anchorsFile, UPSTREAM: String(lab.port), PORT: String(port), FULL_PATH: fullPath ? '1' : '0' })
      await new Promise((resolve) => w.once('message', resolve))
      workers.push(w)
    }
    const cpu = () => workers.map((w) => procCpu(w.process.pid)).reduce((a, b) => ({ user: a.user + b.user, system: a.system + b.system }))
    return { port, cpu, close: () => { for (const w of workers) w.send('stop') } }
  }
  const resolver = newResolver(lab.anchorsFile, lab.port)
  const sock = createSocket('udp4')
  serve(sock, () => resolver, fullPath)
  await new Promise((resolve) => sock.bind(port, '127.0.0.1', resolve))
  return { port, cpu: ownCpu, close: () => sock.close() }
}

/**
 * The same front end as `secdnsFrontEnd` (one process) on the batched native UDP socket of
 * @secdns/udp (recvmmsg/sendmmsg, one call into JavaScript per batch), as `secdns server`
 * uses it; null when the addon is not loaded.
 */
function secdnsNativeFrontEnd(lab) {
  if (!nativeUdpStatus().loaded) return null
  const resolver = newResolver(lab.anchorsFile, lab.port)
  const sock = BatchedUdpSocket.open({ address: '127.0.0.1', port: 0, recvBufferSize: 4 * 1024 * 1024 }, (buf, i, s) => {
    const hit = resolver.respondCached(buf)
    if (hit !== null) { s.reply(i, hit); return }
    // The view is of the shared receive buffer, which the next batch overwrites.
    const query = Uint8Array.prototype.slice.call(buf)
    const peer = s.peerOf(i)
    resolver.respond(query).then((out) => { if (out !== null) s.sendTo(out, peer) }, () => {})
  })
  return { port: sock.port, cpu: ownCpu, close: () => sock.close() }
}

/** `secdns server start --foreground` with recursion through the lab; CPU from /proc. */
async function secdnsServer(lab, tmp) {
  const port = await freePort()
  const config = join(tmp, 'server.json')
  writeFileSync(config, JSON.stringify({
    listeners: { udp: [{ address: '127.0.0.1', port }] }, acl: { recursion: ['127.0.0.1'] },
    resolver: { forwarders: [`127.0.0.1:${lab.port}`], trustAnchors: lab.anchorsFile },
  }))
  const bin = new URL('../packages/cli/bin/secdns.js', import.meta.url).pathname
  const child = spawn(process.execPath, [bin, 'server', 'start', '--foreground', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => { if (out.length < 100000) out += d })
  child.stderr.on('data', (d) => { if (out.length < 100000) out += d })
  for (let i = 0; i < 200 && !out.includes('server started'); i++) await new Promise((r) => setTimeout(r, 50))
  if (!out.includes('server started')) { child.kill('SIGTERM'); throw new Error(`secdns server did not start: ${out}`) }
  return { port, cpu: () => procCpu(child.pid), close: () => child.kill('SIGTERM') }
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
async function measured(port, file, cpu, extra = []) {
  const c0 = cpu()
  const r = await dnsperf(port, file, extra)
  const c1 = cpu()
  return { ...r, userUs: (c1.user - c0.user) * 1e6 / r.completed, systemUs: (c1.system - c0.system) * 1e6 / r.completed }
}

function dnsperf(port, file, extra = []) {
  return new Promise((resolve) => {
    const p = spawn('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(SECONDS), '-D', '-c', '4', '-q', '64', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout.on('data', (d) => { out += d })
    p.on('exit', () => {
      const num = (re) => Number(re.exec(out)?.[1] ?? NaN)
      resolve({ qps: num(/Queries per second:\s+([\d.]+)/), avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000, lost: num(/Queries lost:\s+(\d+)/), completed: num(/Queries completed:\s+(\d+)/) })
    })
  })
}

function dnsperfWarmup(port, file, extra = []) {
  return new Promise((resolve) => spawn('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', '1', '-c', '4', '-q', '16', ...extra], { stdio: 'ignore' }).on('exit', resolve))
}

if (cluster.isPrimary) {
  const tmp = mkdtempSync(join(tmpdir(), 'secdns-bench-'))
  const file = join(tmp, 'queries.txt')
  writeFileSync(file, NAMES.join('\n') + '\n')
  const lab = await startBindLab()
  let unbound = null
  const fronts = []
  try {
    // Cold: a fresh secdns resolver in this process; Unbound just started (it primes its
    // trust anchors at start). secdns is measured twice: fully cold, and primed like
    // Unbound (prime()).
    const cold = await (async () => {
      const port = await freePort()
      let resolver = newResolver(lab.anchorsFile, lab.port)
      const sock = createSocket('udp4')
      serve(sock, () => resolver, false)
      await new Promise((resolve) => sock.bind(port, '127.0.0.1', resolve))
      const first = await firstAnswerMs(port, 'www.example.test.', 'A')
      resolver = newResolver(lab.anchorsFile, lab.port)
      await resolver.prime()
      const primed = await firstAnswerMs(port, 'www.example.test.', 'A')
      sock.close()
      return { first, primed }
    })()
    unbound = await startUnbound(lab, undefined, { threads: WORKERS })
    const coldUnbound = await firstAnswerMs(unbound.port, 'www.example.test.', 'A')
    const unboundPid = pidOf(join(unbound.dir, 'unbound.conf'))
    const ours = await secdnsFrontEnd(lab)
    fronts.push(ours)
    const full = await secdnsFrontEnd(lab, true)
    fronts.push(full)
    const native = WORKERS === 1 ? secdnsNativeFrontEnd(lab) : null
    if (native !== null) fronts.push(native)
    const warm = async (port, cpu, extra = []) => { await dnsperfWarmup(port, file, extra); return measured(port, file, cpu, extra) }
    const warmOurs = await warm(ours.port, ours.cpu)
    const warmFull = await warm(full.port, full.cpu)
    const warmNative = native === null ? undefined : await warm(native.port, native.cpu)
    const warmUnbound = await warm(unbound.port, () => procCpu(unboundPid))
    let server
    if (SERVER) {
      const srv = await secdnsServer(lab, tmp)
      fronts.push(srv)
      const coldServer = await firstAnswerMs(srv.port, 'www.example.test.', 'A')
      server = {
        cold: coldServer, warm: await warm(srv.port, srv.cpu),
        cookie: await warm(srv.port, srv.cpu, ['-E', '10:0102030405060708']), full: await warm(srv.port, srv.cpu, ['-E', '65001:00']),
      }
    }
    let floor
    if (FLOOR) {
      const port = await freePort()
      const sock = createSocket('udp4')
      sock.on('message', (buf, rinfo) => { buf[2] |= 0x80; sock.send(buf, rinfo.port, rinfo.address) })
      await new Promise((resolve) => sock.bind(port, '127.0.0.1', resolve))
      floor = await warm(port, ownCpu)
      sock.close()
    }
    const row = (n, w, c) => `| ${n.padEnd(17)} | ${w.qps.toFixed(0).padStart(8)} | ${w.avgMs.toFixed(3).padStart(6)} | ${String(w.lost).padStart(4)} | ${`${(w.userUs + w.systemUs).toFixed(1)} (${w.userUs.toFixed(1)} + ${w.systemUs.toFixed(1)})`.padStart(27)} | ${c === undefined ? '             ' : `${c.ms.toFixed(1).padStart(10)} ${c.ad ? 'AD' : '--'}`} |`
    console.log(`dnsperf -l ${SECONDS} -D -c 4 -q 64, ${NAMES.length} names (secure, NXDOMAIN, wildcard, NODATA; NSEC, NSEC3, RSA, Ed25519); secdns ${WORKERS} process(es), Unbound num-threads ${WORKERS}; ${new Date().toISOString()}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
    console.log('| resolver          | warm q/s | avg ms | lost | CPU µs / query (user + sys) | cold first ms |')
    console.log('|-------------------|----------|--------|------|-----------------------------|---------------|')
    console.log(row('secdns', warmOurs, cold.first))
    console.log(row('secdns full path', warmFull))
    if (warmNative !== undefined) console.log(row('secdns native UDP', warmNative))
    console.log(row('unbound', warmUnbound, coldUnbound))
    if (server !== undefined) {
      console.log(row('secdns server', server.warm, server.cold))
      console.log(row('secdns srv COOKIE', server.cookie))
      console.log(row('secdns server full', server.full))
    }
    if (floor !== undefined) console.log(row('node UDP echo', floor))
    if (HIT_PATH) {
      const r = newResolver(lab.anchorsFile, lab.port)
      const qs = NAMES.map((n, i) => { const [a, b] = n.split(' '); return Buffer.from(encodeMessage(createQuery(Name.fromString(a + '.'), RRType[b], { id: i, dnssecOk: true }))) })
      for (const q of qs) await r.respond(q)
      if (qs.some((q) => r.respondCached(q) === null)) throw new Error('a warm name is not in the response cache')
      for (let i = 0; i < 100000; i++) r.respondCached(qs[i & 7])
      const n = 1000000
      const c0 = process.cpuUsage()
      for (let i = 0; i < n; i++) r.respondCached(qs[i & 7])
      const c = process.cpuUsage(c0)
      console.log(`Resolver.respondCached alone: ${((c.user + c.system) / n).toFixed(2)} µs CPU per query (${n} queries in this process)`)
    }
    console.log(`secdns cold first answer after prime(): ${cold.primed.ms.toFixed(1)} ms (${cold.primed.ad ? 'AD' : 'no AD'})`)
  } finally {
    for (const f of fronts) f.close()
    await unbound?.stop()
    await lab.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}
