// Public API of @secdns/client: named re-exports only.
export { ClientError, type ClientErrorCode } from './errors.js'
export {
  type Namespace, NAMESPACE_RANK, parseNamespace, reverseAddress, namespaceCovers, namespaceSpecificity, namespaceKey,
} from './namespace.js'
export { type TransportKind, type ServerAddress, DEFAULT_PORTS, isChannel, parseServerAddress } from './server_address.js'
export {
  ENCRYPTION_TYPES, QUERY_POLICIES, FALLBACK_POLICIES, DEFAULT_GLOBAL,
  type EncryptionType, type QueryPolicy, type SecureNameQueryFallback, type NameServerEntry, type ClientIdentityEntry,
  type NrptRule, type NrptGlobal, type NrptTable, type CompiledRule, type CompiledNrpt, type NrptRuleInput,
  emptyNrpt, compileNrpt, loadNrpt, parseNrptText, saveNrpt, addRule, findRule, removeRule, setGlobal,
} from './nrpt.js'
export { type Candidate, type NrptMatch, compareScore, matchNrpt } from './match.js'
export {
  type Exchanged, type Transport, type TransportSecurity, UdpTransport, StreamTransport, ChannelTransport, createTransport,
} from './transport.js'
export {
  type AppliedPolicy, type ResolveResult, type StubClientOptions, type ResolveOptions, type StubClient, type LookupResult,
  createStubClient, isPolicyRefusal,
} from './stub_client.js'
export {
  type StubServerOptions, type StubQueryEvent, type StubServerStats, type StubServer, answerQuery, startStubServer,
} from './stub_server.js'
