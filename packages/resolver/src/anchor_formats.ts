/**
 * Trust anchors in the formats users already have: BIND's `trust-anchors { … }` clause
 * (and the older `trusted-keys` / `managed-keys`), and Unbound's anchor files
 * (`trust-anchor-file`, `auto-trust-anchor-file`: master-file DS/DNSKEY lines).
 */
import { Name, RRType, RRClass, rdataFromString, rdataToText, toBase64, toHex, type Dnskey, type Ds } from '@secdns/wire'
import { ResolverError } from './errors.js'
import { parseAnchorText, type AnchorRecord } from './trust_anchors.js'

/** How BIND treats an anchor: static, or RFC 5011 managed from an initial key. */
export type BindAnchorKind = 'static-key' | 'initial-key' | 'static-ds' | 'initial-ds'

/** One anchor read from a BIND configuration. */
export interface BindAnchor {
  readonly record: AnchorRecord
  readonly kind: BindAnchorKind
}

interface Tok { readonly v: string, readonly quoted: boolean, readonly line: number }

function tokenizeBind(text: string, file: string): Tok[] {
  const out: Tok[] = []
  let i = 0
  let line = 1
  const n = text.length
  while (i < n) {
    const c = text[i]!
    if (c === '\n') { line++; i++; continue }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue }
    // named.conf(5): comments in C, C++ and shell style.
    if (c === '#' || (c === '/' && text[i + 1] === '/')) { while (i < n && text[i] !== '\n') i++; continue }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      if (end < 0) throw new ResolverError('ERR_RESOLVER_ANCHOR_SYNTAX', `${file}:${line}: "/*" comment is never closed`)
      for (let k = i; k < end; k++) if (text[k] === '\n') line++
      i = end + 2
      continue
    }
    if (c === '{' || c === '}' || c === ';') { out.push({ v: c, quoted: false, line }); i++; continue }
    if (c === '"') {
      const end = text.indexOf('"', i + 1)
      if (end < 0) throw new ResolverError('ERR_RESOLVER_ANCHOR_SYNTAX', `${file}:${line}: quoted string is never closed`)
      const v = text.slice(i + 1, end)
      out.push({ v, quoted: true, line })
      for (const ch of v) if (ch === '\n') line++
      i = end + 1
      continue
    }
    const start = i
    while (i < n && !' \t\r\n{};"'.includes(text[i]!)) i++
    out.push({ v: text.slice(start, i), quoted: false, line })
  }
  return out
}

/**
 * Read the trust anchors of a BIND configuration: every `trust-anchors`,
 * `trusted-keys` and `managed-keys` clause; other statements are skipped.
 *
 * @param text named.conf text (or a file holding just the clause)
 * @param file the name used in error messages
 * @throws {ResolverError} ERR_RESOLVER_ANCHOR_SYNTAX with file:line
 * @example
 * importBindAnchors('trust-anchors { example. static-ds 12345 13 2 "AB…"; };')
 */
export function importBindAnchors(text: string, file = 'named.conf'): BindAnchor[] {
  const toks = tokenizeBind(text, file)
  const out: BindAnchor[] = []
  let i = 0
  const fail = (t: Tok | undefined, why: string): never => {
    throw new ResolverError('ERR_RESOLVER_ANCHOR_SYNTAX', `${file}:${t?.line ?? 'end'}: ${why}`)
  }
  let depth = 0
  while (i < toks.length) {
    const t = toks[i]!
    const clause = !t.quoted && depth === 0 && ['trust-anchors', 'trusted-keys', 'managed-keys'].includes(t.v) && toks[i + 1]?.v === '{'
    if (!clause) {
      if (t.v === '{' && !t.quoted) depth++
      if (t.v === '}' && !t.quoted) depth--
      i++
      continue
    }
    const name = t.v
    i += 2
    while (i < toks.length && toks[i]!.v !== '}') {
      const start = toks[i]!
      const fields: Tok[] = []
      while (i < toks.length && !(toks[i]!.v === ';' && !toks[i]!.quoted)) {
        if (!toks[i]!.quoted && (toks[i]!.v === '{' || toks[i]!.v === '}')) fail(toks[i], `unexpected "${toks[i]!.v}" in ${name} entry`)
        fields.push(toks[i]!)
        i++
      }
      if (i >= toks.length) fail(start, `${name} entry is not closed with ";"`)
      i++
      let owner: Name
      try { owner = Name.fromString(fields[0]!.v.endsWith('.') ? fields[0]!.v : fields[0]!.v + '.') } catch (e) { return fail(start, `bad domain name "${fields[0]?.v}": ${(e as Error).message}`) }
      let kind: BindAnchorKind
      let rest: Tok[]
      if (name === 'trusted-keys') {
        kind = 'static-key'
        rest = fields.slice(1)
      } else {
        const k = fields[1]?.v
        if (k !== 'static-key' && k !== 'initial-key' && k !== 'static-ds' && k !== 'initial-ds') return fail(start, `expected static-key, initial-key, static-ds or initial-ds after ${owner.toString()}, got "${k ?? ''}"`)
        if (name === 'managed-keys' && k !== 'initial-key') return fail(start, `managed-keys allows only initial-key, got ${k}`)
        kind = k
        rest = fields.slice(2)
      }
      if (rest.length !== 4) return fail(start, `expected 3 numbers and a quoted key or digest for ${owner.toString()}, got ${rest.length} fields`)
      const type = kind.endsWith('-ds') ? RRType.DS : RRType.DNSKEY
      // The base64 key or hex digest may hold white space inside its quotes.
      const rdataText = `${rest[0]!.v} ${rest[1]!.v} ${rest[2]!.v} ${rest[3]!.v.replace(/\s+/g, '')}`
      let data
      try { data = rdataFromString(type, rdataText) } catch (e) { return fail(start, `bad ${type === RRType.DS ? 'DS' : 'DNSKEY'} data for ${owner.toString()}: ${(e as Error).message}`) }
      const rr = { name: owner, class: RRClass.IN, ttl: 0, data } as AnchorRecord
      out.push({ record: rr, kind })
    }
    if (i >= toks.length) fail(t, `${name} clause is not closed with "}"`)
    i++
    if (toks[i]?.v === ';') i++
  }
  return out
}

/**
 * Write anchors as a BIND `trust-anchors` clause.
 *
 * @param anchors DNSKEY and DS records
 * @param kind 'static' (static-key/static-ds) or 'initial' (RFC 5011 managed)
 * @example
 * writeFileSync('anchors.conf', exportBindAnchors(ta.list().map((a) => a.record)))
 */
export function exportBindAnchors(anchors: readonly AnchorRecord[], kind: 'static' | 'initial' = 'static'): string {
  const lines = ['trust-anchors {']
  for (const rr of anchors) {
    if (rr.data.type === RRType.DS) {
      const d = rr.data as Ds
      lines.push(`\t"${rr.name.toString()}" ${kind}-ds ${d.keyTag} ${d.algorithm} ${d.digestType} "${toHex(d.digest).toUpperCase()}";`)
    } else {
      const k = rr.data as Dnskey
      lines.push(`\t"${rr.name.toString()}" ${kind}-key ${k.flags} ${k.protocol} ${k.algorithm} "${toBase64(k.publicKey)}";`)
    }
  }
  lines.push('};')
  return lines.join('\n') + '\n'
}

/**
 * Read an Unbound anchor file (`trust-anchor-file` or `auto-trust-anchor-file`):
 * master-file DS and DNSKEY lines; Unbound's `;;state=` bookkeeping is comment text.
 *
 * @param text the file's text
 * @param file the name used in error messages
 * @throws {ResolverError} ERR_RESOLVER_ANCHOR_SYNTAX, ERR_RESOLVER_ANCHOR_TYPE
 */
export function importUnboundAnchors(text: string, file = 'root.key'): AnchorRecord[] {
  return parseAnchorText(text, file).map((e) => e.record)
}

/**
 * Write anchors as an Unbound `trust-anchor-file`.
 *
 * @param anchors DNSKEY and DS records
 */
export function exportUnboundAnchors(anchors: readonly AnchorRecord[]): string {
  return anchors.map((rr) => `${rr.name.toString()}\t${rr.ttl}\tIN\t${rr.data.type === RRType.DS ? 'DS' : 'DNSKEY'}\t${rdataToText(rr.data)}`).join('\n') + (anchors.length > 0 ? '\n' : '')
}

/**
 * Read anchors from any supported format, told apart by their content: a BIND clause
 * when the text holds `trust-anchors {`, `trusted-keys {` or `managed-keys {`, else
 * master-file lines (TrustAnchors.dns or an Unbound anchor file).
 *
 * @param text the text
 * @param file the name used in error messages
 */
export function importAnchors(text: string, file: string): AnchorRecord[] {
  if (/(^|[\s;}])(trust-anchors|trusted-keys|managed-keys)\s*\{/.test(text)) return importBindAnchors(text, file).map((a) => a.record)
  return importUnboundAnchors(text, file)
}
