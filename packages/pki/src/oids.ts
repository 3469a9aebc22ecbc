/** Object identifiers used by the secdns profiles. */

/** Windows "DNS Server Trust" EKU: the server's certificate proves it is a DNS server. */
export const OID_DNS_SERVER_TRUST = '1.3.6.1.4.1.311.64.1.1'
/** "IP security IKE intermediate" EKU (RFC 4945 §5.1.3.12 discusses IKE EKUs; Windows asks for it). */
export const OID_IKE_INTERMEDIATE = '1.3.6.1.5.5.8.2.2'
/** id-kp-serverAuth, RFC 5280 §4.2.1.12. */
export const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
/** id-kp-clientAuth, RFC 5280 §4.2.1.12. */
export const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
/** anyExtendedKeyUsage, RFC 5280 §4.2.1.12. */
export const OID_ANY_EKU = '2.5.29.37.0'
/**
 * The secdns administrator EKU. secdns holds no private enterprise number, so the OID
 * lives under the 2.25 arc (ITU-T X.667: an OID made from a UUID, here
 * 76d2f3cb-9ec9-44a3-875a-4d2c227abe36, needs no registration) — see docs/pki.md.
 */
export const OID_SECDNS_ADMIN = '2.25.157944230600905014335222561281840692790'

/** Extension OIDs, RFC 5280 §4.2. */
export const OID_EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  policyConstraints: '2.5.29.36',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  issuingDistributionPoint: '2.5.29.28',
  deltaCrlIndicator: '2.5.29.27',
} as const

/** Names of the EKU OIDs we know, for messages. */
export const EKU_NAMES: Readonly<Record<string, string>> = {
  [OID_SERVER_AUTH]: 'Server Authentication',
  [OID_CLIENT_AUTH]: 'Client Authentication',
  [OID_DNS_SERVER_TRUST]: 'DNS Server Trust',
  [OID_IKE_INTERMEDIATE]: 'IP security IKE intermediate',
  [OID_SECDNS_ADMIN]: 'secdns Administrator',
  [OID_ANY_EKU]: 'Any Purpose',
}

/**
 * Decode a DER OBJECT IDENTIFIER body (X.690 §8.19) with arbitrarily large arcs. asn1js, under
 * @peculiar/x509, garbles arcs above 2^53 such as the 2.25 UUID arc, so EKUs are read here.
 */
export function decodeOidBody(body: Uint8Array): string {
  const arcs: bigint[] = []
  let v = 0n
  for (let i = 0; i < body.length; i++) {
    const b = body[i] as number
    v = (v << 7n) | BigInt(b & 0x7f)
    if ((b & 0x80) === 0) { arcs.push(v); v = 0n }
  }
  if (arcs.length === 0 || (body[body.length - 1] as number) & 0x80) throw new RangeError('truncated OBJECT IDENTIFIER')
  const first = arcs[0] as bigint
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n]
  return [...head, ...arcs.slice(1)].join('.')
}

/** Read a DER length at `pos`; returns [length, offset of the contents]. */
function derLength(der: Uint8Array, pos: number): [number, number] {
  const b = der[pos]
  if (b === undefined) throw new RangeError(`truncated length at offset ${pos}`)
  if (b < 0x80) return [b, pos + 1]
  const n = b & 0x7f
  if (n === 0 || n > 3 || pos + 1 + n > der.length) throw new RangeError(`bad length at offset ${pos}`)
  let len = 0
  for (let i = 0; i < n; i++) len = len * 256 + (der[pos + 1 + i] as number)
  return [len, pos + 1 + n]
}

/**
 * The OIDs of an extKeyUsage extension value (RFC 5280 §4.2.1.12: SEQUENCE SIZE (1..MAX) OF KeyPurposeId).
 *
 * @throws {RangeError} on malformed DER (with the byte offset)
 */
export function decodeExtKeyUsage(value: Uint8Array): string[] {
  if (value[0] !== 0x30) throw new RangeError('extKeyUsage: expected a SEQUENCE at offset 0')
  const [len, start] = derLength(value, 1)
  const end = start + len
  if (end !== value.length) throw new RangeError(`extKeyUsage: SEQUENCE length ${len} does not match the ${value.length - start} bytes present`)
  const out: string[] = []
  let pos = start
  while (pos < end) {
    if (value[pos] !== 0x06) throw new RangeError(`extKeyUsage: expected an OBJECT IDENTIFIER at offset ${pos}`)
    const [l, s] = derLength(value, pos + 1)
    if (s + l > end || l === 0) throw new RangeError(`extKeyUsage: OBJECT IDENTIFIER at offset ${pos} overruns the SEQUENCE`)
    out.push(decodeOidBody(value.subarray(s, s + l)))
    pos = s + l
  }
  return out
}
