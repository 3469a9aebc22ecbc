/**
 * Zone transfers out: AXFR (RFC 5936) and IXFR (RFC 1995) from the differences
 * kept between reloads, falling back to a full transfer when the client's serial
 * is not in the journal (RFC 1995 §4).
 */
import { NO_FLAGS, RRType, encodeMessage, rrToText, type Message, type ResourceRecord, type Rrsig, type Soa } from '@secdns/wire'
import type { Zone } from '@secdns/zone'

/** RFC 5936 §2.2: messages of a transfer are kept well under 64 KiB. */
export const XFR_MESSAGE_TARGET = 16384
/** How many serial steps the IXFR journal keeps per zone. */
export const MAX_JOURNAL_ENTRIES = 32

/** One reload's changes: from serial `from` to serial `to`. */
export interface JournalEntry {
  readonly fromSoa: ResourceRecord
  readonly toSoa: ResourceRecord
  readonly deleted: readonly ResourceRecord[]
  readonly added: readonly ResourceRecord[]
}

/**
 * The records of a zone without its SOA, in the zone's canonical order.
 * @param zone the zone
 */
export function recordsWithoutSoa(zone: Zone): ResourceRecord[] {
  const out: ResourceRecord[] = []
  for (const rr of zone.records()) {
    if (rr.data.type === RRType.SOA) continue
    if (rr.data.type === RRType.RRSIG) {
      // RFC 4035 §2.2: each RRSIG goes out with the TTL of the RRset it covers.
      const covered = zone.rrset(rr.name, (rr.data as Rrsig).typeCovered)
      if (covered !== undefined && covered.ttl !== rr.ttl) { out.push({ ...rr, ttl: covered.ttl }); continue }
    }
    out.push(rr)
  }
  return out
}

/**
 * The differences between two versions of a zone (records compared by presentation text).
 * @param before the old zone
 * @param after the new zone
 * @returns undefined when either zone lacks a SOA or the serial did not change
 */
export function diffZones(before: Zone, after: Zone): JournalEntry | undefined {
  const a = before.soa, b = after.soa
  if (a === undefined || b === undefined || a.data.serial === b.data.serial) return undefined
  const oldSet = new Map<string, ResourceRecord>()
  for (const rr of recordsWithoutSoa(before)) oldSet.set(rrToText(rr).toLowerCase(), rr)
  const added: ResourceRecord[] = []
  for (const rr of recordsWithoutSoa(after)) {
    const k = rrToText(rr).toLowerCase()
    if (oldSet.has(k)) oldSet.delete(k)
    else added.push(rr)
  }
  return { fromSoa: a, toSoa: b, deleted: [...oldSet.values()], added }
}

/**
 * The answer records of an IXFR response, or undefined when the journal cannot bridge
 * the client's serial to ours (send AXFR instead).
 * @param zone the current zone
 * @param journal entries oldest first
 * @param clientSerial the serial in the query's authority SOA
 */
export function ixfrRecords(zone: Zone, journal: readonly JournalEntry[], clientSerial: number): ResourceRecord[] | undefined {
  const soa = zone.soa
  if (soa === undefined) return undefined
  // RFC 1995 §2: a client already current gets the SOA alone.
  if (soa.data.serial === clientSerial) return [soa]
  const start = journal.findIndex((j) => (j.fromSoa.data as Soa).serial === clientSerial)
  if (start < 0) return undefined
  const out: ResourceRecord[] = [soa]
  let serial = clientSerial
  for (let i = start; i < journal.length; i++) {
    const j = journal[i]!
    if ((j.fromSoa.data as Soa).serial !== serial) return undefined
    // RFC 1995 §4: old SOA, deletions, new SOA, additions, for each version step.
    out.push(j.fromSoa, ...j.deleted, j.toSoa, ...j.added)
    serial = (j.toSoa.data as Soa).serial
  }
  if (serial !== soa.data.serial) return undefined
  out.push(soa)
  return out
}

/**
 * Split transfer records into encoded response messages of about
 * {@link XFR_MESSAGE_TARGET} octets. The question goes in the first message only
 * (RFC 5936 §2.2.1).
 * @param q the transfer query
 * @param records every record to send, SOA first and last
 * @param reserve octets to leave free in each message (for TSIG)
 * @param target the message size to aim for
 */
export function* xfrMessages(q: Message, records: readonly ResourceRecord[], reserve = 0, target = XFR_MESSAGE_TARGET): Generator<Uint8Array> {
  let i = 0
  let first = true
  while (i < records.length || first) {
    const m: Message = {
      id: q.id, flags: { ...NO_FLAGS, qr: true, aa: true }, opcode: q.opcode, rcode: 0,
      question: first ? q.question.slice(0, 1) : [],
      answer: records.slice(i, i + 4096) as ResourceRecord[], authority: [], additional: [],
    }
    let bytes = encodeMessage(m, { maxSize: target - reserve })
    let count = (bytes[6]! << 8) | bytes[7]!
    if (count === 0 && i < records.length) {
      // One RRset larger than the target: send it alone in a message of up to 64 KiB.
      bytes = encodeMessage(m, { maxSize: 65535 - reserve })
      count = (bytes[6]! << 8) | bytes[7]!
      if (count === 0) throw new RangeError(`an RRset of ${records[i]!.name.toString()} does not fit one message`)
    }
    const out = bytes.slice()
    out[2]! &= ~0x02 // TC is never set in a transfer: the rest follows in the next message
    yield out
    i += count
    first = false
  }
}
