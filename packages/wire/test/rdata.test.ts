import test from 'ava'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Name } from '../src/name.js'
import { WireFormatError } from '../src/errors.js'
import {
  canonicalRData, decodeRData, encodeRData, rdataFromString, rdataFromText, rdataToText, type RData,
} from '../src/rdata.js'
import { rrToText } from '../src/canonical.js'
import { tokenize } from '../src/text.js'
import { RRType, rrClassFromString, rrTypeFromString } from '../src/types.js'
import { roundTripRData } from './round_trip.js'
import { testProp, fc } from '@fast-check/ava'
import { arbRData } from './arbitraries.js'

const fixture = (f: string): string => readFileSync(fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url)), 'utf8')
const N = (s: string): Name => Name.fromString(s)
const from = (type: number, text: string): RData => rdataFromString(type, text, N('example.test.'))

/** One sample per type, in presentation format as BIND prints it. */
const samples: Array<[number, string]> = [
  [RRType.A, '192.0.2.1'],
  [RRType.NS, 'ns1.example.test.'],
  [RRType.CNAME, 'Target.Example.test.'],
  [RRType.SOA, 'ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300'],
  [RRType.PTR, 'host.example.test.'],
  [RRType.HINFO, '"PC" "Linux"'],
  [RRType.MX, '10 mail.example.test.'],
  [RRType.TXT, '"hello world" "a\\"b\\\\c" "\\001\\255;@$()" ""'],
  [RRType.SPF, '"v=spf1 -all"'],
  [RRType.AAAA, '2001:db8::1'],
  [RRType.AAAA, '::ffff:1.2.3.4'],
  [RRType.SRV, '1 2 3 target.example.test.'],
  [RRType.NAPTR, '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.test!" .'],
  [RRType.DNAME, 'other.test.'],
  [RRType.DS, '12345 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237 C7F8EC8D'],
  [RRType.CDS, '0 0 0 00'],
  [RRType.DS, '1 8 200'],
  [RRType.SSHFP, '1 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234567 89ABCDEF'],
  [RRType.RRSIG, 'A 8 3 3600 20300101000000 20251201000000 12345 example.test. AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3 +/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kv'],
  [RRType.NSEC, 'next.example.test. A NS SOA MX TXT AAAA RRSIG NSEC DNSKEY TYPE65280'],
  [RRType.NSEC, 'next.example.test.'],
  [RRType.DNSKEY, '257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+ KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=='],
  [RRType.CDNSKEY, '0 3 0 AA=='],
  [RRType.NSEC3, '1 1 10 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG'],
  [RRType.NSEC3, '1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR'],
  [RRType.NSEC3PARAM, '1 0 10 AABBCCDD'],
  [RRType.NSEC3PARAM, '1 0 0 -'],
  [RRType.TLSA, '3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234567 89ABCDEF'],
  [RRType.SMIMEA, '3 0 0 AABB'],
  [RRType.ZONEMD, '2024010101 1 1 0123456789ABCDEF01234567'],
  [RRType.SVCB, '1 . mandatory=alpn,port alpn="h2,h3" port=8443 ipv4hint=192.0.2.1,192.0.2.2 ech=AEX+DQBBAQAgACD/ ipv6hint=2001:db8::1 key667="hello"'],
  [RRType.SVCB, '0 target.example.test.'],
  [RRType.HTTPS, '1 . alpn="h2" no-default-alpn'],
  [RRType.HTTPS, '2 svc.example.test. alpn="a\\\\,b,c" key65000'],
  [RRType.SVCB, '1 . key12322="\\"" key12323="a b"'],
  [RRType.CAA, '0 issue "letsencrypt.org"'],
  [RRType.CAA, '128 tbs "a\\"b"'],
  [RRType.RP, 'mbox.example.test. .'],
  [RRType.AFSDB, '1 afs.example.test.'],
  [RRType.KX, '10 kx.example.test.'],
  [RRType.LP, '10 l64-subnet1.example.test.'],
  [RRType.URI, '10 1 "https://www.example.test/path"'],
  [RRType.OPENPGPKEY, 'AQIDBA=='],
  [RRType.DHCID, 'AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA='],
  [RRType.CSYNC, '66 3 A NS AAAA'],
  [RRType.TA, '12345 8 1 0123456789ABCDEF0123456789ABCDEF01234567'],
  [RRType.DLV, '12345 8 1 0123456789ABCDEF0123456789ABCDEF01234567'],
  [RRType.EUI48, '00-00-5e-00-53-2a'],
  [RRType.EUI64, '00-00-5e-ef-10-00-00-2a'],
  [RRType.NID, '10 14:4fff:ff20:ee64'],
  [RRType.L32, '10 10.1.2.0'],
  [RRType.L64, '10 2001:db8:1140:1000'],
  [RRType.LOC, '42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m'],
  [RRType.LOC, '0 0 0.000 N 0 0 0.000 E 0.50m 20m 0.01m 90000000m'],
  [RRType.LOC, '90 0 0.000 S 180 0 0.000 W -100000.00m 0.00m 0.00m 0.00m'],
  [RRType.CERT, 'PKIX 1 RSASHA256 MIIBCgKCAQEA'],
  [RRType.CERT, '65280 12 PRIVATEDNS AQID'],
  [RRType.APL, '1:192.168.32.0/21 !1:192.168.38.0/28 2:ff00::/8'],
  [RRType.APL, ''],
  [RRType.IPSECKEY, '10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=='],
  [RRType.IPSECKEY, '10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=='],
  [RRType.IPSECKEY, '10 2 2 2001:db8:0:8002::2000:1 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=='],
  [RRType.IPSECKEY, '10 3 2 MyGateway.example.com. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=='],
  [RRType.HIP, '2 200100107B1A74DF365639CC39F1D578 AwEAAbdxyhNuSutc5EMzxTs9LBPCIkOFH8cIvM4p9+LrV4e19WzK00+CI6zBCQTdtWsuxKbWIy87UOoJTwkUs7lBu+Upr1gsNrut79ryra+bSRGQb1slImA8YVJyuIDsj7kwzG7jnERNqnWxZ48AWkskmdHaVDP4BcelrTI3rMXdXF5D rvs1.example.com. Rvs2.example.com.'],
  [65280, '\\# 4 0A000001'],
  [65281, '\\# 0'],
]

for (const [type, text] of samples) {
  test(`round-trips ${text.slice(0, 40)} as type ${type} through wire and text`, (t) => {
    const d = rdataFromString(type, text)
    t.is(rdataToText(d), text)
    roundTripRData(t, d)
  })
}

test('prints every record of the BIND fixture exactly as named-compilezone -D does', (t) => {
  const lines = fixture('bind_types.compilezone.txt').split('\n').filter((l) => l && !l.startsWith(';'))
  t.true(lines.length > 30)
  for (const line of lines) {
    const toks = tokenize(line)
    const [owner, ttl, cls, type] = toks.map((x) => x.value)
    const data = rdataFromText(rrTypeFromString(type!), toks.slice(4), null)
    const rr = { name: N(owner!), ttl: Number(ttl), class: rrClassFromString(cls!), data }
    t.is(rrToText(rr), line.replace(/\s+/g, ' '))
    roundTripRData(t, data)
  }
})

test('reads every record of the BIND fixture zone as named-compilezone does', (t) => {
  const bind = new Set(fixture('bind_types.compilezone.txt').split('\n').filter((l) => l && !l.startsWith(';')).map((l) => l.replace(/\s+/g, ' ')))
  const origin = N('example.test.')
  let n = 0
  for (const line of fixture('bind_types.zone').split('\n')) {
    if (!line.trim() || line.startsWith('$')) continue
    const toks = tokenize(line)
    const owner = toks[0]!.value === '@' ? origin : Name.fromString(toks[0]!.value, origin)
    let i = 1
    if (toks[i]!.value === 'IN') i++
    const type = rrTypeFromString(toks[i]!.value)
    const data = rdataFromText(type, toks.slice(i + 1), origin)
    const text = rrToText({ name: owner, ttl: 3600, class: 1, data })
    t.true(bind.has(text), `${line} → ${text}`)
    n++
  }
  t.true(n > 40)
})

test('reads relative names in RDATA against the origin', (t) => {
  const mx = from(RRType.MX, '10 mail') as { exchange: Name }
  t.is(mx.exchange.toString(), 'mail.example.test.')
  t.throws(() => rdataFromString(RRType.MX, '10 mail'), { code: 'ERR_WIRE_RELATIVE_NAME' })
})

test('accepts the RFC 3597 generic form for known types and converts it', (t) => {
  const a = rdataFromString(RRType.A, '\\# 4 0a000001')
  t.deepEqual(a, { type: 1, address: '10.0.0.1' })
  t.throws(() => rdataFromString(RRType.A, '\\# 5 0a000001'), { code: 'ERR_WIRE_BAD_TEXT' })
  t.throws(() => rdataFromString(RRType.A, '\\# 3 0a0000'), { code: 'ERR_WIRE_RDLENGTH' })
  t.is(rdataToText({ type: 1, data: Uint8Array.of(10, 0, 0, 1) }), '10.0.0.1')
})

test('accepts units in SOA timers and mnemonics for algorithms', (t) => {
  const soa = from(RRType.SOA, 'ns hm 1 2h 1H 2w 5m')
  t.is(rdataToText(soa), 'ns.example.test. hm.example.test. 1 7200 3600 1209600 300')
  t.is(rdataToText(from(RRType.DNSKEY, '256 3 ECDSAP256SHA256 AA==')), '256 3 13 AA==')
})

test('rejects malformed RDATA text with coded errors', (t) => {
  const bad: Array<[number, string, string]> = [
    [RRType.A, '192.0.2', 'ERR_WIRE_BAD_TEXT'],
    [RRType.A, '192.0.2.256', 'ERR_WIRE_BAD_TEXT'],
    [RRType.AAAA, '2001:db8::1::2', 'ERR_WIRE_BAD_TEXT'],
    [RRType.MX, '65536 a.', 'ERR_WIRE_BAD_TEXT'],
    [RRType.MX, '10', 'ERR_WIRE_BAD_TEXT'],
    [RRType.MX, '10 a. extra', 'ERR_WIRE_BAD_TEXT'],
    [RRType.TXT, '', 'ERR_WIRE_BAD_TEXT'],
    [RRType.TXT, '"' + 'x'.repeat(256) + '"', 'ERR_WIRE_BAD_TEXT'],
    [RRType.DS, '1 8 2 ABCD', 'ERR_WIRE_BAD_TEXT'],
    [RRType.DS, '1 8 9 ABC', 'ERR_WIRE_BAD_TEXT'],
    [RRType.DNSKEY, '257 3 8 AwE', 'ERR_WIRE_BAD_TEXT'],
    [RRType.RRSIG, 'A 8 2 3600 2030010100000 20251201000000 1 example. AA==', 'ERR_WIRE_BAD_TEXT'],
    [RRType.NSEC, 'next. A BOGUS', 'ERR_WIRE_BAD_TEXT'],
    [RRType.NSEC3, '1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJW', 'ERR_WIRE_BAD_TEXT'],
    [RRType.SVCB, '1 . port', 'ERR_WIRE_BAD_TEXT'],
    [RRType.SVCB, '1 . mandatory=port', 'ERR_WIRE_BAD_TEXT'],
    [RRType.SVCB, '1 . alpn=h2 alpn=h3', 'ERR_WIRE_BAD_TEXT'],
    [RRType.SVCB, '1 . no-default-alpn=x', 'ERR_WIRE_BAD_TEXT'],
    [RRType.CAA, '0 is-sue "x"', 'ERR_WIRE_BAD_TEXT'],
    [65280, '01020304', 'ERR_WIRE_BAD_TEXT'],
    [RRType.EUI48, '00-00-5e-00-53', 'ERR_WIRE_BAD_TEXT'],
    [RRType.NID, '10 14:4fff:ff20', 'ERR_WIRE_BAD_TEXT'],
    [RRType.NID, '10 14:4fff:ff20:zz', 'ERR_WIRE_BAD_TEXT'],
    [RRType.URI, '10 1 ""', 'ERR_WIRE_BAD_TEXT'],
    [RRType.NS, 'a..b.', 'ERR_WIRE_EMPTY_LABEL'],
  ]
  for (const [type, text, code] of bad) {
    t.throws(() => rdataFromString(type, text, N('example.')), { instanceOf: WireFormatError, code }, `${type} ${text}`)
  }
})

test('rejects RDATA whose length does not fit the type', (t) => {
  t.throws(() => decodeRData(RRType.A, Uint8Array.of(1, 2, 3)), { code: 'ERR_WIRE_RDLENGTH' })
  t.throws(() => decodeRData(RRType.A, Uint8Array.of(1, 2, 3, 4, 5)), { code: 'ERR_WIRE_RDLENGTH' })
  t.throws(() => decodeRData(RRType.MX, Uint8Array.of(0, 10, 1, 0x61, 0, 9)), { code: 'ERR_WIRE_RDLENGTH' })
  t.throws(() => decodeRData(RRType.MX, Uint8Array.of(0, 10, 1, 0x61, 0), 0, 4), { code: 'ERR_WIRE_RDLENGTH' })
  t.throws(() => decodeRData(RRType.TXT, new Uint8Array(0)), { code: 'ERR_WIRE_BAD_RDATA' })
  t.throws(() => decodeRData(RRType.TXT, Uint8Array.of(5, 0x61)), { code: 'ERR_WIRE_RDLENGTH' })
  t.throws(() => decodeRData(RRType.A, Uint8Array.of(1, 2, 3, 4), 2, 4), { code: 'ERR_WIRE_TRUNCATED' })
  t.throws(() => decodeRData(RRType.DS, Uint8Array.of(0, 1, 8, 2, 1, 2)), { code: 'ERR_WIRE_BAD_RDATA' })
  t.throws(() => decodeRData(RRType.CAA, Uint8Array.of(0, 0)), { code: 'ERR_WIRE_BAD_RDATA' })
  t.throws(() => decodeRData(RRType.NSEC3, Uint8Array.of(1, 0, 0, 0, 0, 0)), { code: 'ERR_WIRE_BAD_RDATA' })
  // SvcParamKeys out of order
  t.throws(() => decodeRData(RRType.SVCB, Uint8Array.of(0, 1, 0, 0, 3, 0, 2, 1, 1, 0, 1, 0, 2, 1, 0x61)), { code: 'ERR_WIRE_BAD_RDATA' })
  // port with three octets
  t.throws(() => decodeRData(RRType.SVCB, Uint8Array.of(0, 1, 0, 0, 3, 0, 3, 1, 1, 1)), { code: 'ERR_WIRE_BAD_RDATA' })
})

test('refuses malformed LOC, APL, IPSECKEY and HIP RDATA on decode (as BIND does)', (t) => {
  const loc = (f: (b: Uint8Array) => void): Uint8Array => {
    const b = Uint8Array.from(encodeRData(rdataFromString(RRType.LOC, '42 21 54 N 71 6 18 W -24m')))
    f(b)
    return b
  }
  t.throws(() => decodeRData(RRType.LOC, loc((b) => { b[0] = 1 })), { code: 'ERR_WIRE_BAD_RDATA', message: 'LOC version 1 at offset 0 is not 0' })
  t.throws(() => decodeRData(RRType.LOC, loc((b) => { b[1] = 0x1a })), { code: 'ERR_WIRE_BAD_RDATA', message: 'LOC size octet 0x1a at offset 1 is not a valid mantissa/exponent' })
  t.throws(() => decodeRData(RRType.LOC, loc((b) => { b[2] = 0x03 })), { code: 'ERR_WIRE_BAD_RDATA', message: 'LOC horizontal precision octet 0x03 at offset 2 is not a valid mantissa/exponent' })
  t.throws(() => decodeRData(RRType.LOC, loc((b) => { b.set([0xff, 0xff, 0xff, 0xff], 4) })), { code: 'ERR_WIRE_BAD_RDATA', message: 'LOC latitude at offset 4 is beyond 90 degrees' })
  t.throws(() => decodeRData(RRType.LOC, loc((b) => { b.set([0, 0, 0, 0], 8) })), { code: 'ERR_WIRE_BAD_RDATA', message: 'LOC longitude at offset 8 is beyond 180 degrees' })
  t.throws(() => decodeRData(RRType.LOC, new Uint8Array(15)), { code: 'ERR_WIRE_RDLENGTH' })
  // APL: trailing zero octet in the AFDPART (RFC 3123 §4), IPv4 with 5 octets, /33
  t.throws(() => decodeRData(RRType.APL, Uint8Array.of(0, 1, 8, 2, 10, 0)), { code: 'ERR_WIRE_BAD_RDATA', message: 'APL item at offset 0 has a trailing zero octet in its AFDPART' })
  t.throws(() => decodeRData(RRType.APL, Uint8Array.of(0, 1, 8, 5, 1, 2, 3, 4, 5)), { code: 'ERR_WIRE_BAD_RDATA', message: 'APL item at offset 0: family 1 allows 4 address octets and prefix 32, got 5 and 8' })
  t.throws(() => decodeRData(RRType.APL, Uint8Array.of(0, 1, 33, 1, 10)), { code: 'ERR_WIRE_BAD_RDATA' })
  t.throws(() => decodeRData(RRType.APL, Uint8Array.of(0, 1, 8, 3, 10)), { code: 'ERR_WIRE_RDLENGTH' })
  // an APL family without a text form decodes and prints in the generic form
  const other = decodeRData(RRType.APL, Uint8Array.of(0, 3, 8, 1, 7))
  t.is(rdataToText(other), '\\# 5 0003080107')
  // IPSECKEY: gateway type 4, IPv6 gateway cut short
  t.throws(() => decodeRData(RRType.IPSECKEY, Uint8Array.of(10, 4, 2, 1, 2, 3, 4)), { code: 'ERR_WIRE_BAD_RDATA', message: 'IPSECKEY gateway type 4 at offset 1 is not 0..3' })
  t.throws(() => decodeRData(RRType.IPSECKEY, Uint8Array.of(10, 2, 2, 1, 2, 3, 4)), { code: 'ERR_WIRE_RDLENGTH' })
  // HIP: empty HIT, empty key, key longer than the RDATA
  t.throws(() => decodeRData(RRType.HIP, Uint8Array.of(0, 2, 0, 1, 9)), { code: 'ERR_WIRE_BAD_RDATA', message: 'HIP at offset 0 has an empty HIT' })
  t.throws(() => decodeRData(RRType.HIP, Uint8Array.of(1, 2, 0, 0, 9)), { code: 'ERR_WIRE_BAD_RDATA', message: 'HIP at offset 0 has an empty public key' })
  t.throws(() => decodeRData(RRType.HIP, Uint8Array.of(1, 2, 0, 9, 1, 2)), { code: 'ERR_WIRE_RDLENGTH' })
})

test('rejects malformed LOC, CERT, APL, IPSECKEY and HIP text with the reason', (t) => {
  const bad: Array<[number, string, string]> = [
    [RRType.LOC, '42 21 54 71 6 18 W 0', 'LOC: expected N or S after the latitude, got "71"'],
    [RRType.LOC, '42 21 60 N 71 6 18 W 0', 'LOC: latitude seconds "60" is not a number in 0..59.999'],
    [RRType.LOC, '42 21 1.2345 N 71 6 18 W 0', 'LOC: latitude seconds "1.2345" is not a number in 0..59.999'],
    [RRType.LOC, '42 21 54 X 71 6 18 W 0', 'LOC: expected N or S after the latitude, got "X"'],
    [RRType.LOC, '91 N 0 E 0', 'LOC latitude degrees: 91 is over 90'],
    [RRType.LOC, '90 1 N 0 E 0', 'LOC: latitude is over 90 degrees'],
    [RRType.LOC, '0 N 0 E 42849673m', 'LOC: altitude 42849673m is over 42849672.95m'],
    [RRType.LOC, '0 N 0 E -100001m', 'LOC: altitude 100001m is over 100000m'],
    [RRType.LOC, '0 N 0 E 0 90000001m', 'LOC: size 90000001m is over 90000000m'],
    [RRType.LOC, '0 N 0 E 0 1.234m', 'LOC: size "1.234m" is not metres (like 10, 1.5m or 0.01m)'],
    [RRType.CERT, 'X509 1 8 AQID', 'CERT: unknown certificate type "X509"'],
    [RRType.CERT, 'PKIX 1 RSA AQID', 'CERT: unknown algorithm "RSA"'],
    [RRType.APL, '3:1.2.3.4/8', 'APL: address family 3 is not 1 (IPv4) or 2 (IPv6)'],
    [RRType.APL, '1:1.2.3.4/33', 'APL: prefix /33 is over 32 for family 1'],
    [RRType.APL, '1:1.2.3.4', 'APL: "1:1.2.3.4" is not [!]family:address/prefix'],
    [RRType.IPSECKEY, '10 0 2 gw.example.test. AQID', 'IPSECKEY: gateway type 0 needs "." as the gateway, got "gw.example.test."'],
    [RRType.IPSECKEY, '10 4 2 . AQID', 'IPSECKEY: gateway type 4 is not 0..3'],
    [RRType.HIP, '2 - AQID', 'HIP HIT: odd number of hex digits'],
    [RRType.HIP, '2 0011', 'HIP: missing public key'],
  ]
  for (const [type, text, message] of bad) {
    t.throws(() => rdataFromString(type, text, N('example.test.')), { instanceOf: WireFormatError, code: 'ERR_WIRE_BAD_TEXT', message }, text)
  }
})

test('never compresses or lowercases IPSECKEY gateway and HIP rendezvous names (RFC 4025 §2.5, RFC 8005 §3, RFC 6840 §5.1)', (t) => {
  t.throws(() => decodeRData(RRType.IPSECKEY, Uint8Array.of(10, 3, 2, 0xc0, 0)), { code: 'ERR_WIRE_BAD_POINTER' })
  t.throws(() => decodeRData(RRType.HIP, Uint8Array.of(1, 2, 0, 1, 9, 9, 0xc0, 0)), { code: 'ERR_WIRE_BAD_POINTER' })
  const ipk = from(RRType.IPSECKEY, '10 3 2 GW.Example.TEST. AQID')
  t.deepEqual(canonicalRData(ipk), encodeRData(ipk))
  const hip = from(RRType.HIP, '2 00 AQID RVS.example.test.')
  t.deepEqual(canonicalRData(hip), encodeRData(hip))
})

test('refuses compression pointers in RDATA of newer types', (t) => {
  // RRSIG signer name as a pointer
  const sig = new Uint8Array(20)
  sig.set([0, 1, 8, 1, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0xc0, 0])
  t.throws(() => decodeRData(RRType.RRSIG, sig), { code: 'ERR_WIRE_BAD_POINTER' })
  t.throws(() => decodeRData(RRType.NSEC, Uint8Array.of(0xc0, 0)), { code: 'ERR_WIRE_BAD_POINTER' })
  t.throws(() => decodeRData(RRType.SVCB, Uint8Array.of(0, 1, 0xc0, 0)), { code: 'ERR_WIRE_BAD_POINTER' })
})

test('canonical RDATA lowercases names only for the RFC 4034 §6.2 types (RFC 6840 §5.1)', (t) => {
  const mx = from(RRType.MX, '10 MAIL.Example.TEST.')
  t.deepEqual(canonicalRData(mx), encodeRData(from(RRType.MX, '10 mail.example.test.')))
  const rrsig = from(RRType.RRSIG, 'A 8 2 60 20300101000000 20250101000000 1 EXAMPLE.test. AA==')
  t.deepEqual(canonicalRData(rrsig), encodeRData(from(RRType.RRSIG, 'A 8 2 60 20300101000000 20250101000000 1 example.test. AA==')))
  const rp = from(RRType.RP, 'MBOX.example.test. TXT.example.test.')
  t.deepEqual(canonicalRData(rp), encodeRData(from(RRType.RP, 'mbox.example.test. txt.example.test.')))
  const lp = from(RRType.LP, '1 FQDN.example.test.')
  t.deepEqual(canonicalRData(lp), encodeRData(lp))
  const nsec = from(RRType.NSEC, 'NEXT.example.test. A')
  t.deepEqual(canonicalRData(nsec), encodeRData(nsec))
  const svcb = from(RRType.SVCB, '1 TARGET.example.test.')
  t.deepEqual(canonicalRData(svcb), encodeRData(svcb))
})

test('keeps decoded keys, signatures and unknown data as views into the packet', (t) => {
  const key = encodeRData(from(RRType.DNSKEY, '257 3 8 AwEAAQ=='))
  const d = decodeRData(RRType.DNSKEY, key) as { publicKey: Uint8Array }
  t.is(d.publicKey.buffer, key.buffer)
  const u = decodeRData(65280, key) as { data: Uint8Array }
  t.is(u.data.buffer, key.buffer)
})

testProp('any RDATA survives text: rdataFromText(rdataToText(d)) encodes as d does', [arbRData], (t, d) => {
  const text = rdataToText(d)
  const back = rdataFromText(d.type, tokenize(text), null)
  t.deepEqual(encodeRData(back), encodeRData(d))
  t.is(rdataToText(back), text)
}, { numRuns: 1000 })

testProp('any RDATA round-trips through wire at an offset', [arbRData], (t, d) => {
  const wire = encodeRData(d)
  const big = new Uint8Array(wire.length + 20)
  big.set(wire, 10)
  t.deepEqual(encodeRData(decodeRData(d.type, big, 10, wire.length)), wire)
}, { numRuns: 500 })

test('types parsed without a validating re-encode still reject out-of-range text', (t) => {
  const bad: [number, string][] = [
    [RRType.A, '192.0.2.256'], [RRType.AAAA, '2001:db8::1::2'], [RRType.MX, '65536 mx.example.test.'],
    [RRType.TXT, `"${'x'.repeat(256)}"`], [RRType.HINFO, `"${'x'.repeat(256)}" os`],
    [RRType.DS, '65536 13 2 ' + 'ab'.repeat(32)], [RRType.DS, '1 256 2 ' + 'ab'.repeat(32)], [RRType.DS, '1 13 2 abab'],
  ]
  for (const [type, text] of bad) t.throws(() => from(type, text), { instanceOf: WireFormatError }, `${type} ${text}`)
  t.is(encodeRData(from(RRType.TXT, `"${'x'.repeat(255)}" "\\065"`)).length, 256 + 2)
})

test('encodeRData and canonicalRData return arrays that later calls do not overwrite', (t) => {
  const a = encodeRData(from(RRType.A, '192.0.2.1'))
  const b = canonicalRData(from(RRType.NS, 'NS1.Example.TEST.'))
  encodeRData(from(RRType.A, '198.51.100.7'))
  t.deepEqual([...a], [192, 0, 2, 1])
  t.deepEqual([...b], [3, 0x6e, 0x73, 0x31, 7, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 4, 0x74, 0x65, 0x73, 0x74, 0])
})

testProp('random octets as LOC, CERT, APL, IPSECKEY or HIP RDATA decode or throw WireFormatError; what decodes survives text', [fc.constantFrom(RRType.LOC, RRType.CERT, RRType.APL, RRType.IPSECKEY, RRType.HIP), fc.uint8Array({ maxLength: 80 })], (t, type, bytes) => {
  let d: RData
  try {
    d = decodeRData(type, bytes)
  } catch (e) {
    t.true(e instanceof WireFormatError, String(e))
    return
  }
  t.deepEqual(encodeRData(d), bytes)
  const text = rdataToText(d)
  t.deepEqual(encodeRData(rdataFromText(type, tokenize(text), null)), bytes, text)
}, { numRuns: 2000 })
