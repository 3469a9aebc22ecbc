/**
 * Policy negotiation: the client's NRPT encryption level (Windows'
 * DnsSecIPsecEncryptionType) against the server's connection security rule.
 */
import { TRANSFORMS, type TransformName } from './transforms.js'
import type { GroupName } from './key_exchange.js'
import type { PrfName } from './key_schedule.js'

/**
 * The client's encryption level, as Windows' DnsSecIPsecEncryptionType:
 * - None: integrity only (AES-GMAC);
 * - Low: encrypt when the server can, integrity otherwise;
 * - Medium: require encryption of 128 bits or better;
 * - High: require 256-bit AES-GCM or ChaCha20-Poly1305.
 */
export type EncryptionLevel = 'None' | 'Low' | 'Medium' | 'High'

/** The server's rule: encryption required, requested (preferred, integrity accepted) or not used. */
export type ServerEncryption = 'require' | 'request' | 'none'

/** Encryption levels, for validation. */
export const ENCRYPTION_LEVELS: readonly EncryptionLevel[] = ['None', 'Low', 'Medium', 'High']
/** Server rules, for validation. */
export const SERVER_ENCRYPTION: readonly ServerEncryption[] = ['require', 'request', 'none']
/** Groups offered by default, in preference order. */
export const DEFAULT_GROUPS: readonly GroupName[] = ['X25519', 'P-256']
/** PRFs offered by default, in preference order. */
export const DEFAULT_PRFS: readonly PrfName[] = ['HMAC-SHA-256', 'HMAC-SHA-384']

/**
 * The record transforms a client offers at `level`, best first. A level that requires
 * encryption never lists AES-GMAC, so no answer can take it to integrity only.
 */
export function clientProposals(level: EncryptionLevel): TransformName[] {
  switch (level) {
    case 'None': return ['AES-GMAC']
    case 'Low': return ['AES-256-GCM', 'ChaCha20-Poly1305', 'AES-128-GCM', 'AES-GMAC']
    case 'Medium': return ['AES-256-GCM', 'ChaCha20-Poly1305', 'AES-128-GCM']
    case 'High': return ['AES-256-GCM', 'ChaCha20-Poly1305']
  }
}

/** True when a transform the server chose satisfies `level` (the client checks the answer, too). */
export function satisfiesLevel(level: EncryptionLevel, t: TransformName): boolean {
  const s = TRANSFORMS[t]
  switch (level) {
    case 'None': return !s.encrypts
    case 'Low': return true
    case 'Medium': return s.encrypts && s.strength >= 128
    case 'High': return s.encrypts && s.strength >= 256
  }
}

/** The transforms a server rule accepts, preferred first. */
export function serverAcceptable(rule: ServerEncryption, prefer?: readonly TransformName[]): TransformName[] {
  const enc: TransformName[] = (prefer ?? ['AES-256-GCM', 'ChaCha20-Poly1305', 'AES-128-GCM']).filter((t) => TRANSFORMS[t].encrypts)
  switch (rule) {
    case 'require': return enc
    case 'request': return [...enc, 'AES-GMAC']
    case 'none': return ['AES-GMAC']
  }
}

/**
 * Pick the record transform: for `request` an encrypting transform the client offered
 * beats integrity only; otherwise the client's order decides among what the rule accepts.
 * Returns undefined when nothing agrees (NO_PROPOSAL_CHOSEN, RFC 7296 §2.7).
 */
export function chooseTransform(offered: readonly TransformName[], rule: ServerEncryption, prefer?: readonly TransformName[]): TransformName | undefined {
  const ok = serverAcceptable(rule, prefer)
  if (rule === 'request') {
    const enc = offered.find((t) => TRANSFORMS[t].encrypts && ok.includes(t))
    if (enc !== undefined) return enc
  }
  return offered.find((t) => ok.includes(t))
}

/** Pick the first of the client's offers that the server supports. */
export function chooseFirst<T>(offered: readonly T[], supported: readonly T[]): T | undefined {
  return offered.find((x) => supported.includes(x))
}

/** A person-readable description of what a client level asks for. */
export function describeLevel(level: EncryptionLevel): string {
  switch (level) {
    case 'None': return 'client policy None: integrity only (AES-GMAC)'
    case 'Low': return 'client policy Low: encryption if possible, integrity otherwise'
    case 'Medium': return 'client policy Medium: encryption of 128 bits or more required'
    case 'High': return 'client policy High: AES-256-GCM or ChaCha20-Poly1305 required'
  }
}

/** A person-readable description of what a server rule asks for. */
export function describeRule(rule: ServerEncryption): string {
  switch (rule) {
    case 'require': return 'server rule require: encryption required'
    case 'request': return 'server rule request: encryption preferred, integrity accepted'
    case 'none': return 'server rule none: integrity only, no encryption'
  }
}
