import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))
const example = fileURLToPath(new URL('../../../../docs/examples/example.test.zone', import.meta.url))
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'zone', ...args], { encoding: 'utf8' })

const dir = mkdtempSync(join(tmpdir(), 'secdns-cli-zone-'))
const bad = join(dir, 'bad.zone')
writeFileSync(bad, '$TTL 1h\n@ SOA ns h 1 2 3 4 5\n NS ns\nns A 192.0.2.1\nwww 300 IN2 A 192.0.2.2\nx A 1.2.3\n')
const nosoa = join(dir, 'nosoa.zone')
writeFileSync(nosoa, '$TTL 1h\n@ NS ns\nns A 192.0.2.1\n')

test('zone check loads the example zone, prints the serial and exits 0', (t) => {
  const r = run('check', example, '--zone', 'example.test')
  t.is(r.status, 0)
  t.is(r.stdout, 'zone example.test/IN: loaded serial 2026112501\nOK\n')
})

test('zone check prints one file:line:col line per error and exits 1', (t) => {
  const r = run('check', bad, '--zone', 'example.test')
  t.is(r.status, 1)
  const lines = r.stdout.trim().split('\n')
  t.deepEqual(lines.slice(0, 2), [`${bad}:5:9: expected a class or type, got "IN2"`, `${bad}:6:5: bad A data: "1.2.3" is not an IPv4 address`])
  t.regex(lines[2]!, /not loaded due to errors/)
})

test('zone check reports content errors such as a missing SOA with exit 1', (t) => {
  const r = run('check', nosoa, '--zone', 'example.test')
  t.is(r.status, 1)
  t.regex(r.stdout, /has no SOA record/)
})

test('zone check --json gives the errors with codes and locations', (t) => {
  const r = run('check', bad, '--zone', 'example.test', '--json')
  t.is(r.status, 1)
  const j = JSON.parse(r.stdout)
  t.false(j.ok)
  t.deepEqual(j.errors.map((e: { code: string, line: number, column: number }) => [e.code, e.line, e.column]), [['ERR_ZONE_UNKNOWN_TYPE', 5, 9], ['ERR_ZONE_BAD_RDATA', 6, 5]])
  const ok = JSON.parse(run('check', example, '--zone', 'example.test', '--json').stdout)
  t.true(ok.ok)
  t.is(ok.serial, 2026112501)
})

test('zone check exits 2 on a missing file, a missing origin or a bad origin', (t) => {
  const missing = run('check', join(dir, 'nope.zone'), '--zone', 'example.test')
  t.is(missing.status, 2)
  t.regex(missing.stderr, /cannot read zone file/)
  t.is(run('check', example).status, 2)
  t.is(run('check', example, '--zone', 'a..b').status, 2)
  t.is(run('check', example, '--zone', 'example.test', '--class', 'XX').status, 2)
  const j = run('check', join(dir, 'nope.zone'), '--zone', 'example.test', '--json')
  t.is(j.status, 2)
  t.is(JSON.parse(j.stdout).error.code, 'ERR_USAGE')
})

test('zone print prints the zone in canonical order, fully qualified, and exits 0', (t) => {
  const r = run('print', example, '--zone', 'example.test')
  t.is(r.status, 0)
  const lines = r.stdout.trim().split('\n')
  t.regex(lines[0]!, /^example\.test\. 3600 IN SOA ns1\.example\.test\. hostmaster\.example\.test\. 2026112501 /)
  t.true(lines.every((l) => /^\S+\. \d+ IN \S+ /.test(l)))
  t.true(lines.includes('*.users.example.test. 3600 IN A 192.0.2.80'))
  const j = JSON.parse(run('print', example, '--zone', 'example.test', '--json').stdout)
  t.deepEqual(j.records, lines)
})

test('zone print exits 1 with errors on stderr for a bad zone', (t) => {
  const r = run('print', bad, '--zone', 'example.test')
  t.is(r.status, 1)
  t.is(r.stdout, '')
  t.regex(r.stderr, /bad\.zone:5:9:/)
})

test('zone check --max-errors stops after that many errors and says so', (t) => {
  const many = join(dir, 'many.zone')
  writeFileSync(many, '$TTL 1h\n' + Array.from({ length: 10 }, (_, i) => `n${i} A 1.2.${i}`).join('\n') + '\n')
  const r = run('check', many, '--zone', 'example.test', '--max-errors', '3', '--json')
  t.is(r.status, 1)
  const j = JSON.parse(r.stdout)
  t.deepEqual(j.errors.map((e: { code: string }) => e.code), ['ERR_ZONE_BAD_RDATA', 'ERR_ZONE_BAD_RDATA', 'ERR_ZONE_BAD_RDATA', 'ERR_ZONE_TOO_MANY_ERRORS'])
  t.is(run('check', many, '--zone', 'example.test', '--max-errors', '0').status, 2)
})

test('zone check prints warnings on stderr and still exits 0', (t) => {
  const warn = join(dir, 'warn.zone')
  writeFileSync(warn, '$TTL 1h\n@ SOA ns h 1 2 3 4 5\n NS ns\nns A 192.0.2.1\nwww.example.net. A 192.0.2.9\n')
  const r = run('check', warn, '--zone', 'example.test')
  t.is(r.status, 0)
  t.is(r.stderr, `${warn}:5:1: ignoring out-of-zone data (www.example.net.)\n`)
})
