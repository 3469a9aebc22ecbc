/**
 * @secdns/dnssec against real peers: our signed zones pass dnssec-verify and
 * ldns-verify-zone for every algorithm with NSEC, NSEC3 and NSEC3 opt-out; BIND's named
 * serves them and delv validates them from our DS or DNSKEY; keys cross both ways with
 * dnssec-keygen / dnssec-signzone; and `zone verify` agrees with dnssec-verify on zones
 * signed by dnssec-signzone and ldns-signzone.
 */
import test from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFile, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Name } from '@secdns/wire'
import {
  createKey, dsOf, readBindKey, signZoneFile, verifyZoneFile, writeBindKey, algorithmToString,
  formatBindPublicKey, startRollover, DEFAULT_TIMINGS, type DnssecKey, type Nsec3Params,
} from '@secdns/dnssec'
import { havePeers, runPeer, which } from '../helpers/peers.js'
import { freePort } from '../helpers/ports.js'

const fixture = fileURLToPath(new URL('../../../test/fixtures/dnssec/example.test.zone', import.meta.url))
const cli = fileURLToPath(new URL('../../../packages/cli/bin/secdns.js', import.meta.url))
const origin = Name.fromString('example.test.')
const now = () => Math.floor(Date.now() / 1000)
const ALGS = [5, 7, 8, 10, 13, 14, 15]
const bits = (alg: number) => (alg <= 10 ? 1024 : undefined)

function keysFor(zone: string, alg: number, t0: number): DnssecKey[] {
  return [createKey(zone, alg, { ksk: true, bits: bits(alg), now: t0 - 60 }).key, createKey(zone, alg, { bits: bits(alg), now: t0 - 60 }).key]
}

const modes: Array<{ name: string, nsec3?: Nsec3Params }> = [
  { name: 'NSEC' },
  { name: 'NSEC3', nsec3: { hashAlgorithm: 1, iterations: 0, salt: new Uint8Array(0), optOut: false } },
  { name: 'NSEC3 opt-out', nsec3: { hashAlgorithm: 1, iterations: 5, salt: new Uint8Array([0xab, 0xcd]), optOut: true } },
]

test.serial('every algorithm with NSEC, NSEC3 and opt-out passes dnssec-verify, ldns-verify-zone and kzonecheck', async (t) => {
  if (!havePeers(t, 'dnssec-verify', 'ldns-verify-zone')) return
  const dir = await mkdtemp(join(tmpdir(), 'secdns-interop-'))
  const zone = join(dir, 'example.test.zone')
  await copyFile(fixture, zone)
  for (const alg of ALGS) {
    const keys = keysFor('example.test', alg, now())
    for (const m of modes) {
      // RFC 5155 §2: RSASHA1 (5) cannot sign NSEC3 zones (secdns refuses it, tested elsewhere).
      if (alg === 5 && m.nsec3 !== undefined) continue
      const out = join(dir, `signed-${alg}-${m.name.replace(/ /g, '-')}`)
      await signZoneFile(zone, { origin, keys, now: now(), out, ...(m.nsec3 === undefined ? {} : { nsec3: m.nsec3 }) })
      const label = `${algorithmToString(alg)} ${m.name}`
      const bind = runPeer('dnssec-verify', ['-q', '-o', 'example.test', out])
      t.is(bind.status, 0, `dnssec-verify ${label}: ${bind.stderr}`)
      const ldns = runPeer('ldns-verify-zone', [out])
      t.is(ldns.status, 0, `ldns-verify-zone ${label}: ${ldns.stdout}${ldns.stderr}`)
      if (which('kzonecheck') !== null) {
        const knot = runPeer('kzonecheck', ['-o', 'example.test', '-d', 'on', out])
        t.is(knot.status, 0, `kzonecheck ${label}: ${knot.stdout}${knot.stderr}`)
      }
      const ours = verifyZoneFile(out, { origin, now: now() })
      t.deepEqual(ours.errors, [], `secdns zone verify ${label}`)
    }
  }
})


test.serial('named serves our zones (every algorithm, NSEC, NSEC3, opt-out) and delv fully validates them from our DS or DNSKEY', async (t) => {
  if (!havePeers(t, 'named', 'delv', 'dig')) return
  const dir = await mkdtemp(join(tmpdir(), 'secdns-named-'))
  const base = await readFile(fixture, 'utf8')
  const zones: Array<{ name: string, alg: number, anchor: string, optOut: boolean }> = []
  let conf = ''
  let i = 0
  for (const alg of ALGS) {
    for (const [mi, mode] of modes.entries()) {
      // RFC 5155 §2: no NSEC3 with RSASHA1 (5).
      if (alg === 5 && mode.nsec3 !== undefined) continue
      const name = `a${alg}-${['nsec', 'nsec3', 'optout'][mi]}.test`
      const text = base.replace(/example\.test\./g, `${name}.`)
      const file = join(dir, `${name}.zone`)
      await writeFile(file, text)
      const keys = keysFor(name, alg, now())
      const res = await signZoneFile(file, { origin: Name.fromString(`${name}.`), keys, now: now(), ...(mode.nsec3 === undefined ? {} : { nsec3: mode.nsec3 }) })
      conf += `zone "${name}" { type primary; file "${res.out}"; };\n`
      const ksk = keys[0]!
      // half the anchors as DS, half as DNSKEY
      const anchor = i++ % 2 === 0
        ? `${name}. static-ds ${ksk.keyTag} ${alg} 2 "${Buffer.from(dsOf(ksk, 2, now()).digest).toString('hex')}";`
        : `${name}. static-key 257 3 ${alg} "${Buffer.from(ksk.publicKey).toString('base64')}";`
      zones.push({ name, alg, anchor, optOut: mode.nsec3?.optOut === true })
    }
  }
  const port = await freePort()
  await writeFile(join(dir, 'named.conf'), `options {
  directory "${dir}"; pid-file "${dir}/named.pid"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };
  recursion no; dnssec-validation no; session-keyfile "${dir}/session.key"; managed-keys-directory "${dir}";
};
controls { };
${conf}`)
  const named: ChildProcess = spawn(which('named')!, ['-g', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  named.stderr!.on('data', (d: Buffer) => { log += d.toString() })
  t.teardown(() => { named.kill('SIGTERM') })
  let up = false
  for (let i = 0; i < 100 && !up; i++) {
    const r = runPeer('dig', ['+short', '+time=1', '+tries=1', '-p', String(port), '@127.0.0.1', 'a13-nsec.test', 'SOA'])
    up = r.status === 0 && r.stdout.trim() !== ''
    if (!up) await new Promise((res) => setTimeout(res, 100))
  }
  t.true(up, `named did not start: ${log.slice(-2000)}`)
  for (const z of zones) {
    const anchors = join(dir, `anchor-${z.name}.conf`)
    await writeFile(anchors, `trust-anchors { ${z.anchor} };\n`)
    // Under opt-out only positive answers at names with their own NSEC3 are secure: RFC 5155
    // §9.2 makes denials and wildcard answers proven by an opt-out span insecure.
    const queries = z.optOut ? [[`www.${z.name}`, 'A'], [z.name, 'DNSKEY']] : [[`www.${z.name}`, 'A'], [`nope.${z.name}`, 'A'], [`x.wild.${z.name}`, 'TXT'], [`www.${z.name}`, 'TXT']]
    for (const q of queries) {
      const r = runPeer('delv', ['@127.0.0.1', '-p', String(port), '-a', anchors, `+root=${z.name}`, q[0]!, q[1]!])
      t.regex(r.stdout + r.stderr, /fully validated/, `delv ${q.join(' ')} (${algorithmToString(z.alg)}${z.optOut ? ', opt-out' : ''}): ${r.stdout}${r.stderr}`)
    }
  }
})

test.serial('dnssec-signzone signs with keys secdns exported, and secdns signs with keys dnssec-keygen made', async (t) => {
  if (!havePeers(t, 'dnssec-signzone', 'dnssec-keygen', 'dnssec-verify')) return
  const dir = await mkdtemp(join(tmpdir(), 'secdns-kx-'))
  const zone = join(dir, 'example.test.zone')
  await copyFile(fixture, zone)
  // ours → BIND
  const keyDir = join(dir, 'exported')
  for (const alg of [8, 13, 15]) {
    const keys = keysFor('example.test', alg, now())
    for (const k of keys) await writeBindKey(k, keyDir)
    const out = join(dir, `bind-${alg}.signed`)
    const r = runPeer('dnssec-signzone', ['-S', '-K', keyDir, '-o', 'example.test', '-f', out, zone])
    t.is(r.status, 0, `dnssec-signzone with exported ${algorithmToString(alg)} keys: ${r.stderr}`)
    const v = runPeer('dnssec-verify', ['-q', '-o', 'example.test', out])
    t.is(v.status, 0, v.stderr)
    for (const f of await readdir(keyDir)) if (f.startsWith('K')) await import('node:fs/promises').then((fs) => fs.unlink(join(keyDir, f)))
  }
  // BIND → ours
  const genDir = join(dir, 'gen')
  await import('node:fs/promises').then((fs) => fs.mkdir(genDir))
  for (const alg of ['RSASHA256', 'ECDSAP384SHA384', 'ED25519']) {
    const size = alg === 'RSASHA256' ? ['-b', '1024'] : []
    const k1 = runPeer('dnssec-keygen', ['-q', '-K', genDir, '-a', alg, ...size, '-f', 'KSK', 'example.test'])
    const k2 = runPeer('dnssec-keygen', ['-q', '-K', genDir, '-a', alg, ...size, 'example.test'])
    t.is(k1.status, 0, k1.stderr)
    t.is(k2.status, 0, k2.stderr)
    const keys = [await readBindKey(join(genDir, `${k1.stdout.trim()}.key`)), await readBindKey(join(genDir, `${k2.stdout.trim()}.key`))]
    const out = join(dir, `ours-${alg}.signed`)
    await signZoneFile(zone, { origin, keys, now: now(), out })
    const v = runPeer('dnssec-verify', ['-q', '-o', 'example.test', out])
    t.is(v.status, 0, `dnssec-verify of our zone signed with dnssec-keygen ${alg} keys: ${v.stderr}`)
    t.true(formatBindPublicKey(keys[0]!).includes(`IN DNSKEY 257 3`))
  }
})

test.serial('zone verify agrees with dnssec-verify on zones signed by dnssec-signzone and ldns-signzone, and on broken ones', async (t) => {
  if (!havePeers(t, 'dnssec-signzone', 'dnssec-keygen', 'dnssec-verify', 'ldns-signzone', 'ldns-keygen')) return
  const dir = await mkdtemp(join(tmpdir(), 'secdns-agree-'))
  const zone = join(dir, 'example.test.zone')
  await copyFile(fixture, zone)
  t.is(runPeer('dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', '-f', 'KSK', 'example.test']).status, 0)
  t.is(runPeer('dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', 'example.test']).status, 0)
  const signed: Array<{ who: string, file: string }> = []
  for (const [who, args] of [['dnssec-signzone', []], ['dnssec-signzone NSEC3', ['-3', '-', '-H', '0']], ['dnssec-signzone opt-out', ['-3', 'aabb', '-H', '2', '-A']]] as const) {
    const out = join(dir, `${who.replace(/ /g, '_')}.signed`)
    const r = runPeer('dnssec-signzone', ['-S', '-O', 'full', '-K', dir, '-o', 'example.test', '-f', out, ...args, zone])
    t.is(r.status, 0, r.stderr)
    signed.push({ who, file: out })
  }
  // ldns-signzone with keys of its own (ldns-keygen writes K-files in the cwd)
  const lk = runPeer('ldns-keygen', ['-a', 'ED25519', '-k', 'example.test'], { cwd: dir }).stdout.trim()
  const lz = runPeer('ldns-keygen', ['-a', 'ED25519', 'example.test'], { cwd: dir }).stdout.trim()
  for (const [who, args] of [['ldns-signzone', []], ['ldns-signzone NSEC3', ['-n', '-t', '0']]] as const) {
    const out = join(dir, `${who.replace(/ /g, '_')}.signed`)
    const r = runPeer('ldns-signzone', [...args, '-f', out, zone, join(dir, lk), join(dir, lz)], { cwd: dir })
    t.is(r.status, 0, r.stderr)
    signed.push({ who, file: out })
  }
  for (const s of signed) {
    const bind = runPeer('dnssec-verify', ['-q', '-o', 'example.test', s.file]).status === 0
    const ours = verifyZoneFile(s.file, { origin, now: now() })
    t.true(bind, `dnssec-verify accepts the ${s.who} zone`)
    t.deepEqual(ours.errors, [], `secdns zone verify accepts the ${s.who} zone`)
  }
  // Break a dnssec-signzone zone several ways: both verifiers must refuse it, ours naming the record.
  const good = await readFile(signed[0]!.file, 'utf8')
  const lines = good.split('\n')
  const breaks: Array<{ what: string, text: string, name: RegExp }> = [
    { what: 'changed RDATA', text: good.replace(/^(web\.example\.test\.\s+\d+\s+IN\s+A\s+)192\.0\.2\.80/m, '$1192.0.2.81'), name: /web\.example\.test\. A/ },
    { what: 'missing NSEC', text: lines.filter((l) => !/^mail\.example\.test\.\s.*\sNSEC\s/.test(l) && !/^mail\.example\.test\.\s.*\sRRSIG\s+NSEC\s/.test(l)).join('\n'), name: /mail\.example\.test\. NSEC/ },
    { what: 'wrong bitmap', text: good.replace(/^(mail\.example\.test\.\s+\d+\s+IN\s+NSEC\s+\S+\s+)A /m, '$1A MX '), name: /mail\.example\.test\. NSEC/ },
    { what: 'DNSKEY removed', text: lines.filter((l) => !/\sIN\s+DNSKEY\s/.test(l)).join('\n'), name: /DNSKEY/ },
  ]
  for (const b of breaks) {
    const f = join(dir, `broken-${b.what.replace(/ /g, '_')}`)
    await writeFile(f, b.text)
    t.not(b.text, good, `${b.what}: the break changed the zone`)
    const bind = runPeer('dnssec-verify', ['-q', '-o', 'example.test', f])
    t.not(bind.status, 0, `dnssec-verify refuses ${b.what}`)
    const ours = verifyZoneFile(f, { origin, now: now() })
    t.false(ours.ok, `secdns refuses ${b.what}`)
    t.regex(ours.errors.map((e) => e.message).join('\n'), b.name, b.what)
  }
  // expired: dnssec-verify does not check signature dates, ldns-verify-zone does.
  const old = join(dir, 'expired.signed')
  t.is(runPeer('dnssec-signzone', ['-S', '-P', '-O', 'full', '-K', dir, '-o', 'example.test', '-s', '20200101000000', '-e', '20200201000000', '-f', old, zone]).status, 0)
  t.not(runPeer('ldns-verify-zone', [old]).status, 0, 'ldns-verify-zone refuses expired signatures')
  const ours = verifyZoneFile(old, { origin, now: now() })
  t.false(ours.ok)
  t.true(ours.errors.every((e) => e.code === 'expired'))
  t.regex(ours.errors[0]!.message, /example\.test\. \S+: no valid RRSIG .*expired/)
})

test.serial('the secdns CLI signs with keys it created, and dnssec-verify accepts the result', async (t) => {
  if (!havePeers(t, 'dnssec-verify')) return
  const dir = await mkdtemp(join(tmpdir(), 'secdns-cli-'))
  const zone = join(dir, 'example.test.zone')
  await copyFile(fixture, zone)
  const { execFileSync } = await import('node:child_process')
  const run = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir })
  run('key', 'create', '--zone', 'example.test', '--algorithm', 'ECDSAP256SHA256', '--ksk', '--key-dir', 'keys')
  run('key', 'create', '--zone', 'example.test', '--algorithm', 'ECDSAP256SHA256', '--key-dir', 'keys')
  const j = JSON.parse(run('zone', 'sign', zone, '--zone', 'example.test', '--key-dir', 'keys', '--nsec3', '--jobs', '2', '--json'))
  t.true(j.ok)
  t.is(runPeer('dnssec-verify', ['-q', '-o', 'example.test', j.out]).status, 0)
})

test.serial('dnssec-verify passes at every phase of a ZSK pre-publication and a KSK double-signature rollover', async (t) => {
  if (!havePeers(t, 'dnssec-verify')) return
  const dir = await mkdtemp(join(tmpdir(), 'secdns-roll-'))
  const zone = join(dir, 'example.test.zone')
  await copyFile(fixture, zone)
  // dnssec-verify checks signature dates against the real clock, so the walk happens in
  // the past: every phase signed at its own time still has valid signatures today.
  const t0 = now() - 5 * 86400
  const timings = { ...DEFAULT_TIMINGS, maxZoneTtl: 3600 }
  const ksk = createKey('example.test', 13, { ksk: true, now: t0 - 86400 }).key
  const zsk = createKey('example.test', 13, { now: t0 - 86400 }).key
  const z = startRollover([ksk, zsk], { zone: 'example.test.', role: 'zsk', method: 'prepublish', now: t0, timings })
  const k = startRollover([ksk, zsk], { zone: 'example.test.', role: 'ksk', method: 'double-signature', now: t0, timings })
  const walks: Array<{ name: string, keys: DnssecKey[], times: number[] }> = [
    { name: 'ZSK pre-publication', keys: [ksk, z.predecessor, z.successor], times: [t0, z.successor.timing.activate!, z.predecessor.timing.delete!] },
    { name: 'KSK double signature', keys: [k.predecessor, zsk, k.successor], times: [t0, k.dsSubmit!, k.predecessor.timing.delete!] },
  ]
  for (const w of walks) {
    for (const [i, at] of w.times.entries()) {
      const out = join(dir, `${w.name.replace(/ /g, '-')}-${i}`)
      // signatures valid around the phase time, as a signer run at that time makes them
      await signZoneFile(zone, { origin, keys: w.keys, now: at, out })
      const r = runPeer('dnssec-verify', ['-q', '-o', 'example.test', out])
      t.is(r.status, 0, `${w.name} phase ${i}: ${r.stderr}`)
    }
  }
})
