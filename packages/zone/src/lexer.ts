/**
 * The master-file lexer (RFC 1035 §5.1): turns lines into entries of tokens.
 *
 * It is fed one line at a time (so a file is read in chunks, never whole), joins lines
 * inside parentheses into one entry, drops comments, keeps quoted strings as one token
 * with their escapes intact, and records for every token its 1-based line and column.
 */
import { isAscii } from 'node:buffer'
import { ZoneError } from './errors.js'

/** One token: its raw text (escapes intact, quotes removed) and where it starts. */
export interface Token {
  readonly value: string
  readonly quoted: boolean
  readonly line: number
  readonly column: number
}

/** One logical entry: the tokens of a line, or of several lines joined by parentheses. */
export interface Entry {
  readonly file: string
  readonly tokens: Token[]
  /** The entry began with white space: its owner is the previous owner (RFC 1035 §5.1). */
  readonly blankOwner: boolean
  readonly line: number
}

const SPACE = 32
const TAB = 9
const CR = 13
const SEMI = 59
const LPAREN = 40
const RPAREN = 41
const QUOTE = 34
const BACKSLASH = 92

/**
 * Line-at-a-time lexer for one file. Errors are handed to `onError` and the entry they
 * occur in is dropped; lexing goes on at the next line.
 *
 * @example
 * const lx = new Lexer('db.example', (e) => errors.push(e))
 * const entry = lx.pushLine('www 3600 IN A 192.0.2.1', 1)
 */
export class Lexer {
  private tokens: Token[] = []
  private depth = 0
  private blankOwner = false
  private entryLine = 0
  private parenLine = 0
  private parenColumn = 0
  private broken = false
  readonly file: string
  private readonly onError: (e: ZoneError) => void

  /**
   * @param file the file name used in locations
   * @param onError receives each lexical error
   */
  constructor(file: string, onError: (e: ZoneError) => void) {
    this.file = file
    this.onError = onError
  }

  /**
   * Lex one line (without its newline). Returns a finished entry, or null while inside
   * parentheses or for a blank or comment-only line.
   */
  pushLine(text: string, lineNo: number): Entry | null {
    const n = text.length
    let i = 0
    if (this.depth === 0) {
      this.tokens = []
      this.broken = false
      this.entryLine = lineNo
      const c0 = n > 0 ? text.charCodeAt(0) : -1
      this.blankOwner = c0 === SPACE || c0 === TAB
    }
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === SPACE || c === TAB || c === CR) { i++; continue }
      if (c === SEMI) break
      if (c === LPAREN) {
        if (this.depth === 0) { this.parenLine = lineNo; this.parenColumn = i + 1 }
        this.depth++
        i++
        continue
      }
      if (c === RPAREN) {
        if (this.depth === 0) {
          this.fail('ERR_ZONE_UNBALANCED_PARENS', `")" without a matching "("`, lineNo, i + 1)
          return null
        }
        this.depth--
        i++
        continue
      }
      if (c === QUOTE) {
        const start = i
        i++
        let j = i
        let closed = false
        while (j < n) {
          const d = text.charCodeAt(j)
          if (d === BACKSLASH) { j += 2; continue }
          if (d === QUOTE) { closed = true; break }
          j++
        }
        if (!closed) {
          // A quoted string ends on its own line: RFC 1035 §5.1 gives no way to continue one.
          this.fail('ERR_ZONE_UNTERMINATED_QUOTE', 'quoted string is not closed before the end of the line', lineNo, start + 1)
          return null
        }
        this.tokens.push({ value: text.slice(i, j), quoted: true, line: lineNo, column: start + 1 })
        i = j + 1
        continue
      }
      const start = i
      while (i < n) {
        const d = text.charCodeAt(i)
        if (d === BACKSLASH) {
          if (i + 1 >= n) {
            this.fail('ERR_ZONE_BAD_ESCAPE', 'a backslash at the end of a line escapes nothing', lineNo, i + 1)
            return null
          }
          i += 2
          continue
        }
        if (d === SPACE || d === TAB || d === CR || d === SEMI || d === LPAREN || d === RPAREN) break
        i++
      }
      this.tokens.push({ value: text.slice(start, i), quoted: false, line: lineNo, column: start + 1 })
    }
    if (this.depth > 0) return null
    if (this.broken || this.tokens.length === 0) return null
    return { file: this.file, tokens: this.tokens, blankOwner: this.blankOwner, line: this.entryLine }
  }

  /** Call at the end of the file: reports parentheses still open. */
  end(): void {
    if (this.depth > 0) {
      this.depth = 0
      this.onError(new ZoneError('ERR_ZONE_UNBALANCED_PARENS', '"(" is never closed', { file: this.file, line: this.parenLine, column: this.parenColumn }))
    }
  }

  private fail(code: 'ERR_ZONE_UNBALANCED_PARENS' | 'ERR_ZONE_UNTERMINATED_QUOTE' | 'ERR_ZONE_BAD_ESCAPE', reason: string, line: number, column: number): void {
    this.onError(new ZoneError(code, reason, { file: this.file, line, column }))
    // Drop the whole entry; if we were inside parentheses, give up on them too so one
    // bad line does not swallow the rest of the file.
    this.depth = 0
    this.tokens = []
    this.broken = true
  }
}

/**
 * Lex a whole string (e.g. a $GENERATE right-hand side) into tokens on one line.
 * Used where the text is already in memory and short.
 */
export function lexString(text: string, file: string, line: number, onError: (e: ZoneError) => void): Token[] {
  const lx = new Lexer(file, onError)
  const e = lx.pushLine(' ' + text, line)
  lx.end()
  return e ? e.tokens.map((t) => ({ ...t, column: t.column - 1 })) : []
}

/**
 * UTF-8 decoding of consecutive chunks. Zone files are ASCII in practice: while every
 * chunk so far was ASCII (no multi-octet sequence can be pending), a chunk that is ASCII
 * too is turned into a string by a native latin1 copy, which is several times cheaper
 * than TextDecoder; the first chunk with any octet above 127 switches to TextDecoder
 * (streaming) for the rest, so the text is exactly what TextDecoder alone would give.
 */
class ChunkDecoder {
  private decoder: InstanceType<typeof TextDecoder> | null = null

  /** The text of `buf[0..got)`; `got <= 0` ends the stream. */
  decode(buf: Uint8Array, got: number): string {
    if (this.decoder === null) {
      if (got <= 0) return ''
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, got)
      if (isAscii(chunk)) return chunk.toString('latin1')
      this.decoder = new TextDecoder('utf-8')
    }
    return got > 0 ? this.decoder.decode(buf.subarray(0, got), { stream: true }) : this.decoder.decode()
  }
}

/**
 * Read a file line by line in fixed-size chunks (the whole file is never one string).
 * Calls `onLine(text, lineNo)` for each line, without the newline.
 *
 * @throws {Error} the file system error (ENOENT, EACCES, …) for the caller to wrap
 */
export function forEachLineOfFile(fd: number, readChunk: (fd: number, buf: Uint8Array) => number, onLine: (text: string, lineNo: number) => boolean | void, chunkSize = 1 << 20): void {
  const decoder = new ChunkDecoder()
  const buf = new Uint8Array(chunkSize)
  let carry = ''
  let lineNo = 0
  for (;;) {
    const got = readChunk(fd, buf)
    const text = decoder.decode(buf, got)
    let chunk = carry.length > 0 ? carry + text : text
    let start = 0
    for (;;) {
      const nl = chunk.indexOf('\n', start)
      if (nl < 0) break
      lineNo++
      if (onLine(chunk.slice(start, nl), lineNo) === false) return
      start = nl + 1
    }
    carry = chunk.slice(start)
    chunk = ''
    if (got <= 0) break
  }
  if (carry.length > 0) onLine(carry, lineNo + 1)
}

/**
 * Asynchronous {@link forEachLineOfFile}: `readChunk` resolves to the number of bytes read
 * (0 at the end). Each chunk is an await, so a large file does not hold the event loop.
 */
export async function forEachLineOfFileAsync(readChunk: (buf: Uint8Array) => Promise<number>, onLine: (text: string, lineNo: number) => Promise<void> | void, chunkSize = 1 << 16): Promise<void> {
  const decoder = new ChunkDecoder()
  const buf = new Uint8Array(chunkSize)
  let carry = ''
  let lineNo = 0
  for (;;) {
    const got = await readChunk(buf)
    const text = decoder.decode(buf, got)
    const chunk = carry.length > 0 ? carry + text : text
    let start = 0
    for (;;) {
      const nl = chunk.indexOf('\n', start)
      if (nl < 0) break
      lineNo++
      const p = onLine(chunk.slice(start, nl), lineNo)
      if (p !== undefined) await p
      start = nl + 1
    }
    carry = chunk.slice(start)
    if (got <= 0) break
  }
  if (carry.length > 0) {
    const p = onLine(carry, lineNo + 1)
    if (p !== undefined) await p
  }
}

/** Split an in-memory text into lines, calling `onLine` for each (as {@link forEachLineOfFile}). */
export function forEachLineOfString(text: string, onLine: (text: string, lineNo: number) => boolean | void): void {
  let start = 0
  let lineNo = 0
  for (;;) {
    const nl = text.indexOf('\n', start)
    if (nl < 0) break
    lineNo++
    if (onLine(text.slice(start, nl), lineNo) === false) return
    start = nl + 1
  }
  if (start < text.length) onLine(text.slice(start), lineNo + 1)
}
