/**
 * `secdns nrpt add|remove|list|show|global`: the Name Resolution Policy Table, as
 * `Add-DnsClientNrptRule`, `Remove-DnsClientNrptRule`, `Get-DnsClientNrptRule`,
 * `Get-DnsClientNrptPolicy -Effective` and `Set-DnsClientNrptGlobal`. The file is validated
 * on every load and rewritten atomically (temp file + rename).
 * Exit codes: 0 ok, 1 nothing matched (remove/show), 2 usage or input error.
 */
import { existsSync } from 'node:fs'
import { Command, Option, type CommanderError } from 'commander'
import {
  ClientError, ENCRYPTION_TYPES, FALLBACK_POLICIES, QUERY_POLICIES, addRule, emptyNrpt, findRule, loadNrpt, matchNrpt,
  removeRule, saveNrpt, setGlobal, type CompiledNrpt, type NameServerEntry, type NrptRule, type NrptTable, type EncryptionType,
  type QueryPolicy, type SecureNameQueryFallback,
} from '@secdns/client'

/** Environment variable naming the NRPT file when --nrpt is not given. */
export const ENV_NRPT = 'SECDNS_NRPT'
/** The NRPT file used when neither --nrpt nor SECDNS_NRPT is given. */
export const DEFAULT_NRPT_FILE = 'nrpt.json'

/** The NRPT file to use: --nrpt, then $SECDNS_NRPT, then ./nrpt.json. */
export function nrptPath(opt: string | undefined): string {
  return opt ?? process.env[ENV_NRPT] ?? DEFAULT_NRPT_FILE
}

class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

function fail(err: unknown, json: boolean): void {
  const e = err as { code?: string; message?: string }
  const code = e.code ?? 'ERR_USAGE'
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message: e.message ?? String(err) } })}\n`)
  else process.stderr.write(`secdns: ${code}: ${e.message ?? String(err)}\n`)
  process.exitCode = err instanceof ClientError && err.code === 'ERR_CLIENT_NRPT_NO_RULE' ? 1 : 2
}

function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = args.find((a): a is { json?: boolean } => typeof a === 'object' && a !== null && !Array.isArray(a) && !(a instanceof Command))
    try {
      await fn(...args)
    } catch (e) {
      fail(e, opts?.json === true)
    }
  }
}

async function loadOrEmpty(path: string): Promise<NrptTable> {
  return existsSync(path) ? (await loadNrpt(path)).table : emptyNrpt()
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v]
}

/** One line per rule, like Get-DnsClientNrptRule's table. */
function ruleLine(r: NrptRule): string {
  const flags = [
    r.nameServers.length === 0 ? 'exempt' : undefined,
    r.dnsSecEnable ? 'DO' : undefined,
    r.dnsSecValidationRequired ? 'validation-required' : undefined,
    r.secureChannelRequired ? `secure-channel(${r.encryption})` : undefined,
  ].filter((x) => x !== undefined).join(',')
  const servers = r.nameServers.map((s) => typeof s === 'string' ? s : `${s.address}${s.serverName === undefined ? '' : `#${s.serverName}`}`).join(' ')
  return `${r.name}\t${r.namespace.join(' ')}\t${servers === '' ? '-' : servers}\t${flags === '' ? '-' : flags}${r.displayName === undefined ? '' : `\t${r.displayName}`}`
}

function ruleDetail(r: NrptRule): string {
  const lines = [
    `Name                      : ${r.name}`,
    `DisplayName               : ${r.displayName ?? ''}`,
    `Comment                   : ${r.comment ?? ''}`,
    `Namespace                 : ${r.namespace.join(', ')}`,
    `NameServers               : ${r.nameServers.map((s) => typeof s === 'string' ? s : `${s.address} (serverName ${s.serverName ?? '-'})`).join(', ')}`,
    `DnsSecEnable              : ${r.dnsSecEnable}`,
    `DnsSecValidationRequired  : ${r.dnsSecValidationRequired}`,
    `DnsSecIPsecRequired       : ${r.secureChannelRequired}`,
    `DnsSecIPsecEncryptionType : ${r.encryption}`,
    `TrustAuthority            : ${r.trustAuthority.map((x) => x.includes('-----BEGIN') ? '(PEM)' : x).join(', ')}`,
    ...(r.crl !== undefined ? [`Crl                       : ${r.crl.map((x) => x.includes('-----BEGIN') ? '(PEM)' : x).join(', ')}`] : []),
  ]
  return `${lines.join('\n')}\n`
}

function effective(nrpt: CompiledNrpt, name: string, json: boolean): void {
  const m = matchNrpt(nrpt, name)
  const r = m.rule?.rule
  if (json) {
    process.stdout.write(`${JSON.stringify({
      ok: true, name, rule: r ?? null, namespace: m.namespace?.text ?? null, exempt: m.rule?.exempt ?? false, reason: m.reason,
      candidates: m.candidates.map((c) => ({ rule: c.rule.rule.name, namespace: c.namespace.text })),
    })}\n`)
    return
  }
  const out = [`${name}: ${r === undefined ? 'no rule' : `rule "${r.name}"${r.displayName === undefined ? '' : ` (${r.displayName})`}`}`, `  why: ${m.reason}`]
  if (m.candidates.length > 1) out.push(`  also matched: ${m.candidates.slice(1).map((c) => `"${c.rule.rule.name}" (${c.namespace.text})`).join(', ')}`)
  if (r !== undefined && m.rule?.exempt !== true) {
    out.push(`  servers: ${m.rule!.servers.map((s) => s.text).join(', ')}`)
    out.push(`  DNSSEC: ${r.dnsSecEnable ? 'DO set' : 'DO clear'}, validation ${r.dnsSecValidationRequired ? 'required (AD or nothing)' : 'not required'}`)
    out.push(`  channel: ${r.secureChannelRequired ? `required, encryption ${r.encryption}` : 'not required'}`)
  } else {
    out.push(`  servers: default (${nrpt.defaultServers.map((s) => s.text).join(', ') || '/etc/resolv.conf'}), no DNSSEC policy`)
  }
  process.stdout.write(`${out.join('\n')}\n`)
}

interface AddOptions {
  nrpt?: string; json?: boolean; name?: string; namespace: string[]; server?: string[]; serverName?: string; dnssec?: boolean
  validationRequired?: boolean; secureChannel?: boolean; encryption?: EncryptionType; trustAuthority?: string[]; comment?: string
  crl?: string[]; displayName?: string; clientCert?: string; clientKey?: string
}

/**
 * Register `secdns nrpt …`.
 * @param program the root command
 */
export function registerNrptCommands(program: Command): void {
  const exit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2)
  const nrpt = program.command('nrpt').description('the Name Resolution Policy Table of the stub client (Add-DnsClientNrptRule and its kin)').exitOverride(exit)
  const fileOpt = (): Option => new Option('--nrpt <file>', `NRPT file (default $${ENV_NRPT} or ./${DEFAULT_NRPT_FILE})`)

  nrpt.command('list').description('list the rules (Get-DnsClientNrptRule)').addOption(fileOpt()).option('--json', 'JSON output').exitOverride(exit)
    .action(action(async (o: { nrpt?: string; json?: boolean }) => {
      const path = nrptPath(o.nrpt)
      const c = await loadNrpt(path)
      if (o.json) { process.stdout.write(`${JSON.stringify({ ok: true, global: c.table.global, rules: c.table.rules })}\n`); return }
      const g = c.table.global
      process.stdout.write(`# ${path}: ${c.table.rules.length} rule(s); queryPolicy ${g.queryPolicy}, secureNameQueryFallback ${g.secureNameQueryFallback}\n`)
      for (const r of c.table.rules) process.stdout.write(`${ruleLine(r)}\n`)
    }))

  nrpt.command('show').description('show one rule, or with --effective NAME which rule applies to NAME and why (Get-DnsClientNrptPolicy -Effective)')
    .argument('[rule]', 'rule name, display name or namespace').addOption(fileOpt()).option('--effective <name>', 'the query name to explain')
    .option('--json', 'JSON output').exitOverride(exit)
    .action(action(async (key: string | undefined, o: { nrpt?: string; json?: boolean; effective?: string }) => {
      const c = await loadNrpt(nrptPath(o.nrpt))
      if (o.effective !== undefined) {
        if (key !== undefined) throw new UsageError('give a rule or --effective NAME, not both')
        try { effective(c, o.effective, o.json === true) } catch (e) {
          throw new UsageError(`"${o.effective}" is not a valid domain name: ${(e as Error).message}`)
        }
        return
      }
      if (key === undefined) throw new UsageError('give a rule name, or --effective NAME')
      const r = findRule(c.table, key)
      if (r === undefined) throw new ClientError('ERR_CLIENT_NRPT_NO_RULE', `no NRPT rule named "${key}"`)
      process.stdout.write(o.json ? `${JSON.stringify({ ok: true, rule: r })}\n` : ruleDetail(r))
    }))

  nrpt.command('add').description('add a rule (Add-DnsClientNrptRule); the file is created when missing')
    .addOption(fileOpt())
    .requiredOption('--namespace <ns>', 'suffix (.corp.example), FQDN, "." or subnet (10.1.0.0/16); repeatable', collect)
    .option('--server <addr>', 'udp://, tcp://, tls:// or ws(s):// name server; repeatable; none: an exemption rule', collect)
    .option('--server-name <name>', 'the name the server certificates must carry (tls, ws, wss)')
    .option('--dnssec', 'DnsSecEnable: set the DO bit')
    .option('--validation-required', 'DnsSecValidationRequired: answers without AD are errors')
    .option('--secure-channel', 'DnsSecIPsecRequired: only the protected channel')
    .addOption(new Option('--encryption <level>', 'DnsSecIPsecEncryptionType').choices([...ENCRYPTION_TYPES]))
    .option('--trust-authority <ca>', 'CA certificate file (PEM) the server must chain to; repeatable', collect)
    .option('--crl <file>', 'CRL file (PEM or DER, as `secdns ca crl` writes) of the trust authority: a revoked server certificate is refused; read again when it changes; repeatable', collect)
    .option('--client-cert <file>', 'client certificate for the channel (this rule only)')
    .option('--client-key <file>', 'its private key')
    .option('--name <name>', 'rule name (default: a GUID)')
    .option('--display-name <text>').option('--comment <text>').option('--json', 'JSON output').exitOverride(exit)
    .action(action(async (o: AddOptions) => {
      const path = nrptPath(o.nrpt)
      const table = await loadOrEmpty(path)
      if ((o.clientCert === undefined) !== (o.clientKey === undefined)) throw new UsageError('--client-cert and --client-key go together')
      const servers: NameServerEntry[] = (o.server ?? []).map((s) => o.serverName === undefined ? s : { address: s, serverName: o.serverName })
      const next = addRule(table, {
        namespace: o.namespace, nameServers: servers, dnsSecEnable: o.dnssec === true || o.validationRequired === true,
        dnsSecValidationRequired: o.validationRequired === true, secureChannelRequired: o.secureChannel === true,
        ...(o.encryption !== undefined ? { encryption: o.encryption } : {}),
        ...(o.trustAuthority !== undefined ? { trustAuthority: o.trustAuthority } : {}),
        ...(o.crl !== undefined ? { crl: o.crl } : {}),
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.displayName !== undefined ? { displayName: o.displayName } : {}),
        ...(o.comment !== undefined ? { comment: o.comment } : {}),
        ...(o.clientCert !== undefined ? { clientCertificate: { certificate: o.clientCert, privateKey: o.clientKey! } } : {}),
      })
      await saveNrpt(path, next)
      const added = next.rules[next.rules.length - 1]!
      process.stdout.write(o.json ? `${JSON.stringify({ ok: true, rule: added })}\n` : `added ${ruleLine(added)}\n`)
    }))

  nrpt.command('remove').description('remove a rule (Remove-DnsClientNrptRule); exit 1 when none matches').argument('<rule>', 'rule name, display name or namespace')
    .addOption(fileOpt()).option('--json', 'JSON output').exitOverride(exit)
    .action(action(async (key: string, o: { nrpt?: string; json?: boolean }) => {
      const path = nrptPath(o.nrpt)
      const c = await loadNrpt(path)
      const r = findRule(c.table, key)
      await saveNrpt(path, removeRule(c.table, key))
      process.stdout.write(o.json ? `${JSON.stringify({ ok: true, removed: r })}\n` : `removed ${r!.name}\n`)
    }))

  nrpt.command('global').description('show or set the global settings (Get-/Set-DnsClientNrptGlobal)').addOption(fileOpt())
    .addOption(new Option('--query-policy <policy>').choices([...QUERY_POLICIES]))
    .addOption(new Option('--fallback <policy>', 'SecureNameQueryFallback').choices([...FALLBACK_POLICIES]))
    .option('--default-server <addr>', 'default (interface) name server; repeatable; replaces the list', collect)
    .option('--client-cert <file>', 'client certificate for the protected channel').option('--client-key <file>', 'its private key')
    .option('--timeout <ms>', 'per-server timeout in milliseconds').option('--json', 'JSON output').exitOverride(exit)
    .action(action(async (o: { nrpt?: string; json?: boolean; queryPolicy?: QueryPolicy; fallback?: SecureNameQueryFallback; defaultServer?: string[]; clientCert?: string; clientKey?: string; timeout?: string }) => {
      const path = nrptPath(o.nrpt)
      let table = await loadOrEmpty(path)
      if ((o.clientCert === undefined) !== (o.clientKey === undefined)) throw new UsageError('--client-cert and --client-key go together')
      if (o.timeout !== undefined && !/^\d+$/.test(o.timeout)) throw new UsageError(`--timeout "${o.timeout}" is not a number of milliseconds`)
      const changes = {
        ...(o.queryPolicy !== undefined ? { queryPolicy: o.queryPolicy } : {}),
        ...(o.fallback !== undefined ? { secureNameQueryFallback: o.fallback } : {}),
        ...(o.defaultServer !== undefined ? { defaultServers: o.defaultServer } : {}),
        ...(o.clientCert !== undefined ? { clientCertificate: { certificate: o.clientCert, privateKey: o.clientKey! } } : {}),
        ...(o.timeout !== undefined ? { timeoutMs: Number(o.timeout) } : {}),
      }
      if (Object.keys(changes).length > 0) {
        table = setGlobal(table, changes)
        await saveNrpt(path, table)
      }
      const g = table.global
      process.stdout.write(o.json ? `${JSON.stringify({ ok: true, global: g })}\n`
        : `QueryPolicy             : ${g.queryPolicy}\nSecureNameQueryFallback : ${g.secureNameQueryFallback}\nDefaultServers          : ${g.defaultServers.map((s) => typeof s === 'string' ? s : s.address).join(', ')}\nTimeoutMs               : ${g.timeoutMs}\n`)
    }))
}
