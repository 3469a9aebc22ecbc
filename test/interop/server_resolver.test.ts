/**
 * The server agent as a validating resolver (a `resolver` section), checked with dig:
 * validation whether or not the client set DO, AD only when asked for, and a Bogus answer
 * as SERVFAIL with Extended DNS Error 6 (RFC 8914) and the reason in its EXTRA-TEXT.
 */
import test, { type ExecutionContext } from 'ava'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createDnsServer, parseConfig, DnsServer } from '@secdns/server'
import { havePeers, which } from '../helpers/peers.js'

const signed = fileURLToPath(new URL('../../../packages/server/test/fixtures/example.test.nsec.signed', import.meta.url))

function dig(args: readonly string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(which('dig') ?? 'dig', args, { timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

/** An authoritative server for `zoneText`, and our validating resolver forwarding to it with the zone's KSK as anchor. */
async function resolverFor(t: ExecutionContext, zoneText: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-server-resolver-'))
  writeFileSync(join(dir, 'example.test.zone'), zoneText)
  const auth = new DnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'example.test', type: 'primary', file: join(dir, 'example.test.zone') }],
  }))
  await auth.start()
  const ksk = readFileSync(signed, 'utf8').replace(/\(\s*([^)]*?)\s*\)/g, (_, inner: string) => inner.replace(/\s+/g, ' '))
    .split('\n').find((l) => /DNSKEY\s+257 3 13/.test(l))!.trim().replace(/^.*DNSKEY\s+/, '').replace(/\s*;.*$/, '')
  writeFileSync(join(dir, 'TrustAnchors.dns'), `; the lab anchor\nexample.test. 3600 IN DNSKEY ${ksk}\n`)
  const rec = createDnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }] }, acl: { recursion: ['localhost'] },
    resolver: { zoneForwarders: [{ zone: 'example.test', servers: [`127.0.0.1:${auth.listeners.find((l) => l.kind === 'udp')!.port}`] }], trustAnchors: join(dir, 'TrustAnchors.dns') },
  }))
  await rec.start()
  t.teardown(async () => { await rec.stop(); await auth.stop(); rmSync(dir, { recursive: true, force: true }) })
  return rec.listeners.find((l) => l.kind === 'udp')!.port
}

test.serial('a secure answer gets AD with +dnssec or the AD flag, and none when the query set neither DO nor AD', async (t) => {
  if (!havePeers(t, 'dig')) return
  const port = await resolverFor(t, readFileSync(signed, 'utf8'))
  const withDo = await dig(['+dnssec', '@127.0.0.1', '-p', String(port), 'www.example.test', 'A'])
  t.regex(withDo.stdout, /status: NOERROR/)
  t.regex(withDo.stdout, /flags: qr rd ra ad;/)
  t.regex(withDo.stdout, /www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.80/)
  const plain = await dig(['+noadflag', '@127.0.0.1', '-p', String(port), 'www.example.test', 'A'])
  t.regex(plain.stdout, /status: NOERROR/)
  t.regex(plain.stdout, /flags: qr rd ra;/)
  // RFC 6840 §5.7: AD in the query (dig's default) asks for AD without DO.
  const adOnly = await dig(['+adflag', '@127.0.0.1', '-p', String(port), 'www.example.test', 'A'])
  t.regex(adOnly.stdout, /flags: qr rd ra ad;/)
  t.notRegex(adOnly.stdout, /RRSIG/)
})

test.serial('a Bogus answer is SERVFAIL with EDE 6 and the reason, whether or not the client set DO', async (t) => {
  if (!havePeers(t, 'dig')) return
  // One changed address under an unchanged RRSIG: the signature no longer verifies.
  const tampered = readFileSync(signed, 'utf8').replace(/^(www\.example\.test\.\s+3600\s+IN A\s+)192\.0\.2\.80$/m, '$1192.0.2.99')
  t.not(tampered, readFileSync(signed, 'utf8'))
  const port = await resolverFor(t, tampered)
  const withDo = await dig(['+dnssec', '@127.0.0.1', '-p', String(port), 'www.example.test', 'A'])
  t.regex(withDo.stdout, /status: SERVFAIL/)
  t.regex(withDo.stdout, /EDE: 6 \(DNSSEC Bogus\): \(.+\)/)
  t.notRegex(withDo.stdout, /192\.0\.2\.99/)
  const noDo = await dig(['@127.0.0.1', '-p', String(port), 'www.example.test', 'A'])
  t.regex(noDo.stdout, /status: SERVFAIL/)
  t.regex(noDo.stdout, /EDE: 6 \(DNSSEC Bogus\)/)
  // CD asks for the data without validation (RFC 4035 §3.2.2).
  const cd = await dig(['+cd', '+dnssec', '@127.0.0.1', '-p', String(port), 'www.example.test', 'A'])
  t.regex(cd.stdout, /status: NOERROR/)
  t.regex(cd.stdout, /192\.0\.2\.99/)
})
