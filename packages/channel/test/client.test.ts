import test from 'ava'
import { connect } from '../src/client.js'
import { pki, startServer, clientOptions, dnsQuery } from './helpers.js'

test('a client connects, negotiates AES-256-GCM and gets answers matched by id', async (t) => {
  const p = await pki()
  const { server, url } = await startServer(p)
  t.teardown(() => server.close())
  const c = await connect(url, clientOptions(p))
  t.is(c.negotiated.transform, 'AES-256-GCM')
  t.is(c.negotiated.keyExchange, 'X25519')
  t.regex(c.negotiated.peer.subject, /dns1\.lab\.test/)
  t.regex(c.negotiated.peer.anchorSubject, /secdns Lab Root CA/)
  const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => c.query(dnsQuery(i))))
  answers.forEach((a, i) => t.is((a[0]! << 8) | a[1]!, i))
  t.is(server.sessions().length, 1)
  t.regex(server.sessions()[0]!.subject, /client1\.lab\.test/)
  await c.close()
})
