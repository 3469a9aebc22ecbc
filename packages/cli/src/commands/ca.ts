/**
 * `secdns ca …`: the certificate authority on the command line (init, issue, revoke, crl,
 * list, show, verify). Exit codes: 0 ok, 1 a verification failed, 2 usage or input error.
 */
import { promises as fs, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join, resolve } from 'node:path'
import { Command, Option, type CommanderError } from 'commander'
import cliProgress from 'cli-progress'
import {
  EKU_NAMES, KEY_SPECS, checkDnsName, checkIpAddress, PROFILES, PkiError, REVOCATION_REASONS, decodePemBlocks, exportPkcs12, initStore, isKeySpec,
  isRevocationReason, openStore, parseCertificate, parseCrl, verifyCertificate, writeFileAtomic,
  type CaStore, type CertifiedKey, type IndexEntry, type KeySpec, type Profile, type Purpose, type RevocationReason,
} from '@secdns/pki'
import { deprecatedAlias, jsonError, showProgress } from '../options.js'

/** Environment variable holding the CA key passphrase (for scripts). */
export const ENV_CA_PASSPHRASE = 'SECDNS_CA_PASSPHRASE'
/** Environment variable holding the .pfx password (for scripts). */
export const ENV_PFX_PASSWORD = 'SECDNS_PFX_PASSWORD'

/** A usage or input problem: exit code 2. */
class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

/** A failed check: exit code 1. */
class CheckFailed extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

/** A failure already reported on stdout as JSON (ca verify --json). */
const reported = new WeakSet<object>()

function fail(err: unknown, json: boolean): void {
  const e = err as { code?: string; message?: string }
  const code = typeof e.code === 'string' ? `${e.code}: ` : ''
  if (json && !(typeof err === 'object' && err !== null && reported.has(err))) process.stdout.write(jsonError(err))
  process.stderr.write(`secdns: ${code}${e.message ?? String(err)}\n`)
  process.exitCode = err instanceof CheckFailed ? 1 : 2
}

/** Wrap an action so every error ends as a message and an exit code, never a stack trace. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    // commander passes (…arguments, options, command): the options are the last plain object.
    const opts = args.filter((a) => typeof a === 'object' && a !== null && !Array.isArray(a) && !(a instanceof Command)).at(-1) as { json?: boolean } | undefined
    try {
      await fn(...args)
    } catch (e) {
      fail(e, opts?.json === true)
    }
  }
}

async function readInput(path: string, what: string): Promise<string> {
  try {
    return await fs.readFile(path, 'utf8')
  } catch (e) {
    throw new UsageError(`cannot read the ${what} ${path}: ${(e as Error).message}`)
  }
}

async function readSecretFile(path: string, what: string): Promise<string> {
  // The first line is the secret; a trailing newline is not part of it.
  return (await readInput(path, what)).split(/\r?\n/)[0] ?? ''
}

/** Read a line from the terminal without echoing it. */
export async function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(prompt)
  return new Promise((resolvePrompt, reject) => {
    let value = ''
    const wasRaw = stdin.isRaw
    stdin.setRawMode(true)
    stdin.resume()
    stdin.setEncoding('utf8')
    const done = (err?: Error): void => {
      stdin.setRawMode(wasRaw)
      stdin.pause()
      stdin.removeListener('data', onData)
      process.stderr.write('\n')
      if (err !== undefined) reject(err)
      else resolvePrompt(value)
    }
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done()
        if (ch === '\u0003') return done(new UsageError('cancelled'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    stdin.on('data', onData)
  })
}

const interactive = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true

/** The CA passphrase: --passphrase-file, then $SECDNS_CA_PASSPHRASE, then a prompt on a TTY. */
async function caPassphrase(file: string | undefined, opts: { needed: boolean; confirm?: boolean }): Promise<string | undefined> {
  if (file !== undefined) return readSecretFile(file, 'passphrase file')
  const env = process.env[ENV_CA_PASSPHRASE]
  if (env !== undefined) return env
  if (!opts.needed && opts.confirm !== true) return undefined
  if (!interactive()) {
    if (opts.needed) throw new UsageError(`the CA key is encrypted: give --passphrase-file or set ${ENV_CA_PASSPHRASE}`)
    return undefined
  }
  const p = await promptHidden(opts.confirm === true ? 'Passphrase for the CA key (empty: none): ' : 'CA key passphrase: ')
  if (opts.confirm === true && p !== '') {
    const again = await promptHidden('Repeat the passphrase: ')
    if (again !== p) throw new UsageError('the passphrases differ')
  }
  return p === '' ? undefined : p
}

async function pfxPassword(file: string | undefined): Promise<string> {
  if (file !== undefined) return readSecretFile(file, 'PKCS#12 password file')
  const env = process.env[ENV_PFX_PASSWORD]
  if (env !== undefined) return env
  if (!interactive()) throw new UsageError(`--pfx needs a password: give --pfx-password-file or set ${ENV_PFX_PASSWORD}`)
  const p = await promptHidden('Password for the .pfx: ')
  const again = await promptHidden('Repeat the password: ')
  if (again !== p) throw new UsageError('the passwords differ')
  return p
}

function parseKeySpec(v: string): KeySpec {
  if (!isKeySpec(v)) throw new UsageError(`unknown key type "${v}" (use ${KEY_SPECS.join(', ')})`)
  return v
}

function parsePositive(v: string, what: string, max = 1_000_000): number {
  const n = Number(v)
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${what} must be a whole number from 1 to ${max}, got "${v}"`)
  return n
}

/** File-name-safe form of a certificate name. */
export function safeFileName(name: string): string {
  const s = name.trim().replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_')
  return s === '' ? 'cert' : s.slice(0, 100)
}

function listOption(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), ...v.split(',').map((x) => x.trim()).filter((x) => x !== '')]
}

/** One row of a bulk CSV: name,dns,ip (dns and ip may hold several values separated by spaces or semicolons). */
export interface CsvRow { name: string; dns: string[]; ip: string[]; line?: number }

/**
 * Parse the bulk CSV (`name,dns,ip`, a header line optional, `#` comments allowed).
 *
 * @throws {UsageError} with file:line for a bad row
 */
export function parseCsv(text: string, file: string): CsvRow[] {
  const rows: CsvRow[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const cells = line.split(',').map((c) => c.trim())
    if (i === 0 && cells[0]?.toLowerCase() === 'name') return
    if (cells.length > 3) throw new UsageError(`${file}:${i + 1}: expected name,dns,ip — got ${cells.length} fields`)
    const [name = '', dns = '', ip = ''] = cells
    if (name === '') throw new UsageError(`${file}:${i + 1}: the name is empty`)
    const split = (s: string): string[] => s.split(/[;\s]+/).filter((x) => x !== '')
    const row = { name, dns: split(dns), ip: split(ip), line: i + 1 }
    // Check every name and address before anything is issued, so a typo on row 90 does not
    // leave 89 certificates issued.
    try {
      row.dns.forEach(checkDnsName)
      row.ip.forEach(checkIpAddress)
    } catch (e) {
      throw new UsageError(`${file}:${i + 1}: ${(e as Error).message}`)
    }
    rows.push(row)
  })
  if (rows.length === 0) throw new UsageError(`${file}: no rows`)
  return rows
}

interface IssuedFiles { cert: string; der: string; key?: string; fullchain: string; pfx?: string }

async function writeOutputs(out: string, base: string, issued: CertifiedKey, store: CaStore, pfx: { password: string; legacy: boolean } | null): Promise<IssuedFiles> {
  const files: IssuedFiles = {
    cert: join(out, `${base}.crt`),
    der: join(out, `${base}.der`),
    fullchain: join(out, `${base}.fullchain.pem`),
  }
  if (issued.keyPem !== undefined) {
    files.key = join(out, `${base}.key`)
    await writeFileAtomic(files.key, issued.keyPem, 0o600)
  }
  // The key is on disk before any certificate for it; the rest are independent files, written
  // (and fsynced, which is where a bulk issue spends most of its wall time) side by side. All
  // of them are done before the caller records the certificate in the index.
  const writes = [
    writeFileAtomic(files.cert, issued.certPem),
    writeFileAtomic(files.der, issued.certDer),
    writeFileAtomic(files.fullchain, issued.certPem + store.chainPem),
  ]
  if (pfx !== null && issued.privateKey !== undefined) {
    files.pfx = join(out, `${base}.pfx`)
    const chain = decodePemBlocks(store.chainPem).map((b) => b.der)
    writes.push(writeFileAtomic(files.pfx, exportPkcs12({ cert: issued.certDer, privateKey: issued.privateKey, chain, password: pfx.password, legacy: pfx.legacy, friendlyName: base }), 0o600))
  }
  await Promise.all(writes)
  return files
}

function describe(entry: IndexEntry): string {
  const sans = [...entry.dns, ...entry.ip].join(',')
  return `${entry.serial}  ${entry.status.padEnd(7)}  ${entry.profile.padEnd(10)}  ${entry.notAfter.slice(0, 10)}  ${entry.subject}${sans === '' ? '' : `  [${sans}]`}`
}

function ekuLabel(oid: string): string {
  return EKU_NAMES[oid] === undefined ? oid : `${EKU_NAMES[oid]} (${oid})`
}

/** What `ca show` prints about a certificate. */
function certSummary(pem: string | Uint8Array): Record<string, unknown> {
  const p = parseCertificate(pem)
  const ku = p.keyUsage
  const kuNames = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly']
  return {
    subject: p.px.subject,
    issuer: p.px.issuer,
    serial: p.serial,
    notBefore: p.notBefore.toISOString(),
    notAfter: p.notAfter.toISOString(),
    publicKey: `${p.node.publicKey.asymmetricKeyType ?? '?'} ${p.node.publicKey.asymmetricKeyDetails?.namedCurve ?? p.node.publicKey.asymmetricKeyDetails?.modulusLength ?? ''}`.trim(),
    ca: p.ca,
    ...(p.pathLen !== undefined ? { pathLen: p.pathLen } : {}),
    keyUsage: ku === undefined ? null : kuNames.filter((_, i) => (ku & (1 << i)) !== 0),
    extendedKeyUsage: p.eku === undefined ? null : p.eku.map(ekuLabel),
    dns: p.names.dns,
    ip: p.names.ip,
    subjectKeyIdentifier: p.ski ?? null,
    authorityKeyIdentifier: p.aki ?? null,
    sha256: createHash('sha256').update(p.der).digest('hex'),
  }
}

/** `--now` of `ca verify`: an ISO date as before, or any time `--now` takes elsewhere. */
async function verifyTime(text: string): Promise<Date> {
  const iso = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? new Date(text) : undefined
  if (iso !== undefined && !Number.isNaN(iso.getTime())) return iso
  try {
    // Loaded only here: the rest of `ca` does not need the DNSSEC package.
    const { parseTime } = await import('@secdns/dnssec')
    return new Date(parseTime(text) * 1000)
  } catch (e) {
    throw new UsageError(`--now: "${text}" is not a time (${(e as Error).message})`)
  }
}

function printRecord(r: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(r)) {
    const text = Array.isArray(v) ? (v.length === 0 ? '-' : v.join(', ')) : v === null ? '-' : String(v)
    process.stdout.write(`${k.padEnd(24)} ${text}\n`)
  }
}

/**
 * Register `secdns ca …` on the program.
 *
 * @example
 * registerCaCommands(program)  // then: secdns ca init --dir certs/ca --name "Lab Root"
 */
export function registerCaCommands(program: Command): void {
  const ca = program.command('ca').description('certificate authority: DNS server, client and admin certificates, CRLs, verification')
  // Commander exits 1 on a usage error; secdns keeps 1 for failed checks and uses 2 for usage.
  // Set before the sub-commands are added, so they inherit it.
  ca.exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? 0 : 2)
  })

  const init = ca.command('init')
    .description('create a CA store: a root CA and optionally an intermediate that issues')
    .requiredOption('--ca-dir <dir>', 'CA store directory to create (e.g. certs/ca)')
    .requiredOption('--name <name>', 'CA common name')
    .addOption(new Option('--key-type <type>', 'key type').choices(KEY_SPECS.filter((k) => k !== 'ed25519')).default('ecdsa-p256'))
    .option('--days <n>', 'root lifetime in days', '3650')
    .option('--intermediate', 'also create an intermediate CA that issues')
    .option('--path-len <n>', 'root basicConstraints pathLen')
    .option('--passphrase-file <file>', `file holding the passphrase for the CA keys (or $${ENV_CA_PASSPHRASE}; prompted on a TTY)`)
    .option('--json', 'print a JSON summary')
  deprecatedAlias(deprecatedAlias(init, '--dir <dir>', '--ca-dir'), '--key <type>', '--key-type')
  init.action(action(async (o: { caDir: string; name: string; keyType: string; days: string; intermediate?: boolean; pathLen?: string; passphraseFile?: string; json?: boolean }) => {
      const passphrase = await caPassphrase(o.passphraseFile, { needed: false, confirm: true })
      const pathLen = o.pathLen === undefined ? undefined : Number(o.pathLen)
      if (pathLen !== undefined && (!/^\d+$/.test(o.pathLen ?? '') || pathLen > 16)) throw new UsageError(`--path-len must be 0 to 16, got "${o.pathLen}"`)
      const store = await initStore(o.caDir, {
        name: o.name, key: parseKeySpec(o.keyType), days: parsePositive(o.days, '--days', 36_500), intermediate: o.intermediate === true,
        ...(pathLen !== undefined ? { pathLen } : {}), ...(passphrase !== undefined ? { passphrase } : {}),
      })
      const summary = { dir: resolve(o.caDir), root: { subject: store.root.certificate.subject, serial: store.root.serial }, issuing: { subject: store.ca.certificate.subject, serial: store.ca.serial }, encrypted: store.meta.encrypted, keySpec: store.meta.keySpec }
      if (o.json === true) process.stdout.write(`${JSON.stringify({ ok: true, ...summary }, null, 2)}\n`)
      else process.stdout.write(`created CA store ${summary.dir}\n  root     ${summary.root.subject} (serial ${summary.root.serial})\n  issuing  ${summary.issuing.subject} (serial ${summary.issuing.serial})\n  key      ${summary.keySpec}${summary.encrypted ? ', encrypted' : ', NOT encrypted'}\n`)
    }))

  const issue = ca.command('issue')
    .description('issue certificates for a profile (one, --count N, or --csv FILE)')
    .requiredOption('--ca-dir <dir>', 'CA store directory')
    .addOption(new Option('--profile <profile>', 'certificate profile').choices([...PROFILES]).makeOptionMandatory())
    .option('--name <name>', 'subject common name (and base name of the files)')
    .option('--dns <names...>', 'SAN dNSName entries', listOption)
    .option('--ip <addresses...>', 'SAN iPAddress entries', listOption)
    .addOption(new Option('--key-type <type>', 'key type to generate').choices([...KEY_SPECS]).default('ecdsa-p256'))
    .option('--days <n>', 'lifetime in days', '365')
    .option('--csr <file>', 'sign this PKCS#10 request instead of generating a key')
    .requiredOption('--out <dir>', 'output directory')
    .option('--pfx', 'also write a PKCS#12 .pfx')
    .option('--pfx-password-file <file>', `file holding the .pfx password (or $${ENV_PFX_PASSWORD})`)
    .option('--legacy', '.pfx with 3DES/SHA-1 for Windows Server 2016 and older')
    .option('--ike', 'add the IP security IKE intermediate EKU')
    .option('--count <n>', 'issue N certificates named NAME-1 … NAME-N')
    .option('--csv <file>', 'issue one certificate per row of name,dns,ip')
    .option('--passphrase-file <file>', `file holding the CA key passphrase (or $${ENV_CA_PASSPHRASE})`)
    .option('--json', 'print a JSON summary')
  deprecatedAlias(deprecatedAlias(issue, '--ca <dir>', '--ca-dir'), '--key <type>', '--key-type')
  issue.action(action(async (o: {
      caDir: string; profile: Profile; name?: string; dns?: string[]; ip?: string[]; keyType: string; days: string; csr?: string; out: string
      pfx?: boolean; pfxPasswordFile?: string; legacy?: boolean; ike?: boolean; count?: string; csv?: string; passphraseFile?: string; json?: boolean
    }) => {
      const store = await openStore(o.caDir)
      let jobs: CsvRow[]
      if (o.csv !== undefined) {
        if (o.count !== undefined || o.csr !== undefined) throw new UsageError('--csv cannot be combined with --count or --csr')
        jobs = parseCsv(await readInput(o.csv, 'CSV file'), o.csv)
      } else {
        if (o.name === undefined) throw new UsageError('--name is required (or --csv)')
        if (o.count !== undefined) {
          if (o.csr !== undefined) throw new UsageError('--count cannot be combined with --csr')
          const n = parsePositive(o.count, '--count', 100_000)
          jobs = Array.from({ length: n }, (_, i) => ({ name: `${o.name}-${i + 1}`, dns: [], ip: o.ip ?? [] }))
        } else {
          jobs = [{ name: o.name, dns: o.dns ?? [], ip: o.ip ?? [] }]
        }
      }
      const csrPem = o.csr === undefined ? undefined : await readInput(o.csr, 'CSR')
      if (o.legacy === true && o.pfx !== true) throw new UsageError('--legacy applies to --pfx')
      if (o.pfx === true && csrPem !== undefined) throw new UsageError('--pfx needs the private key, which a CSR does not give us')
      const passphrase = await caPassphrase(o.passphraseFile, { needed: store.meta.encrypted })
      const pfx = o.pfx === true ? { password: await pfxPassword(o.pfxPasswordFile), legacy: o.legacy === true } : null
      await fs.mkdir(o.out, { recursive: true, mode: 0o700 }).catch((e: unknown) => { throw new UsageError(`cannot create ${o.out}: ${(e as Error).message}`) })
      const key = parseKeySpec(o.keyType)
      const days = parsePositive(o.days, '--days', 36_500)
      // Fail on a wrong passphrase before anything is issued; the key decrypted here is the one
      // that signs the whole batch.
      const signer = await store.signer(passphrase)
      const bar = jobs.length > 1 && showProgress(process.stderr, o.json === true)
        ? new cliProgress.SingleBar({ stream: process.stderr, format: 'issuing [{bar}] {value}/{total} {name}', hideCursor: true }, cliProgress.Presets.shades_classic)
        : null
      bar?.start(jobs.length, 0, { name: '' })
      const results: { name: string; serial: string; profile: Profile; notAfter: string; dns: string[]; ip: string[]; files: IssuedFiles }[] = []
      try {
        // One lock and one decryption of the CA key for the whole batch (issueMany); the index
        // is still written after every certificate.
        const files: IssuedFiles[] = []
        await store.issueMany(jobs.map((job, i) => {
          const base = safeFileName(job.name)
          return {
            profile: o.profile, name: job.name, dns: job.dns, ip: job.ip, key, days, ike: o.ike === true,
            ...(csrPem !== undefined ? { csrPem } : {}),
            write: async (issued: CertifiedKey) => { files[i] = await writeOutputs(o.out, base, issued, store, pfx) },
          }
        }), (done, _total, { entry }) => {
          const job = jobs[done - 1] as CsvRow
          results.push({ name: job.name, serial: entry.serial, profile: o.profile, notAfter: entry.notAfter, dns: entry.dns, ip: entry.ip, files: files[done - 1] as IssuedFiles })
          bar?.increment(1, { name: job.name })
        }, signer)
      } finally {
        bar?.stop()
      }
      if (o.json === true) {
        process.stdout.write(`${JSON.stringify(results.length === 1 && o.count === undefined && o.csv === undefined ? { ok: true, ...results[0] } : results, null, 2)}\n`)
      } else {
        for (const r of results) process.stdout.write(`issued ${r.profile} ${r.name} serial ${r.serial} until ${r.notAfter.slice(0, 10)} → ${r.files.cert}${r.files.pfx !== undefined ? `, ${r.files.pfx}` : ''}\n`)
      }
    }))

  const revoke = ca.command('revoke')
    .description('revoke a certificate and write a new CRL')
    .requiredOption('--ca-dir <dir>', 'CA store directory')
    .requiredOption('--serial <hex>', 'serial number (hex)')
    .option('--reason <reason>', `reason (${Object.keys(REVOCATION_REASONS).join(', ')})`, 'unspecified')
    .option('--passphrase-file <file>', `file holding the CA key passphrase (or $${ENV_CA_PASSPHRASE})`)
    .option('--json', 'print a JSON summary')
  deprecatedAlias(revoke, '--ca <dir>', '--ca-dir')
  revoke.action(action(async (o: { caDir: string; serial: string; reason: string; passphraseFile?: string; json?: boolean }) => {
      if (!isRevocationReason(o.reason)) throw new UsageError(`unknown reason "${o.reason}" (use ${Object.keys(REVOCATION_REASONS).join(', ')})`)
      const store = await openStore(o.caDir)
      const passphrase = await caPassphrase(o.passphraseFile, { needed: store.meta.encrypted })
      const { entry } = await store.revoke(o.serial, o.reason as RevocationReason, passphrase)
      const crl = parseCrl(await store.crlPem())
      if (o.json === true) process.stdout.write(`${JSON.stringify({ ok: true, ...entry, crlNumber: crl.number?.toString() ?? null }, null, 2)}\n`)
      else process.stdout.write(`revoked ${entry.serial} (${entry.subject}), reason ${entry.reason ?? 'unspecified'}; CRL number ${crl.number?.toString() ?? '?'} written to ${join(o.caDir, 'crl.pem')}\n`)
    }))

  const crlCmd = ca.command('crl')
    .description('write a fresh CRL (new number, new dates)')
    .requiredOption('--ca-dir <dir>', 'CA store directory')
    .option('--out <file>', 'also copy the CRL here (PEM; .der/.crl for DER)')
    .option('--passphrase-file <file>', `file holding the CA key passphrase (or $${ENV_CA_PASSPHRASE})`)
    .option('--json', 'print a JSON summary')
  deprecatedAlias(crlCmd, '--ca <dir>', '--ca-dir')
  crlCmd.action(action(async (o: { caDir: string; out?: string; passphraseFile?: string; json?: boolean }) => {
      const store = await openStore(o.caDir)
      const passphrase = await caPassphrase(o.passphraseFile, { needed: store.meta.encrypted })
      const pem = await store.regenerateCrl(passphrase)
      const crl = parseCrl(pem)
      if (o.out !== undefined) await writeFileAtomic(o.out, /\.(der|crl)$/i.test(o.out) ? crl.der : pem)
      if (o.json === true) {
        process.stdout.write(`${JSON.stringify({ ok: true, number: crl.number?.toString() ?? null, revoked: crl.revoked.size, thisUpdate: crl.thisUpdate.toISOString(), nextUpdate: crl.nextUpdate?.toISOString() ?? null, file: join(o.caDir, 'crl.pem'), ...(o.out !== undefined ? { out: o.out } : {}) }, null, 2)}\n`)
        return
      }
      process.stdout.write(`CRL number ${crl.number?.toString() ?? '?'}, ${crl.revoked.size} revoked, next update ${crl.nextUpdate?.toISOString() ?? '-'}${o.out !== undefined ? ` → ${o.out}` : ''}\n`)
    }))

  const list = ca.command('list')
    .description('list everything the CA issued')
    .requiredOption('--ca-dir <dir>', 'CA store directory')
    .option('--json', 'print JSON')
  deprecatedAlias(list, '--ca <dir>', '--ca-dir')
  list.action(action(async (o: { caDir: string; json?: boolean }) => {
      const entries = await (await openStore(o.caDir)).list()
      if (o.json === true) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`)
      else for (const e of entries) process.stdout.write(`${describe(e)}\n`)
    }))

  ca.command('show')
    .description('show a certificate or CRL (PEM or DER)')
    .argument('<file>', 'certificate or CRL file')
    .option('--json', 'print JSON')
    .action(action(async (file: string, o: { json?: boolean }) => {
      let bytes: Buffer
      try {
        bytes = readFileSync(file)
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`)
      }
      const text = bytes.toString('latin1')
      const isCrl = /-----BEGIN (X509 )?CRL-----/.test(text)
      let record: Record<string, unknown>
      if (isCrl) {
        const c = parseCrl(text)
        record = {
          type: 'crl', issuer: c.crl.issuer, number: c.number?.toString() ?? null, thisUpdate: c.thisUpdate.toISOString(),
          nextUpdate: c.nextUpdate?.toISOString() ?? null,
          revoked: [...c.revoked].map(([serial, r]) => `${serial} ${r.date.toISOString()}${r.reason !== undefined ? ` ${r.reason}` : ''}`),
        }
      } else {
        try {
          record = { type: 'certificate', ...certSummary(text.includes('-----BEGIN') ? text : new Uint8Array(bytes)) }
        } catch (e) {
          if (text.includes('-----BEGIN')) throw e
          const c = parseCrl(new Uint8Array(bytes))
          record = { type: 'crl', issuer: c.crl.issuer, number: c.number?.toString() ?? null, thisUpdate: c.thisUpdate.toISOString(), nextUpdate: c.nextUpdate?.toISOString() ?? null, revoked: [...c.revoked.keys()] }
        }
      }
      if (o.json === true) process.stdout.write(`${JSON.stringify({ ok: true, ...record }, null, 2)}\n`)
      else printRecord(record)
    }))

  const verify = ca.command('verify')
    .description('verify a certificate against the CA store for a purpose (exit 1 with the coded reason on failure)')
    .requiredOption('--ca-dir <dir>', 'CA store directory (its root is the trust anchor)')
    .requiredOption('--cert <file>', 'certificate to check (PEM may hold the chain after the leaf)')
    .addOption(new Option('--purpose <purpose>', 'what the certificate is used for').choices(['dns-server', 'tls-server', 'client', 'admin', 'any']).makeOptionMandatory())
    .option('--name <name>', 'expected DNS name or IP address')
    .option('--crl <file>', 'check revocation with this CRL (default: the store CRL)')
    .option('--no-crl', 'skip the revocation check')
    .option('--now <time>', 'verify as of this time (ISO 8601, YYYYMMDDHHmmSS, unix seconds, or +30d / -1h from now)')
    .option('--json', 'print JSON')
  deprecatedAlias(verify, '--ca <dir>', '--ca-dir')
  deprecatedAlias(verify, '--at <iso-date>', '--now')
  verify.action(action(async (o: { caDir: string; cert: string; purpose: Purpose; name?: string; crl?: string | boolean; now?: string; json?: boolean }) => {
      const store = await openStore(o.caDir)
      const certText = await readInput(o.cert, 'certificate')
      const blocks = decodePemBlocks(certText).filter((b) => b.label === 'CERTIFICATE')
      const leaf = blocks[0]?.der ?? new Uint8Array(readFileSync(o.cert))
      const chain = [...blocks.slice(1).map((b) => b.der), ...decodePemBlocks(store.chainPem).map((b) => b.der)]
      const crls = o.crl === false ? [] : [typeof o.crl === 'string' ? await readInput(o.crl, 'CRL') : await store.crlPem()]
      const now = o.now === undefined ? new Date() : await verifyTime(o.now)
      try {
        const r = await verifyCertificate({ cert: leaf, chain, trusted: [store.root.certPem], purpose: o.purpose, crls, now, ...(o.name !== undefined ? { name: o.name } : {}) })
        if (o.json === true) process.stdout.write(`${JSON.stringify({ ok: true, subject: r.subject, serial: r.serial, anchor: r.anchorSubject, path: r.path.map((c) => c.subject) }, null, 2)}\n`)
        else process.stdout.write(`OK ${o.purpose}: ${r.subject.replace(/\n/g, ', ')} (serial ${r.serial}), chain of ${r.path.length} to ${r.anchorSubject.replace(/\n/g, ', ')}\n`)
      } catch (e) {
        if (e instanceof PkiError && !['ERR_PKI_BAD_CERTIFICATE', 'ERR_PKI_INVALID_PARAMS'].includes(e.code)) {
          const failed = new CheckFailed(e.code, e.message)
          if (o.json === true) {
            // Both shapes: the common {ok, error} and the code/message this command always printed.
            process.stdout.write(`${JSON.stringify({ ok: false, code: e.code, message: e.message, error: { code: e.code, message: e.message } }, null, 2)}\n`)
            reported.add(failed)
          }
          throw failed
        }
        throw e
      }
    }))
}
