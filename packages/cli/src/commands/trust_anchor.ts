/**
 * `secdns trust-anchor add|remove|list|check|export`: the trust anchors of the validating
 * resolver, kept in `TrustAnchors.dns` (Windows' TrustAnchors zone as a master file).
 * Exit codes: 0 ok, 1 nothing matched (remove) or an anchor no longer matches (check),
 * 2 usage or input error.
 */
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { Command, type CommanderError } from 'commander'
import { Name, RRType, rdataToText } from '@secdns/wire'
import {
  TrustAnchors, parseAnchorText, importAnchors, exportBindAnchors, exportUnboundAnchors, addTrustAnchors,
  removeTrustAnchors, anchorKeyTag, fetchDnskeys, parseServer, Resolver, ResolverError, type TrustAnchor, type AnchorRecord,
} from '@secdns/resolver'

interface CommonOptions { file: string, json?: boolean }

class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

function fail(err: unknown, json: boolean): void {
  const e = err as { code?: string, message?: string }
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: { code: e.code ?? 'ERR_USAGE', message: e.message ?? String(err) } }) + '\n')
  else process.stderr.write(`secdns: ${e.message ?? String(err)}\n`)
  process.exitCode = err instanceof ResolverError && err.code === 'ERR_RESOLVER_ANCHOR_NOT_FOUND' ? 1 : 2
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

function list(opts: CommonOptions): void {
  const all: TrustAnchor[] = TrustAnchors.load(opts.file).list()
  if (opts.json) process.stdout.write(JSON.stringify({ ok: true, anchors: all.map(anchorJson) }) + '\n')
  else for (const a of all) process.stdout.write(anchorLine(a) + '\n')
}

interface AddOptions extends CommonOptions { import?: string, fromZone?: string, server?: string, yes?: boolean }

async function fromZone(opts: AddOptions): Promise<AnchorRecord[]> {
  if (opts.server === undefined) throw new UsageError('--from-zone needs --server <address[:port]> to ask')
  let zone: Name
  try { zone = Name.fromString(opts.fromZone!.endsWith('.') ? opts.fromZone! : opts.fromZone! + '.') } catch (e) { throw new UsageError(`--from-zone "${opts.fromZone}" is not a domain name: ${(e as Error).message}`) }
  const fetched = await fetchDnskeys(zone, parseServer(opts.server))
  const sep = fetched.keys.filter((k) => k.sep)
  const chosen = sep.length > 0 ? sep : fetched.keys
  const out = opts.json ? process.stderr : process.stdout
  out.write(`DNSKEY RRset of ${zone.toString()} from ${opts.server} (${fetched.selfSigned ? 'signed by its own SEP key' : 'NOT signed by its own SEP key'}):\n`)
  for (const k of fetched.keys) out.write(`  ${k.sep ? 'KSK' : 'ZSK'} tag ${k.keyTag} alg ${k.record.data.algorithm}  DS SHA-256 ${k.dsSha256}${chosen.includes(k) ? '  <- to trust' : ''}\n`)
  if (opts.yes !== true) {
    // Trusting a key is the one decision DNSSEC cannot check for you: ask a person.
    if (!process.stdin.isTTY) throw new UsageError('not trusting keys without confirmation: compare the DS digests with the zone operator\'s, then run again with --yes')
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    const a = (await rl.question(`Trust ${chosen.length} key(s) for ${zone.toString()}? [y/N] `)).trim().toLowerCase()
    rl.close()
    if (a !== 'y' && a !== 'yes') throw new UsageError('not confirmed; nothing added')
  }
  return chosen.map((k) => k.record)
}

async function add(words: string[], opts: AddOptions): Promise<void> {
  let records: AnchorRecord[]
  if (opts.fromZone !== undefined) {
    if (words.length > 0 || opts.import !== undefined) throw new UsageError('give one of a record, --import or --from-zone')
    records = await fromZone(opts)
  } else if (opts.import !== undefined) {
    if (words.length > 0) throw new UsageError('give either a record or --import <file>, not both')
    let text: string
    try { text = readFileSync(opts.import, 'utf8') } catch (e) { throw new UsageError(`cannot read ${opts.import}: ${(e as Error).message}`) }
    records = importAnchors(text, opts.import)
  } else {
    if (words.length === 0) throw new UsageError('give a record ("example.test. DNSKEY 257 3 13 …") or --import <file>')
    records = parseAnchorText(words.join(' '), '<argument>').map((e) => e.record)
  }
  const added = await addTrustAnchors(opts.file, records)
  if (opts.json) process.stdout.write(JSON.stringify({ ok: true, added: added.map((r) => anchorJson({ record: r, keyTag: anchorKeyTag(r) })), skipped: records.length - added.length }) + '\n')
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
  const gone = await removeTrustAnchors(opts.file, { zone: name, ...(keyTag === undefined ? {} : { keyTag }), ...(type === undefined ? {} : { type }) })
  if (opts.json) process.stdout.write(JSON.stringify({ ok: true, removed: gone.map(anchorJson) }) + '\n')
  else for (const a of gone) process.stdout.write(`removed ${anchorLine(a)}\n`)
}

function exportAnchors(opts: CommonOptions & { format: string, initial?: boolean }): void {
  const recs = TrustAnchors.load(opts.file).list().map((a) => a.record)
  if (opts.format === 'bind') process.stdout.write(exportBindAnchors(recs, opts.initial ? 'initial' : 'static'))
  else if (opts.format === 'unbound') process.stdout.write(exportUnboundAnchors(recs))
  else throw new UsageError(`--format "${opts.format}" must be bind or unbound`)
}

async function check(opts: CommonOptions & { server?: string }): Promise<void> {
  if (opts.server === undefined) throw new UsageError('check needs --server <address[:port]> to fetch the anchored zones\' keys from')
  const ta = TrustAnchors.load(opts.file)
  const r = new Resolver({ trustAnchors: ta, forwarders: [parseServer(opts.server)] })
  const status = await r.prime()
  const bad = status.filter((a) => a.state !== 'secure')
  if (opts.json) process.stdout.write(JSON.stringify({ ok: bad.length === 0, anchors: status }) + '\n')
  else for (const a of status) process.stdout.write(`${a.zone}\t${a.state}${a.reason === undefined ? '' : `\t${a.reason}`}\n`)
  // A stale anchor is a failed check (exit 1), never silently ignored (issue 7 §1).
  if (bad.length > 0) process.exitCode = 1
}

function run<A extends unknown[]>(fn: (...args: A) => void | Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = args.find((a) => typeof a === 'object' && a !== null && 'file' in a) as CommonOptions | undefined
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
 * // secdns trust-anchor add --file TrustAnchors.dns example.test. DS 61811 13 2 0102…
 */
export function registerTrustAnchorCommands(program: Command): void {
  const exit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2)
  const ta = program.command('trust-anchor').description('Trust anchors of the validating resolver (TrustAnchors.dns)').exitOverride(exit)
  const common = (c: Command): Command => c
    .requiredOption('-f, --file <path>', 'the trust-anchor file (TrustAnchors.dns)')
    .option('--json', 'machine-readable output')
    .exitOverride(exit)
  common(ta.command('list').description('list the anchors: zone, type, key tag, algorithm'))
    .action(run((opts: CommonOptions) => list(opts)))
  common(ta.command('add [record...]').description('add a DNSKEY or DS record given as text, every anchor of a BIND/Unbound/TrustAnchors file, or the keys a zone serves'))
    .option('--import <file>', 'import from named.conf (trust-anchors/trusted-keys/managed-keys), an Unbound anchor file or another TrustAnchors.dns')
    .option('--from-zone <zone>', 'fetch the zone\'s DNSKEY RRset, show key tags and DS digests, and trust its SEP keys after confirmation')
    .option('--server <address[:port]>', 'the server to fetch --from-zone keys from')
    .option('--yes', 'do not ask before trusting fetched keys')
    .action(run((words: string[], opts: AddOptions) => add(words, opts)))
  common(ta.command('remove <zone>').description('remove the anchors of a zone (exit 1 when none matched)'))
    .option('--key-tag <n>', 'only the anchor with this key tag')
    .option('--type <type>', 'only DNSKEY or DS anchors')
    .action(run((zone: string, opts: CommonOptions & { keyTag?: string, type?: string }) => remove(zone, opts)))
  common(ta.command('check').description('fetch each anchored zone\'s DNSKEY RRset and report whether its anchor still matches (exit 1 when one does not)'))
    .option('--server <address[:port]>', 'a server that answers for the anchored zones (forwarder or authoritative)')
    .action(run((opts: CommonOptions & { server?: string }) => check(opts)))
  common(ta.command('export').description('print the anchors as a BIND trust-anchors clause or an Unbound anchor file'))
    .requiredOption('--format <format>', 'bind or unbound')
    .option('--initial', 'BIND: initial-key/initial-ds (RFC 5011 managed) instead of static-key/static-ds')
    .action(run((opts: CommonOptions & { format: string, initial?: boolean }) => exportAnchors(opts)))
}
