/**
 * Work limits of the resolver (STYLE.md §5). Every one is overridable through
 * {@link ResolverLimits} in the resolver options.
 */

/** Longest CNAME/DNAME chain followed for one query. */
export const MAX_CNAME_CHAIN = 12
/** Deepest chain of referrals followed from the root for one name. */
export const MAX_REFERRAL_DEPTH = 30
/** Upstream queries one client query may cause (iteration, DS/DNSKEY fetches, retries). */
export const MAX_QUERIES_PER_RESOLUTION = 100
/** Signature verifications one response may cost before it is Bogus (KeyTrap, CVE-2023-50387). */
export const MAX_SIGNATURE_CHECKS = 32
/** RFC 9276 §3.2: NSEC3 iterations above this make the answer Insecure. */
export const NSEC3_SOFT_ITERATION_LIMIT = 100
/** RFC 9276 §3.2: NSEC3 iterations above this make the answer Bogus. */
export const NSEC3_HARD_ITERATION_LIMIT = 500
/** Time to wait for one UDP or TCP answer, in milliseconds. */
export const QUERY_TIMEOUT_MS = 1500
/** Tries per server before the next server is asked. */
export const RETRIES_PER_SERVER = 2
/** Cache entries kept before the least recently used are evicted. */
export const MAX_CACHE_ENTRIES = 10_000
/** Memory bound of the cache: upstream messages count their wire size, other entries an estimate. */
export const MAX_CACHE_BYTES = 64 * 1024 * 1024
/** Upper bound on any cached TTL, in seconds (RFC 8767 §4 suggests a day-scale cap). */
export const MAX_CACHE_TTL = 86_400
/** RFC 2308 §5: negative answers are cached no longer than this (seconds). */
export const MAX_NEGATIVE_TTL = 10_800
/** How long a Bogus answer is remembered, in seconds (RFC 4035 §4.7 allows caching it briefly). */
export const BOGUS_TTL = 60

/** All limits, for overriding some of them in options. */
export interface ResolverLimits {
  readonly maxCnameChain: number
  readonly maxReferralDepth: number
  readonly maxQueriesPerResolution: number
  readonly maxSignatureChecks: number
  readonly nsec3SoftIterationLimit: number
  readonly nsec3HardIterationLimit: number
  readonly queryTimeoutMs: number
  readonly retriesPerServer: number
  readonly maxCacheEntries: number
  readonly maxCacheBytes: number
  readonly maxCacheTtl: number
  readonly maxNegativeTtl: number
  readonly bogusTtl: number
}

/** The default value of every limit. */
export const DEFAULT_LIMITS: ResolverLimits = {
  maxCnameChain: MAX_CNAME_CHAIN,
  maxReferralDepth: MAX_REFERRAL_DEPTH,
  maxQueriesPerResolution: MAX_QUERIES_PER_RESOLUTION,
  maxSignatureChecks: MAX_SIGNATURE_CHECKS,
  nsec3SoftIterationLimit: NSEC3_SOFT_ITERATION_LIMIT,
  nsec3HardIterationLimit: NSEC3_HARD_ITERATION_LIMIT,
  queryTimeoutMs: QUERY_TIMEOUT_MS,
  retriesPerServer: RETRIES_PER_SERVER,
  maxCacheEntries: MAX_CACHE_ENTRIES,
  maxCacheBytes: MAX_CACHE_BYTES,
  maxCacheTtl: MAX_CACHE_TTL,
  maxNegativeTtl: MAX_NEGATIVE_TTL,
  bogusTtl: BOGUS_TTL,
}

/**
 * The defaults with some limits overridden.
 *
 * @param overrides limits to change
 * @example
 * const limits = resolveLimits({ maxCnameChain: 4 })
 */
export function resolveLimits(overrides: Partial<ResolverLimits> = {}): ResolverLimits {
  return { ...DEFAULT_LIMITS, ...overrides }
}
