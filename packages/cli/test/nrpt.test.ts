import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))

function secdns(args: string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'secdns-nrpt-'))
}

test('nrpt add creates the file and list shows the rules', (t) => {
  const f = join(dir(), 'nrpt.json')
  t.is(secdns(['nrpt', 'add', '--nrpt', f, '--name', 'corp', '--namespace', '.corp.example', '--server', 'udp://127.0.0.1:5353', '--validation-required']).code, 0)
  t.is(secdns(['nrpt', 'add', '--nrpt', f, '--name', 'pub', '--namespace', '.pub.corp.example']).code, 0)
  const l = secdns(['nrpt', 'list', '--nrpt', f])
  t.is(l.code, 0)
  t.regex(l.out, /^corp\t\.corp\.example\tudp:\/\/127\.0\.0\.1:5353\tDO,validation-required$/m)
  t.regex(l.out, /^pub\t\.pub\.corp\.example\t-\texempt$/m)
  const j = JSON.parse(secdns(['nrpt', 'list', '--nrpt', f, '--json']).out) as { rules: Array<{ name: string; dnsSecEnable: boolean }> }
  t.deepEqual(j.rules.map((r) => r.name), ['corp', 'pub'])
  t.true(j.rules[0]!.dnsSecEnable)
})

test('nrpt show --effective prints the rule that applies and why', (t) => {
  const f = join(dir(), 'nrpt.json')
  secdns(['nrpt', 'add', '--nrpt', f, '--name', 'corp', '--namespace', '.corp.example', '--server', 'udp://127.0.0.1:5353'])
  secdns(['nrpt', 'add', '--nrpt', f, '--name', 'host', '--namespace', 'host.corp.example', '--server', 'udp://127.0.0.1:5354'])
  secdns(['nrpt', 'add', '--nrpt', f, '--name', 'any', '--namespace', '.', '--server', 'udp://127.0.0.1:5355'])
  const r = secdns(['nrpt', 'show', '--nrpt', f, '--effective', 'host.corp.example'])
  t.is(r.code, 0)
  t.regex(r.out, /^host\.corp\.example: rule "host"$/m)
  t.regex(r.out, /why: .*FQDN host\.corp\.example.*more specific than rule "corp".*rule "any"/)
  const j = JSON.parse(secdns(['nrpt', 'show', '--nrpt', f, '--effective', 'www.corp.example', '--json']).out) as { rule: { name: string }; candidates: unknown[] }
  t.is(j.rule.name, 'corp')
  t.is(j.candidates.length, 2)
})

test('nrpt remove edits the file atomically; a missing rule exits 1', (t) => {
  const d = dir()
  const f = join(d, 'nrpt.json')
  secdns(['nrpt', 'add', '--nrpt', f, '--name', 'corp', '--namespace', '.corp.example'])
  t.is(secdns(['nrpt', 'remove', '--nrpt', f, 'corp']).code, 0)
  t.deepEqual((JSON.parse(readFileSync(f, 'utf8')) as { rules: unknown[] }).rules, [])
  t.deepEqual(readdirSync(d), ['nrpt.json'])
  const r = secdns(['nrpt', 'remove', '--nrpt', f, 'corp'])
  t.is(r.code, 1)
  t.regex(r.err, /ERR_CLIENT_NRPT_NO_RULE/)
})

test('an invalid file is a usage error naming the rule and field', (t) => {
  const f = join(dir(), 'nrpt.json')
  writeFileSync(f, JSON.stringify({ rules: [{ name: 'bad', namespace: '.a', nameServers: ['udp://1.2.3.4'], dnsSecValidationRequired: true }] }))
  const r = secdns(['nrpt', 'list', '--nrpt', f])
  t.is(r.code, 2)
  t.regex(r.err, /ERR_CLIENT_NRPT_INVALID: .*rule #1 "bad", field dnsSecValidationRequired/)
})

test('a rule that would break the table is refused and the file is unchanged', (t) => {
  const f = join(dir(), 'nrpt.json')
  secdns(['nrpt', 'add', '--nrpt', f, '--name', 'corp', '--namespace', '.corp.example'])
  const before = readFileSync(f, 'utf8')
  const r = secdns(['nrpt', 'add', '--nrpt', f, '--namespace', '.corp.example', '--server', 'udp://127.0.0.1'])
  t.is(r.code, 2)
  t.regex(r.err, /ERR_CLIENT_NRPT_RULE_EXISTS/)
  t.is(readFileSync(f, 'utf8'), before)
  const s = secdns(['nrpt', 'add', '--nrpt', f, '--namespace', '.x', '--server', 'udp://1.2.3.4', '--secure-channel'])
  t.is(s.code, 2)
  t.regex(s.err, /secureChannelRequired needs ws/)
})

test('nrpt global sets the query policy and fallback', (t) => {
  const f = join(dir(), 'nrpt.json')
  t.is(secdns(['nrpt', 'global', '--nrpt', f, '--query-policy', 'QueryIPv6Only', '--fallback', 'FallbackSecure', '--default-server', 'udp://127.0.0.1:53']).code, 0)
  const g = JSON.parse(secdns(['nrpt', 'global', '--nrpt', f, '--json']).out) as { global: Record<string, unknown> }
  t.like(g.global, { queryPolicy: 'QueryIPv6Only', secureNameQueryFallback: 'FallbackSecure', defaultServers: ['udp://127.0.0.1:53'] })
  t.is(secdns(['nrpt', 'global', '--nrpt', f, '--fallback', 'Sometimes']).code, 2)
})

test('SECDNS_NRPT names the file when --nrpt is absent', (t) => {
  const f = join(dir(), 'table.json')
  t.is(secdns(['nrpt', 'add', '--namespace', '.corp.example', '--name', 'c'], { SECDNS_NRPT: f }).code, 0)
  t.regex(readFileSync(f, 'utf8'), /"name": "c"/)
})
