import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { readFileSync, mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Name, RRType, RRClass, rdataFromString } from '@secdns/wire'
import { TrustAnchors, parseAnchorText, anchorKeyTag } from '../src/trust_anchors.js'
import { ResolverError } from '../src/errors.js'

const fixtures = fileURLToPath(new URL('../../test/fixtures/anchors/', import.meta.url))
const text = readFileSync(join(fixtures, 'TrustAnchors.dns'), 'utf8')

function tmp(t: { teardown: (f: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'secdns-ta-'))
  t.teardown(() => rmSync(d, { recursive: true, force: true }))
  return d
}

test('reads DNSKEY and DS anchors with their key tags and line spans', (t) => {
  const ta = TrustAnchors.parse(text)
  const list = ta.list()
  t.is(list.length, 3)
  t.deepEqual(list.map((a) => [a.zone.toString(), a.record.data.type, a.keyTag, a.line, a.endLine]), [
    ['example.test.', RRType.DNSKEY, 61811, 3, 5],
    ['island.test.', RRType.DNSKEY, 34872, 8, 8],
    ['example.test.', RRType.DS, 61811, 9, 9],
  ])
  t.deepEqual(ta.zones().map((z) => z.toString()), ['example.test.', 'island.test.'])
})

test('finds the closest enclosing anchor of a name, or none', (t) => {
  const ta = TrustAnchors.parse(text)
  const c = ta.closest(Name.fromString('www.Example.TEST.'))
  t.is(c?.zone.toString(), 'example.test.')
  t.is(c?.dnskeys.length, 1)
  t.is(c?.ds.length, 1)
  t.is(ta.closest(Name.fromString('a.island.test.'))?.zone.toString(), 'island.test.')
  t.is(ta.closest(Name.fromString('other.test.')), null)
})

test('removing an anchor deletes only its lines and keeps every comment', (t) => {
  const ta = TrustAnchors.parse(text)
  const gone = ta.remove({ zone: 'example.test.', type: 'DNSKEY' })
  t.is(gone.length, 1)
  const out = ta.toText()
  t.false(out.includes('fX7VVlHxIzdTkjzBS9Wu32TNLlUM'))
  for (const c of ['; TrustAnchors.dns: the anchors this server trusts.', '; Kept by hand; do not remove this comment.', '; the island', '; end of file']) t.true(out.includes(c))
  const again = TrustAnchors.parse(out)
  t.deepEqual(again.list().map((a) => [a.zone.toString(), a.keyTag, a.line]), [['island.test.', 34872, 5], ['example.test.', 61811, 6]])
})

test('removing by key tag leaves the other anchors of the zone', (t) => {
  const ta = TrustAnchors.parse(text)
  t.is(ta.remove({ zone: Name.fromString('example.test.'), keyTag: 1 }).length, 0)
  t.is(ta.remove({ zone: Name.fromString('example.test.'), keyTag: 61811 }).length, 2)
  t.deepEqual(ta.list().map((a) => a.zone.toString()), ['island.test.'])
})

test('adding appends one line and refuses a duplicate', (t) => {
  const ta = TrustAnchors.parse(text)
  const rr = { name: Name.fromString('new.test.'), class: RRClass.IN, ttl: 0, data: rdataFromString(RRType.DS, '12345 13 2 0102DFEA3A358309DF9E91A65CD3D14F0CE1F0517E4F83FE1507AECAACAD7DA5') }
  t.true(ta.add(rr))
  t.false(ta.add(rr))
  t.true(ta.toText().startsWith(text))
  t.is(TrustAnchors.parse(ta.toText()).list().length, 4)
  t.false(ta.add(ta.list()[0]!.record))
})

test('rejects a record that is neither DNSKEY nor DS, with its location', (t) => {
  t.throws(() => TrustAnchors.parse('; c\nexample.test. 60 IN A 192.0.2.1\n', 'x.dns'), { instanceOf: ResolverError, code: 'ERR_RESOLVER_ANCHOR_TYPE', message: /^x\.dns:2:1: / })
})

test('rejects a DNSKEY without the Zone Key bit', (t) => {
  t.throws(() => TrustAnchors.parse('example.test. 60 IN DNSKEY 1 3 13 fX7VVlHxIzdTkjzBS9Wu32TNLlUM/yp53mld8NsSFbJhRFbu3G24KdFTKXiWAeSq/d2lfRjH4he/5IA2/7ECWw==\n'), { instanceOf: ResolverError, code: 'ERR_RESOLVER_ANCHOR_NOT_SEP' })
})

test('reports a syntax error with file and line', (t) => {
  t.throws(() => parseAnchorText('\n\nexample.test. 60 IN DNSKEY 257 3 13 !!!\n', 'bad.dns'), { instanceOf: ResolverError, code: 'ERR_RESOLVER_ANCHOR_SYNTAX', message: /bad\.dns:3/ })
  t.throws(() => parseAnchorText('example.test. 60 IN DNSKEY ( 257 3 13\n', 'open.dns'), { instanceOf: ResolverError, code: 'ERR_RESOLVER_ANCHOR_SYNTAX', message: /open\.dns:1/ })
})

test('a missing file is an empty store; save writes atomically and leaves no temp file', async (t) => {
  const d = tmp(t)
  const path = join(d, 'TrustAnchors.dns')
  const ta = TrustAnchors.load(path)
  t.is(ta.list().length, 0)
  ta.add(TrustAnchors.parse(text).list()[1]!.record)
  await ta.save(path)
  t.deepEqual(readdirSync(d), ['TrustAnchors.dns'])
  t.is(TrustAnchors.load(path).list()[0]?.keyTag, 34872)
})

test('save keeps the comments of the file it read', async (t) => {
  const d = tmp(t)
  const path = join(d, 'TrustAnchors.dns')
  writeFileSync(path, text)
  const ta = TrustAnchors.load(path)
  ta.remove({ zone: 'island.test.' })
  await ta.save(path)
  const out = readFileSync(path, 'utf8')
  t.true(out.includes('; the island'))
  t.true(out.includes('; KSK, tag 61811'))
  t.is(TrustAnchors.load(path).list().length, 2)
})

test('a file that cannot be read is a coded error', (t) => {
  const d = tmp(t)
  t.throws(() => TrustAnchors.load(d), { instanceOf: ResolverError, code: 'ERR_RESOLVER_ANCHOR_FILE' })
})

test('the key tag of a DNSKEY anchor matches dnssec-keygen', (t) => {
  const key = readFileSync(join(fixtures, 'Kexample.test.+013+61811.key'), 'utf8')
  const rr = parseAnchorText(key.split('\n').filter((l) => !l.startsWith(';')).join('\n'))[0]!.record
  t.is(anchorKeyTag(rr), 61811)
})

const lines = fc.array(fc.oneof(
  fc.constantFrom('; comment', '', 'example.test. 60 IN DS 61811 13 2 0102DFEA3A358309DF9E91A65CD3D14F0CE1F0517E4F83FE1507AECAACAD7DA5', 'x.test. DNSKEY 257 3 13 (', ' AAAA== )', '$TTL 60', '$ORIGIN test.', 'a A 192.0.2.1', '(', ')'),
  fc.string({ maxLength: 30 }),
), { maxLength: 12 }).map((l) => l.join('\n'))

testProp('parsing a trust-anchor file throws nothing but ResolverError', [lines], (t, text) => {
  try {
    TrustAnchors.parse(text)
    t.pass()
  } catch (e) {
    t.true(e instanceof ResolverError, String(e))
  }
}, { numRuns: 500 })

testProp('removing every anchor keeps every comment line', [fc.array(fc.constantFrom('; keep me', 'example.test. 60 IN DS 61811 13 2 0102DFEA3A358309DF9E91A65CD3D14F0CE1F0517E4F83FE1507AECAACAD7DA5', 'island.test. 60 IN DNSKEY 257 3 13 rRn4/2plz+6rYqUplefRtiVBOYOSkLJDsYjigZ/SAo+dSO96UJuOgUipdlxAlu8hKL/dbBotyMkXx15CqNiu6Q=='), { maxLength: 10 })], (t, ls) => {
  const ta = TrustAnchors.parse(ls.length === 0 ? '' : ls.join('\n') + '\n')
  for (const z of ta.zones()) ta.remove({ zone: z })
  t.is(ta.toText(), ls.filter((l) => l.startsWith(';')).map((l) => l + '\n').join(''))
}, { numRuns: 300 })
