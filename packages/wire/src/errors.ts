/**
 * Coded errors. One base class for every secdns package, one subclass per area
 * (jose `src/util/errors.ts`), one stable `code` per failure (ws `WS_ERR_*`).
 */

/** Every code a {@link WireFormatError} can carry. */
export type WireErrorCode =
  | 'ERR_WIRE_TRUNCATED'        // a read ran past the end of the buffer
  | 'ERR_WIRE_BAD_POINTER'      // compression pointer forward, to itself, or where none is allowed
  | 'ERR_WIRE_BAD_LABEL_TYPE'   // label type 0b10 (reserved)
  | 'ERR_WIRE_LABEL_TOO_LONG'   // a label over 63 octets
  | 'ERR_WIRE_NAME_TOO_LONG'    // a name over 255 octets
  | 'ERR_WIRE_EMPTY_LABEL'      // "a..b" in presentation format
  | 'ERR_WIRE_RELATIVE_NAME'    // a relative name with no origin
  | 'ERR_WIRE_BAD_ESCAPE'       // \DDD over 255, or a lone backslash
  | 'ERR_WIRE_RDLENGTH'         // RDLENGTH does not match the RDATA
  | 'ERR_WIRE_BAD_RDATA'        // RDATA content is invalid for its type
  | 'ERR_WIRE_COUNT'            // a section count larger than the bytes left can hold
  | 'ERR_WIRE_TRAILING_DATA'    // bytes after the last record
  | 'ERR_WIRE_BAD_OPT'          // OPT outside the additional section, two OPTs, OPT owner not root
  | 'ERR_WIRE_UNKNOWN_TYPE'     // a type mnemonic we do not know
  | 'ERR_WIRE_UNKNOWN_CLASS'    // a class mnemonic we do not know
  | 'ERR_WIRE_BAD_TEXT'         // RDATA presentation format that does not parse
  | 'ERR_WIRE_VALUE_RANGE'      // a field value out of range when encoding
  | 'ERR_WIRE_MESSAGE_TOO_LARGE' // an encoded message over 65535 octets
  | 'ERR_WIRE_FRAME'            // TCP framing error

/** Base class of every coded error in secdns. `code` is stable; switch on it. */
export class SecdnsError extends Error {
  /** Stable, machine-readable error code such as `ERR_WIRE_TRUNCATED`. */
  readonly code: string

  /**
   * @param code a stable `ERR_*` code
   * @param message what was wrong and where
   * @param options `cause` keeps a wrapped third-party error
   */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = this.constructor.name
  }
}

/**
 * A DNS message, name or RDATA that is not valid, in wire or presentation format.
 * `offset` is the byte offset in the buffer (wire) or the character offset in the
 * text (presentation), or -1 when no position applies.
 *
 * @example
 * try { decodeMessage(buf) } catch (e) {
 *   if (e instanceof WireFormatError && e.code === 'ERR_WIRE_BAD_POINTER') drop()
 * }
 */
export class WireFormatError extends SecdnsError {
  declare readonly code: WireErrorCode
  /** Byte offset in the buffer where the problem was found, or -1. */
  readonly offset: number

  /**
   * @param code one of {@link WireErrorCode}
   * @param message what was wrong, with the offset in words
   * @param offset byte offset, or -1
   */
  constructor(code: WireErrorCode, message: string, offset = -1, options?: { cause?: unknown }) {
    super(code, message, options)
    this.offset = offset
  }
}
