import { Command, type ParseOptions } from 'commander'
import { addExamples } from './help.js'
import { usageExit } from './options.js'

type Register = (program: Command) => void

/**
 * One top-level command group: what `secdns --help` lists, and how to load the module
 * that registers it. Modules are imported only when their command runs, so `secdns zone
 * check` does not pay for loading the CA, signer, server and client packages.
 */
interface CommandGroup {
  readonly name: string
  readonly description: string
  /** Arguments as the group's own command declares them (for the help listing). */
  readonly args?: readonly string[]
  readonly load: () => Promise<readonly Register[]>
}

const GROUPS: readonly CommandGroup[] = [
  { name: 'ca', description: 'certificate authority: DNS server, client and admin certificates, CRLs, verification', load: async () => [(await import('./commands/ca.js')).registerCaCommands] },
  {
    name: 'zone',
    description: 'master files: check, print, sign, DS for the parent, verify (named-checkzone, dnssec-signzone, dnssec-verify)',
    // `zone sign`, `zone ds` and `zone verify` come from the signer's module.
    load: async () => {
      const [zone, sign] = await Promise.all([import('./commands/zone.js'), import('./commands/sign.js')])
      return [zone.registerZoneCommands, sign.registerSignCommands]
    },
  },
  { name: 'key', description: 'DNSSEC keys kept in certificates: create, list, status, rollover, revoke, BIND import/export, PKCS#12', load: async () => [(await import('./commands/key.js')).registerKeyCommands] },
  { name: 'trust-anchor', description: 'trust anchors of the validating resolver (TrustAnchors.dns, or a running server\'s)', load: async () => [(await import('./commands/trust_anchor.js')).registerTrustAnchorCommands] },
  { name: 'server', description: 'run the DNS server agent and manage it through its admin API', load: async () => [(await import('./commands/server.js')).registerServerCommands] },
  { name: 'nrpt', description: 'the Name Resolution Policy Table of the stub client (Add-DnsClientNrptRule and its kin)', load: async () => [(await import('./commands/nrpt.js')).registerNrptCommands] },
  { name: 'query', description: 'resolve a name through the stub client and its NRPT (dig-like, with the policy verdict)', args: ['<name>', '[type]'], load: async () => [(await import('./commands/query.js')).registerQueryCommands] },
  { name: 'client', description: 'the stub client agent (the DNS Client service counterpart)', load: async () => [(await import('./commands/client.js')).registerClientCommands] },
  { name: 'lab', description: 'build and run a complete secdns deployment on 127.0.0.1, run a scripted tour, print each verdict', load: async () => [(await import('./commands/lab.js')).registerLabCommands] },
]

/** The group a command line runs (`secdns zone …`, `secdns help zone`), if any. */
function groupOf(argv: readonly string[], parseOptions: ParseOptions | undefined): CommandGroup | undefined {
  const args = parseOptions?.from === 'user' ? argv : argv.slice(2)
  const operands = args.filter((a) => !a.startsWith('-'))
  const name = operands[0] === 'help' ? operands[1] : operands[0]
  return GROUPS.find((g) => g.name === name)
}

/** Replace a group's placeholder with the real commands, in the same place in the list. */
async function loadGroup(program: Command, group: CommandGroup): Promise<void> {
  const commands = program.commands as Command[]
  const at = commands.findIndex((c) => c.name() === group.name)
  if (at < 0 || !placeholders.has(commands[at]!)) return
  const registers = await group.load()
  commands.splice(at, 1)
  for (const register of registers) register(program)
  const real = commands.findIndex((c) => c.name() === group.name)
  if (real >= 0) commands.splice(at, 0, ...commands.splice(real, 1))
  const loaded = commands[at]
  if (loaded !== undefined) addExamples(loaded)
}

/**
 * Load every command group (what `secdns --help` lists only by name), so the whole tree
 * can be walked: the generated reference and the tests of every command's help use it.
 *
 * @example
 * const program = await loadAllCommands(buildProgram())
 */
export async function loadAllCommands(program: Command): Promise<Command> {
  for (const g of GROUPS) await loadGroup(program, g)
  return program
}

const placeholders = new WeakSet<Command>()

/**
 * Build the `secdns` command tree (the dnscmd.exe counterpart).
 *
 * Each area (`zone`, `key`, `ca`, …) registers its own sub-commands. `secdns --help`
 * lists every area from a small table; an area's module (and the packages it needs) is
 * imported only by `parseAsync` when the command line runs that area. The program is
 * built fresh for every run so tests can drive it in-process; use `parseAsync`, not
 * `parse` (loading a module is asynchronous).
 *
 * @example
 * await buildProgram().parseAsync(['node', 'secdns', 'zone', 'check', 'db.example', '--origin', 'example.'])
 */
export function buildProgram(): Command {
  const program = new Command('secdns')
    .description('DNSSEC for any network: certificate authority, offline zone signer, DNS server and stub client')
    .version('0.1.0')
    .showHelpAfterError()
    // Before any sub-command is made, so all of them inherit it: commander's usage errors
    // exit 2 (secdns keeps 1 for a failed operation or a negative verdict).
    .exitOverride(usageExit)
  for (const g of GROUPS) {
    const c = program.command(g.name).description(g.description)
    for (const a of g.args ?? []) c.argument(a)
    placeholders.add(c)
  }
  addExamples(program)
  const parseAsync = program.parseAsync.bind(program)
  program.parseAsync = async (argv?: readonly string[], parseOptions?: ParseOptions) => {
    const group = groupOf(argv ?? process.argv, parseOptions)
    if (group !== undefined) await loadGroup(program, group)
    return parseAsync(argv, parseOptions)
  }
  return program
}
