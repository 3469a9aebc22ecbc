import test from 'ava'
import { parseServerAddress } from '../src/server_address.js'
import { ClientError } from '../src/errors.js'

test('parses each transport with its default port', (t) => {
  t.like(parseServerAddress('udp://10.0.0.1'), { kind: 'udp', host: '10.0.0.1', port: 53 })
  t.like(parseServerAddress('tcp://10.0.0.1:5353'), { kind: 'tcp', port: 5353 })
  t.like(parseServerAddress('tls://dns1.lab.test'), { kind: 'tls', port: 853, serverName: 'dns1.lab.test' })
  t.like(parseServerAddress('wss://dns1.lab.test/dns'), { kind: 'wss', port: 443, url: 'wss://dns1.lab.test:443/dns' })
  t.like(parseServerAddress('ws://127.0.0.1:8080', 'dns1.lab.test'), { kind: 'ws', url: 'ws://127.0.0.1:8080/', serverName: 'dns1.lab.test' })
})

test('a bare address means UDP', (t) => {
  t.like(parseServerAddress('127.0.0.1:5353'), { kind: 'udp', host: '127.0.0.1', port: 5353 })
  t.like(parseServerAddress('::1'), { kind: 'udp', host: '::1', port: 53 })
})

test('IPv6 literals take brackets with a port', (t) => {
  t.like(parseServerAddress('tcp://[::1]:5300'), { host: '::1', port: 5300, url: 'tcp://[::1]:5300' })
})

test('an IP literal has no default certificate name', (t) => {
  t.is(parseServerAddress('tls://127.0.0.1').serverName, undefined)
})

for (const bad of ['http://x', 'udp://', 'udp://1.2.3.4:0', 'udp://1.2.3.4:70000', 'tcp://[::1', 'tcp://[x]:53', 'udp://1.2.3.4/path', 'udp://a b']) {
  test(`rejects the server address "${bad}"`, (t) => {
    t.throws(() => parseServerAddress(bad), { instanceOf: ClientError, code: 'ERR_CLIENT_BAD_SERVER' })
  })
}

test('rejects a serverName on plain UDP', (t) => {
  t.throws(() => parseServerAddress('udp://1.2.3.4', 'x.test'), { instanceOf: ClientError, code: 'ERR_CLIENT_BAD_SERVER' })
})
