/**
 * Keys kept in certificates: each DNSSEC key is a self-signed X.509 certificate holding
 * the public key and naming the zone, role, algorithm and key tag, beside its private key
 * (PKCS #8 PEM, mode 0600, optionally encrypted) and a small JSON file of timing metadata.
 *
 * A key store directory holds, per key, `K<zone>+<alg>+<tag>.crt` (PEM certificate),
 * `K<zone>+<alg>+<tag>.key.pem` (private key) and `K<zone>+<alg>+<tag>.json`. Every file is
 * written to a temp file in the same directory and renamed.
 */
import type * as X509 from '@peculiar/x509'
import { X509Certificate, createPrivateKey, createPublicKey, sign as cryptoSign, webcrypto, type KeyObject } from 'node:crypto'
import { mkdir, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { DnssecAlgorithm, algorithmInfo, algorithmToString, encodeDnskeyPublicKey } from './algorithms.js'
import { writeFileAtomic } from './bind_keys.js'
import { DnssecError } from './errors.js'
import { keyBaseName, keyFromParts, keyRole, normalizeZone, type DnssecKey, type KeyTiming } from './keys.js'

/**
 * The subject attribute (X.520 `description`, 2.5.4.13) in which a key certificate names
 * its key: `zone=example.test.; role=ksk; flags=257; algorithm=13; keytag=12345`.
 * (A private extension under the 2.25 UUID arc was tried first; @peculiar/x509 decodes arcs
 * above 2^53 wrongly, so the subject carries it, readable by `openssl x509 -subject` too.)
 */
export const OID_KEY_DESCRIPTION = '2.5.4.13'

type X509Crypto = Parameters<typeof X509.cryptoProvider.set>[0]

/** @peculiar/x509 is loaded only to make certificates: signing never pays for it. */
async function x509Lib(): Promise<typeof X509> {
  await import('reflect-metadata')
  return await import('@peculiar/x509')
}

/** What the JSON file of a stored key holds (version 1). */
export interface StoredKeyMeta {
  version: 1
  zone: string
  role: 'ksk' | 'zsk'
  flags: number
  algorithm: number
  algorithmName: string
  keyTag: number
  certificate: string
  privateKey: string | null
  /** Timing as ISO 8601 UTC strings. */
  timing: Partial<Record<keyof KeyTiming, string>>
}

function importParams(alg: number): { imp: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.Algorithm, sign: webcrypto.Algorithm | webcrypto.EcdsaParams } {
  const info = algorithmInfo(alg)
  if (info.family === 'rsa') {
    // SHA-256 for every RSA size: PKCS #1 v1.5 with SHA-256 needs 62 octets, which even a
    // 512-bit (64-octet) modulus holds; SHA-512 would not fit below 752 bits.
    return { imp: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5' } }
  }
  if (info.family === 'ecdsa') {
    const hash = info.curve === 'P-256' ? 'SHA-256' : 'SHA-384'
    return { imp: { name: 'ECDSA', namedCurve: info.curve! }, sign: { name: 'ECDSA', hash } as webcrypto.EcdsaParams }
  }
  return { imp: { name: 'Ed25519' }, sign: { name: 'Ed25519' } }
}

/** The text of the key description attribute for a key. */
function descriptionText(key: DnssecKey): string {
  return `zone=${key.zone}; role=${keyRole(key)}; flags=${key.flags}; algorithm=${key.algorithm}; keytag=${key.keyTag}`
}

/**
 * Make the self-signed certificate that carries a key: subject
 * `CN=<zone>, OU=KSK|ZSK, O=secdns DNSSEC key <alg> <tag>, description=zone=…; role=…; …`.
 *
 * @throws {DnssecError} ERR_DNSSEC_MISSING_PRIVATE_KEY, ERR_DNSSEC_KEY_STORE
 */
export async function keyCertificate(key: DnssecKey): Promise<X509.X509Certificate> {
  if (key.privateKey === null) throw new DnssecError('ERR_DNSSEC_MISSING_PRIVATE_KEY', `key ${keyBaseName(key)} has no private key to sign its certificate`)
  const x509 = await x509Lib()
  try {
    let privateKey: webcrypto.CryptoKey
    let publicKey: webcrypto.CryptoKey | ArrayBuffer
    let sign: webcrypto.Algorithm | webcrypto.EcdsaParams
    let provider = webcrypto as unknown as X509Crypto
    if (key.algorithm === DnssecAlgorithm.ED448) {
      // Node's Web Crypto Ed448 is experimental (it warns on stderr) and @peculiar/x509 names
      // it { name: 'EdDSA', namedCurve: 'Ed448' }: sign the certificate with node:crypto
      // itself, behind a provider that only signs, and hand over the public key as SPKI DER.
      const signer = key.privateKey
      sign = { name: 'EdDSA', namedCurve: 'Ed448' } as webcrypto.Algorithm
      privateKey = { algorithm: sign, type: 'private', extractable: false, usages: ['sign'] } as unknown as webcrypto.CryptoKey
      const spki = createPublicKey(signer).export({ format: 'der', type: 'spki' })
      publicKey = spki.buffer.slice(spki.byteOffset, spki.byteOffset + spki.length) as ArrayBuffer
      provider = {
        ...webcrypto, getRandomValues: webcrypto.getRandomValues.bind(webcrypto),
        subtle: { sign: async (_alg: unknown, _key: unknown, data: ArrayBuffer | Uint8Array) => { const s = cryptoSign(null, Buffer.from(data as ArrayBuffer), signer); return s.buffer.slice(s.byteOffset, s.byteOffset + s.length) } },
      } as unknown as X509Crypto
    } else {
      const p = importParams(key.algorithm)
      sign = p.sign
      const subtle = webcrypto.subtle
      privateKey = await subtle.importKey('pkcs8', key.privateKey.export({ format: 'der', type: 'pkcs8' }), p.imp, false, ['sign'])
      publicKey = await subtle.importKey('spki', createPublicKey(key.privateKey).export({ format: 'der', type: 'spki' }), p.imp, true, ['verify'])
    }
    x509.cryptoProvider.set(webcrypto as unknown as X509Crypto)
    const zoneCn = key.zone === '.' ? '.' : key.zone.slice(0, -1)
    const notBefore = new Date(key.timing.created * 1000)
    const notAfter = new Date(((key.timing.delete ?? key.timing.created + 20 * 365 * 86400)) * 1000)
    return await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
      name: [
        { CN: [zoneCn] }, { OU: [keyRole(key).toUpperCase()] },
        { O: [`secdns DNSSEC key ${algorithmToString(key.algorithm)} ${key.keyTag}`] },
        { [OID_KEY_DESCRIPTION]: [descriptionText(key)] },
      ],
      notBefore,
      notAfter: notAfter > notBefore ? notAfter : new Date(notBefore.getTime() + 86400_000),
      signingAlgorithm: sign,
      keys: { privateKey, publicKey: publicKey as webcrypto.CryptoKey },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ],
    }, provider)
  } catch (e) {
    throw new DnssecError('ERR_DNSSEC_KEY_STORE', `cannot make the certificate of ${keyBaseName(key)}: ${(e as Error).message}`, { cause: e })
  }
}

/** Parsed content of the key description attribute of a certificate. */
export interface KeyCertificateInfo { zone: string, role: 'ksk' | 'zsk', flags: number, algorithm: number, keyTag: number }

/**
 * Read the zone, role, flags, algorithm and key tag a key certificate names.
 *
 * @param cert a node:crypto certificate, or its PEM text
 * @throws {DnssecError} ERR_DNSSEC_KEY_STORE when the certificate is not a secdns key certificate
 */
export function readKeyCertificate(cert: X509Certificate | string, file = 'certificate'): KeyCertificateInfo {
  // node:crypto prints the subject one attribute a line, escaping ';' as a backslash and ';'.
  const subject = (typeof cert === 'string' ? new X509Certificate(cert) : cert).subject
  const line = subject.split('\n').find((l) => l.startsWith('description=') || l.startsWith(`${OID_KEY_DESCRIPTION}=`))
  const desc = line?.slice(line.indexOf('=') + 1).replace(/\\;/g, ';')
  if (desc === undefined) throw new DnssecError('ERR_DNSSEC_KEY_STORE', `${file}: not a secdns DNSSEC key certificate (no description attribute in the subject)`)
  try {
    const fields = new Map(desc.split(';').map((p) => p.trim().split('=') as [string, string]))
    const num = (k: string): number => { const v = Number(fields.get(k)); if (!Number.isInteger(v)) throw new Error(`bad ${k}`); return v }
    const role = fields.get('role')
    if (role !== 'ksk' && role !== 'zsk') throw new Error('bad role')
    return { zone: normalizeZone(fields.get('zone') ?? ''), role, flags: num('flags'), algorithm: num('algorithm'), keyTag: num('keytag') }
  } catch (e) {
    throw new DnssecError('ERR_DNSSEC_KEY_STORE', `${file}: bad secdns key description: ${(e as Error).message}`, { cause: e })
  }
}

function timingToJson(t: KeyTiming): StoredKeyMeta['timing'] {
  const out: StoredKeyMeta['timing'] = {}
  for (const [k, v] of Object.entries(t) as Array<[keyof KeyTiming, number | undefined]>) {
    if (v !== undefined) out[k] = new Date(v * 1000).toISOString().replace(/\.000Z$/, 'Z')
  }
  return out
}

function timingFromJson(j: StoredKeyMeta['timing'], file: string): KeyTiming {
  const out: KeyTiming = { created: 0 }
  for (const [k, v] of Object.entries(j ?? {}) as Array<[keyof KeyTiming, string]>) {
    const ms = Date.parse(v)
    if (Number.isNaN(ms)) throw new DnssecError('ERR_DNSSEC_KEY_STORE', `${file}: bad ${k} time "${v}"`)
    out[k] = Math.floor(ms / 1000)
  }
  return out
}

/** Options of the key store. */
export interface KeyStoreOptions {
  /** Encrypts private keys on save and decrypts them on load (PKCS #8, AES-256-CBC). */
  passphrase?: string | undefined
}

/**
 * Save a key (certificate, private key, timing) into a key store directory.
 *
 * @returns the base path of the files
 * @throws {DnssecError} ERR_DNSSEC_KEY_STORE, ERR_DNSSEC_WRITE_FAILED
 */
export async function saveKey(dir: string, key: DnssecKey, opts: KeyStoreOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true })
  const base = keyBaseName(key)
  const certFile = `${base}.crt`
  const keyFile = `${base}.key.pem`
  let havePrivate = key.privateKey !== null
  if (havePrivate) {
    const cert = await keyCertificate(key)
    await writeFileAtomic(join(dir, certFile), cert.toString('pem') + '\n')
    const pem = opts.passphrase !== undefined && opts.passphrase !== ''
      ? key.privateKey!.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: opts.passphrase }) as string
      : key.privateKey!.export({ format: 'pem', type: 'pkcs8' }) as string
    await writeFileAtomic(join(dir, keyFile), pem, 0o600)
  } else {
    havePrivate = false
  }
  await writeKeyMeta(dir, key, havePrivate)
  return join(dir, base)
}

/** Rewrite only the JSON metadata (timing) of a stored key. */
export async function writeKeyMeta(dir: string, key: DnssecKey, havePrivate = key.privateKey !== null): Promise<void> {
  const base = keyBaseName(key)
  const meta: StoredKeyMeta = {
    version: 1, zone: key.zone, role: keyRole(key), flags: key.flags, algorithm: key.algorithm,
    algorithmName: algorithmToString(key.algorithm), keyTag: key.keyTag,
    certificate: `${base}.crt`, privateKey: havePrivate ? `${base}.key.pem` : null, timing: timingToJson(key.timing),
  }
  if (!havePrivate) (meta as { publicKey?: string }).publicKey = Buffer.from(key.publicKey).toString('base64')
  await writeFileAtomic(join(dir, `${base}.json`), JSON.stringify(meta, null, 2) + '\n')
}

/** One key found in a store, with the files it came from. */
export interface StoredKey { key: DnssecKey, meta: StoredKeyMeta, file: string }

/**
 * Load the keys of a key store directory (all, or one zone's), checking that each
 * certificate's public key and extension match its metadata and private key.
 *
 * @param opts zone filter; needPrivate: fail when a private key is missing or locked
 * @throws {DnssecError} ERR_DNSSEC_KEY_STORE, ERR_DNSSEC_MISSING_PRIVATE_KEY, ERR_DNSSEC_KEY_MISMATCH
 */
export async function loadKeys(dir: string, opts: KeyStoreOptions & { zone?: string, needPrivate?: boolean } = {}): Promise<StoredKey[]> {
  let names: string[]
  try { names = await readdir(dir) } catch (e) {
    throw new DnssecError('ERR_DNSSEC_KEY_STORE', `key store ${dir}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e })
  }
  const zone = opts.zone === undefined ? undefined : normalizeZone(opts.zone)
  const out: StoredKey[] = []
  for (const n of names.filter((x) => x.startsWith('K') && x.endsWith('.json')).sort()) {
    const file = join(dir, n)
    let meta: StoredKeyMeta
    try { meta = JSON.parse(await readFile(file, 'utf8')) as StoredKeyMeta } catch (e) {
      throw new DnssecError('ERR_DNSSEC_KEY_STORE', `${file}: not valid JSON (${(e as Error).message})`, { cause: e })
    }
    if (meta.version !== 1 || typeof meta.zone !== 'string') throw new DnssecError('ERR_DNSSEC_KEY_STORE', `${file}: not a secdns key metadata file`)
    if (zone !== undefined && normalizeZone(meta.zone) !== zone) continue
    out.push(await loadOne(dir, file, meta, opts))
  }
  return out
}

async function loadOne(dir: string, file: string, meta: StoredKeyMeta, opts: KeyStoreOptions & { needPrivate?: boolean }): Promise<StoredKey> {
  const timing = timingFromJson(meta.timing, file)
  let privateKey: KeyObject | null = null
  let publicKey: Uint8Array
  if (meta.privateKey !== null) {
    const certPath = join(dir, meta.certificate)
    let cert: X509Certificate
    try { cert = new X509Certificate(await readFile(certPath)) } catch (e) {
      throw new DnssecError('ERR_DNSSEC_KEY_STORE', `${certPath}: cannot read the key certificate (${(e as Error).message})`, { cause: e })
    }
    const info = readKeyCertificate(cert, certPath)
    if (info.zone !== normalizeZone(meta.zone) || info.algorithm !== meta.algorithm || info.keyTag !== meta.keyTag || info.flags !== meta.flags) {
      throw new DnssecError('ERR_DNSSEC_KEY_MISMATCH', `${certPath}: certificate names ${info.zone} alg ${info.algorithm} tag ${info.keyTag}, but ${file} says ${meta.zone} alg ${meta.algorithm} tag ${meta.keyTag}`)
    }
    publicKey = encodeDnskeyPublicKey(meta.algorithm, cert.publicKey)
    const keyPath = join(dir, meta.privateKey)
    let pem: string | null = null
    try { pem = await readFile(keyPath, 'utf8') } catch (e) {
      if (opts.needPrivate === true) throw new DnssecError('ERR_DNSSEC_MISSING_PRIVATE_KEY', `${keyPath}: private key missing (${(e as NodeJS.ErrnoException).code ?? ''})`, { cause: e })
    }
    if (pem !== null) {
      const encrypted = pem.includes('ENCRYPTED PRIVATE KEY')
      if (encrypted && (opts.passphrase === undefined || opts.passphrase === '')) {
        if (opts.needPrivate === true) throw new DnssecError('ERR_DNSSEC_MISSING_PRIVATE_KEY', `${keyPath}: private key is encrypted; give its passphrase (SECDNS_KEY_PASSPHRASE)`)
      } else {
        try {
          privateKey = createPrivateKey(encrypted ? { key: pem, format: 'pem', passphrase: opts.passphrase } : { key: pem, format: 'pem' })
        } catch (e) {
          throw new DnssecError('ERR_DNSSEC_BAD_PRIVATE_KEY', `${keyPath}: cannot read the private key${encrypted ? ' (wrong passphrase?)' : ''}`, { cause: e })
        }
      }
    }
  } else {
    const pk = (meta as { publicKey?: string }).publicKey
    if (pk === undefined) throw new DnssecError('ERR_DNSSEC_KEY_STORE', `${file}: neither a private key nor a public key`)
    publicKey = new Uint8Array(Buffer.from(pk, 'base64'))
    if (opts.needPrivate === true) throw new DnssecError('ERR_DNSSEC_MISSING_PRIVATE_KEY', `${file}: key ${meta.keyTag} has no private key`)
  }
  const key = keyFromParts(meta.zone, meta.flags, meta.algorithm, publicKey, privateKey, timing, file)
  if (key.keyTag !== meta.keyTag) throw new DnssecError('ERR_DNSSEC_KEY_MISMATCH', `${file}: key tag ${meta.keyTag} does not match the key (${key.keyTag})`)
  return { key, meta, file }
}

/**
 * Write a key's certificate and private key as a PKCS #12 bundle (`<base>.pfx`, mode 0600),
 * made by @secdns/pki, for Windows' certificate store or `openssl pkcs12`.
 *
 * @throws {DnssecError} ERR_DNSSEC_MISSING_PRIVATE_KEY, ERR_DNSSEC_KEY_STORE
 */
export async function saveKeyPkcs12(dir: string, key: DnssecKey, password: string, opts: { legacy?: boolean } = {}): Promise<string> {
  if (key.privateKey === null) throw new DnssecError('ERR_DNSSEC_MISSING_PRIVATE_KEY', `key ${keyBaseName(key)} has no private key to bundle`)
  const cert = await keyCertificate(key)
  // @secdns/pki (and the x509 library under it) is loaded only when a bundle is asked for.
  const { exportPkcs12 } = await import('@secdns/pki')
  let pfx: Uint8Array
  try {
    pfx = exportPkcs12({ cert: cert.toString('pem'), privateKey: key.privateKey, password, friendlyName: keyBaseName(key), ...(opts.legacy === true ? { legacy: true } : {}) })
  } catch (e) {
    throw new DnssecError('ERR_DNSSEC_KEY_STORE', `cannot make the PKCS#12 bundle of ${keyBaseName(key)}: ${(e as Error).message}`, { cause: e })
  }
  const path = join(dir, `${keyBaseName(key)}.pfx`)
  await writeFileAtomic(path, pfx, 0o600)
  return path
}
