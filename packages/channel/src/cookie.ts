/**
 * Stateless cookies against handshake floods, RFC 7296 §2.6:
 * Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>).
 * The server keeps no state for an INIT until it comes back with a valid cookie.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** Octets of a cookie: one version octet and a 32-octet HMAC-SHA-256. */
export const COOKIE_OCTETS = 33

/**
 * Makes and checks cookies; the secret changes on `rotate()` and the previous one stays
 * valid so a cookie issued just before a rotation still works (RFC 7296 §2.6).
 *
 * @example
 * const jar = new CookieJar()
 * const c = jar.make(ni, '127.0.0.1', spiI)
 * jar.check(c, ni, '127.0.0.1', spiI) // true
 */
export class CookieJar {
  private version = 0
  private secrets: Uint8Array[] = [randomBytes(32), randomBytes(32)]

  /** Replace the secret; cookies of the previous secret remain valid until the next rotation. */
  rotate(): void {
    this.version = (this.version + 1) & 0xff
    this.secrets = [randomBytes(32), this.secrets[0]!]
  }

  private mac(secret: Uint8Array, version: number, ni: Uint8Array, ip: string, spiI: Uint8Array): Buffer {
    return createHmac('sha256', secret).update(Uint8Array.of(version)).update(ni).update(ip).update(spiI).digest()
  }

  /** The cookie for an initiator. */
  make(ni: Uint8Array, ip: string, spiI: Uint8Array): Uint8Array {
    return Buffer.concat([Uint8Array.of(this.version), this.mac(this.secrets[0]!, this.version, ni, ip, spiI)])
  }

  /** True when `cookie` was made by this jar for these values, with the current or the previous secret. */
  check(cookie: Uint8Array, ni: Uint8Array, ip: string, spiI: Uint8Array): boolean {
    if (cookie.length !== COOKIE_OCTETS) return false
    const v = cookie[0]!
    const idx = v === this.version ? 0 : v === ((this.version + 255) & 0xff) ? 1 : -1
    if (idx < 0) return false
    return timingSafeEqual(cookie.subarray(1), this.mac(this.secrets[idx]!, v, ni, ip, spiI))
  }
}
