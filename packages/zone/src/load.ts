/**
 * Load a zone: read the master file into a {@link Zone}, then check it — what
 * named-checkzone does.
 */
import { Name } from '@secdns/wire'
import type { ZoneError, ZoneWarning } from './errors.js'
import { readZoneFileToZone, readZoneFileToZoneAsync, readZoneTextToZone, type ReadZoneOptions } from './reader.js'
import { Zone } from './zone.js'
import { checkZone } from './checks.js'

/** The outcome of {@link loadZoneFile}: the zone, and every error and warning. */
export interface LoadZoneResult {
  readonly zone: Zone
  /** Reading errors, then content errors; empty when the zone may be served. */
  readonly errors: ZoneError[]
  readonly warnings: ZoneWarning[]
}

function originOf(o: Name | string): Name {
  return typeof o === 'string' ? Name.fromString(o.endsWith('.') ? o : o + '.') : o
}

/**
 * Read and check a zone file.
 *
 * Content checks run only when the file read without errors (as named-checkzone: a file
 * that does not parse is not checked further).
 *
 * @param path the master file
 * @param options origin (apex), class, default TTL, error cap
 * @throws {ZoneError} `ERR_ZONE_FILE` when the file cannot be opened
 * @example
 * const { zone, errors } = loadZoneFile('docs/examples/example.test.zone', { origin: 'example.test' })
 * if (errors.length === 0) console.log(zone.soa?.data.serial)
 */
export function loadZoneFile(path: string, options: ReadZoneOptions): LoadZoneResult {
  const zone = new Zone(originOf(options.origin), options.zoneClass ?? 1)
  const r = readZoneFileToZone(path, options, zone)
  return finish(zone, r.errors, r.warnings, path)
}

/**
 * {@link loadZoneFile} without blocking the event loop while reading (the checks that
 * follow are synchronous and fast).
 *
 * @param path the master file
 * @param options as {@link loadZoneFile}
 * @throws {ZoneError} `ERR_ZONE_FILE` when the file cannot be opened
 * @example
 * const { zone, errors } = await loadZoneFileAsync('db.example', { origin: 'example.test' })
 */
export async function loadZoneFileAsync(path: string, options: ReadZoneOptions): Promise<LoadZoneResult> {
  const zone = new Zone(originOf(options.origin), options.zoneClass ?? 1)
  const r = await readZoneFileToZoneAsync(path, options, zone)
  return finish(zone, r.errors, r.warnings, path)
}

/**
 * Read and check zone text held in memory.
 *
 * @param text master-file text
 * @param options as {@link loadZoneFile}, plus `file` for locations
 */
export function loadZoneText(text: string, options: ReadZoneOptions & { readonly file?: string }): LoadZoneResult {
  const zone = new Zone(originOf(options.origin), options.zoneClass ?? 1)
  const r = readZoneTextToZone(text, options, zone)
  return finish(zone, r.errors, r.warnings, options.file ?? '<text>')
}

function finish(zone: Zone, errors: ZoneError[], warnings: ZoneWarning[], file: string): LoadZoneResult {
  zone.finalize()
  if (errors.length > 0) return { zone, errors, warnings: [...warnings, ...zone.warnings] }
  const c = checkZone(zone, file)
  return { zone, errors: c.errors, warnings: [...warnings, ...c.warnings] }
}
