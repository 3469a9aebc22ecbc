/**
 * DNS COOKIEs (RFC 7873) on the server side, with the server cookie layout of
 * RFC 9018 §4: version 1, three reserved octets, a 32-bit timestamp and an 8-octet hash.
 * The hash is HMAC-SHA-256 (truncated to 8 octets) of the client cookie, the version,
 * reserved and timestamp fields and the client address, keyed with the server secret;
 * only this server checks it, so the hash function is its own choice (RFC 7873 §6).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { isIPv4 } from 'node:net'
import { cookieOption, type EdnsOptionData } from '@secdns/wire'

/** RFC 9018 §4.3: a server cookie older than one hour is refreshed; older than this is invalid. */
export const COOKIE_MAX_AGE_S = 3600
/** RFC 9018 §4.3: a timestamp more than 5 minutes in the future is invalid. */
export const COOKIE_MAX_SKEW_S = 300

function addressBytes(address: string): Buffer {
  const a = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address
  return Buffer.from(a, 'latin1')
}

function hashOf(secret: Uint8Array, client: Uint8Array, head: Uint8Array, address: string): Buffer {
  return createHmac('sha256', secret).update(client).update(head).update(addressBytes(address)).digest().subarray(0, 8)
}

/**
 * A fresh server cookie for a client cookie and address.
 * @param secret the server secret (16 octets)
 * @param client the 8-octet client cookie
 * @param address the client's IP address
 * @param now seconds since the epoch
 */
export function makeServerCookie(secret: Uint8Array, client: Uint8Array, address: string, now: number): Uint8Array {
  const head = new Uint8Array(8)
  head[0] = 1
  new DataView(head.buffer).setUint32(4, now >>> 0)
  const out = new Uint8Array(16)
  out.set(head)
  out.set(hashOf(secret, client, head, address), 8)
  return out
}

/**
 * True when a server cookie was made by this server for this client and is fresh.
 * @param secret the server secret
 * @param client the client cookie
 * @param server the server cookie the client sent
 * @param address the client's IP address
 * @param now seconds since the epoch
 */
export function checkServerCookie(secret: Uint8Array, client: Uint8Array, server: Uint8Array, address: string, now: number): boolean {
  if (server.length !== 16 || server[0] !== 1) return false
  const ts = new DataView(server.buffer, server.byteOffset, 16).getUint32(4)
  // RFC 9018 §4.3: serial-number style age check on the 32-bit timestamp.
  const age = (now - ts) | 0
  if (age > COOKIE_MAX_AGE_S || age < -COOKIE_MAX_SKEW_S) return false
  return timingSafeEqual(hashOf(secret, client, server.subarray(0, 8), address), server.subarray(8, 16))
}

/**
 * The COOKIE option to put in a response: the client cookie and a server cookie,
 * reusing the client's valid server cookie when it is less than half an hour old.
 * @param secret the server secret
 * @param client the client cookie from the request
 * @param server the server cookie from the request, if any
 * @param address the client's IP address
 * @param now seconds since the epoch
 */
export function responseCookie(secret: Uint8Array, client: Uint8Array, server: Uint8Array | undefined, address: string, now: number): EdnsOptionData {
  if (server !== undefined && checkServerCookie(secret, client, server, address, now)) {
    const ts = new DataView(server.buffer, server.byteOffset, 16).getUint32(4)
    if (((now - ts) | 0) < COOKIE_MAX_AGE_S / 2) return cookieOption(client, server)
  }
  return cookieOption(client, makeServerCookie(secret, client, address, now))
}
