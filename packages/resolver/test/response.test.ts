import test from 'ava'
import { Name, RRType, Rcode, EdeCode, createQuery, encodeMessage, decodeMessage, parseEdeOption } from '@secdns/wire'
import { buildResponse } from '../src/response.js'

test('a bogus result becomes SERVFAIL with the EDE in the OPT record', (t) => {
  const q = { ...createQuery(Name.fromString('changed.example.test.'), RRType.A, { id: 77, dnssecOk: true }) }
  const m = decodeMessage(encodeMessage(buildResponse(q, { rcode: Rcode.SERVFAIL, answer: [], authority: [], additional: [], state: 'bogus', ad: false, ede: EdeCode.DNSSEC_BOGUS, reason: 'no valid RRSIG' })))
  t.is(m.id, 77)
  t.is(m.rcode, Rcode.SERVFAIL)
  t.true(m.flags.qr && m.flags.ra && !m.flags.ad)
  const ede = parseEdeOption(m.edns!.options.find((o) => o.code === 15)!)
  t.deepEqual([ede.infoCode, ede.extraText], [6, 'no valid RRSIG'])
})

test('a secure result sets AD and copies CD and DO; a query without EDNS gets no OPT', (t) => {
  const q = createQuery(Name.fromString('www.example.test.'), RRType.A, { id: 9, dnssecOk: true, cd: true })
  const ok = buildResponse(q, { rcode: 0, answer: [], authority: [], additional: [], state: 'secure', ad: true })
  t.true(ok.flags.ad && ok.flags.cd && ok.edns!.dnssecOk)
  t.deepEqual(ok.edns!.options, [])
  const plain = buildResponse(createQuery(Name.fromString('www.example.test.'), RRType.A, { udpSize: null }), { rcode: 0, answer: [], authority: [], additional: [], state: 'bogus', ad: false, ede: 6 })
  t.is(plain.edns, undefined)
})
