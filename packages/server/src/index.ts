// Public API of @secdns/server: named re-exports only.
export { ServerError, type ServerErrorCode } from './errors.js'
export {
  serverConfigSchema, parseConfig, loadConfig, resolveConfigPaths,
  type ServerConfig, type ZoneConfig, type TsigKeyConfig, type LimitsConfig,
} from './config.js'
export { Acl, aclEntryProblem, type Requester } from './acl.js'
export { ServedZone, ZoneTable, setRecords } from './served_zone.js'
export { answer, encodeResponse, responseTo, type AnswerContext, type AnswerInfo, type CookiePolicy, type Transport } from './answer.js'
export { makeServerCookie, checkServerCookie, responseCookie, COOKIE_MAX_AGE_S, COOKIE_MAX_SKEW_S } from './cookie.js'
export {
  DnsServer, splitHostPort, udpPath, type UdpStatus, type ServerCounters, type BoundListener, type Peer, type ReloadResult, type DnsServerOptions, type ListenerPlugin,
} from './server.js'
export type { Recursor, RecursionResult, TrustAnchorAdmin } from './recursor.js'
export {
  HMAC_SHA256, DEFAULT_FUDGE, MIN_MAC_OCTETS, tsigKey, findTsig, parseTsigRData, verifyTsig, signTsig, tsigSize, withoutTsig,
  type TsigKey, type TsigRecord, type FoundTsig, type TsigCheck, type SignOptions,
} from './tsig.js'
export { XFR_MESSAGE_TARGET, MAX_JOURNAL_ENTRIES, recordsWithoutSoa, diffZones, ixfrRecords, xfrMessages, type JournalEntry } from './xfr.js'
export { applyUpdate, type UpdateOutcome } from './update.js'
export { AdminApi, readTokenFile } from './admin.js'
export { DotListener } from './dot.js'
export { createDnsServer } from './create.js'
export { ChannelListener } from './channel_listener.js'
export { querySoa, transferIn, serialNewer, type PrimaryServer, type IxfrDiff, type TransferResult } from './xfr_in.js'
export { SecondaryEngine, zoneFromTransfer, MIN_REFRESH_S, MAX_TIMER_S } from './secondary.js'
export { TsigStreamVerifier } from './tsig.js'
export { resolverRecursor } from './resolver_recursor.js'
