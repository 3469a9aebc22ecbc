import test from 'ava'
import { spawn, spawnSync } from 'node:child_process'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseCsv, safeFileName } from '../src/commands/ca.js'

const bin = fileURLToPath(new URL('../../bin/secdns.js', import.meta.url))

interface Run { status: number | null; stdout: string; stderr: string }

function run(args: string[], opts: { cwd: string; env?: Record<string, string> }): Run {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: opts.cwd, encoding: 'utf8', env: { ...process.env, SECDNS_CA_PASSPHRASE: '', ...opts.env }, timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function runAsync(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    p.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

async function tmp(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await fs.mkdtemp(join(tmpdir(), 'secdns-ca-cli-'))
  t.teardown(() => fs.rm(d, { recursive: true, force: true }))
  return d
}

test('init, issue, verify, revoke and verify again, with exit codes 0 and 1', async (t) => {
  const cwd = await tmp(t)
  await fs.writeFile(join(cwd, 'pass'), 'hunter2\n')
  await fs.writeFile(join(cwd, 'pfxpass'), 'pfx-pw\n')
  let r = run(['ca', 'init', '--ca-dir', 'ca', '--name', 'Lab Root', '--intermediate', '--passphrase-file', 'pass', '--json'], { cwd })
  t.is(r.status, 0, r.stderr)
  t.true(JSON.parse(r.stdout).encrypted)
  r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'dns-server', '--name', 'dns1.lab.test', '--ip', '127.0.0.1', '--out', 'out', '--pfx', '--pfx-password-file', 'pfxpass', '--passphrase-file', 'pass', '--json'], { cwd })
  t.is(r.status, 0, r.stderr)
  const issued = JSON.parse(r.stdout) as { serial: string; files: Record<string, string> }
  t.regex(issued.serial, /^[0-9a-f]{32}$/)
  t.is((await fs.stat(join(cwd, issued.files['key']!))).mode & 0o777, 0o600)
  t.is((await fs.stat(join(cwd, issued.files['pfx']!))).mode & 0o777, 0o600)
  t.true((await fs.readFile(join(cwd, issued.files['der']!)))[0] === 0x30)

  r = run(['ca', 'verify', '--ca-dir', 'ca', '--cert', 'out/dns1.lab.test.crt', '--purpose', 'dns-server', '--name', 'dns1.lab.test'], { cwd })
  t.is(r.status, 0, r.stderr)
  t.regex(r.stdout, /^OK dns-server/)
  r = run(['ca', 'verify', '--ca-dir', 'ca', '--cert', 'out/dns1.lab.test.crt', '--purpose', 'dns-server', '--name', 'dns9.lab.test'], { cwd })
  t.is(r.status, 1)
  t.regex(r.stderr, /ERR_PKI_NAME_MISMATCH/)
  r = run(['ca', 'verify', '--ca-dir', 'ca', '--cert', 'out/dns1.lab.test.crt', '--purpose', 'client', '--json'], { cwd })
  t.is(r.status, 1)
  t.is(JSON.parse(r.stdout).code, 'ERR_PKI_WRONG_PURPOSE')

  r = run(['ca', 'revoke', '--ca-dir', 'ca', '--serial', issued.serial, '--reason', 'keyCompromise', '--passphrase-file', 'pass'], { cwd })
  t.is(r.status, 0, r.stderr)
  r = run(['ca', 'verify', '--ca-dir', 'ca', '--cert', 'out/dns1.lab.test.crt', '--purpose', 'dns-server'], { cwd })
  t.is(r.status, 1)
  t.regex(r.stderr, /ERR_PKI_REVOKED: certificate for dns1\.lab\.test .* was revoked/)
  r = run(['ca', 'verify', '--ca-dir', 'ca', '--cert', 'out/dns1.lab.test.crt', '--purpose', 'dns-server', '--no-crl'], { cwd })
  t.is(r.status, 0, r.stderr)

  r = run(['ca', 'list', '--ca-dir', 'ca', '--json'], { cwd })
  const list = JSON.parse(r.stdout) as { serial: string; status: string; reason?: string }[]
  t.deepEqual(list.find((e) => e.serial === issued.serial)?.reason, 'keyCompromise')
  r = run(['ca', 'show', 'ca/crl.pem', '--json'], { cwd })
  t.is(JSON.parse(r.stdout).number, '2')
  r = run(['ca', 'crl', '--ca-dir', 'ca', '--out', 'crl.der', '--passphrase-file', 'pass'], { cwd })
  t.is(r.status, 0, r.stderr)
  r = run(['ca', 'show', 'crl.der', '--json'], { cwd })
  t.is(JSON.parse(r.stdout).number, '3')
})

test('an encrypted store needs its passphrase: from a file, the environment, never guessed', async (t) => {
  const cwd = await tmp(t)
  t.is(run(['ca', 'init', '--ca-dir', 'ca', '--name', 'Root'], { cwd, env: { SECDNS_CA_PASSPHRASE: 's3cret' } }).status, 0)
  let r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--name', 'c1', '--out', 'out'], { cwd, env: { SECDNS_CA_PASSPHRASE: '' } })
  // An empty variable is an empty passphrase: the key cannot be decrypted.
  t.is(r.status, 2)
  t.regex(r.stderr, /ERR_PKI_BAD_PASSPHRASE/)
  r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--name', 'c1', '--out', 'out'], { cwd, env: { SECDNS_CA_PASSPHRASE: 'wrong' } })
  t.is(r.status, 2)
  t.regex(r.stderr, /wrong passphrase/)
  r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--name', 'c1', '--out', 'out'], { cwd, env: { SECDNS_CA_PASSPHRASE: 's3cret' } })
  t.is(r.status, 0, r.stderr)
  t.regex(await fs.readFile(join(cwd, 'ca', 'ca.key'), 'utf8'), /ENCRYPTED/)
})

test('bulk issuing by --count and --csv, quiet when piped, with a JSON summary', async (t) => {
  const cwd = await tmp(t)
  t.is(run(['ca', 'init', '--ca-dir', 'ca', '--name', 'Root'], { cwd }).status, 0)
  let r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--name', 'host', '--count', '4', '--out', 'out', '--json'], { cwd })
  t.is(r.status, 0, r.stderr)
  t.is(r.stderr, '')
  const many = JSON.parse(r.stdout) as { name: string }[]
  t.deepEqual(many.map((m) => m.name), ['host-1', 'host-2', 'host-3', 'host-4'])
  // One batch under one lock: the index lists the batch in the order the summary does.
  const indexed = (JSON.parse(await fs.readFile(join(cwd, 'ca', 'index.json'), 'utf8')) as { entries: { serial: string }[] }).entries.map((e) => e.serial)
  t.deepEqual(indexed, (many as unknown as { serial: string }[]).map((m) => m.serial))
  await fs.writeFile(join(cwd, 'hosts.csv'), 'name,dns,ip\n# lab servers\nns1,ns1.lab.test;ns.lab.test,192.0.2.1\nns2,ns2.lab.test,\n')
  r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'dns-server', '--csv', 'hosts.csv', '--out', 'out', '--json'], { cwd })
  t.is(r.status, 0, r.stderr)
  const rows = JSON.parse(r.stdout) as { name: string; dns: string[]; ip: string[] }[]
  t.deepEqual(rows.map((x) => [x.name, x.dns, x.ip]), [['ns1', ['ns1.lab.test', 'ns.lab.test'], ['192.0.2.1']], ['ns2', ['ns2.lab.test'], []]])
  await fs.writeFile(join(cwd, 'bad.csv'), 'a,b.test,\nx,y,z,w\n')
  r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--csv', 'bad.csv', '--out', 'out'], { cwd })
  t.is(r.status, 2)
  t.regex(r.stderr, /bad\.csv:2: expected name,dns,ip/)
})

test('a bad CSR, a missing store and usage errors exit 2 with a coded message', async (t) => {
  const cwd = await tmp(t)
  t.is(run(['ca', 'init', '--ca-dir', 'ca', '--name', 'Root'], { cwd }).status, 0)
  await fs.writeFile(join(cwd, 'bad.csr'), '-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n')
  let r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--name', 'x', '--csr', 'bad.csr', '--out', 'out'], { cwd })
  t.is(r.status, 2)
  t.regex(r.stderr, /ERR_PKI_BAD_CSR/)
  r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'nope', '--name', 'x', '--out', 'out'], { cwd })
  t.is(r.status, 2)
  r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--out', 'out'], { cwd })
  t.is(r.status, 2)
  t.regex(r.stderr, /--name is required/)
  r = run(['ca', 'list', '--ca-dir', 'missing'], { cwd })
  t.is(r.status, 2)
  t.regex(r.stderr, /ERR_PKI_STORE_NOT_FOUND/)
  r = run(['ca', 'init', '--ca-dir', 'ca', '--name', 'Again'], { cwd })
  t.is(r.status, 2)
  t.regex(r.stderr, /ERR_PKI_STORE_EXISTS/)
  r = run(['ca', 'revoke', '--ca-dir', 'ca', '--serial', 'abc', '--reason', 'bored'], { cwd })
  t.is(r.status, 2)
  r = run(['ca', 'show', 'nothing.pem'], { cwd })
  t.is(r.status, 2)
})

test('two ca issue processes at once never share a serial or corrupt the index', async (t) => {
  const cwd = await tmp(t)
  t.is(run(['ca', 'init', '--ca-dir', 'ca', '--name', 'Root'], { cwd }).status, 0)
  const serials: string[] = []
  for (let round = 0; round < 4; round++) {
    const rs = await Promise.all([0, 1].map((i) => runAsync(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--name', `r${round}p${i}`, '--count', '3', '--out', 'out', '--json'], cwd)))
    for (const r of rs) {
      t.is(r.status, 0, r.stderr)
      serials.push(...(JSON.parse(r.stdout) as { serial: string }[]).map((x) => x.serial))
    }
  }
  t.is(serials.length, 24)
  t.is(new Set(serials).size, 24)
  const index = JSON.parse(await fs.readFile(join(cwd, 'ca', 'index.json'), 'utf8')) as { entries: { serial: string }[] }
  t.deepEqual(index.entries.map((e) => e.serial).sort(), [...serials].sort())
  t.false(await fs.stat(join(cwd, 'ca', '.lock')).then(() => true, () => false))
  t.deepEqual((await fs.readdir(join(cwd, 'ca'))).filter((f) => f.includes('.tmp-')), [])
})

test('parseCsv reports the file and line of a bad row', (t) => {
  t.deepEqual(parseCsv('a,b.test,1.2.3.4\n', 'f.csv'), [{ name: 'a', dns: ['b.test'], ip: ['1.2.3.4'], line: 1 }])
  t.throws(() => parseCsv('a,b.test,\nc,d.test,10.0.0.300\n', 'f.csv'), { message: /f\.csv:2: "10\.0\.0\.300" is not an IPv4 or IPv6 address/ })
  t.throws(() => parseCsv('a,bad_name!,\n', 'f.csv'), { message: /f\.csv:1: .*not a valid DNS name/ })
  t.throws(() => parseCsv('\n,x,y\n', 'f.csv'), { message: /f\.csv:2: the name is empty/ })
  t.throws(() => parseCsv('# only\n', 'f.csv'), { message: /no rows/ })
  t.is(safeFileName('../etc/passwd'), '__etc_passwd')
  t.is(safeFileName('dns1.lab.test'), 'dns1.lab.test')
})

/** Run the CLI on a pseudo-terminal (util-linux `script`), answering each prompt that appears. */
function onTty(args: string[], cwd: string, answers: string[]): Promise<{ status: number | null; out: string }> {
  const quoted = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  return new Promise((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env }
    delete env['SECDNS_CA_PASSPHRASE']
    const p = spawn('script', ['-qec', quoted, '/dev/null'], { cwd, env })
    let out = ''
    const pending = [...answers]
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      // Answer only once the prompt is shown, so the terminal is already in raw (no-echo) mode.
      if (pending.length > 0 && /: $/.test(out)) p.stdin.write(`${pending.shift() ?? ''}\r`)
    })
    p.on('close', (status) => resolve({ status, out }))
  })
}

test('on a terminal the passphrase is prompted without echo and bulk issuing shows a progress bar', async (t) => {
  if (spawnSync('script', ['--version']).status !== 0) {
    const msg = 'util-linux `script` is missing (apt-get install -y util-linux)'
    if (process.env['CI'] === 'true') t.fail(msg)
    else { t.log(`not run here: ${msg}`); t.pass() }
    return
  }
  const cwd = await tmp(t)
  let r = await onTty(['ca', 'init', '--ca-dir', 'ca', '--name', 'Tty Root'], cwd, ['tty-secret', 'tty-secret'])
  t.is(r.status, 0, r.out)
  t.regex(r.out, /Passphrase for the CA key/)
  t.regex(r.out, /key +ecdsa-p256, encrypted/)
  t.false(r.out.includes('tty-secret'), 'the passphrase is never echoed')
  t.true(JSON.parse(await fs.readFile(join(cwd, 'ca', 'store.json'), 'utf8')).encrypted)
  r = await onTty(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--name', 'tty', '--count', '3', '--out', 'out'], cwd, ['tty-secret'])
  t.is(r.status, 0, r.out)
  t.regex(r.out, /CA key passphrase/)
  t.regex(r.out, /issuing \[[█░]+\] 3\/3/)
  t.false(r.out.includes('tty-secret'))
  r = await onTty(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--name', 'x', '--out', 'out'], cwd, ['wrong'])
  t.is(r.status, 2)
  t.regex(r.out, /ERR_PKI_BAD_PASSPHRASE/)
})

test('a ca issue killed mid-way loses nothing: the next command recovers every issued certificate', async (t) => {
  const cwd = await tmp(t)
  t.is(run(['ca', 'init', '--ca-dir', 'ca', '--name', 'Root'], { cwd }).status, 0)
  let killedMidway = 0
  for (const round of [1, 2, 3]) {
    await new Promise<void>((resolve) => {
      const p = spawn(process.execPath, [bin, 'ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--name', `k${round}`, '--count', '200', '--out', 'out'], { cwd, stdio: 'ignore' })
      // Kill once this round has issued a few certificates: in the middle of the run.
      const poll = setInterval(() => {
        void fs.readdir(join(cwd, 'out')).then((fl) => {
          if (fl.filter((f) => f.startsWith(`k${round}-`) && f.endsWith('.crt')).length >= round * 2) { killedMidway++; p.kill('SIGKILL') }
        }, () => undefined)
      }, 5)
      p.on('close', () => { clearInterval(poll); resolve() })
    })
  }
  t.true(killedMidway > 0, 'at least one run was killed in the middle')
  // The index is always whole JSON, whatever moment the kill hit.
  const before = JSON.parse(await fs.readFile(join(cwd, 'ca', 'index.json'), 'utf8')) as { entries: { serial: string }[] }
  t.true(Array.isArray(before.entries))
  // The next command breaks the dead process's lock, recovers orphans and sweeps temporary files.
  const r = run(['ca', 'issue', '--ca-dir', 'ca', '--profile', 'client', '--name', 'after', '--out', 'out', '--json'], { cwd })
  t.is(r.status, 0, r.stderr)
  const files = (await fs.readdir(join(cwd, 'ca', 'issued'))).filter((f) => f.endsWith('.crt')).map((f) => f.slice(0, -4)).sort()
  const index = JSON.parse(await fs.readFile(join(cwd, 'ca', 'index.json'), 'utf8')) as { entries: { serial: string }[] }
  t.deepEqual(index.entries.map((e) => e.serial).sort(), files)
  t.is(new Set(files).size, files.length)
  t.true(files.length > 1)
  const litter = [...await fs.readdir(join(cwd, 'ca')), ...await fs.readdir(join(cwd, 'ca', 'issued'))].filter((f) => f.includes('.tmp-') || f === '.lock')
  t.deepEqual(litter, [])
})
