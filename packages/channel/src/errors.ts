/**
 * Coded errors of @secdns/channel. Errors are values on the stream (STYLE.md §4): each
 * carries a stable `code`, the WebSocket close code the connection ends with when the
 * error is fatal, and, when a certificate check failed, the PkiError as `cause`.
 */

/** Every error code @secdns/channel produces. */
export type ChannelErrorCode =
  | 'ERR_CHANNEL_AUTH_FAILED'
  | 'ERR_CHANNEL_NO_PROPOSAL'
  | 'ERR_CHANNEL_REPLAY'
  | 'ERR_CHANNEL_INTEGRITY'
  | 'ERR_CHANNEL_BAD_SPI'
  | 'ERR_CHANNEL_TIMEOUT'
  | 'ERR_CHANNEL_UNTRUSTED_PEER'
  | 'ERR_CHANNEL_PEER_PURPOSE'
  | 'ERR_CHANNEL_PEER_NAME'
  | 'ERR_CHANNEL_PEER_EXPIRED'
  | 'ERR_CHANNEL_PEER_REVOKED'
  | 'ERR_CHANNEL_MALFORMED'
  | 'ERR_CHANNEL_TRUNCATED'
  | 'ERR_CHANNEL_PROTOCOL'
  | 'ERR_CHANNEL_TOO_BIG'
  | 'ERR_CHANNEL_RATE_LIMITED'
  | 'ERR_CHANNEL_BUSY'
  | 'ERR_CHANNEL_CLOSED'
  | 'ERR_CHANNEL_INVALID_OPTIONS'
  | 'ERR_CHANNEL_BAD_KEY_SHARE'
  | 'ERR_CHANNEL_SA_EXHAUSTED'

/**
 * WebSocket close code for each error that ends a connection. 1002/1009/1013 are the
 * RFC 6455 §7.4.1 codes; 4000–4999 are private-use codes (RFC 6455 §7.4.2) for refusals
 * the peer should be able to tell apart.
 */
export const CLOSE_CODES: Readonly<Record<ChannelErrorCode, number>> = {
  ERR_CHANNEL_AUTH_FAILED: 4001,
  ERR_CHANNEL_UNTRUSTED_PEER: 4002,
  ERR_CHANNEL_PEER_PURPOSE: 4003,
  ERR_CHANNEL_PEER_NAME: 4004,
  ERR_CHANNEL_PEER_EXPIRED: 4005,
  ERR_CHANNEL_PEER_REVOKED: 4006,
  ERR_CHANNEL_NO_PROPOSAL: 4007,
  ERR_CHANNEL_TIMEOUT: 4008,
  ERR_CHANNEL_REPLAY: 4009,
  ERR_CHANNEL_INTEGRITY: 4010,
  ERR_CHANNEL_BAD_SPI: 4011,
  ERR_CHANNEL_BAD_KEY_SHARE: 4012,
  ERR_CHANNEL_SA_EXHAUSTED: 4013,
  ERR_CHANNEL_MALFORMED: 1002,
  ERR_CHANNEL_TRUNCATED: 1002,
  ERR_CHANNEL_PROTOCOL: 1002,
  ERR_CHANNEL_TOO_BIG: 1009,
  ERR_CHANNEL_RATE_LIMITED: 1013,
  ERR_CHANNEL_BUSY: 1013,
  ERR_CHANNEL_CLOSED: 1000,
  ERR_CHANNEL_INVALID_OPTIONS: 1011,
}

const ALL_CODES = new Set<string>(Object.keys(CLOSE_CODES))

/** True when `code` is one of {@link ChannelErrorCode}. */
export function isChannelErrorCode(code: string): code is ChannelErrorCode {
  return ALL_CODES.has(code)
}

/**
 * The one error class of @secdns/channel.
 *
 * @example
 * client.on('error', (e: ChannelError) => console.error(e.code, e.closeCode, e.pkiCode))
 */
export class ChannelError extends Error {
  /** Stable machine-readable code. */
  readonly code: ChannelErrorCode
  /** WebSocket close code a connection ends with when this error is fatal. */
  readonly closeCode: number
  /** Byte offset in the frame where a decoder found the problem, when it applies. */
  readonly offset: number | undefined

  /**
   * @param code one of {@link ChannelErrorCode}
   * @param message what went wrong, for a person
   * @param options `cause` (e.g. a PkiError) and `offset` (byte offset in a frame)
   */
  constructor(code: ChannelErrorCode, message: string, options?: { cause?: unknown; offset?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.closeCode = CLOSE_CODES[code]
    this.offset = options?.offset
    this.name = 'ChannelError'
  }

  /** The `code` of the wrapped PkiError, when a certificate check caused this error. */
  get pkiCode(): string | undefined {
    const c = this.cause as { code?: unknown } | undefined
    return c !== undefined && c !== null && typeof c.code === 'string' ? c.code : undefined
  }
}
