/**
 * Key rollover timing (RFC 6781 §4.1, RFC 7583): start a rollover by making the successor
 * key with its timing and setting the predecessor's retirement, and tell for each key its
 * state and the next step with the earliest safe time, from the zone's TTLs.
 */
import { DnssecError } from './errors.js'
import { createKey, isActive, isPublished, isRevoked, keyBaseName, keyRole, type DnssecKey } from './keys.js'

/** Timing parameters of a zone (seconds), RFC 7583 §3 names in comments. */
export interface RolloverTimings {
  /** TTLkey: TTL of the DNSKEY RRset. */
  dnskeyTtl: number
  /** TTLsig: the largest TTL of any signed RRset in the zone. */
  maxZoneTtl: number
  /** TTLds: TTL of the DS RRset at the parent. */
  dsTtl: number
  /** Dprp: time for a change to reach every secondary. */
  propagation: number
  /** Dprp at the parent plus its registration delay (Dreg). */
  parentPropagation: number
  /** Ipub safety margin added to every wait. */
  safety: number
}

/** Defaults as BIND's dnssec-policy "default": propagation 5 min, DS TTL 1 day, parent delay 1 h. */
export const DEFAULT_TIMINGS: RolloverTimings = {
  dnskeyTtl: 3600, maxZoneTtl: 86400, dsTtl: 86400, propagation: 300, parentPropagation: 3600, safety: 3600,
}

/** How a rollover proceeds. */
export type RolloverMethod = 'prepublish' | 'double-signature'

/** What {@link startRollover} made and changed. */
export interface RolloverPlan {
  successor: DnssecKey
  predecessor: DnssecKey
  /** Earliest time the new DS may go to the parent (KSK rollovers). */
  dsSubmit?: number
  warnings: readonly string[]
}

/**
 * Start a rollover: make the successor and set both keys' timing.
 *
 * - ZSK pre-publication (RFC 6781 §4.1.1.1): successor published now, active after
 *   Dprp + TTLkey; the old ZSK inactive then, deleted after Dprp + TTLsig more.
 * - ZSK double signature (RFC 6781 §4.1.1.2): successor published and active now; old
 *   inactive and deleted after Dprp + max(TTLkey, TTLsig).
 * - KSK double signature (RFC 6781 §4.1.2): successor published and active now; its DS
 *   goes to the parent after Dprp + TTLkey; the old KSK is removed once the parent's DS
 *   change has propagated and the old DS expired from caches (+ Dprp(parent) + TTLds).
 * - KSK pre-publication (double DS, RFC 6781 §4.1.2 / RFC 7583 §3.3.1): the new DS goes to
 *   the parent now; after Dprp(parent) + TTLds the keys swap in one step.
 *
 * @throws {DnssecError} ERR_DNSSEC_ROLLOVER when there is no active key of that role
 */
export function startRollover(keys: readonly DnssecKey[], opts: { zone: string, role: 'ksk' | 'zsk', method: RolloverMethod, now: number, timings: RolloverTimings, bits?: number }): RolloverPlan {
  const { now, timings: t } = opts
  const current = keys.filter((k) => keyRole(k) === opts.role && isActive(k, now) && (k.timing.inactive === undefined))
  if (current.length === 0) {
    throw new DnssecError('ERR_DNSSEC_ROLLOVER', `no active ${opts.role.toUpperCase()} of ${opts.zone} without a retirement time at ${new Date(now * 1000).toISOString()}; create one with "secdns key create"${opts.role === 'ksk' ? ' --ksk' : ''}`)
  }
  const old = current.sort((a, b) => (a.timing.activate ?? 0) - (b.timing.activate ?? 0))[0]!
  const bits = opts.bits ?? old.privateKey?.asymmetricKeyDetails?.modulusLength
  const mk = (publish: number, activate: number) => createKey(old.zone, old.algorithm, { ksk: opts.role === 'ksk', now, timing: { publish, activate }, ...(bits !== undefined && old.algorithm <= 10 ? { bits } : {}) })
  let made: ReturnType<typeof mk>
  let dsSubmit: number | undefined
  const predecessor: DnssecKey = { ...old, timing: { ...old.timing } }
  if (opts.role === 'zsk') {
    if (opts.method === 'prepublish') {
      // RFC 7583 §3.2.1: Ipub = Dprp + TTLkey before the successor may sign.
      const activate = now + t.propagation + t.dnskeyTtl + t.safety
      made = mk(now, activate)
      predecessor.timing.inactive = activate
      // Iret = Dprp + TTLsig: signatures by the old key leave the caches. Signing again at
      // `activate` replaces them in the zone (secdns re-signs every RRset of a retired key).
      predecessor.timing.delete = activate + t.propagation + t.maxZoneTtl + t.safety
    } else {
      made = mk(now, now)
      // RFC 7583 §3.2.2: both keys sign until new signatures and the new DNSKEY RRset are everywhere.
      const retire = now + t.propagation + Math.max(t.dnskeyTtl, t.maxZoneTtl) + t.safety
      predecessor.timing.inactive = retire
      predecessor.timing.delete = retire
    }
  } else if (opts.method === 'double-signature') {
    made = mk(now, now)
    // RFC 7583 §3.3.2: the new DNSKEY RRset must be in caches before the parent's DS changes.
    dsSubmit = now + t.propagation + t.dnskeyTtl + t.safety
    const retire = dsSubmit + t.parentPropagation + t.dsTtl + t.safety
    predecessor.timing.inactive = retire
    predecessor.timing.delete = retire
  } else {
    // Double-DS: the new DS is published first; the swap waits for it to reach caches.
    dsSubmit = now
    const swap = now + t.parentPropagation + t.dsTtl + t.safety
    made = mk(swap, swap)
    predecessor.timing.inactive = swap
    predecessor.timing.delete = swap
  }
  return { successor: made.key, predecessor, ...(dsSubmit === undefined ? {} : { dsSubmit }), warnings: made.warnings }
}

/** State of a key at a time. */
export type KeyState = 'created' | 'published' | 'active' | 'retired' | 'revoked' | 'removed'

/** A key's state and what comes next. */
export interface KeyStatus {
  key: string
  keyTag: number
  role: 'ksk' | 'zsk'
  algorithm: number
  state: KeyState
  /** The next event and the earliest time it is safe (unix seconds), or null when none. */
  next: { step: string, at: number } | null
}

/** State of a key at `now`. */
export function keyState(k: DnssecKey, now: number): KeyState {
  const t = k.timing
  if (t.delete !== undefined && t.delete <= now) return 'removed'
  if (isRevoked(k, now)) return 'revoked'
  if (isActive(k, now)) return 'active'
  if (isPublished(k, now)) return t.inactive !== undefined && t.inactive <= now ? 'retired' : 'published'
  return 'created'
}

/**
 * Each key's state and next step, with the earliest safe time from the timings.
 *
 * @param keys the zone's keys
 */
export function keyStatus(keys: readonly DnssecKey[], now: number, timings: RolloverTimings): KeyStatus[] {
  return keys.map((k) => {
    const t = k.timing
    const state = keyState(k, now)
    let next: KeyStatus['next'] = null
    const pub = t.publish ?? t.activate
    if (state === 'created' && pub !== undefined) next = { step: 'publish the DNSKEY (sign the zone at or after this time)', at: pub }
    else if (state === 'published' && t.activate !== undefined && t.activate > now) next = { step: 'start signing with it (sign the zone at or after this time)', at: t.activate }
    else if (state === 'active' && keyRole(k) === 'ksk' && pub !== undefined && t.inactive === undefined) {
      const dsAt = pub + timings.propagation + timings.dnskeyTtl + timings.safety
      next = dsAt > now ? { step: 'submit its DS to the parent (DNSKEY RRset in caches by then)', at: dsAt } : null
    } else if (state === 'active' && t.inactive !== undefined) {
      next = { step: keyRole(k) === 'ksk' ? 'retire: the parent must serve the successor\'s DS by then' : 'retire: the successor signs from then', at: t.inactive }
    } else if ((state === 'retired' || state === 'revoked') && t.delete !== undefined) next = { step: 'remove the DNSKEY (its signatures have left caches)', at: t.delete }
    return { key: keyBaseName(k), keyTag: k.keyTag, role: keyRole(k), algorithm: k.algorithm, state, next }
  })
}
