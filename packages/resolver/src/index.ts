// Public API of @secdns/resolver: named re-exports only.
export { ResolverError, type ResolverErrorCode } from './errors.js'
export {
  MAX_CNAME_CHAIN, MAX_REFERRAL_DEPTH, MAX_QUERIES_PER_RESOLUTION, MAX_SIGNATURE_CHECKS,
  NSEC3_SOFT_ITERATION_LIMIT, NSEC3_HARD_ITERATION_LIMIT, QUERY_TIMEOUT_MS, RETRIES_PER_SERVER,
  MAX_CACHE_ENTRIES, MAX_CACHE_BYTES, MAX_CACHE_TTL, MAX_NEGATIVE_TTL, BOGUS_TTL, DEFAULT_LIMITS, resolveLimits, type ResolverLimits,
} from './limits.js'
export {
  TrustAnchors, parseAnchorText, anchorKeyTag, addTrustAnchors, removeTrustAnchors, listTrustAnchors,
  type AnchorRecord, type TrustAnchor, type AnchorFilter,
} from './trust_anchors.js'
export {
  importBindAnchors, exportBindAnchors, importUnboundAnchors, exportUnboundAnchors, importAnchors,
  type BindAnchor, type BindAnchorKind,
} from './anchor_formats.js'
export { Cache, type CacheKind } from './cache.js'
export { NetTransport, queryServers, parseServer, type Server, type Transport } from './transport.js'
export {
  groupRRsets, validateRRset, verifyDnskeysWithDs, verifyDnskeysWithAnchor, nsecCovers, checkNsecDenial, checkNsec3Denial,
  SignatureBudget, type SecurityState, type Verdict, type SignedRRset, type ZoneKeys, type RRsetVerdict, type DenialKind, type DenialVerdict,
} from './validator.js'
export { Resolver, type AnchorStatus, type ResolverOptions, type ResolveOptions, type ResolveResult, type ZoneForwarder } from './resolver.js'
export { fetchDnskeys, type FetchedKey, type FetchedKeys } from './anchor_fetch.js'
export { buildResponse, RESPONSE_UDP_SIZE } from './response.js'
export { ResponseCache, queryKey, type QueryKey } from './response_cache.js'
