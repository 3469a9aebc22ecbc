/**
 * IANA registries used on the wire: RR types, classes, opcodes, rcodes, EDNS
 * option codes. Registry objects with reverse lookups; no TS `enum`.
 */
import { WireFormatError } from './errors.js'

/** Resource record TYPE values (IANA "Resource Record (RR) TYPEs"), mnemonics as BIND 9.18 prints them. */
export const RRType = {
  A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, NULL: 10, WKS: 11,
  PTR: 12, HINFO: 13, MINFO: 14, MX: 15, TXT: 16, RP: 17, AFSDB: 18, X25: 19, ISDN: 20,
  RT: 21, NSAP: 22, 'NSAP-PTR': 23, SIG: 24, KEY: 25, PX: 26, GPOS: 27, AAAA: 28, LOC: 29,
  NXT: 30, EID: 31, NIMLOC: 32, SRV: 33, ATMA: 34, NAPTR: 35, KX: 36, CERT: 37, A6: 38,
  DNAME: 39, SINK: 40, OPT: 41, APL: 42, DS: 43, SSHFP: 44, IPSECKEY: 45, RRSIG: 46,
  NSEC: 47, DNSKEY: 48, DHCID: 49, NSEC3: 50, NSEC3PARAM: 51, TLSA: 52, SMIMEA: 53,
  HIP: 55, NINFO: 56, RKEY: 57, TALINK: 58, CDS: 59, CDNSKEY: 60, OPENPGPKEY: 61,
  CSYNC: 62, ZONEMD: 63, SVCB: 64, HTTPS: 65, SPF: 99, UINFO: 100, UID: 101, GID: 102,
  UNSPEC: 103, NID: 104, L32: 105, L64: 106, LP: 107, EUI48: 108, EUI64: 109, TKEY: 249,
  TSIG: 250, IXFR: 251, AXFR: 252, MAILB: 253, MAILA: 254, ANY: 255, URI: 256, CAA: 257,
  AVC: 258, DOA: 259, AMTRELAY: 260, RESINFO: 261, TA: 32768, DLV: 32769,
} as const

/** A mnemonic of {@link RRType}. */
export type RRTypeName = keyof typeof RRType

/** DNS CLASS values (RFC 1035 §3.2.4, RFC 2136 §2.4). */
export const RRClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const

/** Header OPCODE values (IANA "DNS OpCodes"). */
export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5, DSO: 6 } as const

/**
 * RCODE values, 12-bit with the EDNS extension (RFC 6891 §6.1.3). BADSIG shares
 * 16 with BADVERS (RFC 8945 §3: it only appears in TSIG).
 */
export const Rcode = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6,
  YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10, DSOTYPENI: 11, BADVERS: 16, BADSIG: 16,
  BADKEY: 17, BADTIME: 18, BADMODE: 19, BADNAME: 20, BADALG: 21, BADTRUNC: 22, BADCOOKIE: 23,
} as const

/** EDNS(0) option codes (IANA "DNS EDNS0 Option Codes"). */
export const EdnsOption = {
  LLQ: 1, UL: 2, NSID: 3, DAU: 5, DHU: 6, N3U: 7, CLIENT_SUBNET: 8, EXPIRE: 9, COOKIE: 10,
  TCP_KEEPALIVE: 11, PADDING: 12, CHAIN: 13, KEY_TAG: 14, EDE: 15, CLIENT_TAG: 16,
  SERVER_TAG: 17, REPORT_CHANNEL: 18, ZONEVERSION: 19,
} as const

/** DNSSEC algorithm numbers (IANA, RFC 8624). */
export const DnssecAlgorithm = {
  RSAMD5: 1, DH: 2, DSA: 3, RSASHA1: 5, DSA_NSEC3_SHA1: 6, RSASHA1_NSEC3_SHA1: 7,
  RSASHA256: 8, RSASHA512: 10, ECC_GOST: 12, ECDSAP256SHA256: 13, ECDSAP384SHA384: 14,
  ED25519: 15, ED448: 16, INDIRECT: 252, PRIVATEDNS: 253, PRIVATEOID: 254,
} as const

/** DS digest types (IANA). */
export const DigestType = { SHA1: 1, SHA256: 2, GOST: 3, SHA384: 4 } as const

function reverse(o: Record<string, number>, skip: readonly string[] = []): Map<number, string> {
  const m = new Map<number, string>()
  for (const [k, v] of Object.entries(o)) if (!skip.includes(k) && !m.has(v)) m.set(v, k)
  return m
}

const typeNames = reverse(RRType)
const typeValues = new Map<string, number>(Object.entries(RRType))
const classNames = reverse(RRClass)
const classValues = new Map<string, number>([...Object.entries(RRClass), ['CHAOS', 3], ['HESIOD', 4]])
const opcodeNames = reverse(Opcode)
const rcodeNames = reverse(Rcode)

function parseGeneric(s: string, prefix: string): number | undefined {
  if (s.length <= prefix.length || s.length > prefix.length + 5) return undefined
  if (s.slice(0, prefix.length).toUpperCase() !== prefix) return undefined
  let v = 0
  for (let i = prefix.length; i < s.length; i++) {
    const c = s.charCodeAt(i) - 0x30
    if (c < 0 || c > 9) return undefined
    v = v * 10 + c
  }
  return v <= 0xffff ? v : undefined
}

/**
 * Mnemonic of an RR type, or `TYPEnnn` (RFC 3597 §5) when it has none.
 * @param t the 16-bit TYPE
 * @example rrTypeToString(1) // 'A'; rrTypeToString(65280) // 'TYPE65280'
 */
export function rrTypeToString(t: number): string {
  return typeNames.get(t) ?? `TYPE${t}`
}

/**
 * RR type from its mnemonic (case-insensitive) or `TYPEnnn`.
 * @param s e.g. `aaaa`, `TYPE65280`
 * @throws {WireFormatError} ERR_WIRE_UNKNOWN_TYPE
 */
export function rrTypeFromString(s: string): number {
  const v = typeValues.get(s) ?? typeValues.get(s.toUpperCase()) ?? parseGeneric(s, 'TYPE')
  if (v === undefined) throw new WireFormatError('ERR_WIRE_UNKNOWN_TYPE', `Unknown RR type "${s}"`, -1)
  return v
}

/**
 * Mnemonic of a class, or `CLASSnnn` (RFC 3597 §5).
 * @param c the 16-bit CLASS
 */
export function rrClassToString(c: number): string {
  return classNames.get(c) ?? `CLASS${c}`
}

/**
 * Class from its mnemonic (case-insensitive) or `CLASSnnn`.
 * @param s e.g. `IN`, `CH`, `CLASS1`
 * @throws {WireFormatError} ERR_WIRE_UNKNOWN_CLASS
 */
export function rrClassFromString(s: string): number {
  const v = classValues.get(s.toUpperCase()) ?? parseGeneric(s, 'CLASS')
  if (v === undefined) throw new WireFormatError('ERR_WIRE_UNKNOWN_CLASS', `Unknown class "${s}"`, -1)
  return v
}

/**
 * True when `s` is a type mnemonic or `TYPEnnn` (for the zone reader's lookahead).
 * @param s a token
 */
export function isRRTypeString(s: string): boolean {
  return typeValues.has(s.toUpperCase()) || parseGeneric(s, 'TYPE') !== undefined
}

/**
 * True when `s` is a class mnemonic or `CLASSnnn`.
 * @param s a token
 */
export function isRRClassString(s: string): boolean {
  return classValues.has(s.toUpperCase()) || parseGeneric(s, 'CLASS') !== undefined
}

/**
 * Opcode mnemonic as dig prints it, or `RESERVEDn`.
 * @param o the 4-bit opcode
 */
export function opcodeToString(o: number): string {
  return opcodeNames.get(o) ?? `RESERVED${o}`
}

/**
 * Rcode mnemonic as dig prints it (16 is BADVERS), or `RESERVEDn`.
 * @param r the 12-bit rcode
 */
export function rcodeToString(r: number): string {
  return rcodeNames.get(r) ?? `RESERVED${r}`
}

/**
 * True for meta-types and QTYPEs that never appear in zone data
 * (RFC 6895 §3.1: OPT, TKEY, TSIG, IXFR, AXFR, MAILB, MAILA, ANY).
 * @param t the TYPE
 */
export function isMetaType(t: number): boolean {
  return t === 41 || (t >= 128 && t <= 255)
}
