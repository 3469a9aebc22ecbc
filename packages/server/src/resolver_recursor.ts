/**
 * The {@link Recursor} backed by `@secdns/resolver`: forwarding or iterative resolution,
 * validated against the configured trust anchors.
 */
import { Resolver, TrustAnchors, parseServer } from '@secdns/resolver'
import type { ServerConfig } from './config.js'
import { ServerError } from './errors.js'
import type { Recursor } from './recursor.js'

/**
 * Build a recursor from the `recursion` section of the configuration.
 * @param cfg the `recursion` section
 * @throws {ServerError} ERR_SERVER_CONFIG when the trust anchors or a server address do not parse
 * @example
 * const recursor = resolverRecursor({ forwarders: ['192.0.2.53'], rootHints: [], trustAnchors: 'TrustAnchors.dns' })
 */
export function resolverRecursor(cfg: NonNullable<ServerConfig['recursion']>): Recursor {
  let resolver: Resolver
  try {
    resolver = new Resolver({
      forwarders: cfg.forwarders.map((s) => parseServer(s)),
      rootHints: cfg.rootHints.map((s) => parseServer(s)),
      trustAnchors: cfg.trustAnchors !== undefined ? TrustAnchors.load(cfg.trustAnchors) : undefined,
    })
  } catch (e) {
    throw new ServerError('ERR_SERVER_CONFIG', `recursion: ${(e as Error).message}`, { cause: e })
  }
  return {
    async resolve(question, opts) {
      const r = await resolver.resolve(question.name, question.type, { dnssecOk: opts.dnssecOk, checkingDisabled: opts.checkingDisabled })
      const base = { rcode: r.rcode, answer: r.answer, authority: r.authority, additional: r.additional, authenticated: r.state === 'secure' }
      return r.ede === undefined ? base : { ...base, ede: { infoCode: r.ede, text: r.reason } }
    },
  }
}
