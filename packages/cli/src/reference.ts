/**
 * The generated part of docs/cli.md: the exit codes, the deprecated option spellings and
 * every command's `--help` (with its examples), rendered from the command tree itself so
 * the reference cannot drift from the program.
 *
 * Regenerate with `npm run docs -w @secdns/cli` (after `npx tsc -b`); a test fails when
 * docs/cli.md is out of date.
 */
import { readFileSync, realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { writeFileAtomic } from '@secdns/pki'
import { buildProgram, loadAllCommands } from './program.js'
import { commandPath } from './help.js'
import { EXIT_CODES, deprecatedAliases } from './options.js'

/** The line that opens the generated section of docs/cli.md. */
export const BEGIN_MARKER = '<!-- BEGIN GENERATED REFERENCE: `npm run docs -w @secdns/cli` writes everything down to the END marker; do not edit by hand -->'
/** The line that closes it. */
export const END_MARKER = '<!-- END GENERATED REFERENCE -->'

/** Help is rendered this wide, whatever the terminal, so the output is the same everywhere. */
const HELP_WIDTH = 100

/** Every command under `cmd`, depth first, `cmd` included (the implicit `help` command excluded). */
export function allCommands(cmd: Command): Command[] {
  const out = [cmd]
  for (const sub of cmd.commands) if (sub.name() !== 'help') out.push(...allCommands(sub))
  return out
}

/** What `secdns <path> --help` prints (on a terminal of {@link HELP_WIDTH} columns). */
export function helpText(cmd: Command): string {
  let text = ''
  cmd.configureHelp({ helpWidth: HELP_WIDTH })
  cmd.configureOutput({ writeOut: (s) => { text += s }, writeErr: (s) => { text += s } })
  cmd.outputHelp()
  return text
}

/** The program with every command group loaded. */
export async function fullProgram(): Promise<Command> {
  return loadAllCommands(buildProgram())
}

/** The generated markdown, markers included. */
export function renderReference(program: Command): string {
  const out: string[] = [BEGIN_MARKER, '', '## Exit codes', '', '| code | meaning |', '|---|---|']
  for (const e of EXIT_CODES) out.push(`| ${e.code} | ${e.meaning} |`)
  out.push('', 'With `--json`, a command prints exactly one JSON document on stdout (the `lab` summary and',
    '`client serve` print one line each); on failure it is `{"ok": false, "error": {"code": "ERR_…",',
    '"message": "…"}}`, with the exit code above. Progress bars and spinners are drawn only when',
    'stderr is a terminal (not `TERM=dumb`); secdns prints no colours. Piped output is plain lines.', '')
  const commands = allCommands(program)
  out.push('## Deprecated spellings', '', 'Old spellings still work, print a one-line warning on stderr, and are hidden from `--help`.', '',
    '| command | old | use |', '|---|---|---|')
  for (const c of commands) {
    for (const a of deprecatedAliases(c)) out.push(`| \`secdns ${commandPath(c)}\` | \`${a.flags.replace(/\|/g, '\\|')}\` | \`${a.use}\` |`)
  }
  out.push('', '## Command reference', '')
  for (const c of commands) {
    const path = commandPath(c)
    out.push(`### \`secdns${path === '' ? '' : ` ${path}`}\``, '', '```text', helpText(c).trimEnd(), '```', '')
  }
  out.push(END_MARKER)
  return out.join('\n') + '\n'
}

/**
 * docs/cli.md with its generated section replaced by `generated`.
 *
 * @throws {Error} when the document lacks the markers
 */
export function spliceReference(doc: string, generated: string): string {
  const begin = doc.indexOf(BEGIN_MARKER)
  const end = doc.indexOf(END_MARKER)
  if (begin < 0 || end < begin) throw new Error(`the document has no generated section (${BEGIN_MARKER} … ${END_MARKER})`)
  return doc.slice(0, begin) + generated + doc.slice(end + END_MARKER.length + 1)
}

async function main(argv: readonly string[]): Promise<void> {
  const generated = renderReference(await fullProgram())
  const i = argv.indexOf('--write')
  if (i < 0) { process.stdout.write(generated); return }
  const file = argv[i + 1]
  if (file === undefined) throw new Error('--write needs the path of docs/cli.md')
  await writeFileAtomic(file, spliceReference(readFileSync(file, 'utf8'), generated))
  process.stderr.write(`wrote the command reference into ${file}\n`)
}

const self = fileURLToPath(import.meta.url)
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === self) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`)
    process.exitCode = 2
  })
}
