import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { ReplayWindow } from '../src/replay_window.js'

test('accepts records in order and rejects each a second time', (t) => {
  const w = new ReplayWindow(64)
  for (let s = 1; s <= 200; s++) { w.check(s); w.accept(s) }
  t.throws(() => w.check(200), { code: 'ERR_CHANNEL_REPLAY' })
  t.throws(() => w.check(150), { code: 'ERR_CHANNEL_REPLAY' })
})

test('accepts reordered records inside the window exactly once', (t) => {
  const w = new ReplayWindow(64)
  for (const s of [10, 3, 7, 9, 1]) { w.check(s); w.accept(s) }
  for (const s of [10, 3, 7, 9, 1]) t.throws(() => w.check(s), { code: 'ERR_CHANNEL_REPLAY' })
  w.check(2); w.accept(2)
  t.is(w.top, 10)
})

test('rejects a record left of the window', (t) => {
  const w = new ReplayWindow(64)
  w.check(100); w.accept(100)
  t.notThrows(() => w.check(37))
  t.throws(() => w.check(36), { code: 'ERR_CHANNEL_REPLAY', message: /left of the window/ })
})

test('rejects sequence number 0', (t) => {
  t.throws(() => new ReplayWindow(64).check(0), { code: 'ERR_CHANNEL_REPLAY' })
})

test('a check that is not followed by accept leaves the window unchanged', (t) => {
  const w = new ReplayWindow(64)
  w.check(5)
  t.is(w.top, 0)
  t.notThrows(() => w.check(5))
})

test('refuses a width that is not a multiple of 32', (t) => {
  t.throws(() => new ReplayWindow(33), { instanceOf: RangeError })
})

testProp('agrees with a model that remembers every sequence number', [fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 300 })], (t, seqs) => {
  const w = new ReplayWindow(64)
  const seen = new Set<number>()
  let top = 0
  t.pass()
  for (const s of seqs) {
    const ok = !seen.has(s) && (s > top || top - s < 64)
    let got = true
    try { w.check(s) } catch { got = false }
    t.is(got, ok, `seq ${s} top ${top}`)
    if (ok) { w.accept(s); seen.add(s); top = Math.max(top, s) }
  }
}, { numRuns: 300 })
