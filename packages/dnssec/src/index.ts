// Public API of @secdns/dnssec: named re-exports only.
export { DnssecError, type DnssecErrorCode } from './errors.js'
export {
  DnssecAlgorithm, DigestType, DnskeyFlags, MIN_RSA_BITS, MAX_RSA_BITS, WEAK_RSA_BITS, type AlgorithmInfo, type KeyPair,
  algorithmInfo, isSupportedAlgorithm, algorithmToString, algorithmFromString, generateKeyPair, encodeDnskeyPublicKey,
  decodeDnskeyPublicKey, signBytes, verifyBytes, ecdsaDerToRaw, privateKeyFromRaw, privateKeyToRaw, keyBits,
  keyTagOfRdata, digestTypeFromString, dsDigest,
} from './algorithms.js'
export { nowSeconds, toDnssecTime, parseDuration, parseTime, compareSerialTime, toRrsigTime, fromRrsigTime } from './time.js'
export {
  type KeyTiming, type DnssecKey, TIMING_EVENTS, keyRole, normalizeZone, dnskeyRdata, isRevoked, publishedFlags,
  publishedKeyTag, isPublished, isActive, createKey, keyFromParts, keyBaseName, REVOKE_HOLD_DOWN, type RevokeResult, revokeKey,
} from './keys.js'
export { bindKeyBaseName, formatBindPublicKey, formatBindPrivateKey, parseBindKey, readBindKey, writeBindKey, writeFileAtomic } from './bind_keys.js'
export {
  OID_KEY_DESCRIPTION, type StoredKeyMeta, type KeyCertificateInfo, type KeyStoreOptions, type StoredKey,
  keyCertificate, readKeyCertificate, saveKey, writeKeyMeta, loadKeys, saveKeyPkcs12,
} from './key_store.js'
export {
  type RrsigFields, type RrsigFailure, rrsigLabels, rrsigSignedData, dnskeyOf, rrsigFieldsFor, signRRset, verifyRrsig,
  dsOf, dsOfDnskey, isType,
} from './rrsig.js'
export { type Nsec3Params, MAX_SIGN_ITERATIONS, defaultNsec3Params, parseSalt, nsec3Hash, nsec3Owner } from './nsec3.js'
export {
  type SerialPolicy, type SignJob, type BatchSigner, type RRsetBatchSigner, type SignZoneOptions, type SignZoneResult, nextSerial, signZone, signLocally,
} from './signer.js'
export { recordsToText, readZoneRecords, readZone, type SignZoneFileOptions, signZoneFile } from './sign_file.js'
export { type VerifyProblem, type VerifyResult, verifyZone, verifyZoneFile } from './verify.js'
export { SIGN_BATCH, type WorkerSigner, createWorkerSigner } from './worker_pool.js'
export { type NativeSigner, createNativeSigner, nativeSignStatus } from './native_signer.js'
export { type BatchKey, type BatchHeader, RRsetBatchWriter, eachSignedData } from './sign_batch.js'
export { type RolloverTimings, DEFAULT_TIMINGS, type RolloverMethod, type RolloverPlan, startRollover, type KeyState, type KeyStatus, keyState, keyStatus } from './rollover.js'
