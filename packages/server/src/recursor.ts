/**
 * The interface recursion plugs into (implemented by `@secdns/resolver`): the server
 * hands it the question when no zone of ours covers the name, RD is set and the
 * recursion ACL allows the client.
 */
import type { Question, ResourceRecord } from '@secdns/wire'
import type { AnchorFilter, AnchorRecord, AnchorStatus, TrustAnchor } from '@secdns/resolver'

/**
 * The trust anchors of a running validating recursor, changed without a restart
 * (the admin API's `/trust-anchors` endpoints).
 */
export interface TrustAnchorAdmin {
  /** The anchors in use, in file order. */
  list(): TrustAnchor[]
  /**
   * Add anchors: written to the trust-anchor file first (atomically), then used at once.
   * @returns the records actually added (duplicates left out)
   */
  add(records: readonly ResourceRecord[]): Promise<AnchorRecord[]>
  /**
   * Remove anchors: written to the file first, then no longer used.
   * @returns the removed anchors (none: `ERR_RESOLVER_ANCHOR_NOT_FOUND`)
   */
  remove(filter: AnchorFilter): Promise<TrustAnchor[]>
  /**
   * How each anchored zone's DNSKEY RRset matched its anchor (a stale anchor is Bogus,
   * with both sets of key tags in `reason`); zones not checked yet are checked now.
   */
  status(): Promise<AnchorStatus[]>
}

/** What a recursor returns: the sections of the answer and the security status. */
export interface RecursionResult {
  readonly rcode: number
  readonly answer: readonly ResourceRecord[]
  readonly authority: readonly ResourceRecord[]
  readonly additional: readonly ResourceRecord[]
  /** True when the answer validated as Secure (sets AD, RFC 4035 §3.2.3). */
  readonly authenticated: boolean
  /** RFC 8914 INFO-CODE to report (Bogus, …), with a reason for the EXTRA-TEXT. */
  readonly ede?: { readonly infoCode: number, readonly text?: string }
  /**
   * Until when (seconds, on the recursor's clock) a response built from this result may
   * be sent again as it is ({@link Recursor.storeResponse}); absent when it must not be
   * (Bogus, SERVFAIL, CD, synthesized answers).
   */
  readonly expires?: number
}

/**
 * A recursive resolver the server can delegate to.
 *
 * @example
 * const server = new DnsServer(config, { recursor: { resolve: async (q, o) => myResolver.lookup(q, o) } })
 */
export interface Recursor {
  /**
   * Resolve one question.
   * @param question the question
   * @param opts DO and CD from the query
   */
  resolve(question: Question, opts: { readonly dnssecOk: boolean, readonly checkingDisabled: boolean }): Promise<RecursionResult>
  /**
   * The stored response to a warm plain query, patched for it (ID, RD, question case,
   * TTLs), or null: not stored, not a plain query, or larger than the UDP bound.
   * @param query the query as received
   * @param tcp it came over a stream (no UDP size limit)
   * @param maxUdpSize the server's EDNS UDP payload size
   * @param option an encoded EDNS option to put first in the response's OPT RDATA (our COOKIE)
   */
  respondCached?(query: Uint8Array, tcp: boolean, maxUdpSize: number, option?: Uint8Array): Uint8Array | null
  /**
   * Keep the response the server sent for a plain query, until `expires` of its
   * {@link RecursionResult}.
   * @param query the query as received
   * @param response the encoded response sent
   * @param expires {@link RecursionResult.expires}
   */
  storeResponse?(query: Uint8Array, response: Uint8Array, expires: number): void
  /** Forget every stored response (the zones we serve changed). */
  clearResponses?(): void
  /** Trust-anchor management, when the recursor validates from a trust-anchor file. */
  readonly anchors?: TrustAnchorAdmin
  /** Answers by security state (RFC 4035 §4.3: secure, insecure, bogus, indeterminate), for status. */
  readonly stats?: Readonly<Record<string, number>>
}
