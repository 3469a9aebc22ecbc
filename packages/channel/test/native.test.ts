// The native record AEAD and its node:crypto fallback: identical records, each opens the
// other's, the same refusals with the same codes on both paths, key wiping on delete, and
// an addon that survives malformed arguments. Tests that switch the path are serial (the
// switch is process-wide) and switch it back before they end.
import test from 'ava'
import { fc } from '@fast-check/ava'
import { randomBytes } from 'node:crypto'
import { ChannelError } from '../src/errors.js'
import { InboundSa, OutboundSa, RECORD_HEADER_OCTETS, RECORD_OVERHEAD } from '../src/esp.js'
import { TRANSFORMS, seal, open, ICV_OCTETS, type TransformName, type DirectionKey } from '../src/transforms.js'
import { nativeAead, nativeCryptoStatus, useNativeCrypto, NATIVE_ALG } from '../src/native.js'
import { connect } from '../src/client.js'
import { pki, startServer, clientOptions, dnsQuery } from './helpers.js'

const NAMES = Object.keys(TRANSFORMS) as TransformName[]
const DISABLED = process.env['SECDNS_NATIVE_CRYPTO'] === '0'
const SPI = 0x1234abcd

/** Run `fn` with the native path on or off, and restore the default afterwards. */
function withPath<T>(native: boolean, fn: () => T): T {
  const was = nativeCryptoStatus().enabled
  useNativeCrypto(native)
  try { return fn() } finally { useNativeCrypto(was) }
}

function keyOf(name: TransformName): DirectionKey {
  return { key: randomBytes(TRANSFORMS[name].keyOctets), salt: randomBytes(4) }
}

const out = (native: boolean, name: TransformName, k: DirectionKey) => withPath(native, () => new OutboundSa(SPI, TRANSFORMS[name], k, 1000, 1e9, 0))
const inb = (native: boolean, name: TransformName, k: DirectionKey) => withPath(native, () => new InboundSa(SPI, TRANSFORMS[name], k, 64))

test('the addon is loaded (under CI it must be: a silent fallback there is a defect), unless SECDNS_NATIVE_CRYPTO=0', (t) => {
  const s = nativeCryptoStatus()
  if (DISABLED) {
    t.false(s.loaded)
    t.false(s.enabled)
    t.is(s.reason, 'disabled by SECDNS_NATIVE_CRYPTO=0')
    t.false(new OutboundSa(SPI, TRANSFORMS['AES-256-GCM'], keyOf('AES-256-GCM'), 10, 1e6, 0).native)
    return
  }
  if (process.env['CI'] === 'true') t.true(s.loaded, `native record AEAD not loaded under CI: ${s.reason ?? ''}`)
  if (!s.loaded) { t.log(`native addon absent: ${s.reason ?? ''}`); t.true(s.reason?.startsWith('addon not loaded')); return }
  t.true(s.enabled)
  t.regex(s.openssl ?? '', /^OpenSSL 3\./)
  t.true(new OutboundSa(SPI, TRANSFORMS['AES-256-GCM'], keyOf('AES-256-GCM'), 10, 1e6, 0).native)
  t.true(new InboundSa(SPI, TRANSFORMS['AES-GMAC'], keyOf('AES-GMAC'), 64).native)
})

test.serial('switching the path decides which SAs use the addon', (t) => {
  t.false(withPath(false, () => new OutboundSa(SPI, TRANSFORMS['AES-128-GCM'], keyOf('AES-128-GCM'), 10, 1e6, 0).native))
  t.false(withPath(false, () => nativeCryptoStatus().enabled))
  t.is(withPath(false, () => nativeCryptoStatus().reason), DISABLED ? 'disabled by SECDNS_NATIVE_CRYPTO=0' : nativeCryptoStatus().loaded ? 'switched off' : nativeCryptoStatus().reason)
  t.is(withPath(true, () => new OutboundSa(SPI, TRANSFORMS['AES-128-GCM'], keyOf('AES-128-GCM'), 10, 1e6, 0).native), nativeCryptoStatus().loaded)
})

for (const name of NAMES) {
  test.serial(`${name}: native and node:crypto records are identical and each opens the other's`, (t) => {
    const k = keyOf(name)
    const [no, fo] = [out(true, name, k), out(false, name, k)]
    const [ni, fi] = [inb(true, name, k), inb(false, name, k)]
    for (const size of [0, 1, 15, 16, 17, 512, 1500, 4096]) {
      const payload = randomBytes(size)
      const a = no.seal(payload), b = fo.seal(payload)
      t.is(a.length, size + RECORD_OVERHEAD)
      t.deepEqual(Buffer.from(a), Buffer.from(b), `record of ${size} octets`)
      t.deepEqual(Buffer.from(ni.open(b)), payload)
      t.deepEqual(Buffer.from(fi.open(a)), payload)
      if (TRANSFORMS[name].encrypts && size >= 16) t.notDeepEqual(Buffer.from(a.subarray(RECORD_HEADER_OCTETS, RECORD_HEADER_OCTETS + size)), payload)
    }
    t.is(ni.packets, 8)
    t.is(fi.packets, 8)
  })

  test.serial(`${name}: SK-payload seal/open agree on both paths`, (t) => {
    const k = keyOf(name)
    for (const size of [0, 5, 300]) {
      const iv = randomBytes(8), aad = randomBytes(28), payload = randomBytes(size)
      const a = Buffer.alloc(size + ICV_OCTETS + 3), b = Buffer.alloc(size + ICV_OCTETS + 3)
      t.is(withPath(true, () => seal(TRANSFORMS[name], k, iv, aad, payload, a, 3)), size + ICV_OCTETS)
      t.is(withPath(false, () => seal(TRANSFORMS[name], k, iv, aad, payload, b, 3)), size + ICV_OCTETS)
      t.deepEqual(a, b)
      t.deepEqual(Buffer.from(withPath(true, () => open(TRANSFORMS[name], k, iv, aad, b.subarray(3)))), payload)
      t.deepEqual(Buffer.from(withPath(false, () => open(TRANSFORMS[name], k, iv, aad, a.subarray(3)))), payload)
      for (const native of [true, false]) {
        const badAad = Buffer.from(aad); badAad[0]! ^= 1
        t.throws(() => withPath(native, () => open(TRANSFORMS[name], k, iv, badAad, a.subarray(3))), { code: 'ERR_CHANNEL_INTEGRITY' })
        const badIv = Buffer.from(iv); badIv[7]! ^= 1
        t.throws(() => withPath(native, () => open(TRANSFORMS[name], k, badIv, aad, a.subarray(3))), { code: 'ERR_CHANNEL_INTEGRITY' })
        const badTag = Buffer.from(a.subarray(3)); badTag[badTag.length - 1]! ^= 1
        t.throws(() => withPath(native, () => open(TRANSFORMS[name], k, iv, aad, badTag)), { code: 'ERR_CHANNEL_INTEGRITY' })
        t.throws(() => withPath(native, () => open(TRANSFORMS[name], k, iv, aad, a.subarray(3, 3 + ICV_OCTETS - 1))), { code: 'ERR_CHANNEL_TRUNCATED' })
      }
    }
  })

  for (const native of [true, false]) {
    const path = native ? 'native' : 'node:crypto'
    test.serial(`${name} (${path}): tampered ICV, AAD, sequence number, IV or payload, replays and truncated records are refused with their codes`, (t) => {
      const k = keyOf(name)
      const o = out(native, name, k), i = inb(native, name, k)
      const r = o.seal(randomBytes(100))
      const flip = (at: number) => { const b = Buffer.from(r); b[at]! ^= 0x02; return b }
      // Kind (AAD), sequence number high and low (AAD), IV (nonce), payload, ICV.
      for (const at of [0, 5, 12, 13, 20, RECORD_HEADER_OCTETS + 10, r.length - 1]) {
        t.throws(() => i.open(flip(at)), { code: 'ERR_CHANNEL_INTEGRITY' }, `flipped octet ${at}`)
      }
      // A record cut after its header is too short to hold an ICV; one cut inside its payload fails the ICV.
      t.throws(() => i.open(r.subarray(0, RECORD_OVERHEAD - 1)), { code: 'ERR_CHANNEL_TRUNCATED' })
      t.throws(() => i.open(r.subarray(0, r.length - 1)), { code: 'ERR_CHANNEL_INTEGRITY' })
      t.throws(() => i.open(flip(1)), { code: 'ERR_CHANNEL_BAD_SPI' })
      // None of that moved the window: the genuine record opens once, then is a replay.
      t.is(i.packets, 0)
      t.is(i.open(r).length, 100)
      t.throws(() => i.open(r), { code: 'ERR_CHANNEL_REPLAY' })
      t.is(i.packets, 1)
    })

    test.serial(`${name} (${path}): a deleted SA can neither seal nor open`, (t) => {
      const k = keyOf(name)
      const o = out(native, name, k), i = inb(native, name, k)
      const r = o.seal(Buffer.from('x'))
      o.destroy(); i.destroy()
      o.destroy(); i.destroy() // twice is harmless
      t.throws(() => o.seal(Buffer.from('y')), { code: 'ERR_CHANNEL_CLOSED' })
      t.throws(() => i.open(r), { code: 'ERR_CHANNEL_BAD_SPI' })
    })
  }
}

test.serial('a decrypted payload is a fresh buffer; a failed ICV leaves no plaintext behind in it', (t) => {
  const addon = nativeAead()
  if (addon === undefined) { t.true(DISABLED || !nativeCryptoStatus().loaded); return }
  const k = keyOf('AES-256-GCM')
  const o = out(true, 'AES-256-GCM', k)
  const r = o.seal(Buffer.alloc(64, 0x41))
  const sa = addon.saNew(NATIVE_ALG['AES-256-GCM'], false, k.key, k.salt)
  const pt = Buffer.alloc(64, 0xee)
  const bad = Buffer.from(r); bad[bad.length - 1]! ^= 1
  t.false(addon.recordOpen(sa, bad, pt))
  t.true(pt.every((b) => b === 0))
  t.true(addon.recordOpen(sa, r, pt))
  t.true(pt.every((b) => b === 0x41))
  addon.saFree(sa)
})

test('the addon refuses malformed arguments with a JS error and never crashes', (t) => {
  const addon = nativeAead()
  if (addon === undefined) { t.true(DISABLED || !nativeCryptoStatus().loaded); return }
  const k = keyOf('AES-256-GCM')
  const enc = addon.saNew(0, true, k.key, k.salt), dec = addon.saNew(0, false, k.key, k.salt)
  const native = { code: 'ERR_CHANNEL_NATIVE' }
  const a = addon as unknown as Record<string, (...args: unknown[]) => unknown>
  // Wrong algorithm, key and salt sizes, wrong types.
  t.throws(() => a['saNew']!(4, true, k.key, k.salt), { ...native, instanceOf: RangeError })
  t.throws(() => a['saNew']!(-1, true, k.key, k.salt), native)
  t.throws(() => a['saNew']!(0.5, true, k.key, k.salt), native)
  t.throws(() => a['recordSeal']!(enc, Buffer.alloc(37), Buffer.alloc(0), 1, 0, 2 ** 32), native)
  t.throws(() => a['saNew']!(1, true, k.key, k.salt), { ...native, message: 'key length does not fit the algorithm' })
  t.throws(() => a['saNew']!(0, true, k.key, Buffer.alloc(5)), native)
  t.throws(() => a['saNew']!(0, true, 'key', k.salt), { ...native, instanceOf: TypeError })
  t.throws(() => a['saNew']!(0, true, new Uint16Array(16), k.salt), native)
  t.throws(() => a['saNew']!(0), native)
  // Not a handle, wrong direction, outputs of the wrong size, overlapping buffers.
  t.throws(() => a['recordSeal']!({}, Buffer.alloc(37), Buffer.alloc(0), 1, 0, 1), { ...native, message: 'not an SA handle' })
  t.throws(() => a['recordSeal']!(dec, Buffer.alloc(37), Buffer.alloc(0), 1, 0, 1), native)
  t.throws(() => a['recordOpen']!(enc, Buffer.alloc(37), Buffer.alloc(0)), native)
  t.throws(() => a['recordSeal']!(enc, Buffer.alloc(36), Buffer.alloc(0), 1, 0, 1), { ...native, instanceOf: RangeError })
  t.throws(() => a['recordSeal']!(enc, Buffer.alloc(38), Buffer.alloc(0), 1, 0, 1), native)
  t.throws(() => a['recordSeal']!(enc, Buffer.alloc(37), Buffer.alloc(0), 'x', 0, 1), native)
  const shared = Buffer.alloc(100)
  t.throws(() => a['recordSeal']!(enc, shared.subarray(0, 47), shared.subarray(40, 50), 1, 0, 1), { ...native, message: 'payload and out overlap' })
  for (const len of [0, 1, 20, 36]) t.throws(() => a['recordOpen']!(dec, Buffer.alloc(len), Buffer.alloc(0)), native)
  t.throws(() => a['recordOpen']!(dec, Buffer.alloc(40), Buffer.alloc(2)), native)
  t.throws(() => a['aeadSeal']!(0, k.key, k.salt, Buffer.alloc(8), Buffer.alloc(0), Buffer.alloc(10), Buffer.alloc(20), 0), native)
  t.throws(() => a['aeadSeal']!(0, k.key, k.salt, Buffer.alloc(8), Buffer.alloc(0), Buffer.alloc(10), Buffer.alloc(26), 1), native)
  t.throws(() => a['aeadSeal']!(0, k.key, k.salt, Buffer.alloc(8), Buffer.alloc(0), Buffer.alloc(10), Buffer.alloc(26), 2 ** 32), native)
  t.throws(() => a['aeadOpen']!(0, k.key, k.salt, Buffer.alloc(7), Buffer.alloc(0), Buffer.alloc(20), Buffer.alloc(4)), native)
  t.throws(() => a['aeadOpen']!(0, k.key, k.salt, Buffer.alloc(8), Buffer.alloc(0), Buffer.alloc(15), Buffer.alloc(0)), native)
  // A garbage record is a failed ICV, not an exception; a freed handle is refused.
  t.false(addon.recordOpen(dec, randomBytes(37 + 64), Buffer.alloc(64)))
  addon.saFree(enc); addon.saFree(enc)
  t.throws(() => addon.recordSeal(enc, Buffer.alloc(37), Buffer.alloc(0), 1, 0, 1), { ...native, message: 'SA handle was destroyed' })
  addon.saFree(dec)
})

test.serial('a whole channel runs on node:crypto when the addon is switched off, and on the addon otherwise', async (t) => {
  const p = await pki()
  for (const native of [false, true]) {
    const was = nativeCryptoStatus().enabled
    useNativeCrypto(native)
    try {
      const limits = { saMaxPackets: 100 }
      const { server, url } = await startServer(p, { limits })
      const c = await connect(url, clientOptions(p, {}, limits))
      // 500 queries across several child rekeys; every answer comes back once.
      const answers = await Promise.all(Array.from({ length: 500 }, (_, n) => c.query(dnsQuery(n))))
      t.deepEqual(answers.map((a) => (a[0]! << 8) | a[1]!), Array.from({ length: 500 }, (_, n) => n))
      t.true(c.stats.rekeys >= 3)
      t.deepEqual(server.stats.refused, {})
      await c.close()
      await server.close()
    } finally {
      useNativeCrypto(was)
    }
  }
})

test.serial('random and mutated frames only ever give ChannelError refusals, on both paths', (t) => {
  const codes = new Set(['ERR_CHANNEL_TRUNCATED', 'ERR_CHANNEL_BAD_SPI', 'ERR_CHANNEL_REPLAY', 'ERR_CHANNEL_INTEGRITY'])
  for (const name of NAMES) {
    for (const native of [true, false]) {
      const k = keyOf(name)
      const o = out(native, name, k), i = inb(native, name, k)
      const good = Buffer.from(o.seal(randomBytes(64)))
      fc.assert(fc.property(fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        // A valid record with some octets changed, cut or extended.
        fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), fc.integer({ min: -good.length, max: 20 })).map(([at, x, cut]) => {
          const b = Buffer.concat([good, randomBytes(Math.max(0, cut))]).subarray(0, cut < 0 ? good.length + cut : undefined)
          if (at < b.length) b[at]! ^= x
          return b
        }),
      ), (frame) => {
        try { i.open(frame); return true } catch (e) { return e instanceof ChannelError && codes.has(e.code) }
      }), { numRuns: 300 })
    }
  }
  t.pass()
})
