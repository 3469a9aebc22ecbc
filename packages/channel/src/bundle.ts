/**
 * Bundles: several frames (records and handshake messages) carried in one WebSocket
 * message, so a burst of records costs one WebSocket frame and one socket write instead of
 * one each.
 *
 * ```
 * kind(1)=2 | length(2) | frame | length(2) | frame | …
 * ```
 *
 * Each inner frame is a complete record (kind 0) or handshake message (kind 1), protected
 * exactly as if it travelled alone: its own SPI, sequence number and ICV. The bundle adds
 * no protection and needs none — a cut or altered bundle only loses or corrupts inner
 * frames, which their ICVs catch. Bundles do not nest.
 */
import { ChannelError } from './errors.js'
import type { SessionTransport } from './session.js'

/** First octet of a bundle frame. */
export const KIND_BUNDLE = 0x02
/** Octets of each inner frame's length prefix. */
export const BUNDLE_LENGTH_OCTETS = 2
/** Largest bundle a sender makes (a frame larger than this travels alone). */
export const BUNDLE_MAX_OCTETS = 32 * 1024

/**
 * Call `each` with every inner frame of a bundle, in order (views, not copies).
 *
 * @throws {ChannelError} ERR_CHANNEL_MALFORMED for an empty or nested inner frame,
 *   ERR_CHANNEL_TRUNCATED for a length that overruns the bundle. Frames before the bad one
 *   have been handed to `each` already.
 */
export function splitBundle(bundle: Uint8Array, each: (frame: Uint8Array) => void): void {
  if (bundle[0] !== KIND_BUNDLE) throw new ChannelError('ERR_CHANNEL_MALFORMED', `frame kind ${bundle[0] ?? 'missing'} is not a bundle`, { offset: 0 })
  let at = 1
  while (at < bundle.length) {
    if (at + BUNDLE_LENGTH_OCTETS > bundle.length) throw new ChannelError('ERR_CHANNEL_TRUNCATED', `bundle ends inside a length prefix at offset ${at}`, { offset: at })
    const len = (bundle[at]! << 8) | bundle[at + 1]!
    at += BUNDLE_LENGTH_OCTETS
    if (len === 0) throw new ChannelError('ERR_CHANNEL_MALFORMED', `empty frame in bundle at offset ${at - BUNDLE_LENGTH_OCTETS}`, { offset: at - BUNDLE_LENGTH_OCTETS })
    if (at + len > bundle.length) throw new ChannelError('ERR_CHANNEL_TRUNCATED', `frame of ${len} octets at offset ${at} overruns the ${bundle.length}-octet bundle`, { offset: at })
    // A bundle inside a bundle would let one message fan out without bound; refuse it.
    if (bundle[at] === KIND_BUNDLE) throw new ChannelError('ERR_CHANNEL_MALFORMED', `bundle nested in a bundle at offset ${at}`, { offset: at })
    each(bundle.subarray(at, at + len))
    at += len
  }
}

/**
 * Pack `frames` (each 1…65535 octets, none a bundle) into one bundle frame.
 *
 * @throws {RangeError} for a frame that cannot be bundled
 */
export function encodeBundle(frames: readonly Uint8Array[]): Uint8Array {
  let n = 1
  for (const f of frames) {
    if (f.length === 0 || f.length > 0xffff || f[0] === KIND_BUNDLE) throw new RangeError(`a frame of ${f.length} octets (kind ${f[0]}) cannot be bundled`)
    n += BUNDLE_LENGTH_OCTETS + f.length
  }
  const out = Buffer.allocUnsafe(n)
  out[0] = KIND_BUNDLE
  let at = 1
  for (const f of frames) {
    out[at] = f.length >>> 8; out[at + 1] = f.length & 0xff
    out.set(f, at + BUNDLE_LENGTH_OCTETS)
    at += BUNDLE_LENGTH_OCTETS + f.length
  }
  return out
}

/**
 * A transport that collects the frames a session sends during one turn of the event loop
 * and writes them as one bundle (or alone, when there is only one) in a `setImmediate`.
 * Order is kept: frames leave in the order they were sent, so the rekey hand-over (records
 * on the old SA before the CREATE_CHILD_SA answer) holds as on the bare transport.
 *
 * @example
 * const t = new CoalescingTransport(ws, limits.maxMessageOctets)
 * const session = new ChannelSession(t, result, limits, hooks)
 */
export class CoalescingTransport implements SessionTransport {
  private readonly inner: SessionTransport
  private readonly maxOctets: number
  private frames: Uint8Array[] = []
  private octets = 1
  private scheduled = false
  private closed = false
  /** WebSocket messages written (a bundle counts once). */
  messages = 0
  /** Frames written, bundled or not. */
  frameCount = 0

  /** @param maxOctets largest bundle to write (at most {@link BUNDLE_MAX_OCTETS}; keep it within the peer's maxPayload) */
  constructor(inner: SessionTransport, maxOctets = BUNDLE_MAX_OCTETS) {
    this.inner = inner
    this.maxOctets = Math.min(maxOctets, BUNDLE_MAX_OCTETS)
  }

  send(frame: Uint8Array): void {
    if (this.closed) throw new ChannelError('ERR_CHANNEL_CLOSED', 'channel is closed')
    const add = BUNDLE_LENGTH_OCTETS + frame.length
    if (this.frames.length > 0 && this.octets + add > this.maxOctets) this.flush()
    this.frames.push(frame)
    this.octets += add
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => {
        this.scheduled = false
        try { this.flush() } catch { /* the socket closed meanwhile; its 'close' event ends the session */ }
      })
    }
  }

  /** Write what has been collected now. */
  flush(): void {
    const fs = this.frames
    if (fs.length === 0) return
    this.frames = []
    this.octets = 1
    this.messages++
    this.frameCount += fs.length
    // One frame (or one too big for a bundle) travels alone, as without coalescing.
    if (fs.length === 1) this.inner.send(fs[0]!)
    else this.inner.send(encodeBundle(fs))
  }

  close(code?: number, reason?: string): void {
    if (this.closed) return
    try { this.flush() } catch { /* the socket is gone already */ }
    this.closed = true
    this.inner.close(code, reason)
  }
}
