// Public API of @secdns/wire: named re-exports only.
export { SecdnsError, WireFormatError, type WireErrorCode } from './errors.js'
export {
  MAX_LABEL_OCTETS, MAX_NAME_OCTETS, MAX_LABELS, MAX_UDP_PAYLOAD, MAX_MESSAGE_OCTETS, HEADER_OCTETS,
  MIN_QUESTION_OCTETS, MIN_RR_OCTETS, MAX_POINTER_OFFSET, MAX_POINTER_HOPS, MIN_EDNS_UDP_SIZE, MAX_CHARACTER_STRING,
} from './limits.js'
export { Name } from './name.js'
export {
  RRType, RRClass, Opcode, Rcode, EdnsOption, DnssecAlgorithm, DigestType, type RRTypeName,
  rrTypeToString, rrTypeFromString, rrClassToString, rrClassFromString, isRRTypeString, isRRClassString,
  opcodeToString, rcodeToString, isMetaType,
} from './types.js'
export { WireReader } from './reader.js'
export { WireWriter } from './writer.js'
export { encodeTypeBitmap, decodeTypeBitmap } from './bitmap.js'
export { ipv4ToText, ipv4FromText, ipv6ToText, ipv6FromText } from './ip.js'
export {
  type RDataToken, tokenize, toHex, fromHex, toBase64, fromBase64, toBase32Hex, fromBase32Hex,
  quoteString, unescapeText, timeToText, timeFromText, parseTtl,
} from './text.js'
export {
  type A, type Aaaa, type Ns, type Cname, type Ptr, type Dname, type Soa, type Mx, type Txt, type Spf,
  type Hinfo, type Srv, type Naptr, type Ds, type Cds, type Sshfp, type Rrsig, type Nsec, type Dnskey,
  type Cdnskey, type Nsec3, type Nsec3Param, type Tlsa, type Smimea, type SvcParam, type Svcb, type Https,
  type Caa, type Zonemd, type Rp, type Afsdb, type Kx, type Uri, type Openpgpkey, type Dhcid, type Csync,
  type Ta, type Dlv, type Eui48, type Eui64, type Nid, type L32, type L64, type Lp, type Loc, type Cert, type AplItem, type Apl, type Ipseckey, type Hip, type EdnsOptionData, type Opt, type Unknown, type RData, type ResourceRecord,
  SvcParamKey, CertType, svcParamKeyToString, svcParamKeyFromString, hasTypedRData, isUnknown, writeRData, readRData,
  encodeRData, decodeRData, canonicalRData, rdataToText, rdataFromText, rdataFromString,
} from './rdata.js'
export { canonicalRRsetOrder, canonicalRRWire, rrToText } from './canonical.js'
export {
  type Edns, type ExtendedError, EdeCode, checkEdnsOption, nsidOption, cookieOption, parseCookieOption,
  edeOption, parseEdeOption, paddingOption, paddingLength,
} from './edns.js'
export {
  type Flags, type Question, type Message, type Header, type EncodeOptions, type QueryOptions, NO_FLAGS,
  decodeHeader, decodeQuestionSection, decodeMessage, encodeMessage, createQuery,
} from './message.js'
export { frameTcp, TcpFrameReader } from './tcp.js'
export { messageToText } from './message_text.js'
export { rdataTextToWire } from './text_wire.js'
