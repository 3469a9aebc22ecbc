/**
 * The admin API: `GET /status`, `POST /reload` and `POST /reload/<zone>`, as JSON.
 * Never open: a bearer token read from a file that only its owner may read (0600), or
 * an admin client certificate from our CA (HTTPS with the secdns Administrator EKU).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { readFileSync, statSync } from 'node:fs'
import { timingSafeEqual, createHash } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import { OID_SECDNS_ADMIN } from '@secdns/pki'
import { ServerError } from './errors.js'
import type { BoundListener, DnsServer, ListenerPlugin } from './server.js'

type AdminConfig = NonNullable<DnsServer['config']['listeners']['admin']>

/**
 * Read the admin token file; refuses a file that group or others can read.
 * @param file the token file
 * @throws {ServerError} ERR_SERVER_CONFIG
 */
export function readTokenFile(file: string): string {
  let st
  try { st = statSync(file) } catch (e) { throw new ServerError('ERR_SERVER_CONFIG', `listeners.admin.tokenFile: cannot read ${file}: ${(e as Error).message}`, { cause: e }) }
  if ((st.mode & 0o077) !== 0) {
    throw new ServerError('ERR_SERVER_CONFIG', `listeners.admin.tokenFile: ${file} has mode ${(st.mode & 0o777).toString(8)}; it must be 0600 (readable by its owner only)`)
  }
  const token = readFileSync(file, 'utf8').trim()
  if (token.length < 16) throw new ServerError('ERR_SERVER_CONFIG', `listeners.admin.tokenFile: the token in ${file} is shorter than 16 characters`)
  return token
}

function digest(s: string): Buffer { return createHash('sha256').update(s).digest() }

/**
 * The admin API as a listener of the server.
 *
 * @example
 * server.use(new AdminApi(config.listeners.admin))
 */
export class AdminApi implements ListenerPlugin {
  readonly kind = 'admin' as const
  readonly #cfg: AdminConfig
  #http: Server | undefined
  #token: Buffer | undefined

  /** @param cfg the `listeners.admin` configuration */
  constructor(cfg: AdminConfig) {
    this.#cfg = cfg
  }

  #authorized(req: IncomingMessage): boolean {
    const sock = req.socket as TLSSocket
    if (this.#cfg.clientCa !== undefined && typeof sock.getPeerX509Certificate === 'function' && sock.authorized) {
      const cert = sock.getPeerX509Certificate()
      const ekus = cert?.keyUsage ?? []
      if (ekus.includes(OID_SECDNS_ADMIN)) return true
    }
    const h = req.headers.authorization
    if (this.#token !== undefined && typeof h === 'string' && h.startsWith('Bearer ')) {
      return timingSafeEqual(digest(h.slice(7).trim()), this.#token)
    }
    return false
  }

  /** Bind the API. */
  async start(server: DnsServer): Promise<BoundListener> {
    const cfg = this.#cfg
    if (cfg.tokenFile !== undefined) this.#token = digest(readTokenFile(cfg.tokenFile))
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      const send = (code: number, body: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body) + '\n')
      }
      if (!this.#authorized(req)) { send(401, { error: 'unauthorized' }); return }
      const url = new URL(req.url ?? '/', 'http://admin')
      try {
        if (req.method === 'GET' && url.pathname === '/status') { send(200, server.status()); return }
        const m = /^\/reload(?:\/([^/]+))?$/.exec(url.pathname)
        if (req.method === 'POST' && m) {
          const results = server.reload(m[1] === undefined ? undefined : decodeURIComponent(m[1]))
          send(results.every((r) => r.ok) ? 200 : 422, { results })
          return
        }
        send(404, { error: `no such endpoint: ${req.method} ${url.pathname}` })
      } catch (e) {
        const code = (e as ServerError).code === 'ERR_SERVER_UNKNOWN_ZONE' ? 404 : 500
        send(code, { error: (e as Error).message, code: (e as ServerError).code })
      }
    }
    const srv = cfg.certificate !== undefined && cfg.key !== undefined
      ? createHttpsServer({
        cert: readFileSync(cfg.certificate), key: readFileSync(cfg.key),
        ...(cfg.clientCa !== undefined ? { ca: readFileSync(cfg.clientCa), requestCert: true, rejectUnauthorized: false } : {}),
      }, handler)
      : createHttpServer(handler)
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject)
      srv.listen(cfg.port, cfg.address, () => { srv.off('error', reject); resolve() })
    }).catch((e: unknown) => { throw new ServerError('ERR_SERVER_BIND', `admin ${cfg.address}:${cfg.port}: ${(e as Error).message}`, { cause: e }) })
    this.#http = srv
    const a = srv.address()
    return { kind: 'admin', address: typeof a === 'object' && a ? a.address : cfg.address, port: typeof a === 'object' && a ? a.port : cfg.port }
  }

  /** Close the API. */
  async stop(): Promise<void> {
    const s = this.#http
    if (s === undefined) return
    s.closeAllConnections()
    await new Promise<void>((r) => s.close(() => r()))
  }
}
