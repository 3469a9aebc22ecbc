/**
 * The channel on the wire: tshark captures the loopback traffic of a real channel while a
 * query carrying a distinctive name runs. With encryption required the name's bytes must
 * never appear in the capture; with integrity only (AES-GMAC) they must — which shows the
 * test can fail. In both runs the certificates (names of client and server) never appear,
 * because the AUTH exchange is always encrypted.
 */
import test from 'ava'
import { spawn } from 'node:child_process'
import { connect as connectTcp } from 'node:net'
import { createRootCa, issueCertificate } from '@secdns/pki'
import { connect, createChannelServer, type EncryptionLevel, type ServerEncryption } from '@secdns/channel'
import { havePeers, which } from '../helpers/peers.js'

const LABEL = 'zq7secretprobe'
const NAME = `${LABEL}.lab.test`
const CLIENT_CN = 'client7q.lab.test'
const SERVER_CN = 'dns7q.lab.test'

function query(id: number): Uint8Array {
  const labels = NAME.split('.')
  const q = Buffer.alloc(12 + labels.reduce((n, l) => n + 1 + l.length, 0) + 5)
  q.writeUInt16BE(id, 0); q.writeUInt16BE(0x0100, 2); q.writeUInt16BE(1, 4)
  let at = 12
  for (const l of labels) { q[at++] = l.length; at += q.write(l, at, 'ascii') }
  q[at++] = 0
  q.writeUInt16BE(1, at); q.writeUInt16BE(1, at + 2)
  return q
}

async function captureRun(level: EncryptionLevel, rule: ServerEncryption): Promise<{ capture: Buffer; transform: string; answered: boolean }> {
  const t0 = new Date(Date.UTC(2025, 6, 1))
  const now = () => new Date(Date.UTC(2026, 0, 15))
  const root = await createRootCa({ name: 'secdns Lab Root CA', now: new Date(Date.UTC(2025, 0, 1)), days: 3650 })
  const srv = await issueCertificate(root, { profile: 'dns-server', name: SERVER_CN, dns: [SERVER_CN], now: t0 })
  const cli = await issueCertificate(root, { profile: 'client', name: CLIENT_CN, now: t0 })
  const server = createChannelServer({
    identity: { certPem: srv.certPem, keyPem: srv.keyPem! }, trust: { cas: [root.certPem] }, rules: { encryption: rule }, now,
    handler: async (m) => { const r = Buffer.from(m); r[2]! |= 0x80; return r },
  })
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 })
  // tshark streams the capture (pcapng) to stdout. Packets sent before dumpcap has really
  // attached to lo are lost, and "Capturing on" comes a little before that, so the run
  // starts only once a probe connection to the port has been seen in the capture.
  const tshark = spawn(which('tshark')!, ['-i', 'lo', '-f', `tcp port ${port}`, '-w', '-'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const chunks: Buffer[] = []
  let captured = 0
  tshark.stdout.on('data', (d: Buffer) => { chunks.push(d); captured += d.length })
  try {
    await new Promise<void>((resolve, reject) => {
      let err = ''
      const timer = setTimeout(() => reject(new Error(`tshark did not start capturing: ${err}`)), 20_000)
      tshark.stderr.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('Capturing on')) { clearTimeout(timer); resolve() } })
      tshark.once('exit', (code) => { clearTimeout(timer); reject(new Error(`tshark exited with ${code}: ${err}`)) })
    })
    const header = captured
    for (let i = 0; captured <= header + 64; i++) {
      if (i === 200) throw new Error('tshark never showed a probe connection on lo')
      const probe = connectTcp(port, '127.0.0.1', () => probe.end())
      probe.on('error', () => undefined)
      await new Promise((r) => setTimeout(r, 100))
    }
    const c = await connect(`ws://127.0.0.1:${port}/`, {
      identity: { certPem: cli.certPem, keyPem: cli.keyPem! }, trust: { cas: [root.certPem] }, serverName: SERVER_CN, policy: { encryption: level }, now,
    })
    const a = await c.query(query(0x5151))
    const answered = Buffer.from(a).includes(Buffer.from(LABEL))
    const transform = c.negotiated.transform
    await c.close()
    await new Promise((r) => setTimeout(r, 500))
    const exited = new Promise((r) => tshark.once('exit', r))
    tshark.kill('SIGINT')
    await exited
    return { capture: Buffer.concat(chunks), transform, answered }
  } finally {
    if (tshark.exitCode === null) tshark.kill('SIGKILL')
    await server.close()
  }
}

test.serial('with encryption required the queried name never appears on the wire', async (t) => {
  if (!havePeers(t, 'tshark')) return
  const r = await captureRun('High', 'require')
  t.is(r.transform, 'AES-256-GCM')
  t.true(r.answered)
  // The capture holds the traffic (handshake and records) but not the name.
  t.true(r.capture.length > 1000)
  t.false(r.capture.includes(Buffer.from(LABEL)))
  // The AUTH exchange is always encrypted (RFC 7296 §1.2): certificates never cross in clear.
  t.false(r.capture.includes(Buffer.from(CLIENT_CN)))
  t.false(r.capture.includes(Buffer.from(SERVER_CN)))
})

test.serial('with integrity only (AES-GMAC) the queried name does appear on the wire', async (t) => {
  if (!havePeers(t, 'tshark')) return
  const r = await captureRun('None', 'request')
  t.is(r.transform, 'AES-GMAC')
  t.true(r.answered)
  t.true(r.capture.includes(Buffer.from(LABEL)))
  // Integrity only covers the records; the handshake's identities stay encrypted.
  t.false(r.capture.includes(Buffer.from(CLIENT_CN)))
  t.false(r.capture.includes(Buffer.from(SERVER_CN)))
})
