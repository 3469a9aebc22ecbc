/**
 * A pool of signing threads (node:worker_threads). The main thread builds the canonical
 * signed data; workers only sign. Jobs are cut into batches and the signatures put back
 * in job order, so the output does not depend on the number of threads.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { DnssecError } from './errors.js'
import type { DnssecKey } from './keys.js'
import type { BatchSigner, SignJob } from './signer.js'
import type { WorkerBatchMessage, WorkerKeysMessage, WorkerReply } from './sign_worker.js'

/** Jobs per batch sent to a worker. */
export const SIGN_BATCH = 512

/** A pool: its {@link BatchSigner} and how to stop it. */
export interface WorkerSigner { sign: BatchSigner, close: () => Promise<void>, threads: number }

/**
 * Start a signing pool.
 *
 * @param opts threads (default: available cores), progress callback
 * @example
 * const pool = createWorkerSigner({ threads: 2 })
 * try { await signZone(records, { ...opts, signer: pool.sign }) } finally { await pool.close() }
 */
export function createWorkerSigner(opts: { threads?: number | undefined, progress?: ((done: number, total: number) => void) | undefined } = {}): WorkerSigner {
  const threads = Math.max(1, opts.threads ?? availableParallelism())
  let workers: Worker[] | null = null
  const start = (): Worker[] => {
    if (workers === null) {
      workers = []
      for (let i = 0; i < threads; i++) workers.push(new Worker(new URL('./sign_worker.js', import.meta.url)))
    }
    return workers
  }
  const sign: BatchSigner = async (keys: readonly DnssecKey[], jobs: readonly SignJob[]) => {
    if (jobs.length === 0) return []
    const ws = start()
    const msg: WorkerKeysMessage = {
      kind: 'keys',
      keys: keys.map((k) => ({ algorithm: k.algorithm, pkcs8: new Uint8Array(k.privateKey!.export({ format: 'der', type: 'pkcs8' })) })),
    }
    for (const w of ws) w.postMessage(msg)
    const out: Uint8Array[] = new Array(jobs.length)
    let next = 0
    let done = 0
    let batchId = 0
    return await new Promise<Uint8Array[]>((resolve, reject) => {
      let failed = false
      let running = 0
      const handlers = new Map<Worker, (r: WorkerReply) => void>()
      const cleanup = () => { for (const [w, h] of handlers) { w.off('message', h); w.off('error', onError) } }
      const onError = (e: Error) => { if (!failed) { failed = true; cleanup(); reject(new DnssecError('ERR_DNSSEC_SIGN_FAILED', `signing thread failed: ${e.message}`, { cause: e })) } }
      const feed = (w: Worker) => {
        if (failed) return
        if (next >= jobs.length) { if (running === 0) { cleanup(); resolve(out) } return }
        const first = next
        const n = Math.min(SIGN_BATCH, jobs.length - first)
        next += n
        let size = 0
        for (let i = 0; i < n; i++) size += jobs[first + i]!.data.length
        const data = new Uint8Array(size)
        const ends = new Uint32Array(n)
        const keyIndex = new Uint16Array(n)
        let o = 0
        for (let i = 0; i < n; i++) { const j = jobs[first + i]!; data.set(j.data, o); o += j.data.length; ends[i] = o; keyIndex[i] = j.keyIndex }
        const id = batchId++
        firsts.set(id, first)
        running++
        const m: WorkerBatchMessage = { kind: 'batch', id, keyIndex, ends, data }
        w.postMessage(m, [data.buffer, ends.buffer, keyIndex.buffer])
      }
      const firsts = new Map<number, number>()
      for (const w of ws) {
        const h = (r: WorkerReply) => {
          running--
          if (r.error !== undefined || r.sigs === undefined || r.ends === undefined) { onError(new Error(r.error ?? 'no reply')); return }
          const first = firsts.get(r.id)!
          firsts.delete(r.id)
          let s = 0
          for (let i = 0; i < r.ends.length; i++) { out[first + i] = r.sigs.subarray(s, r.ends[i]!); s = r.ends[i]! }
          done += r.ends.length
          opts.progress?.(done, jobs.length)
          feed(w)
        }
        handlers.set(w, h)
        w.on('message', h)
        w.on('error', onError)
      }
      for (const w of ws) feed(w)
    })
  }
  const close = async () => {
    if (workers !== null) await Promise.all(workers.map((w) => w.terminate()))
    workers = null
  }
  return { sign, close, threads }
}
