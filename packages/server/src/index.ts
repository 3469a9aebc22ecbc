// Public API of @secdns/server: named re-exports only.
export { ServerError, type ServerErrorCode } from './errors.js'
export {
  serverConfigSchema, parseConfig, loadConfig, resolveConfigPaths,
  type ServerConfig, type ZoneConfig, type TsigKeyConfig, type LimitsConfig,
} from './config.js'
export { Acl, aclEntryProblem, type Requester } from './acl.js'
export { ServedZone, ZoneTable, setRecords } from './served_zone.js'
export { answer, responseTo, type AnswerContext, type AnswerInfo, type Transport } from './answer.js'
export { makeServerCookie, checkServerCookie, responseCookie, COOKIE_MAX_AGE_S, COOKIE_MAX_SKEW_S } from './cookie.js'
