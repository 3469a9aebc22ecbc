/**
 * Worker thread of the signing pool: holds the signing keys and signs batches: RRsets in
 * the compact form of sign_batch.ts (it builds their canonical signed data itself), or
 * pre-computed RRSIG signed data (loaded from the compiled dist JS by worker_pool.ts).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import { signBytes } from './algorithms.js'
import { eachSignedData } from './signed_data.js'

/** Message from the pool: install keys. */
export interface WorkerKeysMessage { kind: 'keys', keys: Array<{ algorithm: number, pkcs8: Uint8Array }> }
/** Message from the pool: a batch; `data` holds the jobs back to back, `ends[i]` the end offset of job i. */
export interface WorkerBatchMessage { kind: 'batch', id: number, keyIndex: Uint16Array, ends: Uint32Array, data: Uint8Array }
/**
 * Message from the pool: RRsets in the batch form of sign_batch.ts; the thread builds
 * the canonical signed data itself. `keyTags[i]` is the published tag of key i.
 */
export interface WorkerRRsetsMessage { kind: 'rrsets', id: number, data: Uint8Array, sigs: number, keyTags: number[], inception: number, signerWire: Uint8Array }
/** Reply: signatures back to back with their end offsets, or an error. */
export interface WorkerReply { id: number, ends?: Uint32Array, sigs?: Uint8Array, error?: string }

let keys: Array<{ algorithm: number, key: KeyObject }> = []

/** Sign an RRset batch: the signatures back to back and their end offsets, in batch order. */
function signRRsets(m: WorkerRRsetsMessage): WorkerReply {
  const batchKeys = keys.map((k, i) => ({ algorithm: k.algorithm, keyTag: m.keyTags[i] ?? 0 }))
  const ends = new Uint32Array(m.sigs)
  // Signature sizes are known per algorithm except RSA (the modulus): grow as needed.
  let sigs = new Uint8Array(m.sigs * 72 + 64)
  let o = 0
  let n = 0
  eachSignedData(m.data, batchKeys, m, (ki, signed) => {
    const k = keys[ki]!
    const s = signBytes(k.algorithm, k.key, signed)
    if (o + s.length > sigs.length) { const b = new Uint8Array(Math.max(sigs.length * 2, o + s.length)); b.set(sigs.subarray(0, o)); sigs = b }
    sigs.set(s, o)
    o += s.length
    if (n >= ends.length) throw new Error(`RRset batch holds more than the ${ends.length} signatures announced`)
    ends[n++] = o
  })
  if (n !== ends.length) throw new Error(`RRset batch held ${n} signatures, ${ends.length} announced`)
  return { id: m.id, ends, sigs: sigs.slice(0, o) }
}

parentPort?.on('message', (m: WorkerKeysMessage | WorkerBatchMessage | WorkerRRsetsMessage) => {
  if (m.kind === 'keys') {
    keys = m.keys.map((k) => ({ algorithm: k.algorithm, key: createPrivateKey({ key: Buffer.from(k.pkcs8), format: 'der', type: 'pkcs8' }) }))
    return
  }
  if (m.kind === 'rrsets') {
    try {
      const reply = signRRsets(m)
      parentPort!.postMessage(reply, [reply.sigs!.buffer as ArrayBuffer, reply.ends!.buffer as ArrayBuffer])
    } catch (e) {
      const reply: WorkerReply = { id: m.id, error: (e as Error).message }
      parentPort!.postMessage(reply)
    }
    return
  }
  try {
    const out: Uint8Array[] = []
    let total = 0
    let start = 0
    for (let i = 0; i < m.ends.length; i++) {
      const k = keys[m.keyIndex[i]!]!
      const s = signBytes(k.algorithm, k.key, m.data.subarray(start, m.ends[i]!))
      start = m.ends[i]!
      out.push(s)
      total += s.length
    }
    const sigs = new Uint8Array(total)
    const ends = new Uint32Array(out.length)
    let o = 0
    for (let i = 0; i < out.length; i++) { sigs.set(out[i]!, o); o += out[i]!.length; ends[i] = o }
    const reply: WorkerReply = { id: m.id, ends, sigs }
    parentPort!.postMessage(reply, [sigs.buffer, ends.buffer])
  } catch (e) {
    const reply: WorkerReply = { id: m.id, error: (e as Error).message }
    parentPort!.postMessage(reply)
  }
})
