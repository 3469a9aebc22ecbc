// Benchmark: @secdns/wire against dns-packet 5.6.1, decode and encode of a
// 44-byte query and a ~200-byte DNSSEC-signed response, in the same run.
// Run after `npm run build`:  node bench/wire.mjs
// Fixed iteration counts and a warm-up; the whole run takes well under 30 s.
import dnsPacket from 'dns-packet'
import { Name, RRType, createQuery, decodeMessage, encodeMessage, rdataFromString } from '@secdns/wire'

const N = (s) => Name.fromString(s)

// --- the two packets, built with our encoder and checked against dns-packet --
const query = encodeMessage(createQuery(N('www.example.com.'), RRType.A, { id: 0x1234, dnssecOk: true }))

// an ECDSA P-256 signature is 64 octets (RFC 6605 §4)
const sig = 'A 13 3 300 20300101000000 20250101000000 12345 example.com. ' + Buffer.alloc(64, 0x5a).toString('base64')
const origin = N('example.com.')
const responseMsg = {
  id: 0x1234, flags: { qr: true, aa: true, tc: false, rd: true, ra: false, ad: false, cd: false }, opcode: 0, rcode: 0,
  question: [{ name: N('www.example.com.'), type: 1, class: 1 }],
  answer: [
    { name: N('www.example.com.'), class: 1, ttl: 300, data: rdataFromString(1, '192.0.2.1') },
    { name: N('www.example.com.'), class: 1, ttl: 300, data: rdataFromString(1, '192.0.2.2') },
    { name: N('www.example.com.'), class: 1, ttl: 300, data: rdataFromString(46, sig, origin) },
  ],
  authority: [{ name: N('example.com.'), class: 1, ttl: 300, data: rdataFromString(2, 'ns1.example.com.') }],
  additional: [],
  edns: { udpSize: 1232, version: 0, dnssecOk: true, options: [] },
}
const response = encodeMessage(responseMsg)
const queryMsg = decodeMessage(query)

const queryBuf = Buffer.from(query)
const responseBuf = Buffer.from(response)
const dpQuery = dnsPacket.decode(queryBuf)
const dpResponse = dnsPacket.decode(responseBuf)
if (dnsPacket.decode(dnsPacket.encode(dpResponse)).answers.length !== 3) throw new Error('dns-packet disagrees on the response')

// --- timing ---------------------------------------------------------------
// The machine is shared, so the two libraries run in alternating rounds and
// each keeps its best round: a burst of load elsewhere hurts both alike.
let sink = 0
function round(fn, iterations) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) sink += fn() ? 1 : 0
  return iterations / (Number(process.hrtime.bigint() - t0) / 1e9)
}

const ROUNDS = 5
const ITER_Q = 100_000
const ITER_R = 40_000
const rows = [
  ['decode', `query (${query.length} B)`, () => decodeMessage(query), () => dnsPacket.decode(queryBuf), ITER_Q],
  ['decode', `signed response (${response.length} B)`, () => decodeMessage(response), () => dnsPacket.decode(responseBuf), ITER_R],
  ['encode', `query (${query.length} B)`, () => encodeMessage(queryMsg), () => dnsPacket.encode(dpQuery), ITER_Q],
  ['encode', `signed response (${response.length} B, ours compressed)`, () => encodeMessage(responseMsg), () => dnsPacket.encode(dpResponse), ITER_R],
]

const out = []
for (const [op, what, ours, theirs, n] of rows) {
  round(ours, 20_000) // warm-up
  round(theirs, 20_000)
  let a = 0, b = 0
  for (let r = 0; r < ROUNDS; r++) {
    a = Math.max(a, round(ours, n))
    b = Math.max(b, round(theirs, n))
  }
  out.push({ op, packet: what, 'secdns ops/s': Math.round(a), 'dns-packet ops/s': Math.round(b), ratio: (a / b).toFixed(2) + '×' })
}
console.log(`node ${process.version}, dns-packet ${(await import('dns-packet/package.json', { with: { type: 'json' } })).default.version}; ` +
  `encoded sizes: ours ${response.length} B vs dns-packet ${dnsPacket.encode(dpResponse).length} B for the response`)
console.table(out)
if (sink === 42) console.log('')
