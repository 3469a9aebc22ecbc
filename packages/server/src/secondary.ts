/**
 * Secondary zones: SOA refresh, retry and expire timers (RFC 1034 §4.3.5), IXFR or AXFR
 * from the primaries in turn, the transferred zone checked before it replaces the old
 * one and kept on disk; a NOTIFY (RFC 1996) triggers a refresh at once.
 */
import { statSync } from 'node:fs'
import { Name, RRType, rrToText, type ResourceRecord, type Soa } from '@secdns/wire'
import { Zone, checkZone } from '@secdns/zone'
import type { ZoneConfig } from './config.js'
import { ServerError } from './errors.js'
import type { DnsServer } from './server.js'
import { querySoa, serialNewer, transferIn, type PrimaryServer, type TransferResult } from './xfr_in.js'

type SecondaryConfig = Extract<ZoneConfig, { type: 'secondary' }>

/** Shortest refresh or retry timer we set, whatever the SOA says (seconds). */
export const MIN_REFRESH_S = 1
/** Longest timer we set (seconds); also keeps setTimeout below its 2^31 ms limit. */
export const MAX_TIMER_S = 86400 * 7

interface Entry {
  readonly config: SecondaryConfig
  readonly origin: Name
  timer?: NodeJS.Timeout
  running?: Promise<void>
  /** Last successful refresh (ms); the zone file's mtime after a restart. */
  lastOk?: number
  /** Last error, for status. */
  lastError?: string
}

/** Build the zone that a transfer result describes. */
export function zoneFromTransfer(origin: Name, result: Exclude<TransferResult, { kind: 'uptodate' }>, current: Zone | undefined): Zone {
  const zone = new Zone(origin)
  if (result.kind === 'axfr') {
    for (const rr of result.records) zone.add(rr)
    return zone
  }
  if (current === undefined) throw new ServerError('ERR_SERVER_ZONE_LOAD', `IXFR for ${origin.toString()} without a zone to apply it to`)
  const key = (rr: ResourceRecord): string => rrToText({ ...rr, ttl: 0 }).toLowerCase()
  const records = new Map<string, ResourceRecord>()
  for (const rr of current.records()) if (rr.data.type !== RRType.SOA) records.set(key(rr), rr)
  let serial = current.soa?.data.serial
  for (const d of result.diffs) {
    // RFC 1995 §4: each difference starts from the serial the previous one reached.
    if (d.fromSerial !== serial) throw new ServerError('ERR_SERVER_ZONE_LOAD', `IXFR for ${origin.toString()}: a difference starts at serial ${d.fromSerial}, we hold ${serial}`)
    for (const rr of d.deleted) records.delete(key(rr))
    for (const rr of d.added) records.set(key(rr), rr)
    serial = d.toSerial
  }
  zone.add(result.soa)
  for (const rr of records.values()) zone.add(rr)
  return zone
}

/**
 * Keeps the secondary zones of a server fresh.
 *
 * @example
 * const engine = new SecondaryEngine(server, keys)
 * engine.start()   // first refresh at once, then on the SOA timers
 */
export class SecondaryEngine {
  readonly #server: DnsServer
  readonly #entries = new Map<string, Entry>()
  #stopped = false

  /**
   * @param server the server whose secondary zones to keep
   * @param zones the secondary zone configurations
   */
  constructor(server: DnsServer, zones: readonly SecondaryConfig[]) {
    this.#server = server
    for (const z of zones) {
      const e: Entry = { config: z, origin: Name.fromString(z.name.endsWith('.') ? z.name : z.name + '.') }
      try { e.lastOk = statSync(z.file).mtimeMs } catch { /* no copy on disk yet */ }
      this.#entries.set(e.origin.hashKey(), e)
    }
  }

  /** Start refreshing every zone now. */
  start(): void {
    for (const e of this.#entries.values()) this.#schedule(e, 0)
  }

  /** Stop all timers; a transfer in flight is awaited. */
  async stop(): Promise<void> {
    this.#stopped = true
    for (const e of this.#entries.values()) if (e.timer) clearTimeout(e.timer)
    await Promise.allSettled([...this.#entries.values()].map((e) => e.running))
  }

  /**
   * Refresh a zone now (NOTIFY received, or an operator asked).
   * @param name the zone
   * @returns the refresh in progress
   */
  refreshNow(name: string): Promise<void> {
    const e = this.#entries.get(Name.fromString(name.endsWith('.') ? name : name + '.').hashKey())
    if (e === undefined) return Promise.reject(new ServerError('ERR_SERVER_UNKNOWN_ZONE', `zone ${name} is not a secondary here`))
    if (e.timer) clearTimeout(e.timer)
    return this.#run(e)
  }

  /** The last error of each zone that has one. */
  errors(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const e of this.#entries.values()) if (e.lastError) out[e.config.name] = e.lastError
    return out
  }

  #schedule(e: Entry, seconds: number): void {
    if (this.#stopped) return
    if (e.timer) clearTimeout(e.timer)
    const s = Math.min(Math.max(seconds, 0), MAX_TIMER_S)
    e.timer = setTimeout(() => { void this.#run(e) }, s * 1000)
    e.timer.unref()
  }

  #run(e: Entry): Promise<void> {
    e.running ??= this.#refresh(e).finally(() => { e.running = undefined })
    return e.running
  }

  async #refresh(e: Entry): Promise<void> {
    const server = this.#server
    const served = server.zones.get(e.origin)
    const held = served?.zone.soa?.data as Soa | undefined
    const now = (): number => Math.floor(Date.now() / 1000)
    const errors: string[] = []
    for (const text of e.config.primaries) {
      const p = primaryOf(text, e.config.tsigKey !== undefined ? server.tsigKeys.get(e.config.tsigKey.toLowerCase().replace(/\.$/, '')) : undefined)
      try {
        const soa = await querySoa(p, e.origin, now())
        const serial = (soa.data as Soa).serial
        if (held === undefined || serialNewer(serial, held.serial)) {
          const result = await transferIn(p, e.origin, served?.zone.soa, now())
          if (result.kind !== 'uptodate') {
            const zone = zoneFromTransfer(e.origin, result, served?.zone)
            // The transferred zone is checked before it replaces the one served.
            const check = checkZone(zone, `${e.config.name} from ${text}`)
            if (check.errors.length > 0) throw new ServerError('ERR_SERVER_ZONE_LOAD', `transferred zone does not check: ${check.errors[0]!.message}`)
            server.installSecondary(e.config.name, zone)
            server.log.info({ zone: e.config.name, primary: text, serial: zone.soa?.data.serial, kind: result.kind }, 'zone transferred in')
          }
        }
        e.lastOk = Date.now()
        e.lastError = undefined
        const cur = (server.zones.get(e.origin)?.zone.soa?.data as Soa | undefined) ?? (soa.data as Soa)
        this.#schedule(e, Math.max(MIN_REFRESH_S, cur.refresh))
        return
      } catch (err) {
        errors.push(`${text}: ${(err as Error).message}`)
      }
    }
    e.lastError = errors.join('; ')
    server.log.warn({ zone: e.config.name, err: e.lastError }, 'refresh failed')
    const soa = held
    // RFC 1034 §4.3.5: past EXPIRE without a successful refresh, the zone is no longer served.
    if (soa !== undefined && e.lastOk !== undefined && Date.now() - e.lastOk > soa.expire * 1000) {
      server.expireSecondary(e.config.name)
      server.log.error({ zone: e.config.name }, 'zone expired: no successful refresh within the SOA expire time')
    }
    this.#schedule(e, Math.max(MIN_REFRESH_S, soa?.retry ?? 60))
  }
}

function primaryOf(text: string, key: PrimaryServer['key']): PrimaryServer {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  let host = text, port = 53
  if (m) { host = m[1]!; port = m[2] ? Number(m[2]) : 53 } else {
    const i = text.lastIndexOf(':')
    if (i > 0 && text.indexOf(':') === i) { host = text.slice(0, i); port = Number(text.slice(i + 1)) }
  }
  return key === undefined ? { host, port } : { host, port, key }
}
