/*
 * secdns_sign: signs RRset batches (the form packages/dnssec/src/sign_batch.ts writes) on
 * libuv's thread pool with the OpenSSL 3 that the node binary exports. Node 20's
 * node:crypto signs one buffer per call on the calling thread; spreading that over cores
 * takes worker_threads, each loading its own module graph, with every batch and reply
 * passed as a message. Here one napi_async_work signs one batch: it puts each RRset's
 * RDATA in canonical order, drops duplicates, builds the RRSIG signed data (RFC 4034
 * §3.1.8.1) and signs it with EVP_DigestSign, returning DNSSEC-format signatures (ECDSA
 * r || s, RFC 6605 §4; RSA PKCS#1 v1.5; Ed25519/Ed448 as is).
 *
 * Exports:
 *   createKey(algorithm, pkcs8Der) -> key        the DER bytes are wiped (OPENSSL_cleanse)
 *   signRRsets(keys, keyTags, inception, signerWire, batch, sigs, callback)
 *       callback(error | null, signatures: Uint8Array, ends: Uint32Array)
 *
 * Every length in a batch is bounds-checked: a malformed batch is an error, never a crash.
 */
#include <node_api.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 255

typedef struct {
  EVP_PKEY *pkey;
  int alg;
  const EVP_MD *md;   /* NULL for Ed25519/Ed448 */
  int ecdsa_bytes;    /* r and s size for ECDSA, else 0 */
  size_t max_sig;     /* largest signature EVP_DigestSign writes (DER for ECDSA) */
  size_t out_sig;     /* largest DNSSEC-format signature */
} sign_key;

typedef struct {
  napi_async_work work;
  napi_ref callback;
  napi_ref batch_ref;
  const uint8_t *batch;
  size_t batch_len;
  uint8_t signer[256];
  size_t signer_len;
  uint32_t inception;
  size_t nkeys;
  sign_key keys[MAX_KEYS];
  uint16_t tags[MAX_KEYS];
  uint32_t sigs;
  uint8_t *out;
  size_t out_len;
  uint32_t *ends;
  uint32_t n;
  char error[256];
} sign_job;

typedef struct { const uint8_t *p; uint32_t len; } rdata_ref;

#define CHECK(call) do { if ((call) != napi_ok) return throw_last(env); } while (0)

static napi_value throw_last(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_NATIVE_SIGN", info != NULL && info->error_message != NULL ? info->error_message : "N-API call failed");
  return NULL;
}

static napi_value throw_msg(napi_env env, const char *msg) {
  napi_throw_error(env, "ERR_NATIVE_SIGN", msg);
  return NULL;
}

static void openssl_error(char *buf, size_t size, const char *what) {
  unsigned long e = ERR_get_error();
  char detail[160] = "";
  if (e != 0) ERR_error_string_n(e, detail, sizeof detail);
  snprintf(buf, size, "%s%s%s", what, e != 0 ? ": " : "", detail);
  ERR_clear_error();
}

/* The key's algorithm parameters; 0 when the key does not fit the DNSSEC algorithm. */
static int key_params(sign_key *k) {
  int id = EVP_PKEY_get_base_id(k->pkey);
  int size = EVP_PKEY_get_size(k->pkey);
  if (size <= 0) return 0;
  k->max_sig = (size_t)size;
  k->out_sig = (size_t)size;
  k->ecdsa_bytes = 0;
  switch (k->alg) {
    case 5: case 7: k->md = EVP_sha1(); return id == EVP_PKEY_RSA;
    case 8: k->md = EVP_sha256(); return id == EVP_PKEY_RSA;
    case 10: k->md = EVP_sha512(); return id == EVP_PKEY_RSA;
    case 13: case 14: {
      int bits = EVP_PKEY_get_bits(k->pkey);
      k->md = k->alg == 13 ? EVP_sha256() : EVP_sha384();
      k->ecdsa_bytes = k->alg == 13 ? 32 : 48;
      k->out_sig = (size_t)k->ecdsa_bytes * 2;
      return id == EVP_PKEY_EC && bits == k->ecdsa_bytes * 8;
    }
    case 15: k->md = NULL; return id == EVP_PKEY_ED25519;
    case 16: k->md = NULL; return id == EVP_PKEY_ED448;
    default: return 0;
  }
}

static void key_finalize(napi_env env, void *data, void *hint) {
  sign_key *k = data;
  EVP_PKEY_free(k->pkey);
  free(k);
}

/* createKey(algorithm, pkcs8Der): the DER is wiped whatever the outcome. */
static napi_value create_key(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_msg(env, "createKey(algorithm, pkcs8Der)");
  int32_t alg = 0;
  CHECK(napi_get_value_int32(env, argv[0], &alg));
  bool is_ta = false;
  CHECK(napi_is_typedarray(env, argv[1], &is_ta));
  if (!is_ta) return throw_msg(env, "createKey: the key must be a Uint8Array");
  napi_typedarray_type tt;
  size_t len = 0;
  void *der = NULL;
  CHECK(napi_get_typedarray_info(env, argv[1], &tt, &len, &der, NULL, NULL));
  if (tt != napi_uint8_array || der == NULL || len == 0) return throw_msg(env, "createKey: the key must be a non-empty Uint8Array");
  const unsigned char *p = der;
  ERR_clear_error();
  EVP_PKEY *pkey = d2i_AutoPrivateKey(NULL, &p, (long)len);
  OPENSSL_cleanse(der, len);
  if (pkey == NULL) { ERR_clear_error(); return throw_msg(env, "createKey: not a PKCS#8 private key"); }
  sign_key *k = calloc(1, sizeof *k);
  if (k == NULL) { EVP_PKEY_free(pkey); return throw_msg(env, "createKey: out of memory"); }
  k->pkey = pkey;
  k->alg = alg;
  if (!key_params(k)) {
    EVP_PKEY_free(pkey);
    free(k);
    char msg[96];
    snprintf(msg, sizeof msg, "createKey: the key does not fit DNSSEC algorithm %d", (int)alg);
    return throw_msg(env, msg);
  }
  napi_value ext;
  if (napi_create_external(env, k, key_finalize, NULL, &ext) != napi_ok) {
    EVP_PKEY_free(pkey);
    free(k);
    return throw_last(env);
  }
  return ext;
}

static int compare_rdata(const void *a, const void *b) {
  const rdata_ref *x = a, *y = b;
  uint32_t n = x->len < y->len ? x->len : y->len;
  int c = n == 0 ? 0 : memcmp(x->p, y->p, n);
  if (c != 0) return c;
  return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wr32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }

/* Sign `msg` with key `ki` into dst (room for k->out_sig); its length in *dlen. */
static int sign_one(sign_job *j, EVP_MD_CTX *ctx, EVP_MD_CTX **tmpl, size_t ki, const uint8_t *msg, size_t len, uint8_t *der, uint8_t *dst, size_t *dlen) {
  sign_key *k = &j->keys[ki];
  if (tmpl[ki] == NULL || !EVP_MD_CTX_copy_ex(ctx, tmpl[ki])) {
    ERR_clear_error();
    EVP_MD_CTX_reset(ctx);
    if (EVP_DigestSignInit(ctx, NULL, k->md, NULL, k->pkey) != 1) { openssl_error(j->error, sizeof j->error, "EVP_DigestSignInit"); return 0; }
  }
  size_t sl = k->max_sig;
  uint8_t *to = k->ecdsa_bytes != 0 ? der : dst;
  if (EVP_DigestSign(ctx, to, &sl, msg, len) != 1) { openssl_error(j->error, sizeof j->error, "EVP_DigestSign"); return 0; }
  if (k->ecdsa_bytes == 0) { *dlen = sl; return 1; }
  const unsigned char *p = der;
  ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)sl);
  if (sig == NULL) { openssl_error(j->error, sizeof j->error, "d2i_ECDSA_SIG"); return 0; }
  const BIGNUM *r = NULL, *s = NULL;
  ECDSA_SIG_get0(sig, &r, &s);
  int ok = BN_bn2binpad(r, dst, k->ecdsa_bytes) == k->ecdsa_bytes && BN_bn2binpad(s, dst + k->ecdsa_bytes, k->ecdsa_bytes) == k->ecdsa_bytes;
  ECDSA_SIG_free(sig);
  if (!ok) { snprintf(j->error, sizeof j->error, "ECDSA signature integer too long"); return 0; }
  *dlen = (size_t)k->ecdsa_bytes * 2;
  return 1;
}

#define FAIL(...) do { snprintf(j->error, sizeof j->error, __VA_ARGS__); goto done; } while (0)

static void execute(napi_env env, void *data) {
  sign_job *j = data;
  ERR_clear_error();
  EVP_MD_CTX *tmpl[MAX_KEYS] = { 0 };
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  rdata_ref *rd = NULL;
  size_t rd_cap = 0;
  uint8_t *sd = NULL;
  size_t sd_cap = 0;
  size_t max_der = 0, max_out = 0;
  uint8_t *der = NULL;
  if (ctx == NULL) FAIL("out of memory");
  for (size_t i = 0; i < j->nkeys; i++) {
    if (j->keys[i].max_sig > max_der) max_der = j->keys[i].max_sig;
    if (j->keys[i].out_sig > max_out) max_out = j->keys[i].out_sig;
    tmpl[i] = EVP_MD_CTX_new();
    if (tmpl[i] != NULL && EVP_DigestSignInit(tmpl[i], NULL, j->keys[i].md, NULL, j->keys[i].pkey) != 1) {
      openssl_error(j->error, sizeof j->error, "EVP_DigestSignInit");
      goto done;
    }
  }
  der = malloc(max_der + 1);
  if (der == NULL) FAIL("out of memory");
  /* Each signature takes at least one key-index byte of the batch: j->sigs <= batch_len. */
  if (j->sigs > j->batch_len) { FAIL("malformed RRset batch: %u signatures announced in %zu bytes", j->sigs, j->batch_len); }
  j->out = malloc((size_t)j->sigs * max_out + 1);
  j->ends = malloc((size_t)j->sigs * sizeof(uint32_t) + 4);
  if (j->out == NULL || j->ends == NULL) { FAIL("out of memory"); }
  const uint8_t *d = j->batch;
  const size_t n = j->batch_len;
  size_t p = 0, o = 0;
  while (p < n) {
    size_t nk = d[p];
    size_t kp = p + 1;
    p = kp + nk;
    if (p + 14 > n) { FAIL("malformed RRset batch: RRset header overruns the batch at %zu of %zu", p, n); }
    const uint8_t *fixed = d + p;   /* type, class, TTL, labels, expiration */
    p += 13;
    size_t olen = d[p];
    const uint8_t *owner = d + p + 1;
    p += 1 + olen;
    if (p + 2 > n) { FAIL("malformed RRset batch: owner overruns the batch at %zu of %zu", p, n); }
    size_t count = rd16(d + p);
    p += 2;
    if (count > rd_cap) {
      size_t cap = count < 64 ? 64 : count;
      rdata_ref *g = realloc(rd, cap * sizeof *rd);
      if (g == NULL) { FAIL("out of memory"); }
      rd = g; rd_cap = cap;
    }
    for (size_t i = 0; i < count; i++) {
      if (p + 2 > n) { FAIL("malformed RRset batch: RDATA length overruns the batch at %zu of %zu", p, n); }
      uint32_t len = rd16(d + p);
      if (p + 2 + len > n) { FAIL("malformed RRset batch: RDATA overruns the batch at %zu of %zu", p, n); }
      rd[i].p = d + p + 2;
      rd[i].len = len;
      p += 2 + len;
    }
    if (count == 0) { FAIL("malformed RRset batch: an RRset without records"); }
    if (count > 1) qsort(rd, count, sizeof *rd, compare_rdata);
    size_t size = 18 + j->signer_len;
    for (size_t i = 0; i < count; i++) {
      if (i > 0 && compare_rdata(&rd[i - 1], &rd[i]) == 0) continue;
      size += olen + 10 + rd[i].len;
    }
    if (size > sd_cap) {
      size_t cap = size < 4096 ? 4096 : size * 2;
      uint8_t *g = realloc(sd, cap);
      if (g == NULL) { FAIL("out of memory"); }
      sd = g; sd_cap = cap;
    }
    uint8_t *s = sd;
    memcpy(s, fixed, 2);           /* type covered */
    s[3] = fixed[8];               /* labels */
    memcpy(s + 4, fixed + 4, 4);   /* original TTL */
    memcpy(s + 8, fixed + 9, 4);   /* expiration */
    wr32(s + 12, j->inception);
    memcpy(s + 18, j->signer, j->signer_len);
    size_t q = 18 + j->signer_len;
    for (size_t i = 0; i < count; i++) {
      if (i > 0 && compare_rdata(&rd[i - 1], &rd[i]) == 0) continue;
      memcpy(s + q, owner, olen); q += olen;
      memcpy(s + q, fixed, 8); q += 8;   /* type, class, TTL */
      wr16(s + q, rd[i].len); q += 2;
      if (rd[i].len > 0) memcpy(s + q, rd[i].p, rd[i].len);
      q += rd[i].len;
    }
    for (size_t k = 0; k < nk; k++) {
      size_t ki = d[kp + k];
      if (ki >= j->nkeys) { FAIL("malformed RRset batch: key index %zu of %zu", ki, j->nkeys); }
      if (j->n >= j->sigs) { FAIL("RRset batch holds more than the %u signatures announced", j->sigs); }
      s[2] = (uint8_t)j->keys[ki].alg;
      wr16(s + 16, j->tags[ki]);
      size_t dl = 0;
      if (!sign_one(j, ctx, tmpl, ki, s, size, der, j->out + o, &dl)) goto done;
      o += dl;
      j->ends[j->n++] = (uint32_t)o;
    }
  }
  if (j->n != j->sigs) FAIL("RRset batch held %u signatures, %u announced", j->n, j->sigs);
  j->out_len = o;
done:
  for (size_t i = 0; i < j->nkeys; i++) EVP_MD_CTX_free(tmpl[i]);
  EVP_MD_CTX_free(ctx);
  free(der);
  free(rd);
  free(sd);
}

static void job_free(napi_env env, sign_job *j) {
  if (j->callback != NULL) napi_delete_reference(env, j->callback);
  if (j->batch_ref != NULL) napi_delete_reference(env, j->batch_ref);
  if (j->work != NULL) napi_delete_async_work(env, j->work);
  for (size_t i = 0; i < j->nkeys; i++) EVP_PKEY_free(j->keys[i].pkey);
  free(j->out);
  free(j->ends);
  free(j);
}

static void complete(napi_env env, napi_status status, void *data) {
  sign_job *j = data;
  napi_value cb, undef, argv[3];
  napi_get_undefined(env, &undef);
  if (napi_get_reference_value(env, j->callback, &cb) != napi_ok) { job_free(env, j); return; }
  if (status != napi_ok && j->error[0] == 0) snprintf(j->error, sizeof j->error, "signing was cancelled");
  size_t argc = 1;
  if (j->error[0] != 0) {
    napi_value msg;
    napi_create_string_utf8(env, j->error, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &argv[0]);
  } else {
    napi_value ab, sab;
    void *abdata = NULL, *sdata = NULL;
    napi_get_null(env, &argv[0]);
    if (napi_create_arraybuffer(env, j->out_len, &sdata, &sab) != napi_ok ||
        napi_create_typedarray(env, napi_uint8_array, j->out_len, sab, 0, &argv[1]) != napi_ok ||
        napi_create_arraybuffer(env, (size_t)j->n * 4, &abdata, &ab) != napi_ok ||
        napi_create_typedarray(env, napi_uint32_array, j->n, ab, 0, &argv[2]) != napi_ok) {
      napi_value msg;
      napi_create_string_utf8(env, "out of memory returning signatures", NAPI_AUTO_LENGTH, &msg);
      napi_create_error(env, NULL, msg, &argv[0]);
    } else {
      if (j->out_len > 0) memcpy(sdata, j->out, j->out_len);
      if (j->n > 0) memcpy(abdata, j->ends, (size_t)j->n * 4);
      argc = 3;
    }
  }
  job_free(env, j);
  napi_value ignored;
  napi_call_function(env, undef, cb, argc, argv, &ignored);
}

/* signRRsets(keys, keyTags, inception, signerWire, batch, sigs, callback) */
static napi_value sign_rrsets(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) return throw_msg(env, "signRRsets(keys, keyTags, inception, signerWire, batch, sigs, callback)");
  sign_job *j = calloc(1, sizeof *j);
  if (j == NULL) return throw_msg(env, "out of memory");
  uint32_t nkeys = 0, ntags = 0;
  bool is_arr = false;
  const char *bad = NULL;
  if (napi_is_array(env, argv[0], &is_arr) != napi_ok || !is_arr || napi_get_array_length(env, argv[0], &nkeys) != napi_ok) bad = "keys must be an array";
  else if (nkeys == 0 || nkeys > MAX_KEYS) bad = "between 1 and 255 keys";
  else if (napi_is_array(env, argv[1], &is_arr) != napi_ok || !is_arr || napi_get_array_length(env, argv[1], &ntags) != napi_ok || ntags != nkeys) bad = "keyTags must be an array as long as keys";
  for (uint32_t i = 0; bad == NULL && i < nkeys; i++) {
    napi_value v, t;
    napi_valuetype vt;
    void *ext = NULL;
    uint32_t tag = 0;
    if (napi_get_element(env, argv[0], i, &v) != napi_ok || napi_typeof(env, v, &vt) != napi_ok || vt != napi_external ||
        napi_get_value_external(env, v, &ext) != napi_ok || ext == NULL) { bad = "keys must come from createKey"; break; }
    if (napi_get_element(env, argv[1], i, &t) != napi_ok || napi_get_value_uint32(env, t, &tag) != napi_ok || tag > 0xffff) { bad = "key tags must be 16-bit numbers"; break; }
    j->keys[i] = *(sign_key *)ext;
    EVP_PKEY_up_ref(j->keys[i].pkey);
    j->nkeys = i + 1;
    j->tags[i] = (uint16_t)tag;
  }
  double inception = 0;
  if (bad == NULL && (napi_get_value_double(env, argv[2], &inception) != napi_ok || inception < 0 || inception > 4294967295.0)) bad = "inception must be a 32-bit number";
  j->inception = (uint32_t)inception;
  napi_typedarray_type tt;
  size_t len = 0;
  void *ptr = NULL;
  bool is_ta = false;
  if (bad == NULL && (napi_is_typedarray(env, argv[3], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[3], &tt, &len, &ptr, NULL, NULL) != napi_ok || tt != napi_uint8_array || len == 0 || len > 255)) bad = "signerWire must be a Uint8Array of 1 to 255 octets";
  if (bad == NULL) { memcpy(j->signer, ptr, len); j->signer_len = len; }
  if (bad == NULL && (napi_is_typedarray(env, argv[4], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[4], &tt, &len, &ptr, NULL, NULL) != napi_ok || tt != napi_uint8_array)) bad = "batch must be a Uint8Array";
  if (bad == NULL) { j->batch = ptr; j->batch_len = len; }
  if (bad == NULL && (napi_get_value_uint32(env, argv[5], &j->sigs) != napi_ok)) bad = "sigs must be a number";
  napi_valuetype vt;
  if (bad == NULL && (napi_typeof(env, argv[6], &vt) != napi_ok || vt != napi_function)) bad = "callback must be a function";
  if (bad != NULL) { job_free(env, j); return throw_msg(env, bad); }
  napi_value name;
  if (napi_create_reference(env, argv[4], 1, &j->batch_ref) != napi_ok ||
      napi_create_reference(env, argv[6], 1, &j->callback) != napi_ok ||
      napi_create_string_utf8(env, "secdns:signRRsets", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    job_free(env, j);
    return throw_last(env);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "createKey", NULL, create_key, NULL, NULL, NULL, napi_enumerable, NULL },
    { "signRRsets", NULL, sign_rrsets, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
