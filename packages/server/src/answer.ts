/**
 * The query path as a pure function: a decoded QUERY and the server's state in, the
 * response message out. Authoritative answers follow RFC 1034 §4.3.2 (through
 * `@secdns/zone`'s lookup); DNSSEC records are added when DO is set (RFC 4035 §3.1),
 * with NSEC (RFC 4035 §3.1.3) or NSEC3 (RFC 5155 §7.2) denial proofs.
 */
import {
  EdnsOption, NO_FLAGS, Name, Opcode, RRType, Rcode, encodeMessage, nsidOption, parseCookieOption,
  type Edns, type EdnsOptionData, type Message, type Mx, type Ns, type ResourceRecord, type Srv,
} from '@secdns/wire'
import { lookup, type LookupStep, type RRset, type ZoneNode } from '@secdns/zone'
import type { Acl, Requester } from './acl.js'
import { checkServerCookie, responseCookie } from './cookie.js'
import { setRecords, type ServedZone, type ZoneTable } from './served_zone.js'

/** How a query reached the server. The answer never depends on it, only size limits do. */
export type Transport = 'udp' | 'tcp' | 'dot' | 'channel'

/** What {@link answer} needs besides the query. */
export interface AnswerContext {
  readonly zones: ZoneTable
  readonly requester: Requester
  readonly transport: Transport
  /** Who may query (default: everyone). */
  readonly queryAcl?: Acl
  /** RFC 5001: our NSID, returned when the query asks for it. */
  readonly nsid?: Uint8Array
  /** Our EDNS UDP payload size, advertised in responses (RFC 6891 §6.2.5). */
  readonly udpPayload: number
  /** Server secret for COOKIEs (RFC 7873); no COOKIE answered without it. */
  readonly cookieSecret?: Uint8Array
  /** Seconds since the epoch (injected for tests). */
  readonly now?: number
  /** RA to report (recursion available to this requester). */
  readonly recursionAvailable?: boolean
  /** The COOKIE policy for UDP (RFC 7873 §5.2.3); none: every query answered normally. */
  readonly cookiePolicy?: CookiePolicy
  /** True when the request carried a valid TSIG (it needs no cookie to be acceptable). */
  readonly authenticated?: boolean
}

/** When a UDP query without a valid server cookie is refused (see `cookies` in server.json). */
export interface CookiePolicy {
  /** BADCOOKIE for a client cookie alone too, and TC for no COOKIE at all. */
  readonly requireValid: boolean
  /** Clients the policy does not apply to. */
  readonly allow: Acl
}

/** The answer plus why, for logs and counters. */
export interface AnswerInfo {
  /** The zone that answered, when one did. */
  readonly zone?: ServedZone
  /** True when no zone covers the name (a recursor may take over). */
  readonly noZone: boolean
  /**
   * How many leading records of the additional section are required: the glue of
   * in-bailiwick name servers of a referral (RFC 9471 §3). If they do not all fit,
   * the response must carry TC (see {@link encodeResponse}). 0 when none are.
   */
  readonly requiredAdditional?: number
  /** True when the COOKIE policy answered (BADCOOKIE, or TC for no COOKIE). */
  readonly cookieRefused?: boolean
}

/**
 * Encode a response within `maxSize` octets. The encoder drops whole RRsets that do not
 * fit and sets TC only for the answer and authority sections (RFC 2181 §9); this also
 * sets TC when any of the first `requiredAdditional` additional records was dropped.
 * @param m the response
 * @param maxSize the largest message the transport allows
 * @param requiredAdditional leading additional records that must not be dropped ({@link AnswerInfo.requiredAdditional})
 * @returns the encoded message
 * @throws {WireFormatError} ERR_WIRE_MESSAGE_TOO_LARGE when not even header, question and OPT fit
 * @example
 * const bytes = encodeResponse(response, 512, info.requiredAdditional ?? 0)
 */
export function encodeResponse(m: Message, maxSize: number, requiredAdditional = 0): Uint8Array {
  const bytes = encodeMessage(m, { maxSize })
  if (requiredAdditional <= 0 || (bytes[2]! & 0x02) !== 0) return bytes
  // ARCOUNT includes the OPT record, which the encoder always keeps.
  const kept = ((bytes[10]! << 8) | bytes[11]!) - (m.edns !== undefined ? 1 : 0)
  if (kept >= requiredAdditional) return bytes
  // RFC 9471 §3: glue for in-bailiwick name servers that does not fit means TC=1,
  // so the resolver retries over TCP instead of chasing a referral it cannot follow.
  return encodeMessage({ ...m, flags: { ...m.flags, tc: true } }, { maxSize })
}

/**
 * The skeleton of a response to `q`: same ID, opcode, RD and CD; QR set; the
 * question echoed with the query's case (RFC 4343 §4.1); EDNS answered when the query
 * had it (RFC 6891 §7), with DO copied (RFC 3225 §3), NSID on request (RFC 5001 §2.2)
 * and COOKIE (RFC 7873 §5.2) — and no other option: unknown options are never echoed.
 * @param q the query
 * @param ctx the server state
 * @param rcode the response code
 */
export function responseTo(q: Message, ctx: AnswerContext, rcode: number): Message {
  const m: Message = {
    id: q.id,
    flags: { ...NO_FLAGS, qr: true, rd: q.flags.rd, cd: q.flags.cd, ra: ctx.recursionAvailable === true },
    opcode: q.opcode,
    rcode,
    question: q.question.slice(0, 1),
    answer: [], authority: [], additional: [],
  }
  if (q.edns !== undefined) m.edns = responseEdns(q.edns, ctx)
  return m
}

function responseEdns(qe: Edns, ctx: AnswerContext): Edns {
  const options: EdnsOptionData[] = []
  for (const o of qe.options) {
    if (o.code === EdnsOption.NSID && ctx.nsid !== undefined) options.push(nsidOption(ctx.nsid))
    else if (o.code === EdnsOption.COOKIE && ctx.cookieSecret !== undefined) {
      const c = parseCookieOption(o)
      options.push(responseCookie(ctx.cookieSecret, c.client, c.server, ctx.requester.address, ctx.now ?? Math.floor(Date.now() / 1000)))
    }
  }
  return { udpSize: ctx.udpPayload, version: 0, dnssecOk: qe.dnssecOk, options }
}

/**
 * Answer one QUERY from the zones we serve.
 *
 * Checks, in order: opcode (NOTIMP), EDNS version (BADVERS, RFC 6891 §6.1.3), one
 * question (FORMERR), meta QTYPEs, the query ACL (REFUSED), a zone for the name
 * (REFUSED otherwise); then the lookup, and DNSSEC records when DO is set and the zone
 * is signed. Size limits and TC are the encoder's job.
 *
 * @param q a decoded query (QR clear)
 * @param ctx zones, requester and server settings
 * @returns the response and which zone answered
 * @example
 * const { response } = answer(decodeMessage(packet), { zones, requester: { address }, transport: 'udp', udpPayload: 1232 })
 */
export function answer(q: Message, ctx: AnswerContext): { response: Message, info: AnswerInfo } {
  const none: AnswerInfo = { noZone: false }
  if (q.opcode !== Opcode.QUERY) return { response: responseTo(q, ctx, Rcode.NOTIMP), info: none }
  // RFC 6891 §6.1.3: a version we do not implement gets BADVERS, version 0 advertised.
  if (q.edns !== undefined && q.edns.version !== 0) {
    const r = responseTo(q, ctx, Rcode.BADVERS)
    return { response: r, info: none }
  }
  const refused = cookieRefusal(q, ctx)
  if (refused !== undefined) return { response: refused, info: { noZone: false, cookieRefused: true } }
  // RFC 1035 §4.1.2 and RFC 9619: a query carries exactly one question.
  if (q.question.length !== 1) return { response: responseTo(q, ctx, Rcode.FORMERR), info: none }
  const question = q.question[0]!
  const qtype = question.type
  // RFC 6891 §6.1.1: OPT is not a question type.
  if (qtype === RRType.OPT) return { response: responseTo(q, ctx, Rcode.FORMERR), info: none }
  // RFC 5936 §4.2: AXFR only over TCP; MAILA/MAILB/TSIG/TKEY are not answered from zones.
  if (qtype === RRType.AXFR || qtype === RRType.MAILA || qtype === RRType.MAILB || qtype === RRType.TSIG || qtype === RRType.TKEY) {
    return { response: responseTo(q, ctx, Rcode.NOTIMP), info: none }
  }
  if (ctx.queryAcl !== undefined && !ctx.queryAcl.allows(ctx.requester)) return { response: responseTo(q, ctx, Rcode.REFUSED), info: none }
  const zone = ctx.zones.find(question.name, qtype === RRType.DS)
  // RFC 1034 §4.3.2 step 2: not a zone of ours, so not ours to answer.
  if (zone === undefined || (question.class !== zone.zone.class && question.class !== 255)) {
    return { response: responseTo(q, ctx, Rcode.REFUSED), info: { noZone: true } }
  }
  const dnssec = q.edns?.dnssecOk === true && zone.signed
  if (qtype === RRType.IXFR) {
    // RFC 1995 §2: over UDP, an IXFR answered with the current SOA tells the client to use TCP.
    const r = responseTo(q, ctx, Rcode.NOERROR)
    r.flags.aa = true
    const soa = zone.zone.rrset(zone.origin, RRType.SOA)
    if (soa !== undefined) r.answer.push(...setRecords(soa, question.name))
    return { response: r, info: { zone, noZone: false } }
  }
  const { response, requiredAdditional } = authoritative(q, ctx, zone, question.name, qtype, dnssec)
  return { response, info: { zone, noZone: false, requiredAdditional } }
}

/**
 * RFC 7873 §5.2: the answer to a UDP query that is not acceptable without a valid server
 * cookie, or undefined to answer it normally. Checked before any lookup, so a spoofed
 * source address costs us one HMAC and earns a reply no larger than the query's plus 16 octets.
 */
function cookieRefusal(q: Message, ctx: AnswerContext): Message | undefined {
  const policy = ctx.cookiePolicy
  // Over TCP, DoT and the channel the handshake already proved the address (RFC 7873 §5.3 is for UDP).
  if (policy === undefined || ctx.transport !== 'udp' || ctx.cookieSecret === undefined || ctx.authenticated === true) return undefined
  let opt: EdnsOptionData | undefined
  for (const o of q.edns?.options ?? []) if (o.code === EdnsOption.COOKIE) { opt = o; break }
  if (opt === undefined) {
    if (!policy.requireValid || policy.allow.allows(ctx.requester)) return undefined
    // RFC 7873 §5.2.1: no COOKIE; we may answer normally or not at all. An empty answer with
    // TC sends the client to TCP, where the handshake proves its address (RFC 7766 §6.1.3).
    const r = responseTo(q, ctx, Rcode.NOERROR)
    r.flags.tc = true
    return r
  }
  const c = parseCookieOption(opt)
  if (c.server === undefined) {
    // RFC 7873 §5.2.3: a client cookie only; by policy, answer normally or BADCOOKIE.
    if (!policy.requireValid || policy.allow.allows(ctx.requester)) return undefined
  } else {
    // RFC 7873 §5.2.4 / RFC 9018 §4.3: a server cookie we did not make for this client and
    // address (forged, from another server, or for another address), or one over an hour
    // old, counts as none at all: the client gets BADCOOKIE and a fresh one to retry with.
    if (checkServerCookie(ctx.cookieSecret, c.client, c.server, ctx.requester.address, ctx.now ?? Math.floor(Date.now() / 1000))) return undefined
    if (policy.allow.allows(ctx.requester)) return undefined
  }
  // RFC 7873 §5.2.3, §5.4: BADCOOKIE (extended RCODE 23) with a new server cookie (responseTo adds it).
  return responseTo(q, ctx, Rcode.BADCOOKIE)
}

class Builder {
  readonly seen = new Set<string>()
  readonly zone: ServedZone
  readonly out: ResourceRecord[]
  constructor(zone: ServedZone, out: ResourceRecord[]) {
    this.zone = zone
    this.out = out
  }

  /** Add the NSEC or NSEC3 RRset of a node once, with its RRSIGs. */
  denial(node: ZoneNode | undefined, type: number): void {
    if (node === undefined) return
    const k = node.name.hashKey()
    if (this.seen.has(k)) return
    this.seen.add(k)
    const set = node.rrsets.get(type)
    if (set === undefined) return
    this.out.push(...setRecords(set), ...this.zone.rrsigs(node.name, type))
  }
}

function authoritative(q: Message, ctx: AnswerContext, zone: ServedZone, qname: Name, qtype: number, dnssec: boolean): { response: Message, requiredAdditional: number } {
  const r = lookup(zone.zone, qname, qtype)
  const res = responseTo(q, ctx, r.rcode)
  res.flags.aa = r.authoritative
  const steps = qtype === RRType.ANY ? minimalAny(r.steps) : r.steps
  for (const step of steps) {
    for (const set of step.rrsets) {
      // Case of the query name kept on the records it owns (RFC 4343 §4.1).
      const owner = set.name.equals(qname) ? qname : set.name
      res.answer.push(...setRecords(set, owner))
      if (!dnssec) continue
      // A CNAME synthesized from a DNAME carries no signature (RFC 6672 §5.3.1).
      if (step.kind === 'dname' && set.type === RRType.CNAME) continue
      // RFC 4035 §3.1.3.3: a wildcard answer carries the wildcard's RRSIGs, owner rewritten.
      const source = step.synthesized && step.kind !== 'dname' ? step.wildcard! : set.name
      res.answer.push(...zone.rrsigs(source, set.type, owner))
    }
  }
  for (const set of r.authority) {
    res.authority.push(...setRecords(set))
    // RFC 4035 §3.1.4: NS at a delegation is not signed; DS and SOA are.
    if (dnssec && set.type !== RRType.NS) {
      res.authority.push(...zone.rrsigs(set.name, set.type).map((s) => ({ ...s, ttl: set.ttl })))
    }
  }
  let requiredAdditional = 0
  if (r.kind === 'referral') {
    // RFC 9471 §3: glue of name servers at or below the cut comes first and is required;
    // the other glue (in-zone, out of the delegation's bailiwick) may be dropped without TC.
    const cut = r.authority[0]!.name
    const inside = r.additional.filter((s) => s.name.isSubdomainOf(cut))
    for (const set of inside) res.additional.push(...setRecords(set))
    requiredAdditional = res.additional.length
    for (const set of r.additional) {
      if (!set.name.isSubdomainOf(cut)) addAddress(res, zone, set.name, set.type, dnssec)
    }
  } else if (qtype !== RRType.ANY) {
    // RFC 1034 §3.6.2 / RFC 1035 §3.3.9: addresses of the in-zone targets of NS, MX and SRV
    // records in the answer and authority sections. ANY is minimal (RFC 8482): nothing extra.
    for (const rr of [...res.answer, ...res.authority]) {
      const target = additionalTarget(rr)
      if (target === undefined || !target.isSubdomainOf(zone.origin)) continue
      addAddress(res, zone, target, RRType.A, dnssec)
      addAddress(res, zone, target, RRType.AAAA, dnssec)
    }
  } else {
    for (const set of r.additional) res.additional.push(...setRecords(set))
  }
  if (dnssec) {
    const b = new Builder(zone, res.authority)
    for (let i = 0; i < steps.length; i++) proveStep(b, zone, steps[i]!, i === steps.length - 1)
  }
  return { response: res, requiredAdditional }
}

function additionalTarget(rr: ResourceRecord): Name | undefined {
  const d = rr.data
  if (d.type === RRType.NS) return (d as Ns).nsdname
  if (d.type === RRType.MX) return (d as Mx).exchange
  if (d.type === RRType.SRV) return (d as Srv).target
  return undefined
}

/**
 * Add the `type` RRset at `name` to the additional section once (and not when the answer
 * already holds it), with its RRSIGs under DO. Only data the zone holds: authoritative
 * data or glue below a cut (the latter has no RRSIGs, RFC 4035 §2.2).
 */
function addAddress(res: Message, zone: ServedZone, name: Name, type: number, dnssec: boolean): void {
  const set = zone.zone.rrset(name, type)
  if (set === undefined) return
  const has = (rrs: readonly ResourceRecord[]): boolean => rrs.some((x) => x.data.type === type && x.name.equals(name))
  if (has(res.answer) || has(res.additional)) return
  res.additional.push(...setRecords(set))
  if (dnssec) res.additional.push(...zone.rrsigs(name, type))
}

/** RFC 8482 §4.1: answer ANY with one RRset (the lowest type that is not DNSSEC metadata). */
function minimalAny(steps: readonly LookupStep[]): LookupStep[] {
  return steps.map((s) => {
    if (s.kind !== 'answer' || s.rrsets.length <= 1) return s
    const pick = s.rrsets.find((x) => x.type !== RRType.RRSIG && x.type !== RRType.NSEC && x.type !== RRType.NSEC3) ?? s.rrsets[0]!
    return { ...s, rrsets: [pick] as RRset[] }
  })
}

function proveStep(b: Builder, zone: ServedZone, step: LookupStep, last: boolean): void {
  const nsec3 = zone.usesNsec3
  const kind = step.kind
  if ((kind === 'answer' || kind === 'cname') && step.synthesized) {
    // RFC 4035 §3.1.3.3 / RFC 5155 §7.2.6: prove the next closer name does not exist.
    if (nsec3) b.denial(zone.nsec3For(step.nextCloser!)?.node, RRType.NSEC3)
    else b.denial(zone.nsecFor(step.qname), RRType.NSEC)
    return
  }
  if (!last) return
  switch (kind) {
    case 'nodata':
      if (!step.synthesized) {
        // RFC 4035 §3.1.3.1 / RFC 5155 §7.2.3 (and §7.2.4 for DS at a cut).
        if (nsec3) {
          const m = zone.nsec3For(step.qname)
          if (m?.matches) b.denial(m.node, RRType.NSEC3)
          else closestEncloserProof(b, zone, step.qname)
        } else b.denial(zone.nsecFor(step.qname), RRType.NSEC)
      } else if (nsec3) {
        // RFC 5155 §7.2.5: closest encloser proof plus the NSEC3 matching the wildcard.
        b.denial(zone.nsec3For(step.closestEncloser)?.node, RRType.NSEC3)
        b.denial(zone.nsec3For(step.nextCloser!)?.node, RRType.NSEC3)
        b.denial(zone.nsec3For(step.wildcard!)?.node, RRType.NSEC3)
      } else {
        // RFC 4035 §3.1.3.4: the NSEC covering the name and the one matching the wildcard.
        b.denial(zone.nsecFor(step.qname), RRType.NSEC)
        b.denial(zone.nsecFor(step.wildcard!), RRType.NSEC)
      }
      return
    case 'nxdomain':
      if (nsec3) {
        // RFC 5155 §7.2.2: closest encloser proof and the wildcard at it covered.
        b.denial(zone.nsec3For(step.closestEncloser)?.node, RRType.NSEC3)
        b.denial(zone.nsec3For(step.nextCloser!)?.node, RRType.NSEC3)
        b.denial(zone.nsec3For(step.wildcard!)?.node, RRType.NSEC3)
      } else {
        // RFC 4035 §3.1.3.2: the NSEC covering the name and the one covering the wildcard.
        b.denial(zone.nsecFor(step.qname), RRType.NSEC)
        b.denial(zone.nsecFor(step.wildcard!), RRType.NSEC)
      }
      return
    case 'referral':
      // RFC 4035 §3.1.4.1: no DS at the cut is proved by the NSEC/NSEC3 matching it.
      if (step.dsExists) return
      if (nsec3) {
        const m = zone.nsec3For(step.delegation!)
        // RFC 5155 §7.2.7: an opt-out span needs the closest provable encloser proof.
        if (m?.matches) b.denial(m.node, RRType.NSEC3)
        else closestEncloserProof(b, zone, step.delegation!)
      } else b.denial(zone.nsecFor(step.delegation!), RRType.NSEC)
      return
    default:
      return
  }
}

/** RFC 5155 §7.2.1: the NSEC3 matching the closest provable encloser and the one covering the next closer name. */
function closestEncloserProof(b: Builder, zone: ServedZone, name: Name): void {
  let next = name
  let anc = name
  while (anc.labelCount > zone.origin.labelCount) {
    next = anc
    anc = anc.parent()
    const m = zone.nsec3For(anc)
    if (m?.matches) {
      b.denial(m.node, RRType.NSEC3)
      b.denial(zone.nsec3For(next)?.node, RRType.NSEC3)
      return
    }
  }
}
