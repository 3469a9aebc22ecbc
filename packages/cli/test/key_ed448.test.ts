/**
 * ED448 (algorithm 16, RFC 8080) keys across secdns and BIND: secdns makes the keys (in
 * certificates), BIND's dnssec-signzone signs with their exported K-files; dnssec-keygen
 * makes the keys, secdns imports them and signs; dnssec-verify and ldns-verify-zone accept
 * every result.
 */
import test from 'ava'
import { copyFile, mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exampleZone as fixture, havePeers, run, tool } from './peer_tools.js'

test('ED448 keys made by secdns: certificate, BIND export, dnssec-signzone signs with them and dnssec-verify accepts; secdns signs too', async (t) => {
  if (!havePeers(t, 'dnssec-signzone', 'dnssec-verify', 'ldns-verify-zone', 'openssl')) return
  const dir = await mkdtemp(join(tmpdir(), 'secdns-ed448-'))
  await copyFile(fixture, join(dir, 'z'))
  for (const extra of [['--ksk'], []]) {
    const r = run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ED448', ...extra, '--key-dir', 'keys', '--json'])
    t.is(r.status, 0, r.stderr)
    t.is(r.stderr, '', 'no warning (no experimental Web Crypto Ed448)')
    const j = JSON.parse(r.stdout)
    t.is(j.algorithm, 'ED448')
    const cert = j.files.find((f: string) => f.endsWith('.crt'))
    const x = tool(dir, 'openssl', ['x509', '-in', cert, '-noout', '-text'])
    t.regex(x.stdout, /Public Key Algorithm: ED448/)
    t.regex(x.stdout, /Signature Algorithm: ED448/)
    t.is(tool(dir, 'openssl', ['verify', '-CAfile', cert, cert]).status, 0, 'the self-signed certificate verifies')
  }
  t.is(run(dir, ['key', 'export-bind', '--key-dir', 'keys', '--out', 'bind']).status, 0)
  const kfiles = await readdir(join(dir, 'bind'))
  t.is(kfiles.filter((f) => /^Kexample\.test\.\+016\+\d{5}\.(key|private)$/.test(f)).length, 4)
  const bind = tool(dir, 'dnssec-signzone', ['-S', '-K', 'bind', '-o', 'example.test', '-f', 'z.bind', 'z'])
  t.is(bind.status, 0, bind.stderr)
  const v1 = tool(dir, 'dnssec-verify', ['-q', '-o', 'example.test', 'z.bind'])
  t.is(v1.status, 0, v1.stderr)
  const s = run(dir, ['zone', 'sign', 'z', '--origin', 'example.test', '--keys', 'keys', '--out', 'z.ours'])
  t.is(s.status, 0, s.stderr)
  t.regex(await readFile(join(dir, 'z.ours'), 'utf8'), /RRSIG\s+SOA 16 2 /)
  const v2 = tool(dir, 'dnssec-verify', ['-q', '-o', 'example.test', 'z.ours'])
  t.is(v2.status, 0, v2.stderr)
  const v3 = tool(dir, 'ldns-verify-zone', ['z.ours'])
  t.is(v3.status, 0, v3.stdout + v3.stderr)
  const ours = run(dir, ['zone', 'verify', 'z.bind', '--origin', 'example.test'])
  t.is(ours.status, 0, ours.stdout + ours.stderr)
})

test('ED448 keys made by dnssec-keygen are imported, sign, and the zone passes dnssec-verify', async (t) => {
  if (!havePeers(t, 'dnssec-keygen', 'dnssec-verify')) return
  const dir = await mkdtemp(join(tmpdir(), 'secdns-ed448-'))
  await copyFile(fixture, join(dir, 'z'))
  const k1 = tool(dir, 'dnssec-keygen', ['-q', '-a', 'ED448', '-f', 'KSK', 'example.test'])
  const k2 = tool(dir, 'dnssec-keygen', ['-q', '-a', 'ED448', 'example.test'])
  t.is(k1.status, 0, k1.stderr)
  t.is(k2.status, 0, k2.stderr)
  const bases = [k1.stdout.trim(), k2.stdout.trim()]
  const im = run(dir, ['key', 'import-bind', ...bases.flatMap((b) => [`${b}.key`, `${b}.private`]), '--key-dir', 'keys', '--json'])
  t.is(im.status, 0, im.stderr)
  t.deepEqual(JSON.parse(im.stdout).imported.sort(), [...bases].sort(), 'the key tags secdns computes are the ones BIND put in the file names')
  const s = run(dir, ['zone', 'sign', 'z', '--origin', 'example.test', '--keys', 'keys', '--out', 'z.signed'])
  t.is(s.status, 0, s.stderr)
  const v = tool(dir, 'dnssec-verify', ['-q', '-o', 'example.test', 'z.signed'])
  t.is(v.status, 0, v.stderr)
})
