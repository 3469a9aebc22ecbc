/**
 * The protected channel listener: `@secdns/channel`'s server (IKE-like handshake, ESP-like
 * records) over ws or wss, with the connection security rule from the configuration.
 * Every DNS message it carries goes through the same query path as UDP and TCP.
 */
import { readFileSync } from 'node:fs'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createChannelServer, type ChannelServer, type SessionInfo } from '@secdns/channel'
import { ServerError } from './errors.js'
import { CrlWatch } from './config.js'
import type { BoundListener, DnsServer, ListenerPlugin } from './server.js'

type ChannelConfig = DnsServer['config']['listeners']['channel'][number]

/** One channel listener. */
export class ChannelListener implements ListenerPlugin {
  readonly kind = 'channel' as const
  readonly #cfg: ChannelConfig
  #channel: ChannelServer | undefined
  #https: HttpsServer | undefined
  #crl: CrlWatch | undefined

  /** @param cfg one `listeners.channel` entry */
  constructor(cfg: ChannelConfig) {
    this.#cfg = cfg
  }

  /** The channel server's counters (sessions, refusals), once started. */
  get stats(): ChannelServer['stats'] | undefined { return this.#channel?.stats }

  /** The established channels (peer, negotiated protection), for the console's status page. */
  sessions(): SessionInfo[] { return this.#channel?.sessions() ?? [] }

  /** Read the CRL file(s) again now if they changed (they are also checked every second). */
  reloadCrl(): void { this.#crl?.check() }

  /** Bind the listener. */
  async start(server: DnsServer): Promise<BoundListener> {
    const c = this.#cfg
    let certPem: string, keyPem: string, cas: string[]
    try {
      certPem = readFileSync(c.certificate, 'utf8')
      keyPem = readFileSync(c.key, 'utf8')
      cas = c.trustedCas.map((f) => readFileSync(f, 'utf8'))
    } catch (e) {
      throw new ServerError('ERR_SERVER_CONFIG', `listeners.channel: cannot read certificate, key or CA: ${(e as Error).message}`, { cause: e })
    }
    // The channel server keeps this object: a CRL read again replaces `crls` in it, and the
    // channel's verification cache is keyed by the CRLs, so the change applies to the next handshake.
    const trust: { cas: string[], crls?: (string | Uint8Array)[] } = { cas }
    if (c.crl !== undefined) {
      const field = 'listeners.channel.crl'
      this.#crl = new CrlWatch(c.crl, field, (crls) => {
        trust.crls = crls.pem
        server.log.info({ listener: 'channel', crls: crls.pem.length }, 'CRL read again')
      }, (e) => server.log.error({ listener: 'channel', err: e.message }, 'CRL not read again; the previous one is still used'))
      trust.crls = this.#crl.current.pem
    }
    const channel = createChannelServer({
      identity: { certPem, keyPem }, trust, rules: { encryption: c.encryption },
      handler: async (msg, peer) => {
        const out = await server.handle(msg, { address: peer.address, port: 0, transport: 'channel' })
        // One record carries one DNS message; a dropped query still needs an answer on a channel.
        return out?.[0] ?? new Uint8Array(0)
      },
    })
    this.#channel = channel
    channel.on('refused', (err: { code: string, message: string }, info: { address: string }) => {
      if (err.code === 'ERR_CHANNEL_PEER_REVOKED') server.log.warn({ listener: 'channel', address: info.address, code: err.code }, 'revoked client certificate refused')
    })
    try {
      if (!c.tls) {
        const a = await channel.listen({ host: c.address, port: c.port, path: c.path })
        return { kind: 'channel', address: a.host, port: a.port }
      }
      const https = createHttpsServer({ cert: certPem, key: keyPem }, (_req, res) => { res.writeHead(426).end() })
      channel.attach(https, c.path)
      this.#https = https
      await new Promise<void>((resolve, reject) => {
        https.once('error', reject)
        https.listen(c.port, c.address, () => { https.off('error', reject); resolve() })
      })
      const a = https.address()
      return { kind: 'channel', address: typeof a === 'object' && a ? a.address : c.address, port: typeof a === 'object' && a ? a.port : c.port }
    } catch (e) {
      this.#crl?.close()
      await channel.close()
      throw new ServerError('ERR_SERVER_BIND', `channel ${c.address}:${c.port}: ${(e as Error).message}`, { cause: e })
    }
  }

  /** Close every channel and stop listening. */
  async stop(): Promise<void> {
    this.#crl?.close()
    await this.#channel?.close()
    const h = this.#https
    if (h !== undefined) { h.closeAllConnections(); await new Promise<void>((r) => h.close(() => r())) }
  }
}
