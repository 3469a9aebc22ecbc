/**
 * The admin API: `GET /status`, `POST /reload`, `POST /reload/<zone>`, `POST /refresh/<zone>`
 * (a secondary zone's SOA check and transfer now), and the
 * running resolver's trust anchors: `GET /trust-anchors`, `POST /trust-anchors`
 * (`{"records": "<DNSKEY/DS text>"}`) and `DELETE /trust-anchors/<zone>[?keyTag=&type=]`, as JSON.
 * Never open: a bearer token read from a file that only its owner may read (0600), or
 * an admin client certificate from our CA (HTTPS with the secdns Administrator EKU), or a
 * web-console session made by logging in with that token. Browser requests that change
 * anything need the console's CSRF token and a same-origin Origin; every change is written
 * to the audit log (`GET /audit`). The web console itself is under `/console/`.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { readFileSync, statSync } from 'node:fs'
import { timingSafeEqual, createHash } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import { OID_SECDNS_ADMIN } from '@secdns/pki'
import { RRType, rdataToText } from '@secdns/wire'
import { anchorKeyTag, parseAnchorText, ResolverError, type AnchorRecord } from '@secdns/resolver'
import { ServerError } from './errors.js'
import { CrlWatch } from './config.js'
import type { BoundListener, DnsServer, ListenerPlugin } from './server.js'
import { AdminConsole, AuditLog, setSecurityHeaders, type AdminActor } from './admin_console.js'
import type { ChannelListener } from './channel_listener.js'

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

/** Largest request body the admin API reads (a handful of DNSKEY records). */
export const MAX_ADMIN_BODY = 64 * 1024

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_ADMIN_BODY) { reject(new ServerError('ERR_SERVER_CONFIG', `request body larger than ${MAX_ADMIN_BODY} bytes`)); req.destroy(); return }
      parts.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
    req.on('error', reject)
  })
}

function anchorJson(a: { record: AnchorRecord, keyTag: number, line?: number }): Record<string, unknown> {
  const d = a.record.data
  return {
    zone: a.record.name.toString(), type: d.type === RRType.DS ? 'DS' : 'DNSKEY', keyTag: a.keyTag, algorithm: d.algorithm,
    rdata: rdataToText(d), ...(a.line === undefined || a.line === 0 ? {} : { line: a.line }),
  }
}

/** The `/trust-anchors` endpoints; false when the path is not one of them. */
async function trustAnchorEndpoint(server: DnsServer, req: IncomingMessage, url: URL, send: (code: number, body: unknown) => void): Promise<boolean> {
  const m = /^\/trust-anchors(?:\/([^/]+))?$/.exec(url.pathname)
  if (!m) return false
  const anchors = server.recursor?.anchors
  if (anchors === undefined) { send(409, { error: 'the server has no validating resolver with a trust-anchor file (resolver.trustAnchors)', code: 'ERR_SERVER_CONFIG' }); return true }
  try {
    if (req.method === 'GET' && m[1] === undefined) { send(200, { anchors: anchors.list().map(anchorJson) }); return true }
    if (req.method === 'POST' && m[1] === undefined) {
      let body: { records?: unknown }
      try { body = JSON.parse(await readBody(req)) as { records?: unknown } } catch (e) { send(400, { error: `body: ${(e as Error).message}`, code: 'ERR_SERVER_CONFIG' }); return true }
      if (typeof body?.records !== 'string' || body.records.trim() === '') { send(400, { error: 'body: expected {"records": "<DNSKEY or DS records as text>"}', code: 'ERR_SERVER_CONFIG' }); return true }
      const records = parseAnchorText(body.records, '<request>').map((e) => e.record)
      if (records.length === 0) { send(400, { error: 'body.records holds no DNSKEY or DS record', code: 'ERR_SERVER_CONFIG' }); return true }
      const added = await anchors.add(records)
      send(200, { added: added.map((r) => anchorJson({ record: r, keyTag: anchorKeyTag(r) })), skipped: records.length - added.length })
      return true
    }
    if (req.method === 'DELETE' && m[1] !== undefined) {
      const zone = decodeURIComponent(m[1])
      const kt = url.searchParams.get('keyTag')
      const type = url.searchParams.get('type')?.toUpperCase()
      const keyTag = kt === null ? undefined : Number(kt)
      if (keyTag !== undefined && (!Number.isInteger(keyTag) || keyTag < 0 || keyTag > 65535)) { send(400, { error: `keyTag "${kt}" must be 0…65535`, code: 'ERR_SERVER_CONFIG' }); return true }
      if (type !== undefined && type !== 'DNSKEY' && type !== 'DS') { send(400, { error: `type "${type}" must be DNSKEY or DS`, code: 'ERR_SERVER_CONFIG' }); return true }
      const gone = await anchors.remove({ zone: zone.endsWith('.') ? zone : zone + '.', ...(keyTag === undefined ? {} : { keyTag }), ...(type === undefined ? {} : { type }) })
      if (gone.length === 0) { send(404, { error: `no trust anchor for ${zone}`, code: 'ERR_RESOLVER_ANCHOR_NOT_FOUND' }); return true }
      send(200, { removed: gone.map(anchorJson) })
      return true
    }
    send(405, { error: `${req.method} is not allowed on ${url.pathname}` })
  } catch (e) {
    const err = e as ResolverError
    send(e instanceof ResolverError && err.code !== 'ERR_RESOLVER_ANCHOR_FILE' ? 400 : 500, { error: err.message, code: err.code })
  }
  return true
}


/**
 * The admin API as a listener of the server.
 *
 * @example
 * server.use(new AdminApi(config.listeners.admin))
 */
export class AdminApi implements ListenerPlugin {
  readonly kind = 'admin' as const
  readonly #cfg: AdminConfig
  readonly #channels: readonly ChannelListener[]
  #http: Server | undefined
  #token: Buffer | undefined
  #console: AdminConsole | undefined
  #crl: CrlWatch | undefined

  /**
   * @param cfg the `listeners.admin` configuration
   * @param opts the channel listeners whose sessions the console's status page lists
   */
  constructor(cfg: AdminConfig, opts: { channels?: readonly ChannelListener[] } = {}) {
    this.#cfg = cfg
    this.#channels = opts.channels ?? []
  }

  #actor(req: IncomingMessage): AdminActor | undefined {
    const sock = req.socket as TLSSocket
    if (this.#cfg.clientCa !== undefined && typeof sock.getPeerX509Certificate === 'function' && sock.authorized) {
      const cert = sock.getPeerX509Certificate()
      const ekus = cert?.keyUsage ?? []
      if (cert !== undefined && ekus.includes(OID_SECDNS_ADMIN)) return { via: 'certificate', subject: cert.subject.replace(/\n/g, ', '), fingerprint: cert.fingerprint256 }
    }
    const h = req.headers.authorization
    if (this.#token !== undefined && typeof h === 'string' && h.startsWith('Bearer ')) {
      return timingSafeEqual(digest(h.slice(7).trim()), this.#token) ? { via: 'token' } : undefined
    }
    const session = this.#console?.session(req)
    return session === undefined ? undefined : { via: 'session', session }
  }

  /** Bind the API. */
  async start(server: DnsServer): Promise<BoundListener> {
    const cfg = this.#cfg
    if (cfg.tokenFile !== undefined) this.#token = digest(readTokenFile(cfg.tokenFile))
    const https = cfg.certificate !== undefined && cfg.key !== undefined
    const auditFile = cfg.auditLog ?? (server.config.dataDir === undefined ? undefined : join(server.config.dataDir, 'admin-audit.jsonl'))
    const web = new AdminConsole({ server, https, tokenDigest: this.#token, audit: new AuditLog(auditFile), channels: this.#channels })
    this.#console = web
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      setSecurityHeaders(res, https)
      const reply = (code: number, body: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body) + '\n')
      }
      const url = new URL(req.url ?? '/', 'http://admin')
      const actor = this.#actor(req)
      if (web.handle(req, res, url, actor)) return
      if (actor === undefined) { reply(401, { error: 'unauthorized' }); return }
      let send = reply
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const problem = web.csrfProblem(req, actor)
        // Every change is audited, refusals included, before the answer goes out.
        send = (code, body) => { web.audit.append(web.changeEntry(req, actor, url, code, body)).catch((e: unknown) => server.log.error({ err: (e as Error).message, file: web.audit.file }, 'audit log write failed')).finally(() => reply(code, body)) }
        if (problem !== undefined) { send(403, { error: `refused: ${problem}`, code: 'ERR_SERVER_CSRF' }); return }
      }
      if (url.pathname.startsWith('/trust-anchors')) {
        trustAnchorEndpoint(server, req, url, send).then((handled) => { if (!handled) send(404, { error: `no such endpoint: ${req.method} ${url.pathname}` }) },
          (e: unknown) => send(500, { error: (e as Error).message }))
        return
      }
      try {
        if (req.method === 'GET' && url.pathname === '/status') {
          // The trust anchors' state beside the zones': a stale anchor is reported (issue 7 §1).
          const anchors = server.recursor?.anchors
          if (anchors === undefined) { send(200, server.status()); return }
          anchors.status().then((trustAnchors) => send(200, { ...server.status(), trustAnchors }), (e: unknown) => send(500, { error: (e as Error).message }))
          return
        }
        const m = /^\/reload(?:\/([^/]+))?$/.exec(url.pathname)
        if (req.method === 'POST' && m) {
          // A reload also reads changed CRL files at once (they are otherwise checked every second).
          if (m[1] === undefined) { this.#crl?.check(); for (const c of this.#channels) c.reloadCrl() }
          const results = server.reload(m[1] === undefined ? undefined : decodeURIComponent(m[1]))
          send(results.every((r) => r.ok) ? 200 : 422, { results })
          return
        }
        const r = /^\/refresh\/([^/]+)$/.exec(url.pathname)
        if (req.method === 'POST' && r) {
          // A secondary zone: SOA check and transfer from its primary now, not at the next timer.
          server.refreshSecondary(decodeURIComponent(r[1]!)).then((result) => send(result.ok ? 200 : 502, { results: [result] }), (e: unknown) => {
            send((e as ServerError).code === 'ERR_SERVER_UNKNOWN_ZONE' ? 404 : 500, { error: (e as Error).message, code: (e as ServerError).code })
          })
          return
        }
        send(404, { error: `no such endpoint: ${req.method} ${url.pathname}` })
      } catch (e) {
        const code = (e as ServerError).code === 'ERR_SERVER_UNKNOWN_ZONE' ? 404 : 500
        send(code, { error: (e as Error).message, code: (e as ServerError).code })
      }
    }
    const crl = cfg.crl !== undefined && cfg.clientCa !== undefined && cfg.certificate !== undefined && cfg.key !== undefined
      ? new CrlWatch(cfg.crl, 'listeners.admin.crl', (crls) => {
        (this.#http as HttpsServer | undefined)?.setSecureContext({ cert: readFileSync(cfg.certificate!), key: readFileSync(cfg.key!), ca: readFileSync(cfg.clientCa!), crl: crls.pem })
        server.log.info({ listener: 'admin', crls: crls.pem.length }, 'CRL read again')
      }, (e) => server.log.error({ listener: 'admin', err: e.message }, 'CRL not read again; the previous one is still used'))
      : undefined
    this.#crl = crl
    const srv = cfg.certificate !== undefined && cfg.key !== undefined
      ? createHttpsServer({
        cert: readFileSync(cfg.certificate), key: readFileSync(cfg.key),
        ...(cfg.clientCa !== undefined ? { ca: readFileSync(cfg.clientCa), requestCert: true, rejectUnauthorized: false } : {}),
        ...(crl !== undefined ? { crl: crl.current.pem } : {}),
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
    this.#crl?.close()
    const s = this.#http
    if (s === undefined) return
    s.closeAllConnections()
    await new Promise<void>((r) => s.close(() => r()))
  }
}
