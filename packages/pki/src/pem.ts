/** PEM (RFC 7468) encoding and decoding. */
import { PkiError, type PkiErrorCode } from './errors.js'

/** One PEM block. */
export interface PemBlock {
  readonly label: string
  readonly der: Uint8Array
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g

/**
 * Encode DER as PEM with the given label, 64 characters a line (RFC 7468 §2).
 *
 * @example toPem(crlDer, 'X509 CRL')
 */
export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64')
  const lines: string[] = []
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64))
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/** Every PEM block in a text, in order (text outside blocks is ignored, RFC 7468 §5.2). */
export function decodePemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = []
  for (const m of text.matchAll(PEM_RE)) {
    const body = (m[2] ?? '').replace(/\s+/g, '')
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) continue
    out.push({ label: m[1] ?? '', der: new Uint8Array(Buffer.from(body, 'base64')) })
  }
  return out
}

/**
 * DER bytes from PEM text (the first block with one of `labels`) or from DER bytes as they are.
 *
 * @param input PEM text, or DER bytes (a Uint8Array that starts with a PEM header is read as PEM)
 * @param labels accepted labels
 * @param code error code for input that holds no such block
 * @param what what was expected, for the message
 * @throws {PkiError} `code` when nothing usable is found
 */
export function toDer(input: string | Uint8Array, labels: readonly string[], code: PkiErrorCode, what: string): Uint8Array {
  let text: string | null = null
  if (typeof input === 'string') text = input
  else if (input.length > 10 && Buffer.from(input.subarray(0, 11)).toString('latin1') === '-----BEGIN ') text = Buffer.from(input).toString('utf8')
  if (text === null) {
    if (input.length === 0 || (input as Uint8Array)[0] !== 0x30) throw new PkiError(code, `${what}: not DER (expected a SEQUENCE, 0x30, at offset 0)`)
    return input as Uint8Array
  }
  const block = decodePemBlocks(text).find((b) => labels.includes(b.label))
  if (block === undefined) throw new PkiError(code, `${what}: no PEM block labelled ${labels.map((l) => `"${l}"`).join(' or ')}`)
  return block.der
}
