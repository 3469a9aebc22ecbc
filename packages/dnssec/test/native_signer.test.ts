import test from 'ava'
import { Name, RRType, rdataFromString, type ResourceRecord } from '@secdns/wire'
import { createNativeSigner, nativeSignBinding, nativeSignStatus, type NativeSignBinding } from '../src/native_signer.js'
import { createWorkerSigner } from '../src/worker_pool.js'
import { signZone } from '../src/signer.js'
import { createKey } from '../src/keys.js'
import { verifyZone } from '../src/verify.js'
import { RRsetBatchWriter } from '../src/sign_batch.js'

const origin = Name.fromString('example.test.')
const NOW = 1_800_000_000
const TIMES = { now: NOW, inception: NOW - 3600, expiration: NOW + 30 * 86400 }

function zone(n: number): ResourceRecord[] {
  const out: ResourceRecord[] = [{ name: origin, class: 1, ttl: 3600, data: rdataFromString(RRType.SOA, 'ns1 hostmaster 1 7200 3600 1209600 300', origin) }]
  for (let i = 0; i < n; i++) {
    const name = Name.fromString(`H${i}`, origin)
    out.push({ name, class: 1, ttl: 3600, data: rdataFromString(RRType.A, `192.0.2.${i % 250}`, origin) })
    // A multi-record RRset with a duplicate: canonical order and duplicates once (RFC 4034 §6.3).
    if (i % 7 === 0) {
      for (const mx of ['20 Mail2', '10 mail1', '10 mail1']) out.push({ name, class: 1, ttl: 3600, data: rdataFromString(RRType.MX, mx, origin) })
    }
  }
  return out
}

/** The addon; the tests that need it fail (not skip) when it is missing under CI. */
function addon(t: { log: (m: string) => void }): NativeSignBinding | null {
  const b = nativeSignBinding()
  if (b === null) t.log(`native signer not loaded: ${nativeSignStatus().reason}`)
  return b
}

test('the native signer is loaded (under CI=true it must be) and createWorkerSigner picks it', async (t) => {
  const s = nativeSignStatus()
  if (process.env.CI === 'true') t.true(s.loaded, `the native signer did not load under CI: ${s.reason}`)
  const pool = createWorkerSigner({ threads: 2 })
  try { t.is(pool.kind, s.loaded ? 'native' : 'threads') } finally { await pool.close() }
  const threads = createWorkerSigner({ threads: 1, native: false })
  try { t.is(threads.kind, 'threads') } finally { await threads.close() }
})

test('SECDNS_NATIVE_SIGN=0 turns the native signer off', async (t) => {
  const before = process.env.SECDNS_NATIVE_SIGN
  process.env.SECDNS_NATIVE_SIGN = '0'
  let pool
  try {
    pool = createWorkerSigner({ threads: 1 })
    t.is(createNativeSigner(), null)
    t.deepEqual(nativeSignStatus(), { loaded: false, reason: 'disabled by SECDNS_NATIVE_SIGN=0' })
  } finally {
    if (before === undefined) delete process.env.SECDNS_NATIVE_SIGN; else process.env.SECDNS_NATIVE_SIGN = before
  }
  try { t.is(pool.kind, 'threads') } finally { await pool.close() }
})

// RSA (PKCS#1 v1.5) and EdDSA signatures are deterministic: the native signer's output must
// equal this thread's and the worker threads' byte for byte.
for (const [alg, bits] of [[8, 1024], [5, 1024], [10, 1024], [15, 0], [16, 0]] as const) {
  test(`algorithm ${alg}: native output is byte-identical to this thread's and the worker threads'`, async (t) => {
    const b = addon(t)
    t.true(b !== null || process.env.CI !== 'true', 'the native signer must be built under CI')
    const opts = bits === 0 ? {} : { bits }
    const keys = [createKey('example.test', alg, { ...opts, ksk: true, now: NOW - 10 }).key, createKey('example.test', alg, { ...opts, now: NOW - 10 }).key]
    const z = zone(alg === 8 ? 400 : 60)
    const local = await signZone(z, { origin, keys, ...TIMES })
    for (const native of [true, false]) {
      const pool = createWorkerSigner({ threads: 2, native })
      try {
        const res = await signZone(z, { origin, keys, ...TIMES, signer: pool.sign })
        t.deepEqual(res.records, local.records, `${pool.kind}`)
      } finally { await pool.close() }
    }
    t.deepEqual(verifyZone(local.records, { origin, now: NOW }).errors, [])
  })
}

for (const alg of [13, 14]) {
  test(`algorithm ${alg}: native ECDSA signatures are r||s and verify`, async (t) => {
    const b = addon(t)
    t.true(b !== null || process.env.CI !== 'true', 'the native signer must be built under CI')
    const keys = [createKey('example.test', alg, { ksk: true, now: NOW - 10 }).key, createKey('example.test', alg, { now: NOW - 10 }).key]
    const pool = createWorkerSigner({ threads: 2 })
    try {
      const res = await signZone(zone(300), { origin, keys, ...TIMES, signer: pool.sign })
      t.deepEqual(verifyZone(res.records, { origin, now: NOW }).errors, [])
      const sizes = new Set(res.records.filter((r) => r.data.type === RRType.RRSIG).map((r) => (r.data as { signature: Uint8Array }).signature.length))
      t.deepEqual([...sizes], [alg === 13 ? 64 : 96])
    } finally { await pool.close() }
  })
}

/** One RRset batch of an A RRset at www.example.test. signed by key 0. */
function oneBatch(): { data: Uint8Array, sigs: number } {
  const w = new RRsetBatchWriter()
  w.add(Name.fromString('www.example.test.'), RRType.A, 1, 300, 3, NOW + 86400, [rdataFromString(RRType.A, '192.0.2.1', origin)], [0])
  const sigs = w.sigs
  return { data: w.take(), sigs }
}

function signRaw(b: NativeSignBinding, keys: object[], tags: number[], batch: Uint8Array, sigs: number): Promise<{ sigs: Uint8Array, ends: Uint32Array }> {
  return new Promise((resolve, reject) => {
    b.signRRsets(keys, tags, NOW, origin.canonicalWire(), batch, sigs, (err, s, e) => { if (err !== null) reject(err); else resolve({ sigs: s!, ends: e! }) })
  })
}

test('attack: malformed batches are refused with an error, never a crash', async (t) => {
  const b = addon(t)
  if (b === null) { t.not(process.env.CI, 'true'); return }
  const k = createKey('example.test', 15, { now: NOW - 10 }).key
  const h = b.createKey(15, k.privateKey!.export({ format: 'der', type: 'pkcs8' }))
  const { data, sigs } = oneBatch()
  t.is((await signRaw(b, [h], [1], data, sigs)).ends.length, 1)
  // Every truncation of a valid batch: an overrun is reported, never read past the end.
  for (let cut = 1; cut < data.length; cut++) {
    await t.throwsAsync(signRaw(b, [h], [1], data.slice(0, cut), sigs), { message: /^malformed RRset batch: .* overruns the batch at \d+ of \d+$|^RRset batch held 0 signatures, 1 announced$/ }, `cut at ${cut}`)
  }
  // A key index beyond the keys given.
  const badKey = data.slice(); badKey[1] = 7
  await t.throwsAsync(signRaw(b, [h], [1], badKey, sigs), { message: 'malformed RRset batch: key index 7 of 1' })
  // More signatures than announced, and fewer.
  await t.throwsAsync(signRaw(b, [h], [1], data, 0), { message: 'RRset batch holds more than the 0 signatures announced' })
  await t.throwsAsync(signRaw(b, [h], [1], data, 2), { message: 'RRset batch held 1 signatures, 2 announced' })
  // An absurd signature count cannot make the addon allocate for it.
  await t.throwsAsync(signRaw(b, [h], [1], data, 0xffffffff), { message: `malformed RRset batch: 4294967295 signatures announced in ${data.length} bytes` })
  // An RRset without records.
  const empty = data.slice(0, data.length - 2 - 4); empty.set([0, 0], empty.length - 2)
  await t.throwsAsync(signRaw(b, [h], [1], empty, 1), { message: 'malformed RRset batch: an RRset without records' })
  // Random bytes: an error or (by chance) signatures, the process stays up.
  let seed = 7
  const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 24 }
  for (let i = 0; i < 200; i++) {
    const junk = Uint8Array.from({ length: 1 + (i % 97) }, rnd)
    await signRaw(b, [h], [1], junk, 1 + (i % 3)).then(() => undefined, (e: Error) => { t.regex(e.message, /batch/) })
  }
  // Bad arguments are refused at the call.
  t.throws(() => { b.signRRsets([{}], [1], NOW, origin.canonicalWire(), data, 1, () => undefined) }, { message: 'keys must come from createKey' })
  t.throws(() => { b.signRRsets([h], [70000], NOW, origin.canonicalWire(), data, 1, () => undefined) }, { message: 'key tags must be 16-bit numbers' })
  t.throws(() => { b.signRRsets([h], [1, 2], NOW, origin.canonicalWire(), data, 1, () => undefined) }, { message: 'keyTags must be an array as long as keys' })
  t.throws(() => { b.signRRsets([h], [1], NOW, new Uint8Array(256), data, 1, () => undefined) }, { message: 'signerWire must be a Uint8Array of 1 to 255 octets' })
})

test('attack: createKey wipes the key bytes it is given and refuses a key of another algorithm', (t) => {
  const b = addon(t)
  if (b === null) { t.not(process.env.CI, 'true'); return }
  const ec = createKey('example.test', 13, { now: NOW - 10 }).key
  const der = new Uint8Array(ec.privateKey!.export({ format: 'der', type: 'pkcs8' }))
  t.true(der.some((x) => x !== 0))
  b.createKey(13, der)
  t.true(der.every((x) => x === 0), 'the DER copy is wiped')
  // A P-256 key offered as P-384, RSA or Ed25519; and not a key at all (wiped too).
  for (const alg of [14, 8, 15, 99]) {
    t.throws(() => b.createKey(alg, ec.privateKey!.export({ format: 'der', type: 'pkcs8' })), { message: `createKey: the key does not fit DNSSEC algorithm ${alg}` })
  }
  const junk = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])
  t.throws(() => b.createKey(13, junk), { message: 'createKey: not a PKCS#8 private key' })
  t.deepEqual([...junk], [0, 0, 0, 0, 0])
})
