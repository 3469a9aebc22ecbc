import 'reflect-metadata'
import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { PkiError } from '../src/errors.js'
import { createCrl, parseCrl, isRevocationReason } from '../src/crl.js'
import { createRootCa } from '../src/issue.js'
import { NOW, DAY } from './helpers/lab.js'

test('writes a CRL with the X509 CRL label, number, dates, entries and reasons', async (t) => {
  const ca = await createRootCa({ name: 'Root', now: NOW })
  const crl = await createCrl(ca, {
    revoked: [{ serial: 'ab12', date: NOW, reason: 'keyCompromise' }, { serial: '0ff', date: NOW }],
    number: 300, thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + DAY),
  })
  t.true(crl.pem.startsWith('-----BEGIN X509 CRL-----\n'))
  t.true(crl.pem.endsWith('-----END X509 CRL-----\n'))
  const p = parseCrl(crl.pem)
  t.is(p.number, 300n)
  t.is(p.thisUpdate.getTime(), NOW.getTime())
  t.is(p.nextUpdate?.getTime(), NOW.getTime() + DAY)
  t.deepEqual(p.revoked.get('ab12'), { date: NOW, reason: 'keyCompromise' })
  t.deepEqual(p.revoked.get('ff'), { date: NOW })
  t.true(await p.crl.verify({ publicKey: new (await import('@peculiar/x509')).X509Certificate(ca.certDer).publicKey }))
  t.is(parseCrl(crl.der).number, 300n)
})

test('defaults nextUpdate to a week and encodes big CRL numbers', async (t) => {
  const ca = await createRootCa({ name: 'Root', now: NOW })
  const p = parseCrl((await createCrl(ca, { revoked: [], number: 2n ** 70n, thisUpdate: NOW })).pem)
  t.is(p.number, 2n ** 70n)
  t.is(p.nextUpdate?.getTime(), NOW.getTime() + 7 * DAY)
})

test('refuses bad CRL parameters and garbage CRLs with codes', async (t) => {
  const ca = await createRootCa({ name: 'Root' })
  await t.throwsAsync(createCrl(ca, { revoked: [], number: -1 }), { code: 'ERR_PKI_INVALID_PARAMS' })
  await t.throwsAsync(createCrl(ca, { revoked: [], number: 1, thisUpdate: NOW, nextUpdate: NOW }), { code: 'ERR_PKI_INVALID_PARAMS' })
  await t.throwsAsync(createCrl(ca, { revoked: [{ serial: 'zz', date: NOW }], number: 1 }), { code: 'ERR_PKI_INVALID_PARAMS' })
  await t.throwsAsync(createCrl(ca, { revoked: [{ serial: '01', date: NOW, reason: 'bored' as never }], number: 1 }), { code: 'ERR_PKI_INVALID_PARAMS' })
  t.throws(() => parseCrl('nothing here'), { code: 'ERR_PKI_CRL_INVALID' })
  t.throws(() => parseCrl(new Uint8Array([0x30, 0x02, 0x05, 0x00])), { code: 'ERR_PKI_CRL_INVALID' })
  t.true(isRevocationReason('superseded'))
  t.false(isRevocationReason('removeFromCRL'))
})

testProp('parseCrl never throws anything but PkiError on random bytes', [fc.uint8Array({ maxLength: 300 })], (t, bytes) => {
  try { parseCrl(bytes); t.pass() } catch (e) { t.true(e instanceof PkiError, String(e)) }
}, { numRuns: 500 })
