/**
 * What every `secdns` command shares: the exit-code contract, deprecated option spellings
 * kept as hidden aliases, and the one-line JSON error shape.
 */
import type { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { Option, type Command, type CommanderError } from 'commander'

/** Exit code: the operation succeeded, or the check or verdict was positive. */
export const EXIT_OK = 0
/** Exit code: the operation failed or its verdict is negative (a failed check, a policy refusal, an unreachable or refusing server). */
export const EXIT_FAILED = 1
/** Exit code: usage or input error (a bad option or argument, a missing or malformed file). Nothing was changed. */
export const EXIT_USAGE = 2

/** The exit-code contract, as `secdns --help` and docs/cli.md print it. */
export const EXIT_CODES: readonly { readonly code: number, readonly meaning: string }[] = [
  { code: EXIT_OK, meaning: 'success; for a check (`zone check`, `zone verify`, `ca verify`, `trust-anchor check`, `query`, `lab`) the verdict is positive' },
  { code: EXIT_FAILED, meaning: 'the operation failed or its verdict is negative: a failed check or verification, a policy refusal, nothing matched (`remove`, `show`), a server that is unreachable or refuses' },
  { code: EXIT_USAGE, meaning: 'usage or input error: an unknown command or option, a missing or bad argument, a missing, unreadable or malformed file; nothing was changed' },
]

/**
 * Commander's own errors (unknown option, missing argument, …) exit with {@link EXIT_USAGE};
 * `--help` and `--version` exit 0. Set on the root before any sub-command is made, so every
 * command inherits it.
 */
export function usageExit(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_USAGE)
}

/** A deprecated spelling of an option, kept working and hidden from `--help`. */
export interface DeprecatedAlias {
  /** The old flags, e.g. `-o, --origin <zone>`. */
  readonly flags: string
  /** The long flag of the option to use instead, e.g. `--zone`. */
  readonly use: string
}

const aliases = new WeakMap<Command, DeprecatedAlias[]>()

/**
 * Keep an old spelling of an option working as a hidden alias of the current one: the
 * value goes through the current option's own parsing (choices, repeatable lists,
 * required-option checks), and a one-line warning on stderr names the new spelling.
 *
 * @param cmd the command that has the current option
 * @param flags the old flags, e.g. `'-o, --origin <zone>'`
 * @param use the current long flag, e.g. `'--zone'`
 * @param forward false when the command reads the old option itself (it then only gets
 *   hidden and warned about)
 * @throws {Error} when `cmd` has no option `use` (a programming error)
 * @example
 * deprecatedAlias(cmd.option('--zone <zone>', 'zone apex'), '-o, --origin <zone>', '--zone')
 */
export function deprecatedAlias(cmd: Command, flags: string, use: string, forward = true): Command {
  const current = cmd.options.find((o) => o.long === use)
  if (current === undefined) throw new Error(`${cmd.name()}: no option ${use} to alias ${flags} to`)
  const old = new Option(flags, `deprecated: use ${use}`).hideHelp()
  cmd.addOption(old)
  cmd.on(`option:${old.name()}`, (val: unknown) => {
    process.stderr.write(`secdns: warning: ${old.long ?? old.short ?? old.flags} is deprecated; use ${use}\n`)
    // Commander's own listener for the current option parses and stores the value.
    if (forward) (cmd as unknown as EventEmitter).emit(`option:${current.name()}`, val)
  })
  const list = aliases.get(cmd) ?? []
  list.push({ flags, use })
  aliases.set(cmd, list)
  return cmd
}

/** The deprecated spellings a command accepts (for the reference and its tests). */
export function deprecatedAliases(cmd: Command): readonly DeprecatedAlias[] {
  return aliases.get(cmd) ?? []
}

/**
 * Whether to draw progress (bars, spinners) on a stream: only on a terminal that can take
 * cursor movement (not `TERM=dumb`), and never when the output is for a script.
 *
 * @param stream where the progress would go (stderr)
 * @param json true under `--json`
 */
export function showProgress(stream: { isTTY?: boolean }, json = false): boolean {
  return stream.isTTY === true && process.env['TERM'] !== 'dumb' && !json
}

/** The `--json` error document every command prints on stdout when it fails under `--json`. */
export function jsonError(err: unknown, fallbackCode = 'ERR_USAGE'): string {
  const e = err as { code?: unknown, message?: unknown }
  const code = typeof e.code === 'string' ? e.code : fallbackCode
  const message = typeof e.message === 'string' ? e.message : String(err)
  return `${JSON.stringify({ ok: false, error: { code, message } })}\n`
}

/** The environment variable that holds the passphrase of DNSSEC private keys. */
export const ENV_KEY_PASSPHRASE = 'SECDNS_KEY_PASSPHRASE'

/**
 * Give a command that reads or writes DNSSEC private keys `--passphrase-file <file>`, as the
 * `ca` commands have for the CA key: the file's first line is the passphrase, used in place
 * of `$SECDNS_KEY_PASSPHRASE`. An unreadable file is a usage error (exit 2).
 *
 * @param cmd a `key` command or `zone sign`
 */
export function keyPassphraseOption(cmd: Command): Command {
  cmd.option('--passphrase-file <file>', `file whose first line is the passphrase of the private keys (or $${ENV_KEY_PASSPHRASE})`)
  cmd.hook('preAction', (_root, action) => {
    const o = action.opts<{ passphraseFile?: string, json?: boolean }>()
    if (o.passphraseFile === undefined) return
    try {
      process.env[ENV_KEY_PASSPHRASE] = readFileSync(o.passphraseFile, 'utf8').split(/\r?\n/)[0] ?? ''
    } catch (e) {
      const err = { code: 'ERR_USAGE', message: `cannot read the passphrase file ${o.passphraseFile}: ${(e as Error).message}` }
      if (o.json === true) process.stdout.write(jsonError(err))
      process.stderr.write(`secdns: ${err.message}\n`)
      process.exit(EXIT_USAGE)
    }
  })
  return cmd
}
