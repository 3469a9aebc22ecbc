/**
 * `secdns query NAME [TYPE]`: resolve through the stub client and its NRPT, print a
 * dig-like answer plus the policy verdict. Exit codes: 0 answer handed over, 1 policy
 * refused the answer or no server answered, 2 usage or input error.
 */
import { existsSync } from 'node:fs'
import { Command, type CommanderError } from 'commander'
import { opcodeToString, rcodeToString, rdataToText, rrClassToString, rrTypeToString, type ResourceRecord } from '@secdns/wire'
import { ClientError, compileNrpt, createStubClient, isPolicyRefusal, loadNrpt, type CompiledNrpt, type ResolveResult } from '@secdns/client'
import { nrptPath } from './nrpt.js'

const USAGE_CODES = new Set(['ERR_CLIENT_NRPT_INVALID', 'ERR_CLIENT_NRPT_FILE', 'ERR_CLIENT_BAD_SERVER', 'ERR_CLIENT_BAD_QUERY', 'ERR_CLIENT_BAD_NAMESPACE', 'ERR_USAGE'])

function rrLine(rr: ResourceRecord): string {
  return `${rr.name.toString()}\t${rr.ttl}\t${rrClassToString(rr.class)}\t${rrTypeToString(rr.data.type)}\t${rdataToText(rr.data)}`
}

function flagsOf(r: ResolveResult): string {
  const f = r.message.flags
  return (['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const).filter((k) => f[k]).join(' ')
}

/** The dig-like text of a result. */
export function formatResult(r: ResolveResult): string {
  const m = r.message
  const out: string[] = []
  out.push(`; <<>> secdns query <<>> ${r.name} ${rrTypeToString(r.type)}`)
  out.push(`;; NRPT: ${r.policy.reason}`)
  out.push(`;; policy: DO ${r.policy.dnsSecEnable ? 'set' : 'clear'}, validation ${r.policy.dnsSecValidationRequired ? 'required' : 'not required'}, secure channel ${r.policy.secureChannelRequired ? `required (encryption ${r.policy.encryption})` : 'not required'}`)
  out.push(`;; SERVER: ${r.server} via ${r.negotiated}${r.fallback ? ' (fallback)' : ''}`)
  out.push(`;; ->>HEADER<<- opcode: ${opcodeToString(m.opcode)}, status: ${rcodeToString(m.rcode)}, id: ${m.id}`)
  out.push(`;; flags: ${flagsOf(r)}; QUERY: ${m.question.length}, ANSWER: ${m.answer.length}, AUTHORITY: ${m.authority.length}, ADDITIONAL: ${m.additional.length}`)
  if (m.edns !== undefined) {
    out.push('', ';; OPT PSEUDOSECTION:', `; EDNS: version: ${m.edns.version}, flags:${m.edns.dnssecOk ? ' do' : ''}; udp: ${m.edns.udpSize}`)
    for (const e of r.ede) out.push(`; EDE: ${e.infoCode}${e.extraText === '' ? '' : ` (${e.extraText})`}`)
  }
  out.push('', ';; QUESTION SECTION:')
  for (const q of m.question) out.push(`;${q.name.toString()}\t\t${rrClassToString(q.class)}\t${rrTypeToString(q.type)}`)
  for (const [title, rrs] of [['ANSWER', m.answer], ['AUTHORITY', m.authority], ['ADDITIONAL', m.additional]] as const) {
    if (rrs.length === 0) continue
    out.push('', `;; ${title} SECTION:`)
    for (const rr of rrs) out.push(rrLine(rr))
  }
  out.push('', `;; VERDICT: ${r.verdict}`, '')
  return out.join('\n')
}

function resultJson(r: ResolveResult): Record<string, unknown> {
  return {
    ok: true, name: r.name, type: rrTypeToString(r.type), rcode: r.rcodeName, ad: r.ad,
    answer: r.answer.map(rrLine), authority: r.authority.map(rrLine), additional: r.additional.map(rrLine),
    ede: r.ede, policy: r.policy, server: r.server, transport: r.transport, negotiated: r.negotiated, fallback: r.fallback, verdict: r.verdict,
  }
}

/**
 * Register `secdns query`.
 * @param program the root command
 */
export function registerQueryCommands(program: Command): void {
  const exit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2)
  program.command('query').description('resolve a name through the stub client and its NRPT (dig-like, with the policy verdict)')
    .argument('<name>', 'the name to look up').argument('[type]', 'record type', 'A')
    .option('--nrpt <file>', 'NRPT file (default $SECDNS_NRPT or ./nrpt.json; none: no rules)')
    .option('--server <addr>', 'ask this server instead of the rule\'s (the rule\'s policy still applies); repeatable', (v: string, p: string[] = []) => [...p, v])
    .option('--timeout <ms>', 'per-server timeout in milliseconds')
    .option('--cd', 'set CD (checking disabled); refused under a rule that requires validation')
    .option('--json', 'JSON output').exitOverride(exit)
    .action(async (name: string, type: string, o: { nrpt?: string; server?: string[]; timeout?: string; cd?: boolean; json?: boolean }) => {
      let client: ReturnType<typeof createStubClient> | undefined
      try {
        const path = nrptPath(o.nrpt)
        let nrpt: CompiledNrpt
        if (o.nrpt !== undefined || existsSync(path)) nrpt = await loadNrpt(path)
        else nrpt = compileNrpt({ rules: [] }, '(no NRPT file)')
        if (o.timeout !== undefined && !/^\d+$/.test(o.timeout)) throw new ClientError('ERR_CLIENT_BAD_QUERY', `--timeout "${o.timeout}" is not a number of milliseconds`)
        client = createStubClient({ nrpt, ...(o.server !== undefined ? { servers: o.server } : {}), ...(o.timeout !== undefined ? { timeoutMs: Number(o.timeout) } : {}) })
        const r = await client.resolve(name, type, { checkingDisabled: o.cd === true })
        process.stdout.write(o.json ? `${JSON.stringify(resultJson(r))}\n` : formatResult(r))
      } catch (e) {
        const err = e as { code?: string; message?: string; causeCode?: string }
        const code = err.code ?? 'ERR_USAGE'
        const policy = isPolicyRefusal(e)
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ ok: false, refused: policy, error: { code, message: err.message ?? String(e), ...(err.causeCode !== undefined ? { cause: err.causeCode } : {}) } })}\n`)
        } else {
          process.stderr.write(`secdns: ${code}: ${err.message ?? String(e)}\n`)
          if (policy) process.stdout.write(`;; VERDICT: refused by policy: ${code}${err.causeCode !== undefined ? ` (${err.causeCode})` : ''}\n`)
        }
        process.exitCode = USAGE_CODES.has(code) || !(e instanceof ClientError) ? 2 : 1
      } finally {
        await client?.close()
      }
    })
}
