import test from 'ava'
import { SecdnsError } from '@secdns/wire'
import { ChannelError } from '@secdns/channel'
import { ClientError } from '../src/errors.js'

test('a ClientError is a SecdnsError with a stable code', (t) => {
  const e = new ClientError('ERR_CLIENT_NOT_VALIDATED', 'no AD')
  t.true(e instanceof SecdnsError)
  t.is(e.code, 'ERR_CLIENT_NOT_VALIDATED')
  t.is(e.name, 'ClientError')
  t.is(e.causeCode, undefined)
})

test('causeCode is the code of the wrapped channel error', (t) => {
  const e = new ClientError('ERR_CLIENT_CHANNEL_REFUSED', 'refused', { cause: new ChannelError('ERR_CHANNEL_PEER_PURPOSE', 'no EKU') })
  t.is(e.causeCode, 'ERR_CHANNEL_PEER_PURPOSE')
})
