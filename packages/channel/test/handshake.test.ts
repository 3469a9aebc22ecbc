// The handshake state machines, in memory and against a live server: negotiation, group
// retry, and the attacks the AUTH signatures must catch (downgrade, relay, reflection).
import test from 'ava'
import { WebSocket } from 'ws'
import { connect } from '../src/client.js'
import { Initiator, Responder } from '../src/handshake.js'
import { loadIdentity } from '../src/auth.js'
import { CookieJar } from '../src/cookie.js'
import { ChannelError } from '../src/errors.js'
import { decodeIkeMessage, encodeEncrypted, encodeIkeMessage, EXCHANGE, FLAG_INITIATOR, PAYLOAD, type Payload } from '../src/ike_message.js'
import { TRANSFORMS } from '../src/transforms.js'
import { ENCRYPTION_LEVELS, SERVER_ENCRYPTION, chooseTransform, clientProposals } from '../src/policy.js'
import { pki, startServer, clientOptions, goodClientAnswers, ident, now, type Pki } from './helpers.js'
import { startRelay } from './relay.js'

function initiator(p: Pki, level: 'None' | 'Low' | 'Medium' | 'High' = 'High', who = p.client) {
  return new Initiator({ identity: loadIdentity(ident(who)), trust: { cas: [p.root.certPem], crls: [p.crlPem] }, serverName: 'dns1.lab.test', level, now })
}

function responder(p: Pki, encryption: 'require' | 'request' | 'none' = 'require', extra: Partial<ConstructorParameters<typeof Responder>[0]> = {}) {
  return new Responder({ identity: loadIdentity(ident(p.server)), trust: { cas: [p.root.certPem], crls: [p.crlPem] }, encryption, now, address: '127.0.0.1', cookies: new CookieJar(), cookieRequired: () => false, ...extra })
}

/** A WebSocket with a queue of received frames. */
async function rawWs(url: string): Promise<{ ws: WebSocket; next: () => Promise<Buffer>; closed: Promise<number> }> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const q: Buffer[] = []
  const waiters: ((b: Buffer) => void)[] = []
  ws.on('message', (d: Buffer) => { const w = waiters.shift(); if (w) w(d); else q.push(d) })
  const closed = new Promise<number>((r) => ws.once('close', (c) => r(c)))
  await new Promise((r) => ws.once('open', r))
  return { ws, closed, next: () => new Promise((r) => { const b = q.shift(); if (b) r(b); else waiters.push(r) }) }
}

test('initiator and responder agree on keys and child SPIs in memory', async (t) => {
  const p = await pki()
  const i = initiator(p), r = responder(p)
  const init = r.onInit(i.start())
  const auth = await r.onAuth(i.onInitResponse(init.reply))
  t.truthy(auth.result)
  const res = await i.onAuthResponse(auth.reply)
  t.is(res.transform.name, 'AES-256-GCM')
  t.deepEqual(Buffer.from(res.child.i2r.key), Buffer.from(auth.result!.child.i2r.key))
  t.is(res.outboundSpi, auth.result!.inboundSpi)
  t.is(res.inboundSpi, auth.result!.outboundSpi)
  t.regex(res.peer.subject, /dns1\.lab\.test/)
})

test('a responder that wants another group answers INVALID_KE_PAYLOAD and the initiator retries once with it', async (t) => {
  const p = await pki()
  const i = initiator(p), r = responder(p, 'require', { groups: ['P-256'] })
  const first = r.onInit(i.start())
  t.is(first.error, undefined)
  const second = r.onInit(i.onInitResponse(first.reply))
  const auth = await r.onAuth(i.onInitResponse(second.reply))
  const res = await i.onAuthResponse(auth.reply)
  t.is(res.group, 'P-256')
})

test('a responder under load answers with a cookie first and accepts the INIT that returns it', async (t) => {
  const p = await pki()
  const i = initiator(p), r = responder(p, 'require', { cookieRequired: () => true })
  const c = r.onInit(i.start())
  t.true(c.cookie)
  t.is(r.state, 'init')
  const ok = r.onInit(i.onInitResponse(c.reply))
  t.is(r.state, 'auth')
  t.falsy(ok.cookie)
})

test('a forged cookie is answered with a new cookie, not with keys', async (t) => {
  const p = await pki()
  const i = initiator(p), r = responder(p, 'require', { cookieRequired: () => true })
  i.onInitResponse(r.onInit(i.start()).reply)
  const m = decodeIkeMessage(i.start())
  const forged = m.payloads.map((x) => (x.type === PAYLOAD.NOTIFY ? { ...x, data: new Uint8Array(33) } : x))
  t.true(r.onInit(encodeIkeMessage({ header: m.header, payloads: forged })).cookie)
})

test('a client offering only a group the server refuses gets ERR_CHANNEL_NO_PROPOSAL', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p, { rules: { encryption: 'require', groups: ['P-256'] } })
  t.teardown(() => server.close())
  await t.throwsAsync(connect(url, clientOptions(p, { groups: ['X25519'] })), { code: 'ERR_CHANNEL_NO_PROPOSAL' })
  const c = await connect(url, clientOptions(p, { prfs: ['HMAC-SHA-384'] }))
  t.is(c.negotiated.keyExchange, 'P-256')
  t.is(c.negotiated.prf, 'HMAC-SHA-384')
  await c.close()
})

const servers = SERVER_ENCRYPTION
for (const rule of servers) {
  test(`policy matrix: every client level against a server that says ${rule}`, async (t) => {
    const p = await pki()
    const { server, url } = await startServer(p, { rules: { encryption: rule } })
    t.teardown(() => server.close())
    let refusals = 0
    for (const level of ENCRYPTION_LEVELS) {
      const expect = chooseTransform(clientProposals(level), rule)
      if (expect === undefined) {
        const e = await t.throwsAsync<ChannelError>(connect(url, clientOptions(p, { policy: { encryption: level } })), { code: 'ERR_CHANNEL_NO_PROPOSAL' }, `${level} × ${rule}`)
        // Both wants are in the message the client gets.
        t.regex(e?.message ?? '', new RegExp(`client policy ${level}`))
        t.regex(e?.message ?? '', new RegExp(`server rule ${rule}`))
        refusals++
        t.is(server.stats.refused.ERR_CHANNEL_NO_PROPOSAL, refusals)
      } else {
        const c = await connect(url, clientOptions(p, { policy: { encryption: level } }))
        t.is(c.negotiated.transform, expect, `${level} × ${rule}`)
        t.is(c.negotiated.encrypted, TRANSFORMS[expect].encrypts)
        await c.close()
      }
    }
    if (rule !== 'none') t.true(await goodClientAnswers(url, p))
  })
}

test('a MITM that strips the encryption proposals from INIT is caught by AUTH on both ends', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p, { rules: { encryption: 'request' } })
  const relay = await startRelay(url, {
    toServer: (f, send, i) => {
      if (i !== 0) { send(f); return }
      const m = decodeIkeMessage(f)
      const payloads = m.payloads.map((x): Payload => (x.type === PAYLOAD.SA ? { ...x, transforms: [TRANSFORMS['AES-GMAC'].id] } : x))
      send(encodeIkeMessage({ header: m.header, payloads }))
    },
  })
  t.teardown(async () => { await relay.close(); await server.close() })
  const e = await t.throwsAsync<ChannelError>(connect(relay.url, clientOptions(p, { policy: { encryption: 'Low' } })), { code: 'ERR_CHANNEL_AUTH_FAILED' })
  t.regex(e?.message ?? '', /signature/)
  t.is(server.stats.refused.ERR_CHANNEL_AUTH_FAILED, 1)
  // A client that requires encryption refuses the downgraded answer by itself.
  const reported = new Promise((r) => server.once('peer-refused', r))
  await t.throwsAsync(connect(relay.url, clientOptions(p, { policy: { encryption: 'Medium' } })), { code: 'ERR_CHANNEL_NO_PROPOSAL' })
  await reported
  t.is(server.stats.peerRefused.ERR_CHANNEL_NO_PROPOSAL, 1)
  t.true(await goodClientAnswers(url, p))
})

test('a MITM relaying a client AUTH from its own session into another session is refused', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  // Session A: the real client against the MITM, which plays responder.
  const client = initiator(p)
  const mitmAsServer = responder(p)
  await mitmAsServer.onAuth(client.onInitResponse(mitmAsServer.onInit(client.start()).reply))
  const stolen = mitmAsServer.lastAuthRequest!
  // Session B: the MITM against the real server, presenting the client's AUTH.
  const mitm = initiator(p, 'High', p.otherClient)
  const w = await rawWs(url)
  w.ws.send(mitm.start())
  mitm.onInitResponse(await w.next())
  const k = mitm.keys!
  w.ws.send(encodeEncrypted({ spiI: mitm.spiI, spiR: k.spiR, exchange: EXCHANGE.IKE_AUTH, flags: FLAG_INITIATOR, messageId: 1 }, stolen, k.ikeKeys.skEi))
  await t.throwsAsync(mitm.onAuthResponse(await w.next()), { code: 'ERR_CHANNEL_AUTH_FAILED' })
  t.is(await w.closed, 4001)
  t.is(server.stats.refused.ERR_CHANNEL_AUTH_FAILED, 1)
  t.true(await goodClientAnswers(url, p))
})

test('the server\'s own AUTH reflected back to it is refused', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  const refused: ChannelError[] = []
  server.on('refused', (e: ChannelError) => refused.push(e))
  const first = initiator(p)
  const w1 = await rawWs(url)
  w1.ws.send(first.start())
  w1.ws.send(first.onInitResponse(await w1.next()))
  await first.onAuthResponse(await w1.next())
  const serverAuth = first.lastAuthResponse!.map((x): Payload => (x.type === PAYLOAD.IDr ? { ...x, type: PAYLOAD.IDi } : x))
  w1.ws.close()
  const second = initiator(p)
  const w2 = await rawWs(url)
  w2.ws.send(second.start())
  second.onInitResponse(await w2.next())
  const k = second.keys!
  w2.ws.send(encodeEncrypted({ spiI: second.spiI, spiR: k.spiR, exchange: EXCHANGE.IKE_AUTH, flags: FLAG_INITIATOR, messageId: 1 }, serverAuth, k.ikeKeys.skEi))
  await t.throwsAsync(second.onAuthResponse(await w2.next()), { code: 'ERR_CHANNEL_AUTH_FAILED' })
  t.is(server.stats.refused.ERR_CHANNEL_AUTH_FAILED, 1)
  t.regex(refused[0]?.message ?? '', /reflection/)
  t.true(await goodClientAnswers(url, p))
})

test('an AUTH request moved to another IKE SA is refused, and accepted by its own', async (t) => {
  const p = await pki()
  const i = initiator(p), r = responder(p)
  const reply = r.onInit(i.start()).reply
  const authReq = i.onInitResponse(reply)
  // Replay the same AUTH into a fresh responder session: its SPIs name another IKE SA.
  const i2 = initiator(p), r2 = responder(p)
  i2.onInitResponse(r2.onInit(i2.start()).reply)
  await t.throwsAsync(r2.onAuth(authReq), { code: 'ERR_CHANNEL_PROTOCOL' })
  const step = await r.onAuth(authReq)
  t.truthy(step.result)
})

function rewriteChoice(frame: Uint8Array, transform: keyof typeof TRANSFORMS): Uint8Array {
  const m = decodeIkeMessage(frame)
  return encodeIkeMessage({ header: m.header, payloads: m.payloads.map((x): Payload => (x.type === PAYLOAD.SA ? { ...x, transforms: [TRANSFORMS[transform].id] } : x)) })
}

test('an INIT answer rewritten to integrity only is refused by a High client at once', async (t) => {
  const p = await pki()
  const i = initiator(p, 'High'), r = responder(p, 'request')
  const reply = rewriteChoice(r.onInit(i.start()).reply, 'AES-GMAC')
  t.throws(() => i.onInitResponse(reply), { code: 'ERR_CHANNEL_NO_PROPOSAL', message: /AES-GMAC/ })
})

test('an INIT answer rewritten to a weaker choice a Low client allows is caught by the server AUTH signature', async (t) => {
  const p = await pki()
  const i = initiator(p, 'Low'), r = responder(p, 'request')
  const reply = rewriteChoice(r.onInit(i.start()).reply, 'AES-GMAC')
  const auth = await r.onAuth(i.onInitResponse(reply))
  t.truthy(auth.result)
  const e = await t.throwsAsync(i.onAuthResponse(auth.reply), { code: 'ERR_CHANNEL_AUTH_FAILED' })
  t.regex(e?.message ?? '', /server's AUTH signature/)
  // The refusal the client sends the server carries the same code.
  t.truthy(i.refusal(e as ChannelError))
})

test('a client offering only unknown transforms gets NO_PROPOSAL_CHOSEN that says so', async (t) => {
  const p = await pki()
  const i = initiator(p)
  const m = decodeIkeMessage(i.start())
  const bogus = encodeIkeMessage({ header: m.header, payloads: m.payloads.map((x): Payload => (x.type === PAYLOAD.SA ? { ...x, transforms: [0x0101, 0x0202] } : x)) })
  const step = responder(p).onInit(bogus)
  t.is(step.error?.code, 'ERR_CHANNEL_NO_PROPOSAL')
  t.regex(step.error?.message ?? '', /nothing known/)
  t.throws(() => i.onInitResponse(step.reply), { code: 'ERR_CHANNEL_NO_PROPOSAL' })
})
