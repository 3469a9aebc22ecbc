/**
 * Certificate revocation lists (RFC 5280 §5): making them, and reading one to check a serial.
 */
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { PkiError, wrapErrors } from './errors.js'
import { keySpecOf, toCryptoKey, webCryptoSigningAlgorithm } from './keys.js'
import { normalizeSerial, type CertifiedKey } from './issue.js'
import { CRL_VALIDITY_DAYS, MAX_CRL_BYTES } from './limits.js'
import { OID_EXT } from './oids.js'
import { toDer, toPem } from './pem.js'

/** CRLReason names (RFC 5280 §5.3.1), in camelCase as the RFC spells them. */
export type RevocationReason =
  | 'unspecified' | 'keyCompromise' | 'cACompromise' | 'affiliationChanged' | 'superseded'
  | 'cessationOfOperation' | 'certificateHold' | 'privilegeWithdrawn' | 'aACompromise'

/** Reason name → CRLReason code (RFC 5280 §5.3.1; 7 is unused, 8 removeFromCRL is delta-only). */
export const REVOCATION_REASONS: Readonly<Record<RevocationReason, number>> = {
  unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4,
  cessationOfOperation: 5, certificateHold: 6, privilegeWithdrawn: 9, aACompromise: 10,
}

/** True when `s` names a {@link RevocationReason}. */
export function isRevocationReason(s: string): s is RevocationReason {
  return Object.hasOwn(REVOCATION_REASONS, s)
}

/** One revoked certificate. */
export interface RevokedEntry {
  serial: string
  date: Date
  reason?: RevocationReason
}

/** Options for {@link createCrl}. */
export interface CrlOptions {
  revoked: RevokedEntry[]
  /** cRLNumber (RFC 5280 §5.2.3): monotonically increasing. */
  number: bigint | number
  thisUpdate?: Date
  /** Defaults to thisUpdate + CRL_VALIDITY_DAYS (7). */
  nextUpdate?: Date
}

/** A CRL as PEM (label `X509 CRL`, what OpenSSL expects) and DER. */
export interface EncodedCrl {
  pem: string
  der: Uint8Array
}


/** DER INTEGER for a non-negative bigint (X.690 §8.3: minimal two's complement). */
function derInteger(n: bigint): Uint8Array {
  let hex = n.toString(16)
  if (hex.length % 2 === 1) hex = `0${hex}`
  if (parseInt(hex.slice(0, 2), 16) > 0x7f) hex = `00${hex}`
  const body = Buffer.from(hex, 'hex')
  return new Uint8Array([0x02, body.length, ...body])
}

/** Read a DER INTEGER (non-negative, short length form) as a bigint, or undefined. */
function readDerInteger(der: Uint8Array): bigint | undefined {
  if (der.length < 3 || der[0] !== 0x02 || der[1] !== der.length - 2 || (der[2] ?? 0) > 0x7f) return undefined
  return BigInt(`0x${Buffer.from(der.subarray(2)).toString('hex')}`)
}

/**
 * Make a CRL signed by `issuer`, with cRLNumber and authorityKeyIdentifier (RFC 5280 §5.2:
 * conforming CRL issuers MUST include both).
 *
 * @throws {PkiError} ERR_PKI_INVALID_PARAMS
 * @example
 * const { pem } = await createCrl(ca, { revoked: [{ serial, date: new Date(), reason: 'keyCompromise' }], number: 2 })
 */
export async function createCrl(issuer: CertifiedKey, opts: CrlOptions): Promise<EncodedCrl> {
  if (issuer.privateKey === undefined) throw new PkiError('ERR_PKI_INVALID_PARAMS', 'the CRL issuer has no private key loaded')
  const number = BigInt(opts.number)
  if (number < 0n || number >= 1n << 159n) throw new PkiError('ERR_PKI_INVALID_PARAMS', `CRL number ${number} is out of range (RFC 5280 §5.2.3: at most 20 octets)`)
  const thisUpdate = opts.thisUpdate ?? new Date()
  const nextUpdate = opts.nextUpdate ?? new Date(thisUpdate.getTime() + CRL_VALIDITY_DAYS * 86_400_000)
  if (!(nextUpdate > thisUpdate)) throw new PkiError('ERR_PKI_INVALID_PARAMS', 'nextUpdate must be after thisUpdate')
  const signingKey = issuer.privateKey
  return wrapErrors('ERR_PKI_INVALID_PARAMS', 'cannot create the CRL', async () => {
    const ca = new x509.X509Certificate(issuer.certDer)
    const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension)
    const extensions: x509.Extension[] = [
      new x509.Extension(OID_EXT.crlNumber, false, derInteger(number)),
    ]
    if (ski !== null) extensions.push(new x509.AuthorityKeyIdentifierExtension(ski.keyId))
    const crl = await x509.X509CrlGenerator.create({
      issuer: ca.subjectName,
      thisUpdate,
      nextUpdate,
      signingAlgorithm: webCryptoSigningAlgorithm(keySpecOf(signingKey)),
      signingKey: await toCryptoKey(signingKey),
      extensions,
      entries: opts.revoked.map((r) => {
        const serial = normalizeSerial(r.serial)
        const e: x509.X509CrlEntryParams = { serialNumber: serial.length % 2 === 1 ? `0${serial}` : serial, revocationDate: r.date }
        if (r.reason !== undefined) {
          if (!isRevocationReason(r.reason)) throw new PkiError('ERR_PKI_INVALID_PARAMS', `unknown revocation reason "${String(r.reason)}"`)
          e.reason = REVOCATION_REASONS[r.reason]
        }
        return e
      }),
    })
    const der = new Uint8Array(crl.rawData)
    return { der, pem: toPem(der, 'X509 CRL') }
  })
}

/** A parsed CRL. */
export interface ParsedCrl {
  readonly der: Uint8Array
  readonly crl: x509.X509Crl
  readonly issuerDer: string
  /** authorityKeyIdentifier (lowercase hex), when the CRL has one. */
  readonly aki: string | undefined
  readonly number: bigint | undefined
  readonly thisUpdate: Date
  readonly nextUpdate: Date | undefined
  readonly revoked: ReadonlyMap<string, { date: Date; reason?: RevocationReason }>
}

const KNOWN_CRL_EXTENSIONS = new Set<string>([OID_EXT.crlNumber, OID_EXT.authorityKeyIdentifier])

/**
 * A CRL file's contents (PEM, or DER) as PEM text, checked by {@link parseCrl}: what a
 * server's listeners and a client's NRPT rules hand to node:tls and `@secdns/channel`.
 *
 * @param bytes the file as read
 * @throws {PkiError} ERR_PKI_CRL_INVALID when it is not a CRL
 */
export function crlFileToPem(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const pem = text.subarray(0, 11).toString('latin1') === '-----BEGIN ' ? text.toString('utf8') : toPem(bytes, 'X509 CRL')
  parseCrl(pem)
  return pem
}

/**
 * Parse a CRL (PEM labelled `X509 CRL` or `CRL`, or DER).
 *
 * @throws {PkiError} ERR_PKI_CRL_INVALID when it cannot be read or has a critical extension we do not process
 */
export function parseCrl(input: string | Uint8Array): ParsedCrl {
  const der = toDer(input, ['X509 CRL', 'CRL'], 'ERR_PKI_CRL_INVALID', 'CRL')
  if (der.length > MAX_CRL_BYTES) throw new PkiError('ERR_PKI_CRL_INVALID', `the CRL is ${der.length} bytes, over the ${MAX_CRL_BYTES}-byte limit`)
  let crl: x509.X509Crl
  try {
    crl = new x509.X509Crl(der)
  } catch (e) {
    throw new PkiError('ERR_PKI_CRL_INVALID', `cannot parse the CRL: ${(e as Error).message}`, { cause: e })
  }
  let number: bigint | undefined
  for (const ext of crl.extensions) {
    if (ext.type === OID_EXT.crlNumber) {
      number = readDerInteger(new Uint8Array(ext.value))
      if (number === undefined) throw new PkiError('ERR_PKI_CRL_INVALID', 'the CRL number is not a valid non-negative INTEGER')
    } else if (ext.critical && !KNOWN_CRL_EXTENSIONS.has(ext.type)) {
      // RFC 5280 §5.2: a CRL with an unrecognised critical extension must not be used
      // (an issuingDistributionPoint or deltaCRLIndicator changes what the list covers).
      throw new PkiError('ERR_PKI_CRL_INVALID', `the CRL has a critical extension we do not process (${ext.type})`)
    }
  }
  const names = Object.entries(REVOCATION_REASONS)
  const revoked = new Map<string, { date: Date; reason?: RevocationReason }>()
  for (const entry of crl.entries) {
    const code = entry.reason
    const reason = code === undefined ? undefined : names.find(([, c]) => c === code)?.[0] as RevocationReason | undefined
    revoked.set(normalizeSerial(entry.serialNumber), reason === undefined ? { date: entry.revocationDate } : { date: entry.revocationDate, reason })
  }
  return {
    der,
    crl,
    issuerDer: Buffer.from(crl.issuerName.toArrayBuffer()).toString('hex'),
    aki: crl.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId?.toLowerCase(),
    number,
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    revoked,
  }
}
