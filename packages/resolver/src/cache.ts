/**
 * The resolver's cache: entries expire by TTL against the injected clock, and the least
 * recently used go first once `maxEntries` or the byte bound is reached. Validated and unvalidated data
 * live under different keys, so an answer fetched with CD=1 never passes for a
 * validated one (RFC 4035 §4.7).
 */

/** Which kind of data an entry holds (`response`: encoded responses, response_cache.ts). */
export type CacheKind = 'upstream' | 'validated' | 'keys' | 'response'

/**
 * A TTL + LRU cache on a Map (insertion order is recency order).
 *
 * @example
 * const c = new Cache<Message>(1000, () => Date.now() / 1000)
 * c.set('upstream', 'www.example.test./1', msg, 300)
 */
export class Cache<V> {
  private readonly map = new Map<string, { value: V, expires: number, size: number }>()
  private readonly maxEntries: number
  private readonly maxBytes: number
  private readonly now: () => number
  private bytes = 0
  /** Hits and misses, for status output and tests. */
  readonly stats = { hits: 0, misses: 0, evictions: 0 }

  /**
   * @param maxEntries bound on the number of entries
   * @param now the clock, seconds since the epoch
   * @param maxBytes memory bound: the sum of the sizes given to {@link Cache.set}
   */
  constructor(maxEntries: number, now: () => number, maxBytes = Number.POSITIVE_INFINITY) {
    this.maxEntries = maxEntries
    this.now = now
    this.maxBytes = maxBytes
  }

  /** The sum of the sizes of the entries held. */
  get byteSize(): number {
    return this.bytes
  }

  /** Entries held (expired ones included until touched). */
  get size(): number {
    return this.map.size
  }

  /**
   * The live value under a key, or undefined.
   *
   * @param kind upstream, validated or keys
   * @param key the key within the kind
   */
  get(kind: CacheKind, key: string): V | undefined {
    const k = `${kind}|${key}`
    const e = this.map.get(k)
    if (e === undefined) { this.stats.misses++; return undefined }
    if (e.expires <= this.now()) { this.drop(k, e); this.stats.misses++; return undefined }
    // Touch: move to the most recent end.
    this.map.delete(k)
    this.map.set(k, e)
    this.stats.hits++
    return e.value
  }

  /**
   * Store a value for `ttl` seconds; a TTL of 0 stores nothing (RFC 1035 §3.2.1).
   *
   * @param kind upstream, validated or keys
   * @param key the key within the kind
   * @param value the value
   * @param ttl seconds
   * @param size what the entry costs in bytes (an estimate), for the memory bound
   */
  set(kind: CacheKind, key: string, value: V, ttl: number, size = 0): void {
    if (ttl <= 0) return
    const k = `${kind}|${key}`
    const old = this.map.get(k)
    if (old !== undefined) this.drop(k, old)
    this.map.set(k, { value, expires: this.now() + ttl, size })
    this.bytes += size
    while (this.map.size > this.maxEntries || (this.bytes > this.maxBytes && this.map.size > 1)) {
      const [oldest, e] = this.map.entries().next().value as [string, { size: number }]
      this.drop(oldest, e)
      this.stats.evictions++
    }
  }

  /**
   * Shorten the life of an entry to at most `ttl` seconds from now (never lengthen it);
   * a TTL of 0 drops it. Used for data that validated Bogus (RFC 4035 §4.7: kept only
   * briefly, then fetched afresh).
   *
   * @param kind the entry's kind
   * @param key the key within the kind
   * @param ttl seconds from now
   */
  cap(kind: CacheKind, key: string, ttl: number): void {
    const k = `${kind}|${key}`
    const e = this.map.get(k)
    if (e === undefined) return
    if (ttl <= 0) { this.drop(k, e); return }
    e.expires = Math.min(e.expires, this.now() + ttl)
  }

  private drop(k: string, e: { size: number }): void {
    this.map.delete(k)
    this.bytes -= e.size
  }

  /**
   * Drop everything, or every entry of one kind.
   *
   * @param kind only this kind (all when left out)
   */
  clear(kind?: CacheKind): void {
    if (kind === undefined) {
      this.map.clear()
      this.bytes = 0
      return
    }
    const prefix = `${kind}|`
    for (const [k, e] of this.map) if (k.startsWith(prefix)) this.drop(k, e)
  }
}
