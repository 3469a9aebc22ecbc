import test from 'ava'
import { Name, RRType, rdataFromString, type ResourceRecord } from '@secdns/wire'
import { createWorkerSigner } from '../src/worker_pool.js'
import { signZone } from '../src/signer.js'
import { createKey } from '../src/keys.js'
import { verifyZone } from '../src/verify.js'

const origin = Name.fromString('example.test.')
const NOW = 1_800_000_000
function zone(n: number): ResourceRecord[] {
  const out: ResourceRecord[] = [{ name: origin, class: 1, ttl: 3600, data: rdataFromString(RRType.SOA, 'ns1 hostmaster 1 7200 3600 1209600 300', origin) }]
  for (let i = 0; i < n; i++) out.push({ name: Name.fromString(`h${i}`, origin), class: 1, ttl: 3600, data: rdataFromString(RRType.A, `192.0.2.${i % 250}`, origin) })
  return out
}

test('signing on 1, 2 and 3 threads gives identical output with deterministic algorithms', async (t) => {
  const keys = [createKey('example.test', 15, { ksk: true, now: NOW - 10 }).key, createKey('example.test', 8, { bits: 1024, now: NOW - 10 }).key, createKey('example.test', 8, { bits: 1024, now: NOW - 10 }).key]
  const z = zone(300)
  const single = await signZone(z, { origin, keys, now: NOW })
  for (const threads of [2, 3]) {
    const pool = createWorkerSigner({ threads, native: false })
    try {
      const multi = await signZone(z, { origin, keys, now: NOW, signer: pool.sign })
      t.deepEqual(multi.records, single.records, `${threads} threads`)
    } finally { await pool.close() }
  }
})

test('a zone larger than one streamed chunk signs identically on threads (Ed25519)', async (t) => {
  const keys = [createKey('example.test', 15, { ksk: true, now: NOW - 10 }).key, createKey('example.test', 15, { now: NOW - 10 }).key]
  const z = zone(1600)
  const single = await signZone(z, { origin, keys, now: NOW })
  t.true(single.stats.signatures > 2048 + 512)
  const pool = createWorkerSigner({ threads: 2, native: false })
  try {
    const multi = await signZone(z, { origin, keys, now: NOW, signer: pool.sign })
    t.deepEqual(multi.records, single.records)
  } finally { await pool.close() }
})

test('ECDSA signatures made on threads verify (they differ by their random part only)', async (t) => {
  const keys = [createKey('example.test', 13, { ksk: true, now: NOW - 10 }).key, createKey('example.test', 13, { now: NOW - 10 }).key]
  const pool = createWorkerSigner({ threads: 2, native: false })
  let progressed = 0
  try {
    const res = await signZone(zone(600), { origin, keys, now: NOW, signer: pool.sign })
    t.deepEqual(verifyZone(res.records, { origin, now: NOW }).errors, [])
  } finally { await pool.close() }
  const pool2 = createWorkerSigner({ threads: 2, native: false, progress: (d) => { progressed = d } })
  try {
    const res = await signZone(zone(10), { origin, keys, now: NOW, signer: pool2.sign })
    t.is(progressed, res.stats.signatures)
  } finally { await pool2.close() }
})
