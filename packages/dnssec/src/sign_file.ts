/**
 * Sign a zone file: read it with @secdns/zone, sign, write the signed zone and the
 * `dsset-<zone>.` file, each to a temp file renamed into place so a failure leaves the
 * previous output untouched.
 */
import { open, rename, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { rdataToText, rrClassToString, rrToText, rrTypeToString, type Name, type ResourceRecord } from '@secdns/wire'
import { loadZoneFile, type Zone } from '@secdns/zone'
import { DnssecError } from './errors.js'
import { signZone, type SignZoneOptions, type SignZoneResult } from './signer.js'

/** Presentation text of records, one a line. */
export function recordsToText(records: readonly ResourceRecord[]): string {
  let s = ''
  for (const rr of records) s += rrToText(rr) + '\n'
  return s
}

/** Characters of zone text written at a time. */
const TEXT_CHUNK = 1 << 20

/**
 * The text of {@link recordsToText} in pieces of about TEXT_CHUNK characters, so a large
 * zone is never one string plus one buffer of the whole file. An owner's text is made once
 * for its consecutive records (the signer reuses one Name object per RRset).
 */
function* recordTextChunks(records: readonly ResourceRecord[]): Generator<string> {
  let s = ''
  let lastName: Name | null = null
  let lastText = ''
  for (const rr of records) {
    if (rr.name !== lastName) { lastName = rr.name; lastText = rr.name.toString() }
    s += `${lastText} ${rr.ttl} ${rrClassToString(rr.class)} ${rrTypeToString(rr.data.type)} ${rdataToText(rr.data)}\n`
    if (s.length >= TEXT_CHUNK) { yield s; s = '' }
  }
  if (s.length > 0) yield s
}

/**
 * Read a zone file and every record in it (errors from the reader become one coded error
 * naming the file and line).
 *
 * @throws {DnssecError} ERR_DNSSEC_SIGN_FAILED
 */
export function readZoneRecords(path: string, origin: SignZoneOptions['origin']): ResourceRecord[] {
  return [...readZone(path, origin).records()]
}

/**
 * Read and check a zone file into a {@link Zone}.
 *
 * @throws {DnssecError} ERR_DNSSEC_SIGN_FAILED naming the file and the first errors
 */
export function readZone(path: string, origin: SignZoneOptions['origin']): Zone {
  let res
  try { res = loadZoneFile(path, { origin }) } catch (e) {
    throw new DnssecError('ERR_DNSSEC_SIGN_FAILED', `${path}: ${(e as Error).message}`, { cause: e })
  }
  if (res.errors.length > 0) {
    const first = res.errors.slice(0, 3).map((e) => e.message).join('; ')
    throw new DnssecError('ERR_DNSSEC_SIGN_FAILED', `${path}: ${res.errors.length} error(s) reading the zone: ${first}`)
  }
  return res.zone
}

/** Options of {@link signZoneFile}. */
export interface SignZoneFileOptions extends Omit<SignZoneOptions, 'file'> {
  /** Output file; default `<input>.signed`. */
  out?: string
  /** Directory of the dsset file; default the output's directory. */
  dsDir?: string
  /** Test hook: replaces the atomic writer (to simulate a full disk). */
  writer?: (path: string, data: string) => Promise<void>
}

/**
 * Sign a zone file and write `<out>` and `dsset-<zone>.`.
 *
 * @returns the signing result and the paths written
 * @throws {DnssecError} reading, key and write errors (ERR_DNSSEC_WRITE_FAILED leaves the old output intact)
 * @example
 * await signZoneFile('db.example', { origin: Name.fromString('example.'), keys, now: Math.floor(Date.now() / 1000) })
 */
export async function signZoneFile(path: string, opts: SignZoneFileOptions): Promise<SignZoneResult & { out: string, dsset: string }> {
  const zone = readZone(path, opts.origin)
  const out = opts.out ?? `${path}.signed`
  const zoneText = opts.origin.toString()
  const dsset = join(opts.dsDir ?? dirname(out), `dsset-${zoneText === '.' ? '.' : zoneText}`)
  if (opts.writer !== undefined) {
    const res = await signZone(zone, { ...opts, file: path, keepRecords: true })
    await opts.writer(out, recordsToText(res.records))
    await opts.writer(dsset, recordsToText(res.ds))
    return { ...res, out, dsset }
  }
  // Both files go to temp files first; only when both are written are they renamed, so
  // a failure (bad key, full disk, read-only directory, a killed run) leaves the previous
  // pair as it was. The zone's text is written while the threads sign (signZone's output).
  const staged: Array<{ tmp: string, path: string }> = []
  let writing = out
  const writeFailed = (e: unknown): DnssecError => new DnssecError('ERR_DNSSEC_WRITE_FAILED', `cannot write ${writing}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e })
  const stage = async (p: string) => {
    writing = p
    const tmp = `${p}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
    const fh = await open(tmp, 'wx', 0o644)
    staged.push({ tmp, path: p })
    return fh
  }
  try {
    let res: SignZoneResult
    let fh
    try { fh = await stage(out) } catch (e) { throw writeFailed(e) }
    try {
      const file = fh
      res = await signZone(zone, {
        ...opts, file: path,
        outputBytes: async (bytes) => { try { await file.write(bytes) } catch (e) { throw writeFailed(e) } },
      })
    } finally {
      await fh.close()
    }
    try {
      const dh = await stage(dsset)
      try {
        for (const chunk of recordTextChunks(res.ds)) await dh.write(chunk)
      } finally {
        await dh.close()
      }
      for (const s of staged) { writing = s.path; await rename(s.tmp, s.path) }
    } catch (e) { throw writeFailed(e) }
    return { ...res, out, dsset }
  } catch (e) {
    await Promise.all(staged.map((s) => unlink(s.tmp).catch(() => undefined)))
    throw e
  }
}
