// The lab's two web consoles, through the admin HTTP API a browser's console page reads:
// the authoritative server's lists the lab's signed zones and their records with RRSIGs,
// the validating server's lists the trust anchors of TrustAnchors.dns — and an anchor
// removed or added there is written to that file and changes what validation proves.
// Each console is refused without its own token.
import test from 'ava'
import { createSocket } from 'node:dgram'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Name, RRType, createQuery, decodeMessage, encodeMessage, type Message } from '@secdns/wire'
import { LAB, buildCertificates, buildZones, prepareLabDir, type LabMaterial } from '../src/lab/build.js'
import { startServers, type LabServers } from '../src/lab/servers.js'

interface Lab { m: LabMaterial, s: LabServers }
let lab: Promise<Lab> | undefined
function labUp(): Promise<Lab> {
  lab ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secdns-lab-console-'))
    await prepareLabDir(dir)
    const run = <T>(_l: string, fn: () => Promise<T>): Promise<T> => fn()
    const certs = await buildCertificates(dir)
    const zones = await buildZones(dir, run)
    const m: LabMaterial = { dir, ...certs, ...zones, privateKeys: [] }
    return { m, s: await startServers(m) }
  })()
  return lab
}
test.after.always(async () => { if (lab !== undefined) await (await lab).s.stop() })

async function get(url: string, token?: string): Promise<{ status: number, body: Record<string, unknown> }> {
  const r = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
  return { status: r.status, body: await r.json() as Record<string, unknown> }
}

async function ask(port: number, name: string): Promise<Message> {
  const sock = createSocket('udp4')
  try {
    return await new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from 127.0.0.1:${port} for ${name}`)), 5000)
      sock.once('message', (b) => { clearTimeout(timer); resolve(decodeMessage(b)) })
      sock.once('error', reject)
      sock.send(encodeMessage(createQuery(Name.fromString(name), RRType.A, { id: 7, rd: true, dnssecOk: true })), port, '127.0.0.1')
    })
  } finally { sock.close() }
}

interface ZoneView { name: string, signed: boolean, keys?: { keyTag: number, role: string }[], ds?: string[] }
interface RecordView { name: string, type: string, rdata: string, covers?: string }
interface AnchorView { zone: string, type: string, keyTag: number }

test.serial('the authoritative console lists the three signed zones and their records with RRSIGs', async (t) => {
  const { m, s } = await labUp()
  const zones = await get(`${s.authAdminUrl}/console/api/zones`, s.authAdminToken)
  t.is(zones.status, 200)
  const list = zones.body['zones'] as ZoneView[]
  t.deepEqual(list.map((z) => z.name.replace(/\.$/, '')).sort(), [LAB.broken, LAB.child, LAB.parent].sort())
  for (const z of list) {
    t.true(z.signed, z.name)
    t.deepEqual(z.keys?.map((k) => k.role).sort(), ['KSK', 'ZSK'], z.name)
  }
  const parent = list.find((z) => z.name.replace(/\.$/, '') === LAB.parent)!
  t.true(parent.keys!.some((k) => k.role === 'KSK' && k.keyTag === m.ksk.keyTag))
  t.regex(parent.ds?.[0] ?? '', new RegExp(`^lab\\.test\\. IN DS ${m.ksk.keyTag} 13 2 [0-9A-F]{64}$`))

  const www = await get(`${s.authAdminUrl}/console/api/zones/${LAB.parent}/records?name=www.`, s.authAdminToken)
  t.is(www.status, 200)
  const recs = www.body['records'] as RecordView[]
  t.true(recs.some((r) => r.name === 'www.lab.test.' && r.type === 'A' && r.rdata === '192.0.2.10'))
  t.true(recs.some((r) => r.name === 'www.lab.test.' && r.type === 'RRSIG' && r.covers === 'A'))
  t.true(recs.some((r) => r.name === 'www.lab.test.' && r.type === 'NSEC'))
  const child = await get(`${s.authAdminUrl}/console/api/zones/${LAB.child}/records?type=NSEC3`, s.authAdminToken)
  t.is(child.status, 200)
  t.true((child.body['total'] as number) > 0)
})

test.serial('the validating console lists the lab trust anchor from TrustAnchors.dns', async (t) => {
  const { m, s } = await labUp()
  const r = await get(`${s.adminUrl}/trust-anchors`, s.adminToken)
  t.is(r.status, 200)
  const anchors = r.body['anchors'] as AnchorView[]
  t.deepEqual(anchors.map((a) => [a.zone, a.type, a.keyTag]), [['lab.test.', 'DNSKEY', m.ksk.keyTag]])
  const st = await get(`${s.adminUrl}/console/api/status`, s.adminToken)
  t.is(st.status, 200)
  t.is((st.body['recursion'] as { trustAnchors: number }).trustAnchors, 1)
})

test.serial('each console refuses a request without its own token', async (t) => {
  const { s } = await labUp()
  for (const [url, path] of [[s.authAdminUrl, '/console/api/zones'], [s.adminUrl, '/trust-anchors'], [s.adminUrl, '/console/api/status']] as const) {
    t.deepEqual(await get(url + path), { status: 401, body: { error: 'unauthorized' } }, `${path} without a token`)
  }
  // The two servers have different tokens: one console's token does not open the other.
  t.not(s.adminToken, s.authAdminToken)
  t.deepEqual(await get(`${s.authAdminUrl}/console/api/zones`, s.adminToken), { status: 401, body: { error: 'unauthorized' } })
  t.deepEqual(await get(`${s.adminUrl}/trust-anchors`, s.authAdminToken), { status: 401, body: { error: 'unauthorized' } })
  for (const f of [s.adminTokenFile, s.authAdminTokenFile]) t.is(statSync(f).mode & 0o777, 0o600, f)
})

test.serial('an anchor removed and added back through the validating console changes the file and validation', async (t) => {
  const { m, s } = await labUp()
  const before = await ask(s.resolverPort, `www.${LAB.parent}.`)
  t.true(before.flags.ad)
  const auth = { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' }
  const del = await fetch(`${s.adminUrl}/trust-anchors/${LAB.parent}`, { method: 'DELETE', headers: auth })
  t.is(del.status, 200)
  t.false(readFileSync(m.trustAnchors, 'utf8').includes(' DNSKEY '))
  const without = await ask(s.resolverPort, `www.${LAB.parent}.`)
  t.is(without.rcode, 0)
  t.false(without.flags.ad)

  const add = await fetch(`${s.adminUrl}/trust-anchors`, { method: 'POST', headers: auth, body: JSON.stringify({ records: m.ksk.dnskey }) })
  t.is(add.status, 200)
  t.is(((await add.json()) as { added: AnchorView[] }).added[0]?.keyTag, m.ksk.keyTag)
  t.true(readFileSync(m.trustAnchors, 'utf8').includes(' DNSKEY '))
  t.true((await ask(s.resolverPort, `www.${LAB.parent}.`)).flags.ad)
  const audit = await get(`${s.adminUrl}/audit`, s.adminToken)
  t.deepEqual((audit.body['entries'] as { action: string }[]).map((e) => e.action), ['trust-anchor.remove', 'trust-anchor.add'])
  t.is(audit.body['file'], join(m.dir, 'server', 'resolver-audit.jsonl'))
})
