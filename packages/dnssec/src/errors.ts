/**
 * Coded errors of @secdns/dnssec.
 *
 * Every failure has one stable `code` (for `switch (err.code)`), and a message that says
 * what was wrong and where (file name, record owner, key tag).
 */

/** The codes a {@link DnssecError} can carry. */
export type DnssecErrorCode =
  | 'ERR_DNSSEC_UNSUPPORTED_ALGORITHM'
  | 'ERR_DNSSEC_BAD_KEY_SIZE'
  | 'ERR_DNSSEC_BAD_PUBLIC_KEY'
  | 'ERR_DNSSEC_BAD_PRIVATE_KEY'
  | 'ERR_DNSSEC_KEY_MISMATCH'
  | 'ERR_DNSSEC_UNSUPPORTED_DIGEST'
  | 'ERR_DNSSEC_BAD_KEY_FILE'
  | 'ERR_DNSSEC_BAD_TIME'
  | 'ERR_DNSSEC_KEY_STORE'
  | 'ERR_DNSSEC_NO_KEYS'
  | 'ERR_DNSSEC_WRONG_ZONE'
  | 'ERR_DNSSEC_KEY_EXPIRED'
  | 'ERR_DNSSEC_MISSING_PRIVATE_KEY'
  | 'ERR_DNSSEC_NO_SOA'
  | 'ERR_DNSSEC_SIGN_FAILED'
  | 'ERR_DNSSEC_VERIFY_FAILED'
  | 'ERR_DNSSEC_BAD_SALT'
  | 'ERR_DNSSEC_ROLLOVER'
  | 'ERR_DNSSEC_REVOKE'
  | 'ERR_DNSSEC_WRITE_FAILED'

/**
 * The error class of @secdns/dnssec: one `code` per failure.
 *
 * @example
 * try { keyTagOf(dnskey) } catch (e) { if (e instanceof DnssecError && e.code === 'ERR_DNSSEC_BAD_PUBLIC_KEY') … }
 */
export class DnssecError extends Error {
  /** Stable machine-readable code. */
  readonly code: DnssecErrorCode
  /**
   * @param code one of {@link DnssecErrorCode}
   * @param message what was wrong and where
   * @param options `cause` keeps a wrapped third-party error
   */
  constructor(code: DnssecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = this.constructor.name
  }
}
