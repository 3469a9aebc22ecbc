import test from 'ava'
import { Name, RRType, rdataFromString, type ResourceRecord } from '@secdns/wire'
import { RRsetBatchWriter, eachSignedData } from '../src/sign_batch.js'
import { rrsigSignedData, type RrsigFields } from '../src/rrsig.js'

const origin = Name.fromString('Example.TEST.')
const rr = (owner: string, type: number, text: string): ResourceRecord => ({ name: Name.fromString(owner, origin), class: 1, ttl: 300, data: rdataFromString(type, text, origin) })

test('a batch gives the same signed data as rrsigSignedData: canonical order, duplicates once, names lowercased where RFC 4034 §6.2 says', (t) => {
  const sets: ResourceRecord[][] = [
    [rr('WWW', RRType.MX, '20 Mail2.Example.TEST.'), rr('WWW', RRType.MX, '10 MAIL.example.test.'), rr('WWW', RRType.MX, '20 Mail2.Example.TEST.')],
    [rr('a', RRType.A, '192.0.2.7'), rr('a', RRType.A, '192.0.2.10'), rr('a', RRType.A, '192.0.2.1')],
    [rr('t', RRType.TXT, '"b"'), rr('t', RRType.TXT, '"a" "longer"'), rr('t', RRType.TXT, '"a"')],
    // RFC 6840 §5.1: SVCB/HTTPS names are not lowercased.
    [rr('s', 64, '1 Target.Example.TEST.')],
  ]
  const keys = [{ algorithm: 13, keyTag: 4242 }, { algorithm: 8, keyTag: 7 }]
  const head = { inception: 1_800_000_000, signerWire: origin.canonicalWire() }
  const w = new RRsetBatchWriter(16)
  for (const [i, set] of sets.entries()) {
    w.add(set[0]!.name, set[0]!.data.type, 1, 300, set[0]!.name.labelCount, 1_900_000_000 + i, set.map((r) => r.data), i === 0 ? [0, 1] : [1])
  }
  t.is(w.sigs, 5)
  const got: Array<{ k: number, data: Uint8Array }> = []
  eachSignedData(w.take(), keys, head, (k, data) => { got.push({ k, data: data.slice() }) })
  t.is(w.length, 0)
  const want: Array<{ k: number, data: Uint8Array }> = []
  for (const [i, set] of sets.entries()) {
    for (const k of i === 0 ? [0, 1] : [1]) {
      const f: RrsigFields = {
        typeCovered: set[0]!.data.type, algorithm: keys[k]!.algorithm, labels: set[0]!.name.labelCount, originalTtl: 300,
        expiration: 1_900_000_000 + i, inception: 1_800_000_000, keyTag: keys[k]!.keyTag, signerName: origin,
      }
      want.push({ k, data: rrsigSignedData(f, set) })
    }
  }
  t.deepEqual(got.map((g) => g.k), want.map((g) => g.k))
  for (let i = 0; i < want.length; i++) t.deepEqual(Buffer.from(got[i]!.data).toString('hex'), Buffer.from(want[i]!.data).toString('hex'), `signature ${i}`)
})

test('a malformed batch is refused, not read past its end', (t) => {
  const w = new RRsetBatchWriter()
  w.add(origin, RRType.A, 1, 300, 2, 1, [rdataFromString(RRType.A, '192.0.2.1', origin)], [0])
  const data = w.take()
  t.throws(() => eachSignedData(data.subarray(0, data.length - 2), [{ algorithm: 13, keyTag: 1 }], { inception: 0, signerWire: origin.canonicalWire() }, () => undefined), { message: /overruns the batch/ })
  t.throws(() => eachSignedData(data, [], { inception: 0, signerWire: origin.canonicalWire() }, () => undefined), { message: /key index 0 of 0/ })
})
