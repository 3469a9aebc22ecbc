/**
 * The documentation stays true to the repository and to the `secdns` command:
 * - every relative link in docs/*.md and README.md names a file or directory that exists;
 * - every `secdns <command> [<sub-command>]` in the fenced code of the guides that a newcomer
 *   or an operator types word for word (docs/quickstart.md, docs/operations.md) is a real
 *   command: `secdns … --help` answers with its usage, and each `--flag` on that line is an
 *   option of that command in its current spelling (not unknown, not a deprecated alias).
 */
import test from 'ava'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Command } from 'commander'
import { buildProgram, deprecatedAliases, loadAllCommands } from '@secdns/cli'

const run = promisify(execFile)
/** The repository root (this file runs from dist/test/). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'secdns.js')
/** The guides whose commands are typed as printed. */
const GUIDES = ['docs/quickstart.md', 'docs/operations.md']

/** The markdown pages whose links are checked: README.md and every docs/*.md. */
function pages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)
  return ['README.md', ...docs]
}

/** A page's text with fenced code blocks blanked (their lines kept, so line numbers stay right). */
function withoutFences(text: string): string {
  let inFence = false
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) { inFence = !inFence; return '' }
    return inFence ? '' : line
  }).join('\n')
}

export interface Link { readonly page: string, readonly line: number, readonly target: string }

/**
 * The relative links of a page: `[text](target)` and `[text]: target` outside code, without
 * URLs (`scheme:`), in-page anchors (`#…`) or the `#anchor` part of a target.
 */
export function relativeLinks(page: string, text: string): Link[] {
  const out: Link[] = []
  const lines = withoutFences(text).split('\n')
  lines.forEach((raw, i) => {
    const line = raw.replace(/`[^`]*`/g, '')   // inline code is not a link
    const targets: string[] = []
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!)
    const def = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line)
    if (def !== null) targets.push(def[1]!)
    for (const t of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(t) || t.startsWith('#')) continue
      const path = decodeURIComponent(t.split('#')[0]!)
      if (path !== '') out.push({ page, line: i + 1, target: path })
    }
  })
  return out
}

export interface Invocation { readonly page: string, readonly line: number, readonly words: readonly string[], readonly text: string }

/**
 * The `secdns …` command lines in a page's fenced code blocks. In a block where some lines
 * start with `$ `, only those are commands (the rest is their output); otherwise every line
 * that is not a comment is. A trailing `\` continues a line. Each invocation is cut at the
 * first shell operator (`|`, `;`, `&&`, `||`, `>`, `<`, `&`, `)`), so the flags of a command
 * piped into are not taken for ours.
 */
export function invocations(page: string, text: string): Invocation[] {
  const out: Invocation[] = []
  const lines = text.split('\n')
  let block: { line: number, text: string }[] | undefined
  const flush = (b: { line: number, text: string }[]): void => {
    const prompted = b.some((l) => /^\s*\$ /.test(l.text))
    const joined: { line: number, text: string }[] = []
    for (let i = 0; i < b.length; i++) {
      const first = b[i]!
      let cmd = first.text
      while (/\\\s*$/.test(cmd) && i + 1 < b.length) cmd = cmd.replace(/\\\s*$/, ' ') + b[++i]!.text
      joined.push({ line: first.line, text: cmd })
    }
    for (const { line, text: cmd } of joined) {
      let t = cmd.trim()
      if (prompted) {
        if (!t.startsWith('$ ')) continue
        t = t.slice(2)
      }
      if (t.startsWith('#') || t === '') continue
      t = t.replace(/\s#\s.*$/, '')   // a trailing shell comment
      // One shell command line may run several commands: `a && secdns … | b; secdns …`.
      for (const segment of t.split(/\s(?:\|\|?|&&|&)\s|;|\$\(|\)|`/)) {
        const m = /(?:^|\s)(?:npx\s+)?(?:\S*\/)?secdns(?:\.js)?\s+(.*)$/.exec(segment)
        if (m === null) continue
        const rest = m[1]!.split(/\s(?:\d?>>?|<)/)[0]!   // redirections end the arguments
        const words = rest.trim().split(/\s+/).filter((w) => w !== '')
        if (words.length > 0) out.push({ page, line, words, text: t })
      }
    }
  }
  lines.forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) {
      if (block === undefined) { block = []; return }
      flush(block)
      block = undefined
      return
    }
    block?.push({ line: i + 1, text: line })
  })
  return out
}

/**
 * The `secdns …` commands written as inline code in a page's prose (outside fenced blocks),
 * such as `` `secdns server reload [ZONE] --config server.json` ``; a span may wrap lines.
 */
export function inlineInvocations(page: string, text: string): Invocation[] {
  const out: Invocation[] = []
  const prose = withoutFences(text)
  for (const m of prose.matchAll(/`secdns\s+([^`]+)`/g)) {
    const line = prose.slice(0, m.index).split('\n').length
    const words = m[1]!.split(/\s(?:\|\|?|;|&&|&|\d?>>?|<)\s/)[0]!.trim().split(/\s+/)
    out.push({ page, line, words, text: `secdns ${m[1]!.replace(/\s+/g, ' ')}` })
  }
  return out
}

/**
 * The command a word list names: `['ca', 'init', '--ca-dir', 'x']` → the `ca init` command.
 * `unknown` is the first word that names no sub-command of a group that has some.
 */
function commandOf(root: Command, words: readonly string[]): { cmd: Command, path: string[], unknown?: string } {
  let cmd = root
  const path: string[] = []
  for (const w of words) {
    const subs = cmd.commands.filter((c) => c.name() !== 'help')
    if (subs.length === 0) break
    const next = w.startsWith('-') ? undefined : subs.find((c) => c.name() === w || c.aliases().includes(w))
    if (next === undefined) return { cmd, path, unknown: w }
    cmd = next
    path.push(w)
  }
  return { cmd, path }
}

/**
 * What `secdns <path…> --help` prints, by parsing that command line with a fresh program in
 * this process: output captured, commander's exit turned into an exception.
 */
async function helpOf(path: readonly string[]): Promise<string> {
  const root = await loadAllCommands(buildProgram())
  let out = ''
  const capture = (c: Command): void => {
    c.exitOverride((e) => { throw e })
    c.configureOutput({ writeOut: (s) => { out += s }, writeErr: (s) => { out += s } })
    for (const sub of c.commands) capture(sub)
  }
  capture(root)
  try {
    await root.parseAsync([...path, '--help'], { from: 'user' })
  } catch (e) {
    if ((e as { code?: string }).code !== 'commander.helpDisplayed') throw e
  }
  return out
}

test('every relative link in README.md and docs/*.md resolves to a file in the repository', (t) => {
  const broken: string[] = []
  let count = 0
  for (const page of pages()) {
    const text = readFileSync(join(ROOT, page), 'utf8')
    for (const l of relativeLinks(page, text)) {
      count++
      if (!existsSync(resolve(ROOT, dirname(page), l.target))) broken.push(`${l.page}:${l.line}: ${l.target}`)
    }
  }
  t.true(count > 20, `only ${count} relative links found; is the link parser broken?`)
  t.deepEqual(broken, [], `links to nothing:\n${broken.join('\n')}`)
})

test('the link parser skips URLs, anchors and code, and strips #anchors', (t) => {
  const text = [
    'See [the lab](lab.md#poking), [RFC](https://www.rfc-editor.org/rfc/rfc4035) and [top](#top).',
    '`[not](a-link.md)` and',
    '```',
    '[nor](this.md)',
    '```',
    '[ref]: ../README.md',
  ].join('\n')
  t.deepEqual(relativeLinks('docs/x.md', text).map((l) => `${l.line}:${l.target}`), ['1:lab.md', '6:../README.md'])
})

test('the command parser takes prompted lines only, joins continuations and stops at shell operators', (t) => {
  const text = [
    '```sh',
    '$ secdns zone check db --origin example.test | tee out',
    'secdns server started, pid 12',
    '$ dig @127.0.0.1 www.example.test; node packages/cli/bin/secdns.js key list \\',
    '    --json && secdns server reload example.test --config auth.json 2>&1',
    '```',
    '```',
    '# a comment: secdns nothing here',
    'npx secdns lab --json > lab.json',
    '```',
  ].join('\n')
  t.deepEqual(invocations('x.md', text).map((i) => `${i.line}:${i.words.join(' ')}`), [
    '2:zone check db --origin example.test',
    '4:key list --json',
    '4:server reload example.test --config auth.json',
    '9:lab --json',
  ])
})

test('every secdns command in the quick start and the operations guide (fenced or inline) is real, with current flags', async (t) => {
  const root = await loadAllCommands(buildProgram())
  const problems: string[] = []
  const seen = new Map<string, Invocation>()
  let count = 0
  for (const page of GUIDES) {
    const file = join(ROOT, page)
    t.true(existsSync(file), `${page} is missing`)
    const text = readFileSync(file, 'utf8')
    for (const inv of [...invocations(page, text), ...inlineInvocations(page, text)]) {
      count++
      const where = `${inv.page}:${inv.line}: secdns ${inv.words.join(' ')}`
      const { cmd, path, unknown } = commandOf(root, inv.words)
      if (unknown !== undefined) { problems.push(`${where}: "secdns ${[...path, unknown].join(' ')}" is not a command`); continue }
      seen.set(path.join(' '), inv)
      const aliases = deprecatedAliases(cmd)
      for (const w of inv.words) {
        if (!w.startsWith('--')) continue
        const flag = w.split('=')[0]!
        const old = aliases.find((a) => a.flags.split(/[ ,]+/).includes(flag))
        if (old !== undefined) { problems.push(`${where}: ${flag} is a deprecated spelling; use ${old.use}`); continue }
        const known = flag === '--help' || cmd.options.some((o) => o.long === flag || (o.negate && o.long === flag))
        if (!known) problems.push(`${where}: "secdns ${path.join(' ')}" has no option ${flag}`)
      }
    }
  }
  t.true(count >= 20, `only ${count} secdns commands found in ${GUIDES.join(', ')}`)
  // And each command answers --help with its usage, as a reader checking it would see. The
  // command line is parsed by the program itself, in this process (a Node start-up per
  // command costs seconds on a busy machine); `secdns --help` is run once as a process.
  for (const [path, inv] of seen) {
    const stdout = await helpOf(path.split(' '))
    if (!stdout.startsWith(`Usage: secdns ${path}`)) problems.push(`${inv.page}:${inv.line}: "secdns ${path} --help" printed ${JSON.stringify(stdout.slice(0, 80))}`)
  }
  const { stdout } = await run(process.execPath, [BIN, '--help'], { cwd: ROOT })
  for (const group of new Set([...seen.keys()].map((p) => p.split(' ')[0]!))) {
    if (!new RegExp(`^  ${group}\\b`, 'm').test(stdout)) problems.push(`secdns --help does not list ${group}`)
  }
  t.deepEqual(problems, [], problems.join('\n'))
})

test('inline secdns commands are found in prose, across a line break, and not in fenced code', (t) => {
  const text = ['Run `secdns zone ds', '--zone Z --key-dir keys` or `dig`.', '```', '`secdns nothing here`', '```', 'Then `secdns lab`.'].join('\n')
  t.deepEqual(inlineInvocations('x.md', text).map((i) => `${i.line}:${i.words.join(' ')}`), ['1:zone ds --zone Z --key-dir keys', '6:lab'])
})

test('help is read from the program: a real command prints its usage, a wrong one does not', async (t) => {
  t.regex(await helpOf(['zone', 'sign']), /^Usage: secdns zone sign \[options\] <file>/)
  t.regex(await helpOf(['trust-anchor', 'add']), /--trust-anchors <file>/)
  t.notRegex(await helpOf(['zone', 'nosuch']).catch((e: Error) => e.message), /^Usage: secdns zone nosuch/)
})

/**
 * The test titles a test file declares, each as a matcher: a plain title matches itself, a
 * template literal (`${what} is refused …`) matches with each `${…}` standing for any text.
 */
export function testTitles(source: string): ((title: string) => boolean)[] {
  const out: ((title: string) => boolean)[] = []
  for (const m of source.matchAll(/\btest(?:\.serial)?\(\s*(['`])/g)) {
    const quote = m[1]!
    // Literal text pieces; in a template, the `${…}` between them (nested templates too) is skipped.
    const pieces: string[] = ['']
    let depth = 0
    for (let i = m.index + m[0].length; i < source.length; i++) {
      const ch = source[i]!
      if (depth === 0) {
        if (ch === '\\') { pieces[pieces.length - 1] += source[++i] ?? ''; continue }
        if (ch === quote) break
        if (quote === '`' && ch === '$' && source[i + 1] === '{') { depth = 1; i++; continue }
        pieces[pieces.length - 1] += ch
      } else if (ch === '{') depth++
      else if (ch === '}' && --depth === 0) pieces.push('')
    }
    if (pieces.length === 1) {
      const plain = pieces[0]!
      out.push((t) => t === plain)
    } else {
      const re = new RegExp(`^${pieces.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
      out.push((t) => re.test(t))
    }
  }
  return out
}

/** The test titles security.md cites: `` `file.test.ts`: "title", "title" `` up to the next cited file or table cell. */
export function citedTests(text: string): { file: string, title: string }[] {
  const out: { file: string, title: string }[] = []
  for (const m of text.matchAll(/`((?:packages\/[a-z]+\/)?test\/[\w/.-]+\.test\.ts)`:?((?:(?!`(?:packages\/[a-z]+\/)?test\/)[^|\n])*)/g)) {
    for (const q of m[2]!.matchAll(/"([^"]+)"/g)) out.push({ file: m[1]!, title: q[1]! })
  }
  return out
}

test('every test that security.md cites exists, under the title it gives', (t) => {
  const cited = citedTests(readFileSync(join(ROOT, 'docs', 'security.md'), 'utf8'))
  t.true(cited.length >= 60, `only ${cited.length} cited tests found`)
  const missing: string[] = []
  const cache = new Map<string, ((title: string) => boolean)[]>()
  for (const { file, title } of cited) {
    const path = join(ROOT, file)
    if (!existsSync(path)) { missing.push(`${file}: no such file`); continue }
    let titles = cache.get(file)
    if (titles === undefined) { titles = testTitles(readFileSync(path, 'utf8')); cache.set(file, titles) }
    if (!titles.some((m) => m(title))) missing.push(`${file}: no test titled "${title}"`)
  }
  t.deepEqual(missing, [], missing.join('\n'))
})

test('test titles are read from plain and template literals; citations stop at the next file', (t) => {
  const titles = testTitles("test('a plain one', f)\ntest.serial(`${what} is refused with ${code}, counted`, g)\ntest('it\\'s quoted', h)\n  test(`${c.q} is ${c.state} (${rc(c)}${c.ede === null ? '' : `, EDE ${c.ede}`}) for us`, k)")
  t.true(titles.some((m) => m('a plain one')))
  t.true(titles.some((m) => m('a flipped bit is refused with ERR_X, counted')))
  t.true(titles.some((m) => m("it's quoted")))
  t.false(titles.some((m) => m('a plain one, or not')))
  t.true(titles.some((m) => m('x.test. A is bogus (SERVFAIL, EDE 6) for us')))
  t.deepEqual(citedTests('| x | `test/a.test.ts`: "one", "two"; `packages/wire/test/b.test.ts`: "three" | "not cited" |'),
    [{ file: 'test/a.test.ts', title: 'one' }, { file: 'test/a.test.ts', title: 'two' }, { file: 'packages/wire/test/b.test.ts', title: 'three' }])
})
