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

// The store's layouts. A record: next record of the same RRset (u32, 0 = none), RDATA
// length (u16), then the RDATA, uncompressed and case-preserved (as the reader read it).
const REC_HDR = 6
// An RRset: next RRset of the same node (u32, 0 = none), type (u16), class (u16), TTL
// (u32), first and last record (u32 each), number of records (u32), source line and
// column (u32 each) and file (u16: index + 1 into the store's file names, 0 = none).
const SET_NEXT = 0, SET_TYPE = 4, SET_CLASS = 6, SET_TTL = 8, SET_HEAD = 12, SET_TAIL = 16, SET_COUNT = 20, SET_LINE = 24, SET_COLUMN = 28, SET_FILE = 32
const SET_HDR = 36
const CHUNK_BITS = 20
const CHUNK = 1 << CHUNK_BITS
const CHUNK_MASK = CHUNK - 1
// ASCII letters fold to lower case; every other octet stays (a fold table, not toLowerCase).
const FOLD = new Uint8Array(256)
for (let i = 0; i < 256; i++) FOLD[i] = i >= 65 && i <= 90 ? i + 32 : i

/**
 * Everything a zone holds but its index, as octets in one growable buffer: each owner
 * name (wire form, case kept), each RRset (a fixed header) and each record (its RDATA,
 * uncompressed). A loaded zone so holds two JS objects per owner name (its node and
 * its index key) instead of a dozen: a large load was mostly the garbage collector
 * copying and marking the objects that survive. Typed objects (names, RRsets, RDATA)
 * are made when someone asks for them. Offset 0 is never used, so it means "none".
 */
function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24; b[i + 1] = (v >>> 16) & 255; b[i + 2] = (v >>> 8) & 255; b[i + 3] = v & 255
}

class ZoneStore {
  // The octets, in chunks of CHUNK (the first grows up to that size, so a small zone
  // stays small): a chunk is never copied once full, and nothing straddles two chunks.
  // An offset is chunk index * CHUNK + position in the chunk.
  #chunks: Uint8Array[] = [new Uint8Array(4096)]
  #pos = 8
  // RDATA is encoded here, then copied in
  readonly #scratch = new WireWriter(512)
  readonly #files: string[] = []
  #lastFile: string | undefined = undefined
  #lastFileIndex = 0
  /** Canonical forms of the records of large RRsets (duplicate checks), by RRset offset. */
  readonly bigKeys = new Map<number, Set<string>>()

  /** Room for `n` octets in one chunk; returns the offset where they go (internal). */
  #reserve(n: number): number {
    let at = this.#pos
    const c = at >>> CHUNK_BITS
    const i = at & CHUNK_MASK
    const chunk = this.#chunks[c]!
    if (i + n > chunk.length) {
      if (chunk.length < CHUNK && i + n <= CHUNK) {
        let size = chunk.length * 2
        while (size < i + n) size *= 2
        const grown = new Uint8Array(size)
        grown.set(chunk.subarray(0, i))
        this.#chunks[c] = grown
      } else {
        this.#chunks.push(new Uint8Array(CHUNK))
        at = (c + 1) * CHUNK
      }
    }
    this.#pos = at + n
    return at
  }

  /** The chunk holding offset `at`. */
  chunk(at: number): Uint8Array { return this.#chunks[at >>> CHUNK_BITS]! }

  u16(at: number): number { const b = this.#chunks[at >>> CHUNK_BITS]!, i = at & CHUNK_MASK; return (b[i]! << 8) | b[i + 1]! }
  u32(at: number): number { const b = this.#chunks[at >>> CHUNK_BITS]!, i = at & CHUNK_MASK; return b[i]! * 0x1000000 + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]! }
  setU16(at: number, v: number): void { const b = this.#chunks[at >>> CHUNK_BITS]!, i = at & CHUNK_MASK; b[i] = v >>> 8; b[i + 1] = v & 255 }
  setU32(at: number, v: number): void {
    const b = this.#chunks[at >>> CHUNK_BITS]!, i = at & CHUNK_MASK
    b[i] = v >>> 24; b[i + 1] = (v >>> 16) & 255; b[i + 2] = (v >>> 8) & 255; b[i + 3] = v & 255
  }

  /** Append a name's wire form; returns its offset. */
  appendName(n: Name): number {
    const w = n.wire
    const at = this.#reserve(w.length)
    this.chunk(at).set(w, at & CHUNK_MASK)
    return at
  }

  /** The name at `at` as a {@link Name} (a copy of its octets). */
  name(at: number): Name {
    const b = this.chunk(at)
    const i = at & CHUNK_MASK
    let p = i
    while (b[p] !== 0) p += b[p]! + 1
    return new Name(b.slice(i, p + 1))
  }

  /**
   * Append one record's RDATA (uncompressed).
   * @returns its offset
   * @throws {WireFormatError} when the RDATA does not encode or is over 65535 octets
   */
  appendRecord(d: RData): number {
    const w = this.#scratch
    w.reset(false)
    writeRData(w, d, 0)
    return this.appendRecordWire(w.buf, 0, w.pos)
  }

  /**
   * Append one record's RDATA given as octets (`src[start..end)`, already known to be
   * valid uncompressed RDATA of its type); returns its offset.
   */
  appendRecordWire(src: Uint8Array, start: number, end: number): number {
    const len = end - start
    if (len > 0xffff || len < 0) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `RDATA of ${len} octets is longer than 65535`, 0)
    const at = this.#reserve(REC_HDR + len)
    const b = this.chunk(at)
    const i = at & CHUNK_MASK
    b[i] = 0; b[i + 1] = 0; b[i + 2] = 0; b[i + 3] = 0
    b[i + 4] = len >>> 8; b[i + 5] = len & 255
    for (let k = 0, o = i + REC_HDR; k < len; k++) b[o + k] = src[start + k]!
    return at
  }

  /** Append an RRset header whose one record is at `rec`; returns its offset. */
  appendSet(type: number, cls: number, ttl: number, rec: number, source: SourceLocation | undefined): number {
    const at = this.#reserve(SET_HDR)
    const b = this.#chunks[at >>> CHUNK_BITS]!
    const i = at & CHUNK_MASK
    // a fresh chunk is zero-filled, but octets given back by `drop` may not be
    b.fill(0, i, i + SET_HDR)
    b[i + SET_TYPE] = type >>> 8; b[i + SET_TYPE + 1] = type & 255
    b[i + SET_CLASS] = cls >>> 8; b[i + SET_CLASS + 1] = cls & 255
    put32(b, i + SET_TTL, ttl >>> 0)
    put32(b, i + SET_HEAD, rec)
    put32(b, i + SET_TAIL, rec)
    b[i + SET_COUNT + 3] = 1
    if (source !== undefined) {
      put32(b, i + SET_LINE, Math.min(source.line, 0xffffffff) >>> 0)
      put32(b, i + SET_COLUMN, Math.min(source.column, 0xffffffff) >>> 0)
      const f = this.#fileIndex(source.file)
      b[i + SET_FILE] = f >>> 8; b[i + SET_FILE + 1] = f & 255
    }
    return at
  }

  #fileIndex(file: string): number {
    if (file === this.#lastFile) return this.#lastFileIndex
    let i = this.#files.indexOf(file)
    if (i < 0) {
      if (this.#files.length >= 0xfffe) return 0
      i = this.#files.push(file) - 1
    }
    this.#lastFile = file
    this.#lastFileIndex = i + 1
    return i + 1
  }

  source(set: number): SourceLocation | undefined {
    const f = this.u16(set + SET_FILE)
    if (f === 0) return undefined
    return { file: this.#files[f - 1]!, line: this.u32(set + SET_LINE), column: this.u32(set + SET_COLUMN) }
  }

  /** Forget the record at `at` (the last thing appended). */
  drop(at: number): void { this.#pos = at }

  recLen(at: number): number { return this.u16(at + 4) }

  /** A copy of the RDATA octets of the record at `at`. */
  bytes(at: number): Uint8Array {
    const s = (at & CHUNK_MASK) + REC_HDR
    return this.chunk(at).slice(s, s + this.recLen(at))
  }

  /**
   * The typed RDATA of the record at `at`. Octet fields (TXT strings, signatures, keys)
   * are views into the store: RDATA octets are never written again once appended, and a
   * chunk is never reused, so the views stay valid.
   */
  decode(type: number, at: number): RData {
    return decodeRData(type, this.chunk(at), (at & CHUNK_MASK) + REC_HDR, this.recLen(at))
  }

  /** {@link ZoneStore.decode} from a private copy: for a record about to be dropped. */
  decodeCopy(type: number, at: number): RData {
    return decodeRData(type, this.bytes(at))
  }

  /** 0: same octets; 1: same but for the case of ASCII letters; 2: different. */
  compare(a: number, b: number): 0 | 1 | 2 {
    const n = this.recLen(a)
    if (n !== this.recLen(b)) return 2
    const ba = this.chunk(a), bb = this.chunk(b)
    const oa = a & CHUNK_MASK, ob = b & CHUNK_MASK
    let r: 0 | 1 = 0
    for (let i = REC_HDR; i < REC_HDR + n; i++) {
      const x = ba[oa + i]!, y = bb[ob + i]!
      if (x === y) continue
      if (FOLD[x] !== FOLD[y]) return 2
      r = 1
    }
    return r
  }

  /** The records of the RRset at `set`, decoded (new objects). */
  decodeSet(set: number): RData[] {
    const type = this.u16(set + SET_TYPE)
    const out = new Array<RData>(this.u32(set + SET_COUNT))
    let at = this.u32(set + SET_HEAD)
    for (let i = 0; i < out.length; i++) {
      out[i] = this.decode(type, at)
      at = this.u32(at)
    }
    return out
  }

  /** Each record's RDATA octets of the RRset at `set` (copies). */
  wireSet(set: number): Uint8Array[] {
    const out = new Array<Uint8Array>(this.u32(set + SET_COUNT))
    let at = this.u32(set + SET_HEAD)
    for (let i = 0; i < out.length; i++) {
      out[i] = this.bytes(at)
      at = this.u32(at)
    }
    return out
  }

  /**
   * Add the record just appended at `at` to the RRset at `set`, unless the RRset has it
   * already (same canonical RDATA, RFC 4034 §6.2): then it is taken back out.
   * @param d the record as a typed object when the caller has it (else decoded when needed)
   * @returns false for a duplicate
   */
  addToSet(set: number, at: number, d: RData | null): boolean {
    const type = this.u16(set + SET_TYPE)
    const count = this.u32(set + SET_COUNT)
    if (count >= DEDUP_SET_FROM) {
      let keys = this.bigKeys.get(set)
      if (keys === undefined) this.bigKeys.set(set, keys = new Set(this.decodeSet(set).map(rdataKey)))
      const k = rdataKey(d ?? this.decode(type, at))
      if (keys.has(k)) { this.drop(at); return false }
      keys.add(k)
      this.#link(set, at, count)
      return true
    }
    // Small RRsets (almost all): compare with each record already there. A canonical form
    // differs from the octets only by the case of names, so only records equal but for
    // ASCII case need a closer look.
    let canon: Uint8Array | undefined
    for (let p = this.u32(set + SET_HEAD); p !== 0; p = this.u32(p)) {
      const c = this.compare(p, at)
      if (c === 2) continue
      if (c === 1) {
        canon ??= canonicalRData(d ?? this.decode(type, at))
        if (!sameBytes(canonicalRData(this.decode(type, p)), canon)) continue
      }
      this.drop(at)
      return false
    }
    this.#link(set, at, count)
    return true
  }

  #link(set: number, at: number, count: number): void {
    this.setU32(this.u32(set + SET_TAIL), at)
    this.setU32(set + SET_TAIL, at)
    this.setU32(set + SET_COUNT, count + 1)
  }
}

/**
 * An RRset of a zone, as handed out: a view of its header in the zone's store (type,
 * class, TTL and source are read from there; setting `ttl` writes there). `rdata`
 * decodes the records the first time someone asks and keeps that array from then on:
 * the signer and the server get the same array each time, later records go into it, and
 * changes made to it are what the zone holds from then on.
 */
class StoredRRset implements RRset {
  readonly #node: StoredNode
  readonly #store: ZoneStore
  readonly #at: number
  #cache: RData[] | undefined = undefined
  // canonical forms of a large RRset's records once `rdata` was handed out
  #keys: Set<string> | undefined = undefined
  constructor(store: ZoneStore, node: StoredNode, at: number) {
    this.#node = node
    this.#store = store
    this.#at = at
  }

  get name(): Name { return this.#node.name }

  /** Offset of the header in the store (internal). */
  get at(): number { return this.#at }
  /** True when this RRset is a view into `store` (internal). */
  isIn(store: ZoneStore): boolean { return this.#store === store }

  get type(): number { return this.#store.u16(this.#at + SET_TYPE) }
  get class(): number { return this.#store.u16(this.#at + SET_CLASS) }
  get ttl(): number { return this.#store.u32(this.#at + SET_TTL) }
  set ttl(v: number) { this.#store.setU32(this.#at + SET_TTL, v >>> 0) }

  get rdata(): RData[] {
    let c = this.#cache
    if (c === undefined) this.#cache = c = this.#store.decodeSet(this.#at)
    return c
  }

  /** The records as typed objects, without keeping them when they were not kept yet (internal). */
  decoded(): RData[] {
    return this.#cache ?? this.#store.decodeSet(this.#at)
  }

  /** Number of records, without decoding them (internal). */
  get count(): number {
    return this.#cache !== undefined ? this.#cache.length : this.#store.u32(this.#at + SET_COUNT)
  }

  /** Each record's RDATA, uncompressed (new arrays). */
  wire(): Uint8Array[] {
    if (this.#cache !== undefined) return this.#cache.map((d) => encodeRData(d))
    return this.#store.wireSet(this.#at)
  }

  /** True when `rdata` was handed out: the array is what the RRset holds from then on (internal). */
  get kept(): boolean { return this.#cache !== undefined }

  /**
   * Add a record to the array handed out, unless it has it already (internal; only
   * when {@link StoredRRset.kept}).
   * @returns false for a duplicate
   */
  addKept(d: RData): boolean {
    const cache = this.#cache!
    if (cache.length < DEDUP_SET_FROM) {
      const c = canonicalRData(d)
      for (const x of cache) if (sameBytes(canonicalRData(x), c)) return false
    } else {
      let keys = this.#keys
      if (keys === undefined) this.#keys = keys = new Set(cache.map(rdataKey))
      const k = rdataKey(d)
      if (keys.has(k)) return false
      keys.add(k)
    }
    cache.push(d)
    return true
  }

  get source(): SourceLocation | undefined {
    return this.#store.source(this.#at)
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
 * A node as the zone keeps it: its owner name and RRsets live in the zone's store (the
 * node keeps offsets), and the node is its own `Map<number, RRset>` of them. RRsets
 * handed out (and RRsets put in with `set`) are kept in the node, so a caller gets the
 * same object each time; iteration is in the order the RRsets were added.
 */
class StoredNode implements ZoneNode, Map<number, RRset> {
  kind: NodeKind
  readonly #store: ZoneStore
  readonly #nameAt: number
  #name: Name | undefined
  // first RRset header in the store (0: none)
  #first = 0
  // RRsets handed out, and ones put in with `set` that are not in the store
  #objs: RRset[] | undefined = undefined

  constructor(store: ZoneStore, nameAt: number, kind: NodeKind, name?: Name) {
    this.#store = store
    this.#nameAt = nameAt
    this.#name = name
    this.kind = kind
  }

  get name(): Name {
    let n = this.#name
    if (n === undefined) this.#name = n = this.#store.name(this.#nameAt)
    return n
  }

  /** True when the owner's first label is `*` (RFC 4592), read from the store (internal). */
  get isWildcard(): boolean {
    if (this.#name !== undefined) return this.#name.isWildcard()
    const b = this.#store.chunk(this.#nameAt)
    const i = this.#nameAt & CHUNK_MASK
    return b[i] === 1 && b[i + 1] === 0x2a
  }

  /** True when the node holds no RRset (internal). */
  get empty(): boolean { return this.#first === 0 && this.#objs === undefined }

  /** Where the owner name's octets are in the store (internal). */
  get nameAt(): number { return this.#nameAt }

  get rrsets(): Map<number, RRset> { return this }

  /** The header offset of the stored RRset of `type`, or 0 (internal). */
  setAt(type: number): number {
    const s = this.#store
    for (let p = this.#first; p !== 0; p = s.u32(p + SET_NEXT)) if (s.u16(p + SET_TYPE) === type) return p
    return 0
  }

  /** The RRset object of `type` already made or put in, if any (internal). */
  objOf(type: number): RRset | undefined {
    const objs = this.#objs
    if (objs !== undefined) for (let i = 0; i < objs.length; i++) if (objs[i]!.type === type) return objs[i]
    return undefined
  }

  /** Link a new RRset header (internal). */
  link(set: number): void {
    const s = this.#store
    if (this.#first === 0) { this.#first = set; return }
    let p = this.#first
    for (let q = s.u32(p + SET_NEXT); q !== 0; q = s.u32(q + SET_NEXT)) p = q
    s.setU32(p + SET_NEXT, set)
  }

  #unlink(type: number): boolean {
    const s = this.#store
    let prev = 0
    for (let p = this.#first; p !== 0; prev = p, p = s.u32(p + SET_NEXT)) {
      if (s.u16(p + SET_TYPE) !== type) continue
      const next = s.u32(p + SET_NEXT)
      if (prev === 0) this.#first = next; else s.setU32(prev + SET_NEXT, next)
      return true
    }
    return false
  }

  #isStored(o: RRset): boolean {
    return o instanceof StoredRRset && o.isIn(this.#store) && this.setAt(o.type) === o.at
  }

  /**
   * The RRset of `type` for reading inside the zone: the object handed out if there is
   * one, else a view that the node does not keep (internal).
   */
  peek(type: number): RRset | undefined {
    const o = this.objOf(type)
    if (o !== undefined) return o
    const at = this.setAt(type)
    return at === 0 ? undefined : new StoredRRset(this.#store, this, at)
  }

  /** Every RRset for reading inside the zone, as {@link StoredNode.peek} (internal). */
  peekAll(): RRset[] {
    const out: RRset[] = []
    const s = this.#store
    for (let p = this.#first; p !== 0; p = s.u32(p + SET_NEXT)) out.push(this.objOf(s.u16(p + SET_TYPE)) ?? new StoredRRset(s, this, p))
    const objs = this.#objs
    if (objs !== undefined) for (const o of objs) if (!this.#isStored(o)) out.push(o)
    return out
  }

  get size(): number {
    const s = this.#store
    let n = 0
    for (let p = this.#first; p !== 0; p = s.u32(p + SET_NEXT)) n++
    const objs = this.#objs
    if (objs !== undefined) for (const o of objs) if (!this.#isStored(o)) n++
    return n
  }

  get(type: number): RRset | undefined {
    const o = this.objOf(type)
    if (o !== undefined) return o
    const at = this.setAt(type)
    if (at === 0) return undefined
    const made = new StoredRRset(this.#store, this, at)
    if (this.#objs === undefined) this.#objs = [made]
    else this.#objs.push(made)
    return made
  }

  has(type: number): boolean {
    return this.setAt(type) !== 0 || this.objOf(type) !== undefined
  }

  /**
   * Add or replace the RRset of `type`.
   * @throws {RangeError} when `set.type` is not `type` (the table keys RRsets by their type)
   */
  set(type: number, set: RRset): this {
    if (set.type !== type) throw new RangeError(`RRset of type ${set.type} cannot be stored under type ${type}`)
    if (this.objOf(type) === set) return this
    if (!(set instanceof StoredRRset && set.isIn(this.#store) && this.setAt(type) === set.at)) this.#unlink(type)
    const objs = (this.#objs ?? []).filter((o) => o.type !== type)
    objs.push(set)
    this.#objs = objs
    return this
  }

  delete(type: number): boolean {
    const had = this.#unlink(type)
    const objs = this.#objs
    if (objs === undefined) return had
    const rest = objs.filter((o) => o.type !== type)
    this.#objs = rest.length > 0 ? rest : undefined
    return had || rest.length !== objs.length
  }

  clear(): void {
    this.#first = 0
    this.#objs = undefined
  }

  #list(): RRset[] {
    const out: RRset[] = []
    const s = this.#store
    for (let p = this.#first; p !== 0; p = s.u32(p + SET_NEXT)) out.push(this.get(s.u16(p + SET_TYPE))!)
    const objs = this.#objs
    if (objs !== undefined) for (const o of objs) if (!this.#isStored(o)) out.push(o)
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
 * The RRset of `type` at a node for reading the zone (checks, printing): the object the
 * zone handed out if there is one, else a view the zone does not keep.
 * @param node a node of a {@link Zone}
 * @param type the RR type
 */
export function peekRRset(node: ZoneNode, type: number): RRset | undefined {
  return node instanceof StoredNode ? node.peek(type) : node.rrsets.get(type)
}

/**
 * Every RRset at a node, as {@link peekRRset} (order of addition).
 * @param node a node of a {@link Zone}
 */
export function peekRRsets(node: ZoneNode): RRset[] {
  return node instanceof StoredNode ? node.peekAll() : [...node.rrsets.values()]
}

/**
 * Add a record whose RDATA is already uncompressed wire octets (`rdata[start..end)`),
 * as {@link Zone.add} does for a typed record; for readers that parse text straight to
 * octets (`rdataTextToWire`). The octets must be valid RDATA of `type`: they are not
 * checked again. Not part of the package's exports.
 * @throws {ZoneError} `ERR_ZONE_OUT_OF_ZONE`
 */
export function addRecordWire(zone: Zone, name: Name, cls: number, ttl: number, type: number, rdata: Uint8Array, start: number, end: number, source?: SourceLocation): boolean {
  return zone['addWire'](name, cls, ttl, type, rdata, start, end, source)
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
  private readonly byKey = new Map<string, StoredNode>()
  private readonly dedup = new WeakMap<RRset, Set<string>>()
  // owner names, RRsets and RDATA, as octets
  private readonly store = new ZoneStore()
  private sorted: StoredNode[] | null = null
  private dataCount = 0
  private lastName: Name | null = null
  private lastNode: StoredNode | undefined = undefined
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

  /** Number of records held (duplicates not counted). */
  get size(): number { return this.dataCount }

  /**
   * Add one record. Duplicates (same canonical RDATA, RFC 4034 §6.2) are dropped.
   * A TTL different from the RRset's gives a warning and the RRset's TTL is kept
   * (RFC 2181 §5.2; BIND does the same).
   *
   * @returns false when it was a duplicate
   * @throws {ZoneError} `ERR_ZONE_OUT_OF_ZONE` when the owner is not at or below the origin
   * @throws {WireFormatError} when the RDATA does not encode (a value out of range)
   */
  add(rr: ResourceRecord, source?: SourceLocation): boolean {
    // the RDATA first: it may not encode, and nothing has changed yet then
    const at = this.store.appendRecord(rr.data)
    return this.put(rr.name, rr.class, rr.ttl, rr.data.type, rr.data, at, source)
  }

  /** {@link Zone.add} for RDATA already in wire form (valid, uncompressed); see {@link addRecordWire}. */
  private addWire(name: Name, cls: number, ttl: number, type: number, rdata: Uint8Array, start: number, end: number, source?: SourceLocation): boolean {
    const at = this.store.appendRecordWire(rdata, start, end)
    return this.put(name, cls, ttl, type, null, at, source)
  }

  // Put the record just appended to the store at `at` into its RRset (or take it back).
  private put(name: Name, cls: number, ttl: number, type: number, data: RData | null, at: number, source: SourceLocation | undefined): boolean {
    const store = this.store
    let node: StoredNode | undefined
    let key = ''
    // Readers hand over runs of records with one owner Name object: skip the index then.
    if (name === this.lastName) node = this.lastNode
    else node = this.byKey.get(key = name.hashKey())
    if (node === undefined) {
      if (!name.isSubdomainOf(this.origin)) {
        store.drop(at)
        throw new ZoneError('ERR_ZONE_OUT_OF_ZONE', `${name.toString()} is not in the zone ${this.origin.toString()}`, source ?? { file: '<zone>', line: 0, column: 0 })
      }
      node = new StoredNode(store, store.appendName(name), 'authoritative')
      node.link(store.appendSet(type, cls, ttl, at, source))
      this.byKey.set(key, node)
      this.lastName = name
      this.lastNode = node
      this.dataCount++
      this.sorted = null
      return true
    }
    if (node.empty) this.sorted = null
    this.lastName = name
    this.lastNode = node
    let setTtl: number
    const obj = node.objOf(type)
    if (obj !== undefined && !(obj instanceof StoredRRset && obj.isIn(store) && !obj.kept)) {
      // The RRset's array was handed out (or the RRset was put in from outside): the
      // record goes into that array, not the store.
      // a copy: the octets at `at` are written over after the drop
      const d = data ?? store.decodeCopy(type, at)
      store.drop(at)
      if (obj instanceof StoredRRset && obj.isIn(store)) {
        if (!obj.addKept(d)) return false
      } else {
        let keys = this.dedup.get(obj)
        if (keys === undefined) {
          keys = new Set(obj.rdata.map(rdataKey))
          this.dedup.set(obj, keys)
        }
        const k = rdataKey(d)
        if (keys.has(k)) return false
        keys.add(k)
        obj.rdata.push(d)
      }
      setTtl = obj.ttl
    } else {
      const set = node.setAt(type)
      if (set === 0) {
        node.link(store.appendSet(type, cls, ttl, at, source))
        this.dataCount++
        this.sorted = null
        return true
      }
      if (!store.addToSet(set, at, data)) return false
      setTtl = store.u32(set + SET_TTL)
    }
    if (ttl !== setTtl && source) {
      this.warnings.push(zoneWarning('ERR_ZONE_TTL_MISMATCH', `TTL ${ttl} differs from the ${name.toString()} RRset's TTL ${setTtl}; using ${setTtl} (RFC 2181 §5.2)`, source))
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
    for (const n of this.nodes()) if (n.kind === 'authoritative' && (n as StoredNode).isWildcard) out.push(n.name)
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
      const sets = peekRRsets(node).sort((a, b) => (a.type === RRType.SOA ? -1 : b.type === RRType.SOA ? 1 : a.type - b.type))
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
    for (const [k, n] of this.byKey) if (n.size === 0) this.byKey.delete(k)
    const apexKey = this.origin.hashKey()
    // Keys are lowercased wire form (checked here before relying on it), so a parent's
    // key is a suffix of its child's, byte offsets in a key are those in the name, and
    // everything below works on keys: no Name objects are made.
    const fast = apexKey === wireKey(this.origin)
    const apexLabels = this.origin.labelCount
    // RFC 4592 §2.2.2: every ancestor of a name with data, up to the apex, exists.
    // Entries added while iterating a Map are visited too; their parents exist already.
    let apexPresent = this.byKey.has(apexKey)
    for (const [key, n] of this.byKey) {
      if (n.size === 0) continue
      const depth = (fast ? keyLabels(key) : n.name.labelCount) - apexLabels
      let k = key
      for (let levels = 1; levels <= depth; levels++) {
        if (levels === depth) {
          // The parent is the apex: no need to hash its key again.
          if (!apexPresent) {
            this.byKey.set(apexKey, new StoredNode(this.store, this.store.appendName(this.origin), 'emptyNonTerminal', this.origin))
            apexPresent = true
          }
          break
        }
        if (fast) {
          k = k.slice(k.charCodeAt(0) + 1)
          if (this.byKey.has(k)) break
          // the parent's octets are the tail of the child's, in the store too
          this.byKey.set(k, new StoredNode(this.store, n.nameAt + key.length - k.length, 'emptyNonTerminal'))
        } else {
          const p = n.name.parent(levels)
          k = p.hashKey()
          if (this.byKey.has(k)) break
          this.byKey.set(k, new StoredNode(this.store, this.store.appendName(p), 'emptyNonTerminal', p))
        }
      }
    }
    // RFC 4034 §6.1 canonical order as a plain string order: labels from the right, each
    // label's octets shifted up by one and ended by 0, so a shorter label sorts first.
    const keyed: { k: string, w: string, n: StoredNode }[] = []
    for (const [key, n] of this.byKey) {
      const w = fast ? key : wireKey(n.name)
      keyed.push({ k: sortKey(w), w, n })
    }
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    const all = new Array<StoredNode>(keyed.length)
    const apexWire = fast ? apexKey : wireKey(this.origin)
    // Canonical order puts a name's descendants right after it, so one pass with the
    // current cut (delegation or DNAME owner) classifies every name.
    let cut: string | null = null
    for (let i = 0; i < keyed.length; i++) {
      const { w, n } = keyed[i]!
      all[i] = n
      if (cut !== null && !isBelowKey(w, cut)) cut = null
      if (w === apexWire) {
        n.kind = 'apex'
        // RFC 6672 §2.4: a DNAME occludes every name below its owner, the apex included.
        if (n.has(RRType.DNAME)) cut = w
        continue
      }
      if (cut !== null) {
        n.kind = n.has(RRType.A) || n.has(RRType.AAAA) ? 'glue' : 'occluded'
        continue
      }
      if (n.has(RRType.NS)) {
        // RFC 1034 §4.2.1: NS below the apex marks a zone cut.
        n.kind = 'delegation'
        cut = w
        continue
      }
      n.kind = n.size === 0 ? 'emptyNonTerminal' : 'authoritative'
      if (n.has(RRType.DNAME)) cut = w
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

// Number of labels of a wire key (root excluded).
function keyLabels(key: string): number {
  let n = 0
  for (let p = 0; p < key.length && key.charCodeAt(p) !== 0; p += key.charCodeAt(p) + 1) n++
  return n
}

// True when the wire key `key` is strictly below `cut` (a suffix on a label boundary).
function isBelowKey(key: string, cut: string): boolean {
  const off = key.length - cut.length
  if (off <= 0 || !key.endsWith(cut)) return false
  let p = 0
  while (p < off) p += key.charCodeAt(p) + 1
  return p === off
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
