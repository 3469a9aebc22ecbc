/**
 * `secdns zone sign`, `secdns zone ds` and `secdns zone verify`: the dnssec-signzone,
 * dnssec-dsfromkey and dnssec-verify counterparts. Exit codes: 0 ok, 1 verification
 * failed, 2 usage or input error (bad arguments, keys, zone).
 */
import { Command } from 'commander'
import { deprecatedAlias, keyPassphraseOption, showProgress } from '../options.js'
import type cliProgress from 'cli-progress'
import { Name, rrToText } from '@secdns/wire'
import {
  DnssecError, digestTypeFromString, dsOf, isPublished, keyRole, loadKeys, nowSeconds, parseSalt, parseTime,
  signZoneFile, verifyZoneFile, createWorkerSigner, type Nsec3Params, type SerialPolicy,
} from '@secdns/dnssec'

class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

function origin(text: string | undefined, flag = '--zone'): Name {
  if (text === undefined || text === '') throw new UsageError(`${flag} <zone> is required (the zone apex, e.g. example.test)`)
  try { return Name.fromString(text.endsWith('.') ? text : `${text}.`) } catch (e) {
    throw new UsageError(`${flag} "${text}" is not a domain name: ${(e as Error).message}`)
  }
}

function intOpt(text: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined
  const v = Number(text)
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`${flag} "${text}" must be an integer ${min}–${max}`)
  return v
}

function report(err: unknown, json: boolean | undefined): void {
  const e = err as { code?: string, message?: string }
  if (json === true) process.stdout.write(JSON.stringify({ ok: false, error: { code: e.code ?? 'ERR_USAGE', message: e.message ?? String(err) } }) + '\n')
  else process.stderr.write(`secdns: ${e.message ?? String(err)}\n`)
  process.exitCode = 2
}

function passphrase(): string | undefined {
  return process.env['SECDNS_KEY_PASSPHRASE']
}

interface SignOpts {
  zone?: string, keyDir: string, out?: string, nsec3?: boolean, salt?: string, iterations?: string, optOut?: boolean,
  inception?: string, expiration?: string, jobs?: string, now?: string, serial?: string, json?: boolean, dnskeyTtl?: string,
}

async function sign(file: string, o: SignOpts): Promise<void> {
  const zone = origin(o.zone)
  const now = o.now === undefined ? nowSeconds() : parseTime(o.now)
  const serial = (o.serial ?? 'keep') as SerialPolicy
  if (!['keep', 'increment', 'unixtime', 'date'].includes(serial)) throw new UsageError(`--serial "${o.serial}" must be keep, increment, unixtime or date`)
  if (o.optOut === true && o.nsec3 !== true) throw new UsageError('--opt-out needs --nsec3')
  if ((o.salt !== undefined || o.iterations !== undefined) && o.nsec3 !== true) throw new UsageError('--salt and --iterations need --nsec3')
  const nsec3: Nsec3Params | undefined = o.nsec3 === true
    ? { hashAlgorithm: 1, iterations: intOpt(o.iterations, '--iterations', 0, 100) ?? 0, salt: parseSalt(o.salt ?? '-'), optOut: o.optOut === true }
    : undefined
  const jobs = intOpt(o.jobs, '--jobs', 1, 64)
  const keys = (await loadKeys(o.keyDir, { zone: zone.toString(), passphrase: passphrase() })).map((s) => s.key)
  const inception = o.inception === undefined ? undefined : parseTime(o.inception, now)
  const expiration = o.expiration === undefined ? undefined : parseTime(o.expiration, now)
  const dnskeyTtl = intOpt(o.dnskeyTtl, '--dnskey-ttl', 0, 2 ** 31 - 1)
  const drawProgress = showProgress(process.stderr, o.json === true)
  let bar: cliProgress.SingleBar | null = null
  // cli-progress (~20 ms of start-up) is loaded only when a bar is drawn (a TTY, no --json).
  const bars = drawProgress ? (await import('cli-progress')).default : null
  const progress = bars !== null
    ? (done: number, total: number) => {
      if (bar === null) {
        bar = new bars.SingleBar({ format: 'signing [{bar}] {value}/{total} signatures | {rate}/s | ETA {eta}s', stream: process.stderr, hideCursor: true }, bars.Presets.shades_classic)
        bar.start(total, 0, { rate: 0 })
      }
      const el = (Date.now() - started) / 1000
      bar.update(done, { rate: el > 0 ? Math.round(done / el) : 0 })
    }
    : undefined
  const started = Date.now()
  const pool = jobs !== 1 ? createWorkerSigner({ threads: jobs, progress }) : undefined
  try {
    const res = await signZoneFile(file, {
      origin: zone, keys, now, serial, keepRecords: false,
      ...(o.out === undefined ? {} : { out: o.out }), ...(nsec3 === undefined ? {} : { nsec3 }),
      ...(inception === undefined ? {} : { inception }), ...(expiration === undefined ? {} : { expiration }),
      ...(dnskeyTtl === undefined ? {} : { dnskeyTtl }),
      ...(pool === undefined ? {} : { signer: pool.sign }), ...(progress === undefined ? {} : { progress }),
    })
    ;(bar as cliProgress.SingleBar | null)?.stop()
    const seconds = (Date.now() - started) / 1000
    if (o.json === true) {
      process.stdout.write(JSON.stringify({ ok: true, zone: zone.toString(), out: res.out, dsset: res.dsset, ...res.stats, seconds, warnings: res.warnings }) + '\n')
    } else {
      for (const w of res.warnings) process.stderr.write(`secdns: warning: ${w}\n`)
      process.stdout.write(`${res.out}\n`)
      process.stderr.write(`signed ${zone.toString()}: ${res.stats.signatures} signatures made, ${res.stats.reused} reused, ${res.stats.nsec + res.stats.nsec3} ${nsec3 ? 'NSEC3' : 'NSEC'}, serial ${res.stats.serial}, ${seconds.toFixed(2)} s\n`)
    }
  } finally {
    await pool?.close()
  }
}

async function ds(o: { zone?: string, keyDir: string, digest?: string, now?: string, json?: boolean }): Promise<void> {
  const zone = origin(o.zone)
  const now = o.now === undefined ? nowSeconds() : parseTime(o.now)
  const digests = (o.digest ?? 'sha256').split(',').map((d) => digestTypeFromString(d))
  const keys = (await loadKeys(o.keyDir, { zone: zone.toString() })).map((s) => s.key).filter((k) => keyRole(k) === 'ksk' && isPublished(k, now))
  if (keys.length === 0) throw new DnssecError('ERR_DNSSEC_NO_KEYS', `${o.keyDir}: no published KSK for ${zone.toString()}`)
  const lines: string[] = []
  for (const k of keys) for (const d of digests) lines.push(rrToText({ name: zone, class: 1, ttl: 3600, data: dsOf(k, d, now) }).replace(/ 3600 IN /, ' IN '))
  if (o.json === true) process.stdout.write(JSON.stringify({ ok: true, zone: zone.toString(), ds: lines }) + '\n')
  else process.stdout.write(lines.join('\n') + '\n')
}

async function verify(file: string, o: { zone?: string, now?: string, json?: boolean }): Promise<void> {
  const zone = origin(o.zone)
  const now = o.now === undefined ? nowSeconds() : parseTime(o.now)
  const res = verifyZoneFile(file, { origin: zone, now })
  if (o.json === true) {
    process.stdout.write(JSON.stringify({ ok: res.ok, zone: zone.toString(), ...res.stats, errors: res.errors }) + '\n')
  } else if (res.ok) {
    process.stdout.write(`${file}: zone ${zone.toString()} is signed and complete (${res.stats.rrsets} RRsets, ${res.stats.signatures} signatures checked, ${res.stats.denial})\n`)
  } else {
    for (const e of res.errors.slice(0, 50)) process.stderr.write(`${file}: ${e.message}\n`)
    if (res.errors.length > 50) process.stderr.write(`${file}: … ${res.errors.length - 50} more\n`)
  }
  process.exitCode = res.ok ? 0 : 1
}

/**
 * Register `zone sign`, `zone ds` and `zone verify` under the `zone` group (made here if
 * the zone commands have not made it yet).
 */
export function registerSignCommands(program: Command): void {
  const zone = program.commands.find((c) => c.name() === 'zone') ?? program.command('zone').description('zone files: check, print, sign, verify')
  const sign_ = zone.command('sign')
    .description('sign a zone file with the keys of a key store (dnssec-signzone)')
    .argument('<file>', 'zone file (unsigned, or signed before)')
    .option('--zone <zone>', 'zone apex')
    .option('--key-dir <dir>', 'key store directory', 'keys')
    .option('--out <file>', 'output file (default <file>.signed)')
    .option('--nsec3', 'NSEC3 instead of NSEC (RFC 5155)')
    .option('--salt <hex>', 'NSEC3 salt in hex, or - for none (default -, RFC 9276)')
    .option('--iterations <n>', 'NSEC3 extra iterations (default 0, RFC 9276)')
    .option('--opt-out', 'NSEC3 opt-out: skip insecure delegations')
    .option('--inception <time>', 'RRSIG inception (default now-1h)')
    .option('--expiration <time>', 'RRSIG expiration, absolute or +30d (default +30d)')
    .option('--jobs <n>', 'signing threads (default: the number of cores)')
    .option('--now <time>', 'sign as if at this time (YYYYMMDDHHmmSS, unix, ISO)')
    .option('--serial <policy>', 'SOA serial: keep, increment, unixtime, date (default keep)')
    .option('--dnskey-ttl <seconds>', 'TTL of the DNSKEY RRset')
    .option('--json', 'print a JSON summary')
  deprecatedAlias(deprecatedAlias(keyPassphraseOption(sign_), '--origin <zone>', '--zone'), '--keys <dir>', '--key-dir')
  sign_.action(async (file: string, o: SignOpts) => { try { await sign(file, o) } catch (e) { report(e, o.json) } })
  const ds_ = zone.command('ds')
    .description('print the DS records of a zone\'s KSKs for the parent (dnssec-dsfromkey)')
    .option('--zone <zone>', 'zone apex')
    .option('--key-dir <dir>', 'key store directory', 'keys')
    .option('--digest <list>', 'sha1, sha256, sha384, comma separated (default sha256)')
    .option('--now <time>', 'as if at this time')
    .option('--json', 'JSON output')
  deprecatedAlias(ds_, '--dir <dir>', '--key-dir')
  ds_.action(async (o: { zone?: string, keyDir: string, digest?: string, now?: string, json?: boolean }) => { try { await ds(o) } catch (e) { report(e, o.json) } })
  const verify_ = zone.command('verify')
    .description('check a signed zone completely (dnssec-verify): exit 1 naming the record on failure')
    .argument('<file>', 'signed zone file')
    .option('--zone <zone>', 'zone apex')
    .option('--now <time>', 'check signature dates as of this time')
    .option('--json', 'JSON output')
  deprecatedAlias(verify_, '--origin <zone>', '--zone')
  verify_.action(async (file: string, o: { zone?: string, now?: string, json?: boolean }) => { try { await verify(file, o) } catch (e) { report(e, o.json) } })
}
