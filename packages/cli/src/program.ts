import { Command } from 'commander'
import { registerCaCommands } from './commands/ca.js'
import { registerZoneCommands } from './commands/zone.js'
import { registerSignCommands } from './commands/sign.js'
import { registerKeyCommands } from './commands/key.js'
import { registerTrustAnchorCommands } from './commands/trust_anchor.js'
import { registerServerCommands } from './commands/server.js'
import { registerNrptCommands } from './commands/nrpt.js'
import { registerQueryCommands } from './commands/query.js'
import { registerClientCommands } from './commands/client.js'
import { registerLabCommands } from './commands/lab.js'

/**
 * Build the `secdns` command tree (the dnscmd.exe counterpart).
 *
 * Each area (`zone`, `key`, `ca`, …) registers its own sub-commands; the program is
 * built fresh for every run so tests can drive it in-process.
 *
 * @example
 * await buildProgram().parseAsync(['node', 'secdns', 'zone', 'check', 'db.example', '--origin', 'example.'])
 */
export function buildProgram(): Command {
  const program = new Command('secdns')
    .description('DNSSEC for any network: certificate authority, offline zone signer, DNS server and stub client')
    .version('0.1.0')
    .showHelpAfterError()
  registerCaCommands(program)
  registerZoneCommands(program)
  registerSignCommands(program)
  registerKeyCommands(program)
  registerTrustAnchorCommands(program)
  registerServerCommands(program)
  registerNrptCommands(program)
  registerQueryCommands(program)
  registerClientCommands(program)
  registerLabCommands(program)
  return program
}
