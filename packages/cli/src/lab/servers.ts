/**
 * The running side of `secdns lab`, in this process through @secdns/server's library API
 * and from configuration files, as `secdns server start --config` builds a server: an
 * authoritative server agent for the three signed zones with its admin listener (web
 * console), and a second server agent whose `resolver` section resolves and validates
 * through @secdns/resolver (forwarding lab.test to the first, trust anchors from
 * TrustAnchors.dns) and listens on UDP/TCP, the protected channel with the right
 * certificate, two channel listeners with wrong certificates, and its own admin listener.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'
import { join } from 'node:path'
import { writeFileAtomic } from '@secdns/pki'
import { createDnsServer, loadConfig, type DnsServer } from '@secdns/server'
import type { Logger } from 'pino'
import { LAB, LabError, type LabMaterial } from './build.js'

/** The lab's servers and where they listen. */
export interface LabServers {
  readonly auth: DnsServer
  readonly resolver: DnsServer
  readonly authPort: number
  readonly resolverPort: number
  readonly channelPort: number
  readonly rogueNoEkuPort: number
  readonly rogueOtherCaPort: number
  /** The validating server's admin listener (console: `<adminUrl>/console/`). */
  readonly adminUrl: string
  readonly adminToken: string
  /** Where the validating server's admin token is (mode 0600). */
  readonly adminTokenFile: string
  /** The authoritative server's admin listener, its token and token file. */
  readonly authAdminUrl: string
  readonly authAdminToken: string
  readonly authAdminTokenFile: string
  readonly configs: { readonly auth: string, readonly resolver: string }
  /** What the validator said about Bogus answers (which record, why) since the last call; the buffer keeps the last 100. */
  drainValidatorLog(): string[]
  /** Stop both servers. */
  stop(): Promise<void>
}

/** A port free for both UDP and TCP on 127.0.0.1 (DNS listens on both). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer()
      s.once('error', reject)
      s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) })
    })
    const ok = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4')
      u.once('error', () => { u.close(); resolve(false) })
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)))
    })
    if (ok) return port
  }
  throw new LabError('ERR_LAB_SETUP', 'no free port for UDP and TCP on 127.0.0.1 after 50 tries')
}

/** Start a server from a config made by `make(port)`; a port taken meanwhile gets a second try. */
async function startOn(file: string, make: (port: number) => unknown, opts: Parameters<typeof createDnsServer>[1]): Promise<{ server: DnsServer, port: number }> {
  let last: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    await writeFileAtomic(file, JSON.stringify(make(port), null, 2) + '\n')
    const server = createDnsServer(loadConfig(file), opts)
    try {
      await server.start()
      return { server, port }
    } catch (e) {
      last = e
      if ((e as { code?: string }).code !== 'ERR_SERVER_BIND') throw e
    }
  }
  throw last
}

/**
 * Start the authoritative and the validating server agents.
 * @param m the lab material
 */
export async function startServers(m: LabMaterial): Promise<LabServers> {
  const sdir = join(m.dir, 'server')
  const authFile = join(sdir, 'auth.json')
  const resolverFile = join(sdir, 'resolver.json')
  const started: DnsServer[] = []
  try {
    const authAdmin = await adminToken(join(sdir, 'auth-admin.token'))
    const auth = await startOn(authFile, (port) => ({
      listeners: {
        udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }],
        admin: { address: '127.0.0.1', port: 0, tokenFile: 'auth-admin.token', auditLog: 'auth-audit.jsonl' },
      },
      zones: Object.entries(m.zones).map(([name, file]) => ({ name, type: 'primary', file })),
    }), {})
    started.push(auth.server)
    const authAdminListener = auth.server.listeners.find((l) => l.kind === 'admin')
    if (authAdminListener === undefined) throw new LabError('ERR_LAB_SETUP', 'the authoritative server bound no admin listener')

    // The validating server is built from its configuration's `resolver` section, as
    // `secdns server start --config` builds it: the recursor forwards lab.test to the
    // authoritative agent and validates from TrustAnchors.dns, so the console's trust
    // anchors are the ones validation uses and its edits go to that file. The resolver's
    // lines (Bogus reasons) reach the server's logger as warnings; the lab keeps them.
    const validatorLog: string[] = []
    const admin = await adminToken(join(sdir, 'admin.token'))
    const channel = (cert: { cert: string, key: string }) => ({
      address: '127.0.0.1', port: 0, encryption: 'require', certificate: cert.cert, key: cert.key, trustedCas: [m.ca.cert],
    })
    const res = await startOn(resolverFile, (port) => ({
      listeners: {
        udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }],
        channel: [channel(m.server), channel(m.rogueNoEku), channel(m.rogueOtherCa)],
        admin: { address: '127.0.0.1', port: 0, tokenFile: 'admin.token', auditLog: 'resolver-audit.jsonl' },
      },
      acl: { recursion: ['127.0.0.1'] },
      resolver: {
        zoneForwarders: [{ zone: LAB.parent, servers: [`127.0.0.1:${auth.port}`] }],
        trustAnchors: m.trustAnchors,
      },
    }), { logger: captureLogger((line) => { validatorLog.push(line); if (validatorLog.length > 100) validatorLog.shift() }) })
    started.push(res.server)
    const channels = res.server.listeners.filter((l) => l.kind === 'channel')
    const adminListener = res.server.listeners.find((l) => l.kind === 'admin')
    if (channels.length !== 3 || adminListener === undefined) throw new LabError('ERR_LAB_SETUP', `the validating server bound ${channels.length} channel listener(s) and ${adminListener === undefined ? 'no' : 'an'} admin API; expected 3 and one`)
    if (res.server.recursor?.anchors === undefined) throw new LabError('ERR_LAB_SETUP', 'the validating server has no trust anchors from its resolver section')
    return {
      auth: auth.server, resolver: res.server, authPort: auth.port, resolverPort: res.port,
      channelPort: channels[0]!.port, rogueNoEkuPort: channels[1]!.port, rogueOtherCaPort: channels[2]!.port,
      adminUrl: `http://127.0.0.1:${adminListener.port}`, adminToken: admin.token, adminTokenFile: admin.file,
      authAdminUrl: `http://127.0.0.1:${authAdminListener.port}`, authAdminToken: authAdmin.token, authAdminTokenFile: authAdmin.file,
      configs: { auth: authFile, resolver: resolverFile },
      drainValidatorLog: () => validatorLog.splice(0),
      async stop() { await Promise.all([res.server.stop(1000), auth.server.stop(1000)]) },
    }
  } catch (e) {
    await Promise.all(started.map((s) => s.stop(1000).catch(() => undefined)))
    throw e
  }
}

/** A fresh admin token in a 0600 file (temp file and rename). */
async function adminToken(file: string): Promise<{ file: string, token: string }> {
  const token = randomBytes(24).toString('base64url')
  await writeFileAtomic(file, token + '\n', 0o600)
  return { file, token }
}

/**
 * A logger that drops the server's own records and hands the plain-text warnings (the
 * resolver's lines: which answer was Bogus and why) to `line`.
 */
function captureLogger(line: (text: string) => void): Logger {
  const none = (): void => undefined
  const log = {
    trace: none, debug: none, info: none, error: none, fatal: none,
    warn: (a: unknown): void => { if (typeof a === 'string') line(a) },
    child: () => log,
  }
  return log as unknown as Logger
}
