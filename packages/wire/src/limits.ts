/**
 * Every limit the wire codec enforces, as named exports. The decoder sets the
 * limits, not the caller (STYLE.md §5).
 */

/** RFC 1035 §2.3.4: labels are 63 octets or less. */
export const MAX_LABEL_OCTETS = 63
/** RFC 1035 §2.3.4: names are 255 octets or less, length octets included. */
export const MAX_NAME_OCTETS = 255
/** RFC 1035 §2.3.4 + §4.1.2: at most 127 labels fit in 255 octets (root label included). */
export const MAX_LABELS = 127
/** RFC 1035 §4.2.1: a message over UDP without EDNS is at most 512 octets. */
export const MAX_UDP_PAYLOAD = 512
/** RFC 1035 §4.2.2: TCP messages carry a 16-bit length, so no message exceeds this. */
export const MAX_MESSAGE_OCTETS = 65535
/** RFC 1035 §4.1.1: the fixed header size. */
export const HEADER_OCTETS = 12
/** RFC 1035 §4.1.2: the smallest question, root name (1) + QTYPE (2) + QCLASS (2). */
export const MIN_QUESTION_OCTETS = 5
/** RFC 1035 §4.1.3: the smallest RR, root name (1) + TYPE, CLASS, TTL, RDLENGTH (10). */
export const MIN_RR_OCTETS = 11
/** RFC 1035 §4.1.4: a pointer's 14-bit offset, so only names below this can be targets. */
export const MAX_POINTER_OFFSET = 0x3fff
/** RFC 6891 §6.1.2: below 512 is treated as 512. */
export const MIN_EDNS_UDP_SIZE = 512
/** RFC 1035 §3.3: a character-string holds at most 255 octets. */
export const MAX_CHARACTER_STRING = 255
/**
 * Most compression pointers followed in one name. Every sane pointer adds at
 * least one label and a name has at most 127, so longer chains are pointer-to-
 * pointer padding: a 64 KiB packet of them would cost ~0.5 s to decode.
 */
export const MAX_POINTER_HOPS = MAX_LABELS
