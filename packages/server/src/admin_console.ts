/**
 * The web console on the admin listener: login sessions (HttpOnly, SameSite=Strict cookie
 * from the bearer token), CSRF protection for browser requests, the audit log of admin
 * changes, the console's read-only JSON endpoints (`/console/api/…`) and its static files.
 * Changes themselves go through the admin API's own endpoints (`/trust-anchors`, `/reload`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { CONSOLE_PREFIX, loadConsoleAssets, type ConsoleAsset } from '@secdns/console'
import { Name, RRType, rdataToText, rrTypeFromString, rrTypeToString, type Dnskey, type Nsec3Param, type Rrsig } from '@secdns/wire'
import { algorithmToString, dnskeyRdata, dsOfDnskey, fromRrsigTime, keyTagOfRdata } from '@secdns/dnssec'
import { fetchDnskeys, parseServer } from '@secdns/resolver'
import type { DnsServer } from './server.js'
import { ServerError } from './errors.js'
import type { ServedZone } from './served_zone.js'
import type { ChannelListener } from './channel_listener.js'

/** Who made an authenticated request. */
export type AdminActor =
  | { readonly via: 'token' }
  | { readonly via: 'certificate', readonly subject: string, readonly fingerprint: string }
  | { readonly via: 'session', readonly session: ConsoleSession }

/** A console login. */
export interface ConsoleSession {
  readonly id: string
  readonly csrf: string
  readonly created: number
  lastSeen: number
}

/** A console session ends this long after login, whatever happens (ms). */
export const SESSION_TTL_MS = 8 * 3600_000
/** … or after this long without a request (ms). */
export const SESSION_IDLE_MS = 3600_000
/** Sessions kept at most; the oldest goes first. */
export const MAX_SESSIONS = 64
/** Failed logins accepted per minute before the login form answers 429. */
export const MAX_LOGIN_FAILURES_PER_MINUTE = 10
/** A signature expiring sooner than this is flagged on the zones page (seconds). */
export const EXPIRY_WARNING_SECONDS = 7 * 86400
/** Largest number of records one page of the records view returns. */
export const MAX_RECORDS_PAGE = 2000
/** Audit entries the audit endpoint returns at most. */
export const MAX_AUDIT_ENTRIES = 1000

/** The header a browser sends the CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token'

/**
 * Security headers on every admin response: no framing, no sniffing, a CSP without inline
 * script or style, nothing cached.
 */
export function setSecurityHeaders(res: ServerResponse, https: boolean): void {
  res.setHeader('content-security-policy', "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
  res.setHeader('x-frame-options', 'DENY')
  res.setHeader('x-content-type-options', 'nosniff')
  // Not no-referrer: Chromium then sends "Origin: null" on form posts, and the login form checks Origin.
  res.setHeader('referrer-policy', 'same-origin')
  res.setHeader('cross-origin-opener-policy', 'same-origin')
  res.setHeader('cross-origin-resource-policy', 'same-origin')
  res.setHeader('cache-control', 'no-store')
  if (https) res.setHeader('strict-transport-security', 'max-age=31536000')
}

/** Send JSON. */
export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body) + '\n')
}

/** One line of the audit log. */
export interface AuditEntry {
  readonly time: string
  readonly actor: string
  readonly address: string
  readonly action: string
  readonly method: string
  readonly path: string
  readonly status: number
  readonly ok: boolean
  readonly detail?: unknown
}

/**
 * The audit log: JSON lines appended to a file (mode 0600, O_APPEND so each line lands
 * whole), and the latest entries in memory when no file is configured.
 */
export class AuditLog {
  readonly file: string | undefined
  readonly #recent: AuditEntry[] = []
  #queue: Promise<void> = Promise.resolve()

  /** @param file the JSON-lines file, or undefined to keep entries in memory only */
  constructor(file: string | undefined) { this.file = file }

  /** Append one entry (one change at a time, in order). */
  append(entry: AuditEntry): Promise<void> {
    this.#recent.push(entry)
    if (this.#recent.length > MAX_AUDIT_ENTRIES) this.#recent.shift()
    const file = this.file
    if (file === undefined) return Promise.resolve()
    const line = JSON.stringify(entry) + '\n'
    const p = this.#queue.then(async () => {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 })
      await appendFile(file, line, { mode: 0o600, flag: 'a' })
    })
    this.#queue = p.catch(() => undefined)
    return p
  }

  /** The latest entries, newest last (from the file when there is one). */
  async entries(limit = MAX_AUDIT_ENTRIES): Promise<AuditEntry[]> {
    if (this.file === undefined) return this.#recent.slice(-limit)
    await this.#queue
    let text: string
    try { text = await readFile(this.file, 'utf8') } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw e
    }
    const out: AuditEntry[] = []
    for (const line of text.split('\n').slice(-limit - 1)) {
      if (line.trim() === '') continue
      try { out.push(JSON.parse(line) as AuditEntry) } catch { /* a torn or hand-edited line is skipped */ }
    }
    return out.slice(-limit)
  }
}

/** Text for the audit log's actor field. */
export function actorName(a: AdminActor): string {
  if (a.via === 'token') return 'bearer token'
  if (a.via === 'certificate') return `certificate ${a.subject}`
  return `console session ${a.session.id.slice(0, 8)} (token login)`
}

function parseCookies(h: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (h === undefined) return out
  for (const part of h.split(';')) {
    const i = part.indexOf('=')
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim())
  }
  return out
}

function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest()
  const y = createHash('sha256').update(b).digest()
  return timingSafeEqual(x, y)
}

interface ZoneSummary {
  readonly denial: 'NSEC' | 'NSEC3' | null
  readonly nsec3?: { iterations: number, salt: string, optOut: boolean }
  readonly algorithms: { number: number, name: string }[]
  readonly keys: { keyTag: number, flags: number, role: 'KSK' | 'ZSK', algorithm: number, algorithmName: string, state: string, signs: string[] }[]
  readonly ds: string[]
  readonly records: number
  readonly rrsigs: number
  readonly earliest?: { expiration: number, owner: string, type: string, keyTag: number }
  readonly orphanSignatures: number[]
}

/** What the zones page shows of a zone; computed once per loaded zone (zones are immutable). */
function summarize(z: ServedZone): ZoneSummary {
  const zone = z.zone
  const origin = zone.origin
  const apexKeys = (zone.rrset(origin, RRType.DNSKEY)?.rdata ?? []) as Dnskey[]
  const now = Math.floor(Date.now() / 1000)
  const signsByTag = new Map<number, Set<string>>()
  let records = 0, rrsigs = 0
  let earliest: ZoneSummary['earliest']
  for (const node of zone.nodes()) {
    for (const set of node.rrsets.values()) {
      records += set.rdata.length
      if (set.type !== RRType.RRSIG) continue
      for (const d of set.rdata as Rrsig[]) {
        if ((d as { data?: unknown }).data !== undefined) continue
        rrsigs++
        let s = signsByTag.get(d.keyTag)
        if (s === undefined) signsByTag.set(d.keyTag, s = new Set())
        s.add(rrTypeToString(d.typeCovered))
        const exp = fromRrsigTime(d.expiration, now)
        if (earliest === undefined || exp < earliest.expiration) earliest = { expiration: exp, owner: node.name.toString(), type: rrTypeToString(d.typeCovered), keyTag: d.keyTag }
      }
    }
  }
  const keys = apexKeys.filter((k) => (k as { data?: unknown }).data === undefined).map((k) => {
    const keyTag = keyTagOfRdata(dnskeyRdata(k.flags, k.algorithm, k.publicKey))
    const signs = [...(signsByTag.get(keyTag) ?? [])].sort()
    // The state as the zone shows it (RFC 7583 §3.1): revoked (RFC 5011 REVOKE bit), signing
    // (active), or in the DNSKEY RRset without signing: a successor pre-published or a
    // predecessor retired but not yet removed.
    const state = (k.flags & 0x80) !== 0 ? 'revoked' : signs.length > 0 ? 'active' : 'published, not signing'
    return { keyTag, flags: k.flags, role: (k.flags & 1) === 1 ? 'KSK' as const : 'ZSK' as const, algorithm: k.algorithm, algorithmName: algorithmToString(k.algorithm), state, signs }
  })
  const algs = [...new Set(keys.map((k) => k.algorithm))].sort((a, b) => a - b)
  const ds = apexKeys.filter((k) => (k.flags & 1) === 1 && (k.flags & 0x80) === 0 && (k as { data?: unknown }).data === undefined).map((k) => {
    const d = dsOfDnskey(origin, k, 2)
    // The digest in one piece, as `dnssec-dsfromkey -2` prints it, ready to paste.
    return `${origin.toString()} IN DS ${d.keyTag} ${d.algorithm} ${d.digestType} ${Buffer.from(d.digest).toString('hex').toUpperCase()}`
  })
  const p = z.nsec3Param as Nsec3Param | undefined
  const hasNsec = zone.rrset(origin, RRType.NSEC) !== undefined
  const tags = new Set(keys.map((k) => k.keyTag))
  return {
    denial: z.usesNsec3 ? 'NSEC3' : hasNsec ? 'NSEC' : null,
    ...(p !== undefined && z.usesNsec3 ? { nsec3: { iterations: p.iterations, salt: p.salt.length === 0 ? '-' : Buffer.from(p.salt).toString('hex').toUpperCase(), optOut: (p.flags & 1) === 1 } } : {}),
    algorithms: algs.map((a) => ({ number: a, name: algorithmToString(a) })),
    keys, ds, records, rrsigs,
    ...(earliest === undefined ? {} : { earliest }),
    orphanSignatures: [...signsByTag.keys()].filter((t) => !tags.has(t)).sort((a, b) => a - b),
  }
}

/** Options of {@link AdminConsole}. */
export interface AdminConsoleOptions {
  readonly server: DnsServer
  readonly https: boolean
  /** sha256 of the admin token; undefined when only certificates log in. */
  readonly tokenDigest: Buffer | undefined
  readonly audit: AuditLog
  readonly channels: readonly ChannelListener[]
}

/** The console: sessions, CSRF, static files and read-only JSON views. */
export class AdminConsole {
  readonly #o: AdminConsoleOptions
  readonly #sessions = new Map<string, ConsoleSession>()
  readonly #certSecret = randomBytes(32)
  readonly #assets: Map<string, ConsoleAsset>
  readonly #summaries = new WeakMap<ServedZone, ZoneSummary>()
  #failures: number[] = []
  readonly #cookie: string

  /** @param o the server, its token digest, the audit log and channel listeners */
  constructor(o: AdminConsoleOptions) {
    this.#o = o
    try {
      this.#assets = loadConsoleAssets()
    } catch (e) {
      throw new ServerError('ERR_SERVER_CONFIG', `listeners.admin: the web console's files cannot be read (is @secdns/console built? run "npm run build"): ${(e as Error).message}`, { cause: e })
    }
    // RFC 6265bis §4.1.3.2: a __Host- cookie must be Secure, host-only and Path=/.
    this.#cookie = o.https ? '__Host-secdns-console' : 'secdns-console'
  }

  /** The audit log. */
  get audit(): AuditLog { return this.#o.audit }

  /** The session a request's cookie names, when it is still valid. */
  session(req: IncomingMessage): ConsoleSession | undefined {
    const id = parseCookies(req.headers.cookie).get(this.#cookie)
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined
    const s = this.#sessions.get(id)
    if (s === undefined) return undefined
    const now = Date.now()
    if (now - s.created > SESSION_TTL_MS || now - s.lastSeen > SESSION_IDLE_MS) { this.#sessions.delete(id); return undefined }
    s.lastSeen = now
    return s
  }

  /** The CSRF token a browser must send with changes. */
  csrfToken(a: AdminActor): string | undefined {
    if (a.via === 'session') return a.session.csrf
    if (a.via === 'certificate') return createHmac('sha256', this.#certSecret).update(a.fingerprint).digest('base64url')
    return undefined
  }

  /**
   * Why a change request must be refused as a possible cross-site request forgery, or
   * undefined when it may go on. A bearer token is never sent by a browser on its own, so
   * token requests pass; a session cookie always needs the CSRF header and a same-origin
   * Origin; a client certificate (which a browser also presents on its own) needs them
   * whenever the request comes from a browser (Origin or Sec-Fetch-* present).
   */
  csrfProblem(req: IncomingMessage, a: AdminActor): string | undefined {
    if (a.via === 'token') return undefined
    const origin = req.headers.origin
    const fromBrowser = origin !== undefined || req.headers['sec-fetch-site'] !== undefined || req.headers['sec-fetch-mode'] !== undefined
    if (a.via === 'certificate' && !fromBrowser) return undefined
    const self = `${this.#o.https ? 'https' : 'http'}://${req.headers.host ?? ''}`
    if (origin === undefined) return 'the request has no Origin header'
    if (origin !== self) return `Origin ${origin} is not ${self}`
    const site = req.headers['sec-fetch-site']
    if (site !== undefined && site !== 'same-origin') return `Sec-Fetch-Site is ${String(site)}, not same-origin`
    const sent = req.headers[CSRF_HEADER]
    const want = this.csrfToken(a)
    if (typeof sent !== 'string' || sent === '') return `the ${CSRF_HEADER} header is missing`
    if (want === undefined || !sameSecret(sent, want)) return `the ${CSRF_HEADER} header does not match this session`
    return undefined
  }

  /**
   * Serve a console request (pages, files, login/logout, `/console/api/…`, `/audit`).
   * @returns false when the path is not the console's
   */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, actor: AdminActor | undefined): boolean {
    const p = url.pathname
    if (p === '/') { this.#redirect(res, CONSOLE_PREFIX); return true }
    if (p === '/audit') {
      if (actor === undefined) { sendJson(res, 401, { error: 'unauthorized' }); return true }
      if (req.method !== 'GET') { sendJson(res, 405, { error: `${req.method} is not allowed on /audit` }); return true }
      this.#auditView(res, url).catch((e: unknown) => sendJson(res, 500, { error: (e as Error).message }))
      return true
    }
    if (p === '/console') { this.#redirect(res, CONSOLE_PREFIX); return true }
    if (!p.startsWith(CONSOLE_PREFIX)) return false
    const rest = p.slice(CONSOLE_PREFIX.length)
    if (rest === 'login') {
      if (req.method === 'GET') { actor !== undefined ? this.#redirect(res, CONSOLE_PREFIX) : this.#file(req, res, 'login.html'); return true }
      if (req.method === 'POST') { this.#login(req, res).catch((e: unknown) => sendJson(res, 500, { error: (e as Error).message })); return true }
      sendJson(res, 405, { error: `${req.method} is not allowed on ${p}` })
      return true
    }
    // Files anyone may fetch: what the login page needs.
    if (req.method === 'GET' && (rest === 'console.css' || rest === 'icon.svg' || rest === 'login.js')) { this.#file(req, res, rest); return true }
    if (actor === undefined) {
      if (req.method === 'GET' && (rest === '' || rest.endsWith('.html'))) this.#redirect(res, `${CONSOLE_PREFIX}login`)
      else sendJson(res, 401, { error: 'unauthorized' })
      return true
    }
    if (rest === 'logout') {
      if (req.method !== 'POST') { sendJson(res, 405, { error: `${req.method} is not allowed on ${p}` }); return true }
      const problem = this.csrfProblem(req, actor)
      if (problem !== undefined) { sendJson(res, 403, { error: `refused: ${problem}`, code: 'ERR_SERVER_CSRF' }); return true }
      if (actor.via === 'session') this.#sessions.delete(actor.session.id)
      res.setHeader('set-cookie', `${this.#cookie}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.#o.https ? '; Secure' : ''}`)
      this.audit.append(this.#entry(req, actor, 'logout', 200, true)).catch((e: unknown) => this.#o.server.log.error({ err: (e as Error).message }, 'audit log write failed')).finally(() => sendJson(res, 200, { ok: true }))
      return true
    }
    if (rest.startsWith('api/')) {
      if (req.method !== 'GET') { sendJson(res, 405, { error: `${req.method} is not allowed on ${p}` }); return true }
      this.#api(rest.slice(4), url, actor, res).catch((e: unknown) => sendJson(res, 500, { error: (e as Error).message, code: (e as { code?: string }).code }))
      return true
    }
    if (req.method !== 'GET') { sendJson(res, 405, { error: `${req.method} is not allowed on ${p}` }); return true }
    this.#file(req, res, rest === '' ? 'index.html' : rest)
    return true
  }

  #redirect(res: ServerResponse, to: string): void {
    res.writeHead(303, { location: to, 'content-type': 'text/plain' })
    res.end(`see ${to}\n`)
  }

  #file(req: IncomingMessage, res: ServerResponse, name: string): void {
    const a = this.#assets.get(name)
    if (a === undefined) { sendJson(res, 404, { error: `no such file: ${CONSOLE_PREFIX}${name}` }); return }
    if (req.headers['if-none-match'] === a.etag) { res.writeHead(304, { etag: a.etag }); res.end(); return }
    // Files may be revalidated but not stored beyond the session (cache-control no-store is set already for pages).
    res.writeHead(200, { 'content-type': a.contentType, 'content-length': a.body.length, etag: a.etag })
    res.end(a.body)
  }

  #entry(req: IncomingMessage, actor: AdminActor | string, action: string, status: number, ok: boolean, detail?: unknown): AuditEntry {
    return {
      time: new Date().toISOString(), actor: typeof actor === 'string' ? actor : actorName(actor), address: req.socket.remoteAddress ?? '',
      action, method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, status, ok, ...(detail === undefined ? {} : { detail }),
    }
  }

  /** An audit entry for a change request the admin API answered. */
  changeEntry(req: IncomingMessage, actor: AdminActor, url: URL, status: number, body: unknown): AuditEntry {
    const p = url.pathname
    const action = p.startsWith('/trust-anchors') ? (req.method === 'DELETE' ? 'trust-anchor.remove' : 'trust-anchor.add')
      : p.startsWith('/reload') ? 'reload' : p.startsWith('/refresh') ? 'refresh' : 'change'
    let detail = body
    if (JSON.stringify(body).length > 8192) detail = { truncated: true }
    const q = url.search === '' ? undefined : url.search
    return this.#entry(req, actor, action, status, status >= 200 && status < 300, q === undefined ? detail : { query: q, response: detail })
  }

  async #login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const self = `${this.#o.https ? 'https' : 'http'}://${req.headers.host ?? ''}`
    if (req.headers.origin !== self) { sendJson(res, 403, { error: `refused: Origin ${req.headers.origin ?? '(none)'} is not ${self}`, code: 'ERR_SERVER_CSRF' }); return }
    const now = Date.now()
    this.#failures = this.#failures.filter((t) => now - t < 60_000)
    if (this.#failures.length >= MAX_LOGIN_FAILURES_PER_MINUTE) { sendJson(res, 429, { error: 'too many failed logins; wait a minute' }); return }
    const body = await readSmallBody(req, 4096)
    const token = new URLSearchParams(body).get('token')?.trim() ?? ''
    const digest = createHash('sha256').update(token).digest()
    if (this.#o.tokenDigest === undefined || token === '' || !timingSafeEqual(digest, this.#o.tokenDigest)) {
      this.#failures.push(now)
      await this.audit.append(this.#entry(req, 'anonymous', 'login', 303, false, { reason: this.#o.tokenDigest === undefined ? 'token login is not configured' : 'wrong token' }))
      this.#redirect(res, `${CONSOLE_PREFIX}login?failed=1`)
      return
    }
    while (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!)
    const s: ConsoleSession = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), created: now, lastSeen: now }
    this.#sessions.set(s.id, s)
    res.setHeader('set-cookie', `${this.#cookie}=${s.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${this.#o.https ? '; Secure' : ''}`)
    await this.audit.append(this.#entry(req, { via: 'session', session: s }, 'login', 303, true))
    this.#redirect(res, CONSOLE_PREFIX)
  }

  async #auditView(res: ServerResponse, url: URL): Promise<void> {
    const n = Number(url.searchParams.get('limit') ?? MAX_AUDIT_ENTRIES)
    const limit = Number.isInteger(n) && n > 0 ? Math.min(n, MAX_AUDIT_ENTRIES) : MAX_AUDIT_ENTRIES
    sendJson(res, 200, { file: this.audit.file ?? null, entries: await this.audit.entries(limit) })
  }

  async #api(what: string, url: URL, actor: AdminActor, res: ServerResponse): Promise<void> {
    const server = this.#o.server
    if (what === 'session') {
      sendJson(res, 200, { actor: actorName(actor), via: actor.via, csrf: this.csrfToken(actor) ?? null, canLogout: actor.via === 'session' })
      return
    }
    if (what === 'status') { sendJson(res, 200, this.#status()); return }
    if (what === 'zones') {
      const st = server.status()
      const now = Math.floor(Date.now() / 1000)
      const zones = st.zones.map((z) => {
        const served = server.zones.get(Name.fromString(z.name.endsWith('.') ? z.name : z.name + '.'))
        if (served === undefined) return { ...z, signed: false }
        let s = this.#summaries.get(served)
        if (s === undefined) this.#summaries.set(served, s = summarize(served))
        const left = s.earliest === undefined ? undefined : s.earliest.expiration - now
        const warning = left === undefined ? undefined : left <= 0 ? `a signature has expired (${s.earliest!.owner} ${s.earliest!.type})` : left < EXPIRY_WARNING_SECONDS ? `a signature expires in ${formatSeconds(left)} (${s.earliest!.owner} ${s.earliest!.type}); re-sign the zone` : undefined
        return {
          ...z, ...s,
          ...(s.earliest === undefined ? {} : { earliest: { ...s.earliest, expiration: new Date(s.earliest.expiration * 1000).toISOString(), secondsLeft: left } }),
          ...(warning === undefined ? {} : { warning }),
        }
      })
      sendJson(res, 200, { zones, warnAfterSeconds: EXPIRY_WARNING_SECONDS })
      return
    }
    const rm = /^zones\/([^/]+)\/records$/.exec(what)
    if (rm) { this.#records(decodeURIComponent(rm[1]!), url, res); return }
    if (what === 'dnskey') { await this.#fetchKeys(url, res); return }
    sendJson(res, 404, { error: `no such endpoint: GET ${url.pathname}` })
  }

  #records(zoneName: string, url: URL, res: ServerResponse): void {
    let origin: Name
    try { origin = Name.fromString(zoneName.endsWith('.') ? zoneName : zoneName + '.') } catch (e) { sendJson(res, 400, { error: (e as Error).message }); return }
    const served = this.#o.server.zones.get(origin)
    if (served === undefined) { sendJson(res, 404, { error: `no zone ${zoneName} is served here`, code: 'ERR_SERVER_UNKNOWN_ZONE' }); return }
    const typeText = url.searchParams.get('type')
    let type: number | undefined
    if (typeText !== null && typeText !== '') {
      try { type = rrTypeFromString(typeText.toUpperCase()) } catch { sendJson(res, 400, { error: `unknown type "${typeText}"` }); return }
    }
    const nameFilter = (url.searchParams.get('name') ?? '').toLowerCase()
    const off = Number(url.searchParams.get('offset') ?? 0)
    const lim = Number(url.searchParams.get('limit') ?? 500)
    const offset = Number.isInteger(off) && off >= 0 ? off : 0
    const limit = Number.isInteger(lim) && lim > 0 ? Math.min(lim, MAX_RECORDS_PAGE) : 500
    const out: { name: string, ttl: number, type: string, rdata: string, covers?: string }[] = []
    let total = 0
    for (const node of served.zone.nodes()) {
      if (nameFilter === '' && (total < offset || out.length >= limit)) {
        // Outside the page: count without making any text (a large zone has 10^5 nodes).
        const n = type === undefined ? countAll(node.rrsets) : type === RRType.RRSIG ? (node.rrsets.get(RRType.RRSIG)?.rdata.length ?? 0) : (node.rrsets.get(type)?.rdata.length ?? 0)
        if (total + n <= offset || out.length >= limit) { total += n; continue }
      }
      const owner = node.name.toString()
      if (nameFilter !== '' && !owner.toLowerCase().includes(nameFilter)) continue
      const sets = [...node.rrsets.values()].filter((s) => s.type !== RRType.RRSIG)
        .sort((a, b) => (a.type === RRType.SOA ? -1 : b.type === RRType.SOA ? 1 : a.type - b.type))
      const sigs = node.rrsets.get(RRType.RRSIG)
      const emit = (t: number, ttl: number, rdata: string, covers?: number): void => {
        if (type !== undefined && t !== type) return
        if (total >= offset && out.length < limit) out.push({ name: owner, ttl, type: rrTypeToString(t), rdata, ...(covers === undefined ? {} : { covers: rrTypeToString(covers) }) })
        total++
      }
      for (const set of sets) {
        for (const d of set.rdata) emit(set.type, set.ttl, rdataToText(d))
        // Each RRset's signatures right after it, as dig +dnssec shows them.
        for (const d of (sigs?.rdata ?? []) as Rrsig[]) if (d.typeCovered === set.type) emit(RRType.RRSIG, set.ttl, rdataToText(d), d.typeCovered)
      }
      for (const d of (sigs?.rdata ?? []) as Rrsig[]) if (!node.rrsets.has(d.typeCovered)) emit(RRType.RRSIG, sigs!.ttl, rdataToText(d), d.typeCovered)
    }
    sendJson(res, 200, { zone: origin.toString(), signed: served.signed, serial: served.serial, total, offset, limit, records: out })
  }

  async #fetchKeys(url: URL, res: ServerResponse): Promise<void> {
    const zoneText = (url.searchParams.get('zone') ?? '').trim()
    if (zoneText === '') { sendJson(res, 400, { error: 'zone= is required' }); return }
    let zone: Name
    try { zone = Name.fromString(zoneText.endsWith('.') ? zoneText : zoneText + '.') } catch (e) { sendJson(res, 400, { error: `zone: ${(e as Error).message}` }); return }
    let serverText = (url.searchParams.get('server') ?? '').trim()
    if (serverText === '') {
      // Our own DNS listener: it answers for our zones and recurses for the admin's host.
      const udp = this.#o.server.listeners.find((l) => l.kind === 'udp')
      if (udp === undefined) { sendJson(res, 400, { error: 'this server has no UDP listener to ask; give server=<address[:port]>' }); return }
      const host = udp.address === '0.0.0.0' ? '127.0.0.1' : udp.address === '::' ? '::1' : udp.address
      serverText = host.includes(':') ? `[${host}]:${udp.port}` : `${host}:${udp.port}`
    }
    let target
    try { target = parseServer(serverText) } catch (e) { sendJson(res, 400, { error: `server: ${(e as Error).message}` }); return }
    try {
      const f = await fetchDnskeys(zone, target, { timeoutMs: 3000 })
      sendJson(res, 200, {
        zone: zone.toString(), server: serverText, selfSigned: f.selfSigned,
        keys: f.keys.map((k) => ({
          keyTag: k.keyTag, flags: k.record.data.flags, sep: k.sep, algorithm: k.record.data.algorithm, algorithmName: algorithmToString(k.record.data.algorithm),
          dsSha256: k.dsSha256, record: `${zone.toString()} ${k.record.ttl} IN DNSKEY ${rdataToText(k.record.data)}`,
        })),
      })
    } catch (e) {
      sendJson(res, 502, { error: (e as Error).message, code: (e as { code?: string }).code })
    }
  }

  #status(): unknown {
    const server = this.#o.server
    const st = server.status()
    const rec = server.recursor
    return {
      ...st,
      channels: this.#o.channels.map((c) => ({
        stats: c.stats ?? null,
        sessions: c.sessions().map((s) => ({
          sessionId: s.sessionId, address: s.address, subject: s.subject, issuer: s.issuer, transform: s.transform, group: s.group, prf: s.prf,
          encrypted: s.transform !== 'AES-GMAC', establishedAt: s.establishedAt.toISOString(), rekeys: s.rekeys,
        })),
      })),
      recursion: rec === undefined ? null : { validation: rec.stats ?? null, trustAnchors: rec.anchors?.list().length ?? null },
    }
  }
}

function countAll(sets: ReadonlyMap<number, { readonly rdata: readonly unknown[] }>): number {
  let n = 0
  for (const set of sets.values()) n += set.rdata.length
  return n
}

function formatSeconds(s: number): string {
  if (s >= 86400) return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.max(0, Math.floor(s / 60))} min`
}

function readSmallBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) { reject(new Error(`request body larger than ${max} bytes`)); req.destroy(); return }
      parts.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
    req.on('error', reject)
  })
}
