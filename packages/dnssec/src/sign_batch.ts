/**
 * RRset batches: the compact wire form in which the signer hands RRsets to the signing
 * threads. The main thread writes each RRset once (owner, type, class, TTL, the RRSIG
 * fields that differ per RRset, and its RDATA in canonical wire form) into one buffer that
 * is transferred, not copied, to a thread; the thread puts the RDATA in canonical order,
 * drops duplicates (RFC 4034 §6.3), builds the RRSIG signed data (RFC 4034 §3.1.8.1) for
 * each key and signs. So the canonical RRset encoding runs on the signing threads, and the
 * main thread makes no per-record buffers.
 *
 * One RRset in a batch:
 *
 *     u8 n, n × u8 key index                    the keys that sign it (indices into the batch keys)
 *     u16 type, u16 class, u32 TTL              the RRset (its TTL is the RRSIG Original TTL)
 *     u8 labels, u32 expiration                 RRSIG fields of this RRset
 *     u8 owner length, owner                    lowercased owner name (RFC 4034 §6.2)
 *     u16 count, count × (u16 length, RDATA)    RDATA in canonical form, any order
 */
import { WireWriter, writeRData, type Name, type RData } from '@secdns/wire'

export { type BatchKey, type BatchHeader, eachSignedData } from './signed_data.js'

/**
 * RR types whose RDATA names are lowercased in canonical form (RFC 4034 §6.2 as amended
 * by RFC 6840 §5.1): NS, MD, MF, CNAME, SOA, MB, MG, MR, PTR, MINFO, MX, RP, AFSDB, RT,
 * SIG, PX, NXT, NAPTR, KX, SRV, DNAME, A6, RRSIG — the ones @secdns/wire types.
 */
export const LOWERCASED = new Set<number>([2, 5, 6, 12, 15, 17, 18, 33, 35, 36, 39, 46])

/** Writes RRsets into a batch buffer; `sigs` counts the signatures they ask for. */
export class RRsetBatchWriter {
  readonly #w: WireWriter
  /** Signatures asked for so far. */
  sigs = 0
  /** RRsets written so far. */
  sets = 0

  /** @param size initial buffer size (it grows as needed) */
  constructor(size = 1 << 16) {
    this.#w = new WireWriter(size)
  }

  /** Bytes written. */
  get length(): number { return this.#w.pos }

  /**
   * Add one RRset to be signed by `keys` (indices into the batch's keys).
   *
   * @throws {WireFormatError} from the RDATA codecs (a value out of range)
   */
  add(owner: Name, type: number, klass: number, ttl: number, labels: number, expiration: number, rdata: readonly RData[], keys: readonly number[]): void {
    const w = this.#w
    w.u8(keys.length)
    for (const k of keys) w.u8(k)
    w.u16(type); w.u16(klass); w.u32(ttl); w.u8(labels); w.u32(expiration >>> 0)
    w.u8(owner.wire.length)
    w.nameLower(owner)
    w.u16(rdata.length)
    const how = LOWERCASED.has(type) ? 2 : 0
    for (const d of rdata) {
      const at = w.pos
      w.u16(0)
      writeRData(w, d, how)
      w.setU16(at, w.pos - at - 2)
    }
    this.sigs += keys.length
    this.sets++
  }

  /**
   * Add one RRset whose RDATA is given as uncompressed wire octets (as a zone stores it),
   * for types whose canonical form is the uncompressed form (not in {@link LOWERCASED}):
   * no typed objects are made and nothing is re-encoded.
   */
  addWire(owner: Name, type: number, klass: number, ttl: number, labels: number, expiration: number, rdata: readonly Uint8Array[], keys: readonly number[]): void {
    const w = this.#w
    w.u8(keys.length)
    for (const k of keys) w.u8(k)
    w.u16(type); w.u16(klass); w.u32(ttl); w.u8(labels); w.u32(expiration >>> 0)
    w.u8(owner.wire.length)
    w.nameLower(owner)
    w.u16(rdata.length)
    for (const d of rdata) {
      w.u16(d.length)
      w.bytes(d)
    }
    this.sigs += keys.length
    this.sets++
  }

  /** The batch so far as a buffer of its own (to transfer); the writer is then empty. */
  take(): Uint8Array {
    const w = this.#w
    const out = w.buf.slice(0, w.pos)
    w.reset(false)
    this.sigs = 0
    this.sets = 0
    return out
  }
}
