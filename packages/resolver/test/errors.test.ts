import test from 'ava'
import { SecdnsError } from '@secdns/wire'
import { ResolverError } from '../src/errors.js'

test('ResolverError is a SecdnsError with a stable code and its cause', (t) => {
  const cause = new Error('disk full')
  const e = new ResolverError('ERR_RESOLVER_ANCHOR_FILE', 'cannot write TrustAnchors.dns: disk full', { cause })
  t.true(e instanceof SecdnsError)
  t.is(e.code, 'ERR_RESOLVER_ANCHOR_FILE')
  t.is(e.name, 'ResolverError')
  t.is(e.cause, cause)
})
