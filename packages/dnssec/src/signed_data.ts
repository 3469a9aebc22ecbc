/**
 * The reading side of an RRset batch (the form sign_batch.ts writes and documents): the
 * RRSIG signed data of each RRset for each of its keys. Kept apart from the writer so a
 * signing thread loads no @secdns/wire, only this.
 */

/** What a signing thread needs of a key for the signed data: its algorithm and published key tag. */
export interface BatchKey { readonly algorithm: number, readonly keyTag: number }

/** The per-zone RRSIG fields of a batch. */
export interface BatchHeader {
  /** RRSIG inception (32-bit RRSIG time). */
  readonly inception: number
  /** The signer's name (the zone apex), lowercased wire form (RFC 6840 §5.1). */
  readonly signerWire: Uint8Array
}

/** Compares two RDATA held in one buffer as left-justified octet strings (RFC 4034 §6.3). */
function compareAt(d: Uint8Array, a: number, alen: number, b: number, blen: number): number {
  const n = alen < blen ? alen : blen
  for (let i = 0; i < n; i++) {
    const x = d[a + i]! - d[b + i]!
    if (x !== 0) return x
  }
  return alen - blen
}

let scratch = new Uint8Array(4096)

/**
 * Walk a batch: for each RRset and each of its keys, the RRSIG signed data (RFC 4034
 * §3.1.8.1: the RRSIG RDATA without the signature, then the RRset's RRs in canonical form
 * and order, duplicates once). The signed data is a view of a buffer reused for the next
 * call of `fn`: use it (sign it, copy it) before returning.
 *
 * @param data the batch
 * @param keys the batch keys (algorithm, key tag)
 * @param fn called once per signature, in batch order
 * @throws {Error} on a malformed batch
 */
export function eachSignedData(data: Uint8Array, keys: readonly BatchKey[], head: BatchHeader, fn: (keyIndex: number, signed: Uint8Array) => void): void {
  const d = data
  const signer = head.signerWire
  const inc = head.inception >>> 0
  let p = 0
  const offs: number[] = []
  const lens: number[] = []
  const order: number[] = []
  while (p < d.length) {
    const nk = d[p]!
    const kp = p + 1
    p = kp + nk
    const type = (d[p]! << 8) | d[p + 1]!
    const klass = (d[p + 2]! << 8) | d[p + 3]!
    const ttl = ((d[p + 4]! << 24) | (d[p + 5]! << 16) | (d[p + 6]! << 8) | d[p + 7]!) >>> 0
    const labels = d[p + 8]!
    const exp = ((d[p + 9]! << 24) | (d[p + 10]! << 16) | (d[p + 11]! << 8) | d[p + 12]!) >>> 0
    p += 13
    const olen = d[p]!
    const owner = p + 1
    p = owner + olen
    const count = (d[p]! << 8) | d[p + 1]!
    p += 2
    offs.length = 0; lens.length = 0; order.length = 0
    for (let i = 0; i < count; i++) {
      const len = (d[p]! << 8) | d[p + 1]!
      offs.push(p + 2); lens.push(len); order.push(i)
      p += 2 + len
    }
    if (p > d.length) throw new Error(`malformed RRset batch: RRset overruns the batch at ${p} of ${d.length}`)
    if (count > 1) order.sort((a, b) => compareAt(d, offs[a]!, lens[a]!, offs[b]!, lens[b]!))
    // Size of the signed data: header, signer, then each distinct RR.
    let size = 18 + signer.length
    let prev = -1
    for (const i of order) {
      if (prev >= 0 && compareAt(d, offs[prev]!, lens[prev]!, offs[i]!, lens[i]!) === 0) continue
      size += olen + 10 + lens[i]!
      prev = i
    }
    if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2))
    const s = scratch
    s[0] = type >> 8; s[1] = type; s[3] = labels
    s[4] = ttl >>> 24; s[5] = ttl >>> 16; s[6] = ttl >>> 8; s[7] = ttl
    s[8] = exp >>> 24; s[9] = exp >>> 16; s[10] = exp >>> 8; s[11] = exp
    s[12] = inc >>> 24; s[13] = inc >>> 16; s[14] = inc >>> 8; s[15] = inc
    s.set(signer, 18)
    let o = 18 + signer.length
    prev = -1
    for (const i of order) {
      if (prev >= 0 && compareAt(d, offs[prev]!, lens[prev]!, offs[i]!, lens[i]!) === 0) continue
      prev = i
      s.set(d.subarray(owner, owner + olen), o); o += olen
      s[o] = type >> 8; s[o + 1] = type; s[o + 2] = klass >> 8; s[o + 3] = klass
      s[o + 4] = ttl >>> 24; s[o + 5] = ttl >>> 16; s[o + 6] = ttl >>> 8; s[o + 7] = ttl
      const len = lens[i]!
      s[o + 8] = len >> 8; s[o + 9] = len
      o += 10
      s.set(d.subarray(offs[i]!, offs[i]! + len), o); o += len
    }
    const signed = s.subarray(0, size)
    for (let k = 0; k < nk; k++) {
      const ki = d[kp + k]!
      const key = keys[ki]
      if (key === undefined) throw new Error(`malformed RRset batch: key index ${ki} of ${keys.length}`)
      s[2] = key.algorithm
      s[16] = key.keyTag >> 8; s[17] = key.keyTag
      fn(ki, signed)
    }
  }
}
