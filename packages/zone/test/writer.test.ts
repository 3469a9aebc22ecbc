import test from 'ava'
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
