import test from 'ava'
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { TcpFrameReader, decodeMessage, encodeMessage, frameTcp } from '@secdns/wire'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCrl, type CertifiedKey } from '@secdns/pki'
import { createStubClient } from '../src/stub_client.js'
import { addRule, compileNrpt } from '../src/nrpt.js'
import { ClientError } from '../src/errors.js'
import { answer, labPki, now, startChannelResponder, type Handler } from './responder.js'

const validating: Handler = (q) => answer(q, { ad: q.edns?.dnssecOk === true })

/** A CRL of the lab root, current at the lab's clock. */
function crlOf(root: CertifiedKey, serials: string[], n: number): Promise<{ pem: string, der: Uint8Array }> {
  return createCrl(root, { revoked: serials.map((serial) => ({ serial, date: new Date(Date.UTC(2026, 0, 10)) })), number: n, thisUpdate: new Date(Date.UTC(2026, 0, 10)), nextUpdate: new Date(Date.UTC(2026, 1, 10)) })
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  writeFileSync(`${file}.tmp`, data)
  renameSync(`${file}.tmp`, file)
}

test('an NRPT rule with a CRL refuses a revoked server certificate over the channel, and accepts it before', async (t) => {
  const p = await labPki()
  const s = await startChannelResponder(p.server, p.root, { encryption: 'require' }, validating)
  t.teardown(() => s.server.close())
  const dir = mkdtempSync(join(tmpdir(), 'secdns-nrpt-crl-'))
  writeAtomic(join(dir, 'lab.crl'), (await crlOf(p.root, [p.noEku.serial], 1)).der)
  const nrpt = {
    global: { clientCertificate: { certificate: p.client.certPem, privateKey: p.client.keyPem! } },
    rules: [{
      name: 'corp', namespace: '.corp.example', dnsSecEnable: true, dnsSecValidationRequired: true, secureChannelRequired: true, encryption: 'High',
      trustAuthority: p.root.certPem, crl: 'lab.crl', nameServers: [{ address: s.url, serverName: 'dns1.lab.test' }],
    }],
  }
  const before = createStubClient({ nrpt: compileNrpt(nrpt, 'NRPT', dir), now })
  t.teardown(() => before.close())
  t.true((await before.resolve('www.corp.example', 'A')).ad)

  // The CA revokes the server's certificate and writes a new CRL (PEM this time): a new
  // connection under the rule reads it again and refuses the server.
  writeAtomic(join(dir, 'lab.crl'), (await crlOf(p.root, [p.noEku.serial, p.server.serial], 2)).pem)
  const after = createStubClient({ nrpt: compileNrpt(nrpt, 'NRPT', dir), now })
  t.teardown(() => after.close())
  const e = await t.throwsAsync(after.resolve('www.corp.example', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
  t.regex(e.message, /ERR_CHANNEL_PEER_REVOKED/)
  t.is((e.cause as { code?: string }).code, 'ERR_CHANNEL_PEER_REVOKED')
})

test('a CRL file that cannot be read fails the query rather than being ignored', async (t) => {
  const p = await labPki()
  const s = await startChannelResponder(p.server, p.root, { encryption: 'require' }, validating)
  t.teardown(() => s.server.close())
  const dir = mkdtempSync(join(tmpdir(), 'secdns-nrpt-crl-'))
  writeFileSync(join(dir, 'bad.crl'), 'not a CRL\n')
  const c = createStubClient({
    now, nrpt: compileNrpt({
      global: { clientCertificate: { certificate: p.client.certPem, privateKey: p.client.keyPem! } },
      rules: [{ name: 'corp', namespace: '.corp.example', secureChannelRequired: true, encryption: 'High', trustAuthority: p.root.certPem, crl: ['bad.crl'], nameServers: [{ address: s.url, serverName: 'dns1.lab.test' }] }],
    }, 'NRPT', dir),
  })
  t.teardown(() => c.close())
  const e = await t.throwsAsync(c.resolve('www.corp.example', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_NRPT_FILE' })
  t.true(e.message.startsWith(`cannot read the CRL ${join(dir, 'bad.crl')}:`), e.message)
  t.is(s.server.stats.established, 0)
})

test('a rule with a CRL but no trustAuthority is refused naming the field', (t) => {
  const table = compileNrpt({ rules: [] }).table
  t.throws(() => addRule(table, { name: 'x', namespace: '.corp.example', nameServers: ['udp://127.0.0.1:53'], crl: ['a.crl'] }), {
    instanceOf: ClientError, code: 'ERR_CLIENT_NRPT_INVALID', message: /field crl: a CRL needs the trustAuthority whose certificates it revokes/,
  })
})

/** A DoT server (node:tls) answering every query, with the given certificate. */
async function dotServer(cert: CertifiedKey): Promise<{ port: number, close(): Promise<void> }> {
  const socks = new Set<TLSSocket>()
  const srv = createTlsServer({ cert: cert.certPem, key: cert.keyPem!, ALPNProtocols: ['dot'] }, (s) => {
    socks.add(s)
    s.on('close', () => socks.delete(s))
    s.on('error', () => undefined)
    const frames = new TcpFrameReader()
    s.on('data', (d: Buffer) => { for (const m of frames.push(d)) s.write(frameTcp(encodeMessage(answer(decodeMessage(m), { ad: true })))) })
  })
  srv.on('tlsClientError', () => undefined)
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()))
  return { port: (srv.address() as AddressInfo).port, close: async () => { for (const s of socks) s.destroy(); await new Promise<void>((res) => srv.close(() => res())) } }
}

test('over DoT too, a rule with a CRL refuses a revoked server certificate and accepts it before', async (t) => {
  const p = await labPki()
  const s = await dotServer(p.serverToday)
  t.teardown(() => s.close())
  const dir = mkdtempSync(join(tmpdir(), 'secdns-nrpt-crl-'))
  // node's TLS checks the CRL's dates on the real clock.
  const crl = (serials: string[], n: number): Promise<{ pem: string, der: Uint8Array }> => createCrl(p.root, { revoked: serials.map((serial) => ({ serial, date: new Date() })), number: n })
  writeAtomic(join(dir, 'lab.crl'), (await crl([p.noEku.serial], 1)).pem)
  const nrpt = { rules: [{ name: 'corp', namespace: '.corp.example', trustAuthority: p.root.certPem, crl: 'lab.crl', nameServers: [{ address: `tls://127.0.0.1:${s.port}`, serverName: 'dns1.lab.test' }] }] }
  const before = createStubClient({ nrpt: compileNrpt(nrpt, 'NRPT', dir) })
  t.teardown(() => before.close())
  t.is((await before.resolve('www.corp.example', 'A')).transport, 'tls')
  writeAtomic(join(dir, 'lab.crl'), (await crl([p.noEku.serial, p.serverToday.serial], 2)).der)
  const after = createStubClient({ nrpt: compileNrpt(nrpt, 'NRPT', dir) })
  t.teardown(() => after.close())
  await t.throwsAsync(after.resolve('www.corp.example', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED', message: `DNS over TLS to tls://127.0.0.1:${s.port} refused: certificate revoked` })
})
