import test from 'ava'
import { Name, RRType, rdataFromString, type Dnskey, type ResourceRecord, type Rrsig } from '@secdns/wire'
import { signRRset, verifyRrsig, dnskeyOf, dsOf, dsOfDnskey, rrsigSignedData } from '../src/rrsig.js'
import { createKey, keyFromParts } from '../src/keys.js'
import { privateKeyFromRaw, signBytes } from '../src/algorithms.js'

// Examples from RFC 6605 §6.1/§6.2 and RFC 8080 §6.1: keys, RRsets and signatures as
// printed there (the RFC 8080 values as corrected by its verified Errata ID 4935).
const rr = (owner: string, ttl: number, type: number, text: string): ResourceRecord => ({ name: Name.fromString(owner), class: 1, ttl, data: rdataFromString(type, text, Name.fromString(owner)) })
const key = (owner: string, text: string) => ({ owner: Name.fromString(owner), data: rdataFromString(RRType.DNSKEY, text) as Dnskey })
const sig = (text: string) => rdataFromString(RRType.RRSIG, text) as Rrsig
const at = (s: string) => Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12), +s.slice(12, 14)) / 1000

test('RFC 6605 §6.1 and §6.2 example RRSIGs verify', (t) => {
  const a = [rr('www.example.net.', 3600, RRType.A, '192.0.2.1')]
  const k256 = key('example.net.', '257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==')
  const s256 = sig('A 13 3 3600 20100909100439 20100812100439 55648 example.net. qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==')
  t.is(verifyRrsig(a, s256, k256, at('20100901000000')), null)
  const k384 = key('example.net.', '257 3 14 xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40')
  const s384 = sig('A 14 3 3600 20100909102025 20100812102025 10771 example.net. /L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm')
  t.is(verifyRrsig(a, s384, k384, at('20100901000000')), null)
  t.is(verifyRrsig(a, s384, k384, at('20100910000000')), 'expired')
  t.is(verifyRrsig(a, s384, k384, at('20100801000000')), 'not-yet-valid')
  t.is(verifyRrsig([rr('www.example.net.', 3600, RRType.A, '192.0.2.2')], s256, k256, at('20100901000000')), 'bad-signature')
  t.is(verifyRrsig(a, s256, k384, at('20100901000000')), 'key-mismatch')
})

test('RFC 8080 §6.1 Ed25519 examples: signing the MX RRset with the RFC private keys gives the RFC signatures exactly', (t) => {
  const mx = [rr('example.com.', 3600, RRType.MX, '10 mail.example.com.')]
  const cases = [
    { priv: 'ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=', pub: 'l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=', tag: 3613,
      printed: 'oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==' },
    { priv: 'DSSF3o0s0f+ElWzj9E/Osxw8hLpk55chkmx0LYN5WiY=', pub: 'zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=', tag: 35217,
      printed: 'zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQoSm5poJ7gD7AQR0O7KuI5k2pcBg==' },
  ]
  for (const c of cases) {
    const dk = key('example.com.', `257 3 15 ${c.pub}`)
    const fields = { typeCovered: RRType.MX, algorithm: 15, labels: 2, originalTtl: 3600, expiration: 1440021600, inception: 1438207200, keyTag: c.tag, signerName: Name.fromString('example.com.') }
    const mine = signBytes(15, privateKeyFromRaw(15, Buffer.from(c.priv, 'base64')), rrsigSignedData(fields, mx))
    t.is(verifyRrsig(mx, { type: RRType.RRSIG, ...fields, signature: mine }, dk, 1439000000), null)
    // Ed25519 is deterministic (RFC 8032 §5.1.6): ours is byte for byte the RFC's.
    t.is(Buffer.from(mine).toString('base64'), c.printed)
    t.is(verifyRrsig(mx, { type: RRType.RRSIG, ...fields, signature: Buffer.from(c.printed, 'base64') }, dk, 1439000000), null)
  }
})

test('signRRset makes a signature verifyRrsig accepts, for every algorithm', (t) => {
  const origin = Name.fromString('example.test.')
  for (const alg of [5, 7, 8, 10, 13, 14, 15]) {
    const { key: k } = createKey('example.test', alg, { bits: alg <= 10 ? 1024 : undefined, now: 1000 })
    const set = [rr('www.example.test.', 300, RRType.A, '192.0.2.1'), rr('WWW.example.test.', 300, RRType.A, '192.0.2.2')]
    const s = signRRset(set, k, { signer: origin, inception: 1000, expiration: 5000, now: 1000 })
    t.is(s.data.labels, 3)
    t.is(s.data.keyTag, k.keyTag)
    t.is(verifyRrsig([...set].reverse(), s.data, { owner: origin, data: dnskeyOf(k, 1000) }, 2000), null)
  }
})

test('a wildcard RRSIG has labels one less and verifies an expanded answer', (t) => {
  const origin = Name.fromString('example.test.')
  const { key: k } = createKey('example.test', 13, { now: 1000 })
  const s = signRRset([rr('*.example.test.', 300, RRType.TXT, '"hi"')], k, { signer: origin, inception: 1000, expiration: 5000, now: 1000 })
  t.is(s.data.labels, 2)
  t.is(verifyRrsig([rr('a.b.example.test.', 300, RRType.TXT, '"hi"')], s.data, { owner: origin, data: dnskeyOf(k, 1000) }, 2000), null)
})

test('a revoked key signs with the revoked key tag', (t) => {
  const origin = Name.fromString('example.test.')
  const { key: k } = createKey('example.test', 13, { ksk: true, now: 1000, timing: { revoke: 1500 } })
  const s = signRRset([rr('example.test.', 300, RRType.A, '192.0.2.1')], k, { signer: origin, inception: 1500, expiration: 5000, now: 1600 })
  t.not(s.data.keyTag, k.keyTag)
  t.is(dnskeyOf(k, 1600).flags, 385)
  t.is(verifyRrsig([rr('example.test.', 300, RRType.A, '192.0.2.1')], s.data, { owner: origin, data: dnskeyOf(k, 1600) }, 2000), null)
})

test('DS of a key equals DS of its DNSKEY record (RFC 4034 §5.4 example)', (t) => {
  const dk = rdataFromString(RRType.DNSKEY, '256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==') as Dnskey
  const ds = dsOfDnskey(Name.fromString('dskey.example.com.'), dk, 1)
  t.is(ds.keyTag, 60485)
  t.is(Buffer.from(ds.digest).toString('hex').toUpperCase(), '2BB183AF5F22588179A53B0A98631FAD1A292118')
  const k = keyFromParts('dskey.example.com', 256, 5, dk.publicKey, null, { created: 0, publish: 0, activate: 0 })
  t.deepEqual(dsOf(k, 1, 10), ds)
})

import { testProp, fc } from '@fast-check/ava'

testProp('verifyRrsig never throws on random signatures and public keys', [fc.constantFrom(5, 7, 8, 10, 13, 14, 15), fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 })], (t, alg, sigBytes, keyBytes) => {
  const origin = Name.fromString('example.test.')
  const set = [rr('www.example.test.', 300, RRType.A, '192.0.2.1')]
  const dk = { owner: origin, data: { type: RRType.DNSKEY, flags: 256, protocol: 3, algorithm: alg, publicKey: keyBytes } as Dnskey }
  const tag = ((): number => { let ac = 0; const r = [1, 0, 3, alg, ...keyBytes]; for (let i = 0; i < r.length; i++) ac += (i & 1) ? r[i]! : r[i]! << 8; ac += (ac >>> 16) & 0xffff; return ac & 0xffff })()
  const s: Rrsig = { type: RRType.RRSIG, typeCovered: RRType.A, algorithm: alg, labels: 3, originalTtl: 300, expiration: 2000, inception: 1000, keyTag: tag, signerName: origin, signature: sigBytes }
  t.not(verifyRrsig(set, s, dk, 1500), null)
}, { numRuns: 300 })
