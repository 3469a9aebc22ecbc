import test from 'ava'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadNrpt } from '../src/nrpt.js'
import { RRType } from '@secdns/wire'
import { createStubClient, isPolicyRefusal } from '../src/stub_client.js'
import { ClientError } from '../src/errors.js'
import { answer, labPki, now, startChannelResponder, startResponder, type Handler } from './responder.js'

const validating: Handler = (q) => answer(q, { ad: q.edns?.dnssecOk === true })

function rule(name: string, ns: string, servers: string[], over: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, namespace: ns, nameServers: servers, ...over }
}

test('validation required and the server sets AD: the answer comes back with AD', async (t) => {
  const r = await startResponder(validating)
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`], { dnsSecEnable: true, dnsSecValidationRequired: true })] } })
  t.teardown(() => c.close())
  const res = await c.resolve('www.corp.example', 'A')
  t.true(res.ad)
  t.is(res.rcodeName, 'NOERROR')
  t.is(res.answer.length, 1)
  t.is(res.transport, 'udp')
  t.is(res.policy.rule, 'corp')
  t.regex(res.verdict, /^validated/)
  t.true(r.queries[0]!.q.edns?.dnssecOk)
})

test('validation required and AD clear: ERR_CLIENT_NOT_VALIDATED, no data', async (t) => {
  const r = await startResponder((q) => answer(q, { ad: false }))
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`], { dnsSecEnable: true, dnsSecValidationRequired: true })] } })
  t.teardown(() => c.close())
  const e = await t.throwsAsync(c.resolve('www.corp.example', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_NOT_VALIDATED' })
  t.true(isPolicyRefusal(e))
  t.regex(e.message, /rule "corp" requires validation/)
})

test('validation required and SERVFAIL: ERR_CLIENT_SERVFAIL', async (t) => {
  const r = await startResponder((q) => answer(q, { rcode: 2 }))
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`], { dnsSecEnable: true, dnsSecValidationRequired: true })] } })
  t.teardown(() => c.close())
  await t.throwsAsync(c.resolve('bogus.corp.example', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_SERVFAIL' })
})

test('validation required and the server drops EDNS: ERR_CLIENT_NO_DNSSEC', async (t) => {
  const r = await startResponder((q) => { const a = answer(q, { ad: true }); delete a.edns; return a })
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`], { dnsSecEnable: true, dnsSecValidationRequired: true })] } })
  t.teardown(() => c.close())
  await t.throwsAsync(c.resolve('www.corp.example', 'A'), { instanceOf: ClientError, code: 'ERR_CLIENT_NO_DNSSEC' })
})

test('a rule that does not require validation passes an answer with AD clear on', async (t) => {
  const r = await startResponder((q) => answer(q, { ad: false }))
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`], { dnsSecEnable: true })] } })
  t.teardown(() => c.close())
  const res = await c.resolve('www.corp.example', 'A')
  t.false(res.ad)
  t.is(res.answer.length, 1)
  t.regex(res.verdict, /does not require validation: AD clear/)
  t.true(r.queries[0]!.q.edns?.dnssecOk)
})

test('without dnsSecEnable the DO bit stays clear', async (t) => {
  const r = await startResponder(validating)
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`])] } })
  t.teardown(() => c.close())
  const res = await c.resolve('www.corp.example', 'A')
  t.false(r.queries[0]!.q.edns?.dnssecOk)
  t.false(res.ad)
})

test('an exempted namespace goes to the default servers in plain DNS', async (t) => {
  const corp = await startResponder(validating)
  const dflt = await startResponder((q) => answer(q))
  t.teardown(() => corp.close())
  t.teardown(() => dflt.close())
  const c = createStubClient({ nrpt: {
    global: { defaultServers: [`udp://127.0.0.1:${dflt.port}`] },
    rules: [
      rule('corp', '.corp.example', [`udp://127.0.0.1:${corp.port}`], { dnsSecEnable: true, dnsSecValidationRequired: true }),
      rule('pub', '.pub.corp.example', []),
    ],
  } })
  t.teardown(() => c.close())
  const res = await c.resolve('www.pub.corp.example', 'A')
  t.is(res.policy.rule, 'pub')
  t.true(res.policy.exempt)
  t.false(res.ad)
  t.is(corp.queries.length, 0)
  t.is(dflt.queries.length, 1)
  t.false(dflt.queries[0]!.q.edns?.dnssecOk)
  t.regex(res.verdict, /exempt by rule "pub"/)
})

test('a truncated UDP answer is asked again over TCP', async (t) => {
  const r = await startResponder((q, via) => answer(q, { ad: true, tc: via === 'udp', records: via !== 'udp' }))
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`], { dnsSecEnable: true, dnsSecValidationRequired: true })] } })
  t.teardown(() => c.close())
  const res = await c.resolve('www.corp.example', 'A')
  t.is(res.transport, 'tcp')
  t.is(res.answer.length, 1)
  t.deepEqual(r.queries.map((x) => x.via), ['udp', 'tcp'])
})

test('a TCP connection is reused across queries and re-established after it drops', async (t) => {
  const r = await startResponder((q) => answer(q))
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: { rules: [rule('corp', '.corp.example', [`tcp://127.0.0.1:${r.port}`])] } })
  t.teardown(() => c.close())
  await Promise.all([c.resolve('a.corp.example'), c.resolve('b.corp.example'), c.resolve('c.corp.example')])
  t.is(r.tcpConnections, 1)
  r.dropTcp()
  await new Promise((res) => setTimeout(res, 50))
  const res = await c.resolve('d.corp.example')
  t.is(res.answer.length, 1)
  t.is(r.tcpConnections, 2)
})

test('servers are tried in order: a silent first server times out, the second answers', async (t) => {
  const silent = await startResponder(() => 'drop')
  const good = await startResponder((q) => answer(q))
  t.teardown(() => silent.close())
  t.teardown(() => good.close())
  const c = createStubClient({ timeoutMs: 200, nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${silent.port}`, `udp://127.0.0.1:${good.port}`])] } })
  t.teardown(() => c.close())
  const res = await c.resolve('www.corp.example')
  t.is(res.server, `udp://127.0.0.1:${good.port}`)
  t.is(silent.queries.length, 1)
})

test('every server silent: ERR_CLIENT_TIMEOUT', async (t) => {
  const silent = await startResponder(() => 'drop')
  t.teardown(() => silent.close())
  const c = createStubClient({ timeoutMs: 150, nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${silent.port}`])] } })
  t.teardown(() => c.close())
  await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_TIMEOUT' })
})

test('an answer with another ID is ignored and the query times out', async (t) => {
  const r = await startResponder((q) => ({ ...answer(q), id: (q.id + 1) & 0xffff }))
  t.teardown(() => r.close())
  const c = createStubClient({ timeoutMs: 150, nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`])] } })
  t.teardown(() => c.close())
  await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_TIMEOUT' })
})

test('an answer to another question is ERR_CLIENT_BAD_RESPONSE', async (t) => {
  const r = await startResponder((q) => ({ ...answer(q), question: [{ ...q.question[0]!, type: RRType.MX }] }))
  t.teardown(() => r.close())
  const c = createStubClient({ timeoutMs: 300, nrpt: { rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`])] } })
  t.teardown(() => c.close())
  await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_BAD_RESPONSE' })
})

test('FallbackPrivate: the rule servers silent, a private default server answers', async (t) => {
  const silent = await startResponder(() => 'drop')
  const dflt = await startResponder(validating)
  t.teardown(() => silent.close())
  t.teardown(() => dflt.close())
  const c = createStubClient({ timeoutMs: 150, nrpt: {
    global: { secureNameQueryFallback: 'FallbackPrivate', defaultServers: [`udp://127.0.0.1:${dflt.port}`] },
    rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${silent.port}`], { dnsSecEnable: true, dnsSecValidationRequired: true })],
  } })
  t.teardown(() => c.close())
  const res = await c.resolve('www.corp.example')
  t.true(res.fallback)
  t.true(res.ad)
  t.true(dflt.queries[0]!.q.edns?.dnssecOk)
})

test('fallback Disable: the rule servers silent is an error, the defaults are not asked', async (t) => {
  const silent = await startResponder(() => 'drop')
  const dflt = await startResponder(validating)
  t.teardown(() => silent.close())
  t.teardown(() => dflt.close())
  const c = createStubClient({ timeoutMs: 150, nrpt: {
    global: { defaultServers: [`udp://127.0.0.1:${dflt.port}`] },
    rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${silent.port}`])],
  } })
  t.teardown(() => c.close())
  await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_TIMEOUT' })
  t.is(dflt.queries.length, 0)
})

test('QueryIPv6Only answers A for a rule namespace locally and sends AAAA', async (t) => {
  const r = await startResponder((q) => answer(q))
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: { global: { queryPolicy: 'QueryIPv6Only' }, rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`])] } })
  t.teardown(() => c.close())
  const a = await c.resolve('www.corp.example', 'A')
  t.is(a.transport, 'none')
  t.is(a.answer.length, 0)
  await c.resolve('www.corp.example', 'AAAA')
  t.deepEqual(r.queries.map((x) => x.q.question[0]!.type), [RRType.AAAA])
})

test('CD under a rule that requires validation is refused', async (t) => {
  const c = createStubClient({ nrpt: { rules: [rule('corp', '.corp.example', ['udp://127.0.0.1:9'], { dnsSecEnable: true, dnsSecValidationRequired: true })] } })
  await t.throwsAsync(c.resolve('www.corp.example', 'A', { checkingDisabled: true }), { instanceOf: ClientError, code: 'ERR_CLIENT_BAD_QUERY' })
})

test('a bad name or type is ERR_CLIENT_BAD_QUERY', async (t) => {
  const c = createStubClient({ nrpt: { rules: [] } })
  await t.throwsAsync(c.resolve('a..b'), { instanceOf: ClientError, code: 'ERR_CLIENT_BAD_QUERY' })
  await t.throwsAsync(c.resolve('a.b', 'NOPE'), { instanceOf: ClientError, code: 'ERR_CLIENT_BAD_QUERY' })
})

// ---- the protected channel ----

async function channelRule(encryption: string, trust: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const p = await labPki()
  return {
    global: { clientCertificate: { certificate: p.client.certPem, privateKey: p.client.keyPem! } },
    rules: [{ name: 'corp', namespace: '.corp.example', dnsSecEnable: true, dnsSecValidationRequired: true, secureChannelRequired: true, encryption, trustAuthority: trust, ...extra }],
  }
}

test('channel: validation required over an encrypted channel; the result says what was negotiated', async (t) => {
  const p = await labPki()
  const s = await startChannelResponder(p.server, p.root, { encryption: 'require' }, validating)
  t.teardown(() => s.server.close())
  const nrpt = await channelRule('High', p.root.certPem, { nameServers: [{ address: s.url, serverName: 'dns1.lab.test' }] })
  const c = createStubClient({ nrpt, now })
  t.teardown(() => c.close())
  const res = await c.resolve('www.corp.example', 'A')
  t.true(res.ad)
  t.is(res.transport, 'channel')
  t.regex(res.negotiated, /^channel (AES-256-GCM|ChaCha20-Poly1305), .*server dns1\.lab\.test, CA "secdns Lab Root CA"/)
  await c.resolve('mail.corp.example', 'A')
  t.is(s.server.stats.established, 1)
  t.is(s.queries.length, 2)
})

test('channel: the channel is re-established after the server drops it', async (t) => {
  const p = await labPki()
  const s = await startChannelResponder(p.server, p.root, { encryption: 'require' }, validating)
  t.teardown(() => s.server.close())
  const c = createStubClient({ nrpt: await channelRule('High', p.root.certPem, { nameServers: [{ address: s.url, serverName: 'dns1.lab.test' }] }), now })
  t.teardown(() => c.close())
  await c.resolve('a.corp.example')
  await s.server.close()
  const s2port = Number(new URL(s.url).port)
  const again = await startChannelResponderOn(s2port)
  t.teardown(() => again.close())
  const res = await c.resolve('b.corp.example')
  t.true(res.ad)

  async function startChannelResponderOn(port: number) {
    const { createChannelServer } = await import('@secdns/channel')
    const srv = createChannelServer({
      identity: { certPem: p.server.certPem, keyPem: p.server.keyPem! }, trust: { cas: [p.root.certPem] }, rules: { encryption: 'require' }, now,
      handler: async (m) => {
        const { decodeMessage, encodeMessage } = await import('@secdns/wire')
        return encodeMessage(answer(decodeMessage(m), { ad: true }))
      },
    })
    await srv.listen({ host: '127.0.0.1', port })
    return srv
  }
})

test('channel: encryption High required and the server offers integrity only: refused', async (t) => {
  const p = await labPki()
  const s = await startChannelResponder(p.server, p.root, { encryption: 'none' }, validating)
  t.teardown(() => s.server.close())
  const c = createStubClient({ nrpt: await channelRule('High', p.root.certPem, { nameServers: [{ address: s.url, serverName: 'dns1.lab.test' }] }), now })
  t.teardown(() => c.close())
  const e = await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
  t.is(e.causeCode, 'ERR_CHANNEL_NO_PROPOSAL')
  t.is(s.queries.length, 0)
})

test('channel: trust authority A while the server certificate is from CA B: refused', async (t) => {
  const p = await labPki()
  const s = await startChannelResponder(p.server, p.root, { encryption: 'require' }, validating)
  t.teardown(() => s.server.close())
  const c = createStubClient({ nrpt: await channelRule('High', p.otherRoot.certPem, { nameServers: [{ address: s.url, serverName: 'dns1.lab.test' }] }), now })
  t.teardown(() => c.close())
  const e = await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
  t.is(e.causeCode, 'ERR_CHANNEL_UNTRUSTED_PEER')
})

test('channel: a server certificate without the DNS Server Trust EKU: refused', async (t) => {
  const p = await labPki()
  const s = await startChannelResponder(p.noEku, p.root, { encryption: 'require' }, validating)
  t.teardown(() => s.server.close())
  const c = createStubClient({ nrpt: await channelRule('High', p.root.certPem, { nameServers: [{ address: s.url, serverName: 'dns1.lab.test' }] }), now })
  t.teardown(() => c.close())
  const e = await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
  t.is(e.causeCode, 'ERR_CHANNEL_PEER_PURPOSE')
})

test('channel: a certificate for another server name: refused', async (t) => {
  const p = await labPki()
  const s = await startChannelResponder(p.server, p.root, { encryption: 'require' }, validating)
  t.teardown(() => s.server.close())
  const c = createStubClient({ nrpt: await channelRule('High', p.root.certPem, { nameServers: [{ address: s.url, serverName: 'dns9.lab.test' }] }), now })
  t.teardown(() => c.close())
  const e = await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_CHANNEL_REFUSED' })
  t.is(e.causeCode, 'ERR_CHANNEL_PEER_NAME')
})

test('channel: encryption None runs integrity only and says so', async (t) => {
  const p = await labPki()
  const s = await startChannelResponder(p.server, p.root, { encryption: 'none' }, validating)
  t.teardown(() => s.server.close())
  const c = createStubClient({ nrpt: await channelRule('None', p.root.certPem, { nameServers: [{ address: s.url, serverName: 'dns1.lab.test' }] }), now })
  t.teardown(() => c.close())
  const res = await c.resolve('www.corp.example')
  t.regex(res.negotiated, /^channel AES-GMAC \(integrity only\)/)
})

test('a rule requiring a secure channel never talks plaintext, even to a server given by hand', async (t) => {
  const r = await startResponder(validating)
  t.teardown(() => r.close())
  const p = await labPki()
  const nrpt = await channelRule('High', p.root.certPem, { nameServers: ['ws://127.0.0.1:9/'] })
  const c = createStubClient({ nrpt, servers: [`udp://127.0.0.1:${r.port}`], now })
  t.teardown(() => c.close())
  await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_INSECURE_TRANSPORT' })
  t.is(r.queries.length, 0)
})

test('a rule requiring a secure channel does not fall back to plaintext defaults', async (t) => {
  const dflt = await startResponder(validating)
  t.teardown(() => dflt.close())
  const p = await labPki()
  const nrpt = await channelRule('High', p.root.certPem, { nameServers: ['ws://127.0.0.1:9/'] })
  ;(nrpt['global'] as Record<string, unknown>)['secureNameQueryFallback'] = 'FallbackUnsecure'
  ;(nrpt['global'] as Record<string, unknown>)['defaultServers'] = [`udp://127.0.0.1:${dflt.port}`]
  const c = createStubClient({ nrpt, now, timeoutMs: 500 })
  t.teardown(() => c.close())
  const e = await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError })
  t.true(['ERR_CLIENT_UNREACHABLE', 'ERR_CLIENT_INSECURE_TRANSPORT'].includes(e.code), e.code)
  t.is(dflt.queries.length, 0)
})

test('certificate files are read only when a transport needs them', async (t) => {
  const r = await startResponder((q) => answer(q))
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: {
    global: { clientCertificate: { certificate: 'missing/client.pem', privateKey: 'missing/client.key' } },
    rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`], { trustAuthority: 'missing/ca.pem' })],
  } })
  t.teardown(() => c.close())
  t.is((await c.resolve('www.corp.example')).answer.length, 1)
})

test('channel: trust authority and client certificate as file paths relative to the NRPT file', async (t) => {
  const p = await labPki()
  const s = await startChannelResponder(p.server, p.root, { encryption: 'require' }, validating)
  t.teardown(() => s.server.close())
  const dir = mkdtempSync(join(tmpdir(), 'nrpt-files-'))
  mkdirSync(join(dir, 'certs'))
  writeFileSync(join(dir, 'certs', 'root.pem'), p.root.certPem)
  writeFileSync(join(dir, 'certs', 'client.pem'), p.client.certPem)
  writeFileSync(join(dir, 'certs', 'client.key'), p.client.keyPem!, { mode: 0o600 })
  writeFileSync(join(dir, 'nrpt.json'), JSON.stringify({
    global: { clientCertificate: { certificate: 'certs/client.pem', privateKey: 'certs/client.key' } },
    rules: [{ name: 'corp', namespace: '.corp.example', dnsSecEnable: true, dnsSecValidationRequired: true, secureChannelRequired: true, encryption: 'High', trustAuthority: 'certs/root.pem', nameServers: [{ address: s.url, serverName: 'dns1.lab.test' }] }],
  }))
  const c = createStubClient({ nrpt: await loadNrpt(join(dir, 'nrpt.json')), now })
  t.teardown(() => c.close())
  t.true((await c.resolve('www.corp.example')).ad)
})

test('channel: a trust authority file that does not exist is ERR_CLIENT_NRPT_FILE', async (t) => {
  const nrpt = await channelRule('High', 'no/such/ca.pem', { nameServers: ['ws://127.0.0.1:9/'] })
  const c = createStubClient({ nrpt, now })
  t.teardown(() => c.close())
  await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_NRPT_FILE' })
})

const addrResponder: Handler = (q) => {
  const a = answer(q)
  const question = q.question[0]!
  if (question.type === RRType.AAAA) a.answer = [{ name: question.name, class: 1, ttl: 60, data: { type: RRType.AAAA, address: '2001:db8::1' } }]
  return a
}

for (const [policy, family, asked] of [
  ['Disable', 4, ['A']], ['Disable', 6, ['AAAA']], ['Disable', 0, ['AAAA', 'A']],
  ['QueryBoth', 4, ['AAAA', 'A']], ['QueryIPv6Only', 0, ['AAAA']], ['QueryIPv6Only', 4, ['AAAA']],
] as const) {
  test(`lookup under ${policy} with family ${family} asks ${asked.join(' and ')}`, async (t) => {
    const r = await startResponder(addrResponder)
    t.teardown(() => r.close())
    const c = createStubClient({ nrpt: { global: { queryPolicy: policy }, rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${r.port}`])] } })
    t.teardown(() => c.close())
    const l = await c.lookup('www.corp.example', family)
    t.deepEqual(l.asked, [...asked])
    t.deepEqual(r.queries.map((x) => x.q.question[0]!.type).sort(), asked.map((a) => RRType[a]).sort())
    t.deepEqual(l.addresses.map((a) => a.family), asked.map((a) => (a === 'A' ? 4 : 6)))
  })
}

test('the query policy does not apply to names no rule sends to its servers', async (t) => {
  const r = await startResponder(addrResponder)
  t.teardown(() => r.close())
  const c = createStubClient({ nrpt: { global: { queryPolicy: 'QueryIPv6Only', defaultServers: [`udp://127.0.0.1:${r.port}`] }, rules: [rule('pub', '.pub.example', [])] } })
  t.teardown(() => c.close())
  t.deepEqual((await c.lookup('www.pub.example', 4)).asked, ['A'])
})

for (const [fallback, asked] of [['FallbackSecure', false], ['FallbackUnsecure', true]] as const) {
  test(`${fallback}: a plain default server is ${asked ? '' : 'not '}asked when the rule servers are silent`, async (t) => {
    const silent = await startResponder(() => 'drop')
    const dflt = await startResponder((q) => answer(q))
    t.teardown(() => silent.close())
    t.teardown(() => dflt.close())
    const c = createStubClient({ timeoutMs: 150, nrpt: {
      global: { secureNameQueryFallback: fallback, defaultServers: [`udp://127.0.0.1:${dflt.port}`] },
      rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${silent.port}`])],
    } })
    t.teardown(() => c.close())
    if (asked) {
      t.true((await c.resolve('www.corp.example')).fallback)
    } else {
      await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_TIMEOUT' })
    }
    t.is(dflt.queries.length, asked ? 1 : 0)
  })
}

test('no fallback after a policy refusal: an answer without AD is final', async (t) => {
  const plain = await startResponder((q) => answer(q, { ad: false }))
  const dflt = await startResponder(validating)
  t.teardown(() => plain.close())
  t.teardown(() => dflt.close())
  const c = createStubClient({ nrpt: {
    global: { secureNameQueryFallback: 'FallbackUnsecure', defaultServers: [`udp://127.0.0.1:${dflt.port}`] },
    rules: [rule('corp', '.corp.example', [`udp://127.0.0.1:${plain.port}`], { dnsSecEnable: true, dnsSecValidationRequired: true })],
  } })
  t.teardown(() => c.close())
  await t.throwsAsync(c.resolve('www.corp.example'), { instanceOf: ClientError, code: 'ERR_CLIENT_NOT_VALIDATED' })
  t.is(dflt.queries.length, 0)
})
