/**
 * The in-memory zone: RRsets by owner, canonical order (RFC 4034 §6.1), and what each
 * name is — apex, authoritative data, delegation point, glue, occluded data or empty
 * non-terminal — as the signer and the authoritative server need to know.
 */
import { Name, RRType, WireWriter, WireFormatError, canonicalRData, decodeRData, encodeRData, writeRData, type RData, type ResourceRecord, type Soa } from '@secdns/wire'
import { ZoneError, zoneWarning, type SourceLocation, type ZoneWarning } from './errors.js'

/**
 * All records of one owner, class and type (RFC 2181 §5), with one TTL.
 * `rdata` holds no duplicates (RFC 2181 §5: an RRset is a set).
 */
export interface RRset {
  readonly name: Name
  readonly type: number
  readonly class: number
  /** RFC 2181 §5.2: one TTL for the whole set (the first record's, as BIND keeps it). */
  ttl: number
  readonly rdata: RData[]
  /** Where the first record of the set was read, when it came from a file. */
  readonly source?: SourceLocation
}

/**
 * What a name is in the zone.
 *
 * - `apex`: the zone's origin.
 * - `authoritative`: in-zone data the zone answers for (and the signer signs).
 * - `delegation`: a zone cut below the apex (NS RRset): only its NS (not signed), DS,
 *   NSEC and RRSIG are the parent's (RFC 4035 §2.2); other data there is occluded.
 * - `glue`: below a zone cut (or below a DNAME) and holding A/AAAA: served as glue in
 *   referrals, never signed, never in NSEC chains.
 * - `occluded`: below a zone cut or DNAME with no address data, or an empty non-terminal there.
 * - `emptyNonTerminal`: no data, but names below it exist (RFC 4592 §2.2.2); it exists
 *   for lookup (NODATA, not NXDOMAIN) and has its own NSEC3 (RFC 5155 §7.1).
 */
export type NodeKind = 'apex' | 'authoritative' | 'delegation' | 'glue' | 'occluded' | 'emptyNonTerminal'

/** One owner name in the zone and its RRsets by type. */
export interface ZoneNode {
  readonly name: Name
  /** RRsets by type number (empty for an empty non-terminal); a {@link RRsetTable}. */
  readonly rrsets: Map<number, RRset>
  /** Known after {@link Zone.finalize}; `authoritative` before. */
  kind: NodeKind
}

// RRsets up to this size are checked for duplicates by comparing canonical RDATA
// directly; from this size on a Set of canonical forms is kept per RRset.
const DEDUP_SET_FROM = 8

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function rdataKey(d: RData): string {
  const b = canonicalRData(d)
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1')
}

/**
 * The RRsets of one node by type: a `Map<number, RRset>` keyed by each RRset's own
 * `type`. A real `Map` per node (an object and a hash table for every owner name) was
 * the largest single cost of loading a zone and a large share of its memory. Most nodes
 * hold one to three RRsets, so those are kept in fields and only a fourth and later
 * ones in an array. Iteration is in insertion order, as a `Map`'s.
 */
export class RRsetTable implements Map<number, RRset> {
  #a: RRset | undefined = undefined
  #b: RRset | undefined = undefined
  #c: RRset | undefined = undefined
  #more: RRset[] | undefined = undefined

  get size(): number {
    return this.#a === undefined ? 0 : this.#b === undefined ? 1 : this.#c === undefined ? 2 : this.#more === undefined ? 3 : 3 + this.#more.length
  }

  get(type: number): RRset | undefined {
    const a = this.#a
    if (a === undefined || a.type === type) return a
    const b = this.#b
    if (b === undefined || b.type === type) return b
    const c = this.#c
    if (c === undefined || c.type === type) return c
    const more = this.#more
    if (more !== undefined) for (let i = 0; i < more.length; i++) if (more[i]!.type === type) return more[i]
    return undefined
  }

  has(type: number): boolean { return this.get(type) !== undefined }

  /**
   * Add or replace the RRset of `type`.
   * @throws {RangeError} when `set.type` is not `type` (the table keys RRsets by their type)
   */
  set(type: number, set: RRset): this {
    if (set.type !== type) throw new RangeError(`RRset of type ${set.type} cannot be stored under type ${type}`)
    if (this.#a === undefined || this.#a.type === type) this.#a = set
    else if (this.#b === undefined || this.#b.type === type) this.#b = set
    else if (this.#c === undefined || this.#c.type === type) this.#c = set
    else {
      const more = this.#more
      if (more === undefined) this.#more = [set]
      else {
        const i = more.findIndex((x) => x.type === type)
        if (i >= 0) more[i] = set
        // concat, not push: push would reserve 16 spare slots
        else this.#more = more.concat(set)
      }
    }
    return this
  }

  delete(type: number): boolean {
    const all = this.#list()
    const i = all.findIndex((x) => x.type === type)
    if (i < 0) return false
    all.splice(i, 1)
    this.#fill(all)
    return true
  }

  clear(): void { this.#fill([]) }

  #fill(all: RRset[]): void {
    this.#a = all[0]
    this.#b = all[1]
    this.#c = all[2]
    this.#more = all.length > 3 ? all.slice(3) : undefined
  }

  #list(): RRset[] {
    const out: RRset[] = []
    if (this.#a !== undefined) out.push(this.#a)
    if (this.#b !== undefined) out.push(this.#b)
    if (this.#c !== undefined) out.push(this.#c)
    if (this.#more !== undefined) out.push(...this.#more)
    return out
  }

  forEach(cb: (value: RRset, key: number, map: Map<number, RRset>) => void, thisArg?: unknown): void {
    for (const x of this.#list()) cb.call(thisArg, x, x.type, this)
  }

  keys(): MapIterator<number> { return this.#list().map((x) => x.type).values() }
  values(): MapIterator<RRset> { return this.#list().values() }
  entries(): MapIterator<[number, RRset]> { return this.#list().map((x): [number, RRset] => [x.type, x]).values() }
  [Symbol.iterator](): MapIterator<[number, RRset]> { return this.entries() }
  get [Symbol.toStringTag](): string { return 'RRsetTable' }
}

/** A node as the zone keeps it: the node is its own RRset table (one object less per name). */
class StoredNode extends RRsetTable implements ZoneNode {
  readonly name: Name
  kind: NodeKind
  constructor(name: Name, kind: NodeKind) {
    super()
    this.name = name
    this.kind = kind
  }

  get rrsets(): Map<number, RRset> { return this }
}

// Record layout in the store: next record of the same RRset (u32, 0 = none), RDATA
// length (u16), then the RDATA, uncompressed and case-preserved (what the reader read).
const HDR = 6
// ASCII letters fold to lower case; every other octet stays (a fold table, not toLowerCase).
const FOLD = new Uint8Array(256)
for (let i = 0; i < 256; i++) FOLD[i] = i >= 65 && i <= 90 ? i + 32 : i

/**
 * The RDATA of every record of a zone, as wire octets in one growable buffer: a zone
 * holds no JS object per record (the typed objects are made when someone asks for
 * them). Offset 0 is never a record, so it can mean "none".
 */
class RDataStore {
  readonly w = new WireWriter(1 << 16)
  constructor() { this.w.pos = 8 }

  /**
   * Append one record's RDATA (uncompressed).
   * @returns its offset
   * @throws {WireFormatError} when the RDATA does not encode or is over 65535 octets
   */
  append(d: RData): number {
    const w = this.w
    const at = w.pos
    w.ensure(HDR)
    w.pos = at + HDR
    try {
      writeRData(w, d, 0)
    } catch (e) {
      w.pos = at
      throw e
    }
    const len = w.pos - at - HDR
    if (len > 0xffff) {
      w.pos = at
      throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `RDATA of ${len} octets is longer than 65535`, 0)
    }
    const b = w.buf
    b[at] = 0; b[at + 1] = 0; b[at + 2] = 0; b[at + 3] = 0
    b[at + 4] = len >>> 8; b[at + 5] = len & 255
    return at
  }

  /** Forget the record at `at` (the last one appended). */
  drop(at: number): void { this.w.pos = at }

  next(at: number): number {
    const b = this.w.buf
    return b[at]! * 0x1000000 + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!
  }

  setNext(at: number, to: number): void {
    const b = this.w.buf
    b[at] = to >>> 24; b[at + 1] = (to >>> 16) & 255; b[at + 2] = (to >>> 8) & 255; b[at + 3] = to & 255
  }

  len(at: number): number {
    const b = this.w.buf
    return (b[at + 4]! << 8) | b[at + 5]!
  }

  /** A copy of the RDATA octets at `at`. */
  bytes(at: number): Uint8Array {
    const s = at + HDR
    return this.w.buf.slice(s, s + this.len(at))
  }

  /** The typed RDATA at `at`, decoded from a private copy (views in it stay valid). */
  decode(type: number, at: number): RData {
    return decodeRData(type, this.bytes(at))
  }

  /** 0: same octets; 1: same but for the case of ASCII letters; 2: different. */
  compare(a: number, b: number): 0 | 1 | 2 {
    const n = this.len(a)
    if (n !== this.len(b)) return 2
    const buf = this.w.buf
    let r: 0 | 1 = 0
    for (let i = HDR; i < HDR + n; i++) {
      const x = buf[a + i]!, y = buf[b + i]!
      if (x === y) continue
      if (FOLD[x] !== FOLD[y]) return 2
      r = 1
    }
    return r
  }
}

/**
 * An RRset as the zone keeps it: its records are RDATA octets in the zone's
 * {@link RDataStore} (a chain of offsets), and `rdata` decodes them into typed objects
 * the first time someone asks and keeps that array from then on (the signer and the
 * server get the same arrays as before, which stay the same objects as records are
 * added; changes made to the array are what the zone holds from then on). The source
 * location is kept in fields and made into a {@link SourceLocation} only when asked for.
 * Both keep the number of JS objects per record low: a large load is mostly the
 * garbage collector copying every object that survives.
 */
class StoredRRset implements RRset {
  readonly name: Name
  readonly type: number
  readonly class: number
  ttl: number
  readonly #store: RDataStore
  #head: number
  #tail: number
  #count = 1
  #cache: RData[] | undefined = undefined
  // canonical forms of a large RRset's records (duplicate checks)
  #keys: Set<string> | undefined = undefined
  #file: string | undefined
  #line: number
  #column: number
  constructor(store: RDataStore, name: Name, type: number, cls: number, ttl: number, first: number, source: SourceLocation | undefined) {
    this.name = name
    this.type = type
    this.class = cls
    this.ttl = ttl
    this.#store = store
    this.#head = first
    this.#tail = first
    this.#file = source?.file
    this.#line = source?.line ?? 0
    this.#column = source?.column ?? 0
  }

  get rdata(): RData[] {
    let c = this.#cache
    if (c === undefined) this.#cache = c = this.decoded()
    return c
  }

  /** The records as typed objects, without keeping them when they were not kept yet (internal). */
  decoded(): RData[] {
    if (this.#cache !== undefined) return this.#cache
    const store = this.#store
    const out = new Array<RData>(this.#count)
    let at = this.#head
    for (let i = 0; i < out.length; i++) {
      out[i] = store.decode(this.type, at)
      at = store.next(at)
    }
    return out
  }

  /** The first record as a typed object, or undefined (internal). */
  first(): RData | undefined {
    if (this.#cache !== undefined) return this.#cache[0]
    return this.#count === 0 ? undefined : this.#store.decode(this.type, this.#head)
  }

  /** Number of records, without decoding them (internal). */
  get count(): number {
    return this.#cache !== undefined ? this.#cache.length : this.#count
  }

  /** Each record's RDATA, uncompressed (new arrays). */
  wire(): Uint8Array[] {
    if (this.#cache !== undefined) return this.#cache.map((d) => encodeRData(d))
    const store = this.#store
    const out = new Array<Uint8Array>(this.#count)
    let at = this.#head
    for (let i = 0; i < out.length; i++) {
      out[i] = store.bytes(at)
      at = store.next(at)
    }
    return out
  }

  /**
   * Add a record unless the RRset has it already (same canonical RDATA, RFC 4034 §6.2).
   * @returns false for a duplicate
   * @throws {WireFormatError} when the RDATA does not encode
   */
  addRecord(d: RData): boolean {
    const cache = this.#cache
    if (cache !== undefined) {
      if (this.#isDuplicateOf(cache, d)) return false
      cache.push(d)
      return true
    }
    const store = this.#store
    if (this.#count >= DEDUP_SET_FROM) {
      if (this.#isDuplicateOf(null, d)) return false
      const at = store.append(d)
      store.setNext(this.#tail, at)
      this.#tail = at
      this.#count++
      return true
    }
    // Small RRsets (almost all): append, compare with each record in the store, and take
    // it back if it was there already. Canonical forms differ from the octets only by
    // the case of names, so only records equal but for ASCII case need a closer look.
    const at = store.append(d)
    let canon: Uint8Array | undefined
    for (let p = this.#head; p !== 0; p = store.next(p)) {
      const c = store.compare(p, at)
      if (c === 2) continue
      if (c === 1) {
        canon ??= canonicalRData(d)
        if (!sameBytes(canonicalRData(store.decode(this.type, p)), canon)) continue
      }
      store.drop(at)
      return false
    }
    store.setNext(this.#tail, at)
    this.#tail = at
    this.#count++
    return true
  }

  // Large RRsets keep a Set of canonical forms; made on first need.
  #isDuplicateOf(list: RData[] | null, d: RData): boolean {
    if (list !== null && list.length < DEDUP_SET_FROM) {
      const c = canonicalRData(d)
      for (const x of list) if (sameBytes(canonicalRData(x), c)) return true
      return false
    }
    let keys = this.#keys
    if (keys === undefined) this.#keys = keys = new Set((list ?? this.decoded()).map(rdataKey))
    const k = rdataKey(d)
    if (keys.has(k)) return true
    keys.add(k)
    return false
  }

  get source(): SourceLocation | undefined {
    return this.#file === undefined ? undefined : { file: this.#file, line: this.#line, column: this.#column }
  }

  /** The plain-object form (getters are not own properties, so JSON would miss them). */
  toJSON(): RRset {
    const o: { -readonly [K in keyof RRset]: RRset[K] } = { name: this.name, type: this.type, class: this.class, ttl: this.ttl, rdata: this.rdata }
    const src = this.source
    if (src !== undefined) o.source = src
    return o
  }
}

/**
 * The records of an RRset as typed objects, without making the zone keep them when it
 * holds them as octets (for reading a whole zone: checks, printing). Use `set.rdata` to
 * get the array the zone keeps.
 * @param set an RRset of a {@link Zone}
 */
export function rrsetRData(set: RRset): readonly RData[] {
  return set instanceof StoredRRset ? set.decoded() : set.rdata
}

/**
 * Number of records of an RRset (without decoding them).
 * @param set an RRset of a {@link Zone}
 */
export function rrsetSize(set: RRset): number {
  return set instanceof StoredRRset ? set.count : set.rdata.length
}

/**
 * Each record's RDATA as uncompressed wire octets, in the RRset's order (new arrays;
 * copied from the zone's store without making typed objects when it holds them so).
 * @param set an RRset of a {@link Zone}
 */
export function rrsetWire(set: RRset): Uint8Array[] {
  return set instanceof StoredRRset ? set.wire() : set.rdata.map((d) => encodeRData(d))
}

/**
 * A zone: origin, class and its nodes.
 *
 * Add records with {@link Zone.add}; reading methods finalize it (computing empty
 * non-terminals, canonical order and node kinds) on first use after a change.
 *
 * @example
 * const zone = new Zone(Name.fromString('example.test.'))
 * zone.add({ name, class: 1, ttl: 3600, data: { type: 1, address: '192.0.2.1' } })
 * for (const node of zone.nodes()) console.log(node.name.toString(), node.kind)
 */
export class Zone {
  readonly origin: Name
  readonly class: number
  private readonly byKey = new Map<string, ZoneNode>()
  private readonly dedup = new WeakMap<RRset, Set<string>>()
  // every record's RDATA, as octets
  private readonly store = new RDataStore()
  private sorted: ZoneNode[] | null = null
  private dataCount = 0
  private lastName: Name | null = null
  private lastNode: ZoneNode | undefined = undefined
  /** Warnings from adding records (TTL mismatches inside an RRset). */
  readonly warnings: ZoneWarning[] = []

  /**
   * @param origin the zone apex
   * @param zoneClass default IN (1)
   */
  constructor(origin: Name, zoneClass = 1) {
    this.origin = origin
    this.class = zoneClass
  }

  // The index key of a name: Name.hashKey's string, made with a native latin1 decode.
  private keyOf(name: Name): string {
    // Name.hashKey makes the key with a native latin1 decode and caches it on the name.
    return name.hashKey()
  }

  /** Number of records held (duplicates not counted). */
  get size(): number { return this.dataCount }

  /**
   * Add one record. Duplicates (same canonical RDATA, RFC 4034 §6.2) are dropped.
   * A TTL different from the RRset's gives a warning and the RRset's TTL is kept
   * (RFC 2181 §5.2; BIND does the same).
   *
   * @returns false when it was a duplicate
   * @throws {ZoneError} `ERR_ZONE_OUT_OF_ZONE` when the owner is not at or below the origin
   */
  add(rr: ResourceRecord, source?: SourceLocation): boolean {
    let node: ZoneNode | undefined
    let key = ''
    // Readers hand over runs of records with one owner Name object: skip the index then.
    if (rr.name === this.lastName) node = this.lastNode
    else node = this.byKey.get(key = this.keyOf(rr.name))
    if (node === undefined) {
      if (!rr.name.isSubdomainOf(this.origin)) {
        throw new ZoneError('ERR_ZONE_OUT_OF_ZONE', `${rr.name.toString()} is not in the zone ${this.origin.toString()}`, source ?? { file: '<zone>', line: 0, column: 0 })
      }
      node = new StoredNode(rr.name, 'authoritative')
      this.byKey.set(key, node)
      this.sorted = null
    } else if (node.rrsets.size === 0) {
      this.sorted = null
    }
    this.lastName = rr.name
    this.lastNode = node
    const type = rr.data.type
    const set = node.rrsets.get(type)
    if (set === undefined) {
      const at = this.store.append(rr.data)
      node.rrsets.set(type, new StoredRRset(this.store, node.name, type, rr.class, rr.ttl, at, source))
      this.dataCount++
      this.sorted = null
      return true
    }
    if (set instanceof StoredRRset) {
      if (!set.addRecord(rr.data)) return false
    } else {
      let keys = this.dedup.get(set)
      if (keys === undefined) {
        keys = new Set(set.rdata.map(rdataKey))
        this.dedup.set(set, keys)
      }
      const k = rdataKey(rr.data)
      if (keys.has(k)) return false
      keys.add(k)
      set.rdata.push(rr.data)
    }
    if (rr.ttl !== set.ttl && source) {
      this.warnings.push(zoneWarning('ERR_ZONE_TTL_MISMATCH', `TTL ${rr.ttl} differs from the ${rr.name.toString()} RRset's TTL ${set.ttl}; using ${set.ttl} (RFC 2181 §5.2)`, source))
    }
    this.dataCount++
    return true
  }

  /** The node at a name (including empty non-terminals), or undefined. */
  node(name: Name): ZoneNode | undefined {
    this.finalize()
    return this.byKey.get(name.hashKey())
  }

  /** True when the name exists in the zone (has data or is an empty non-terminal). */
  has(name: Name): boolean {
    return this.node(name) !== undefined
  }

  /** The RRset of a type at a name, or undefined. */
  rrset(name: Name, type: number): RRset | undefined {
    return this.byKey.get(name.hashKey())?.rrsets.get(type)
  }

  /** The RRsets at a name, ordered by type number. */
  rrsets(name: Name): RRset[] {
    const n = this.byKey.get(name.hashKey())
    if (n === undefined) return []
    return [...n.rrsets.values()].sort((a, b) => a.type - b.type)
  }

  /** The apex SOA record, or undefined if the zone has none. */
  get soa(): ResourceRecord<Soa> | undefined {
    const set = this.rrset(this.origin, RRType.SOA)
    if (set === undefined || set.rdata.length === 0) return undefined
    return { name: this.origin, class: set.class, ttl: set.ttl, data: set.rdata[0] as Soa }
  }

  /** What a name is ({@link NodeKind}), or undefined when it does not exist. */
  kindOf(name: Name): NodeKind | undefined {
    return this.node(name)?.kind
  }

  /** Every node (empty non-terminals included) in RFC 4034 §6.1 canonical order. */
  nodes(): readonly ZoneNode[] {
    this.finalize()
    return this.sorted!
  }

  /** Owner names in canonical order; `kinds` filters by {@link NodeKind}. */
  *names(kinds?: readonly NodeKind[]): Generator<Name> {
    for (const n of this.nodes()) if (kinds === undefined || kinds.includes(n.kind)) yield n.name
  }

  /** Delegation points (zone cuts below the apex), canonical order. */
  delegations(): Name[] { return [...this.names(['delegation'])] }

  /** Wildcard owners (`*.…`, RFC 4592) holding authoritative data, canonical order. */
  wildcards(): Name[] {
    const out: Name[] = []
    for (const n of this.nodes()) if (n.kind === 'authoritative' && n.name.isWildcard()) out.push(n.name)
    return out
  }

  /** Empty non-terminals above authoritative data, canonical order. */
  emptyNonTerminals(): Name[] { return [...this.names(['emptyNonTerminal'])] }

  /**
   * Every record as a {@link ResourceRecord}: owners in canonical order, SOA first at
   * the apex then types by number, RDATA in canonical order (RFC 4034 §6.3).
   */
  *records(): Generator<ResourceRecord> {
    for (const node of this.nodes()) {
      const sets = [...node.rrsets.values()].sort((a, b) => (a.type === RRType.SOA ? -1 : b.type === RRType.SOA ? 1 : a.type - b.type))
      for (const set of sets) {
        for (const data of sortRData(rrsetRData(set))) yield { name: node.name, class: set.class, ttl: set.ttl, data }
      }
    }
  }

  /**
   * Compute empty non-terminals, canonical order and node kinds. Called by the reading
   * methods; call it yourself after a batch of {@link Zone.add} to pay the cost once.
   */
  finalize(): void {
    if (this.sorted !== null) return
    // Drop empty non-terminals from a previous pass: the data may have changed.
    for (const [k, n] of this.byKey) if (n.rrsets.size === 0) this.byKey.delete(k)
    const apexLabels = this.origin.labelCount
    const apexKey = this.origin.hashKey()
    // RFC 4592 §2.2.2: every ancestor of a name with data, up to the apex, exists.
    // Keys are lowercased wire form, so a parent's key is a suffix of its child's:
    // no Name objects are made unless an empty non-terminal is found.
    const fast = apexKey === wireKey(this.origin)
    // Entries added while iterating a Map are visited too; their parents exist already.
    let apexPresent = this.byKey.has(apexKey)
    for (const [key, n] of this.byKey) {
      if (n.rrsets.size === 0) continue
      const depth = n.name.labelCount - apexLabels
      let k = key
      for (let levels = 1; levels <= depth; levels++) {
        if (levels === depth) {
          // The parent is the apex: no need to hash its key again.
          if (!apexPresent) {
            this.byKey.set(apexKey, new StoredNode(this.origin, 'emptyNonTerminal'))
            apexPresent = true
          }
          break
        }
        k = fast ? k.slice(k.charCodeAt(0) + 1) : n.name.parent(levels).hashKey()
        if (this.byKey.has(k)) break
        this.byKey.set(k, new StoredNode(n.name.parent(levels), 'emptyNonTerminal'))
      }
    }
    // RFC 4034 §6.1 canonical order as a plain string order: labels from the right, each
    // label's octets shifted up by one and ended by 0, so a shorter label sorts first.
    const keyed: { k: string, n: ZoneNode }[] = []
    for (const [key, n] of this.byKey) keyed.push({ k: sortKey(fast ? key : wireKey(n.name)), n })
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    const all = keyed.map((x) => x.n)
    // Canonical order puts a name's descendants right after it, so one pass with the
    // current cut (delegation or DNAME owner) classifies every name.
    let cut: Name | null = null
    for (const n of all) {
      if (cut !== null && !(n.name.isSubdomainOf(cut) && !n.name.equals(cut))) cut = null
      if (n.name.labelCount === apexLabels && n.name.equals(this.origin)) {
        n.kind = 'apex'
        // RFC 6672 §2.4: a DNAME occludes every name below its owner, the apex included.
        if (n.rrsets.has(RRType.DNAME)) cut = n.name
        continue
      }
      if (cut !== null) {
        n.kind = n.rrsets.has(RRType.A) || n.rrsets.has(RRType.AAAA) ? 'glue' : 'occluded'
        continue
      }
      if (n.rrsets.has(RRType.NS)) {
        // RFC 1034 §4.2.1: NS below the apex marks a zone cut.
        n.kind = 'delegation'
        cut = n.name
        continue
      }
      n.kind = n.rrsets.size === 0 ? 'emptyNonTerminal' : 'authoritative'
      if (n.rrsets.has(RRType.DNAME)) cut = n.name
    }
    this.sorted = all
  }

  /**
   * The highest zone cut (delegation point) at or above `name` and below the apex, or
   * undefined when `name` is not under a delegation.
   */
  cutAbove(name: Name): ZoneNode | undefined {
    this.finalize()
    const apexLabels = this.origin.labelCount
    for (let l = apexLabels + 1; l <= name.labelCount; l++) {
      const n = this.byKey.get(name.parent(name.labelCount - l).hashKey())
      if (n === undefined) return undefined
      if (n.kind === 'delegation') return n
    }
    return undefined
  }
}

// Lowercased wire form as a latin1 string (what Name.hashKey returns today; checked
// before relying on it).
function wireKey(name: Name): string {
  const w = name.wire
  let s = ''
  for (let i = 0; i < w.length; i++) {
    const c = w[i]!
    s += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c)
  }
  return s
}

const SORT_BUF = new Uint16Array(256)
const SORT_STARTS = new Int32Array(128)

function sortKey(hashKey: string): string {
  const n = hashKey.length
  if (n > SORT_BUF.length) return ''
  const starts = SORT_STARTS
  let count = 0
  let i = 0
  while (i < n) {
    const len = hashKey.charCodeAt(i)
    if (len === 0) break
    starts[count++] = i
    i += len + 1
  }
  let o = 0
  for (let j = count - 1; j >= 0; j--) {
    const st = starts[j]!
    const len = hashKey.charCodeAt(st)
    for (let m = st + 1; m <= st + len; m++) SORT_BUF[o++] = hashKey.charCodeAt(m) + 1
    SORT_BUF[o++] = 0
  }
  return String.fromCharCode.apply(null, SORT_BUF.subarray(0, o) as unknown as number[])
}

/** RDATA in RFC 4034 §6.3 canonical order (by canonical wire form). */
export function sortRData(rdata: readonly RData[]): RData[] {
  if (rdata.length < 2) return [...rdata]
  const keyed = rdata.map((d) => ({ d, k: canonicalRData(d) }))
  keyed.sort((a, b) => Buffer.compare(a.k, b.k))
  return keyed.map((x) => x.d)
}

/** The records of an RRset as {@link ResourceRecord}s. */
export function rrsetRecords(set: RRset): ResourceRecord[] {
  return set.rdata.map((data) => ({ name: set.name, class: set.class, ttl: set.ttl, data }))
}
