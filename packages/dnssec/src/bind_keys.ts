/**
 * BIND key files: `K<zone>+<alg>+<tag>.key` (the DNSKEY record, timing as comments)
 * and `.private` (Private-key-format v1.3 with the key fields and timing metadata).
 */
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import { readFile, mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { DnskeyFlags, algorithmInfo, algorithmToString, privateKeyFromRaw, privateKeyToRaw } from './algorithms.js'
import { DnssecError } from './errors.js'
import { isRevoked, keyBaseName, keyFromParts, keyRole, publishedFlags, publishedKeyTag, type DnssecKey, type KeyTiming } from './keys.js'
import { nowSeconds, parseTime, toDnssecTime } from './time.js'

/** BIND's metadata field names for our timing events. */
const BIND_TIMING: ReadonlyArray<[keyof KeyTiming, string]> = [
  ['created', 'Created'], ['publish', 'Publish'], ['activate', 'Activate'], ['revoke', 'Revoke'],
  ['inactive', 'Inactive'], ['delete', 'Delete'],
]

/** The RSA private fields of a v1.3 file and their JWK names. */
const RSA_FIELDS: ReadonlyArray<[string, keyof JsonWebKey]> = [
  ['Modulus', 'n'], ['PublicExponent', 'e'], ['PrivateExponent', 'd'], ['Prime1', 'p'], ['Prime2', 'q'],
  ['Exponent1', 'dp'], ['Exponent2', 'dq'], ['Coefficient', 'qi'],
]

function human(seconds: number): string {
  return new Date(seconds * 1000).toUTCString()
}

/**
 * BIND's base name of a key as of `now`: a key revoked by then is named with the tag it
 * is published with (REVOKE bit set), as `dnssec-revoke` names it.
 */
export function bindKeyBaseName(key: DnssecKey, now: number = nowSeconds()): string {
  return keyBaseName({ zone: key.zone, algorithm: key.algorithm, keyTag: publishedKeyTag(key, now) })
}

/** Text of the `.key` file of a key; a key revoked at `now` has the REVOKE bit (flags 385), as `dnssec-revoke` writes it. */
export function formatBindPublicKey(key: DnssecKey, ttl?: number, now: number = nowSeconds()): string {
  const lines: string[] = []
  const role = keyRole(key) === 'ksk' ? 'key-signing' : 'zone-signing'
  lines.push(`; This is a ${isRevoked(key, now) ? 'revoked ' : ''}${role} key, keyid ${publishedKeyTag(key, now)}, for ${key.zone}`)
  for (const [f, label] of BIND_TIMING) {
    const v = key.timing[f]
    if (v !== undefined) lines.push(`; ${label}: ${toDnssecTime(v)} (${human(v)})`)
  }
  lines.push(`${key.zone} ${ttl === undefined ? '' : `${ttl} `}IN DNSKEY ${publishedFlags(key, now)} 3 ${key.algorithm} ${Buffer.from(key.publicKey).toString('base64')}`)
  return lines.join('\n') + '\n'
}

/**
 * Text of the `.private` file of a key (Private-key-format v1.3).
 *
 * @throws {DnssecError} ERR_DNSSEC_MISSING_PRIVATE_KEY when the key has no private part
 */
export function formatBindPrivateKey(key: DnssecKey): string {
  if (key.privateKey === null) throw new DnssecError('ERR_DNSSEC_MISSING_PRIVATE_KEY', `key ${keyBaseName(key)} has no private key to export`)
  const info = algorithmInfo(key.algorithm)
  const lines = ['Private-key-format: v1.3', `Algorithm: ${key.algorithm} (${algorithmToString(key.algorithm)})`]
  if (info.family === 'rsa') {
    const jwk = key.privateKey.export({ format: 'jwk' }) as JsonWebKey
    for (const [label, f] of RSA_FIELDS) lines.push(`${label}: ${Buffer.from(jwk[f] as string, 'base64url').toString('base64')}`)
  } else {
    lines.push(`PrivateKey: ${Buffer.from(privateKeyToRaw(key.algorithm, key.privateKey)).toString('base64')}`)
  }
  for (const [f, label] of BIND_TIMING) {
    const v = key.timing[f]
    if (v !== undefined) lines.push(`${label}: ${toDnssecTime(v)}`)
  }
  return lines.join('\n') + '\n'
}

/** Tokens of the DNSKEY record in a `.key` file, comments and parentheses removed. */
function dnskeyTokens(text: string, file: string): { owner: string, flags: number, protocol: number, algorithm: number, publicKey: Uint8Array } {
  const body = text.split('\n').map((l) => l.replace(/;.*$/, '')).join(' ').replace(/[()]/g, ' ')
  const tok = body.trim().split(/\s+/).filter((x) => x.length > 0)
  const i = tok.findIndex((x) => x.toUpperCase() === 'DNSKEY')
  if (i < 1 || tok.length < i + 5) throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${file}: no DNSKEY record found`)
  const flags = Number(tok[i + 1]); const protocol = Number(tok[i + 2]); const algorithm = Number(tok[i + 3])
  if (!Number.isInteger(flags) || flags < 0 || flags > 65535) throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${file}: bad DNSKEY flags "${tok[i + 1]}"`)
  // RFC 4034 §2.1.2: the protocol field MUST be 3.
  if (protocol !== 3) throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${file}: DNSKEY protocol must be 3, got "${tok[i + 2]}"`)
  if (!Number.isInteger(algorithm)) throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${file}: bad DNSKEY algorithm "${tok[i + 3]}"`)
  const b64 = tok.slice(i + 4).join('')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${file}: the DNSKEY public key is not base64`)
  return { owner: tok[0]!, flags, protocol, algorithm, publicKey: new Uint8Array(Buffer.from(b64, 'base64')) }
}

/** Parse the `Field: value` lines of a `.private` file. */
function privateFields(text: string, file: string): Map<string, string> {
  const m = new Map<string, string>()
  text.split('\n').forEach((line, n) => {
    const l = line.trim()
    if (l === '') return
    const c = l.indexOf(':')
    if (c < 1) throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${file}:${n + 1}: expected "Field: value"`)
    m.set(l.slice(0, c).trim(), l.slice(c + 1).trim())
  })
  return m
}

/**
 * Parse a BIND key pair from the texts of its `.key` and `.private` files (the private
 * text may be omitted for a public-only key).
 *
 * @param names file names used in error messages
 * @throws {DnssecError} ERR_DNSSEC_BAD_KEY_FILE, ERR_DNSSEC_KEY_MISMATCH
 */
export function parseBindKey(publicText: string, privateText: string | null, names: { key: string, private?: string } = { key: 'key' }): DnssecKey {
  const pub = dnskeyTokens(publicText, names.key)
  const pfile = names.private ?? names.key.replace(/\.key$/, '.private')
  let privateKey: KeyObject | null = null
  const timing: KeyTiming = { created: 0 }
  if (privateText !== null) {
    const f = privateFields(privateText, pfile)
    const fmt = f.get('Private-key-format')
    if (fmt === undefined || !/^v1\.[0-9]+$/.test(fmt)) throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${pfile}: not a BIND private key file (Private-key-format "${fmt ?? ''}")`)
    const alg = Number((f.get('Algorithm') ?? '').split(/\s/)[0])
    if (alg !== pub.algorithm) throw new DnssecError('ERR_DNSSEC_KEY_MISMATCH', `${pfile}: algorithm ${alg} does not match ${names.key} (${pub.algorithm})`)
    const info = algorithmInfo(alg)
    try {
      if (info.family === 'rsa') {
        const jwk: Record<string, string> = { kty: 'RSA' }
        for (const [label, jf] of RSA_FIELDS) {
          const v = f.get(label)
          if (v === undefined) throw new Error(`missing field ${label}`)
          jwk[jf] = Buffer.from(v, 'base64').toString('base64url')
        }
        privateKey = createPrivateKey({ key: jwk, format: 'jwk' })
      } else {
        const v = f.get('PrivateKey')
        if (v === undefined) throw new Error('missing field PrivateKey')
        privateKey = privateKeyFromRaw(alg, new Uint8Array(Buffer.from(v, 'base64')))
      }
    } catch (e) {
      if (e instanceof DnssecError && e.code !== 'ERR_DNSSEC_BAD_PRIVATE_KEY') throw e
      throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${pfile}: ${(e as Error).message}`, { cause: e })
    }
    for (const [tf, label] of BIND_TIMING) {
      const v = f.get(label)
      if (v !== undefined) {
        try { timing[tf] = parseTime(v, 0) } catch (e) { throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${pfile}: bad ${label} time "${v}"`, { cause: e }) }
      }
    }
  } else {
    // Public-only: take the timing from the comments BIND writes in the .key file.
    for (const [tf, label] of BIND_TIMING) {
      const m = new RegExp(`^;\\s*${label}:\\s*(\\d{14})`, 'm').exec(publicText)
      if (m !== null) timing[tf] = parseTime(m[1]!, 0)
    }
  }
  // BIND keys without metadata are published and active from the beginning.
  if (timing.publish === undefined && timing.activate === undefined) { timing.publish = timing.created; timing.activate = timing.created }
  // A DNSKEY with the REVOKE bit (RFC 5011) but no Revoke time is revoked from the start.
  if ((pub.flags & DnskeyFlags.REVOKE) !== 0 && timing.revoke === undefined) timing.revoke = timing.publish ?? timing.activate ?? timing.created
  return keyFromParts(pub.owner, pub.flags, pub.algorithm, pub.publicKey, privateKey, timing, names.key)
}

/**
 * Read a BIND key from `K….key` / `K….private` (either name, or the base name).
 *
 * @throws {DnssecError} ERR_DNSSEC_BAD_KEY_FILE when a file is missing or malformed
 */
export async function readBindKey(path: string): Promise<DnssecKey> {
  const base = path.replace(/\.(key|private)$/, '')
  const keyFile = `${base}.key`
  let pubText: string
  try { pubText = await readFile(keyFile, 'utf8') } catch (e) {
    throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${keyFile}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e })
  }
  let privText: string | null = null
  try { privText = await readFile(`${base}.private`, 'utf8') } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new DnssecError('ERR_DNSSEC_BAD_KEY_FILE', `${base}.private: cannot read`, { cause: e })
  }
  return parseBindKey(pubText, privText, { key: basename(keyFile), private: basename(`${base}.private`) })
}

/**
 * Write a file atomically (temp file in the same directory, fsync, rename): the one
 * implementation lives in @secdns/pki; this rewraps its error as a DnssecError.
 * @throws {DnssecError} ERR_DNSSEC_WRITE_FAILED, the previous file left as it was
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  try {
    // Loaded on first write: @secdns/pki pulls in the x509 library (~0.1 s at start-up),
    // which signing a zone or reading keys never needs.
    const { writeFileAtomic: pkiWriteFileAtomic } = await import('@secdns/pki')
    await pkiWriteFileAtomic(path, data, mode)
  } catch (e) {
    const cause = (e as { cause?: NodeJS.ErrnoException }).cause
    throw new DnssecError('ERR_DNSSEC_WRITE_FAILED', `cannot write ${path}: ${cause?.code ?? (e as Error).message}`, { cause: e })
  }
}

/**
 * Write a key as BIND files in `dir`; the `.private` file gets mode 0600. A key revoked
 * at `now` is written as `dnssec-revoke` leaves it: flags with the REVOKE bit, named with
 * the new key tag.
 *
 * @returns the base path (`dir/K<zone>+<alg>+<tag>`)
 */
export async function writeBindKey(key: DnssecKey, dir: string, now: number = nowSeconds()): Promise<string> {
  const base = join(dir, bindKeyBaseName(key, now))
  await mkdir(dir, { recursive: true })
  await writeFileAtomic(`${base}.key`, formatBindPublicKey(key, undefined, now))
  if (key.privateKey !== null) await writeFileAtomic(`${base}.private`, formatBindPrivateKey(key), 0o600)
  return base
}
