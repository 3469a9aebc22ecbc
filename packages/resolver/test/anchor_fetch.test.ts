import test from 'ava'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Name, RRType, type Ds } from '@secdns/wire'
import { fetchDnskeys } from '../src/anchor_fetch.js'
import { ResolverError } from '../src/errors.js'
import { parseScenario, ReplayTransport } from './replay.js'

const s = parseScenario(readFileSync(fileURLToPath(new URL('../../test/fixtures/replay/secure_a.rpl', import.meta.url)), 'utf8'), 'secure_a.rpl')
const server = { address: '192.0.2.53', port: 53 }

test('fetchDnskeys lists each key with its tag and the SHA-256 DS the parent publishes', async (t) => {
  const f = await fetchDnskeys(Name.fromString('example.test.'), server, { transport: new ReplayTransport(s.steps), now: s.now })
  t.true(f.selfSigned)
  t.deepEqual(f.keys.map((k) => k.sep).sort(), [false, true])
  const ds = s.steps.find((x) => x.type === RRType.DS && x.name.equals(Name.fromString('example.test.')))!.message.answer.find((r) => r.data.type === RRType.DS)!.data as Ds
  const ksk = f.keys.find((k) => k.sep)!
  t.is(ksk.keyTag, ds.keyTag)
  t.is(ksk.dsSha256, Buffer.from(ds.digest).toString('hex').toUpperCase())
})

test('fetchDnskeys says when the set is not signed by its own SEP key at the given time', async (t) => {
  const f = await fetchDnskeys(Name.fromString('example.test.'), server, { transport: new ReplayTransport(s.steps), now: Date.UTC(2040, 0, 1) / 1000 })
  t.false(f.selfSigned)
})

test('a zone without a DNSKEY RRset is a coded error', async (t) => {
  const noKeys = s.steps.map((x) => x.type === RRType.DNSKEY ? { ...x, message: { ...x.message, answer: [] } } : x)
  await t.throwsAsync(fetchDnskeys(Name.fromString('example.test.'), server, { transport: new ReplayTransport(noKeys), now: s.now }), { instanceOf: ResolverError, code: 'ERR_RESOLVER_ANCHOR_NOT_FOUND' })
})
