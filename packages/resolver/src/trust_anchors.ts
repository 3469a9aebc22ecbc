/**
 * Trust anchors, kept in `TrustAnchors.dns` as Windows keeps them: master-file syntax
 * (RFC 1035 §5), DNSKEY (SEP) and DS records, each anchoring its owner and every name
 * below it. Several anchors may coexist (islands of trust).
 *
 * The file is kept as lines, so comments and layout survive a rewrite: adding appends
 * a line, removing deletes only the lines of the removed entries. Writes go to a temp
 * file in the same directory, then rename.
 */
import { readFileSync } from 'node:fs'
import { Name, RRType, RRClass, encodeRData, rrToText, type Dnskey, type Ds, type ResourceRecord } from '@secdns/wire'
import { Lexer, readZoneText, type ZoneError } from '@secdns/zone'
import { keyTagOfRdata, writeFileAtomic } from '@secdns/dnssec'
import { ResolverError } from './errors.js'

/** One trust anchor record: a DNSKEY or a DS at the anchored zone's apex. */
export type AnchorRecord = ResourceRecord<Dnskey> | ResourceRecord<Ds>

/** A trust anchor as listed: the record, its key tag, and where it is in the file. */
export interface TrustAnchor {
  /** The anchored zone (the record's owner). */
  readonly zone: Name
  readonly record: AnchorRecord
  /** Key tag of the DNSKEY (RFC 4034 Appendix B), or the DS's key tag field. */
  readonly keyTag: number
  /** 1-based first and last line of the entry in the file (0 for an anchor not yet saved). */
  readonly line: number
  readonly endLine: number
}

/** Which anchors to remove: every anchor of `zone`, narrowed by key tag and type. */
export interface AnchorFilter {
  readonly zone: Name | string
  readonly keyTag?: number
  readonly type?: 'DNSKEY' | 'DS'
}

/** The DNSKEY Zone Key flag (RFC 4034 §2.1.1). */
const ZONE_KEY = 0x0100

/** Key tag of a DNSKEY record or a DS record's key tag field. */
export function anchorKeyTag(rr: AnchorRecord): number {
  return rr.data.type === RRType.DS ? rr.data.keyTag : keyTagOfRdata(encodeRData(rr.data))
}

function sameRecord(a: AnchorRecord, b: AnchorRecord): boolean {
  if (!a.name.equals(b.name) || a.data.type !== b.data.type) return false
  const x = encodeRData(a.data)
  const y = encodeRData(b.data)
  return x.length === y.length && x.every((v, i) => v === y[i])
}

function checkAnchor(rr: ResourceRecord, where: string): AnchorRecord {
  if (rr.data.type !== RRType.DNSKEY && rr.data.type !== RRType.DS) {
    throw new ResolverError('ERR_RESOLVER_ANCHOR_TYPE', `${where}: a trust anchor is a DNSKEY or DS record, not type ${rr.data.type} (${rr.name.toString()})`)
  }
  if (rr.data.type === RRType.DNSKEY && ((rr.data as Dnskey).flags & ZONE_KEY) === 0) {
    // RFC 4034 §2.1.1: a key without the Zone Key bit cannot verify zone data.
    throw new ResolverError('ERR_RESOLVER_ANCHOR_NOT_SEP', `${where}: DNSKEY for ${rr.name.toString()} has flags ${(rr.data as Dnskey).flags}: the Zone Key bit (256) is not set`)
  }
  return rr as AnchorRecord
}

/**
 * Parse master-file text into anchor records, each with its first and last line.
 *
 * @param text the file's text
 * @param file the name used in error messages
 * @throws {ResolverError} ERR_RESOLVER_ANCHOR_SYNTAX (with file:line:column), ERR_RESOLVER_ANCHOR_TYPE, ERR_RESOLVER_ANCHOR_NOT_SEP
 */
export function parseAnchorText(text: string, file = 'TrustAnchors.dns'): { record: AnchorRecord, line: number, endLine: number }[] {
  // Anchors need no TTL (K-files and Unbound files often omit it): default 0.
  // The lexer tells where each entry ends (parentheses may span lines); the zone reader
  // turns entries into records with their start line.
  const ends = new Map<number, number>()
  const lexErrors: ZoneError[] = []
  const lx = new Lexer(file, (e) => lexErrors.push(e))
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const e = lx.pushLine(lines[i]!, i + 1)
    if (e !== null) ends.set(e.line, i + 1)
  }
  lx.end()
  const out: { record: AnchorRecord, line: number, endLine: number }[] = []
  const found: { rr: ResourceRecord, line: number, column: number }[] = []
  const r = readZoneText(text, { origin: Name.ROOT, file, allowInclude: false, defaultTtl: 0 }, (rr, loc) => found.push({ rr, line: loc.line, column: loc.column }))
  const first = r.errors[0] ?? lexErrors[0]
  if (first !== undefined) throw new ResolverError('ERR_RESOLVER_ANCHOR_SYNTAX', first.message, { cause: first })
  for (const f of found) {
    const record = checkAnchor(f.rr, `${file}:${f.line}:${f.column}`)
    out.push({ record, line: f.line, endLine: ends.get(f.line) ?? f.line })
  }
  return out
}

/**
 * The trust-anchor store (Windows' TrustAnchors zone): read, change and rewrite a
 * `TrustAnchors.dns` file, keeping its comments.
 *
 * @example
 * const ta = await TrustAnchors.load('TrustAnchors.dns')
 * ta.add(record)
 * await ta.save('TrustAnchors.dns')
 */
export class TrustAnchors {
  private lines: string[]
  private entries: { record: AnchorRecord, line: number, endLine: number }[]
  private readonly file: string

  private constructor(lines: string[], entries: { record: AnchorRecord, line: number, endLine: number }[], file: string) {
    this.lines = lines
    this.entries = entries
    this.file = file
  }

  /**
   * Parse the text of a trust-anchor file.
   *
   * @param text master-file text with DNSKEY and DS records
   * @param file the name used in error messages
   * @throws {ResolverError} ERR_RESOLVER_ANCHOR_SYNTAX, ERR_RESOLVER_ANCHOR_TYPE, ERR_RESOLVER_ANCHOR_NOT_SEP
   */
  static parse(text: string, file = 'TrustAnchors.dns'): TrustAnchors {
    const entries = parseAnchorText(text, file)
    const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n')
    return new TrustAnchors(lines, entries, file)
  }

  /**
   * Read a trust-anchor file; a file that does not exist is an empty store.
   *
   * @param path the file
   * @throws {ResolverError} ERR_RESOLVER_ANCHOR_FILE when it cannot be read, or a parse error
   */
  static load(path: string): TrustAnchors {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new TrustAnchors([], [], path)
      throw new ResolverError('ERR_RESOLVER_ANCHOR_FILE', `cannot read ${path}: ${(e as Error).message}`, { cause: e })
    }
    return TrustAnchors.parse(text, path)
  }

  /** An empty store (for anchors given in code). */
  static empty(): TrustAnchors {
    return new TrustAnchors([], [], '<memory>')
  }

  /** Every anchor in file order. */
  list(): TrustAnchor[] {
    return this.entries.map((e) => ({ zone: e.record.name, record: e.record, keyTag: anchorKeyTag(e.record), line: e.line, endLine: e.endLine }))
  }

  /** The anchored zones, each once. */
  zones(): Name[] {
    const seen = new Map<string, Name>()
    for (const e of this.entries) seen.set(e.record.name.hashKey(), e.record.name)
    return [...seen.values()]
  }

  /**
   * The closest enclosing anchored zone of a name, with its anchor records, or null
   * when no anchor covers the name (RFC 4035 §4.3: its answers are then Indeterminate
   * unless another anchor leads to them).
   *
   * @param name the query name
   */
  closest(name: Name): { zone: Name, dnskeys: ResourceRecord<Dnskey>[], ds: ResourceRecord<Ds>[] } | null {
    let best: Name | null = null
    for (const e of this.entries) {
      if (name.isSubdomainOf(e.record.name) && (best === null || e.record.name.labelCount > best.labelCount)) best = e.record.name
    }
    if (best === null) return null
    const zone = best
    const mine = this.entries.filter((e) => e.record.name.equals(zone)).map((e) => e.record)
    return {
      zone,
      dnskeys: mine.filter((r): r is ResourceRecord<Dnskey> => r.data.type === RRType.DNSKEY),
      ds: mine.filter((r): r is ResourceRecord<Ds> => r.data.type === RRType.DS),
    }
  }

  /**
   * Add an anchor: appended as one line at the end of the file. A record already
   * present is not added twice.
   *
   * @param rr a DNSKEY (Zone Key bit set) or DS record
   * @returns false when the same record was already there
   * @throws {ResolverError} ERR_RESOLVER_ANCHOR_TYPE, ERR_RESOLVER_ANCHOR_NOT_SEP
   */
  add(rr: ResourceRecord): boolean {
    const record = checkAnchor(rr, this.file)
    if (this.entries.some((e) => sameRecord(e.record, record))) return false
    const norm = { ...record, class: RRClass.IN } as AnchorRecord
    this.lines.push(rrToText(norm))
    const line = this.lines.length
    this.entries.push({ record: norm, line, endLine: line })
    return true
  }

  /**
   * Remove the anchors a filter selects, with their lines (comments elsewhere stay).
   *
   * @param filter zone, and optionally key tag and type
   * @returns the removed anchors
   */
  remove(filter: AnchorFilter): TrustAnchor[] {
    const zone = typeof filter.zone === 'string' ? Name.fromString(filter.zone) : filter.zone
    const gone = this.list().filter((a) => a.zone.equals(zone) &&
      (filter.keyTag === undefined || a.keyTag === filter.keyTag) &&
      (filter.type === undefined || RRType[filter.type] === a.record.data.type))
    // Delete from the bottom up so earlier line numbers stay valid.
    for (const a of [...gone].sort((x, y) => y.line - x.line)) {
      const count = a.endLine - a.line + 1
      this.lines.splice(a.line - 1, count)
      this.entries = this.entries.filter((e) => e.line !== a.line)
      this.entries = this.entries.map((e) => (e.line > a.line ? { ...e, line: e.line - count, endLine: e.endLine - count } : e))
    }
    return gone
  }

  /** The file's text, comments and layout kept. */
  toText(): string {
    return this.lines.length === 0 ? '' : this.lines.join('\n') + '\n'
  }

  /**
   * Write the store through dnssec's atomic writer (temp file in the same directory,
   * then rename), so a reader never sees half a file.
   *
   * @param path the destination
   * @throws {ResolverError} ERR_RESOLVER_ANCHOR_FILE
   */
  async save(path: string): Promise<void> {
    try {
      await writeFileAtomic(path, this.toText())
    } catch (e) {
      throw new ResolverError('ERR_RESOLVER_ANCHOR_FILE', `cannot write ${path}: ${(e as Error).message}`, { cause: e })
    }
  }
}

/**
 * Add anchors to a trust-anchor file (created if missing), as the server's admin API
 * and `secdns trust-anchor add` do.
 *
 * @param path the TrustAnchors.dns file
 * @param records DNSKEY and DS records
 * @returns the records actually added (duplicates left out)
 * @throws {ResolverError} as {@link TrustAnchors.load}, {@link TrustAnchors.add} and {@link TrustAnchors.save}
 * @example
 * await addTrustAnchors('TrustAnchors.dns', importAnchors(text, 'named.conf'))
 */
export async function addTrustAnchors(path: string, records: readonly ResourceRecord[]): Promise<AnchorRecord[]> {
  const ta = TrustAnchors.load(path)
  const added = records.filter((r) => ta.add(r)) as AnchorRecord[]
  if (added.length > 0) await ta.save(path)
  return added
}

/**
 * Remove anchors from a trust-anchor file.
 *
 * @param path the TrustAnchors.dns file
 * @param filter zone, and optionally key tag and type
 * @returns the removed anchors
 * @throws {ResolverError} ERR_RESOLVER_ANCHOR_NOT_FOUND when nothing matched
 */
export async function removeTrustAnchors(path: string, filter: AnchorFilter): Promise<TrustAnchor[]> {
  const ta = TrustAnchors.load(path)
  const gone = ta.remove(filter)
  if (gone.length === 0) {
    const what = [filter.type, filter.keyTag === undefined ? undefined : `key tag ${filter.keyTag}`].filter((x) => x !== undefined).join(', ')
    throw new ResolverError('ERR_RESOLVER_ANCHOR_NOT_FOUND', `${path}: no trust anchor for ${filter.zone.toString()}${what === '' ? '' : ` (${what})`}`)
  }
  await ta.save(path)
  return gone
}

/**
 * The anchors of a trust-anchor file (an empty list when it does not exist).
 *
 * @param path the TrustAnchors.dns file
 */
export function listTrustAnchors(path: string): TrustAnchor[] {
  return TrustAnchors.load(path).list()
}
