import test from 'ava'
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Name, RRType, Rcode, createQuery, decodeMessage, encodeMessage } from '@secdns/wire'
import { loadZoneText } from '@secdns/zone'
import { DnsServer } from '../src/server.js'
import { parseConfig } from '../src/config.js'
import { zoneFromTransfer } from '../src/secondary.js'
import { serialNewer } from '../src/xfr_in.js'

const text = readFileSync(fileURLToPath(new URL('../../test/fixtures/plain.test.zone', import.meta.url)), 'utf8')
const origin = Name.fromString('plain.test.')

test('serial comparison follows RFC 1982, wrapping at 2^32', (t) => {
  t.true(serialNewer(2, 1))
  t.false(serialNewer(1, 2))
  t.false(serialNewer(5, 5))
  t.true(serialNewer(1, 0xffffffff))
  t.false(serialNewer(0x80000001, 1))
})

test('an IXFR difference that does not start at our serial is refused', (t) => {
  const zone = loadZoneText(text, { origin: 'plain.test' }).zone
  const soa = zone.soa!
  t.throws(() => zoneFromTransfer(origin, { kind: 'ixfr', soa, diffs: [{ fromSerial: 7, toSerial: 8, deleted: [], added: [] }] }, zone), { code: 'ERR_SERVER_ZONE_LOAD' })
  const next = zoneFromTransfer(origin, { kind: 'ixfr', soa: { ...soa, data: { ...soa.data, serial: 2026112502 } }, diffs: [{
    fromSerial: 2026112501, toSerial: 2026112502,
    deleted: [{ name: Name.fromString('www.plain.test.'), class: 1, ttl: 3600, data: { type: RRType.A, address: '192.0.2.80' } }],
    added: [{ name: Name.fromString('www.plain.test.'), class: 1, ttl: 3600, data: { type: RRType.A, address: '192.0.2.81' } }],
  }] }, zone)
  t.is(next.soa!.data.serial, 2026112502)
  t.is((next.rrset(Name.fromString('www.plain.test.'), RRType.A)!.rdata[0] as { address: string }).address, '192.0.2.81')
})

test('a secondary kept on disk is served at once, and stops being served once it expires without a refresh', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-secondary-'))
  const file = join(dir, 'plain.test.db')
  // SOA refresh 1, retry 1, expire 2 seconds; the copy on disk was last refreshed long ago
  writeFileSync(file, text.replace('2026112501 7200 3600 1209600 300', '2026112501 1 1 2 300'))
  utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
  const server = new DnsServer(parseConfig({
    listeners: {}, zones: [{ name: 'plain.test', type: 'secondary', primaries: ['127.0.0.1:9'], file }],
  }))
  const ask = async (): Promise<number> => decodeMessage((await server.handle(encodeMessage(createQuery(Name.fromString('www.plain.test.'), RRType.A, { rd: false })), { address: '127.0.0.1', port: 1, transport: 'udp' }))![0]!).rcode
  await server.start()
  t.teardown(() => server.stop())
  t.is(await ask(), Rcode.NOERROR)
  await server.refreshSecondary('plain.test')
  t.is(await ask(), Rcode.REFUSED)
  t.is(server.status().zones[0]!.error, 'expired')
})
