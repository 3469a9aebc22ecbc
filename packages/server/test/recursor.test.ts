import test from 'ava'
import { Name, RRType, Rcode, createQuery, decodeMessage, encodeMessage } from '@secdns/wire'
import { DnsServer } from '../src/server.js'
import { parseConfig } from '../src/config.js'
import type { Recursor } from '../src/recursor.js'

const asked: string[] = []
const recursor: Recursor = {
  async resolve(q, o) {
    asked.push(`${q.name.toString()} do=${o.dnssecOk} cd=${o.checkingDisabled}`)
    return { rcode: 0, answer: [{ name: q.name, class: 1, ttl: 60, data: { type: RRType.A, address: '198.51.100.7' } }], authority: [], additional: [], authenticated: true }
  },
}
const ask = async (server: DnsServer, rd: boolean, address = '127.0.0.1') => {
  const out = await server.handle(encodeMessage(createQuery(Name.fromString('www.elsewhere.test.'), RRType.A, { rd, dnssecOk: true })), { address, port: 1, transport: 'udp' })
  return decodeMessage(out![0]!)
}

test('recursion is refused by default, even with a recursor', async (t) => {
  const server = new DnsServer(parseConfig({ listeners: {} }), { recursor })
  const r = await ask(server, true)
  t.is(r.rcode, Rcode.REFUSED)
  t.false(r.flags.ra)
})

test('a client in the recursion ACL with RD gets the recursor answer, with RA and AD', async (t) => {
  const server = new DnsServer(parseConfig({ listeners: {}, acl: { recursion: ['127.0.0.0/8'] } }), { recursor })
  const r = await ask(server, true)
  t.is(r.rcode, Rcode.NOERROR)
  t.true(r.flags.ra)
  t.true(r.flags.ad)
  t.is(r.answer.length, 1)
  t.true(asked.includes('www.elsewhere.test. do=true cd=false'))
  t.is((await ask(server, false)).rcode, Rcode.REFUSED)
  t.is((await ask(server, true, '192.0.2.1')).rcode, Rcode.REFUSED)
})
