import test from 'ava'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../packages/cli/bin/secdns.js', import.meta.url))

test('secdns --help names the program and exits 0', (t) => {
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })
  t.is(r.status, 0)
  t.regex(r.stdout, /Usage: secdns/)
})

