// The session state machine with an in-memory transport, so the test decides when each
// frame arrives: the rekey hand-over and DELETE, frame by frame.
import test from 'ava'
import { Initiator, Responder, type HandshakeResult } from '../src/handshake.js'
import { loadIdentity } from '../src/auth.js'
import { CookieJar } from '../src/cookie.js'
import { ChannelSession } from '../src/session.js'
import { resolveLimits } from '../src/limits.js'
import { OutboundSa } from '../src/esp.js'
import type { ChannelError } from '../src/errors.js'
import { pki, ident, now, dnsQuery } from './helpers.js'

async function pair() {
  const p = await pki()
  const i = new Initiator({ identity: loadIdentity(ident(p.client)), trust: { cas: [p.root.certPem] }, serverName: 'dns1.lab.test', level: 'High', now })
  const r = new Responder({ identity: loadIdentity(ident(p.server)), trust: { cas: [p.root.certPem] }, encryption: 'require', now, address: '127.0.0.1', cookies: new CookieJar(), cookieRequired: () => false })
  const auth = await r.onAuth(i.onInitResponse(r.onInit(i.start()).reply))
  const ri: HandshakeResult = await i.onAuthResponse(auth.reply)
  const rr: HandshakeResult = auth.result!
  const toServer: Uint8Array[] = [], toClient: Uint8Array[] = []
  const got = { client: [] as Uint8Array[], server: [] as Uint8Array[], clientErrors: [] as ChannelError[], serverErrors: [] as ChannelError[] }
  const limits = resolveLimits({})
  const client = new ChannelSession({ send: (f) => toServer.push(f), close: () => {} }, ri, limits, {
    onMessage: (m) => got.client.push(m), onError: (e) => got.clientErrors.push(e), onClose: () => {},
  })
  const server = new ChannelSession({ send: (f) => toClient.push(f), close: () => {} }, rr, limits, {
    onMessage: (m) => got.server.push(m), onError: (e) => got.serverErrors.push(e), onClose: () => {},
  })
  const deliver = (q: Uint8Array[], to: ChannelSession, n = q.length) => { for (const f of q.splice(0, n)) to.handleFrame(f) }
  return { client, server, toServer, toClient, got, deliver }
}

test('records cross in both directions on the first child SA', async (t) => {
  const s = await pair()
  s.client.send(dnsQuery(1))
  s.deliver(s.toServer, s.server)
  t.is(s.got.server.length, 1)
  s.server.send(dnsQuery(2))
  s.deliver(s.toClient, s.client)
  t.is(s.got.client[0]![1], 2)
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
})

test('the responder keeps its old inbound SA until the initiator deletes it', async (t) => {
  const s = await pair()
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
  const oldSpis = s.client.spis
  // A query sealed on the old SA, still in flight when the rekey starts.
  s.client.send(dnsQuery(1))
  const lateOld = s.toServer.pop()!
  s.client.rekey()                          // CREATE_CHILD_SA request
  s.deliver(s.toServer, s.server)           // server installs the new SA and answers
  t.is(s.server.inbound.size, 2)
  t.not(s.server.spis.outbound, oldSpis.inbound)
  s.server.handleFrame(lateOld)             // the old-SA record arrives after the switch
  t.is(s.got.server.length, 1)
  s.deliver(s.toClient, s.client)           // client switches and sends DELETE
  t.is(s.client.spis.outbound, s.server.spis.inbound)
  t.is(s.client.spis.inbound, s.server.spis.outbound)
  t.not(s.client.spis.inbound, oldSpis.inbound)
  t.is(s.client.inbound.size, 1)
  const deleteFrame = s.toServer.shift()!
  s.server.handleFrame(deleteFrame)
  t.is(s.server.inbound.size, 1)
  // A replay of the old-SA record now names an SA that is gone.
  s.server.handleFrame(lateOld)
  t.is(s.got.serverErrors.at(-1)?.code, 'ERR_CHANNEL_BAD_SPI')
  // New traffic flows on the new SA.
  s.client.send(dnsQuery(3))
  s.deliver(s.toServer, s.server)
  t.is(s.got.server.at(-1)![1], 3)
  t.is(s.client.rekeys, 1)
  t.is(s.server.rekeys, 1)
})

test('a spent SA queues messages until the rekey, never sealing past its budget', async (t) => {
  const s = await pair()
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
  // Spend the client's budget by hand: nothing may go out on this SA any more.
  const o = s.client.outbound as OutboundSa
  o.seq = o.maxPackets
  s.client.send(dnsQuery(7))
  t.is(s.toServer.length, 1)                // only the CREATE_CHILD_SA request
  s.deliver(s.toServer, s.server)
  s.deliver(s.toClient, s.client)           // the answer: switch, DELETE, then the queued query
  s.deliver(s.toServer, s.server)
  t.is(s.got.server.length, 1)
  t.is(s.got.server[0]![1], 7)
})

test('a handshake request replayed inside the IKE SA is refused as a replay', async (t) => {
  const s = await pair()
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
  void s.client.ping()
  const ping = s.toServer[0]!
  s.deliver(s.toServer, s.server)
  s.server.handleFrame(ping)
  t.is(s.got.serverErrors.at(-1)?.code, 'ERR_CHANNEL_REPLAY')
})
