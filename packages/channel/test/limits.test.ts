import test from 'ava'
import { DEFAULT_LIMITS, resolveLimits, REPLAY_WINDOW, MAX_MESSAGE_OCTETS } from '../src/limits.js'
import { createChannelServer } from '../src/server.js'
import { connect } from '../src/client.js'
import { pki, ident, echo, clientOptions } from './helpers.js'

test('overrides replace only the limits they name', (t) => {
  const l = resolveLimits({ replayWindow: 64 })
  t.is(l.replayWindow, 64)
  t.is(l.maxMessageOctets, MAX_MESSAGE_OCTETS)
  t.deepEqual(resolveLimits(), { ...DEFAULT_LIMITS })
  t.is(REPLAY_WINDOW % 32, 0)
})

test('bad limits are refused with ERR_CHANNEL_INVALID_OPTIONS naming the limit', (t) => {
  t.throws(() => resolveLimits({ replayWindow: 33 }), { code: 'ERR_CHANNEL_INVALID_OPTIONS', message: /replayWindow/ })
  t.throws(() => resolveLimits({ saMaxPackets: 0 }), { code: 'ERR_CHANNEL_INVALID_OPTIONS', message: /saMaxPackets/ })
  t.throws(() => resolveLimits({ handshakeTimeoutMs: Number.NaN }), { code: 'ERR_CHANNEL_INVALID_OPTIONS', message: /handshakeTimeoutMs/ })
  t.throws(() => resolveLimits({ maxMessageOctets: 100 }), { code: 'ERR_CHANNEL_INVALID_OPTIONS' })
  t.throws(() => resolveLimits({ bogus: 1 } as never), { code: 'ERR_CHANNEL_INVALID_OPTIONS', message: /bogus/ })
})

test('server and client check their limits before anything starts', async (t) => {
  const p = await pki()
  t.throws(() => createChannelServer({ identity: ident(p.server), trust: { cas: [p.root.certPem] }, rules: { encryption: 'require' }, handler: echo, limits: { replayWindow: 10 } }), { code: 'ERR_CHANNEL_INVALID_OPTIONS' })
  await t.throwsAsync(connect('ws://127.0.0.1:1/', clientOptions(p, {}, { queryTimeoutMs: -1 })), { code: 'ERR_CHANNEL_INVALID_OPTIONS' })
})
