/*
 * The record AEAD of @secdns/channel on the OpenSSL 3 that the node binary carries.
 *
 * node:crypto builds a Cipher object, a Decipher object and several Buffers for every
 * record and crosses into C++ once per setAAD/update/final/getAuthTag. Here one SA keeps
 * one EVP_CIPHER_CTX whose key schedule is set up once; protecting or checking a record is
 * one call that sets the nonce, feeds the AAD, runs the payload and writes or checks the
 * ICV into buffers the caller gave.
 *
 * Nothing here trusts its arguments: every buffer is type- and bounds-checked and a bad
 * argument throws a JS error instead of touching memory. Key material is wiped
 * (OPENSSL_cleanse, EVP_CIPHER_CTX_free) when an SA is destroyed or collected.
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#define ICV 16
#define IVN 8
#define SALT 4
#define NONCE 12
/* kind(1) | SPI(4) | sequence number(8) | IV(8) */
#define HDR 21
#define AAD 13
#define KIND_RECORD 0

/* Algorithms, in the order of ALG_NAMES (the JS side uses the same numbers). */
enum { ALG_AES256GCM = 0, ALG_AES128GCM = 1, ALG_CHACHA = 2, ALG_GMAC = 3, ALG_COUNT = 4 };
static const char *const ALG_FETCH[ALG_COUNT] = { "AES-256-GCM", "AES-128-GCM", "ChaCha20-Poly1305", "AES-256-GCM" };
static const int ALG_KEY[ALG_COUNT] = { 32, 16, 32, 32 };
static const int ALG_ENCRYPTS[ALG_COUNT] = { 1, 1, 1, 0 };

typedef struct {
  EVP_CIPHER *cipher[ALG_COUNT];
} Instance;

typedef struct {
  EVP_CIPHER_CTX *ctx;
  int alg;
  int encrypt;
  unsigned char nonce[NONCE];
} Sa;

#define CHECK(env, call) do { if ((call) != napi_ok) { napi_throw_error((env), "ERR_CHANNEL_NATIVE", "N-API call failed: " #call); return NULL; } } while (0)
#define THROW_TYPE(env, msg) do { napi_throw_type_error((env), "ERR_CHANNEL_NATIVE", (msg)); return NULL; } while (0)
#define THROW_RANGE(env, msg) do { napi_throw_range_error((env), "ERR_CHANNEL_NATIVE", (msg)); return NULL; } while (0)

/* A Uint8Array (or Buffer) argument: its data and length, or 0 after throwing. */
static int bytes_arg(napi_env env, napi_value v, unsigned char **data, size_t *len, const char *what) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a Uint8Array", what);
    napi_throw_type_error(env, "ERR_CHANNEL_NATIVE", msg);
    return 0;
  }
  napi_typedarray_type t;
  void *p;
  size_t n;
  if (napi_get_typedarray_info(env, v, &t, &n, &p, NULL, NULL) != napi_ok || t != napi_uint8_array) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a Uint8Array", what);
    napi_throw_type_error(env, "ERR_CHANNEL_NATIVE", msg);
    return 0;
  }
  /* A zero-length view may carry a NULL pointer; callers never dereference past len. */
  *data = (unsigned char *)p;
  *len = n;
  return 1;
}

/* An integer 0…2^32-1 (napi_get_value_uint32 alone would wrap 2^32 to 0 and truncate 1.5). */
static int u32_arg(napi_env env, napi_value v, uint32_t *out, const char *what) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok
      || !(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be an integer from 0 to 2^32-1", what);
    napi_throw_range_error(env, "ERR_CHANNEL_NATIVE", msg);
    return 0;
  }
  *out = (uint32_t)d;
  return 1;
}

static int alg_arg(napi_env env, napi_value v, int *alg) {
  uint32_t a;
  if (!u32_arg(env, v, &a, "algorithm")) return 0;
  if (a >= ALG_COUNT) { napi_throw_range_error(env, "ERR_CHANNEL_NATIVE", "unknown algorithm"); return 0; }
  *alg = (int)a;
  return 1;
}

static void sa_release(Sa *sa) {
  if (sa->ctx != NULL) { EVP_CIPHER_CTX_free(sa->ctx); sa->ctx = NULL; } /* frees and cleanses the key schedule */
  OPENSSL_cleanse(sa->nonce, sizeof sa->nonce);
}

static void sa_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  Sa *sa = (Sa *)data;
  sa_release(sa);
  free(sa);
}

static void instance_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  Instance *in = (Instance *)data;
  for (int i = 0; i < ALG_COUNT; i++) EVP_CIPHER_free(in->cipher[i]);
  free(in);
}

static const EVP_CIPHER *cipher_of(napi_env env, int alg) {
  Instance *in = NULL;
  if (napi_get_instance_data(env, (void **)&in) != napi_ok || in == NULL) return NULL;
  return in->cipher[alg];
}

/* A context for `alg` keyed with `key`, or NULL. */
static EVP_CIPHER_CTX *ctx_new(const EVP_CIPHER *c, const unsigned char *key, int encrypt) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return NULL;
  if (EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, encrypt) != 1
      || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, NONCE, NULL) != 1
      || EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, encrypt) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

/* saNew(alg, encrypt, key, salt) → SA handle */
static napi_value sa_new(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) THROW_TYPE(env, "saNew(alg, encrypt, key, salt) needs 4 arguments");
  int alg;
  if (!alg_arg(env, argv[0], &alg)) return NULL;
  bool encrypt;
  if (napi_get_value_bool(env, argv[1], &encrypt) != napi_ok) THROW_TYPE(env, "encrypt must be a boolean");
  unsigned char *key, *salt;
  size_t keyLen, saltLen;
  if (!bytes_arg(env, argv[2], &key, &keyLen, "key") || !bytes_arg(env, argv[3], &salt, &saltLen, "salt")) return NULL;
  if (keyLen != (size_t)ALG_KEY[alg]) THROW_RANGE(env, "key length does not fit the algorithm");
  if (saltLen != SALT) THROW_RANGE(env, "salt must be 4 octets");
  const EVP_CIPHER *c = cipher_of(env, alg);
  if (c == NULL) THROW_RANGE(env, "algorithm not available in this OpenSSL");
  Sa *sa = (Sa *)calloc(1, sizeof *sa);
  if (sa == NULL) { napi_throw_error(env, "ERR_CHANNEL_NATIVE", "out of memory"); return NULL; }
  sa->alg = alg;
  sa->encrypt = encrypt ? 1 : 0;
  memcpy(sa->nonce, salt, SALT);
  sa->ctx = ctx_new(c, key, sa->encrypt);
  if (sa->ctx == NULL) { sa_release(sa); free(sa); napi_throw_error(env, "ERR_CHANNEL_NATIVE", "EVP cipher initialisation failed"); return NULL; }
  napi_value out;
  if (napi_create_external(env, sa, sa_finalize, NULL, &out) != napi_ok) { sa_release(sa); free(sa); napi_throw_error(env, "ERR_CHANNEL_NATIVE", "napi_create_external failed"); return NULL; }
  return out;
}

static Sa *sa_arg(napi_env env, napi_value v) {
  napi_valuetype t;
  void *p = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "ERR_CHANNEL_NATIVE", "not an SA handle");
    return NULL;
  }
  Sa *sa = (Sa *)p;
  if (sa->ctx == NULL) { napi_throw_error(env, "ERR_CHANNEL_NATIVE", "SA handle was destroyed"); return NULL; }
  return sa;
}

/* saFree(sa): wipe and free the key schedule now (the handle stays, unusable). */
static napi_value sa_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) THROW_TYPE(env, "saFree(sa) needs 1 argument");
  napi_valuetype t;
  void *p = NULL;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external || napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) THROW_TYPE(env, "not an SA handle");
  sa_release((Sa *)p);
  return NULL;
}

/* One AEAD pass with the nonce already in place. aad2/aad3 may be NULL (GMAC feeds the IV
 * and payload as AAD, RFC 4543 §3.1). On encrypt the tag is written to `tag`; on decrypt it
 * is checked against `tag`. Returns 1 on success, 0 on failure (or a bad ICV). */
static int aead_run(EVP_CIPHER_CTX *ctx, int encrypt, int encrypts, const unsigned char *nonce,
                    const unsigned char *aad, size_t aadLen, const unsigned char *aad2, size_t aad2Len,
                    const unsigned char *in, size_t inLen, unsigned char *out, unsigned char *tag) {
  int n;
  if (inLen > 0x7fffffff || aadLen > 0x7fffffff || aad2Len > 0x7fffffff) return 0;
  if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, encrypt) != 1) return 0;
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, ICV, tag) != 1) return 0;
  if (aadLen > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadLen) != 1) return 0;
  if (aad2Len > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad2, (int)aad2Len) != 1) return 0;
  if (encrypts) {
    if (inLen > 0 && (EVP_CipherUpdate(ctx, out, &n, in, (int)inLen) != 1 || (size_t)n != inLen)) return 0;
  } else if (inLen > 0 && EVP_CipherUpdate(ctx, NULL, &n, in, (int)inLen) != 1) {
    return 0;
  }
  unsigned char fin[16];
  if (EVP_CipherFinal_ex(ctx, fin, &n) != 1 || n != 0) return 0;
  if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, ICV, tag) != 1) return 0;
  return 1;
}

/*
 * recordSeal(sa, out, payload, spi, seqHi, seqLo) → undefined
 * Writes the whole record into `out` (exactly payload.length + 37 octets):
 * kind | SPI | sequence number | IV (= sequence number) | ciphertext or payload | ICV.
 */
static napi_value record_seal(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) THROW_TYPE(env, "recordSeal(sa, out, payload, spi, seqHi, seqLo) needs 6 arguments");
  Sa *sa = sa_arg(env, argv[0]);
  if (sa == NULL) return NULL;
  if (!sa->encrypt) THROW_TYPE(env, "SA handle is for opening, not sealing");
  unsigned char *out, *payload;
  size_t outLen, payLen;
  uint32_t spi, hi, lo;
  if (!bytes_arg(env, argv[1], &out, &outLen, "out") || !bytes_arg(env, argv[2], &payload, &payLen, "payload")) return NULL;
  if (!u32_arg(env, argv[3], &spi, "spi") || !u32_arg(env, argv[4], &hi, "seqHi") || !u32_arg(env, argv[5], &lo, "seqLo")) return NULL;
  if (payLen > (size_t)0x7fffffff - HDR - ICV || outLen != payLen + HDR + ICV) THROW_RANGE(env, "out must be exactly payload.length + 37 octets");
  /* The payload must not overlap the output (it is read while the output is written). */
  if (payLen > 0 && payload < out + outLen && out < payload + payLen) THROW_RANGE(env, "payload and out overlap");
  out[0] = KIND_RECORD;
  out[1] = (unsigned char)(spi >> 24); out[2] = (unsigned char)(spi >> 16); out[3] = (unsigned char)(spi >> 8); out[4] = (unsigned char)spi;
  out[5] = (unsigned char)(hi >> 24); out[6] = (unsigned char)(hi >> 16); out[7] = (unsigned char)(hi >> 8); out[8] = (unsigned char)hi;
  out[9] = (unsigned char)(lo >> 24); out[10] = (unsigned char)(lo >> 16); out[11] = (unsigned char)(lo >> 8); out[12] = (unsigned char)lo;
  memcpy(out + 13, out + 5, IVN); /* IV = sequence number (RFC 4106 §3.1) */
  memcpy(sa->nonce + SALT, out + 13, IVN);
  int ok;
  if (ALG_ENCRYPTS[sa->alg]) {
    /* RFC 4106 §5: AAD = SPI | sequence number (with the kind octet in front). */
    ok = aead_run(sa->ctx, 1, 1, sa->nonce, out, AAD, NULL, 0, payload, payLen, out + HDR, out + HDR + payLen);
  } else {
    /* RFC 4543 §3.1: header, IV and payload are all AAD; nothing is encrypted. */
    if (payLen > 0) memcpy(out + HDR, payload, payLen);
    ok = aead_run(sa->ctx, 1, 0, sa->nonce, out, HDR + payLen, NULL, 0, NULL, 0, NULL, out + HDR + payLen);
  }
  if (!ok) { OPENSSL_cleanse(out, outLen); napi_throw_error(env, "ERR_CHANNEL_NATIVE", "EVP seal failed"); return NULL; }
  return NULL;
}

/*
 * recordOpen(sa, frame, out) → boolean
 * Checks the ICV of a whole record frame (at least 37 octets) and, for an encrypting
 * transform, writes the plaintext into `out` (exactly frame.length - 37 octets; ignored for
 * GMAC, whose payload is the clear text in the frame). False when the ICV does not verify;
 * `out` is then wiped so no unauthenticated plaintext is left behind.
 */
static napi_value record_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) THROW_TYPE(env, "recordOpen(sa, frame, out) needs 3 arguments");
  Sa *sa = sa_arg(env, argv[0]);
  if (sa == NULL) return NULL;
  if (sa->encrypt) THROW_TYPE(env, "SA handle is for sealing, not opening");
  unsigned char *frame, *out;
  size_t frameLen, outLen;
  if (!bytes_arg(env, argv[1], &frame, &frameLen, "frame") || !bytes_arg(env, argv[2], &out, &outLen, "out")) return NULL;
  if (frameLen < HDR + ICV || frameLen > 0x7fffffff) THROW_RANGE(env, "record frame is shorter than its header and ICV");
  size_t dataLen = frameLen - HDR - ICV;
  memcpy(sa->nonce + SALT, frame + 13, IVN);
  int ok;
  if (ALG_ENCRYPTS[sa->alg]) {
    if (outLen != dataLen) THROW_RANGE(env, "out must be exactly frame.length - 37 octets");
    if (dataLen > 0 && out < frame + frameLen && frame < out + outLen && out != frame + HDR) THROW_RANGE(env, "out overlaps the frame");
    ok = aead_run(sa->ctx, 0, 1, sa->nonce, frame, AAD, NULL, 0, frame + HDR, dataLen, out, frame + HDR + dataLen);
    if (!ok) OPENSSL_cleanse(out, outLen);
  } else {
    ok = aead_run(sa->ctx, 0, 0, sa->nonce, frame, HDR + dataLen, NULL, 0, NULL, 0, NULL, frame + HDR + dataLen);
  }
  napi_value r;
  CHECK(env, napi_get_boolean(env, ok != 0, &r));
  return r;
}

/*
 * aeadSeal(alg, key, salt, iv, aad, payload, out, offset) → octets written
 * One-shot seal for the handshake's SK payload (key given per call): ciphertext (or, for
 * GMAC, the payload in clear) and the ICV at out[offset…].
 */
static napi_value aead_seal(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) THROW_TYPE(env, "aeadSeal(alg, key, salt, iv, aad, payload, out, offset) needs 8 arguments");
  int alg;
  if (!alg_arg(env, argv[0], &alg)) return NULL;
  unsigned char *key, *salt, *iv, *aad, *payload, *out;
  size_t keyLen, saltLen, ivLen, aadLen, payLen, outLen;
  uint32_t offset;
  if (!bytes_arg(env, argv[1], &key, &keyLen, "key") || !bytes_arg(env, argv[2], &salt, &saltLen, "salt") || !bytes_arg(env, argv[3], &iv, &ivLen, "iv")
      || !bytes_arg(env, argv[4], &aad, &aadLen, "aad") || !bytes_arg(env, argv[5], &payload, &payLen, "payload") || !bytes_arg(env, argv[6], &out, &outLen, "out")
      || !u32_arg(env, argv[7], &offset, "offset")) return NULL;
  if (keyLen != (size_t)ALG_KEY[alg]) THROW_RANGE(env, "key length does not fit the algorithm");
  if (saltLen != SALT || ivLen != IVN) THROW_RANGE(env, "salt must be 4 and iv 8 octets");
  if (payLen > 0x7fffffff || offset > outLen || outLen - offset < payLen + ICV) THROW_RANGE(env, "out is too small for the payload and ICV");
  unsigned char *dst = out + offset;
  if (payLen > 0 && payload < dst + payLen + ICV && dst < payload + payLen && payload != dst) THROW_RANGE(env, "payload and out overlap");
  const EVP_CIPHER *c = cipher_of(env, alg);
  if (c == NULL) THROW_RANGE(env, "algorithm not available in this OpenSSL");
  unsigned char nonce[NONCE];
  memcpy(nonce, salt, SALT);
  memcpy(nonce + SALT, iv, IVN);
  EVP_CIPHER_CTX *ctx = ctx_new(c, key, 1);
  int ok = ctx != NULL;
  if (ok) {
    if (ALG_ENCRYPTS[alg]) {
      ok = aead_run(ctx, 1, 1, nonce, aad, aadLen, NULL, 0, payload, payLen, dst, dst + payLen);
    } else {
      /* AAD = aad | iv | payload (RFC 4543 §3.1). The payload is AAD before it is copied. */
      ok = aead_run(ctx, 1, 0, nonce, aad, aadLen, iv, IVN, payload, payLen, NULL, dst + payLen);
      if (ok && payLen > 0 && payload != dst) memmove(dst, payload, payLen);
    }
    EVP_CIPHER_CTX_free(ctx);
  }
  OPENSSL_cleanse(nonce, sizeof nonce);
  if (!ok) { napi_throw_error(env, "ERR_CHANNEL_NATIVE", "EVP seal failed"); return NULL; }
  napi_value r;
  CHECK(env, napi_create_uint32(env, (uint32_t)(payLen + ICV), &r));
  return r;
}

/*
 * aeadOpen(alg, key, salt, iv, aad, body, out) → boolean
 * One-shot open: body = ciphertext (or clear payload) | ICV. For an encrypting algorithm
 * the plaintext goes to `out` (exactly body.length - 16 octets); wiped when the ICV fails.
 */
static napi_value aead_open(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) THROW_TYPE(env, "aeadOpen(alg, key, salt, iv, aad, body, out) needs 7 arguments");
  int alg;
  if (!alg_arg(env, argv[0], &alg)) return NULL;
  unsigned char *key, *salt, *iv, *aad, *body, *out;
  size_t keyLen, saltLen, ivLen, aadLen, bodyLen, outLen;
  if (!bytes_arg(env, argv[1], &key, &keyLen, "key") || !bytes_arg(env, argv[2], &salt, &saltLen, "salt") || !bytes_arg(env, argv[3], &iv, &ivLen, "iv")
      || !bytes_arg(env, argv[4], &aad, &aadLen, "aad") || !bytes_arg(env, argv[5], &body, &bodyLen, "body") || !bytes_arg(env, argv[6], &out, &outLen, "out")) return NULL;
  if (keyLen != (size_t)ALG_KEY[alg]) THROW_RANGE(env, "key length does not fit the algorithm");
  if (saltLen != SALT || ivLen != IVN) THROW_RANGE(env, "salt must be 4 and iv 8 octets");
  if (bodyLen < ICV || bodyLen > 0x7fffffff) THROW_RANGE(env, "body is shorter than the ICV");
  size_t dataLen = bodyLen - ICV;
  if (ALG_ENCRYPTS[alg]) {
    if (outLen != dataLen) THROW_RANGE(env, "out must be exactly body.length - 16 octets");
    if (dataLen > 0 && out < body + bodyLen && body < out + outLen && out != body) THROW_RANGE(env, "out overlaps the body");
  }
  const EVP_CIPHER *c = cipher_of(env, alg);
  if (c == NULL) THROW_RANGE(env, "algorithm not available in this OpenSSL");
  unsigned char nonce[NONCE];
  memcpy(nonce, salt, SALT);
  memcpy(nonce + SALT, iv, IVN);
  EVP_CIPHER_CTX *ctx = ctx_new(c, key, 0);
  int ok = 0;
  if (ctx != NULL) {
    if (ALG_ENCRYPTS[alg]) ok = aead_run(ctx, 0, 1, nonce, aad, aadLen, NULL, 0, body, dataLen, out, body + dataLen);
    else ok = aead_run(ctx, 0, 0, nonce, aad, aadLen, iv, IVN, body, dataLen, NULL, body + dataLen);
    EVP_CIPHER_CTX_free(ctx);
  } else {
    OPENSSL_cleanse(nonce, sizeof nonce);
    napi_throw_error(env, "ERR_CHANNEL_NATIVE", "EVP cipher initialisation failed");
    return NULL;
  }
  OPENSSL_cleanse(nonce, sizeof nonce);
  if (!ok && ALG_ENCRYPTS[alg]) OPENSSL_cleanse(out, outLen);
  napi_value r;
  CHECK(env, napi_get_boolean(env, ok != 0, &r));
  return r;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  Instance *in = (Instance *)calloc(1, sizeof *in);
  if (in == NULL) { napi_throw_error(env, "ERR_CHANNEL_NATIVE", "out of memory"); return NULL; }
  for (int i = 0; i < ALG_COUNT; i++) in->cipher[i] = EVP_CIPHER_fetch(NULL, ALG_FETCH[i], NULL);
  if (napi_set_instance_data(env, in, instance_finalize, NULL) != napi_ok) { instance_finalize(env, in, NULL); napi_throw_error(env, "ERR_CHANNEL_NATIVE", "napi_set_instance_data failed"); return NULL; }
  napi_property_descriptor props[] = {
    { "saNew", NULL, sa_new, NULL, NULL, NULL, napi_enumerable, NULL },
    { "saFree", NULL, sa_free, NULL, NULL, NULL, napi_enumerable, NULL },
    { "recordSeal", NULL, record_seal, NULL, NULL, NULL, napi_enumerable, NULL },
    { "recordOpen", NULL, record_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "aeadSeal", NULL, aead_seal, NULL, NULL, NULL, napi_enumerable, NULL },
    { "aeadOpen", NULL, aead_open, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  napi_value v;
  if (napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &v) == napi_ok) napi_set_named_property(env, exports, "openssl", v);
  return exports;
}
