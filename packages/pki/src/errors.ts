/**
 * Coded errors of @secdns/pki. One code per failure, so callers can `switch (err.code)`
 * and tests can assert on it; the message says in plain words what was wrong.
 */

/** Every error code @secdns/pki throws. */
export type PkiErrorCode =
  | 'ERR_PKI_UNTRUSTED'
  | 'ERR_PKI_BAD_SIGNATURE'
  | 'ERR_PKI_EXPIRED'
  | 'ERR_PKI_NOT_YET_VALID'
  | 'ERR_PKI_REVOKED'
  | 'ERR_PKI_WRONG_PURPOSE'
  | 'ERR_PKI_NAME_MISMATCH'
  | 'ERR_PKI_NOT_CA'
  | 'ERR_PKI_PATH_LEN'
  | 'ERR_PKI_KEY_USAGE'
  | 'ERR_PKI_CRL_INVALID'
  | 'ERR_PKI_BAD_CSR'
  | 'ERR_PKI_BAD_CERTIFICATE'
  | 'ERR_PKI_UNKNOWN_CRITICAL_EXTENSION'
  | 'ERR_PKI_INVALID_PARAMS'
  | 'ERR_PKI_BAD_KEY'
  | 'ERR_PKI_BAD_PASSPHRASE'
  | 'ERR_PKI_BAD_PKCS12'
  | 'ERR_PKI_STORE_NOT_FOUND'
  | 'ERR_PKI_STORE_EXISTS'
  | 'ERR_PKI_STORE_CORRUPT'
  | 'ERR_PKI_STORE_LOCKED'
  | 'ERR_PKI_STORE_UNKNOWN_SERIAL'
  | 'ERR_PKI_STORE_ALREADY_REVOKED'
  | 'ERR_PKI_STORE_IO'

/**
 * The one error class of @secdns/pki.
 *
 * @example
 * try { await verifyCertificate(opts) } catch (e) {
 *   if (e instanceof PkiError && e.code === 'ERR_PKI_WRONG_PURPOSE') console.error(e.message)
 * }
 */
export class PkiError extends Error {
  /** Stable machine-readable code. */
  readonly code: PkiErrorCode

  /**
   * @param code one of {@link PkiErrorCode}
   * @param message what went wrong, for a person
   * @param options `cause`: the underlying error, when one was wrapped
   */
  constructor(code: PkiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'PkiError'
  }
}

/** Run `fn`; rethrow anything that is not already a PkiError as one with `code`. */
export async function wrapErrors<T>(code: PkiErrorCode, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    if (e instanceof PkiError) throw e
    throw new PkiError(code, `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}
