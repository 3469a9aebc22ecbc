/**
 * Key generation and the signature helpers shared by the CA and the protected channel.
 */
import {
  createPrivateKey, createPublicKey, generateKeyPair as nodeGenerateKeyPair, sign, verify, webcrypto,
  type KeyObject, type X509Certificate,
} from 'node:crypto'
import { promisify } from 'node:util'
import { PkiError } from './errors.js'

const generateKeyPairAsync = promisify(nodeGenerateKeyPair)

/** Key types the CA can generate. */
export type KeySpec = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ed25519'

/** All key specs, in the order the CLI lists them. */
export const KEY_SPECS: readonly KeySpec[] = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096', 'ed25519']

/** The key spec used when none is given. */
export const DEFAULT_KEY_SPEC: KeySpec = 'ecdsa-p256'

/** True when `s` names a {@link KeySpec}. */
export function isKeySpec(s: string): s is KeySpec {
  return (KEY_SPECS as readonly string[]).includes(s)
}

/** A freshly generated key pair. */
export interface GeneratedKey {
  readonly spec: KeySpec
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
}

/**
 * Generate a key pair (RSA runs on the libuv thread pool, so the event loop stays free).
 *
 * @param spec the key type
 * @throws {PkiError} ERR_PKI_INVALID_PARAMS for an unknown spec
 */
export async function generateKey(spec: KeySpec = DEFAULT_KEY_SPEC): Promise<GeneratedKey> {
  let pair: { privateKey: KeyObject; publicKey: KeyObject }
  switch (spec) {
    case 'ecdsa-p256': pair = await generateKeyPairAsync('ec', { namedCurve: 'P-256' }); break
    case 'ecdsa-p384': pair = await generateKeyPairAsync('ec', { namedCurve: 'P-384' }); break
    case 'rsa-2048': pair = await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 65537 }); break
    case 'rsa-3072': pair = await generateKeyPairAsync('rsa', { modulusLength: 3072, publicExponent: 65537 }); break
    case 'rsa-4096': pair = await generateKeyPairAsync('rsa', { modulusLength: 4096, publicExponent: 65537 }); break
    case 'ed25519': pair = await generateKeyPairAsync('ed25519'); break
    default: throw new PkiError('ERR_PKI_INVALID_PARAMS', `unknown key type "${String(spec)}" (use one of ${KEY_SPECS.join(', ')})`)
  }
  return { spec, ...pair }
}

/**
 * The {@link KeySpec} of a key (private or public).
 *
 * @throws {PkiError} ERR_PKI_BAD_KEY for key types or sizes the CA does not use
 */
export function keySpecOf(key: KeyObject): KeySpec {
  const d = key.asymmetricKeyDetails ?? {}
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (d.namedCurve === 'prime256v1' || d.namedCurve === 'P-256') return 'ecdsa-p256'
      if (d.namedCurve === 'secp384r1' || d.namedCurve === 'P-384') return 'ecdsa-p384'
      break
    case 'rsa':
      if (d.modulusLength === 2048) return 'rsa-2048'
      if (d.modulusLength === 3072) return 'rsa-3072'
      if (d.modulusLength === 4096) return 'rsa-4096'
      break
    case 'ed25519':
      return 'ed25519'
  }
  throw new PkiError('ERR_PKI_BAD_KEY',
    `unsupported key: ${key.asymmetricKeyType ?? 'unknown'} ${d.namedCurve ?? (d.modulusLength !== undefined ? `${d.modulusLength} bits` : '')}`.trim())
}

/** The hash used with a key spec (SHA-384 for P-384, SHA-256 otherwise; none for Ed25519). */
export function hashFor(spec: KeySpec): 'sha256' | 'sha384' | null {
  if (spec === 'ed25519') return null
  return spec === 'ecdsa-p384' ? 'sha384' : 'sha256'
}

/** WebCrypto import parameters for a key spec (what @peculiar/x509 signs with). */
export function webCryptoImportAlgorithm(spec: KeySpec): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.Algorithm {
  switch (spec) {
    case 'ecdsa-p256': return { name: 'ECDSA', namedCurve: 'P-256' }
    case 'ecdsa-p384': return { name: 'ECDSA', namedCurve: 'P-384' }
    case 'ed25519': return { name: 'Ed25519' }
    default: return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  }
}

/** WebCrypto signing algorithm for certificates and CRLs issued with a key of this spec. */
export function webCryptoSigningAlgorithm(spec: KeySpec): webcrypto.Algorithm | webcrypto.EcdsaParams {
  switch (spec) {
    case 'ecdsa-p256': return { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams
    case 'ecdsa-p384': return { name: 'ECDSA', hash: 'SHA-384' } as webcrypto.EcdsaParams
    case 'ed25519': return { name: 'Ed25519' }
    default: return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as webcrypto.Algorithm
  }
}

/** Turn a node KeyObject into a WebCrypto CryptoKey (private: sign; public: verify). */
export async function toCryptoKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const spec = keySpecOf(key)
  const alg = webCryptoImportAlgorithm(spec)
  if (key.type === 'private') {
    const der = key.export({ format: 'der', type: 'pkcs8' })
    return webcrypto.subtle.importKey('pkcs8', der, alg, true, ['sign'])
  }
  const der = key.export({ format: 'der', type: 'spki' })
  return webcrypto.subtle.importKey('spki', der, alg, true, ['verify'])
}

/**
 * Sign `data` with a private key of any type the CA issues.
 *
 * - ECDSA: DER-encoded (r, s) signature, SHA-256 for P-256 and SHA-384 for P-384;
 * - RSA: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2; what IKEv2 method 1 and Windows use);
 * - Ed25519: pure Ed25519 (RFC 8032).
 *
 * @param key a private KeyObject
 * @param data the bytes to sign
 * @throws {PkiError} ERR_PKI_BAD_KEY when the key is not a private key of a supported type
 * @example
 * const sig = signWithKey(server.privateKey!, authPayload)
 */
export function signWithKey(key: KeyObject, data: Uint8Array): Uint8Array {
  if (key.type !== 'private') throw new PkiError('ERR_PKI_BAD_KEY', 'signWithKey needs a private key')
  const spec = keySpecOf(key)
  return new Uint8Array(sign(hashFor(spec), data, key))
}

/**
 * Check a signature made by {@link signWithKey} against the public key in a certificate.
 * Returns false (never throws) for a wrong or malformed signature.
 *
 * @param cert the signer's certificate
 * @param data the signed bytes
 * @param sig the signature
 */
export function verifyWithCertificate(cert: X509Certificate, data: Uint8Array, sig: Uint8Array): boolean {
  try {
    const key = cert.publicKey
    return verify(hashFor(keySpecOf(key)), data, key, sig)
  } catch {
    return false
  }
}

/**
 * Export a private key as PKCS#8 PEM, encrypted (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256)
 * when a passphrase is given.
 */
export function exportPrivateKeyPem(key: KeyObject, passphrase?: string): string {
  if (passphrase !== undefined && passphrase !== '') {
    return key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }) as string
  }
  return key.export({ format: 'pem', type: 'pkcs8' }) as string
}

/**
 * Read a private key from PEM (PKCS#8, encrypted PKCS#8, SEC1 or PKCS#1).
 *
 * @throws {PkiError} ERR_PKI_BAD_PASSPHRASE when the key is encrypted and the passphrase is missing or wrong;
 *   ERR_PKI_BAD_KEY when it is not a key
 */
export function importPrivateKeyPem(pem: string, passphrase?: string): KeyObject {
  const encrypted = pem.includes('ENCRYPTED')
  if (encrypted && (passphrase === undefined || passphrase === '')) {
    throw new PkiError('ERR_PKI_BAD_PASSPHRASE', 'the private key is encrypted: a passphrase is needed')
  }
  try {
    return createPrivateKey(encrypted ? { key: pem, format: 'pem', passphrase: passphrase ?? '' } : { key: pem, format: 'pem' })
  } catch (e) {
    if (encrypted) throw new PkiError('ERR_PKI_BAD_PASSPHRASE', 'cannot decrypt the private key: wrong passphrase?', { cause: e })
    throw new PkiError('ERR_PKI_BAD_KEY', `not a private key: ${(e as Error).message}`, { cause: e })
  }
}

/** The public half of a private key. */
export function publicOf(key: KeyObject): KeyObject {
  return key.type === 'public' ? key : createPublicKey(key)
}
