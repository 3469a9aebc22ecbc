/**
 * A throw-away PKI for the server's TLS listener tests: a root CA, the DNS-server
 * certificate of ns1.example.test and any number of peer certificates (admin, client),
 * written to DIR as ca.pem, ns.pem and ns.key (0600).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRootCa, issueCertificate, type CertifiedKey } from '@secdns/pki'

/** A certificate with its private key, as a TLS client presents it. */
export interface TestIdentity { certPem: string, keyPem: string }

/** What {@link writeTestPki} made: the root, and one identity per requested peer, in order. */
export interface TestPki { root: CertifiedKey, caFile: string, certFile: string, keyFile: string, peers: TestIdentity[] }

/**
 * @param dir where ca.pem, ns.pem and ns.key go
 * @param caName the root CA's name
 * @param peers the peer certificates to issue from the same root
 */
export async function writeTestPki(dir: string, caName: string, peers: Array<{ profile: 'admin' | 'client', name: string }> = []): Promise<TestPki> {
  const root = await createRootCa({ name: caName })
  const server = await issueCertificate(root, { profile: 'dns-server', name: 'ns1.example.test' })
  const issued: TestIdentity[] = []
  for (const p of peers) {
    const c = await issueCertificate(root, p)
    issued.push({ certPem: c.certPem, keyPem: c.keyPem! })
  }
  const pki = { root, caFile: join(dir, 'ca.pem'), certFile: join(dir, 'ns.pem'), keyFile: join(dir, 'ns.key'), peers: issued }
  writeFileSync(pki.caFile, root.certPem)
  writeFileSync(pki.certFile, server.certPem)
  writeFileSync(pki.keyFile, server.keyPem!, { mode: 0o600 })
  return pki
}
