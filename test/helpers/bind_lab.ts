/**
 * The resolver lab (issue 7 §4): one BIND `named` process, started in a temp dir on a
 * random port of 127.0.0.1, authoritative for every zone that
 * test/fixtures/resolver/make_lab.sh signed (the root, test. and the leaf zones).
 * named binds only the addresses the interface has, so the lab keeps to 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, writeFileSync, copyFileSync, rmSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { which } from './peers.js'
import { freePort } from './ports.js'
export { freePort }

/** Where make_lab.sh put the signed zones and the anchors. */
export const LAB_DIR = fileURLToPath(new URL('../../../test/fixtures/resolver/', import.meta.url))

/** A running lab. */
export interface BindLab {
  /** The port every view listens on. */
  readonly port: number
  /** The temp dir (named.conf, zones, anchors). */
  readonly dir: string
  /** TrustAnchors.dns of the lab (root KSK and the island). */
  readonly anchorsFile: string
  /** The same anchors as a BIND trust-anchors clause file, for delv -a. */
  readonly bindAnchorsFile: string
  /** Stop named (idempotent). */
  stop(): Promise<void>
}


function zoneName(file: string): string {
  const base = file.replace(/\.signed$/, '')
  return base === 'root' ? '.' : base
}

/**
 * Start the lab. Resolves once named answers on every view.
 *
 * @example
 * const lab = await startBindLab()
 * t.teardown(() => lab.stop())
 */
export async function startBindLab(): Promise<BindLab> {
  const zones = readdirSync(join(LAB_DIR, 'zones')).filter((f) => f.endsWith('.signed'))
  const dir = mkdtempSync(join(tmpdir(), 'secdns-lab-'))
  const anchorsFile = join(dir, 'TrustAnchors.dns')
  copyFileSync(join(LAB_DIR, 'anchors', 'TrustAnchors.dns'), anchorsFile)
  const bindAnchorsFile = join(dir, 'anchors.conf')
  const keys = readFileSync(anchorsFile, 'utf8').split('\n').filter((l) => / DNSKEY /.test(l) && !l.startsWith(';'))
  writeFileSync(bindAnchorsFile, 'trust-anchors {\n' + keys.map((l) => {
    const f = l.trim().split(/\s+/)
    const i = f.indexOf('DNSKEY')
    return `  "${f[0]}" static-key ${f[i + 1]} ${f[i + 2]} ${f[i + 3]} "${f.slice(i + 4).join('')}";`
  }).join('\n') + '\n};\n')
  let server: NamedServer
  try {
    server = await startNamed(zones, 'example.test.')
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
  return {
    port: server.port, dir, anchorsFile, bindAnchorsFile,
    stop: async () => { await server.stop(); rmSync(dir, { recursive: true, force: true }) },
  }
}

/** One named process of the lab. */
export interface NamedServer {
  readonly port: number
  stop(): Promise<void>
}

/**
 * Watch a daemon started on 127.0.0.1:port: wait (20 s at most) until `dig` gets an answer
 * to the probe, and return how to stop it (SIGTERM, SIGKILL after 3 s) and remove its dir.
 * A daemon that exits or never answers is stopped and reported with its log.
 */
async function supervise(name: string, child: ChildProcess, dir: string, port: number, probe: readonly string[]): Promise<() => Promise<void>> {
  let log = ''
  child.stderr?.on('data', (d: Buffer) => { log += d.toString() })
  let exited = false
  child.on('exit', () => { exited = true })
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 3000))])
      if (!exited) child.kill('SIGKILL')
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 20_000
  for (;;) {
    if (exited) { await stop(); throw new Error(`${name} exited:\n${log}`) }
    const r = spawnSync(which('dig') ?? 'dig', ['@127.0.0.1', '-p', String(port), '+time=1', '+tries=1', ...probe], { encoding: 'utf8' })
    if (r.status === 0 && r.stdout.trim() !== '') return stop
    if (Date.now() > deadline) { await stop(); throw new Error(`${name} did not answer on 127.0.0.1:${port}:\n${log}`) }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * Start one named on 127.0.0.1 and a free port, authoritative for some lab zones.
 *
 * @param zones file names under zones/ (root.signed, test.signed, <zone>.signed)
 * @param probe a zone it serves, asked for its SOA until named answers
 */
export async function startNamed(zones: readonly string[], probe: string): Promise<NamedServer> {
  const named = which('named')
  if (named === null) throw new Error('named is not installed (apt-get install -y bind9)')
  const dir = mkdtempSync(join(tmpdir(), 'secdns-named-'))
  for (const z of zones) copyFileSync(join(LAB_DIR, 'zones', z), join(dir, z))
  const port = await freePort()
  const conf = [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${join(dir, 'named.pid')}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  dnssec-validation no;',
    '  notify no;',
    '  minimal-responses no;',
    '};',
    'controls { };',
    ...zones.map((f) => `zone "${zoneName(f)}" { type primary; file "${join(dir, f)}"; };`),
  ].join('\n') + '\n'
  writeFileSync(join(dir, 'named.conf'), conf)
  const stop = await supervise('named', spawn(named, ['-g', '-c', join(dir, 'named.conf'), '-n', '1'], { stdio: ['ignore', 'ignore', 'pipe'] }), dir, port,
    ['+norec', '+short', probe, 'SOA'])
  return { port, stop }
}

/** The lab as a small Internet: root, test. and the leaves each in their own named. */
export interface SplitLab {
  /** Root hints: the root server. */
  readonly root: { address: string, port: number }
  /** The glue addresses in the zones (127.0.0.2 root, .3 test., .4 leaves) mapped to the real servers. */
  readonly addressMap: Record<string, { address: string, port: number }>
  /** Every server, for Unbound stub-zones. */
  readonly ports: { root: number, tld: number, leaves: number }
  stop(): Promise<void>
}

/**
 * Start the lab split over three named processes, for iterative resolution from root hints.
 */
export async function startSplitLab(): Promise<SplitLab> {
  const zones = readdirSync(join(LAB_DIR, 'zones')).filter((f) => f.endsWith('.signed'))
  const started: NamedServer[] = []
  try {
    const root = await startNamed(['root.signed'], '.')
    started.push(root)
    const tld = await startNamed(['test.signed'], 'test.')
    started.push(tld)
    const leaves = await startNamed(zones.filter((z) => z !== 'root.signed' && z !== 'test.signed'), 'example.test.')
    started.push(leaves)
    const at = (port: number): { address: string, port: number } => ({ address: '127.0.0.1', port })
    return {
      root: at(root.port),
      addressMap: { '127.0.0.2': at(root.port), '127.0.0.3': at(tld.port), '127.0.0.4': at(leaves.port) },
      ports: { root: root.port, tld: tld.port, leaves: leaves.port },
      stop: async () => { for (const s of started) await s.stop() },
    }
  } catch (e) {
    for (const s of started) await s.stop()
    throw e
  }
}

/** A running Unbound. */
export interface UnboundPeer {
  readonly port: number
  readonly dir: string
  stop(): Promise<void>
}

/**
 * Start Unbound in the foreground as a validating forwarder to the lab, with the lab's
 * trust anchors (Unbound is then an oracle for the same answers our resolver sees); or,
 * given the split lab, as an iterating resolver with a stub zone per lab server.
 *
 * @param lab the running lab (anchors; its port when forwarding)
 * @param split the split lab: iterate through its root, test. and leaf servers instead
 * @param opts threads: Unbound's num-threads (default 1; benchmarks on more cores)
 */
export async function startUnbound(lab: Pick<BindLab, 'anchorsFile' | 'port'>, split?: SplitLab, opts: { threads?: number } = {}): Promise<UnboundPeer> {
  const unbound = which('unbound')
  if (unbound === null) throw new Error('unbound is not installed (apt-get install -y unbound)')
  const dir = mkdtempSync(join(tmpdir(), 'secdns-unbound-'))
  const port = await freePort()
  const anchors = join(dir, 'anchors.key')
  writeFileSync(anchors, readFileSync(lab.anchorsFile, 'utf8').split('\n').filter((l) => !l.startsWith(';')).join('\n'))
  writeFileSync(join(dir, 'unbound.conf'), [
    'server:',
    `  interface: 127.0.0.1@${port}`,
    `  port: ${port}`,
    '  do-daemonize: no', '  chroot: ""', '  username: ""', `  directory: "${dir}"`, '  pidfile: ""',
    '  use-syslog: no', '  logfile: ""', '  verbosity: 0', '  do-ip6: no', '  do-not-query-localhost: no',
    `  trust-anchor-file: "${anchors}"`, `  num-threads: ${opts.threads ?? 1}`,
    '  module-config: "validator iterator"', '  ede: yes', '  val-log-level: 2', '  qname-minimisation: no', '  aggressive-nsec: no',
    '  access-control: 127.0.0.0/8 allow',
    // test. is a special-use name (RFC 6761) Unbound answers locally by default.
    '  local-zone: "test." nodefault',
    'remote-control:', '  control-enable: no',
    ...(split === undefined
      ? ['forward-zone:', '  name: "."', `  forward-addr: 127.0.0.1@${lab.port}`]
      : [
          // Glue in the lab points at 127.0.0.2-4, which only our addressMap knows; Unbound
          // learns each server's port from a stub zone instead.
          'stub-zone:', '  name: "."', `  stub-addr: 127.0.0.1@${split.ports.root}`,
          'stub-zone:', '  name: "test."', `  stub-addr: 127.0.0.1@${split.ports.tld}`,
          ...readdirSync(join(LAB_DIR, 'zones')).filter((f) => f !== 'root.signed' && f !== 'test.signed' && f.endsWith('.signed'))
            .flatMap((f) => ['stub-zone:', `  name: "${zoneName(f)}."`, `  stub-addr: 127.0.0.1@${split.ports.leaves}`]),
        ]),
  ].join('\n') + '\n')
  // version.server is answered locally, so the probe leaves the cache cold.
  const stop = await supervise('unbound', spawn(unbound, ['-d', '-c', join(dir, 'unbound.conf')], { stdio: ['ignore', 'ignore', 'pipe'] }), dir, port,
    ['+short', 'CH', 'TXT', 'version.server.'])
  return { port, dir, stop }
}
