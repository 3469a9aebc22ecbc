/**
 * `secdns lab`: build and run a complete deployment on 127.0.0.1 — CA and certificates,
 * signed zones (NSEC parent, NSEC3 child, a broken child), an authoritative and a
 * validating server agent with protected-channel listeners, a client with an NRPT — then
 * run a scripted tour and print what each query did. Exit codes: 0 every tour step had
 * its expected verdict (refusals included), 1 a step did not (named), 2 usage or setup
 * error.
 */
import { mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Command, type CommanderError } from 'commander'
import { writeFileAtomic } from '@secdns/pki'
import { LAB, LAB_MARKER, buildCertificates, buildZones, prepareLabDir, writeNrpts, type LabMaterial } from '../lab/build.js'
import { startServers, type LabServers } from '../lab/servers.js'
import { runTour, type StepResult } from '../lab/tour.js'
import { formatHandsOn, formatTour, type LabEndpoints } from '../lab/report.js'
import { Progress } from '../lab/progress.js'

interface LabOptions { dir?: string, keepRunning?: boolean, json?: boolean, quiet?: boolean }

function endpoints(m: LabMaterial, s: LabServers, nrpt: string): LabEndpoints {
  return {
    dir: m.dir, authPort: s.authPort, resolverPort: s.resolverPort, channelPort: s.channelPort, rogueNoEkuPort: s.rogueNoEkuPort,
    rogueOtherCaPort: s.rogueOtherCaPort, adminUrl: s.adminUrl, nrpt, trustAnchors: m.trustAnchors, bindAnchors: m.bindAnchors,
    adminTokenFile: s.adminTokenFile, authAdminUrl: s.authAdminUrl, authAdminTokenFile: s.authAdminTokenFile,
  }
}

function summary(m: LabMaterial, s: LabServers, nrpt: string, steps: readonly StepResult[], p: Progress, ok: boolean): Record<string, unknown> {
  return {
    ok,
    dir: m.dir,
    ca: { name: LAB.caName, certificate: m.ca.cert },
    zones: m.zones,
    keys: m.keys,
    trustAnchor: { file: m.trustAnchors, zone: m.ksk.zone, keyTag: m.ksk.keyTag },
    privateKeys: m.privateKeys,
    servers: {
      authoritative: {
        address: '127.0.0.1', port: s.authPort, config: s.configs.auth,
        admin: s.authAdminUrl, adminTokenFile: s.authAdminTokenFile, console: `${s.authAdminUrl}/console/`,
      },
      validating: {
        address: '127.0.0.1', port: s.resolverPort, config: s.configs.resolver, channel: s.channelPort, rogueNoEku: s.rogueNoEkuPort, rogueOtherCa: s.rogueOtherCaPort,
        admin: s.adminUrl, adminTokenFile: s.adminTokenFile, console: `${s.adminUrl}/console/`,
      },
    },
    nrpt,
    tour: steps,
    failed: steps.filter((x) => !x.pass).map((x) => x.id),
    timings: p.timings,
  }
}

async function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => { process.off('SIGINT', onInt); process.off('SIGTERM', onTerm); resolve(sig) }
    const onInt = (): void => on('SIGINT')
    const onTerm = (): void => on('SIGTERM')
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
  })
}

async function lab(o: LabOptions): Promise<number> {
  const json = o.json === true
  const p = new Progress({ stream: process.stderr, quiet: o.quiet === true })
  const given = o.dir !== undefined
  const dir = given ? resolve(o.dir!) : mkdtempSync(join(tmpdir(), 'secdns-lab-'))
  let servers: LabServers | undefined
  const removeDir = !given && o.keepRunning !== true
  // With --keep-running, Ctrl-C is the way out at any moment, and always exits 0 after a
  // clean stop: the handlers are installed now, because a signal that arrives while no
  // listener is installed kills the process with the default action.
  let stopSignal: string | undefined
  const signalled = o.keepRunning === true ? waitForSignal().then((sig) => { stopSignal = sig; return sig }) : undefined
  try {
    await p.step(`prepare ${dir}`, () => prepareLabDir(dir))
    const certs = await p.step(`create "${LAB.caName}", dns1.lab.test, client and rogue certificates (ECDSA P-256)`, () => buildCertificates(dir))
    const zones = await buildZones(dir, (label, fn) => p.step(label, fn))
    const privateKeys = [certs.ca.key, certs.rogueCa.key, certs.server.key, certs.client.key, certs.rogueNoEku.key, certs.rogueOtherCa.key, ...zones.keys.map((k) => `${k.files}.key.pem`)]
    const m: LabMaterial = { dir, ...certs, ...zones, privateKeys }
    servers = await p.step('start the authoritative and the validating server agents', () => startServers(m))
    const s = servers
    const nrpt = await p.step('write the client NRPT (.lab.test: validation required, encryption High)', () => writeNrpts(m, {
      channel: s.channelPort, rogueNoEku: s.rogueNoEkuPort, rogueOtherCa: s.rogueOtherCaPort, resolverUdp: s.resolverPort,
    }))
    const validatorLines = (name: string): string[] => s.drainValidatorLog().filter((l) => l.includes(` ${name}.`))
    const steps = await runTour({ lab: nrpt.nrpt, rogueNoEku: nrpt.rogueNoEku, rogueOtherCa: nrpt.rogueOtherCa }, (label, fn, okOf) => p.step(label, fn, okOf), undefined, validatorLines)
    const ok = steps.every((x) => x.pass)
    const result = summary(m, s, nrpt.nrpt, steps, p, ok)
    await writeFileAtomic(join(dir, LAB_MARKER), JSON.stringify(result, null, 2) + '\n')
    if (json) process.stdout.write(JSON.stringify(result) + '\n')
    else process.stdout.write(formatTour(steps))
    if (!ok) {
      const names = steps.filter((x) => !x.pass).map((x) => `${x.id} (${x.query}: ${x.verdict})`)
      process.stderr.write(`secdns lab: tour step(s) without the expected verdict: ${names.join('; ')}\n`)
    }
    if (signalled !== undefined) {
      if (stopSignal === undefined) {
        if (json) process.stderr.write(formatHandsOn(endpoints(m, s, nrpt.nrpt)))
        else process.stdout.write(formatHandsOn(endpoints(m, s, nrpt.nrpt)))
      }
      const sig = await signalled
      process.stderr.write(`\n${sig}: stopping the lab\n`)
    }
    return ok ? 0 : 1
  } finally {
    if (servers !== undefined) await servers.stop().catch(() => undefined)
    if (removeDir) await rm(dir, { recursive: true, force: true }).catch(() => undefined)
  }
}

/**
 * Register `secdns lab`.
 * @param program the root command
 */
export function registerLabCommands(program: Command): void {
  const exit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2)
  program.command('lab')
    .description('build and run a complete secdns deployment on 127.0.0.1, run a scripted tour, print each verdict')
    .option('--dir <dir>', 'where the generated material goes (default: a temp dir, removed at the end)')
    .option('--keep-running', 'leave everything up and print commands to try; Ctrl-C stops it')
    .option('--json', 'print a JSON summary of every tour step')
    .option('--quiet', 'no step progress on stderr (the tour, or the JSON summary, still goes to stdout)')
    .exitOverride(exit)
    .action(async (o: LabOptions) => {
      try {
        process.exitCode = await lab(o)
      } catch (e) {
        const err = e as { code?: string, message?: string }
        if (o.json === true) process.stdout.write(JSON.stringify({ ok: false, error: { code: err.code ?? 'ERR_LAB', message: err.message ?? String(e) } }) + '\n')
        process.stderr.write(`secdns lab: ${err.message ?? String(e)}\n`)
        process.exitCode = 2
      }
    })
}
