import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { compileNrpt } from '../src/nrpt.js'
import { matchNrpt } from '../src/match.js'

const table = compileNrpt({
  rules: [
    { name: 'any', namespace: '.', nameServers: ['udp://127.0.0.1:1'] },
    { name: 'corp', namespace: '.corp.example', nameServers: ['udp://127.0.0.1:2'], dnsSecEnable: true },
    { name: 'eng', namespace: ['.eng.corp.example', '.eng2.corp.example'], nameServers: ['udp://127.0.0.1:3'] },
    { name: 'host', namespace: 'host.corp.example', nameServers: ['udp://127.0.0.1:4'] },
    { name: 'deep-host', namespace: 'a.b.eng.corp.example', nameServers: ['udp://127.0.0.1:5'] },
    { name: 'exempt', namespace: '.public.corp.example', nameServers: [] },
    { name: 'net10', namespace: '10.0.0.0/8', nameServers: ['udp://127.0.0.1:6'] },
    { name: 'net10-1', namespace: '10.1.0.0/16', nameServers: ['udp://127.0.0.1:7'] },
    { name: 'net172', namespace: '172.16.0.0/12', nameServers: ['udp://127.0.0.1:8'] },
    { name: 'v6', namespace: 'fd00::/8', nameServers: ['udp://127.0.0.1:9'] },
    { name: 'v6-sub', namespace: 'fd12:3456::/32', nameServers: ['udp://127.0.0.1:10'] },
    { name: 'rev-suffix', namespace: '.2.1.10.in-addr.arpa', nameServers: ['udp://127.0.0.1:11'] },
  ],
})

const cases: Array<[string, string]> = [
  ['corp.example', 'corp'],
  ['www.corp.example', 'corp'],
  ['WWW.Corp.Example.', 'corp'],
  ['x.y.corp.example', 'corp'],
  ['eng.corp.example', 'eng'],
  ['build.eng.corp.example', 'eng'],
  ['build.eng2.corp.example', 'eng'],
  ['host.corp.example', 'host'],
  ['sub.host.corp.example', 'corp'],
  ['a.b.eng.corp.example', 'deep-host'],
  ['x.a.b.eng.corp.example', 'eng'],
  ['public.corp.example', 'exempt'],
  ['www.public.corp.example', 'exempt'],
  ['example', 'any'],
  ['othercorp.example', 'any'],
  ['corp.example.net', 'any'],
  ['4.3.2.1.in-addr.arpa', 'any'],
  ['1.0.0.10.in-addr.arpa', 'net10'],
  ['10.in-addr.arpa', 'net10'],
  ['in-addr.arpa', 'any'],
  ['1.10.in-addr.arpa', 'net10-1'],
  ['9.9.1.10.in-addr.arpa', 'net10-1'],
  ['9.2.1.10.in-addr.arpa', 'rev-suffix'],
  ['2.1.10.in-addr.arpa', 'rev-suffix'],
  ['_dns-sd._udp.5.1.10.in-addr.arpa', 'net10-1'],
  ['1.0.16.172.in-addr.arpa', 'net172'],
  ['1.0.31.172.in-addr.arpa', 'net172'],
  ['1.0.32.172.in-addr.arpa', 'any'],
  ['16.172.in-addr.arpa', 'net172'],
  ['172.in-addr.arpa', 'any'],
  ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa', 'v6'],
  ['0.0.0.0.6.5.4.3.2.1.d.f.ip6.arpa', 'v6-sub'],
  ['6.5.4.3.2.1.d.f.ip6.arpa', 'v6-sub'],
  ['5.4.3.2.1.d.f.ip6.arpa', 'v6'],
  ['d.f.ip6.arpa', 'v6'],
  ['f.ip6.arpa', 'any'],
]

for (const [name, want] of cases) {
  test(`${name} is governed by rule ${want}`, (t) => {
    const m = matchNrpt(table, name)
    t.is(m.rule?.rule.name, want, m.reason)
  })
}

test('a name no rule covers falls to the default servers', (t) => {
  const nrpt = compileNrpt({ rules: [{ name: 'corp', namespace: '.corp.example', nameServers: ['udp://127.0.0.1:2'] }] })
  const m = matchNrpt(nrpt, 'www.example.net')
  t.is(m.rule, undefined)
  t.regex(m.reason, /no rule covers/)
})

test('the reason names the winner and the rules it beat', (t) => {
  const m = matchNrpt(table, 'build.eng.corp.example')
  t.regex(m.reason, /suffix \.eng\.corp\.example/)
  t.regex(m.reason, /more specific than rule "corp".*rule "any"/)
  t.deepEqual(m.candidates.map((c) => c.rule.rule.name), ['eng', 'corp', 'any'])
})

test('an exemption rule says the name is exempt', (t) => {
  const m = matchNrpt(table, 'www.public.corp.example')
  t.true(m.rule?.exempt)
  t.regex(m.reason, /exempt/)
})

test('a subnet and the same-length reverse suffix: the earlier rule wins', (t) => {
  const a = compileNrpt({ rules: [
    { name: 'first', namespace: '10.1.0.0/16', nameServers: ['udp://127.0.0.1:1'] },
    { name: 'second', namespace: '.1.10.in-addr.arpa', nameServers: ['udp://127.0.0.1:2'] },
  ] })
  t.is(matchNrpt(a, '5.1.10.in-addr.arpa').rule?.rule.name, 'first')
  const b = compileNrpt({ rules: [
    { name: 'second', namespace: '.1.10.in-addr.arpa', nameServers: ['udp://127.0.0.1:2'] },
    { name: 'first', namespace: '10.1.0.0/16', nameServers: ['udp://127.0.0.1:1'] },
  ] })
  t.is(matchNrpt(b, '5.1.10.in-addr.arpa').rule?.rule.name, 'second')
})

// An independent oracle on strings: labels of the name and of each namespace, compared
// right to left. Specificity: FQDN (exact) > longest suffix > ".".
const labelsArb = fc.array(fc.constantFrom('a', 'b', 'c', 'corp', 'x'), { minLength: 1, maxLength: 4 })
const nsArb = fc.oneof(
  labelsArb.map((l) => ({ kind: 'suffix' as const, labels: l })),
  labelsArb.map((l) => ({ kind: 'fqdn' as const, labels: l })),
  fc.constant({ kind: 'any' as const, labels: [] as string[] }),
)

function endsWith(name: string[], suffix: string[]): boolean {
  if (suffix.length > name.length) return false
  return suffix.every((l, i) => name[name.length - suffix.length + i] === l)
}

testProp('the chosen rule is always the most specific match', [fc.uniqueArray(nsArb, { maxLength: 8, selector: (n) => `${n.kind}:${n.labels.join('.')}` }), labelsArb], (t, namespaces, name) => {
  const rules = namespaces.map((ns, i) => ({
    name: `r${i}`,
    namespace: ns.kind === 'any' ? '.' : ns.kind === 'suffix' ? `.${ns.labels.join('.')}` : ns.labels.join('.'),
    nameServers: [`udp://127.0.0.1:${i + 1}`],
  }))
  const nrpt = compileNrpt({ rules })
  const got = matchNrpt(nrpt, name.join('.'))
  const score = (ns: typeof namespaces[number]): number => {
    if (ns.kind === 'fqdn') return ns.labels.length === name.length && endsWith(name, ns.labels) ? 1000 : -1
    if (ns.kind === 'suffix') return endsWith(name, ns.labels) ? 10 + ns.labels.length : -1
    return 0
  }
  const scores = namespaces.map(score)
  const best = Math.max(-1, ...scores)
  if (best < 0) {
    t.is(got.rule, undefined)
  } else {
    t.is(got.rule?.rule.name, `r${scores.indexOf(best)}`)
    t.is(scores.filter((s) => s === best).length, 1)
  }
}, { numRuns: 500 })

// Subnets: the winner among IPv4 subnet rules is the longest prefix that contains the
// address a reverse name spells (an oracle on 32-bit integers, not on names).
const prefixArb = fc.record({ addr: fc.nat({ max: 0xffffffff }), len: fc.integer({ min: 0, max: 32 }) })
  .map(({ addr, len }) => ({ net: len === 0 ? 0 : (addr & (0xffffffff << (32 - len))) >>> 0, len }))

function v4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.')
}

testProp('among subnet rules the longest containing prefix wins', [fc.uniqueArray(prefixArb, { maxLength: 8, selector: (p) => `${p.net}/${p.len}` }), fc.nat({ max: 0xffffffff }), fc.integer({ min: 1, max: 4 })], (t, prefixes, addr, octets) => {
  const nrpt = compileNrpt({ rules: prefixes.map((p, i) => ({ name: `s${i}`, namespace: `${v4(p.net)}/${p.len}`, nameServers: [`udp://127.0.0.1:${i + 1}`] })) })
  const bytes = [24, 16, 8, 0].map((s) => (addr >>> s) & 0xff).slice(0, octets)
  const name = `${[...bytes].reverse().join('.')}.in-addr.arpa`
  const known = octets * 8
  const contains = (p: { net: number; len: number }): boolean =>
    p.len <= known && (p.len === 0 || ((addr ^ p.net) >>> (32 - p.len)) === 0)
  const best = prefixes.map((p, i) => ({ p, i })).filter(({ p }) => contains(p)).sort((a, b) => b.p.len - a.p.len)[0]
  const got = matchNrpt(nrpt, name)
  t.is(got.rule?.rule.name, best === undefined ? undefined : `s${best.i}`)
}, { numRuns: 500 })
