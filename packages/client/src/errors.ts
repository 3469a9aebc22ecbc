/**
 * Coded errors of @secdns/client. A policy refusal is an error to the application,
 * never data: the caller switches on `code` (jose `src/util/errors.ts`, ws `WS_ERR_*`).
 */
import { SecdnsError } from '@secdns/wire'

/** Every code a {@link ClientError} can carry. */
export type ClientErrorCode =
  | 'ERR_CLIENT_NRPT_INVALID'        // the NRPT file does not validate (names the rule and field)
  | 'ERR_CLIENT_NRPT_FILE'           // the NRPT file cannot be read or written
  | 'ERR_CLIENT_NRPT_RULE_EXISTS'    // add: a rule of that name or namespace is already there
  | 'ERR_CLIENT_NRPT_NO_RULE'        // remove/show: no such rule
  | 'ERR_CLIENT_BAD_NAMESPACE'       // a namespace that is neither suffix, FQDN, `.` nor subnet
  | 'ERR_CLIENT_BAD_SERVER'          // a name server address that does not parse
  | 'ERR_CLIENT_BAD_QUERY'           // a query name or type that is not valid
  | 'ERR_CLIENT_NOT_VALIDATED'       // validation required and the answer came without AD
  | 'ERR_CLIENT_SERVFAIL'            // validation required and the server said SERVFAIL
  | 'ERR_CLIENT_CHANNEL_REFUSED'     // the protected channel could not be established as the rule demands
  | 'ERR_CLIENT_INSECURE_TRANSPORT'  // the rule requires a secure channel and the server is plain DNS
  | 'ERR_CLIENT_NO_DNSSEC'           // DO was set and validation required, but the server dropped EDNS/DO
  | 'ERR_CLIENT_TIMEOUT'             // no answer within the timeout
  | 'ERR_CLIENT_UNREACHABLE'         // connection refused, reset or closed before an answer
  | 'ERR_CLIENT_BAD_RESPONSE'        // an answer that does not decode or does not match the query
  | 'ERR_CLIENT_NO_SERVER'           // no name server to ask (no rule servers and no defaults)
  | 'ERR_CLIENT_CLOSED'              // the client was closed

/**
 * The one error class of @secdns/client.
 *
 * @example
 * try { await client.resolve('www.corp.example', 'A') } catch (e) {
 *   if (e instanceof ClientError && e.code === 'ERR_CLIENT_NOT_VALIDATED') showWarning()
 * }
 */
export class ClientError extends SecdnsError {
  declare readonly code: ClientErrorCode

  /**
   * @param code one of {@link ClientErrorCode}
   * @param message what was refused or failed, and where
   * @param options `cause` keeps the underlying error (a ChannelError for ERR_CLIENT_CHANNEL_REFUSED)
   */
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }

  /** The `code` of the wrapped error (the channel's code for ERR_CLIENT_CHANNEL_REFUSED). */
  get causeCode(): string | undefined {
    const c = this.cause as { code?: unknown } | undefined
    return c !== undefined && c !== null && typeof c.code === 'string' ? c.code : undefined
  }
}
