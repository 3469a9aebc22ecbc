/**
 * The client tests' signed zones: test/fixtures/client/zone.template instantiated for a
 * zone, keys made by `dnssec-keygen` (ECDSA P-256, a KSK and a ZSK) and signed by
 * `dnssec-signzone` (NSEC3 for nsec3.test). bogus.test has its www A record changed after
 * signing, so the RRSIG over it no longer verifies.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runPeer } from './peers.js'

const TEMPLATE = fileURLToPath(new URL('../../../test/fixtures/client/zone.template', import.meta.url))

/** The zone's KSK as a DNSKEY record line: `zone. 3600 IN DNSKEY 257 3 13 <key>`. */
export function signClientZone(dir: string, zone: string): string {
  writeFileSync(join(dir, `${zone}.zone`), readFileSync(TEMPLATE, 'utf8').replaceAll('@ORIGIN@', `${zone}.`))
  const kdir = join(dir, `keys-${zone}`)
  mkdirSync(kdir)
  for (const extra of [['-f', 'KSK'], []]) {
    const r = runPeer('dnssec-keygen', ['-q', '-K', kdir, '-a', 'ECDSAP256SHA256', ...extra, '-n', 'ZONE', zone])
    if (r.status !== 0) throw new Error(`dnssec-keygen: ${r.stderr}`)
  }
  const nsec3 = zone === 'nsec3.test' ? ['-3', '-', '-H', '0'] : []
  const s = runPeer('dnssec-signzone', ['-S', '-K', kdir, ...nsec3, '-o', zone, '-f', join(dir, `${zone}.signed`), join(dir, `${zone}.zone`)], { cwd: dir })
  if (s.status !== 0) throw new Error(`dnssec-signzone: ${s.stderr}`)
  if (zone === 'bogus.test') {
    const f = join(dir, `${zone}.signed`)
    // Change the data after signing: the RRSIG over www's A RRset no longer verifies.
    writeFileSync(f, readFileSync(f, 'utf8').replace('192.0.2.80', '192.0.2.81'))
  }
  const ksk = readdirSync(kdir).filter((f) => f.endsWith('.key')).map((f) => readFileSync(join(kdir, f), 'utf8')).find((t) => / DNSKEY 257 /.test(t))!
  return ksk.split('\n').find((l) => / DNSKEY 257 /.test(l))!.replace(/\s+IN\s+DNSKEY/, ' 3600 IN DNSKEY')
}
