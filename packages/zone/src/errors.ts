/**
 * Errors of @secdns/zone: one coded class, one code per failure.
 *
 * Every error found while reading a master file carries the file, line and column it
 * was found at, and its message starts with `file:line:column: `.
 */
import { SecdnsError } from '@secdns/wire'

/** Stable codes for `switch (err.code)`. */
export type ZoneErrorCode =
  | 'ERR_ZONE_SYNTAX'
  | 'ERR_ZONE_UNTERMINATED_QUOTE'
  | 'ERR_ZONE_UNBALANCED_PARENS'
  | 'ERR_ZONE_BAD_ESCAPE'
  | 'ERR_ZONE_BAD_TTL'
  | 'ERR_ZONE_BAD_CLASS'
  | 'ERR_ZONE_CLASS_MISMATCH'
  | 'ERR_ZONE_UNKNOWN_TYPE'
  | 'ERR_ZONE_BAD_RDATA'
  | 'ERR_ZONE_BAD_NAME'
  | 'ERR_ZONE_NO_OWNER'
  | 'ERR_ZONE_NO_TTL'
  | 'ERR_ZONE_BAD_DIRECTIVE'
  | 'ERR_ZONE_BAD_GENERATE'
  | 'ERR_ZONE_INCLUDE_LOOP'
  | 'ERR_ZONE_INCLUDE_DEPTH'
  | 'ERR_ZONE_FILE'
  | 'ERR_ZONE_TOO_MANY_ERRORS'
  | 'ERR_ZONE_OUT_OF_ZONE'
  | 'ERR_ZONE_NO_SOA'
  | 'ERR_ZONE_MULTIPLE_SOA'
  | 'ERR_ZONE_SOA_NOT_AT_APEX'
  | 'ERR_ZONE_CNAME_AND_OTHER_DATA'
  | 'ERR_ZONE_MULTIPLE_CNAME'
  | 'ERR_ZONE_NO_NS_AT_APEX'
  | 'ERR_ZONE_MISSING_GLUE'
  | 'ERR_ZONE_NS_IS_CNAME'
  | 'ERR_ZONE_TTL_MISMATCH'
  | 'ERR_ZONE_TTL_TOO_LARGE'
  | 'ERR_ZONE_NO_TTL_DEFAULT'
  | 'ERR_ZONE_BAD_ORIGIN'
  | 'ERR_ZONE_META_TYPE'
  | 'ERR_ZONE_BAD_ENCODING'

/** Where a record or an error comes from: a file name (as given) and 1-based line and column. */
export interface SourceLocation {
  readonly file: string
  readonly line: number
  readonly column: number
}

/** `file:line:column` as compilers print it. */
export function formatLocation(loc: SourceLocation): string {
  // Line 0 means "the file as a whole" (it could not be opened, or the zone lacks something).
  if (loc.line === 0) return loc.file
  return `${loc.file}:${loc.line}:${loc.column}`
}

/**
 * An error in a master file or in a zone's contents, with its location.
 *
 * `message` is `file:line:column: reason`; `reason` is the bare text.
 *
 * @example
 * try { readZoneText('@ IN2 A 192.0.2.1', { origin }) } catch (e) { if (e instanceof ZoneError) console.log(e.code, e.line) }
 */
export class ZoneError extends SecdnsError {
  /** The location-free text of the message. */
  readonly reason: string
  declare readonly code: ZoneErrorCode
  readonly file: string
  readonly line: number
  readonly column: number

  /**
   * @param code one of {@link ZoneErrorCode}
   * @param reason what was wrong, e.g. `expected a TTL, class or type, got "IN2"`
   * @param loc where it was found
   * @param options `cause`, when it wraps another error (e.g. from @secdns/wire)
   */
  constructor(code: ZoneErrorCode, reason: string, loc: SourceLocation, options?: { cause?: unknown }) {
    super(code, `${formatLocation(loc)}: ${reason}`, options)
    this.name = 'ZoneError'
    this.reason = reason
    this.file = loc.file
    this.line = loc.line
    this.column = loc.column
  }
}

/** A warning: something BIND would load with a message (e.g. out-of-zone data it ignores). */
export interface ZoneWarning extends SourceLocation {
  readonly code: ZoneErrorCode
  /** `file:line:column: reason` */
  readonly message: string
  readonly reason: string
}

/** Build a {@link ZoneWarning}. */
export function zoneWarning(code: ZoneErrorCode, reason: string, loc: SourceLocation): ZoneWarning {
  return { code, reason, message: `${formatLocation(loc)}: ${reason}`, file: loc.file, line: loc.line, column: loc.column }
}
