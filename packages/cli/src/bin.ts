#!/usr/bin/env node
import { buildProgram } from './program.js'

buildProgram().parseAsync(process.argv).catch((err: unknown) => {
  const e = err as { message?: string }
  process.stderr.write(`secdns: ${e.message ?? String(err)}\n`)
  process.exitCode = 2
})
