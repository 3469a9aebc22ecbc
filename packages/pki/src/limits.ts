/**
 * Every limit of @secdns/pki, in one place. Each can be overridden where it applies
 * (VerifyOptions, withLock options, CrlOptions, Pkcs12Options).
 */

/** Longest certification path verifyCertificate builds (leaf, intermediates, anchor). */
export const MAX_PATH_LENGTH = 8
/** Most signature checks one path search may spend (bounds backtracking over crafted chains). */
export const MAX_SIGNATURE_CHECKS = 64
/** Most intermediates a caller may hand to verifyCertificate. */
export const MAX_CHAIN_CERTIFICATES = 32
/** Largest certificate accepted for verification (a DNS-server certificate is ~1 KiB). */
export const MAX_CERTIFICATE_BYTES = 64 * 1024
/** Largest CRL accepted for verification. */
export const MAX_CRL_BYTES = 16 * 1024 * 1024
/** A store lock older than this is considered abandoned. */
export const STALE_LOCK_MS = 120_000
/** How long a store command waits for the lock. */
export const LOCK_TIMEOUT_MS = 30_000
/** Days from a CRL's thisUpdate to its nextUpdate. */
export const CRL_VALIDITY_DAYS = 7
/** PBKDF2 and PKCS#12 KDF iterations in a .pfx (OpenSSL's default). */
export const PKCS12_ITERATIONS = 2048
