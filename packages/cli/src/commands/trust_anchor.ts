/**
 * `secdns trust-anchor add|remove|list|check|export`: the trust anchors of the validating
 * resolver, kept in `TrustAnchors.dns` (Windows' TrustAnchors zone as a master file).
 * With `--server <http(s)://admin-api>`, `add`, `remove` and `list` change the anchors of a
 * running server through its admin API instead (applied at once, persisted by the server).
 * `add --from-zone Z --dns ADDR[:PORT]` fetches Z's keys from a DNS server and, after
 * confirmation, writes them to `--trust-anchors` or sends them to the admin API of `--server URL`.
 * Exit codes: 0 ok, 1 nothing matched (remove), an anchor no longer matches (check) or the
 * admin API refused or failed, 2 usage or input error.
 */
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createInterface } from 'node:readline/promises'
import { Command, type CommanderError } from 'commander'
import { deprecatedAlias } from '../options.js'
import { loadConfig, readTokenFile } from '@secdns/server'
import { Name, RRType, rdataToText } from '@secdns/wire'
import {
  TrustAnchors, parseAnchorText, importAnchors, exportBindAnchors, exportUnboundAnchors, addTrustAnchors,
  removeTrustAnchors, anchorKeyTag, fetchDnskeys, parseServer, Resolver, ResolverError, type TrustAnchor, type AnchorRecord,
} from '@secdns/resolver'

interface CommonOptions {
  trustAnchors?: string, json?: boolean, server?: string, dns?: string,
  tokenFile?: string, config?: string, cert?: string, key?: string, ca?: string
}

class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

/** The admin API refused our credentials, or answered with an error that is not the input's fault. */
class AdminApiError extends Error {
  readonly code: string
  readonly exitCode: number
  constructor(code: string, message: string, exitCode: number) {
    super(message)
    this.code = code
    this.exitCode = exitCode
  }
}

function fail(err: unknown, json: boolean): void {
  const e = err as { code?: string, message?: string }
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: { code: e.code ?? 'ERR_USAGE', message: e.message ?? String(err) } }) + '\n')
  else process.stderr.write(`secdns: ${e.message ?? String(err)}\n`)
  process.exitCode = err instanceof AdminApiError ? err.exitCode : err instanceof ResolverError && err.code === 'ERR_RESOLVER_ANCHOR_NOT_FOUND' ? 1 : 2
}

/** True when `--server` names an admin API (a URL) rather than a DNS server address. */
function adminUrl(opts: CommonOptions): URL | undefined {
  if (opts.server === undefined || !/^https?:\/\//i.test(opts.server)) return undefined
  try { return new URL(opts.server) } catch (e) { throw new UsageError(`--server "${opts.server}" is not a URL: ${(e as Error).message}`) }
}

function localFile(opts: CommonOptions): string {
  if (opts.trustAnchors === undefined) throw new UsageError('give --trust-anchors <TrustAnchors.dns>, or --server <http(s)://admin API> to change a running server')
  return opts.trustAnchors
}

/** One admin API call, authenticated as `secdns server status|reload` are: bearer token or admin certificate. */
async function adminCall(url: URL, opts: CommonOptions, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {}
  let tokenFile = opts.tokenFile
  if (tokenFile === undefined && opts.config !== undefined && opts.cert === undefined) tokenFile = loadConfig(opts.config).listeners.admin?.tokenFile
  if (tokenFile !== undefined) headers['authorization'] = `Bearer ${readTokenFile(tokenFile)}`
  const payload = body === undefined ? undefined : JSON.stringify(body)
  if (payload !== undefined) headers['content-type'] = 'application/json'
  const tls = url.protocol === 'https:'
  const read = (f: string | undefined, what: string): Buffer | undefined => {
    if (f === undefined) return undefined
    try { return readFileSync(f) } catch (e) { throw new UsageError(`${what} ${f}: ${(e as Error).message}`) }
  }
  const tlsOpts = tls ? { ca: read(opts.ca, '--ca'), cert: read(opts.cert, '--cert'), key: read(opts.key, '--key'), checkServerIdentity: () => undefined } : {}
  const base = url.pathname.replace(/\/$/, '')
  const { status, data } = await new Promise<{ status: number, data: string }>((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(url, { method, path: base + path, headers, ...tlsOpts }, (res) => {
      let data = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { data += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, data }))
    })
    req.on('error', (e) => reject(new AdminApiError('ERR_ADMIN_UNREACHABLE', `admin API at ${url.origin}: ${e.message}`, 1)))
    req.end(payload)
  })
  let json: Record<string, unknown>
  try { json = JSON.parse(data) as Record<string, unknown> } catch { throw new AdminApiError('ERR_ADMIN_RESPONSE', `admin API answered ${status} with something that is not JSON`, 1) }
  if (status === 401) throw new AdminApiError('ERR_ADMIN_UNAUTHORIZED', 'the admin API refused our credentials (give --token-file, --config or --cert/--key)', 1)
  if (status !== 200) {
    const code = typeof json['code'] === 'string' ? json['code'] : `HTTP_${status}`
    throw new AdminApiError(code, String(json['error'] ?? `admin API answered ${status}`), status === 400 ? 2 : 1)
  }
  return json
}

function printAnchors(verb: string, anchors: { zone: string, type: string, keyTag: number, algorithm: number }[]): void {
  for (const a of anchors) process.stdout.write(`${verb}${a.zone}\t${a.type.padEnd(7)} tag ${a.keyTag} alg ${a.algorithm}\n`)
}

function anchorJson(a: { record: AnchorRecord, keyTag: number, line?: number }): Record<string, unknown> {
  const d = a.record.data
  return {
    zone: a.record.name.toString(), type: d.type === RRType.DS ? 'DS' : 'DNSKEY', keyTag: a.keyTag, algorithm: d.algorithm,
    ...(d.type === RRType.DNSKEY ? { flags: d.flags } : { digestType: d.digestType }),
    rdata: rdataToText(d), ...(a.line === undefined ? {} : { line: a.line }),
  }
}

function anchorLine(a: { record: AnchorRecord, keyTag: number }): string {
  const d = a.record.data
  const what = d.type === RRType.DS ? `DS      tag ${a.keyTag} alg ${d.algorithm} digest ${d.digestType}` : `DNSKEY  tag ${a.keyTag} alg ${d.algorithm} flags ${d.flags}`
  return `${a.record.name.toString()}\t${what}`
}

async function list(opts: CommonOptions): Promise<void> {
  const url = adminUrl(opts)
  if (url !== undefined) {
    const r = await adminCall(url, opts, 'GET', '/trust-anchors')
    if (opts.json) process.stdout.write(JSON.stringify({ ok: true, anchors: r['anchors'] }) + '\n')
    else printAnchors('', r['anchors'] as never)
    return
  }
  const all: TrustAnchor[] = TrustAnchors.load(localFile(opts)).list()
  if (opts.json) process.stdout.write(JSON.stringify({ ok: true, anchors: all.map(anchorJson) }) + '\n')
  else for (const a of all) process.stdout.write(anchorLine(a) + '\n')
}

interface AddOptions extends CommonOptions { import?: string, fromZone?: string, yes?: boolean }

/**
 * The DNS server to fetch keys from: `--dns ADDR[:PORT]`, or (the older spelling) a
 * `--server` that is an address rather than an admin API URL.
 */
function dnsSource(opts: CommonOptions, what: string): string {
  if (opts.dns !== undefined) {
    if (opts.server !== undefined && adminUrl(opts) === undefined) throw new UsageError(`give the DNS server once: --dns ${opts.dns} and --server ${opts.server} (--server takes the admin API URL)`)
    return opts.dns
  }
  if (opts.server !== undefined && adminUrl(opts) === undefined) return opts.server
  throw new UsageError(`${what} needs --dns <address[:port]>, the DNS server to fetch the DNSKEY RRset from`)
}

/** What `add --from-zone` fetched, for --json. */
interface FetchedJson { zone: string, dns: string, selfSigned: boolean, keys: { keyTag: number, algorithm: number, sep: boolean, dsSha256: string, trusted: boolean }[] }

async function fromZone(opts: AddOptions): Promise<{ records: AnchorRecord[], fetched: FetchedJson }> {
  const dns = dnsSource(opts, '--from-zone')
  let zone: Name
  try { zone = Name.fromString(opts.fromZone!.endsWith('.') ? opts.fromZone! : opts.fromZone! + '.') } catch (e) { throw new UsageError(`--from-zone "${opts.fromZone}" is not a domain name: ${(e as Error).message}`) }
  let server
  try { server = parseServer(dns) } catch (e) { throw new UsageError(`--dns "${dns}": ${(e as Error).message}`) }
  const fetched = await fetchDnskeys(zone, server)
  const sep = fetched.keys.filter((k) => k.sep)
  const chosen = sep.length > 0 ? sep : fetched.keys
  const out = opts.json ? process.stderr : process.stdout
  out.write(`DNSKEY RRset of ${zone.toString()} from ${dns} (${fetched.selfSigned ? 'signed by its own SEP key' : 'NOT signed by its own SEP key'}):\n`)
  for (const k of fetched.keys) out.write(`  ${k.sep ? 'KSK' : 'ZSK'} tag ${k.keyTag} alg ${k.record.data.algorithm}  DS SHA-256 ${k.dsSha256}${chosen.includes(k) ? '  <- to trust' : ''}\n`)
  if (opts.yes !== true) {
    // Trusting a key is the one decision DNSSEC cannot check for you: ask a person.
    if (!process.stdin.isTTY) throw new UsageError('not trusting keys without confirmation: compare the DS digests with the zone operator\'s, then run again with --yes')
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    const a = (await rl.question(`Trust ${chosen.length} key(s) for ${zone.toString()}? [y/N] `)).trim().toLowerCase()
    rl.close()
    if (a !== 'y' && a !== 'yes') throw new UsageError('not confirmed; nothing added')
  }
  const json: FetchedJson = {
    zone: zone.toString(), dns, selfSigned: fetched.selfSigned,
    keys: fetched.keys.map((k) => ({ keyTag: k.keyTag, algorithm: k.record.data.algorithm, sep: k.sep, dsSha256: k.dsSha256, trusted: chosen.includes(k) })),
  }
  return { records: chosen.map((k) => k.record), fetched: json }
}

async function add(words: string[], opts: AddOptions): Promise<void> {
  let records: AnchorRecord[]
  let fetched: FetchedJson | undefined
  if (opts.fromZone !== undefined) {
    if (words.length > 0 || opts.import !== undefined) throw new UsageError('give one of a record, --import or --from-zone')
    const got = await fromZone(opts)
    records = got.records
    fetched = got.fetched
  } else if (opts.dns !== undefined) {
    throw new UsageError('--dns names the DNS server for --from-zone; give --from-zone <zone> too')
  } else if (opts.import !== undefined) {
    if (words.length > 0) throw new UsageError('give either a record or --import <file>, not both')
    let text: string
    try { text = readFileSync(opts.import, 'utf8') } catch (e) { throw new UsageError(`cannot read ${opts.import}: ${(e as Error).message}`) }
    records = importAnchors(text, opts.import)
  } else {
    if (words.length === 0) throw new UsageError('give a record ("example.test. DNSKEY 257 3 13 …") or --import <file>')
    records = parseAnchorText(words.join(' '), '<argument>').map((e) => e.record)
  }
  const withFetched = fetched === undefined ? {} : { fetched }
  // --server names the admin API when it is a URL; with --from-zone an address there is
  // the older spelling of --dns, and the keys go to --trust-anchors.
  const url = adminUrl(opts)
  if (url !== undefined) {
    const text = records.map((r) => `${r.name.toString()} ${r.ttl} IN ${r.data.type === RRType.DS ? 'DS' : 'DNSKEY'} ${rdataToText(r.data)}`).join('\n')
    const res = await adminCall(url, opts, 'POST', '/trust-anchors', { records: text })
    if (opts.json) process.stdout.write(JSON.stringify({ ok: true, added: res['added'], skipped: res['skipped'], ...withFetched }) + '\n')
    else {
      printAnchors('added ', res['added'] as never)
      if (Number(res['skipped']) > 0) process.stdout.write(`${String(res['skipped'])} already present\n`)
    }
    return
  }
  const added = await addTrustAnchors(localFile(opts), records)
  if (opts.json) process.stdout.write(JSON.stringify({ ok: true, added: added.map((r) => anchorJson({ record: r, keyTag: anchorKeyTag(r) })), skipped: records.length - added.length, ...withFetched }) + '\n')
  else {
    for (const r of added) process.stdout.write(`added ${anchorLine({ record: r, keyTag: anchorKeyTag(r) })}\n`)
    if (added.length < records.length) process.stdout.write(`${records.length - added.length} already present\n`)
  }
}

async function remove(zone: string, opts: CommonOptions & { keyTag?: string, type?: string }): Promise<void> {
  let name: Name
  try { name = Name.fromString(zone.endsWith('.') ? zone : zone + '.') } catch (e) { throw new UsageError(`"${zone}" is not a domain name: ${(e as Error).message}`) }
  let keyTag: number | undefined
  if (opts.keyTag !== undefined) {
    keyTag = Number(opts.keyTag)
    if (!Number.isInteger(keyTag) || keyTag < 0 || keyTag > 65535) throw new UsageError(`--key-tag "${opts.keyTag}" must be 0…65535`)
  }
  const type = opts.type?.toUpperCase()
  if (type !== undefined && type !== 'DNSKEY' && type !== 'DS') throw new UsageError(`--type "${opts.type}" must be DNSKEY or DS`)
  const url = adminUrl(opts)
  if (url !== undefined) {
    const q = new URLSearchParams({ ...(keyTag === undefined ? {} : { keyTag: String(keyTag) }), ...(type === undefined ? {} : { type }) }).toString()
    const res = await adminCall(url, opts, 'DELETE', `/trust-anchors/${encodeURIComponent(name.toString())}${q === '' ? '' : `?${q}`}`)
    if (opts.json) process.stdout.write(JSON.stringify({ ok: true, removed: res['removed'] }) + '\n')
    else printAnchors('removed ', res['removed'] as never)
    return
  }
  const gone = await removeTrustAnchors(localFile(opts), { zone: name, ...(keyTag === undefined ? {} : { keyTag }), ...(type === undefined ? {} : { type }) })
  if (opts.json) process.stdout.write(JSON.stringify({ ok: true, removed: gone.map(anchorJson) }) + '\n')
  else for (const a of gone) process.stdout.write(`removed ${anchorLine(a)}\n`)
}

function exportAnchors(opts: CommonOptions & { format: string, initial?: boolean }): void {
  const recs = TrustAnchors.load(localFile(opts)).list().map((a) => a.record)
  let text: string
  if (opts.format === 'bind') text = exportBindAnchors(recs, opts.initial ? 'initial' : 'static')
  else if (opts.format === 'unbound') text = exportUnboundAnchors(recs)
  else throw new UsageError(`--format "${opts.format}" must be bind or unbound`)
  process.stdout.write(opts.json ? `${JSON.stringify({ ok: true, format: opts.format, anchors: recs.length, text })}\n` : text)
}

async function check(opts: CommonOptions): Promise<void> {
  const dns = dnsSource(opts, 'check')
  const ta = TrustAnchors.load(localFile(opts))
  let server
  try { server = parseServer(dns) } catch (e) { throw new UsageError(`--dns "${dns}": ${(e as Error).message}`) }
  const r = new Resolver({ trustAnchors: ta, forwarders: [server] })
  const status = await r.prime()
  const bad = status.filter((a) => a.state !== 'secure')
  if (opts.json) process.stdout.write(JSON.stringify({ ok: bad.length === 0, anchors: status }) + '\n')
  else for (const a of status) process.stdout.write(`${a.zone}\t${a.state}${a.reason === undefined ? '' : `\t${a.reason}`}\n`)
  // A stale anchor is a failed check (exit 1), never silently ignored (issue 7 §1).
  if (bad.length > 0) process.exitCode = 1
}

function run<A extends unknown[]>(fn: (...args: A) => void | Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    // commander passes (…arguments, options, command): the options are the last plain object.
    const opts = args.filter((a) => typeof a === 'object' && a !== null && !Array.isArray(a) && !(a instanceof Command)).at(-1) as CommonOptions | undefined
    try {
      await fn(...args)
    } catch (e) {
      fail(e, opts?.json === true)
    }
  }
}

/**
 * Register `secdns trust-anchor add|remove|list|check|export` on the program.
 *
 * @param program the root `secdns` command
 * @example
 * registerTrustAnchorCommands(program)
 * // secdns trust-anchor add --trust-anchors TrustAnchors.dns example.test. DS 61811 13 2 0102…
 */
export function registerTrustAnchorCommands(program: Command): void {
  const exit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2)
  const ta = program.command('trust-anchor').description('trust anchors of the validating resolver (TrustAnchors.dns, or a running server\'s)').exitOverride(exit)
  const common = (c: Command): Command => deprecatedAlias(c
    .option('--trust-anchors <file>', 'the trust-anchor file (TrustAnchors.dns)')
    .option('--json', 'machine-readable output')
    .exitOverride(exit), '-f, --file <path>', '--trust-anchors')
  // The credentials `secdns server status|reload` use: a token file (directly or through
  // server.json), or an admin client certificate for an HTTPS admin API.
  const remote = (c: Command): Command => c
    .option('--token-file <file>', 'with --server URL: the admin token file (mode 0600)')
    .option('-c, --config <file>', 'with --server URL: server.json, whose listeners.admin.tokenFile to use')
    .option('--cert <pem>', 'with --server https://…: admin client certificate')
    .option('--key <pem>', 'with --server https://…: private key of the admin client certificate')
    .option('--ca <pem>', 'with --server https://…: CA certificate to check the admin API with')
  remote(common(ta.command('list').description('list the anchors: zone, type, key tag, algorithm')))
    .option('--server <url>', 'list the anchors a running server uses, through its admin API (http(s)://address:port)')
    .action(run((opts: CommonOptions) => list(opts)))
  remote(common(ta.command('add [record...]').description('add a DNSKEY or DS record given as text, every anchor of a BIND/Unbound/TrustAnchors file, or the keys a zone serves')))
    .option('--import <file>', 'import from named.conf (trust-anchors/trusted-keys/managed-keys), an Unbound anchor file or another TrustAnchors.dns')
    .option('--from-zone <zone>', 'fetch the zone\'s DNSKEY RRset, show key tags and DS digests, and trust its SEP keys after confirmation')
    .option('--dns <address[:port]>', 'with --from-zone: the DNS server to fetch the DNSKEY RRset from (port 53 by default)')
    .option('--server <url>', 'a running server\'s admin API (http(s)://address:port) to add the anchors to, instead of --trust-anchors (an address here, with --from-zone and no --dns, is the older spelling of --dns)')
    .option('--yes', 'do not ask before trusting fetched keys')
    .action(run((words: string[], opts: AddOptions) => add(words, opts)))
  remote(common(ta.command('remove <zone>').description('remove the anchors of a zone (exit 1 when none matched)')))
    .option('--server <url>', 'remove from a running server through its admin API (http(s)://address:port)')
    .option('--key-tag <n>', 'only the anchor with this key tag')
    .option('--type <type>', 'only DNSKEY or DS anchors')
    .action(run((zone: string, opts: CommonOptions & { keyTag?: string, type?: string }) => remove(zone, opts)))
  deprecatedAlias(common(ta.command('check').description('fetch each anchored zone\'s DNSKEY RRset and report whether its anchor still matches (exit 1 when one does not)'))
    .option('--dns <address[:port]>', 'a DNS server that answers for the anchored zones (forwarder or authoritative)'), '--server <address[:port]>', '--dns', false)
    .action(run((opts: CommonOptions) => check(opts)))
  common(ta.command('export').description('print the anchors as a BIND trust-anchors clause or an Unbound anchor file'))
    .requiredOption('--format <format>', 'bind or unbound')
    .option('--initial', 'BIND: initial-key/initial-ds (RFC 5011 managed) instead of static-key/static-ds')
    .action(run((opts: CommonOptions & { format: string, initial?: boolean }) => exportAnchors(opts)))
}
