/**
 * The running side of `secdns lab`, in this process through @secdns/server's library API:
 * an authoritative server agent for the three signed zones, and a second server agent
 * that resolves and validates through @secdns/resolver (forwarding lab.test to the first,
 * trust anchor from TrustAnchors.dns) and listens on UDP/TCP, the protected channel with
 * the right certificate, two channel listeners with wrong certificates, and an admin API.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'
import { join } from 'node:path'
import { writeFileAtomic } from '@secdns/pki'
import { createDnsServer, loadConfig, type DnsServer } from '@secdns/server'
import { Resolver, TrustAnchors } from '@secdns/resolver'
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
  readonly adminUrl: string
  readonly adminToken: string
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
    const auth = await startOn(authFile, (port) => ({
      listeners: { udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }] },
      zones: Object.entries(m.zones).map(([name, file]) => ({ name, type: 'primary', file })),
    }), {})
    started.push(auth.server)

    const validatorLog: string[] = []
    const resolver = new Resolver({
      trustAnchors: TrustAnchors.load(m.trustAnchors),
      zoneForwarders: [{ zone: LAB.parent, servers: [{ address: '127.0.0.1', port: auth.port }] }],
      log: (line) => { validatorLog.push(line); if (validatorLog.length > 100) validatorLog.shift() },
    })
    const tokenFile = join(sdir, 'admin.token')
    const adminToken = randomBytes(24).toString('base64url')
    await writeFileAtomic(tokenFile, adminToken + '\n', 0o600)
    const channel = (cert: { cert: string, key: string }) => ({
      address: '127.0.0.1', port: 0, encryption: 'require', certificate: cert.cert, key: cert.key, trustedCas: [m.ca.cert],
    })
    const res = await startOn(resolverFile, (port) => ({
      listeners: {
        udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }],
        channel: [channel(m.server), channel(m.rogueNoEku), channel(m.rogueOtherCa)],
        admin: { address: '127.0.0.1', port: 0, tokenFile },
      },
      acl: { recursion: ['127.0.0.1'] },
    }), {
      // The server hands every question outside its own zones (it has none) to our
      // validating resolver; AD is set only for what the validator proved Secure.
      recursor: {
        async resolve(q, o) {
          const r = await resolver.resolve(q.name, q.type, { dnssecOk: o.dnssecOk, checkingDisabled: o.checkingDisabled })
          return { rcode: r.rcode, answer: r.answer, authority: r.authority, additional: r.additional, authenticated: r.state === 'secure' }
        },
      },
    })
    started.push(res.server)
    const channels = res.server.listeners.filter((l) => l.kind === 'channel')
    const admin = res.server.listeners.find((l) => l.kind === 'admin')
    if (channels.length !== 3 || admin === undefined) throw new LabError('ERR_LAB_SETUP', `the validating server bound ${channels.length} channel listener(s) and ${admin === undefined ? 'no' : 'an'} admin API; expected 3 and one`)
    return {
      auth: auth.server, resolver: res.server, authPort: auth.port, resolverPort: res.port,
      channelPort: channels[0]!.port, rogueNoEkuPort: channels[1]!.port, rogueOtherCaPort: channels[2]!.port,
      adminUrl: `http://127.0.0.1:${admin.port}`, adminToken,
      configs: { auth: authFile, resolver: resolverFile },
      drainValidatorLog: () => validatorLog.splice(0),
      async stop() { await Promise.all([res.server.stop(1000), auth.server.stop(1000)]) },
    }
  } catch (e) {
    await Promise.all(started.map((s) => s.stop(1000).catch(() => undefined)))
    throw e
  }
}
