/**
 * Worker thread of the signing pool: holds the signing keys and signs batches of
 * pre-computed RRSIG signed data (loaded from the compiled dist JS by worker_pool.ts).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import { signBytes } from './algorithms.js'

/** Message from the pool: install keys. */
export interface WorkerKeysMessage { kind: 'keys', keys: Array<{ algorithm: number, pkcs8: Uint8Array }> }
/** Message from the pool: a batch; `data` holds the jobs back to back, `ends[i]` the end offset of job i. */
export interface WorkerBatchMessage { kind: 'batch', id: number, keyIndex: Uint16Array, ends: Uint32Array, data: Uint8Array }
/** Reply: signatures back to back with their end offsets, or an error. */
export interface WorkerReply { id: number, ends?: Uint32Array, sigs?: Uint8Array, error?: string }

let keys: Array<{ algorithm: number, key: KeyObject }> = []

parentPort?.on('message', (m: WorkerKeysMessage | WorkerBatchMessage) => {
  if (m.kind === 'keys') {
    keys = m.keys.map((k) => ({ algorithm: k.algorithm, key: createPrivateKey({ key: Buffer.from(k.pkcs8), format: 'der', type: 'pkcs8' }) }))
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
