import test from 'ava'
import { randomBytes } from 'node:crypto'
import { CookieJar } from '../src/cookie.js'

test('a cookie checks for the values it was made for and for nothing else', (t) => {
  const jar = new CookieJar()
  const ni = randomBytes(32), spi = randomBytes(8)
  const c = jar.make(ni, '127.0.0.1', spi)
  t.true(jar.check(c, ni, '127.0.0.1', spi))
  t.false(jar.check(c, ni, '127.0.0.2', spi))
  t.false(jar.check(c, randomBytes(32), '127.0.0.1', spi))
  t.false(jar.check(c.subarray(1), ni, '127.0.0.1', spi))
  t.false(new CookieJar().check(c, ni, '127.0.0.1', spi))
})

test('a cookie survives one rotation of the secret but not two', (t) => {
  const jar = new CookieJar()
  const ni = randomBytes(32), spi = randomBytes(8)
  const c = jar.make(ni, '::1', spi)
  jar.rotate()
  t.true(jar.check(c, ni, '::1', spi))
  jar.rotate()
  t.false(jar.check(c, ni, '::1', spi))
})
