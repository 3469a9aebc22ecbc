import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { Lexer, lexString, forEachLineOfString, forEachLineOfFile, forEachLineOfFileAsync, type Entry } from '../src/lexer.js'
import { ZoneError } from '../src/errors.js'
import { openSync, readSync, closeSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function lex(text: string): { entries: Entry[], errors: ZoneError[] } {
  const errors: ZoneError[] = []
  const entries: Entry[] = []
  const lx = new Lexer('t.zone', (e) => errors.push(e))
  forEachLineOfString(text, (line, no) => { const e = lx.pushLine(line, no); if (e) entries.push({ ...e, tokens: [...e.tokens] }) })
  lx.end()
  return { entries, errors }
}

test('splits a line into tokens with line and column', (t) => {
  const { entries, errors } = lex('www  3600 IN A 192.0.2.1 ; comment')
  t.deepEqual(errors, [])
  t.is(entries.length, 1)
  t.deepEqual(entries[0]!.tokens.map((x) => [x.value, x.line, x.column]), [['www', 1, 1], ['3600', 1, 6], ['IN', 1, 11], ['A', 1, 14], ['192.0.2.1', 1, 16]])
  t.false(entries[0]!.blankOwner)
})

test('marks an entry that starts with white space as having a blank owner', (t) => {
  const { entries } = lex('\tIN A 192.0.2.1\n  MX 10 mail')
  t.true(entries[0]!.blankOwner)
  t.true(entries[1]!.blankOwner)
})

test('joins lines inside parentheses into one entry', (t) => {
  const { entries, errors } = lex('@ IN SOA ns hostmaster (\n  1 ; serial\n  2 3 4\n  5 )\nwww A 192.0.2.1')
  t.deepEqual(errors, [])
  t.is(entries.length, 2)
  t.deepEqual(entries[0]!.tokens.map((x) => x.value), ['@', 'IN', 'SOA', 'ns', 'hostmaster', '1', '2', '3', '4', '5'])
  t.is(entries[0]!.tokens[6]!.line, 3)
  t.is(entries[0]!.tokens[6]!.column, 3)
  t.is(entries[1]!.line, 5)
})

test('keeps a quoted string as one token with escapes intact', (t) => {
  const { entries } = lex('txt TXT "a b;c" "say \\"hi\\"" plain\\ word')
  t.deepEqual(entries[0]!.tokens.slice(2).map((x) => [x.value, x.quoted]), [['a b;c', true], ['say \\"hi\\"', true], ['plain\\ word', false]])
})

test('does not end a token at an escaped delimiter', (t) => {
  const { entries } = lex('a\\;b\\(c TXT x')
  t.is(entries[0]!.tokens[0]!.value, 'a\\;b\\(c')
})

test('skips blank and comment-only lines', (t) => {
  const { entries } = lex('\n   \n; only a comment\n\t; indented comment\n')
  t.deepEqual(entries, [])
})

test('reports an unterminated quoted string at its opening quote', (t) => {
  const { entries, errors } = lex('a TXT "open\nb A 192.0.2.1')
  t.is(errors.length, 1)
  t.is(errors[0]!.code, 'ERR_ZONE_UNTERMINATED_QUOTE')
  t.is(errors[0]!.line, 1)
  t.is(errors[0]!.column, 7)
  t.regex(errors[0]!.message, /^t\.zone:1:7: /)
  t.is(entries.length, 1)
  t.is(entries[0]!.tokens[0]!.value, 'b')
})

test('reports a closing parenthesis without an opening one', (t) => {
  const { errors } = lex('a A 192.0.2.1 )')
  t.is(errors[0]!.code, 'ERR_ZONE_UNBALANCED_PARENS')
  t.is(errors[0]!.column, 15)
})

test('reports a parenthesis never closed at the position where it opened', (t) => {
  const { errors } = lex('a SOA ns h (\n 1 2 3 4 5\n')
  t.is(errors.length, 1)
  t.is(errors[0]!.code, 'ERR_ZONE_UNBALANCED_PARENS')
  t.is(errors[0]!.line, 1)
  t.is(errors[0]!.column, 12)
})

test('reports a backslash at the end of a line', (t) => {
  const { errors } = lex('a TXT abc\\')
  t.is(errors[0]!.code, 'ERR_ZONE_BAD_ESCAPE')
  t.is(errors[0]!.column, 10)
})

test('lexString tokenises a short text with columns from 1', (t) => {
  const toks = lexString('10 "mail server"', 'g', 7, () => t.fail())
  t.deepEqual(toks.map((x) => [x.value, x.quoted, x.column, x.line]), [['10', false, 1, 7], ['mail server', true, 4, 7]])
})

test('reads a file in small chunks with lines split across chunk boundaries', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-lex-'))
  const path = join(dir, 'z')
  const lines = Array.from({ length: 50 }, (_, i) => `name${i} A 192.0.2.${i} ; é`)
  writeFileSync(path, lines.join('\r\n') + '\n')
  const fd = openSync(path, 'r')
  const got: string[] = []
  try {
    forEachLineOfFile(fd, (f, b) => readSync(f, b), (l) => { got.push(l.replace(/\r$/, '')) }, 7)
  } finally { closeSync(fd) }
  t.deepEqual(got, lines)
})

test('reads a file asynchronously in small chunks with lines and UTF-8 split across chunks', async (t) => {
  const text = Array.from({ length: 40 }, (_, i) => `n${i} TXT "é ${i}"`).join('\n') + '\nlast'
  const bytes = Buffer.from(text)
  let pos = 0
  const got: [string, number][] = []
  await forEachLineOfFileAsync(async (buf) => {
    const n = Math.min(buf.length, bytes.length - pos)
    buf.set(bytes.subarray(pos, pos + n))
    pos += n
    return n
  }, (l, no) => { got.push([l, no]) }, 5)
  t.deepEqual(got, text.split('\n').map((l, i) => [l, i + 1] as [string, number]))
})

test('decodes ASCII chunks natively and switches to UTF-8 decoding at the first other octet', (t) => {
  // 30 ASCII lines, then UTF-8 split across 7-octet chunks, then invalid UTF-8 (U+FFFD, as TextDecoder gives)
  const ascii = Array.from({ length: 30 }, (_, i) => `a${i} A 192.0.2.${i}`)
  const bytes = Buffer.concat([Buffer.from(ascii.join('\n') + '\nx TXT "é€😀"\n'), Buffer.from([0x79, 0x20, 0xff, 0x0a]), Buffer.from('z A 192.0.2.9\n')])
  const dir = mkdtempSync(join(tmpdir(), 'secdns-lex-'))
  const path = join(dir, 'z')
  writeFileSync(path, bytes)
  const want = new TextDecoder().decode(bytes).split('\n').slice(0, -1)
  for (const chunk of [7, 64, 1 << 20]) {
    const fd = openSync(path, 'r')
    const got: string[] = []
    try {
      forEachLineOfFile(fd, (f, b) => readSync(f, b), (l) => { got.push(l) }, chunk)
    } finally { closeSync(fd) }
    t.deepEqual(got, want, `chunk size ${chunk}`)
  }
  t.is(want[30], 'x TXT "é€😀"')
  t.is(want[31], 'y \uFFFD')
})

const arbTokenText = fc.stringMatching(/^[A-Za-z0-9.*_-]{1,12}$/)
testProp('lexing tokens joined by spaces gives the same tokens back', [fc.array(arbTokenText, { minLength: 1, maxLength: 12 })], (t, words) => {
  const { entries, errors } = lex(words.join(' '))
  t.deepEqual(errors, [])
  t.deepEqual(entries[0]!.tokens.map((x) => x.value), words)
}, { numRuns: 300 })

testProp('quoted strings round trip through the lexer', [fc.array(fc.stringMatching(/^[ -!#-[\]-~]{0,20}$/), { minLength: 1, maxLength: 5 })], (t, strs) => {
  const { entries, errors } = lex('x TXT ' + strs.map((s) => `"${s}"`).join(' '))
  t.deepEqual(errors, [])
  t.deepEqual(entries[0]!.tokens.slice(2).map((x) => x.value), strs)
  t.true(entries[0]!.tokens.slice(2).every((x) => x.quoted))
}, { numRuns: 300 })

testProp('the lexer never throws on random text, only reports ZoneErrors', [fc.string({ maxLength: 300 })], (t, text) => {
  const { errors } = lex(text)
  t.true(errors.every((e) => e instanceof ZoneError && typeof e.line === 'number'))
}, { numRuns: 500 })
