/**
 * The zone as master-file text: canonical order (RFC 4034 §6.1 owners, SOA first, then
 * types by number, RDATA by RFC 4034 §6.3), one record a line, fully qualified owners,
 * explicit TTL and class — what `named-compilezone -D` prints, so two dumps of the same
 * data are byte-identical and diff well.
 */
import { renameSync, openSync, writeSync, closeSync, fsyncSync, unlinkSync } from 'node:fs'
import { dirname, basename, join } from 'node:path'
import { rrToText } from '@secdns/wire'
import type { Zone } from './zone.js'

/**
 * The zone's records as text lines (no newlines), in canonical order.
 *
 * @example
 * for (const line of zoneLines(zone)) process.stdout.write(line + '\n')
 */
export function* zoneLines(zone: Zone): Generator<string> {
  for (const rr of zone.records()) yield rrToText(rr)
}

/**
 * The whole zone as text, one record a line, ending in a newline.
 *
 * @example
 * const text = zoneToText(zone)
 */
export function zoneToText(zone: Zone): string {
  const parts: string[] = []
  for (const line of zoneLines(zone)) parts.push(line)
  return parts.length === 0 ? '' : parts.join('\n') + '\n'
}

/**
 * Write the zone to a file atomically: a temporary file in the same directory, then
 * renamed over the target (readers never see half a zone).
 *
 * @param zone the zone
 * @param path the destination
 */
export function writeZoneFile(zone: Zone, path: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  const fd = openSync(tmp, 'w', 0o644)
  try {
    let buf: string[] = []
    let size = 0
    for (const line of zoneLines(zone)) {
      buf.push(line)
      size += line.length
      if (size > 1 << 20) { writeSync(fd, buf.join('\n') + '\n'); buf = []; size = 0 }
    }
    if (buf.length > 0) writeSync(fd, buf.join('\n') + '\n')
    fsyncSync(fd)
    closeSync(fd)
    renameSync(tmp, path)
  } catch (e) {
    try { closeSync(fd) } catch { /* already closed */ }
    try { unlinkSync(tmp) } catch { /* never created */ }
    throw e
  }
}

