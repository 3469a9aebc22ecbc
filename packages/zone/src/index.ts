// Public API of @secdns/zone: named re-exports only.
export { ZoneError, formatLocation, zoneWarning } from './errors.js'
export type { ZoneErrorCode, SourceLocation, ZoneWarning } from './errors.js'
export { Lexer, lexString, forEachLineOfFile, forEachLineOfString } from './lexer.js'
export type { Token, Entry } from './lexer.js'
export { parseTtl, parseClass, classToString, looksLikeTtl, MAX_TTL } from './ttl.js'
export { generateText, parseGenerateRange, MAX_GENERATE_ITERATIONS } from './generate.js'
export type { GenerateRange } from './generate.js'
