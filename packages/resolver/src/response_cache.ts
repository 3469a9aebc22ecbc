/**
 * Encoded responses kept per question and query flags, so a warm-cache query is answered
 * by copying bytes: the ID, RD, the question's letter case and the TTLs are patched in,
 * nothing is decoded, resolved, validated or encoded again.
 *
 * Only plain queries take this path (QUERY opcode, one question of class IN, no answer or
 * authority records, at most an OPT record of EDNS version 0, CD clear); anything else
 * goes through the full path. The entries live in the resolver's {@link Cache}, so they
 * are bounded and evicted with everything else, and dropped when the cache is cleared
 * (a trust-anchor change).
 */
import type { Cache } from './cache.js'

/** Largest UDP response without EDNS (RFC 1035 §4.2.1). */
const PLAIN_UDP_SIZE = 512

/** One stored response. */
interface Stored {
  /** The encoded response as first sent (ID and RD of the query that filled it). */
  readonly bytes: Uint8Array
  /** Where each record's TTL field is, OPT left out. */
  readonly ttlAt: Uint32Array
  /** The TTLs at `stored`. */
  readonly ttls: Uint32Array
  /** When it was stored, seconds (the resolver's clock). */
  readonly stored: number
  /** Length of the question name, to copy the query's letter case over. */
  readonly qnameLength: number
  /** Where the OPT record's RDLENGTH is when the OPT record comes last; -1 otherwise. */
  readonly optAt: number
}

/** What a query's fixed parts say, read without decoding the message. */
export interface QueryKey {
  /** Lower-cased question name, type and flags, as a cache key. */
  readonly key: string
  /** Largest response the client takes over UDP. */
  readonly udpSize: number
  /** Octets of the question name. */
  readonly qnameLength: number
}

const scratch = Buffer.alloc(255 + 3)

/**
 * Read the cache key of a plain query, or null when the query is not one the fast path
 * answers (the full path then decodes it, answers FORMERR, NOTIMP or whatever applies).
 *
 * @param q the query as received
 * @returns key, client UDP size and question-name length; or null
 */
export function queryKey(q: Uint8Array): QueryKey | null {
  const n = q.length
  if (n < 17) return null
  // RFC 1035 §4.1.1: QR=0, OPCODE=0 (QUERY), TC=0; CD set means the client validates
  // itself and wants the data as it came (RFC 4035 §3.2.2): full path.
  if ((q[2]! & 0xfa) !== 0 || (q[3]! & 0x10) !== 0) return null
  if (q[4] !== 0 || q[5] !== 1 || q[6] !== 0 || q[7] !== 0 || q[8] !== 0 || q[9] !== 0 || q[10] !== 0 || q[11]! > 1) return null
  let pos = 12
  let k = 0
  for (;;) {
    const len = q[pos]
    if (len === undefined || len > 63) return null // a pointer or a bad length: full path
    scratch[k++] = len
    pos++
    if (len === 0) break
    if (pos + len > n || k + len > 255) return null
    for (let i = 0; i < len; i++) {
      const c = q[pos + i]!
      // RFC 4343: only ASCII letters fold.
      scratch[k++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c
    }
    pos += len
  }
  const qnameLength = pos - 12
  if (pos + 4 > n) return null
  const qtype = (q[pos]! << 8) | q[pos + 1]!
  // Class IN only; no meta types (OPT, IXFR, AXFR, ANY …, RFC 6895 §3.1: 128–255) nor type 0.
  if (q[pos + 2] !== 0 || q[pos + 3] !== 1 || qtype === 0 || qtype === 41 || (qtype >= 128 && qtype <= 255)) return null
  pos += 4
  let udpSize = PLAIN_UDP_SIZE
  let flags = q[3]! & 0x20 ? 2 : 0 // AD asked for (RFC 6840 §5.7)
  if (q[11] === 1) {
    // The OPT record (RFC 6891 §6.1.2): root owner, type 41, EDNS version 0.
    if (pos + 11 > n || q[pos] !== 0 || q[pos + 1] !== 0 || q[pos + 2] !== 41 || q[pos + 6] !== 0) return null
    const rdlen = (q[pos + 9]! << 8) | q[pos + 10]!
    if (pos + 11 + rdlen !== n) return null
    udpSize = Math.max(PLAIN_UDP_SIZE, (q[pos + 3]! << 8) | q[pos + 4]!)
    flags |= 4 | (q[pos + 7]! & 0x80 ? 1 : 0) // has EDNS, DO
  } else if (pos !== n) {
    return null
  }
  scratch[k++] = qtype >> 8
  scratch[k++] = qtype & 0xff
  scratch[k++] = flags
  return { key: scratch.toString('latin1', 0, k), udpSize, qnameLength }
}

/** Skip a possibly compressed name in an encoded message we wrote. */
function skipName(b: Uint8Array, pos: number): number {
  for (;;) {
    const len = b[pos]!
    if (len === 0) return pos + 1
    if ((len & 0xc0) === 0xc0) return pos + 2
    pos += len + 1
  }
}

/**
 * Responses by {@link queryKey}, stored in the resolver's cache under the kind `response`.
 *
 * @example
 * const hit = responses.lookup(query, queryKey(query)!, 'udp')
 */
export class ResponseCache {
  private readonly cache: Cache<unknown>
  private readonly now: () => number

  /**
   * @param cache the resolver's cache (bounds, eviction and clearing come with it)
   * @param now the resolver's clock, seconds
   */
  constructor(cache: Cache<unknown>, now: () => number) {
    this.cache = cache
    this.now = now
  }

  /**
   * The stored response for a query, patched for it: the query's ID, RD and question
   * name (letter case), TTLs counted down. Null when none is stored, or the stored one
   * is larger than the client takes over UDP (the full path truncates it).
   *
   * @param q the query
   * @param key its {@link queryKey}
   * @param tcp the query came over TCP (no UDP size limit)
   * @param maxUdpSize the responder's own UDP bound (a server's EDNS payload size), when lower than the client's
   * @param option an encoded EDNS option (code, length, data) to put first in the OPT
   *   record's RDATA (a server's COOKIE for this client); null when the stored response has
   *   no OPT record last
   */
  lookup(q: Uint8Array, key: QueryKey, tcp: boolean, maxUdpSize?: number, option?: Uint8Array): Uint8Array | null {
    const s = this.cache.get('response', key.key) as Stored | undefined
    if (s === undefined) return null
    const limit = maxUdpSize === undefined ? key.udpSize : Math.min(key.udpSize, Math.max(PLAIN_UDP_SIZE, maxUdpSize))
    const extra = option === undefined ? 0 : option.length
    if (!tcp && s.bytes.length + extra > limit) return null
    // From Node's buffer pool: a typed-array slice of this size would be a fresh
    // ArrayBuffer each time (malloc, and more for the garbage collector).
    const out = Buffer.allocUnsafe(s.bytes.length + extra)
    if (option === undefined) {
      out.set(s.bytes)
    } else {
      if (s.optAt < 0) return null
      // RDATA starts after RDLENGTH; no TTL field lies beyond it (the OPT record is last).
      const rdata = s.optAt + 2
      out.set(s.bytes.subarray(0, rdata))
      out.set(option, rdata)
      out.set(s.bytes.subarray(rdata), rdata + extra)
      const rdlen = ((out[s.optAt]! << 8) | out[s.optAt + 1]!) + extra
      out[s.optAt] = rdlen >> 8
      out[s.optAt + 1] = rdlen & 0xff
    }
    out[0] = q[0]!
    out[1] = q[1]!
    // RFC 1035 §4.1.1: RD is copied into the response.
    out[2] = (out[2]! & 0xfe) | (q[2]! & 0x01)
    // The question as the client wrote it (the case it chose, RFC 4343 §4.1, DNS 0x20).
    for (let i = 12, end = 12 + s.qnameLength; i < end; i++) out[i] = q[i]!
    const elapsed = this.now() - s.stored
    if (elapsed > 0) {
      for (let i = 0; i < s.ttlAt.length; i++) {
        const t = Math.max(0, s.ttls[i]! - elapsed)
        const at = s.ttlAt[i]!
        out[at] = t >>> 24
        out[at + 1] = (t >>> 16) & 0xff
        out[at + 2] = (t >>> 8) & 0xff
        out[at + 3] = t & 0xff
      }
    }
    return out
  }

  /**
   * Keep an encoded response until `expires`. Truncated responses are not kept.
   *
   * @param key the query's {@link queryKey}
   * @param response the response as sent for that query
   * @param expires when it stops being valid, seconds (the resolver's clock)
   */
  store(key: QueryKey, response: Uint8Array, expires: number): boolean {
    const now = this.now()
    if (expires <= now || (response[2]! & 0x02) !== 0) return false
    const counts = ((response[6]! << 8) | response[7]!) + ((response[8]! << 8) | response[9]!) + ((response[10]! << 8) | response[11]!)
    if (((response[4]! << 8) | response[5]!) !== 1) return false
    const at: number[] = []
    const ttls: number[] = []
    let optAt = -1
    let pos = skipName(response, 12) + 4
    for (let i = 0; i < counts; i++) {
      pos = skipName(response, pos)
      const type = (response[pos]! << 8) | response[pos + 1]!
      if (type !== 41) {
        at.push(pos + 4)
        ttls.push(((response[pos + 4]! << 24) | (response[pos + 5]! << 16) | (response[pos + 6]! << 8) | response[pos + 7]!) >>> 0)
        optAt = -1
      } else {
        optAt = pos + 8
      }
      pos += 10 + ((response[pos + 8]! << 8) | response[pos + 9]!)
    }
    if (pos !== response.length) return false // not a message we understand: do not keep it
    const bytes = Uint8Array.from(response)
    const stored: Stored = { bytes, ttlAt: Uint32Array.from(at), ttls: Uint32Array.from(ttls), stored: now, qnameLength: key.qnameLength, optAt }
    this.cache.set('response', key.key, stored, expires - now, bytes.length + 8 * at.length + 64)
    return true
  }

  /** Drop every stored response (the rest of the resolver's cache stays). */
  clear(): void {
    this.cache.clear('response')
  }
}
