#!/usr/bin/env node
// Cost per query in machine instructions, for figures that do not move with the machine's
// load: runs COUNT queries (64 in flight, 512-octet messages) of one SUBJECT after a warm-up,
// in one process holding both ends. Run it twice under callgrind with two counts and divide
// the difference in instructions by the difference in queries:
//
//   for n in 1000 15000; do
//     SUBJECT=plain COUNT=$n valgrind --tool=callgrind --callgrind-out-file=/dev/null node bench/channel_cost.mjs 2>&1 | grep Collected
//   done
//
// SUBJECT: plain (ws request/response, no protection) | AES-256-GCM | AES-128-GCM | ChaCha20-Poly1305 | AES-GMAC
import { WebSocketServer, WebSocket } from 'ws'
import { createRootCa, issueCertificate } from '@secdns/pki'
import { connect, createChannelServer } from '@secdns/channel'

const SUBJECT = process.env.SUBJECT ?? 'plain'
const COUNT = Number(process.env.COUNT ?? 2000)
const WARMUP = Number(process.env.WARMUP ?? 2000)
const IN_FLIGHT = 64
const now = () => new Date()

function query(id) {
  const q = Buffer.alloc(512)
  q.writeUInt16BE(id, 0); q.writeUInt16BE(0x0100, 2); q.writeUInt16BE(1, 4)
  return q
}
const echo = async (m) => { const r = Buffer.from(m); r[2] |= 0x80; return r }

async function plain() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise((r) => wss.once('listening', r))
  wss.on('connection', (ws) => ws.on('message', async (d) => ws.send(await echo(d))))
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`, { perMessageDeflate: false })
  await new Promise((r) => ws.once('open', r))
  const waiting = new Map()
  ws.on('message', (d) => { const id = d.readUInt16BE(0); const q = waiting.get(id); waiting.delete(id); q?.(d) })
  return {
    send: (m) => new Promise((resolve) => { waiting.set(m.readUInt16BE(0), resolve); ws.send(m) }),
    close: async () => { ws.close(); await new Promise((r) => wss.close(r)) },
  }
}

async function channel(transform) {
  const t0 = new Date(Date.now() - 86_400_000)
  const root = await createRootCa({ name: 'R', key: 'ecdsa-p256', now: t0, days: 3650 })
  const sv = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], key: 'ecdsa-p256', now: t0 })
  const cl = await issueCertificate(root, { profile: 'client', name: 'c.lab.test', key: 'ecdsa-p256', now: t0 })
  const gmac = transform === 'AES-GMAC'
  const server = createChannelServer({
    identity: { certPem: sv.certPem, keyPem: sv.keyPem }, trust: { cas: [root.certPem] },
    rules: { encryption: gmac ? 'none' : 'require', transforms: gmac ? undefined : [transform] }, handler: echo, now,
  })
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 })
  const c = await connect(`ws://127.0.0.1:${port}/`, {
    identity: { certPem: cl.certPem, keyPem: cl.keyPem }, trust: { cas: [root.certPem] }, serverName: 'dns1.lab.test',
    policy: { encryption: gmac ? 'None' : transform === 'AES-128-GCM' ? 'Medium' : 'High' }, now,
  })
  if (c.negotiated.transform !== transform) throw new Error(`negotiated ${c.negotiated.transform}, not ${transform}`)
  return { send: (m) => c.query(m), close: async () => { await c.close(); await server.close() } }
}

async function run(send, n) {
  let left = n
  await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, w) => { while (left-- > 0) await send(query(w)) }))
}

const s = SUBJECT === 'plain' ? await plain() : await channel(SUBJECT)
await run(s.send, WARMUP)
const t0 = performance.now()
await run(s.send, COUNT)
console.log(`${SUBJECT}: ${COUNT} queries in ${(performance.now() - t0).toFixed(0)} ms`)
await s.close()
