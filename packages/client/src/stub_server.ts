/**
 * `secdns client serve`: a local stub listener on UDP and TCP, so any application (dig,
 * or the system resolver pointed at it) gets NRPT protection, as every Windows
 * application does through the DNS Client service. Answers that fail policy become
 * SERVFAIL with an Extended DNS Error (RFC 8914) saying why.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { createServer, isIP, type AddressInfo, type Server, type Socket } from 'node:net'
import {
  EdeCode, HEADER_OCTETS, MAX_UDP_PAYLOAD, RRType, TcpFrameReader, decodeHeader, decodeMessage, edeOption, encodeMessage, frameTcp,
  type EdnsOptionData, type Message, type ResourceRecord,
} from '@secdns/wire'
import { ClientError } from './errors.js'
import type { StubClient } from './stub_client.js'

/** Options of {@link startStubServer}. */
export interface StubServerOptions {
  /** The client whose NRPT decides every answer. */
  client: StubClient
  /** Address to listen on (default 127.0.0.1). */
  host?: string
  /** Port (0: any free port). */
  port: number
  /** Called after each query with what happened (for logs). */
  onQuery?: (e: StubQueryEvent) => void
}

/** One query the listener handled. */
export interface StubQueryEvent {
  readonly name: string
  readonly type: number
  readonly via: 'udp' | 'tcp'
  readonly rcode: number
  /** The client's verdict, or the refusal. */
  readonly verdict: string
  readonly error?: string
}

/** Counters of a running listener. */
export interface StubServerStats {
  queries: number
  answered: number
  refused: number
  malformed: number
}

/** A running listener. */
export interface StubServer {
  readonly host: string
  readonly port: number
  readonly stats: StubServerStats
  close(): Promise<void>
}

// DNSSEC record types stripped from answers to queries without DO (RFC 3225 §3; RFC 4035 §3.2.1).
const DNSSEC_TYPES: ReadonlySet<number> = new Set([RRType.RRSIG, RRType.NSEC, RRType.NSEC3, RRType.DNSKEY, RRType.DS])

function edeFor(e: ClientError): number {
  switch (e.code) {
    case 'ERR_CLIENT_NOT_VALIDATED': return EdeCode.DNSSEC_INDETERMINATE
    case 'ERR_CLIENT_SERVFAIL': return EdeCode.DNSSEC_BOGUS
    case 'ERR_CLIENT_NO_DNSSEC': return EdeCode.DNSSEC_INDETERMINATE
    case 'ERR_CLIENT_CHANNEL_REFUSED': return EdeCode.PROHIBITED
    case 'ERR_CLIENT_INSECURE_TRANSPORT': return EdeCode.PROHIBITED
    case 'ERR_CLIENT_TIMEOUT':
    case 'ERR_CLIENT_UNREACHABLE': return EdeCode.NO_REACHABLE_AUTHORITY
    case 'ERR_CLIENT_BAD_RESPONSE': return EdeCode.NETWORK_ERROR
    default: return EdeCode.OTHER
  }
}

function strip(rrs: readonly ResourceRecord[], qtype: number): ResourceRecord[] {
  return rrs.filter((r) => !DNSSEC_TYPES.has(r.data.type) || r.data.type === qtype)
}

/**
 * Answer one query message through the client. Never throws: a query that does not
 * decode gets FORMERR (or nothing when even the header is bad), a policy refusal SERVFAIL
 * with an EDE.
 * @param client the stub client
 * @param bytes the query as received
 * @param maxSize largest answer (UDP: the query's EDNS size, else 512)
 * @returns the answer bytes and an event, or undefined to drop
 */
export async function answerQuery(client: StubClient, bytes: Uint8Array, via: 'udp' | 'tcp', maxSize?: number): Promise<{ wire: Uint8Array; event: StubQueryEvent } | undefined> {
  // STYLE.md §4: header first; a broken header or QR=1 (reflection) is dropped silently.
  if (bytes.length < HEADER_OCTETS) return undefined
  const h = decodeHeader(bytes)
  if (h.flags.qr) return undefined
  const base = (rcode: number, q?: Message): Message => ({
    id: h.id, opcode: h.opcode, rcode,
    flags: { qr: true, aa: false, tc: false, rd: h.flags.rd, ra: true, ad: false, cd: h.flags.cd },
    question: q?.question ?? [], answer: [], authority: [], additional: [],
    ...(q?.edns !== undefined ? { edns: { udpSize: 1232, version: 0, dnssecOk: q.edns.dnssecOk, options: [] } } : {}),
  })
  let q: Message
  try {
    q = decodeMessage(bytes)
  } catch {
    return { wire: encodeMessage(base(1)), event: { name: '?', type: 0, via, rcode: 1, verdict: 'FORMERR: query does not decode' } }
  }
  // RFC 1035 §4.1.2: one question is all any server supports; opcode QUERY only here.
  if (h.opcode !== 0) return { wire: encodeMessage(base(4, q)), event: { name: '?', type: 0, via, rcode: 4, verdict: 'NOTIMP: opcode' } }
  if (q.question.length !== 1) return { wire: encodeMessage(base(1, q)), event: { name: '?', type: 0, via, rcode: 1, verdict: 'FORMERR: not one question' } }
  const question = q.question[0]!
  const limit = via === 'tcp' ? undefined : Math.max(MAX_UDP_PAYLOAD, Math.min(q.edns?.udpSize ?? MAX_UDP_PAYLOAD, 4096))
  const size = maxSize ?? limit
  try {
    const r = await client.resolve(question.name, question.type, { checkingDisabled: q.flags.cd })
    const dnssecOk = q.edns?.dnssecOk === true
    const out: Message = {
      ...base(r.rcode, q),
      // RFC 6840 §5.8: AD goes back only to a client that asked for it (AD or DO set).
      flags: { ...base(0).flags, ad: r.ad && (q.flags.ad || dnssecOk) },
      answer: dnssecOk ? [...r.answer] : strip(r.answer, question.type),
      authority: dnssecOk ? [...r.authority] : strip(r.authority, question.type),
      additional: dnssecOk ? [...r.additional] : strip(r.additional, question.type),
    }
    if (q.edns !== undefined && r.ede.length > 0) {
      out.edns = { ...out.edns!, options: r.ede.map((e) => edeOption(e.infoCode, e.extraText)) }
    }
    return { wire: encodeMessage(out, size === undefined ? {} : { maxSize: size }), event: { name: r.name, type: question.type, via, rcode: r.rcode, verdict: r.verdict } }
  } catch (e) {
    const err = e instanceof ClientError ? e : new ClientError('ERR_CLIENT_BAD_RESPONSE', (e as Error).message, { cause: e })
    const out = base(2, q)
    if (q.edns !== undefined) {
      // RFC 8914 §2: EXTRA-TEXT for people; keep it short enough for a UDP answer.
      const opts: EdnsOptionData[] = [edeOption(edeFor(err), `${err.code}: ${err.message}`.slice(0, 300))]
      out.edns = { ...out.edns!, options: opts }
    }
    return { wire: encodeMessage(out, size === undefined ? {} : { maxSize: size }), event: { name: question.name.toString(), type: question.type, via, rcode: 2, verdict: 'refused', error: `${err.code}: ${err.message}` } }
  }
}

/**
 * Start the local stub listener (UDP and TCP on the same port).
 *
 * @throws {ClientError} ERR_CLIENT_UNREACHABLE when the address cannot be bound
 * @example
 * const s = await startStubServer({ client: createStubClient({ nrpt }), port: 5300 })
 * // dig @127.0.0.1 -p 5300 www.corp.example
 */
export async function startStubServer(opts: StubServerOptions): Promise<StubServer> {
  const host = opts.host ?? '127.0.0.1'
  const stats: StubServerStats = { queries: 0, answered: 0, refused: 0, malformed: 0 }
  const conns = new Set<Socket>()
  const note = (r: { event: StubQueryEvent } | undefined): void => {
    stats.queries++
    if (r === undefined) { stats.malformed++; return }
    if (r.event.error !== undefined) stats.refused++
    else if (r.event.rcode === 1) stats.malformed++
    else stats.answered++
    opts.onQuery?.(r.event)
  }
  const tcp: Server = createServer((sock) => {
    conns.add(sock)
    sock.on('close', () => conns.delete(sock))
    sock.on('error', () => undefined)
    // RFC 7766 §6.2.3: idle connections are closed by the server.
    sock.setTimeout(30_000, () => sock.destroy())
    const frames = new TcpFrameReader()
    sock.on('data', (d: Buffer) => {
      let msgs: Uint8Array[]
      try { msgs = frames.push(d) } catch { sock.destroy(); return }
      for (const m of msgs) {
        answerQuery(opts.client, m, 'tcp').then((r) => {
          note(r)
          if (r !== undefined && !sock.destroyed) sock.write(frameTcp(r.wire))
        }, () => undefined)
      }
    })
  })
  const family = isIP(host) === 6 ? 'udp6' : 'udp4'
  const udp: UdpSocket = createSocket(family)
  udp.on('message', (m, rinfo) => {
    answerQuery(opts.client, new Uint8Array(m), 'udp').then((r) => {
      note(r)
      if (r !== undefined) udp.send(r.wire, rinfo.port, rinfo.address)
    }, () => undefined)
  })
  udp.on('error', () => undefined)
  try {
    await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(opts.port, host, () => resolve()) })
    const port = (tcp.address() as AddressInfo).port
    await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(port, host, () => resolve()) })
  } catch (e) {
    tcp.close()
    try { udp.close() } catch { /* not bound */ }
    throw new ClientError('ERR_CLIENT_UNREACHABLE', `cannot listen on ${host}:${opts.port}: ${(e as Error).message}`, { cause: e })
  }
  const port = (tcp.address() as AddressInfo).port
  return {
    host, port, stats,
    async close() {
      for (const c of conns) c.destroy()
      await new Promise<void>((resolve) => tcp.close(() => resolve()))
      await new Promise<void>((resolve) => udp.close(() => resolve()))
    },
  }
}
