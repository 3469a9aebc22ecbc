/**
 * The {@link Recursor} backed by `@secdns/resolver`: forwarding or iterative resolution,
 * validated against the configured trust anchors, whose anchors the admin API can change
 * while the server runs.
 */
import { Resolver, TrustAnchors, parseServer, type AnchorRecord, type TrustAnchor } from '@secdns/resolver'
import type { ServerConfig } from './config.js'
import { ServerError } from './errors.js'
import type { Recursor, TrustAnchorAdmin } from './recursor.js'

/**
 * Build a recursor from the `resolver` section of the configuration.
 * @param cfg the `resolver` section
 * @param log receives the resolver's lines (Bogus reasons, anchor problems)
 * @throws {ServerError} ERR_SERVER_CONFIG when the trust anchors or a server address do not parse
 * @example
 * const recursor = resolverRecursor({ forwarders: ['192.0.2.53'], rootHints: [], addressMap: {}, zoneForwarders: [], trustAnchors: 'TrustAnchors.dns', aggressiveNsec: false })
 */
export function resolverRecursor(cfg: NonNullable<ServerConfig['resolver']>, log?: (line: string) => void): Recursor {
  let resolver: Resolver
  const live = cfg.trustAnchors !== undefined ? loadAnchors(cfg.trustAnchors) : undefined
  try {
    resolver = new Resolver({
      forwarders: cfg.forwarders.map((s) => parseServer(s)),
      zoneForwarders: cfg.zoneForwarders.map((z) => ({ zone: z.zone.endsWith('.') ? z.zone : z.zone + '.', servers: z.servers.map((s) => parseServer(s)) })),
      rootHints: cfg.rootHints.map((s) => parseServer(s)),
      addressMap: Object.fromEntries(Object.entries(cfg.addressMap).map(([from, to]) => [from, parseServer(to)])),
      trustAnchors: live,
      aggressiveNsec: cfg.aggressiveNsec,
      ...(cfg.limits === undefined ? {} : { limits: cfg.limits }),
      ...(log === undefined ? {} : { log }),
    })
  } catch (e) {
    throw new ServerError('ERR_SERVER_CONFIG', `resolver: ${(e as Error).message}`, { cause: e })
  }
  const anchors = live !== undefined && cfg.trustAnchors !== undefined ? anchorAdmin(cfg.trustAnchors, live, resolver) : undefined
  // `cached`: answers sent from the stored responses (only Secure and Insecure ones are stored).
  const stats: Record<string, number> = { secure: 0, insecure: 0, bogus: 0, indeterminate: 0, cached: 0 }
  return {
    stats,
    async resolve(question, opts) {
      const { result: r, expires } = await resolver.resolveReusable(question.name, question.type, { dnssecOk: opts.dnssecOk, checkingDisabled: opts.checkingDisabled })
      stats[r.state] = (stats[r.state] ?? 0) + 1
      const base = {
        rcode: r.rcode, answer: r.answer, authority: r.authority, additional: r.additional, authenticated: r.state === 'secure',
        ...(expires === undefined ? {} : { expires }),
      }
      return r.ede === undefined ? base : { ...base, ede: { infoCode: r.ede, text: r.reason } }
    },
    respondCached(query, tcp, maxUdpSize, option) {
      const out = resolver.respondCached(query, tcp, maxUdpSize, option)
      if (out !== null) stats.cached!++
      return out
    },
    storeResponse(query, response, expires) { resolver.storeResponse(query, response, expires) },
    clearResponses() { resolver.clearResponses() },
    ...(anchors === undefined ? {} : { anchors }),
  }
}

function loadAnchors(path: string): TrustAnchors {
  try {
    return TrustAnchors.load(path)
  } catch (e) {
    throw new ServerError('ERR_SERVER_CONFIG', `resolver.trustAnchors: ${(e as Error).message}`, { cause: e })
  }
}

/**
 * Changes go to the file first (read afresh, so comments and hand edits stay, then
 * written atomically by TrustAnchors.save), and only then to the anchors in use; one
 * change at a time. The resolver's cache is emptied afterwards: answers and keys
 * validated (or left Indeterminate) under the old anchors, and the old anchors' checks,
 * must not outlive them.
 */
function anchorAdmin(path: string, live: TrustAnchors, resolver: Resolver): TrustAnchorAdmin {
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn)
    queue = p.catch(() => undefined)
    return p
  }
  return {
    list: (): TrustAnchor[] => live.list(),
    status: async () => {
      // Issue 7 §1: a stale anchor shows in the status (and is logged when found), even
      // for a zone no query has touched yet.
      const checked = new Set(resolver.anchorStatus().map((a) => a.zone.toLowerCase()))
      if (live.zones().some((z) => !checked.has(z.toLowerCase().toString()))) await resolver.prime()
      return resolver.anchorStatus()
    },
    add: (records) => serial(async () => {
      const onDisk = TrustAnchors.load(path)
      const added = records.filter((r) => onDisk.add(r)) as AnchorRecord[]
      if (added.length > 0) await onDisk.save(path)
      let changed = false
      for (const r of records) changed = live.add(r) || changed
      if (changed) resolver.clearCache()
      return added
    }),
    remove: (filter) => serial(async () => {
      const onDisk = TrustAnchors.load(path)
      const gone = onDisk.remove(filter)
      if (gone.length > 0) await onDisk.save(path)
      const goneLive = live.remove(filter)
      if (goneLive.length > 0) resolver.clearCache()
      return gone.length > 0 ? gone : goneLive
    }),
  }
}
