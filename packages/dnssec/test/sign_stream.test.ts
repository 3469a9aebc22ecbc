import test from 'ava'
import { createHash, createPrivateKey } from 'node:crypto'
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Name } from '@secdns/wire'
import { encodeDnskeyPublicKey, signBytes } from '../src/algorithms.js'
import { keyFromParts, type DnssecKey } from '../src/keys.js'
import { eachSignedData } from '../src/sign_batch.js'
import { signZoneFile, readZone } from '../src/sign_file.js'
import { signZone, type BatchSigner, type RRsetBatchSigner } from '../src/signer.js'
import { createWorkerSigner } from '../src/worker_pool.js'
import type { Nsec3Params } from '../src/nsec3.js'

const origin = Name.fromString('bench.test.')
const NOW = 1_800_000_000
const TIMES = { now: NOW, inception: NOW - 3600, expiration: NOW + 30 * 86400 }

/** Ed25519 keys from fixed seeds, so the signed output is the same in every run. */
function seededKeys(): DnssecKey[] {
  const timing = { created: NOW - 10, publish: NOW - 10, activate: NOW - 10 }
  return ([[257, 1], [256, 2]] as const).map(([flags, fill]) => {
    const pk = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, fill)]), format: 'der', type: 'pkcs8' })
    return keyFromParts('bench.test', flags, 15, encodeDnskeyPublicKey(15, pk), pk, timing)
  })
}

/** 3,000 names with delegations (every other one with DS), glue, an empty non-terminal, a two-record set. */
async function zoneFile(): Promise<{ dir: string, file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-stream-'))
  const lines = ['$ORIGIN bench.test.', '$TTL 3600', '@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300', '@ IN NS ns1', '@ IN NS ns2', 'ns1 IN A 192.0.2.1', 'ns2 IN A 192.0.2.2', '@ IN MX 10 mail', 'mail IN A 192.0.2.4', 'mail IN A 192.0.2.3', 'a.b.c IN TXT "ent"', 'x.y IN NS ns.x.y', 'ns.x.y IN A 192.0.2.9']
  for (let i = 0; i < 3000; i++) {
    if (i % 10 === 9) {
      lines.push(`d${i} IN NS ns.d${i}`, `ns.d${i} IN A 10.0.${i >> 8}.${i & 255}`)
      if (i % 20 === 19) lines.push(`d${i} IN DS ${i} 13 2 ${'ab'.repeat(32)}`)
    } else {
      lines.push(`h${i} IN A 10.1.${i >> 8}.${i & 255}`)
      if (i % 3 === 0) lines.push(`h${i} IN AAAA 2001:db8::${i.toString(16)}`)
    }
  }
  const file = join(dir, 'z.zone')
  await writeFile(file, lines.join('\n') + '\n')
  return { dir, file }
}

const CASES: ReadonlyArray<{ name: string, nsec3?: Nsec3Params, sha256: string }> = [
  // Digests of the output of the signer that wrote the text only after every signature
  // was back (commit 36e5450): writing as signatures arrive must not change a byte.
  { name: 'nsec', sha256: 'c9f4401bd8a160f46b1b9869f9781bb39730b72307a5dec693a2c2aa81a9526a' },
  { name: 'nsec3', nsec3: { hashAlgorithm: 1, iterations: 1, salt: new Uint8Array([0xab, 0xcd]), optOut: false }, sha256: 'c30ab028da98791d253593c249471e6144d288aaa0d3f89ba9653257d9227f39' },
  { name: 'nsec3-optout', nsec3: { hashAlgorithm: 1, iterations: 0, salt: new Uint8Array(0), optOut: true }, sha256: '0efc38cb5f221b80c90f8e29bbc6955db0f4277d1234c4e7f899bb6fb1585e20' },
]

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex')

test('the streamed output is byte-identical to the signer\'s earlier output, native and on 1 and 2 worker threads and on this thread', async (t) => {
  const keys = seededKeys()
  const { dir, file } = await zoneFile()
  for (const c of CASES) {
    const extra = c.nsec3 === undefined ? {} : { nsec3: c.nsec3 }
    // 0: this thread; then the native signer (when built) and the worker-thread pool.
    for (const [threads, native] of [[0, false], [1, true], [2, true], [1, false], [2, false]] as const) {
      const out = join(dir, `${c.name}.${threads}.${native}`)
      const pool = threads === 0 ? null : createWorkerSigner({ threads, native })
      try {
        await signZoneFile(file, { origin, keys, ...TIMES, out, ...extra, ...(pool === null ? {} : { signer: pool.sign }) })
      } finally { await pool?.close() }
      t.is(sha256(await readFile(out)), c.sha256, `${c.name}, ${threads} threads${native ? ', native' : ''}`)
    }
  }
})

/** A signer on this thread whose last batch is held back until released. */
function heldSigner(): { sign: BatchSigner, batches: () => number, release: () => void } {
  let count = 0
  let release = (): void => undefined
  const held = new Promise<void>((resolve) => { release = resolve })
  const signRRsets: RRsetBatchSigner = async (ks, keyTags, batch, _sigs, head) => {
    count++
    const out: Uint8Array[] = []
    eachSignedData(batch, ks.map((k, i) => ({ algorithm: k.algorithm, keyTag: keyTags[i]! })), head, (ki, data) => {
      out.push(signBytes(ks[ki]!.algorithm, ks[ki]!.privateKey!, data))
    })
    // Every batch after the first waits: only the text before them can be written.
    if (count > 1) await held
    return out
  }
  const sign: BatchSigner = Object.assign(async () => { throw new Error('only RRset batches expected') }, { signRRsets })
  return { sign, batches: () => count, release }
}

test('text is handed to the output before the later signatures are back', async (t) => {
  const keys = seededKeys()
  const { file } = await zoneFile()
  for (const c of CASES) {
    const held = heldSigner()
    const pieces: string[] = []
    let early = ''
    const done = signZone(readZone(file, origin), {
      origin, keys, ...TIMES, ...(c.nsec3 === undefined ? {} : { nsec3: c.nsec3 }), signer: held.sign,
      output: async (text) => { pieces.push(text) },
    })
    // Wait until the signer has handed over every batch and the writer has run up to the held ones.
    for (let i = 0; i < 200 && pieces.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    early = pieces.join('')
    held.release()
    const res = await done
    t.true(held.batches() > 2, `${c.name}: several batches`)
    // The first batch (the apex, the first owners) is signed: its text was written while the others were held.
    t.true(early.length > 0, `${c.name}: text written while signatures were outstanding`)
    t.true(early.startsWith('bench.test. 3600 IN SOA '), c.name)
    t.is(sha256(pieces.join('')), c.sha256, `${c.name}: the pieces make the whole zone`)
    t.is(res.stats.signatures > 0, true)
  }
})

test('a failing output stops signing with its error and leaves no temp file behind signZoneFile', async (t) => {
  const keys = seededKeys()
  const { dir, file } = await zoneFile()
  const pool = createWorkerSigner({ threads: 2 })
  try {
    const err = new Error('ENOSPC: no space left on device')
    let calls = 0
    await t.throwsAsync(signZone(readZone(file, origin), {
      origin, keys, ...TIMES, signer: pool.sign,
      output: async () => { calls++; throw err },
    }), { is: err })
    t.is(calls, 1)
    // Through signZoneFile: an output file that cannot be created fails before any signing.
    const out = join(dir, 'missing-dir', 'z.signed')
    await t.throwsAsync(signZoneFile(file, { origin, keys, ...TIMES, out, signer: pool.sign }), { code: 'ERR_DNSSEC_WRITE_FAILED', message: new RegExp(`cannot write ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`) })
    t.deepEqual((await readdir(dir)).filter((f) => f.includes('.tmp-')), [])
  } finally { await pool.close() }
})

test('keepRecords: false writes the same file and keeps no records', async (t) => {
  const keys = seededKeys()
  const { dir, file } = await zoneFile()
  const pool = createWorkerSigner({ threads: 2 })
  try {
    for (const c of CASES) {
      const out = join(dir, `${c.name}.dropped`)
      const res = await signZoneFile(file, { origin, keys, ...TIMES, out, keepRecords: false, signer: pool.sign, ...(c.nsec3 === undefined ? {} : { nsec3: c.nsec3 }) })
      t.is(sha256(await readFile(out)), c.sha256, c.name)
      t.deepEqual(res.records, [])
      t.true(res.stats.signatures > 0)
    }
  } finally { await pool.close() }
})
