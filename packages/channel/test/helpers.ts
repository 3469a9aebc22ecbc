// Shared test fixtures: CAs and certificates made in memory with @secdns/pki, a channel
// server with an echo handler, and DNS query bytes.
import { createRootCa, issueCertificate, createCrl, type CertifiedKey } from '@secdns/pki'
import { createChannelServer, type ChannelServer, type ChannelServerOptions } from '../src/server.js'
import { connect, type ConnectOptions, type ChannelClient } from '../src/client.js'
import type { ChannelLimits } from '../src/limits.js'

export const NOW = new Date(Date.UTC(2026, 0, 15, 12))
export const now = (): Date => NOW

export interface Pki {
  root: CertifiedKey
  otherRoot: CertifiedKey
  server: CertifiedKey
  client: CertifiedKey
  otherClient: CertifiedKey
  otherServer: CertifiedKey
  clientAsServer: CertifiedKey
  wrongName: CertifiedKey
  expiredClient: CertifiedKey
  revokedClient: CertifiedKey
  crlPem: string
}

let cached: Promise<Pki> | undefined

/** One lab PKI per test process. */
export function pki(): Promise<Pki> {
  cached ??= (async () => {
    const root = await createRootCa({ name: 'secdns Lab Root CA', now: new Date(Date.UTC(2025, 0, 1)), days: 3650 })
    const otherRoot = await createRootCa({ name: 'Other Root CA', now: new Date(Date.UTC(2025, 0, 1)), days: 3650 })
    const t0 = new Date(Date.UTC(2025, 6, 1))
    const server = await issueCertificate(root, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], ip: ['127.0.0.1'], now: t0 })
    const client = await issueCertificate(root, { profile: 'client', name: 'client1.lab.test', now: t0 })
    const otherClient = await issueCertificate(otherRoot, { profile: 'client', name: 'client1.lab.test', now: t0 })
    const otherServer = await issueCertificate(otherRoot, { profile: 'dns-server', name: 'dns1.lab.test', dns: ['dns1.lab.test'], now: t0 })
    const clientAsServer = await issueCertificate(root, { profile: 'client', name: 'dns1.lab.test', now: t0 })
    const wrongName = await issueCertificate(root, { profile: 'dns-server', name: 'dns2.lab.test', dns: ['dns2.lab.test'], now: t0 })
    const expiredClient = await issueCertificate(root, { profile: 'client', name: 'old.lab.test', notBefore: new Date(Date.UTC(2025, 0, 2)), notAfter: new Date(Date.UTC(2025, 5, 1)) })
    const revokedClient = await issueCertificate(root, { profile: 'client', name: 'revoked.lab.test', now: t0 })
    const crl = await createCrl(root, { revoked: [{ serial: revokedClient.serial, date: new Date(Date.UTC(2025, 11, 1)) }], number: 1, thisUpdate: new Date(Date.UTC(2026, 0, 1)), nextUpdate: new Date(Date.UTC(2026, 11, 1)) })
    return { root, otherRoot, server, client, otherClient, otherServer, clientAsServer, wrongName, expiredClient, revokedClient, crlPem: crl.pem }
  })()
  return cached
}

export function ident(c: CertifiedKey) {
  return { certPem: c.certPem, keyPem: c.keyPem! }
}

/** A DNS query for `name` (type A, class IN) with `id`. */
export function dnsQuery(id: number, name = 'www.example.test'): Uint8Array {
  const labels = name.split('.').filter((l) => l !== '')
  const q = Buffer.alloc(12 + labels.reduce((n, l) => n + 1 + l.length, 0) + 1 + 4)
  q.writeUInt16BE(id, 0); q.writeUInt16BE(0x0100, 2); q.writeUInt16BE(1, 4)
  let at = 12
  for (const l of labels) { q[at++] = l.length; at += q.write(l, at, 'ascii') }
  q[at++] = 0
  q.writeUInt16BE(1, at); q.writeUInt16BE(1, at + 2)
  return q
}

/** Echo handler: the query back with QR set. */
export async function echo(m: Uint8Array): Promise<Uint8Array> {
  const r = Buffer.from(m)
  r[2]! |= 0x80
  return r
}

export async function startServer(p: Pki, over: Partial<ChannelServerOptions> = {}): Promise<{ server: ChannelServer; url: string; port: number }> {
  const server = createChannelServer({
    identity: ident(p.server), trust: { cas: [p.root.certPem], crls: [p.crlPem] }, rules: { encryption: 'require' }, handler: echo, now, ...over,
  })
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 })
  return { server, url: `ws://127.0.0.1:${port}/`, port }
}

export function clientOptions(p: Pki, over: Partial<ConnectOptions> = {}, limits?: Partial<ChannelLimits>): ConnectOptions {
  return { identity: ident(p.client), trust: { cas: [p.root.certPem], crls: [p.crlPem] }, serverName: 'dns1.lab.test', policy: { encryption: 'High' }, now, limits, ...over }
}

/** Connect a good client and check it gets an answer. */
export async function goodClientAnswers(url: string, p: Pki): Promise<boolean> {
  const c: ChannelClient = await connect(url, clientOptions(p))
  try {
    const a = await c.query(dnsQuery(4242))
    return a[0] === 0x10 && a[1] === 0x92 && (a[2]! & 0x80) !== 0
  } finally {
    await c.close()
  }
}
