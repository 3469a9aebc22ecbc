/**
 * Build a server with every listener its configuration names.
 */
import { AdminApi } from './admin.js'
import type { ServerConfig } from './config.js'
import { DotListener } from './dot.js'
import { ChannelListener } from './channel_listener.js'
import { DnsServer, type DnsServerOptions } from './server.js'
import { resolverRecursor } from './resolver_recursor.js'

/**
 * A {@link DnsServer} with its DoT and channel listeners, admin API and (when configured)
 * the `@secdns/resolver` recursor added (not started).
 * @param config a validated configuration
 * @param opts logger, recursor, clock
 * @example
 * const server = createDnsServer(loadConfig('server.json'), { logger })
 * await server.start()
 */
export function createDnsServer(config: ServerConfig, opts: DnsServerOptions = {}): DnsServer {
  const recursor = opts.recursor ?? (config.resolver !== undefined ? resolverRecursor(config.resolver, opts.logger === undefined ? undefined : (line) => opts.logger!.warn(line)) : undefined)
  const server = new DnsServer(config, recursor === undefined ? opts : { ...opts, recursor })
  for (const d of config.listeners.dot) server.use(new DotListener(d))
  const channels = config.listeners.channel.map((c) => new ChannelListener(c))
  for (const c of channels) server.use(c)
  if (config.listeners.admin !== undefined) server.use(new AdminApi(config.listeners.admin, { channels }))
  return server
}
