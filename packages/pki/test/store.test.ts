import test from 'ava'
import { promises as fs } from 'node:fs'
import { tmpdir, hostname } from 'node:os'
import { join } from 'node:path'
import { initStore, openStore, withLock, writeFileAtomic } from '../src/store.js'
import { verifyCertificate, parseCertificate } from '../src/verify.js'
import { parseCrl } from '../src/crl.js'
import { issueCertificate } from '../src/issue.js'

async function tmp(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await fs.mkdtemp(join(tmpdir(), 'secdns-store-'))
  t.teardown(() => fs.rm(d, { recursive: true, force: true }))
  return d
}

test('init writes the CA files, keys mode 0600 and encrypted with a passphrase', async (t) => {
  const dir = join(await tmp(t), 'ca')
  const store = await initStore(dir, { name: 'Lab Root', intermediate: true, passphrase: 'pw' })
  const files = (await fs.readdir(dir)).sort()
  t.deepEqual(files, ['ca.crt', 'ca.key', 'chain.pem', 'crl.pem', 'index.json', 'issued', 'root.crt', 'root.key', 'store.json'])
  for (const k of ['ca.key', 'root.key']) {
    t.is((await fs.stat(join(dir, k))).mode & 0o777, 0o600, k)
    t.regex(await fs.readFile(join(dir, k), 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/)
  }
  t.true(store.meta.encrypted)
  t.true(store.meta.intermediate)
  await t.throwsAsync(store.signer(), { code: 'ERR_PKI_BAD_PASSPHRASE' })
  await t.throwsAsync(store.signer('nope'), { code: 'ERR_PKI_BAD_PASSPHRASE' })
  t.truthy((await store.signer('pw')).privateKey)
  await t.throwsAsync(initStore(dir, { name: 'Again' }), { code: 'ERR_PKI_STORE_EXISTS' })
  const list = await store.list()
  t.is(list.length, 1)
  t.is(list[0]!.profile, 'ca')
  // The issuing CA may sign end entities only.
  t.is(parseCertificate(store.ca.certPem).pathLen, 0)
  t.is(parseCertificate(store.root.certPem).pathLen, undefined)
})

test('an unencrypted store keeps a plain key, still mode 0600', async (t) => {
  const dir = await tmp(t)
  await initStore(dir, { name: 'Plain Root' })
  t.is((await fs.stat(join(dir, 'ca.key'))).mode & 0o777, 0o600)
  t.regex(await fs.readFile(join(dir, 'ca.key'), 'utf8'), /BEGIN PRIVATE KEY/)
  t.false(await fs.stat(join(dir, 'root.key')).then(() => true, () => false))
})

test('issue records the certificate, revoke puts it on a fresh CRL and verification refuses it', async (t) => {
  const dir = await tmp(t)
  await initStore(dir, { name: 'Lab Root', intermediate: true })
  const store = await openStore(dir)
  const written: string[] = []
  const { issued, entry } = await store.issue({ profile: 'dns-server', name: 'dns1.lab.test', ip: ['127.0.0.1'], write: async (c) => { written.push(c.serial) } })
  t.deepEqual(written, [issued.serial])
  t.is(entry.profile, 'dns-server')
  t.deepEqual(entry.dns, ['dns1.lab.test'])
  t.deepEqual(entry.ip, ['127.0.0.1'])
  t.is(await fs.readFile(join(dir, 'issued', `${issued.serial}.crt`), 'utf8'), issued.certPem)
  const opts = { cert: issued.certPem, chain: [store.ca.certPem], trusted: [store.root.certPem], purpose: 'dns-server' as const, name: 'dns1.lab.test' }
  await t.notThrowsAsync(verifyCertificate({ ...opts, crls: [await store.crlPem()] }))

  const before = parseCrl(await store.crlPem()).number!
  const r = await store.revoke(issued.serial.toUpperCase(), 'keyCompromise')
  t.is(r.entry.status, 'revoked')
  const crl = parseCrl(r.crlPem)
  t.is(crl.number, before + 1n)
  t.is(crl.revoked.get(issued.serial)?.reason, 'keyCompromise')
  await t.throwsAsync(verifyCertificate({ ...opts, crls: [await store.crlPem()] }), { code: 'ERR_PKI_REVOKED' })
  await t.throwsAsync(store.revoke(issued.serial), { code: 'ERR_PKI_STORE_ALREADY_REVOKED' })
  await t.throwsAsync(store.revoke('abcdef'), { code: 'ERR_PKI_STORE_UNKNOWN_SERIAL' })
  await t.throwsAsync(store.revoke(issued.serial, 'bored' as never), { code: 'ERR_PKI_INVALID_PARAMS' })
  const again = parseCrl(await store.regenerateCrl())
  t.is(again.number, before + 2n)
  t.true(again.revoked.has(issued.serial))
})

test('concurrent issues in one process get distinct serials and a complete index', async (t) => {
  const dir = await tmp(t)
  const store = await initStore(dir, { name: 'Lab Root' })
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.issue({ profile: 'client', name: `c${i}` })))
  const serials = new Set(results.map((r) => r.issued.serial))
  t.is(serials.size, 12)
  const index = await store.list()
  t.is(index.length, 12)
  t.deepEqual(index.map((e) => e.serial).sort(), [...serials].sort())
})

test('issueMany issues a batch with distinct serials, indexes each one and reports progress in order', async (t) => {
  const dir = await tmp(t)
  const store = await initStore(dir, { name: 'Lab Root', passphrase: 'pw' })
  const progress: [number, number, string][] = []
  const written: string[] = []
  const results = await store.issueMany(Array.from({ length: 5 }, (_, i) => ({
    profile: 'client' as const,
    name: `b${i}`,
    write: async (issued) => {
      // The index does not yet hold this certificate while its outputs are written.
      t.false((await store.list()).some((e) => e.serial === issued.serial))
      written.push(issued.serial)
    },
  })), (done, total, r) => { progress.push([done, total, r.entry.serial]) }, 'pw')
  const serials = results.map((r) => r.issued.serial)
  t.is(new Set(serials).size, 5)
  t.deepEqual(written, serials)
  t.deepEqual(progress, serials.map((s, i) => [i + 1, 5, s]))
  t.deepEqual((await store.list()).map((e) => e.serial), serials)
  t.deepEqual(results.map((r) => [r.entry.subject, r.entry.profile]), serials.map((_, i) => [`CN=b${i}`, 'client']))
  for (const s of serials) t.true((await fs.stat(join(dir, 'issued', `${s}.crt`))).isFile())
})

test('issueMany keeps what it issued before a failing job and rejects a wrong passphrase before issuing', async (t) => {
  const dir = await tmp(t)
  const store = await initStore(dir, { name: 'Lab Root', passphrase: 'pw' })
  await t.throwsAsync(store.issueMany([{ profile: 'client', name: 'x' }], undefined, 'nope'), { code: 'ERR_PKI_BAD_PASSPHRASE' })
  t.is((await store.list()).length, 0)
  const signer = await store.signer('pw')
  await t.throwsAsync(store.issueMany([
    { profile: 'client', name: 'ok1' },
    { profile: 'client', name: 'ok2' },
    { profile: 'client', name: 'bad', write: async () => { throw new Error('disk full') } },
    { profile: 'client', name: 'never' },
  ], undefined, signer), { message: 'disk full' })
  const list = await store.list()
  t.deepEqual(list.map((e) => e.subject), ['CN=ok1', 'CN=ok2'])
  // The lock was released: the next issue (which reconciles the certificate whose outputs
  // failed) goes through.
  await store.issue({ profile: 'client', name: 'after' }, 'pw')
  t.deepEqual((await store.list()).map((e) => e.subject).sort(), ['CN=after', 'CN=bad', 'CN=ok1', 'CN=ok2'])
})

test('a certificate written to issued/ but missing from the index is recovered', async (t) => {
  const dir = await tmp(t)
  const store = await initStore(dir, { name: 'Lab Root' })
  // As if a command was killed after writing the certificate, before the index.
  const orphan = await issueCertificate(await store.signer(), { profile: 'admin', name: 'alice' })
  await fs.writeFile(join(dir, 'issued', `${orphan.serial}.crt`), orphan.certPem)
  await store.issue({ profile: 'client', name: 'c' })
  const list = await store.list()
  t.is(list.length, 2)
  t.is(list.find((e) => e.serial === orphan.serial)?.profile, 'admin')
})

test('a corrupt or missing store gives coded errors', async (t) => {
  const dir = await tmp(t)
  await t.throwsAsync(openStore(dir), { code: 'ERR_PKI_STORE_NOT_FOUND' })
  const store = await initStore(dir, { name: 'Lab Root' })
  await fs.writeFile(join(dir, 'index.json'), '{"version":1,"entr')
  await t.throwsAsync(store.list(), { code: 'ERR_PKI_STORE_CORRUPT' })
  await fs.writeFile(join(dir, 'index.json'), '{"version":1,"crlNumber":"1","entries":[{"serial":"XYZ"}]}')
  await t.throwsAsync(store.list(), { code: 'ERR_PKI_STORE_CORRUPT', message: /entry 0/ })
})

test('a held lock makes a second writer wait and then give up with a coded error', async (t) => {
  const dir = await tmp(t)
  const order: string[] = []
  let release!: () => void
  const held = withLock(dir, () => new Promise<void>((r) => { order.push('a'); release = r }))
  await new Promise((r) => setTimeout(r, 20))
  await t.throwsAsync(withLock(dir, async () => { order.push('x') }, { timeoutMs: 100 }), { code: 'ERR_PKI_STORE_LOCKED' })
  const waiting = withLock(dir, async () => { order.push('b') }, { timeoutMs: 5000 })
  release()
  await held
  await waiting
  t.deepEqual(order, ['a', 'b'])
})

test('a lock left by a dead process or too old is broken', async (t) => {
  const dir = await tmp(t)
  await fs.writeFile(join(dir, '.lock'), `999999 ${hostname()} ${Date.now()} dead\n`)
  t.is(await withLock(dir, async () => 1, { timeoutMs: 2000 }), 1)
  await fs.writeFile(join(dir, '.lock'), `1 elsewhere ${Date.now() - 10 * 60_000} old\n`)
  t.is(await withLock(dir, async () => 2, { timeoutMs: 2000 }), 2)
  t.false(await fs.stat(join(dir, '.lock')).then(() => true, () => false))
})

test('writeFileAtomic replaces the file whole and sets the mode', async (t) => {
  const dir = await tmp(t)
  const p = join(dir, 'f')
  await writeFileAtomic(p, 'one', 0o600)
  await writeFileAtomic(p, 'two', 0o600)
  t.is(await fs.readFile(p, 'utf8'), 'two')
  t.is((await fs.stat(p)).mode & 0o777, 0o600)
  t.deepEqual(await fs.readdir(dir), ['f'])
  await t.throwsAsync(writeFileAtomic(join(dir, 'no', 'such'), 'x'), { code: 'ERR_PKI_STORE_IO' })
})

test('an empty lock file is waited on while fresh and broken once old', async (t) => {
  const dir = await tmp(t)
  await fs.writeFile(join(dir, '.lock'), '')
  await t.throwsAsync(withLock(dir, async () => 0, { timeoutMs: 100 }), { code: 'ERR_PKI_STORE_LOCKED' })
  const old = new Date(Date.now() - 10 * 60_000)
  await fs.utimes(join(dir, '.lock'), old, old)
  t.is(await withLock(dir, async () => 3, { timeoutMs: 2000 }), 3)
})
