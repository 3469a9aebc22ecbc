// A tiny DNS responder the tests control: UDP and TCP on a random loopback port, and the
// same handler behind a @secdns/channel server. The handler sees each decoded query and
// decides the answer (set or withhold AD, SERVFAIL, truncate, drop), so every client-side
// policy decision can be tried without a real server.
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Name, RRType, TcpFrameReader, decodeMessage, encodeMessage, frameTcp, type Message } from '@secdns/wire'
import { createRootCa, issueCertificate, type CertifiedKey } from '@secdns/pki'
import { createChannelServer, type ChannelServer, type ServerRules } from '@secdns/channel'

export type Handler = (q: Message, via: 'udp' | 'tcp' | 'channel') => Message | 'drop'

export interface Responder {
  port: number
  queries: Array<{ q: Message; via: 'udp' | 'tcp' | 'channel' }>
  tcpConnections: number
  dropTcp(): void
  close(): Promise<void>
}

/** The answer to `q`: one A record 192.0.2.1 unless told otherwise. */
export function answer(q: Message, over: { ad?: boolean; rcode?: number; tc?: boolean; records?: boolean } = {}): Message {
  const question = q.question[0]!
  const records = over.records ?? (over.rcode === undefined || over.rcode === 0)
  return {
    id: q.id, opcode: 0, rcode: over.rcode ?? 0,
    flags: { qr: true, aa: false, tc: over.tc ?? false, rd: q.flags.rd, ra: true, ad: over.ad ?? false, cd: false },
    question: q.question,
    answer: records && question.type === RRType.A ? [{ name: question.name, class: 1, ttl: 300, data: { type: RRType.A, address: '192.0.2.1' } as never }] : [],
    authority: [], additional: [],
    ...(q.edns !== undefined ? { edns: { udpSize: 1232, version: 0, dnssecOk: q.edns.dnssecOk, options: [] } } : {}),
  }
}

export function respond(handler: Handler, bytes: Uint8Array, via: 'udp' | 'tcp' | 'channel', log: Responder['queries']): Uint8Array | undefined {
  const q = decodeMessage(bytes)
  log.push({ q, via })
  const a = handler(q, via)
  return a === 'drop' ? undefined : encodeMessage(a)
}

export async function startResponder(handler: Handler): Promise<Responder> {
  const queries: Responder['queries'] = []
  const tcp: Server = createServer()
  const conns = new Set<Socket>()
  const r: Responder = {
    port: 0, queries, tcpConnections: 0,
    dropTcp() { for (const c of conns) c.destroy() },
    async close() {
      for (const c of conns) c.destroy()
      await new Promise<void>((res) => tcp.close(() => res()))
      await new Promise<void>((res) => udp.close(() => res()))
    },
  }
  tcp.on('connection', (sock) => {
    r.tcpConnections++
    conns.add(sock)
    sock.on('close', () => conns.delete(sock))
    sock.on('error', () => undefined)
    const frames = new TcpFrameReader()
    sock.on('data', (d) => {
      for (const m of frames.push(d)) {
        const out = respond(handler, m, 'tcp', queries)
        if (out !== undefined) sock.write(frameTcp(out))
      }
    })
  })
  await new Promise<void>((res) => tcp.listen(0, '127.0.0.1', () => res()))
  r.port = (tcp.address() as AddressInfo).port
  const udp: UdpSocket = createSocket('udp4')
  udp.on('message', (m, rinfo) => {
    const out = respond(handler, m, 'udp', queries)
    if (out !== undefined) udp.send(out, rinfo.port, rinfo.address)
  })
  await new Promise<void>((res, rej) => { udp.once('error', rej); udp.bind(r.port, '127.0.0.1', () => res()) })
  return r
}

export const NOW = new Date(Date.UTC(2026, 0, 15, 12))
export const now = (): Date => NOW

export interface Lab {
  root: CertifiedKey
  otherRoot: CertifiedKey
  server: CertifiedKey
  otherServer: CertifiedKey
  noEku: CertifiedKey
  client: CertifiedKey
  /** Valid on the real clock (for DoT, where node's TLS checks dates against now). */
  serverToday: CertifiedKey
  otherServerToday: CertifiedKey
}

let lab: Promise<Lab> | undefined
/** One lab PKI per test process. */
export function labPki(): Promise<Lab> {
  lab ??= (async () => {
    const root = await createRootCa({ name: 'secdns Lab Root CA', now: new Date(Date.UTC(2025, 0, 1)) })
    const otherRoot = await createRootCa({ name: 'Other Root CA', now: new Date(Date.UTC(2025, 0, 1)) })
    const t0 = new Date(Date.UTC(2025, 6, 1))
    return {
      root, otherRoot,
      server: await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], ip: ['127.0.0.1'], now: t0 }),
      otherServer: await issueCertificate(otherRoot, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], now: t0 }),
      // A client-profile certificate: no DNS Server Trust EKU.
      noEku: await issueCertificate(root, { profile: 'client', name: 'dns1.lab.test', now: t0 }),
      client: await issueCertificate(root, { profile: 'client', name: 'client1.lab.test', now: t0 }),
      serverToday: await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], days: 30 }),
      otherServerToday: await issueCertificate(otherRoot, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], days: 30 }),
    }
  })()
  return lab
}

export async function startChannelResponder(cert: CertifiedKey, trustRoot: CertifiedKey, rules: ServerRules, handler: Handler): Promise<{ server: ChannelServer; url: string; queries: Responder['queries'] }> {
  const queries: Responder['queries'] = []
  const server = createChannelServer({
    identity: { certPem: cert.certPem, keyPem: cert.keyPem! }, trust: { cas: [trustRoot.certPem] }, rules, now,
    handler: async (m) => respond(handler, m, 'channel', queries) ?? new Uint8Array(0),
  })
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 })
  return { server, url: `ws://127.0.0.1:${port}/`, queries }
}

export const qname = (s: string): Name => Name.fromString(s)
