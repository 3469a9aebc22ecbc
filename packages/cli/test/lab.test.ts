// The parts of `secdns lab` in-process: the directory rule, the progress display, the
// judging of tour steps, and a live lab (built and started here) run with a step whose
// expectation is wrong, to show that the tour reports it as failed and names it.
import test from 'ava'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { LAB, LAB_MARKER, LabError, buildCertificates, buildZones, prepareLabDir, writeNrpts, type LabMaterial } from '../src/lab/build.js'
import { Progress } from '../src/lab/progress.js'
import { TOUR, describeExpectation, judgeAnswer, judgeError, runTour, type TourStep } from '../src/lab/tour.js'
import { formatTour } from '../src/lab/report.js'
import { startServers } from '../src/lab/servers.js'
import { ClientError } from '@secdns/client'

function sink(tty: boolean): { stream: Writable & { isTTY?: boolean }, text: () => string } {
  let text = ''
  const stream = new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb() } }) as Writable & { isTTY?: boolean }
  stream.isTTY = tty
  return { stream, text: () => text }
}

test('prepareLabDir refuses a non-empty directory without lab.json and leaves it alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-lab-unit-'))
  writeFileSync(join(dir, 'mine.txt'), 'x')
  await t.throwsAsync(prepareLabDir(dir), { instanceOf: LabError, code: 'ERR_LAB_DIR' })
  t.true(existsSync(join(dir, 'mine.txt')))
  t.false(existsSync(join(dir, 'keys')))
})

test('prepareLabDir marks a new directory as a lab at once, so a failed build can be redone in place', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'secdns-lab-unit-')), 'lab')
  await prepareLabDir(dir)
  t.true(existsSync(join(dir, LAB_MARKER)))
  writeFileSync(join(dir, 'keys', 'half-made'), 'x')
  await prepareLabDir(dir)
  t.false(existsSync(join(dir, 'keys', 'half-made')))
})

test('prepareLabDir clears the lab subdirectories of an earlier lab and keeps other files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-lab-unit-'))
  writeFileSync(join(dir, LAB_MARKER), '{}')
  writeFileSync(join(dir, 'notes.txt'), 'kept')
  mkdirSync(join(dir, 'keys'))
  writeFileSync(join(dir, 'keys', 'Kold.+013+00001.crt'), 'stale')
  await prepareLabDir(dir)
  t.false(existsSync(join(dir, 'keys', 'Kold.+013+00001.crt')))
  t.true(existsSync(join(dir, 'keys')))
  t.is(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'kept')
})

test('progress writes one plain line per step when the stream is not a TTY', async (t) => {
  const s = sink(false)
  const p = new Progress({ stream: s.stream })
  t.is(await p.step('first', async () => 42), 42)
  await t.throwsAsync(p.step('second', () => { throw new Error('boom') }), { message: 'boom' })
  t.regex(s.text(), /^first … ok \(\d+ ms\)\nsecond … failed \(\d+ ms\)\n$/)
  t.deepEqual(p.timings.map((x) => [x.step, x.ok]), [['first', true], ['second', false]])
})

test('progress draws a spinner and a check mark on a TTY', async (t) => {
  const s = sink(true)
  const p = new Progress({ stream: s.stream })
  await p.step('slow step', () => new Promise((r) => setTimeout(r, 200)))
  t.regex(s.text(), /\r\x1b\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] slow step \d+\.\ds/)
  t.regex(s.text(), /\r\x1b\[2K✔ slow step \(\d+ ms\)\n$/)
})

test('progress marks a step that returned a wrong verdict as failed', async (t) => {
  const s = sink(false)
  const p = new Progress({ stream: s.stream })
  t.deepEqual(await p.step('tour step', async () => ({ pass: false }), (v) => v.pass), { pass: false })
  t.regex(s.text(), /^tour step … failed \(\d+ ms\)\n$/)
  t.false(p.timings[0]!.ok)
})

test('quiet progress writes nothing and still keeps timings', async (t) => {
  const s = sink(true)
  const p = new Progress({ stream: s.stream, quiet: true })
  await p.step('x', () => 1)
  t.is(s.text(), '')
  t.is(p.timings.length, 1)
})

const secure = TOUR.find((x) => x.id === 'secure-parent')!
const broken = TOUR.find((x) => x.id === 'broken-zone')!
const eku = TOUR.find((x) => x.id === 'wrong-cert-eku')!

test('a secure answer without AD fails its step', (t) => {
  const j = judgeAnswer(secure, { transport: 'channel', ad: false, rcodeName: 'NOERROR', answer: [] })
  t.false(j.pass)
  t.regex(j.why, /without AD/)
})

test('a secure answer over plain UDP fails its step', (t) => {
  t.false(judgeAnswer(secure, { transport: 'udp', ad: true, rcodeName: 'NOERROR', answer: [] }).pass)
})

test('an answer where a refusal was expected fails the step', (t) => {
  const j = judgeAnswer(eku, { transport: 'channel', ad: true, rcodeName: 'NOERROR', answer: [] })
  t.false(j.pass)
  t.regex(j.why, /the refusal did not happen/)
})

test('a refusal with another channel code fails the step', (t) => {
  const err = new ClientError('ERR_CLIENT_CHANNEL_REFUSED', 'refused', { cause: { code: 'ERR_CHANNEL_UNTRUSTED_PEER' } })
  const j = judgeError(eku, err)
  t.false(j.pass)
  t.regex(j.why, /expected cause ERR_CHANNEL_PEER_PURPOSE/)
})

test('SERVFAIL for the broken zone passes only when the validator called it Bogus', (t) => {
  const err = new ClientError('ERR_CLIENT_SERVFAIL', 'SERVFAIL')
  t.false(judgeError(broken, err, []).pass)
  t.false(judgeError(broken, err, ['resolve www.broken.lab.test./A: timeout']).pass)
  t.true(judgeError(broken, err, ['bogus www.broken.lab.test./A: no valid RRSIG (EDE 6)']).pass)
})

test('every tour step says what it expects', (t) => {
  for (const s of TOUR) t.true(describeExpectation(s.expect).length > 10, s.id)
  t.is(new Set(TOUR.map((s) => s.id)).size, TOUR.length)
})

test('against a live lab, a step with a wrong expectation fails and the report names it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-lab-unit-live-'))
  await prepareLabDir(dir)
  const run = <T>(_l: string, fn: () => Promise<T>): Promise<T> => fn()
  const certs = await buildCertificates(dir)
  const zones = await buildZones(dir, run)
  const m: LabMaterial = { dir, ...certs, ...zones, privateKeys: [] }
  const s = await startServers(m)
  t.teardown(() => s.stop())
  const nrpt = await writeNrpts(m, { channel: s.channelPort, rogueNoEku: s.rogueNoEkuPort, rogueOtherCa: s.rogueOtherCaPort, resolverUdp: s.resolverPort })
  const wrong: TourStep = { id: 'broken-as-secure', title: 'the broken zone taken for secure', name: `www.${LAB.broken}`, type: 'A', nrpt: 'lab', expect: { kind: 'secure-answer' } }
  const steps = await runTour({ lab: nrpt.nrpt, rogueNoEku: nrpt.rogueNoEku, rogueOtherCa: nrpt.rogueOtherCa }, run, [secure, wrong])
  t.true(steps[0]!.pass, steps[0]!.verdict)
  t.false(steps[1]!.pass)
  t.is(steps[1]!.error?.code, 'ERR_CLIENT_SERVFAIL')
  t.regex(formatTour(steps), /1 of 2 steps did not have the expected verdict: broken-as-secure/)
})
