/**
 * Certificate path validation for the protected channel and the server (RFC 5280 §6, reduced to
 * what secdns needs): build a chain to a trusted CA, then check signatures, dates against an
 * injected clock, basicConstraints and pathLen, keyUsage, the purpose's EKU, the expected name
 * and revocation. Every failure has its own code.
 */
import 'reflect-metadata'
import { X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { PkiError } from './errors.js'
import { parseCrl, type ParsedCrl } from './crl.js'
import { normalizeSerial } from './issue.js'
import { matchName, type PresentedNames } from './names.js'
import {
  EKU_NAMES, decodeExtKeyUsage, OID_ANY_EKU, OID_CLIENT_AUTH, OID_DNS_SERVER_TRUST, OID_EXT, OID_SECDNS_ADMIN, OID_SERVER_AUTH,
} from './oids.js'
import { MAX_CERTIFICATE_BYTES, MAX_CHAIN_CERTIFICATES, MAX_PATH_LENGTH, MAX_SIGNATURE_CHECKS } from './limits.js'
import { toDer } from './pem.js'

/** What a certificate is being used for. */
export type Purpose = 'dns-server' | 'tls-server' | 'client' | 'admin' | 'any'

/** Input of {@link verifyCertificate}. */
export interface VerifyOptions {
  /** PEM or DER of the end-entity certificate. */
  cert: string | Uint8Array
  /** Intermediates, in any order. */
  chain?: (string | Uint8Array)[]
  /** Trust anchors: the CA certificates the caller trusts. */
  trusted: (string | Uint8Array)[]
  purpose: Purpose
  /** Expected DNS name or IP address (matched against SAN dNSName/iPAddress). */
  name?: string
  crls?: (string | Uint8Array)[]
  /** The clock (defaults to the current time). */
  now?: Date
  /** Longest path to build (default {@link MAX_PATH_LENGTH}). */
  maxPathLength?: number
}

/** A validated path. */
export interface VerifiedChain {
  /** Leaf first, anchor last. */
  readonly path: X509Certificate[]
  readonly subject: string
  readonly issuer: string
  /** Leaf serial, lowercase hex. */
  readonly serial: string
  readonly anchorSubject: string
}


/** A certificate parsed once, with what the checks need. */
export interface ParsedCertificate {
  readonly der: Uint8Array
  readonly node: X509Certificate
  readonly px: x509.X509Certificate
  readonly subjectDer: string
  readonly issuerDer: string
  /** First CN, or the whole subject. */
  readonly label: string
  readonly serial: string
  readonly notBefore: Date
  readonly notAfter: Date
  readonly ski: string | undefined
  readonly aki: string | undefined
  readonly ca: boolean
  readonly hasBasicConstraints: boolean
  readonly pathLen: number | undefined
  /** keyUsage bits, or undefined when the extension is absent. */
  readonly keyUsage: number | undefined
  /** EKU OIDs, or undefined when the extension is absent. */
  readonly eku: readonly string[] | undefined
  readonly names: PresentedNames
  readonly unknownCritical: readonly string[]
}

const KNOWN_CRITICAL = new Set<string>([
  OID_EXT.basicConstraints, OID_EXT.keyUsage, OID_EXT.extKeyUsage, OID_EXT.subjectAltName,
  OID_EXT.subjectKeyIdentifier, OID_EXT.authorityKeyIdentifier,
])

/**
 * Parse a certificate (PEM or DER) for verification.
 *
 * @throws {PkiError} ERR_PKI_BAD_CERTIFICATE
 */
export function parseCertificate(input: string | Uint8Array, what = 'certificate'): ParsedCertificate {
  const der = toDer(input, ['CERTIFICATE'], 'ERR_PKI_BAD_CERTIFICATE', what)
  if (der.length > MAX_CERTIFICATE_BYTES) throw new PkiError('ERR_PKI_BAD_CERTIFICATE', `the ${what} is ${der.length} bytes, over the ${MAX_CERTIFICATE_BYTES}-byte limit`)
  try {
    const node = new X509Certificate(der)
    const px = new x509.X509Certificate(der)
    const bc = px.getExtension(x509.BasicConstraintsExtension)
    const ku = px.getExtension(x509.KeyUsagesExtension)
    const ekuExt = px.extensions.find((e) => e.type === OID_EXT.extKeyUsage)
    const san = px.getExtension(x509.SubjectAlternativeNameExtension)
    const dns: string[] = []
    const ip: string[] = []
    for (const g of san?.names.items ?? []) {
      if (g.type === 'dns') dns.push(g.value)
      else if (g.type === 'ip') ip.push(g.value)
    }
    const cn = px.subjectName.getField('CN')[0]
    return {
      der,
      node,
      px,
      subjectDer: Buffer.from(px.subjectName.toArrayBuffer()).toString('hex'),
      issuerDer: Buffer.from(px.issuerName.toArrayBuffer()).toString('hex'),
      label: cn ?? px.subject,
      serial: normalizeSerial(px.serialNumber),
      notBefore: px.notBefore,
      notAfter: px.notAfter,
      ski: px.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId?.toLowerCase(),
      aki: px.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId?.toLowerCase(),
      ca: bc?.ca === true,
      hasBasicConstraints: bc !== null,
      pathLen: bc?.pathLength,
      keyUsage: ku === null ? undefined : ku.usages,
      eku: ekuExt === undefined ? undefined : decodeExtKeyUsage(new Uint8Array(ekuExt.value)),
      names: { dns, ip },
      unknownCritical: px.extensions.filter((e) => e.critical && !KNOWN_CRITICAL.has(e.type)).map((e) => e.type),
    }
  } catch (e) {
    if (e instanceof PkiError) throw e
    throw new PkiError('ERR_PKI_BAD_CERTIFICATE', `cannot parse the ${what}: ${(e as Error).message}`, { cause: e })
  }
}

function signedBy(child: ParsedCertificate, parent: ParsedCertificate): boolean {
  try {
    return child.node.verify(parent.node.publicKey)
  } catch {
    return false
  }
}

/** Could `parent` have issued `child`? RFC 5280 §6.1.3 (a)(4): issuer name = subject name; key ids must agree when both exist. */
function nameAndKeyIdMatch(child: ParsedCertificate, parent: ParsedCertificate): { match: boolean; byKeyId: boolean } {
  if (child.issuerDer !== parent.subjectDer) return { match: false, byKeyId: false }
  if (child.aki !== undefined && parent.ski !== undefined) {
    return { match: child.aki === parent.ski, byKeyId: child.aki === parent.ski }
  }
  return { match: true, byKeyId: false }
}

function sameDer(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return Buffer.compare(Buffer.from(a.der), Buffer.from(b.der)) === 0
}

/**
 * Depth-first path building with backtracking (RFC 4158 §2: a name may lead to several
 * candidate issuers, e.g. a re-keyed or cross-certified CA; the first one tried may be a dead end).
 * Trust anchors are tried before intermediates, so the shortest path to an anchor wins.
 */
function buildPath(leaf: ParsedCertificate, chain: ParsedCertificate[], trusted: ParsedCertificate[], maxLength: number): ParsedCertificate[] {
  let badSignature: { child: ParsedCertificate; issuer: ParsedCertificate } | null = null
  let deepest: ParsedCertificate[] = [leaf]
  let tooLong = false
  let checks = 0

  const extend = (path: ParsedCertificate[]): ParsedCertificate[] | null => {
    const cur = path[path.length - 1] as ParsedCertificate
    // A certificate that is itself a trust anchor ends the path.
    if (path.length > 1 && trusted.some((t) => sameDer(t, cur))) return path
    if (path.length >= maxLength) { tooLong = true; return null }
    if (path.length > deepest.length) deepest = path
    for (const [pool, isAnchor] of [[trusted, true], [chain, false]] as const) {
      for (const cand of pool) {
        if (path.some((p) => sameDer(p, cand))) continue
        const m = nameAndKeyIdMatch(cur, cand)
        if (!m.match) continue
        if (++checks > MAX_SIGNATURE_CHECKS) {
          throw new PkiError('ERR_PKI_UNTRUSTED', `gave up building a path for "${leaf.label}" after ${MAX_SIGNATURE_CHECKS} signature checks`)
        }
        if (!signedBy(cur, cand)) {
          if (m.byKeyId) badSignature ??= { child: cur, issuer: cand }
          continue
        }
        if (isAnchor) return [...path, cand]
        const found = extend([...path, cand])
        if (found !== null) return found
      }
    }
    return null
  }

  const path = extend([leaf])
  if (path !== null) return path
  if (badSignature !== null) {
    const b: { child: ParsedCertificate; issuer: ParsedCertificate } = badSignature
    // RFC 5280 §6.1.3 (a)(1): the signature must verify with the working public key.
    throw new PkiError('ERR_PKI_BAD_SIGNATURE',
      `the signature on the certificate for "${b.child.label}" does not verify with the key of "${b.issuer.label}" (tampered or corrupted)`)
  }
  if (tooLong) throw new PkiError('ERR_PKI_UNTRUSTED', `no trusted CA within ${maxLength} certificates of "${leaf.label}"`)
  const end = deepest[deepest.length - 1] as ParsedCertificate
  const issuer = end.px.issuer
  throw new PkiError('ERR_PKI_UNTRUSTED',
    end === leaf
      ? `the certificate for "${leaf.label}" was not issued by a trusted CA (its issuer is "${issuer}")`
      : `the chain of "${leaf.label}" ends at "${end.label}", which was not issued by a trusted CA (its issuer is "${issuer}")`)
}

function ekuName(oid: string): string {
  const n = EKU_NAMES[oid]
  return n === undefined ? oid : `${n} (${oid})`
}

/** "the DNS Server Trust EKU (1.3.6.1.4.1.311.64.1.1)" */
function ekuPhrase(oid: string): string {
  const n = EKU_NAMES[oid]
  return n === undefined ? `the EKU ${oid}` : `the ${n} EKU (${oid})`
}

/** The EKU OIDs a purpose requires (every one of them). */
function requiredEkus(purpose: Purpose): string[] {
  switch (purpose) {
    case 'dns-server': return [OID_SERVER_AUTH, OID_DNS_SERVER_TRUST]
    case 'tls-server': return [OID_SERVER_AUTH]
    case 'client': return [OID_CLIENT_AUTH]
    case 'admin': return [OID_CLIENT_AUTH, OID_SECDNS_ADMIN]
    case 'any': return []
  }
}

function checkPurpose(cert: ParsedCertificate, purpose: Purpose, isLeaf: boolean): void {
  const need = requiredEkus(purpose)
  if (need.length === 0) return
  const eku = cert.eku
  // RFC 5280 §4.2.1.12: without the extension a certificate is not restricted. The Windows
  // DNS Server Trust and our admin EKU are positive proofs: the leaf must carry them explicitly.
  const explicit = new Set<string>([OID_DNS_SERVER_TRUST, OID_SECDNS_ADMIN])
  for (const oid of need) {
    if (eku === undefined) {
      if (isLeaf && explicit.has(oid)) {
        throw new PkiError('ERR_PKI_WRONG_PURPOSE', `certificate for ${cert.label} has no extended key usage, so it lacks ${ekuPhrase(oid)}`)
      }
      continue
    }
    if (eku.includes(oid)) continue
    if (eku.includes(OID_ANY_EKU) && !(isLeaf && explicit.has(oid))) continue
    throw new PkiError('ERR_PKI_WRONG_PURPOSE',
      isLeaf
        ? `certificate for ${cert.label} lacks ${ekuPhrase(oid)} (it allows: ${eku.map(ekuName).join(', ') || 'nothing'})`
        : `CA certificate "${cert.label}" restricts its extended key usage and does not allow ${ekuName(oid)}`)
  }
}

function checkDates(cert: ParsedCertificate, now: Date, role: string): void {
  // RFC 5280 §6.1.3 (a)(2): the certificate validity period includes the current time.
  if (now < cert.notBefore) {
    throw new PkiError('ERR_PKI_NOT_YET_VALID', `${role} for ${cert.label} is not valid until ${cert.notBefore.toISOString()} (now ${now.toISOString()})`)
  }
  if (now > cert.notAfter) {
    throw new PkiError('ERR_PKI_EXPIRED', `${role} for ${cert.label} expired on ${cert.notAfter.toISOString()} (now ${now.toISOString()})`)
  }
}

async function checkRevocation(cert: ParsedCertificate, issuer: ParsedCertificate, crls: ParsedCrl[], now: Date): Promise<void> {
  for (const crl of crls) {
    if (crl.issuerDer !== issuer.subjectDer) continue
    // A same-named CA with another key issues its own CRLs; its key identifier tells them apart.
    if (crl.aki !== undefined && issuer.ski !== undefined && crl.aki !== issuer.ski) continue
    // RFC 5280 §6.3.3 (f): the CRL must be signed by the certificate's issuer, which must be allowed to sign CRLs.
    let ok = false
    try {
      ok = await crl.crl.verify({ publicKey: issuer.px.publicKey })
    } catch {
      ok = false
    }
    if (!ok) throw new PkiError('ERR_PKI_CRL_INVALID', `the CRL from "${issuer.label}" has a bad signature`)
    if (issuer.keyUsage !== undefined && (issuer.keyUsage & x509.KeyUsageFlags.cRLSign) === 0) {
      throw new PkiError('ERR_PKI_CRL_INVALID', `"${issuer.label}" may not sign CRLs (keyUsage lacks cRLSign)`)
    }
    if (now < crl.thisUpdate) throw new PkiError('ERR_PKI_CRL_INVALID', `the CRL from "${issuer.label}" is not valid until ${crl.thisUpdate.toISOString()}`)
    // RFC 5280 §6.3.3 (a)(1)/(b): a CRL past its nextUpdate is stale.
    if (crl.nextUpdate !== undefined && now > crl.nextUpdate) {
      throw new PkiError('ERR_PKI_CRL_INVALID', `the CRL from "${issuer.label}" is stale: its next update was due ${crl.nextUpdate.toISOString()}`)
    }
    const entry = crl.revoked.get(cert.serial)
    if (entry !== undefined && entry.date <= now) {
      throw new PkiError('ERR_PKI_REVOKED',
        `certificate for ${cert.label} (serial ${cert.serial}) was revoked on ${entry.date.toISOString()}${entry.reason === undefined ? '' : ` (${entry.reason})`}`)
    }
  }
}

/**
 * Validate a certificate for a purpose: build a chain to one of `trusted`, then check every
 * certificate's signature, dates, CA constraints and revocation, and the leaf's keyUsage, EKU and name.
 *
 * @returns the validated path (leaf first, anchor last)
 * @throws {PkiError} ERR_PKI_UNTRUSTED, ERR_PKI_BAD_SIGNATURE, ERR_PKI_EXPIRED, ERR_PKI_NOT_YET_VALID,
 *   ERR_PKI_NOT_CA, ERR_PKI_PATH_LEN, ERR_PKI_KEY_USAGE, ERR_PKI_WRONG_PURPOSE, ERR_PKI_NAME_MISMATCH,
 *   ERR_PKI_REVOKED, ERR_PKI_CRL_INVALID, ERR_PKI_UNKNOWN_CRITICAL_EXTENSION, ERR_PKI_BAD_CERTIFICATE
 * @example
 * await verifyCertificate({ cert: serverPem, chain: [intermediatePem], trusted: [rootPem], purpose: 'dns-server', name: 'dns1.lab.test' })
 */
export async function verifyCertificate(opts: VerifyOptions): Promise<VerifiedChain> {
  const now = opts.now ?? new Date()
  if (!Array.isArray(opts.trusted) || opts.trusted.length === 0) {
    throw new PkiError('ERR_PKI_INVALID_PARAMS', 'verifyCertificate needs at least one trusted CA certificate')
  }
  if (!['dns-server', 'tls-server', 'client', 'admin', 'any'].includes(opts.purpose)) {
    throw new PkiError('ERR_PKI_INVALID_PARAMS', `unknown purpose "${String(opts.purpose)}"`)
  }
  if ((opts.chain ?? []).length > MAX_CHAIN_CERTIFICATES) {
    throw new PkiError('ERR_PKI_INVALID_PARAMS', `${(opts.chain ?? []).length} chain certificates given; at most ${MAX_CHAIN_CERTIFICATES} are read`)
  }
  const leaf = parseCertificate(opts.cert)
  const chain = (opts.chain ?? []).map((c, i) => parseCertificate(c, `chain certificate ${i + 1}`))
  const trusted = opts.trusted.map((c, i) => parseCertificate(c, `trusted certificate ${i + 1}`))
  const crls = (opts.crls ?? []).map((c) => parseCrl(c))

  const path = buildPath(leaf, chain, trusted, opts.maxPathLength ?? MAX_PATH_LENGTH)

  for (let i = 0; i < path.length; i++) {
    const cert = path[i] as ParsedCertificate
    const isLeaf = i === 0
    const role = isLeaf ? 'certificate' : i === path.length - 1 ? 'CA certificate' : 'intermediate CA certificate'
    // RFC 5280 §4.2: a certificate with a critical extension we do not understand must be rejected.
    if (cert.unknownCritical.length > 0) {
      throw new PkiError('ERR_PKI_UNKNOWN_CRITICAL_EXTENSION', `${role} for ${cert.label} has a critical extension we do not process (${cert.unknownCritical.join(', ')})`)
    }
    checkDates(cert, now, role)
    if (!isLeaf) {
      // RFC 5280 §6.1.4 (k): an issuer must be a CA (basicConstraints cA=TRUE).
      if (!cert.ca) {
        throw new PkiError('ERR_PKI_NOT_CA', `"${cert.label}" signed "${(path[i - 1] as ParsedCertificate).label}" but is not a CA (basicConstraints cA is ${cert.hasBasicConstraints ? 'FALSE' : 'absent'})`)
      }
      // RFC 5280 §6.1.4 (n): an issuer's keyUsage, when present, must assert keyCertSign.
      if (cert.keyUsage !== undefined && (cert.keyUsage & x509.KeyUsageFlags.keyCertSign) === 0) {
        throw new PkiError('ERR_PKI_KEY_USAGE', `CA certificate "${cert.label}" may not sign certificates (keyUsage lacks keyCertSign)`)
      }
      // RFC 5280 §4.2.1.9 / §6.1.4 (l)(m): pathLenConstraint counts the non-self-issued
      // intermediate CAs below this one (the leaf does not count).
      let below = 0
      for (let j = 1; j < i; j++) {
        const c = path[j] as ParsedCertificate
        if (c.subjectDer !== c.issuerDer) below++
      }
      if (cert.pathLen !== undefined && below > cert.pathLen) {
        throw new PkiError('ERR_PKI_PATH_LEN', `CA "${cert.label}" allows ${cert.pathLen} intermediate CA(s) below it (pathLen ${cert.pathLen}) but the chain has ${below}`)
      }
    }
    if (opts.purpose !== 'any') checkPurpose(cert, opts.purpose, isLeaf)
  }

  // RFC 5280 §4.2.1.3: an end-entity key that signs (TLS, IKE AUTH) needs digitalSignature.
  if (leaf.keyUsage !== undefined && (leaf.keyUsage & x509.KeyUsageFlags.digitalSignature) === 0) {
    throw new PkiError('ERR_PKI_KEY_USAGE', `certificate for ${leaf.label} may not be used for signatures (keyUsage lacks digitalSignature)`)
  }
  if (opts.name !== undefined && !matchName(leaf.names, opts.name)) {
    const presented = [...leaf.names.dns, ...leaf.names.ip]
    throw new PkiError('ERR_PKI_NAME_MISMATCH',
      `certificate for ${leaf.label} does not name ${opts.name} (its subjectAltName has ${presented.length === 0 ? 'no names' : presented.join(', ')})`)
  }
  for (let i = 0; i + 1 < path.length; i++) {
    await checkRevocation(path[i] as ParsedCertificate, path[i + 1] as ParsedCertificate, crls, now)
  }

  const anchor = path[path.length - 1] as ParsedCertificate
  return {
    path: path.map((p) => p.node),
    subject: leaf.node.subject,
    issuer: leaf.node.issuer,
    serial: leaf.serial,
    anchorSubject: anchor.node.subject,
  }
}
