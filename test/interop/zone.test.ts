/**
 * The zone reader and writer against real peers: BIND (named-compilezone,
 * named-checkzone), ldns (ldns-read-zone) and Knot (kzonecheck) as oracles.
 *
 * Record sets are compared in RFC 4034 §6.2 canonical wire form (owner lowercased,
 * type, class, TTL, RDATA), so presentation differences between the tools do not
 * matter but any difference in what was read does.
 */
import test from 'ava'
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { canonicalRRWire, rrToText } from '@secdns/wire'
import { loadZoneFile, loadZoneText, zoneToText, type Zone } from '@secdns/zone'
import { havePeers, runPeer } from '../helpers/peers.js'

const corpus = fileURLToPath(new URL('../../../test/fixtures/zones/', import.meta.url))
const example = fileURLToPath(new URL('../../../docs/examples/example.test.zone', import.meta.url))
const ORIGIN = 'example.test'
const work = mkdtempSync(join(tmpdir(), 'secdns-interop-zone-'))

// Every file of the corpus; ldns-read-zone knows neither $GENERATE, $INCLUDE nor
// "class TTL" order, so it reads only the files written without them.
const GOOD = ['syntax.zone', 'generate.zone', 'include.zone', 'types.zone']
const LDNS_READS = ['types.zone']
// kzonecheck makes semantic checks (an NSEC3PARAM needs an NSEC3 chain), so it judges
// our output of the unsigned corpus files.
const KNOT_CHECKS = ['syntax.zone', 'generate.zone', 'include.zone']

function recordSet(zone: Zone): Map<string, string> {
  const m = new Map<string, string>()
  for (const rr of zone.records()) m.set(Buffer.from(canonicalRRWire(rr)).toString('hex'), rrToText(rr))
  return m
}

function sameRecords(t: import('ava').ExecutionContext, ours: Zone, theirs: Zone, who: string): void {
  const a = recordSet(ours)
  const b = recordSet(theirs)
  const onlyOurs = [...a].filter(([k]) => !b.has(k)).map(([, v]) => v)
  const onlyTheirs = [...b].filter(([k]) => !a.has(k)).map(([, v]) => v)
  t.deepEqual({ onlyOurs, onlyTheirs }, { onlyOurs: [], onlyTheirs: [] }, `records differ from ${who}`)
  t.true(a.size > 0)
}

function stripBindChatter(out: string): string {
  return out.split('\n').filter((l) => !l.startsWith('zone ') && l !== 'OK' && !l.startsWith('dump zone')).join('\n')
}

function bindDump(file: string, cwd: string): string {
  const r = runPeer('named-compilezone', ['-k', 'ignore', '-i', 'none', '-D', '-o', '-', ORIGIN, file], { cwd })
  if (r.status !== 0) throw new Error(`named-compilezone failed on ${file}: ${r.stdout}${r.stderr}`)
  return stripBindChatter(r.stdout)
}

function ours(file: string): Zone {
  const r = loadZoneFile(file, { origin: ORIGIN })
  if (r.errors.length > 0) throw new Error(r.errors.map((e) => e.message).join('\n'))
  return r.zone
}

for (const f of [...GOOD, 'example']) {
  const path = f === 'example' ? example : join(corpus, f)
  test.serial(`${f}: secdns reads the same records as named-compilezone`, (t) => {
    if (!havePeers(t, 'named-compilezone')) return
    const theirs = loadZoneText(bindDump(path, corpus), { origin: ORIGIN, file: 'named-compilezone' })
    t.deepEqual(theirs.errors.map((e) => e.message), [])
    sameRecords(t, ours(path), theirs.zone, 'named-compilezone')
  })

  test.serial(`${f}: our canonical text is read back unchanged by named-compilezone and accepted by named-checkzone`, (t) => {
    if (!havePeers(t, 'named-compilezone', 'named-checkzone')) return
    const zone = ours(path)
    const out = join(work, `${f}.ours`)
    writeFileSync(out, zoneToText(zone))
    const check = runPeer('named-checkzone', ['-k', 'ignore', '-i', 'local', ORIGIN, out])
    t.is(check.status, 0, check.stdout + check.stderr)
    const back = loadZoneText(bindDump(out, work), { origin: ORIGIN, file: 'named-compilezone' })
    sameRecords(t, zone, back.zone, 'named-compilezone reading our output')
  })

  test.serial(`${f}: ldns-read-zone reads our canonical text unchanged`, (t) => {
    if (!havePeers(t, 'ldns-read-zone')) return
    const zone = ours(path)
    const out = join(work, `${f}.ldns`)
    writeFileSync(out, zoneToText(zone))
    const r = runPeer('ldns-read-zone', [out])
    t.is(r.status, 0, r.stderr)
    const back = loadZoneText(r.stdout, { origin: ORIGIN, file: 'ldns-read-zone' })
    t.deepEqual(back.errors.map((e) => e.message), [])
    sameRecords(t, zone, back.zone, 'ldns-read-zone reading our output')
  })
}

// Text, not only records: our canonical lines are named-compilezone -D's lines, once
// white space is normalised (BIND aligns columns with tabs) and its comments dropped.
const normalise = (text: string): string[] => text.split('\n').map((l) => l.trim().split(/\s+/).join(' ')).filter((l) => l !== '' && !l.startsWith(';')).sort()
for (const f of [...GOOD, 'example']) {
  test.serial(`${f}: our printed zone is named-compilezone -D's text`, (t) => {
    if (!havePeers(t, 'named-compilezone')) return
    const path = f === 'example' ? example : join(corpus, f)
    const ourLines = normalise(zoneToText(ours(path)))
    t.deepEqual(ourLines, normalise(bindDump(path, corpus)))
    t.true(ourLines.length > 0)
  })
}

for (const f of LDNS_READS) {
  test.serial(`${f}: secdns reads the same records as ldns-read-zone`, (t) => {
    if (!havePeers(t, 'ldns-read-zone')) return
    const r = runPeer('ldns-read-zone', [join(corpus, f)])
    t.is(r.status, 0, r.stderr)
    const theirs = loadZoneText(r.stdout, { origin: ORIGIN, file: 'ldns-read-zone' })
    t.deepEqual(theirs.errors.map((e) => e.message), [])
    sameRecords(t, ours(join(corpus, f)), theirs.zone, 'ldns-read-zone')
  })
}

for (const f of [...KNOT_CHECKS, 'example']) {
  test.serial(`${f}: kzonecheck accepts our canonical text`, (t) => {
    if (!havePeers(t, 'kzonecheck')) return
    const path = f === 'example' ? example : join(corpus, f)
    const out = join(work, `${f}.knot`)
    writeFileSync(out, zoneToText(ours(path)))
    const r = runPeer('kzonecheck', ['-o', ORIGIN, out])
    t.is(r.status, 0, r.stdout + r.stderr)
  })
}

for (const f of readdirSync(join(corpus, 'bad')).filter((x) => x.endsWith('.zone')).sort()) {
  test.serial(`bad/${f}: named-checkzone and secdns both reject it`, (t) => {
    if (!havePeers(t, 'named-checkzone')) return
    const path = join(corpus, 'bad', f)
    const bind = runPeer('named-checkzone', ['-k', 'ignore', '-i', 'local', ORIGIN, path])
    t.is(bind.status, 1, 'named-checkzone should reject it')
    const r = loadZoneFile(path, { origin: ORIGIN })
    t.true(r.errors.length > 0)
    t.true(r.errors.every((e) => typeof e.code === 'string' && e.code.startsWith('ERR_ZONE_')))
    // Where BIND names a line, we name the same one.
    const m = new RegExp(`${f.replace('.', '\\.')}:(\\d+):`).exec(bind.stdout + bind.stderr)
    if (m) t.is(r.errors[0]!.line, Number(m[1]), `BIND said: ${bind.stdout}`)
  })
}
