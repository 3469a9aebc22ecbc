/**
 * A UDP socket that receives and sends in batches (recvmmsg/sendmmsg) through the native
 * addon, calling JavaScript once per batch of datagrams instead of once per datagram.
 */
import { createRequire } from 'node:module'
import { isIPv4, isIPv6 } from 'node:net'

/** Datagrams taken by one recvmmsg call (and handed to JavaScript in one call) by default. */
export const DEFAULT_BATCH = 64
/** Octets kept for each received datagram by default: the largest UDP payload fits. */
export const DEFAULT_MAX_DATAGRAM = 65536
/** Answers queued in the out table before a sendmmsg by default. */
export const DEFAULT_OUT_ENTRIES = 256
/** Octets of the out buffer by default. */
export const DEFAULT_OUT_BYTES = 512 * 1024
/** Datagrams (and octets) that may wait in the native queue while the kernel says EAGAIN. */
export const DEFAULT_QUEUE_MAX = 1024
export const DEFAULT_QUEUE_BYTES = 4 * 1024 * 1024
/** The largest datagram this socket sends. */
export const MAX_UDP_PAYLOAD = 65535

/** Int32 words per datagram in the shared tables (see src/udp.c). */
const W = 10
const F_TRUNC = 1

interface NativeHandle { readonly port: number }
interface NativeBinding {
  readonly WORDS: number
  open(options: object, input: Uint8Array, table: Int32Array, out: Uint8Array, outTable: Int32Array, onBatch: (n: number) => void): NativeHandle
  ntop(family: number, w0: number, w1: number, w2: number, w3: number): string
  send(this: NativeHandle, n: number): void
  close(this: NativeHandle): void
  ref(this: NativeHandle, on: boolean): void
  stats(this: NativeHandle): UdpStats
  blockSend(this: NativeHandle, on: boolean): void
}

let binding: NativeBinding | undefined
let loadError: string | undefined
if (process.env.SECDNS_NATIVE_UDP === '0') {
  loadError = 'disabled by SECDNS_NATIVE_UDP=0'
} else if (process.platform !== 'linux') {
  loadError = `recvmmsg/sendmmsg are Linux calls; this is ${process.platform}`
} else {
  try {
    binding = createRequire(import.meta.url)('../../build/Release/secdns_udp.node') as NativeBinding
    if (binding.WORDS !== W) { loadError = `the addon's table layout (${binding.WORDS} words) does not match (${W}); rebuild it`; binding = undefined }
  } catch (e) {
    loadError = `the addon is not built (npm run build:native): ${(e as Error).message.split('\n')[0]}`
  }
}

/**
 * Whether the native addon is loaded, and why not.
 * @returns `{ loaded: true }` or `{ loaded: false, reason }`
 */
export function nativeUdpStatus(): { readonly loaded: boolean, readonly reason?: string } {
  return binding !== undefined ? { loaded: true } : { loaded: false, reason: loadError ?? 'not loaded' }
}

/** Options of {@link BatchedUdpSocket.open}. */
export interface BatchedUdpOptions {
  /** An IPv4 or IPv6 address literal. */
  readonly address: string
  /** 0 picks a free port. */
  readonly port: number
  /** SO_REUSEPORT: several processes (cluster workers) each own a socket on one port. */
  readonly reusePort?: boolean
  /** IPV6_V6ONLY on an IPv6 socket (default false: IPv4 arrives as ::ffff:a.b.c.d, as with node:dgram). */
  readonly ipv6Only?: boolean
  /** SO_RCVBUF asked for (the kernel caps it at net.core.rmem_max). */
  readonly recvBufferSize?: number
  /** SO_SNDBUF asked for. */
  readonly sendBufferSize?: number
  /** Datagrams per recvmmsg (1–1024, default {@link DEFAULT_BATCH}). */
  readonly batch?: number
  /** Octets kept per datagram (512–65536); longer ones arrive cut and flagged truncated. */
  readonly maxDatagram?: number
  /** Answers per sendmmsg (default {@link DEFAULT_OUT_ENTRIES}). */
  readonly outEntries?: number
  /** Octets of the out buffer (at least 65535, default {@link DEFAULT_OUT_BYTES}). */
  readonly outBytes?: number
  /** Bound of the EAGAIN queue in datagrams (default {@link DEFAULT_QUEUE_MAX}); beyond it answers are dropped and counted. */
  readonly queueMax?: number
  /** Bound of the EAGAIN queue in octets (default {@link DEFAULT_QUEUE_BYTES}). */
  readonly queueBytes?: number
}

/** Counters of a socket (the native side's). */
export interface UdpStats {
  readonly received: number
  readonly batches: number
  readonly sent: number
  /** Answers waiting in the EAGAIN queue now. */
  readonly queued: number
  /** Answers dropped because the EAGAIN queue was full. */
  readonly dropped: number
  /** Datagrams longer than maxDatagram. */
  readonly truncated: number
  /** Failed sends (bad address, unreachable) and receive errors. */
  readonly errors: number
  readonly recvBufferSize?: number
  readonly sendBufferSize?: number
}

/** Where a datagram came from, kept to answer it later (after an await). */
export interface UdpPeer {
  readonly address: string
  readonly port: number
  readonly family: 4 | 6
  /** The address as the table holds it (words 5–9 of an entry): opaque. */
  readonly words: readonly [number, number, number, number, number]
}

/**
 * Called once for every datagram of a batch. `msg` is a view of the shared receive buffer:
 * valid only until the handler returns (copy it to keep it). Answer at once with
 * {@link BatchedUdpSocket.reply}, or keep {@link BatchedUdpSocket.peerOf} and answer later
 * with {@link BatchedUdpSocket.sendTo}.
 */
export type DatagramHandler = (msg: Uint8Array, i: number, sock: BatchedUdpSocket) => void

const ADDR_CACHE = 256

/**
 * A bound UDP socket served in batches.
 *
 * @example
 * const sock = BatchedUdpSocket.open({ address: '127.0.0.1', port: 5300 }, (msg, i, s) => {
 *   s.reply(i, answerTo(msg, s.addressOf(i)))
 * })
 */
export class BatchedUdpSocket {
  /** The address bound. */
  readonly address: string
  /** The port bound (resolved when 0 was asked). */
  readonly port: number
  readonly family: 4 | 6
  /** Datagrams dropped before the handler: truncated, or with no usable sender. */
  skipped = 0
  /** Answers not queued: longer than {@link MAX_UDP_PAYLOAD}, or sent after close. */
  refused = 0
  /** Handler exceptions caught (the handler should catch its own). */
  handlerErrors = 0
  readonly #h: NativeHandle
  readonly #b: NativeBinding
  readonly #in: Uint8Array
  readonly #tab: Int32Array
  readonly #out: Uint8Array
  readonly #otab: Int32Array
  readonly #outEntries: number
  readonly #slot: number
  readonly #onDatagram: DatagramHandler
  #outOff = 0
  #outCount = 0
  #inBatch = false
  #flushScheduled = false
  #closed = false
  readonly #cacheKeys = new Int32Array(ADDR_CACHE * 5)
  readonly #cacheNames: string[] = new Array<string>(ADDR_CACHE).fill('')

  private constructor(b: NativeBinding, opts: BatchedUdpOptions, onDatagram: DatagramHandler) {
    const family = isIPv6(opts.address) ? 6 : isIPv4(opts.address) ? 4 : 0
    if (family === 0) throw Object.assign(new TypeError(`not an IP address: ${opts.address}`), { code: 'EINVAL' })
    const batch = opts.batch ?? DEFAULT_BATCH
    const slot = opts.maxDatagram ?? DEFAULT_MAX_DATAGRAM
    this.#outEntries = opts.outEntries ?? DEFAULT_OUT_ENTRIES
    const outBytes = opts.outBytes ?? DEFAULT_OUT_BYTES
    if (!Number.isInteger(batch) || batch < 1 || batch > 1024) throw new RangeError(`batch must be an integer from 1 to 1024, got ${batch}`)
    if (!Number.isInteger(slot) || slot < 512 || slot > 65536) throw new RangeError(`maxDatagram must be an integer from 512 to 65536, got ${slot}`)
    if (!Number.isInteger(this.#outEntries) || this.#outEntries < 1 || this.#outEntries > 4096) throw new RangeError(`outEntries must be an integer from 1 to 4096, got ${this.#outEntries}`)
    if (!Number.isInteger(outBytes) || outBytes < MAX_UDP_PAYLOAD || outBytes > 64 * 1024 * 1024) throw new RangeError(`outBytes must be an integer from ${MAX_UDP_PAYLOAD} to 67108864, got ${outBytes}`)
    this.#b = b
    this.#slot = slot
    this.#in = new Uint8Array(batch * slot)
    this.#tab = new Int32Array(batch * W)
    this.#out = new Uint8Array(outBytes)
    this.#otab = new Int32Array(this.#outEntries * W)
    this.#onDatagram = onDatagram
    this.family = family
    this.address = opts.address
    this.#h = b.open({
      family, address: opts.address, port: opts.port, reusePort: opts.reusePort ?? false, ipv6Only: opts.ipv6Only ?? false,
      recvBufferSize: opts.recvBufferSize, sendBufferSize: opts.sendBufferSize, batch, slot,
      queueMax: opts.queueMax ?? DEFAULT_QUEUE_MAX, queueBytes: opts.queueBytes ?? DEFAULT_QUEUE_BYTES,
    }, this.#in, this.#tab, this.#out, this.#otab, (n) => { this.#batch(n) })
    this.port = this.#h.port
  }

  /**
   * Make, bind and start watching a socket.
   * @param opts address, port and sizes
   * @param onDatagram called for each datagram received
   * @throws {Error} when the addon is not loaded (ERR_UDP_NATIVE_UNAVAILABLE), or with the
   *   errno name as `code` when the socket cannot be bound (EADDRINUSE, EACCES, EADDRNOTAVAIL …)
   */
  static open(opts: BatchedUdpOptions, onDatagram: DatagramHandler): BatchedUdpSocket {
    if (binding === undefined) throw Object.assign(new Error(`native UDP is not available: ${loadError ?? 'not loaded'}`), { code: 'ERR_UDP_NATIVE_UNAVAILABLE' })
    return new BatchedUdpSocket(binding, opts, onDatagram)
  }

  #batch(n: number): void {
    const tab = this.#tab
    this.#inBatch = true
    try {
      for (let i = 0; i < n; i++) {
        const e = i * W
        // No usable sender, or cut short: never handed on (a cut DNS message would only get FORMERR).
        if (tab[e + 3] === 0 || (tab[e + 2]! & F_TRUNC) !== 0) { this.skipped++; continue }
        const off = i * this.#slot
        try {
          this.#onDatagram(this.#in.subarray(off, off + tab[e + 1]!), i, this)
        } catch {
          this.handlerErrors++
        }
        if (this.#closed) return
      }
    } finally {
      this.#inBatch = false
      this.flush()
    }
  }

  /**
   * The sender's address of datagram `i` of the current batch, as node:dgram writes it
   * (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`); the string is cached, not made each time.
   */
  addressOf(i: number): string {
    const t = this.#tab
    const e = i * W
    const fam = t[e + 3]!, a0 = t[e + 5]!, a1 = t[e + 6]!, a2 = t[e + 7]!, a3 = t[e + 8]!
    const h = (Math.imul(a0 ^ Math.imul(a1, 0x85ebca6b) ^ Math.imul(a2, 0xc2b2ae35) ^ Math.imul(a3, 0x27d4eb2f), 0x9e3779b1) >>> 24) & (ADDR_CACHE - 1)
    const k = this.#cacheKeys
    const c = h * 5
    const name = this.#cacheNames[h]!
    if (name !== '' && k[c] === fam && k[c + 1] === a0 && k[c + 2] === a1 && k[c + 3] === a2 && k[c + 4] === a3) return name
    const s = this.#b.ntop(fam, a0, a1, a2, a3)
    k[c] = fam; k[c + 1] = a0; k[c + 2] = a1; k[c + 3] = a2; k[c + 4] = a3
    this.#cacheNames[h] = s
    return s
  }

  /** The sender's port of datagram `i` of the current batch. */
  portOf(i: number): number { return this.#tab[i * W + 4]! }

  /** The sender of datagram `i`, kept to answer after the batch (see {@link sendTo}). */
  peerOf(i: number): UdpPeer {
    const t = this.#tab
    const e = i * W
    return { address: this.addressOf(i), port: t[e + 4]!, family: t[e + 3] === 6 ? 6 : 4, words: [t[e + 5]!, t[e + 6]!, t[e + 7]!, t[e + 8]!, t[e + 9]!] }
  }

  /**
   * Room for an answer of `len` octets in the out buffer: write it at the returned offset
   * of {@link outBuffer}, then {@link commitReply}. Flushes first when full.
   * @returns the offset, or -1 when the answer is too long or the socket closed
   */
  reserve(len: number): number {
    if (this.#closed || len > MAX_UDP_PAYLOAD || len < 0) { this.refused++; return -1 }
    if (this.#outCount === this.#outEntries || this.#outOff + len > this.#out.length) this.flush()
    return this.#outOff
  }

  /** The shared out buffer {@link reserve} points into. */
  get outBuffer(): Uint8Array { return this.#out }

  /**
   * Queue the `len` octets written at the offset {@link reserve} gave as the answer to
   * datagram `i` of the current batch.
   */
  commitReply(i: number, len: number): void {
    const o = this.#outCount * W
    const ot = this.#otab, t = this.#tab
    const e = i * W
    ot[o] = this.#outOff; ot[o + 1] = len; ot[o + 2] = 0
    ot[o + 3] = t[e + 3]!; ot[o + 4] = t[e + 4]!; ot[o + 5] = t[e + 5]!; ot[o + 6] = t[e + 6]!; ot[o + 7] = t[e + 7]!; ot[o + 8] = t[e + 8]!; ot[o + 9] = t[e + 9]!
    this.#queued(len)
  }

  /** Answer datagram `i` of the current batch (sent when the batch's handler calls end). */
  reply(i: number, bytes: Uint8Array): void {
    const off = this.reserve(bytes.length)
    if (off < 0) return
    this.#out.set(bytes, off)
    this.commitReply(i, bytes.length)
  }

  /** Send to a peer kept from {@link peerOf}: at the end of the current batch, or on the next setImmediate. */
  sendTo(bytes: Uint8Array, peer: UdpPeer): void {
    const off = this.reserve(bytes.length)
    if (off < 0) return
    this.#out.set(bytes, off)
    const o = this.#outCount * W
    const ot = this.#otab
    const w = peer.words
    ot[o] = off; ot[o + 1] = bytes.length; ot[o + 2] = 0; ot[o + 3] = peer.family; ot[o + 4] = peer.port
    ot[o + 5] = w[0]; ot[o + 6] = w[1]; ot[o + 7] = w[2]; ot[o + 8] = w[3]; ot[o + 9] = w[4]
    this.#queued(bytes.length)
  }

  #queued(len: number): void {
    this.#outOff += len
    this.#outCount++
    if (!this.#inBatch && !this.#flushScheduled) {
      this.#flushScheduled = true
      setImmediate(() => { this.#flushScheduled = false; this.flush() })
    }
  }

  /** Send every queued answer now (one sendmmsg; EAGAIN leftovers wait in the native queue). */
  flush(): void {
    const n = this.#outCount
    this.#outCount = 0
    this.#outOff = 0
    if (n === 0 || this.#closed) return
    this.#b.send.call(this.#h, n)
  }

  /** The native counters. */
  stats(): UdpStats { return this.#b.stats.call(this.#h) }

  /** Whether this socket keeps the process alive (it does by default). */
  ref(on = true): void { this.#b.ref.call(this.#h, on) }

  /** Tests only: while on, every send behaves as if the kernel said EAGAIN. */
  blockSendForTest(on: boolean): void { this.#b.blockSend.call(this.#h, on) }

  /** Send what is queued, then close; later sends are refused and counted. */
  close(): void {
    if (this.#closed) return
    this.flush()
    this.#closed = true
    this.#b.close.call(this.#h)
  }

  get closed(): boolean { return this.#closed }
}
