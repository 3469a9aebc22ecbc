/**
 * Real peer tools (BIND, ldns, Knot, Unbound, OpenSSL) as test oracles.
 *
 * On a developer's machine a missing tool makes the test pass with a log line that
 * says what to install; under `CI=true` a missing tool is a failure, never a skip.
 */
import { execFileSync, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process'
import type { ExecutionContext } from 'ava'

/** The Debian package that provides each peer tool. */
export const PEER_PACKAGES: Readonly<Record<string, string>> = {
  'named': 'bind9',
  'named-checkzone': 'bind9-utils',
  'named-compilezone': 'bind9-utils',
  'dnssec-signzone': 'bind9-utils',
  'dnssec-verify': 'bind9-utils',
  'dnssec-keygen': 'bind9-utils',
  'dig': 'bind9-dnsutils',
  'delv': 'bind9-dnsutils',
  'nsupdate': 'bind9-dnsutils',
  'ldns-read-zone': 'ldnsutils',
  'ldns-verify-zone': 'ldnsutils',
  'ldns-signzone': 'ldnsutils',
  'kdig': 'knot-dnsutils',
  'kzonecheck': 'knot-dnssecutils',
  'kzonesign': 'knot-dnssecutils',
  'unbound': 'unbound',
  'openssl': 'openssl',
  'tshark': 'tshark',
  'chromium': 'chromium',
}

const found = new Map<string, string | null>()

/** Absolute path of a tool on PATH (or in /usr/sbin), or null. */
export function which(tool: string): string | null {
  if (found.has(tool)) return found.get(tool) ?? null
  const r = spawnSync('sh', ['-c', `command -v ${tool} || ls /usr/sbin/${tool} /usr/bin/${tool} 2>/dev/null | head -n 1`], { encoding: 'utf8' })
  const path = r.stdout.trim().split('\n')[0] || null
  found.set(tool, path)
  return path
}

/**
 * Ensure the peer tools are present. Returns true when the test may go on.
 * Under CI=true a missing tool fails the test; elsewhere it logs what to install.
 */
export function havePeers(t: ExecutionContext, ...tools: string[]): boolean {
  const missing = tools.filter((x) => which(x) === null)
  if (missing.length === 0) return true
  const pkgs = [...new Set(missing.map((m) => PEER_PACKAGES[m] ?? m))].join(' ')
  const msg = `peer tool(s) missing: ${missing.join(', ')} (apt-get install -y ${pkgs})`
  if (process.env['CI'] === 'true') {
    t.fail(msg)
  } else {
    t.log(`not run here: ${msg}`)
    t.pass()
  }
  return false
}

/** Run a peer tool and return its result without throwing on a non-zero exit. */
export function runPeer(tool: string, args: readonly string[], opts: { input?: string | Uint8Array, cwd?: string, timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const path = which(tool) ?? tool
  return spawnSync(path, args, { encoding: 'utf8', input: opts.input, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000 })
}

/** Run a peer tool and return stdout; throws with stderr on failure. */
export function peer(tool: string, args: readonly string[], opts: { cwd?: string } = {}): string {
  const path = which(tool) ?? tool
  return execFileSync(path, args, { encoding: 'utf8', cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** SIGTERM a peer process and resolve once it has exited (SIGKILL after 5 s). */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.kill('SIGTERM')
  })
}
