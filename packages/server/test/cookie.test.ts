import test from 'ava'
import { makeServerCookie, checkServerCookie, responseCookie, COOKIE_MAX_AGE_S } from '../src/cookie.js'

const secret = new Uint8Array(16).fill(1)
const client = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
const NOW = 1_790_000_000

test('a server cookie checks for the same client and address only', (t) => {
  const s = makeServerCookie(secret, client, '192.0.2.1', NOW)
  t.is(s.length, 16)
  t.is(s[0], 1)
  t.true(checkServerCookie(secret, client, s, '192.0.2.1', NOW + 10))
  t.false(checkServerCookie(secret, client, s, '192.0.2.2', NOW + 10))
  t.false(checkServerCookie(secret, new Uint8Array(8), s, '192.0.2.1', NOW + 10))
  t.false(checkServerCookie(new Uint8Array(16), client, s, '192.0.2.1', NOW + 10))
})

test('a server cookie older than an hour or from the future no longer checks', (t) => {
  const s = makeServerCookie(secret, client, '192.0.2.1', NOW)
  t.false(checkServerCookie(secret, client, s, '192.0.2.1', NOW + COOKIE_MAX_AGE_S + 1))
  t.false(checkServerCookie(secret, client, s, '192.0.2.1', NOW - 400))
})

test('a fresh valid cookie is reused and an old one replaced', (t) => {
  const s = makeServerCookie(secret, client, '192.0.2.1', NOW)
  t.deepEqual([...responseCookie(secret, client, s, '192.0.2.1', NOW + 60).data.subarray(8)], [...s])
  t.notDeepEqual([...responseCookie(secret, client, s, '192.0.2.1', NOW + 2000).data.subarray(8)], [...s])
})
