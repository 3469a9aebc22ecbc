/**
 * Diffie-Hellman key shares for the INIT exchange (RFC 7296 §1.2, KE payload §3.4).
 * X25519 is IANA group 31 (RFC 8031); P-256 is group 19 (RFC 5903).
 */
import { createECDH, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import { ChannelError } from './errors.js'

/** Names of the key-exchange groups. */
export type GroupName = 'X25519' | 'P-256'

/** IANA IKEv2 Diffie-Hellman group numbers. */
export const GROUPS: Readonly<Record<GroupName, number>> = { 'X25519': 31, 'P-256': 19 }

/** The group with IANA number `id`, or undefined. */
export function groupById(id: number): GroupName | undefined {
  return id === 31 ? 'X25519' : id === 19 ? 'P-256' : undefined
}

/** One side's ephemeral key share. */
export interface KeyShare {
  readonly group: GroupName
  /** Public value as sent in the KE payload. */
  readonly publicKey: Uint8Array
  /** Compute g^ir from the peer's public value. @throws {ChannelError} ERR_CHANNEL_BAD_KEY_SHARE */
  computeSecret(peer: Uint8Array): Uint8Array
}

const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex')

/**
 * Make a fresh ephemeral key share in `group`.
 *
 * @example
 * const a = createKeyShare('X25519'), b = createKeyShare('X25519')
 * a.computeSecret(b.publicKey) // equals b.computeSecret(a.publicKey)
 */
export function createKeyShare(group: GroupName): KeyShare {
  if (group === 'X25519') {
    const { publicKey, privateKey } = generateKeyPairSync('x25519')
    const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI.length)
    return {
      group,
      publicKey: pub,
      computeSecret(peer: Uint8Array): Uint8Array {
        // RFC 8031 §2: the public value is exactly 32 octets.
        if (peer.length !== 32) throw new ChannelError('ERR_CHANNEL_BAD_KEY_SHARE', `X25519 key share has ${peer.length} octets, expected 32`)
        let secret: Buffer
        try {
          const pk = createPublicKey({ key: Buffer.concat([X25519_SPKI, peer]), format: 'der', type: 'spki' })
          secret = diffieHellman({ privateKey, publicKey: pk })
        } catch (e) {
          throw new ChannelError('ERR_CHANNEL_BAD_KEY_SHARE', 'X25519 key share rejected', { cause: e })
        }
        // RFC 7748 §6.1 / RFC 8031 §2: an all-zero shared secret means a low-order point.
        if (secret.every((b) => b === 0)) throw new ChannelError('ERR_CHANNEL_BAD_KEY_SHARE', 'X25519 key share is a low-order point (all-zero secret)')
        return secret
      },
    }
  }
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  return {
    group,
    publicKey: ecdh.getPublicKey(),
    computeSecret(peer: Uint8Array): Uint8Array {
      // RFC 5903 §7 (as updated by RFC 7296 §3.4 for IKEv2): x | y, 64 octets; we send the
      // SEC1 uncompressed form 0x04 | x | y and accept only that.
      if (peer.length !== 65 || peer[0] !== 0x04) throw new ChannelError('ERR_CHANNEL_BAD_KEY_SHARE', `P-256 key share has ${peer.length} octets, expected 65 (uncompressed point)`)
      try {
        // computeSecret checks that the point is on the curve.
        return ecdh.computeSecret(peer)
      } catch (e) {
        throw new ChannelError('ERR_CHANNEL_BAD_KEY_SHARE', 'P-256 key share is not a point on the curve', { cause: e })
      }
    },
  }
}
