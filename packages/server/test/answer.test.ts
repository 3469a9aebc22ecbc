import test from 'ava'
import { fileURLToPath } from 'node:url'
import { Name, RRType, Rcode, createQuery, EdnsOption, type Message, type Nsec, type Nsec3, type Rrsig, type ResourceRecord, fromBase32Hex, decodeMessage } from '@secdns/wire'
import { loadZoneFile, loadZoneText } from '@secdns/zone'
import { nsec3Hash } from '@secdns/dnssec'
import { answer, encodeResponse, type AnswerContext } from '../src/answer.js'
import { ServedZone, ZoneTable } from '../src/served_zone.js'
import { Acl } from '../src/acl.js'

const fixture = (f: string): string => fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url))

function served(file: string): ServedZone {
  const r = loadZoneFile(fixture(file), { origin: 'example.test' })
  if (r.errors.length > 0) throw r.errors[0]
  return new ServedZone(r.zone)
}

const nsecZone = served('example.test.nsec.signed')
const nsec3Zone = served('example.test.nsec3.signed')
const plainZone = served('example.test.zone')
const optOutZone = served('example.test.nsec3-optout.signed')

function ctxFor(z: ServedZone, extra: Partial<AnswerContext> = {}): AnswerContext {
  return { zones: new ZoneTable([z]), requester: { address: '127.0.0.1' }, transport: 'udp', udpPayload: 1232, ...extra }
}

function ask(z: ServedZone, name: string, type: number, opts: { do?: boolean, extra?: Partial<AnswerContext>, edit?: (m: Message) => void } = {}): Message {
  const q = createQuery(Name.fromString(name), type, { rd: false, dnssecOk: opts.do ?? false })
  opts.edit?.(q)
  return answer(q, ctxFor(z, opts.extra)).response
}

const types = (rrs: readonly ResourceRecord[]): number[] => rrs.map((r) => r.data.type)
const ofType = (rrs: readonly ResourceRecord[], t: number): ResourceRecord[] => rrs.filter((r) => r.data.type === t)

function nsecCovers(rr: ResourceRecord, name: Name): boolean {
  const next = (rr.data as Nsec).nextDomainName
  const owner = rr.name
  if (owner.compare(next) < 0) return owner.compare(name) < 0 && name.compare(next) < 0
  return owner.compare(name) < 0 || name.compare(next) < 0 // last NSEC wraps to the apex
}

function cmp(a: Uint8Array, b: Uint8Array): number { return Buffer.compare(a, b) }

function nsec3Relation(rr: ResourceRecord, name: Name): 'matches' | 'covers' | 'none' {
  const d = rr.data as Nsec3
  const h = nsec3Hash(name, d.salt, d.iterations)
  const owner = fromBase32Hex(rr.name.toString().split('.')[0]!, 'owner')
  if (cmp(owner, h) === 0) return 'matches'
  const next = d.nextHashedOwnerName
  if (cmp(owner, next) < 0) return cmp(owner, h) < 0 && cmp(h, next) < 0 ? 'covers' : 'none'
  return cmp(owner, h) < 0 || cmp(h, next) < 0 ? 'covers' : 'none'
}

test('a positive answer is authoritative and carries RRSIGs only when DO is set', (t) => {
  const plain = ask(nsecZone, 'www.example.test.', RRType.A)
  t.true(plain.flags.aa)
  t.true(plain.flags.qr)
  t.is(plain.rcode, Rcode.NOERROR)
  t.deepEqual(types(plain.answer), [RRType.A])
  const signed = ask(nsecZone, 'www.example.test.', RRType.A, { do: true })
  t.deepEqual(types(signed.answer), [RRType.A, RRType.RRSIG])
  t.is((signed.answer[1]!.data as Rrsig).typeCovered, RRType.A)
  t.true(signed.edns!.dnssecOk)
})

test('the query name keeps its case in the question and the answer owner', (t) => {
  const r = ask(nsecZone, 'WwW.ExAmple.TEST.', RRType.A)
  t.is(r.question[0]!.name.toString(), 'WwW.ExAmple.TEST.')
  t.is(r.answer[0]!.name.toString(), 'WwW.ExAmple.TEST.')
})

test('NXDOMAIN with DO carries the signed SOA and NSECs covering the name and the wildcard', (t) => {
  const r = ask(nsecZone, 'nope.example.test.', RRType.A, { do: true })
  t.is(r.rcode, Rcode.NXDOMAIN)
  t.true(r.flags.aa)
  const soa = ofType(r.authority, RRType.SOA)
  t.is(soa.length, 1)
  t.true(r.authority.some((x) => x.data.type === RRType.RRSIG && (x.data as Rrsig).typeCovered === RRType.SOA))
  const nsecs = ofType(r.authority, RRType.NSEC)
  t.true(nsecs.some((n) => nsecCovers(n, Name.fromString('nope.example.test.'))))
  t.true(nsecs.some((n) => nsecCovers(n, Name.fromString('*.example.test.'))))
  t.is(r.authority.filter((x) => x.data.type === RRType.RRSIG && (x.data as Rrsig).typeCovered === RRType.NSEC).length, nsecs.length)
})

test('NXDOMAIN without DO has the SOA and no DNSSEC records', (t) => {
  const r = ask(nsecZone, 'nope.example.test.', RRType.A)
  t.deepEqual(types(r.authority), [RRType.SOA])
})

test('NODATA with DO carries the NSEC of the name, whose bitmap lacks the type', (t) => {
  const r = ask(nsecZone, 'www.example.test.', RRType.TXT, { do: true })
  t.is(r.rcode, Rcode.NOERROR)
  t.is(r.answer.length, 0)
  const nsec = ofType(r.authority, RRType.NSEC)
  t.is(nsec.length, 1)
  t.true(nsec[0]!.name.equals(Name.fromString('www.example.test.')))
  t.false((nsec[0]!.data as Nsec).types.includes(RRType.TXT))
})

test('NODATA at an empty non-terminal is proved by the covering NSEC', (t) => {
  const r = ask(nsecZone, 'b.c.example.test.', RRType.A, { do: true })
  t.is(r.rcode, Rcode.NOERROR)
  const nsec = ofType(r.authority, RRType.NSEC)
  t.is(nsec.length, 1)
  t.true(nsecCovers(nsec[0]!, Name.fromString('b.c.example.test.')))
})

test('a wildcard answer is renamed to the query name, signed with the wildcard labels count, and proved with an NSEC', (t) => {
  const q = Name.fromString('x.wild.example.test.')
  const r = ask(nsecZone, 'x.wild.example.test.', RRType.A, { do: true })
  t.is(r.rcode, Rcode.NOERROR)
  t.true(r.answer[0]!.name.equals(q))
  const sig = r.answer.find((x) => x.data.type === RRType.RRSIG)!
  t.true(sig.name.equals(q))
  t.is((sig.data as Rrsig).labels, 3) // wild.example.test: fewer than the 4 labels of the query name
  const nsec = ofType(r.authority, RRType.NSEC)
  t.is(nsec.length, 1)
  t.true(nsecCovers(nsec[0]!, q))
})

test('wildcard NODATA carries the NSEC covering the name and the one matching the wildcard', (t) => {
  const r = ask(nsecZone, 'x.wild.example.test.', RRType.MX, { do: true })
  t.is(r.rcode, Rcode.NOERROR)
  t.is(r.answer.length, 0)
  const nsec = ofType(r.authority, RRType.NSEC)
  t.true(nsec.some((n) => nsecCovers(n, Name.fromString('x.wild.example.test.'))))
  t.true(nsec.some((n) => n.name.equals(Name.fromString('*.wild.example.test.')) && !(n.data as Nsec).types.includes(RRType.MX)))
})

test('a referral is not authoritative and has NS, the signed DS and glue', (t) => {
  const r = ask(nsecZone, 'host.sub.example.test.', RRType.A, { do: true })
  t.false(r.flags.aa)
  t.is(r.answer.length, 0)
  t.deepEqual(types(r.authority), [RRType.NS, RRType.DS, RRType.RRSIG])
  t.deepEqual(types(r.additional), [RRType.A])
  t.true(r.additional[0]!.name.equals(Name.fromString('ns.sub.example.test.')))
})

test('an insecure referral proves the absence of DS with the NSEC at the cut', (t) => {
  const r = ask(nsecZone, 'www.insecure.example.test.', RRType.A, { do: true })
  t.false(r.flags.aa)
  const nsec = ofType(r.authority, RRType.NSEC)
  t.is(nsec.length, 1)
  t.true(nsec[0]!.name.equals(Name.fromString('insecure.example.test.')))
  t.false((nsec[0]!.data as Nsec).types.includes(RRType.DS))
  t.true((nsec[0]!.data as Nsec).types.includes(RRType.NS))
})

test('a DS query at a cut is answered authoritatively from the parent side', (t) => {
  const r = ask(nsecZone, 'sub.example.test.', RRType.DS, { do: true })
  t.true(r.flags.aa)
  t.deepEqual(types(r.answer), [RRType.DS, RRType.RRSIG])
})

test('CNAME chains inside the zone are followed, each link signed', (t) => {
  const r = ask(nsecZone, 'chain.example.test.', RRType.A, { do: true })
  t.deepEqual(types(r.answer), [RRType.CNAME, RRType.RRSIG, RRType.CNAME, RRType.RRSIG, RRType.A, RRType.RRSIG])
  const out = ask(nsecZone, 'out.example.test.', RRType.A)
  t.deepEqual(types(out.answer), [RRType.CNAME])
  t.is(out.rcode, Rcode.NOERROR)
})

test('a DNAME answer has the signed DNAME, an unsigned synthesized CNAME and the target data', (t) => {
  const r = ask(nsecZone, 'www.dn.example.test.', RRType.A, { do: true })
  t.deepEqual(types(r.answer), [RRType.DNAME, RRType.RRSIG, RRType.CNAME, RRType.A, RRType.RRSIG])
  t.true(r.answer[2]!.name.equals(Name.fromString('www.dn.example.test.')))
})

test('NSEC3 NXDOMAIN proves the closest encloser, covers the next closer name and the wildcard', (t) => {
  const r = ask(nsec3Zone, 'a.nope.example.test.', RRType.A, { do: true })
  t.is(r.rcode, Rcode.NXDOMAIN)
  const n3 = ofType(r.authority, RRType.NSEC3)
  t.is(n3.length, 3)
  t.true(n3.some((x) => nsec3Relation(x, Name.fromString('example.test.')) === 'matches'))
  t.true(n3.some((x) => nsec3Relation(x, Name.fromString('nope.example.test.')) === 'covers'))
  t.true(n3.some((x) => nsec3Relation(x, Name.fromString('*.example.test.')) === 'covers'))
  t.is(ofType(r.authority, RRType.NSEC).length, 0)
})

test('NSEC3 NODATA carries the NSEC3 matching the name', (t) => {
  const r = ask(nsec3Zone, 'www.example.test.', RRType.TXT, { do: true })
  const n3 = ofType(r.authority, RRType.NSEC3)
  t.is(n3.length, 1)
  t.is(nsec3Relation(n3[0]!, Name.fromString('www.example.test.')), 'matches')
  t.false((n3[0]!.data as Nsec3).types.includes(RRType.TXT))
})

test('an NSEC3 wildcard answer covers the next closer name', (t) => {
  const r = ask(nsec3Zone, 'x.y.wild.example.test.', RRType.TXT, { do: true })
  t.deepEqual(types(r.answer), [RRType.TXT, RRType.RRSIG])
  const n3 = ofType(r.authority, RRType.NSEC3)
  t.is(n3.length, 1)
  t.is(nsec3Relation(n3[0]!, Name.fromString('y.wild.example.test.')), 'covers')
})

test('NSEC3 wildcard NODATA proves the closest encloser and matches the wildcard', (t) => {
  const r = ask(nsec3Zone, 'x.wild.example.test.', RRType.MX, { do: true })
  const n3 = ofType(r.authority, RRType.NSEC3)
  t.true(n3.some((x) => nsec3Relation(x, Name.fromString('wild.example.test.')) === 'matches'))
  t.true(n3.some((x) => nsec3Relation(x, Name.fromString('x.wild.example.test.')) === 'covers'))
  t.true(n3.some((x) => nsec3Relation(x, Name.fromString('*.wild.example.test.')) === 'matches'))
})

test('an NSEC3 insecure referral carries the NSEC3 matching the cut without DS', (t) => {
  const r = ask(nsec3Zone, 'www.insecure.example.test.', RRType.A, { do: true })
  const n3 = ofType(r.authority, RRType.NSEC3)
  t.is(n3.length, 1)
  t.is(nsec3Relation(n3[0]!, Name.fromString('insecure.example.test.')), 'matches')
  t.false((n3[0]!.data as Nsec3).types.includes(RRType.DS))
})

test('an unsigned zone answers DO queries without DNSSEC records', (t) => {
  const r = ask(plainZone, 'nope.example.test.', RRType.A, { do: true })
  t.is(r.rcode, Rcode.NXDOMAIN)
  t.deepEqual(types(r.authority), [RRType.SOA])
})

test('a name outside every zone is REFUSED', (t) => {
  const r = ask(nsecZone, 'www.other.test.', RRType.A)
  t.is(r.rcode, Rcode.REFUSED)
  t.false(r.flags.aa)
})

test('an unknown opcode gets NOTIMP and a second EDNS version gets BADVERS', (t) => {
  t.is(ask(nsecZone, 'www.example.test.', RRType.A, { edit: (m) => { m.opcode = 3 } }).rcode, Rcode.NOTIMP)
  const r = ask(nsecZone, 'www.example.test.', RRType.A, { edit: (m) => { m.edns!.version = 1 } })
  t.is(r.rcode, Rcode.BADVERS)
  t.is(r.edns!.version, 0)
  t.is(r.answer.length, 0)
})

test('a query with two questions or an OPT question gets FORMERR', (t) => {
  t.is(ask(nsecZone, 'www.example.test.', RRType.A, { edit: (m) => { m.question.push(m.question[0]!) } }).rcode, Rcode.FORMERR)
  t.is(ask(nsecZone, 'www.example.test.', RRType.OPT).rcode, Rcode.FORMERR)
})

test('ANY is answered with one RRset (RFC 8482)', (t) => {
  const r = ask(nsecZone, 'example.test.', RRType.ANY, { do: true })
  t.deepEqual(types(r.answer), [RRType.A, RRType.RRSIG])
})

test('NSID is returned only when asked and configured; unknown options are not echoed', (t) => {
  const nsid = new Uint8Array(Buffer.from('ns-test'))
  const r = ask(nsecZone, 'www.example.test.', RRType.A, {
    extra: { nsid },
    edit: (m) => { m.edns!.options.push({ code: EdnsOption.NSID, data: new Uint8Array(0) }, { code: 65001, data: new Uint8Array([1, 2]) }) },
  })
  t.deepEqual(r.edns!.options.map((o) => o.code), [EdnsOption.NSID])
  t.is(Buffer.from(r.edns!.options[0]!.data).toString(), 'ns-test')
  t.deepEqual(ask(nsecZone, 'www.example.test.', RRType.A, { extra: { nsid } }).edns!.options, [])
})

test('a client cookie is answered with the client cookie and a 16-octet server cookie', (t) => {
  const client = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
  const r = ask(nsecZone, 'www.example.test.', RRType.A, {
    extra: { cookieSecret: new Uint8Array(16).fill(7), now: 1_790_000_000 },
    edit: (m) => { m.edns!.options.push({ code: EdnsOption.COOKIE, data: client }) },
  })
  const c = r.edns!.options.find((o) => o.code === EdnsOption.COOKIE)!
  t.is(c.data.length, 24)
  t.deepEqual([...c.data.subarray(0, 8)], [...client])
})

test('a query from outside the query ACL is REFUSED', (t) => {
  const r = ask(nsecZone, 'www.example.test.', RRType.A, { extra: { queryAcl: new Acl(['10.0.0.0/8']) } })
  t.is(r.rcode, Rcode.REFUSED)
})

test('an IXFR over UDP is answered with the current SOA', (t) => {
  const r = ask(nsecZone, 'example.test.', RRType.IXFR)
  t.deepEqual(types(r.answer), [RRType.SOA])
})

test('with NSEC3 opt-out, an insecure referral carries the closest provable encloser proof and an opt-out NSEC3 covering the cut', (t) => {
  const r = ask(optOutZone, 'www.insecure.example.test.', RRType.A, { do: true })
  t.false(r.flags.aa)
  const n3 = ofType(r.authority, RRType.NSEC3)
  t.is(n3.length, 2)
  t.true(n3.some((x) => nsec3Relation(x, Name.fromString('example.test.')) === 'matches'))
  const cover = n3.find((x) => nsec3Relation(x, Name.fromString('insecure.example.test.')) === 'covers')!
  t.is((cover.data as Nsec3).flags & 1, 1)
})

test('with NSEC3 opt-out, a secure delegation still carries its signed DS', (t) => {
  const r = ask(optOutZone, 'host.sub.example.test.', RRType.A, { do: true })
  t.deepEqual(types(r.authority), [RRType.NS, RRType.DS, RRType.RRSIG])
})

test('an MX answer carries the exchange\'s address in additional, with its RRSIG under DO', (t) => {
  const plain = ask(nsecZone, 'example.test.', RRType.MX)
  t.deepEqual(types(plain.additional), [RRType.A])
  t.true(plain.additional[0]!.name.equals(Name.fromString('mail.example.test.')))
  const signed = ask(nsecZone, 'example.test.', RRType.MX, { do: true })
  t.deepEqual(types(signed.additional), [RRType.A, RRType.RRSIG])
  t.is((signed.additional[1]!.data as Rrsig).typeCovered, RRType.A)
})

test('an NS answer carries A and AAAA of the in-zone name servers once each; ANY adds nothing', (t) => {
  const r = ask(plainZone, 'example.test.', RRType.NS)
  const names = r.additional.map((x) => `${x.name.toString()}/${x.data.type}`)
  t.deepEqual(names.sort(), ['ns1.example.test./1', 'ns2.example.test./1', 'ns2.example.test./28'])
  t.deepEqual(ask(plainZone, 'example.test.', RRType.ANY).additional, [])
})

test('an MX whose exchange is outside the zone gets no additional records', (t) => {
  const z = new ServedZone(loadZoneText('$ORIGIN mx.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n@ MX 10 mail.elsewhere.test.\n', { origin: 'mx.test' }).zone)
  t.deepEqual(ask(z, 'mx.test.', RRType.MX).additional, [])
})

function bigReferralZone(inBailiwick: boolean): ServedZone {
  const lines = ['$ORIGIN big.test.', '$TTL 300', '@ SOA ns hm 1 2 3 4 5', '@ NS ns', 'ns A 192.0.2.1']
  for (let i = 0; i < 13; i++) {
    const host = inBailiwick ? `ns${i}.sub` : `ns${i}`
    lines.push(`sub NS ${host}`, `${host} A 192.0.2.${10 + i}`, `${host} AAAA 2001:db8::${10 + i}`)
  }
  const r = loadZoneText(lines.join('\n') + '\n', { origin: 'big.test' })
  if (r.errors.length > 0) throw r.errors[0]
  return new ServedZone(r.zone)
}

test('a referral whose in-bailiwick glue does not fit 512 octets is sent with TC (RFC 9471)', (t) => {
  const z = bigReferralZone(true)
  const q = createQuery(Name.fromString('host.sub.big.test.'), RRType.A, { rd: false })
  const { response, info } = answer(q, ctxFor(z))
  t.is(info.requiredAdditional, 26)
  t.is(response.additional.length, 26)
  const wire = decodeMessage(encodeResponse(response, 512, info.requiredAdditional))
  t.true(wire.flags.tc)
  t.is(wire.authority.length, 13)
  t.false(decodeMessage(encodeResponse(response, 65535, info.requiredAdditional)).flags.tc)
})

test('a referral whose out-of-bailiwick glue does not fit is sent without TC and with fewer addresses', (t) => {
  const z = bigReferralZone(false)
  const q = createQuery(Name.fromString('host.sub.big.test.'), RRType.A, { rd: false })
  const { response, info } = answer(q, ctxFor(z))
  t.is(info.requiredAdditional, 0)
  t.is(response.additional.length, 26)
  const wire = decodeMessage(encodeResponse(response, 512, info.requiredAdditional))
  t.false(wire.flags.tc)
  t.true(wire.additional.length < 26)
})

test('an SRV answer carries the in-zone target\'s A and AAAA in additional', (t) => {
  const z = new ServedZone(loadZoneText('$ORIGIN srv.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n_ldap._tcp SRV 0 100 389 dc1\ndc1 A 192.0.2.10\ndc1 AAAA 2001:db8::10\n', { origin: 'srv.test' }).zone)
  const r = ask(z, '_ldap._tcp.srv.test.', RRType.SRV)
  t.deepEqual(types(r.additional), [RRType.A, RRType.AAAA])
  t.true(r.additional.every((x) => x.name.equals(Name.fromString('dc1.srv.test.'))))
})
