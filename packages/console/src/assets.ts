/**
 * The console's files, read once into memory for the admin listener to serve: the static
 * HTML and CSS of `static/`, and the browser modules tsc compiled from `src/web/`.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'

/** Where the console lives on the admin listener. */
export const CONSOLE_PREFIX = '/console/'

/** One file to serve. */
export interface ConsoleAsset {
  readonly body: Buffer
  readonly contentType: string
  /** Strong validator for If-None-Match. */
  readonly etag: string
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
}

function add(out: Map<string, ConsoleAsset>, dir: URL, prefix: string): void {
  const path = fileURLToPath(dir)
  for (const f of readdirSync(path)) {
    const ext = f.slice(f.lastIndexOf('.'))
    const contentType = TYPES[ext]
    if (contentType === undefined) continue
    const body = readFileSync(`${path}/${f}`)
    out.set(prefix + f, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
  }
}

/**
 * Read every console file: `static/x.html` is served as `x.html`, a compiled module
 * `dist/src/web/y.js` as `y.js` (names relative to {@link CONSOLE_PREFIX}).
 * @throws Error when the package is not built (no dist/src/web)
 * @example
 * const assets = loadConsoleAssets()
 * assets.get('index.html')?.contentType // 'text/html; charset=utf-8'
 */
export function loadConsoleAssets(): Map<string, ConsoleAsset> {
  const out = new Map<string, ConsoleAsset>()
  // This file is dist/src/assets.js: static/ is two levels up, the browser modules beside it.
  add(out, new URL('../../static/', import.meta.url), '')
  add(out, new URL('./web/', import.meta.url), '')
  return out
}
