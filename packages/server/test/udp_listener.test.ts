import test from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Name, RRType, Rcode, createQuery, decodeMessage, encodeMessage } from '@secdns/wire'
import { nativeUdpStatus } from '@secdns/udp'
import { DnsServer, udpPath } from '../src/server.js'
import { parseConfig } from '../src/config.js'

const fixture = (f: string): string => fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url))
const serverDist = fileURLToPath(new URL('../src/index.js', import.meta.url))

function zoneCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-udp-listener-'))
  const file = join(dir, 'example.test.zone')
  copyFileSync(fixture('example.test.nsec.signed'), file)
  return file
}

const configOf = (file: string, port: number, v6 = true): Record<string, unknown> => ({
  listeners: { udp: [{ address: '127.0.0.1', port }, ...(v6 ? [{ address: '::1', port }] : [])], tcp: [] },
  zones: [{ name: 'example.test', type: 'primary', file }],
})

/** Ask over UDP from one socket; answers by ID. */
async function ask(port: number, queries: Uint8Array[], host = '127.0.0.1'): Promise<Map<number, Buffer>> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4')
  s.bind(0, host)
  await once(s, 'listening')
  const got = new Map<number, Buffer>()
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000)
    s.on('message', (m) => { got.set(m.readUInt16BE(0), m); if (got.size === queries.length) { clearTimeout(timer); resolve() } })
  })
  for (const q of queries) s.send(q, port, host)
  await done
  s.close()
  return got
}

const query = (name: string, type: number, id: number, dnssecOk = false): Uint8Array =>
  encodeMessage(createQuery(Name.fromString(name), type, { rd: false, id, dnssecOk }))

/** The same questions twice (the second time from the answer cache), NXDOMAIN, DO, and a FORMERR. */
function workload(): Uint8Array[] {
  const qs: Uint8Array[] = []
  let id = 1
  for (let round = 0; round < 2; round++) {
    qs.push(query('www.example.test.', RRType.A, id++), query('nothere.example.test.', RRType.A, id++),
      query('www.example.test.', RRType.A, id++, true), query('example.test.', RRType.DNSKEY, id++, true), query('example.test.', RRType.SOA, id++))
  }
  // A header and a question that runs past the end: FORMERR with the same ID.
  qs.push(Uint8Array.from([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77]))
  return qs
}

async function childServer(file: string, env: NodeJS.ProcessEnv, cluster = 0, port = 0): Promise<{ child: ChildProcess, port: number, path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-udp-child-'))
  const script = join(dir, 'run.mjs')
  writeFileSync(script, `import cluster from 'node:cluster'
const { DnsServer, parseConfig, udpPath } = await import(${JSON.stringify(serverDist)})
if (${cluster} > 0 && cluster.isPrimary) {
  let ready = 0
  for (let i = 0; i < ${cluster}; i++) cluster.fork().on('message', (m) => { if (++ready === ${cluster}) console.log(m) })
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill('SIGTERM'); setTimeout(() => process.exit(0), 200) })
} else {
  const server = new DnsServer(parseConfig(${JSON.stringify(configOf(file, port, false))}))
  await server.start()
  const line = server.listeners[0].port + ' ' + udpPath()
  if (cluster.isWorker) process.send(line); else console.log(line)
  process.on('SIGTERM', () => server.stop().then(() => process.exit(0)))
}
`)
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = await once(createInterface({ input: child.stdout! }), 'line') as [string]
  const [p, path] = line.split(' ')
  return { child, port: Number(p), path: path! }
}

test('the UDP listeners run on the native batched socket (required under CI)', (t) => {
  if (process.env.SECDNS_NATIVE_UDP === '0') {
    t.is(udpPath(), 'dgram')
  } else {
    t.true(nativeUdpStatus().loaded, nativeUdpStatus().reason)
    t.is(udpPath(), 'native')
  }
})

test('the native path and node:dgram (SECDNS_NATIVE_UDP=0) answer byte for byte alike, over IPv4 and IPv6', async (t) => {
  const file = zoneCopy()
  const server = new DnsServer(parseConfig(configOf(file, 0)))
  await server.start()
  t.teardown(() => server.stop())
  const v4 = server.listeners.find((l) => l.kind === 'udp' && l.address === '127.0.0.1')!
  const v6 = server.listeners.find((l) => l.kind === 'udp' && l.address === '::1')!
  const other = await childServer(file, { SECDNS_NATIVE_UDP: process.env.SECDNS_NATIVE_UDP === '0' ? '1' : '0' })
  t.teardown(() => { other.child.kill('SIGTERM') })
  t.not(other.path, server.udpPath)

  const qs = workload()
  const ours = await ask(v4.port, qs)
  const ours6 = await ask(v6.port, qs, '::1')
  const theirs = await ask(other.port, qs)
  t.is(ours.size, qs.length)
  t.is(ours6.size, qs.length)
  t.is(theirs.size, qs.length)
  for (const [id, m] of theirs) {
    t.deepEqual(ours.get(id), m, `answer ${id} over IPv4`)
    t.deepEqual(ours6.get(id), m, `answer ${id} over IPv6`)
  }
  t.is(decodeMessage(ours.get(2)!).rcode, Rcode.NXDOMAIN)
  t.is(ours.get(0x1234)![3]! & 0x0f, Rcode.FORMERR)
  t.is(server.counters.formerr, 2)
})

test('a burst of 600 queries from 6 clients: every one answered, to its own sender', async (t) => {
  const server = new DnsServer(parseConfig(configOf(zoneCopy(), 0, false)))
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners[0]!.port
  const names = ['www', 'nothere', 'mail', 'example', 'ns1']
  const runs = await Promise.all(Array.from({ length: 6 }, (_, c) =>
    ask(port, Array.from({ length: 100 }, (_, i) => query(`${names[i % names.length]}.example.test.`, RRType.A, c * 1000 + i)))))
  for (const [c, got] of runs.entries()) {
    t.is(got.size, 100)
    for (const id of got.keys()) t.is(Math.floor(id / 1000), c)
  }
  t.is(server.counters.received, 600)
  const udp = server.status().udp
  t.is(udp.path, udpPath())
  if (udp.path === 'native') {
    t.is(udp.received, 600)
    t.is(udp.sent, 600)
    t.is(udp.dropped + udp.skipped + udp.errors + udp.queued, 0)
  } else {
    t.is(udp.received, 0)
  }
})

test('cluster workers each bind the UDP port (SO_REUSEPORT) and all queries are answered', async (t) => {
  if (process.env.SECDNS_NATIVE_UDP === '0') { t.is(udpPath(), 'dgram'); return }
  const probe = createSocket('udp4')
  probe.bind(0, '127.0.0.1')
  await once(probe, 'listening')
  const port = probe.address().port
  probe.close()
  const c = await childServer(zoneCopy(), {}, 2, port)
  t.teardown(() => { c.child.kill('SIGTERM') })
  t.is(c.port, port)
  t.is(c.path, 'native')
  const runs = await Promise.all(Array.from({ length: 8 }, (_, k) => ask(port, Array.from({ length: 25 }, (_, i) => query('www.example.test.', RRType.A, k * 100 + i)))))
  t.deepEqual(runs.map((r) => r.size), Array.from({ length: 8 }, () => 25))
})
