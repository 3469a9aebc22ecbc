/**
 * DNS over TLS (RFC 7858) on node:tls: the same stream handling as TCP behind TLS
 * with the server's DNS-server certificate; client certificates optional or required.
 */
import { createServer, type Server, type TlsOptions } from 'node:tls'
import { readFileSync } from 'node:fs'
import { ServerError } from './errors.js'
import { CrlWatch } from './config.js'
import type { BoundListener, DnsServer, ListenerPlugin } from './server.js'

type DotConfig = DnsServer['config']['listeners']['dot'][number]

/**
 * A DoT listener.
 *
 * @example
 * server.use(new DotListener({ address: '127.0.0.1', port: 853, certificate: 'ns.pem', key: 'ns.key', requireClientCertificate: false }))
 */
export class DotListener implements ListenerPlugin {
  readonly kind = 'dot' as const
  readonly #cfg: DotConfig
  #srv: Server | undefined
  #crl: CrlWatch | undefined

  /** @param cfg one `listeners.dot` entry */
  constructor(cfg: DotConfig) {
    this.#cfg = cfg
  }

  /** Bind the listener. */
  async start(server: DnsServer): Promise<BoundListener> {
    const c = this.#cfg
    let opts: TlsOptions
    try {
      opts = {
        cert: readFileSync(c.certificate), key: readFileSync(c.key),
        // RFC 7858 §3.2: the ALPN id "dot" (RFC 8310 registers it); clients may omit ALPN.
        ALPNProtocols: ['dot'],
        minVersion: 'TLSv1.2' as const,
        ...(c.clientCa !== undefined ? { ca: readFileSync(c.clientCa), requestCert: true, rejectUnauthorized: c.requireClientCertificate } : {}),
      }
    } catch (e) {
      throw new ServerError('ERR_SERVER_CONFIG', `listeners.dot: cannot read certificate or key: ${(e as Error).message}`, { cause: e })
    }
    if (c.crl !== undefined && c.clientCa !== undefined) {
      // node:tls checks client certificates against `crl`; a changed file gets a new secure context.
      this.#crl = new CrlWatch(c.crl, 'listeners.dot.crl', (crls) => {
        this.#srv?.setSecureContext({ ...opts, crl: crls.pem })
        server.log.info({ listener: 'dot', crls: crls.pem.length }, 'CRL read again')
      }, (e) => server.log.error({ listener: 'dot', err: e.message }, 'CRL not read again; the previous one is still used'))
      opts = { ...opts, crl: this.#crl.current.pem }
    }
    const srv = createServer(opts, (sock) => server.serveStream(sock, 'dot'))
    srv.on('tlsClientError', () => { server.counters.tcpRejected++ })
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject)
      srv.listen(c.port, c.address, () => { srv.off('error', reject); resolve() })
    }).catch((e: unknown) => { this.#crl?.close(); throw new ServerError('ERR_SERVER_BIND', `DoT ${c.address}:${c.port}: ${(e as Error).message}`, { cause: e }) })
    this.#srv = srv
    const a = srv.address()
    return { kind: 'dot', address: typeof a === 'object' && a ? a.address : c.address, port: typeof a === 'object' && a ? a.port : c.port }
  }

  /** Close the listener. */
  async stop(): Promise<void> {
    this.#crl?.close()
    const s = this.#srv
    if (s === undefined) return
    await new Promise<void>((r) => s.close(() => r()))
  }
}
