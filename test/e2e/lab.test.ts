// End to end: `secdns lab` as a child process, as a user runs it. It builds the CA,
// certificates, keys, signed zones, both server agents and the client on 127.0.0.1 and
// runs its tour; here every tour step's verdict is checked from the --json summary, and
// the files it wrote are checked on disk.
import test from 'ava'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { havePeers, runPeer } from '../helpers/peers.js'

const BIN = fileURLToPath(new URL('../../../packages/cli/bin/secdns.js', import.meta.url))

interface Step {
  id: string; pass: boolean; transport?: string; negotiated?: string; ad?: boolean; rcode?: string; answer?: string[]
  error?: { code: string; causeCode?: string; message: string }; rule?: string; verdict: string
}
interface Console { admin: string; adminTokenFile: string; console: string }
interface Summary {
  ok: boolean; dir: string; privateKeys: string[]; tour: Step[]; failed: string[]; trustAnchor: { file: string; zone: string }
  servers: { authoritative: Console; validating: Console }
}

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function run(args: string[], opts: { until?: RegExp; signal?: NodeJS.Signals; onReady?: (stdout: string) => Promise<void> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`secdns ${args.join(' ')} did not finish in 90 s:\n${stdout}\n${stderr}`)) }, 90_000)
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      if (opts.until !== undefined && opts.until.test(stdout)) {
        opts.until = undefined
        const ready = opts.onReady?.(stdout) ?? Promise.resolve()
        void ready.catch(() => undefined).finally(() => p.kill(opts.signal ?? 'SIGINT'))
      }
    })
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    p.on('error', reject)
    p.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }) })
  })
}

let lab: Promise<{ run: Run; summary: Summary; dir: string }> | undefined
function labRun(): Promise<{ run: Run; summary: Summary; dir: string }> {
  lab ??= (async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'secdns-lab-e2e-')), 'lab')
    const r = await run(['lab', '--dir', dir, '--json'])
    let summary: Summary
    try { summary = JSON.parse(r.stdout) as Summary } catch { throw new Error(`lab --json printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`) }
    return { run: r, summary, dir }
  })()
  return lab
}

function step(s: Summary, id: string): Step {
  const x = s.tour.find((t) => t.id === id)
  if (x === undefined) throw new Error(`no tour step ${id} in ${s.tour.map((t) => t.id).join(', ')}`)
  return x
}

test('the lab exits 0 and every tour step had its expected verdict', async (t) => {
  const { run: r, summary } = await labRun()
  t.is(r.code, 0, r.stderr)
  t.true(summary.ok)
  t.deepEqual(summary.failed, [])
  t.true(summary.tour.length >= 7)
  for (const s of summary.tour) t.true(s.pass, `${s.id}: ${s.verdict}`)
})

test('a name in the NSEC-signed parent comes back secure, with AD, over the encrypted channel', async (t) => {
  const s = step((await labRun()).summary, 'secure-parent')
  t.is(s.rule, 'lab')
  t.is(s.transport, 'channel')
  t.regex(s.negotiated ?? '', /^channel (AES-256-GCM|ChaCha20-Poly1305), .*server dns1\.lab\.test, CA "secdns Lab Root CA"/)
  t.true(s.ad)
  t.is(s.rcode, 'NOERROR')
  t.true((s.answer ?? []).some((a) => /^www\.lab\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.10$/.test(a)))
})

test('a name in the NSEC3-signed child is validated through the DS in the parent', async (t) => {
  const s = step((await labRun()).summary, 'secure-child-nsec3')
  t.true(s.ad)
  t.is(s.transport, 'channel')
  t.true((s.answer ?? []).some((a) => /^www\.corp\.lab\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.20$/.test(a)))
  t.true((s.answer ?? []).some((a) => /\sRRSIG\s+A 13 4 .* corp\.lab\.test\. /.test(a)))
})

test('NXDOMAIN is proved with AD under both NSEC and NSEC3', async (t) => {
  const { summary } = await labRun()
  for (const id of ['nxdomain-nsec', 'nxdomain-nsec3']) {
    const s = step(summary, id)
    t.is(s.rcode, 'NXDOMAIN', id)
    t.true(s.ad, id)
    t.is(s.transport, 'channel', id)
  }
})

test('the broken zone is refused with the validation error and no data', async (t) => {
  const s = step((await labRun()).summary, 'broken-zone')
  t.true(s.pass)
  t.is(s.error?.code, 'ERR_CLIENT_SERVFAIL')
  t.is(s.answer, undefined)
})

test('servers with the wrong certificate are refused with the channel error code', async (t) => {
  const { summary } = await labRun()
  const eku = step(summary, 'wrong-cert-eku')
  t.is(eku.error?.code, 'ERR_CLIENT_CHANNEL_REFUSED')
  t.is(eku.error?.causeCode, 'ERR_CHANNEL_PEER_PURPOSE')
  // An ordinary TLS server certificate of the same CA: refused for the missing DNS Server Trust EKU.
  t.regex(eku.error?.message ?? '', /lacks the DNS Server Trust EKU \(1\.3\.6\.1\.4\.1\.311\.64\.1\.1\)/)
  const ca = step(summary, 'wrong-cert-ca')
  t.is(ca.error?.code, 'ERR_CLIENT_CHANNEL_REFUSED')
  t.is(ca.error?.causeCode, 'ERR_CHANNEL_UNTRUSTED_PEER')
})

test('every private key the lab wrote is mode 0600', async (t) => {
  const { summary, dir } = await labRun()
  t.true(summary.privateKeys.length >= 12)
  const found: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (/\.key(\.pem)?$/.test(e.name) || e.name.endsWith('.token')) found.push(p)
    }
  }
  walk(dir)
  t.true(found.length >= summary.privateKeys.length + 2)
  t.true(found.some((f) => f.endsWith('/server/admin.token')) && found.some((f) => f.endsWith('/server/auth-admin.token')))
  for (const f of new Set([...found, ...summary.privateKeys])) t.is(statSync(f).mode & 0o777, 0o600, f)
})

test('--json names both consoles and the 0600 token file each logs in with', async (t) => {
  const { summary, dir } = await labRun()
  const { authoritative: a, validating: v } = summary.servers
  t.is(a.adminTokenFile, join(dir, 'server', 'auth-admin.token'))
  t.is(v.adminTokenFile, join(dir, 'server', 'admin.token'))
  for (const c of [a, v]) {
    t.regex(c.admin, /^http:\/\/127\.0\.0\.1:\d+$/)
    t.is(c.console, `${c.admin}/console/`)
    t.is(statSync(c.adminTokenFile).mode & 0o777, 0o600)
  }
  t.not(a.admin, v.admin)
})

test('the trust anchor file holds the lab.test KSK', async (t) => {
  const { summary } = await labRun()
  t.is(summary.trustAnchor.zone, 'lab.test')
  t.true(existsSync(summary.trustAnchor.file))
})

test('--keep-running prints the commands to try and stops cleanly on SIGINT with exit 0', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'secdns-lab-e2e-keep-')), 'lab')
  const r = await run(['lab', '--dir', dir, '--keep-running'], { until: /Press Ctrl-C to stop/ })
  t.is(r.signal, null)
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /all \d+ steps had the expected verdict/)
  t.regex(r.stdout, /dig \+dnssec @127\.0\.0\.1 -p \d+ www\.corp\.lab\.test A/)
  t.regex(r.stdout, /delv @127\.0\.0\.1 -p \d+ -a \S+anchors\.conf \+root=lab\.test/)
  t.regex(r.stdout, /secdns\.js query www\.lab\.test A --nrpt \S+nrpt\.json/)
  t.regex(r.stdout, /curl .* http:\/\/127\.0\.0\.1:\d+\/status/)
  // Both consoles, each with the file its login token is in.
  t.regex(r.stdout, /authoritative server .*: cat \S*server\/auth-admin\.token\n {2}http:\/\/127\.0\.0\.1:\d+\/console\/\n/)
  t.regex(r.stdout, /validating server .*: cat \S*server\/admin\.token\n {2}http:\/\/127\.0\.0\.1:\d+\/console\/\n/)
  t.regex(r.stderr, /SIGINT: stopping the lab/)
})

test('a --dir that holds something else is refused with exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secdns-lab-e2e-other-'))
  writeFileSync(join(dir, 'notes.txt'), 'mine\n')
  const r = await run(['lab', '--dir', dir, '--json'])
  t.is(r.code, 2)
  t.is((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ERR_LAB_DIR')
  t.true(existsSync(join(dir, 'notes.txt')))
})

test('without --dir the lab works in a temp dir and removes it at the end', async (t) => {
  const r = await run(['lab', '--json'])
  t.is(r.code, 0, r.stderr)
  const s = JSON.parse(r.stdout) as Summary
  t.true(s.ok)
  t.false(existsSync(s.dir))
})

test('the dig, delv and secdns query commands printed by --keep-running work against the running lab', async (t) => {
  if (!havePeers(t, 'dig', 'delv')) return
  const dir = join(mkdtempSync(join(tmpdir(), 'secdns-lab-e2e-hands-')), 'lab')
  const seen: Record<string, { status: number | null; out: string }> = {}
  const r = await run(['lab', '--dir', dir, '--keep-running'], {
    until: /Press Ctrl-C to stop/,
    async onReady(stdout) {
      for (const line of stdout.split('\n')) {
        const m = /^ {2}(dig|delv|node) (.*?)\s*(#.*)?$/.exec(line)
        if (m === null) continue
        const args = m[2]!.split(/\s+/)
        const res = m[1] === 'node' ? runPeer(process.execPath, args, { timeoutMs: 30_000 }) : runPeer(m[1]!, args, { timeoutMs: 30_000 })
        seen[`${m[1]} ${m[2]}`] = { status: res.status, out: res.stdout + res.stderr }
      }
    },
  })
  t.is(r.code, 0, r.stderr)
  const find = (re: RegExp): { status: number | null; out: string } => {
    const k = Object.keys(seen).find((x) => re.test(x))
    if (k === undefined) throw new Error(`no printed command matches ${re}: ${Object.keys(seen).join(' | ')}`)
    return seen[k]!
  }
  t.regex(find(/^dig \+dnssec \+norec .* www\.lab\.test A$/).out, /flags: qr aa;.*\n[^]*www\.lab\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.10/)
  t.regex(find(/^dig \+dnssec @.* www\.corp\.lab\.test A$/).out, /flags: qr rd ra ad;/)
  t.regex(find(/^dig \+dnssec @.* www\.broken\.lab\.test A$/).out, /status: SERVFAIL/)
  t.regex(find(/^dig \+dnssec \+cd .* www\.broken\.lab\.test A$/).out, /192\.0\.2\.66/)
  t.regex(find(/^delv .* www\.corp\.lab\.test A$/).out, /; fully validated/)
  t.regex(find(/^delv .* www\.broken\.lab\.test A$/).out, /RRSIG failed to verify/)
  const q = find(/^node .*query www\.lab\.test A --nrpt \S+\/nrpt\.json$/)
  t.is(q.status, 0, q.out)
  t.regex(q.out, /VERDICT: validated: AD set/)
  t.is(find(/^node .*query www\.broken\.lab\.test A/).status, 1)
  t.is(find(/^node .*nrpt-rogue-no-eku\.json$/).status, 1)
})
