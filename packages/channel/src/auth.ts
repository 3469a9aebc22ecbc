/**
 * Peer authentication of the AUTH exchange: identities, the signed octets of RFC 7296
 * §2.15, signatures with the certificate's key, and certificate-path checks delegated to
 * @secdns/pki (chain, dates on the injected clock, CRL, EKU, name).
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { decodePemBlocks, signWithKey, verifyCertificate, verifyWithCertificate, PkiError, type VerifiedChain, type Purpose } from '@secdns/pki'
import { ChannelError, type ChannelErrorCode } from './errors.js'
import { prf, type PrfName } from './key_schedule.js'

/** ID type ID_KEY_ID (RFC 7296 §3.5): here the SHA-256 of the sender's certificate (DER). */
export const ID_KEY_ID = 11

/** A side's own certificate and key, as given in options. */
export interface ChannelIdentity {
  /** PEM of the end-entity certificate. */
  certPem: string
  /** PKCS#8 (or SEC1/PKCS#1) PEM of its private key; or give `privateKey`. */
  keyPem?: string
  privateKey?: KeyObject
  /** PEM of intermediate CA certificates to send along (one string may hold several). */
  chainPem?: string | string[]
}

/** What a side trusts: CA certificates (PEM) and CRLs (PEM or DER). */
export interface ChannelTrust {
  cas: string[]
  crls?: (string | Uint8Array)[]
}

/** An identity ready for the handshake. */
export interface LoadedIdentity {
  readonly cert: X509Certificate
  readonly certDer: Uint8Array
  readonly chainDer: Uint8Array[]
  readonly key: KeyObject
  /** ID payload data: SHA-256 of the certificate. */
  readonly id: Uint8Array
}

function pemCerts(pem: string | string[] | undefined): Uint8Array[] {
  if (pem === undefined) return []
  const all = Array.isArray(pem) ? pem.join('\n') : pem
  return decodePemBlocks(all).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der)
}

/**
 * Load and check an identity: the key must be the certificate's. An identity loaded once
 * can be passed to `connect` again and is used as it is (no parsing per connection).
 *
 * @throws {ChannelError} ERR_CHANNEL_INVALID_OPTIONS when anything is missing or does not match
 */
export function loadIdentity(id: ChannelIdentity | LoadedIdentity): LoadedIdentity {
  if (isLoaded(id)) return id
  try {
    const cert = new X509Certificate(id.certPem)
    const key = id.privateKey ?? (id.keyPem !== undefined ? createPrivateKey(id.keyPem) : undefined)
    if (key === undefined) throw new Error('identity needs keyPem or privateKey')
    if (!cert.checkPrivateKey(key)) throw new Error(`the private key does not belong to the certificate of ${cert.subject.replace(/\n/g, ', ')}`)
    const certDer = new Uint8Array(cert.raw)
    return { cert, certDer, chainDer: pemCerts(id.chainPem), key, id: identityOf(certDer) }
  } catch (e) {
    throw new ChannelError('ERR_CHANNEL_INVALID_OPTIONS', `bad identity: ${(e as Error).message}`, { cause: e })
  }
}

function isLoaded(id: ChannelIdentity | LoadedIdentity): id is LoadedIdentity {
  return (id as LoadedIdentity).cert instanceof X509Certificate && (id as LoadedIdentity).certDer instanceof Uint8Array
}

/** The ID payload data for a certificate: its SHA-256. */
export function identityOf(certDer: Uint8Array): Uint8Array {
  return createHash('sha256').update(certDer).digest()
}

/**
 * The octets a side signs, RFC 7296 §2.15:
 * InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI, with
 * MACedIDForI = prf(SK_pi, RestOfInitIDPayload) — and symmetrically for the responder.
 * RealMessage covers the proposals, so a downgrade by rewriting INIT breaks the signature.
 */
export function signedOctets(alg: PrfName, realMessage: Uint8Array, peerNonce: Uint8Array, skP: Uint8Array, idType: number, idData: Uint8Array): Buffer {
  const restOfId = Buffer.concat([Uint8Array.of(idType, 0, 0, 0), idData])
  return Buffer.concat([realMessage, peerNonce, prf(alg, skP, restOfId)])
}

/** Sign with the identity's key (pki's signWithKey: ECDSA/RSA/Ed25519 as the key dictates). */
export function signAuth(identity: LoadedIdentity, octets: Uint8Array): Uint8Array {
  return signWithKey(identity.key, octets)
}

/**
 * Check the peer's AUTH signature with the key in its certificate.
 *
 * @throws {ChannelError} ERR_CHANNEL_AUTH_FAILED
 */
export function checkAuthSignature(cert: X509Certificate, octets: Uint8Array, sig: Uint8Array, who: string): void {
  // RFC 7296 §2.15: the AUTH payload must verify over exactly these octets.
  if (!verifyWithCertificate(cert, octets, sig)) {
    throw new ChannelError('ERR_CHANNEL_AUTH_FAILED', `${who}'s AUTH signature does not verify over the exchange this side saw (changed INIT, relayed or reflected AUTH)`)
  }
}

const PKI_TO_CHANNEL: Readonly<Record<string, ChannelErrorCode>> = {
  ERR_PKI_EXPIRED: 'ERR_CHANNEL_PEER_EXPIRED',
  ERR_PKI_NOT_YET_VALID: 'ERR_CHANNEL_PEER_EXPIRED',
  ERR_PKI_REVOKED: 'ERR_CHANNEL_PEER_REVOKED',
  ERR_PKI_WRONG_PURPOSE: 'ERR_CHANNEL_PEER_PURPOSE',
  ERR_PKI_KEY_USAGE: 'ERR_CHANNEL_PEER_PURPOSE',
  ERR_PKI_NAME_MISMATCH: 'ERR_CHANNEL_PEER_NAME',
}

interface CachedChain {
  readonly chain: VerifiedChain
  readonly notBefore: number
  readonly notAfter: number
  readonly until: number
}

const verified = new WeakMap<ChannelTrust, Map<string, CachedChain>>()

/** How the verification cache behaves: entries at most, and how long (real time) one lasts. */
export interface VerifyCacheOptions {
  readonly size: number
  readonly ttlMs: number
}

function cacheKey(certs: Uint8Array[], trust: ChannelTrust, purpose: Purpose, name: string | undefined): string {
  const h = createHash('sha256')
  for (const c of certs) { h.update(c); h.update('\0') }
  // A CRL list that changes (added, replaced) changes the key.
  for (const c of trust.crls ?? []) h.update(typeof c === 'string' ? c : Buffer.from(c))
  return `${purpose}|${name ?? ''}|${trust.cas.length}|${h.digest('hex')}`
}

/**
 * Verify the peer's certificate path with @secdns/pki, mapping its error to a channel code
 * (the PkiError stays as `cause`, so `err.pkiCode` shows it).
 *
 * A successful result is cached per trust object for `cache.ttlMs` of real time and only
 * while the injected clock stays inside every certificate's validity, so a reconnecting
 * peer costs no path validation; refusals are never cached.
 *
 * @throws {ChannelError} ERR_CHANNEL_UNTRUSTED_PEER, ERR_CHANNEL_PEER_EXPIRED, ERR_CHANNEL_PEER_REVOKED,
 *   ERR_CHANNEL_PEER_PURPOSE, ERR_CHANNEL_PEER_NAME
 */
export async function verifyPeer(certs: Uint8Array[], trust: ChannelTrust, purpose: Purpose, now: Date, name?: string, cache: VerifyCacheOptions = { size: 0, ttlMs: 0 }): Promise<VerifiedChain> {
  const [leaf, ...chain] = certs
  if (leaf === undefined) throw new ChannelError('ERR_CHANNEL_AUTH_FAILED', 'peer sent no certificate')
  const t = now.getTime()
  let map: Map<string, CachedChain> | undefined
  let key = ''
  if (cache.size > 0) {
    map = verified.get(trust)
    if (map === undefined) { map = new Map(); verified.set(trust, map) }
    key = cacheKey(certs, trust, purpose, name)
    const hit = map.get(key)
    if (hit !== undefined && t >= hit.notBefore && t <= hit.notAfter && Date.now() < hit.until) return hit.chain
    if (hit !== undefined) map.delete(key)
  }
  let result: VerifiedChain
  try {
    result = await verifyCertificate({ cert: leaf, chain, trusted: trust.cas, crls: trust.crls, purpose, name, now })
  } catch (e) {
    const code = e instanceof PkiError ? (PKI_TO_CHANNEL[e.code] ?? 'ERR_CHANNEL_UNTRUSTED_PEER') : 'ERR_CHANNEL_UNTRUSTED_PEER'
    const pkiCode = e instanceof PkiError ? e.code : 'unknown'
    throw new ChannelError(code, `peer certificate refused (${pkiCode}): ${(e as Error).message}`, { cause: e })
  }
  if (map !== undefined) {
    let notBefore = -Infinity, notAfter = Infinity
    for (const c of result.path) {
      notBefore = Math.max(notBefore, Date.parse(c.validFrom))
      notAfter = Math.min(notAfter, Date.parse(c.validTo))
    }
    if (map.size >= cache.size) map.delete(map.keys().next().value as string)
    map.set(key, { chain: result, notBefore, notAfter, until: Date.now() + cache.ttlMs })
  }
  return result
}
