/**
 * The optional native record AEAD (native/record_aead.c): one EVP_CIPHER_CTX per SA, keyed
 * once, and one call per record that sets the nonce, feeds the AAD, runs the payload and
 * writes or checks the ICV. It runs on the OpenSSL 3 inside the node binary.
 *
 * Why: node:crypto has no reusable AEAD context. Every record costs a Cipher or Decipher
 * object, its Buffers, and a C++ crossing for each of setAAD, update, final and
 * getAuthTag — as much CPU as a whole WebSocket message.
 *
 * When the addon was not built, fails to load, or `SECDNS_NATIVE_CRYPTO=0` is set, every
 * transform runs on node:crypto instead; both paths make identical records.
 */
import { createRequire } from 'node:module'

/** An SA handle of the addon (its key schedule lives in C; wiped by `saFree` or when collected). */
export type NativeSaHandle = { readonly __nativeSa: unique symbol }

/** The functions of the addon (see native/record_aead.c for the exact contracts). */
export interface NativeAead {
  saNew(alg: number, encrypt: boolean, key: Uint8Array, salt: Uint8Array): NativeSaHandle
  saFree(sa: NativeSaHandle): void
  recordSeal(sa: NativeSaHandle, out: Uint8Array, payload: Uint8Array, spi: number, seqHi: number, seqLo: number): void
  recordOpen(sa: NativeSaHandle, frame: Uint8Array, out: Uint8Array): boolean
  aeadSeal(alg: number, key: Uint8Array, salt: Uint8Array, iv: Uint8Array, aad: Uint8Array, payload: Uint8Array, out: Uint8Array, offset: number): number
  aeadOpen(alg: number, key: Uint8Array, salt: Uint8Array, iv: Uint8Array, aad: Uint8Array, body: Uint8Array, out: Uint8Array): boolean
  readonly openssl: string
}

/** The addon's algorithm numbers, by transform name. */
export const NATIVE_ALG = { 'AES-256-GCM': 0, 'AES-128-GCM': 1, 'ChaCha20-Poly1305': 2, 'AES-GMAC': 3 } as const

/** Whether the addon loaded, and why not. */
export interface NativeCryptoStatus {
  /** True when the addon is loaded (it may still be switched off with {@link useNativeCrypto}). */
  readonly loaded: boolean
  /** True when new SAs and SK payloads use the addon. */
  readonly enabled: boolean
  /** The OpenSSL the addon runs on, when loaded. */
  readonly openssl?: string
  /** Why the addon is not used, when it is not. */
  readonly reason?: string
}

function load(): { addon?: NativeAead, reason?: string } {
  if (process.env['SECDNS_NATIVE_CRYPTO'] === '0') return { reason: 'disabled by SECDNS_NATIVE_CRYPTO=0' }
  try {
    // dist/src/native.js → packages/channel/build/Release (node-gyp's output).
    const addon = createRequire(import.meta.url)('../../build/Release/secdns_channel.node') as NativeAead
    return { addon }
  } catch (e) {
    return { reason: `addon not loaded: ${(e as Error).message.split('\n')[0]}` }
  }
}

const loaded = load()
let enabled = loaded.addon !== undefined

/** The addon when it is loaded and enabled, else undefined (callers then use node:crypto). */
export function nativeAead(): NativeAead | undefined {
  return enabled ? loaded.addon : undefined
}

/** Whether the native record AEAD is in use, and why not. */
export function nativeCryptoStatus(): NativeCryptoStatus {
  const reason = loaded.reason ?? (enabled ? undefined : 'switched off')
  return {
    loaded: loaded.addon !== undefined, enabled,
    ...(loaded.addon !== undefined ? { openssl: loaded.addon.openssl } : {}),
    ...(reason !== undefined ? { reason } : {}),
  }
}

/**
 * Switch the addon on or off for SAs made from now on (and for SK payloads); SAs made
 * before keep their path. Returns whether it is now in use (false when it is not loaded).
 */
export function useNativeCrypto(on: boolean): boolean {
  enabled = on && loaded.addon !== undefined
  return enabled
}
