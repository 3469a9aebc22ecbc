/**
 * PKCS#12 (.pfx) export (RFC 7292) for RSA, ECDSA and Ed25519 keys, written on node:crypto.
 *
 * - default: key and certificates under PBES2 (RFC 8018 §6.2) with PBKDF2-HMAC-SHA256 and
 *   AES-256-CBC, MAC HMAC-SHA256 (what OpenSSL 3 writes by default; Windows 10 1709+ and
 *   Server 2019+ import it);
 * - legacy: pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292 Appendix C) for key and certificates, MAC
 *   HMAC-SHA1, for Windows Server 2016 and older.
 */
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes, type KeyObject } from 'node:crypto'
import { PkiError } from './errors.js'
import { bmpString, explicit, implicitPrimitive, integer, nul, octets, oid, seq, set } from './der.js'
import { PKCS12_ITERATIONS } from './limits.js'
import { toDer } from './pem.js'

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  pbeWithSHAAnd3KeyTripleDESCBC: '1.2.840.113549.1.12.1.3',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const

/** Options for {@link exportPkcs12}. */
export interface Pkcs12Options {
  /** The end-entity certificate (PEM or DER). */
  cert: string | Uint8Array
  privateKey: KeyObject
  /** CA certificates to include (intermediate, root). */
  chain?: (string | Uint8Array)[]
  /** The import password ('' is allowed but weak). */
  password: string
  /** Use 3DES/SHA-1 for old Windows. */
  legacy?: boolean
  /** Friendly name shown by the Windows certificate store. */
  friendlyName?: string
  /** PBKDF2 / PKCS#12 KDF iterations (default 2048, as OpenSSL). */
  iterations?: number
}

/**
 * The PKCS#12 key derivation (RFC 7292 Appendix B.2), used for the MAC key and for the legacy
 * PBE keys and IVs. `id` 1 = key, 2 = IV, 3 = MAC key.
 */
export function pkcs12Kdf(hash: 'sha1' | 'sha256', password: string, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, n: number): Uint8Array {
  const u = hash === 'sha1' ? 20 : 32
  const v = 64
  // RFC 7292 B.1: the password is a BMPString with a two-byte zero terminator.
  const pw = Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)])
  const fill = (src: Uint8Array): Buffer => {
    if (src.length === 0) return Buffer.alloc(0)
    const len = v * Math.ceil(src.length / v)
    const out = Buffer.alloc(len)
    for (let i = 0; i < len; i++) out[i] = src[i % src.length] as number
    return out
  }
  const D = Buffer.alloc(v, id)
  const I = Buffer.concat([fill(salt), fill(pw)])
  const out = Buffer.alloc(Math.ceil(n / u) * u)
  for (let block = 0; block * u < n; block++) {
    let A = createHash(hash).update(D).update(I).digest()
    for (let j = 1; j < iterations; j++) A = createHash(hash).update(A).digest()
    A.copy(out, block * u)
    const B = Buffer.alloc(v)
    for (let j = 0; j < v; j++) B[j] = A[j % u] as number
    // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block of I.
    for (let off = 0; off < I.length; off += v) {
      let carry = 1
      for (let k = v - 1; k >= 0; k--) {
        const sum = (I[off + k] as number) + (B[k] as number) + carry
        I[off + k] = sum & 0xff
        carry = sum >> 8
      }
    }
  }
  return new Uint8Array(out.subarray(0, n))
}

interface Encrypted { algorithm: Uint8Array; ciphertext: Uint8Array }

function encryptPbes2(plain: Uint8Array, password: string, iterations: number): Encrypted {
  const salt = randomBytes(16)
  const iv = randomBytes(16)
  // RFC 8018 §6.2: PBES2 hands the password bytes (UTF-8, as OpenSSL does) to PBKDF2.
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256')
  const c = createCipheriv('aes-256-cbc', key, iv)
  const ciphertext = new Uint8Array(Buffer.concat([c.update(plain), c.final()]))
  const algorithm = seq(oid(OID.pbes2), seq(
    seq(oid(OID.pbkdf2), seq(octets(salt), integer(iterations), integer(32), seq(oid(OID.hmacWithSHA256), nul()))),
    seq(oid(OID.aes256Cbc), octets(iv)),
  ))
  return { algorithm, ciphertext }
}

function encrypt3Des(plain: Uint8Array, password: string, iterations: number): Encrypted {
  const salt = randomBytes(8)
  const key = pkcs12Kdf('sha1', password, salt, 1, iterations, 24)
  const iv = pkcs12Kdf('sha1', password, salt, 2, iterations, 8)
  const c = createCipheriv('des-ede3-cbc', key, iv)
  const ciphertext = new Uint8Array(Buffer.concat([c.update(plain), c.final()]))
  return { algorithm: seq(oid(OID.pbeWithSHAAnd3KeyTripleDESCBC), seq(octets(salt), integer(iterations))), ciphertext }
}

function contentInfoData(body: Uint8Array): Uint8Array {
  return seq(oid(OID.data), explicit(0, octets(body)))
}

/**
 * Write a PKCS#12 file holding a private key, its certificate and the CA chain.
 * `openssl pkcs12 -info` and node's `tls.createSecureContext({ pfx, passphrase })` read it.
 *
 * @returns the DER bytes of the PFX
 * @throws {PkiError} ERR_PKI_BAD_KEY when the key does not match the certificate; ERR_PKI_INVALID_PARAMS
 * @example
 * writeFileSync('dns1.pfx', exportPkcs12({ cert: srv.certPem, privateKey: srv.privateKey!, chain: [ca.certPem], password: 'pw' }))
 */
export function exportPkcs12(opts: Pkcs12Options): Uint8Array {
  const iterations = opts.iterations ?? PKCS12_ITERATIONS
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) {
    throw new PkiError('ERR_PKI_INVALID_PARAMS', `PKCS#12 iterations must be 1 to 10000000, got ${iterations}`)
  }
  if (opts.privateKey.type !== 'private') throw new PkiError('ERR_PKI_BAD_KEY', 'PKCS#12 export needs a private key')
  const certDer = toDer(opts.cert, ['CERTIFICATE'], 'ERR_PKI_BAD_CERTIFICATE', 'certificate')
  const chainDer = (opts.chain ?? []).map((c, i) => toDer(c, ['CERTIFICATE'], 'ERR_PKI_BAD_CERTIFICATE', `chain certificate ${i + 1}`))
  const encrypt = opts.legacy === true ? encrypt3Des : encryptPbes2
  const macHash = opts.legacy === true ? 'sha1' : 'sha256'

  // RFC 7292 §4.2: localKeyId ties the key bag to its certificate bag.
  const localKeyId = createHash('sha1').update(certDer).digest()
  const attrSeqs = [seq(oid(OID.localKeyId), set(octets(localKeyId)))]
  if (opts.friendlyName !== undefined) attrSeqs.push(seq(oid(OID.friendlyName), set(bmpString(opts.friendlyName))))

  // RFC 7292 §4.2.3: CertBag ::= SEQUENCE { certId, [0] EXPLICIT certValue }
  const certBag = (der: Uint8Array, attrs: Uint8Array[]): Uint8Array => seq(
    oid(OID.certBag),
    explicit(0, seq(oid(OID.x509Certificate), explicit(0, octets(der)))),
    ...(attrs.length > 0 ? [set(...attrs)] : []),
  )
  const certSafeContents = seq(certBag(certDer, attrSeqs), ...chainDer.map((d) => certBag(d, [])))
  const encCerts = encrypt(certSafeContents, opts.password, iterations)
  // RFC 5652 §8: EncryptedData ::= SEQUENCE { version 0, EncryptedContentInfo }
  const certsInfo = seq(oid(OID.encryptedData), explicit(0, seq(integer(0), seq(
    oid(OID.data), encCerts.algorithm, implicitPrimitive(0, encCerts.ciphertext),
  ))))

  const pkcs8 = new Uint8Array(opts.privateKey.export({ format: 'der', type: 'pkcs8' }))
  const encKey = encrypt(pkcs8, opts.password, iterations)
  // RFC 7292 §4.2.2: PKCS8ShroudedKeyBag = EncryptedPrivateKeyInfo (RFC 5208 §6).
  const keyBag = seq(oid(OID.pkcs8ShroudedKeyBag), explicit(0, seq(encKey.algorithm, octets(encKey.ciphertext))), set(...attrSeqs))
  const keyInfo = contentInfoData(seq(keyBag))

  const authSafe = seq(certsInfo, keyInfo)
  // RFC 7292 §5.1: the MAC covers the AuthenticatedSafe octets, keyed with the KDF (ID 3).
  const macSalt = randomBytes(opts.legacy === true ? 8 : 16)
  const macKey = pkcs12Kdf(macHash, opts.password, macSalt, 3, iterations, macHash === 'sha1' ? 20 : 32)
  const mac = createHmac(macHash, macKey).update(authSafe).digest()
  const macData = seq(seq(seq(oid(macHash === 'sha1' ? OID.sha1 : OID.sha256), nul()), octets(mac)), octets(macSalt), integer(iterations))
  return seq(integer(3), contentInfoData(authSafe), macData)
}
