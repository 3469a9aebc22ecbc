import test from 'ava'
import { fileURLToPath } from 'node:url'
import { Name, RRType, Rcode, type Message, type ResourceRecord } from '@secdns/wire'
import { loadZoneFile } from '@secdns/zone'
import { applyUpdate } from '../src/update.js'

const zone = loadZoneFile(fileURLToPath(new URL('../../test/fixtures/plain.test.zone', import.meta.url)), { origin: 'plain.test' }).zone
const n = (s: string): Name => Name.fromString(s)

function update(prereq: ResourceRecord[], updates: ResourceRecord[]): Message {
  return {
    id: 1, flags: { qr: false, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false }, opcode: 5, rcode: 0,
    question: [{ name: n('plain.test.'), type: RRType.SOA, class: 1 }], answer: prereq, authority: updates, additional: [],
  }
}
const add = (name: string, address: string): ResourceRecord => ({ name: n(name), class: 1, ttl: 300, data: { type: RRType.A, address } })
const anyDel = (name: string, type: number): ResourceRecord => ({ name: n(name), class: 255, ttl: 0, data: { type, data: new Uint8Array(0) } })

test('an add bumps the serial and leaves the input zone unchanged', (t) => {
  const r = applyUpdate(zone, update([], [add('new.plain.test.', '192.0.2.9')]))
  t.is(r.rcode, Rcode.NOERROR)
  if (!('zone' in r)) return t.fail()
  t.true(r.changed)
  t.is(r.zone.soa!.data.serial, 2026112502)
  t.truthy(r.zone.rrset(n('new.plain.test.'), RRType.A))
  t.is(zone.rrset(n('new.plain.test.'), RRType.A), undefined)
})

test('prerequisites: name in use, name not in use, RRset exists', (t) => {
  t.is(applyUpdate(zone, update([anyDel('nope.plain.test.', 255)], [add('x.plain.test.', '192.0.2.1')])).rcode, Rcode.NXDOMAIN)
  t.is(applyUpdate(zone, update([{ ...anyDel('www.plain.test.', 255), class: 254 }], [add('x.plain.test.', '192.0.2.1')])).rcode, Rcode.YXDOMAIN)
  t.is(applyUpdate(zone, update([anyDel('www.plain.test.', RRType.MX)], [add('x.plain.test.', '192.0.2.1')])).rcode, Rcode.NXRRSET)
  t.is(applyUpdate(zone, update([anyDel('www.plain.test.', RRType.A)], [add('x.plain.test.', '192.0.2.1')])).rcode, Rcode.NOERROR)
})

test('a record outside the zone is NOTZONE and a prerequisite with a TTL is FORMERR', (t) => {
  t.is(applyUpdate(zone, update([], [add('x.other.test.', '192.0.2.1')])).rcode, Rcode.NOTZONE)
  t.is(applyUpdate(zone, update([{ ...anyDel('www.plain.test.', 255), ttl: 5 }], [])).rcode, Rcode.FORMERR)
})

test('deleting an RRset removes it, but the apex SOA and NS stay', (t) => {
  const r = applyUpdate(zone, update([], [anyDel('www.plain.test.', RRType.AAAA), anyDel('plain.test.', 255)]))
  if (!('zone' in r)) return t.fail()
  t.is(r.zone.rrset(n('www.plain.test.'), RRType.AAAA), undefined)
  t.truthy(r.zone.rrset(n('plain.test.'), RRType.SOA))
  t.truthy(r.zone.rrset(n('plain.test.'), RRType.NS))
})

test('an update that changes nothing keeps the serial', (t) => {
  const r = applyUpdate(zone, update([], [add('www.plain.test.', '192.0.2.80')]))
  if (!('zone' in r)) return t.fail()
  t.false(r.changed)
  t.is(r.zone.soa!.data.serial, 2026112501)
})
