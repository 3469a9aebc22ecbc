/**
 * Name server addresses in an NRPT rule: `udp://127.0.0.1:5353`, `tcp://…`,
 * `tls://dns1.lab.test:853` (DNS over TLS, RFC 7858) and `ws://` / `wss://…` (the
 * protected channel of @secdns/channel).
 */
import { isIP } from 'node:net'
import { ClientError } from './errors.js'

/** The transports a name server can be reached over. */
export type TransportKind = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss'

/** Default port of each transport (RFC 1035 §4.2, RFC 7858 §3.1, RFC 6455 §3). */
export const DEFAULT_PORTS: Readonly<Record<TransportKind, number>> = { udp: 53, tcp: 53, tls: 853, ws: 80, wss: 443 }

/** A parsed name server address. */
export interface ServerAddress {
  /** The address as written in the rule. */
  readonly text: string
  readonly kind: TransportKind
  /** Host name or IP literal (IPv6 without brackets). */
  readonly host: string
  readonly port: number
  /** For ws/wss: the URL to connect to. */
  readonly url: string
  /** The name the server's certificate must carry (DoT and channel); defaults to a host name. */
  readonly serverName?: string
}

/** True for transports that carry the protected channel. */
export function isChannel(kind: TransportKind): boolean {
  return kind === 'ws' || kind === 'wss'
}

/**
 * Parse a name server address.
 *
 * @param text `udp://10.0.0.1`, `tcp://[::1]:5353`, `tls://dns1.lab.test`, `wss://dns1.lab.test/dns`;
 *   a bare IP (`10.0.0.1`, `10.0.0.1:5353`) means UDP
 * @param serverName the name the certificate must carry, when not the host
 * @throws {ClientError} ERR_CLIENT_BAD_SERVER
 * @example
 * parseServerAddress('tls://127.0.0.1:8853', 'dns1.lab.test')
 */
export function parseServerAddress(text: string, serverName?: string): ServerAddress {
  const t = text.trim()
  const m = /^([a-z]+):\/\/(.*)$/i.exec(t)
  const scheme = (m?.[1] ?? 'udp').toLowerCase()
  const rest = m?.[2] ?? t
  if (!(scheme in DEFAULT_PORTS)) {
    throw new ClientError('ERR_CLIENT_BAD_SERVER', `name server "${text}": unknown scheme "${scheme}" (udp, tcp, tls, ws or wss)`)
  }
  const kind = scheme as TransportKind
  const slash = rest.indexOf('/')
  const authority = slash >= 0 ? rest.slice(0, slash) : rest
  const path = slash >= 0 ? rest.slice(slash) : '/'
  if (slash >= 0 && !isChannel(kind) && path !== '/') {
    throw new ClientError('ERR_CLIENT_BAD_SERVER', `name server "${text}": a path is only meaningful for ws/wss`)
  }
  let host: string
  let portText: string | undefined
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']')
    if (end < 0) throw new ClientError('ERR_CLIENT_BAD_SERVER', `name server "${text}": unclosed "[" in the address`)
    host = authority.slice(1, end)
    const after = authority.slice(end + 1)
    if (after !== '' && !after.startsWith(':')) throw new ClientError('ERR_CLIENT_BAD_SERVER', `name server "${text}": unexpected "${after}" after "]"`)
    portText = after === '' ? undefined : after.slice(1)
    if (isIP(host) !== 6) throw new ClientError('ERR_CLIENT_BAD_SERVER', `name server "${text}": "${host}" is not an IPv6 address`)
  } else if (isIP(authority) === 6) {
    host = authority
  } else {
    const colon = authority.lastIndexOf(':')
    host = colon >= 0 ? authority.slice(0, colon) : authority
    portText = colon >= 0 ? authority.slice(colon + 1) : undefined
  }
  if (host === '' || !/^[A-Za-z0-9.:_-]+$/.test(host)) throw new ClientError('ERR_CLIENT_BAD_SERVER', `name server "${text}": missing or invalid host "${host}"`)
  let port = DEFAULT_PORTS[kind]
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new ClientError('ERR_CLIENT_BAD_SERVER', `name server "${text}": port "${portText}" is not 1..65535`)
    }
    port = Number(portText)
  }
  // Plain UDP/TCP have no certificate to check; a serverName there is a mistake in the rule.
  if (serverName !== undefined && (kind === 'udp' || kind === 'tcp')) {
    throw new ClientError('ERR_CLIENT_BAD_SERVER', `name server "${text}": serverName only applies to tls, ws and wss`)
  }
  const sn = serverName ?? (isIP(host) === 0 ? host : undefined)
  const hostInUrl = isIP(host) === 6 ? `[${host}]` : host
  const url = isChannel(kind) ? `${kind}://${hostInUrl}:${port}${path}` : `${kind}://${hostInUrl}:${port}`
  return sn === undefined ? { text: t, kind, host, port, url } : { text: t, kind, host, port, url, serverName: sn }
}
