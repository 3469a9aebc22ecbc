import test from 'ava'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))

// Asynchronous, so the tests of this file run side by side.
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } })
    let out = '', err = ''
    p.stdout.on('data', (d) => { out += d })
    p.stderr.on('data', (d) => { err += d })
    p.on('close', (code) => resolve({ code, out, err }))
  })
}

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'secdns-nrpt-'))
}

test('nrpt add creates the file and list shows the rules', async (t) => {
  const f = join(dir(), 'nrpt.json')
  t.is((await run(['nrpt', 'add', '--nrpt', f, '--name', 'corp', '--namespace', '.corp.example', '--server', 'udp://127.0.0.1:5353', '--validation-required'])).code, 0)
  t.is((await run(['nrpt', 'add', '--nrpt', f, '--name', 'pub', '--namespace', '.pub.corp.example'])).code, 0)
  const l = (await run(['nrpt', 'list', '--nrpt', f]))
  t.is(l.code, 0)
  t.regex(l.out, /^corp\t\.corp\.example\tudp:\/\/127\.0\.0\.1:5353\tDO,validation-required$/m)
  t.regex(l.out, /^pub\t\.pub\.corp\.example\t-\texempt$/m)
  const j = JSON.parse((await run(['nrpt', 'list', '--nrpt', f, '--json'])).out) as { rules: Array<{ name: string; dnsSecEnable: boolean }> }
  t.deepEqual(j.rules.map((r) => r.name), ['corp', 'pub'])
  t.true(j.rules[0]!.dnsSecEnable)
})

test('nrpt show --effective prints the rule that applies and why', async (t) => {
  const f = join(dir(), 'nrpt.json')
  await run(['nrpt', 'add', '--nrpt', f, '--name', 'corp', '--namespace', '.corp.example', '--server', 'udp://127.0.0.1:5353'])
  await run(['nrpt', 'add', '--nrpt', f, '--name', 'host', '--namespace', 'host.corp.example', '--server', 'udp://127.0.0.1:5354'])
  await run(['nrpt', 'add', '--nrpt', f, '--name', 'any', '--namespace', '.', '--server', 'udp://127.0.0.1:5355'])
  const r = (await run(['nrpt', 'show', '--nrpt', f, '--effective', 'host.corp.example']))
  t.is(r.code, 0)
  t.regex(r.out, /^host\.corp\.example: rule "host"$/m)
  t.regex(r.out, /why: .*FQDN host\.corp\.example.*more specific than rule "corp".*rule "any"/)
  const j = JSON.parse((await run(['nrpt', 'show', '--nrpt', f, '--effective', 'www.corp.example', '--json'])).out) as { rule: { name: string }; candidates: unknown[] }
  t.is(j.rule.name, 'corp')
  t.is(j.candidates.length, 2)
})

test('nrpt remove edits the file atomically; a missing rule exits 1', async (t) => {
  const d = dir()
  const f = join(d, 'nrpt.json')
  await run(['nrpt', 'add', '--nrpt', f, '--name', 'corp', '--namespace', '.corp.example'])
  t.is((await run(['nrpt', 'remove', '--nrpt', f, 'corp'])).code, 0)
  t.deepEqual((JSON.parse(readFileSync(f, 'utf8')) as { rules: unknown[] }).rules, [])
  t.deepEqual(readdirSync(d), ['nrpt.json'])
  const r = (await run(['nrpt', 'remove', '--nrpt', f, 'corp']))
  t.is(r.code, 1)
  t.regex(r.err, /ERR_CLIENT_NRPT_NO_RULE/)
})

test('an invalid file is a usage error naming the rule and field', async (t) => {
  const f = join(dir(), 'nrpt.json')
  writeFileSync(f, JSON.stringify({ rules: [{ name: 'bad', namespace: '.a', nameServers: ['udp://1.2.3.4'], dnsSecValidationRequired: true }] }))
  const r = (await run(['nrpt', 'list', '--nrpt', f]))
  t.is(r.code, 2)
  t.regex(r.err, /ERR_CLIENT_NRPT_INVALID: .*rule #1 "bad", field dnsSecValidationRequired/)
})

test('a rule that would break the table is refused and the file is unchanged', async (t) => {
  const f = join(dir(), 'nrpt.json')
  await run(['nrpt', 'add', '--nrpt', f, '--name', 'corp', '--namespace', '.corp.example'])
  const before = readFileSync(f, 'utf8')
  const r = (await run(['nrpt', 'add', '--nrpt', f, '--namespace', '.corp.example', '--server', 'udp://127.0.0.1']))
  t.is(r.code, 2)
  t.regex(r.err, /ERR_CLIENT_NRPT_RULE_EXISTS/)
  t.is(readFileSync(f, 'utf8'), before)
  const s = (await run(['nrpt', 'add', '--nrpt', f, '--namespace', '.x', '--server', 'udp://1.2.3.4', '--secure-channel']))
  t.is(s.code, 2)
  t.regex(s.err, /secureChannelRequired needs ws/)
})

test('nrpt global sets the query policy and fallback', async (t) => {
  const f = join(dir(), 'nrpt.json')
  t.is((await run(['nrpt', 'global', '--nrpt', f, '--query-policy', 'QueryIPv6Only', '--fallback', 'FallbackSecure', '--default-server', 'udp://127.0.0.1:53'])).code, 0)
  const g = JSON.parse((await run(['nrpt', 'global', '--nrpt', f, '--json'])).out) as { global: Record<string, unknown> }
  t.like(g.global, { queryPolicy: 'QueryIPv6Only', secureNameQueryFallback: 'FallbackSecure', defaultServers: ['udp://127.0.0.1:53'] })
  t.is((await run(['nrpt', 'global', '--nrpt', f, '--fallback', 'Sometimes'])).code, 2)
})

test('SECDNS_NRPT names the file when --nrpt is absent', async (t) => {
  const f = join(dir(), 'table.json')
  t.is((await run(['nrpt', 'add', '--namespace', '.corp.example', '--name', 'c'], { SECDNS_NRPT: f })).code, 0)
  t.regex(readFileSync(f, 'utf8'), /"name": "c"/)
})
