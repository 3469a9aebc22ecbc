/*
 * Batched UDP I/O for Node 20 (N-API, plain C, Linux).
 *
 * node:dgram makes one recvmsg, one JavaScript callback, one Buffer and one rinfo object per
 * datagram, and one sendmsg with its own request object per answer. Here a UDP socket made and
 * bound in C is watched by a uv_poll_t on Node's own loop; when it is readable, recvmmsg
 * takes up to `batch` datagrams into one buffer shared with JavaScript (a fixed slot per
 * datagram) and fills a table of lengths, flags and sender addresses, then JavaScript is
 * called once for the whole batch. Answers are written by JavaScript into a shared out
 * buffer and table and leave in one sendmmsg. When the kernel says EAGAIN the rest waits in
 * a bounded queue here (the socket is then also polled for writable); beyond the bound
 * answers are dropped and counted.
 *
 * Every offset and length coming from JavaScript is checked against the buffers it was given.
 */
#include <node_api.h>
#include <uv.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

/* Int32 words per datagram in both tables:
 * [0] offset (out table only; 0 in the in table), [1] length, [2] flags (bit 0: truncated),
 * [3] family (4 or 6), [4] port, [5..8] address (4 or 16 bytes, as in the sockaddr), [9] IPv6 scope id. */
#define W 10
#define F_TRUNC 1
/* Rounds of recvmmsg per readable event, so one busy socket does not starve the loop. */
#define MAX_ROUNDS 8
/* Datagrams handed to one sendmmsg call from the queue. */
#define QBATCH 64

typedef struct qitem {
  struct qitem *next;
  struct sockaddr_storage to;
  socklen_t tolen;
  size_t len;
  uint8_t data[];
} qitem;

typedef struct {
  napi_env env;
  int fd;
  int family;
  uv_poll_t poll;
  int events;
  int closing;
  int finalized;
  int handle_closed;
  int in_callback;
  int debug_block;
  napi_ref cb, in_ref, tab_ref, out_ref, otab_ref;
  napi_async_context actx;
  napi_async_cleanup_hook_handle cleanup;
  uint8_t *in;
  size_t in_len;
  int32_t *tab;
  size_t tab_words;
  uint8_t *out;
  size_t out_len;
  int32_t *otab;
  size_t otab_entries;
  unsigned batch, slot;
  struct mmsghdr *rmsgs;
  struct iovec *riov;
  struct sockaddr_storage *raddr;
  struct mmsghdr *smsgs;
  struct iovec *siov;
  struct sockaddr_storage *saddr;
  qitem *qhead, *qtail;
  size_t qcount, qbytes, qmax_count, qmax_bytes;
  double received, sent, dropped, errors, truncated, batches;
} sock_t;

/* ---------- errors ---------- */

static void throw_errno(napi_env env, int err, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s (%s)", what, uv_err_name(-err), uv_strerror(-err));
  napi_throw_error(env, uv_err_name(-err), msg);
}

#define NAPI_OK(call) do { if ((call) != napi_ok) { return NULL; } } while (0)

static int get_named_int(napi_env env, napi_value obj, const char *key, int64_t dflt, int64_t min, int64_t max, int64_t *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok) return -1;
  if (!has) { *out = dflt; return 0; }
  napi_value v;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return -1;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) { *out = dflt; return 0; }
  if (t != napi_number) { char m[96]; snprintf(m, sizeof m, "option %s must be a number", key); napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", m); return -1; }
  double d;
  napi_get_value_double(env, v, &d);
  if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d) {
    char m[128]; snprintf(m, sizeof m, "option %s must be an integer from %lld to %lld", key, (long long)min, (long long)max);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", m);
    return -1;
  }
  *out = (int64_t)d;
  return 0;
}

static int get_named_bool(napi_env env, napi_value obj, const char *key, bool *out) {
  bool has = false;
  *out = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok) return -1;
  if (!has) return 0;
  napi_value v;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return -1;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return 0;
  if (t != napi_boolean) { char m[96]; snprintf(m, sizeof m, "option %s must be a boolean", key); napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", m); return -1; }
  napi_get_value_bool(env, v, out);
  return 0;
}

/* A typed array's memory and element count, checked to be of the type wanted. */
static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length, const char *what) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (!is || napi_get_typedarray_info(env, v, &t, length, data, &ab, &off) != napi_ok || t != want) {
    char m[96]; snprintf(m, sizeof m, "%s must be a %s", what, want == napi_int32_array ? "Int32Array" : "Uint8Array");
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", m);
    return -1;
  }
  return 0;
}

/* ---------- lifetime ---------- */

static void free_queue(sock_t *s) {
  qitem *q = s->qhead;
  while (q) { qitem *n = q->next; free(q); q = n; }
  s->qhead = s->qtail = NULL;
  s->qcount = s->qbytes = 0;
}

static void free_sock(sock_t *s) {
  free(s->rmsgs); free(s->riov); free(s->raddr);
  free(s->smsgs); free(s->siov); free(s->saddr);
  free(s);
}

static void on_handle_closed(uv_handle_t *h) {
  sock_t *s = (sock_t *)h->data;
  if (s->fd >= 0) { close(s->fd); s->fd = -1; }
  s->handle_closed = 1;
  /* Unregisters the hook, or tells Node the teardown it started is done. */
  if (s->cleanup) { napi_remove_async_cleanup_hook(s->cleanup); s->cleanup = NULL; }
  if (s->finalized) free_sock(s);
}

/* Stop polling, let go of the JavaScript objects and close the socket (once). */
static void do_close(sock_t *s) {
  if (s->closing) return;
  s->closing = 1;
  uv_poll_stop(&s->poll);
  napi_env env = s->env;
  if (s->cb) { napi_delete_reference(env, s->cb); s->cb = NULL; }
  if (s->in_ref) { napi_delete_reference(env, s->in_ref); s->in_ref = NULL; }
  if (s->tab_ref) { napi_delete_reference(env, s->tab_ref); s->tab_ref = NULL; }
  if (s->out_ref) { napi_delete_reference(env, s->out_ref); s->out_ref = NULL; }
  if (s->otab_ref) { napi_delete_reference(env, s->otab_ref); s->otab_ref = NULL; }
  if (s->actx) { napi_async_destroy(env, s->actx); s->actx = NULL; }
  s->in = s->out = NULL;
  s->tab = s->otab = NULL;
  free_queue(s);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
}

/*
 * When the environment goes away (a worker thread ends) with the socket still open: close it
 * while Node still runs the loop. A close left to the finalizer could have its callback run
 * after the addon is unloaded.
 */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  sock_t *s = (sock_t *)arg;
  if (!s->closing) do_close(s);
}

static void finalize(napi_env env, void *data, void *hint) {
  sock_t *s = (sock_t *)data;
  s->finalized = 1;
  if (!s->closing) do_close(s);
  if (s->handle_closed) free_sock(s);
}

/* ---------- sending ---------- */

static void on_poll(uv_poll_t *h, int status, int events);

static void set_events(sock_t *s, int events) {
  if (s->closing || events == s->events) return;
  s->events = events;
  uv_poll_start(&s->poll, events, on_poll);
}

static int addr_from_words(sock_t *s, const int32_t *e, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  int port = e[4];
  if (port < 0 || port > 65535) return -1;
  if (e[3] == 4 && s->family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    memcpy(&a->sin_addr, &e[5], 4);
    *len = sizeof *a;
    return 0;
  }
  if (e[3] == 6 && s->family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    memcpy(&a->sin6_addr, &e[5], 16);
    a->sin6_scope_id = (uint32_t)e[9];
    *len = sizeof *a;
    return 0;
  }
  return -1;
}

static void enqueue(sock_t *s, const uint8_t *data, size_t len, const struct sockaddr_storage *to, socklen_t tolen) {
  if (s->qcount >= s->qmax_count || s->qbytes + len > s->qmax_bytes) { s->dropped++; return; }
  qitem *q = (qitem *)malloc(sizeof *q + len);
  if (!q) { s->dropped++; return; }
  q->next = NULL;
  memcpy(&q->to, to, sizeof *to);
  q->tolen = tolen;
  q->len = len;
  if (len) memcpy(q->data, data, len);
  if (s->qtail) s->qtail->next = q; else s->qhead = q;
  s->qtail = q;
  s->qcount++;
  s->qbytes += len;
}

static int would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS; }

/* Send what waits in the queue; poll for writable while some is left. */
static void drain_queue(sock_t *s) {
  while (s->qhead && !s->debug_block) {
    struct mmsghdr m[QBATCH];
    struct iovec v[QBATCH];
    unsigned n = 0;
    for (qitem *q = s->qhead; q && n < QBATCH; q = q->next, n++) {
      v[n].iov_base = q->data;
      v[n].iov_len = q->len;
      memset(&m[n], 0, sizeof m[n]);
      m[n].msg_hdr.msg_name = &q->to;
      m[n].msg_hdr.msg_namelen = q->tolen;
      m[n].msg_hdr.msg_iov = &v[n];
      m[n].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(s->fd, m, n, MSG_DONTWAIT);
    unsigned pop = 0;
    if (r > 0) { pop = (unsigned)r; s->sent += r; }
    else if (r < 0 && errno == EINTR) continue;
    else if (r < 0 && would_block(errno)) break;
    else { pop = 1; s->errors++; }
    while (pop-- && s->qhead) {
      qitem *q = s->qhead;
      s->qhead = q->next;
      if (!s->qhead) s->qtail = NULL;
      s->qcount--;
      s->qbytes -= q->len;
      free(q);
    }
  }
  set_events(s, s->qhead && !s->debug_block ? (UV_READABLE | UV_WRITABLE) : UV_READABLE);
}

/* send(n): the first n entries of the out table leave in sendmmsg calls. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock_t *s;
  NAPI_OK(napi_unwrap(env, self, (void **)&s));
  if (s->closing) return NULL;
  uint32_t n = 0;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &n) != napi_ok || n > s->otab_entries) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "send: count out of range");
    return NULL;
  }
  unsigned k = 0;
  for (uint32_t i = 0; i < n; i++) {
    const int32_t *e = s->otab + (size_t)i * W;
    int64_t off = e[0], len = e[1];
    if (off < 0 || len < 0 || off + len > (int64_t)s->out_len || len > 65535) { s->errors++; continue; }
    socklen_t alen;
    if (addr_from_words(s, e, &s->saddr[k], &alen) < 0) { s->errors++; continue; }
    s->siov[k].iov_base = s->out + off;
    s->siov[k].iov_len = (size_t)len;
    memset(&s->smsgs[k], 0, sizeof s->smsgs[k]);
    s->smsgs[k].msg_hdr.msg_name = &s->saddr[k];
    s->smsgs[k].msg_hdr.msg_namelen = alen;
    s->smsgs[k].msg_hdr.msg_iov = &s->siov[k];
    s->smsgs[k].msg_hdr.msg_iovlen = 1;
    k++;
  }
  unsigned i = 0;
  /* Answers already waiting go first; new ones join the queue behind them. */
  while (i < k && !s->qhead && !s->debug_block) {
    int r = sendmmsg(s->fd, s->smsgs + i, k - i, MSG_DONTWAIT);
    if (r > 0) { i += (unsigned)r; s->sent += r; }
    else if (r < 0 && errno == EINTR) continue;
    else if (r < 0 && would_block(errno)) break;
    else { i++; s->errors++; }
  }
  if (i < k) {
    for (; i < k; i++) {
      struct msghdr *h = &s->smsgs[i].msg_hdr;
      enqueue(s, (const uint8_t *)h->msg_iov->iov_base, h->msg_iov->iov_len, (struct sockaddr_storage *)h->msg_name, h->msg_namelen);
    }
    if (!s->debug_block) set_events(s, UV_READABLE | UV_WRITABLE);
  }
  return NULL;
}

/* ---------- receiving ---------- */

static void call_js(sock_t *s, unsigned n) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[1], result;
  if (napi_get_reference_value(env, s->cb, &cb) == napi_ok && cb != NULL &&
      napi_get_global(env, &recv) == napi_ok && napi_create_uint32(env, n, &argv[0]) == napi_ok) {
    s->in_callback = 1;
    napi_status st = napi_make_callback(env, s->actx, recv, cb, 1, argv, &result);
    s->in_callback = 0;
    if (st == napi_pending_exception) {
      napi_value exc;
      if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void read_batches(sock_t *s) {
  for (int round = 0; round < MAX_ROUNDS && !s->closing; round++) {
    for (unsigned i = 0; i < s->batch; i++) {
      s->riov[i].iov_base = s->in + (size_t)i * s->slot;
      s->riov[i].iov_len = s->slot;
      memset(&s->rmsgs[i], 0, sizeof s->rmsgs[i]);
      s->rmsgs[i].msg_hdr.msg_name = &s->raddr[i];
      s->rmsgs[i].msg_hdr.msg_namelen = sizeof s->raddr[i];
      s->rmsgs[i].msg_hdr.msg_iov = &s->riov[i];
      s->rmsgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(s->fd, s->rmsgs, s->batch, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (!would_block(errno)) s->errors++;
      return;
    }
    if (n == 0) return;
    for (int i = 0; i < n; i++) {
      int32_t *e = s->tab + (size_t)i * W;
      memset(e, 0, W * sizeof *e);
      unsigned len = s->rmsgs[i].msg_len;
      if (len > s->slot) len = s->slot;
      e[1] = (int32_t)len;
      if (s->rmsgs[i].msg_hdr.msg_flags & MSG_TRUNC) { e[2] = F_TRUNC; s->truncated++; }
      const struct sockaddr_storage *a = &s->raddr[i];
      if (a->ss_family == AF_INET && s->rmsgs[i].msg_hdr.msg_namelen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
        e[3] = 4;
        e[4] = ntohs(a4->sin_port);
        memcpy(&e[5], &a4->sin_addr, 4);
      } else if (a->ss_family == AF_INET6 && s->rmsgs[i].msg_hdr.msg_namelen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
        e[3] = 6;
        e[4] = ntohs(a6->sin6_port);
        memcpy(&e[5], &a6->sin6_addr, 16);
        e[9] = (int32_t)a6->sin6_scope_id;
      }
      /* family 0: no usable sender; JavaScript drops it. */
    }
    s->received += n;
    s->batches++;
    call_js(s, (unsigned)n);
    if ((unsigned)n < s->batch) return;
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_t *s = (sock_t *)h->data;
  if (s->closing) return;
  if (status < 0) { s->errors++; return; }
  if (events & UV_WRITABLE) drain_queue(s);
  if (!s->closing && (events & UV_READABLE)) read_batches(s);
}

/* ---------- JavaScript API ---------- */

/* open(options, in, table, out, outTable, onBatch) -> handle object {port, address, family} */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) { napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "open(options, in, table, out, outTable, onBatch)"); return NULL; }
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (t != napi_object) { napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "options must be an object"); return NULL; }
  napi_typeof(env, argv[5], &t);
  if (t != napi_function) { napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "onBatch must be a function"); return NULL; }
  int64_t family, port, batch, slot, rcvbuf, sndbuf, qmax, qbytes;
  bool reuse, v6only;
  if (get_named_int(env, argv[0], "family", 4, 4, 6, &family) || (family != 4 && family != 6)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "option family must be 4 or 6"); return NULL;
  }
  if (get_named_int(env, argv[0], "port", 0, 0, 65535, &port) ||
      get_named_int(env, argv[0], "batch", 64, 1, 1024, &batch) ||
      get_named_int(env, argv[0], "slot", 65536, 512, 65536, &slot) ||
      get_named_int(env, argv[0], "recvBufferSize", 0, 0, 1 << 30, &rcvbuf) ||
      get_named_int(env, argv[0], "sendBufferSize", 0, 0, 1 << 30, &sndbuf) ||
      get_named_int(env, argv[0], "queueMax", 1024, 0, 1 << 20, &qmax) ||
      get_named_int(env, argv[0], "queueBytes", 4 << 20, 0, 1 << 30, &qbytes) ||
      get_named_bool(env, argv[0], "reusePort", &reuse) ||
      get_named_bool(env, argv[0], "ipv6Only", &v6only)) return NULL;
  napi_value addrv;
  char addr[INET6_ADDRSTRLEN + 1];
  size_t alen = 0;
  NAPI_OK(napi_get_named_property(env, argv[0], "address", &addrv));
  if (napi_get_value_string_utf8(env, addrv, addr, sizeof addr, &alen) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "option address must be a string"); return NULL;
  }
  void *in, *tab, *out, *otab;
  size_t in_len, tab_len, out_len, otab_len;
  if (typed(env, argv[1], napi_uint8_array, &in, &in_len, "in") ||
      typed(env, argv[2], napi_int32_array, &tab, &tab_len, "table") ||
      typed(env, argv[3], napi_uint8_array, &out, &out_len, "out") ||
      typed(env, argv[4], napi_int32_array, &otab, &otab_len, "outTable")) return NULL;
  if (in_len < (size_t)batch * (size_t)slot || tab_len < (size_t)batch * W || otab_len < W) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "in must hold batch * slot octets, table batch * 10 words, outTable at least 10 words");
    return NULL;
  }

  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  int af = family == 6 ? AF_INET6 : AF_INET;
  if (af == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (alen >= sizeof addr - 1 || inet_pton(AF_INET, addr, &a->sin_addr) != 1) { throw_errno(env, EINVAL, "not an IPv4 address"); return NULL; }
    sslen = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (alen >= sizeof addr - 1 || inet_pton(AF_INET6, addr, &a->sin6_addr) != 1) { throw_errno(env, EINVAL, "not an IPv6 address"); return NULL; }
    sslen = sizeof *a;
  }
  char what[INET6_ADDRSTRLEN + 32];
  snprintf(what, sizeof what, "bind %s%s%s:%d", af == AF_INET6 ? "[" : "", addr, af == AF_INET6 ? "]" : "", (int)port);
  int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { throw_errno(env, errno, "socket"); return NULL; }
  int one = 1, v6 = v6only ? 1 : 0;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) { int e = errno; close(fd); throw_errno(env, e, "SO_REUSEPORT"); return NULL; }
  if (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6) < 0) { int e = errno; close(fd); throw_errno(env, e, "IPV6_V6ONLY"); return NULL; }
  /* The kernel caps these at net.core.rmem_max / wmem_max; a refusal keeps the default. */
  if (rcvbuf > 0) { int v = (int)rcvbuf; (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v); }
  if (sndbuf > 0) { int v = (int)sndbuf; (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v); }
  if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) { int e = errno; close(fd); throw_errno(env, e, what); return NULL; }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) { int e = errno; close(fd); throw_errno(env, e, "getsockname"); return NULL; }
  int bport = af == AF_INET ? ntohs(((struct sockaddr_in *)&bound)->sin_port) : ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);

  sock_t *s = (sock_t *)calloc(1, sizeof *s);
  size_t oe = otab_len / W;
  if (s) {
    s->rmsgs = calloc((size_t)batch, sizeof *s->rmsgs);
    s->riov = calloc((size_t)batch, sizeof *s->riov);
    s->raddr = calloc((size_t)batch, sizeof *s->raddr);
    s->smsgs = calloc(oe, sizeof *s->smsgs);
    s->siov = calloc(oe, sizeof *s->siov);
    s->saddr = calloc(oe, sizeof *s->saddr);
  }
  if (!s || !s->rmsgs || !s->riov || !s->raddr || !s->smsgs || !s->siov || !s->saddr) {
    if (s) free_sock(s);
    close(fd);
    throw_errno(env, ENOMEM, "open");
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->family = af;
  s->batch = (unsigned)batch;
  s->slot = (unsigned)slot;
  s->in = in; s->in_len = in_len;
  s->tab = tab; s->tab_words = tab_len;
  s->out = out; s->out_len = out_len;
  s->otab = otab; s->otab_entries = oe;
  s->qmax_count = (size_t)qmax;
  s->qmax_bytes = (size_t)qbytes;

  uv_loop_t *loop;
  napi_value obj, v, name;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init_socket(loop, &s->poll, fd) != 0) {
    free_sock(s);
    close(fd);
    napi_throw_error(env, "ERR_UDP_POLL", "cannot watch the socket on the event loop");
    return NULL;
  }
  s->poll.data = s;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, "secdns.udp", NAPI_AUTO_LENGTH, &name);
  if (napi_wrap(env, obj, s, finalize, NULL, NULL) != napi_ok ||
      napi_async_init(env, obj, name, &s->actx) != napi_ok ||
      napi_create_reference(env, argv[5], 1, &s->cb) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &s->in_ref) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &s->tab_ref) != napi_ok ||
      napi_create_reference(env, argv[3], 1, &s->out_ref) != napi_ok ||
      napi_create_reference(env, argv[4], 1, &s->otab_ref) != napi_ok ||
      napi_add_async_cleanup_hook(env, on_env_cleanup, s, &s->cleanup) != napi_ok) {
    /* The wrap's finalizer frees it once the object is collected. */
    do_close(s);
    return NULL;
  }
  napi_create_int32(env, bport, &v);
  napi_set_named_property(env, obj, "port", v);
  s->events = UV_READABLE;
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  return obj;
}

static sock_t *unwrap_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  sock_t *s = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, (void **)&s) != napi_ok) return NULL;
  return s;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap_this(env, info, &argc, NULL);
  if (s) do_close(s);
  return NULL;
}

static napi_value js_ref(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sock_t *s = unwrap_this(env, info, &argc, argv);
  if (!s || s->closing) return NULL;
  bool on = true;
  if (argc > 0) napi_get_value_bool(env, argv[0], &on);
  if (on) uv_ref((uv_handle_t *)&s->poll); else uv_unref((uv_handle_t *)&s->poll);
  return NULL;
}

static void set_num(napi_env env, napi_value obj, const char *k, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  napi_set_named_property(env, obj, k, v);
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sock_t *s = unwrap_this(env, info, &argc, NULL);
  if (!s) return NULL;
  napi_value o;
  napi_create_object(env, &o);
  set_num(env, o, "received", s->received);
  set_num(env, o, "batches", s->batches);
  set_num(env, o, "sent", s->sent);
  set_num(env, o, "queued", (double)s->qcount);
  set_num(env, o, "dropped", s->dropped);
  set_num(env, o, "truncated", s->truncated);
  set_num(env, o, "errors", s->errors);
  if (!s->closing) {
    int v = 0;
    socklen_t l = sizeof v;
    if (getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &v, &l) == 0) set_num(env, o, "recvBufferSize", v);
    l = sizeof v;
    if (getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &v, &l) == 0) set_num(env, o, "sendBufferSize", v);
  }
  return o;
}

/* Tests only: while on, every send acts as if the kernel said EAGAIN. */
static napi_value js_block_send(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sock_t *s = unwrap_this(env, info, &argc, argv);
  if (!s || s->closing) return NULL;
  bool on = false;
  if (argc > 0) napi_get_value_bool(env, argv[0], &on);
  s->debug_block = on ? 1 : 0;
  if (!on && s->qhead) set_events(s, UV_READABLE | UV_WRITABLE);
  return NULL;
}

/* ntop(family, w0, w1, w2, w3): the text form of an address held as table words. */
static napi_value js_ntop(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t w[5] = {0, 0, 0, 0, 0};
  for (size_t i = 0; i < argc && i < 5; i++) napi_get_value_int32(env, argv[i], &w[i]);
  char buf[INET6_ADDRSTRLEN];
  const char *r = NULL;
  if (w[0] == 4) r = inet_ntop(AF_INET, &w[1], buf, sizeof buf);
  else if (w[0] == 6) r = inet_ntop(AF_INET6, &w[1], buf, sizeof buf);
  napi_value out;
  napi_create_string_utf8(env, r ? r : "", NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
    { "open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL },
    { "ntop", NULL, js_ntop, NULL, NULL, NULL, napi_default, NULL },
    { "send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
    { "ref", NULL, js_ref, NULL, NULL, NULL, napi_default, NULL },
    { "stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL },
    { "blockSend", NULL, js_block_send, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_value w;
  napi_create_int32(env, W, &w);
  napi_set_named_property(env, exports, "WORDS", w);
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
