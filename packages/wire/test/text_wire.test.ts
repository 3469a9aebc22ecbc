import test from 'ava'
import { testProp, fc } from '@fast-check/ava'
import { Name } from '../src/name.js'
import { encodeRData, rdataFromText, rdataToText } from '../src/rdata.js'
import { rdataTextToWire } from '../src/text_wire.js'
import { tokenize, type RDataToken } from '../src/text.js'
import { RRType, rrTypeToString } from '../src/types.js'
import { WireWriter } from '../src/writer.js'
import { arbRData } from './arbitraries.js'

const origin = Name.fromString('example.test.')

// What the typed path gives: the octets, or null when rdataFromText refuses the text.
function typed(type: number, tokens: readonly RDataToken[]): Uint8Array | null {
  try { return encodeRData(rdataFromText(type, tokens, origin)) } catch { return null }
}

// The direct path, written after 3 octets already in the writer (an offset, as in a
// store); the same from a later token index, with tokens before it that are not RDATA.
function direct(type: number, tokens: readonly RDataToken[]): Uint8Array | null {
  const run = (toks: readonly RDataToken[], from: number): Uint8Array | null => {
    const w = new WireWriter(4)
    w.u8(7); w.u8(8); w.u8(9)
    if (!rdataTextToWire(w, type, toks, origin, from)) {
      if (w.pos !== 3) throw new Error('writer not restored')
      return null
    }
    return w.buf.slice(3, w.pos)
  }
  const a = run(tokens, 0)
  const b = run([{ value: 'owner', quoted: false }, { value: '\\#', quoted: false }, ...tokens], 2)
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('different octets from a later token index')
  return a
}

const cases: [string, string][] = [
  ['A', '192.0.2.1'], ['A', '0.0.0.0'], ['A', '255.255.255.255'],
  ['AAAA', '2001:db8::1'], ['AAAA', '::'], ['AAAA', '::ffff:192.0.2.1'], ['AAAA', '2001:DB8:0:0:0:0:0:1'],
  ['NS', 'ns1'], ['NS', 'ns1.example.net.'], ['CNAME', 'Www.Example.Test.'], ['PTR', 'host\\.dot'], ['DNAME', 'a\\065b'],
  ['MX', '10 mail'], ['MX', '0 .'], ['MX', '65535 mx.example.net.'],
  ['TXT', '"host number 1; v=spf1 -all"'], ['TXT', '"a" "b" ""'], ['TXT', 'plain'], ['SPF', '"v=spf1 -all"'],
  ['RRSIG', 'A 13 3 3600 20270102171322 20261203171322 56588 bench.test. LiK93uAbisSpoPlyaeqxFui2dJhXzNm2DRYB dpEiUycJaQBkwc0QGxgQaL/lr011/Qrc7Sot UCdPP/Zzl0Syww=='],
  ['RRSIG', 'TYPE65280 8 0 1h 4294967295 0 0 Signer'], ['NSEC', 'host1.bench.test. A AAAA TXT RRSIG NSEC'], ['NSEC', 'next A A TYPE1 TYPE65535'], ['NSEC', '.'],
  ['DNSKEY', '257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=='], ['CDNSKEY', '0 3 0'],
  ['DS', `60485 13 2 ${'AB'.repeat(32)}`], ['DS', `1 8 1 ${'0f'.repeat(10)} ${'A0'.repeat(10)}`], ['CDS', '0 0 0 00'], ['DS', '5 13 9'],
]
const refused: [string, string][] = [
  ['A', '192.0.2.300'], ['A', '192.0.2'], ['A', '192.0.2.1 x'], ['AAAA', '2001:db8::g'], ['AAAA', '1:2:3:4:5:6:7:8:9'],
  ['NS', 'a..b'], ['NS', 'a b'], ['MX', '65536 mail'], ['MX', '-1 mail'], ['MX', '10'],
  ['TXT', '"caf\\195\\169"'], ['TXT', `"${'x'.repeat(256)}"`], ['TXT', '"\\"quoted\\""'],
  ['DS', `1 ECDSAP256SHA256 2 ${'AB'.repeat(32)}`], ['DS', `1 13 2 ${'AB'.repeat(31)}`], ['DS', '1 13 2 ABC'], ['DS', '1 13 2 GG'],
  ['RRSIG', 'A ECDSAP256SHA256 3 3600 20270102171322 20261203171322 1 x. AAAA'], ['RRSIG', 'BOGUS 13 3 3600 20270102171322 20261203171322 1 x. AAAA'],
  ['RRSIG', 'A 13 3 3600 20271302171322 20261203171322 1 x. AAAA'], ['RRSIG', 'A 13 3 3600 1 2 3 x. AAA'], ['NSEC', 'next A BOGUS'], ['DNSKEY', '257 3 13 ***='],
  ['A', '\\# 4 c0000201'], ['SOA', 'ns hostmaster 1 2 3 4 5'], ['TYPE65280', '\\# 1 00'],
]

for (const [t, text] of cases) {
  test(`${t} ${text.slice(0, 40)}: straight to wire, the same octets as the typed path`, (t2) => {
    const type = t === 'TYPE65280' ? 65280 : (RRType as Record<string, number>)[t]!
    const toks = tokenize(text)
    const want = typed(type, toks)
    t2.not(want, null)
    t2.deepEqual(direct(type, toks), want)
  })
}

for (const [t, text] of refused) {
  test(`${t} ${text.slice(0, 40)}: left to the typed path`, (t2) => {
    const type = t === 'TYPE65280' ? 65280 : (RRType as Record<string, number>)[t]!
    t2.is(direct(type, tokenize(text)), null)
  })
}

const handled = new Set<number>([RRType.A, RRType.AAAA, RRType.NS, RRType.CNAME, RRType.PTR, RRType.DNAME, RRType.MX, RRType.TXT, RRType.SPF, RRType.DS, RRType.CDS, RRType.RRSIG, RRType.NSEC, RRType.DNSKEY, RRType.CDNSKEY])

testProp('for RDATA printed as text, the direct octets are the typed octets', [arbRData], (t, d) => {
  const toks = tokenize(rdataToText(d))
  const got = direct(d.type, toks)
  if (got !== null) t.deepEqual(got, typed(d.type, toks))
  // refused only for other types, or TXT strings with escapes (they go the typed way)
  else t.true(!handled.has(d.type) || ((d.type === RRType.TXT || d.type === RRType.SPF) && toks.some((x) => x.value.includes('\\'))), `${rrTypeToString(d.type)} ${rdataToText(d)}`)
}, { numRuns: 2000 })

testProp('random tokens never throw; when accepted they give the typed octets', [
  fc.constantFrom(...handled),
  fc.array(fc.record({ value: fc.string({ maxLength: 40 }), quoted: fc.boolean() }), { maxLength: 5 }),
], (t, type, toks) => {
  const got = direct(type, toks)
  if (got !== null) t.deepEqual(got, typed(type, toks))
  else t.pass()
}, { numRuns: 3000 })
