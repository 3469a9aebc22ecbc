/**
 * `secdns key …`: create DNSSEC keys (kept in certificates), list them, show their
 * rollover status, start rollovers, and import/export BIND key files. Exit codes: 0 ok,
 * 2 usage or input error.
 */
import { Command } from 'commander'
import { basename } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { Name, RRType } from '@secdns/wire'
import { loadZoneFile } from '@secdns/zone'
import { deprecatedAlias, deprecatedAliases, keyPassphraseOption } from '../options.js'
import {
  DEFAULT_TIMINGS, algorithmFromString, algorithmToString, createKey, keyRole, keyStatus, keyState, loadKeys, normalizeZone,
  nowSeconds, parseDuration, parseTime, publishedKeyTag, readBindKey, revokeKey, saveKey, saveKeyPkcs12, startRollover, writeBindKey, writeKeyMeta,
  toDnssecTime, type RolloverTimings, type DnssecKey,
} from '@secdns/dnssec'

class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

function need(v: string | undefined, flag: string, what: string): string {
  if (v === undefined || v === '') throw new UsageError(`${flag} is required (${what})`)
  return v
}

function report(err: unknown, json: boolean | undefined): void {
  const e = err as { code?: string, message?: string }
  if (json === true) process.stdout.write(JSON.stringify({ ok: false, error: { code: e.code ?? 'ERR_USAGE', message: e.message ?? String(err) } }) + '\n')
  else process.stderr.write(`secdns: ${e.message ?? String(err)}\n`)
  process.exitCode = 2
}

const iso = (s: number | undefined) => (s === undefined ? null : new Date(s * 1000).toISOString().replace(/\.000Z$/, 'Z'))
const passphrase = () => process.env['SECDNS_KEY_PASSPHRASE']

/** The .pfx password variable `ca issue --pfx` reads too. */
const ENV_PFX_PASSWORD = 'SECDNS_PFX_PASSWORD'

/** The .pfx password: --pfx-password-file, then $SECDNS_PFX_PASSWORD (or the older $SECDNS_PKCS12_PASSWORD). */
function pfxPassword(file: string | undefined): string {
  if (file !== undefined) {
    try { return readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '' } catch (e) { throw new UsageError(`cannot read the PKCS#12 password file ${file}: ${(e as Error).message}`) }
  }
  const env = process.env[ENV_PFX_PASSWORD] ?? process.env['SECDNS_PKCS12_PASSWORD']
  if (env === undefined) throw new UsageError(`give --pfx-password-file or set ${ENV_PFX_PASSWORD} to the bundle password (never on the command line)`)
  return env
}

function describe(k: DnssecKey, now: number) {
  return {
    key: `K${k.zone}+${String(k.algorithm).padStart(3, '0')}+${String(k.keyTag).padStart(5, '0')}`, zone: k.zone, keyTag: k.keyTag,
    role: keyRole(k), algorithm: algorithmToString(k.algorithm), flags: k.flags, state: keyState(k, now), hasPrivateKey: k.privateKey !== null,
    created: iso(k.timing.created), publish: iso(k.timing.publish), activate: iso(k.timing.activate), inactive: iso(k.timing.inactive),
    delete: iso(k.timing.delete), revoke: iso(k.timing.revoke),
  }
}

interface TimingOpts { zoneFile?: string, dnskeyTtl?: string, maxZoneTtl?: string, dsTtl?: string, propagation?: string, parentPropagation?: string, safety?: string }

/** Timings from the zone file's TTLs (DNSKEY TTL, largest TTL) and the options. */
function timings(zone: string, o: TimingOpts): RolloverTimings {
  const t: RolloverTimings = { ...DEFAULT_TIMINGS }
  if (o.zoneFile !== undefined) {
    const { zone: z, errors } = loadZoneFile(o.zoneFile, { origin: Name.fromString(zone) })
    if (errors.length > 0) throw new UsageError(`${o.zoneFile}: ${errors[0]!.message}`)
    let max = 0
    for (const rr of z.records()) if (rr.data.type !== RRType.RRSIG && rr.ttl > max) max = rr.ttl
    t.maxZoneTtl = max
    t.dnskeyTtl = z.rrset(z.origin, RRType.DNSKEY)?.ttl ?? z.soa?.ttl ?? t.dnskeyTtl
  }
  const d = (v: string | undefined, f: keyof RolloverTimings) => { if (v !== undefined) t[f] = parseDuration(v) }
  d(o.dnskeyTtl, 'dnskeyTtl'); d(o.maxZoneTtl, 'maxZoneTtl'); d(o.dsTtl, 'dsTtl'); d(o.propagation, 'propagation')
  d(o.parentPropagation, 'parentPropagation'); d(o.safety, 'safety')
  return t
}

function timingOptions(c: Command): Command {
  return c
    .option('--zone-file <file>', 'take the DNSKEY TTL and the largest TTL from this zone file')
    .option('--dnskey-ttl <dur>', `DNSKEY TTL (default ${DEFAULT_TIMINGS.dnskeyTtl})`)
    .option('--max-zone-ttl <dur>', `largest TTL in the zone (default ${DEFAULT_TIMINGS.maxZoneTtl})`)
    .option('--ds-ttl <dur>', `TTL of the DS at the parent (default ${DEFAULT_TIMINGS.dsTtl})`)
    .option('--propagation <dur>', `time to reach every secondary (default ${DEFAULT_TIMINGS.propagation})`)
    .option('--parent-propagation <dur>', `parent registration + propagation delay (default ${DEFAULT_TIMINGS.parentPropagation})`)
    .option('--safety <dur>', `safety margin added to each wait (default ${DEFAULT_TIMINGS.safety})`)
}

/** Register `secdns key …`. */
export function registerKeyCommands(program: Command): void {
  const key = program.command('key').description('DNSSEC keys kept in certificates: create, list, status, rollover, revoke, BIND import/export, PKCS#12')

  key.command('create')
    .description('create a key: a self-signed certificate naming zone, role, algorithm and key tag, with its private key (0600)')
    .option('--zone <zone>', 'zone apex')
    .option('--algorithm <alg>', 'RSASHA1, NSEC3RSASHA1, RSASHA256, RSASHA512, ECDSAP256SHA256, ECDSAP384SHA384, ED25519, ED448 (or number)')
    .option('--bits <n>', 'RSA modulus size, 512–4096 (default 2048)')
    .option('--ksk', 'key-signing key (SEP flag, 257)')
    .option('--key-dir <dir>', 'key store directory', 'keys')
    .option('--now <time>', 'creation time (default now)')
    .option('--json', 'JSON output')
    .action(async (o: { zone?: string, algorithm?: string, bits?: string, ksk?: boolean, keyDir: string, now?: string, json?: boolean }) => {
      try {
        const zone = normalizeZone(need(o.zone, '--zone', 'the zone apex'))
        const alg = algorithmFromString(need(o.algorithm, '--algorithm', 'e.g. ECDSAP256SHA256'))
        let bits: number | undefined
        if (o.bits !== undefined) { bits = Number(o.bits); if (!Number.isInteger(bits)) throw new UsageError(`--bits "${o.bits}" is not a number`) }
        const now = o.now === undefined ? nowSeconds() : parseTime(o.now)
        const { key: k, warnings } = createKey(zone, alg, { ksk: o.ksk === true, now, ...(bits === undefined ? {} : { bits }) })
        const base = await saveKey(o.keyDir, k, { passphrase: passphrase() })
        for (const w of warnings) process.stderr.write(`secdns: warning: ${w}\n`)
        if (o.json === true) process.stdout.write(JSON.stringify({ ok: true, ...describe(k, now), files: [`${base}.crt`, `${base}.key.pem`, `${base}.json`], warnings }) + '\n')
        else process.stdout.write(`${basename(base)}\n`)
      } catch (e) { report(e, o.json) }
    })

  key.command('list')
    .description('list the keys of a key store')
    .option('--key-dir <dir>', 'key store directory', 'keys')
    .option('--zone <zone>', 'only this zone')
    .option('--now <time>', 'state as of this time')
    .option('--json', 'JSON output')
    .action(async (o: { keyDir: string, zone?: string, now?: string, json?: boolean }) => {
      try {
        const now = o.now === undefined ? nowSeconds() : parseTime(o.now)
        const keys = await loadKeys(o.keyDir, { ...(o.zone === undefined ? {} : { zone: o.zone }), passphrase: passphrase() })
        const rows = keys.map((s) => describe(s.key, now))
        if (o.json === true) { process.stdout.write(JSON.stringify({ ok: true, keys: rows }) + '\n'); return }
        for (const r of rows) process.stdout.write(`${r.key}  ${r.role.toUpperCase()}  ${r.algorithm}  tag ${r.keyTag}  ${r.state}\n`)
      } catch (e) { report(e, o.json) }
    })

  timingOptions(key.command('status')
    .description('state of each key of a zone and the next step with its earliest safe time')
    .option('--zone <zone>', 'zone apex')
    .option('--key-dir <dir>', 'key store directory', 'keys')
    .option('--now <time>', 'as of this time')
    .option('--json', 'JSON output'))
    .action(async (o: TimingOpts & { zone?: string, keyDir: string, now?: string, json?: boolean }) => {
      try {
        const zone = normalizeZone(need(o.zone, '--zone', 'the zone apex'))
        const now = o.now === undefined ? nowSeconds() : parseTime(o.now)
        const t = timings(zone, o)
        const keys = (await loadKeys(o.keyDir, { zone, passphrase: passphrase() })).map((s) => s.key)
        const st = keyStatus(keys, now, t)
        if (o.json === true) {
          process.stdout.write(JSON.stringify({ ok: true, zone, now: iso(now), timings: t, keys: st.map((s) => ({ ...s, next: s.next === null ? null : { step: s.next.step, at: iso(s.next.at) } })) }) + '\n')
          return
        }
        for (const s of st) {
          process.stdout.write(`${s.key}  ${s.role.toUpperCase()}  ${s.state}${s.next === null ? '' : `  next: ${s.next.step} — at ${toDnssecTime(s.next.at)} (${iso(s.next.at)})`}\n`)
        }
      } catch (e) { report(e, o.json) }
    })

  timingOptions(key.command('rollover')
    .description('start a rollover: write the successor key with its timing and retire the current key')
    .option('--zone <zone>', 'zone apex')
    .option('--key-dir <dir>', 'key store directory', 'keys')
    .option('--role <role>', 'zsk or ksk')
    .option('--method <method>', 'prepublish or double-signature (default: prepublish for ZSK, double-signature for KSK)')
    .option('--now <time>', 'start time (default now)')
    .option('--json', 'JSON output'))
    .action(async (o: TimingOpts & { zone?: string, keyDir: string, role?: string, method?: string, now?: string, json?: boolean }) => {
      try {
        const zone = normalizeZone(need(o.zone, '--zone', 'the zone apex'))
        const role = need(o.role, '--role', 'zsk or ksk')
        if (role !== 'zsk' && role !== 'ksk') throw new UsageError(`--role "${role}" must be zsk or ksk`)
        const method = o.method ?? (role === 'zsk' ? 'prepublish' : 'double-signature')
        if (method !== 'prepublish' && method !== 'double-signature') throw new UsageError(`--method "${method}" must be prepublish or double-signature`)
        const now = o.now === undefined ? nowSeconds() : parseTime(o.now)
        const t = timings(zone, o)
        const stored = await loadKeys(o.keyDir, { zone, passphrase: passphrase() })
        const plan = startRollover(stored.map((s) => s.key), { zone, role, method, now, timings: t })
        await saveKey(o.keyDir, plan.successor, { passphrase: passphrase() })
        // Only the timing changes: keep the reference to a private key file even when it
        // was not unlocked for this command.
        const before = stored.find((s) => s.key.keyTag === plan.predecessor.keyTag && s.key.algorithm === plan.predecessor.algorithm)
        await writeKeyMeta(o.keyDir, plan.predecessor, before?.meta.privateKey !== null)
        for (const w of plan.warnings) process.stderr.write(`secdns: warning: ${w}\n`)
        const out = { ok: true, zone, role, method, successor: describe(plan.successor, now), predecessor: describe(plan.predecessor, now), dsSubmit: iso(plan.dsSubmit) }
        if (o.json === true) { process.stdout.write(JSON.stringify(out) + '\n'); return }
        process.stdout.write(`${out.successor.key}: publish ${out.successor.publish}, activate ${out.successor.activate}\n`)
        process.stdout.write(`${out.predecessor.key}: inactive ${out.predecessor.inactive}, delete ${out.predecessor.delete}\n`)
        if (plan.dsSubmit !== undefined) process.stdout.write(`submit the new DS to the parent at or after ${out.dsSubmit} (secdns zone ds --zone ${zone} --key-dir ${o.keyDir})\n`)
      } catch (e) { report(e, o.json) }
    })

  const revoke = key.command('revoke')
    .description('revoke a KSK (RFC 5011 REVOKE bit, flags 385): its key tag changes; it stays published and signs the DNSKEY RRset until its delete time')
    .option('--zone <zone>', 'zone apex')
    .option('--key-tag <n>', 'key tag of the KSK (as created, before revocation)')
    .option('--key-dir <dir>', 'key store directory', 'keys')
    .option('--now <time>', 'revoke time (default now)')
    .option('--delete <time>', 'when to remove the revoked DNSKEY (default: revoke time + 30 days RFC 5011 hold-down + DNSKEY TTL, or the key\'s own later delete time)')
    .option('--dnskey-ttl <dur>', `DNSKEY TTL for the default delete time (default ${DEFAULT_TIMINGS.dnskeyTtl})`)
    .option('--json', 'JSON output')
    .addHelpText('after', `
Then sign the zone: the key is published with flags 385 and its new tag, and signs only
the DNSKEY RRset. Start a KSK rollover first so that another KSK is active.`)
  deprecatedAlias(deprecatedAlias(revoke, '--dir <dir>', '--key-dir'), '--tag <n>', '--key-tag')
  revoke
    .action(async (o: { zone?: string, keyTag?: string, keyDir: string, now?: string, delete?: string, dnskeyTtl?: string, json?: boolean }) => {
      try {
        const zone = normalizeZone(need(o.zone, '--zone', 'the zone apex'))
        const tag = Number(need(o.keyTag, '--key-tag', 'the key tag of the KSK'))
        if (!Number.isInteger(tag) || tag < 0 || tag > 65535) throw new UsageError(`--key-tag "${o.keyTag}" is not a key tag (0–65535)`)
        const now = o.now === undefined ? nowSeconds() : parseTime(o.now)
        const stored = await loadKeys(o.keyDir, { zone, passphrase: passphrase() })
        const found = stored.find((s) => s.key.keyTag === tag) ?? stored.find((s) => publishedKeyTag(s.key, now) === tag)
        if (found === undefined) throw new UsageError(`${o.keyDir}: no key of ${zone} with tag ${tag}`)
        // The revoked key signs its own revocation, so its private key must be readable.
        if (found.key.privateKey === null && found.meta.privateKey !== null) throw new UsageError(`${found.file}: the private key is encrypted; give --passphrase-file or set SECDNS_KEY_PASSPHRASE (a revoked key signs the DNSKEY RRset itself)`)
        const r = revokeKey(found.key, {
          now, ...(o.delete === undefined ? {} : { delete: parseTime(o.delete, now) }),
          ...(o.dnskeyTtl === undefined ? {} : { dnskeyTtl: parseDuration(o.dnskeyTtl) }),
        })
        await writeKeyMeta(o.keyDir, r.key, true)
        const out = { ok: true, ...describe(r.key, now), revokedKeyTag: r.revokedKeyTag, revokedFlags: r.revokedFlags }
        if (o.json === true) { process.stdout.write(JSON.stringify(out) + '\n'); return }
        process.stdout.write(`${out.key}: revoked at ${out.revoke}; published as flags ${r.revokedFlags}, key tag ${r.revokedKeyTag}, until ${out.delete}\n`)
      } catch (e) { report(e, o.json) }
    })

  key.command('import-bind')
    .description('import BIND K<zone>+<alg>+<tag>.key/.private files into a key store')
    .argument('<files...>', 'K….key or K….private files')
    .option('--key-dir <dir>', 'key store directory', 'keys')
    .option('--json', 'JSON output')
    .action(async (files: string[], o: { keyDir: string, json?: boolean }) => {
      try {
        const done: string[] = []
        const seen = new Set<string>()
        for (const f of files) {
          const base = f.replace(/\.(key|private)$/, '')
          if (seen.has(base)) continue
          seen.add(base)
          const k = await readBindKey(f)
          if (k.privateKey === null) throw new UsageError(`${base}.private: missing — a key store keeps keys with their private part`)
          if (k.timing.created === 0) k.timing.created = nowSeconds()
          done.push(basename(await saveKey(o.keyDir, k, { passphrase: passphrase() })))
        }
        if (o.json === true) process.stdout.write(JSON.stringify({ ok: true, imported: done }) + '\n')
        else for (const d of done) process.stdout.write(`${d}\n`)
      } catch (e) { report(e, o.json) }
    })

  key.command('export-bind')
    .description('write the keys of a key store as BIND K-files (.private mode 0600)')
    .option('--key-dir <dir>', 'key store directory', 'keys')
    .option('--out <dir>', 'output directory')
    .option('--zone <zone>', 'only this zone')
    .option('--json', 'JSON output')
    .action(async (o: { keyDir: string, out?: string, zone?: string, json?: boolean }) => {
      try {
        const out = need(o.out, '--out', 'the directory for the K-files')
        await mkdir(out, { recursive: true })
        const keys = await loadKeys(o.keyDir, { ...(o.zone === undefined ? {} : { zone: o.zone }), passphrase: passphrase(), needPrivate: true })
        const done: string[] = []
        for (const s of keys) done.push(basename(await writeBindKey(s.key, out)))
        if (o.json === true) process.stdout.write(JSON.stringify({ ok: true, exported: done }) + '\n')
        else for (const d of done) process.stdout.write(`${d}\n`)
      } catch (e) { report(e, o.json) }
    })

  key.command('export-pkcs12')
    .description(`write one key as a PKCS#12 bundle (.pfx; password from --pfx-password-file or $${ENV_PFX_PASSWORD})`)
    .option('--key-dir <dir>', 'key store directory', 'keys')
    .option('--zone <zone>', 'zone apex')
    .option('--key-tag <n>', 'key tag')
    .option('--pfx-password-file <file>', `file holding the bundle password (or $${ENV_PFX_PASSWORD}; never on the command line)`)
    .option('--legacy', '3DES/SHA-1 for old Windows')
    .option('--json', 'JSON output')
    .action(async (o: { keyDir: string, zone?: string, keyTag?: string, pfxPasswordFile?: string, legacy?: boolean, json?: boolean }) => {
      try {
        const zone = normalizeZone(need(o.zone, '--zone', 'the zone apex'))
        const tag = Number(need(o.keyTag, '--key-tag', 'the key tag'))
        if (!Number.isInteger(tag) || tag < 0 || tag > 65535) throw new UsageError(`--key-tag "${o.keyTag}" must be 0…65535`)
        const password = pfxPassword(o.pfxPasswordFile)
        const k = (await loadKeys(o.keyDir, { zone, passphrase: passphrase(), needPrivate: true })).find((s) => s.key.keyTag === tag)
        if (k === undefined) throw new UsageError(`${o.keyDir}: no key of ${zone} with tag ${tag}`)
        const path = await saveKeyPkcs12(o.keyDir, k.key, password, { legacy: o.legacy === true })
        if (o.json === true) process.stdout.write(JSON.stringify({ ok: true, file: path }) + '\n')
        else process.stdout.write(`${path}\n`)
      } catch (e) { report(e, o.json) }
    })

  // The spellings before the key store option was named as in `zone sign` and `zone ds`.
  for (const c of key.commands) {
    const has = (use: string) => deprecatedAliases(c).some((a) => a.use === use)
    if (c.options.some((o) => o.long === '--key-dir') && !has('--key-dir')) deprecatedAlias(c, '--dir <dir>', '--key-dir')
    if (c.options.some((o) => o.long === '--key-tag') && !has('--key-tag')) deprecatedAlias(c, '--tag <n>', '--key-tag')
    // Every key command reads or writes private keys: the passphrase as `ca` takes it.
    if (!c.options.some((o) => o.long === '--passphrase-file')) keyPassphraseOption(c)
  }
}
