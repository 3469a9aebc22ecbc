import test from 'ava'
import { Cache } from '../src/cache.js'

test('entries expire when the injected clock passes their TTL', (t) => {
  let now = 1000
  const c = new Cache<string>(10, () => now)
  c.set('upstream', 'a', 'x', 30)
  t.is(c.get('upstream', 'a'), 'x')
  now += 30
  t.is(c.get('upstream', 'a'), undefined)
})

test('a TTL of zero stores nothing', (t) => {
  const c = new Cache<string>(10, () => 0)
  c.set('upstream', 'a', 'x', 0)
  t.is(c.size, 0)
})

test('validated and unvalidated entries never answer for each other', (t) => {
  const c = new Cache<string>(10, () => 0)
  c.set('upstream', 'k', 'raw', 60)
  t.is(c.get('validated', 'k'), undefined)
  c.set('validated', 'k', 'checked', 60)
  t.deepEqual([c.get('upstream', 'k'), c.get('validated', 'k')], ['raw', 'checked'])
})

test('the least recently used entry is evicted at the memory bound', (t) => {
  const c = new Cache<number>(3, () => 0)
  c.set('upstream', 'a', 1, 60)
  c.set('upstream', 'b', 2, 60)
  c.set('upstream', 'c', 3, 60)
  t.is(c.get('upstream', 'a'), 1) // a is now the most recent
  c.set('upstream', 'd', 4, 60)
  t.is(c.size, 3)
  t.is(c.get('upstream', 'b'), undefined)
  t.deepEqual([c.get('upstream', 'a'), c.get('upstream', 'c'), c.get('upstream', 'd')], [1, 3, 4])
  t.is(c.stats.evictions, 1)
})

test('the byte bound evicts the least recently used entries too', (t) => {
  const c = new Cache<string>(100, () => 0, 1000)
  c.set('upstream', 'a', 'x', 60, 400)
  c.set('upstream', 'b', 'y', 60, 400)
  t.is(c.byteSize, 800)
  c.set('upstream', 'c', 'z', 60, 400)
  t.is(c.get('upstream', 'a'), undefined)
  t.is(c.byteSize, 800)
  c.set('upstream', 'b', 'y2', 60, 100)
  t.is(c.byteSize, 500)
})

test('cap shortens an entry to at most its new TTL, never lengthens it, and 0 drops it', (t) => {
  let now = 1000
  const c = new Cache<string>(100, () => now)
  c.set('upstream', 'long', 'x', 3600, 10)
  c.set('upstream', 'short', 'y', 30, 10)
  c.set('upstream', 'gone', 'z', 3600, 10)
  c.cap('upstream', 'long', 60)
  c.cap('upstream', 'short', 60)
  c.cap('upstream', 'gone', 0)
  c.cap('upstream', 'absent', 60)
  t.is(c.get('upstream', 'gone'), undefined)
  t.is(c.byteSize, 20)
  now += 59
  t.deepEqual([c.get('upstream', 'long'), c.get('upstream', 'short')], ['x', undefined])
  now += 1
  t.is(c.get('upstream', 'long'), undefined)
  t.is(c.size, 0)
})
