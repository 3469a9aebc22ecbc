/**
 * The stub client agent: picks the NRPT rule for a name, the transport the rule demands,
 * sets DO when the rule enables DNSSEC, and when the rule requires validation turns an
 * answer without AD, a SERVFAIL, or a channel that cannot be set up as required into a
 * coded {@link ClientError}, never into data.
 */
import { readFileSync, statSync } from 'node:fs'
import { crlFileToPem, parseCrl } from '@secdns/pki'
import { randomInt } from 'node:crypto'
import { isIP } from 'node:net'
import { resolve as resolvePath } from 'node:path'
import {
  EdnsOption, Name, RRType, createQuery, decodeMessage, encodeMessage, parseEdeOption, rcodeToString, rrTypeFromString,
  type ExtendedError, type Message, type ResourceRecord,
} from '@secdns/wire'
import type { ChannelIdentity } from '@secdns/channel'
import { ClientError } from './errors.js'
import { matchNrpt, type NrptMatch } from './match.js'
import { compileNrpt, type ClientIdentityEntry, type CompiledNrpt, type CompiledRule, type EncryptionType } from './nrpt.js'
import { isChannel, parseServerAddress, type ServerAddress } from './server_address.js'
import { createTransport, type Transport, type TransportSecurity } from './transport.js'

/** The policy a query ran under. */
export interface AppliedPolicy {
  /** The rule's name, or undefined when no rule covers the name. */
  readonly rule: string | undefined
  /** The namespace that matched. */
  readonly namespace: string | undefined
  /** Why this rule applies. */
  readonly reason: string
  readonly exempt: boolean
  readonly dnsSecEnable: boolean
  readonly dnsSecValidationRequired: boolean
  readonly secureChannelRequired: boolean
  readonly encryption: EncryptionType
}

/** What `resolve` returns: the answer and everything about how it was obtained. */
export interface ResolveResult {
  readonly name: string
  readonly type: number
  readonly rcode: number
  readonly rcodeName: string
  /** Authenticated Data (RFC 4035 §3.2.3): the server validated the answer. */
  readonly ad: boolean
  readonly answer: readonly ResourceRecord[]
  readonly authority: readonly ResourceRecord[]
  readonly additional: readonly ResourceRecord[]
  /** Extended DNS Errors the server attached (RFC 8914). */
  readonly ede: readonly ExtendedError[]
  /** The whole decoded answer. */
  readonly message: Message
  readonly policy: AppliedPolicy
  /** The server that answered, as written in the rule. */
  readonly server: string
  readonly transport: 'udp' | 'tcp' | 'tls' | 'channel' | 'none'
  /** What the transport negotiated. */
  readonly negotiated: string
  /** True when the answer came from a default server after the rule's servers failed. */
  readonly fallback: boolean
  /** One line: why this answer may be handed to the application. */
  readonly verdict: string
}

/** Options of {@link createStubClient}. */
export interface StubClientOptions {
  /** The table: compiled, or the raw JSON value. */
  nrpt: CompiledNrpt | unknown
  /** Ask these servers instead of the rule's (the rule's DNSSEC and channel policy still apply). */
  servers?: readonly string[]
  /** Per-server timeout, overriding the table's global.timeoutMs. */
  timeoutMs?: number
  /** Clock for certificate validity on the channel (tests inject one). */
  now?: () => Date
}

/** What {@link StubClient.lookup} returns. */
export interface LookupResult {
  /** IPv6 first, then IPv4, in answer order. */
  readonly addresses: readonly { readonly address: string; readonly family: 4 | 6 }[]
  /** The queries sent (or answered locally), one result each. */
  readonly results: readonly ResolveResult[]
  /** The record types the query policy chose. */
  readonly asked: readonly ('A' | 'AAAA')[]
}

/** Options of one `resolve`. */
export interface ResolveOptions {
  /** Set CD (RFC 4035 §3.2.2): ask the server not to validate. Refused under a rule requiring validation. */
  checkingDisabled?: boolean
}

/** The application-facing client. */
export interface StubClient {
  /** The table in use. */
  readonly nrpt: CompiledNrpt
  /**
   * Resolve `name`/`type` under the NRPT.
   * @throws {ClientError} ERR_CLIENT_NOT_VALIDATED, ERR_CLIENT_SERVFAIL, ERR_CLIENT_CHANNEL_REFUSED,
   *   ERR_CLIENT_INSECURE_TRANSPORT, ERR_CLIENT_TIMEOUT, ERR_CLIENT_UNREACHABLE, ERR_CLIENT_BAD_QUERY, …
   */
  resolve(name: string | Name, type?: string | number, opts?: ResolveOptions): Promise<ResolveResult>
  /**
   * The addresses of a name, as getaddrinfo would give them, under the global query policy:
   * `Disable` asks what `family` says (0: both), `QueryBoth` always asks A and AAAA for
   * names a rule sends to its servers, `QueryIPv6Only` only AAAA for those names.
   * @param name the host name
   * @param family 4, 6, or 0 for both (default)
   * @throws {ClientError} as {@link StubClient.resolve}, when any query the policy sends is refused
   */
  lookup(name: string | Name, family?: 0 | 4 | 6): Promise<LookupResult>
  /** The rule that applies to a name, and why. */
  explain(name: string | Name): NrptMatch
  /** Close every connection. */
  close(): Promise<void>
}

const POLICY_FAILURES = new Set(['ERR_CLIENT_NOT_VALIDATED', 'ERR_CLIENT_SERVFAIL', 'ERR_CLIENT_CHANNEL_REFUSED', 'ERR_CLIENT_INSECURE_TRANSPORT', 'ERR_CLIENT_NO_DNSSEC'])
const TRANSPORT_FAILURES = new Set(['ERR_CLIENT_TIMEOUT', 'ERR_CLIENT_UNREACHABLE', 'ERR_CLIENT_BAD_RESPONSE'])

/** True for the codes that mean "policy refused the answer" (exit code 1 in the CLI, SERVFAIL in `client serve`). */
export function isPolicyRefusal(e: unknown): e is ClientError {
  return e instanceof ClientError && POLICY_FAILURES.has(e.code)
}

function isPrivateHost(host: string): boolean {
  const v = isIP(host)
  if (v === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number]
    // RFC 1918 private ranges, loopback (RFC 1122) and link-local (RFC 3927).
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)
  }
  if (v === 6) {
    const h = host.toLowerCase()
    // ::1, unique local fc00::/7 (RFC 4193), link-local fe80::/10.
    return h === '::1' || /^f[cd]/.test(h) || /^fe[89ab]/.test(h)
  }
  return host === 'localhost'
}

function readPem(value: string, baseDir: string, what: string): string {
  if (value.includes('-----BEGIN')) return value
  const path = resolvePath(baseDir, value)
  try {
    return readFileSync(path, 'utf8')
  } catch (e) {
    throw new ClientError('ERR_CLIENT_NRPT_FILE', `cannot read the ${what} ${path}: ${(e as Error).message}`, { cause: e })
  }
}

/**
 * A CRL of an NRPT rule: PEM text, or a file (PEM or DER) read again when its mtime or size
 * changes. A CRL that cannot be read or parsed fails the query: a revocation list that was
 * asked for is never silently dropped.
 */
function crlReader(value: string, baseDir: string): () => string {
  if (value.includes('-----BEGIN')) {
    try { parseCrl(value) } catch (e) { throw new ClientError('ERR_CLIENT_NRPT_FILE', `the CRL text of the rule is not a CRL: ${(e as Error).message}`, { cause: e }) }
    return () => value
  }
  const path = resolvePath(baseDir, value)
  let stamp = ''
  let pem = ''
  return () => {
    try {
      const st = statSync(path)
      const now = `${st.mtimeMs}:${st.size}:${st.ino}`
      if (now !== stamp) {
        pem = crlFileToPem(readFileSync(path))
        stamp = now
      }
      return pem
    } catch (e) {
      throw new ClientError('ERR_CLIENT_NRPT_FILE', `cannot read the CRL ${path}: ${(e as Error).message}`, { cause: e })
    }
  }
}

function toName(name: string | Name): Name {
  if (typeof name !== 'string') return name
  try {
    return Name.fromString(name.endsWith('.') ? name : `${name}.`)
  } catch (e) {
    throw new ClientError('ERR_CLIENT_BAD_QUERY', `"${name}" is not a valid domain name: ${(e as Error).message}`, { cause: e })
  }
}

function toType(type: string | number): number {
  if (typeof type === 'number') {
    if (!Number.isInteger(type) || type < 0 || type > 0xffff) throw new ClientError('ERR_CLIENT_BAD_QUERY', `query type ${type} is not 0..65535`)
    return type
  }
  try {
    return rrTypeFromString(type.toUpperCase())
  } catch (e) {
    throw new ClientError('ERR_CLIENT_BAD_QUERY', `"${type}" is not a record type`, { cause: e })
  }
}

function edesOf(m: Message): ExtendedError[] {
  const out: ExtendedError[] = []
  for (const o of m.edns?.options ?? []) {
    if (o.code === EdnsOption.EDE) {
      try { out.push(parseEdeOption(o)) } catch { /* malformed EDE: ignore it, the rcode still speaks */ }
    }
  }
  return out
}

function edeText(e: readonly ExtendedError[]): string {
  return e.length === 0 ? '' : ` (EDE ${e.map((x) => `${x.infoCode}${x.extraText === '' ? '' : ` "${x.extraText}"`}`).join(', ')})`
}

/**
 * Create a stub client over an NRPT.
 *
 * @param opts the table (compiled or raw JSON), optional server override and timeout
 * @throws {ClientError} ERR_CLIENT_NRPT_INVALID for a raw table that does not validate
 * @example
 * const client = createStubClient({ nrpt: await loadNrpt('/etc/secdns/nrpt.json') })
 * const r = await client.resolve('www.corp.example', 'A')
 * console.log(r.ad, r.negotiated, r.answer.map(rrToText))
 * await client.close()
 */
export function createStubClient(opts: StubClientOptions): StubClient {
  const nrpt = isCompiled(opts.nrpt) ? opts.nrpt : compileNrpt(opts.nrpt)
  const overrideServers = opts.servers?.map((s) => parseServerAddress(s))
  const timeoutMs = opts.timeoutMs ?? nrpt.table.global.timeoutMs
  const transports = new Map<string, Transport>()
  const pemCache = new Map<string, string>()
  let closed = false

  const pem = (value: string, what: string): string => {
    let v = pemCache.get(value)
    if (v === undefined) { v = readPem(value, nrpt.baseDir, what); pemCache.set(value, v) }
    return v
  }

  const identityOf = (entry: ClientIdentityEntry | undefined): ChannelIdentity | undefined => {
    if (entry === undefined) return undefined
    const id: ChannelIdentity = { certPem: pem(entry.certificate, 'client certificate'), keyPem: pem(entry.privateKey, 'client private key') }
    if (entry.chain !== undefined) id.chainPem = pem(entry.chain, 'client certificate chain')
    return id
  }

  // Certificates and keys are read only when a transport needs them: a plain-UDP rule
  // never fails because a channel rule's file is missing.
  const securityOf = (rule: CompiledRule | undefined, server: ServerAddress): TransportSecurity => {
    const r = rule?.rule
    const base: TransportSecurity = { cas: [], encryption: r?.encryption ?? 'None', ...(opts.now !== undefined ? { now: opts.now } : {}) }
    if (server.kind === 'udp' || server.kind === 'tcp') return base
    const crls = (r?.crl ?? []).map((c) => crlReader(c, nrpt.baseDir))
    const sec: TransportSecurity = {
      ...base, cas: (r?.trustAuthority ?? []).map((t) => pem(t, 'trust authority certificate')),
      ...(crls.length > 0 ? { crls: () => crls.map((read) => read()) } : {}),
    }
    if (!isChannel(server.kind)) return sec
    const id = identityOf(r?.clientCertificate ?? nrpt.table.global.clientCertificate)
    return id === undefined ? sec : { ...sec, identity: id }
  }

  const transportFor = (server: ServerAddress, rule: CompiledRule | undefined): Transport => {
    // One transport per server and security context: a connection made under one rule's
    // trust authority is never reused for a rule that names another.
    const key = `${server.url}|${server.serverName ?? ''}|${rule === undefined ? '-' : `rule:${rule.index}`}`
    let t = transports.get(key)
    if (t === undefined) { t = createTransport(server, securityOf(rule, server)); transports.set(key, t) }
    return t
  }

  async function resolve(nameIn: string | Name, typeIn: string | number = 'A', ro: ResolveOptions = {}): Promise<ResolveResult> {
    if (closed) throw new ClientError('ERR_CLIENT_CLOSED', 'the client is closed')
    const name = toName(nameIn)
    const type = toType(typeIn)
    const match = matchNrpt(nrpt, name)
    const rule = match.rule !== undefined && !match.rule.exempt ? match.rule : undefined
    const r = rule?.rule
    const policy: AppliedPolicy = {
      rule: match.rule?.rule.name, namespace: match.namespace?.text, reason: match.reason, exempt: match.rule?.exempt ?? false,
      dnsSecEnable: r?.dnsSecEnable ?? false, dnsSecValidationRequired: r?.dnsSecValidationRequired ?? false,
      secureChannelRequired: r?.secureChannelRequired ?? false, encryption: r?.encryption ?? 'None',
    }
    if (policy.dnsSecValidationRequired && ro.checkingDisabled === true) {
      throw new ClientError('ERR_CLIENT_BAD_QUERY', `rule "${policy.rule}" requires validation; CD (checking disabled) is not allowed for ${name.toString()}`)
    }
    const qpolicy = nrpt.table.global.queryPolicy
    const query = createQuery(name, type, { id: randomInt(0, 65536), dnssecOk: policy.dnsSecEnable, cd: ro.checkingDisabled ?? false })
    // QueryIPv6Only (DirectAccess): names a rule sends to its servers are reached over IPv6
    // only, so an A query is answered here with NODATA and never sent.
    if (qpolicy === 'QueryIPv6Only' && rule !== undefined && type === RRType.A) {
      const message: Message = { ...query, flags: { ...query.flags, qr: true, ra: true }, answer: [], authority: [], additional: [] }
      return {
        name: name.toString(), type, rcode: 0, rcodeName: 'NOERROR', ad: false, answer: [], authority: [], additional: [], ede: [], message, policy,
        server: '(none)', transport: 'none', negotiated: 'not sent: query policy QueryIPv6Only', fallback: false,
        verdict: `A query not sent: global query policy QueryIPv6Only applies to rule "${policy.rule}"`,
      }
    }
    let servers: readonly ServerAddress[] = overrideServers ?? (rule !== undefined ? rule.servers : nrpt.defaultServers)
    if (servers.length === 0) servers = resolvConfServers()
    if (servers.length === 0) throw new ClientError('ERR_CLIENT_NO_SERVER', `no name server for ${name.toString()}: the rule lists none and no default servers are set`)
    const wire = encodeMessage(query)
    const errors: ClientError[] = []
    const attempt = async (list: readonly ServerAddress[], fallback: boolean): Promise<ResolveResult | undefined> => {
      for (const server of list) {
        // A rule that requires a secure channel never talks to a server in plaintext.
        if (policy.secureChannelRequired && !isChannel(server.kind)) {
          errors.push(new ClientError('ERR_CLIENT_INSECURE_TRANSPORT', `rule "${policy.rule}" requires a secure channel; ${server.text} is plain ${server.kind.toUpperCase()}`))
          continue
        }
        try {
          const x = await transportFor(server, rule).exchange(wire, timeoutMs)
          let answer: Message
          try {
            answer = decodeMessage(x.wire)
          } catch (e) {
            throw new ClientError('ERR_CLIENT_BAD_RESPONSE', `answer from ${server.text} does not decode: ${(e as Error).message}`, { cause: e })
          }
          checkAnswer(answer, query, server)
          return judge(answer, server, x.transport, x.negotiated, fallback)
        } catch (e) {
          if (!(e instanceof ClientError)) throw e
          if (TRANSPORT_FAILURES.has(e.code) || e.code === 'ERR_CLIENT_CHANNEL_REFUSED') { errors.push(e); continue }
          throw e
        }
      }
      return undefined
    }

    const judge = (answer: Message, server: ServerAddress, transport: ResolveResult['transport'], negotiated: string, fallback: boolean): ResolveResult => {
      const ede = edesOf(answer)
      const via = `${server.text} (${negotiated})`
      let verdict: string
      if (policy.dnsSecValidationRequired) {
        // RFC 4035 §3.2.3 / RFC 6840 §5.8: a security-aware stub that trusts its server's
        // validation takes AD as the proof; without it the data is not handed over.
        if (answer.rcode === 2) {
          throw new ClientError('ERR_CLIENT_SERVFAIL', `rule "${policy.rule}" requires validation and ${via} answered SERVFAIL for ${name.toString()} ${typeName(type)}${edeText(ede)}`)
        }
        if (answer.edns === undefined) {
          throw new ClientError('ERR_CLIENT_NO_DNSSEC', `rule "${policy.rule}" requires validation and ${via} answered without EDNS(0), so it cannot have validated (RFC 3225)`)
        }
        if (!answer.flags.ad) {
          throw new ClientError('ERR_CLIENT_NOT_VALIDATED', `rule "${policy.rule}" requires validation and the answer from ${via} for ${name.toString()} ${typeName(type)} has AD clear (not validated)${edeText(ede)}`)
        }
        verdict = `validated: AD set, as rule "${policy.rule}" requires`
      } else if (rule === undefined) {
        verdict = match.rule?.exempt === true ? `exempt by rule "${policy.rule}": plain DNS, no DNSSEC policy` : 'no NRPT rule: plain DNS, no DNSSEC policy'
      } else {
        verdict = `rule "${policy.rule}" does not require validation: AD ${answer.flags.ad ? 'set' : 'clear'}, answer passed on`
      }
      if (fallback) verdict += `; answered by default server after the rule's servers failed (${nrpt.table.global.secureNameQueryFallback})`
      return {
        name: name.toString(), type, rcode: answer.rcode, rcodeName: rcodeToString(answer.rcode), ad: answer.flags.ad,
        answer: answer.answer, authority: answer.authority, additional: answer.additional, ede, message: answer, policy,
        server: server.text, transport, negotiated, fallback, verdict,
      }
    }

    const first = await attempt(servers, false)
    if (first !== undefined) return first
    // Fallback only after the rule's own servers could not be reached; a refusal on policy
    // grounds (certificate, encryption, plaintext) is never "fixed" by asking someone else.
    const fb = nrpt.table.global.secureNameQueryFallback
    const onlyTransport = errors.every((e) => TRANSPORT_FAILURES.has(e.code))
    if (rule !== undefined && overrideServers === undefined && fb !== 'Disable' && onlyTransport) {
      const candidates = nrpt.defaultServers.filter((s) => {
        if (fb === 'FallbackSecure') return s.kind === 'tls' || isChannel(s.kind)
        if (fb === 'FallbackPrivate') return isPrivateHost(s.host)
        return true
      })
      const second = await attempt(candidates, true)
      if (second !== undefined) return second
    }
    throw pickError(errors, name, servers)
  }

  return {
    nrpt,
    resolve,
    async lookup(nameIn, family = 0) {
      const name = toName(nameIn)
      const m = matchNrpt(nrpt, name)
      const governed = m.rule !== undefined && !m.rule.exempt
      const policy = nrpt.table.global.queryPolicy
      let asked: ('A' | 'AAAA')[]
      if (governed && policy === 'QueryIPv6Only') asked = ['AAAA']
      else if (governed && policy === 'QueryBoth') asked = ['AAAA', 'A']
      else asked = family === 4 ? ['A'] : family === 6 ? ['AAAA'] : ['AAAA', 'A']
      const results = await Promise.all(asked.map((t) => resolve(name, t)))
      const addresses: { address: string; family: 4 | 6 }[] = []
      for (const r of results) {
        for (const rr of r.answer) {
          if (rr.data.type === RRType.AAAA) addresses.push({ address: (rr.data as { address: string }).address, family: 6 })
          else if (rr.data.type === RRType.A) addresses.push({ address: (rr.data as { address: string }).address, family: 4 })
        }
      }
      return { addresses, results, asked }
    },
    explain: (n) => matchNrpt(nrpt, toName(n)),
    async close() {
      closed = true
      const all = [...transports.values()]
      transports.clear()
      await Promise.all(all.map((t) => t.close().catch(() => undefined)))
    },
  }
}

function typeName(t: number): string {
  const e = Object.entries(RRType).find(([, v]) => v === t)
  return e?.[0] ?? `TYPE${t}`
}

function checkAnswer(answer: Message, query: Message, server: ServerAddress): void {
  const q = query.question[0]!
  const a = answer.question[0]
  // RFC 5452 §4.1: the answer must echo the ID and the question we asked.
  if (!answer.flags.qr || answer.id !== query.id || a === undefined || !a.name.equals(q.name) || a.type !== q.type || a.class !== q.class) {
    throw new ClientError('ERR_CLIENT_BAD_RESPONSE', `answer from ${server.text} does not match the query (id ${answer.id}, question ${a === undefined ? 'none' : `${a.name.toString()} ${a.type}`})`)
  }
}

function pickError(errors: ClientError[], name: Name, servers: readonly ServerAddress[]): ClientError {
  // The most telling failure first: a refusal says more than a timeout.
  const order = ['ERR_CLIENT_CHANNEL_REFUSED', 'ERR_CLIENT_INSECURE_TRANSPORT', 'ERR_CLIENT_BAD_RESPONSE', 'ERR_CLIENT_UNREACHABLE', 'ERR_CLIENT_TIMEOUT']
  for (const code of order) {
    const e = errors.find((x) => x.code === code)
    if (e !== undefined) return errors.length === 1 ? e : new ClientError(e.code, `${e.message} (${errors.length} attempts: ${errors.map((x) => x.code).join(', ')})`, { cause: e.cause })
  }
  return new ClientError('ERR_CLIENT_NO_SERVER', `no usable name server for ${name.toString()} among ${servers.map((s) => s.text).join(', ')}`)
}

function isCompiled(x: unknown): x is CompiledNrpt {
  return typeof x === 'object' && x !== null && Array.isArray((x as CompiledNrpt).rules) && typeof (x as CompiledNrpt).baseDir === 'string' && 'table' in x
}

/** The system's name servers (/etc/resolv.conf) as udp:// addresses, when the NRPT sets no defaults. */
function resolvConfServers(): ServerAddress[] {
  let text: string
  try { text = readFileSync('/etc/resolv.conf', 'utf8') } catch { return [] }
  const out: ServerAddress[] = []
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line)
    if (m === null) continue
    const h = m[1]!.replace(/%.*$/, '')
    try { out.push(parseServerAddress(isIP(h) === 6 ? `udp://[${h}]` : `udp://${h}`)) } catch { /* skip what we cannot parse */ }
  }
  return out
}
