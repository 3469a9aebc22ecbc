// Public API of @secdns/server: named re-exports only.
export { ServerError, type ServerErrorCode } from './errors.js'
export {
  serverConfigSchema, parseConfig, loadConfig, resolveConfigPaths,
  type ServerConfig, type ZoneConfig, type TsigKeyConfig, type LimitsConfig,
} from './config.js'
export { Acl, aclEntryProblem, type Requester } from './acl.js'
