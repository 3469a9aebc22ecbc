/**
 * The DNSSEC key model: one key with its zone, role, algorithm, public and private
 * parts, key tag and timing metadata (created, publish, activate, inactive, delete,
 * revoke), and what the key does at a given moment.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import {
  algorithmInfo, decodeDnskeyPublicKey, encodeDnskeyPublicKey, generateKeyPair, keyTagOfRdata, DnskeyFlags,
} from './algorithms.js'
import { DnssecError } from './errors.js'
import { nowSeconds } from './time.js'

/** Timing metadata of a key, unix seconds (the BIND and RFC 7583 events). */
export interface KeyTiming {
  created: number
  publish?: number | undefined
  activate?: number | undefined
  inactive?: number | undefined
  delete?: number | undefined
  revoke?: number | undefined
}

/** The names of the timing events, in life-cycle order. */
export const TIMING_EVENTS = ['created', 'publish', 'activate', 'revoke', 'inactive', 'delete'] as const

/** A DNSSEC key: public part always, private part when held. */
export interface DnssecKey {
  /** Zone apex, absolute, lowercase, with trailing dot ('example.test.'). */
  zone: string
  algorithm: number
  /** DNSKEY flags without the REVOKE bit: 257 KSK (SEP), 256 ZSK. */
  flags: number
  /** DNSKEY public-key field. */
  publicKey: Uint8Array
  privateKey: KeyObject | null
  /** Key tag of the un-revoked DNSKEY. */
  keyTag: number
  timing: KeyTiming
  /** Where the key came from (a file name), for messages. */
  source?: string | undefined
}

/** The role a key plays: KSK has the SEP flag (RFC 4034 §2.1.1, RFC 6781 §3.1). */
export function keyRole(key: Pick<DnssecKey, 'flags'>): 'ksk' | 'zsk' {
  return (key.flags & DnskeyFlags.SEP) !== 0 ? 'ksk' : 'zsk'
}

/** Normalise a zone name given by a user: lowercase, absolute with one trailing dot. */
export function normalizeZone(zone: string): string {
  const z = zone.trim().toLowerCase()
  if (z === '' || z === '.' || z === '@') return '.'
  return z.endsWith('.') ? z : `${z}.`
}

/** DNSKEY RDATA (RFC 4034 §2.2) for flags, algorithm and key: the input of key tags and DS. */
export function dnskeyRdata(flags: number, algorithm: number, publicKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + publicKey.length)
  out[0] = flags >> 8; out[1] = flags & 0xff; out[2] = 3; out[3] = algorithm
  out.set(publicKey, 4)
  return out
}

/** True when the key is revoked at `now` (RFC 5011 §2.1). */
export function isRevoked(key: DnssecKey, now: number): boolean {
  return key.timing.revoke !== undefined && key.timing.revoke <= now
}

/** DNSKEY flags as published at `now`: the REVOKE bit set once revoked (RFC 5011 §3). */
export function publishedFlags(key: DnssecKey, now: number): number {
  return isRevoked(key, now) ? key.flags | DnskeyFlags.REVOKE : key.flags
}

/** The key tag as published at `now` (a revoked key has a different tag, RFC 5011 §3). */
export function publishedKeyTag(key: DnssecKey, now: number): number {
  return keyTagOfRdata(dnskeyRdata(publishedFlags(key, now), key.algorithm, key.publicKey))
}

/** True when the DNSKEY is in the zone at `now`: published and not yet deleted. */
export function isPublished(key: DnssecKey, now: number): boolean {
  const t = key.timing
  const pub = t.publish ?? t.activate
  if (pub === undefined || pub > now) return false
  return t.delete === undefined || now < t.delete
}

/** True when the key signs at `now`: activated, not inactive, not revoked, still published. */
export function isActive(key: DnssecKey, now: number): boolean {
  const t = key.timing
  if (t.activate === undefined || t.activate > now) return false
  if (t.inactive !== undefined && t.inactive <= now) return false
  if (isRevoked(key, now)) return false
  return isPublished(key, now)
}

/**
 * Create a new key for a zone.
 *
 * @param opts algorithm number, bits (RSA), ksk role, timing (defaults: created,
 *   published and active now)
 * @returns the key and any warnings (weak RSA size)
 * @example
 * const { key } = createKey('example.test', 13, { ksk: true })
 */
export function createKey(zone: string, algorithm: number, opts: { bits?: number, ksk?: boolean, now?: number, timing?: Partial<KeyTiming> } = {}): { key: DnssecKey, warnings: readonly string[] } {
  const kp = generateKeyPair(algorithm, opts.bits === undefined ? {} : { bits: opts.bits })
  const now = opts.now ?? nowSeconds()
  const flags = DnskeyFlags.ZONE | (opts.ksk === true ? DnskeyFlags.SEP : 0)
  const publicKey = encodeDnskeyPublicKey(algorithm, kp.publicKey)
  const timing: KeyTiming = { created: now, publish: now, activate: now, ...opts.timing }
  const key: DnssecKey = {
    zone: normalizeZone(zone), algorithm, flags, publicKey, privateKey: kp.privateKey,
    keyTag: keyTagOfRdata(dnskeyRdata(flags, algorithm, publicKey)), timing,
  }
  return { key, warnings: kp.warnings }
}

/**
 * Build a key from DNSKEY fields (and optionally its private key), checking that the
 * private key matches the public one.
 *
 * @throws {DnssecError} ERR_DNSSEC_KEY_MISMATCH, ERR_DNSSEC_BAD_PUBLIC_KEY
 */
export function keyFromParts(zone: string, flags: number, algorithm: number, publicKey: Uint8Array, privateKey: KeyObject | null, timing: KeyTiming, source?: string): DnssecKey {
  algorithmInfo(algorithm)
  decodeDnskeyPublicKey(algorithm, publicKey)
  const baseFlags = flags & ~DnskeyFlags.REVOKE
  if (privateKey !== null) {
    const derived = encodeDnskeyPublicKey(algorithm, createPublicKey(privateKey))
    if (Buffer.compare(derived, publicKey) !== 0) {
      throw new DnssecError('ERR_DNSSEC_KEY_MISMATCH', `${source ?? 'key'}: the private key does not match the public key`)
    }
  }
  return {
    zone: normalizeZone(zone), algorithm, flags: baseFlags, publicKey, privateKey,
    keyTag: keyTagOfRdata(dnskeyRdata(baseFlags, algorithm, publicKey)), timing, source,
  }
}

/** RFC 5011 §2.4.1 remove hold-down time: how long a revoked key stays published by default (30 days). */
export const REVOKE_HOLD_DOWN = 30 * 86400

/** What {@link revokeKey} did. */
export interface RevokeResult {
  /** The key with its revoke time (and delete time) set. */
  key: DnssecKey
  /** The key tag it is published with from the revoke time on (REVOKE bit set). */
  revokedKeyTag: number
  /** DNSKEY flags from then on (257 | 0x0080 = 385). */
  revokedFlags: number
}

/**
 * Revoke a KSK (RFC 5011 §2.1, as `dnssec-revoke` does): from `now` on it is published
 * with the REVOKE bit (0x0080), so its key tag changes, signs the DNSKEY RRset only (its
 * self-signature is what tells RFC 5011 resolvers to drop it as a trust anchor), and stays
 * published until its delete time — by default `now` + 30 days (the RFC 5011 §2.4.1 remove
 * hold-down) + the DNSKEY TTL, or its own later delete time.
 *
 * @param opts now (unix seconds), delete (explicit delete time), dnskeyTtl (default 1 day)
 * @throws {DnssecError} ERR_DNSSEC_REVOKE when the key is not a KSK, is already revoked,
 *   has no private key (it must sign its own revocation), or is not published at `now`
 * @example
 * const { key, revokedKeyTag } = revokeKey(ksk, { now: nowSeconds() })
 */
export function revokeKey(key: DnssecKey, opts: { now: number, delete?: number, dnskeyTtl?: number }): RevokeResult {
  const name = key.source ?? keyBaseName(key)
  const fail = (why: string): never => { throw new DnssecError('ERR_DNSSEC_REVOKE', `cannot revoke ${name} (tag ${key.keyTag}): ${why}`) }
  if ((key.flags & DnskeyFlags.SEP) === 0) fail('it is a ZSK (flags 256); RFC 5011 revokes trust anchors, which are KSKs (flags 257)')
  if (key.timing.revoke !== undefined && key.timing.revoke <= opts.now) fail(`it is already revoked since ${new Date(key.timing.revoke * 1000).toISOString()}`)
  if (key.privateKey === null) fail('its private key is not available, and a revoked key must sign the DNSKEY RRset itself (RFC 5011 §2.1)')
  if (!isPublished(key, opts.now)) fail(`it is not published at ${new Date(opts.now * 1000).toISOString()} (a revocation is only seen while the key is in the DNSKEY RRset)`)
  const holdDown = opts.now + REVOKE_HOLD_DOWN + (opts.dnskeyTtl ?? 86400)
  const del = opts.delete ?? Math.max(key.timing.delete ?? 0, holdDown)
  if (del <= opts.now) fail('its delete time is not after the revoke time')
  const revoked: DnssecKey = { ...key, timing: { ...key.timing, revoke: opts.now, delete: del } }
  const revokedFlags = key.flags | DnskeyFlags.REVOKE
  return { key: revoked, revokedKeyTag: keyTagOfRdata(dnskeyRdata(revokedFlags, key.algorithm, key.publicKey)), revokedFlags }
}

/** BIND's file base name for a key: `K<zone>+<alg>+<tag>` (zone with trailing dot). */
export function keyBaseName(key: Pick<DnssecKey, 'zone' | 'algorithm' | 'keyTag'>): string {
  return `K${key.zone}+${String(key.algorithm).padStart(3, '0')}+${String(key.keyTag).padStart(5, '0')}`
}
