import test from 'ava'
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Name, RRType, createQuery, encodeMessage, decodeMessage, type Soa } from '@secdns/wire'
import { loadZoneText } from '@secdns/zone'
import { diffZones, ixfrRecords, xfrMessages } from '../src/xfr.js'
import { DnsServer } from '../src/server.js'
import { parseConfig } from '../src/config.js'

const fixture = (f: string): string => fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url))
const text = readFileSync(fixture('plain.test.zone'), 'utf8')
const v1 = loadZoneText(text, { origin: 'plain.test' }).zone
const v2 = loadZoneText(text.replace('2026112501', '2026112502').replace('192.0.2.80', '192.0.2.81'), { origin: 'plain.test' }).zone

test('the difference between two versions lists what went and what came', (t) => {
  const d = diffZones(v1, v2)!
  t.is(d.deleted.length, 1)
  t.is(d.added.length, 1)
  t.is((d.added[0]!.data as { address: string }).address, '192.0.2.81')
  t.is(diffZones(v1, v1), undefined)
})

test('IXFR records bridge a known serial, give the SOA alone when current, nothing when unknown', (t) => {
  const d = diffZones(v1, v2)!
  const r = ixfrRecords(v2, [d], 2026112501)!
  t.deepEqual(r.map((x) => x.data.type), [RRType.SOA, RRType.SOA, RRType.A, RRType.SOA, RRType.A, RRType.SOA])
  t.is(ixfrRecords(v2, [d], 2026112502)!.length, 1)
  t.is(ixfrRecords(v2, [d], 2000000000), undefined)
})

test('a large transfer is split into messages that each fit and carry the question only once', (t) => {
  const q = createQuery(Name.fromString('plain.test.'), RRType.AXFR, { udpSize: null })
  const soa = v1.soa!
  const many = Array.from({ length: 3000 }, (_, i) => ({ name: Name.fromString(`h${i}.plain.test.`), class: 1, ttl: 60, data: { type: RRType.A, address: '192.0.2.1' } as const }))
  const msgs = [...xfrMessages(q, [soa, ...many, soa])]
  t.true(msgs.length > 2)
  let total = 0
  msgs.forEach((m, i) => {
    t.true(m.length <= 16384)
    const d = decodeMessage(m)
    t.is(d.question.length, i === 0 ? 1 : 0)
    t.false(d.flags.tc)
    total += d.answer.length
  })
  t.is(total, 3002)
})

test('a reload on the primary sends NOTIFY, and the secondary follows by IXFR and keeps the zone on disk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-xfr-'))
  const priFile = join(dir, 'plain.test.zone')
  copyFileSync(fixture('plain.test.zone'), priFile)
  const secret = Buffer.alloc(32, 7).toString('base64')
  const events: { obj: Record<string, unknown>, msg: string }[] = []
  const record = (obj: Record<string, unknown>, msg: string): void => { events.push({ obj, msg }) }
  const logger = { info: record, warn: record, error: record, debug: () => {}, child: () => logger } as never
  let primary: DnsServer | undefined
  let secondary: DnsServer | undefined
  for (let attempt = 0; primary === undefined && attempt < 20; attempt++) {
    // UDP and TCP of the primary on one port, as secondaries expect
    const port = 20000 + Math.floor(Math.random() * 30000)
    const sec = new DnsServer(parseConfig({
      listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
      zones: [{ name: 'plain.test', type: 'secondary', primaries: [`127.0.0.1:${port}`], file: join(dir, 'sec.db'), tsigKey: 'k' }],
      tsigKeys: [{ name: 'k', secret }], acl: { notify: ['127.0.0.1'] },
    }))
    const p = new DnsServer(parseConfig({
      listeners: { udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }] },
      zones: [{ name: 'plain.test', type: 'primary', file: priFile, notify: [] }],
      tsigKeys: [{ name: 'k', secret }], acl: { transfer: ['key:k'] },
    }), { logger })
    try { await p.start() } catch { continue }
    primary = p
    await sec.start()
    secondary = sec
  }
  t.teardown(async () => { await secondary!.stop(); await primary!.stop() })
  await secondary!.refreshSecondary('plain.test')
  t.is(secondary!.status().zones[0]!.serial, 2026112501)
  t.true(existsSync(join(dir, 'sec.db')))
  // The primary's NOTIFY list names the secondary's port, known only now.
  const secPort = secondary!.listeners.find((l) => l.kind === 'udp')!.port
  ;(primary!.config.zones[0] as { notify: string[] }).notify.push(`127.0.0.1:${secPort}`)
  writeFileSync(priFile, readFileSync(priFile, 'utf8').replace('2026112501', '2026112502').replace('192.0.2.80', '192.0.2.81'))
  t.true(primary!.reload('plain.test')[0]!.ok)
  for (let i = 0; i < 100 && secondary!.status().zones[0]!.serial !== 2026112502; i++) await new Promise((r) => setTimeout(r, 50))
  t.is(secondary!.status().zones[0]!.serial, 2026112502)
  const a = await secondary!.handle(encodeMessage(createQuery(Name.fromString('www.plain.test.'), RRType.A, { rd: false })), { address: '127.0.0.1', port: 1, transport: 'udp' })
  t.is((decodeMessage(a![0]!).answer[0]!.data as { address: string }).address, '192.0.2.81')
  const transfers = events.filter((e) => e.msg === 'transfer out').map((e) => e.obj['type'])
  t.deepEqual(transfers, ['AXFR', 'IXFR'])
  t.regex(readFileSync(join(dir, 'sec.db'), 'utf8'), /192\.0\.2\.81/)
  const soa = secondary!.zones.get(Name.fromString('plain.test.'))!.zone.soa!.data as Soa
  t.is(soa.serial, 2026112502)
})
