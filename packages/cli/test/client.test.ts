import test from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EdnsOption, Name, RRType, createQuery, decodeMessage, encodeMessage, parseEdeOption, type Message } from '@secdns/wire'

const BIN = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))

function ask(port: number, q: Message): Promise<Message> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4')
    const timer = setTimeout(() => { s.close(); reject(new Error('no answer')) }, 5000)
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(decodeMessage(m)) })
    s.send(encodeMessage(q), port, '127.0.0.1')
  })
}

async function upstream(): Promise<{ port: number; close(): void }> {
  const s = createSocket('udp4')
  s.on('message', (m, r) => {
    const q = decodeMessage(m)
    const secure = q.question[0]!.name.toString().includes('secure')
    const a: Message = {
      id: q.id, opcode: 0, rcode: 0, flags: { qr: true, aa: false, tc: false, rd: true, ra: true, ad: secure, cd: false },
      question: q.question, authority: [], additional: [],
      answer: [{ name: q.question[0]!.name, class: 1, ttl: 60, data: { type: RRType.A, address: '192.0.2.9' } }],
      ...(q.edns ? { edns: { udpSize: 1232, version: 0, dnssecOk: q.edns.dnssecOk, options: [] } } : {}),
    }
    s.send(encodeMessage(a), r.port, r.address)
  })
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()))
  return { port: s.address().port, close: () => s.close() }
}

function serve(nrpt: string): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'client', 'serve', '--listen', '127.0.0.1:0', '--nrpt', nrpt, '--quiet'])
    let out = ''
    proc.stdout!.on('data', (d) => {
      out += d
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out)
      if (m) resolve({ proc, port: Number(m[1]) })
    })
    proc.on('exit', (code) => reject(new Error(`client serve exited ${code}`)))
  })
}

test('client serve answers under the NRPT: AD passed on, a refusal becomes SERVFAIL with an EDE', async (t) => {
  const up = await upstream()
  t.teardown(() => up.close())
  const f = join(mkdtempSync(join(tmpdir(), 'secdns-serve-')), 'nrpt.json')
  writeFileSync(f, JSON.stringify({ rules: [{ name: 'corp', namespace: '.corp.example', nameServers: [`udp://127.0.0.1:${up.port}`], dnsSecEnable: true, dnsSecValidationRequired: true }] }))
  const { proc, port } = await serve(f)
  t.teardown(() => { proc.kill('SIGTERM') })
  const ok = await ask(port, createQuery(Name.fromString('secure.corp.example.'), RRType.A, { id: 1, dnssecOk: true }))
  t.is(ok.rcode, 0)
  t.true(ok.flags.ad)
  t.is(ok.answer.length, 1)
  const bad = await ask(port, createQuery(Name.fromString('plain.corp.example.'), RRType.A, { id: 2, dnssecOk: true }))
  t.is(bad.rcode, 2)
  t.is(bad.answer.length, 0)
  const ede = bad.edns!.options.filter((o) => o.code === EdnsOption.EDE).map(parseEdeOption)
  t.is(ede[0]!.infoCode, 5)
  t.regex(ede[0]!.extraText, /ERR_CLIENT_NOT_VALIDATED/)
})

test('client serve with a bad table exits 2', async (t) => {
  const f = join(mkdtempSync(join(tmpdir(), 'secdns-serve-')), 'nrpt.json')
  writeFileSync(f, '{"rules": 3}')
  const code = await new Promise<number | null>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'client', 'serve', '--listen', '127.0.0.1:0', '--nrpt', f])
    p.on('exit', resolve)
  })
  t.is(code, 2)
})
