/**
 * Every limit of the channel as a named export (STYLE.md §5), overridable through the
 * `limits` option of the server and the client.
 */
import { ChannelError } from './errors.js'

/** Largest WebSocket message accepted (ws `maxPayload`): a 64 KiB DNS message plus headers. */
export const MAX_MESSAGE_OCTETS = 70 * 1024
/** Largest DNS message a record may carry (RFC 1035 §4.2.2: two-octet length). */
export const MAX_DNS_MESSAGE_OCTETS = 65535
/** Anti-replay window width in records (RFC 4303 §3.4.3 recommends at least 64; we use 1024). */
export const REPLAY_WINDOW = 1024
/** Records a child SA may protect in one direction before it must be replaced. */
export const SA_MAX_PACKETS = 2 ** 32
/** Payload octets a child SA may protect in one direction before it must be replaced. */
export const SA_MAX_BYTES = 2 ** 40
/** Lifetime of a child SA in milliseconds before the initiator rekeys it. */
export const SA_LIFETIME_MS = 60 * 60 * 1000
/** Lifetime of the IKE SA (the keys of the control exchanges) before the initiator rekeys it (RFC 7296 §2.8). */
export const IKE_SA_LIFETIME_MS = 4 * 60 * 60 * 1000
/** Requests (both directions) the IKE SA may carry before the initiator rekeys it. */
export const IKE_SA_MAX_MESSAGES = 2 ** 20
/** Fraction of a budget after which the initiator starts a rekey (soft limit). */
export const REKEY_AT = 0.75
/** Time allowed from connection to an established channel. */
export const HANDSHAKE_TIMEOUT_MS = 10_000
/** A channel with no traffic at all for this long is closed by the server. */
export const IDLE_TIMEOUT_MS = 10 * 60 * 1000
/** The client sends a liveness check (empty INFORMATIONAL) after this much silence. */
export const DPD_INTERVAL_MS = 30_000
/** A liveness check unanswered for this long ends the channel. */
export const DPD_TIMEOUT_MS = 10_000
/** A query unanswered for this long fails with ERR_CHANNEL_TIMEOUT. */
export const QUERY_TIMEOUT_MS = 15_000
/** Half-open handshakes (server-wide) above which the server demands a cookie (RFC 7296 §2.6). */
export const COOKIE_THRESHOLD = 64
/** Half-open handshakes the server accepts in total. */
export const MAX_HALF_OPEN = 1024
/** Half-open handshakes the server accepts from one source address. */
export const MAX_HALF_OPEN_PER_SOURCE = 16
/** Queries one client may have in flight (bounded by the 16-bit DNS id). */
export const MAX_IN_FLIGHT = 4096
/** Verified peer certificate paths remembered per trust configuration (0: verify every time). */
export const VERIFY_CACHE_SIZE = 1024
/** How long a remembered verification lasts, so a new CRL takes effect within this time. */
export const VERIFY_CACHE_TTL_MS = 60_000

/** The limits object accepted by the server and the client. */
export interface ChannelLimits {
  maxMessageOctets: number
  replayWindow: number
  saMaxPackets: number
  saMaxBytes: number
  saLifetimeMs: number
  ikeSaLifetimeMs: number
  ikeSaMaxMessages: number
  handshakeTimeoutMs: number
  idleTimeoutMs: number
  dpdIntervalMs: number
  dpdTimeoutMs: number
  queryTimeoutMs: number
  cookieThreshold: number
  maxHalfOpen: number
  maxHalfOpenPerSource: number
  maxInFlight: number
  verifyCacheSize: number
  verifyCacheTtlMs: number
}

/** The defaults, as one object. */
export const DEFAULT_LIMITS: Readonly<ChannelLimits> = Object.freeze({
  maxMessageOctets: MAX_MESSAGE_OCTETS,
  replayWindow: REPLAY_WINDOW,
  saMaxPackets: SA_MAX_PACKETS,
  saMaxBytes: SA_MAX_BYTES,
  saLifetimeMs: SA_LIFETIME_MS,
  ikeSaLifetimeMs: IKE_SA_LIFETIME_MS,
  ikeSaMaxMessages: IKE_SA_MAX_MESSAGES,
  handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  dpdIntervalMs: DPD_INTERVAL_MS,
  dpdTimeoutMs: DPD_TIMEOUT_MS,
  queryTimeoutMs: QUERY_TIMEOUT_MS,
  cookieThreshold: COOKIE_THRESHOLD,
  maxHalfOpen: MAX_HALF_OPEN,
  maxHalfOpenPerSource: MAX_HALF_OPEN_PER_SOURCE,
  maxInFlight: MAX_IN_FLIGHT,
  verifyCacheSize: VERIFY_CACHE_SIZE,
  verifyCacheTtlMs: VERIFY_CACHE_TTL_MS,
})

/**
 * Merge caller overrides over the defaults and check them.
 *
 * @throws {ChannelError} ERR_CHANNEL_INVALID_OPTIONS naming the bad limit
 */
export function resolveLimits(over?: Partial<ChannelLimits>): ChannelLimits {
  const l: ChannelLimits = { ...DEFAULT_LIMITS, ...(over ?? {}) }
  for (const [k, v] of Object.entries(l)) {
    if (!(k in DEFAULT_LIMITS)) throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', `unknown limit "${k}"`)
    const min = k === 'verifyCacheSize' || k === 'verifyCacheTtlMs' ? 0 : 1
    if (typeof v !== 'number' || Number.isNaN(v) || v < min) throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', `limit ${k} must be a number ≥ ${min}, got ${String(v)}`)
  }
  // The window is a ring of 32-bit words (replay_window.ts).
  if (!Number.isInteger(l.replayWindow) || l.replayWindow < 32 || l.replayWindow % 32 !== 0) {
    throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', `limit replayWindow must be a multiple of 32 and at least 32, got ${l.replayWindow}`)
  }
  if (l.maxMessageOctets < 1024) throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', `limit maxMessageOctets must be at least 1024, got ${l.maxMessageOctets}`)
  // RFC 4303 §2.2: a 64-bit counter; we keep it within exact JS integers.
  if (l.saMaxPackets > Number.MAX_SAFE_INTEGER) throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', 'limit saMaxPackets exceeds 2^53 - 1')
  return l
}
