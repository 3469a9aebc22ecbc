/**
 * The material of `secdns lab`, made with the libraries only: the lab CA and its
 * certificates (@secdns/pki), DNSSEC keys kept in certificates and offline-signed zones
 * (@secdns/dnssec), the trust anchor file (@secdns/resolver) and the client's NRPT
 * tables (@secdns/client). Everything is written under one directory; private keys are
 * mode 0600 and written through a temp file and a rename.
 */
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Name, RRType, rrToText, type Dnskey, type ResourceRecord } from '@secdns/wire'
import { createRootCa, issueCertificate, writeFileAtomic, type CertifiedKey } from '@secdns/pki'
import { DnssecAlgorithm, createKey, nowSeconds, saveKey, signZoneFile, type DnssecKey } from '@secdns/dnssec'
import { TrustAnchors, exportBindAnchors } from '@secdns/resolver'
import { compileNrpt } from '@secdns/client'

/** The names the lab uses. */
export const LAB = {
  parent: 'lab.test',
  child: 'corp.lab.test',
  broken: 'broken.lab.test',
  serverName: 'dns1.lab.test',
  clientName: 'client1.lab.test',
  caName: 'secdns Lab Root CA',
  rogueCaName: 'secdns Rogue Root CA',
  /** The address of www.broken.lab.test as signed, and the one written over it afterwards. */
  brokenSigned: '192.0.2.30',
  brokenTampered: '192.0.2.66',
} as const

/** The subdirectories `secdns lab` owns inside its directory (cleared when it rebuilds). */
export const LAB_SUBDIRS = ['ca', 'certs', 'keys', 'zones', 'server', 'client'] as const

/** The marker file that says a directory holds a lab. */
export const LAB_MARKER = 'lab.json'

/** A certificate and key written to disk. */
export interface CertFiles {
  readonly cert: string
  readonly key: string
  readonly issued: CertifiedKey
}

/** What {@link buildLab} made, and where. */
export interface LabMaterial {
  readonly dir: string
  readonly ca: CertFiles
  readonly rogueCa: CertFiles
  readonly server: CertFiles
  readonly client: CertFiles
  /** dns1.lab.test from the lab CA, an ordinary TLS server certificate: serverAuth but no DNS Server Trust EKU. */
  readonly rogueNoEku: CertFiles
  /** dns1.lab.test with the DNS Server Trust EKU, from another CA. */
  readonly rogueOtherCa: CertFiles
  readonly keys: { readonly zone: string, readonly role: 'ksk' | 'zsk', readonly keyTag: number, readonly files: string }[]
  /** Signed zone files by zone name. */
  readonly zones: Readonly<Record<string, string>>
  readonly trustAnchors: string
  /** BIND `trust-anchors` clause of the same anchor, for delv. */
  readonly bindAnchors: string
  readonly ksk: { readonly zone: string, readonly keyTag: number, readonly dnskey: string }
  /** Every private key file written. */
  readonly privateKeys: readonly string[]
}

/** Every code a {@link LabError} can carry. */
export type LabErrorCode =
  | 'ERR_LAB_DIR'    // --dir holds something else than a lab
  | 'ERR_LAB_SETUP'  // the lab's own material came out other than planned (a library changed its output)

/**
 * The coded error of `secdns lab`'s setup (exit code 2).
 *
 * @example
 * try { await prepareLabDir('notes/') } catch (e) { if (e instanceof LabError && e.code === 'ERR_LAB_DIR') usage() }
 */
export class LabError extends Error {
  /**
   * @param code one of {@link LabErrorCode}
   * @param message what is wrong, naming the file or directory
   */
  readonly code: LabErrorCode

  constructor(code: LabErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = 'LabError'
  }
}

/**
 * Make sure `dir` can hold a lab: a new or empty directory, or one a previous lab made
 * (then its lab subdirectories are removed, so no stale key is picked up).
 * @throws {LabError} ERR_LAB_DIR for a non-empty directory without lab.json
 */
export async function prepareLabDir(dir: string): Promise<void> {
  if (existsSync(dir)) {
    const entries = readdirSync(dir)
    if (entries.length > 0 && !entries.includes(LAB_MARKER)) {
      throw new LabError('ERR_LAB_DIR', `${dir} is not empty and holds no ${LAB_MARKER}: give a new or empty directory (or one an earlier secdns lab made)`)
    }
    for (const sub of LAB_SUBDIRS) await rm(join(dir, sub), { recursive: true, force: true })
  }
  await mkdir(dir, { recursive: true })
  // The marker goes in first, so a lab that fails half-way can be rebuilt in place.
  await writeFileAtomic(join(dir, LAB_MARKER), JSON.stringify({ secdns: 'lab', state: 'building' }) + '\n')
  for (const sub of LAB_SUBDIRS) await mkdir(join(dir, sub), { recursive: true })
}

async function writeCert(dir: string, base: string, issued: CertifiedKey, chain = ''): Promise<CertFiles> {
  const cert = join(dir, `${base}.pem`)
  const key = join(dir, `${base}.key`)
  await writeFileAtomic(cert, issued.certPem + chain)
  // The key leaves memory only as a 0600 file (never logged, never printed).
  await writeFileAtomic(key, issued.keyPem!, 0o600)
  return { cert, key, issued }
}

function zoneText(origin: string, body: readonly string[]): string {
  return [
    `$ORIGIN ${origin}.`,
    '$TTL 300',
    `@\tIN\tSOA\t${LAB.serverName}. hostmaster.${LAB.parent}. 1 3600 600 86400 300`,
    `@\tIN\tNS\t${LAB.serverName}.`,
    ...body,
    '',
  ].join('\n')
}

/** Certificates of the lab: CA, server, client and the two rogue server certificates. */
export async function buildCertificates(dir: string): Promise<Pick<LabMaterial, 'ca' | 'rogueCa' | 'server' | 'client' | 'rogueNoEku' | 'rogueOtherCa'>> {
  const caDir = join(dir, 'ca')
  const certDir = join(dir, 'certs')
  const root = await createRootCa({ name: LAB.caName, key: 'ecdsa-p256' })
  const rogueRoot = await createRootCa({ name: LAB.rogueCaName, key: 'ecdsa-p256' })
  const server = await issueCertificate(root, { profile: 'dns-server', name: LAB.serverName, dns: [LAB.serverName], ip: ['127.0.0.1'], key: 'ecdsa-p256' })
  const client = await issueCertificate(root, { profile: 'client', name: LAB.clientName, key: 'ecdsa-p256' })
  // The wrong certificates: the right name and CA, but an ordinary TLS server certificate
  // (serverAuth, no DNS Server Trust EKU); or the EKU, but from a CA the client's rule does
  // not name as its trust authority.
  const noEku = await issueCertificate(root, { profile: 'tls-server', name: LAB.serverName, dns: [LAB.serverName], ip: ['127.0.0.1'], key: 'ecdsa-p256' })
  const otherCa = await issueCertificate(rogueRoot, { profile: 'dns-server', name: LAB.serverName, dns: [LAB.serverName], ip: ['127.0.0.1'], key: 'ecdsa-p256' })
  return {
    ca: await writeCert(caDir, 'lab-root-ca', root),
    rogueCa: await writeCert(caDir, 'rogue-root-ca', rogueRoot),
    server: await writeCert(certDir, LAB.serverName, server),
    client: await writeCert(certDir, LAB.clientName, client),
    rogueNoEku: await writeCert(certDir, 'rogue-no-eku', noEku),
    rogueOtherCa: await writeCert(certDir, 'rogue-other-ca', otherCa),
  }
}

async function makeKeys(dir: string, zone: string, now: number): Promise<{ keys: DnssecKey[], out: LabMaterial['keys'][number][] }> {
  const keys: DnssecKey[] = []
  const out: LabMaterial['keys'][number][] = []
  for (const ksk of [true, false]) {
    const { key } = createKey(zone, DnssecAlgorithm.ECDSAP256SHA256, { ksk, now: now - 3600 })
    const base = await saveKey(join(dir, 'keys'), key)
    keys.push(key)
    out.push({ zone, role: ksk ? 'ksk' : 'zsk', keyTag: key.keyTag, files: base })
  }
  return { keys, out }
}

/**
 * Keys and offline-signed zones: lab.test (NSEC) delegating to corp.lab.test (NSEC3) and
 * broken.lab.test (NSEC, one record changed after signing), both with their DS in the
 * parent; then the trust anchor file holding the lab.test KSK.
 * @param dir the lab directory (prepared)
 * @param step runs each part as a progress step
 */
export async function buildZones(
  dir: string,
  step: <T>(label: string, fn: () => Promise<T>) => Promise<T>,
): Promise<Pick<LabMaterial, 'keys' | 'zones' | 'trustAnchors' | 'bindAnchors' | 'ksk'>> {
  const now = nowSeconds()
  const zdir = join(dir, 'zones')
  const allKeys: LabMaterial['keys'][number][] = []
  const zones: Record<string, string> = {}
  const ds: ResourceRecord[] = []
  const sign = async (zone: string, body: readonly string[], nsec3: boolean): Promise<ResourceRecord[]> => {
    const { keys, out } = await makeKeys(dir, zone, now)
    allKeys.push(...out)
    const file = join(zdir, `${zone}.zone`)
    await writeFileAtomic(file, zoneText(zone, body))
    const res = await signZoneFile(file, {
      origin: Name.fromString(`${zone}.`), keys, now, out: join(zdir, `${zone}.signed`),
      ...(nsec3 ? { nsec3: { hashAlgorithm: 1, iterations: 0, salt: new Uint8Array(0), optOut: false } } : {}),
    })
    zones[zone] = res.out
    ds.push(...res.ds)
    return res.records
  }
  await step(`sign ${LAB.child} (NSEC3, ECDSA P-256)`, () => sign(LAB.child, [
    'www\tIN\tA\t192.0.2.20', 'app\tIN\tA\t192.0.2.21', 'app\tIN\tTXT\t"served from the NSEC3-signed child"',
  ], true))
  await step(`sign ${LAB.broken} (NSEC) and tamper with www`, async () => {
    await sign(LAB.broken, [`www\tIN\tA\t${LAB.brokenSigned}`], false)
    // The deliberate break: the address is changed after signing, so its RRSIG no
    // longer verifies (RFC 4035 §5.3.3) and a validator must call the answer Bogus.
    const f = zones[LAB.broken]!
    const text = await readFile(f, 'utf8')
    const tampered = text.replace(new RegExp(`(www\\.${LAB.broken.replaceAll('.', '\\.')}\\.\\s+\\d+\\s+IN\\s+A\\s+)${LAB.brokenSigned.replaceAll('.', '\\.')}`), `$1${LAB.brokenTampered}`)
    if (tampered === text) throw new LabError('ERR_LAB_SETUP', `${f}: the A record of www.${LAB.broken} was not found to tamper with`)
    await writeFileAtomic(f, tampered)
  })
  const parentRecords = await step(`sign ${LAB.parent} (NSEC) with the DS of both children`, () => sign(LAB.parent, [
    `${LAB.serverName.split('.')[0]}\tIN\tA\t127.0.0.1`,
    'www\tIN\tA\t192.0.2.10', 'mail\tIN\tA\t192.0.2.11', '@\tIN\tMX\t10 mail', '@\tIN\tTXT\t"secdns lab parent zone, NSEC-signed"',
    `corp\tIN\tNS\t${LAB.serverName}.`, `broken\tIN\tNS\t${LAB.serverName}.`,
    ...ds.map((r) => rrToText(r)),
  ], false))
  const kskRecord = parentRecords.find((r): r is ResourceRecord<Dnskey> => r.data.type === RRType.DNSKEY && (r.data as Dnskey).flags === 257)
  if (kskRecord === undefined) throw new LabError('ERR_LAB_SETUP', `the signed ${LAB.parent} has no KSK DNSKEY`)
  const anchorLine = rrToText({ ...kskRecord, ttl: 3600 })
  const trustAnchors = join(dir, 'TrustAnchors.dns')
  const text = `; secdns lab: the trust anchor of ${LAB.parent} (its KSK), as Windows keeps TrustAnchors.dns\n${anchorLine}\n`
  // Parse before writing: the file must be what our resolver reads.
  const anchors = TrustAnchors.parse(text, trustAnchors)
  await writeFileAtomic(trustAnchors, text)
  const bindAnchors = join(dir, 'anchors.conf')
  await writeFileAtomic(bindAnchors, exportBindAnchors(anchors.list().map((a) => a.record)))
  const keyTag = allKeys.find((k) => k.zone === LAB.parent && k.role === 'ksk')!.keyTag
  return { keys: allKeys, zones, trustAnchors, bindAnchors, ksk: { zone: LAB.parent, keyTag, dnskey: anchorLine } }
}

/** The ports the lab's servers listen on, needed for the client tables. */
export interface NrptPorts {
  readonly channel: number
  readonly rogueNoEku: number
  readonly rogueOtherCa: number
  readonly resolverUdp: number
}

/**
 * The client's NRPT: `.lab.test` requires validation and the protected channel with
 * encryption High to dns1.lab.test, trust authority the lab CA. The two rogue tables are
 * the same rule pointed at the listeners with the wrong certificates.
 * @returns the paths of nrpt.json, nrpt-rogue-no-eku.json and nrpt-rogue-other-ca.json
 */
export async function writeNrpts(m: Pick<LabMaterial, 'dir' | 'ca' | 'client'>, ports: NrptPorts): Promise<{ nrpt: string, rogueNoEku: string, rogueOtherCa: string }> {
  const cdir = join(m.dir, 'client')
  const table = (port: number): Record<string, unknown> => ({
    global: {
      clientCertificate: { certificate: m.client.cert, privateKey: m.client.key },
      defaultServers: [`udp://127.0.0.1:${ports.resolverUdp}`],
      timeoutMs: 5000,
    },
    rules: [{
      name: 'lab', namespace: `.${LAB.parent}`, comment: 'secdns lab: validation required, encrypted protected channel',
      dnsSecEnable: true, dnsSecValidationRequired: true, secureChannelRequired: true, encryption: 'High',
      trustAuthority: m.ca.cert, nameServers: [{ address: `ws://127.0.0.1:${port}/`, serverName: LAB.serverName }],
    }],
  })
  const out = { nrpt: join(cdir, 'nrpt.json'), rogueNoEku: join(cdir, 'nrpt-rogue-no-eku.json'), rogueOtherCa: join(cdir, 'nrpt-rogue-other-ca.json') }
  for (const [file, port] of [[out.nrpt, ports.channel], [out.rogueNoEku, ports.rogueNoEku], [out.rogueOtherCa, ports.rogueOtherCa]] as const) {
    const t = table(port)
    compileNrpt(t, file, cdir) // the table must validate before it is written
    await writeFileAtomic(file, JSON.stringify(t, null, 2) + '\n')
  }
  return out
}
