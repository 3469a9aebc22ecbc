/**
 * Zone transfers in: the SOA check, then IXFR (RFC 1995) or AXFR (RFC 5936) over TCP,
 * TSIG-signed when a key is configured, every message's TSIG checked.
 */
import { connect } from 'node:net'
import { NO_FLAGS, Name, Opcode, RRType, Rcode, TcpFrameReader, decodeMessage, encodeMessage, frameTcp, rcodeToString, type Message, type ResourceRecord, type Soa } from '@secdns/wire'
import { createSocket } from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { ServerError } from './errors.js'
import { TsigStreamVerifier, findTsig, signTsig, verifyTsig, type TsigKey } from './tsig.js'

/** Where to transfer from. */
export interface PrimaryServer {
  readonly host: string
  readonly port: number
  readonly key?: TsigKey
}

/** One IXFR version step. */
export interface IxfrDiff {
  readonly fromSerial: number
  readonly toSerial: number
  readonly deleted: ResourceRecord[]
  readonly added: ResourceRecord[]
}

/** What a transfer brought. */
export type TransferResult =
  | { readonly kind: 'axfr', readonly soa: ResourceRecord, readonly records: ResourceRecord[] }
  | { readonly kind: 'ixfr', readonly soa: ResourceRecord, readonly diffs: IxfrDiff[] }
  | { readonly kind: 'uptodate', readonly soa: ResourceRecord }

/** RFC 1982 §3.2: true when serial `b` is newer than `a`. */
export function serialNewer(b: number, a: number): boolean {
  const d = (b - a) >>> 0
  return d !== 0 && d < 0x80000000
}

function query(zone: Name, type: number, authority: ResourceRecord[] = []): Message {
  return {
    id: randomBytes(2).readUInt16BE(0), flags: { ...NO_FLAGS }, opcode: Opcode.QUERY, rcode: 0,
    question: [{ name: zone, type, class: 1 }], answer: [], authority, additional: [],
  }
}

function sign(m: Message, key: TsigKey | undefined, now: number): { bytes: Uint8Array, mac?: Uint8Array } {
  const bytes = encodeMessage(m)
  if (key === undefined) return { bytes }
  return signTsig(bytes, key, { now })
}

/**
 * Ask a primary for the zone's SOA over UDP.
 * @param p the primary
 * @param zone the zone apex
 * @param now seconds since the epoch
 * @param timeoutMs how long to wait
 * @throws {ServerError} ERR_SERVER_ZONE_LOAD (no answer, error rcode, bad TSIG)
 */
export function querySoa(p: PrimaryServer, zone: Name, now: number, timeoutMs = 3000): Promise<ResourceRecord> {
  const q = query(zone, RRType.SOA)
  const { bytes, mac } = sign(q, p.key, now)
  return new Promise((resolve, reject) => {
    const s = createSocket(p.host.includes(':') ? 'udp6' : 'udp4')
    const t = setTimeout(() => { s.close(); reject(new ServerError('ERR_SERVER_ZONE_LOAD', `no SOA answer from ${p.host}:${p.port} in ${timeoutMs} ms`)) }, timeoutMs)
    s.on('error', (e) => { clearTimeout(t); s.close(); reject(new ServerError('ERR_SERVER_ZONE_LOAD', `SOA query to ${p.host}:${p.port}: ${e.message}`, { cause: e })) })
    s.on('message', (buf) => {
      try {
        const r = decodeMessage(buf)
        if (r.id !== q.id || !r.flags.qr) return
        clearTimeout(t)
        s.close()
        if (p.key !== undefined) {
          const f = findTsig(buf)
          const check = f === null ? undefined : verifyTsig(buf, f, new Map([[p.key.name.toString().toLowerCase().replace(/\.$/, ''), p.key]]), now, mac)
          if (check === undefined || !check.ok) throw new ServerError('ERR_TSIG_BAD_SIG', `SOA answer from ${p.host}:${p.port} is not signed with ${p.key.name.toString()}`)
        }
        const soa = r.answer.find((x) => x.data.type === RRType.SOA && x.name.equals(zone))
        if (r.rcode !== 0 || soa === undefined) throw new ServerError('ERR_SERVER_ZONE_LOAD', `SOA query to ${p.host}:${p.port} answered ${rcodeToString(r.rcode)} without a SOA`)
        resolve(soa)
      } catch (e) {
        reject(e)
      }
    })
    s.send(bytes, p.port, p.host)
  })
}

/**
 * Transfer a zone over TCP. With `current` an IXFR is asked for; the primary may
 * answer with a full zone instead (RFC 1995 §4), which is handled as an AXFR.
 * @param p the primary
 * @param zone the zone apex
 * @param current the SOA we hold, if any
 * @param now seconds since the epoch
 * @param timeoutMs overall limit
 * @throws {ServerError} ERR_SERVER_ZONE_LOAD, ERR_TSIG_*
 */
export function transferIn(p: PrimaryServer, zone: Name, current: ResourceRecord | undefined, now: number, timeoutMs = 60000): Promise<TransferResult> {
  const q = current === undefined ? query(zone, RRType.AXFR) : query(zone, RRType.IXFR, [current])
  const { bytes, mac } = sign(q, p.key, now)
  const verifier = p.key !== undefined && mac !== undefined ? new TsigStreamVerifier(p.key, mac) : undefined
  return new Promise((resolve, reject) => {
    const records: ResourceRecord[] = []
    const frames = new TcpFrameReader()
    const sock = connect(p.port, p.host, () => sock.write(frameTcp(bytes)))
    let done = false
    const fail = (e: unknown): void => {
      if (done) return
      done = true
      sock.destroy()
      reject(e instanceof ServerError ? e : new ServerError('ERR_SERVER_ZONE_LOAD', `transfer of ${zone.toString()} from ${p.host}:${p.port}: ${(e as Error).message}`, { cause: e }))
    }
    const timer = setTimeout(() => fail(new Error(`no complete transfer within ${timeoutMs} ms`)), timeoutMs)
    sock.on('error', fail)
    sock.on('close', () => { clearTimeout(timer); if (!done) fail(new Error('connection closed before the transfer ended')) })
    sock.on('data', (chunk) => {
      try {
        for (const m of frames.push(chunk)) {
          verifier?.push(m, Math.floor(Date.now() / 1000))
          const r = decodeMessage(m)
          if (r.id !== q.id) throw new Error(`message ID ${r.id} is not the query's ${q.id}`)
          if (r.rcode !== Rcode.NOERROR) throw new Error(`the primary answered ${rcodeToString(r.rcode)}`)
          for (const rr of r.answer) if (rr.data.type !== RRType.TSIG) records.push(rr)
          const result = complete(records, current)
          if (result !== undefined) {
            verifier?.finish()
            done = true
            clearTimeout(timer)
            sock.end()
            resolve(result)
            return
          }
        }
      } catch (e) {
        fail(e)
      }
    })
  })
}

function serialOf(rr: ResourceRecord): number { return (rr.data as Soa).serial }

/** The transfer result once the records so far make a whole transfer, else undefined. */
function complete(rrs: readonly ResourceRecord[], current: ResourceRecord | undefined): TransferResult | undefined {
  const first = rrs[0]
  if (first === undefined) return undefined
  if (first.data.type !== RRType.SOA) throw new Error('the transfer does not start with a SOA')
  const s = serialOf(first)
  // RFC 1995 §2: a single SOA not newer than ours means we are up to date.
  if (rrs.length === 1 && current !== undefined && !serialNewer(s, serialOf(current))) return { kind: 'uptodate', soa: first }
  if (rrs.length < 2) return undefined
  const second = rrs[1]!
  if (current === undefined || second.data.type !== RRType.SOA || (rrs.length === 2 && serialOf(second) === s)) {
    // AXFR form (RFC 5936 §2.2): ends with the first SOA again.
    const last = rrs[rrs.length - 1]!
    if (rrs.length >= 2 && last.data.type === RRType.SOA && serialOf(last) === s) return { kind: 'axfr', soa: first, records: rrs.slice(0, -1) }
    return undefined
  }
  // IXFR form (RFC 1995 §4): SOA(new) [SOA(old) deleted… SOA(new') added…]… SOA(new)
  const diffs: IxfrDiff[] = []
  let i = 1
  while (i < rrs.length) {
    const from = rrs[i]!
    if (from.data.type !== RRType.SOA) throw new Error('IXFR: expected the SOA that opens a difference')
    if (serialOf(from) === s && diffs.length > 0 && diffs[diffs.length - 1]!.toSerial === s) return { kind: 'ixfr', soa: first, diffs }
    i++
    const deleted: ResourceRecord[] = []
    while (i < rrs.length && rrs[i]!.data.type !== RRType.SOA) deleted.push(rrs[i++]!)
    if (i >= rrs.length) return undefined
    const to = rrs[i++]!
    const added: ResourceRecord[] = []
    while (i < rrs.length && rrs[i]!.data.type !== RRType.SOA) added.push(rrs[i++]!)
    diffs.push({ fromSerial: serialOf(from), toSerial: serialOf(to), deleted, added })
    if (i >= rrs.length) return undefined
  }
  return undefined
}
