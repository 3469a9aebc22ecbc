/**
 * `secdns key revoke` (RFC 5011 REVOKE bit): the revoked KSK is published with flags 385
 * and its new key tag, signs only the DNSKEY RRset, and BIND's dnssec-verify (and
 * ldns-verify-zone, and our zone verify) accept the zone; a key revoked by BIND's
 * dnssec-revoke is understood on import and written back the way dnssec-revoke writes it.
 */
import test from 'ava'
import { copyFile, mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exampleZone as fixture, havePeers, run, tool } from './peer_tools.js'

/** DNSKEYs and RRSIGs of a signed zone as ldns-read-zone parses them: flags and key id of each key, key tag of each RRSIG by covered type. */
function peerView(cwd: string, file: string): { keys: Array<{ flags: number, id: number }>, sigs: Array<{ covered: string, tag: number }> } {
  const r = tool(cwd, 'ldns-read-zone', [file])
  if (r.status !== 0) throw new Error(r.stderr)
  const keys: Array<{ flags: number, id: number }> = []
  const sigs: Array<{ covered: string, tag: number }> = []
  for (const line of r.stdout.split('\n')) {
    const k = /\tDNSKEY\t(\d+) 3 \d+ \S+ ;\{id = (\d+) /.exec(line)
    if (k !== null) keys.push({ flags: Number(k[1]), id: Number(k[2]) })
    const s = /\tRRSIG\t(\S+) \d+ \d+ \d+ \d+ \d+ (\d+) /.exec(line)
    if (s !== null) sigs.push({ covered: s[1]!, tag: Number(s[2]) })
  }
  return { keys, sigs }
}

test('key revoke sets the REVOKE bit: flags 385 with the new tag, signs only the DNSKEY RRset, dnssec-verify accepts the zone', async (t) => {
  if (!havePeers(t, 'dnssec-verify', 'ldns-verify-zone', 'ldns-read-zone')) return
  const dir = await mkdtemp(join(tmpdir(), 'secdns-revoke-'))
  await copyFile(fixture, join(dir, 'z'))
  const made: Array<{ keyTag: number }> = []
  for (const extra of [['--ksk', '--now', 'now-2d'], ['--ksk', '--now', 'now-1d'], ['--now', 'now-2d']]) {
    const r = run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ECDSAP256SHA256', ...extra, '--key-dir', 'keys', '--json'])
    t.is(r.status, 0, r.stderr)
    made.push(JSON.parse(r.stdout))
  }
  const [oldKsk, newKsk, zsk] = made.map((m) => m.keyTag) as [number, number, number]
  const rv = run(dir, ['key', 'revoke', '--zone', 'example.test', '--key-tag', String(oldKsk), '--key-dir', 'keys', '--json'])
  t.is(rv.status, 0, rv.stderr)
  const j = JSON.parse(rv.stdout)
  t.is(j.state, 'revoked')
  t.is(j.revokedFlags, 385)
  t.not(j.revokedKeyTag, oldKsk, 'the REVOKE bit changes the key tag')
  t.truthy(j.delete, 'a delete time is set (RFC 5011 hold-down)')
  t.true(Date.parse(j.delete) - Date.parse(j.revoke) >= 30 * 86400_000)

  const s = run(dir, ['zone', 'sign', 'z', '--origin', 'example.test', '--keys', 'keys', '--out', 'z.signed'])
  t.is(s.status, 0, s.stderr)
  const view = peerView(dir, 'z.signed')
  t.deepEqual(view.keys.map((k) => `${k.flags}/${k.id}`).sort(), [`256/${zsk}`, `257/${newKsk}`, `385/${j.revokedKeyTag}`].sort())
  t.deepEqual(view.sigs.filter((x) => x.tag === j.revokedKeyTag).map((x) => x.covered), ['DNSKEY'], 'the revoked key signs the DNSKEY RRset only')
  t.false(view.sigs.some((x) => x.tag === oldKsk), 'nothing is signed under the old tag')
  const v = tool(dir, 'dnssec-verify', ['-o', 'example.test', 'z.signed'])
  t.is(v.status, 0, v.stderr)
  t.regex(v.stderr + v.stdout, /KSKs: 1 active, 0 stand-by, 1 revoked/)
  const l = tool(dir, 'ldns-verify-zone', ['z.signed'])
  t.is(l.status, 0, l.stdout + l.stderr)
  const ours = run(dir, ['zone', 'verify', 'z.signed', '--origin', 'example.test'])
  t.is(ours.status, 0, ours.stdout + ours.stderr)

  // Exported like dnssec-revoke leaves it: the new tag in the name, flags 385 in the record.
  t.is(run(dir, ['key', 'export-bind', '--key-dir', 'keys', '--out', 'bind']).status, 0)
  const revokedFile = `Kexample.test.+013+${String(j.revokedKeyTag).padStart(5, '0')}.key`
  t.true((await readdir(join(dir, 'bind'))).includes(revokedFile))
  t.regex(await readFile(join(dir, 'bind', revokedFile), 'utf8'), /IN DNSKEY 385 3 13 /)
})

test('key revoke refuses a ZSK, a second revocation and an unknown tag, naming the key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'secdns-revoke-'))
  const ksk = JSON.parse(run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--ksk', '--key-dir', 'keys', '--now', '20261101000000', '--json']).stdout).keyTag
  const zsk = JSON.parse(run(dir, ['key', 'create', '--zone', 'example.test', '--algorithm', 'ED25519', '--key-dir', 'keys', '--json']).stdout).keyTag
  const z = run(dir, ['key', 'revoke', '--zone', 'example.test', '--key-tag', String(zsk), '--key-dir', 'keys', '--json'])
  t.is(z.status, 2)
  t.deepEqual(JSON.parse(z.stdout).error, {
    code: 'ERR_DNSSEC_REVOKE',
    message: `cannot revoke keys/Kexample.test.+015+${String(zsk).padStart(5, '0')}.json (tag ${zsk}): it is a ZSK (flags 256); RFC 5011 revokes trust anchors, which are KSKs (flags 257)`,
  })
  t.is(run(dir, ['key', 'revoke', '--zone', 'example.test', '--key-tag', String(ksk), '--key-dir', 'keys', '--now', '20261201000000']).status, 0)
  const again = run(dir, ['key', 'revoke', '--zone', 'example.test', '--key-tag', String(ksk), '--key-dir', 'keys', '--json'])
  t.is(again.status, 2)
  t.is(JSON.parse(again.stdout).error.code, 'ERR_DNSSEC_REVOKE')
  t.regex(JSON.parse(again.stdout).error.message, /it is already revoked since 2026-12-01T00:00:00\.000Z$/)
  const none = run(dir, ['key', 'revoke', '--zone', 'example.test', '--key-tag', '1', '--key-dir', 'keys'])
  t.is(none.status, 2)
  t.regex(none.stderr, /keys: no key of example\.test\. with tag 1/)
  const bad = run(dir, ['key', 'revoke', '--zone', 'example.test', '--key-tag', 'x', '--key-dir', 'keys'])
  t.is(bad.status, 2)
  t.regex(bad.stderr, /--key-tag "x" is not a key tag/)
})

test('a KSK revoked by BIND dnssec-revoke is imported as revoked, signs the DNSKEY RRset with its new tag, and dnssec-verify accepts the zone', async (t) => {
  if (!havePeers(t, 'dnssec-keygen', 'dnssec-revoke', 'dnssec-verify', 'ldns-read-zone')) return
  const dir = await mkdtemp(join(tmpdir(), 'secdns-revoke-'))
  await copyFile(fixture, join(dir, 'z'))
  const gen = (...a: string[]) => { const r = tool(dir, 'dnssec-keygen', ['-q', '-a', 'ECDSAP256SHA256', ...a, 'example.test']); t.is(r.status, 0, r.stderr); return r.stdout.trim() }
  const oldKsk = gen('-f', 'KSK', '-P', 'now-2d', '-A', 'now-2d')
  const newKsk = gen('-f', 'KSK')
  const zsk = gen()
  const rv = tool(dir, 'dnssec-revoke', ['-r', oldKsk])
  t.is(rv.status, 0, rv.stderr)
  const revokedBase = rv.stdout.trim()
  t.not(revokedBase, oldKsk)
  t.regex(await readFile(join(dir, `${revokedBase}.key`), 'utf8'), /IN DNSKEY 385 3 13 /)
  const revokedTag = Number(/\+(\d{5})$/.exec(revokedBase)![1])

  const files = [revokedBase, newKsk, zsk].flatMap((b) => [`${b}.key`, `${b}.private`])
  const im = run(dir, ['key', 'import-bind', ...files, '--key-dir', 'keys', '--json'])
  t.is(im.status, 0, im.stderr)
  // The store names a key by its tag without the REVOKE bit, which is the tag dnssec-keygen gave it.
  t.true(JSON.parse(im.stdout).imported.includes(oldKsk))
  const list = JSON.parse(run(dir, ['key', 'list', '--key-dir', 'keys', '--json']).stdout).keys as Array<{ key: string, state: string, revoke: string | null }>
  const old = list.find((k) => k.key === oldKsk)!
  t.is(old.state, 'revoked')
  t.truthy(old.revoke)

  const s = run(dir, ['zone', 'sign', 'z', '--origin', 'example.test', '--keys', 'keys', '--out', 'z.signed'])
  t.is(s.status, 0, s.stderr)
  const view = peerView(dir, 'z.signed')
  t.true(view.keys.some((k) => k.flags === 385 && k.id === revokedTag))
  t.deepEqual(view.sigs.filter((x) => x.tag === revokedTag).map((x) => x.covered), ['DNSKEY'])
  const v = tool(dir, 'dnssec-verify', ['-o', 'example.test', 'z.signed'])
  t.is(v.status, 0, v.stderr)
  t.regex(v.stderr + v.stdout, /1 revoked/)

  // Exported back, the revoked key has dnssec-revoke's name and DNSKEY line.
  t.is(run(dir, ['key', 'export-bind', '--key-dir', 'keys', '--out', 'bind']).status, 0)
  const back = await readFile(join(dir, 'bind', `${revokedBase}.key`), 'utf8')
  const theirs = await readFile(join(dir, `${revokedBase}.key`), 'utf8')
  const dnskey = (text: string) => {
    const [owner, ...rest] = text.split('\n').find((l) => l.includes('DNSKEY'))!.trim().split(/\s+/)
    const i = rest.indexOf('DNSKEY')
    return `${owner} ${rest.slice(i, i + 4).join(' ')} ${rest.slice(i + 4).join('')}`
  }
  t.is(dnskey(back), dnskey(theirs))
})
