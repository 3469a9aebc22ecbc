/**
 * The Name Resolution Policy Table: rules as `Add-DnsClientNrptRule` makes them, global
 * settings as `Set-DnsClientNrptGlobal`, kept in a JSON file that is validated on load
 * (zod) and written atomically (temp file + rename).
 */
import { promises as fs } from 'node:fs'
import { dirname, resolve as resolvePath } from 'node:path'
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { writeFileAtomic } from '@secdns/pki'
import { ClientError } from './errors.js'
import { namespaceKey, parseNamespace, type Namespace } from './namespace.js'
import { isChannel, parseServerAddress, type ServerAddress } from './server_address.js'

/** DnsSecIPsecEncryptionType: None (integrity only), Low, Medium, High (see @secdns/channel policy). */
export const ENCRYPTION_TYPES = ['None', 'Low', 'Medium', 'High'] as const
/** DnsSecIPsecEncryptionType. */
export type EncryptionType = (typeof ENCRYPTION_TYPES)[number]

/** `Set-DnsClientNrptGlobal -QueryPolicy` values (meaning: see docs/client.md). */
export const QUERY_POLICIES = ['Disable', 'QueryIPv6Only', 'QueryBoth'] as const
/** Query policy. */
export type QueryPolicy = (typeof QUERY_POLICIES)[number]

/** `Set-DnsClientNrptGlobal -SecureNameQueryFallback` values (meaning: see docs/client.md). */
export const FALLBACK_POLICIES = ['Disable', 'FallbackSecure', 'FallbackUnsecure', 'FallbackPrivate'] as const
/** Secure name query fallback. */
export type SecureNameQueryFallback = (typeof FALLBACK_POLICIES)[number]

const nonEmpty = z.string().trim().min(1, 'must not be empty')

const nameServerSchema = z.union([
  nonEmpty,
  z.strictObject({ address: nonEmpty, serverName: nonEmpty.optional() }),
])

const identitySchema = z.strictObject({
  /** PEM file path (relative to the NRPT file) or PEM text of the client certificate. */
  certificate: nonEmpty,
  /** PEM file path or PEM text of its private key. */
  privateKey: nonEmpty,
  /** Intermediate CA certificates to send along. */
  chain: nonEmpty.optional(),
})

const ruleSchema = z.strictObject({
  name: nonEmpty.optional(),
  displayName: z.string().optional(),
  comment: z.string().optional(),
  namespace: z.union([nonEmpty, z.array(nonEmpty).min(1, 'needs at least one namespace')]),
  nameServers: z.array(nameServerSchema).optional(),
  dnsSecEnable: z.boolean().optional(),
  dnsSecValidationRequired: z.boolean().optional(),
  secureChannelRequired: z.boolean().optional(),
  encryption: z.enum(ENCRYPTION_TYPES).optional(),
  trustAuthority: z.union([nonEmpty, z.array(nonEmpty)]).optional(),
  crl: z.union([nonEmpty, z.array(nonEmpty)]).optional(),
  clientCertificate: identitySchema.optional(),
})

const globalSchema = z.strictObject({
  queryPolicy: z.enum(QUERY_POLICIES).optional(),
  secureNameQueryFallback: z.enum(FALLBACK_POLICIES).optional(),
  defaultServers: z.array(nameServerSchema).optional(),
  clientCertificate: identitySchema.optional(),
  timeoutMs: z.number().int().min(50).max(60_000).optional(),
})

const fileSchema = z.strictObject({
  version: z.literal(1).optional(),
  global: globalSchema.optional(),
  rules: z.array(ruleSchema),
})

/** A name server as a rule lists it: an address, or an address with the certificate name. */
export type NameServerEntry = string | { address: string; serverName?: string }

/** A client certificate for the channel's mutual authentication. */
export interface ClientIdentityEntry {
  certificate: string
  privateKey: string
  chain?: string
}

/** One NRPT rule, as stored (Windows' `Add-DnsClientNrptRule` parameters). */
export interface NrptRule {
  /** The rule's identity, as Windows' `-Name` (a GUID in braces unless given). */
  name: string
  displayName?: string
  comment?: string
  /** One or more namespaces. */
  namespace: string[]
  /** Empty: the rule exempts its namespace (default servers, no DNSSEC policy). */
  nameServers: NameServerEntry[]
  /** Set the DNSSEC OK bit (RFC 3225) on queries. */
  dnsSecEnable: boolean
  /** Require AD (RFC 4035 §3.2.3) on every answer; anything else is an error. */
  dnsSecValidationRequired: boolean
  /** DnsSecIPsecRequired: talk to the servers only over the protected channel. */
  secureChannelRequired: boolean
  /** DnsSecIPsecEncryptionType. */
  encryption: EncryptionType
  /** CA certificates the server's must chain to: PEM file paths or PEM text. */
  trustAuthority: string[]
  /**
   * CRLs of the trust authority (file paths, PEM or DER as `secdns ca crl` writes them, or PEM
   * text): a revoked server certificate is refused. A file is read again when its mtime changes.
   */
  crl?: string[]
  /** This rule's client certificate, instead of the global one. */
  clientCertificate?: ClientIdentityEntry
}

/** Global NRPT settings (`Set-DnsClientNrptGlobal`) and the client's own defaults. */
export interface NrptGlobal {
  queryPolicy: QueryPolicy
  secureNameQueryFallback: SecureNameQueryFallback
  /** The "interface" servers: for names no rule covers, and exempted namespaces. */
  defaultServers: NameServerEntry[]
  /** The client certificate used for the protected channel. */
  clientCertificate?: ClientIdentityEntry
  /** Per-server timeout. */
  timeoutMs: number
}

/** The whole table, as stored. */
export interface NrptTable {
  version: 1
  global: NrptGlobal
  rules: NrptRule[]
}

/** Defaults of the global settings. */
export const DEFAULT_GLOBAL: Readonly<NrptGlobal> = Object.freeze({
  queryPolicy: 'Disable', secureNameQueryFallback: 'Disable', defaultServers: [], timeoutMs: 2000,
})

/** A rule with its namespaces and servers parsed, ready for matching and resolving. */
export interface CompiledRule {
  readonly rule: NrptRule
  /** Position in the table (ties between equally specific rules go to the first). */
  readonly index: number
  readonly namespaces: readonly Namespace[]
  readonly servers: readonly ServerAddress[]
  /** No name servers: the namespace is exempt from the other rules. */
  readonly exempt: boolean
}

/** A table ready for use. `baseDir` resolves relative file paths in the table. */
export interface CompiledNrpt {
  readonly table: NrptTable
  readonly rules: readonly CompiledRule[]
  readonly defaultServers: readonly ServerAddress[]
  readonly baseDir: string
}

/** An empty table. */
export function emptyNrpt(): NrptTable {
  return { version: 1, global: { ...DEFAULT_GLOBAL, defaultServers: [] }, rules: [] }
}

function ruleLabel(rules: unknown, i: number): string {
  const r = Array.isArray(rules) ? rules[i] as { name?: unknown; displayName?: unknown } | undefined : undefined
  const n = typeof r?.name === 'string' ? r.name : typeof r?.displayName === 'string' ? r.displayName : undefined
  return n === undefined ? `rule #${i + 1}` : `rule #${i + 1} "${n}"`
}

function describePath(path: readonly PropertyKey[], raw: unknown): string {
  if (path[0] === 'rules' && typeof path[1] === 'number') {
    const rest = path.slice(2).map((p) => typeof p === 'number' ? `[${p}]` : `.${String(p)}`).join('').replace(/^\./, '')
    return `${ruleLabel((raw as { rules?: unknown }).rules, path[1])}${rest === '' ? '' : `, field ${rest}`}`
  }
  const p = path.map((x) => typeof x === 'number' ? `[${x}]` : `.${String(x)}`).join('').replace(/^\./, '')
  return p === '' ? 'the file' : `field ${p}`
}

/**
 * Offset of the first JSON syntax error (Node 20's JSON.parse does not always say where).
 * A small RFC 8259 scanner: it only finds the position; JSON.parse does the parsing.
 */
function jsonErrorOffset(text: string): number {
  let i = 0
  const ws = (): void => { while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++ }
  const fail = (): never => { throw i }
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++; ws()
      if (text[i] === '}') { i++; return }
      for (;;) {
        ws(); if (text[i] !== '"') fail()
        str(); ws(); if (text[i] !== ':') fail()
        i++; value(); ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === '}') { i++; return }
        fail()
      }
    } else if (c === '[') {
      i++; ws()
      if (text[i] === ']') { i++; return }
      for (;;) {
        value(); ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === ']') { i++; return }
        fail()
      }
    } else if (c === '"') {
      str()
    } else {
      const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400))
      if (m === null) fail()
      i += m![0].length
    }
  }
  const str = (): void => {
    i++
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail()
      i += text[i] === '\\' ? 2 : 1
    }
    if (i >= text.length) fail()
    i++
  }
  try {
    value(); ws()
    return i < text.length ? i : -1
  } catch (at) {
    return at as number
  }
}

function jsonPosition(text: string): string {
  const pos = jsonErrorOffset(text)
  if (pos < 0) return ' '
  const before = text.slice(0, pos)
  const line = before.split('\n').length
  const col = pos - before.lastIndexOf('\n')
  return `${line}:${col}: `
}

function normalizeRule(r: z.infer<typeof ruleSchema>): NrptRule {
  const out: NrptRule = {
    name: r.name ?? `{${randomUUID()}}`,
    namespace: Array.isArray(r.namespace) ? r.namespace : [r.namespace],
    nameServers: r.nameServers ?? [],
    dnsSecEnable: r.dnsSecEnable ?? false,
    dnsSecValidationRequired: r.dnsSecValidationRequired ?? false,
    secureChannelRequired: r.secureChannelRequired ?? false,
    encryption: r.encryption ?? 'None',
    trustAuthority: r.trustAuthority === undefined ? [] : Array.isArray(r.trustAuthority) ? r.trustAuthority : [r.trustAuthority],
  }
  if (r.displayName !== undefined) out.displayName = r.displayName
  if (r.comment !== undefined) out.comment = r.comment
  if (r.crl !== undefined) out.crl = Array.isArray(r.crl) ? r.crl : [r.crl]
  if (r.clientCertificate !== undefined) out.clientCertificate = stripUndefined(r.clientCertificate)
  return out
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

function entryAddress(e: NameServerEntry): ServerAddress {
  return typeof e === 'string' ? parseServerAddress(e) : parseServerAddress(e.address, e.serverName)
}

/**
 * Check a rule on its own and against the others; compile its namespaces and servers.
 * @throws {ClientError} ERR_CLIENT_NRPT_INVALID naming the rule and the field
 */
function compileRule(rule: NrptRule, index: number, source: string, global: NrptGlobal): CompiledRule {
  const who = `${source}: rule #${index + 1} "${rule.name}"`
  const namespaces = rule.namespace.map((n, j) => {
    try { return parseNamespace(n) } catch (e) {
      throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${who}, field namespace[${j}]: ${(e as Error).message}`, { cause: e })
    }
  })
  const servers = rule.nameServers.map((s, j) => {
    try { return entryAddress(s) } catch (e) {
      throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${who}, field nameServers[${j}]: ${(e as Error).message}`, { cause: e })
    }
  })
  const exempt = servers.length === 0
  if (!exempt) {
    // Windows refuses DnsSecValidationRequired without DnsSecEnable: without DO the server
    // has no reason to validate, so AD would never come (RFC 6840 §5.7/5.8).
    if (rule.dnsSecValidationRequired && !rule.dnsSecEnable) {
      throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${who}, field dnsSecValidationRequired: requires dnsSecEnable: true`)
    }
    if (rule.secureChannelRequired) {
      const plain = servers.findIndex((s) => !isChannel(s.kind))
      if (plain >= 0) {
        throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${who}, field nameServers[${plain}]: secureChannelRequired needs ws:// or wss:// servers (the protected channel), got "${servers[plain]!.text}"`)
      }
    }
    const channelAt = servers.findIndex((s) => isChannel(s.kind))
    if ((rule.crl ?? []).length > 0 && rule.trustAuthority.length === 0) {
      throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${who}, field crl: a CRL needs the trustAuthority whose certificates it revokes`)
    }
    if (channelAt >= 0 && rule.trustAuthority.length === 0) {
      throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${who}, field trustAuthority: the protected channel to "${servers[channelAt]!.text}" needs the CA certificate(s) to trust`)
    }
    // The channel authenticates both ends (AUTH exchange): no client certificate, no channel.
    if (channelAt >= 0 && rule.clientCertificate === undefined && global.clientCertificate === undefined) {
      throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${who}, field clientCertificate: the protected channel to "${servers[channelAt]!.text}" needs a client certificate (in the rule or in global.clientCertificate)`)
    }
  } else if (rule.secureChannelRequired || rule.dnsSecValidationRequired) {
    throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${who}, field nameServers: an exemption rule (no name servers) cannot require ${rule.secureChannelRequired ? 'a secure channel' : 'validation'}`)
  }
  return { rule, index, namespaces, servers, exempt }
}

/**
 * Validate an NRPT table (already parsed JSON) and compile it.
 *
 * @param raw the JSON value
 * @param source the file name, for messages
 * @param baseDir the directory relative paths in the table are resolved against
 * @throws {ClientError} ERR_CLIENT_NRPT_INVALID, with the rule and field in the message
 * @example
 * const nrpt = compileNrpt({ rules: [{ namespace: '.corp.example', nameServers: ['udp://10.0.0.1'] }] })
 */
export function compileNrpt(raw: unknown, source = 'NRPT', baseDir = process.cwd()): CompiledNrpt {
  const parsed = fileSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${source}: ${describePath(issue.path, raw)}: ${issue.message}`, { cause: parsed.error })
  }
  const g = parsed.data.global ?? {}
  const global: NrptGlobal = {
    queryPolicy: g.queryPolicy ?? DEFAULT_GLOBAL.queryPolicy,
    secureNameQueryFallback: g.secureNameQueryFallback ?? DEFAULT_GLOBAL.secureNameQueryFallback,
    defaultServers: g.defaultServers ?? [],
    timeoutMs: g.timeoutMs ?? DEFAULT_GLOBAL.timeoutMs,
  }
  if (g.clientCertificate !== undefined) global.clientCertificate = stripUndefined(g.clientCertificate)
  const table: NrptTable = { version: 1, global, rules: parsed.data.rules.map(normalizeRule) }
  const defaultServers = global.defaultServers.map((s, j) => {
    try { return entryAddress(s) } catch (e) {
      throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${source}: field global.defaultServers[${j}]: ${(e as Error).message}`, { cause: e })
    }
  })
  const rules = table.rules.map((r, i) => compileRule(r, i, source, global))
  const names = new Map<string, number>()
  const seen = new Map<string, { index: number; text: string }>()
  for (const c of rules) {
    const prev = names.get(c.rule.name.toLowerCase())
    if (prev !== undefined) throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${source}: rule #${c.index + 1}, field name: "${c.rule.name}" is already the name of rule #${prev + 1}`)
    names.set(c.rule.name.toLowerCase(), c.index)
    for (const [j, ns] of c.namespaces.entries()) {
      const key = namespaceKey(ns)
      const dup = seen.get(key)
      // Windows keeps one rule per namespace; two would make the match depend on file order.
      if (dup !== undefined) {
        throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${source}: rule #${c.index + 1} "${c.rule.name}", field namespace[${j}]: "${ns.text}" is already covered by rule #${dup.index + 1} ("${dup.text}")`)
      }
      seen.set(key, { index: c.index, text: ns.text })
    }
  }
  return { table, rules, defaultServers, baseDir }
}

/**
 * Read, validate and compile an NRPT file.
 *
 * @param path the JSON file
 * @throws {ClientError} ERR_CLIENT_NRPT_FILE (cannot read), ERR_CLIENT_NRPT_INVALID (bad JSON
 *   with line:column, or a rule that does not validate, naming rule and field)
 */
export async function loadNrpt(path: string): Promise<CompiledNrpt> {
  let text: string
  try {
    text = await fs.readFile(path, 'utf8')
  } catch (e) {
    throw new ClientError('ERR_CLIENT_NRPT_FILE', `cannot read the NRPT file ${path}: ${(e as Error).message}`, { cause: e })
  }
  return parseNrptText(text, path)
}

/**
 * Validate and compile NRPT JSON text.
 * @param text the file content
 * @param path the file name (messages, and the base for relative paths)
 * @throws {ClientError} ERR_CLIENT_NRPT_INVALID
 */
export function parseNrptText(text: string, path: string): CompiledNrpt {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new ClientError('ERR_CLIENT_NRPT_INVALID', `${path}:${jsonPosition(text)}not valid JSON: ${(e as Error).message}`, { cause: e })
  }
  return compileNrpt(raw, path, dirname(resolvePath(path)))
}

/**
 * Validate a table and write it atomically (temp file in the same directory, then rename).
 * @param path the JSON file
 * @param table the table to write
 * @throws {ClientError} ERR_CLIENT_NRPT_INVALID (nothing is written), ERR_CLIENT_NRPT_FILE
 */
export async function saveNrpt(path: string, table: NrptTable): Promise<void> {
  compileNrpt(table, path, dirname(resolvePath(path)))
  try {
    await writeFileAtomic(path, `${JSON.stringify(table, null, 2)}\n`)
  } catch (e) {
    throw new ClientError('ERR_CLIENT_NRPT_FILE', `cannot write the NRPT file ${path}: ${(e as Error).message}`, { cause: e })
  }
}

/** What {@link addRule} takes: any rule field; `namespace` is required. */
export type NrptRuleInput = Partial<Omit<NrptRule, 'namespace'>> & { namespace: string | string[] }

/**
 * A new table with `input` appended as a rule (validated with the rest).
 * @param table the current table
 * @param input the rule's fields
 * @throws {ClientError} ERR_CLIENT_NRPT_RULE_EXISTS, ERR_CLIENT_NRPT_INVALID
 */
export function addRule(table: NrptTable, input: NrptRuleInput): NrptTable {
  if (input.name !== undefined && table.rules.some((r) => r.name.toLowerCase() === input.name!.toLowerCase())) {
    throw new ClientError('ERR_CLIENT_NRPT_RULE_EXISTS', `a rule named "${input.name}" already exists`)
  }
  const rule = normalizeRule(ruleSchema.parse(stripUndefined({ ...input })))
  const next: NrptTable = { ...table, rules: [...table.rules, rule] }
  try {
    compileNrpt(next, 'new rule')
  } catch (e) {
    const msg = (e as Error).message
    throw new ClientError(msg.includes('is already covered by') ? 'ERR_CLIENT_NRPT_RULE_EXISTS' : 'ERR_CLIENT_NRPT_INVALID', msg, { cause: e })
  }
  return next
}

/**
 * Find a rule by name (case-insensitive), display name, or namespace as written.
 * @param table the table
 * @param key a rule name, display name or one of its namespaces
 */
export function findRule(table: NrptTable, key: string): NrptRule | undefined {
  const k = key.toLowerCase()
  return table.rules.find((r) => r.name.toLowerCase() === k) ??
    table.rules.find((r) => r.displayName?.toLowerCase() === k) ??
    table.rules.find((r) => r.namespace.some((n) => n.toLowerCase() === k))
}

/**
 * A new table without the rule `key` names.
 * @param table the table
 * @param key a rule name, display name or namespace
 * @throws {ClientError} ERR_CLIENT_NRPT_NO_RULE
 */
export function removeRule(table: NrptTable, key: string): NrptTable {
  const r = findRule(table, key)
  if (r === undefined) throw new ClientError('ERR_CLIENT_NRPT_NO_RULE', `no NRPT rule named "${key}"`)
  return { ...table, rules: table.rules.filter((x) => x !== r) }
}

/**
 * Set global settings (`Set-DnsClientNrptGlobal`).
 * @param table the table
 * @param changes the settings to change
 */
export function setGlobal(table: NrptTable, changes: Partial<NrptGlobal>): NrptTable {
  const next = { ...table, global: { ...table.global, ...stripUndefined(changes) } }
  compileNrpt(next, 'global settings')
  return next
}
