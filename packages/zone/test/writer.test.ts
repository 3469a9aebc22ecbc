import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadZoneText } from '../src/load.js'
import { zoneToText, zoneLines, writeZoneFile } from '../src/writer.js'

const TEXT = '$TTL 300\n$ORIGIN example.test.\nwww A 192.0.2.2\n@ NS ns\n@ SOA ns hostmaster 1 2 3 4 5\nns A 192.0.2.1\n A 10.0.0.1\nb.a TXT "x y"\n'

test('prints the zone in canonical order, SOA first, fully qualified', (t) => {
  const z = loadZoneText(TEXT, { origin: 'example.test' }).zone
  t.deepEqual([...zoneLines(z)], [
    'example.test. 300 IN SOA ns.example.test. hostmaster.example.test. 1 2 3 4 5',
    'example.test. 300 IN NS ns.example.test.',
    'b.a.example.test. 300 IN TXT "x y"',
    'ns.example.test. 300 IN A 10.0.0.1',
    'ns.example.test. 300 IN A 192.0.2.1',
    'www.example.test. 300 IN A 192.0.2.2',
  ])
})

test('reading the printed zone back gives the same text', (t) => {
  const z = loadZoneText(TEXT, { origin: 'example.test' }).zone
  const once = zoneToText(z)
  const again = zoneToText(loadZoneText(once, { origin: 'example.test' }).zone)
  t.is(again, once)
})

test('writes the zone file through a temporary file and leaves no temporary behind', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-writer-'))
  const z = loadZoneText(TEXT, { origin: 'example.test' }).zone
  writeZoneFile(z, join(dir, 'db'))
  t.is(readFileSync(join(dir, 'db'), 'utf8'), zoneToText(z))
  t.deepEqual(readdirSync(dir), ['db'])
})

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/)
const arbRecord = fc.record({
  owner: fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.')),
  ttl: fc.integer({ min: 0, max: 0x7fffffff }),
  rdata: fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `A 192.0.${a}.${b}`),
    fc.integer({ min: 0, max: 0xffff }).map((x) => `AAAA 2001:db8::${x.toString(16)}`),
    fc.tuple(fc.integer({ min: 0, max: 0xffff }), label).map(([p, l]) => `MX ${p} ${l}`),
    fc.array(fc.stringMatching(/^[ -~]{0,30}$/), { minLength: 1, maxLength: 3 }).map((ss) => 'TXT ' + ss.map((s) => `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`).join(' ')),
  ),
})
testProp('printing a zone and reading it back gives the same text', [fc.array(arbRecord, { maxLength: 25 })], (t, recs) => {
  const text = '$TTL 60\n@ SOA ns h 1 2 3 4 5\n NS ns\nns A 192.0.2.1\n' + recs.map((r) => `${r.owner} ${r.ttl} IN ${r.rdata}`).join('\n')
  const first = loadZoneText(text, { origin: 'example.test' })
  t.deepEqual(first.errors.map((e) => e.message), [])
  const printed = zoneToText(first.zone)
  const again = loadZoneText(printed, { origin: 'example.test' })
  t.deepEqual(again.errors.map((e) => e.message), [])
  t.is(zoneToText(again.zone), printed)
}, { numRuns: 200 })
