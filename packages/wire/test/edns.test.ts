import test from 'ava'
import { checkEdnsOption, cookieOption, edeOption, EdeCode, nsidOption, paddingLength, paddingOption, parseCookieOption, parseEdeOption } from '../src/edns.js'
import { EdnsOption } from '../src/types.js'

test('builds and reads COOKIE options (RFC 7873 §4)', (t) => {
  const client = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)
  t.deepEqual(parseCookieOption(cookieOption(client)), { client })
  const server = new Uint8Array(16).fill(0xaa)
  const both = parseCookieOption(cookieOption(client, server))
  t.deepEqual([...both.client], [...client])
  t.deepEqual([...both.server!], [...server])
  t.throws(() => cookieOption(new Uint8Array(7)), { code: 'ERR_WIRE_BAD_OPT' })
  t.throws(() => cookieOption(client, new Uint8Array(33)), { code: 'ERR_WIRE_BAD_OPT' })
  t.throws(() => parseCookieOption({ code: EdnsOption.COOKIE, data: new Uint8Array(12) }), { code: 'ERR_WIRE_BAD_OPT' })
})

test('builds and reads Extended DNS Errors (RFC 8914)', (t) => {
  const o = edeOption(EdeCode.DNSSEC_BOGUS, 'signature expired on example.')
  t.is(o.code, 15)
  t.deepEqual([...o.data.subarray(0, 2)], [0, 6])
  t.deepEqual(parseEdeOption(o), { infoCode: 6, extraText: 'signature expired on example.' })
  t.deepEqual(parseEdeOption(edeOption(EdeCode.OTHER)), { infoCode: 0, extraText: '' })
  t.throws(() => checkEdnsOption({ code: 15, data: Uint8Array.of(1) }, 40), { code: 'ERR_WIRE_BAD_OPT', message: /offset 40/ })
  t.throws(() => parseEdeOption(nsidOption()), { code: 'ERR_WIRE_BAD_OPT' })
})

test('pads messages to a block size (RFC 7830, RFC 8467)', (t) => {
  t.is(paddingLength(100, 128), 24)
  t.is(paddingLength(124, 128), 0)
  t.is(paddingLength(125, 128), 127)
  t.deepEqual(paddingOption(3), { code: 12, data: new Uint8Array(3) })
  t.deepEqual(nsidOption(), { code: 3, data: new Uint8Array(0) })
})
