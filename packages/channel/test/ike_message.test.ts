import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { randomBytes } from 'node:crypto'
import {
  decodeIkeMessage, encodeEncrypted, encodeIkeMessage, openSk, readPayloads, writePayloads, payloadsLength,
  errorNotifyData, parseErrorNotify, EXCHANGE, FLAG_INITIATOR, FLAG_RESPONSE, PAYLOAD, NOTIFY, type Payload, type IkeHeader,
} from '../src/ike_message.js'
import { ChannelError } from '../src/errors.js'

const header: IkeHeader = { spiI: randomBytes(8), spiR: new Uint8Array(8), exchange: EXCHANGE.IKE_SA_INIT, flags: FLAG_INITIATOR, messageId: 0 }
const payloads: Payload[] = [
  { type: PAYLOAD.SA, spi: new Uint8Array(0), groups: [31, 19], prfs: [5, 6], transforms: [0x1420, 0x1520] },
  { type: PAYLOAD.KE, group: 31, data: randomBytes(32) },
  { type: PAYLOAD.NONCE, data: randomBytes(32) },
  { type: PAYLOAD.NOTIFY, notifyType: NOTIFY.COOKIE, data: randomBytes(33) },
  { type: PAYLOAD.IDi, idType: 9, data: randomBytes(40) },
  { type: PAYLOAD.CERT, encoding: 4, data: randomBytes(300) },
  { type: PAYLOAD.AUTH, method: 14, data: randomBytes(72) },
  { type: PAYLOAD.DELETE, spis: [randomBytes(4), randomBytes(4)] },
]

function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  if (Array.isArray(v)) return v.map(norm)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]))
  return v
}

test('encode, decode and re-encode give the same message', (t) => {
  const bytes = encodeIkeMessage({ header, payloads })
  const m = decodeIkeMessage(bytes)
  t.deepEqual(norm(m.payloads), norm(payloads))
  t.is(m.header.messageId, 0)
  t.deepEqual(Buffer.from(encodeIkeMessage(m)), Buffer.from(bytes))
})

test('payloads decode from an offset inside a larger buffer, and payloadsLength is what is written', (t) => {
  const n = payloadsLength(payloads)
  const buf = new Uint8Array(10 + n)
  t.is(writePayloads(payloads, buf, 10), 10 + n)
  t.deepEqual(norm(readPayloads(buf, 10, buf.length)), norm(payloads))
})

test('an encrypted message opens with the sender direction key only', (t) => {
  const k = { key: randomBytes(32), salt: randomBytes(4) }
  const h = { ...header, exchange: EXCHANGE.IKE_AUTH, messageId: 1 }
  const frame = encodeEncrypted(h, payloads.slice(4), k)
  const m = decodeIkeMessage(frame)
  t.deepEqual(norm(openSk(frame, m, k)), norm(payloads.slice(4)))
  t.throws(() => openSk(frame, m, { key: randomBytes(32), salt: k.salt }), { code: 'ERR_CHANNEL_INTEGRITY' })
  const flipped = Uint8Array.from(frame); flipped[frame.length - 20]! ^= 4
  t.throws(() => openSk(flipped, decodeIkeMessage(flipped), k), { code: 'ERR_CHANNEL_INTEGRITY' })
})

test('an encrypted message moved to another message id or direction fails', (t) => {
  const k = { key: randomBytes(32), salt: randomBytes(4) }
  const frame = encodeEncrypted({ ...header, exchange: EXCHANGE.IKE_AUTH, messageId: 1 }, payloads.slice(4), k)
  const moved = Uint8Array.from(frame); moved[22] = 2
  t.throws(() => openSk(moved, decodeIkeMessage(moved), k), { code: 'ERR_CHANNEL_INTEGRITY' })
  const asResponse = Uint8Array.from(frame); asResponse[18]! |= FLAG_RESPONSE
  t.throws(() => openSk(asResponse, decodeIkeMessage(asResponse), k), { code: 'ERR_CHANNEL_INTEGRITY' })
})

test('rejects a payload whose length overruns the frame, with its offset', (t) => {
  const bytes = encodeIkeMessage({ header, payloads: payloads.slice(0, 2) })
  const bad = bytes.subarray(0, bytes.length - 1)
  const e = t.throws<ChannelError>(() => decodeIkeMessage(bad), { code: "ERR_CHANNEL_MALFORMED" })
  t.is(typeof e?.offset, 'number')
})

test('rejects a truncated header and an unknown payload type', (t) => {
  t.throws(() => decodeIkeMessage(new Uint8Array([1, 2, 3])), { code: 'ERR_CHANNEL_TRUNCATED' })
  const bytes = encodeIkeMessage({ header, payloads: [{ type: PAYLOAD.NONCE, data: randomBytes(32) }] })
  bytes[23] = 99
  t.throws(() => decodeIkeMessage(bytes), { code: 'ERR_CHANNEL_MALFORMED', message: /unknown payload type 99 at offset 23/ })
})

test('rejects a nonce shorter than 16 octets (RFC 7296 §3.9)', (t) => {
  const bytes = encodeIkeMessage({ header, payloads: [{ type: PAYLOAD.NONCE, data: randomBytes(15) }] })
  t.throws(() => decodeIkeMessage(bytes), { code: 'ERR_CHANNEL_MALFORMED' })
})

test('error notifications carry a code and a message', (t) => {
  t.deepEqual(parseErrorNotify(errorNotifyData('ERR_CHANNEL_NO_PROPOSAL', 'why')), { code: 'ERR_CHANNEL_NO_PROPOSAL', message: 'why' })
})

testProp('decode never throws anything but ChannelError', [fc.uint8Array({ maxLength: 400 })], (t, bytes) => {
  const frame = Uint8Array.from([1, ...bytes])
  try { decodeIkeMessage(frame); t.pass() } catch (e) { t.true(e instanceof ChannelError) }
}, { numRuns: 500 })

testProp('decode never throws anything but ChannelError on mutated valid messages', [fc.integer({ min: 0, max: 700 }), fc.integer({ min: 0, max: 255 })], (t, at, v) => {
  const bytes = encodeIkeMessage({ header, payloads })
  bytes[at % bytes.length] = v
  try { decodeIkeMessage(bytes); t.pass() } catch (e) { t.true(e instanceof ChannelError) }
}, { numRuns: 500 })
