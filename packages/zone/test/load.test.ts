import test from 'ava'
import { fileURLToPath } from 'node:url'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadZoneFile, loadZoneFileAsync, loadZoneText } from '../src/load.js'
import { readZoneFileAsync } from '../src/reader.js'
import { zoneToText } from '../src/writer.js'
import { ZoneError } from '../src/errors.js'

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url))
const corpus = fileURLToPath(new URL('../../../../test/fixtures/zones/', import.meta.url))
const ORIGIN = 'example.test'

for (const f of ['include/main.zone', 'lookup.zone']) {
  test(`the asynchronous loader reads ${f} exactly as the synchronous one`, async (t) => {
    const a = loadZoneFile(fixtures + f, { origin: ORIGIN })
    const b = await loadZoneFileAsync(fixtures + f, { origin: ORIGIN })
    t.deepEqual(b.errors.map((e) => e.message), a.errors.map((e) => e.message))
    t.is(zoneToText(b.zone), zoneToText(a.zone))
    t.true(b.zone.size > 3)
  })
}

for (const f of ['syntax.zone', 'generate.zone', 'include.zone', 'types.zone']) {
  test(`the asynchronous loader reads corpus file ${f} exactly as the synchronous one`, async (t) => {
    const a = loadZoneFile(corpus + f, { origin: ORIGIN })
    const b = await loadZoneFileAsync(corpus + f, { origin: ORIGIN })
    t.deepEqual(a.errors, [])
    t.deepEqual(b.errors, [])
    t.is(zoneToText(b.zone), zoneToText(a.zone))
  })
}

test('the asynchronous loader refuses an $INCLUDE loop at the same place', async (t) => {
  const r = await readZoneFileAsync(fixtures + 'include/loop_a.zone', { origin: ORIGIN }, () => {})
  t.deepEqual(r.errors.map((e) => [e.code, e.file, e.line, e.column]), [['ERR_ZONE_INCLUDE_LOOP', 'loop_b.inc', 2, 10]])
})

test('the asynchronous loader throws ERR_ZONE_FILE for a missing file', async (t) => {
  await t.throwsAsync(loadZoneFileAsync('/nonexistent/secdns/db', { origin: ORIGIN }), { instanceOf: ZoneError, code: 'ERR_ZONE_FILE' })
})

test('the asynchronous loader lets the event loop run while it reads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-async-'))
  const path = join(dir, 'big.zone')
  const lines = ['$TTL 60', '@ SOA ns h 1 2 3 4 5', ' NS ns', 'ns A 192.0.2.1']
  for (let i = 0; i < 20000; i++) lines.push(`h${i} A 10.0.${(i >> 8) & 255}.${i & 255}`)
  writeFileSync(path, lines.join('\n') + '\n')
  let ticks = 0
  const timer = setInterval(() => { ticks++ }, 0)
  const r = await loadZoneFileAsync(path, { origin: ORIGIN })
  clearInterval(timer)
  t.deepEqual(r.errors, [])
  t.is(r.zone.size, 20003)
  t.true(ticks > 0)
})

test('content checks report what the reader found nothing wrong with', (t) => {
  const r = loadZoneText('$TTL 1\n@ NS ns\nns A 192.0.2.1', { origin: ORIGIN, file: 'z' })
  t.deepEqual(r.errors.map((e) => e.code), ['ERR_ZONE_NO_SOA'])
})
