/**
 * Typed RDATA: one interface and one codec object per type (wire encode and
 * decode, presentation in and out as BIND prints it), RFC 3597 for the rest.
 */
import { WireFormatError } from './errors.js'
import { MAX_CHARACTER_STRING } from './limits.js'
import { Name } from './name.js'
import { WireReader } from './reader.js'
import { WireWriter, checkUint } from './writer.js'
import { RRType, rrTypeFromString, rrTypeToString, DnssecAlgorithm } from './types.js'
import { decodeTypeBitmap, encodeTypeBitmap } from './bitmap.js'
import { ipv4FromText, ipv4ToText, ipv6FromText, ipv6ToText } from './ip.js'
import {
  type RDataToken, TokenCursor, fromBase32Hex, fromBase64, fromHex, group, parseTtl, parseUint,
  quoteString, timeFromText, timeToText, toBase32Hex, toBase64, toHex, unescapeText,
  tokenize as tokenizeRData,
} from './text.js'

export type { RDataToken } from './text.js'

/** IPv4 address (RFC 1035 §3.4.1). */
export interface A { readonly type: typeof RRType.A; readonly address: string }
/** IPv6 address (RFC 3596), RFC 5952 text. */
export interface Aaaa { readonly type: typeof RRType.AAAA; readonly address: string }
/** Authoritative name server (RFC 1035 §3.3.11). */
export interface Ns { readonly type: typeof RRType.NS; readonly nsdname: Name }
/** Canonical name (RFC 1035 §3.3.1). */
export interface Cname { readonly type: typeof RRType.CNAME; readonly target: Name }
/** Domain name pointer (RFC 1035 §3.3.12). */
export interface Ptr { readonly type: typeof RRType.PTR; readonly ptrdname: Name }
/** Delegation of a subtree (RFC 6672). */
export interface Dname { readonly type: typeof RRType.DNAME; readonly target: Name }
/** Start of authority (RFC 1035 §3.3.13). */
export interface Soa {
  readonly type: typeof RRType.SOA
  readonly mname: Name
  readonly rname: Name
  readonly serial: number
  readonly refresh: number
  readonly retry: number
  readonly expire: number
  readonly minimum: number
}
/** Mail exchange (RFC 1035 §3.3.9). */
export interface Mx { readonly type: typeof RRType.MX; readonly preference: number; readonly exchange: Name }
/** Text strings (RFC 1035 §3.3.14); each string is at most 255 octets. */
export interface Txt { readonly type: typeof RRType.TXT; readonly strings: readonly Uint8Array[] }
/** SPF (RFC 7208 §3.1, obsolete type 99): same layout as TXT. */
export interface Spf { readonly type: typeof RRType.SPF; readonly strings: readonly Uint8Array[] }
/** Host information (RFC 1035 §3.3.2). */
export interface Hinfo { readonly type: typeof RRType.HINFO; readonly cpu: Uint8Array; readonly os: Uint8Array }
/** Service location (RFC 2782). */
export interface Srv {
  readonly type: typeof RRType.SRV
  readonly priority: number
  readonly weight: number
  readonly port: number
  readonly target: Name
}
/** Naming authority pointer (RFC 3403 §4.1). */
export interface Naptr {
  readonly type: typeof RRType.NAPTR
  readonly order: number
  readonly preference: number
  readonly flags: Uint8Array
  readonly services: Uint8Array
  readonly regexp: Uint8Array
  readonly replacement: Name
}
/** Delegation signer (RFC 4034 §5). */
export interface Ds {
  readonly type: typeof RRType.DS
  readonly keyTag: number
  readonly algorithm: number
  readonly digestType: number
  readonly digest: Uint8Array
}
/** Child DS (RFC 7344 §3.1), DS layout. */
export interface Cds extends Omit<Ds, 'type'> { readonly type: typeof RRType.CDS }
/** SSH key fingerprint (RFC 4255). */
export interface Sshfp {
  readonly type: typeof RRType.SSHFP
  readonly algorithm: number
  readonly fpType: number
  readonly fingerprint: Uint8Array
}
/** Signature (RFC 4034 §3). */
export interface Rrsig {
  readonly type: typeof RRType.RRSIG
  readonly typeCovered: number
  readonly algorithm: number
  readonly labels: number
  readonly originalTtl: number
  /** Serial-number arithmetic, RFC 4034 §3.1.5. */
  readonly expiration: number
  readonly inception: number
  readonly keyTag: number
  readonly signerName: Name
  /** A view into the packet, not a copy. */
  readonly signature: Uint8Array
}
/** Next secure (RFC 4034 §4). `types` is sorted. */
export interface Nsec { readonly type: typeof RRType.NSEC; readonly nextDomainName: Name; readonly types: readonly number[] }
/** DNS public key (RFC 4034 §2). */
export interface Dnskey {
  readonly type: typeof RRType.DNSKEY
  readonly flags: number
  readonly protocol: number
  readonly algorithm: number
  readonly publicKey: Uint8Array
}
/** Child DNSKEY (RFC 7344 §3.2), DNSKEY layout. */
export interface Cdnskey extends Omit<Dnskey, 'type'> { readonly type: typeof RRType.CDNSKEY }
/** Hashed next secure (RFC 5155 §3). */
export interface Nsec3 {
  readonly type: typeof RRType.NSEC3
  readonly hashAlgorithm: number
  readonly flags: number
  readonly iterations: number
  readonly salt: Uint8Array
  readonly nextHashedOwnerName: Uint8Array
  readonly types: readonly number[]
}
/** NSEC3 parameters (RFC 5155 §4). */
export interface Nsec3Param {
  readonly type: typeof RRType.NSEC3PARAM
  readonly hashAlgorithm: number
  readonly flags: number
  readonly iterations: number
  readonly salt: Uint8Array
}
/** TLS certificate association (RFC 6698 §2). */
export interface Tlsa {
  readonly type: typeof RRType.TLSA
  readonly usage: number
  readonly selector: number
  readonly matchingType: number
  readonly certificateAssociationData: Uint8Array
}
/** S/MIME certificate association (RFC 8162), TLSA layout. */
export interface Smimea extends Omit<Tlsa, 'type'> { readonly type: typeof RRType.SMIMEA }
/** One SvcParam (RFC 9460 §2.2), its value kept as wire octets. */
export interface SvcParam { readonly key: number; readonly value: Uint8Array }
/** Service binding (RFC 9460 §2.2). `params` in increasing key order. */
export interface Svcb {
  readonly type: typeof RRType.SVCB
  readonly priority: number
  readonly target: Name
  readonly params: readonly SvcParam[]
}
/** HTTPS service binding (RFC 9460 §9), SVCB layout. */
export interface Https extends Omit<Svcb, 'type'> { readonly type: typeof RRType.HTTPS }
/** Certification authority authorization (RFC 8659 §4.1). */
export interface Caa {
  readonly type: typeof RRType.CAA
  readonly flags: number
  readonly tag: string
  readonly value: Uint8Array
}
/** Message digest for a zone (RFC 8976 §2). */
export interface Zonemd {
  readonly type: typeof RRType.ZONEMD
  readonly serial: number
  readonly scheme: number
  readonly hashAlgorithm: number
  readonly digest: Uint8Array
}
/** Responsible person (RFC 1183 §2.2). */
export interface Rp { readonly type: typeof RRType.RP; readonly mbox: Name; readonly txt: Name }
/** AFS database location (RFC 1183 §1). */
export interface Afsdb { readonly type: typeof RRType.AFSDB; readonly subtype: number; readonly hostname: Name }
/** Key exchanger (RFC 2230 §3). */
export interface Kx { readonly type: typeof RRType.KX; readonly preference: number; readonly exchanger: Name }
/** URI (RFC 7553 §4.5); `target` is the rest of the RDATA. */
export interface Uri { readonly type: typeof RRType.URI; readonly priority: number; readonly weight: number; readonly target: Uint8Array }
/** OpenPGP public key (RFC 7929 §2.1). */
export interface Openpgpkey { readonly type: typeof RRType.OPENPGPKEY; readonly publicKey: Uint8Array }
/** DHCP identifier (RFC 4701 §3). */
export interface Dhcid { readonly type: typeof RRType.DHCID; readonly digest: Uint8Array }
/** Child-to-parent synchronization (RFC 7477 §2.1). */
export interface Csync { readonly type: typeof RRType.CSYNC; readonly serial: number; readonly flags: number; readonly types: readonly number[] }
/** Trust anchor (DS layout). */
export interface Ta extends Omit<Ds, 'type'> { readonly type: typeof RRType.TA }
/** DNSSEC lookaside validation (RFC 4431), DS layout. */
export interface Dlv extends Omit<Ds, 'type'> { readonly type: typeof RRType.DLV }
/** EUI-48 address (RFC 7043 §3), text `xx-xx-xx-xx-xx-xx`. */
export interface Eui48 { readonly type: typeof RRType.EUI48; readonly address: string }
/** EUI-64 address (RFC 7043 §4), text `xx-xx-xx-xx-xx-xx-xx-xx`. */
export interface Eui64 { readonly type: typeof RRType.EUI64; readonly address: string }
/** ILNP node identifier (RFC 6742 §2.1). */
export interface Nid { readonly type: typeof RRType.NID; readonly preference: number; readonly nodeId: string }
/** ILNP 32-bit locator (RFC 6742 §2.2). */
export interface L32 { readonly type: typeof RRType.L32; readonly preference: number; readonly locator32: string }
/** ILNP 64-bit locator (RFC 6742 §2.3). */
export interface L64 { readonly type: typeof RRType.L64; readonly preference: number; readonly locator64: string }
/** ILNP locator pointer (RFC 6742 §2.4). */
export interface Lp { readonly type: typeof RRType.LP; readonly preference: number; readonly fqdn: Name }
/** Location (RFC 1876 §2). The fields are the wire values: sizes as mantissa/exponent octets,
 * latitude and longitude in thousandths of an arc second offset by 2^31, altitude in cm above
 * a base 100,000 m below the WGS 84 spheroid. */
export interface Loc {
  readonly type: typeof RRType.LOC
  readonly version: number
  readonly size: number
  readonly horizPre: number
  readonly vertPre: number
  readonly latitude: number
  readonly longitude: number
  readonly altitude: number
}
/** Certificate (RFC 4398 §2). */
export interface Cert { readonly type: typeof RRType.CERT; readonly certType: number; readonly keyTag: number; readonly algorithm: number; readonly certificate: Uint8Array }
/** One APL item (RFC 3123 §4): `afdPart` is the address without its trailing zero octets. */
export interface AplItem { readonly family: number; readonly prefix: number; readonly negation: boolean; readonly afdPart: Uint8Array }
/** Address prefix list (RFC 3123); may be empty. */
export interface Apl { readonly type: typeof RRType.APL; readonly items: readonly AplItem[] }
/** IPsec keying material (RFC 4025 §2): `gateway` is null (type 0), an address (1, 2) or a name (3). */
export interface Ipseckey {
  readonly type: typeof RRType.IPSECKEY
  readonly precedence: number
  readonly gatewayType: number
  readonly algorithm: number
  readonly gateway: string | Name | null
  readonly publicKey: Uint8Array
}
/** Host identity protocol (RFC 8005 §5). */
export interface Hip {
  readonly type: typeof RRType.HIP
  readonly pkAlgorithm: number
  readonly hit: Uint8Array
  readonly publicKey: Uint8Array
  readonly rendezvousServers: readonly Name[]
}
/** One EDNS(0) option, kept byte-exact (RFC 6891 §6.1.2). */
export interface EdnsOptionData { readonly code: number; readonly data: Uint8Array }
/** OPT pseudo-RR RDATA (RFC 6891 §6.1.2). Messages expose it as `Edns`. */
export interface Opt { readonly type: typeof RRType.OPT; readonly options: readonly EdnsOptionData[] }
/** Any other type, as raw octets (RFC 3597). Always available. */
export interface Unknown { readonly type: number; readonly data: Uint8Array }

/** Typed RDATA: a discriminated union on `type`. */
export type RData =
  | A | Aaaa | Ns | Cname | Ptr | Dname | Soa | Mx | Txt | Spf | Hinfo | Srv | Naptr | Ds | Cds
  | Sshfp | Rrsig | Nsec | Dnskey | Cdnskey | Nsec3 | Nsec3Param | Tlsa | Smimea | Svcb | Https
  | Caa | Zonemd | Opt | Rp | Afsdb | Kx | Uri | Openpgpkey | Dhcid | Csync | Ta | Dlv | Eui48 | Eui64
  | Nid | L32 | L64 | Lp | Loc | Cert | Apl | Ipseckey | Hip | Unknown

/** A resource record. Not `Record`, which shadows TypeScript's utility type. */
export interface ResourceRecord<R extends RData = RData> {
  name: Name
  class: number
  ttl: number
  data: R
}

// Encoding modes for a codec.
const enum_PLAIN = 0
const enum_COMPRESS = 1
const enum_CANONICAL = 2

interface Codec {
  /** Encode RDATA (no RDLENGTH). */
  encode(w: WireWriter, d: any, mode: number): void
  /** Decode RDATA occupying r.pos..r.end exactly. */
  decode(r: WireReader, type: number): RData
  fromText(c: TokenCursor, origin: Name | null, type: number): RData
  toText(d: any): string
}

// ---- helpers ----------------------------------------------------------------

/** RFC 3597 §4 / RFC 4034 §6.2: how each name field is written. */
function wName(w: WireWriter, n: Name, mode: number, compressible: boolean, lowerInCanonical: boolean): void {
  if (mode === enum_CANONICAL) {
    if (lowerInCanonical) w.nameLower(n)
    else w.bytes(n.wire)
  } else {
    w.name(n, mode === enum_COMPRESS && compressible)
  }
}

function textName(c: TokenCursor, field: string, origin: Name | null): Name {
  const s = c.next(field)
  try {
    return Name.fromString(s, origin)
  } catch (e) {
    if (e instanceof WireFormatError) throw new WireFormatError(e.code, `${c.what} ${field}: ${e.message}`, -1)
    throw e
  }
}

function charString(r: WireReader, what: string): Uint8Array {
  const len = r.u8(`${what} length`)
  return r.bytes(len, what)
}

function wCharString(w: WireWriter, s: Uint8Array, what: string): void {
  if (s.length > MAX_CHARACTER_STRING) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `${what} of ${s.length} octets is over ${MAX_CHARACTER_STRING}`, -1)
  w.u8(s.length)
  w.bytes(s)
}

function textCharString(c: TokenCursor, field: string): Uint8Array {
  const b = unescapeText(c.next(field), `${c.what} ${field}`)
  // RFC 1035 §3.3: <character-string> is a length octet and up to 255 octets.
  if (b.length > MAX_CHARACTER_STRING) throw c.error(`${field} of ${b.length} octets is over ${MAX_CHARACTER_STRING}`)
  return b
}

function algorithm(c: TokenCursor, field = 'algorithm'): number {
  const s = c.next(field)
  const code = s.charCodeAt(0)
  if (code >= 0x30 && code <= 0x39) return parseUint(s, 255, `${c.what} ${field}`)
  const v = (DnssecAlgorithm as Record<string, number>)[s.toUpperCase().replace(/-/g, '_')]
  if (v === undefined) throw c.error(`unknown algorithm "${s}"`)
  return v
}

/** A hex field after the fixed ones: ` HEX…` grouped as BIND does, or nothing when empty. */
function hexField(b: Uint8Array): string {
  return b.length === 0 ? '' : ' ' + group(toHex(b))
}

function badRData(r: WireReader, msg: string): WireFormatError {
  return new WireFormatError('ERR_WIRE_BAD_RDATA', msg, r.pos)
}

function fixedLength(r: WireReader, n: number, what: string): void {
  if (r.end - r.pos !== n) {
    throw new WireFormatError('ERR_WIRE_RDLENGTH', `${what} RDATA at offset ${r.pos} is ${r.end - r.pos} octets, expected ${n}`, r.pos)
  }
}

const DIGEST_LENGTH: Record<number, number> = { 1: 20, 2: 32, 3: 32, 4: 48 }

function typeList(c: TokenCursor): number[] {
  const out: number[] = []
  while (c.more()) {
    const s = c.next('type')
    try { out.push(rrTypeFromString(s)) } catch { throw c.error(`"${s}" is not a type`) }
  }
  return [...new Set(out)].sort((a, b) => a - b)
}

function typesText(types: readonly number[]): string {
  let s = ''
  for (const t of types) s += ' ' + rrTypeToString(t)
  return s
}

// ---- codecs -----------------------------------------------------------------

const aCodec: Codec = {
  encode(w, d: A) { w.ensure(4); ipv4FromText(d.address, w.buf, w.pos); w.pos += 4 },
  decode(r) { fixedLength(r, 4, 'A'); const s = ipv4ToText(r.buf, r.pos); r.pos += 4; return { type: 1, address: s } },
  fromText(c) { const s = c.next('address'); ipv4FromText(s); return { type: 1, address: s } },
  toText(d: A) { return d.address },
}

const aaaaCodec: Codec = {
  encode(w, d: Aaaa) { w.ensure(16); ipv6FromText(d.address, w.buf, w.pos); w.pos += 16 },
  decode(r) { fixedLength(r, 16, 'AAAA'); const s = ipv6ToText(r.buf, r.pos); r.pos += 16; return { type: 28, address: s } },
  // stored in canonical RFC 5952 text so equal addresses compare equal
  fromText(c) { return { type: 28, address: ipv6ToText(ipv6FromText(c.next('address'))) } },
  toText(d: Aaaa) { return d.address },
}

/** One-name types: NS, CNAME, PTR, DNAME. `make` builds the object with a fixed shape. */
function singleName(type: number, field: string, compressible: boolean, allowPointers: boolean, make: (n: Name) => RData): Codec {
  const where = `${rrTypeToString(type)} RDATA`
  return {
    encode(w, d, m) { wName(w, d[field], m, compressible, true) },
    decode(r) { return make(r.name(allowPointers, where)) },
    fromText(c, origin) { return make(textName(c, field, origin)) },
    toText(d) { return d[field].toString() },
  }
}

const soaCodec: Codec = {
  encode(w, d: Soa, m) {
    wName(w, d.mname, m, true, true)
    wName(w, d.rname, m, true, true)
    w.ensure(20)
    w.u32(d.serial); w.u32(d.refresh); w.u32(d.retry); w.u32(d.expire); w.u32(d.minimum)
  },
  decode(r) {
    const mname = r.name(true, 'SOA MNAME')
    const rname = r.name(true, 'SOA RNAME')
    fixedLength(r, 20, 'SOA')
    return { type: 6, mname, rname, serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() }
  },
  fromText(c, origin) {
    const mname = textName(c, 'mname', origin)
    const rname = textName(c, 'rname', origin)
    const serial = c.int('serial', 0xffffffff)
    return {
      type: 6, mname, rname, serial,
      refresh: parseTtl(c.next('refresh'), 'SOA refresh'),
      retry: parseTtl(c.next('retry'), 'SOA retry'),
      expire: parseTtl(c.next('expire'), 'SOA expire'),
      minimum: parseTtl(c.next('minimum'), 'SOA minimum'),
    }
  },
  toText(d: Soa) { return `${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}` },
}

const mxCodec: Codec = {
  encode(w, d: Mx, m) { w.u16(d.preference); wName(w, d.exchange, m, true, true) },
  decode(r) { const preference = r.u16('MX preference'); return { type: 15, preference, exchange: r.name(true, 'MX exchange') } },
  fromText(c, origin) { return { type: 15, preference: c.int('preference', 0xffff), exchange: textName(c, 'exchange', origin) } },
  toText(d: Mx) { return `${d.preference} ${d.exchange}` },
}

function txtCodec(type: number): Codec {
  const name = rrTypeToString(type)
  const whatString = `${name} string`
  return {
    encode(w, d: Txt) {
      if (d.strings.length === 0) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `${name} needs at least one string`, -1)
      for (const s of d.strings) wCharString(w, s, `${name} string`)
    },
    decode(r) {
      // RFC 1035 §3.3.14: one or more <character-string>s.
      if (r.pos === r.end) throw badRData(r, `${name} RDATA at offset ${r.pos} holds no strings`)
      const strings: Uint8Array[] = []
      while (r.pos < r.end) strings.push(charString(r, whatString))
      return { type, strings } as Txt
    },
    fromText(c) {
      const strings: Uint8Array[] = []
      while (c.more()) strings.push(textCharString(c, 'string'))
      if (strings.length === 0) throw c.error('needs at least one string')
      return { type, strings } as unknown as Txt
    },
    toText(d: Txt) { return d.strings.map(quoteString).join(' ') },
  }
}

const hinfoCodec: Codec = {
  encode(w, d: Hinfo) { wCharString(w, d.cpu, 'HINFO cpu'); wCharString(w, d.os, 'HINFO os') },
  decode(r) { const cpu = charString(r, 'HINFO cpu'); return { type: 13, cpu, os: charString(r, 'HINFO os') } },
  fromText(c) { const cpu = textCharString(c, 'cpu'); return { type: 13, cpu, os: textCharString(c, 'os') } },
  toText(d: Hinfo) { return `${quoteString(d.cpu)} ${quoteString(d.os)}` },
}

const srvCodec: Codec = {
  encode(w, d: Srv, m) {
    w.u16(d.priority); w.u16(d.weight); w.u16(d.port)
    // RFC 2782: the target is not compressed; RFC 4034 §6.2 lowercases it.
    wName(w, d.target, m, false, true)
  },
  decode(r) {
    r.need(6, 'SRV fields')
    const priority = r.u16(), weight = r.u16(), port = r.u16()
    return { type: 33, priority, weight, port, target: r.name(true, 'SRV target') }
  },
  fromText(c, origin) {
    return { type: 33, priority: c.int('priority', 0xffff), weight: c.int('weight', 0xffff), port: c.int('port', 0xffff), target: textName(c, 'target', origin) }
  },
  toText(d: Srv) { return `${d.priority} ${d.weight} ${d.port} ${d.target}` },
}

const naptrCodec: Codec = {
  encode(w, d: Naptr, m) {
    w.u16(d.order); w.u16(d.preference)
    wCharString(w, d.flags, 'NAPTR flags'); wCharString(w, d.services, 'NAPTR services'); wCharString(w, d.regexp, 'NAPTR regexp')
    wName(w, d.replacement, m, false, true)
  },
  decode(r) {
    r.need(4, 'NAPTR order and preference')
    const order = r.u16(), preference = r.u16()
    const flags = charString(r, 'NAPTR flags'), services = charString(r, 'NAPTR services'), regexp = charString(r, 'NAPTR regexp')
    return { type: 35, order, preference, flags, services, regexp, replacement: r.name(true, 'NAPTR replacement') }
  },
  fromText(c, origin) {
    return {
      type: 35, order: c.int('order', 0xffff), preference: c.int('preference', 0xffff),
      flags: textCharString(c, 'flags'), services: textCharString(c, 'services'), regexp: textCharString(c, 'regexp'),
      replacement: textName(c, 'replacement', origin),
    }
  },
  toText(d: Naptr) { return `${d.order} ${d.preference} ${quoteString(d.flags)} ${quoteString(d.services)} ${quoteString(d.regexp)} ${d.replacement}` },
}

function dsCodec(type: number): Codec {
  const name = rrTypeToString(type)
  const whatFields = `${name} fields`
  return {
    encode(w, d: Ds) { w.u16(d.keyTag); w.u8(d.algorithm); w.u8(d.digestType); w.bytes(d.digest) },
    decode(r) {
      r.need(4, whatFields)
      const keyTag = r.u16(), algorithm = r.u8(), digestType = r.u8()
      const digest = r.rest()
      const want = DIGEST_LENGTH[digestType]
      if (want !== undefined && digest.length !== want) throw badRData(r, `${name} digest type ${digestType} needs ${want} octets, got ${digest.length}`)
      return { type, keyTag, algorithm, digestType, digest } as Ds
    },
    fromText(c) {
      const keyTag = c.int('key tag', 0xffff), alg = algorithm(c), digestType = c.int('digest type', 255)
      const digest = fromHex(c.joinRest('digest', true), `${name} digest`)
      const want = DIGEST_LENGTH[digestType]
      if (want !== undefined && digest.length !== want) throw c.error(`digest type ${digestType} needs ${want} octets, got ${digest.length}`)
      return { type, keyTag, algorithm: alg, digestType, digest } as unknown as Ds
    },
    toText(d: Ds) { return `${d.keyTag} ${d.algorithm} ${d.digestType}${hexField(d.digest)}` },
  }
}

const sshfpCodec: Codec = {
  encode(w, d: Sshfp) { w.u8(d.algorithm); w.u8(d.fpType); w.bytes(d.fingerprint) },
  decode(r) { r.need(2, 'SSHFP fields'); const algorithm = r.u8(), fpType = r.u8(); return { type: 44, algorithm, fpType, fingerprint: r.rest() } },
  fromText(c) { return { type: 44, algorithm: c.int('algorithm', 255), fpType: c.int('fingerprint type', 255), fingerprint: fromHex(c.joinRest('fingerprint', true), 'SSHFP fingerprint') } },
  toText(d: Sshfp) { return `${d.algorithm} ${d.fpType}${hexField(d.fingerprint)}` },
}

const rrsigCodec: Codec = {
  encode(w, d: Rrsig, m) {
    w.ensure(18)
    w.u16(d.typeCovered); w.u8(d.algorithm); w.u8(d.labels); w.u32(d.originalTtl)
    w.u32(d.expiration); w.u32(d.inception); w.u16(d.keyTag)
    // RFC 4034 §3.1.7: the signer's name MUST NOT be compressed; §6.2 lowercases it.
    wName(w, d.signerName, m, false, true)
    w.bytes(d.signature)
  },
  decode(r) {
    r.need(18, 'RRSIG fields')
    const typeCovered = r.u16(), algorithm = r.u8(), labels = r.u8(), originalTtl = r.u32()
    const expiration = r.u32(), inception = r.u32(), keyTag = r.u16()
    const signerName = r.name(false, 'RRSIG signer name')
    return { type: 46, typeCovered, algorithm, labels, originalTtl, expiration, inception, keyTag, signerName, signature: r.rest() }
  },
  fromText(c, origin) {
    const tc = c.next('type covered')
    let typeCovered: number
    try { typeCovered = rrTypeFromString(tc) } catch { throw c.error(`"${tc}" is not a type`) }
    return {
      type: 46, typeCovered, algorithm: algorithm(c), labels: c.int('labels', 255),
      originalTtl: parseTtl(c.next('original TTL'), 'RRSIG original TTL'),
      expiration: timeFromText(c.next('expiration'), 'RRSIG expiration'),
      inception: timeFromText(c.next('inception'), 'RRSIG inception'),
      keyTag: c.int('key tag', 0xffff), signerName: textName(c, 'signer name', origin),
      signature: fromBase64(c.joinRest('signature', true), 'RRSIG signature'),
    }
  },
  toText(d: Rrsig) {
    return `${rrTypeToString(d.typeCovered)} ${d.algorithm} ${d.labels} ${d.originalTtl} ${timeToText(d.expiration)} ${timeToText(d.inception)} ${d.keyTag} ${d.signerName}${d.signature.length ? ' ' + group(toBase64(d.signature)) : ''}`
  },
}

const nsecCodec: Codec = {
  encode(w, d: Nsec) {
    // RFC 6840 §5.1: the next domain name is not lowercased in canonical form.
    w.bytes(d.nextDomainName.wire)
    w.bytes(encodeTypeBitmap(d.types))
  },
  decode(r) {
    // RFC 4034 §4.1.1: MUST NOT be compressed.
    const nextDomainName = r.name(false, 'NSEC next domain name')
    const types = decodeTypeBitmap(r.buf, r.pos, r.end)
    r.pos = r.end
    return { type: 47, nextDomainName, types }
  },
  fromText(c, origin) { return { type: 47, nextDomainName: textName(c, 'next domain name', origin), types: typeList(c) } },
  toText(d: Nsec) { return `${d.nextDomainName}${typesText(d.types)}` },
}

function dnskeyCodec(type: number): Codec {
  const name = rrTypeToString(type)
  const whatFields = `${name} fields`
  return {
    encode(w, d: Dnskey) { w.u16(d.flags); w.u8(d.protocol); w.u8(d.algorithm); w.bytes(d.publicKey) },
    decode(r) {
      r.need(4, whatFields)
      const flags = r.u16(), protocol = r.u8(), algorithm = r.u8()
      return { type, flags, protocol, algorithm, publicKey: r.rest() } as Dnskey
    },
    fromText(c) {
      const flags = c.int('flags', 0xffff), protocol = c.int('protocol', 255), alg = algorithm(c)
      return { type, flags, protocol, algorithm: alg, publicKey: fromBase64(c.joinRest('public key', true), `${name} public key`) } as unknown as Dnskey
    },
    toText(d: Dnskey) { return `${d.flags} ${d.protocol} ${d.algorithm}${d.publicKey.length ? ' ' + group(toBase64(d.publicKey)) : ''}` },
  }
}

function saltText(s: Uint8Array): string {
  return s.length === 0 ? '-' : toHex(s)
}

function saltFromText(c: TokenCursor): Uint8Array {
  const s = c.next('salt')
  if (s === '-') return new Uint8Array(0)
  const b = fromHex(s, `${c.what} salt`)
  if (b.length > 255) throw c.error(`salt of ${b.length} octets is over 255`)
  return b
}

const nsec3Codec: Codec = {
  encode(w, d: Nsec3) {
    w.u8(d.hashAlgorithm); w.u8(d.flags); w.u16(d.iterations)
    wCharString(w, d.salt, 'NSEC3 salt')
    wCharString(w, d.nextHashedOwnerName, 'NSEC3 next hashed owner name')
    w.bytes(encodeTypeBitmap(d.types))
  },
  decode(r) {
    r.need(4, 'NSEC3 fields')
    const hashAlgorithm = r.u8(), flags = r.u8(), iterations = r.u16()
    const salt = charString(r, 'NSEC3 salt')
    const nextHashedOwnerName = charString(r, 'NSEC3 next hashed owner name')
    // RFC 5155 §3.2: the hash length is at least 1.
    if (nextHashedOwnerName.length === 0) throw badRData(r, `NSEC3 next hashed owner name at offset ${r.pos - 1} is empty`)
    const types = decodeTypeBitmap(r.buf, r.pos, r.end)
    r.pos = r.end
    return { type: 50, hashAlgorithm, flags, iterations, salt, nextHashedOwnerName, types }
  },
  fromText(c) {
    const hashAlgorithm = c.int('hash algorithm', 255), flags = c.int('flags', 255), iterations = c.int('iterations', 0xffff)
    const salt = saltFromText(c)
    const nextHashedOwnerName = fromBase32Hex(c.next('next hashed owner name'), 'NSEC3 next hashed owner name')
    if (nextHashedOwnerName.length === 0 || nextHashedOwnerName.length > 255) throw c.error('next hashed owner name must be 1..255 octets')
    return { type: 50, hashAlgorithm, flags, iterations, salt, nextHashedOwnerName, types: typeList(c) }
  },
  toText(d: Nsec3) {
    return `${d.hashAlgorithm} ${d.flags} ${d.iterations} ${saltText(d.salt)} ${toBase32Hex(d.nextHashedOwnerName)}${typesText(d.types)}`
  },
}

const nsec3ParamCodec: Codec = {
  encode(w, d: Nsec3Param) { w.u8(d.hashAlgorithm); w.u8(d.flags); w.u16(d.iterations); wCharString(w, d.salt, 'NSEC3PARAM salt') },
  decode(r) {
    r.need(4, 'NSEC3PARAM fields')
    const hashAlgorithm = r.u8(), flags = r.u8(), iterations = r.u16()
    return { type: 51, hashAlgorithm, flags, iterations, salt: charString(r, 'NSEC3PARAM salt') }
  },
  fromText(c) {
    return { type: 51, hashAlgorithm: c.int('hash algorithm', 255), flags: c.int('flags', 255), iterations: c.int('iterations', 0xffff), salt: saltFromText(c) }
  },
  toText(d: Nsec3Param) { return `${d.hashAlgorithm} ${d.flags} ${d.iterations} ${saltText(d.salt)}` },
}

function tlsaCodec(type: number): Codec {
  const name = rrTypeToString(type)
  const whatFields = `${name} fields`
  return {
    encode(w, d: Tlsa) { w.u8(d.usage); w.u8(d.selector); w.u8(d.matchingType); w.bytes(d.certificateAssociationData) },
    decode(r) {
      r.need(3, whatFields)
      const usage = r.u8(), selector = r.u8(), matchingType = r.u8()
      return { type, usage, selector, matchingType, certificateAssociationData: r.rest() } as Tlsa
    },
    fromText(c) {
      return {
        type, usage: c.int('usage', 255), selector: c.int('selector', 255), matchingType: c.int('matching type', 255),
        certificateAssociationData: fromHex(c.joinRest('certificate association data', true), `${name} data`),
      } as unknown as Tlsa
    },
    toText(d: Tlsa) { return `${d.usage} ${d.selector} ${d.matchingType}${hexField(d.certificateAssociationData)}` },
  }
}

const caaCodec: Codec = {
  encode(w, d: Caa) {
    const tag = Buffer.from(d.tag, 'latin1')
    if (tag.length === 0 || tag.length > 255) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `CAA tag "${d.tag}" must be 1..255 octets`, -1)
    w.u8(d.flags); w.u8(tag.length); w.bytes(tag); w.bytes(d.value)
  },
  decode(r) {
    r.need(2, 'CAA flags and tag length')
    const flags = r.u8(), len = r.u8()
    // RFC 8659 §4.1: the tag is at least one octet.
    if (len === 0) throw badRData(r, `CAA tag length at offset ${r.pos - 1} is zero`)
    const tag = Buffer.from(r.bytes(len, 'CAA tag')).toString('latin1')
    return { type: 257, flags, tag, value: r.rest() }
  },
  fromText(c) {
    const flags = c.int('flags', 255)
    const tag = c.next('tag')
    // RFC 8659 §4.1.1: tags are ASCII letters and digits.
    for (let i = 0; i < tag.length; i++) {
      const ch = tag.charCodeAt(i) | 0x20
      if (!((ch >= 0x61 && ch <= 0x7a) || (tag.charCodeAt(i) >= 0x30 && tag.charCodeAt(i) <= 0x39))) throw c.error(`tag "${tag}" is not alphanumeric`)
    }
    if (tag.length === 0 || tag.length > 15) throw c.error(`tag "${tag}" must be 1..15 characters`)
    return { type: 257, flags, tag, value: unescapeText(c.next('value'), 'CAA value') }
  },
  toText(d: Caa) { return `${d.flags} ${d.tag} ${quoteString(d.value)}` },
}

const zonemdCodec: Codec = {
  encode(w, d: Zonemd) { w.u32(d.serial); w.u8(d.scheme); w.u8(d.hashAlgorithm); w.bytes(d.digest) },
  decode(r) {
    r.need(6, 'ZONEMD fields')
    const serial = r.u32(), scheme = r.u8(), hashAlgorithm = r.u8()
    // RFC 8976 §2.2.4: the digest is at least 12 octets.
    if (r.end - r.pos < 12) throw badRData(r, `ZONEMD digest at offset ${r.pos} is ${r.end - r.pos} octets, at least 12 needed`)
    return { type: 63, serial, scheme, hashAlgorithm, digest: r.rest() }
  },
  fromText(c) {
    const serial = c.int('serial', 0xffffffff), scheme = c.int('scheme', 255), hashAlgorithm = c.int('hash algorithm', 255)
    const digest = fromHex(c.joinRest('digest'), 'ZONEMD digest')
    if (digest.length < 12) throw c.error('digest must be at least 12 octets')
    return { type: 63, serial, scheme, hashAlgorithm, digest }
  },
  toText(d: Zonemd) { return `${d.serial} ${d.scheme} ${d.hashAlgorithm} ${group(toHex(d.digest))}` },
}

const optCodec: Codec = {
  encode(w, d: Opt) {
    for (const o of d.options) {
      checkUint(o.code, 0xffff, 'EDNS option code')
      checkUint(o.data.length, 0xffff, 'EDNS option length')
      w.u16(o.code); w.u16(o.data.length); w.bytes(o.data)
    }
  },
  decode(r) {
    const options: EdnsOptionData[] = []
    while (r.pos < r.end) {
      r.need(4, 'EDNS option header')
      const code = r.u16(), len = r.u16()
      options.push({ code, data: r.bytes(len, `EDNS option ${code}`) })
    }
    return { type: 41, options }
  },
  fromText(c) { throw c.error('OPT has no presentation format; use \\# (RFC 3597)') },
  toText(d: Opt) { const w = new WireWriter(64); optCodec.encode(w, d, 0); return genericText(w.finish()) },
}

const rpCodec: Codec = {
  // RFC 1183 types: decompressed on receipt (RFC 3597 §4), never compressed, lowercased canonically
  encode(w, d: Rp, m) { wName(w, d.mbox, m, false, true); wName(w, d.txt, m, false, true) },
  decode(r) { const mbox = r.name(true, 'RP mbox'); return { type: 17, mbox, txt: r.name(true, 'RP txt') } },
  fromText(c, origin) { const mbox = textName(c, 'mbox', origin); return { type: 17, mbox, txt: textName(c, 'txt', origin) } },
  toText(d: Rp) { return `${d.mbox} ${d.txt}` },
}

/** A 16-bit value followed by a name (AFSDB, KX, LP). */
function u16Name(type: number, num: string, field: string, allowPointers: boolean, make: (v: number, n: Name) => RData): Codec {
  const where = `${rrTypeToString(type)} ${field}`
  return {
    encode(w, d, m) { w.u16(d[num]); wName(w, d[field], m, false, type !== RRType.LP) },
    decode(r) { const v = r.u16(where); return make(v, r.name(allowPointers, where)) },
    fromText(c, origin) { const v = c.int(num, 0xffff); return make(v, textName(c, field, origin)) },
    toText(d) { return `${d[num]} ${d[field]}` },
  }
}

const uriCodec: Codec = {
  encode(w, d: Uri) { w.u16(d.priority); w.u16(d.weight); w.bytes(d.target) },
  decode(r) {
    r.need(4, 'URI priority and weight')
    const priority = r.u16(), weight = r.u16()
    // RFC 7553 §4.5: the target is not empty.
    if (r.pos === r.end) throw badRData(r, `URI target at offset ${r.pos} is empty`)
    return { type: 256, priority, weight, target: r.rest() }
  },
  fromText(c) {
    const priority = c.int('priority', 0xffff), weight = c.int('weight', 0xffff)
    const target = unescapeText(c.next('target'), 'URI target')
    if (target.length === 0) throw c.error('target is empty')
    return { type: 256, priority, weight, target }
  },
  toText(d: Uri) { return `${d.priority} ${d.weight} ${quoteString(d.target)}` },
}

/** RDATA that is one base64 blob (OPENPGPKEY, DHCID). */
function base64Codec(type: number, field: string, make: (b: Uint8Array) => RData): Codec {
  const name = rrTypeToString(type)
  return {
    encode(w, d) { w.bytes(d[field]) },
    decode(r) {
      if (r.pos === r.end) throw badRData(r, `${name} RDATA at offset ${r.pos} is empty`)
      return make(r.rest())
    },
    fromText(c) { return make(fromBase64(c.joinRest(field), `${name} ${field}`)) },
    toText(d) { return group(toBase64(d[field])) },
  }
}

const csyncCodec: Codec = {
  encode(w, d: Csync) { w.u32(d.serial); w.u16(d.flags); w.bytes(encodeTypeBitmap(d.types)) },
  decode(r) {
    r.need(6, 'CSYNC serial and flags')
    const serial = r.u32(), flags = r.u16()
    const types = decodeTypeBitmap(r.buf, r.pos, r.end)
    r.pos = r.end
    return { type: 62, serial, flags, types }
  },
  fromText(c) { return { type: 62, serial: c.int('serial', 0xffffffff), flags: c.int('flags', 0xffff), types: typeList(c) } },
  toText(d: Csync) { return `${d.serial} ${d.flags}${typesText(d.types)}` },
}

/** EUI-48/EUI-64: lowercase hex pairs joined by '-' (RFC 7043 §3.2, §4.2). */
function euiCodec(type: number, n: number): Codec {
  const name = rrTypeToString(type)
  return {
    encode(w, d: Eui48) {
      const parts = d.address.split('-')
      if (parts.length !== n || parts.some((p) => p.length !== 2)) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${name} "${d.address}" is not ${n} hex pairs joined by '-'`, -1)
      w.bytes(fromHex(parts.join(''), name))
    },
    decode(r) {
      fixedLength(r, n, name)
      const b = r.bytes(n)
      const parts: string[] = []
      for (let i = 0; i < n; i++) parts.push(toHex(b.subarray(i, i + 1)).toLowerCase())
      return { type, address: parts.join('-') } as unknown as RData
    },
    fromText(c) {
      const a = c.next('address').toLowerCase()
      const parts = a.split('-')
      if (parts.length !== n || parts.some((p) => p.length !== 2)) throw c.error(`"${a}" is not ${n} hex pairs joined by '-'`)
      fromHex(parts.join(''), name)
      return { type, address: a } as unknown as RData
    },
    toText(d: Eui48) { return d.address },
  }
}

/** ILNP 64-bit values as four 16-bit hex groups without leading zeros (RFC 6742 §2.1). */
function ilnp64(type: number, field: string, make: (p: number, s: string) => RData): Codec {
  const name = rrTypeToString(type)
  return {
    encode(w, d) {
      w.u16(d.preference)
      const groups = (d[field] as string).split(':')
      if (groups.length !== 4 || groups.some((g) => g.length === 0 || g.length > 4)) throw new WireFormatError('ERR_WIRE_BAD_TEXT', `${name} "${d[field]}" is not four hex groups`, -1)
      for (const g of groups) w.u16(parseInt(g, 16))
    },
    decode(r) {
      fixedLength(r, 10, name)
      const p = r.u16()
      const g: string[] = []
      for (let i = 0; i < 4; i++) g.push(r.u16().toString(16))
      return make(p, g.join(':'))
    },
    fromText(c) {
      const p = c.int('preference', 0xffff)
      const v = c.next(field)
      const groups = v.split(':')
      if (groups.length !== 4 || groups.some((g) => g.length === 0 || g.length > 4 || fromHexOk(g) === false)) throw c.error(`"${v}" is not four hex groups`)
      return make(p, groups.map((g) => parseInt(g, 16).toString(16)).join(':'))
    },
    toText(d) { return `${d.preference} ${d[field]}` },
  }
}

function fromHexOk(g: string): boolean {
  for (let i = 0; i < g.length; i++) {
    const c = g.charCodeAt(i) | 0x20
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false
  }
  return true
}

const l32Codec: Codec = {
  encode(w, d: L32) { w.u16(d.preference); w.ensure(4); ipv4FromText(d.locator32, w.buf, w.pos); w.pos += 4 },
  decode(r) { fixedLength(r, 6, 'L32'); const preference = r.u16(); const s = ipv4ToText(r.buf, r.pos); r.pos += 4; return { type: 105, preference, locator32: s } },
  fromText(c) { const preference = c.int('preference', 0xffff); const s = c.next('locator32'); ipv4FromText(s); return { type: 105, preference, locator32: s } },
  toText(d: L32) { return `${d.preference} ${d.locator32}` },
}

// ---- LOC (RFC 1876) -------------------------------------------------------------

const LOC_EQUATOR = 0x80000000
const LOC_ALTITUDE_BASE = 10_000_000 // cm: the reference is 100,000 m below the WGS 84 spheroid
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000]

/** A LOC size or precision octet (mantissa × 10^exponent cm) in metres as BIND prints it. */
function locPrecisionToText(b: number): string {
  const man = b >> 4, exp = b & 15
  return exp >= 2 ? `${man * POW10[exp - 2]!}m` : `0.${String(man * POW10[exp]!).padStart(2, '0')}m`
}

/** Metres with up to two decimals and an optional `m`, as centimetres (no sign). */
function locMetres(c: TokenCursor, s: string, field: string, maxCm: number): number {
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?m?$/.exec(s)
  if (m === null) throw c.error(`${field} "${s}" is not metres (like 10, 1.5m or 0.01m)`)
  const cm = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
  if (cm > maxCm) throw c.error(`${field} ${s} is over ${maxCm / 100}m`)
  return cm
}

/** RFC 1876 §2: a size or precision in cm as mantissa/exponent, rounded down as BIND does. */
function locPrecisionFromText(c: TokenCursor, s: string, field: string): number {
  const cm = locMetres(c, s, field, 9_000_000_000)
  const metres = Math.floor(cm / 100)
  if (metres > 0) {
    let exp = 0
    while (exp < 7 && metres >= POW10[exp + 1]!) exp++
    return (Math.floor(metres / POW10[exp]!) << 4) | (exp + 2)
  }
  return cm >= 10 ? (Math.floor(cm / 10) << 4) | 1 : cm << 4
}

/** Degrees [minutes [seconds]] then a hemisphere letter, as thousandths of an arc second from the equator/meridian. */
function locAngle(c: TokenCursor, field: string, maxDeg: number, pos: string, neg: string): number {
  const hemi = (s: string): number => (s.toUpperCase() === pos ? 1 : s.toUpperCase() === neg ? -1 : 0)
  const deg = c.int(`${field} degrees`, maxDeg)
  let min = 0, ms = 0
  let s = c.next(`${field} ${pos}/${neg}`)
  if (hemi(s) === 0) {
    min = parseUint(s, 59, `${c.what} ${field} minutes`)
    s = c.next(`${field} ${pos}/${neg}`)
    if (hemi(s) === 0) {
      const m = /^(\d{1,2})(?:\.(\d{1,3}))?$/.exec(s)
      if (m === null || Number(m[1]) > 59) throw c.error(`${field} seconds "${s}" is not a number in 0..59.999`)
      ms = Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0'))
      s = c.next(`${field} ${pos}/${neg}`)
    }
  }
  const h = hemi(s)
  if (h === 0) throw c.error(`expected ${pos} or ${neg} after the ${field}, got "${s}"`)
  const v = deg * 3_600_000 + min * 60_000 + ms
  if (v > maxDeg * 3_600_000) throw c.error(`${field} is over ${maxDeg} degrees`)
  return LOC_EQUATOR + h * v
}

function locAngleToText(v: number, pos: string, neg: string): string {
  let a = v - LOC_EQUATOR
  const h = a < 0 ? neg : pos
  a = Math.abs(a)
  const d = Math.floor(a / 3_600_000); a -= d * 3_600_000
  const m = Math.floor(a / 60_000); a -= m * 60_000
  const s = Math.floor(a / 1000)
  return `${d} ${m} ${s}.${String(a - s * 1000).padStart(3, '0')} ${h}`
}

function checkLocPrecision(b: number, field: string, at: number): void {
  // RFC 1876 §2: mantissa and exponent are decimal digits; a non-zero value needs a mantissa.
  if ((b & 15) > 9 || (b >> 4) > 9 || (b !== 0 && (b >> 4) === 0)) {
    throw new WireFormatError('ERR_WIRE_BAD_RDATA', `LOC ${field} octet 0x${b.toString(16).padStart(2, '0')} at offset ${at} is not a valid mantissa/exponent`, at)
  }
}

const locCodec: Codec = {
  encode(w, d: Loc) {
    w.ensure(16)
    w.u8(d.version); w.u8(d.size); w.u8(d.horizPre); w.u8(d.vertPre)
    w.u32(d.latitude); w.u32(d.longitude); w.u32(d.altitude)
  },
  decode(r) {
    fixedLength(r, 16, 'LOC')
    const at = r.pos
    const version = r.u8()
    // RFC 1876 §2: only version 0 is defined; BIND refuses the others too.
    if (version !== 0) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `LOC version ${version} at offset ${at} is not 0`, at)
    const size = r.u8(), horizPre = r.u8(), vertPre = r.u8()
    checkLocPrecision(size, 'size', at + 1); checkLocPrecision(horizPre, 'horizontal precision', at + 2); checkLocPrecision(vertPre, 'vertical precision', at + 3)
    const latitude = r.u32(), longitude = r.u32(), altitude = r.u32()
    if (Math.abs(latitude - LOC_EQUATOR) > 90 * 3_600_000) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `LOC latitude at offset ${at + 4} is beyond 90 degrees`, at + 4)
    if (Math.abs(longitude - LOC_EQUATOR) > 180 * 3_600_000) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `LOC longitude at offset ${at + 8} is beyond 180 degrees`, at + 8)
    return { type: 29, version, size, horizPre, vertPre, latitude, longitude, altitude }
  },
  fromText(c) {
    const latitude = locAngle(c, 'latitude', 90, 'N', 'S')
    const longitude = locAngle(c, 'longitude', 180, 'E', 'W')
    const alt = c.next('altitude')
    const below = alt.startsWith('-')
    const cm = locMetres(c, below ? alt.slice(1) : alt, 'altitude', below ? LOC_ALTITUDE_BASE : 0xffffffff - LOC_ALTITUDE_BASE)
    // RFC 1876 §3 defaults: size 1m, horizontal precision 10000m, vertical precision 10m.
    const size = c.more() ? locPrecisionFromText(c, c.next('size'), 'size') : 0x12
    const horizPre = c.more() ? locPrecisionFromText(c, c.next('horizontal precision'), 'horizontal precision') : 0x16
    const vertPre = c.more() ? locPrecisionFromText(c, c.next('vertical precision'), 'vertical precision') : 0x13
    return { type: 29, version: 0, size, horizPre, vertPre, latitude, longitude, altitude: LOC_ALTITUDE_BASE + (below ? -cm : cm) }
  },
  toText(d: Loc) {
    const a = d.altitude - LOC_ALTITUDE_BASE, abs = Math.abs(a)
    return `${locAngleToText(d.latitude, 'N', 'S')} ${locAngleToText(d.longitude, 'E', 'W')} ${a < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}m ` +
      `${locPrecisionToText(d.size)} ${locPrecisionToText(d.horizPre)} ${locPrecisionToText(d.vertPre)}`
  },
}

// ---- CERT (RFC 4398) ------------------------------------------------------------

/** CERT certificate types (RFC 4398 §2.1). */
export const CertType = { PKIX: 1, SPKI: 2, PGP: 3, IPKIX: 4, ISPKI: 5, IPGP: 6, ACPKIX: 7, IACPKIX: 8, URI: 253, OID: 254 } as const
const certTypeNames = new Map<number, string>(Object.entries(CertType).map(([k, v]) => [v, k]))
// Algorithm mnemonics as BIND prints them (dns_secalg_totext).
const SECALG_NAMES = new Map<number, string>([
  [1, 'RSAMD5'], [2, 'DH'], [3, 'DSA'], [5, 'RSASHA1'], [6, 'NSEC3DSA'], [7, 'NSEC3RSASHA1'], [8, 'RSASHA256'],
  [10, 'RSASHA512'], [12, 'ECCGOST'], [13, 'ECDSAP256SHA256'], [14, 'ECDSAP384SHA384'], [15, 'ED25519'], [16, 'ED448'],
  [252, 'INDIRECT'], [253, 'PRIVATEDNS'], [254, 'PRIVATEOID'],
])
const SECALG_VALUES = new Map<string, number>([...SECALG_NAMES].map(([v, k]) => [k, v]))

const certCodec: Codec = {
  encode(w, d: Cert) { w.u16(d.certType); w.u16(d.keyTag); w.u8(d.algorithm); w.bytes(d.certificate) },
  decode(r) { r.need(5, 'CERT fields'); const certType = r.u16(), keyTag = r.u16(), algorithm = r.u8(); return { type: 37, certType, keyTag, algorithm, certificate: r.rest() } },
  fromText(c) {
    const ts = c.next('certificate type')
    const certType = /^\d/.test(ts) ? parseUint(ts, 0xffff, 'CERT certificate type') : (CertType as Record<string, number>)[ts.toUpperCase()]
    if (certType === undefined) throw c.error(`unknown certificate type "${ts}"`)
    const keyTag = c.int('key tag', 0xffff)
    const as = c.next('algorithm')
    const alg = /^\d/.test(as) ? parseUint(as, 255, 'CERT algorithm') : SECALG_VALUES.get(as.toUpperCase()) ?? (DnssecAlgorithm as Record<string, number>)[as.toUpperCase().replace(/-/g, '_')]
    if (alg === undefined) throw c.error(`unknown algorithm "${as}"`)
    return { type: 37, certType, keyTag, algorithm: alg, certificate: fromBase64(c.joinRest('certificate', true), 'CERT certificate') }
  },
  toText(d: Cert) {
    return `${certTypeNames.get(d.certType) ?? d.certType} ${d.keyTag} ${SECALG_NAMES.get(d.algorithm) ?? d.algorithm}${d.certificate.length ? ' ' + group(toBase64(d.certificate)) : ''}`
  },
}

// ---- APL (RFC 3123) ---------------------------------------------------------------

const APL_FAMILY_OCTETS: Record<number, number> = { 1: 4, 2: 16 }

const aplCodec: Codec = {
  encode(w, d: Apl) {
    for (const it of d.items) {
      checkUint(it.family, 0xffff, 'APL address family')
      checkUint(it.prefix, 255, 'APL prefix')
      if (it.afdPart.length > 127) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `APL AFDPART of ${it.afdPart.length} octets is over 127`, -1)
      w.u16(it.family); w.u8(it.prefix); w.u8((it.negation ? 0x80 : 0) | it.afdPart.length); w.bytes(it.afdPart)
    }
  },
  decode(r) {
    const items: AplItem[] = []
    while (r.pos < r.end) {
      const at = r.pos
      r.need(4, 'APL item')
      const family = r.u16(), prefix = r.u8(), nl = r.u8()
      const afdPart = r.bytes(nl & 0x7f, 'APL AFDPART')
      const max = APL_FAMILY_OCTETS[family]
      if (max !== undefined && (afdPart.length > max || prefix > max * 8)) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `APL item at offset ${at}: family ${family} allows ${max} address octets and prefix ${max * 8}, got ${afdPart.length} and ${prefix}`, at)
      // RFC 3123 §4: trailing zero octets of the AFDPART MUST NOT be sent.
      if (afdPart.length > 0 && afdPart[afdPart.length - 1] === 0) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `APL item at offset ${at} has a trailing zero octet in its AFDPART`, at)
      items.push({ family, prefix, negation: (nl & 0x80) !== 0, afdPart })
    }
    return { type: 42, items }
  },
  fromText(c) {
    const items: AplItem[] = []
    while (c.more()) {
      const s = c.next('item')
      const m = /^(!?)(\d+):([^/]+)\/(\d+)$/.exec(s)
      if (m === null) throw c.error(`"${s}" is not [!]family:address/prefix`)
      const family = Number(m[2])
      const max = APL_FAMILY_OCTETS[family]
      if (max === undefined) throw c.error(`address family ${m[2]} is not 1 (IPv4) or 2 (IPv6)`)
      const prefix = Number(m[4])
      if (prefix > max * 8) throw c.error(`prefix /${m[4]} is over ${max * 8} for family ${family}`)
      const addr = family === 1 ? ipv4FromText(m[3]!) : ipv6FromText(m[3]!)
      let len = addr.length
      while (len > 0 && addr[len - 1] === 0) len--
      items.push({ family, prefix, negation: m[1] === '!', afdPart: addr.slice(0, len) })
    }
    return { type: 42, items }
  },
  toText(d: Apl) {
    // a family other than IPv4/IPv6 has no presentation format: the whole RDATA goes generic (RFC 3597 §5)
    if (d.items.some((it) => APL_FAMILY_OCTETS[it.family] === undefined)) return genericText(encodeRData(d))
    return d.items.map((it) => {
      const max = APL_FAMILY_OCTETS[it.family]!
      const full = new Uint8Array(max)
      full.set(it.afdPart.subarray(0, max))
      return `${it.negation ? '!' : ''}${it.family}:${it.family === 1 ? ipv4ToText(full) : ipv6ToText(full)}/${it.prefix}`
    }).join(' ')
  },
}

// ---- IPSECKEY (RFC 4025) -----------------------------------------------------------

const ipseckeyCodec: Codec = {
  encode(w, d: Ipseckey, m) {
    w.u8(d.precedence); w.u8(d.gatewayType); w.u8(d.algorithm)
    switch (d.gatewayType) {
      case 0: break
      case 1: w.ensure(4); ipv4FromText(d.gateway as string, w.buf, w.pos); w.pos += 4; break
      case 2: w.ensure(16); ipv6FromText(d.gateway as string, w.buf, w.pos); w.pos += 16; break
      // RFC 4025 §2.5: the gateway name is not compressed (and RFC 6840 §5.1 keeps its case).
      case 3: wName(w, d.gateway as Name, m, false, false); break
      default: throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `IPSECKEY gateway type ${d.gatewayType} is not 0..3`, -1)
    }
    w.bytes(d.publicKey)
  },
  decode(r) {
    r.need(3, 'IPSECKEY fields')
    const at = r.pos
    const precedence = r.u8(), gatewayType = r.u8(), algorithm = r.u8()
    let gateway: string | Name | null
    switch (gatewayType) {
      case 0: gateway = null; break
      case 1: r.need(4, 'IPSECKEY IPv4 gateway'); gateway = ipv4ToText(r.buf, r.pos); r.pos += 4; break
      case 2: r.need(16, 'IPSECKEY IPv6 gateway'); gateway = ipv6ToText(r.buf, r.pos); r.pos += 16; break
      case 3: gateway = r.name(false, 'IPSECKEY gateway'); break
      default: throw new WireFormatError('ERR_WIRE_BAD_RDATA', `IPSECKEY gateway type ${gatewayType} at offset ${at + 1} is not 0..3`, at + 1)
    }
    return { type: 45, precedence, gatewayType, algorithm, gateway, publicKey: r.rest() }
  },
  fromText(c, origin) {
    const precedence = c.int('precedence', 255), gatewayType = c.int('gateway type', 255), algorithm = c.int('algorithm', 255)
    let gateway: string | Name | null
    switch (gatewayType) {
      case 0: {
        const s = c.next('gateway')
        if (s !== '.') throw c.error(`gateway type 0 needs "." as the gateway, got "${s}"`)
        gateway = null
        break
      }
      case 1: gateway = ipv4ToText(ipv4FromText(c.next('gateway'))); break
      case 2: gateway = ipv6ToText(ipv6FromText(c.next('gateway'))); break
      case 3: gateway = textName(c, 'gateway', origin); break
      default: throw c.error(`gateway type ${gatewayType} is not 0..3`)
    }
    return { type: 45, precedence, gatewayType, algorithm, gateway, publicKey: fromBase64(c.joinRest('public key', true), 'IPSECKEY public key') }
  },
  toText(d: Ipseckey) {
    const gw = d.gateway === null ? '.' : String(d.gateway)
    return `${d.precedence} ${d.gatewayType} ${d.algorithm} ${gw}${d.publicKey.length ? ' ' + group(toBase64(d.publicKey)) : ''}`
  },
}

// ---- HIP (RFC 8005) -----------------------------------------------------------------

const hipCodec: Codec = {
  encode(w, d: Hip, m) {
    if (d.hit.length === 0 || d.hit.length > 255) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `HIP HIT of ${d.hit.length} octets is not 1..255`, -1)
    if (d.publicKey.length === 0 || d.publicKey.length > 0xffff) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `HIP public key of ${d.publicKey.length} octets is not 1..65535`, -1)
    w.u8(d.hit.length); w.u8(d.pkAlgorithm); w.u16(d.publicKey.length); w.bytes(d.hit); w.bytes(d.publicKey)
    // RFC 8005 §3: rendezvous server names are not compressed.
    for (const n of d.rendezvousServers) wName(w, n, m, false, false)
  },
  decode(r) {
    r.need(4, 'HIP fields')
    const at = r.pos
    const hitLen = r.u8(), pkAlgorithm = r.u8(), pkLen = r.u16()
    if (hitLen === 0 || pkLen === 0) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `HIP at offset ${at} has an empty ${hitLen === 0 ? 'HIT' : 'public key'}`, at)
    const hit = r.bytes(hitLen, 'HIP HIT'), publicKey = r.bytes(pkLen, 'HIP public key')
    const rendezvousServers: Name[] = []
    while (r.pos < r.end) rendezvousServers.push(r.name(false, 'HIP rendezvous server'))
    return { type: 55, pkAlgorithm, hit, publicKey, rendezvousServers }
  },
  fromText(c, origin) {
    const pkAlgorithm = c.int('PK algorithm', 255)
    const hit = fromHex(c.next('HIT'), 'HIP HIT')
    if (hit.length === 0 || hit.length > 255) throw c.error(`HIT of ${hit.length} octets is not 1..255`)
    const publicKey = fromBase64(c.next('public key'), 'HIP public key')
    if (publicKey.length === 0) throw c.error('empty public key')
    const rendezvousServers: Name[] = []
    while (c.more()) rendezvousServers.push(textName(c, 'rendezvous server', origin))
    return { type: 55, pkAlgorithm, hit, publicKey, rendezvousServers }
  },
  toText(d: Hip) {
    // BIND prints the key as one token (the names follow it).
    return `${d.pkAlgorithm} ${toHex(d.hit)} ${toBase64(d.publicKey)}${d.rendezvousServers.map((n) => ' ' + n.toString()).join('')}`
  },
}

// ---- SVCB / HTTPS (RFC 9460) --------------------------------------------------

/** SvcParamKey names (RFC 9460 §14.3.2). */
export const SvcParamKey = {
  mandatory: 0, alpn: 1, 'no-default-alpn': 2, port: 3, ipv4hint: 4, ech: 5, ipv6hint: 6,
} as const
const svcKeyNames = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint']

/**
 * SvcParamKey text: a name for keys 0..6, else `keyNNNNN` (RFC 9460 §2.1).
 * @param key the key number
 */
export function svcParamKeyToString(key: number): string {
  return svcKeyNames[key] ?? `key${key}`
}

/**
 * SvcParamKey from text.
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT
 */
export function svcParamKeyFromString(s: string): number {
  const i = svcKeyNames.indexOf(s.toLowerCase())
  if (i >= 0) return i
  // RFC 9461 §5: dohpath is key 7 (BIND 9.18 prints it as key7, and so do we)
  if (s.toLowerCase() === 'dohpath') return 7
  if (s.length > 3 && s.slice(0, 3).toLowerCase() === 'key') {
    const v = parseUint(s.slice(3), 65535, 'SvcParamKey')
    // RFC 9460 §14.3.2: 65535 is the "Invalid key".
    if (v === 65535) throw new WireFormatError('ERR_WIRE_BAD_TEXT', 'SvcParamKey key65535 is reserved', -1)
    return v
  }
  throw new WireFormatError('ERR_WIRE_BAD_TEXT', `Unknown SvcParamKey "${s}"`, -1)
}

/** Check one SvcParam value against its key's wire format (RFC 9460 §7). */
function svcValueProblem(key: number, v: Uint8Array): string | null {
  switch (key) {
    case 0: {
      if (v.length === 0 || v.length % 2) return 'mandatory needs a non-empty list of 16-bit keys'
      let last = -1
      for (let i = 0; i < v.length; i += 2) {
        const k = (v[i]! << 8) | v[i + 1]!
        if (k <= last) return 'mandatory keys must increase'
        if (k === 0) return 'mandatory must not list itself'
        last = k
      }
      return null
    }
    case 1: {
      if (v.length === 0) return 'alpn needs at least one protocol'
      for (let p = 0; p < v.length; p += 1 + v[p]!) {
        if (v[p] === 0) return 'alpn protocol ids are not empty'
        if (p + 1 + v[p]! > v.length) return 'alpn protocol id runs past the value'
      }
      return null
    }
    case 2: return v.length === 0 ? null : 'no-default-alpn takes no value'
    case 3: return v.length === 2 ? null : 'port is two octets'
    case 4: return v.length > 0 && v.length % 4 === 0 ? null : 'ipv4hint needs one or more 4-octet addresses'
    case 6: return v.length > 0 && v.length % 16 === 0 ? null : 'ipv6hint needs one or more 16-octet addresses'
    case 65535: return 'key65535 is reserved'
    default: return null
  }
}

function escapeListItem(b: Uint8Array): string {
  // value-list (RFC 9460 Appendix A.1): ',' and '\' escaped once for the list,
  // then quoteString-style escaping for the character-string.
  let s = ''
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!
    if (c === 0x2c) s += '\\\\,'
    else if (c === 0x5c) s += '\\\\\\\\'
    else if (c === 0x22) s += '\\"'
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c)
    else s += '\\' + (c < 10 ? '00' : c < 100 ? '0' : '') + c
  }
  return s
}

function svcValueText(key: number, v: Uint8Array): string {
  switch (key) {
    case 0: {
      const out: string[] = []
      for (let i = 0; i < v.length; i += 2) out.push(svcParamKeyToString((v[i]! << 8) | v[i + 1]!))
      return out.join(',')
    }
    case 1: {
      const out: string[] = []
      for (let p = 0; p < v.length; p += 1 + v[p]!) out.push(escapeListItem(v.subarray(p + 1, p + 1 + v[p]!)))
      return `"${out.join(',')}"`
    }
    case 3: return String((v[0]! << 8) | v[1]!)
    case 4: {
      const out: string[] = []
      for (let i = 0; i < v.length; i += 4) out.push(ipv4ToText(v, i))
      return out.join(',')
    }
    case 5: return toBase64(v)
    case 6: {
      const out: string[] = []
      for (let i = 0; i < v.length; i += 16) out.push(ipv6ToText(v, i))
      return out.join(',')
    }
    default: return quoteString(v)
  }
}

function splitList(b: Uint8Array): Uint8Array[] {
  const items: Uint8Array[] = []
  let cur: number[] = []
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!
    if (c === 0x5c && i + 1 < b.length) { cur.push(b[++i]!); continue }
    if (c === 0x2c) { items.push(Uint8Array.from(cur)); cur = []; continue }
    cur.push(c)
  }
  items.push(Uint8Array.from(cur))
  return items
}

function svcValueFromText(key: number, text: string | null, c: TokenCursor): Uint8Array {
  const name = svcParamKeyToString(key)
  if (text === null) {
    if (key === 2 || key > 6) return new Uint8Array(0)
    throw c.error(`${name} needs a value`)
  }
  if (key === 2) throw c.error('no-default-alpn takes no value')
  switch (key) {
    case 0: {
      const keys = text.split(',').map((k) => svcParamKeyFromString(k)).sort((a, b) => a - b)
      const out = new Uint8Array(keys.length * 2)
      keys.forEach((k, i) => { out[2 * i] = k >> 8; out[2 * i + 1] = k & 0xff })
      return out
    }
    case 1: {
      const items = splitList(unescapeText(text, 'SVCB alpn'))
      const parts: number[] = []
      for (const it of items) {
        if (it.length === 0 || it.length > 255) throw c.error('alpn protocol ids must be 1..255 octets')
        parts.push(it.length, ...it)
      }
      return Uint8Array.from(parts)
    }
    case 3: { const p = parseUint(text, 0xffff, 'SVCB port'); return Uint8Array.of(p >> 8, p & 0xff) }
    case 4: {
      const addrs = text.split(',')
      const out = new Uint8Array(addrs.length * 4)
      addrs.forEach((a, i) => ipv4FromText(a, out, 4 * i))
      return out
    }
    case 5: return fromBase64(text, 'SVCB ech')
    case 6: {
      const addrs = text.split(',')
      const out = new Uint8Array(addrs.length * 16)
      addrs.forEach((a, i) => ipv6FromText(a, out, 16 * i))
      return out
    }
    default: return unescapeText(text, `SVCB ${name}`)
  }
}

function svcbCodec(type: number): Codec {
  const name = rrTypeToString(type)
  const whatPriority = `${name} priority`, whatTarget = `${name} target`
  const whatHeader = `${name} SvcParam header`, whatValue = `${name} SvcParamValue`
  return {
    encode(w, d: Svcb) {
      w.u16(d.priority)
      // RFC 9460 §2.2: the target name is never compressed or lowercased.
      w.bytes(d.target.wire)
      let last = -1
      for (const p of d.params) {
        if (p.key <= last) throw new WireFormatError('ERR_WIRE_VALUE_RANGE', `${name} SvcParamKeys must increase (${p.key} after ${last})`, -1)
        last = p.key
        checkUint(p.value.length, 0xffff, `${name} SvcParamValue length`)
        w.u16(p.key); w.u16(p.value.length); w.bytes(p.value)
      }
    },
    decode(r) {
      const priority = r.u16(whatPriority)
      const target = r.name(false, whatTarget)
      const params: SvcParam[] = []
      let last = -1
      while (r.pos < r.end) {
        const at = r.pos
        r.need(4, whatHeader)
        const key = r.u16(), len = r.u16()
        // RFC 9460 §2.2: SvcParamKeys SHALL appear in strictly increasing order.
        if (key <= last) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `${name} SvcParamKey ${key} at offset ${at} does not increase (after ${last})`, at)
        last = key
        const value = r.bytes(len, whatValue)
        const problem = svcValueProblem(key, value)
        if (problem !== null) throw new WireFormatError('ERR_WIRE_BAD_RDATA', `${name} ${problem} (offset ${at})`, at)
        params.push({ key, value })
      }
      return { type, priority, target, params } as Svcb
    },
    fromText(c, origin) {
      const priority = c.int('priority', 0xffff)
      const target = textName(c, 'target', origin)
      const params: SvcParam[] = []
      while (c.more()) {
        const tok = c.token('SvcParam')
        const eq = tok.value.indexOf('=')
        const keyText = eq < 0 ? tok.value : tok.value.slice(0, eq)
        let valueText: string | null = eq < 0 ? null : tok.value.slice(eq + 1)
        if (valueText !== null && valueText.length >= 2 && valueText.startsWith('"') && valueText.endsWith('"')) valueText = valueText.slice(1, -1)
        else if (valueText === '' && c.more() && c.tokens[c.i]!.quoted) valueText = c.next('SvcParamValue')
        let key: number
        try { key = svcParamKeyFromString(keyText) } catch (e) { throw c.error((e as Error).message) }
        const value = svcValueFromText(key, valueText, c)
        const problem = svcValueProblem(key, value)
        if (problem !== null) throw c.error(problem)
        if (params.some((p) => p.key === key)) throw c.error(`${keyText} appears twice`)
        params.push({ key, value })
      }
      params.sort((a, b) => a.key - b.key)
      // RFC 9460 §8: every key listed in mandatory has to be present.
      const mand = params.find((p) => p.key === 0)
      if (mand) {
        for (let i = 0; i < mand.value.length; i += 2) {
          const k = (mand.value[i]! << 8) | mand.value[i + 1]!
          if (!params.some((p) => p.key === k)) throw c.error(`mandatory lists ${svcParamKeyToString(k)}, which is missing`)
        }
      }
      return { type, priority, target, params } as unknown as Svcb
    },
    toText(d: Svcb) {
      let s = `${d.priority} ${d.target}`
      for (const p of d.params) {
        s += ' ' + svcParamKeyToString(p.key)
        if (p.key === 2 || (p.key > 6 && p.value.length === 0)) continue
        s += '=' + svcValueText(p.key, p.value)
      }
      return s
    },
  }
}

// ---- registry -----------------------------------------------------------------

const codecs = new Map<number, Codec>([
  [RRType.A, aCodec],
  [RRType.NS, singleName(RRType.NS, 'nsdname', true, true, (nsdname) => ({ type: 2, nsdname }))],
  [RRType.CNAME, singleName(RRType.CNAME, 'target', true, true, (target) => ({ type: 5, target }))],
  [RRType.SOA, soaCodec],
  [RRType.PTR, singleName(RRType.PTR, 'ptrdname', true, true, (ptrdname) => ({ type: 12, ptrdname }))],
  [RRType.HINFO, hinfoCodec],
  [RRType.MX, mxCodec],
  [RRType.TXT, txtCodec(RRType.TXT)],
  [RRType.AAAA, aaaaCodec],
  [RRType.SRV, srvCodec],
  [RRType.NAPTR, naptrCodec],
  // RFC 6672 §2.5: the DNAME target is never compressed.
  [RRType.DNAME, singleName(RRType.DNAME, 'target', false, false, (target) => ({ type: 39, target }))],
  [RRType.OPT, optCodec],
  [RRType.DS, dsCodec(RRType.DS)],
  [RRType.SSHFP, sshfpCodec],
  [RRType.RRSIG, rrsigCodec],
  [RRType.NSEC, nsecCodec],
  [RRType.DNSKEY, dnskeyCodec(RRType.DNSKEY)],
  [RRType.NSEC3, nsec3Codec],
  [RRType.NSEC3PARAM, nsec3ParamCodec],
  [RRType.TLSA, tlsaCodec(RRType.TLSA)],
  [RRType.SMIMEA, tlsaCodec(RRType.SMIMEA)],
  [RRType.CDS, dsCodec(RRType.CDS)],
  [RRType.CDNSKEY, dnskeyCodec(RRType.CDNSKEY)],
  [RRType.ZONEMD, zonemdCodec],
  [RRType.SVCB, svcbCodec(RRType.SVCB)],
  [RRType.HTTPS, svcbCodec(RRType.HTTPS)],
  [RRType.SPF, txtCodec(RRType.SPF)],
  [RRType.CAA, caaCodec],
  [RRType.RP, rpCodec],
  [RRType.AFSDB, u16Name(RRType.AFSDB, 'subtype', 'hostname', true, (subtype, hostname) => ({ type: 18, subtype, hostname }))],
  [RRType.KX, u16Name(RRType.KX, 'preference', 'exchanger', false, (preference, exchanger) => ({ type: 36, preference, exchanger }))],
  [RRType.LP, u16Name(RRType.LP, 'preference', 'fqdn', false, (preference, fqdn) => ({ type: 107, preference, fqdn }))],
  [RRType.URI, uriCodec],
  [RRType.OPENPGPKEY, base64Codec(RRType.OPENPGPKEY, 'publicKey', (publicKey) => ({ type: 61, publicKey }))],
  [RRType.DHCID, base64Codec(RRType.DHCID, 'digest', (digest) => ({ type: 49, digest }))],
  [RRType.CSYNC, csyncCodec],
  [RRType.TA, dsCodec(RRType.TA)],
  [RRType.DLV, dsCodec(RRType.DLV)],
  [RRType.EUI48, euiCodec(RRType.EUI48, 6)],
  [RRType.EUI64, euiCodec(RRType.EUI64, 8)],
  [RRType.NID, ilnp64(RRType.NID, 'nodeId', (preference, nodeId) => ({ type: 104, preference, nodeId }))],
  [RRType.L32, l32Codec],
  [RRType.LOC, locCodec],
  [RRType.CERT, certCodec],
  [RRType.APL, aplCodec],
  [RRType.IPSECKEY, ipseckeyCodec],
  [RRType.HIP, hipCodec],
  [RRType.L64, ilnp64(RRType.L64, 'locator64', (preference, locator64) => ({ type: 106, preference, locator64 }))],
])

/** Types whose names RFC 4034 §6.2 (as amended by RFC 6840 §5.1) lowercases; the ones we type. */
const DNAME_LOWERCASED = new Set<number>([2, 5, 6, 12, 15, 17, 18, 33, 35, 36, 39, 46])

/**
 * True when `type` has a typed codec here (otherwise it travels as {@link Unknown}).
 * @param type the RR type
 */
export function hasTypedRData(type: number): boolean {
  return codecs.has(type)
}

/**
 * True when the RDATA is the RFC 3597 generic form.
 * @param d any RDATA
 */
export function isUnknown(d: RData): d is Unknown {
  return (d as Unknown).data !== undefined
}

function codecFor(d: RData): Codec | undefined {
  if ((d as Unknown).data !== undefined) return undefined
  return codecs.get(d.type)
}

/**
 * Write RDATA (no RDLENGTH) into a writer.
 * @param w the writer
 * @param d the RDATA
 * @param how 0 = uncompressed, 1 = compress where RFC 3597 §4 allows, 2 = canonical (RFC 4034 §6.2)
 * @throws {WireFormatError} ERR_WIRE_VALUE_RANGE, ERR_WIRE_BAD_TEXT (bad address text)
 */
export function writeRData(w: WireWriter, d: RData, how: 0 | 1 | 2): void {
  const c = codecFor(d)
  if (c === undefined) {
    w.bytes((d as Unknown).data)
    return
  }
  c.encode(w, d, how)
}

/**
 * Encode RDATA uncompressed.
 * @param data typed or unknown RDATA
 * @returns a new array
 * @throws {WireFormatError} ERR_WIRE_VALUE_RANGE
 * @example encodeRData({ type: 1, address: '192.0.2.1' }) // Uint8Array [192, 0, 2, 1]
 */
export function encodeRData(data: RData): Uint8Array {
  return encodeWith(data, enum_PLAIN)
}

// One writer reused by encodeRData/canonicalRData/validation: a WireWriter and its buffer
// per call were a large share of a zone load's allocations. `scratchBusy` guards against
// a codec that encodes other RDATA while the scratch writer is in use.
const scratchWriter = new WireWriter(512)
let scratchBusy = false

function encodeWith(data: RData, mode: number): Uint8Array {
  if (scratchBusy) {
    const w = new WireWriter(64)
    writeRData(w, data, mode as 0 | 2)
    return w.finish()
  }
  scratchBusy = true
  const w = scratchWriter
  try {
    w.reset(false)
    writeRData(w, data, mode as 0 | 2)
    return w.buf.slice(0, w.pos)
  } finally {
    scratchBusy = false
  }
}

/** Encode into the scratch writer only to see that it encodes (ranges, lengths). */
function checkEncodes(data: RData): void {
  if (scratchBusy) { encodeWith(data, enum_PLAIN); return }
  scratchBusy = true
  try {
    scratchWriter.reset(false)
    writeRData(scratchWriter, data, enum_PLAIN)
  } finally {
    scratchBusy = false
  }
}

// Types whose fromText already checks everything their encoder would (addresses, names,
// integer ranges, character-string lengths): encoding them again only to validate is
// redundant, so rdataFromText skips it for these.
const SELF_VALIDATING = new Set<number>([
  RRType.A, RRType.NS, RRType.CNAME, RRType.PTR, RRType.DNAME, RRType.MX, RRType.TXT,
  RRType.SPF, RRType.AAAA, RRType.HINFO, RRType.DS, RRType.CDS,
])

/**
 * Canonical RDATA for signing: uncompressed, and names lowercased only for the
 * types RFC 4034 §6.2 lists as amended by RFC 6840 §5.1 (NSEC's next name is not).
 * @param data typed or unknown RDATA
 * @throws {WireFormatError} ERR_WIRE_VALUE_RANGE
 */
export function canonicalRData(data: RData): Uint8Array {
  return encodeWith(data, DNAME_LOWERCASED.has(data.type) ? enum_CANONICAL : enum_PLAIN)
}

/**
 * Decode RDATA from a reader whose `end` is the RDATA end; consumes exactly it.
 * @param r reader positioned at the RDATA
 * @param type the RR type
 * @throws {WireFormatError} ERR_WIRE_RDLENGTH and the codec's errors
 */
export function readRData(r: WireReader, type: number): RData {
  const c = codecs.get(type)
  if (c === undefined) return { type, data: r.rest() }
  const start = r.pos
  let d: RData
  try {
    d = c.decode(r, type)
  } catch (e) {
    // r.end is the RDATA end, so a read past it means RDLENGTH is too short for the type.
    if (e instanceof WireFormatError && e.code === 'ERR_WIRE_TRUNCATED') {
      throw new WireFormatError('ERR_WIRE_RDLENGTH', `RDLENGTH ${r.end - start} of the ${rrTypeToString(type)} RDATA at offset ${start} is too short: ${e.message}`, e.offset)
    }
    throw e
  }
  // RFC 1035 §4.1.3: RDLENGTH is the length of RDATA, exactly.
  if (r.pos !== r.end) {
    throw new WireFormatError('ERR_WIRE_RDLENGTH', `RDLENGTH ${r.end - start} of the ${rrTypeToString(type)} RDATA at offset ${start} is longer than its contents (${r.pos - start} octets)`, start)
  }
  return d
}

/**
 * Decode RDATA from a buffer. Names inside may not use compression pointers
 * (there is no packet to point into).
 * @param type the RR type
 * @param buf the bytes
 * @param offset RDATA start (default 0)
 * @param length RDATA length (default: to the end)
 * @throws {WireFormatError} ERR_WIRE_TRUNCATED, ERR_WIRE_RDLENGTH, ERR_WIRE_BAD_RDATA, ERR_WIRE_BAD_POINTER
 */
export function decodeRData(type: number, buf: Uint8Array, offset = 0, length = buf.length - offset): RData {
  if (offset < 0 || length < 0 || offset + length > buf.length) {
    throw new WireFormatError('ERR_WIRE_TRUNCATED', `RDATA at offset ${offset} of ${length} octets runs past the buffer (${buf.length})`, offset)
  }
  return readRData(new WireReader(buf, offset, offset + length), type)
}

function genericText(b: Uint8Array): string {
  return b.length === 0 ? '\\# 0' : `\\# ${b.length} ${group(toHex(b))}`
}

/**
 * RDATA in presentation format as BIND prints it (named-compilezone -D).
 * Types without a codec use RFC 3597 `\# len hex`.
 * @param data typed or unknown RDATA
 * @example rdataToText({ type: 15, preference: 10, exchange: Name.fromString('mx.test.') }) // '10 mx.test.'
 */
export function rdataToText(data: RData): string {
  const c = codecFor(data)
  if (c === undefined) {
    const raw = (data as Unknown).data
    const typed = codecs.get(data.type)
    if (typed !== undefined && data.type !== RRType.OPT) {
      // a known type held as octets prints typed, as BIND does
      try { return typed.toText(decodeRData(data.type, raw)) } catch { return genericText(raw) }
    }
    return genericText(raw)
  }
  return c.toText(data)
}

/**
 * RDATA from the zone lexer's tokens, including RFC 3597 `\# len hex` for any type.
 * @param type the RR type
 * @param tokens RDATA tokens, escapes kept, quotes removed
 * @param origin for relative names (null: names must be absolute)
 * @throws {WireFormatError} ERR_WIRE_BAD_TEXT, ERR_WIRE_RELATIVE_NAME, ERR_WIRE_BAD_ESCAPE, …
 * @example rdataFromText(RRType.MX, tokenize('10 mail'), Name.fromString('example.test.'))
 */
export function rdataFromText(type: number, tokens: readonly RDataToken[], origin: Name | null): RData {
  const what = rrTypeToString(type)
  const c = new TokenCursor(tokens, what)
  // RFC 3597 §5: the generic form works for every type, known or not.
  if (tokens.length > 0 && tokens[0]!.value === '\\#' && !tokens[0]!.quoted) {
    c.i = 1
    const len = c.int('generic length', 0xffff)
    const data = fromHex(c.joinRest('generic data', true), `${what} generic data`)
    if (data.length !== len) throw c.error(`\\# length ${len} does not match ${data.length} octets of data`)
    const codec = codecs.get(type)
    if (codec === undefined || type === RRType.OPT) return { type, data }
    return decodeRData(type, data)
  }
  const codec = codecs.get(type)
  if (codec === undefined) throw c.error(`no presentation format known for ${what}; use \\# (RFC 3597)`)
  const d = codec.fromText(c, origin ?? null, type)
  c.end()
  // the text has to encode (ranges, lengths) so errors show up at parse time
  if (!SELF_VALIDATING.has(type)) checkEncodes(d)
  return d
}

/**
 * Parse RDATA from one presentation string (convenience over {@link rdataFromText}).
 * @param type the RR type
 * @param text e.g. `10 mail.example.test.`
 * @param origin for relative names
 * @throws {WireFormatError} as {@link rdataFromText}
 */
export function rdataFromString(type: number, text: string, origin: Name | null = null): RData {
  return rdataFromText(type, tokenizeRData(text), origin)
}
