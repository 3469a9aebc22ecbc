#!/usr/bin/env node
// Zone signing benchmark: secdns against dnssec-signzone, ldns-signzone and kzonesign on
// the same generated zone, RSASHA256-2048 and ECDSAP256SHA256, NSEC and NSEC3, in one run.
// Prints wall seconds, CPU seconds (user + system, all threads) and peak RSS (from
// /usr/bin/time -v) for each tool, and node:crypto's signing ceiling × cores.
//
//   node bench/sign.mjs            10,000 names (with delegations)
//   node bench/sign.mjs --large    100,000 names
//   node bench/sign.mjs --only ecdsa   one algorithm
//   node bench/sign.mjs --repeat 3     best of 3 runs of every tool (on a busy machine)
//
// Run it under the benchmark lock: flock /tmp/bench.lock node bench/sign.mjs
//
// Build first: npx tsc -b packages/cli
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync, readdirSync, existsSync, readFileSync } from 'node:fs'
import { tmpdir, availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto'

const args = process.argv.slice(2)

// Runner mode: the signer as a library (no CLI start-up: the CLI loads every package).
if (args[0] === '--run') {
  const [, zoneFile, keyDir, outFile, threads, nsec3] = args
  const { Name } = await import('@secdns/wire')
  const { loadKeys, signZoneFile, createWorkerSigner } = await import('@secdns/dnssec')
  const keys = (await loadKeys(keyDir, { zone: 'bench.test' })).map((s) => s.key)
  const pool = createWorkerSigner({ threads: Number(threads) })
  try {
    const res = await signZoneFile(zoneFile, {
      origin: Name.fromString('bench.test.'), keys, now: Math.floor(Date.now() / 1000), out: outFile, signer: pool.sign, keepRecords: false,
      ...(nsec3 === 'nsec3' ? { nsec3: { hashAlgorithm: 1, iterations: 0, salt: new Uint8Array(0), optOut: false } } : {}),
    })
    console.log(JSON.stringify(res.stats))
  } finally { await pool.close() }
  process.exit(0)
}
const N = args.includes('--large') ? 100_000 : 10_000
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null
const repeat = args.includes('--repeat') ? Math.max(1, Number(args[args.indexOf('--repeat') + 1])) : 1
const cli = fileURLToPath(new URL('../packages/cli/bin/secdns.js', import.meta.url))
const ZONE = 'bench.test'
const dir = mkdtempSync(join(tmpdir(), 'secdns-bench-'))
const cores = availableParallelism()

function have(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool} || ls /usr/sbin/${tool}`], { encoding: 'utf8' }).status === 0
}

// The zone: apex, N names; every 10th a delegation (NS + glue, every other one with DS).
function makeZone() {
  const lines = ['$ORIGIN bench.test.', '$TTL 3600', '@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300', '@ IN NS ns1', '@ IN NS ns2', 'ns1 IN A 192.0.2.1', 'ns2 IN A 192.0.2.2']
  for (let i = 0; i < N; i++) {
    const a = `${10 + ((i >> 16) & 0xff)}.${(i >> 8) & 0xff}.${i & 0xff}`
    if (i % 10 === 9) {
      lines.push(`d${i} IN NS ns.d${i}`, `ns.d${i} IN A 10.${a}`)
      if (i % 20 === 19) lines.push(`d${i} IN DS ${i % 65536} 13 2 ${'ab'.repeat(32)}`)
    } else {
      lines.push(`h${i} IN A 10.${a}`)
      if (i % 3 === 0) lines.push(`h${i} IN AAAA 2001:db8::${(i & 0xffff).toString(16)}`)
    }
  }
  const f = join(dir, 'bench.test.zone')
  writeFileSync(f, lines.join('\n') + '\n')
  return f
}

function timedOnce(cmd, argv, opts = {}) {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...argv], { encoding: 'utf8', maxBuffer: 1 << 28, ...opts })
  const wall = /Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)/.exec(r.stderr)
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)
  const user = /User time \(seconds\): (\d+(?:\.\d+)?)/.exec(r.stderr)
  const sys = /System time \(seconds\): (\d+(?:\.\d+)?)/.exec(r.stderr)
  const seconds = wall ? (Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3])) : NaN
  const cpu = user && sys ? Number(user[1]) + Number(sys[1]) : NaN
  return { ok: r.status === 0, seconds, cpu, rssMb: rss ? Number(rss[1]) / 1024 : NaN, out: r.stdout, err: r.stderr }
}

/** Best (lowest wall time) of `repeat` runs; CPU and RSS are the lowest seen too. */
function timed(cmd, argv, opts = {}) {
  let best = null
  for (let i = 0; i < repeat; i++) {
    const r = timedOnce(cmd, argv, opts)
    if (!r.ok) return r
    if (best === null) { best = r; continue }
    best = { ...(r.seconds < best.seconds ? r : best), cpu: Math.min(r.cpu, best.cpu), rssMb: Math.min(r.rssMb, best.rssMb) }
  }
  return best
}

function countSigs(file) {
  if (!existsSync(file)) return 0
  // owner TTL [class] RRSIG …: the type field, not an NSEC/NSEC3 bitmap that lists RRSIG
  return readFileSync(file, 'utf8').split('\n').filter((l) => /^(?:\S+)?\s+\d+\s+(?:IN\s+)?RRSIG\s/.test(l)).length
}

/** node:crypto single-thread signatures per second (the ceiling). */
function ceiling(kind) {
  const { privateKey } = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const data = Buffer.alloc(100, 7)
  const t0 = process.hrtime.bigint()
  let n = 0
  while (Number(process.hrtime.bigint() - t0) < 1e9) {
    if (kind === 'rsa') cryptoSign('sha256', data, privateKey); else cryptoSign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
    n++
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9)
}

/**
 * The signing alone, as the signer hands it over: RRset batches of 1,024 A RRsets signed by
 * createWorkerSigner (the native signer when built) on `cores` threads for a second.
 */
async function batchRate(kind) {
  const { Name, rdataFromString } = await import('@secdns/wire')
  const { createKey, createWorkerSigner, RRsetBatchWriter } = await import('@secdns/dnssec')
  const origin = Name.fromString(`${ZONE}.`)
  const key = createKey(ZONE, kind === 'rsa' ? 8 : 13, kind === 'rsa' ? { bits: 2048 } : {}).key
  const w = new RRsetBatchWriter()
  const n = kind === 'rsa' ? 64 : 1024
  for (let i = 0; i < n; i++) w.add(Name.fromString(`h${i}`, origin), 1, 1, 3600, 3, 2_000_000_000, [rdataFromString(1, `10.0.${i >> 8}.${i & 255}`, origin)], [0])
  const batch = w.take()
  const pool = createWorkerSigner({ threads: cores })
  const head = { inception: 1_900_000_000, signerWire: origin.canonicalWire() }
  try {
    await pool.sign.signRRsets([key], [1], batch.slice(), n, head)
    const t0 = process.hrtime.bigint()
    let done = 0
    const one = async () => { while (Number(process.hrtime.bigint() - t0) < 1e9) { await pool.sign.signRRsets([key], [1], batch.slice(), n, head); done += n } }
    await Promise.all(Array.from({ length: cores }, one))
    return { rate: done / (Number(process.hrtime.bigint() - t0) / 1e9), kind: pool.kind }
  } finally { await pool.close() }
}

const zoneFile = makeZone()
const algs = [
  { id: 'rsa', name: 'RSASHA256', bits: ['--bits', '2048'], bindAlg: 'RSASHA256', knot: 'rsasha256' },
  { id: 'ecdsa', name: 'ECDSAP256SHA256', bits: [], bindAlg: 'ECDSAP256SHA256', knot: 'ecdsap256sha256' },
].filter((a) => only === null || a.id === only)
const rows = []
for (const alg of algs) {
  // One key pair set for secdns, exported to BIND K-files for dnssec-signzone and ldns-signzone.
  const kdir = join(dir, `keys-${alg.id}`)
  const bdir = join(dir, `bind-${alg.id}`)
  for (const extra of [['--ksk'], []]) {
    const r = spawnSync(process.execPath, [cli, 'key', 'create', '--zone', ZONE, '--algorithm', alg.name, ...alg.bits, ...extra, '--key-dir', kdir, '--now', 'now-1d'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
  }
  spawnSync(process.execPath, [cli, 'key', 'export-bind', '--key-dir', kdir, '--out', bdir], { encoding: 'utf8' })
  const bases = [...new Set(readdirSync(bdir).map((f) => f.replace(/\.(key|private)$/, '')))].map((b) => join(bdir, b))
  const ceil = ceiling(alg.id)
  for (const nsec3 of [false, true]) {
    const mode = nsec3 ? 'NSEC3' : 'NSEC'
    const label = `${alg.name} ${mode}`
    const out = (t) => join(dir, `${t}-${alg.id}-${mode}.signed`)
    const add = (tool, r, file) => rows.push({ label, tool, seconds: r.ok ? r.seconds : NaN, cpu: r.ok ? r.cpu : NaN, rssMb: r.rssMb, sigs: countSigs(file), note: r.ok ? '' : (r.err.split('\n').find((l) => /error|fail|fatal/i.test(l)) ?? 'failed').slice(0, 60) })
    // secdns: both cores
    let r = timed(process.execPath, [cli, 'zone', 'sign', zoneFile, '--zone', ZONE, '--key-dir', kdir, '--out', out('secdns'), '--jobs', String(cores), ...(nsec3 ? ['--nsec3'] : []), '--json'])
    add(`secdns (--jobs ${cores})`, r, out('secdns'))
    const j = r.ok ? JSON.parse(r.out) : null
    if (j) rows.at(-1).ceiling = (j.signatures / (ceil * cores))
    r = timed(process.execPath, [fileURLToPath(import.meta.url), '--run', zoneFile, kdir, out('secdns-lib'), String(cores), nsec3 ? 'nsec3' : 'nsec'])
    add(`secdns library (${cores} threads)`, r, out('secdns-lib'))
    const jl = r.ok ? JSON.parse(r.out) : null
    if (jl) rows.at(-1).ceiling = (jl.signatures / (ceil * cores))
    // dnssec-signzone: 2 threads, no post-sign verification (-P)
    if (have('dnssec-signzone')) {
      r = timed('dnssec-signzone', ['-n', String(cores), '-P', '-S', '-O', 'full', '-K', bdir, '-o', ZONE, '-f', out('bind'), ...(nsec3 ? ['-3', '-', '-H', '0'] : []), zoneFile])
      add(`dnssec-signzone -n ${cores} -P -O full`, r, out('bind'))
    }
    if (have('ldns-signzone')) {
      r = timed('ldns-signzone', [...(nsec3 ? ['-n', '-t', '0'] : []), '-f', out('ldns'), zoneFile, ...bases])
      add('ldns-signzone', r, out('ldns'))
    }
    if (have('kzonesign')) {
      const kd = join(dir, `knot-${alg.id}-${mode}`)
      mkdirSync(kd, { recursive: true })
      const conf = join(kd, 'knot.conf')
      writeFileSync(conf, `database:\n  storage: ${kd}\nkeystore:\n  - id: ks\n    config: ${kd}/keys\npolicy:\n  - id: p\n    algorithm: ${alg.knot}\n    ksk-size: ${alg.id === 'rsa' ? 2048 : 256}\n    zsk-size: ${alg.id === 'rsa' ? 2048 : 256}\n    nsec3: ${nsec3 ? 'on' : 'off'}\n    nsec3-iterations: 0\n    nsec3-salt-length: 0\n    signing-threads: ${cores}\n    keystore: ks\nzone:\n  - domain: ${ZONE}\n    storage: ${dir}\n    file: bench.test.zone\n    dnssec-signing: on\n    dnssec-policy: p\n`)
      // First run makes knot's own keys; the timed second run signs with them.
      timed('kzonesign', ['-c', conf, '-o', kd, ZONE])
      r = timed('kzonesign', ['-c', conf, '-o', kd, ZONE])
      add(`kzonesign (${cores} threads)`, r, join(kd, 'bench.test.zone'))
    }
  }
  rows.push({ label: `${alg.name}`, tool: `node:crypto ceiling × ${cores} cores`, seconds: NaN, cpu: NaN, rssMb: NaN, sigs: Math.round(ceil * cores), note: 'signatures/s' })
  const br = await batchRate(alg.id)
  rows.push({ label: `${alg.name}`, tool: `secdns batches only (${br.kind}, ${cores})`, seconds: NaN, cpu: NaN, rssMb: NaN, sigs: Math.round(br.rate), note: `signatures/s, ${(100 * br.rate / (ceil * cores)).toFixed(0)}% of ceiling×cores` })
}

const pad = (s, n) => String(s).padEnd(n - 1) + ' '
console.log(`zone: ${N} names (every 10th a delegation with glue, every 20th with DS), ${cores} cores, node ${process.version}, best of ${repeat}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`)
console.log(pad('algorithm / denial', 24) + pad('tool', 36) + pad('seconds', 10) + pad('CPU s', 8) + pad('peak RSS MB', 13) + pad('RRSIGs', 9) + 'notes')
for (const r of rows) {
  const note = r.ceiling !== undefined ? `${(r.sigs / r.seconds).toFixed(0)} sig/s, ${(100 * r.ceiling / r.seconds).toFixed(0)}% of ceiling×cores` : r.seconds > 0 ? `${(r.sigs / r.seconds).toFixed(0)} sig/s` : r.note
  console.log(pad(r.label, 24) + pad(r.tool, 36) + pad(Number.isNaN(r.seconds) ? '-' : r.seconds.toFixed(2), 10) + pad(Number.isNaN(r.cpu) ? '-' : r.cpu.toFixed(2), 8) + pad(Number.isNaN(r.rssMb) ? '-' : r.rssMb.toFixed(0), 13) + pad(r.sigs, 9) + note)
}
