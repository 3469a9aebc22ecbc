/**
 * Errors of @secdns/server: one coded class, one code per failure (STYLE.md §4).
 */
import { SecdnsError } from '@secdns/wire'

/** Stable codes for `switch (err.code)`. */
export type ServerErrorCode =
  | 'ERR_SERVER_CONFIG'          // the configuration does not validate (message names the field)
  | 'ERR_SERVER_CONFIG_READ'     // the configuration file cannot be read or is not JSON
  | 'ERR_SERVER_BIND'            // a listener could not bind; nothing was left open
  | 'ERR_SERVER_ZONE_LOAD'       // a zone file has errors; the old zone (if any) stays served
  | 'ERR_SERVER_UNKNOWN_ZONE'    // a reload or status names a zone the server does not serve
  | 'ERR_SERVER_ACL'             // an ACL entry does not parse
  | 'ERR_TSIG_FORMAT'            // a TSIG RR that is malformed or not last (RFC 8945 §5.1)
  | 'ERR_TSIG_BAD_KEY'           // an unknown key name or algorithm (BADKEY)
  | 'ERR_TSIG_BAD_SIG'           // the MAC does not verify (BADSIG)
  | 'ERR_TSIG_BAD_TIME'          // outside the fudge window (BADTIME)
  | 'ERR_TSIG_BAD_TRUNC'         // a truncated MAC shorter than allowed (BADTRUNC)

/**
 * A failure of the server agent: configuration, listeners, zones or TSIG.
 *
 * @example
 * try { loadConfig('server.json') } catch (e) {
 *   if (e instanceof ServerError && e.code === 'ERR_SERVER_CONFIG') console.error(e.message)
 * }
 */
export class ServerError extends SecdnsError {
  declare readonly code: ServerErrorCode

  /**
   * @param code one of {@link ServerErrorCode}
   * @param message what was wrong and where
   * @param options `cause` keeps a wrapped error
   */
  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
