/**
 * fast-check arbitraries for names, RDATA and whole messages, shared by the
 * property tests.
 */
import { fc } from '@fast-check/ava'
import { Name } from '../src/name.js'
import type { RData, ResourceRecord } from '../src/rdata.js'
import type { Message, Question } from '../src/message.js'
import type { Edns } from '../src/edns.js'
import { ipv4ToText, ipv6ToText } from '../src/ip.js'

const commonLabels = ['a', 'b', 'www', 'Example', 'example', 'test', 'ns1', '*'].map((s) => new Uint8Array(Buffer.from(s)))

/** A label: mostly from a small set (so names share suffixes and compress), sometimes any octets. */
export const arbLabel = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...commonLabels) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 63 }) },
)

/** Any valid name (at most 255 octets). */
export const arbName = fc.array(arbLabel, { maxLength: 8 }).map((labels) => {
  let name = Name.ROOT
  for (const l of labels) {
    if (name.wire.length + l.length + 1 > 255) break
    name = name.prepend(l)
  }
  return name
})

const u8 = fc.integer({ min: 0, max: 255 })
const u16 = fc.integer({ min: 0, max: 0xffff })
const u32 = fc.integer({ min: 0, max: 0xffffffff })
const bytes = (min = 0, max = 64): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max })
const types = fc.uniqueArray(u16, { maxLength: 12 }).map((t) => t.sort((a, b) => a - b))

/** A LOC size/precision octet: zero, or a mantissa 1..9 and an exponent 0..9 (RFC 1876 §2). */
const locPrecision = fc.oneof(fc.constant(0), fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 9 })).map(([m, e]) => (m << 4) | e))

/** RDATA of many types, always in the form the decoder produces. */
export const arbRData: fc.Arbitrary<RData> = fc.oneof(
  bytes(4, 4).map((b) => ({ type: 1, address: ipv4ToText(b) }) as RData),
  bytes(16, 16).map((b) => ({ type: 28, address: ipv6ToText(b) }) as RData),
  arbName.map((n) => ({ type: 2, nsdname: n }) as RData),
  arbName.map((n) => ({ type: 5, target: n }) as RData),
  arbName.map((n) => ({ type: 12, ptrdname: n }) as RData),
  arbName.map((n) => ({ type: 39, target: n }) as RData),
  fc.tuple(u16, arbName).map(([preference, exchange]) => ({ type: 15, preference, exchange }) as RData),
  fc.tuple(arbName, arbName, u32, u32, u32, u32, u32).map(([mname, rname, serial, refresh, retry, expire, minimum]) =>
    ({ type: 6, mname, rname, serial, refresh, retry, expire, minimum }) as RData),
  fc.array(bytes(0, 255), { minLength: 1, maxLength: 4 }).map((strings) => ({ type: 16, strings }) as RData),
  fc.tuple(u16, u16, u16, arbName).map(([priority, weight, port, target]) => ({ type: 33, priority, weight, port, target }) as RData),
  fc.tuple(u16, u8, bytes(32, 32)).map(([keyTag, algorithm, digest]) => ({ type: 43, keyTag, algorithm, digestType: 2, digest }) as RData),
  fc.tuple(u16, u8, bytes(0, 40)).map(([keyTag, algorithm, digest]) => ({ type: 59, keyTag, algorithm, digestType: 200, digest }) as RData),
  fc.tuple(u16, u8, u8, bytes(0, 80)).map(([flags, protocol, algorithm, publicKey]) => ({ type: 48, flags, protocol, algorithm, publicKey }) as RData),
  fc.tuple(u16, u8, u8, u32, u32, u32, u16, arbName, bytes(0, 80)).map(([typeCovered, algorithm, labels, originalTtl, expiration, inception, keyTag, signerName, signature]) =>
    ({ type: 46, typeCovered, algorithm, labels, originalTtl, expiration, inception, keyTag, signerName, signature }) as RData),
  fc.tuple(arbName, types).map(([nextDomainName, t]) => ({ type: 47, nextDomainName, types: t }) as RData),
  fc.tuple(u8, u8, u16, bytes(0, 20), bytes(1, 32), types).map(([hashAlgorithm, flags, iterations, salt, nextHashedOwnerName, t]) =>
    ({ type: 50, hashAlgorithm, flags, iterations, salt, nextHashedOwnerName, types: t }) as RData),
  fc.tuple(u8, u8, u16, bytes(0, 20)).map(([hashAlgorithm, flags, iterations, salt]) => ({ type: 51, hashAlgorithm, flags, iterations, salt }) as RData),
  fc.tuple(u8, u8, u8, bytes(0, 40)).map(([usage, selector, matchingType, d]) => ({ type: 52, usage, selector, matchingType, certificateAssociationData: d }) as RData),
  fc.tuple(u16, arbName, fc.uniqueArray(fc.integer({ min: 7, max: 65534 }), { maxLength: 3 }), bytes(2, 2)).map(([priority, target, keys, port]) =>
    ({ type: 64, priority, target, params: [{ key: 3, value: port }, ...keys.sort((a, b) => a - b).map((key) => ({ key, value: Uint8Array.of(key & 0xff) }))] }) as RData),
  fc.tuple(u8, fc.constantFrom('issue', 'issuewild', 'iodef', 'tbs'), bytes(0, 40)).map(([flags, tag, value]) => ({ type: 257, flags, tag, value }) as RData),
  fc.tuple(arbName, arbName).map(([mbox, txt]) => ({ type: 17, mbox, txt }) as RData),
  fc.tuple(u16, arbName).map(([subtype, hostname]) => ({ type: 18, subtype, hostname }) as RData),
  fc.tuple(u16, u16, bytes(1, 60)).map(([priority, weight, target]) => ({ type: 256, priority, weight, target }) as RData),
  fc.tuple(u32, u16, types).map(([serial, flags, t]) => ({ type: 62, serial, flags, types: t }) as RData),
  bytes(6, 6).map((b) => ({ type: 108, address: [...b].map((x) => x.toString(16).padStart(2, '0')).join('-') }) as RData),
  fc.tuple(u16, fc.array(u16, { minLength: 4, maxLength: 4 })).map(([preference, g]) => ({ type: 104, preference, nodeId: g.map((x) => x.toString(16)).join(':') }) as RData),
  fc.tuple(fc.integer({ min: 65280, max: 65534 }), bytes(0, 40)).map(([type, data]) => ({ type, data }) as RData),
  fc.tuple(locPrecision, locPrecision, locPrecision, fc.integer({ min: -90 * 3600000, max: 90 * 3600000 }), fc.integer({ min: -180 * 3600000, max: 180 * 3600000 }), u32)
    .map(([size, horizPre, vertPre, lat, lon, altitude]) => ({ type: 29, version: 0, size, horizPre, vertPre, latitude: 0x80000000 + lat, longitude: 0x80000000 + lon, altitude }) as RData),
  fc.tuple(u16, u16, u8, bytes(0, 40)).map(([certType, keyTag, algorithm, certificate]) => ({ type: 37, certType, keyTag, algorithm, certificate }) as RData),
  fc.array(fc.tuple(fc.constantFrom(1, 2), fc.nat(), fc.boolean(), bytes(0, 16)).map(([family, p, negation, a]) => {
    const max = family === 1 ? 4 : 16
    let len = Math.min(a.length, max)
    while (len > 0 && a[len - 1] === 0) len--
    return { family, prefix: p % (max * 8 + 1), negation, afdPart: a.slice(0, len) }
  }), { maxLength: 4 }).map((items) => ({ type: 42, items }) as RData),
  fc.tuple(u8, u8, fc.oneof(
    fc.constant([0, null] as const),
    bytes(4, 4).map((b) => [1, ipv4ToText(b)] as const),
    bytes(16, 16).map((b) => [2, ipv6ToText(b)] as const),
    arbName.map((n) => [3, n] as const),
  ), bytes(0, 40)).map(([precedence, algorithm, [gatewayType, gateway], publicKey]) => ({ type: 45, precedence, gatewayType, algorithm, gateway, publicKey }) as RData),
  fc.tuple(u8, bytes(1, 20), bytes(1, 60), fc.array(arbName, { maxLength: 3 })).map(([pkAlgorithm, hit, publicKey, rendezvousServers]) =>
    ({ type: 55, pkAlgorithm, hit, publicKey, rendezvousServers }) as RData),
)

/** A record; class-specific types are class IN. */
export const arbRR: fc.Arbitrary<ResourceRecord> = fc.tuple(arbName, arbRData, fc.constantFrom(1, 1, 1, 3, 4, 42), u32).map(([name, data, cls, ttl]) => ({
  name, data, ttl, class: [1, 28, 33, 35].includes(data.type) ? 1 : cls,
}))

const arbQuestion: fc.Arbitrary<Question> = fc.record({ name: arbName, type: u16, class: u16 })

const arbEdns: fc.Arbitrary<Edns> = fc.tuple(u16, u8, fc.boolean(), fc.integer({ min: 0, max: 0x7fff }),
  fc.array(fc.record({ code: fc.constantFrom(3, 12, 8, 65001), data: bytes(0, 20) }), { maxLength: 3 })).map(([udpSize, version, dnssecOk, z, options]) => {
  const e: Edns = { udpSize, version, dnssecOk, options }
  if (z !== 0) e.z = z
  return e
})

/** A whole message, in the form decodeMessage returns. */
export const arbMessage: fc.Arbitrary<Message> = fc.tuple(
  u16, fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 15 }),
  fc.array(arbQuestion, { maxLength: 2 }), fc.array(arbRR, { maxLength: 5 }), fc.array(arbRR, { maxLength: 4 }),
  fc.array(arbRR, { maxLength: 4 }), fc.option(arbEdns, { nil: undefined }), fc.integer({ min: 0, max: 0xfff }),
).map(([id, f, opcode, question, answer, authority, additional, edns, rcode]) => {
  const m: Message = {
    id, opcode, rcode: edns ? rcode : rcode & 0xf, question, answer, authority, additional,
    flags: { qr: f[0]!, aa: f[1]!, tc: f[2]!, rd: f[3]!, ra: f[4]!, ad: f[5]!, cd: f[6]! },
  }
  if (f[7]!) m.flags.z = true
  if (edns) m.edns = { ...edns, extendedRcode: rcode >>> 4 }
  return m
})
