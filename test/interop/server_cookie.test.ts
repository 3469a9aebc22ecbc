/**
 * DNS COOKIEs against dig and kdig (RFC 7873 §5.2.3, RFC 9018): a forged or expired server
 * cookie gets BADCOOKIE with a fresh cookie over UDP, which both tools retry with and then
 * get their answer; TCP is never refused for cookies; with `cookies.requireValid` a client
 * cookie alone gets BADCOOKIE and a query without COOKIE is sent to TCP with TC.
 *
 * The server runs in this process, so peers are run asynchronously.
 */
import test, { type ExecutionContext } from 'ava'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createDnsServer, makeServerCookie, parseConfig, type DnsServer } from '@secdns/server'
import { havePeers, which } from '../helpers/peers.js'
import { freePort } from '../helpers/ports.js'

const ZONE = fileURLToPath(new URL('../../../packages/server/test/fixtures/example.test.zone', import.meta.url))
const SECRET = '00112233445566778899aabbccddeeff'
const CLIENT = '0102030405060708'

function run(tool: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(which(tool) ?? tool, args, { timeout: 30_000, encoding: 'utf8' }, (_err, stdout, stderr) => resolve(stdout + stderr))
  })
}

async function serve(t: ExecutionContext, cookies: { requireValid?: boolean, allow?: string[] } = {}): Promise<{ server: DnsServer, port: number }> {
  const port = await freePort()
  const server = createDnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port }], tcp: [{ address: '127.0.0.1', port }] },
    zones: [{ name: 'example.test', type: 'primary', file: ZONE }],
    cookieSecret: SECRET, cookies,
  }))
  await server.start()
  t.teardown(() => server.stop())
  return { server, port }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const now = (): number => Math.floor(Date.now() / 1000)
/** A server cookie this server would have made, `age` seconds ago. */
const ours = (age: number): string => hex(makeServerCookie(Buffer.from(SECRET, 'hex'), Buffer.from(CLIENT, 'hex'), '127.0.0.1', now() - age))
const FORGED = '01000000' + now().toString(16).padStart(8, '0') + '1122334455667788'
const dig = (port: number, ...args: string[]): Promise<string> => run('dig', ['+norec', '+time=2', '+tries=1', '@127.0.0.1', '-p', String(port), 'www.example.test', 'A', ...args])
const cookieOf = (out: string): string | undefined => /COOKIE: ([0-9a-fA-F]+)/.exec(out)?.[1]?.toLowerCase()

test.serial('dig: a forged or an expired server cookie gets BADCOOKIE and a fresh cookie; dig retries with it and gets the answer', async (t) => {
  if (!havePeers(t, 'dig')) return
  const { server, port } = await serve(t)
  const forged = await dig(port, '+nobadcookie', `+cookie=${CLIENT}${FORGED}`)
  t.regex(forged, /status: BADCOOKIE/)
  t.regex(forged, /ANSWER: 0,/)
  const fresh = cookieOf(forged)!
  t.is(fresh.length, 48)
  t.true(fresh.startsWith(CLIENT))
  t.not(fresh, CLIENT + FORGED)
  // The fresh cookie is accepted as it is.
  const again = await dig(port, '+nobadcookie', `+cookie=${fresh}`)
  t.regex(again, /status: NOERROR/)
  t.regex(again, /www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.80/)

  const expired = await dig(port, '+nobadcookie', `+cookie=${CLIENT}${ours(3700)}`)
  t.regex(expired, /status: BADCOOKIE/)
  t.not(cookieOf(expired), CLIENT + ours(3700))
  // A cookie of ours ten minutes old is still good.
  t.regex(await dig(port, '+nobadcookie', `+cookie=${CLIENT}${ours(600)}`), /status: NOERROR/)

  // dig's default: retry once with the cookie it was given.
  const retried = await dig(port, `+cookie=${CLIENT}${FORGED}`)
  t.regex(retried, /;; BADCOOKIE, retrying\./)
  t.regex(retried, /status: NOERROR/)
  t.regex(retried, /IN\s+A\s+192\.0\.2\.80/)

  // Over TCP the connection proves the address: no BADCOOKIE.
  t.regex(await dig(port, '+tcp', '+nobadcookie', `+cookie=${CLIENT}${FORGED}`), /status: NOERROR/)
  t.is(server.status().counters.badCookies, 3)
})

test.serial('kdig: a forged server cookie gets BADCOOKIE; kdig retries with the received cookie and gets the answer', async (t) => {
  if (!havePeers(t, 'kdig')) return
  const { port } = await serve(t)
  const out = await run('kdig', ['@127.0.0.1', '-p', String(port), '+norec', '+retry=0', `+cookie=${CLIENT}${FORGED}`, 'www.example.test', 'A'])
  t.regex(out, /status: BADCOOKIE/)
  t.regex(out, /ext-rcode: BADCOOKIE/)
  t.regex(out, /bad cookie from 127\.0\.0\.1@\d+\(UDP\), retrying with the received one/)
  t.regex(out, /status: NOERROR[\s\S]*www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.80/)
})

test.serial('requireValid: a client cookie alone gets BADCOOKIE, no COOKIE gets TC (dig goes to TCP), the allow list is exempt', async (t) => {
  if (!havePeers(t, 'dig')) return
  const { port } = await serve(t, { requireValid: true })
  const only = await dig(port, '+nobadcookie', `+cookie=${CLIENT}`)
  t.regex(only, /status: BADCOOKIE/)
  t.is(cookieOf(only)?.length, 48)
  t.regex(await dig(port, `+cookie=${CLIENT}`), /;; BADCOOKIE, retrying\.[\s\S]*status: NOERROR/)
  const none = await dig(port, '+nocookie', '+ignore')
  t.regex(none, /flags: qr tc;/)
  t.regex(none, /ANSWER: 0,/)
  const tcp = await dig(port, '+nocookie')
  t.regex(tcp, /;; Truncated, retrying in TCP mode\./)
  t.regex(tcp, /IN\s+A\s+192\.0\.2\.80/)
  const { port: open } = await serve(t, { requireValid: true, allow: ['127.0.0.0/8'] })
  t.regex(await dig(open, '+nobadcookie', `+cookie=${CLIENT}${FORGED}`), /status: NOERROR/)
  t.regex(await dig(open, '+nocookie', '+ignore'), /flags: qr aa;/)
})
