import test from 'ava'
import { fc, testProp } from '@fast-check/ava'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addRule, compileNrpt, emptyNrpt, findRule, loadNrpt, parseNrptText, removeRule, saveNrpt, setGlobal } from '../src/nrpt.js'
import { ClientError } from '../src/errors.js'

const CA = '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----'

test('fills the Windows defaults', (t) => {
  const c = compileNrpt({ rules: [{ namespace: '.corp.example', nameServers: ['udp://10.0.0.1'] }] })
  t.like(c.table.rules[0], { dnsSecEnable: false, dnsSecValidationRequired: false, secureChannelRequired: false, encryption: 'None' })
  t.regex(c.table.rules[0]!.name, /^\{[0-9a-f-]{36}\}$/)
  t.like(c.table.global, { queryPolicy: 'Disable', secureNameQueryFallback: 'Disable' })
})

test('a rule without name servers is an exemption', (t) => {
  const c = compileNrpt({ rules: [{ namespace: '.pub.corp.example' }] })
  t.true(c.rules[0]!.exempt)
})

const invalid: Array<[string, unknown, RegExp]> = [
  ['an unknown field', { rules: [{ name: 'r1', namespace: '.a', nameServers: [], dnssec: true }] }, /rule #1 "r1".*dnssec/],
  ['a wrong type', { rules: [{ name: 'r1', namespace: '.a', dnsSecEnable: 'yes' }] }, /rule #1 "r1", field dnsSecEnable/],
  ['a bad encryption', { rules: [{ name: 'r1', namespace: '.a', encryption: 'Max' }] }, /rule #1 "r1", field encryption/],
  ['a bad namespace', { rules: [{ name: 'ok', namespace: '.a' }, { name: 'r2', namespace: ['.b', '10.0.0.0/99'] }] }, /rule #2 "r2", field namespace\[1\]/],
  ['a bad server', { rules: [{ name: 'r1', namespace: '.a', nameServers: ['gopher://x'] }] }, /rule #1 "r1", field nameServers\[0\]/],
  ['validation without DO', { rules: [{ name: 'r1', namespace: '.a', nameServers: ['udp://1.2.3.4'], dnsSecValidationRequired: true }] }, /field dnsSecValidationRequired: requires dnsSecEnable/],
  ['a secure channel over UDP', { rules: [{ name: 'r1', namespace: '.a', nameServers: ['udp://1.2.3.4'], secureChannelRequired: true, trustAuthority: CA }] }, /field nameServers\[0\]: secureChannelRequired needs ws/],
  ['a channel without a trust authority', { rules: [{ name: 'r1', namespace: '.a', nameServers: ['wss://dns1.test'] }] }, /field trustAuthority/],
  ['an exemption that requires validation', { rules: [{ name: 'r1', namespace: '.a', dnsSecEnable: true, dnsSecValidationRequired: true }] }, /exemption rule/],
  ['a duplicate namespace', { rules: [{ name: 'r1', namespace: '.A' }, { name: 'r2', namespace: '.a.' }] }, /rule #2 "r2", field namespace\[0\]: "\.a\." is already covered by rule #1/],
  ['a duplicate name', { rules: [{ name: 'r1', namespace: '.a' }, { name: 'R1', namespace: '.b' }] }, /rule #2, field name/],
  ['a bad query policy', { global: { queryPolicy: 'Both' }, rules: [] }, /field global\.queryPolicy/],
  ['a bad default server', { global: { defaultServers: ['udp://'] }, rules: [] }, /field global\.defaultServers\[0\]/],
  ['rules missing', {}, /field rules/],
]
for (const [what, raw, msg] of invalid) {
  test(`rejects ${what}, naming the rule and field`, (t) => {
    const e = t.throws(() => compileNrpt(raw, 'nrpt.json'), { instanceOf: ClientError, code: 'ERR_CLIENT_NRPT_INVALID' })
    t.regex(e.message, msg)
    t.true(e.message.startsWith('nrpt.json: '))
  })
}

test('bad JSON is reported with line and column', (t) => {
  const e = t.throws(() => parseNrptText('{\n  "rules": [\n    }\n', 'x.json'), { instanceOf: ClientError, code: 'ERR_CLIENT_NRPT_INVALID' })
  t.regex(e.message, /^x\.json:3:5: not valid JSON/)
})

test('a missing file is ERR_CLIENT_NRPT_FILE', async (t) => {
  await t.throwsAsync(loadNrpt('/nonexistent/nrpt.json'), { instanceOf: ClientError, code: 'ERR_CLIENT_NRPT_FILE' })
})

test('add, save, load, remove round-trips through the file atomically', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nrpt-'))
  const path = join(dir, 'nrpt.json')
  let table = addRule(emptyNrpt(), { name: 'corp', namespace: '.corp.example', nameServers: ['udp://127.0.0.1:5353'], dnsSecEnable: true, dnsSecValidationRequired: true })
  table = addRule(table, { name: 'pub', namespace: '.pub.corp.example', comment: 'exempt' })
  table = setGlobal(table, { secureNameQueryFallback: 'FallbackPrivate' })
  await saveNrpt(path, table)
  t.deepEqual(readdirSync(dir), ['nrpt.json'])
  const loaded = await loadNrpt(path)
  t.deepEqual(loaded.table, table)
  const smaller = removeRule(loaded.table, 'pub')
  await saveNrpt(path, smaller)
  t.deepEqual((await loadNrpt(path)).table.rules.map((r) => r.name), ['corp'])
})

test('saving an invalid table writes nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nrpt-'))
  const path = join(dir, 'nrpt.json')
  writeFileSync(path, '{"rules":[]}\n')
  const bad = { ...emptyNrpt(), rules: [{ ...emptyNrpt().rules, name: 'x', namespace: ['..'], nameServers: [], dnsSecEnable: false, dnsSecValidationRequired: false, secureChannelRequired: false, encryption: 'None' as const, trustAuthority: [] }] }
  await t.throwsAsync(saveNrpt(path, bad), { instanceOf: ClientError, code: 'ERR_CLIENT_NRPT_INVALID' })
  t.is(readFileSync(path, 'utf8'), '{"rules":[]}\n')
  t.deepEqual(readdirSync(dir), ['nrpt.json'])
})

test('adding a rule for a namespace that has one is ERR_CLIENT_NRPT_RULE_EXISTS', (t) => {
  const table = addRule(emptyNrpt(), { name: 'a', namespace: '.corp.example' })
  t.throws(() => addRule(table, { namespace: '.CORP.example' }), { instanceOf: ClientError, code: 'ERR_CLIENT_NRPT_RULE_EXISTS' })
  t.throws(() => addRule(table, { name: 'A', namespace: '.x' }), { instanceOf: ClientError, code: 'ERR_CLIENT_NRPT_RULE_EXISTS' })
})

test('finds a rule by name, display name or namespace', (t) => {
  const table = addRule(emptyNrpt(), { name: 'r', displayName: 'Corp', namespace: '.corp.example' })
  t.is(findRule(table, 'R')?.name, 'r')
  t.is(findRule(table, 'corp')?.name, 'r')
  t.is(findRule(table, '.corp.example')?.name, 'r')
  t.throws(() => removeRule(table, 'nope'), { instanceOf: ClientError, code: 'ERR_CLIENT_NRPT_NO_RULE' })
})

testProp('loading never throws anything but ClientError', [fc.jsonValue({ maxDepth: 4 })], (t, v) => {
  try {
    compileNrpt(v)
    t.pass()
  } catch (e) {
    t.true(e instanceof ClientError, String(e))
  }
}, { numRuns: 300 })

testProp('any JSON text: parseNrptText throws only ClientError', [fc.string({ maxLength: 80 })], (t, s) => {
  try {
    parseNrptText(s, 'x.json')
    t.pass()
  } catch (e) {
    t.true(e instanceof ClientError && e.code === 'ERR_CLIENT_NRPT_INVALID', String(e))
  }
}, { numRuns: 300 })
