import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { EdnsOption, Name, RRType, TcpFrameReader, createQuery, decodeMessage, encodeMessage, frameTcp, parseEdeOption, type Message } from '@secdns/wire'
import { createStubClient } from '../src/stub_client.js'
import { answerQuery, startStubServer } from '../src/stub_server.js'
import { answer, startResponder } from './responder.js'

function udpAsk(port: number, bytes: Uint8Array, timeoutMs = 1000): Promise<Message | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4')
    const timer = setTimeout(() => { s.close(); resolve(undefined) }, timeoutMs)
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(decodeMessage(m)) })
    s.send(bytes, port, '127.0.0.1')
  })
}

function tcpAsk(port: number, bytes: Uint8Array): Promise<Message> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(frameTcp(bytes)))
    const f = new TcpFrameReader()
    s.on('data', (d) => { const [m] = f.push(d); if (m !== undefined) { s.destroy(); resolve(decodeMessage(m)) } })
    s.on('error', reject)
  })
}

async function setup(t: import('ava').ExecutionContext, ad: boolean) {
  const r = await startResponder((q) => ({ ...answer(q, { ad }), answer: [...answer(q, { ad }).answer, ...(q.edns?.dnssecOk ? [{ name: q.question[0]!.name, class: 1, ttl: 300, data: { type: RRType.RRSIG, typeCovered: 1, algorithm: 13, labels: 3, originalTtl: 300, expiration: 2000000000, inception: 1700000000, keyTag: 1, signerName: Name.fromString('corp.example.'), signature: new Uint8Array(64) } as never }] : [])] }))
  const client = createStubClient({ nrpt: { rules: [
    { name: 'corp', namespace: '.corp.example', nameServers: [`udp://127.0.0.1:${r.port}`], dnsSecEnable: true, dnsSecValidationRequired: true },
    { name: 'lab', namespace: '.lab.example', nameServers: [`udp://127.0.0.1:${r.port}`], dnsSecEnable: true },
  ] } })
  const events: string[] = []
  const s = await startStubServer({ client, port: 0, onQuery: (e) => events.push(e.verdict) })
  t.teardown(async () => { await s.close(); await client.close(); await r.close() })
  return { r, s, events }
}

test('a validated answer is passed on with AD to a client that sets DO', async (t) => {
  const { s } = await setup(t, true)
  const m = await udpAsk(s.port, encodeMessage(createQuery(Name.fromString('www.corp.example.'), RRType.A, { id: 7, dnssecOk: true })))
  t.is(m?.id, 7)
  t.is(m?.rcode, 0)
  t.true(m?.flags.ad)
  t.deepEqual(m?.answer.map((x) => x.data.type), [RRType.A, RRType.RRSIG])
})

test('without DO the DNSSEC records are stripped and AD is not set', async (t) => {
  const { s } = await setup(t, true)
  const m = await udpAsk(s.port, encodeMessage(createQuery(Name.fromString('www.corp.example.'), RRType.A, { id: 8 })))
  t.false(m?.flags.ad)
  t.deepEqual(m?.answer.map((x) => x.data.type), [RRType.A])
})

test('an answer that fails policy becomes SERVFAIL with an EDE that says why', async (t) => {
  const { s, events } = await setup(t, false)
  const m = await udpAsk(s.port, encodeMessage(createQuery(Name.fromString('www.corp.example.'), RRType.A, { id: 9, dnssecOk: true })))
  t.is(m?.rcode, 2)
  t.is(m?.answer.length, 0)
  const ede = m?.edns?.options.filter((o) => o.code === EdnsOption.EDE).map(parseEdeOption)
  t.is(ede?.length, 1)
  t.regex(ede![0]!.extraText, /^ERR_CLIENT_NOT_VALIDATED: rule "corp" requires validation/)
  t.deepEqual(events, ['refused'])
})

test('a rule that does not require validation passes the answer on over TCP too', async (t) => {
  const { s } = await setup(t, false)
  const m = await tcpAsk(s.port, encodeMessage(createQuery(Name.fromString('www.lab.example.'), RRType.A, { id: 10 })))
  t.is(m.rcode, 0)
  t.is(m.answer.length, 1)
})

test('garbage is dropped or answered FORMERR and the listener keeps serving', async (t) => {
  const { s } = await setup(t, true)
  t.is(await udpAsk(s.port, new Uint8Array([1, 2, 3]), 200), undefined)
  const bad = new Uint8Array(20); bad[1] = 5; bad[5] = 3
  const m = await udpAsk(s.port, bad)
  t.is(m?.rcode, 1)
  const ok = await udpAsk(s.port, encodeMessage(createQuery(Name.fromString('www.corp.example.'), RRType.A, { id: 11, dnssecOk: true })))
  t.true(ok?.flags.ad)
  t.true(s.stats.malformed >= 2)
})

test('answerQuery drops responses (QR=1) to avoid reflection', async (t) => {
  const client = createStubClient({ nrpt: { rules: [] } })
  const q = createQuery(Name.fromString('x.'), RRType.A, { id: 1 })
  q.flags.qr = true
  t.is(await answerQuery(client, encodeMessage(q), 'udp'), undefined)
})

testProp('random bytes never make answerQuery throw', [fc.uint8Array({ maxLength: 300 })], async (t, bytes) => {
  const client = createStubClient({ nrpt: { rules: [] }, servers: ['udp://127.0.0.1:9'], timeoutMs: 50 })
  const r = await answerQuery(client, bytes, 'udp')
  if (r !== undefined) t.true(decodeMessage(r.wire).flags.qr)
  else t.pass()
  await client.close()
}, { numRuns: 200 })
