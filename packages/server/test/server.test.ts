import test from 'ava'
import { createSocket } from 'node:dgram'
import { connect, createServer, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Name, RRType, Rcode, createQuery, decodeHeader, decodeMessage, encodeMessage, frameTcp, TcpFrameReader, type Message } from '@secdns/wire'
import { DnsServer } from '../src/server.js'
import { parseConfig } from '../src/config.js'
import { signTsig, tsigKey, TsigStreamVerifier } from '../src/tsig.js'

const fixture = (f: string): string => fileURLToPath(new URL(`../../test/fixtures/${f}`, import.meta.url))

async function startServer(extra: Record<string, unknown> = {}, limits: Record<string, unknown> = {}, file = 'example.test.nsec.signed'): Promise<{ server: DnsServer, udp: number, tcp: number }> {
  const cfg = parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'example.test', type: 'primary', file: fixture(file) }],
    limits, ...extra,
  })
  const server = new DnsServer(cfg)
  await server.start()
  const udp = server.listeners.find((l) => l.kind === 'udp')!.port
  const tcp = server.listeners.find((l) => l.kind === 'tcp')!.port
  return { server, udp, tcp }
}

function udpAsk(port: number, bytes: Uint8Array, timeoutMs = 2000): Promise<Message | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4')
    const t = setTimeout(() => { s.close(); resolve(null) }, timeoutMs)
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(decodeMessage(m)) })
    s.send(bytes, port, '127.0.0.1')
  })
}

function tcpAsk(port: number, msgs: Uint8Array[]): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const out: Message[] = []
    const frames = new TcpFrameReader()
    const s = connect(port, '127.0.0.1', () => { for (const m of msgs) s.write(frameTcp(m)) })
    s.on('data', (c) => {
      for (const f of frames.push(c)) out.push(decodeMessage(f))
      if (out.length >= msgs.length) { s.end(); resolve(out) }
    })
    s.on('error', reject)
  })
}

const q = (name: string, type: number, opts: Parameters<typeof createQuery>[2] = {}): Uint8Array =>
  encodeMessage(createQuery(Name.fromString(name), type, { rd: false, id: 4242, ...opts }))

test.serial('answers the same over UDP and TCP, several TCP queries on one connection', async (t) => {
  const { server, udp, tcp } = await startServer()
  t.teardown(() => server.stop())
  const u = await udpAsk(udp, q('www.example.test.', RRType.A, { dnssecOk: true }))
  const [a, b] = await tcpAsk(tcp, [q('www.example.test.', RRType.A, { dnssecOk: true }), q('nope.example.test.', RRType.A)])
  t.deepEqual(u!.answer.map((r) => r.data), a!.answer.map((r) => r.data))
  t.true(u!.flags.aa)
  t.is(b!.rcode, Rcode.NXDOMAIN)
})

test.serial('a response too large for the UDP size is truncated with TC and complete over TCP', async (t) => {
  // an NSEC3 NXDOMAIN with DO is about 800 octets
  const { server, udp, tcp } = await startServer({}, {}, 'example.test.nsec3.signed')
  t.teardown(() => server.stop())
  const big = q('example.test.', RRType.DNSKEY, { dnssecOk: true, udpSize: null })
  const small = await udpAsk(udp, q('nope.example.test.', RRType.A, { dnssecOk: true, udpSize: 512 }))
  t.true(small!.flags.tc)
  const [full] = await tcpAsk(tcp, [q('nope.example.test.', RRType.A, { dnssecOk: true, udpSize: 512 })])
  t.false(full!.flags.tc)
  t.true(full!.authority.length > 4)
  t.truthy(await udpAsk(udp, big))
})

test.serial('a packet shorter than a header and a response are dropped; a malformed question gets FORMERR with the same ID', async (t) => {
  const { server, udp } = await startServer()
  t.teardown(() => server.stop())
  t.is(await server.handle(new Uint8Array(5), { address: '127.0.0.1', port: 1, transport: 'udp' }), null)
  const resp = q('www.example.test.', RRType.A)
  resp[2]! |= 0x80
  t.is(await udpAsk(udp, resp, 300), null)
  const bad = q('www.example.test.', RRType.A).slice(0, 20)
  const r = await udpAsk(udp, bad)
  t.is(r!.rcode, Rcode.FORMERR)
  t.is(r!.id, 4242)
  t.is(server.counters.formerr, 1)
})

function mutate(seed: number, bases: Uint8Array[]): Uint8Array {
  // xorshift32: the same packets on every run
  let x = seed * 2654435761 >>> 0 || 1
  const rnd = (): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
  const kind = rnd() % 4
  if (kind === 0) {
    const b = new Uint8Array(rnd() % 120)
    for (let i = 0; i < b.length; i++) b[i] = rnd() & 0xff
    return b
  }
  const base = bases[rnd() % bases.length]!
  const b = base.slice(0, kind === 1 ? rnd() % (base.length + 1) : base.length)
  const flips = 1 + (rnd() % 4)
  for (let i = 0; i < flips && b.length > 0; i++) b[rnd() % b.length] = rnd() & 0xff
  if (kind === 3 && b.length > 3) b[2]! &= 0x7f // keep QR clear more often so the deeper paths run
  return b
}

test.serial('100,000 random and mutated packets: the server answers FORMERR or drops as RFC says, stays up and answers right after', async (t) => {
  t.timeout(60_000)
  const { server, udp, tcp } = await startServer()
  t.teardown(() => server.stop())
  const bases = [
    q('www.example.test.', RRType.A, { dnssecOk: true }), q('x.wild.example.test.', RRType.TXT), q('example.test.', RRType.AXFR),
    q('nope.example.test.', RRType.NSEC3, { dnssecOk: true, options: [{ code: 10, data: new Uint8Array(8) }] }),
  ]
  const peer = { address: '127.0.0.1', port: 1, transport: 'udp' as const }
  let formerr = 0, dropped = 0
  const packets: Uint8Array[] = []
  for (let i = 0; i < 100_000; i++) {
    const p = mutate(i + 1, bases)
    packets.push(p)
    const out = await server.handle(p, peer)
    let header
    try { header = decodeHeader(p) } catch { header = undefined }
    // STYLE.md §4: no header or QR=1: nothing is sent back.
    if (header === undefined || header.flags.qr) { t.is(out, null); dropped++; continue }
    t.truthy(out)
    const r = decodeMessage(out![0]!)
    t.is(r.id, header.id)
    t.true(r.flags.qr)
    let parses = true
    try { decodeMessage(p) } catch { parses = false }
    if (!parses) { t.is(r.rcode, Rcode.FORMERR); formerr++ }
  }
  t.true(formerr > 1000 && dropped > 1000)
  t.is(server.counters.errors, 0)
  // The same packets at the live sockets: a share over UDP, the rest over TCP in frames.
  const s = createSocket('udp4')
  for (let i = 0; i < 60_000; i++) {
    s.send(packets[i]!, udp, '127.0.0.1')
    if (i % 500 === 0) await new Promise((r) => setImmediate(r))
  }
  s.close()
  let sent = 60_000
  while (sent < 100_000) {
    const sock = connect(tcp, '127.0.0.1')
    await new Promise<void>((resolve) => {
      sock.on('error', () => resolve())
      sock.on('close', () => resolve())
      sock.on('data', () => {})
      sock.on('connect', () => {
        const chunk: Buffer[] = []
        for (let k = 0; k < 2000 && sent < 100_000; k++, sent++) {
          const p = packets[sent]!
          if (p.length >= 12) chunk.push(Buffer.from(frameTcp(p)))
        }
        sock.end(Buffer.concat(chunk))
      })
    })
  }
  const after = await udpAsk(udp, q('www.example.test.', RRType.A))
  t.is(after!.rcode, Rcode.NOERROR)
  t.is(after!.answer.length, 1)
  const [overTcp] = await tcpAsk(tcp, [q('www.example.test.', RRType.A)])
  t.is(overTcp!.answer.length, 1)
  t.is(server.counters.errors, 0)
})

test.serial('an idle TCP client and a slow one are cut off by the timeouts', async (t) => {
  const { server, tcp } = await startServer({}, { tcpIdleMs: 200, tcpReadMs: 200 })
  t.teardown(() => server.stop())
  const idle = connect(tcp, '127.0.0.1')
  const closedIdle = new Promise<void>((r) => idle.on('close', () => r()))
  idle.on('error', () => {})
  await closedIdle
  const slow = connect(tcp, '127.0.0.1', () => slow.write(new Uint8Array([0, 40, 1, 2])))
  slow.on('error', () => {})
  // keep trickling so the idle timer never fires: only the read timer can close it
  const trickle = setInterval(() => { if (!slow.destroyed) slow.write(new Uint8Array([0])) }, 50)
  await new Promise<void>((r) => slow.on('close', () => r()))
  clearInterval(trickle)
  t.true(server.counters.tcpTimeouts >= 2)
})

test.serial('connections beyond the limit are closed at once', async (t) => {
  const { server, tcp } = await startServer({}, { tcpConnections: 2 })
  t.teardown(() => server.stop())
  const open: Socket[] = []
  for (let i = 0; i < 2; i++) {
    const s = connect(tcp, '127.0.0.1')
    s.on('error', () => {})
    await new Promise<void>((r) => s.on('connect', () => r()))
    open.push(s)
  }
  await new Promise((r) => setTimeout(r, 50))
  const third = connect(tcp, '127.0.0.1')
  third.on('error', () => {})
  await new Promise<void>((r) => third.on('close', () => r()))
  t.is(server.counters.tcpRejected, 1)
  const [ok] = await (async () => { open[0]!.destroy(); await new Promise((r) => setTimeout(r, 50)); return tcpAsk(tcp, [q('www.example.test.', RRType.A)]) })()
  t.is(ok!.answer.length, 1)
  for (const s of open) s.destroy()
})

test.serial('a port already taken makes start fail with nothing left bound', async (t) => {
  const blocker = createServer()
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
  t.teardown(() => blocker.close())
  const port = (blocker.address() as { port: number }).port
  const cfg = parseConfig({ listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port }] } })
  const server = new DnsServer(cfg)
  await t.throwsAsync(server.start(), { code: 'ERR_SERVER_BIND' })
  t.deepEqual(server.listeners, [])
})

test.serial('a zone file with errors stops start; a reload with errors keeps the old zone', async (t) => {
  const cfg = parseConfig({ listeners: {}, zones: [{ name: 'example.test', type: 'primary', file: fixture('example.test.zone') + '.missing' }] })
  await t.throwsAsync(new DnsServer(cfg).start(), { code: 'ERR_SERVER_ZONE_LOAD' })
  const { server } = await startServer()
  t.teardown(() => server.stop())
  t.is(server.reload('example.test')[0]!.ok, true)
  t.throws(() => server.reload('nope.test'), { code: 'ERR_SERVER_UNKNOWN_ZONE' })
})

test.serial('AXFR is refused without an allowed key and streams the zone with one', async (t) => {
  const secret = Buffer.alloc(32, 9).toString('base64')
  const { server, tcp } = await startServer({ tsigKeys: [{ name: 'xfr', secret }], acl: { transfer: ['key:xfr'] } })
  t.teardown(() => server.stop())
  const [refused] = await tcpAsk(tcp, [q('example.test.', RRType.AXFR)])
  t.is(refused!.rcode, Rcode.REFUSED)
  const out = await server.handle(q('example.test.', RRType.AXFR), { address: '127.0.0.1', port: 1, transport: 'tcp' })
  t.is(decodeMessage(out![0]!).rcode, Rcode.REFUSED)
  const key = tsigKey('xfr', secret)
  const now = Math.floor(Date.now() / 1000)
  const signed = signTsig(q('example.test.', RRType.AXFR, { udpSize: null }), key, { now })
  const msgs = await server.handle(signed.bytes, { address: '127.0.0.1', port: 1, transport: 'tcp' })
  const verifier = new TsigStreamVerifier(key, signed.mac)
  for (const m of msgs!) verifier.push(m, now)
  t.notThrows(() => verifier.finish())
  const answers = msgs!.flatMap((m) => decodeMessage(m).answer.filter((r) => r.data.type !== RRType.TSIG))
  t.is(answers[0]!.data.type, RRType.SOA)
  t.is(answers[answers.length - 1]!.data.type, RRType.SOA)
  t.true(answers.some((r) => r.data.type === RRType.NSEC))
})

test.serial('UPDATE to a signed zone is REFUSED and changes nothing', async (t) => {
  const { server } = await startServer()
  t.teardown(() => server.stop())
  const m = createQuery(Name.fromString('example.test.'), RRType.SOA, { rd: false, udpSize: null })
  m.opcode = 5
  m.authority.push({ name: Name.fromString('new.example.test.'), class: 1, ttl: 300, data: { type: RRType.A, address: '192.0.2.200' } })
  const out = await server.handle(encodeMessage(m), { address: '127.0.0.1', port: 1, transport: 'udp' })
  t.is(decodeMessage(out![0]!).rcode, Rcode.REFUSED)
  const check = await server.handle(q('new.example.test.', RRType.A), { address: '127.0.0.1', port: 1, transport: 'udp' })
  t.is(decodeMessage(check![0]!).rcode, Rcode.NXDOMAIN)
})

test.serial('a graceful stop lets a transfer in flight finish', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-stop-'))
  const lines = ['$TTL 300', '@ SOA ns1 hostmaster 1 7200 3600 1209600 300', '@ NS ns1', 'ns1 A 192.0.2.1']
  for (let i = 0; i < 40000; i++) lines.push(`h${i} TXT "${'x'.repeat(60)}"`)
  writeFileSync(join(dir, 'big.zone'), lines.join('\n') + '\n')
  const server = new DnsServer(parseConfig({
    listeners: { tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'big.test', type: 'primary', file: join(dir, 'big.zone') }],
    acl: { transfer: ['127.0.0.1'] },
  }))
  await server.start()
  const port = server.listeners[0]!.port
  const frames = new TcpFrameReader()
  let records = 0, soas = 0
  const sock = connect(port, '127.0.0.1', () => sock.write(frameTcp(q('big.test.', RRType.AXFR))))
  const done = new Promise<void>((resolve) => sock.on('close', () => resolve()))
  sock.on('error', () => {})
  let stopping: Promise<void> | undefined
  sock.on('data', (c) => {
    for (const f of frames.push(c)) {
      const m = decodeMessage(f)
      records += m.answer.length
      soas += m.answer.filter((r) => r.data.type === RRType.SOA).length
      // stop the server as soon as the transfer has begun, then read slowly
      if (stopping === undefined) { stopping = server.stop(); sock.pause(); setTimeout(() => sock.resume(), 300) }
    }
    if (soas === 2) sock.end()
  })
  await done
  await stopping
  t.is(soas, 2)
  t.is(records, 40000 + 4)
  t.deepEqual(server.listeners, [])
})

test.serial('over UDP, a referral whose in-bailiwick glue does not fit 512 octets has TC, and TCP carries it all (RFC 9471)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-server-glue-'))
  const lines = ['$ORIGIN big.test.', '$TTL 300', '@ SOA ns hm 1 2 3 4 5', '@ NS ns', 'ns A 192.0.2.1']
  for (let i = 0; i < 13; i++) lines.push(`sub NS ns${i}.sub`, `ns${i}.sub A 192.0.2.${10 + i}`, `ns${i}.sub AAAA 2001:db8::${10 + i}`)
  writeFileSync(join(dir, 'big.test.zone'), lines.join('\n') + '\n')
  const server = new DnsServer(parseConfig({
    listeners: { udp: [{ address: '127.0.0.1', port: 0 }], tcp: [{ address: '127.0.0.1', port: 0 }] },
    zones: [{ name: 'big.test', type: 'primary', file: join(dir, 'big.test.zone') }],
  }))
  await server.start()
  t.teardown(() => server.stop())
  const udp = await udpAsk(server.listeners.find((l) => l.kind === 'udp')!.port, q('host.sub.big.test.', RRType.A, { udpSize: null }))
  t.true(udp!.flags.tc)
  const [tcp] = await tcpAsk(server.listeners.find((l) => l.kind === 'tcp')!.port, [q('host.sub.big.test.', RRType.A)])
  t.false(tcp!.flags.tc)
  t.is(tcp!.authority.length, 13)
  t.is(tcp!.additional.length, 26)
})
