/**
 * EDNS(0) (RFC 6891) and the options secdns understands: NSID (RFC 5001),
 * COOKIE (RFC 7873), PADDING (RFC 7830, RFC 8467) and Extended DNS Errors
 * (RFC 8914). Every option stays byte-exact in {@link Edns.options}; these
 * helpers build and read them.
 */
import { WireFormatError } from './errors.js'
import type { EdnsOptionData } from './rdata.js'
import { EdnsOption } from './types.js'

/** The OPT pseudo-RR of a message, taken out of the additional section. */
export interface Edns {
  /** Requestor's UDP payload size (the OPT CLASS), RFC 6891 §6.1.2. */
  udpSize: number
  /** EDNS version; only 0 is defined (RFC 6891 §6.1.3). */
  version: number
  /** The DO bit (RFC 3225). */
  dnssecOk: boolean
  /**
   * Upper 8 bits of the rcode (the top octet of the OPT TTL, RFC 6891 §6.1.3), always
   * filled by the decoder. Informational only: `Message.rcode` holds the full 12-bit
   * value and is what the encoder writes.
   */
  extendedRcode?: number
  /** The 15 other flag bits after DO, when any is set (kept for byte-exactness). */
  z?: number
  /** Options in wire order, byte-exact. */
  options: EdnsOptionData[]
}

/** Extended DNS Error INFO-CODEs (RFC 8914 §4, IANA). */
export const EdeCode = {
  OTHER: 0, UNSUPPORTED_DNSKEY_ALGORITHM: 1, UNSUPPORTED_DS_DIGEST_TYPE: 2, STALE_ANSWER: 3,
  FORGED_ANSWER: 4, DNSSEC_INDETERMINATE: 5, DNSSEC_BOGUS: 6, SIGNATURE_EXPIRED: 7,
  SIGNATURE_NOT_YET_VALID: 8, DNSKEY_MISSING: 9, RRSIGS_MISSING: 10, NO_ZONE_KEY_BIT_SET: 11,
  NSEC_MISSING: 12, CACHED_ERROR: 13, NOT_READY: 14, BLOCKED: 15, CENSORED: 16, FILTERED: 17,
  PROHIBITED: 18, STALE_NXDOMAIN_ANSWER: 19, NOT_AUTHORITATIVE: 20, NOT_SUPPORTED: 21,
  NO_REACHABLE_AUTHORITY: 22, NETWORK_ERROR: 23, INVALID_DATA: 24, SIGNATURE_EXPIRED_BEFORE_VALID: 25,
  TOO_EARLY: 26, UNSUPPORTED_NSEC3_ITERATIONS: 27, UNABLE_TO_CONFORM_TO_POLICY: 28, SYNTHESIZED: 29,
  INVALID_QUERY_TYPE: 30,
} as const

/** A decoded Extended DNS Error. */
export interface ExtendedError {
  /** INFO-CODE, see {@link EdeCode}. */
  infoCode: number
  /** EXTRA-TEXT, UTF-8 (may be empty). */
  extraText: string
}

/**
 * Check the options secdns understands when a message is decoded.
 * @param o the option
 * @param at byte offset of the option, for errors
 * @throws {WireFormatError} ERR_WIRE_BAD_OPT
 */
export function checkEdnsOption(o: EdnsOptionData, at: number): void {
  switch (o.code) {
    case EdnsOption.COOKIE: {
      // RFC 7873 §4: client cookie 8 octets, server cookie 8..32.
      const n = o.data.length
      if (n !== 8 && (n < 16 || n > 40)) throw new WireFormatError('ERR_WIRE_BAD_OPT', `COOKIE option at offset ${at} is ${n} octets; expected 8 or 16..40`, at)
      break
    }
    case EdnsOption.EDE:
      // RFC 8914 §2: at least the 16-bit INFO-CODE.
      if (o.data.length < 2) throw new WireFormatError('ERR_WIRE_BAD_OPT', `Extended DNS Error option at offset ${at} is ${o.data.length} octets; at least 2 needed`, at)
      break
    default:
      break
  }
}

/**
 * An NSID option (RFC 5001 §2.1): empty in a query, the server's id in a response.
 * @param id the server identifier octets (omit in queries)
 */
export function nsidOption(id: Uint8Array = new Uint8Array(0)): EdnsOptionData {
  return { code: EdnsOption.NSID, data: id }
}

/**
 * A COOKIE option (RFC 7873 §4).
 * @param client 8-octet client cookie
 * @param server optional 8..32-octet server cookie
 * @throws {WireFormatError} ERR_WIRE_BAD_OPT on wrong lengths
 */
export function cookieOption(client: Uint8Array, server?: Uint8Array): EdnsOptionData {
  if (client.length !== 8) throw new WireFormatError('ERR_WIRE_BAD_OPT', `Client cookie is ${client.length} octets; expected 8`, -1)
  if (server && (server.length < 8 || server.length > 32)) throw new WireFormatError('ERR_WIRE_BAD_OPT', `Server cookie is ${server.length} octets; expected 8..32`, -1)
  const data = new Uint8Array(8 + (server?.length ?? 0))
  data.set(client)
  if (server) data.set(server, 8)
  return { code: EdnsOption.COOKIE, data }
}

/**
 * Split a COOKIE option into its client and server parts.
 * @param o an option with code COOKIE
 * @throws {WireFormatError} ERR_WIRE_BAD_OPT
 */
export function parseCookieOption(o: EdnsOptionData): { client: Uint8Array, server?: Uint8Array } {
  checkEdnsOption(o, -1)
  if (o.code !== EdnsOption.COOKIE) throw new WireFormatError('ERR_WIRE_BAD_OPT', `Option ${o.code} is not COOKIE`, -1)
  return o.data.length === 8 ? { client: o.data.subarray(0, 8) } : { client: o.data.subarray(0, 8), server: o.data.subarray(8) }
}

/**
 * An Extended DNS Error option (RFC 8914 §2).
 * @param infoCode see {@link EdeCode}
 * @param extraText optional UTF-8 text for humans
 */
export function edeOption(infoCode: number, extraText = ''): EdnsOptionData {
  const text = Buffer.from(extraText, 'utf8')
  const data = new Uint8Array(2 + text.length)
  data[0] = infoCode >> 8
  data[1] = infoCode & 0xff
  data.set(text, 2)
  return { code: EdnsOption.EDE, data }
}

/**
 * Read an Extended DNS Error option.
 * @param o an option with code EDE
 * @throws {WireFormatError} ERR_WIRE_BAD_OPT
 */
export function parseEdeOption(o: EdnsOptionData): ExtendedError {
  if (o.code !== EdnsOption.EDE) throw new WireFormatError('ERR_WIRE_BAD_OPT', `Option ${o.code} is not EDE`, -1)
  checkEdnsOption(o, -1)
  return { infoCode: (o.data[0]! << 8) | o.data[1]!, extraText: Buffer.from(o.data.subarray(2)).toString('utf8') }
}

/**
 * A PADDING option of `length` zero octets (RFC 7830 §3).
 * @param length padding octets (the option adds 4 more)
 */
export function paddingOption(length: number): EdnsOptionData {
  return { code: EdnsOption.PADDING, data: new Uint8Array(length) }
}

/**
 * How many padding octets make a message of `size` octets (without a padding
 * option) a multiple of `block` once the 4-octet option header is added
 * (RFC 8467 §4.1: 128 for queries, 468 for responses).
 * @param size encoded message length without the padding option
 * @param block block size
 */
export function paddingLength(size: number, block: number): number {
  const rem = (size + 4) % block
  return rem === 0 ? 0 : block - rem
}
