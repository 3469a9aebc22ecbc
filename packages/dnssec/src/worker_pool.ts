/**
 * A pool of signing threads (node:worker_threads). The signer hands it RRsets in the
 * compact batch form of sign_batch.ts (transferred, not copied); each thread builds the
 * canonical signed data and signs. (Pre-computed signed data, `sign`, works too.) Batches
 * are queued, handed to idle workers, and the signatures put back in order, so the output
 * does not depend on the number of threads. Several calls may be in flight at once (the
 * signer sends batches while it is still building the rest).
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { DnssecError } from './errors.js'
import type { DnssecKey } from './keys.js'
import { createNativeSigner } from './native_signer.js'
import type { BatchSigner, RRsetBatchSigner, SignJob } from './signer.js'
import type { WorkerBatchMessage, WorkerKeysMessage, WorkerReply, WorkerRRsetsMessage } from './sign_worker.js'

/** Jobs per batch sent to a worker. */
export const SIGN_BATCH = 256

/**
 * Batches handed to one thread at a time: the next ones wait in the thread's own queue, so
 * a thread goes on at once even while this thread is busy (building the next batch,
 * writing the text) and cannot hand it work.
 */
const PER_THREAD = 4

/**
 * A pool: its {@link BatchSigner}, how to stop it, and what signs: the native addon on
 * libuv's thread pool (native_signer.ts) or worker threads.
 */
export interface WorkerSigner { sign: BatchSigner, close: () => Promise<void>, threads: number, kind: 'native' | 'threads' }

interface Batch { msg: WorkerBatchMessage | WorkerRRsetsMessage, transfer: ArrayBuffer[], onDone: (r: WorkerReply) => void }

/**
 * Start a signing pool: the native signer when its addon is built (and not disabled with
 * SECDNS_NATIVE_SIGN=0 or `native: false`), else worker threads. Both give the same output.
 *
 * @param opts threads (default: available cores), progress callback (signatures done so far, total queued), native (default true)
 * @example
 * const pool = createWorkerSigner({ threads: 2 })
 * try { await signZone(records, { ...opts, signer: pool.sign }) } finally { await pool.close() }
 */
export function createWorkerSigner(opts: { threads?: number | undefined, progress?: ((done: number, total: number) => void) | undefined, native?: boolean | undefined } = {}): WorkerSigner {
  if (opts.native !== false) {
    const n = createNativeSigner(opts)
    if (n !== null) return { ...n, kind: 'native' }
  }
  const threads = Math.max(1, opts.threads ?? availableParallelism())
  let workers: Worker[] | null = null
  const idle: Worker[] = []
  const queue: Batch[] = []
  const inFlight = new Map<number, Batch>()
  const busy = new Map<Worker, number>()
  let sentKeys: readonly DnssecKey[] | null = null
  let nextId = 0
  let done = 0
  let queued = 0
  let broken: Error | null = null
  const failAll = (e: Error) => {
    if (broken !== null) return
    broken = e
    const err: WorkerReply = { id: -1, error: e.message }
    for (const b of [...inFlight.values(), ...queue]) b.onDone(err)
    inFlight.clear()
    queue.length = 0
  }
  const pump = () => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!
      const b = queue.shift()!
      inFlight.set(b.msg.id, b)
      // A busy thread keeps the process alive until it answers; an idle one does not.
      const n = busy.get(w) ?? 0
      if (n === 0) w.ref()
      busy.set(w, n + 1)
      w.postMessage(b.msg, b.transfer)
    }
  }
  const start = (): Worker[] => {
    if (workers === null) {
      workers = []
      for (let i = 0; i < threads; i++) {
        const w = new Worker(new URL('./sign_worker.js', import.meta.url))
        w.on('message', (r: WorkerReply) => {
          const b = inFlight.get(r.id)
          inFlight.delete(r.id)
          const n = (busy.get(w) ?? 1) - 1
          busy.set(w, n)
          if (n === 0) w.unref()
          idle.push(w)
          if (b !== undefined) b.onDone(r)
          pump()
        })
        w.on('error', (e: Error) => failAll(e))
        w.unref()
        workers.push(w)
      }
      // Each thread's first batch goes out before any thread's second.
      for (let k = 0; k < PER_THREAD; k++) idle.push(...workers)
    }
    return workers
  }
  const sendKeys = (keys: readonly DnssecKey[]) => {
    if (broken !== null) throw new DnssecError('ERR_DNSSEC_SIGN_FAILED', `signing thread failed: ${(broken as Error).message}`)
    const ws = start()
    if (sentKeys !== keys) {
      const msg: WorkerKeysMessage = {
        kind: 'keys',
        keys: keys.map((k) => ({ algorithm: k.algorithm, pkcs8: new Uint8Array(k.privateKey!.export({ format: 'der', type: 'pkcs8' })) })),
      }
      // Messages to one worker arrive in order, so later batches see these keys.
      for (const w of ws) w.postMessage(msg)
      sentKeys = keys
    }
  }
  const signRRsets: RRsetBatchSigner = async (keys, keyTags, batch, sigs, head) => {
    if (sigs === 0) return []
    sendKeys(keys)
    queued += sigs
    const out = await new Promise<Uint8Array[]>((resolve, reject) => {
      const msg: WorkerRRsetsMessage = { kind: 'rrsets', id: nextId++, data: batch, sigs, keyTags: [...keyTags], inception: head.inception, signerWire: head.signerWire }
      queue.push({
        msg, transfer: [batch.buffer as ArrayBuffer],
        onDone: (r) => {
          if (r.error !== undefined || r.sigs === undefined || r.ends === undefined) { reject(new DnssecError('ERR_DNSSEC_SIGN_FAILED', `signing thread failed: ${r.error ?? 'no reply'}`)); return }
          const list: Uint8Array[] = new Array(r.ends.length)
          let s = 0
          for (let i = 0; i < r.ends.length; i++) { list[i] = r.sigs.subarray(s, r.ends[i]!); s = r.ends[i]! }
          done += r.ends.length
          opts.progress?.(done, queued)
          resolve(list)
        },
      })
      pump()
    })
    return out
  }
  const signJobs = async (keys: readonly DnssecKey[], jobs: readonly SignJob[]) => {
    if (jobs.length === 0) return []
    sendKeys(keys)
    queued += jobs.length
    const out: Uint8Array[] = new Array(jobs.length)
    const parts: Array<Promise<void>> = []
    for (let first = 0; first < jobs.length; first += SIGN_BATCH) {
      const n = Math.min(SIGN_BATCH, jobs.length - first)
      let size = 0
      for (let i = 0; i < n; i++) size += jobs[first + i]!.data.length
      const data = new Uint8Array(size)
      const ends = new Uint32Array(n)
      const keyIndex = new Uint16Array(n)
      let o = 0
      for (let i = 0; i < n; i++) { const j = jobs[first + i]!; data.set(j.data, o); o += j.data.length; ends[i] = o; keyIndex[i] = j.keyIndex }
      const base = first
      parts.push(new Promise<void>((resolve, reject) => {
        queue.push({
          msg: { kind: 'batch', id: nextId++, keyIndex, ends, data }, transfer: [data.buffer, ends.buffer, keyIndex.buffer],
          onDone: (r) => {
            if (r.error !== undefined || r.sigs === undefined || r.ends === undefined) { reject(new DnssecError('ERR_DNSSEC_SIGN_FAILED', `signing thread failed: ${r.error ?? 'no reply'}`)); return }
            let s = 0
            for (let i = 0; i < r.ends.length; i++) { out[base + i] = r.sigs.subarray(s, r.ends[i]!); s = r.ends[i]! }
            done += r.ends.length
            opts.progress?.(done, queued)
            resolve()
          },
        })
      }))
    }
    pump()
    await Promise.all(parts)
    return out
  }
  const sign: BatchSigner = Object.assign(signJobs, { signRRsets })
  // Start the threads now: node and the module graph load on them while the caller reads
  // the zone (unref'd while idle, so an unused pool never keeps the process alive).
  start()
  const close = async () => {
    if (workers !== null) await Promise.all(workers.map((w) => w.terminate()))
    workers = null
    idle.length = 0
    busy.clear()
  }
  return { sign, close, threads, kind: 'threads' }
}
