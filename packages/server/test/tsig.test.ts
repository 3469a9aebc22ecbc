import test from 'ava'
import { Name, RRType, Rcode, createQuery, encodeMessage, decodeMessage } from '@secdns/wire'
import { findTsig, signTsig, tsigKey, verifyTsig, TsigStreamVerifier, withoutTsig } from '../src/tsig.js'
import { ServerError } from '../src/errors.js'

const key = tsigKey('xfr-key', Buffer.alloc(32, 3).toString('base64'))
const keys = new Map([['xfr-key', key]])
const NOW = 1_790_000_000
const query = (): Uint8Array => encodeMessage(createQuery(Name.fromString('example.test.'), RRType.AXFR, { id: 77, udpSize: null }))

test('a signed request verifies and names its key', (t) => {
  const { bytes } = signTsig(query(), key, { now: NOW })
  const found = findTsig(bytes)!
  const r = verifyTsig(bytes, found, keys, NOW + 10)
  t.true(r.ok)
  t.is(found.record.originalId, 77)
  t.is(decodeMessage(bytes).additional.length, 1)
  t.is(withoutTsig(decodeMessage(bytes)).additional.length, 0)
})

test('a changed byte gives BADSIG, an unknown key BADKEY, a clock out of the fudge BADTIME', (t) => {
  const { bytes } = signTsig(query(), key, { now: NOW })
  const tampered = bytes.slice()
  tampered[13] ^= 0x20 // case of the question name
  const bad = verifyTsig(tampered, findTsig(tampered)!, keys, NOW)
  t.false(bad.ok)
  t.is(!bad.ok && bad.error, Rcode.BADSIG)
  const other = signTsig(query(), tsigKey('other', Buffer.alloc(32, 4).toString('base64')), { now: NOW }).bytes
  const unknown = verifyTsig(other, findTsig(other)!, keys, NOW)
  t.is(!unknown.ok && unknown.error, Rcode.BADKEY)
  const late = verifyTsig(bytes, findTsig(bytes)!, keys, NOW + 301)
  t.is(!late.ok && late.error, Rcode.BADTIME)
})

test('a secret of the right name but the wrong value gives BADSIG', (t) => {
  const forged = signTsig(query(), tsigKey('xfr-key', Buffer.alloc(32, 9).toString('base64')), { now: NOW }).bytes
  const r = verifyTsig(forged, findTsig(forged)!, keys, NOW)
  t.is(!r.ok && r.error, Rcode.BADSIG)
})

test('a TSIG that is not the last record is a format error', (t) => {
  const m = createQuery(Name.fromString('example.test.'), RRType.A, { udpSize: null })
  const { bytes } = signTsig(encodeMessage(m), key, { now: NOW })
  const decoded = decodeMessage(bytes)
  decoded.additional.push({ name: Name.fromString('x.'), class: 1, ttl: 0, data: { type: RRType.A, address: '192.0.2.1' } })
  const moved = encodeMessage(decoded)
  t.throws(() => findTsig(moved), { instanceOf: ServerError, code: 'ERR_TSIG_FORMAT' })
})

test('a signed stream verifies message by message and rejects a forged middle message', (t) => {
  const req = signTsig(query(), key, { now: NOW })
  const msgs: Uint8Array[] = []
  let prior = req.mac
  for (let i = 0; i < 3; i++) {
    const m = createQuery(Name.fromString(`m${i}.example.test.`), RRType.A, { id: 77, udpSize: null })
    m.flags.qr = true
    const s = signTsig(encodeMessage(m), key, { now: NOW, priorMac: prior, timersOnly: i > 0 })
    msgs.push(s.bytes)
    prior = s.mac
  }
  const v = new TsigStreamVerifier(key, req.mac)
  for (const m of msgs) v.push(m, NOW)
  t.notThrows(() => v.finish())
  const v2 = new TsigStreamVerifier(key, req.mac)
  v2.push(msgs[0]!, NOW)
  t.throws(() => v2.push(msgs[2]!, NOW), { code: 'ERR_TSIG_BAD_SIG' })
})
