/**
 * Coded errors of @secdns/resolver (STYLE.md §4): one `code` per failure.
 *
 * Validation failures are never thrown: a Bogus answer is a result (STYLE.md §3).
 * These errors are for bad input (a trust-anchor file that does not parse, a bad
 * option) and for I/O that cannot go on.
 */
import { SecdnsError } from '@secdns/wire'

/** Every code a {@link ResolverError} can carry. */
export type ResolverErrorCode =
  | 'ERR_RESOLVER_ANCHOR_SYNTAX'     // TrustAnchors.dns, BIND or Unbound anchor text that does not parse
  | 'ERR_RESOLVER_ANCHOR_TYPE'       // a record in an anchor file that is neither DNSKEY nor DS
  | 'ERR_RESOLVER_ANCHOR_NOT_SEP'    // a DNSKEY anchor without the Zone Key bit
  | 'ERR_RESOLVER_ANCHOR_NOT_FOUND'  // remove matched nothing
  | 'ERR_RESOLVER_ANCHOR_FILE'       // the file cannot be read or written
  | 'ERR_RESOLVER_BAD_OPTION'        // an option out of range
  | 'ERR_RESOLVER_TIMEOUT'           // every server of a query timed out
  | 'ERR_RESOLVER_TRANSPORT'         // a socket error, or an answer that does not match the query
  | 'ERR_RESOLVER_LIMIT'             // a work limit (limits.ts) stopped a query

/**
 * The error class of @secdns/resolver.
 *
 * @example
 * try { TrustAnchors.parse(text, 'TrustAnchors.dns') } catch (e) {
 *   if (e instanceof ResolverError && e.code === 'ERR_RESOLVER_ANCHOR_SYNTAX') console.error(e.message)
 * }
 */
export class ResolverError extends SecdnsError {
  declare readonly code: ResolverErrorCode
  /**
   * @param code one of {@link ResolverErrorCode}
   * @param message what was wrong and where (file:line where it applies)
   * @param options `cause` keeps a wrapped error
   */
  constructor(code: ResolverErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
