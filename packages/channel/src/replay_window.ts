/**
 * The sliding anti-replay window of RFC 4303 §3.4.3 (algorithm of RFC 4303 Appendix A2,
 * as a ring of bits so sliding costs no shifting).
 */
import { ChannelError } from './errors.js'

/**
 * A receiver's anti-replay window: remembers which of the last `size` sequence numbers
 * were accepted. `check` runs before the ICV check and `accept` after it, as §3.4.3 asks:
 * "the receiver SHOULD update the window only if the integrity verification succeeds".
 *
 * @example
 * const w = new ReplayWindow(1024)
 * w.check(5); w.accept(5)
 * w.check(5) // throws ERR_CHANNEL_REPLAY
 */
export class ReplayWindow {
  /** Highest sequence number accepted so far (0: none yet). */
  top = 0
  readonly size: number
  private readonly bits: Uint32Array

  /** @param size window width in records (a multiple of 32, at least 32) */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) throw new RangeError(`replay window must be a multiple of 32 ≥ 32, got ${size}`)
    this.size = size
    this.bits = new Uint32Array(size / 32)
  }

  /**
   * Throw unless `seq` may be processed.
   *
   * @throws {ChannelError} ERR_CHANNEL_REPLAY for a duplicate or a record left of the window
   */
  check(seq: number): void {
    // RFC 4303 §2.2: the first packet sent has sequence number 1; 0 never appears.
    if (seq === 0) throw new ChannelError('ERR_CHANNEL_REPLAY', 'sequence number 0 is never sent')
    if (seq > this.top) return
    if (this.top - seq >= this.size) throw new ChannelError('ERR_CHANNEL_REPLAY', `sequence number ${seq} is left of the window (top ${this.top}, width ${this.size})`)
    const i = seq % this.size
    if ((this.bits[i >>> 5]! & (1 << (i & 31))) !== 0) throw new ChannelError('ERR_CHANNEL_REPLAY', `sequence number ${seq} was already received`)
  }

  /** Mark `seq` as received, sliding the window right when it is new. Call after `check` and the ICV check. */
  accept(seq: number): void {
    if (seq > this.top) {
      const d = seq - this.top
      if (d >= this.size) {
        this.bits.fill(0)
      } else {
        for (let s = this.top + 1; s <= seq; s++) {
          const i = s % this.size
          this.bits[i >>> 5]! &= ~(1 << (i & 31))
        }
      }
      this.top = seq
    }
    const i = seq % this.size
    this.bits[i >>> 5]! |= 1 << (i & 31)
  }
}
