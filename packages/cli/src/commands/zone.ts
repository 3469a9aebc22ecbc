/**
 * `secdns zone check` and `secdns zone print`: the named-checkzone and
 * named-compilezone counterparts. Exit codes: 0 the zone loads, 1 it has errors,
 * 2 usage or input error (bad arguments, missing file).
 */
import { Command, type CommanderError } from 'commander'
import { deprecatedAlias } from '../options.js'
import { Name } from '@secdns/wire'
import { loadZoneFile, zoneLines, ZoneError, classToString, parseClass, type LoadZoneResult, type ZoneWarning } from '@secdns/zone'

interface ZoneOptions { zone?: string, class?: string, json?: boolean, maxErrors?: string }

class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

function parseOrigin(text: string | undefined): Name {
  if (text === undefined || text === '') throw new UsageError('--zone <zone> is required (the zone apex, e.g. example.test)')
  try {
    return Name.fromString(text.endsWith('.') ? text : text + '.')
  } catch (e) {
    throw new UsageError(`--zone "${text}" is not a domain name: ${(e as Error).message}`)
  }
}

function parseZoneClass(text: string | undefined): number {
  if (text === undefined) return 1
  const c = parseClass(text)
  if (c === null) throw new UsageError(`--class "${text}" is not a class (IN, CH, HS or CLASSnnn)`)
  return c
}

function parseMaxErrors(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const v = Number(text)
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--max-errors "${text}" must be a positive integer`)
  return v
}

function load(file: string, opts: ZoneOptions): { origin: Name, zoneClass: number, result: LoadZoneResult } {
  const origin = parseOrigin(opts.zone)
  const zoneClass = parseZoneClass(opts.class)
  const maxErrors = parseMaxErrors(opts.maxErrors)
  let result: LoadZoneResult
  try {
    result = loadZoneFile(file, maxErrors === undefined ? { origin, zoneClass } : { origin, zoneClass, maxErrors })
  } catch (e) {
    if (e instanceof ZoneError && e.code === 'ERR_ZONE_FILE') throw new UsageError(e.message)
    throw e
  }
  return { origin, zoneClass, result }
}

function zoneLabel(origin: Name, zoneClass: number): string {
  // named-checkzone prints the origin without its trailing dot: "zone example.test/IN".
  const o = origin.toString()
  return `${o === '.' ? o : o.slice(0, -1)}/${classToString(zoneClass)}`
}

function diag(d: ZoneError | ZoneWarning): { code: string, file: string, line: number, column: number, message: string } {
  return { code: d.code, file: d.file, line: d.line, column: d.column, message: d.reason }
}

function fail(err: unknown, json: boolean): void {
  const e = err as { code?: string, message?: string }
  if (json) {
    process.stdout.write(JSON.stringify({ ok: false, error: { code: e.code ?? 'ERR_USAGE', message: e.message ?? String(err) } }) + '\n')
  } else {
    process.stderr.write(`secdns: ${e.message ?? String(err)}\n`)
  }
  process.exitCode = 2
}

function check(file: string, opts: ZoneOptions): void {
  const { origin, zoneClass, result } = load(file, opts)
  const label = zoneLabel(origin, zoneClass)
  const ok = result.errors.length === 0
  if (opts.json) {
    const soa = result.zone.soa
    process.stdout.write(JSON.stringify({
      ok, zone: origin.toString(), class: classToString(zoneClass), serial: ok && soa ? soa.data.serial : null,
      records: result.zone.size, errors: result.errors.map(diag), warnings: result.warnings.map(diag),
    }) + '\n')
  } else {
    for (const w of result.warnings) process.stderr.write(`${w.message}\n`)
    if (ok) {
      process.stdout.write(`zone ${label}: loaded serial ${result.zone.soa!.data.serial}\nOK\n`)
    } else {
      for (const e of result.errors) process.stdout.write(`${e.message}\n`)
      process.stdout.write(`zone ${label}: not loaded due to errors.\n`)
    }
  }
  process.exitCode = ok ? 0 : 1
}

function print(file: string, opts: ZoneOptions): void {
  const { origin, result } = load(file, opts)
  if (result.errors.length > 0) {
    if (opts.json) {
      process.stdout.write(JSON.stringify({ ok: false, zone: origin.toString(), errors: result.errors.map(diag), warnings: result.warnings.map(diag) }) + '\n')
    } else {
      for (const e of result.errors) process.stderr.write(`${e.message}\n`)
    }
    process.exitCode = 1
    return
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ok: true, zone: origin.toString(), records: [...zoneLines(result.zone)], warnings: result.warnings.map(diag) }) + '\n')
  } else {
    for (const w of result.warnings) process.stderr.write(`${w.message}\n`)
    let buf = ''
    for (const line of zoneLines(result.zone)) {
      buf += line + '\n'
      if (buf.length > 1 << 16) { process.stdout.write(buf); buf = '' }
    }
    process.stdout.write(buf)
  }
  process.exitCode = 0
}

function run(fn: (file: string, opts: ZoneOptions) => void): (file: string, opts: ZoneOptions) => void {
  return (file, opts) => {
    try {
      fn(file, opts)
    } catch (e) {
      fail(e, opts.json === true)
    }
  }
}

/**
 * Register `secdns zone check|print` on the program.
 *
 * @param program the root `secdns` command
 * @example
 * registerZoneCommands(program)
 * // secdns zone check docs/examples/example.test.zone --zone example.test
 */
export function registerZoneCommands(program: Command): void {
  const zone = program.command('zone').description('master files: check, print, sign, DS for the parent, verify (named-checkzone, dnssec-signzone, dnssec-verify)')
  zone.exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? 0 : 2)
  })
  // -c means --config in server and trust-anchor, so the class has only its long flag here;
  // named-checkzone's -c is kept as a hidden deprecated spelling.
  const common = (c: Command): Command => deprecatedAlias(deprecatedAlias(c
    .requiredOption('--zone <zone>', 'the zone apex (origin), e.g. example.test')
    .option('--class <class>', 'the zone class', 'IN')
    .option('--max-errors <n>', 'stop after this many errors (default 100)')
    .option('--json', 'machine-readable output')
    .exitOverride((err: CommanderError) => { process.exit(err.exitCode === 0 ? 0 : 2) }), '-o, --origin <zone>', '--zone'), '-c <class>', '--class')
  common(zone.command('check <file>')
    .description('load a zone file and check it like named-checkzone: exit 0 when it loads, 1 with file:line:col errors'))
    .action(run(check))
  common(zone.command('print <file>')
    .description('print the zone in canonical order, one record a line, fully qualified (like named-compilezone -D -o -)'))
    .action(run(print))
}
