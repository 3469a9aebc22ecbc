/**
 * Issuing: root and intermediate CAs, end-entity certificates for the secdns profiles,
 * and CSR signing. The profile decides every extension; a CSR contributes only its key.
 */
import 'reflect-metadata'
import { X509Certificate, createPublicKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import * as x509 from '@peculiar/x509'
import { PkiError, wrapErrors } from './errors.js'
import {
  DEFAULT_KEY_SPEC, exportPrivateKeyPem, generateKey, keySpecOf, toCryptoKey, webCryptoSigningAlgorithm, type KeySpec,
} from './keys.js'
import { OID_CLIENT_AUTH, OID_DNS_SERVER_TRUST, OID_IKE_INTERMEDIATE, OID_SECDNS_ADMIN, OID_SERVER_AUTH } from './oids.js'
import { toDer } from './pem.js'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

/**
 * End-entity profiles. `tls-server` is an ordinary TLS server certificate (serverAuth only):
 * what a web or admin HTTPS server holds, and exactly what a DNS client must NOT accept as
 * its DNS server, since it lacks the DNS Server Trust EKU.
 */
export type Profile = 'dns-server' | 'tls-server' | 'client' | 'admin'

/** All profiles, in the order the CLI lists them. */
export const PROFILES: readonly Profile[] = ['dns-server', 'tls-server', 'client', 'admin']

/** A certificate, and its private key when we generated it. What every issuing call returns. */
export interface CertifiedKey {
  readonly certPem: string
  readonly certDer: Uint8Array
  /** Serial number, lowercase hex without leading zero octets. */
  readonly serial: string
  /** PKCS#8 PEM (absent when a CSR was signed). Unencrypted: encrypt it before it touches a disk. */
  readonly keyPem?: string
  readonly privateKey?: KeyObject
  readonly certificate: X509Certificate
}

/** Options for {@link createRootCa} and {@link createIntermediateCa}. */
export interface CaOptions {
  /** Common name of the CA. */
  name: string
  key?: KeySpec
  /** Lifetime in days (root: 3650, intermediate: 1825). */
  days?: number
  /** The clock (defaults to the current time). */
  now?: Date
  /** basicConstraints pathLenConstraint (RFC 5280 §4.2.1.9); none when absent. */
  pathLen?: number
  /** Serial to use (lowercase hex); random when absent. */
  serial?: string
}

/** Options for {@link issueCertificate}. */
export interface IssueOptions {
  profile: Profile
  /** Subject common name. */
  name: string
  /** SAN dNSName entries (for dns-server, defaults to `name` when it is a host name). */
  dns?: string[]
  /** SAN iPAddress entries. */
  ip?: string[]
  /** Key type to generate (ignored with `csrPem`). */
  key?: KeySpec
  /** Sign this PKCS#10 request instead of generating a key. */
  csrPem?: string
  /** Lifetime in days (default 365). */
  days?: number
  notBefore?: Date
  notAfter?: Date
  now?: Date
  /** Add the IP security IKE intermediate EKU (dns-server and client). */
  ike?: boolean
  /** Serial to use (lowercase hex); random when absent. */
  serial?: string
}

const DAY_MS = 86_400_000

/**
 * A random positive 128-bit serial number as lowercase hex (RFC 5280 §4.1.2.2: positive, at
 * most 20 octets; CA/B BR §7.1: at least 64 bits from a CSPRNG). The first hex digit is never
 * zero, so every serial is written with exactly 32 hex digits and reads back the same.
 */
export function randomSerial(): string {
  for (;;) {
    const b = randomBytes(16)
    if ((b[0] as number) >= 0x10) return b.toString('hex')
  }
}

/** Normalise a serial given by a person or another tool: lowercase hex, no colons, no leading zeros. */
export function normalizeSerial(serial: string): string {
  const s = serial.trim().toLowerCase().replace(/^0x/, '').replace(/[:\s]/g, '')
  if (!/^[0-9a-f]+$/.test(s)) throw new PkiError('ERR_PKI_INVALID_PARAMS', `"${serial}" is not a hexadecimal serial number`)
  const t = s.replace(/^0+/, '')
  return t === '' ? '0' : t
}

/** Validate one SAN dNSName (LDH labels, optional leading "*." wildcard label). */
export function checkDnsName(name: string): string {
  const n = name.trim().toLowerCase().replace(/\.$/, '')
  const labels = n.split('.')
  const ok = n.length > 0 && n.length <= 253 && labels.every((l, i) =>
    (i === 0 && l === '*' && labels.length > 2) || /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))
  if (!ok) throw new PkiError('ERR_PKI_INVALID_PARAMS', `"${name}" is not a valid DNS name for a certificate`)
  return n
}

/** Validate one SAN iPAddress. */
export function checkIpAddress(ip: string): string {
  const a = ip.trim()
  if (isIP(a) === 0) throw new PkiError('ERR_PKI_INVALID_PARAMS', `"${ip}" is not an IPv4 or IPv6 address`)
  return a
}

/** Parameters for {@link buildCertificate}: no policy, exactly what goes into the certificate. */
export interface BuildParams {
  /** Issuer, or null for a self-signed certificate (then `signingKey` is the subject's key). */
  issuer: CertifiedKey | null
  /** Private key that signs. */
  signingKey: KeyObject
  /** Subject public key. */
  publicKey: KeyObject
  subject: x509.X509CertificateCreateParamsName
  serial: string
  notBefore: Date
  notAfter: Date
  extensions: x509.Extension[]
}

/**
 * Sign a certificate exactly as described, without profile rules. The building block of the
 * issuing functions; tests use it to make the malformed certificates the verifier must refuse.
 *
 * @throws {PkiError} ERR_PKI_INVALID_PARAMS when the library refuses the input
 */
export async function buildCertificate(p: BuildParams): Promise<CertifiedKey> {
  return wrapErrors('ERR_PKI_INVALID_PARAMS', 'cannot create the certificate', async () => {
    const spec = keySpecOf(p.signingKey)
    const issuerName = p.issuer === null ? p.subject : new x509.X509Certificate(p.issuer.certDer).subjectName
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: p.serial,
      subject: p.subject,
      issuer: issuerName,
      notBefore: p.notBefore,
      notAfter: p.notAfter,
      publicKey: new Uint8Array(p.publicKey.export({ format: 'der', type: 'spki' })),
      signingKey: await toCryptoKey(p.signingKey),
      signingAlgorithm: webCryptoSigningAlgorithm(spec),
      extensions: p.extensions,
    })
    return certifiedFromDer(new Uint8Array(cert.rawData))
  })
}

/** A CertifiedKey for a DER certificate (and optionally its private key). */
export function certifiedFromDer(der: Uint8Array, privateKey?: KeyObject): CertifiedKey {
  const certificate = new X509Certificate(der)
  const certPem = certificate.toString()
  const serial = normalizeSerial(certificate.serialNumber)
  if (privateKey === undefined) return { certPem, certDer: der, serial, certificate }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new PkiError('ERR_PKI_BAD_KEY', `the private key does not belong to the certificate ${certificate.subject.replace(/\n/g, ', ')}`)
  }
  return { certPem, certDer: der, serial, certificate, privateKey, keyPem: exportPrivateKeyPem(privateKey) }
}

/**
 * Load a certificate (PEM or DER) and optionally its private key into a CertifiedKey.
 *
 * @throws {PkiError} ERR_PKI_BAD_CERTIFICATE, ERR_PKI_BAD_KEY
 */
export function loadCertifiedKey(cert: string | Uint8Array, privateKey?: KeyObject): CertifiedKey {
  const der = toDer(cert, ['CERTIFICATE'], 'ERR_PKI_BAD_CERTIFICATE', 'certificate')
  try {
    return certifiedFromDer(der, privateKey)
  } catch (e) {
    if (e instanceof PkiError) throw e
    throw new PkiError('ERR_PKI_BAD_CERTIFICATE', `cannot parse the certificate: ${(e as Error).message}`, { cause: e })
  }
}

function checkDays(days: number | undefined, fallback: number): number {
  const d = days ?? fallback
  if (!Number.isInteger(d) || d < 1 || d > 36_500) throw new PkiError('ERR_PKI_INVALID_PARAMS', `days must be a whole number from 1 to 36500, got ${String(days)}`)
  return d
}

function checkName(name: string): string {
  const n = name.trim()
  if (n.length === 0 || n.length > 64) throw new PkiError('ERR_PKI_INVALID_PARAMS', `the name must be 1 to 64 characters (RFC 5280 ub-common-name), got ${n.length}`)
  return n
}

function checkPathLen(pathLen: number | undefined): void {
  if (pathLen !== undefined && (!Number.isInteger(pathLen) || pathLen < 0 || pathLen > 16)) {
    throw new PkiError('ERR_PKI_INVALID_PARAMS', `pathLen must be a whole number from 0 to 16, got ${String(pathLen)}`)
  }
}

/** Key identifier of a public key: SHA-1 of the subjectPublicKey BIT STRING (RFC 5280 §4.2.1.2 method 1). */
async function keyIdOf(publicKey: KeyObject): Promise<string> {
  const ext = await x509.SubjectKeyIdentifierExtension.create(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })))
  return ext.keyId
}

/** Subject key identifier of an issuer certificate (computed from its key when it has none). */
async function issuerKeyId(issuer: CertifiedKey): Promise<string> {
  const ski = new x509.X509Certificate(issuer.certDer).getExtension(x509.SubjectKeyIdentifierExtension)
  return ski?.keyId ?? keyIdOf(issuer.certificate.publicKey)
}

/** The issuer's validity window, parsed exactly. */
function issuerWindow(issuer: CertifiedKey): { notBefore: Date; notAfter: Date; pathLen: number | undefined; ca: boolean } {
  const c = new x509.X509Certificate(issuer.certDer)
  const bc = c.getExtension(x509.BasicConstraintsExtension)
  return { notBefore: c.notBefore, notAfter: c.notAfter, pathLen: bc?.pathLength, ca: bc?.ca === true }
}

/** Validity bounded by the issuer's (RFC 5280 §6.1.3 checks each certificate's own dates, so a child outliving its issuer fails early). */
function boundedValidity(issuer: CertifiedKey | null, notBefore: Date, notAfter: Date): { notBefore: Date; notAfter: Date } {
  let nb = notBefore
  let na = notAfter
  let window = ''
  if (issuer !== null) {
    const w = issuerWindow(issuer)
    if (nb < w.notBefore) nb = w.notBefore
    if (na > w.notAfter) na = w.notAfter
    window = ` (the issuer is valid from ${w.notBefore.toISOString()} to ${w.notAfter.toISOString()})`
  }
  if (!(na > nb)) {
    throw new PkiError('ERR_PKI_INVALID_PARAMS', `no validity left: ${notBefore.toISOString()} to ${notAfter.toISOString()} was asked${window}`)
  }
  return { notBefore: nb, notAfter: na }
}

function requireIssuerKey(issuer: CertifiedKey): KeyObject {
  if (issuer.privateKey === undefined) throw new PkiError('ERR_PKI_INVALID_PARAMS', 'the issuer has no private key loaded')
  return issuer.privateKey
}

async function caExtensions(publicKey: KeyObject, pathLen: number | undefined, authorityKeyId: string): Promise<x509.Extension[]> {
  return [
    // RFC 5280 §4.2.1.9: CAs MUST mark basicConstraints critical.
    new x509.BasicConstraintsExtension(true, pathLen, true),
    // RFC 5280 §4.2.1.3: keyCertSign for certificates, cRLSign for CRLs.
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    new x509.SubjectKeyIdentifierExtension(await keyIdOf(publicKey)),
    new x509.AuthorityKeyIdentifierExtension(authorityKeyId),
  ]
}

/**
 * Create a self-signed root CA.
 *
 * @throws {PkiError} ERR_PKI_INVALID_PARAMS
 * @example
 * const root = await createRootCa({ name: 'secdns Lab Root', key: 'ecdsa-p384' })
 */
export async function createRootCa(opts: CaOptions): Promise<CertifiedKey> {
  const name = checkName(opts.name)
  checkPathLen(opts.pathLen)
  const days = checkDays(opts.days, 3650)
  const now = opts.now ?? new Date()
  const key = await generateKey(opts.key ?? DEFAULT_KEY_SPEC)
  const keyId = await keyIdOf(key.publicKey)
  const built = await buildCertificate({
    issuer: null,
    signingKey: key.privateKey,
    publicKey: key.publicKey,
    subject: [{ CN: [name] }],
    serial: opts.serial ?? randomSerial(),
    notBefore: now,
    notAfter: new Date(now.getTime() + days * DAY_MS),
    extensions: await caExtensions(key.publicKey, opts.pathLen, keyId),
  })
  return certifiedFromDer(built.certDer, key.privateKey)
}

/**
 * Create an intermediate CA signed by `issuer`.
 *
 * @throws {PkiError} ERR_PKI_NOT_CA when the issuer is not a CA; ERR_PKI_PATH_LEN when its
 *   pathLen forbids another CA below it; ERR_PKI_INVALID_PARAMS
 */
export async function createIntermediateCa(issuer: CertifiedKey, opts: CaOptions): Promise<CertifiedKey> {
  const name = checkName(opts.name)
  checkPathLen(opts.pathLen)
  const days = checkDays(opts.days, 1825)
  const signingKey = requireIssuerKey(issuer)
  const w = issuerWindow(issuer)
  if (!w.ca) throw new PkiError('ERR_PKI_NOT_CA', 'the issuer is not a CA (basicConstraints cA is not set)')
  // RFC 5280 §4.2.1.9: pathLenConstraint 0 means no CA certificate may follow.
  if (w.pathLen === 0) throw new PkiError('ERR_PKI_PATH_LEN', 'the issuer has pathLen 0: it may not sign another CA')
  let pathLen = opts.pathLen
  if (w.pathLen !== undefined) {
    if (pathLen !== undefined && pathLen > w.pathLen - 1) throw new PkiError('ERR_PKI_PATH_LEN', `pathLen ${pathLen} exceeds what the issuer allows (${w.pathLen - 1})`)
    pathLen ??= w.pathLen - 1
  }
  const now = opts.now ?? new Date()
  const key = await generateKey(opts.key ?? DEFAULT_KEY_SPEC)
  const v = boundedValidity(issuer, now, new Date(now.getTime() + days * DAY_MS))
  const built = await buildCertificate({
    issuer,
    signingKey,
    publicKey: key.publicKey,
    subject: [{ CN: [name] }],
    serial: opts.serial ?? randomSerial(),
    ...v,
    extensions: await caExtensions(key.publicKey, pathLen, await issuerKeyId(issuer)),
  })
  return certifiedFromDer(built.certDer, key.privateKey)
}

/** What a signed CSR offers: its subject and public key, after the self-signature was checked. */
export interface CheckedCsr {
  readonly subject: string
  readonly publicKey: KeyObject
  readonly keySpec: KeySpec
}

/**
 * Parse a PKCS#10 request (RFC 2986) and check its self-signature (proof of possession).
 *
 * @throws {PkiError} ERR_PKI_BAD_CSR when it is not a CSR, its key is unsupported, or the signature is wrong
 */
export async function checkCsr(csr: string | Uint8Array): Promise<CheckedCsr> {
  const der = toDer(csr, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], 'ERR_PKI_BAD_CSR', 'certificate request')
  let req: x509.Pkcs10CertificateRequest
  try {
    req = new x509.Pkcs10CertificateRequest(der)
  } catch (e) {
    throw new PkiError('ERR_PKI_BAD_CSR', `cannot parse the certificate request: ${(e as Error).message}`, { cause: e })
  }
  let publicKey: KeyObject
  let keySpec: KeySpec
  try {
    publicKey = createPublicKey({ key: Buffer.from(req.publicKey.rawData), format: 'der', type: 'spki' })
    keySpec = keySpecOf(publicKey)
  } catch (e) {
    throw new PkiError('ERR_PKI_BAD_CSR', `the request's public key is not usable: ${(e as Error).message}`, { cause: e })
  }
  let ok = false
  try {
    ok = await req.verify()
  } catch (e) {
    throw new PkiError('ERR_PKI_BAD_CSR', `cannot check the request's signature: ${(e as Error).message}`, { cause: e })
  }
  // RFC 2986 §3: the signature proves the requester holds the private key.
  if (!ok) throw new PkiError('ERR_PKI_BAD_CSR', `the certificate request for "${req.subject}" has a bad self-signature`)
  return { subject: req.subject, publicKey, keySpec }
}

/** The EKU OIDs a profile puts in a certificate. */
export function profileEkus(profile: Profile, ike = false): string[] {
  switch (profile) {
    case 'dns-server': return ike ? [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST, OID_IKE_INTERMEDIATE] : [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST]
    case 'tls-server': return [OID_SERVER_AUTH]
    case 'client': return ike ? [OID_CLIENT_AUTH, OID_IKE_INTERMEDIATE] : [OID_CLIENT_AUTH]
    case 'admin': return [OID_CLIENT_AUTH, OID_SECDNS_ADMIN]
  }
}

/**
 * Issue an end-entity certificate for a profile, from a key we generate or a CSR.
 *
 * - dns-server: EKU serverAuth + DNS Server Trust (+ IKE intermediate), SAN, keyUsage
 *   digitalSignature (+ keyEncipherment for RSA);
 * - tls-server: EKU serverAuth only, SAN, keyUsage as dns-server;
 * - client: EKU clientAuth (+ IKE intermediate);
 * - admin: EKU clientAuth + the secdns Administrator EKU ({@link OID_SECDNS_ADMIN}).
 *
 * @throws {PkiError} ERR_PKI_INVALID_PARAMS, ERR_PKI_BAD_CSR, ERR_PKI_NOT_CA
 * @example
 * const srv = await issueCertificate(ca, { profile: 'dns-server', name: 'dns1.lab.test', ip: ['127.0.0.1'] })
 */
export async function issueCertificate(issuer: CertifiedKey, opts: IssueOptions): Promise<CertifiedKey> {
  if (!PROFILES.includes(opts.profile)) throw new PkiError('ERR_PKI_INVALID_PARAMS', `unknown profile "${String(opts.profile)}" (use ${PROFILES.join(', ')})`)
  const name = checkName(opts.name)
  const signingKey = requireIssuerKey(issuer)
  if (!issuerWindow(issuer).ca) throw new PkiError('ERR_PKI_NOT_CA', 'the issuer is not a CA (basicConstraints cA is not set)')
  const dns = (opts.dns ?? []).map(checkDnsName)
  const ip = (opts.ip ?? []).map(checkIpAddress)
  // A DNS server is reached by name: when no dNSName is given, the CN (a host name or an
  // address) becomes a SAN, since clients match SANs only (RFC 6125 §6.4.4).
  if ((opts.profile === 'dns-server' || opts.profile === 'tls-server') && dns.length === 0) {
    if (isIP(name) !== 0) {
      if (!ip.includes(name)) ip.push(name)
    } else if (ip.length === 0) {
      dns.push(checkDnsName(name))
    } else {
      try { dns.push(checkDnsName(name)) } catch { /* the CN is a label, not a host name; the IP SANs stand */ }
    }
  }
  let publicKey: KeyObject
  let privateKey: KeyObject | undefined
  if (opts.csrPem !== undefined) {
    publicKey = (await checkCsr(opts.csrPem)).publicKey
  } else {
    const k = await generateKey(opts.key ?? DEFAULT_KEY_SPEC)
    publicKey = k.publicKey
    privateKey = k.privateKey
  }
  const spec = keySpecOf(publicKey)
  const now = opts.now ?? new Date()
  const days = checkDays(opts.days, 365)
  const nb = opts.notBefore ?? now
  const na = opts.notAfter ?? new Date(nb.getTime() + days * DAY_MS)
  const v = boundedValidity(issuer, nb, na)
  let usages = x509.KeyUsageFlags.digitalSignature
  // RSA keys may also carry TLS-RSA / IKE key transport, as Windows' templates do.
  if (spec.startsWith('rsa-')) usages |= x509.KeyUsageFlags.keyEncipherment
  const sanEntries: x509.JsonGeneralName[] = [
    ...dns.map((d) => ({ type: 'dns' as const, value: d })),
    ...ip.map((a) => ({ type: 'ip' as const, value: a })),
  ]
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usages, true),
    new x509.ExtendedKeyUsageExtension(profileEkus(opts.profile, opts.ike === true), false),
    new x509.SubjectKeyIdentifierExtension(await keyIdOf(publicKey)),
    new x509.AuthorityKeyIdentifierExtension(await issuerKeyId(issuer)),
  ]
  // RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical; ours always has a CN.
  if (sanEntries.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sanEntries, false))
  const built = await buildCertificate({
    issuer,
    signingKey,
    publicKey,
    subject: [{ CN: [name] }],
    serial: opts.serial ?? randomSerial(),
    ...v,
    extensions,
  })
  return certifiedFromDer(built.certDer, privateKey)
}
