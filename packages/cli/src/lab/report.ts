/**
 * What `secdns lab` prints: the tour, readably; the commands to try by hand while the
 * lab keeps running; and the JSON summary.
 */
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { StepResult } from './tour.js'
import { LAB } from './build.js'

/** Where the running lab is, for the hand-run commands. */
export interface LabEndpoints {
  readonly dir: string
  readonly authPort: number
  readonly resolverPort: number
  readonly channelPort: number
  readonly rogueNoEkuPort: number
  readonly rogueOtherCaPort: number
  readonly adminUrl: string
  readonly nrpt: string
  readonly trustAnchors: string
  readonly bindAnchors: string
  readonly adminTokenFile: string
  /** The authoritative server's admin listener and its token file. */
  readonly authAdminUrl: string
  readonly authAdminTokenFile: string
}

/**
 * The tour as text: for each step the query, the NRPT rule that applied, the transport
 * and what it negotiated, AD, and the verdict.
 * @param steps the results of the tour
 */
export function formatTour(steps: readonly StepResult[]): string {
  const out: string[] = ['', 'secdns lab tour', '']
  steps.forEach((s, i) => {
    out.push(`${i + 1}. ${s.title}`)
    out.push(`   query:     ${s.query}`)
    out.push(`   rule:      ${s.rule === undefined ? '(none)' : `${s.rule} (${s.namespace ?? '?'})`} — ${s.policy ?? ''}`)
    if (s.error === undefined) {
      out.push(`   transport: ${s.transport ?? '?'} to ${s.server ?? '?'}: ${s.negotiated ?? ''}`)
      out.push(`   answer:    ${s.rcode ?? '?'}, AD ${s.ad === true ? '1' : '0'}${s.answer !== undefined && s.answer.length > 0 ? '' : `, ${s.authority ?? 0} authority record(s)`}`)
      for (const a of s.answer ?? []) out.push(`              ${a}`)
    } else {
      out.push(`   error:     ${s.error.code}${s.error.causeCode === undefined ? '' : ` (${s.error.causeCode})`}: ${s.error.message}`)
      for (const v of s.validator ?? []) out.push(`   validator: ${v}`)
    }
    out.push(`   expected:  ${s.expected}`)
    out.push(`   verdict:   ${s.pass ? 'PASS' : 'FAIL'} — ${s.verdict} (${s.ms} ms)`)
    out.push('')
  })
  const failed = steps.filter((s) => !s.pass)
  out.push(failed.length === 0
    ? `all ${steps.length} steps had the expected verdict`
    : `${failed.length} of ${steps.length} steps did not have the expected verdict: ${failed.map((s) => s.id).join(', ')}`)
  out.push('')
  return out.join('\n')
}

function rel(p: string): string {
  const r = relative(process.cwd(), p)
  return r.startsWith('..') || r === '' ? p : r
}

/**
 * The commands to try by hand against the running lab.
 * @param e ports and files of the running lab
 */
export function formatHandsOn(e: LabEndpoints): string {
  // This file runs from packages/cli/dist/src/lab/; the command shim is packages/cli/bin/.
  const cli = `node ${rel(fileURLToPath(new URL('../../../bin/secdns.js', import.meta.url)))}`
  return [
    '',
    `The lab keeps running (material in ${e.dir}). Try:`,
    '',
    '  # the authoritative server: signed answers, no validation (no AD)',
    `  dig +dnssec +norec @127.0.0.1 -p ${e.authPort} www.${LAB.parent} A`,
    `  dig +dnssec +norec @127.0.0.1 -p ${e.authPort} nothere.${LAB.child} A`,
    '  # the validating server (our resolver, trust anchor from TrustAnchors.dns): AD set',
    `  dig +dnssec @127.0.0.1 -p ${e.resolverPort} www.${LAB.child} A`,
    `  dig +dnssec @127.0.0.1 -p ${e.resolverPort} www.${LAB.broken} A      # SERVFAIL: the tampered record is Bogus`,
    `  dig +dnssec +cd @127.0.0.1 -p ${e.resolverPort} www.${LAB.broken} A  # CD: the bad data, unchecked`,
    '  # BIND\'s validator from the same anchor',
    `  delv @127.0.0.1 -p ${e.authPort} -a ${rel(e.bindAnchors)} +root=${LAB.parent} www.${LAB.child} A`,
    `  delv @127.0.0.1 -p ${e.authPort} -a ${rel(e.bindAnchors)} +root=${LAB.parent} www.${LAB.broken} A`,
    '  # our stub client and its NRPT (validation required, encrypted channel to dns1.lab.test)',
    `  ${cli} query www.${LAB.parent} A --nrpt ${rel(e.nrpt)}`,
    `  ${cli} query www.${LAB.broken} A --nrpt ${rel(e.nrpt)}          # refused, exit 1`,
    `  ${cli} query www.${LAB.parent} A --nrpt ${rel(e.nrpt).replace(/nrpt\.json$/, 'nrpt-rogue-no-eku.json')}   # wrong certificate, exit 1`,
    '  # the admin API of the validating server',
    `  curl -H "Authorization: Bearer $(cat ${rel(e.adminTokenFile)})" ${e.adminUrl}/status`,
    '  # the web consoles: open them in a browser and log in with the admin token the `cat` prints',
    `  # authoritative server (signed zones, keys, DS, records with RRSIG/NSEC/NSEC3): cat ${rel(e.authAdminTokenFile)}`,
    `  ${e.authAdminUrl}/console/`,
    `  # validating server (trust anchors from ${rel(e.trustAnchors)}, channel clients, counters): cat ${rel(e.adminTokenFile)}`,
    `  ${e.adminUrl}/console/`,
    '',
    `  protected channel: ws://127.0.0.1:${e.channelPort}/ (dns1.lab.test), rogue listeners on ${e.rogueNoEkuPort} (no EKU) and ${e.rogueOtherCaPort} (other CA)`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n')
}
