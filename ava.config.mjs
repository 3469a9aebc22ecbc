// One ava configuration for the whole repository. Tests are written in TypeScript,
// compiled by `tsc -b` (npm test runs it first) and run from dist/ through
// @ava/typescript's rewritePaths, so what is tested is exactly what ships.
import { readdirSync, existsSync } from 'node:fs'

const packages = readdirSync(new URL('./packages/', import.meta.url)).filter((p) =>
  existsSync(new URL(`./packages/${p}/tsconfig.json`, import.meta.url)))

const rewritePaths = { 'test/': 'dist/test/' }
for (const p of packages) rewritePaths[`packages/${p}/test/`] = `packages/${p}/dist/test/`

export default {
  files: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
  typescript: { rewritePaths, compile: false },
  // Two cores: more workers only contend. Interop tests start real servers on
  // loopback ports, so files may run side by side; under CI one file at a time, since
  // several files each starting BIND, Unbound and our servers at once load two cores
  // enough to stretch cold upstream answers past resolver timeouts.
  concurrency: process.env.CI === 'true' ? 1 : 2,
  timeout: '3m',
  environmentVariables: { SECDNS_TEST: '1' },
}
