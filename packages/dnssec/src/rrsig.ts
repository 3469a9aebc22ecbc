/**
 * RRSIG over an RRset: the signed data (RFC 4034 §3.1.8.1), signing with a key and
 * verifying with a DNSKEY (RFC 4035 §5.3), plus DS records of keys (RFC 4034 §5).
 */
import {
  Name, RRType, canonicalRRWire, canonicalRRsetOrder, type Dnskey, type Ds, type ResourceRecord,
  type Rrsig, type RData,
} from '@secdns/wire'
import { decodeDnskeyPublicKey, dsDigest, keyTagOfRdata, signBytes, verifyBytes } from './algorithms.js'
import { DnssecError } from './errors.js'
import { dnskeyRdata, publishedFlags, type DnssecKey } from './keys.js'
import { toRrsigTime } from './time.js'

/** RRSIG fields other than the signature. */
export type RrsigFields = Omit<Rrsig, 'signature' | 'type'>

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** The RRSIG labels field of an owner: labels not counting root or a leading '*' (RFC 4034 §3.1.3). */
export function rrsigLabels(owner: Name): number {
  return owner.isWildcard() ? owner.labelCount - 1 : owner.labelCount
}

/**
 * The data an RRSIG signs (RFC 4034 §3.1.8.1): RRSIG RDATA without the signature, signer
 * name lowercased, then every RR of the set in canonical form and order, with the Original
 * TTL; an owner expanded from a wildcard is rebuilt as `*.` + its last `labels` labels.
 *
 * @param fields RRSIG fields (signature not used)
 * @param rrset the RRset (same owner, class, type)
 */
export function rrsigSignedData(fields: RrsigFields, rrset: readonly ResourceRecord[]): Uint8Array {
  const head = rrsigHead(fields)
  const sorted = rrset.length === 1 ? rrset : canonicalRRsetOrder(rrset)
  const parts: Uint8Array[] = [head]
  for (const rr of sorted) {
    let owner = rr.name
    // RFC 4035 §5.3.2: if the labels field is less than the owner's label count, the
    // record came from a wildcard; sign/verify over "*." + the rightmost labels.
    if (fields.labels < rrsigLabels(owner)) owner = owner.parent(owner.labelCount - fields.labels).prepend('*')
    parts.push(canonicalRRWire(owner === rr.name ? rr : { ...rr, name: owner }, fields.originalTtl))
  }
  return concat(parts)
}

// The signer's lowercased name is the same for every RRSIG of a zone: keep the last one.
let lastSigner: Name | null = null
let lastSignerWire: Uint8Array = new Uint8Array(0)

/** RRSIG RDATA without the signature (RFC 4034 §3.1.8.1), signer name lowercased (RFC 6840 §5.1). */
function rrsigHead(f: RrsigFields): Uint8Array {
  if (lastSigner !== f.signerName) { lastSignerWire = f.signerName.canonicalWire(); lastSigner = f.signerName }
  const out = new Uint8Array(18 + lastSignerWire.length)
  const v = new DataView(out.buffer)
  v.setUint16(0, f.typeCovered); out[2] = f.algorithm; out[3] = f.labels
  v.setUint32(4, f.originalTtl); v.setUint32(8, f.expiration >>> 0); v.setUint32(12, f.inception >>> 0); v.setUint16(16, f.keyTag)
  out.set(lastSignerWire, 18)
  return out
}

/** The DNSKEY RDATA a key publishes at `now` (REVOKE bit when revoked). */
export function dnskeyOf(key: DnssecKey, now: number): Dnskey {
  return { type: RRType.DNSKEY, flags: publishedFlags(key, now), protocol: 3, algorithm: key.algorithm, publicKey: key.publicKey }
}

/**
 * RRSIG fields for an RRset signed by a key.
 *
 * @param rrset non-empty RRset
 * @param opts zone apex (signer), key tag as published, inception and expiration (unix seconds)
 */
export function rrsigFieldsFor(rrset: readonly ResourceRecord[], opts: { signer: Name, algorithm: number, keyTag: number, inception: number, expiration: number }): RrsigFields {
  const first = rrset[0]
  if (first === undefined) throw new DnssecError('ERR_DNSSEC_SIGN_FAILED', 'cannot sign an empty RRset')
  let ttl = first.ttl
  for (const rr of rrset) if (rr.ttl < ttl) ttl = rr.ttl
  return {
    typeCovered: first.data.type, algorithm: opts.algorithm, labels: rrsigLabels(first.name), originalTtl: ttl,
    expiration: toRrsigTime(opts.expiration), inception: toRrsigTime(opts.inception), keyTag: opts.keyTag, signerName: opts.signer,
  }
}

/**
 * Sign an RRset with a key.
 *
 * @returns the RRSIG record (owner and TTL of the RRset)
 * @throws {DnssecError} ERR_DNSSEC_MISSING_PRIVATE_KEY
 * @example
 * const sig = signRRset(rrset, zsk, { signer: origin, inception: now - 3600, expiration: now + 30 * 86400, now })
 */
export function signRRset(rrset: readonly ResourceRecord[], key: DnssecKey, opts: { signer: Name, inception: number, expiration: number, now: number }): ResourceRecord<Rrsig> {
  if (key.privateKey === null) throw new DnssecError('ERR_DNSSEC_MISSING_PRIVATE_KEY', `key ${key.keyTag} (${key.source ?? key.zone}) has no private key`)
  const keyTag = keyTagOfRdata(dnskeyRdata(publishedFlags(key, opts.now), key.algorithm, key.publicKey))
  const fields = rrsigFieldsFor(rrset, { ...opts, algorithm: key.algorithm, keyTag })
  const signature = signBytes(key.algorithm, key.privateKey, rrsigSignedData(fields, rrset))
  const first = rrset[0]!
  return { name: first.name, class: first.class, ttl: fields.originalTtl, data: { type: RRType.RRSIG, ...fields, signature } }
}

/** Why an RRSIG did not verify. */
export type RrsigFailure = 'expired' | 'not-yet-valid' | 'bad-signature' | 'key-mismatch' | 'revoked-key' | 'not-zone-key' | 'wrong-signer' | 'labels'

/**
 * Verify one RRSIG over an RRset with one DNSKEY (RFC 4035 §5.3.1 checks, then the
 * signature).
 *
 * @returns null when valid, else the reason
 */
export function verifyRrsig(rrset: readonly ResourceRecord[], rrsig: Rrsig, dnskey: { owner: Name, data: Dnskey }, now: number): RrsigFailure | null {
  const first = rrset[0]
  if (first === undefined) return 'bad-signature'
  // RFC 4035 §5.3.1: signer name is the zone of the key; the key matches tag and algorithm.
  if (!rrsig.signerName.equals(dnskey.owner)) return 'wrong-signer'
  if (rrsig.algorithm !== dnskey.data.algorithm || rrsig.keyTag !== keyTagOfRdata(dnskeyRdata(dnskey.data.flags, dnskey.data.algorithm, dnskey.data.publicKey))) return 'key-mismatch'
  // RFC 4034 §2.1.1: only keys with the Zone Key bit set sign zone data.
  if ((dnskey.data.flags & 0x0100) === 0) return 'not-zone-key'
  if (rrsig.labels > first.name.labelCount) return 'labels'
  // RFC 4034 §3.1.5: times in serial-number arithmetic relative to now.
  const n = toRrsigTime(now)
  if (((rrsig.expiration - n) | 0) < 0) return 'expired'
  if (((n - rrsig.inception) | 0) < 0) return 'not-yet-valid'
  let pub
  try { pub = decodeDnskeyPublicKey(dnskey.data.algorithm, dnskey.data.publicKey) } catch { return 'bad-signature' }
  const data = rrsigSignedData(rrsig, rrset)
  return verifyBytes(rrsig.algorithm, pub, data, rrsig.signature) ? null : 'bad-signature'
}

/**
 * The DS record of a key (RFC 4034 §5.1.4; SHA-256 RFC 4509, SHA-384 RFC 6605).
 *
 * @param digestType 1, 2 or 4
 */
export function dsOf(key: DnssecKey, digestType: number, now: number): Ds {
  const flags = publishedFlags(key, now)
  const rdata = dnskeyRdata(flags, key.algorithm, key.publicKey)
  const owner = Name.fromString(key.zone)
  return { type: RRType.DS, keyTag: keyTagOfRdata(rdata), algorithm: key.algorithm, digestType, digest: dsDigest(owner.canonicalWire(), rdata, digestType) }
}

/** DS of a DNSKEY record (any owner). */
export function dsOfDnskey(owner: Name, dnskey: Dnskey, digestType: number): Ds {
  const rdata = dnskeyRdata(dnskey.flags, dnskey.algorithm, dnskey.publicKey)
  return { type: RRType.DS, keyTag: keyTagOfRdata(rdata), algorithm: dnskey.algorithm, digestType, digest: dsDigest(owner.canonicalWire(), rdata, digestType) }
}

/** Type guard for a record of one type. */
export function isType<T extends RData['type']>(rr: ResourceRecord, type: T): rr is ResourceRecord<Extract<RData, { type: T }>> {
  return rr.data.type === type
}
