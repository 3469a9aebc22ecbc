#!/usr/bin/env node
// Benchmark of @secdns/channel, with its reference figures from the same run:
//   1. handshakes per second, beside node's TLS 1.3 mutual-auth handshakes with the same P-256 certificates;
//   2. queries per second over one channel with 64 in flight, per transform, beside plain ws request/response;
//   3. memory per idle established channel at 1,000 channels.
// Figures that are compared are measured in alternating slices (ours, reference, ours, …;
// ROUNDS rounds of SLICE seconds each) and the median slice is reported, so load from
// other processes on the machine falls on both sides alike.
// Queries are also counted per second of this process's CPU time (both ends run in it), a
// figure that moves less with other processes' load than the wall clock does.
// Run: npm run build && flock /tmp/bench.lock node --expose-gc bench/channel.mjs
//   (about 80 s; SLICE=s ROUNDS=n WARMUP=s to change; PARTS=queries or handshakes,memory for a part)
// Instructions per query, which do not move with load at all: bench/channel_cost.mjs.
// With the native record AEAD loaded, the AES-256-GCM subjects are also measured on
// node:crypto (the addon switched off for their SAs) in the same run; SECDNS_NATIVE_CRYPTO=0
// runs everything on node:crypto.
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls'
import { WebSocketServer, WebSocket } from 'ws'
import { createRootCa, issueCertificate } from '@secdns/pki'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { connect, createChannelServer, loadIdentity, OutboundSa, InboundSa, TRANSFORMS, nativeCryptoStatus, useNativeCrypto } from '@secdns/channel'

const SLICE = Number(process.env.SLICE ?? 1)
const ROUNDS = Number(process.env.ROUNDS ?? 5)
const WARMUP = Number(process.env.WARMUP ?? 0.5)
const IN_FLIGHT = 64
// PARTS=queries (or handshakes,memory) runs only those parts.
const PARTS = new Set((process.env.PARTS ?? 'handshakes,queries,memory').split(','))
const now = () => new Date()

function query(id) {
  // A 512-octet DNS message: header, question, padding in an OPT-sized tail.
  const q = Buffer.alloc(512)
  q.writeUInt16BE(id, 0); q.writeUInt16BE(0x0100, 2); q.writeUInt16BE(1, 4)
  Buffer.from('\x03www\x07example\x04test\x00\x00\x01\x00\x01', 'latin1').copy(q, 12)
  return q
}
const echo = async (m) => { const r = Buffer.from(m); r[2] |= 0x80; return r }

async function pkiSetup() {
  const t0 = new Date(Date.now() - 86_400_000)
  const root = await createRootCa({ name: 'secdns Lab Root CA', key: 'ecdsa-p256', now: t0, days: 3650 })
  const server = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], key: 'ecdsa-p256', now: t0 })
  const client = await issueCertificate(root, { profile: 'client', name: 'client1.lab.test', key: 'ecdsa-p256', now: t0 })
  return { root, server, client }
}

async function forSeconds(seconds, concurrency, fn) {
  const end = performance.now() + seconds * 1000
  let n = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) { await fn(); n++ }
  }))
  return n / seconds
}

async function channelServer(p, rule, limits = {}) {
  const server = createChannelServer({
    identity: { certPem: p.server.certPem, keyPem: p.server.keyPem }, trust: { cas: [p.root.certPem] }, rules: { encryption: rule }, handler: echo, now,
    limits: { maxHalfOpenPerSource: 100_000, maxHalfOpen: 100_000, cookieThreshold: 100_000, ...limits },
  })
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 })
  return { server, url: `ws://127.0.0.1:${port}/` }
}

function clientOpts(p, level, extra = {}) {
  return { identity: { certPem: p.client.certPem, keyPem: p.client.keyPem }, trust: { cas: [p.root.certPem] }, serverName: 'dns1.lab.test', policy: { encryption: level }, now, ...extra }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }

/** Run each measurement in turn, ROUNDS times, and return the median of each. */
async function interleaved(measures) {
  const got = measures.map(() => [])
  for (let r = 0; r < ROUNDS; r++) for (let i = 0; i < measures.length; i++) got[i].push(await measures[i]())
  return got.map((xs) => ({ median: median(xs), all: xs }))
}

async function benchHandshakes(p) {
  const { server, url } = await channelServer(p, 'require')
  // The client identity is loaded once, as a long-running client would.
  const identity = loadIdentity({ certPem: p.client.certPem, keyPem: p.client.keyPem })
  const trust = { cas: [p.root.certPem] }
  const oursOnce = () => forSeconds(SLICE, 4, async () => { const c = await connect(url, clientOpts(p, 'High', { identity, trust })); await c.close() })

  const tlsServer = createTlsServer({
    cert: p.server.certPem, key: p.server.keyPem, ca: [p.root.certPem], requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3',
  }, (s) => { s.on('error', () => {}); s.end() })
  await new Promise((r) => tlsServer.listen(0, '127.0.0.1', r))
  const port = tlsServer.address().port
  const tlsOnce = () => forSeconds(SLICE, 4, () => new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'dns1.lab.test', cert: p.client.certPem, key: p.client.keyPem, ca: [p.root.certPem], minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, () => { s.end(); resolve() })
    s.on('error', reject)
    s.on('data', () => {})
  }))
  const [ours, tls] = await interleaved([oursOnce, tlsOnce])
  await new Promise((r) => tlsServer.close(r))
  await server.close()
  return { ours, tls }
}

async function pipelined(send, seconds) {
  // Keep IN_FLIGHT queries outstanding and count answers. Besides the wall-clock rate,
  // count answers per second of this process's CPU time (both ends run here): other
  // processes' load slows the wall clock but not the CPU cost of a query.
  let n = 0
  const end = performance.now() + seconds * 1000
  const cpu0 = process.cpuUsage()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, w) => {
    while (performance.now() < end) { await send(query(w)); n++ }
  }))
  const cpu = process.cpuUsage(cpu0)
  cpuRates.get(send)?.push(n / ((cpu.user + cpu.system) / 1e6))
  return n / seconds
}
/** Per-CPU-second rates of each query subject, keyed by its send function. */
const cpuRates = new Map()

/** Make `fn`'s SAs on node:crypto (native false) or on the addon when it is loaded. */
async function onPath(native, fn) {
  const was = nativeCryptoStatus().enabled
  useNativeCrypto(native)
  try { return await fn() } finally { useNativeCrypto(was) }
}
const pathName = (native) => native && nativeCryptoStatus().enabled ? '' : ', node:crypto'

/**
 * Plain ws request/response. With `crypto`, each end also seals and opens every message
 * with an AES-256-GCM record SA outside any protocol, which separates the cost of the
 * record AEAD from the cost of the protocol (`native` false: on node:crypto).
 */
async function benchPlainWs(crypto = false, native = true) {
  const spec = TRANSFORMS['AES-256-GCM']
  const k = { key: randomBytes(32), salt: randomBytes(4) }
  const pairOf = () => onPath(native, () => [new OutboundSa(0x1000, spec, k, 2 ** 40, 2 ** 50, 0), new InboundSa(0x1000, spec, k, 1024)])
  const [so, si] = await pairOf(), [co, ci] = await pairOf()
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise((r) => wss.once('listening', r))
  wss.on('connection', (ws) => ws.on('message', async (d) => { if (crypto) d = si.open(so.seal(d)); ws.send(await echo(d)) }))
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`, { perMessageDeflate: false })
  await new Promise((r) => ws.once('open', r))
  const waiting = new Map()
  ws.on('message', (d) => { if (crypto) d = ci.open(co.seal(d)); const id = d.readUInt16BE(0); const q = waiting.get(id); waiting.delete(id); q?.(d) })
  return {
    name: crypto ? `plain ws + AES-256-GCM seal/open only${pathName(native)}` : 'plain ws request/response (no protection)',
    send: (m) => new Promise((resolve) => { waiting.set(m.readUInt16BE(0), resolve); ws.send(m) }),
    close: async () => { ws.close(); await new Promise((r) => wss.close(r)) },
  }
}

async function benchTransform(p, level, rule, transforms, native = true) {
  const server = createChannelServer({
    identity: { certPem: p.server.certPem, keyPem: p.server.keyPem }, trust: { cas: [p.root.certPem] }, rules: { encryption: rule, transforms }, handler: echo, now,
  })
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 })
  // The SAs of the handshake are made on the chosen path (no rekey happens in a run).
  const c = await onPath(native, () => connect(`ws://127.0.0.1:${port}/`, clientOpts(p, level)))
  return {
    name: `channel ${c.negotiated.transform}${pathName(native)}`,
    send: (m) => c.query(m),
    close: async () => { await c.close(); await server.close() },
  }
}

async function benchMemory(p, count) {
  const { server, url } = await channelServer(p, 'require')
  const gc = globalThis.gc ?? (() => {})
  gc(); gc()
  const before = process.memoryUsage()
  const clients = []
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => { while (next++ < count) clients.push(await connect(url, clientOpts(p, 'High'))) }))
  await new Promise((r) => setTimeout(r, 500))
  gc(); gc()
  const after = process.memoryUsage()
  const perChannel = (k) => (after[k] - before[k]) / clients.length
  const result = { channels: clients.length, rss: perChannel('rss'), heap: perChannel('heapUsed'), external: perChannel('external'), serverSessions: server.sessions().length }
  await Promise.all(clients.map((c) => c.close()))
  await server.close()
  return result
}

const fmt = (n) => Math.round(n).toLocaleString('en-US')
const t0 = performance.now()
const p = await pkiSetup()
const nat = nativeCryptoStatus()
console.log(`secdns channel benchmark — node ${process.version}; medians of ${ROUNDS} alternating ${SLICE} s slices; ${IN_FLIGHT} queries in flight; 512-octet messages`)
console.log(`record AEAD: ${nat.enabled ? `native addon on ${nat.openssl}` : `node:crypto (${nat.reason})`}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)

const list = (r) => r.all.map((x) => fmt(x)).join(' / ')
if (PARTS.has('handshakes')) {
  const hs = await benchHandshakes(p)
  console.log('\nhandshakes/s (4 concurrent, mutual certificate auth, P-256 certificates)')
  console.log(`  secdns channel (X25519, AES-256-GCM)  ${fmt(hs.ours.median).padStart(8)}   [slices ${list(hs.ours)}]`)
  console.log(`  node TLS 1.3 mutual auth              ${fmt(hs.tls.median).padStart(8)}   [slices ${list(hs.tls)}]   ours/TLS ${(hs.ours.median / hs.tls.median * 100).toFixed(0)}%`)
}

if (PARTS.has('queries')) {
  const subjects = [await benchPlainWs(), await benchPlainWs(true)]
  if (nat.enabled) subjects.push(await benchPlainWs(true, false))
  for (const [level, rule, prefer] of [['High', 'require', ['AES-256-GCM']], ['Medium', 'require', ['AES-128-GCM']], ['High', 'require', ['ChaCha20-Poly1305']], ['None', 'none', undefined]]) {
    subjects.push(await benchTransform(p, level, rule, prefer))
  }
  if (nat.enabled) subjects.push(await benchTransform(p, 'High', 'require', ['AES-256-GCM'], false))
  // One unmeasured slice per subject first, so no subject's first measured slice pays for
  // the JIT warming up its code (WARMUP=0 skips it).
  for (const x of subjects) if (WARMUP > 0) await pipelined(x.send, WARMUP)
  for (const x of subjects) cpuRates.set(x.send, [])
  const rates = await interleaved(subjects.map((x) => () => pipelined(x.send, SLICE)))
  for (const x of subjects) await x.close()
  console.log('\nqueries/s over one connection (wall clock)')
  const plain = rates[0].median
  subjects.forEach((x, i) => {
    const share = i === 0 ? '' : `   ${(rates[i].median / plain * 100).toFixed(0)}% of plain ws`
    console.log(`  ${x.name.padEnd(56)} ${fmt(rates[i].median).padStart(8)}${share}   [slices ${list(rates[i])}]`)
  })
  console.log('\nqueries per CPU second (client and server ends together; insensitive to other processes\' load)')
  const cpu = subjects.map((x) => { const all = cpuRates.get(x.send); return { median: median(all), all } })
  subjects.forEach((x, i) => {
    const share = i === 0 ? '' : `   ${(cpu[i].median / cpu[0].median * 100).toFixed(0)}% of plain ws`
    console.log(`  ${x.name.padEnd(56)} ${fmt(cpu[i].median).padStart(8)}${share}   [slices ${list(cpu[i])}]`)
  })
}

if (PARTS.has('memory')) {
  const mem = await benchMemory(p, 1000)
  console.log(`\nmemory per idle established channel (${mem.channels} channels, client and server ends in this one process${globalThis.gc ? '' : '; run with --expose-gc for stable figures'})`)
  console.log(`  RSS ${(mem.rss / 1024).toFixed(1)} KiB   JS heap ${(mem.heap / 1024).toFixed(1)} KiB   external ${(mem.external / 1024).toFixed(1)} KiB   (server listed ${mem.serverSessions} sessions)`)
}
console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s`)
