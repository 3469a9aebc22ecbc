/**
 * LOC, CERT, APL, IPSECKEY and HIP presentation format against the real peers:
 * `named-compilezone -D` (BIND) and `ldns-read-zone` (ldns) read the fixture zone, and
 * every record they print must be what we print (BIND) or parse to the same wire octets
 * (ldns, whose text differs in leading zeros and mnemonics). Also RRSIG times before 1970
 * and beyond 2^31 seconds from now, printed as BIND prints them.
 *
 * On a developer's machine a missing tool passes with a log line saying what to install;
 * under CI=true it fails (as test/helpers/peers.ts does for the top-level tests).
 */
import test, { type ExecutionContext } from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Name } from '../src/name.js'
import { encodeRData, rdataFromText, rdataToText } from '../src/rdata.js'
import { tokenize } from '../src/text.js'
import { rrTypeFromString } from '../src/types.js'
import { roundTripRData } from './round_trip.js'

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/rfc_types.zone', import.meta.url))
const ORIGIN = Name.fromString('example.test.')
const TYPES = new Set(['LOC', 'CERT', 'APL', 'IPSECKEY', 'HIP'])
const PACKAGES: Record<string, string> = { 'named-compilezone': 'bind9-utils', 'ldns-read-zone': 'ldnsutils' }

function which(tool: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${tool} || ls /usr/sbin/${tool} 2>/dev/null`], { encoding: 'utf8' })
  return r.stdout.trim().split('\n')[0] || null
}

function have(t: ExecutionContext, tool: string): string | null {
  const path = which(tool)
  if (path !== null) return path
  const msg = `peer tool missing: ${tool} (apt-get install -y ${PACKAGES[tool]})`
  if (process.env['CI'] === 'true') t.fail(msg)
  else { t.log(`not run here: ${msg}`); t.pass() }
  return null
}

function run(path: string, args: string[]): string {
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 60_000 })
  if (r.status !== 0) throw new Error(`${path} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`)
  return r.stdout
}

/** `owner ttl class type rdata…` lines of the types under test, as [owner, type, rdata tokens]. */
function records(text: string): Array<[string, string, ReturnType<typeof tokenize>]> {
  const out: Array<[string, string, ReturnType<typeof tokenize>]> = []
  for (const line of text.split('\n')) {
    if (line.startsWith(';') || line.trim() === '') continue
    const toks = tokenize(line)
    const type = toks[3]?.value
    if (type !== undefined && TYPES.has(type)) out.push([toks[0]!.value.toLowerCase(), type, toks.slice(4)])
  }
  return out
}

/** Our reading of the fixture: owner → [type, rdata] (one record per owner there). */
function ours(): Map<string, [string, ReturnType<typeof rdataFromText>]> {
  const m = new Map<string, [string, ReturnType<typeof rdataFromText>]>()
  for (const line of readFileSync(FIXTURE, 'utf8').split('\n')) {
    if (line.startsWith(';') || line.startsWith('$') || line.trim() === '') continue
    const toks = tokenize(line)
    if (!TYPES.has(toks[2]!.value)) continue
    const owner = Name.fromString(toks[0]!.value, ORIGIN).toString().toLowerCase()
    m.set(owner, [toks[2]!.value, rdataFromText(rrTypeFromString(toks[2]!.value), toks.slice(3), ORIGIN)])
  }
  return m
}

test('prints LOC, CERT, APL, IPSECKEY and HIP exactly as named-compilezone -D does', (t) => {
  const bin = have(t, 'named-compilezone')
  if (bin === null) return
  const bind = records(run(bin, ['-D', '-q', '-o', '-', 'example.test', FIXTURE]))
  const mine = ours()
  t.is(bind.length, mine.size, 'BIND read every record of the fixture')
  for (const [owner, type, toks] of bind) {
    const ours = mine.get(owner)
    t.truthy(ours, `${owner} is in our reading`)
    t.is(ours![0], type)
    t.is(rdataToText(ours![1]), toks.map((x) => x.value).join(' '), `${owner} ${type}`)
    roundTripRData(t, ours![1])
  }
})

test('reads LOC, CERT, APL, IPSECKEY and HIP to the same octets as ldns-read-zone', (t) => {
  const bin = have(t, 'ldns-read-zone')
  if (bin === null) return
  const ldns = records(run(bin, [FIXTURE]))
  const mine = ours()
  t.is(ldns.length, mine.size, 'ldns read every record of the fixture')
  for (const [owner, type, toks] of ldns) {
    const ours = mine.get(owner.endsWith('.') ? owner : owner + '.')
    t.truthy(ours, `${owner} is in our reading`)
    // ldns's text (leading zeros, full IPv6, lowercase HIT, numeric CERT algorithms) reads back to our octets
    t.deepEqual(encodeRData(rdataFromText(rrTypeFromString(type), toks, ORIGIN)), encodeRData(ours![1]), `${owner} ${type}`)
  }
})

test('our printed LOC, CERT, APL, IPSECKEY and HIP read back unchanged by named-compilezone', (t) => {
  const bin = have(t, 'named-compilezone')
  if (bin === null) return
  const dir = mkdtempSync(join(tmpdir(), 'secdns-wire-'))
  try {
    const mine = ours()
    const lines = ['$TTL 300', '@ IN SOA ns.example.test. h.example.test. 1 2 3 4 5', '@ IN NS ns.example.test.', 'ns.example.test. IN A 192.0.2.1']
    for (const [owner, [type, d]] of mine) lines.push(`${owner} IN ${type} ${rdataToText(d)}`)
    const file = join(dir, 'ours.zone')
    writeFileSync(file, lines.join('\n') + '\n')
    const back = records(run(bin, ['-D', '-q', '-o', '-', 'example.test', file]))
    t.is(back.length, mine.size)
    for (const [owner, , toks] of back) t.is(toks.map((x) => x.value).join(' '), rdataToText(mine.get(owner)![1]))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('prints RRSIG times before 1970 and past 2^31 s from now as named-compilezone does', (t) => {
  const bin = have(t, 'named-compilezone')
  if (bin === null) return
  const dir = mkdtempSync(join(tmpdir(), 'secdns-wire-'))
  try {
    const sigs = ['19650101000000 19600229120000', '21050101000000 20950101000000', '4026531840 0', '99991231235959 16000101000000', '20250228000060 19750101000000']
    const lines = ['$TTL 300', '@ IN SOA ns.example.test. h.example.test. 1 2 3 4 5', '@ IN NS ns.example.test.', 'ns.example.test. IN A 192.0.2.1']
    sigs.forEach((s, i) => lines.push(`s${i}.example.test. IN RRSIG A 8 3 300 ${s} 1 example.test. AAAA`))
    const file = join(dir, 'sig.zone')
    writeFileSync(file, lines.join('\n') + '\n')
    const out = run(bin, ['-D', '-q', '-o', '-', 'example.test', file])
    let n = 0
    for (const line of out.split('\n')) {
      const toks = tokenize(line)
      if (toks[3]?.value !== 'RRSIG') continue
      const i = Number(toks[0]!.value.slice(1, toks[0]!.value.indexOf('.')))
      const d = rdataFromText(46, tokenize(`A 8 3 300 ${sigs[i]} 1 example.test. AAAA`), null)
      t.is(rdataToText(d), toks.slice(4).map((x) => x.value).join(' '), `RRSIG times ${sigs[i]}`)
      n++
    }
    t.is(n, sigs.length)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
