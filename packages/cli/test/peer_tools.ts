/**
 * What the CLI's interop tests share: the `secdns` bin, the example zone fixture, a runner
 * for secdns and for peer tools, and the peer-tool check (on a developer's machine a missing
 * tool passes with a log line; under CI=true it fails the test).
 */
import type { ExecutionContext } from 'ava'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const bin = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))
export const exampleZone = fileURLToPath(new URL('../../../../test/fixtures/dnssec/example.test.zone', import.meta.url))

/** Run `secdns ARGS` in CWD. */
export const run = (cwd: string, args: string[]): SpawnSyncReturns<string> => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd })
/** Run a peer tool in CWD. */
export const tool = (cwd: string, cmd: string, args: string[]): SpawnSyncReturns<string> => spawnSync(cmd, args, { encoding: 'utf8', cwd })

/** The peer tools are there; under CI=true a missing one fails the test. */
export function havePeers(t: ExecutionContext, ...tools: string[]): boolean {
  const missing = tools.filter((x) => spawnSync('sh', ['-c', `command -v ${x} || ls /usr/sbin/${x}`], { encoding: 'utf8' }).status !== 0)
  if (missing.length === 0) return true
  const msg = `peer tool(s) missing: ${missing.join(', ')} (apt-get install -y bind9-utils ldnsutils)`
  if (process.env['CI'] === 'true') t.fail(msg); else { t.log(`not run here: ${msg}`); t.pass() }
  return false
}
