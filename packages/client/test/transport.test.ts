import test from 'ava'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { createSocket } from 'node:dgram'
import { Name, RRType, TcpFrameReader, createQuery, decodeMessage, encodeMessage, frameTcp } from '@secdns/wire'
import { StreamTransport, UdpTransport, createTransport } from '../src/transport.js'
import { parseServerAddress } from '../src/server_address.js'
import { ClientError } from '../src/errors.js'
import { answer, labPki } from './responder.js'

function query(id: number, name = 'www.corp.example.'): Uint8Array {
  return encodeMessage(createQuery(Name.fromString(name), RRType.A, { id }))
}

async function dotServer(cert: { certPem: string; keyPem?: string }, opts: { delayFirst?: boolean } = {}): Promise<{ port: number; connections: number; close(): Promise<void> }> {
  const state = { port: 0, connections: 0, close: async () => undefined as void }
  const socks = new Set<TLSSocket>()
  const srv = createTlsServer({ cert: cert.certPem, key: cert.keyPem!, ALPNProtocols: ['dot'] }, (s) => {
    state.connections++
    socks.add(s)
    s.on('close', () => socks.delete(s))
    s.on('error', () => undefined)
    const frames = new TcpFrameReader()
    let n = 0
    s.on('data', (d: Buffer) => {
      for (const m of frames.push(d)) {
        const out = frameTcp(encodeMessage(answer(decodeMessage(m), { ad: true })))
        // Answer the first query late, so pipelined answers come back out of order.
        if (opts.delayFirst === true && n++ === 0) setTimeout(() => s.write(out), 100)
        else s.write(out)
      }
    })
  })
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()))
  state.port = (srv.address() as AddressInfo).port
  state.close = async () => { for (const s of socks) s.destroy(); await new Promise<void>((res) => srv.close(() => res())) }
  return state
}

test('DoT checks the certificate against the trust authority and the server name', async (t) => {
  const p = await labPki()
  const s = await dotServer(p.serverToday)
  t.teardown(() => s.close())
  const tr = createTransport(parseServerAddress(`tls://127.0.0.1:${s.port}`, 'dns1.lab.test'), { cas: [p.root.certPem], encryption: 'None' })
  t.teardown(() => tr.close())
  const x = await tr.exchange(query(1), 2000)
  t.is(x.transport, 'tls')
  t.regex(x.negotiated, /^tls TLSv1\.3 TLS_\S+, server dns1\.lab\.test, CA "secdns Lab Root CA"$/)
  t.true(decodeMessage(x.wire).flags.ad)
})

test('DoT to a server whose certificate is from another CA is refused', async (t) => {
  const p = await labPki()
  const s = await dotServer(p.otherServerToday)
  t.teardown(() => s.close())
  const tr = createTransport(parseServerAddress(`tls://127.0.0.1:${s.port}`, 'dns1.lab.test'), { cas: [p.root.certPem], encryption: 'None' })
  t.teardown(() => tr.close())
  await t.throwsAsync(tr.exchange(query(1), 2000), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
})

test('DoT to a certificate for another name is refused', async (t) => {
  const p = await labPki()
  const s = await dotServer(p.serverToday)
  t.teardown(() => s.close())
  const tr = createTransport(parseServerAddress(`tls://127.0.0.1:${s.port}`, 'dns9.lab.test'), { cas: [p.root.certPem], encryption: 'None' })
  t.teardown(() => tr.close())
  await t.throwsAsync(tr.exchange(query(1), 2000), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
})

test('pipelined queries on one connection get their own answers, whatever the order', async (t) => {
  const p = await labPki()
  const s = await dotServer(p.serverToday, { delayFirst: true })
  t.teardown(() => s.close())
  const tr = new StreamTransport(parseServerAddress(`tls://127.0.0.1:${s.port}`, 'dns1.lab.test'), { cas: [p.root.certPem], encryption: 'None' })
  t.teardown(() => tr.close())
  const ids = [11, 12, 13, 14]
  const got = await Promise.all(ids.map((id) => tr.exchange(query(id, `q${id}.corp.example.`), 2000)))
  t.deepEqual(got.map((g) => decodeMessage(g.wire).id), ids)
  t.deepEqual(got.map((g) => decodeMessage(g.wire).question[0]!.name.toString()), ids.map((id) => `q${id}.corp.example.`))
  t.is(s.connections, 1)
})

test('TCP to a closed port is ERR_CLIENT_UNREACHABLE', async (t) => {
  const tr = createTransport(parseServerAddress('tcp://127.0.0.1:1'), { cas: [], encryption: 'None' })
  await t.throwsAsync(tr.exchange(query(1), 1000), { instanceOf: ClientError, code: 'ERR_CLIENT_UNREACHABLE' })
})

test('UDP ignores an answer from another port and takes the real one', async (t) => {
  const real = createSocket('udp4')
  const spoofer = createSocket('udp4')
  await new Promise<void>((res) => real.bind(0, '127.0.0.1', () => res()))
  await new Promise<void>((res) => spoofer.bind(0, '127.0.0.1', () => res()))
  t.teardown(() => { real.close(); spoofer.close() })
  real.on('message', (m, r) => {
    const q = decodeMessage(m)
    const forged = answer(q, { ad: true })
    spoofer.send(encodeMessage({ ...forged, answer: [] }), r.port, r.address)
    setTimeout(() => real.send(encodeMessage(answer(q)), r.port, r.address), 30)
  })
  const tr = new UdpTransport(parseServerAddress(`udp://127.0.0.1:${real.address().port}`))
  const x = await tr.exchange(query(5), 1000)
  const m = decodeMessage(x.wire)
  t.false(m.flags.ad)
  t.is(m.answer.length, 1)
})

test('a closed transport refuses new queries', async (t) => {
  const tr = createTransport(parseServerAddress('tcp://127.0.0.1:1'), { cas: [], encryption: 'None' })
  await tr.close()
  await t.throwsAsync(tr.exchange(query(1), 500), { instanceOf: ClientError, code: 'ERR_CLIENT_CLOSED' })
})
