#!/usr/bin/env node
// Zone loading benchmark: a generated 100,000-name zone (with delegations and glue),
// loaded and checked by secdns (`secdns zone check`) and by named-checkzone, in the same
// run on the same file. Prints wall time and peak RSS of each (GNU time's %M).
//
//   npm run build && node bench/zone.mjs [--names=100000] [--runs=3] [--compare=DIR]
// (other flags, such as those `npm run bench` passes to every benchmark, are ignored)
// --compare=DIR also loads the file with another build of @secdns/zone (DIR holds its
// compiled index.js, e.g. the previous commit's packages/zone built into a scratch copy),
// alternating with this one, and prints both: an A/B that the machine's load cannot skew.
import { mkdtempSync, writeFileSync, statSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const flag = (name, dflt) => {
  const a = process.argv.slice(2).find((x) => x.startsWith(`--${name}=`))
  const v = a === undefined ? dflt : Number(a.slice(name.length + 3))
  if (!Number.isInteger(v) || v < 1) { console.error(`bench/zone.mjs: --${name} must be a positive integer`); process.exit(2) }
  return v
}
const compareArg = process.argv.slice(2).find((x) => x.startsWith('--compare='))
const compareDir = compareArg === undefined ? null : compareArg.slice('--compare='.length)
const names = flag('names', 100_000)
const runs = flag('runs', 3)
const secdns = fileURLToPath(new URL('../packages/cli/bin/secdns.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'secdns-bench-zone-'))
const file = join(dir, 'bench.test.zone')

// A zone shaped like a real one: hosts with A/AAAA/TXT, some MX and CNAME, and every
// 20th name a delegation with two in-bailiwick name servers and their glue.
function generate() {
  const out = []
  out.push('$TTL 3600', '$ORIGIN bench.test.',
    '@ IN SOA ns1 hostmaster ( 2026112501 7200 900 1209600 300 )', '  IN NS ns1', '  IN NS ns2',
    'ns1 IN A 192.0.2.1', 'ns2 IN A 192.0.2.2', '  IN AAAA 2001:db8::2')
  let buf = []
  for (let i = 0; i < names; i++) {
    const a = `${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
    if (i % 20 === 0) {
      buf.push(`d${i} IN NS ns1.d${i}`, `d${i} IN NS ns2.d${i}`, `ns1.d${i} IN A 10.${a}`, `ns2.d${i} IN AAAA 2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::53`)
      if (i % 40 === 0) buf.push(`d${i} IN DS ${i % 65536} 13 2 ${'AB'.repeat(32)}`)
    } else if (i % 10 === 5) {
      buf.push(`alias${i} IN CNAME host${i - 1}`)
    } else {
      buf.push(`host${i} IN A 10.${a}`, `        IN AAAA 2001:db8:${(i >> 16).toString(16)}::${(i & 0xffff).toString(16)}`, `        IN TXT "host number ${i}; v=spf1 -all"`)
      if (i % 7 === 0) buf.push(`        IN MX 10 mail${i % 100}.bench.test.`)
    }
    if (buf.length > 4096) { out.push(buf.join('\n')); buf = [] }
  }
  for (let i = 0; i < 100; i++) buf.push(`mail${i} IN A 192.0.2.${100 + (i % 100)}`)
  out.push(buf.join('\n'))
  writeFileSync(file, out.join('\n') + '\n')
}

function timed(cmd, args) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  const [rss, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number)
  return { ms, cpuMs: (user + sys) * 1000, rssKb: rss, status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function best(cmd, args) {
  const results = []
  for (let i = 0; i < runs; i++) results.push(timed(cmd, args))
  const bad = results.find((r) => r.status !== 0)
  if (bad) { console.error(`${cmd} failed:\n${(bad.stdout + bad.stderr).slice(0, 2000)}`); process.exit(1) }
  results.sort((a, b) => a.ms - b.ms)
  const cpu = results.map((r) => r.cpuMs).sort((a, b) => a - b)
  return { ms: results[0].ms, median: results[Math.floor(results.length / 2)].ms, cpuMs: cpu[0], rssKb: Math.max(...results.map((r) => r.rssKb)), stdout: results[0].stdout }
}

generate()
const size = statSync(file).size
console.log(`zone: ${names} names, ${(size / 1e6).toFixed(1)} MB (${file})`)
if (!existsSync('/usr/bin/time')) { console.error('needs GNU time (/usr/bin/time, Debian package "time")'); process.exit(2) }
const ours = best(process.execPath, [secdns, 'zone', 'check', file, '--zone', 'bench.test'])
console.log(`secdns zone check:  best ${ours.ms.toFixed(0)} ms, median ${ours.median.toFixed(0)} ms wall, ${ours.cpuMs.toFixed(0)} ms CPU, peak RSS ${(ours.rssKb / 1024).toFixed(0)} MiB  (${ours.stdout.split('\n')[0]})`)
// The library alone (what a server or signer pays), without the CLI's start-up.
const zoneLib = new URL('../packages/zone/dist/src/index.js', import.meta.url).href
const script = `const { loadZoneFile } = await import(${JSON.stringify(zoneLib)}); const r = loadZoneFile(process.argv[1], { origin: 'bench.test' }); if (r.errors.length) { console.log(r.errors[0].message); process.exit(1) } console.log('loaded serial ' + r.zone.soa.data.serial + ', ' + r.zone.size + ' records')`
const lib = best(process.execPath, ['--input-type=module', '-e', script, file])
console.log(`@secdns/zone load:  best ${lib.ms.toFixed(0)} ms, median ${lib.median.toFixed(0)} ms wall, ${lib.cpuMs.toFixed(0)} ms CPU, peak RSS ${(lib.rssKb / 1024).toFixed(0)} MiB  (${lib.stdout.split('\n')[0]})`)
if (compareDir !== null) {
  // A/B: the other build and ours, alternating, each run in a fresh process
  const other = new URL(`file://${join(compareDir.startsWith('/') ? compareDir : join(process.cwd(), compareDir), 'index.js')}`).href
  const abScript = (lib) => script.replace(JSON.stringify(zoneLib), JSON.stringify(lib))
  const a = [], b = []
  for (let i = 0; i < runs; i++) {
    a.push(timed(process.execPath, ['--input-type=module', '-e', abScript(other), file]))
    b.push(timed(process.execPath, ['--input-type=module', '-e', script, file]))
  }
  const show = (label, rs) => {
    if (rs.some((r) => r.status !== 0)) { console.error(`${label} failed:\n${rs.map((r) => r.stdout + r.stderr).join('').slice(0, 2000)}`); process.exit(1) }
    const cpu = rs.map((r) => r.cpuMs).sort((x, y) => x - y)
    console.log(`${label} best ${cpu[0].toFixed(0)} ms CPU (runs: ${rs.map((r) => r.cpuMs.toFixed(0)).join(' ')}), peak RSS ${(Math.max(...rs.map((r) => r.rssKb)) / 1024).toFixed(0)} MiB`)
    return cpu[0]
  }
  const ca = show(`A/B other build (${compareDir}):`, a)
  const cb = show('A/B this build:', b)
  console.log(`A/B this build / other build: ${(cb / ca).toFixed(2)} (CPU, best)`)
}
const bind = spawnSync('sh', ['-c', 'command -v named-checkzone'], { encoding: 'utf8' }).stdout.trim()
if (bind) {
  const theirs = best(bind, ['-i', 'local', '-k', 'ignore', 'bench.test', file])
  console.log(`named-checkzone:    best ${theirs.ms.toFixed(0)} ms, median ${theirs.median.toFixed(0)} ms wall, ${theirs.cpuMs.toFixed(0)} ms CPU, peak RSS ${(theirs.rssKb / 1024).toFixed(0)} MiB  (${theirs.stdout.split('\n')[0]})`)
  console.log(`ratio secdns zone check / named-checkzone: ${(ours.ms / theirs.ms).toFixed(2)} (wall, best), ${(ours.cpuMs / theirs.cpuMs).toFixed(2)} (CPU, best)`)
  console.log(`ratio @secdns/zone load / named-checkzone: ${(lib.ms / theirs.ms).toFixed(2)} (wall, best), ${(lib.cpuMs / theirs.cpuMs).toFixed(2)} (CPU, best)`)
} else {
  console.log('named-checkzone: not installed (apt-get install -y bind9-utils)')
}
if (process.env.KEEP) console.log(`kept ${file}`); else rmSync(dir, { recursive: true, force: true })
