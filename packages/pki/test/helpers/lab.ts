import 'reflect-metadata'
/**
 * A small lab of CAs and certificates for the tests, on a fixed clock.
 */
import { generateKey, type KeySpec } from '../../src/keys.js'
import {
  buildCertificate, createIntermediateCa, createRootCa, issueCertificate, randomSerial, type CertifiedKey,
} from '../../src/issue.js'
import * as x509 from '@peculiar/x509'

/** The fixed "now" of every test (2026-01-01). */
export const NOW = new Date(Date.UTC(2026, 0, 1))
export const DAY = 86_400_000

export interface Lab {
  root: CertifiedKey
  inter: CertifiedKey
  server: CertifiedKey
  client: CertifiedKey
}

/** Root → intermediate → dns-server and client leaves. */
export async function makeLab(key: KeySpec = 'ecdsa-p256'): Promise<Lab> {
  const root = await createRootCa({ name: 'secdns Test Root', key, now: new Date(NOW.getTime() - 10 * DAY) })
  const inter = await createIntermediateCa(root, { name: 'secdns Test Issuing CA', key, now: new Date(NOW.getTime() - 5 * DAY) })
  const server = await issueCertificate(inter, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], ip: ['127.0.0.1'], key, now: new Date(NOW.getTime() - DAY) })
  const client = await issueCertificate(inter, { profile: 'client', name: 'client1.lab.test', dns: ['client1.lab.test'], key, now: new Date(NOW.getTime() - DAY) })
  return { root, inter, server, client }
}

/** Sign a certificate with arbitrary extensions (to make the bad ones the verifier must refuse). */
export async function forge(issuer: CertifiedKey, opts: {
  name: string; ca?: boolean; pathLen?: number; eku?: string[]; dns?: string[]; keyUsage?: number;
  notBefore?: Date; notAfter?: Date; noBasicConstraints?: boolean; extra?: x509.Extension[]
}): Promise<CertifiedKey> {
  const k = await generateKey('ecdsa-p256')
  const ext: x509.Extension[] = []
  if (opts.noBasicConstraints !== true) ext.push(new x509.BasicConstraintsExtension(opts.ca === true, opts.pathLen, true))
  ext.push(new x509.KeyUsagesExtension(opts.keyUsage ?? (opts.ca === true
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
    : x509.KeyUsageFlags.digitalSignature), true))
  if (opts.eku !== undefined) ext.push(new x509.ExtendedKeyUsageExtension(opts.eku))
  if (opts.dns !== undefined) ext.push(new x509.SubjectAlternativeNameExtension(opts.dns.map((d) => ({ type: 'dns' as const, value: d }))))
  const ski = await x509.SubjectKeyIdentifierExtension.create(new Uint8Array(k.publicKey.export({ format: 'der', type: 'spki' })))
  const issuerSki = new x509.X509Certificate(issuer.certDer).getExtension(x509.SubjectKeyIdentifierExtension)
  ext.push(ski)
  if (issuerSki !== null) ext.push(new x509.AuthorityKeyIdentifierExtension(issuerSki.keyId))
  ext.push(...(opts.extra ?? []))
  const built = await buildCertificate({
    issuer,
    signingKey: issuer.privateKey!,
    publicKey: k.publicKey,
    subject: [{ CN: [opts.name] }],
    serial: randomSerial(),
    notBefore: opts.notBefore ?? new Date(NOW.getTime() - DAY),
    notAfter: opts.notAfter ?? new Date(NOW.getTime() + 30 * DAY),
    extensions: ext,
  })
  const { certifiedFromDer } = await import('../../src/issue.js')
  return certifiedFromDer(built.certDer, k.privateKey)
}

/** Flip one byte in the last octets of a DER certificate (inside the signature value). */
export function tamperSignature(der: Uint8Array): Uint8Array {
  const out = new Uint8Array(der)
  const i = out.length - 5
  out[i] = (out[i] ?? 0) ^ 0x01
  return out
}
