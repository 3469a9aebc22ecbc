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
import { randomBytes } from 'node:crypto'
import { EXCHANGE, FLAG_INITIATOR, PAYLOAD, type Payload } from '../src/ike_message.js'
import { PRFS } from '../src/key_schedule.js'
import { createKeyShare, GROUPS } from '../src/key_exchange.js'

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
  /** Deliver in both directions until nothing is left in flight. */
  const settle = () => { while (toServer.length > 0 || toClient.length > 0) { deliver(toServer, server); deliver(toClient, client) } }
  return { client, server, toServer, toClient, got, deliver, settle }
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
  // The client keeps its old inbound SA until the server answers the DELETE.
  t.is(s.client.inbound.size, 2)
  const deleteFrame = s.toServer.shift()!
  s.server.handleFrame(deleteFrame)
  t.is(s.server.inbound.size, 1)
  s.deliver(s.toClient, s.client)
  t.is(s.client.inbound.size, 1)
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

/** Both ends agree on the child SA in use and hold no other. */
function agreed(t: import('ava').ExecutionContext, s: Awaited<ReturnType<typeof pair>>) {
  t.is(s.client.spis.outbound, s.server.spis.inbound)
  t.is(s.client.spis.inbound, s.server.spis.outbound)
  t.is(s.client.inbound.size, 1)
  t.is(s.server.inbound.size, 1)
}

test('the responder starts a child rekey itself when its budget runs out, and queries keep flowing', async (t) => {
  const s = await pair()
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
  const before = s.server.spis
  const o = s.server.outbound as OutboundSa
  o.seq = o.maxPackets
  s.server.send(dnsQuery(9))              // queued: the SA is spent, so the server rekeys
  t.is(s.server.rekeysInitiated, 1)
  s.settle()
  t.is(s.got.client.at(-1)![1], 9)
  t.not(s.server.spis.outbound, before.outbound)
  agreed(t, s)
  t.is(s.client.rekeys, 1)
  t.is(s.client.rekeysInitiated, 0)
  s.client.send(dnsQuery(10)); s.settle()
  t.is(s.got.server.at(-1)![1], 10)
})

test('simultaneous child rekeys: both ends keep the same SA (the lowest nonce loses) and delete the rest', async (t) => {
  for (let round = 0; round < 6; round++) {
    const s = await pair()
    t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
    // Records on the old SA, then both requests cross on the wire.
    s.client.send(dnsQuery(1)); s.server.send(dnsQuery(2))
    s.client.rekey(); s.server.rekey()
    s.client.send(dnsQuery(3)); s.server.send(dnsQuery(4))
    s.settle()
    t.is(s.client.collisions, 1)
    t.is(s.server.collisions, 1)
    t.is(s.client.rekeys, 2)
    t.is(s.server.rekeys, 2)
    agreed(t, s)
    t.deepEqual(s.got.server.map((m) => m[1]), [1, 3])
    t.deepEqual(s.got.client.map((m) => m[1]), [2, 4])
    s.client.send(dnsQuery(5)); s.server.send(dnsQuery(6)); s.settle()
    t.is(s.got.server.at(-1)![1], 5)
    t.is(s.got.client.at(-1)![1], 6)
    t.deepEqual([...s.got.clientErrors, ...s.got.serverErrors], [])
  }
})

test('an IKE SA rekey gives new IKE SPIs on both ends; the old IKE SA and its messages are refused afterwards', async (t) => {
  const s = await pair()
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
  const oldIke = s.client.ikeSpis
  void s.client.ping()
  const oldPing = s.toServer[0]!             // an INFORMATIONAL request in the old IKE SA
  s.settle()
  s.client.send(dnsQuery(1))                 // a record in flight across the rekey
  s.client.rekeyIke()
  s.settle()
  t.is(s.got.server.at(-1)![1], 1)
  t.notDeepEqual(s.client.ikeSpis, oldIke)
  t.deepEqual(s.client.ikeSpis, s.server.ikeSpis)
  t.is(s.client.ikeRekeys, 1)
  t.is(s.server.ikeRekeys, 1)
  // The old IKE SA was deleted: a replay of its message names nothing.
  s.server.handleFrame(oldPing)
  t.is(s.got.serverErrors.at(-1)?.code, 'ERR_CHANNEL_BAD_SPI')
  t.is(s.got.serverErrors.at(-1)?.message, 'handshake message for another IKE SA')
  // The new IKE SA carries exchanges, and child SAs made under it agree on their keys.
  let pong = false
  void s.client.ping().then(() => { pong = true })
  s.settle(); await Promise.resolve()
  t.true(pong)
  s.client.rekey(); s.server.send(dnsQuery(2)); s.settle()
  s.client.send(dnsQuery(3)); s.settle()
  t.is(s.got.client.at(-1)![1], 2)
  t.is(s.got.server.at(-1)![1], 3)
  agreed(t, s)
  t.is(s.got.serverErrors.length, 1)
  t.deepEqual(s.got.clientErrors, [])
})

test('an IKE SA rekey that crosses a child rekey from the server gets TEMPORARY_FAILURE both ways, then both complete', async (t) => {
  const s = await pair()
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
  s.client.rekeyIke(); s.server.rekey()
  s.settle()
  t.is(s.client.temporaryFailures, 1)
  t.is(s.server.temporaryFailures, 1)
  t.is(s.client.ikeRekeys, 0)
  // Each retries after its own random pause (5–50 ms); delivering as frames appear, the
  // two retries fall apart and both complete.
  for (let i = 0; i < 2000 && (s.client.ikeRekeys === 0 || s.server.rekeys === 0); i++) {
    await new Promise((r) => setTimeout(r, 1))
    s.settle()
  }
  t.is(s.client.ikeRekeys, 1)
  t.is(s.server.ikeRekeys, 1)
  t.true(s.server.rekeys >= 1)
  agreed(t, s)
  s.client.send(dnsQuery(8)); s.settle()
  t.is(s.got.server.at(-1)![1], 8)
})

test('the initiator rekeys the IKE SA by itself when its message budget runs out', async (t) => {
  const s = await pair()
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
  ;(s.client as unknown as { limits: { ikeSaMaxMessages: number } }).limits.ikeSaMaxMessages = 8
  for (let i = 0; i < 12; i++) { void s.client.ping(); s.settle() }
  t.true(s.client.ikeRekeys >= 2, `${s.client.ikeRekeys} IKE rekeys`)
  t.is(s.server.ikeRekeys, s.client.ikeRekeys)
  t.deepEqual(s.client.ikeSpis, s.server.ikeSpis)
})

test('an IKE SA rekey with a key share in another group is refused with ERR_CHANNEL_PROTOCOL, from either end', async (t) => {
  const ike = (s: Awaited<ReturnType<typeof pair>>, group: number): Payload[] => [
    { type: PAYLOAD.SA, spi: randomBytes(8), groups: [group], prfs: [PRFS['HMAC-SHA-256'], PRFS['HMAC-SHA-384']], transforms: [] },
    { type: PAYLOAD.NONCE, data: randomBytes(32) },
    { type: PAYLOAD.KE, group, data: createKeyShare(s.client.hs.group).publicKey },
  ]
  const pairs = [await pair(), await pair()]
  for (const x of pairs) t.teardown(() => { x.client.end(undefined, 1000, ''); x.server.end(undefined, 1000, '') })
  // Reach past the API to send a request the sessions never make.
  for (const [x, fromServer] of [[pairs[0]!, false], [pairs[1]!, true]] as const) {
    const from = (fromServer ? x.server : x.client) as unknown as { request(ex: number, ps: Payload[], cb: (ps: Payload[]) => void): void }
    const other = x.client.hs.group === 'X25519' ? GROUPS['P-256'] : GROUPS.X25519
    from.request(EXCHANGE.CREATE_CHILD_SA, ike(x, other), () => {})
    if (fromServer) x.deliver(x.toClient, x.client)
    else x.deliver(x.toServer, x.server)
    const errs = fromServer ? x.got.clientErrors : x.got.serverErrors
    t.is(errs.at(-1)?.code, 'ERR_CHANNEL_PROTOCOL')
    t.regex(errs.at(-1)!.message, /^IKE SA rekey key share in group \d+, not the negotiated /)
  }
  // Nothing changed: both still share the first IKE SA, and records flow.
  for (const x of pairs) {
    t.deepEqual(x.client.ikeSpis, x.server.ikeSpis)
    t.is(x.client.ikeRekeys + x.server.ikeRekeys, 0)
    x.client.send(dnsQuery(4)); x.deliver(x.toServer, x.server)
    t.is(x.got.server.at(-1)![1], 4)
  }
})

test('the server rekeys the IKE SA: it becomes the new IKE SA\'s initiator, the old IKE SA is deleted, and both ends go on in the new one', async (t) => {
  const s = await pair()
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
  const oldIke = s.server.ikeSpis
  void s.server.ping()
  const oldPing = s.toClient[0]!             // an INFORMATIONAL request of the server in the old IKE SA
  s.settle()
  s.server.send(dnsQuery(1))                 // a record in flight across the rekey
  s.server.rekeyIke()
  s.settle()
  t.is(s.got.client.at(-1)![1], 1)
  t.notDeepEqual(s.server.ikeSpis, oldIke)
  t.deepEqual(s.client.ikeSpis, s.server.ikeSpis)
  t.is(s.server.ikeRekeys, 1)
  t.is(s.server.ikeRekeysInitiated, 1)
  t.is(s.client.ikeRekeys, 1)
  t.is(s.client.ikeRekeysInitiated, 0)
  // RFC 7296 §3.1: the I flag now marks the server's messages (octet 18 of the frame).
  void s.server.ping()
  t.is(s.toClient[0]![18]! & FLAG_INITIATOR, FLAG_INITIATOR)
  s.settle()
  void s.client.ping()
  t.is(s.toServer[0]![18]! & FLAG_INITIATOR, 0)
  s.settle()
  // The old IKE SA is gone on the client: a replay of the server's old message names nothing.
  s.client.handleFrame(oldPing)
  t.is(s.got.clientErrors.at(-1)?.code, 'ERR_CHANNEL_BAD_SPI')
  t.is(s.got.clientErrors.at(-1)?.message, 'handshake message for another IKE SA')
  // Child rekeys from either end and a client IKE SA rekey work under the server's IKE SA.
  s.client.rekey(); s.settle()
  s.server.rekey(); s.settle()
  s.client.rekeyIke(); s.settle()
  t.is(s.client.ikeRekeys, 2)
  t.is(s.client.ikeRekeysInitiated, 1)
  t.deepEqual(s.client.ikeSpis, s.server.ikeSpis)
  s.client.send(dnsQuery(2)); s.server.send(dnsQuery(3)); s.settle()
  t.is(s.got.server.at(-1)![1], 2)
  t.is(s.got.client.at(-1)![1], 3)
  agreed(t, s)
  t.is(s.got.clientErrors.length, 1)
  t.deepEqual(s.got.serverErrors, [])
})

test('IKE SA rekeys started by both ends at once both get TEMPORARY_FAILURE, then one completes after the random pause', async (t) => {
  const s = await pair()
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
  s.client.rekeyIke(); s.server.rekeyIke()
  s.settle()
  t.is(s.client.temporaryFailures, 1)
  t.is(s.server.temporaryFailures, 1)
  t.is(s.client.ikeRekeys + s.server.ikeRekeys, 0)
  for (let i = 0; i < 2000 && s.client.ikeRekeys + s.server.ikeRekeys < 4; i++) {
    await new Promise((r) => setTimeout(r, 1))
    s.settle()
  }
  // Each end wanted one rekey: two complete, one after the other, never crossing again for good.
  t.is(s.client.ikeRekeys, 2)
  t.is(s.server.ikeRekeys, 2)
  t.is(s.client.ikeRekeysInitiated + s.server.ikeRekeysInitiated, 2)
  t.deepEqual(s.client.ikeSpis, s.server.ikeSpis)
  s.client.send(dnsQuery(7)); s.server.send(dnsQuery(8)); s.settle()
  t.is(s.got.server.at(-1)![1], 7)
  t.is(s.got.client.at(-1)![1], 8)
})

test('the server rekeys the IKE SA by itself when the message budget runs out and the client does not', async (t) => {
  const s = await pair()
  t.teardown(() => { s.client.end(undefined, 1000, ''); s.server.end(undefined, 1000, '') })
  ;(s.server as unknown as { limits: { ikeSaMaxMessages: number } }).limits = { ...(s.server as unknown as { limits: object }).limits, ikeSaMaxMessages: 8 } as never
  ;(s.client as unknown as { limits: { ikeSaMaxMessages: number } }).limits = { ...(s.client as unknown as { limits: object }).limits, ikeSaMaxMessages: 1_000_000 } as never
  for (let i = 0; i < 12; i++) { void s.server.ping(); s.settle() }
  t.true(s.server.ikeRekeysInitiated >= 2, `${s.server.ikeRekeysInitiated} IKE rekeys`)
  t.is(s.client.ikeRekeysInitiated, 0)
  t.is(s.client.ikeRekeys, s.server.ikeRekeys)
  t.deepEqual(s.client.ikeSpis, s.server.ikeSpis)
})
