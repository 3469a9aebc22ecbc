import test from 'ava'
import { Acl, aclEntryProblem } from '../src/acl.js'
import { ServerError } from '../src/errors.js'

test('an address prefix allows addresses inside it and nothing else', (t) => {
  const acl = new Acl(['192.0.2.0/24', '2001:db8::/32'])
  t.true(acl.allows({ address: '192.0.2.77' }))
  t.true(acl.allows({ address: '::ffff:192.0.2.1' }))
  t.true(acl.allows({ address: '2001:db8::5' }))
  t.false(acl.allows({ address: '198.51.100.1' }))
  t.false(acl.allows({ address: '2001:db9::5' }))
})

test('the first matching entry decides, and negation denies', (t) => {
  const acl = new Acl(['!127.0.0.2', 'localhost'])
  t.false(acl.allows({ address: '127.0.0.2' }))
  t.true(acl.allows({ address: '127.0.0.1' }))
  t.true(acl.allows({ address: '::1' }))
})

test('none allows nobody and an empty ACL allows nobody', (t) => {
  t.false(new Acl(['none']).allows({ address: '127.0.0.1' }))
  t.true(new Acl(['none']).isNone)
  t.false(new Acl([]).allows({ address: '127.0.0.1' }))
  t.true(new Acl(['any']).allows({ address: '203.0.113.9' }))
  t.false(new Acl(['any']).isNone)
})

test('a key entry matches only requests signed with that key', (t) => {
  const acl = new Acl(['key:xfr.example.'])
  t.true(acl.allows({ address: '203.0.113.1', keyName: 'xfr.example' }))
  t.false(acl.allows({ address: '203.0.113.1', keyName: 'other' }))
  t.false(acl.allows({ address: '203.0.113.1' }))
})

test('a malformed entry throws ERR_SERVER_ACL naming it', (t) => {
  t.throws(() => new Acl(['any', 'bogus']), { instanceOf: ServerError, code: 'ERR_SERVER_ACL', message: /ACL entry 1 "bogus"/ })
  t.is(aclEntryProblem('10.0.0.0/8'), undefined)
  t.regex(aclEntryProblem('::1/129')!, /0\.\.128/)
})
