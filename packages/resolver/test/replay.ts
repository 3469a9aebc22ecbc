/**
 * Replay scenarios (STYLE.md §7, after NLnetLabs/domain's Unbound-style .rpl files):
 * a query, the client's flags, a clock, trust anchors, the upstream answers recorded
 * from the BIND lab, and the expected verdict. Test helper, not a test file.
 *
 * Format (line based; `;` starts a comment line):
 *   query <name> <type>
 *   flags do|cd|ad ...          (may be empty: a DNSSEC-unaware client)
 *   now <seconds since epoch>
 *   expect state=<s> rcode=<RCODE> ad=<0|1> ede=<n|->
 *   anchor <TrustAnchors.dns line>            (repeatable)
 *   step <name> <type>
 *   rcode <RCODE>
 *   section answer|authority|additional
 *   <record in presentation format>           (repeatable)
 *   end
 */
import { Name, RRType, Rcode, rrTypeFromString, rrTypeToString, rrToText, rcodeToString, NO_FLAGS, type Message, type ResourceRecord } from '@secdns/wire'
import { readZoneText } from '@secdns/zone'
import { ResolverError } from '../src/errors.js'
import type { Server, Transport } from '../src/transport.js'

/** One recorded upstream exchange. */
export interface Step { readonly name: Name, readonly type: number, readonly message: Message }

/** A parsed scenario. */
export interface Scenario {
  readonly title: string
  readonly name: Name
  readonly type: number
  readonly flags: { dnssecOk: boolean, checkingDisabled: boolean, authenticatedData: boolean }
  readonly now: number
  readonly expect: { state: string, rcode: number, ad: boolean, ede: number | null }
  readonly anchors: string[]
  readonly steps: Step[]
}

function parseRecords(lines: string[], where: string): ResourceRecord[] {
  const out: ResourceRecord[] = []
  const r = readZoneText(lines.join('\n'), { origin: Name.ROOT, file: where, defaultTtl: 0 }, (rr) => out.push(rr))
  if (r.errors.length > 0) throw r.errors[0]!
  return out
}

function rcodeFrom(text: string): number {
  const v = (Rcode as Record<string, number>)[text]
  if (v === undefined) throw new Error(`unknown rcode ${text}`)
  return v
}

/** Parse a scenario file. */
export function parseScenario(text: string, file: string): Scenario {
  const lines = text.split('\n')
  let title = ''
  let name: Name | null = null, type = 0, now = 0
  const flags = { dnssecOk: false, checkingDisabled: false, authenticatedData: false }
  let expect: Scenario['expect'] | null = null
  const anchors: string[] = []
  const steps: Step[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '' ) continue
    if (line.startsWith(';')) { if (title === '') title = line.replace(/^;+\s*/, ''); continue }
    const [kw, ...rest] = line.split(/\s+/)
    if (kw === 'query') { name = Name.fromString(rest[0]!); type = rrTypeFromString(rest[1]!) }
    else if (kw === 'flags') { flags.dnssecOk = rest.includes('do'); flags.checkingDisabled = rest.includes('cd'); flags.authenticatedData = rest.includes('ad') }
    else if (kw === 'now') now = Number(rest[0])
    else if (kw === 'anchor') anchors.push(line.slice('anchor'.length).trim())
    else if (kw === 'expect') {
      const kv = Object.fromEntries(rest.map((p) => p.split('=') as [string, string]))
      expect = { state: kv['state']!, rcode: rcodeFrom(kv['rcode']!), ad: kv['ad'] === '1', ede: kv['ede'] === '-' || kv['ede'] === undefined ? null : Number(kv['ede']) }
    } else if (kw === 'step') {
      const sname = Name.fromString(rest[0]!), stype = rrTypeFromString(rest[1]!)
      let rcode = 0
      const sections: Record<string, string[]> = { answer: [], authority: [], additional: [] }
      let cur: string[] | null = null
      for (i++; i < lines.length && lines[i]!.trim() !== 'end'; i++) {
        const l = lines[i]!.trim()
        if (l.startsWith('rcode ')) rcode = rcodeFrom(l.slice(6).trim())
        else if (l.startsWith('section ')) cur = sections[l.slice(8).trim()] ?? null
        else if (l !== '' && cur !== null) cur.push(l)
      }
      const message: Message = {
        id: 0, flags: { ...NO_FLAGS, qr: true, aa: true }, opcode: 0, rcode,
        question: [{ name: sname, type: stype, class: 1 }],
        answer: parseRecords(sections['answer']!, `${file} step ${rest.join(' ')}`),
        authority: parseRecords(sections['authority']!, `${file} step ${rest.join(' ')}`),
        additional: parseRecords(sections['additional']!, `${file} step ${rest.join(' ')}`),
      }
      steps.push({ name: sname, type: stype, message })
    } else throw new Error(`${file}:${i + 1}: unknown keyword ${kw}`)
  }
  if (name === null || expect === null) throw new Error(`${file}: needs query and expect lines`)
  return { title, name, type, flags, now, expect, anchors, steps }
}

/** Write one recorded exchange as a step block. */
export function formatStep(name: Name, type: number, m: Message): string {
  const out = [`step ${name.toString()} ${rrTypeToString(type)}`, `rcode ${rcodeToString(m.rcode)}`]
  for (const s of ['answer', 'authority', 'additional'] as const) {
    const rrs = m[s].filter((r) => r.data.type !== RRType.OPT)
    if (rrs.length === 0) continue
    out.push(`section ${s}`)
    for (const r of rrs) out.push(rrToText(r))
  }
  out.push('end')
  return out.join('\n')
}

/** A transport that answers from recorded steps; an unrecorded question is a transport error. */
export class ReplayTransport implements Transport {
  private readonly steps: readonly Step[]
  /** Questions asked, in order. */
  readonly asked: string[] = []
  constructor(steps: readonly Step[]) {
    this.steps = steps
  }
  /** @inheritDoc */
  async query(_server: Server, q: Message): Promise<Message> {
    const qq = q.question[0]!
    this.asked.push(`${qq.name.toString()} ${rrTypeToString(qq.type)}`)
    const s = this.steps.find((x) => x.type === qq.type && x.name.equals(qq.name))
    if (s === undefined) throw new ResolverError('ERR_RESOLVER_TRANSPORT', `no recorded answer for ${qq.name.toString()} ${rrTypeToString(qq.type)}`)
    return { ...s.message, id: q.id }
  }
}

/** A transport that passes queries on and keeps every exchange (for recording scenarios). */
export class RecordingTransport implements Transport {
  private readonly inner: Transport
  /** Exchanges seen, in order, each once. */
  readonly steps: Step[] = []
  constructor(inner: Transport) {
    this.inner = inner
  }
  /** @inheritDoc */
  async query(server: Server, q: Message, opts: { timeoutMs: number, tcp?: boolean }): Promise<Message> {
    const m = await this.inner.query(server, q, opts)
    const qq = q.question[0]!
    if (!this.steps.some((s) => s.type === qq.type && s.name.equals(qq.name))) this.steps.push({ name: qq.name, type: qq.type, message: m })
    return m
  }
}
