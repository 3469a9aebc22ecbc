import test from 'ava'
import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs'
import { connect as tlsConnect } from 'node:tls'
import { execFile } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Name, RRType, Rcode, createQuery, decodeMessage, encodeMessage, frameTcp, TcpFrameReader } from '@secdns/wire'
import { writeTestPki } from './test_pki.js'
import { connect } from '@secdns/channel'
import { createDnsServer } from '../src/create.js'
import { parseConfig } from '../src/config.js'

const fixture = (f: string): string => fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url))

async function pkiDir(): Promise<{ dir: string, ca: string, client: { certPem: string, keyPem: string }, caPem: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-listeners-'))
  const { root, caFile, peers: [client] } = await writeTestPki(dir, 'secdns test root', [{ profile: 'client', name: 'client.example.test' }])
  copyFileSync(fixture('example.test.nsec.signed'), join(dir, 'zone'))
  return { dir, ca: caFile, client: client!, caPem: root.certPem }
}

const query = (id: number): Uint8Array => encodeMessage(createQuery(Name.fromString('www.example.test.'), RRType.A, { id, rd: false }))

function dotAsk(port: number, ca: string, cert?: { certPem: string, keyPem: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'ns1.example.test', ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) }, () => s.write(frameTcp(query(9))))
    const frames = new TcpFrameReader()
    s.on('data', (c) => { for (const f of frames.push(c)) { resolve(decodeMessage(f).answer.length); s.end() } })
    s.on('error', reject)
    s.on('close', () => reject(new Error('closed without an answer')))
  })
}

test('DoT with a required client certificate answers a client with one from our CA and turns away one without', async (t) => {
  const p = await pkiDir()
  const server = createDnsServer(parseConfig({
    listeners: { dot: [{ address: '127.0.0.1', port: 0, certificate: join(p.dir, 'ns.pem'), key: join(p.dir, 'ns.key'), clientCa: p.ca, requireClientCertificate: true }] },
    zones: [{ name: 'example.test', type: 'primary', file: join(p.dir, 'zone') }],
  }))
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners.find((l) => l.kind === 'dot')!.port
  const caPem = p.caPem
  t.is(await dotAsk(port, caPem, p.client), 1)
  await t.throwsAsync(dotAsk(port, caPem))
})

test('the protected channel carries queries through the same query path', async (t) => {
  const p = await pkiDir()
  const server = createDnsServer(parseConfig({
    listeners: { channel: [{ address: '127.0.0.1', port: 0, certificate: join(p.dir, 'ns.pem'), key: join(p.dir, 'ns.key'), trustedCas: [p.ca], encryption: 'require' }] },
    zones: [{ name: 'example.test', type: 'primary', file: join(p.dir, 'zone') }],
  }))
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners.find((l) => l.kind === 'channel')!.port
  const client = await connect(`ws://127.0.0.1:${port}/`, { identity: p.client, trust: { cas: [p.caPem] }, serverName: 'ns1.example.test', policy: { encryption: 'High' } })
  t.teardown(() => client.close())
  const r = decodeMessage(await client.query(query(11)))
  t.is(r.rcode, Rcode.NOERROR)
  t.is(r.id, 11)
  t.true(r.flags.aa)
  t.is(r.answer.length, 1)
  const nx = decodeMessage(await client.query(encodeMessage(createQuery(Name.fromString('nope.example.test.'), RRType.A, { id: 12, rd: false }))))
  t.is(nx.rcode, Rcode.NXDOMAIN)
  t.is(server.counters.received, 2)
})

test('the channel is also served over wss with the server certificate', async (t) => {
  const p = await pkiDir()
  const server = createDnsServer(parseConfig({
    listeners: { channel: [{ address: '127.0.0.1', port: 0, certificate: join(p.dir, 'ns.pem'), key: join(p.dir, 'ns.key'), trustedCas: [p.ca], encryption: 'require', tls: true, path: '/dns' }] },
    zones: [{ name: 'example.test', type: 'primary', file: join(p.dir, 'zone') }],
  }))
  await server.start()
  t.teardown(() => server.stop())
  const port = server.listeners.find((l) => l.kind === 'channel')!.port
  // The channel client's WebSocket uses Node's default CA list; a child process gets ours added.
  writeFileSync(join(p.dir, 'client.json'), JSON.stringify({ identity: p.client, caPem: p.caPem }))
  const script = `
    import { readFileSync } from 'node:fs'
    import { connect } from '@secdns/channel'
    import { Name, RRType, createQuery, encodeMessage, decodeMessage } from '@secdns/wire'
    const c = JSON.parse(readFileSync(${JSON.stringify(join(p.dir, 'client.json'))}, 'utf8'))
    const client = await connect('wss://127.0.0.1:${port}/dns', { identity: c.identity, trust: { cas: [c.caPem] }, serverName: 'ns1.example.test', policy: { encryption: 'High' } })
    const r = decodeMessage(await client.query(encodeMessage(createQuery(Name.fromString('www.example.test.'), RRType.A, { id: 5, rd: false }))))
    console.log(JSON.stringify({ rcode: r.rcode, answers: r.answer.length }))
    await client.close()
  `
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)), env: { ...process.env, NODE_EXTRA_CA_CERTS: p.ca }, timeout: 20_000,
    }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)))
    void child
  })
  t.deepEqual(JSON.parse(out.trim()), { rcode: 0, answers: 1 })
})
