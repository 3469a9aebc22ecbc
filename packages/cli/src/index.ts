// Public API of @secdns/cli: the program, for tests and embedding.
export { buildProgram, loadAllCommands } from './program.js'
export { EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CODES, deprecatedAlias, deprecatedAliases, type DeprecatedAlias } from './options.js'
export { EXAMPLES, commandPath } from './help.js'
