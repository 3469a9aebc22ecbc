/**
 * The scripted tour of `secdns lab`: queries through our stub client and its NRPT, each
 * with the outcome it must have. A step passes only when it got exactly that outcome —
 * the refusals included: a refusal that does not happen is a failed step.
 */
import { rrToText } from '@secdns/wire'
import { ClientError, createStubClient, loadNrpt, type ResolveResult } from '@secdns/client'
import { LAB } from './build.js'

/** What a tour step must produce. */
export type Expectation =
  | { readonly kind: 'secure-answer', readonly address?: string }
  | { readonly kind: 'secure-nxdomain' }
  | { readonly kind: 'refused', readonly code: string, readonly causeCode?: string, readonly bogus?: boolean }

/** One step of the tour. */
export interface TourStep {
  readonly id: string
  readonly title: string
  readonly name: string
  readonly type: string
  /** Which NRPT file the client uses: the lab's, or one pointed at a rogue listener. */
  readonly nrpt: 'lab' | 'rogueNoEku' | 'rogueOtherCa'
  readonly expect: Expectation
}

/** What happened at one step. */
export interface StepResult {
  readonly id: string
  readonly title: string
  readonly query: string
  readonly expected: string
  readonly pass: boolean
  /** One line: what happened and why that is (or is not) the expected verdict. */
  readonly verdict: string
  readonly rule?: string | undefined
  readonly namespace?: string | undefined
  readonly policy?: string | undefined
  readonly server?: string | undefined
  readonly transport?: string | undefined
  readonly negotiated?: string | undefined
  readonly ad?: boolean | undefined
  readonly rcode?: string | undefined
  readonly answer?: readonly string[] | undefined
  readonly authority?: number | undefined
  readonly error?: { readonly code: string, readonly causeCode?: string | undefined, readonly message: string } | undefined
  /** What the validating server's resolver logged about this name (why it is Bogus). */
  readonly validator?: readonly string[] | undefined
  readonly ms: number
}

/** The tour, in order. */
export const TOUR: readonly TourStep[] = [
  { id: 'secure-parent', title: 'NSEC-signed parent: secure answer with AD over the encrypted channel', name: `www.${LAB.parent}`, type: 'A', nrpt: 'lab', expect: { kind: 'secure-answer', address: '192.0.2.10' } },
  { id: 'secure-child-nsec3', title: 'NSEC3-signed child, validated through the DS in the parent', name: `www.${LAB.child}`, type: 'A', nrpt: 'lab', expect: { kind: 'secure-answer', address: '192.0.2.20' } },
  { id: 'nxdomain-nsec', title: 'NXDOMAIN proved by NSEC records', name: `nothere.${LAB.parent}`, type: 'A', nrpt: 'lab', expect: { kind: 'secure-nxdomain' } },
  { id: 'nxdomain-nsec3', title: 'NXDOMAIN proved by NSEC3 records', name: `nothere.${LAB.child}`, type: 'A', nrpt: 'lab', expect: { kind: 'secure-nxdomain' } },
  { id: 'broken-zone', title: 'tampered record in broken.lab.test: validation fails, the application gets an error', name: `www.${LAB.broken}`, type: 'A', nrpt: 'lab', expect: { kind: 'refused', code: 'ERR_CLIENT_SERVFAIL', bogus: true } },
  { id: 'wrong-cert-eku', title: 'server certificate without the DNS Server Trust EKU: channel refused', name: `www.${LAB.parent}`, type: 'A', nrpt: 'rogueNoEku', expect: { kind: 'refused', code: 'ERR_CLIENT_CHANNEL_REFUSED', causeCode: 'ERR_CHANNEL_PEER_PURPOSE' } },
  { id: 'wrong-cert-ca', title: 'server certificate from another CA than the rule\'s trust authority: channel refused', name: `www.${LAB.parent}`, type: 'A', nrpt: 'rogueOtherCa', expect: { kind: 'refused', code: 'ERR_CLIENT_CHANNEL_REFUSED', causeCode: 'ERR_CHANNEL_UNTRUSTED_PEER' } },
]

/** The expectation as words. */
export function describeExpectation(e: Expectation): string {
  switch (e.kind) {
    case 'secure-answer': return `NOERROR with AD${e.address === undefined ? '' : `, A ${e.address}`}, over the protected channel`
    case 'secure-nxdomain': return 'NXDOMAIN with AD (denial proved), over the protected channel'
    case 'refused': return `error ${e.code}${e.causeCode === undefined ? '' : ` (${e.causeCode})`}${e.bogus === true ? ' because our validator found the answer Bogus' : ''}, no data`
  }
}

/**
 * Judge a step that got an answer.
 * @param step the step and its expectation
 * @param r what `resolve` returned
 */
export function judgeAnswer(step: TourStep, r: Pick<ResolveResult, 'transport' | 'ad' | 'rcodeName' | 'answer'>): { pass: boolean, why: string } {
  const e = step.expect
  if (e.kind === 'refused') return { pass: false, why: `answered ${r.rcodeName} (AD ${r.ad ? 1 : 0}) where ${e.code} was expected: the refusal did not happen` }
  if (r.transport !== 'channel') return { pass: false, why: `answered over ${r.transport}, not the protected channel` }
  if (!r.ad) return { pass: false, why: `answered ${r.rcodeName} without AD` }
  if (e.kind === 'secure-nxdomain') {
    return r.rcodeName === 'NXDOMAIN' ? { pass: true, why: 'NXDOMAIN with AD: the validator proved the name does not exist' } : { pass: false, why: `answered ${r.rcodeName}, not NXDOMAIN` }
  }
  if (r.rcodeName !== 'NOERROR') return { pass: false, why: `answered ${r.rcodeName}` }
  const addresses = r.answer.map((x) => (x.data as { address?: string }).address).filter((a) => a !== undefined)
  if (e.address !== undefined && !addresses.includes(e.address)) return { pass: false, why: `answer ${addresses.join(', ') || '(none)'} lacks ${e.address}` }
  return { pass: true, why: 'secure: AD set by our validating server, answer handed to the application' }
}

/**
 * Judge a step that ended in an error.
 * @param step the step and its expectation
 * @param err what `resolve` threw
 * @param validator what the validator logged about the name
 */
export function judgeError(step: TourStep, err: unknown, validator: readonly string[] = []): { pass: boolean, why: string } {
  const e = step.expect
  const code = (err as { code?: string }).code ?? 'ERR_UNKNOWN'
  const cause = err instanceof ClientError ? err.causeCode : undefined
  if (e.kind !== 'refused') return { pass: false, why: `failed with ${code}${cause === undefined ? '' : ` (${cause})`}: ${(err as Error).message}` }
  if (code !== e.code) return { pass: false, why: `failed with ${code}, expected ${e.code}` }
  if (e.causeCode !== undefined && cause !== e.causeCode) return { pass: false, why: `refused with ${code} (${cause ?? 'no cause'}), expected cause ${e.causeCode}` }
  // A SERVFAIL for another reason (a timeout upstream, say) is not the validation failure
  // this step is about: the validator must have called the answer Bogus.
  if (e.bogus === true && !validator.some((l) => l.startsWith('bogus '))) return { pass: false, why: `refused with ${code}, but the validator logged no Bogus verdict for ${step.name}` }
  return { pass: true, why: `refused as it must be: ${code}${cause === undefined ? '' : ` (${cause})`}, nothing handed to the application` }
}

/**
 * Run every step of the tour.
 * @param files the NRPT files, by the names steps use
 * @param onStep runs each step (the progress display; `okOf` says whether the step had its expected verdict)
 * @param steps the steps (the lab's tour by default)
 * @param validatorLines what the validator logged about a name since the last call
 */
export async function runTour(
  files: Readonly<Record<TourStep['nrpt'], string>>,
  onStep: <T>(label: string, fn: () => Promise<T>, okOf?: (v: T) => boolean) => Promise<T>,
  steps: readonly TourStep[] = TOUR,
  validatorLines: (name: string) => string[] = () => [],
): Promise<StepResult[]> {
  const clients = new Map<string, ReturnType<typeof createStubClient>>()
  const out: StepResult[] = []
  try {
    for (const step of steps) {
      let client = clients.get(step.nrpt)
      if (client === undefined) {
        client = createStubClient({ nrpt: await loadNrpt(files[step.nrpt]) })
        clients.set(step.nrpt, client)
      }
      const c = client
      const query = `${step.name} ${step.type}`
      const base = { id: step.id, title: step.title, query, expected: describeExpectation(step.expect) }
      const start = performance.now()
      const match = c.explain(step.name)
      const result = await onStep(`tour: ${query} (${step.id})`, async (): Promise<StepResult> => {
        let r: ResolveResult
        try {
          r = await c.resolve(step.name, step.type)
        } catch (e) {
          const err = e as Error & { code?: string }
          const said = validatorLines(step.name)
          const j = judgeError(step, err, said)
          return {
            ...base, pass: j.pass, verdict: j.why, rule: match.rule?.rule.name, namespace: match.namespace?.text, policy: match.reason,
            error: { code: err.code ?? 'ERR_UNKNOWN', causeCode: err instanceof ClientError ? err.causeCode : undefined, message: err.message },
            ...(said.length > 0 ? { validator: said } : {}), ms: Math.round(performance.now() - start),
          }
        }
        const j = judgeAnswer(step, r)
        return {
          ...base, pass: j.pass, verdict: j.why, rule: r.policy.rule, namespace: r.policy.namespace, policy: r.policy.reason,
          server: r.server, transport: r.transport, negotiated: r.negotiated, ad: r.ad, rcode: r.rcodeName,
          answer: r.answer.map((x) => rrToText(x)), authority: r.authority.length, ms: Math.round(performance.now() - start),
        }
      }, (x) => x.pass)
      out.push(result)
    }
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()))
  }
  return out
}
