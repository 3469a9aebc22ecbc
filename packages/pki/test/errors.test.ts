import test from 'ava'
import { PkiError, wrapErrors } from '../src/errors.js'

test('PkiError carries its code, name and cause', (t) => {
  const cause = new Error('inner')
  const e = new PkiError('ERR_PKI_REVOKED', 'revoked', { cause })
  t.is(e.code, 'ERR_PKI_REVOKED')
  t.is(e.name, 'PkiError')
  t.is(e.cause, cause)
  t.true(e instanceof Error)
})

test('wrapErrors rethrows foreign errors as coded PkiErrors and lets PkiErrors through', async (t) => {
  const e = await t.throwsAsync(wrapErrors('ERR_PKI_INVALID_PARAMS', 'cannot create', async () => { throw new Error("Bad field 'keys'") }), { instanceOf: PkiError, code: 'ERR_PKI_INVALID_PARAMS' })
  t.is(e!.message, "cannot create: Bad field 'keys'")
  t.true(e!.cause instanceof Error)
  await t.throwsAsync(wrapErrors('ERR_PKI_INVALID_PARAMS', 'x', async () => { throw new PkiError('ERR_PKI_NOT_CA', 'not a CA') }), { code: 'ERR_PKI_NOT_CA' })
  t.is(await wrapErrors('ERR_PKI_INVALID_PARAMS', 'x', async () => 42), 42)
})
