import test from 'ava'
import { verifyCertificate, parseCertificate } from '../src/verify.js'
import { parseCrl } from '../src/crl.js'
import { MAX_CERTIFICATE_BYTES, MAX_CHAIN_CERTIFICATES, MAX_PATH_LENGTH } from '../src/limits.js'
import { makeLab, NOW } from './helpers/lab.js'

test('verifyCertificate builds no path longer than maxPathLength', async (t) => {
  const lab = await makeLab()
  const base = { cert: lab.server.certPem, chain: [lab.inter.certPem], trusted: [lab.root.certPem], purpose: 'dns-server' as const, now: NOW }
  await t.notThrowsAsync(verifyCertificate({ ...base, maxPathLength: 3 }))
  await t.throwsAsync(verifyCertificate({ ...base, maxPathLength: 2 }), { code: 'ERR_PKI_UNTRUSTED', message: /within 2 certificates/ })
  t.true(MAX_PATH_LENGTH >= 3)
})

test('oversized certificates and CRLs, and too many chain certificates, are refused before parsing', async (t) => {
  const lab = await makeLab()
  const huge = new Uint8Array(MAX_CERTIFICATE_BYTES + 1)
  huge[0] = 0x30
  t.throws(() => parseCertificate(huge), { code: 'ERR_PKI_BAD_CERTIFICATE', message: /over the 65536-byte limit/ })
  const chain = Array.from({ length: MAX_CHAIN_CERTIFICATES + 1 }, () => lab.inter.certPem)
  await t.throwsAsync(verifyCertificate({ cert: lab.server.certPem, chain, trusted: [lab.root.certPem], purpose: 'any', now: NOW }), { code: 'ERR_PKI_INVALID_PARAMS' })
  const bigCrl = new Uint8Array(16 * 1024 * 1024 + 1)
  bigCrl[0] = 0x30
  t.throws(() => parseCrl(bigCrl), { code: 'ERR_PKI_CRL_INVALID', message: /limit/ })
})
