import test from 'ava'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServerError } from '../src/errors.js'
import { parseConfig, loadConfig } from '../src/config.js'

const minimal = { listeners: { udp: [{ address: '127.0.0.1', port: 5300 }] } }

test('a minimal configuration gets safe defaults: no recursion, transfer, notify or update for anyone', (t) => {
  const c = parseConfig(minimal)
  t.deepEqual(c.acl.recursion, ['none'])
  t.deepEqual(c.acl.transfer, ['none'])
  t.deepEqual(c.acl.update, ['none'])
  t.deepEqual(c.acl.notify, ['none'])
  t.deepEqual(c.acl.query, ['any'])
  t.is(c.limits.udpPayload, 1232)
  t.deepEqual(c.zones, [])
})

test('an out-of-range port is rejected with a message that names the field', (t) => {
  const e = t.throws(() => parseConfig({ listeners: { udp: [{ address: '127.0.0.1', port: 70000 }] } }, 'server.json'), { instanceOf: ServerError, code: 'ERR_SERVER_CONFIG' })
  t.regex(e!.message, /^server\.json: listeners\.udp\[0\]\.port: /)
})

test('a listener address that is not an IP address is rejected naming the field', (t) => {
  const e = t.throws(() => parseConfig({ listeners: { tcp: [{ address: 'localhost', port: 53 }] } }), { code: 'ERR_SERVER_CONFIG' })
  t.regex(e!.message, /listeners\.tcp\[0\]\.address: expected an IPv4 or IPv6 address/)
})

test('an unknown field is rejected rather than ignored', (t) => {
  const e = t.throws(() => parseConfig({ ...minimal, recursoin: true }), { code: 'ERR_SERVER_CONFIG' })
  t.regex(e!.message, /recursoin/)
})

test('an ACL that names an undefined TSIG key is rejected', (t) => {
  const e = t.throws(() => parseConfig({ ...minimal, acl: { transfer: ['key:xfr'] } }), { code: 'ERR_SERVER_CONFIG' })
  t.regex(e!.message, /acl\.transfer\[0\]: names TSIG key "xfr"/)
})

test('a malformed ACL entry is rejected with its index', (t) => {
  const e = t.throws(() => parseConfig({ ...minimal, acl: { query: ['10.0.0.0/33'] } }), { code: 'ERR_SERVER_CONFIG' })
  t.regex(e!.message, /acl\.query\[0\]: "10\.0\.0\.0\/33": prefix length must be 0\.\.32/)
})

test('a TSIG secret that is not base64 is rejected', (t) => {
  const e = t.throws(() => parseConfig({ ...minimal, tsigKeys: [{ name: 'k', secret: 'not base64!' }] }), { code: 'ERR_SERVER_CONFIG' })
  t.regex(e!.message, /tsigKeys\[0\]\.secret/)
})

test('a zone listed twice is rejected', (t) => {
  const z = { name: 'example.test', type: 'primary', file: 'a.zone' }
  const e = t.throws(() => parseConfig({ ...minimal, zones: [z, { ...z, name: 'Example.test.' }] }), { code: 'ERR_SERVER_CONFIG' })
  t.regex(e!.message, /zones\[1\]\.name: zone "Example\.test\." is listed twice/)
})

test('an admin API without token file or client CA is rejected', (t) => {
  const e = t.throws(() => parseConfig({ listeners: { admin: { address: '127.0.0.1', port: 8053 } } }), { code: 'ERR_SERVER_CONFIG' })
  t.regex(e!.message, /listeners\.admin\.tokenFile: the admin API needs tokenFile or clientCa/)
})

test('loadConfig resolves relative paths against the file and reports bad JSON with the file name', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-cfg-'))
  const f = join(dir, 'server.json')
  writeFileSync(f, JSON.stringify({ ...minimal, zones: [{ name: 'example.test', type: 'primary', file: 'db.example' }] }))
  t.is(loadConfig(f).zones[0]!.file, join(dir, 'db.example'))
  writeFileSync(f, '{ "listeners": ')
  const e = t.throws(() => loadConfig(f), { code: 'ERR_SERVER_CONFIG_READ' })
  t.true(e!.message.startsWith(f))
  t.throws(() => loadConfig(join(dir, 'missing.json')), { code: 'ERR_SERVER_CONFIG_READ' })
})
