/**
 * Asking upstream servers: UDP first, TCP when the answer comes back truncated
 * (RFC 7766 §5), a timeout per try, several tries per server, then the next server.
 * The resolver talks to a {@link Transport}, so replay tests can put recorded answers
 * in place of the network.
 */
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { randomInt } from 'node:crypto'
import { decodeMessage, encodeMessage, frameTcp, TcpFrameReader, type Message } from '@secdns/wire'
import { ResolverError } from './errors.js'

/** An upstream server. */
export interface Server {
  readonly address: string
  readonly port: number
}

/** Sends one query to one server and returns the answer. */
export interface Transport {
  /**
   * @param server where to send it
   * @param query the query (its ID is set by the transport)
   * @param opts timeout; `tcp` to skip UDP
   * @throws {ResolverError} ERR_RESOLVER_TIMEOUT, ERR_RESOLVER_TRANSPORT
   */
  query(server: Server, query: Message, opts: { timeoutMs: number, tcp?: boolean }): Promise<Message>
}

/** Parse `192.0.2.1`, `192.0.2.1:5353`, `[::1]:53` or `::1` into a server. */
export function parseServer(text: string, defaultPort = 53): Server {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text)
  const address = m?.[1] ?? text
  const port = m?.[2] === undefined ? defaultPort : Number(m[2])
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ResolverError('ERR_RESOLVER_BAD_OPTION', `bad server "${text}": port must be 1…65535`)
  return { address, port }
}

function matches(q: Message, a: Message): boolean {
  // RFC 5452 §9.1: accept only an answer with our ID and our question.
  if (a.id !== q.id || !a.flags.qr) return false
  const x = q.question[0], y = a.question[0]
  if (x === undefined) return true
  return y !== undefined && x.type === y.type && x.class === y.class && x.name.equals(y.name)
}

/** The real network: node:dgram and node:net, on any address the OS routes. */
export class NetTransport implements Transport {
  /** @inheritDoc */
  async query(server: Server, query: Message, opts: { timeoutMs: number, tcp?: boolean }): Promise<Message> {
    const q: Message = { ...query, id: randomInt(0, 65536) }
    if (opts.tcp !== true) {
      const a = await this.udp(server, q, opts.timeoutMs)
      if (!a.flags.tc) return a
    }
    return this.tcp(server, q, opts.timeoutMs)
  }

  private udp(server: Server, q: Message, timeoutMs: number): Promise<Message> {
    return new Promise((resolve, reject) => {
      const sock = createSocket(server.address.includes(':') ? 'udp6' : 'udp4')
      const bytes = encodeMessage(q)
      const done = (err: Error | null, m?: Message): void => {
        clearTimeout(timer)
        sock.close()
        if (err !== null) reject(err)
        else resolve(m!)
      }
      const timer = setTimeout(() => done(new ResolverError('ERR_RESOLVER_TIMEOUT', `no answer from ${server.address}:${server.port} over UDP in ${timeoutMs} ms`)), timeoutMs)
      sock.on('error', (e) => done(new ResolverError('ERR_RESOLVER_TRANSPORT', `UDP to ${server.address}:${server.port}: ${e.message}`, { cause: e })))
      sock.on('message', (buf, rinfo) => {
        if (rinfo.port !== server.port) return
        let m: Message
        try { m = decodeMessage(new Uint8Array(buf)) } catch { return }
        // Anything else is ignored: a spoofed answer must not end the wait (RFC 5452 §9.1).
        if (matches(q, m)) done(null, m)
      })
      sock.send(bytes, server.port, server.address)
    })
  }

  private tcp(server: Server, q: Message, timeoutMs: number): Promise<Message> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: server.address, port: server.port })
      const reader = new TcpFrameReader()
      let finished = false
      const done = (err: Error | null, m?: Message): void => {
        if (finished) return
        finished = true
        clearTimeout(timer)
        sock.destroy()
        if (err !== null) reject(err)
        else resolve(m!)
      }
      const timer = setTimeout(() => done(new ResolverError('ERR_RESOLVER_TIMEOUT', `no answer from ${server.address}:${server.port} over TCP in ${timeoutMs} ms`)), timeoutMs)
      sock.on('connect', () => sock.write(frameTcp(encodeMessage(q))))
      sock.on('error', (e) => done(new ResolverError('ERR_RESOLVER_TRANSPORT', `TCP to ${server.address}:${server.port}: ${e.message}`, { cause: e })))
      sock.on('close', () => done(new ResolverError('ERR_RESOLVER_TRANSPORT', `TCP to ${server.address}:${server.port} closed before an answer`)))
      sock.on('data', (chunk) => {
        try {
          for (const f of reader.push(new Uint8Array(chunk))) {
            const m = decodeMessage(f)
            if (matches(q, m)) { done(null, m); return }
          }
        } catch (e) {
          done(new ResolverError('ERR_RESOLVER_TRANSPORT', `bad TCP answer from ${server.address}:${server.port}: ${(e as Error).message}`, { cause: e }))
        }
      })
    })
  }
}

/**
 * Ask a list of servers in turn: each up to `retries` times with the timeout, moving on
 * after a timeout, a network error, or SERVFAIL/REFUSED.
 *
 * @param transport the transport
 * @param servers the servers, in order of preference
 * @param query the query
 * @param opts timeout per try, tries per server, and a hook that counts each query sent
 * @throws {ResolverError} ERR_RESOLVER_TIMEOUT when no server gave a usable answer
 */
export async function queryServers(transport: Transport, servers: readonly Server[], query: Message, opts: { timeoutMs: number, retries: number, onSend?: () => void }): Promise<Message> {
  let last: Error | null = null
  let fallback: Message | null = null
  for (const s of servers) {
    for (let i = 0; i < opts.retries; i++) {
      opts.onSend?.()
      try {
        const a = await transport.query(s, query, { timeoutMs: opts.timeoutMs })
        // SERVFAIL and REFUSED: another server may do better (RFC 1034 §5.3.3).
        if (a.rcode === 2 || a.rcode === 5) { fallback = a; break }
        return a
      } catch (e) {
        last = e as Error
        if (e instanceof ResolverError && e.code === 'ERR_RESOLVER_LIMIT') throw e
        if (!(e instanceof ResolverError && e.code === 'ERR_RESOLVER_TIMEOUT')) break
      }
    }
  }
  if (fallback !== null) return fallback
  throw new ResolverError('ERR_RESOLVER_TIMEOUT', `no usable answer from ${servers.map((s) => `${s.address}:${s.port}`).join(', ')}${last === null ? '' : `: ${last.message}`}`, { cause: last })
}
