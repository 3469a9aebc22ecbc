import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { importBindAnchors, exportBindAnchors, importUnboundAnchors, exportUnboundAnchors, importAnchors } from '../src/anchor_formats.js'
import { TrustAnchors, anchorKeyTag } from '../src/trust_anchors.js'
import { ResolverError } from '../src/errors.js'

const fixtures = fileURLToPath(new URL('../../test/fixtures/anchors/', import.meta.url))
const read = (f: string): string => readFileSync(join(fixtures, f), 'utf8')

test('imports trust-anchors and trusted-keys clauses from named.conf, skipping other statements', (t) => {
  const a = importBindAnchors(read('named.conf'))
  t.deepEqual(a.map((x) => [x.record.name.toString(), x.kind, anchorKeyTag(x.record)]), [
    ['example.test.', 'initial-key', 61811],
    ['island.test.', 'static-ds', 34872],
    ['old.test.', 'static-key', 34872],
  ])
})

test('BIND export imports back to the same records', (t) => {
  const ta = TrustAnchors.parse(read('TrustAnchors.dns'))
  const recs = ta.list().map((a) => a.record)
  const conf = exportBindAnchors(recs)
  t.regex(conf, /^trust-anchors \{\n\t"example\.test\." static-key 257 3 13 "/)
  const back = importBindAnchors(conf)
  t.deepEqual(back.map((b) => [b.record.name.toString(), b.record.data]), recs.map((r) => [r.name.toString(), r.data]))
  t.true(exportBindAnchors(recs, 'initial').includes('initial-ds 61811 13 2 "0102DFEA'))
})

test('imports an Unbound auto-trust-anchor file, its bookkeeping comments ignored', (t) => {
  const a = importUnboundAnchors(read('root.key'))
  t.is(a.length, 1)
  t.is(anchorKeyTag(a[0]!), 61811)
})

test('Unbound export imports back to the same records', (t) => {
  const recs = TrustAnchors.parse(read('TrustAnchors.dns')).list().map((a) => a.record)
  const back = importUnboundAnchors(exportUnboundAnchors(recs))
  t.deepEqual(back.map((r) => r.data), recs.map((r) => r.data))
  t.is(exportUnboundAnchors([]), '')
})

test('importAnchors tells BIND text from master-file text', (t) => {
  t.is(importAnchors(read('named.conf'), 'named.conf').length, 3)
  t.is(importAnchors(read('root.key'), 'root.key').length, 1)
})

test('rejects a BIND entry with a bad kind, with its line', (t) => {
  t.throws(() => importBindAnchors('\ntrust-anchors {\n example.test. dynamic-key 257 3 13 "AAAA";\n};', 'x.conf'), { instanceOf: ResolverError, code: 'ERR_RESOLVER_ANCHOR_SYNTAX', message: /^x\.conf:3: / })
})

test('rejects an unterminated BIND clause or comment', (t) => {
  t.throws(() => importBindAnchors('trust-anchors { example.test. static-ds 1 13 2 "AB"'), { instanceOf: ResolverError, code: 'ERR_RESOLVER_ANCHOR_SYNTAX' })
  t.throws(() => importBindAnchors('/* open'), { instanceOf: ResolverError, code: 'ERR_RESOLVER_ANCHOR_SYNTAX' })
  t.throws(() => importBindAnchors('trust-anchors { example.test. static-ds 1 13 2 "ZZ"; };'), { instanceOf: ResolverError, code: 'ERR_RESOLVER_ANCHOR_SYNTAX', message: /bad DS data/ })
})

const bindish = fc.array(fc.oneof(
  fc.constantFrom('trust-anchors', 'trusted-keys', 'managed-keys', '{', '}', ';', '"', '/*', '*/', '//', '#', '\n', ' ', 'static-key', 'initial-ds', '257', '3', '13', 'example.test.', '"AwEAAa=="'),
  fc.string({ maxLength: 8 }),
), { maxLength: 40 }).map((parts) => parts.join(' '))

testProp('the BIND parser throws nothing but ResolverError on any input', [bindish], (t, text) => {
  try {
    importBindAnchors(text)
    t.pass()
  } catch (e) {
    t.true(e instanceof ResolverError, String(e))
  }
}, { numRuns: 500 })

testProp('importAnchors throws nothing but ResolverError on arbitrary text', [fc.string({ maxLength: 300 })], (t, text) => {
  try {
    importAnchors(text, 'x')
    t.pass()
  } catch (e) {
    t.true(e instanceof ResolverError, String(e))
  }
}, { numRuns: 500 })
