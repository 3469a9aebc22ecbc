/**
 * The RFC 1035 §5 master-file reader, as BIND reads master files.
 *
 * It streams: files are read in chunks and each record goes to a sink as soon as it is
 * parsed, so memory stays bounded by what the sink keeps. Errors do not stop it: each is
 * collected with its `file:line:column` (up to `maxErrors`) and reading goes on at the
 * next entry, so one run reports every problem in the file.
 */
import { openSync, readSync, closeSync, realpathSync, promises as fsp } from 'node:fs'
import { dirname, resolve as resolvePath } from 'node:path'
import { Name, RRType, WireWriter, rrTypeFromString, rrTypeToString, rdataFromText, rdataTextToWire, isMetaType, type RData, type ResourceRecord, type RDataToken, type Soa } from '@secdns/wire'
import { ZoneError, zoneWarning, type SourceLocation, type ZoneErrorCode, type ZoneWarning } from './errors.js'
import { Lexer, lexString, forEachLineOfFile, forEachLineOfFileAsync, forEachLineOfString, type Entry, type Token } from './lexer.js'
import { parseTtl, looksLikeTtl, parseClass, classToString, MAX_TTL } from './ttl.js'
import { generateText, parseGenerateRange, MAX_GENERATE_ITERATIONS } from './generate.js'
import { addRecordWire, type Zone } from './zone.js'

/** Stop collecting after this many errors (named-checkzone stops at the first; we report them all, up to this cap). */
export const DEFAULT_MAX_ERRORS = 100
/** The deepest $INCLUDE nesting allowed. */
export const MAX_INCLUDE_DEPTH = 16

/** Options for {@link readZoneFile} and {@link readZoneText}. */
export interface ReadZoneOptions {
  /** The zone apex: the initial $ORIGIN, and records outside it are ignored with a warning. */
  readonly origin: Name | string
  /** The zone's class; records of another class are errors. Default IN (1). */
  readonly zoneClass?: number
  /** A $TTL in force before the file sets one (BIND's default-ttl). */
  readonly defaultTtl?: number
  /** Error cap; default {@link DEFAULT_MAX_ERRORS}. */
  readonly maxErrors?: number
  /** Allow $INCLUDE (default true). */
  readonly allowInclude?: boolean
}

/** What a read produced besides the records handed to the sink. */
export interface ReadZoneResult {
  /** Number of records handed to the sink. */
  readonly records: number
  /** Every error found (up to the cap), in file order. A non-empty list means the zone must not be used. */
  readonly errors: ZoneError[]
  /** Things BIND would also load with a message: out-of-zone data ignored, a TTL taken from the SOA, … */
  readonly warnings: ZoneWarning[]
}

/** Receives each record as it is read, with the location of its entry. */
export type RecordSink = (rr: ResourceRecord, loc: SourceLocation) => void

// Fields that hold a domain name, by type, as indexes into the RDATA tokens: an unquoted
// `@` there is the origin (RFC 1035 §5.1), while elsewhere (TXT, CAA…) it is just text.
const NAME_FIELDS: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [RRType.NS, [0]], [RRType.CNAME, [0]], [RRType.PTR, [0]], [RRType.DNAME, [0]],
  [RRType.SOA, [0, 1]], [RRType.MX, [1]], [RRType.SRV, [3]], [RRType.NAPTR, [5]],
  [RRType.RRSIG, [7]], [RRType.NSEC, [0]], [RRType.SVCB, [1]], [RRType.HTTPS, [1]],
  [7, [0]], [8, [0]], [9, [0]], [14, [0, 1]], [17, [0, 1]], [18, [1]], [21, [1]], [26, [1, 2]], [36, [1]], [107, [1]],
  // IPSECKEY gateway (a name when the gateway type is 3); HIP rendezvous servers after the key
  [RRType.IPSECKEY, [3]], [RRType.HIP, Array.from({ length: 40 }, (_, i) => i + 3)],
])

class StopReading extends Error {}

interface IncludeFrame { readonly path: string }

/** An $INCLUDE checked and ready to read (paths resolved, no loop, depth allowed). */
interface PendingInclude {
  readonly real: string
  readonly tok: Token
  readonly file: string
  readonly origin: Name
}

/**
 * Read a master file from disk, in chunks.
 *
 * @param path the file; `$INCLUDE` paths inside it are relative to its directory
 * @param options origin (the zone apex), class, default TTL, error cap
 * @param sink called once per record, in file order
 * @returns counts, errors and warnings
 * @throws {ZoneError} `ERR_ZONE_FILE` when the top-level file cannot be read
 * @example
 * const rrs: ResourceRecord[] = []
 * const { errors } = readZoneFile('db.example', { origin: 'example.test.' }, (rr) => rrs.push(rr))
 */
export function readZoneFile(path: string, options: ReadZoneOptions, sink: RecordSink): ReadZoneResult {
  const r = new ZoneReader(options, sink)
  r.readTopFile(path)
  return r.result()
}

/**
 * Read a master file without blocking the event loop: the same reader as
 * {@link readZoneFile} (same records, errors and warnings), fed by asynchronous 64 KiB
 * reads, $INCLUDE files too. For servers that load or reload zones while answering.
 *
 * @param path the file
 * @param options as {@link readZoneFile}
 * @param sink called once per record, in file order
 * @throws {ZoneError} `ERR_ZONE_FILE` when the top-level file cannot be read
 * @example
 * const { errors } = await readZoneFileAsync('db.example', { origin: 'example.test.' }, (rr) => zone.add(rr))
 */
export async function readZoneFileAsync(path: string, options: ReadZoneOptions, sink: RecordSink): Promise<ReadZoneResult> {
  const r = new ZoneReader(options, sink)
  await r.readTopFileAsync(path)
  return r.result()
}

/**
 * Read master-file text held in memory (for tests and small inputs).
 *
 * @param text the zone text
 * @param options as {@link readZoneFile}, plus `file`: the name used in locations (default `<text>`); $INCLUDE paths are relative to the working directory
 * @param sink called once per record
 */
export function readZoneText(text: string, options: ReadZoneOptions & { readonly file?: string }, sink: RecordSink): ReadZoneResult {
  const r = new ZoneReader(options, sink)
  r.readText(text, options.file ?? '<text>')
  return r.result()
}

/**
 * {@link readZoneFile} into a {@link Zone}: the RDATA of the common types (A, AAAA, NS,
 * CNAME, MX, TXT, DS, …) goes from text straight to the octets the zone keeps, without
 * a typed object in between. Not part of the package's exports; `loadZoneFile` uses it.
 * @param path the file
 * @param options as {@link readZoneFile}
 * @param zone receives every record
 */
export function readZoneFileToZone(path: string, options: ReadZoneOptions, zone: Zone): ReadZoneResult {
  const r = new ZoneReader(options, (rr, loc) => { zone.add(rr, loc) }, zone)
  r.readTopFile(path)
  return r.result()
}

/** {@link readZoneFileAsync} into a {@link Zone}, as {@link readZoneFileToZone}. */
export async function readZoneFileToZoneAsync(path: string, options: ReadZoneOptions, zone: Zone): Promise<ReadZoneResult> {
  const r = new ZoneReader(options, (rr, loc) => { zone.add(rr, loc) }, zone)
  await r.readTopFileAsync(path)
  return r.result()
}

/** {@link readZoneText} into a {@link Zone}, as {@link readZoneFileToZone}. */
export function readZoneTextToZone(text: string, options: ReadZoneOptions & { readonly file?: string }, zone: Zone): ReadZoneResult {
  const r = new ZoneReader(options, (rr, loc) => { zone.add(rr, loc) }, zone)
  r.readText(text, options.file ?? '<text>')
  return r.result()
}

class ZoneReader {
  private readonly zoneOrigin: Name
  private readonly zoneClass: number
  private readonly maxErrors: number
  private readonly allowInclude: boolean
  private readonly sink: RecordSink
  private origin: Name
  private defaultTtl: number | null
  private lastTtl: number | null = null
  private lastOwner: Name | null = null
  // The last owner name parsed from text, with the text and the origin it was parsed under:
  // consecutive lines that repeat an owner (`d1 NS ..`, `d1 DS ..`) reuse the Name.
  private ownerText = ''
  private ownerOrigin: Name | null = null
  private ownerName: Name | null = null
  private count = 0
  private readonly errors: ZoneError[] = []
  private readonly warnings: ZoneWarning[] = []
  private readonly stack: IncludeFrame[] = []
  // Set in asynchronous mode: $INCLUDE is left here for the async driver to read.
  private async = false
  private pending: PendingInclude | null = null
  // Set when reading into a Zone: RDATA goes from text to octets in `scratch`.
  private readonly zone: Zone | null
  private readonly scratch: WireWriter | null

  constructor(options: ReadZoneOptions, sink: RecordSink, zone: Zone | null = null) {
    this.zone = zone
    this.scratch = zone === null ? null : new WireWriter(512)
    this.zoneOrigin = typeof options.origin === 'string' ? Name.fromString(options.origin.endsWith('.') ? options.origin : options.origin + '.') : options.origin
    this.origin = this.zoneOrigin
    this.zoneClass = options.zoneClass ?? 1
    this.maxErrors = options.maxErrors ?? DEFAULT_MAX_ERRORS
    this.allowInclude = options.allowInclude ?? true
    this.defaultTtl = options.defaultTtl ?? null
    this.sink = sink
  }

  result(): ReadZoneResult {
    return { records: this.count, errors: this.errors, warnings: this.warnings }
  }

  readTopFile(path: string): void {
    let real: string
    let fd: number
    try {
      real = realpathSync(path)
      fd = openSync(real, 'r')
    } catch (e) {
      throw new ZoneError('ERR_ZONE_FILE', `cannot read zone file: ${(e as Error).message}`, { file: path, line: 0, column: 0 }, { cause: e })
    }
    try {
      this.readFd(fd, path, real)
    } catch (e) {
      if (!(e instanceof StopReading)) throw e
    } finally {
      closeSync(fd)
    }
  }

  async readTopFileAsync(path: string): Promise<void> {
    this.async = true
    let real: string
    let handle: Awaited<ReturnType<typeof fsp.open>>
    try {
      real = await fsp.realpath(path)
      handle = await fsp.open(real, 'r')
    } catch (e) {
      throw new ZoneError('ERR_ZONE_FILE', `cannot read zone file: ${(e as Error).message}`, { file: path, line: 0, column: 0 }, { cause: e })
    }
    try {
      await this.readHandleAsync(handle, path, real)
    } catch (e) {
      if (!(e instanceof StopReading)) throw e
    } finally {
      await handle.close()
    }
  }

  private async readHandleAsync(handle: Awaited<ReturnType<typeof fsp.open>>, file: string, real: string): Promise<void> {
    const lexer = new Lexer(file, (e) => this.error(e))
    this.stack.push({ path: real })
    await forEachLineOfFileAsync(async (buf) => (await handle.read(buf, 0, buf.length, null)).bytesRead, (line, no) => {
      const bad = line.indexOf('\uFFFD')
      if (bad >= 0) {
        this.fail('ERR_ZONE_BAD_ENCODING', 'this line is not valid UTF-8; write octets above 127 as \\DDD escapes', file, { line: no, column: bad + 1 })
        return
      }
      const entry = lexer.pushLine(line, no)
      if (entry) this.entry(entry)
      const inc = this.pending
      if (inc === null) return
      this.pending = null
      return this.includeAsync(inc)
    })
    lexer.end()
    this.stack.pop()
  }

  private async includeAsync(inc: PendingInclude): Promise<void> {
    let handle: Awaited<ReturnType<typeof fsp.open>>
    try {
      handle = await fsp.open(inc.real, 'r')
    } catch (e) {
      this.fail('ERR_ZONE_FILE', `cannot read included file "${inc.tok.value}": ${(e as Error).message}`, inc.file, inc.tok, e)
      return
    }
    const savedOrigin = this.origin
    const savedOwner = this.lastOwner
    this.origin = inc.origin
    try {
      await this.readHandleAsync(handle, inc.tok.value, inc.real)
    } catch (e) {
      if (e instanceof StopReading) throw e
      this.fail('ERR_ZONE_FILE', `cannot read included file "${inc.tok.value}": ${(e as Error).message}`, inc.file, inc.tok, e)
    } finally {
      await handle.close()
      this.origin = savedOrigin
      this.lastOwner = savedOwner
    }
  }

  readText(text: string, file: string): void {
    try {
      const lexer = new Lexer(file, (e) => this.error(e))
      this.stack.push({ path: resolvePath(file) })
      forEachLineOfString(text, (line, no) => {
        const entry = lexer.pushLine(line, no)
        if (entry) this.entry(entry)
      })
      lexer.end()
      this.stack.pop()
    } catch (e) {
      if (!(e instanceof StopReading)) throw e
    }
  }

  private readFd(fd: number, file: string, real: string): void {
    const lexer = new Lexer(file, (e) => this.error(e))
    this.stack.push({ path: real })
    forEachLineOfFile(fd, (f, buf) => readSync(f, buf, 0, buf.length, null), (line, no) => {
      // Bytes that are not UTF-8 decode to U+FFFD; reading on would silently change the
      // data, so say so (write such octets as \DDD escapes).
      const bad = line.indexOf('\uFFFD')
      if (bad >= 0) {
        this.fail('ERR_ZONE_BAD_ENCODING', 'this line is not valid UTF-8; write octets above 127 as \\DDD escapes', file, { line: no, column: bad + 1 })
        return
      }
      const entry = lexer.pushLine(line, no)
      if (entry) this.entry(entry)
    })
    lexer.end()
    this.stack.pop()
  }

  private error(e: ZoneError): void {
    this.errors.push(e)
    if (this.errors.length >= this.maxErrors) {
      this.errors.push(new ZoneError('ERR_ZONE_TOO_MANY_ERRORS', `too many errors (${this.maxErrors}); stopped reading`, { file: e.file, line: e.line, column: e.column }))
      throw new StopReading()
    }
  }

  private fail(code: ZoneErrorCode, reason: string, file: string, at: { line: number, column: number }, cause?: unknown): void {
    this.error(new ZoneError(code, reason, { file, line: at.line, column: at.column }, cause === undefined ? undefined : { cause }))
  }

  private warn(code: ZoneErrorCode, reason: string, file: string, at: { line: number, column: number }): void {
    this.warnings.push(zoneWarning(code, reason, { file, line: at.line, column: at.column }))
  }

  private parseName(tok: Token, file: string, what: string): Name | null {
    if (!tok.quoted && tok.value === '@') return this.origin
    try {
      return Name.fromString(tok.value, this.origin)
    } catch (e) {
      this.fail('ERR_ZONE_BAD_NAME', `bad ${what} "${tok.value}": ${(e as Error).message}`, file, tok, e)
      return null
    }
  }

  private entry(entry: Entry): void {
    const toks = entry.tokens
    const first = toks[0]!
    if (!entry.blankOwner && !first.quoted && first.value.startsWith('$')) {
      this.directive(entry)
      return
    }
    let owner: Name | null
    let idx = 0
    if (entry.blankOwner) {
      owner = this.lastOwner
      if (owner === null) {
        this.fail('ERR_ZONE_NO_OWNER', 'this record has no owner: the line starts with white space and no record came before it', entry.file, first)
        return
      }
    } else {
      if (!first.quoted && this.ownerName !== null && first.value === this.ownerText && this.origin === this.ownerOrigin) {
        owner = this.ownerName
      } else {
        owner = this.parseName(first, entry.file, 'owner name')
        if (owner === null) return
        if (!first.quoted) { this.ownerText = first.value; this.ownerOrigin = this.origin; this.ownerName = owner }
      }
      idx = 1
    }
    // RFC 1035 §5.1: the owner of a blank-owner line is the last one stated, even after an error.
    this.lastOwner = owner
    let ttl: number | null = null
    let cls: number | null = null
    // RFC 1035 §5.1 allows <TTL> <class> or <class> <TTL>; both optional.
    for (let k = 0; k < 2; k++) {
      const t = toks[idx]
      if (t === undefined || t.quoted) break
      if (ttl === null && looksLikeTtl(t.value)) {
        const v = parseTtl(t.value)
        if (v === null) {
          this.fail('ERR_ZONE_BAD_TTL', `expected a TTL (seconds or units like 1h30m), got "${t.value}"`, entry.file, t)
          return
        }
        ttl = v
        idx++
        continue
      }
      if (cls === null) {
        const c = parseClass(t.value)
        if (c !== null) { cls = c; idx++; continue }
      }
      break
    }
    const typeTok = toks[idx]
    if (typeTok === undefined) {
      const last = toks[toks.length - 1]!
      this.fail('ERR_ZONE_UNKNOWN_TYPE', `expected ${this.expected(ttl, cls)}, got the end of the record`, entry.file, { line: last.line, column: last.column + last.value.length })
      return
    }
    const type = this.parseType(typeTok, entry.file, ttl, cls)
    if (type === null) return
    this.record(owner, ttl, cls, type, typeTok, toks, idx + 1, entry.file, first)
  }

  private expected(ttl: number | null, cls: number | null): string {
    if (ttl === null && cls === null) return 'a TTL, class or type'
    if (ttl === null) return 'a TTL or type'
    if (cls === null) return 'a class or type'
    return 'a type'
  }

  private parseType(tok: Token, file: string, ttl: number | null, cls: number | null): number | null {
    let type: number
    try {
      if (tok.quoted) throw new Error('quoted')
      type = rrTypeFromString(tok.value)
    } catch {
      this.fail('ERR_ZONE_UNKNOWN_TYPE', `expected ${this.expected(ttl, cls)}, got "${tok.value}"`, file, tok)
      return null
    }
    // RFC 6895 §3.1 / RFC 2930: meta-types and QTYPEs are not zone data.
    if (isMetaType(type)) {
      this.fail('ERR_ZONE_META_TYPE', `${rrTypeToString(type)} is a meta-type and cannot appear in a zone file`, file, tok)
      return null
    }
    return type
  }

  // The RDATA tokens are all[from..]: the entry's tokens are not copied for them.
  private record(owner: Name, ttl: number | null, cls: number | null, type: number, typeTok: Token, all: Token[], from: number, file: string, at: Token): void {
    const rrClass = cls ?? this.zoneClass
    if (rrClass !== this.zoneClass) {
      this.fail('ERR_ZONE_CLASS_MISMATCH', `class ${classToString(rrClass)} does not match the zone's class ${classToString(this.zoneClass)}`, file, at)
      return
    }
    const nameFields = NAME_FIELDS.get(type)
    // Tokens go to wire as they are (a Token is an RDataToken); a copy is made only when
    // an "@" has to become the origin.
    let tokens: readonly RDataToken[] = all
    let first = from
    if (nameFields !== undefined && all.length > from && all[from]!.value !== '\\#') {
      for (const i of nameFields) {
        const t = all[from + i]
        // RFC 1035 §5.1: "@" denotes the current origin, in domain-name fields only.
        if (t !== undefined && !t.quoted && t.value === '@') {
          if (tokens === all) { tokens = all.slice(from); first = 0 }
          ;(tokens as RDataToken[])[i] = { value: this.origin.toString(), quoted: false }
        }
      }
    }
    let data: RData | null = null
    const w = this.scratch
    let wire = false
    if (w !== null && type !== RRType.SOA) {
      w.reset(false)
      wire = rdataTextToWire(w, type, tokens, this.origin, first)
    }
    if (!wire) {
      try {
        data = rdataFromText(type, first === 0 ? tokens : tokens.slice(first), this.origin)
      } catch (e) {
        const where = all[from] ?? typeTok
        this.fail('ERR_ZONE_BAD_RDATA', `bad ${rrTypeToString(type)} data: ${(e as Error).message}`, file, where, e)
        return
      }
    }
    let finalTtl: number
    if (ttl !== null) {
      finalTtl = ttl
      this.lastTtl = ttl
    } else if (this.defaultTtl !== null) {
      finalTtl = this.defaultTtl
    } else if (this.lastTtl !== null) {
      // RFC 1035 §5.1: an omitted TTL is the last one stated (there is no $TTL yet).
      finalTtl = this.lastTtl
    } else if (type === RRType.SOA) {
      // BIND: "no TTL specified; using SOA MINTTL instead".
      finalTtl = (data as Soa).minimum // SOA always goes the typed way
      this.lastTtl = finalTtl
      this.warn('ERR_ZONE_NO_TTL_DEFAULT', `no TTL specified; using the SOA minimum (${finalTtl}) instead`, file, at)
    } else {
      this.fail('ERR_ZONE_NO_TTL', 'no TTL specified: give the record a TTL or put $TTL before it', file, at)
      return
    }
    if (finalTtl > MAX_TTL) {
      // RFC 2181 §8: a TTL with the top bit set is treated as zero.
      this.warn('ERR_ZONE_TTL_TOO_LARGE', `TTL ${finalTtl} is above 2^31-1; using 0`, file, at)
      finalTtl = 0
    }
    if (!owner.isSubdomainOf(this.zoneOrigin)) {
      this.warn('ERR_ZONE_OUT_OF_ZONE', `ignoring out-of-zone data (${owner.toString()})`, file, at)
      return
    }
    this.count++
    if (data === null) addRecordWire(this.zone!, owner, rrClass, finalTtl, type, w!.buf, 0, w!.pos, { file, line: at.line, column: at.column })
    else this.sink({ name: owner, class: rrClass, ttl: finalTtl, data }, { file, line: at.line, column: at.column })
  }

  private directive(entry: Entry): void {
    const toks = entry.tokens
    const d = toks[0]!
    const file = entry.file
    const name = d.value.toUpperCase()
    const args = toks.slice(1)
    switch (name) {
      case '$ORIGIN': {
        if (args.length !== 1) {
          this.fail('ERR_ZONE_BAD_DIRECTIVE', `$ORIGIN takes one domain name, got ${args.length} arguments`, file, args[1] ?? d)
          return
        }
        const o = this.parseName(args[0]!, file, '$ORIGIN')
        if (o !== null) this.origin = o
        return
      }
      case '$TTL': {
        if (args.length !== 1) {
          this.fail('ERR_ZONE_BAD_DIRECTIVE', `$TTL takes one TTL, got ${args.length} arguments`, file, args[1] ?? d)
          return
        }
        const v = parseTtl(args[0]!.value)
        if (v === null) {
          this.fail('ERR_ZONE_BAD_TTL', `expected a TTL (seconds or units like 1h30m), got "${args[0]!.value}"`, file, args[0]!)
          return
        }
        if (v > MAX_TTL) {
          this.warn('ERR_ZONE_TTL_TOO_LARGE', `$TTL ${v} is above 2^31-1; using 0`, file, args[0]!)
          this.defaultTtl = 0
        } else {
          this.defaultTtl = v
        }
        return
      }
      case '$INCLUDE':
        this.include(args, d, file)
        return
      case '$GENERATE':
        this.generate(args, d, file)
        return
      default:
        this.fail('ERR_ZONE_BAD_DIRECTIVE', `unknown directive "${d.value}" (expected $ORIGIN, $TTL, $INCLUDE or $GENERATE)`, file, d)
    }
  }

  private include(args: Token[], d: Token, file: string): void {
    if (!this.allowInclude) {
      this.fail('ERR_ZONE_BAD_DIRECTIVE', '$INCLUDE is not allowed here', file, d)
      return
    }
    if (args.length < 1 || args.length > 2) {
      this.fail('ERR_ZONE_BAD_DIRECTIVE', `$INCLUDE takes a file name and an optional origin, got ${args.length} arguments`, file, args[2] ?? d)
      return
    }
    let newOrigin = this.origin
    if (args.length === 2) {
      const o = this.parseName(args[1]!, file, '$INCLUDE origin')
      if (o === null) return
      newOrigin = o
    }
    const parent = this.stack[this.stack.length - 1]
    const target = resolvePath(parent ? dirname(parent.path) : process.cwd(), args[0]!.value)
    let real: string
    let fd: number
    try {
      real = realpathSync(target)
    } catch (e) {
      this.fail('ERR_ZONE_FILE', `cannot read included file "${args[0]!.value}": ${(e as Error).message}`, file, args[0]!, e)
      return
    }
    if (this.stack.some((f) => f.path === real)) {
      this.fail('ERR_ZONE_INCLUDE_LOOP', `$INCLUDE "${args[0]!.value}" would include a file that is already being read (a loop)`, file, args[0]!)
      return
    }
    if (this.stack.length >= MAX_INCLUDE_DEPTH) {
      this.fail('ERR_ZONE_INCLUDE_DEPTH', `$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep`, file, args[0]!)
      return
    }
    if (this.async) {
      this.pending = { real, tok: args[0]!, file, origin: newOrigin }
      return
    }
    try {
      fd = openSync(real, 'r')
    } catch (e) {
      this.fail('ERR_ZONE_FILE', `cannot read included file "${args[0]!.value}": ${(e as Error).message}`, file, args[0]!, e)
      return
    }
    // RFC 1035 §5.1: $INCLUDE "does not change the relative origin of the parent file".
    const savedOrigin = this.origin
    const savedOwner = this.lastOwner
    this.origin = newOrigin
    try {
      this.readFd(fd, args[0]!.value, real)
    } catch (e) {
      if (e instanceof StopReading) throw e
      this.fail('ERR_ZONE_FILE', `cannot read included file "${args[0]!.value}": ${(e as Error).message}`, file, args[0]!, e)
    } finally {
      closeSync(fd)
      this.origin = savedOrigin
      this.lastOwner = savedOwner
    }
  }

  private generate(args: Token[], d: Token, file: string): void {
    // $GENERATE range lhs [ttl] [class] type rhs  (BIND 9 ARM, "The $GENERATE Directive")
    if (args.length < 4) {
      this.fail('ERR_ZONE_BAD_GENERATE', '$GENERATE needs a range, a left-hand side, a type and a right-hand side', file, args[args.length - 1] ?? d)
      return
    }
    const range = parseGenerateRange(args[0]!.value)
    if (range === null) {
      this.fail('ERR_ZONE_BAD_GENERATE', `invalid $GENERATE range "${args[0]!.value}" (expected start-stop[/step] with start <= stop)`, file, args[0]!)
      return
    }
    const iterations = Math.floor((range.stop - range.start) / range.step) + 1
    if (iterations > MAX_GENERATE_ITERATIONS) {
      this.fail('ERR_ZONE_BAD_GENERATE', `$GENERATE range "${args[0]!.value}" makes ${iterations} records, more than ${MAX_GENERATE_ITERATIONS}`, file, args[0]!)
      return
    }
    const lhs = args[1]!
    let idx = 2
    let ttl: number | null = null
    let cls: number | null = null
    for (let k = 0; k < 2 && idx < args.length - 2; k++) {
      const t = args[idx]!
      if (ttl === null && looksLikeTtl(t.value)) {
        const v = parseTtl(t.value)
        if (v === null) {
          this.fail('ERR_ZONE_BAD_TTL', `expected a TTL (seconds or units like 1h30m), got "${t.value}"`, file, t)
          return
        }
        ttl = v; idx++; continue
      }
      if (cls === null) {
        const c = parseClass(t.value)
        if (c !== null) { cls = c; idx++; continue }
      }
      break
    }
    if (args.length - idx !== 2) {
      this.fail('ERR_ZONE_BAD_GENERATE', `$GENERATE takes exactly one right-hand side after the type (quote it if it has spaces), got ${args.length - idx - 1}`, file, args[idx]!)
      return
    }
    const typeTok = args[idx]!
    const type = this.parseType(typeTok, file, ttl, cls)
    if (type === null) return
    const rhs = args[idx + 1]!
    for (let it = range.start; it <= range.stop; it += range.step) {
      const l = generateText(lhs.value, it)
      const r = generateText(rhs.value, it)
      if (l === null || r === null) {
        this.fail('ERR_ZONE_BAD_GENERATE', `bad \${offset,width,base} modifier in "${(l === null ? lhs : rhs).value}"`, file, l === null ? lhs : rhs)
        return
      }
      const owner = this.parseName({ ...lhs, value: l }, file, 'owner name')
      if (owner === null) return
      let lexErr = false
      const rdToks = lexString(r, file, rhs.line, (e) => { lexErr = true; this.error(e) }).map((t) => ({ ...t, column: rhs.column }))
      if (lexErr) return
      const before = this.errors.length
      this.record(owner, ttl, cls, type, typeTok, rdToks, 0, file, lhs)
      if (this.errors.length > before) return
    }
  }
}
