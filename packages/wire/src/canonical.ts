/**
 * Canonical form and order for DNSSEC (RFC 4034 §6), and RR presentation text.
 */
import { canonicalRData, rdataToText, type RData, type ResourceRecord } from './rdata.js'
import { WireWriter } from './writer.js'
import { rrClassToString, rrTypeToString } from './types.js'

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/**
 * Sort an RRset into canonical order (RFC 4034 §6.3: by canonical RDATA as
 * left-justified unsigned octet strings) and drop duplicates (RFC 2181 §5).
 * Computes each canonical RDATA once.
 * @param rrs records of one RRset (same owner, class and type)
 * @returns a new array
 * @throws {WireFormatError} ERR_WIRE_VALUE_RANGE when a record does not encode
 */
export function canonicalRRsetOrder<R extends RData>(rrs: readonly ResourceRecord<R>[]): ResourceRecord<R>[] {
  const keyed = rrs.map((rr) => ({ rr, key: canonicalRData(rr.data) }))
  keyed.sort((a, b) => compareBytes(a.key, b.key))
  const out: ResourceRecord<R>[] = []
  let last: Uint8Array | null = null
  for (const k of keyed) {
    if (last !== null && compareBytes(last, k.key) === 0) continue
    out.push(k.rr)
    last = k.key
  }
  return out
}

/**
 * One RR in canonical wire form for signing (RFC 4034 §3.1.8.1, §6.2):
 * owner (lowercased) | type | class | TTL | RDLENGTH | canonical RDATA.
 * @param rr the record
 * @param ttl the TTL to use (the RRSIG Original TTL), default rr.ttl
 * @throws {WireFormatError} ERR_WIRE_VALUE_RANGE
 * @example
 * const data = concat(rrsigRdataWithoutSignature, ...canonicalRRsetOrder(rrset).map((rr) => canonicalRRWire(rr, sig.originalTtl)))
 */
export function canonicalRRWire(rr: ResourceRecord, ttl: number = rr.ttl): Uint8Array {
  const rdata = canonicalRData(rr.data)
  const w = new WireWriter(rr.name.wire.length + 10 + rdata.length)
  w.nameLower(rr.name)
  w.u16(rr.data.type)
  w.u16(rr.class)
  w.u32(ttl)
  w.u16(rdata.length)
  w.bytes(rdata)
  return w.finish()
}

/**
 * A record as one line of presentation format: `owner. ttl CLASS TYPE rdata`,
 * fields separated by single spaces.
 * @param rr the record
 * @example rrToText(rr) // 'www.example.test. 3600 IN A 192.0.2.1'
 */
export function rrToText(rr: ResourceRecord): string {
  return `${rr.name.toString()} ${rr.ttl} ${rrClassToString(rr.class)} ${rrTypeToString(rr.data.type)} ${rdataToText(rr.data)}`
}
