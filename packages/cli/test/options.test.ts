import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command, Option } from 'commander'
import { commandPath } from '../src/help.js'
import { EXIT_CODES, EXIT_FAILED, EXIT_OK, EXIT_USAGE, deprecatedAliases } from '../src/options.js'
import { allCommands, fullProgram, helpText } from '../src/reference.js'

const bin = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))
const example = fileURLToPath(new URL('../../../../docs/examples/example.test.zone', import.meta.url))
const cli = (args: readonly string[], cwd?: string) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', ...(cwd === undefined ? {} : { cwd }) })

class Exit extends Error {
  readonly code: number
  constructor(code: number) {
    super(`process.exit(${code})`)
    this.code = code
  }
}

/** Parse a command line in-process; the exit code commander's handling asks for (undefined: none). */
async function exitOf(args: readonly string[]): Promise<number | undefined> {
  const program = await fullProgram()
  for (const c of allCommands(program)) {
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    // Never run the real action: only commander's own checks are under test here.
    if (c.commands.length === 0 && c !== program) c.action(() => undefined)
  }
  const real = process.exit
  process.exit = ((code?: number) => { throw new Exit(code ?? 0) }) as typeof process.exit
  try {
    await program.parseAsync([...args], { from: 'user' })
    return undefined
  } catch (e) {
    if (e instanceof Exit) return e.code
    throw e
  } finally {
    process.exit = real
  }
}

/** Placeholder values that satisfy an option (its first choice, if it has choices). */
const valueFor = (o: Option): string => (o.argChoices?.[0] ?? 'VALUE')

/** The arguments and mandatory options a command needs to get past commander's checks. */
function needs(cmd: Command, except?: string): string[] {
  const out = cmd.registeredArguments.filter((a) => a.required).map(() => 'ARG')
  for (const o of cmd.options) if (o.mandatory && o.long !== except) out.push(o.long!, valueFor(o))
  return out
}

test('the exit-code table is 0 ok, 1 failed or negative, 2 usage or input', (t) => {
  t.deepEqual([EXIT_OK, EXIT_FAILED, EXIT_USAGE], [0, 1, 2])
  t.deepEqual(EXIT_CODES.map((e) => e.code), [0, 1, 2])
})

test('every command exits 2 on an unknown option, and every group without a command exits 2', async (t) => {
  const program = await fullProgram()
  const wrong: string[] = []
  for (const c of allCommands(program)) {
    const path = commandPath(c).split(' ').filter((w) => w !== '')
    const code = await exitOf([...path, ...needs(c), '--bogus-option'])
    if (code !== EXIT_USAGE) wrong.push(`secdns ${path.join(' ')} --bogus-option: ${code}`)
    if (c.commands.length > 0) {
      const bare = await exitOf(path)
      if (bare !== EXIT_USAGE) wrong.push(`secdns ${path.join(' ')}: ${bare}`)
    }
  }
  t.deepEqual(wrong, [])
})

test('a missing argument or mandatory option, an unknown command or a bad choice exits 2; --help and --version exit 0', async (t) => {
  t.is(await exitOf(['zone', 'check']), EXIT_USAGE)
  t.is(await exitOf(['ca', 'list']), EXIT_USAGE)
  t.is(await exitOf(['nope']), EXIT_USAGE)
  t.is(await exitOf(['ca', 'issue', '--ca-dir', 'x', '--profile', 'nope', '--out', 'o']), EXIT_USAGE)
  t.is(await exitOf(['--help']), EXIT_OK)
  t.is(await exitOf(['--version']), EXIT_OK)
  t.is(await exitOf(['key', 'revoke', '--help']), EXIT_OK)
})

test('the contract end to end: 0 a zone that loads, 1 one with errors, 2 a file that is missing', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-cli-exit-'))
  writeFileSync(join(dir, 'bad.zone'), '$TTL 1h\n@ SOA ns h 1 2 3 4 5\n NS ns\nx A 1.2.3\n')
  t.is(cli(['zone', 'check', example, '--zone', 'example.test']).status, EXIT_OK)
  t.is(cli(['zone', 'check', join(dir, 'bad.zone'), '--zone', 'example.test']).status, EXIT_FAILED)
  const missing = cli(['zone', 'check', join(dir, 'none.zone'), '--zone', 'example.test', '--json'])
  t.is(missing.status, EXIT_USAGE)
  t.like(JSON.parse(missing.stdout), { ok: false, error: { code: 'ERR_USAGE' } })
  const unknown = cli(['key', 'list', '--bogus'])
  t.is(unknown.status, EXIT_USAGE)
  t.regex(unknown.stderr, /unknown option '--bogus'/)
})

test('every deprecated spelling is hidden from --help and sets the option it was renamed to', async (t) => {
  const program = await fullProgram()
  const problems: string[] = []
  let count = 0
  for (const c of allCommands(program)) {
    for (const a of deprecatedAliases(c)) {
      count++
      const old = c.options.find((o) => o.flags === a.flags)!
      const current = c.options.find((o) => o.long === a.use)!
      const oldFlag = old.long ?? old.short!
      const path = commandPath(c)
      if (!old.hidden) problems.push(`${path} ${a.flags} is shown`)
      if (new RegExp(`(?<![\\w-])${oldFlag}(?![\\w-])`).test(helpText(c))) problems.push(`${path}: --help mentions ${oldFlag}`)
      // Parse with the old spelling and look at what the action would get.
      const fresh = await fullProgram()
      const cmd = allCommands(fresh).find((x) => commandPath(x) === path)!
      let seen: Record<string, unknown> | undefined
      cmd.action(function (this: Command) { seen = this.opts() })
      for (const x of allCommands(fresh)) x.configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
      const value = valueFor(current)
      const stderr = process.stderr.write
      process.stderr.write = (() => true) as typeof process.stderr.write
      try {
        await fresh.parseAsync([...path.split(' '), ...needs(cmd, a.use), oldFlag, value], { from: 'user' })
      } finally {
        process.stderr.write = stderr
      }
      if (seen === undefined) problems.push(`${path} ${oldFlag}: the action did not run`)
      else if (seen[current.attributeName()] !== value && !(a.use === '--dns' && seen['server'] === value)) {
        problems.push(`${path} ${oldFlag} ${value}: ${a.use} is ${String(seen[current.attributeName()])}`)
      }
    }
  }
  t.true(count >= 20, `only ${count} deprecated spellings`)
  t.deepEqual(problems, [])
})

test('an old spelling gives the same output as the new one, with a warning on stderr', (t) => {
  const pairs: [string[], string[], string][] = [
    [['zone', 'check', example, '-o', 'example.test'], ['zone', 'check', example, '--zone', 'example.test'], '-o'],
    [['zone', 'print', example, '--origin', 'example.test'], ['zone', 'print', example, '--zone', 'example.test'], '--origin'],
  ]
  for (const [old, current, flag] of pairs) {
    const a = cli(old)
    const b = cli(current)
    t.is(a.status, 0, a.stderr)
    t.is(a.stdout, b.stdout)
    t.is(b.stderr, '')
    t.true(a.stderr.includes(`secdns: warning: ${flag === '-o' ? '--origin' : flag} is deprecated; use --zone`), a.stderr)
  }
})

test('key commands and zone sign take --passphrase-file as ca does; a file that cannot be read exits 2', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-cli-pass-'))
  writeFileSync(join(dir, 'pw'), 'key-secret\n')
  const made = cli(['key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--key-dir', 'keys', '--passphrase-file', 'pw', '--json'], dir)
  t.is(made.status, EXIT_OK, made.stderr)
  // Encrypted with the file's first line: without it the private key cannot be read.
  const locked = cli(['key', 'export-bind', '--key-dir', 'keys', '--out', 'bind'], dir)
  t.is(locked.status, EXIT_USAGE)
  t.is(cli(['key', 'export-bind', '--key-dir', 'keys', '--out', 'bind', '--passphrase-file', 'pw'], dir).status, EXIT_OK)
  const missing = cli(['key', 'list', '--key-dir', 'keys', '--passphrase-file', 'nope', '--json'], dir)
  t.is(missing.status, EXIT_USAGE)
  t.like(JSON.parse(missing.stdout), { ok: false, error: { code: 'ERR_USAGE' } })
  t.regex(missing.stderr, /cannot read the passphrase file nope/)
})
