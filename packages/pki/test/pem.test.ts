import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { toPem, toDer, decodePemBlocks } from '../src/pem.js'
import { PkiError } from '../src/errors.js'

testProp('toPem then decodePemBlocks is identity', [fc.uint8Array({ maxLength: 300 }), fc.constantFrom('CERTIFICATE', 'X509 CRL', 'PRIVATE KEY')], (t, der, label) => {
  const pem = toPem(der, label)
  t.true(pem.split('\n').every((l) => l.length <= 64))
  t.deepEqual(decodePemBlocks(`junk\n${pem}more junk`), [{ label, der }])
}, { numRuns: 200 })

testProp('toDer never throws anything but PkiError', [fc.oneof(fc.string(), fc.uint8Array({ maxLength: 50 }))], (t, input) => {
  try { toDer(input, ['CERTIFICATE'], 'ERR_PKI_BAD_CERTIFICATE', 'certificate'); t.pass() } catch (e) { t.true(e instanceof PkiError) }
}, { numRuns: 300 })

test('toDer picks the block with the wanted label and passes DER through', (t) => {
  const text = toPem(new Uint8Array([1]), 'PRIVATE KEY') + toPem(new Uint8Array([0x30, 0]), 'CERTIFICATE')
  t.deepEqual(toDer(text, ['CERTIFICATE'], 'ERR_PKI_BAD_CERTIFICATE', 'certificate'), new Uint8Array([0x30, 0]))
  t.deepEqual(toDer(new Uint8Array([0x30, 0]), ['CERTIFICATE'], 'ERR_PKI_BAD_CERTIFICATE', 'c'), new Uint8Array([0x30, 0]))
  t.throws(() => toDer(text, ['X509 CRL'], 'ERR_PKI_CRL_INVALID', 'CRL'), { code: 'ERR_PKI_CRL_INVALID', message: /no PEM block labelled "X509 CRL"/ })
  t.throws(() => toDer(new Uint8Array([4, 0]), ['CERTIFICATE'], 'ERR_PKI_BAD_CERTIFICATE', 'certificate'), { message: /offset 0/ })
})
