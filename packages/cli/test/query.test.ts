import test from 'ava'
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RRType, decodeMessage, encodeMessage, type Message } from '@secdns/wire'

const BIN = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))

function secdns(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args])
    let out = '', err = ''
    p.stdout.on('data', (d) => { out += d })
    p.stderr.on('data', (d) => { err += d })
    p.on('close', (code) => resolve({ code, out, err }))
  })
}

/** A UDP responder: one A record; AD when the query had DO and `ad` says so. */
async function responder(ad: boolean, rcode = 0): Promise<{ port: number; close(): void; seen: Message[] }> {
  const s = createSocket('udp4')
  const seen: Message[] = []
  s.on('message', (m, r) => {
    const q = decodeMessage(m)
    seen.push(q)
    const a: Message = {
      id: q.id, opcode: 0, rcode, flags: { qr: true, aa: false, tc: false, rd: true, ra: true, ad: ad && q.edns?.dnssecOk === true, cd: false },
      question: q.question, authority: [], additional: [],
      answer: rcode === 0 ? [{ name: q.question[0]!.name, class: 1, ttl: 60, data: { type: RRType.A, address: '192.0.2.7' } }] : [],
      ...(q.edns ? { edns: { udpSize: 1232, version: 0, dnssecOk: q.edns.dnssecOk, options: [] } } : {}),
    }
    s.send(encodeMessage(a), r.port, r.address)
  })
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()))
  return { port: s.address().port, close: () => s.close(), seen }
}

function table(port: number, required: boolean): string {
  const f = join(mkdtempSync(join(tmpdir(), 'secdns-query-')), 'nrpt.json')
  writeFileSync(f, JSON.stringify({ rules: [{ name: 'corp', namespace: '.corp.example', nameServers: [`udp://127.0.0.1:${port}`], dnsSecEnable: true, dnsSecValidationRequired: required }] }))
  return f
}

test('query prints a dig-like answer with the rule, the transport and the verdict', async (t) => {
  const r = await responder(true)
  t.teardown(() => r.close())
  const q = await secdns(['query', 'www.corp.example', 'A', '--nrpt', table(r.port, true)])
  t.is(q.code, 0, q.err)
  t.regex(q.out, /;; NRPT: www\.corp\.example\. matches the suffix \.corp\.example/)
  t.regex(q.out, /;; flags: qr rd ra ad;/)
  t.regex(q.out, /^www\.corp\.example\.\t60\tIN\tA\t192\.0\.2\.7$/m)
  t.regex(q.out, /;; SERVER: udp:\/\/127\.0\.0\.1:\d+ via udp/)
  t.regex(q.out, /;; VERDICT: validated: AD set, as rule "corp" requires/)
  t.true(r.seen[0]!.edns?.dnssecOk)
})

test('query exits 1 when policy refuses the answer, and prints no records', async (t) => {
  const r = await responder(false)
  t.teardown(() => r.close())
  const q = await secdns(['query', 'www.corp.example', 'A', '--nrpt', table(r.port, true)])
  t.is(q.code, 1)
  t.notRegex(q.out, /192\.0\.2\.7/)
  t.regex(q.out, /VERDICT: refused by policy: ERR_CLIENT_NOT_VALIDATED/)
  t.regex(q.err, /ERR_CLIENT_NOT_VALIDATED/)
})

test('query --json reports a SERVFAIL refusal with its code', async (t) => {
  const r = await responder(false, 2)
  t.teardown(() => r.close())
  const q = await secdns(['query', 'bogus.corp.example', '--json', '--nrpt', table(r.port, true)])
  t.is(q.code, 1)
  const j = JSON.parse(q.out) as { ok: boolean; refused: boolean; error: { code: string } }
  t.false(j.ok)
  t.true(j.refused)
  t.is(j.error.code, 'ERR_CLIENT_SERVFAIL')
})

test('query --json returns the answer and what the policy said', async (t) => {
  const r = await responder(false)
  t.teardown(() => r.close())
  const q = await secdns(['query', 'www.corp.example', 'A', '--json', '--nrpt', table(r.port, false)])
  t.is(q.code, 0)
  const j = JSON.parse(q.out) as { ad: boolean; answer: string[]; policy: { rule: string }; transport: string }
  t.false(j.ad)
  t.deepEqual(j.answer, ['www.corp.example.\t60\tIN\tA\t192.0.2.7'])
  t.is(j.policy.rule, 'corp')
  t.is(j.transport, 'udp')
})

test('query --server asks that server under the rule\'s policy', async (t) => {
  const r = await responder(true)
  t.teardown(() => r.close())
  const q = await secdns(['query', 'www.corp.example', 'A', '--nrpt', table(1, true), '--server', `udp://127.0.0.1:${r.port}`])
  t.is(q.code, 0, q.err)
  t.regex(q.out, /VERDICT: validated/)
})

test('query with a bad type or a bad table exits 2', async (t) => {
  const r = await responder(true)
  t.teardown(() => r.close())
  t.is((await secdns(['query', 'www.corp.example', 'NOTATYPE', '--nrpt', table(r.port, true)])).code, 2)
  const f = join(mkdtempSync(join(tmpdir(), 'secdns-query-')), 'nrpt.json')
  writeFileSync(f, '{"rules": [}')
  const q = await secdns(['query', 'www.corp.example', '--nrpt', f])
  t.is(q.code, 2)
  t.regex(q.err, /ERR_CLIENT_NRPT_INVALID: .*nrpt\.json:1:12: not valid JSON/)
})
