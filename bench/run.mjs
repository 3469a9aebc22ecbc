#!/usr/bin/env node
// Runs every benchmark in bench/ one after the other (`npm run bench`, after `npm run build`),
// or only those named: `npm run bench -- wire sign`. Each prints our figure beside the peer
// tool's figure from the same run; nothing here is asserted, and no test times anything.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
// channel_cost.mjs is a probe to run under callgrind (see its header), not a side-by-side benchmark.
const notBenchmarks = new Set(['run.mjs', 'channel_cost.mjs'])
const all = readdirSync(dir).filter((f) => f.endsWith('.mjs') && !notBenchmarks.has(f)).map((f) => f.slice(0, -4)).sort()
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'))
const unknown = wanted.filter((w) => !all.includes(w))
if (unknown.length > 0) {
  console.error(`bench: no benchmark named ${unknown.join(', ')} (have: ${all.join(', ')})`)
  process.exit(2)
}
let failed = 0
for (const name of wanted.length > 0 ? wanted : all) {
  console.log(`\n=== bench/${name}.mjs ===`)
  const r = spawnSync(process.execPath, [`${dir}${name}.mjs`, ...passThrough], { stdio: 'inherit' })
  if (r.status !== 0) { failed++; console.error(`bench/${name}.mjs exited with ${r.status ?? r.signal}`) }
}
process.exit(failed === 0 ? 0 : 1)
