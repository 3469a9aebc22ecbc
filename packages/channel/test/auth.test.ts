import test from 'ava'
import { createHmac } from 'node:crypto'
import { loadIdentity, signedOctets, verifyPeer, identityOf, checkAuthSignature, signAuth } from '../src/auth.js'
import { pki, ident, NOW } from './helpers.js'

test('signed octets are RealMessage | nonce | prf(SK_p, IDType | RESERVED | ID) (RFC 7296 §2.15)', (t) => {
  const msg = Buffer.from('message'), nonce = Buffer.alloc(32, 7), sk = Buffer.alloc(32, 1), id = Buffer.alloc(32, 9)
  const mac = createHmac('sha256', sk).update(Buffer.concat([Buffer.from([11, 0, 0, 0]), id])).digest()
  t.deepEqual(signedOctets('HMAC-SHA-256', msg, nonce, sk, 11, id), Buffer.concat([msg, nonce, mac]))
})

test('a signature verifies over its octets only', async (t) => {
  const p = await pki()
  const id = loadIdentity(ident(p.client))
  const sig = signAuth(id, Buffer.from('abc'))
  t.notThrows(() => checkAuthSignature(id.cert, Buffer.from('abc'), sig, 'client'))
  t.throws(() => checkAuthSignature(id.cert, Buffer.from('abd'), sig, 'client'), { code: 'ERR_CHANNEL_AUTH_FAILED' })
})

test('an identity whose key is not the certificate\'s is refused', async (t) => {
  const p = await pki()
  t.throws(() => loadIdentity({ certPem: p.client.certPem, keyPem: p.server.keyPem! }), { code: 'ERR_CHANNEL_INVALID_OPTIONS' })
  t.throws(() => loadIdentity({ certPem: 'not a certificate', keyPem: p.server.keyPem! }), { code: 'ERR_CHANNEL_INVALID_OPTIONS' })
  t.deepEqual(loadIdentity(ident(p.client)).id, identityOf(p.client.certDer))
})

test('pki refusals map to channel codes with the PkiError as cause', async (t) => {
  const p = await pki()
  const trust = { cas: [p.root.certPem], crls: [p.crlPem] }
  const cases = [
    [p.otherClient, 'client', undefined, 'ERR_CHANNEL_UNTRUSTED_PEER', 'ERR_PKI_UNTRUSTED'],
    [p.expiredClient, 'client', undefined, 'ERR_CHANNEL_PEER_EXPIRED', 'ERR_PKI_EXPIRED'],
    [p.revokedClient, 'client', undefined, 'ERR_CHANNEL_PEER_REVOKED', 'ERR_PKI_REVOKED'],
    [p.clientAsServer, 'dns-server', 'dns1.lab.test', 'ERR_CHANNEL_PEER_PURPOSE', 'ERR_PKI_WRONG_PURPOSE'],
    [p.wrongName, 'dns-server', 'dns1.lab.test', 'ERR_CHANNEL_PEER_NAME', 'ERR_PKI_NAME_MISMATCH'],
  ] as const
  for (const [cert, purpose, name, code, pkiCode] of cases) {
    const e = await t.throwsAsync(verifyPeer([cert.certDer], trust, purpose, NOW, name), { code })
    t.is((e as unknown as { pkiCode: string }).pkiCode, pkiCode)
  }
})

test('the verification cache serves a peer again only while the clock is inside its validity', async (t) => {
  const p = await pki()
  const trust = { cas: [p.root.certPem] }
  const cache = { size: 8, ttlMs: 60_000 }
  const a = await verifyPeer([p.client.certDer], trust, 'client', NOW, undefined, cache)
  const b = await verifyPeer([p.client.certDer], trust, 'client', NOW, undefined, cache)
  t.is(a, b)
  const later = new Date(Date.UTC(2030, 0, 1))
  await t.throwsAsync(verifyPeer([p.client.certDer], trust, 'client', later, undefined, cache), { code: 'ERR_CHANNEL_PEER_EXPIRED' })
})

test('adding a CRL to the trust configuration bypasses an earlier cached success', async (t) => {
  const p = await pki()
  const trust: { cas: string[]; crls: string[] } = { cas: [p.root.certPem], crls: [] }
  const cache = { size: 8, ttlMs: 60_000 }
  await verifyPeer([p.revokedClient.certDer], trust, 'client', NOW, undefined, cache)
  trust.crls.push(p.crlPem)
  await t.throwsAsync(verifyPeer([p.revokedClient.certDer], trust, 'client', NOW, undefined, cache), { code: 'ERR_CHANNEL_PEER_REVOKED' })
})
