// Public API of @secdns/cli: the program, for tests and embedding.
export { buildProgram } from './program.js'
