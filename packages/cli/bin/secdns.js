#!/usr/bin/env node
// The `secdns` command. A committed shim so npm can link the bin before `tsc -b` has
// built dist/ (npm ci links bins first, then runs the root `prepare` build).
import '../dist/src/bin.js'
