import test from 'ava'
import { createSocket, type Socket } from 'node:dgram'
import { createServer, type Server as TcpServer } from 'node:net'
import { Name, RRType, createQuery, decodeMessage, encodeMessage, frameTcp, TcpFrameReader, type Message } from '@secdns/wire'
import { NetTransport, queryServers, parseServer } from '../src/transport.js'
import { ResolverError } from '../src/errors.js'

type Answer = (q: Message) => Message | null

function reply(q: Message, extra: Partial<Message> = {}): Message {
  return { ...q, flags: { ...q.flags, qr: true, aa: true }, answer: [{ name: q.question[0]!.name, class: 1, ttl: 60, data: { type: RRType.A, address: '192.0.2.1' } }], ...extra }
}

async function udpServer(t: { teardown: (f: () => void) => void }, answer: Answer): Promise<{ sock: Socket, port: number }> {
  const sock = createSocket('udp4')
  sock.on('message', (buf, r) => {
    const m = answer(decodeMessage(new Uint8Array(buf)))
    if (m !== null) sock.send(encodeMessage(m), r.port, r.address)
  })
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()))
  t.teardown(() => sock.close())
  return { sock, port: sock.address().port }
}

async function tcpServer(t: { teardown: (f: () => void) => void }, port: number, answer: Answer): Promise<TcpServer> {
  const srv = createServer((c) => {
    const r = new TcpFrameReader()
    c.on('data', (d) => { for (const f of r.push(new Uint8Array(d))) { const m = answer(decodeMessage(f)); if (m !== null) c.write(frameTcp(encodeMessage(m))) } })
    c.on('error', () => {})
  })
  await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', () => resolve()))
  t.teardown(() => srv.close())
  return srv
}

const q = createQuery(Name.fromString('www.example.test.'), RRType.A, { dnssecOk: true })

test('a truncated UDP answer is asked again over TCP', async (t) => {
  const { port } = await udpServer(t, (m) => ({ ...m, flags: { ...m.flags, qr: true, tc: true } }))
  await tcpServer(t, port, (m) => reply(m))
  const a = await new NetTransport().query({ address: '127.0.0.1', port }, q, { timeoutMs: 2000 })
  t.false(a.flags.tc)
  t.is(a.answer.length, 1)
})

test('an answer with another ID is ignored, so a silent server times out with a coded error', async (t) => {
  const { port } = await udpServer(t, (m) => reply({ ...m, id: (m.id + 1) & 0xffff }))
  await t.throwsAsync(new NetTransport().query({ address: '127.0.0.1', port }, q, { timeoutMs: 300 }), { instanceOf: ResolverError, code: 'ERR_RESOLVER_TIMEOUT' })
})

test('queryServers retries, then moves on to the next server', async (t) => {
  let silentHits = 0
  const silent = await udpServer(t, () => { silentHits++; return null })
  const good = await udpServer(t, (m) => reply(m))
  const a = await queryServers(new NetTransport(), [{ address: '127.0.0.1', port: silent.port }, { address: '127.0.0.1', port: good.port }], q, { timeoutMs: 200, retries: 2 })
  t.is(a.answer.length, 1)
  t.is(silentHits, 2)
})

test('queryServers prefers another server over SERVFAIL but returns it when none does better', async (t) => {
  const fail = await udpServer(t, (m) => ({ ...m, flags: { ...m.flags, qr: true }, rcode: 2 }))
  const a = await queryServers(new NetTransport(), [{ address: '127.0.0.1', port: fail.port }], q, { timeoutMs: 300, retries: 1 })
  t.is(a.rcode, 2)
})

test('queryServers fails with ERR_RESOLVER_TIMEOUT when nobody answers', async (t) => {
  const silent = await udpServer(t, () => null)
  await t.throwsAsync(queryServers(new NetTransport(), [{ address: '127.0.0.1', port: silent.port }], q, { timeoutMs: 100, retries: 2 }), { instanceOf: ResolverError, code: 'ERR_RESOLVER_TIMEOUT' })
})

test('parseServer reads addresses with and without ports', (t) => {
  t.deepEqual(parseServer('192.0.2.1'), { address: '192.0.2.1', port: 53 })
  t.deepEqual(parseServer('192.0.2.1:5353'), { address: '192.0.2.1', port: 5353 })
  t.deepEqual(parseServer('[::1]:853'), { address: '::1', port: 853 })
  t.throws(() => parseServer('192.0.2.1:70000'), { instanceOf: ResolverError, code: 'ERR_RESOLVER_BAD_OPTION' })
})
