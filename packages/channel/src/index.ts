// Public API of @secdns/channel: named re-exports only.
export { ChannelError, CLOSE_CODES, isChannelErrorCode, type ChannelErrorCode } from './errors.js'
export {
  DEFAULT_LIMITS, resolveLimits, MAX_MESSAGE_OCTETS, MAX_DNS_MESSAGE_OCTETS, REPLAY_WINDOW, SA_MAX_PACKETS, SA_MAX_BYTES, SA_LIFETIME_MS,
  IKE_SA_LIFETIME_MS, IKE_SA_MAX_MESSAGES,
  REKEY_AT, HANDSHAKE_TIMEOUT_MS, IDLE_TIMEOUT_MS, DPD_INTERVAL_MS, DPD_TIMEOUT_MS, QUERY_TIMEOUT_MS, COOKIE_THRESHOLD, MAX_HALF_OPEN,
  MAX_HALF_OPEN_PER_SOURCE, MAX_IN_FLIGHT, VERIFY_CACHE_SIZE, VERIFY_CACHE_TTL_MS, type ChannelLimits,
} from './limits.js'
export { TRANSFORMS, transformById, seal, open, ICV_OCTETS, IV_OCTETS, type TransformName, type TransformSpec, type DirectionKey } from './transforms.js'
export { nativeCryptoStatus, useNativeCrypto, type NativeCryptoStatus } from './native.js'
export { createKeyShare, groupById, GROUPS, type GroupName, type KeyShare } from './key_exchange.js'
export { prf, prfPlus, prfById, prfOctets, PRFS, deriveIkeKeys, deriveRekeyedIkeKeys, deriveChildKeys, IKE_SA_TRANSFORM, type PrfName, type IkeKeys, type ChildKeys } from './key_schedule.js'
export { ReplayWindow } from './replay_window.js'
export {
  KIND_RECORD, KIND_IKE, IKE_HEADER_OCTETS, EXCHANGE, FLAG_INITIATOR, FLAG_RESPONSE, PAYLOAD, NOTIFY, ID_TYPE, CERT_X509, AUTH_DIGITAL_SIGNATURE,
  encodeIkeMessage, decodeIkeMessage, encodeEncrypted, openSk, readPayloads, writePayloads, payloadsLength, errorNotifyData, parseErrorNotify,
  type IkeHeader, type IkeMessage, type Payload,
} from './ike_message.js'
export { OutboundSa, InboundSa, recordSpi, RECORD_HEADER_OCTETS, RECORD_OVERHEAD } from './esp.js'
export {
  clientProposals, satisfiesLevel, serverAcceptable, chooseTransform, describeLevel, describeRule, ENCRYPTION_LEVELS, SERVER_ENCRYPTION,
  DEFAULT_GROUPS, DEFAULT_PRFS, type EncryptionLevel, type ServerEncryption,
} from './policy.js'
export { CookieJar, COOKIE_OCTETS } from './cookie.js'
export { loadIdentity, signedOctets, verifyPeer, ID_KEY_ID, type VerifyCacheOptions, type ChannelIdentity, type ChannelTrust, type LoadedIdentity } from './auth.js'
export { Initiator, Responder, NONCE_OCTETS, type HandshakeResult, type InitiatorOptions, type ResponderOptions, type ResponderStep } from './handshake.js'
export { KIND_BUNDLE, BUNDLE_LENGTH_OCTETS, BUNDLE_MAX_OCTETS, splitBundle, encodeBundle, CoalescingTransport } from './bundle.js'
export { ChannelSession, type SessionTransport, type SessionHooks, type SaSpis } from './session.js'
export {
  createChannelServer, ChannelServer, type ChannelServerOptions, type ChannelServerStats, type ServerRules, type PeerInfo, type SessionInfo,
} from './server.js'
export { connect, ChannelClient, type ConnectOptions, type Negotiated, type ChannelClientStats } from './client.js'
