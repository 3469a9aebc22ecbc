/**
 * The native signer: RRset batches (sign_batch.ts) signed by the secdns_sign addon
 * (native/sign.c) on libuv's thread pool with the OpenSSL the node binary exports. Node 20's
 * node:crypto signs one buffer per call on the calling thread, so using more cores takes
 * worker_threads (each loading the module graph, batches and replies passed as messages);
 * the addon signs a whole batch per call off the main thread instead, with no thread
 * start-up and no copies. When the addon is absent (not built) or SECDNS_NATIVE_SIGN=0,
 * createWorkerSigner uses the worker-thread pool (worker_pool.ts) instead.
 */
import { availableParallelism } from 'node:os'
import { createRequire } from 'node:module'
import type { KeyObject } from 'node:crypto'
import { DnssecError } from './errors.js'
import type { DnssecKey } from './keys.js'
import { signLocally, type BatchSigner, type RRsetBatchSigner, type SignJob } from './signer.js'

/** A key held by the addon (an OpenSSL EVP_PKEY). */
type NativeKey = object

/** What native/sign.c exports. */
export interface NativeSignBinding {
  /** Parse a PKCS#8 DER private key for a DNSSEC algorithm; `der` is wiped. */
  createKey(algorithm: number, der: Uint8Array): NativeKey
  /** Sign an RRset batch on the thread pool; `cb` gets the signatures back to back and their end offsets. */
  signRRsets(keys: NativeKey[], keyTags: number[], inception: number, signerWire: Uint8Array, batch: Uint8Array, sigs: number,
    cb: (err: Error | null, sigs?: Uint8Array, ends?: Uint32Array) => void): void
}

let binding: NativeSignBinding | null | undefined
let loadError = ''

/**
 * The addon, or null when it is not built or SECDNS_NATIVE_SIGN=0 (then {@link nativeSignStatus}
 * says why).
 */
export function nativeSignBinding(): NativeSignBinding | null {
  if (process.env.SECDNS_NATIVE_SIGN === '0') { loadError = 'disabled by SECDNS_NATIVE_SIGN=0'; return null }
  if (binding === undefined) {
    try {
      // dist/src/native_signer.js → packages/dnssec/build/Release
      binding = createRequire(import.meta.url)('../../build/Release/secdns_sign.node') as NativeSignBinding
    } catch (e) {
      binding = null
      loadError = (e as Error).message.split('\n')[0] ?? 'not loaded'
    }
  }
  return binding
}

/** Whether the native signer is used, and if not, why. */
export function nativeSignStatus(): { loaded: boolean, reason: string } {
  const b = nativeSignBinding()
  return b !== null ? { loaded: true, reason: '' } : { loaded: false, reason: loadError }
}

/** The addon's handles of the keys, made once per key object. */
const handles = new WeakMap<KeyObject, NativeKey>()

function handleOf(b: NativeSignBinding, k: DnssecKey): NativeKey {
  const pk = k.privateKey
  if (pk === null) throw new DnssecError('ERR_DNSSEC_SIGN_FAILED', 'cannot sign with a key without its private part')
  let h = handles.get(pk)
  if (h === undefined) {
    // A fresh DER copy of the key, wiped by the addon once parsed.
    h = b.createKey(k.algorithm, pk.export({ format: 'der', type: 'pkcs8' }))
    handles.set(pk, h)
  }
  return h
}

/** A native signer: its {@link BatchSigner} and how to stop it. */
export interface NativeSigner { sign: BatchSigner, close: () => Promise<void>, threads: number }

/**
 * A signer on the addon, or null when the addon is not available.
 *
 * @param opts threads: batches signed at once (default the available cores; libuv's pool has
 *   UV_THREADPOOL_SIZE threads, 4 unless set), progress callback (done, queued)
 */
export function createNativeSigner(opts: { threads?: number | undefined, progress?: ((done: number, total: number) => void) | undefined } = {}): NativeSigner | null {
  const b = nativeSignBinding()
  if (b === null) return null
  const threads = Math.max(1, opts.threads ?? availableParallelism())
  const queue: Array<() => void> = []
  let running = 0
  let done = 0
  let queued = 0
  let closed = false
  const next = (): void => {
    while (running < threads && queue.length > 0) { running++; queue.shift()!() }
  }
  const signRRsets: RRsetBatchSigner = (keys, keyTags, batch, sigs, head) => {
    if (sigs === 0) return Promise.resolve([])
    if (closed) return Promise.reject(new DnssecError('ERR_DNSSEC_SIGN_FAILED', 'the signer is closed'))
    let handlesOf: NativeKey[]
    try { handlesOf = keys.map((k) => handleOf(b, k)) } catch (e) {
      return Promise.reject(e instanceof DnssecError ? e : new DnssecError('ERR_DNSSEC_SIGN_FAILED', `native signer: ${(e as Error).message}`, { cause: e }))
    }
    queued += sigs
    return new Promise<Uint8Array[]>((resolve, reject) => {
      queue.push(() => {
        try {
          b.signRRsets(handlesOf, [...keyTags], head.inception >>> 0, head.signerWire, batch, sigs, (err, out, ends) => {
            running--
            next()
            if (err !== null || out === undefined || ends === undefined) {
              reject(new DnssecError('ERR_DNSSEC_SIGN_FAILED', `native signer: ${err?.message ?? 'no reply'}`))
              return
            }
            const list: Uint8Array[] = new Array(ends.length)
            let s = 0
            for (let i = 0; i < ends.length; i++) { list[i] = out.subarray(s, ends[i]!); s = ends[i]! }
            done += ends.length
            opts.progress?.(done, queued)
            resolve(list)
          })
        } catch (e) {
          running--
          reject(new DnssecError('ERR_DNSSEC_SIGN_FAILED', `native signer: ${(e as Error).message}`, { cause: e }))
          next()
        }
      })
      next()
    })
  }
  // Pre-computed signed data (a caller's own jobs, not the signer's batches): this thread.
  const signJobs = (keys: readonly DnssecKey[], jobs: readonly SignJob[]): Promise<Uint8Array[]> => {
    try { return Promise.resolve(signLocally(keys, jobs)) } catch (e) { return Promise.reject(e) }
  }
  const sign: BatchSigner = Object.assign(signJobs, { signRRsets })
  const close = async (): Promise<void> => { closed = true }
  return { sign, close, threads }
}
