import test from 'ava'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { EXAMPLES, commandPath } from '../src/help.js'
import { allCommands, fullProgram, helpText } from '../src/reference.js'

const bin = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))

/** The command an example line runs: follow its words down the tree. */
function target(root: Command, words: readonly string[]): Command {
  let cmd = root
  for (const w of words) {
    const sub = cmd.commands.find((c) => c.name() === w)
    if (sub === undefined) break
    cmd = sub
  }
  return cmd
}

/** Split an example command line into words (double quotes group). */
function words(line: string): string[] {
  return [...line.matchAll(/"[^"]*"|\S+/g)].map((m) => m[0])
}

test('every command and sub-command has an Examples section in its --help', async (t) => {
  const program = await fullProgram()
  const commands = allCommands(program)
  t.true(commands.length > 40, `only ${commands.length} commands found`)
  const missing = commands.filter((c) => !/\nExamples:\n {2}\$ secdns/.test(helpText(c))).map((c) => `secdns ${commandPath(c)}`.trim())
  t.deepEqual(missing, [])
})

test('each example runs the command it documents, with options that command shows (no deprecated spelling)', async (t) => {
  const program = await fullProgram()
  const problems: string[] = []
  for (const c of allCommands(program)) {
    const path = commandPath(c)
    for (const [line] of EXAMPLES[path] ?? []) {
      const w = words(line)
      const at = w.indexOf('secdns')
      if (at < 0) { problems.push(`${path}: "${line}" does not run secdns`); continue }
      const args = w.slice(at + 1).filter((x) => x !== '|' && !x.startsWith('>'))
      const cmd = target(program, args)
      if (!commandPath(cmd).startsWith(path)) problems.push(`${path}: "${line}" runs secdns ${commandPath(cmd)}`)
      if (cmd.commands.length > 0 && cmd !== program) problems.push(`${path}: "${line}" names a group, not a command`)
      for (const a of args) {
        if (!a.startsWith('-') || a === '-') continue
        const flag = a.split('=')[0]!
        const opt = cmd.options.find((o) => o.long === flag || o.short === flag)
        if (opt === undefined) problems.push(`${path}: "${line}": ${commandPath(cmd)} has no option ${flag}`)
        else if (opt.hidden) problems.push(`${path}: "${line}": ${flag} is a deprecated spelling`)
      }
    }
  }
  t.deepEqual(problems, [])
})

test('the examples table names only commands that exist', async (t) => {
  const paths = new Set(allCommands(await fullProgram()).map(commandPath))
  t.deepEqual(Object.keys(EXAMPLES).filter((p) => !paths.has(p)), [])
})

test('secdns <group> <command> --help loads the group on demand, prints the examples and exits 0', (t) => {
  for (const args of [['zone', 'sign', '--help'], ['help', 'key'], ['--help']]) {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
    t.is(r.status, 0, `${args.join(' ')}: ${r.stderr}`)
    t.regex(r.stdout, /\nExamples:\n {2}\$ secdns /, args.join(' '))
  }
})

test('every command (not group) takes --json, so a script can read any of them', async (t) => {
  const program = await fullProgram()
  const leaves = allCommands(program).filter((c) => c.commands.length === 0 && c !== program)
  t.deepEqual(leaves.filter((c) => !c.options.some((o) => o.long === '--json')).map(commandPath), [])
})
