import test from 'ava'
import { ChannelError, CLOSE_CODES, isChannelErrorCode } from '../src/errors.js'

test('a ChannelError carries its code, close code and the cause code', (t) => {
  const cause = Object.assign(new Error('revoked'), { code: 'ERR_PKI_REVOKED' })
  const e = new ChannelError('ERR_CHANNEL_PEER_REVOKED', 'peer certificate revoked', { cause })
  t.is(e.code, 'ERR_CHANNEL_PEER_REVOKED')
  t.is(e.closeCode, CLOSE_CODES.ERR_CHANNEL_PEER_REVOKED)
  t.is(e.pkiCode, 'ERR_PKI_REVOKED')
  t.is(e.name, 'ChannelError')
})

test('close codes are private-use or RFC 6455 codes', (t) => {
  for (const c of Object.values(CLOSE_CODES)) t.true((c >= 4000 && c < 5000) || [1000, 1002, 1009, 1011, 1013].includes(c))
  t.true(isChannelErrorCode('ERR_CHANNEL_REPLAY'))
  t.false(isChannelErrorCode('ERR_PKI_REVOKED'))
})
