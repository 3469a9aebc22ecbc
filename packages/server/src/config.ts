/**
 * The server configuration: a zod schema whose errors name the field, and a loader
 * that resolves relative paths against the configuration file's directory.
 *
 * Safe defaults (issue 6): recursion, transfers, NOTIFY and UPDATE are allowed to
 * nobody unless an ACL says otherwise; queries are answered for everyone.
 */
import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { isIP } from 'node:net'
import { z } from 'zod'
import { crlFileToPem } from '@secdns/pki'
import { ServerError } from './errors.js'
import { aclEntryProblem } from './acl.js'

const port = z.int().min(0).max(65535)
const address = z.string().refine((s) => isIP(s) !== 0, { message: 'expected an IPv4 or IPv6 address' })

/** One `address:port` socket to listen on. */
const socketSchema = z.strictObject({ address, port })

/**
 * CRL file(s), PEM or DER as `secdns ca crl` writes them: one path or a list. Read at start and
 * again whenever a file's mtime changes, so a new revocation takes effect without a restart.
 */
const crlField = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional()

const tlsFields = {
  /** PEM certificate chain of the server (a DNS-server certificate from our CA). */
  certificate: z.string().min(1),
  /** PEM private key of the server certificate. */
  key: z.string().min(1),
  /** PEM CA certificate(s) to check client certificates against. */
  clientCa: z.string().min(1).optional(),
  /** Reject clients without a certificate from `clientCa`. */
  requireClientCertificate: z.boolean().default(false),
  /** CRL(s) of `clientCa`: a revoked client certificate is refused. */
  crl: crlField,
}

const dotSchema = z.strictObject({ address, port, ...tlsFields }).refine((d) => !d.requireClientCertificate || d.clientCa !== undefined, {
  message: 'requireClientCertificate needs clientCa', path: ['clientCa'],
}).refine((d) => d.crl === undefined || d.clientCa !== undefined, { message: 'crl needs clientCa', path: ['crl'] })

const channelSchema = z.strictObject({
  address, port,
  certificate: z.string().min(1),
  key: z.string().min(1),
  /** CA certificates whose clients are accepted. */
  trustedCas: z.array(z.string().min(1)).min(1),
  /** CRL(s) of the trusted CAs: a revoked client certificate is refused (ERR_CHANNEL_PEER_REVOKED). */
  crl: crlField,
  /** Connection security rule: `require` encryption, `request` it (integrity accepted), or `none` (integrity only). */
  encryption: z.enum(['require', 'request', 'none']).default('require'),
  /** WebSocket path. */
  path: z.string().startsWith('/').default('/'),
  /** Serve wss (TLS with `certificate`) rather than ws. */
  tls: z.boolean().default(false),
})

const adminSchema = z.strictObject({
  address, port,
  /** A file holding the bearer token; must be mode 0600. */
  tokenFile: z.string().min(1).optional(),
  /** HTTPS: server certificate and key; clients may then present admin certificates. */
  certificate: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  /** CA whose admin client certificates are accepted. */
  clientCa: z.string().min(1).optional(),
  /** CRL(s) of `clientCa`: a revoked admin certificate is not taken as an admin. */
  crl: crlField,
  /** The audit log of admin changes (JSON lines); default `<dataDir>/admin-audit.jsonl`, else kept in memory. */
  auditLog: z.string().min(1).optional(),
}).refine((a) => a.tokenFile !== undefined || a.clientCa !== undefined, {
  message: 'the admin API needs tokenFile or clientCa (it is never open)', path: ['tokenFile'],
}).refine((a) => a.clientCa === undefined || (a.certificate !== undefined && a.key !== undefined), {
  message: 'clientCa needs certificate and key (HTTPS)', path: ['certificate'],
}).refine((a) => a.crl === undefined || a.clientCa !== undefined, { message: 'crl needs clientCa', path: ['crl'] })

/**
 * An ACL: entries are `any`, `none`, `localhost`, an address, a prefix `addr/len`,
 * or `key:<tsig key name>`; see acl.ts.
 */
const aclSchema = z.array(z.string().min(1).superRefine((e, ctx) => {
  const problem = aclEntryProblem(e)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `"${e}": ${problem}` })
}))

const primaryZone = z.strictObject({
  name: z.string().min(1),
  type: z.literal('primary'),
  file: z.string().min(1),
  /** Secondaries to NOTIFY after a reload (`address` or `address:port`, `[v6]:port`). */
  notify: z.array(z.string().min(1)).default([]),
})
const secondaryZone = z.strictObject({
  name: z.string().min(1),
  type: z.literal('secondary'),
  /** Primaries to transfer from (`address` or `address:port`). */
  primaries: z.array(z.string().min(1)).min(1),
  /** Where the transferred zone is kept, so a restart serves it at once. */
  file: z.string().min(1),
  /** TSIG key name to sign transfer requests with. */
  tsigKey: z.string().min(1).optional(),
})

const tsigKeySchema = z.strictObject({
  name: z.string().min(1),
  /** RFC 8945 §6: HMAC-SHA256 is the one we require; others are refused. */
  algorithm: z.enum(['hmac-sha256']).default('hmac-sha256'),
  /** Base64 secret. */
  secret: z.string().min(1).refine((s) => /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length >= 16, {
    message: 'expected a base64 secret of at least 16 octets',
  }),
})

const limitsSchema = z.strictObject({
  /** Largest UDP response we send, whatever the client's EDNS size (RFC 6891 §6.2.5). */
  udpPayload: z.int().min(512).max(4096).default(1232),
  /** TCP connections open at once; more are closed at accept. */
  tcpConnections: z.int().min(1).max(100000).default(256),
  /** A TCP connection that sends nothing for this long is closed (RFC 7766 §6.2.3). */
  tcpIdleMs: z.int().min(100).max(600000).default(10000),
  /** A TCP query whose bytes do not all arrive within this long closes the connection. */
  tcpReadMs: z.int().min(100).max(600000).default(5000),
  /** Queries on one TCP connection before it is closed. */
  tcpQueriesPerConnection: z.int().min(1).max(1000000).default(10000),
  /**
   * Encoded answers from our zones kept for repeated queries (same question, flags and EDNS,
   * no COOKIE or TSIG), per transport; forgotten when any zone changes. The query ACL and
   * the COOKIE policy are checked on every hit, and RA set for the client. 0: none.
   */
  answerCacheEntries: z.int().min(0).max(10_000_000).default(50_000),
  /** Concurrent outgoing transfers. */
  transfers: z.int().min(1).max(1000).default(10),
})

/** The zod schema of server.json. */
export const serverConfigSchema = z.strictObject({
  listeners: z.strictObject({
    udp: z.array(socketSchema).default([]),
    tcp: z.array(socketSchema).default([]),
    dot: z.array(dotSchema).default([]),
    channel: z.array(channelSchema).default([]),
    admin: adminSchema.optional(),
  }),
  zones: z.array(z.discriminatedUnion('type', [primaryZone, secondaryZone])).default([]),
  acl: z.strictObject({
    query: aclSchema.default(['any']),
    recursion: aclSchema.default(['none']),
    transfer: aclSchema.default(['none']),
    notify: aclSchema.default(['none']),
    update: aclSchema.default(['none']),
  }).default({ query: ['any'], recursion: ['none'], transfer: ['none'], notify: ['none'], update: ['none'] }),
  tsigKeys: z.array(tsigKeySchema).default([]),
  /**
   * Recursion through `@secdns/resolver` for names outside our zones (only for clients in
   * `acl.recursion`): forwarders and/or root hints, and a TrustAnchors.dns file to validate with.
   */
  resolver: z.strictObject({
    /** Default forwarders (`address` or `address:port`). */
    forwarders: z.array(z.string().min(1)).default([]),
    /** Conditional forwarders: names at or below `zone` go to `servers` (the longest match wins). */
    zoneForwarders: z.array(z.strictObject({ zone: z.string().min(1), servers: z.array(z.string().min(1)).min(1) })).default([]),
    /** Root server addresses for iterative resolution of names no forwarder takes. */
    rootHints: z.array(z.string().min(1)).default([]),
    /**
     * Where to really send queries meant for a referral (glue) address, `"127.0.0.3": "127.0.0.1:5301"`:
     * for labs and tests that run every authoritative server on one address with its own port.
     */
    addressMap: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** TrustAnchors.dns; every name an anchor covers is validated, whatever the client asked. */
    trustAnchors: z.string().min(1).optional(),
    /** RFC 8198 aggressive use of validated NSEC/NSEC3. */
    aggressiveNsec: z.boolean().default(false),
    /** Resolver limits to override (the names of @secdns/resolver's limits.ts), e.g. `maxCacheEntries`. */
    limits: z.strictObject({
      maxCnameChain: z.int().min(1).max(64).optional(),
      maxReferralDepth: z.int().min(1).max(64).optional(),
      maxQueriesPerResolution: z.int().min(1).max(1000).optional(),
      maxSignatureChecks: z.int().min(1).max(10000).optional(),
      nsec3SoftIterationLimit: z.int().min(0).max(2500).optional(),
      nsec3HardIterationLimit: z.int().min(0).max(2500).optional(),
      queryTimeoutMs: z.int().min(50).max(60000).optional(),
      retriesPerServer: z.int().min(0).max(10).optional(),
      maxCacheEntries: z.int().min(0).max(10_000_000).optional(),
      maxCacheBytes: z.int().min(0).optional(),
      maxCacheTtl: z.int().min(0).max(604800).optional(),
      maxNegativeTtl: z.int().min(0).max(604800).optional(),
      bogusTtl: z.int().min(0).max(86400).optional(),
    }).optional(),
  }).refine((r) => r.forwarders.length > 0 || r.rootHints.length > 0 || r.zoneForwarders.length > 0, {
    message: 'the resolver needs forwarders, zoneForwarders or rootHints', path: ['forwarders'],
  }).optional(),
  limits: limitsSchema.default(limitsSchema.parse({})),
  /** RFC 5001: the NSID we return when asked; none when unset. */
  nsid: z.string().max(128).optional(),
  /** Hex server secret for DNS COOKIEs (RFC 7873 §7.2); random per start when unset. */
  cookieSecret: z.string().regex(/^[0-9a-fA-F]{32}$/).optional(),
  /**
   * DNS COOKIE policy for UDP (RFC 7873 §5.2.3). A query that brings a server cookie we did
   * not make, or one that expired, is always answered BADCOOKIE with a fresh cookie (unless
   * it is TSIG-signed or from `allow`). With `requireValid`, so is a query with a client
   * cookie only, and a UDP query without any COOKIE gets an empty TC answer (to TCP).
   */
  cookies: z.strictObject({
    requireValid: z.boolean().default(false),
    /** Clients never sent BADCOOKIE or TC for their cookies (ACL syntax). */
    allow: aclSchema.default([]),
    /**
     * At most this many BADCOOKIE/TC answers per second in all; past it such queries are
     * dropped unanswered (RFC 7873 §5.2.3 allows either). 0: no limit.
     */
    maxRefusalsPerSecond: z.int().min(0).max(10_000_000).default(0),
  }).default({ requireValid: false, allow: [], maxRefusalsPerSecond: 0 }),
  /** Directory for state (secondary zones, journals). */
  dataDir: z.string().min(1).optional(),
}).superRefine((c, ctx) => {
  const seen = new Set<string>()
  c.zones.forEach((zz, i) => {
    const k = zz.name.toLowerCase().replace(/\.$/, '')
    if (seen.has(k)) ctx.addIssue({ code: 'custom', message: `zone "${zz.name}" is listed twice`, path: ['zones', i, 'name'] })
    seen.add(k)
  })
  const keys = new Set<string>()
  c.tsigKeys.forEach((k, i) => {
    const n = k.name.toLowerCase().replace(/\.$/, '')
    if (keys.has(n)) ctx.addIssue({ code: 'custom', message: `TSIG key "${k.name}" is listed twice`, path: ['tsigKeys', i, 'name'] })
    keys.add(n)
  })
  for (const [aclName, entries] of Object.entries(c.acl)) {
    entries.forEach((e, i) => {
      if (e.startsWith('key:') && !keys.has(e.slice(4).toLowerCase().replace(/\.$/, ''))) {
        ctx.addIssue({ code: 'custom', message: `names TSIG key "${e.slice(4)}", which tsigKeys does not define`, path: ['acl', aclName, i] })
      }
    })
  }
  c.zones.forEach((zz, i) => {
    if (zz.type === 'secondary' && zz.tsigKey !== undefined && !keys.has(zz.tsigKey.toLowerCase().replace(/\.$/, ''))) {
      ctx.addIssue({ code: 'custom', message: `names TSIG key "${zz.tsigKey}", which tsigKeys does not define`, path: ['zones', i, 'tsigKey'] })
    }
  })
})

/** The validated configuration, defaults filled in. */
export type ServerConfig = z.infer<typeof serverConfigSchema>
/** One zone entry of {@link ServerConfig}. */
export type ZoneConfig = ServerConfig['zones'][number]
/** One TSIG key of {@link ServerConfig}. */
export type TsigKeyConfig = ServerConfig['tsigKeys'][number]
/** The limits of {@link ServerConfig}. */
export type LimitsConfig = ServerConfig['limits']

function pathText(path: readonly PropertyKey[]): string {
  let s = ''
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : (s === '' ? '' : '.') + String(p)
  return s === '' ? '(top level)' : s
}

/**
 * Validate a parsed configuration object.
 *
 * @param value the JSON value
 * @param source the file name, for messages
 * @throws {ServerError} `ERR_SERVER_CONFIG`, one line per problem, each naming the field:
 *   `server.json: listeners.udp[0].port: Too big: expected number to be <=65535`
 * @example
 * const cfg = parseConfig({ listeners: { udp: [{ address: '127.0.0.1', port: 5300 }] } })
 */
export function parseConfig(value: unknown, source = 'config'): ServerConfig {
  const r = serverConfigSchema.safeParse(value)
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${source}: ${pathText(i.path)}: ${i.message}`)
    throw new ServerError('ERR_SERVER_CONFIG', lines.join('\n'))
  }
  return r.data
}

/**
 * Read, validate and resolve a configuration file. Relative file paths inside it
 * (zone files, certificates, keys, token file, data directory) are taken relative to
 * the configuration file's directory.
 *
 * @param file path of server.json
 * @throws {ServerError} `ERR_SERVER_CONFIG_READ` (unreadable, not JSON), `ERR_SERVER_CONFIG`
 */
export function loadConfig(file: string): ServerConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new ServerError('ERR_SERVER_CONFIG_READ', `${file}: cannot read: ${(e as Error).message}`, { cause: e })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new ServerError('ERR_SERVER_CONFIG_READ', `${file}: not valid JSON: ${(e as Error).message}`, { cause: e })
  }
  return resolveConfigPaths(parseConfig(json, file), dirname(resolve(file)))
}

/**
 * Make every relative file path in a configuration absolute against `base`.
 * @param c a validated configuration
 * @param base the directory to resolve against
 */
export function resolveConfigPaths(c: ServerConfig, base: string): ServerConfig {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p))
  const opt = (p: string | undefined): string | undefined => (p === undefined ? undefined : abs(p))
  const crl = (p: string | string[] | undefined): string | string[] | undefined => (p === undefined ? undefined : Array.isArray(p) ? p.map(abs) : abs(p))
  return {
    ...c,
    dataDir: opt(c.dataDir),
    resolver: c.resolver === undefined ? undefined : { ...c.resolver, trustAnchors: opt(c.resolver.trustAnchors) },
    zones: c.zones.map((zz) => ({ ...zz, file: abs(zz.file) })),
    listeners: {
      ...c.listeners,
      dot: c.listeners.dot.map((d) => ({ ...d, certificate: abs(d.certificate), key: abs(d.key), clientCa: opt(d.clientCa), crl: crl(d.crl) })),
      channel: c.listeners.channel.map((d) => ({ ...d, certificate: abs(d.certificate), key: abs(d.key), trustedCas: d.trustedCas.map(abs), crl: crl(d.crl) })),
      admin: c.listeners.admin === undefined ? undefined : {
        ...c.listeners.admin,
        tokenFile: opt(c.listeners.admin.tokenFile),
        certificate: opt(c.listeners.admin.certificate),
        key: opt(c.listeners.admin.key),
        clientCa: opt(c.listeners.admin.clientCa),
        crl: crl(c.listeners.admin.crl),
        auditLog: opt(c.listeners.admin.auditLog),
      },
    },
  }
}

/** CRLs read from files, as PEM (for node:tls and `@secdns/channel`). */
export interface LoadedCrls {
  readonly pem: string[]
}

/**
 * Read and check CRL files (PEM or DER).
 *
 * @param files one path or a list (a `crl` field)
 * @param field the configuration field, for messages (`listeners.channel[0].crl`)
 * @throws {ServerError} ERR_SERVER_CONFIG naming the field and the file when one is unreadable or not a CRL
 */
export function readCrlFiles(files: string | string[], field: string): LoadedCrls {
  const pem: string[] = []
  for (const f of Array.isArray(files) ? files : [files]) {
    try {
      pem.push(crlFileToPem(readFileSync(f)))
    } catch (e) {
      throw new ServerError('ERR_SERVER_CONFIG', `${field}: ${f}: not a readable CRL: ${(e as Error).message}`, { cause: e })
    }
  }
  return { pem }
}

/**
 * Watch CRL files by mtime: when one changes (a new `secdns ca crl`), `onChange` is called
 * with the files read again; a file that is then bad is reported to `onError` and the
 * CRLs in use stay as they were.
 */
export class CrlWatch {
  readonly #files: string[]
  readonly #field: string
  #current: LoadedCrls
  readonly #listener: () => void
  #stamp: string

  /**
   * @param files the `crl` field's value (absolute paths)
   * @param field the field name, for messages
   * @param onChange called with the CRLs read again after a change
   * @param onError called with the error when a changed file cannot be used
   * @param intervalMs how often the files' mtimes are checked
   * @throws {ServerError} ERR_SERVER_CONFIG when a file is bad at start
   */
  constructor(files: string | string[], field: string, onChange: (crls: LoadedCrls) => void, onError: (e: Error) => void, intervalMs = 1000) {
    this.#files = Array.isArray(files) ? files : [files]
    this.#field = field
    this.#current = readCrlFiles(this.#files, field)
    this.#stamp = this.#stat()
    this.#listener = (): void => {
      const stamp = this.#stat()
      if (stamp === this.#stamp) return
      try {
        this.#current = readCrlFiles(this.#files, this.#field)
        this.#stamp = stamp
        onChange(this.#current)
      } catch (e) {
        this.#stamp = stamp
        onError(e as Error)
      }
    }
    for (const f of this.#files) watchFile(f, { interval: intervalMs, persistent: false }, this.#listener)
  }

  /** The CRLs in use. */
  get current(): LoadedCrls { return this.#current }

  /** Check the files now (as a reload does), rather than at the next poll. */
  check(): void { this.#listener() }

  /** Stop watching. */
  close(): void { for (const f of this.#files) unwatchFile(f, this.#listener) }

  #stat(): string {
    return this.#files.map((f) => { try { const s = statSync(f); return `${s.mtimeMs}:${s.size}:${s.ino}` } catch { return 'missing' } }).join('|')
  }
}
