// Public API of @secdns/pki: named re-exports only.
// @peculiar/x509 needs a Reflect metadata polyfill before it loads.
import 'reflect-metadata'
export { PkiError, type PkiErrorCode } from './errors.js'
export {
  OID_DNS_SERVER_TRUST, OID_IKE_INTERMEDIATE, OID_SERVER_AUTH, OID_CLIENT_AUTH, OID_ANY_EKU, OID_SECDNS_ADMIN, EKU_NAMES,
} from './oids.js'
export {
  type KeySpec, KEY_SPECS, DEFAULT_KEY_SPEC, isKeySpec, generateKey, keySpecOf, signWithKey, verifyWithCertificate,
  exportPrivateKeyPem, importPrivateKeyPem, type GeneratedKey,
} from './keys.js'
export { exportPkcs12, pkcs12Kdf, type Pkcs12Options } from './pkcs12.js'
export { toPem, toDer, decodePemBlocks, type PemBlock } from './pem.js'
export {
  type Profile, PROFILES, type CertifiedKey, type CaOptions, type IssueOptions, type CheckedCsr, type BuildParams,
  createRootCa, createIntermediateCa, issueCertificate, checkCsr, buildCertificate, loadCertifiedKey, randomSerial,
  normalizeSerial, profileEkus, checkDnsName, checkIpAddress,
} from './issue.js'
export {
  type RevocationReason, REVOCATION_REASONS, isRevocationReason, type RevokedEntry, type CrlOptions, type EncodedCrl,
  type ParsedCrl, createCrl, parseCrl, crlFileToPem,
} from './crl.js'
export { type PresentedNames, matchName, matchDnsId, ipBytes } from './names.js'
export {
  type Purpose, type VerifyOptions, type VerifiedChain, type ParsedCertificate, verifyCertificate, parseCertificate,
} from './verify.js'
export {
  type IndexEntry, type StoreIndex, type StoreMeta, type InitStoreOptions, type StoreIssueOptions, CaStore, STORE_VERSION,
  initStore, openStore, withLock, writeFileAtomic, entryFor,
} from './store.js'
export {
  MAX_PATH_LENGTH, MAX_SIGNATURE_CHECKS, MAX_CHAIN_CERTIFICATES, MAX_CERTIFICATE_BYTES, MAX_CRL_BYTES, STALE_LOCK_MS, LOCK_TIMEOUT_MS, CRL_VALIDITY_DAYS,
  PKCS12_ITERATIONS,
} from './limits.js'
