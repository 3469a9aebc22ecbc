/**
 * The CA store on disk: the CA certificates and encrypted keys, an index of everything issued,
 * the issued certificates, and the CRL with its number.
 *
 * ```
 * <dir>/store.json        format version, key type, whether keys are encrypted
 * <dir>/ca.crt            the issuing CA (the intermediate when there is one)
 * <dir>/ca.key            its private key, PKCS#8 (encrypted with the passphrase when given), mode 0600
 * <dir>/root.crt          the root (a copy of ca.crt when there is no intermediate)
 * <dir>/root.key          the root key when an intermediate exists (mode 0600)
 * <dir>/chain.pem         ca.crt then root.crt: what a server sends and a .pfx carries
 * <dir>/index.json        every issued certificate: serial, subject, SANs, profile, dates, status; the CRL number
 * <dir>/issued/<serial>.crt
 * <dir>/crl.pem           the current CRL (label "X509 CRL")
 * <dir>/.lock             held while a command changes the store
 * ```
 *
 * Every file is written to a temporary name in the same directory, synced and renamed, so a
 * killed command leaves either the old or the new file. Changes run under a lock file created
 * with O_EXCL; a lock whose owner process is gone, or that is older than the stale limit, is broken.
 */
import { randomBytes, type KeyObject } from 'node:crypto'
import { constants as fsConstants, promises as fs } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { PkiError } from './errors.js'
import { LOCK_TIMEOUT_MS, STALE_LOCK_MS } from './limits.js'
import { createCrl, REVOCATION_REASONS, type RevocationReason } from './crl.js'
import {
  createIntermediateCa, createRootCa, issueCertificate, loadCertifiedKey, normalizeSerial, randomSerial,
  type CertifiedKey, type IssueOptions, type Profile,
} from './issue.js'
import { DEFAULT_KEY_SPEC, exportPrivateKeyPem, importPrivateKeyPem, keySpecOf, type KeySpec } from './keys.js'
import { parseCertificate } from './verify.js'
import { decodeExtKeyUsage, OID_DNS_SERVER_TRUST, OID_EXT, OID_SECDNS_ADMIN, OID_SERVER_AUTH } from './oids.js'

/** Current store format version. */
export const STORE_VERSION = 1

/** One issued certificate in the index. */
export interface IndexEntry {
  serial: string
  subject: string
  profile: Profile | 'ca' | 'unknown'
  dns: string[]
  ip: string[]
  notBefore: string
  notAfter: string
  issuedAt: string
  status: 'valid' | 'revoked'
  revokedAt?: string
  reason?: RevocationReason
  keySpec?: KeySpec
  fromCsr?: boolean
}

/** The index file. */
export interface StoreIndex {
  version: number
  crlNumber: string
  entries: IndexEntry[]
}

/** store.json. */
export interface StoreMeta {
  version: number
  name: string
  keySpec: KeySpec
  encrypted: boolean
  intermediate: boolean
  created: string
}

/** Options for {@link initStore}. */
export interface InitStoreOptions {
  name: string
  key?: KeySpec
  days?: number
  /** Also create an intermediate CA (the one that issues); its name defaults to "<name> Issuing CA". */
  intermediate?: boolean
  intermediateName?: string
  pathLen?: number
  /** Encrypt the CA keys with this passphrase (PBES2, AES-256-CBC). */
  passphrase?: string
  now?: Date
}

/** Write a file atomically: temp file in the same directory, fsync, rename, fsync the directory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`
  let fh: fs.FileHandle | undefined
  try {
    fh = await fs.open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode)
    await fh.writeFile(data)
    await fh.sync()
    await fh.close()
    fh = undefined
    await fs.chmod(tmp, mode)
    await fs.rename(tmp, path)
  } catch (e) {
    await fh?.close().catch(() => undefined)
    await fs.rm(tmp, { force: true }).catch(() => undefined)
    throw new PkiError('ERR_PKI_STORE_IO', `cannot write ${path}: ${(e as Error).message}`, { cause: e })
  }
  const dir = await fs.open(join(path, '..'), 'r').catch(() => undefined)
  await dir?.sync().catch(() => undefined)
  await dir?.close().catch(() => undefined)
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Hold the store lock while `fn` runs. The lock file is created with O_EXCL and holds
 * `pid host time`; a lock from a dead process on this host, or older than `staleMs`, is broken.
 *
 * @throws {PkiError} ERR_PKI_STORE_LOCKED after `timeoutMs`
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>, opts: { timeoutMs?: number; staleMs?: number } = {}): Promise<T> {
  const lockPath = join(dir, '.lock')
  const timeoutMs = opts.timeoutMs ?? LOCK_TIMEOUT_MS
  const staleMs = opts.staleMs ?? STALE_LOCK_MS
  const start = Date.now()
  const me = `${process.pid} ${hostname()} ${Date.now()} ${randomBytes(4).toString('hex')}\n`
  let wait = 5
  for (;;) {
    try {
      const fh = await fs.open(lockPath, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600)
      await fh.writeFile(me)
      await fh.close()
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new PkiError('ERR_PKI_STORE_IO', `cannot create the lock ${lockPath}: ${(e as Error).message}`, { cause: e })
      }
    }
    const content = await fs.readFile(lockPath, 'utf8').catch(() => null)
    if (content === null) continue  // released between our open and our read: try again at once
    const [pidText, host, timeText] = content.trim().split(' ')
    const pid = Number(pidText)
    // An empty lock is one being written, or one whose writer died right after creating it:
    // its age is the file's.
    const mtime = content === '' ? await fs.stat(lockPath).then((st) => st.mtimeMs, () => Date.now()) : Number(timeText)
    const age = Date.now() - mtime
    const deadOwner = content !== '' && host === hostname() && Number.isInteger(pid) && pid > 0 && !pidAlive(pid)
    const stale = deadOwner || !(age < staleMs)
    if (stale) {
      // Move the stale lock aside under a unique name; only if the moved file is still the one we
      // judged stale do we delete it (otherwise someone else's fresh lock was there: put it back).
      const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`
      const moved = await fs.rename(lockPath, aside).then(() => true, () => false)
      if (moved) {
        const again = await fs.readFile(aside, 'utf8').catch(() => '')
        if (again === content) await fs.rm(aside, { force: true })
        else await fs.link(aside, lockPath).then(() => fs.rm(aside, { force: true }), () => fs.rm(aside, { force: true }))
      }
      continue
    }
    if (Date.now() - start > timeoutMs) {
      throw new PkiError('ERR_PKI_STORE_LOCKED', `the CA store ${dir} is locked by process ${pidText ?? '?'} on ${host ?? '?'} (remove ${lockPath} if that process is gone)`)
    }
    await new Promise((r) => setTimeout(r, wait + Math.random() * wait))
    wait = Math.min(wait * 2, 200)
  }
  try {
    return await fn()
  } finally {
    const content = await fs.readFile(lockPath, 'utf8').catch(() => '')
    if (content === me) await fs.rm(lockPath, { force: true })
  }
}

async function readJson<T>(path: string, what: string): Promise<T> {
  let text: string
  try {
    text = await fs.readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PkiError('ERR_PKI_STORE_NOT_FOUND', `${what} not found: ${path}`)
    throw new PkiError('ERR_PKI_STORE_IO', `cannot read ${path}: ${(e as Error).message}`, { cause: e })
  }
  try {
    return JSON.parse(text) as T
  } catch (e) {
    throw new PkiError('ERR_PKI_STORE_CORRUPT', `${path} is not valid JSON: ${(e as Error).message}`, { cause: e })
  }
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await fs.readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PkiError('ERR_PKI_STORE_NOT_FOUND', `${what} not found: ${path}`)
    throw new PkiError('ERR_PKI_STORE_IO', `cannot read ${path}: ${(e as Error).message}`, { cause: e })
  }
}

function checkIndex(index: StoreIndex, path: string): StoreIndex {
  if (typeof index !== 'object' || index === null || !Array.isArray(index.entries) || typeof index.crlNumber !== 'string' || !/^\d+$/.test(index.crlNumber)) {
    throw new PkiError('ERR_PKI_STORE_CORRUPT', `${path} is not a secdns CA index (expected { version, crlNumber, entries: [] })`)
  }
  index.entries.forEach((e, i) => {
    if (typeof e?.serial !== 'string' || !/^[0-9a-f]+$/.test(e.serial) || (e.status !== 'valid' && e.status !== 'revoked')) {
      throw new PkiError('ERR_PKI_STORE_CORRUPT', `${path}: entry ${i} has no valid serial or status`)
    }
  })
  return index
}

/** Index entry for a certificate (profile told by its EKUs). */
export function entryFor(cert: CertifiedKey, profile: IndexEntry['profile'] | undefined, extra: Partial<IndexEntry> = {}): IndexEntry {
  const p = parseCertificate(cert.certDer)
  let prof = profile
  if (prof === undefined) {
    const ext = p.px.extensions.find((e) => e.type === OID_EXT.extKeyUsage)
    const ekus = ext === undefined ? [] : decodeExtKeyUsage(new Uint8Array(ext.value))
    prof = p.ca ? 'ca' : ekus.includes(OID_DNS_SERVER_TRUST) ? 'dns-server' : ekus.includes(OID_SECDNS_ADMIN) ? 'admin' : ekus.includes(OID_SERVER_AUTH) ? 'tls-server' : ekus.length > 0 ? 'client' : 'unknown'
  }
  return {
    serial: cert.serial,
    subject: p.px.subject,
    profile: prof,
    dns: [...p.names.dns],
    ip: [...p.names.ip],
    notBefore: p.notBefore.toISOString(),
    notAfter: p.notAfter.toISOString(),
    issuedAt: new Date().toISOString(),
    status: 'valid',
    ...extra,
  }
}

/**
 * Create a new CA store: a root CA (and optionally an intermediate that issues), keys encrypted
 * with the passphrase when one is given, an empty index and a first CRL.
 *
 * @throws {PkiError} ERR_PKI_STORE_EXISTS when the directory already holds a store
 * @example
 * await initStore('certs/ca', { name: 'secdns Lab Root', key: 'ecdsa-p384', intermediate: true, passphrase })
 */
export async function initStore(dir: string, opts: InitStoreOptions): Promise<CaStore> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch((e: unknown) => {
    throw new PkiError('ERR_PKI_STORE_IO', `cannot create ${dir}: ${(e as Error).message}`, { cause: e })
  })
  return withLock(dir, async () => {
    const exists = await fs.stat(join(dir, 'store.json')).then(() => true, () => false)
    if (exists) throw new PkiError('ERR_PKI_STORE_EXISTS', `${dir} already holds a CA store (store.json exists); pick another directory`)
    await fs.mkdir(join(dir, 'issued'), { recursive: true, mode: 0o700 })
    const key = opts.key ?? DEFAULT_KEY_SPEC
    const pass = opts.passphrase === '' ? undefined : opts.passphrase
    const root = await createRootCa({ name: opts.name, key, ...(opts.days !== undefined ? { days: opts.days } : {}), ...(opts.now ? { now: opts.now } : {}), ...(opts.pathLen !== undefined ? { pathLen: opts.pathLen } : {}) })
    let issuing = root
    if (opts.intermediate === true) {
      issuing = await createIntermediateCa(root, {
        // The issuing CA signs end entities only: pathLen 0 (RFC 5280 §4.2.1.9) means a stolen
        // issuing key cannot mint further CAs that chain to the root.
        name: opts.intermediateName ?? `${opts.name} Issuing CA`.slice(0, 64), key, pathLen: 0,
        ...(opts.days !== undefined ? { days: opts.days } : {}), ...(opts.now ? { now: opts.now } : {}),
      })
      await writeFileAtomic(join(dir, 'root.key'), exportPrivateKeyPem(root.privateKey as KeyObject, pass), 0o600)
    }
    // Keys first: a store.json only appears once everything it names exists.
    await writeFileAtomic(join(dir, 'ca.key'), exportPrivateKeyPem(issuing.privateKey as KeyObject, pass), 0o600)
    await writeFileAtomic(join(dir, 'ca.crt'), issuing.certPem)
    await writeFileAtomic(join(dir, 'root.crt'), root.certPem)
    await writeFileAtomic(join(dir, 'chain.pem'), issuing === root ? root.certPem : issuing.certPem + root.certPem)
    const index: StoreIndex = { version: STORE_VERSION, crlNumber: '1', entries: [] }
    if (issuing !== root) index.entries.push(entryFor(issuing, 'ca', { keySpec: key }))
    const crl = await createCrl(issuing, { revoked: [], number: 1n, ...(opts.now ? { thisUpdate: opts.now } : {}) })
    await writeFileAtomic(join(dir, 'crl.pem'), crl.pem)
    await writeFileAtomic(join(dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`)
    const meta: StoreMeta = { version: STORE_VERSION, name: opts.name, keySpec: key, encrypted: pass !== undefined, intermediate: issuing !== root, created: new Date().toISOString() }
    await writeFileAtomic(join(dir, 'store.json'), `${JSON.stringify(meta, null, 2)}\n`)
    return new CaStore(dir, meta, loadCertifiedKey(issuing.certPem), loadCertifiedKey(root.certPem))
  })
}

/**
 * Open an existing store (reads store.json and the CA certificates; keys are read only when
 * something is signed).
 *
 * @throws {PkiError} ERR_PKI_STORE_NOT_FOUND, ERR_PKI_STORE_CORRUPT
 */
export async function openStore(dir: string): Promise<CaStore> {
  const meta = await readJson<StoreMeta>(join(dir, 'store.json'), 'CA store')
  if (meta?.version !== STORE_VERSION) throw new PkiError('ERR_PKI_STORE_CORRUPT', `${join(dir, 'store.json')}: unsupported store version ${String(meta?.version)}`)
  const ca = loadCertifiedKey(await readText(join(dir, 'ca.crt'), 'CA certificate'))
  const root = loadCertifiedKey(await readText(join(dir, 'root.crt'), 'root certificate'))
  return new CaStore(dir, meta, ca, root)
}

/** Options for {@link CaStore.issue}. */
export interface StoreIssueOptions extends Omit<IssueOptions, 'serial'> {
  /** Called with the new certificate before the index records it (write the key and outputs here). */
  write?: (issued: CertifiedKey, entry: IndexEntry) => Promise<void>
}

/** An open CA store. */
export class CaStore {
  readonly dir: string
  readonly meta: StoreMeta
  readonly ca: CertifiedKey
  readonly root: CertifiedKey

  /**
   * @param dir the store directory
   * @param meta store.json
   * @param ca the issuing CA certificate (no key)
   * @param root the root certificate
   */
  constructor(dir: string, meta: StoreMeta, ca: CertifiedKey, root: CertifiedKey) {
    this.dir = dir
    this.meta = meta
    this.ca = ca
    this.root = root
  }

  /** The CA chain as PEM: issuing CA, then root (the root alone when it issues). */
  get chainPem(): string {
    return this.ca.serial === this.root.serial ? this.root.certPem : this.ca.certPem + this.root.certPem
  }

  /**
   * The issuing CA with its private key.
   *
   * @throws {PkiError} ERR_PKI_BAD_PASSPHRASE when the key is encrypted and the passphrase is missing or wrong
   */
  async signer(passphrase?: string): Promise<CertifiedKey> {
    const pem = await readText(join(this.dir, 'ca.key'), 'CA private key')
    const key = importPrivateKeyPem(pem, passphrase)
    return loadCertifiedKey(this.ca.certDer, key)
  }

  /** Read the index. */
  async readIndex(): Promise<StoreIndex> {
    const path = join(this.dir, 'index.json')
    return checkIndex(await readJson<StoreIndex>(path, 'CA index'), path)
  }

  /** Everything issued (CA certificates included). */
  async list(): Promise<IndexEntry[]> {
    return (await this.readIndex()).entries
  }

  /**
   * Certificates in issued/ that the index does not know (a command killed between writing the
   * certificate and the index) are added back, so nothing issued is ever lost.
   */
  private async reconcile(index: StoreIndex): Promise<boolean> {
    // Temporary files of a killed writer (we hold the lock, so no live writer owns any).
    for (const sub of [this.dir, join(this.dir, 'issued')]) {
      for (const f of await fs.readdir(sub).catch(() => [] as string[])) {
        const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(f)
        if (m !== null && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) await fs.rm(join(sub, f), { force: true })
      }
    }
    const known = new Set(index.entries.map((e) => e.serial))
    const files = await fs.readdir(join(this.dir, 'issued')).catch(() => [] as string[])
    let changed = false
    for (const f of files) {
      const m = /^([0-9a-f]+)\.crt$/.exec(f)
      if (m === null || known.has(m[1] as string)) continue
      try {
        const c = loadCertifiedKey(await fs.readFile(join(this.dir, 'issued', f), 'utf8'))
        if (c.serial !== m[1]) continue
        index.entries.push(entryFor(c, undefined))
        known.add(c.serial)
        changed = true
      } catch {
        // A half-written file cannot exist (atomic writes); anything else unreadable is left alone.
      }
    }
    return changed
  }

  /**
   * Issue a certificate under the store lock: a fresh serial never used before, the certificate
   * written to issued/, `write` called, then the index updated.
   *
   * @throws {PkiError} every issuing error, plus ERR_PKI_STORE_* and ERR_PKI_BAD_PASSPHRASE
   */
  async issue(opts: StoreIssueOptions, passphrase?: string): Promise<{ issued: CertifiedKey; entry: IndexEntry }> {
    const [one] = await this.issueMany([opts], undefined, passphrase)
    return one as { issued: CertifiedKey; entry: IndexEntry }
  }

  /**
   * Issue several certificates under one hold of the store lock, with the CA key decrypted once.
   * Each certificate goes through the same steps as {@link CaStore.issue} — fresh serial,
   * issued/<serial>.crt, `write`, then the index rewritten atomically — so a batch killed
   * mid-way leaves every certificate issued so far in the index (or in issued/, which the next
   * command reconciles), and no serial is ever reused.
   *
   * @param jobs one set of options per certificate, issued in order
   * @param onProgress called after each certificate is recorded in the index
   * @param passphrase the CA key's passphrase when it is encrypted, or the signer already
   *   returned by {@link CaStore.signer} (so a caller that checked the passphrase first does not
   *   decrypt the key twice)
   * @throws {PkiError} every issuing error, plus ERR_PKI_STORE_* and ERR_PKI_BAD_PASSPHRASE;
   *   certificates issued before the failing job stay issued and indexed
   * @example
   * await store.issueMany(names.map((name) => ({ profile: 'client', name })), (done, total) => bar.update(done), pass)
   */
  async issueMany(
    jobs: readonly StoreIssueOptions[],
    onProgress?: (done: number, total: number, result: { issued: CertifiedKey; entry: IndexEntry }) => void,
    passphrase?: string | CertifiedKey,
  ): Promise<{ issued: CertifiedKey; entry: IndexEntry }[]> {
    const signer = typeof passphrase === 'object' ? passphrase : await this.signer(passphrase)
    return withLock(this.dir, async () => {
      const index = await this.readIndex()
      await this.reconcile(index)
      const used = new Set(index.entries.map((e) => e.serial))
      const indexPath = join(this.dir, 'index.json')
      const results: { issued: CertifiedKey; entry: IndexEntry }[] = []
      for (const opts of jobs) {
        let serial = randomSerial()
        // RFC 5280 §4.1.2.2: serials are unique per CA; a collision of 128 random bits is
        // astronomically unlikely, but the index makes it impossible.
        while (used.has(serial) || await fs.stat(join(this.dir, 'issued', `${serial}.crt`)).then(() => true, () => false)) serial = randomSerial()
        used.add(serial)
        const { write, ...issueOpts } = opts
        const issued = await issueCertificate(signer, { ...issueOpts, serial })
        const entry = entryFor(issued, opts.profile, {
          ...(opts.csrPem !== undefined ? { fromCsr: true } : {}),
          keySpec: keySpecOf(issued.certificate.publicKey),
        })
        await writeFileAtomic(join(this.dir, 'issued', `${issued.serial}.crt`), issued.certPem)
        if (write !== undefined) await write(issued, entry)
        // The index is rewritten after every certificate (one atomic rename each), as a single
        // issue does: a batch killed at certificate 90 leaves 89 indexed entries, never fewer.
        index.entries.push(entry)
        await writeFileAtomic(indexPath, `${JSON.stringify(index, null, 2)}\n`)
        const result = { issued, entry }
        results.push(result)
        onProgress?.(results.length, jobs.length, result)
      }
      return results
    })
  }

  /**
   * Revoke a certificate and write a new CRL.
   *
   * @throws {PkiError} ERR_PKI_STORE_UNKNOWN_SERIAL, ERR_PKI_STORE_ALREADY_REVOKED
   */
  async revoke(serialText: string, reason: RevocationReason = 'unspecified', passphrase?: string, now = new Date()): Promise<{ entry: IndexEntry; crlPem: string }> {
    const serial = normalizeSerial(serialText)
    if (!Object.hasOwn(REVOCATION_REASONS, reason)) throw new PkiError('ERR_PKI_INVALID_PARAMS', `unknown revocation reason "${reason}" (use ${Object.keys(REVOCATION_REASONS).join(', ')})`)
    const signer = await this.signer(passphrase)
    return withLock(this.dir, async () => {
      const index = await this.readIndex()
      await this.reconcile(index)
      const entry = index.entries.find((e) => e.serial === serial)
      if (entry === undefined) throw new PkiError('ERR_PKI_STORE_UNKNOWN_SERIAL', `no certificate with serial ${serial} in ${this.dir}`)
      if (entry.status === 'revoked') throw new PkiError('ERR_PKI_STORE_ALREADY_REVOKED', `certificate ${serial} (${entry.subject}) was already revoked on ${entry.revokedAt ?? '?'}`)
      entry.status = 'revoked'
      entry.revokedAt = now.toISOString()
      entry.reason = reason
      const crlPem = await this.writeCrl(index, signer, now)
      return { entry, crlPem }
    })
  }

  /** Regenerate the CRL from the index (new number, fresh dates). */
  async regenerateCrl(passphrase?: string, now = new Date()): Promise<string> {
    const signer = await this.signer(passphrase)
    return withLock(this.dir, async () => this.writeCrl(await this.readIndex(), signer, now))
  }

  /** Index first (with the next CRL number), then the CRL: a CRL number is never reused. */
  private async writeCrl(index: StoreIndex, signer: CertifiedKey, now: Date): Promise<string> {
    const number = BigInt(index.crlNumber) + 1n
    index.crlNumber = number.toString()
    await writeFileAtomic(join(this.dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`)
    const revoked = index.entries.filter((e) => e.status === 'revoked').map((e) => ({
      serial: e.serial, date: new Date(e.revokedAt ?? now.toISOString()), ...(e.reason !== undefined ? { reason: e.reason } : {}),
    }))
    const crl = await createCrl(signer, { revoked, number, thisUpdate: now })
    await writeFileAtomic(join(this.dir, 'crl.pem'), crl.pem)
    return crl.pem
  }

  /** The current CRL (PEM). */
  async crlPem(): Promise<string> {
    return readText(join(this.dir, 'crl.pem'), 'CRL')
  }
}
