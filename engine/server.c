/* server.c: the lws context, its mounts and the HTTP side of the API. */
#define G_LOG_DOMAIN "server"

#include "engine/server.h"

#include <dlfcn.h>
#include <errno.h>
#include <gio/gio.h>
#include <libwebsockets.h>
#include <string.h>

#include "engine/api.h"
#include "engine/ingest_ws.h"
#include "engine/topics.h"
#include "engine/uvloop.h"
#include "engine/users.h"
#include "wb-build-config.h"

G_DEFINE_QUARK(wb_server_error, wb_server_error)

/* Bytes of a reply body sent per WRITEABLE callback. */
#define HTTP_CHUNK (16 * 1024)
#define URI_MAX 2048
#define ARG_MAX 1024
#define ANSWER_TIMEOUT_S 30

enum { PROTO_HTTP_API, PROTO_TOPICS, PROTO_INGEST, PROTO_END, PROTO_COUNT };

/* Front-end libraries from npm, served by us (no CDN): URL, the files in an
 * installed tree, and where npm puts them in the source tree. */
static const struct {
  const char *mountpoint;
  const char *installed;
  const char *npm;
} vendors[] = {
    {"/vendor/uplot", "vendor/uplot", "node_modules/uplot/dist"},
};
#define VENDOR_COUNT G_N_ELEMENTS(vendors)

struct WbServer {
  WbEngine *engine;
  WbUvLoop *uv;                /* lws' loop, run from the GLib one */
  struct lws_context *context; /* set to NULL by lws once destroyed */
  struct lws_protocols protocols[PROTO_COUNT];
  struct lws_http_mount mount_root;
  struct lws_http_mount mount_api;
  struct lws_http_mount mount_health;
  struct lws_http_mount mount_metrics;
  struct lws_http_mount mount_vendor[VENDOR_COUNT];
  char *vendor_dirs[VENDOR_COUNT];
  const struct lws_http_mount *mounts; /* the head of the chain */
  WbTopics *topics;
  char *iface;
  char *dashboards;
  char *url;
  GSourceFunc done;
  gpointer done_data;
  guint stop_id;
};

/* One HTTP request: what was asked, and the reply being sent. */
typedef struct {
  char *method;
  char *path;
  GPtrArray *args; /* "name=value", decoded by lws */
  char *token;
  char *session; /* the session cookie's value */
  char *remote;  /* the peer's address */
  char *set_cookie;
  const char *content_type; /* NULL: JSON */
  char *disposition;
  gboolean has_body;
  gboolean chunked;     /* a body without Content-Length: refused */
  gsize body_len;       /* request body bytes seen */
  GByteArray *body;     /* kept up to [server] max_body_bytes */
  WbApiLater *later;    /* the answer, while a route works off the main loop */
  gboolean headers_due; /* a later answer: its headers go out when writeable */
  char *reply;
  gsize reply_len;
  gsize sent;
  guint status;
} Request;

static void
request_clear(Request *r)
{
  g_clear_pointer(&r->method, g_free);
  g_clear_pointer(&r->path, g_free);
  g_clear_pointer(&r->args, g_ptr_array_unref);
  g_clear_pointer(&r->token, g_free);
  g_clear_pointer(&r->session, g_free);
  g_clear_pointer(&r->remote, g_free);
  g_clear_pointer(&r->set_cookie, g_free);
  g_clear_pointer(&r->disposition, g_free);
  r->content_type = NULL;
  g_clear_pointer(&r->later, wb_api_later_drop);
  r->headers_due = FALSE;
  g_clear_pointer(&r->reply, g_free);
  g_clear_pointer(&r->body, g_byte_array_unref);
  r->reply_len = r->sent = r->body_len = 0;
  r->has_body = r->chunked = FALSE;
}

static void
lws_log_to_glib(int level, const char *line)
{
  g_autofree char *text = g_strchomp(g_strdup(line));
  if (level & LLL_ERR)
    g_warning("lws: %s", text);
  else if (level & LLL_WARN)
    g_message("lws: %s", text);
  else
    g_debug("lws: %s", text);
}

static const struct {
  int token;
  const char *name;
} methods[] = {
    {WSI_TOKEN_GET_URI, "GET"},         {WSI_TOKEN_POST_URI, "POST"},
    {WSI_TOKEN_HEAD_URI, "HEAD"},       {WSI_TOKEN_PUT_URI, "PUT"},
    {WSI_TOKEN_PATCH_URI, "PATCH"},     {WSI_TOKEN_DELETE_URI, "DELETE"},
    {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
};

/* Reads method, path, query and credentials of the request on wsi. */
static void
request_read(struct lws *wsi, Request *r)
{
  char uri[URI_MAX];
  char arg[ARG_MAX];

  r->method = g_strdup("GET");
  r->path = g_strdup("/");
  for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
    if (lws_hdr_total_length(wsi, methods[i].token) <= 0)
      continue;
    if (lws_hdr_copy(wsi, uri, sizeof(uri), methods[i].token) >= 0) {
      g_free(r->method);
      g_free(r->path);
      r->method = g_strdup(methods[i].name);
      r->path = g_strdup(uri);
    }
    r->has_body = methods[i].token == WSI_TOKEN_POST_URI || methods[i].token == WSI_TOKEN_PUT_URI ||
                  methods[i].token == WSI_TOKEN_PATCH_URI;
    break;
  }
  /* lws reads request bodies by Content-Length only (it then reports
   * completion, even of an empty one): without it there is no body to wait
   * for, and a chunked one is refused. */
  if (r->has_body) {
    r->chunked = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
    r->has_body = !r->chunked && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
  }
  r->args = g_ptr_array_new_with_free_func(g_free);
  for (int n = 0;
       n < 64 && lws_hdr_copy_fragment(wsi, arg, sizeof(arg), WSI_TOKEN_HTTP_URI_ARGS, n) >= 0; n++)
    g_ptr_array_add(r->args, g_strdup(arg));

  if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
      g_ascii_strncasecmp(uri, "Bearer ", 7) == 0) {
    r->token = g_strstrip(g_strdup(uri + 7));
  } else {
    for (guint i = 0; i < r->args->len; i++) {
      const char *a = g_ptr_array_index(r->args, i);
      if (g_str_has_prefix(a, "token="))
        r->token = g_strdup(a + 6);
    }
  }
  size_t cookie_len = sizeof(arg);
  if (lws_http_cookie_get(wsi, WB_USERS_COOKIE, arg, &cookie_len) == 0)
    r->session = g_strdup(arg);
  const char *peer = lws_get_peer_simple(wsi, arg, sizeof(arg));
  /* An IPv4 client of a dual-stack socket reads as ::ffff:a.b.c.d. */
  if (peer != NULL && g_str_has_prefix(peer, "::ffff:") && strchr(peer, '.') != NULL)
    peer += 7;
  r->remote = g_strdup(peer != NULL ? peer : "");
}

static int
send_reply_headers(struct lws *wsi, Request *r)
{
  guint8 buf[LWS_PRE + 1024];
  guint8 *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
  gboolean head = strcmp(r->method, "HEAD") == 0;

  const char *type = r->content_type != NULL ? r->content_type : "application/json; charset=utf-8";
  if (lws_add_http_common_headers(wsi, r->status, type, r->reply_len, &p, end) ||
      lws_add_http_header_by_name(wsi, (const guint8 *)"cache-control:", (const guint8 *)"no-store",
                                  8, &p, end))
    return -1;
  if (r->status == 401 && lws_add_http_header_by_name(wsi, (const guint8 *)"www-authenticate:",
                                                      (const guint8 *)"Bearer", 6, &p, end))
    return -1;
  if (r->disposition != NULL &&
      lws_add_http_header_by_name(
          wsi, (const guint8 *)"content-disposition:", (const guint8 *)r->disposition,
          (int)strlen(r->disposition), &p, end))
    return -1;
  if (r->set_cookie != NULL &&
      lws_add_http_header_by_name(wsi, (const guint8 *)"set-cookie:", (const guint8 *)r->set_cookie,
                                  (int)strlen(r->set_cookie), &p, end))
    return -1;
  if (lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  if (head || r->reply_len == 0) {
    request_clear(r);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  lws_callback_on_writable(wsi);
  return 0;
}

/* The reply's parts move into the request. */
static void
reply_take(Request *r, WbApiReply *reply)
{
  r->status = reply->status;
  r->reply = g_steal_pointer(&reply->body);
  r->set_cookie = g_steal_pointer(&reply->set_cookie);
  r->disposition = g_steal_pointer(&reply->disposition);
  r->content_type = reply->content_type;
  r->reply_len = r->reply == NULL              ? 0
                 : reply->content_type != NULL ? reply->body_len
                                               : strlen(r->reply);
}

/* A route's later answer (a login, once its password is checked): sent
 * from the writeable callback, as lws wants. The request is still open:
 * a closed one drops its later answer. */
static void
on_later_answer(WbApiReply *reply, gpointer data)
{
  struct lws *wsi = data;
  Request *r = lws_wsi_user(wsi);

  r->later = NULL;
  reply_take(r, reply);
  r->headers_due = TRUE;
  lws_callback_on_writable(wsi);
}

static int
answer(WbServer *srv, struct lws *wsi, Request *r)
{
  WbApiReply reply = {0};
  g_autoptr(GHashTable) query = wb_api_query_new((const char *const *)r->args->pdata, r->args->len);

  if (r->chunked) {
    reply.status = 411;
    reply.body = g_strdup("{\"error\":\"send the body with a Content-Length\"}");
  } else if (r->body_len > (gsize)srv->engine->cfg->max_body_bytes) {
    reply.status = 413;
    reply.body = g_strdup_printf("{\"error\":\"request body larger than %d bytes\"}",
                                 srv->engine->cfg->max_body_bytes);
  } else {
    WbApiRequest req = {
        .method = r->method,
        .path = r->path,
        .query = query,
        .token = r->token,
        .body = r->body != NULL ? (const char *)r->body->data : NULL,
        .body_len = r->body != NULL ? r->body->len : 0,
        .session = r->session,
        .remote = r->remote,
    };
    wb_api_handle(srv->engine, &req, &reply);
  }
  if (reply.later != NULL) {
    r->later = g_steal_pointer(&reply.later);
    wb_api_later_wait(r->later, on_later_answer, wsi);
    return 0;
  }
  reply_take(r, &reply);
  return send_reply_headers(wsi, r);
}

static int
send_reply_body(struct lws *wsi, Request *r)
{
  gsize n = MIN(r->reply_len - r->sent, (gsize)HTTP_CHUNK);
  gboolean last = r->sent + n == r->reply_len;
  g_autofree guint8 *buf = g_malloc(LWS_PRE + n);

  memcpy(buf + LWS_PRE, r->reply + r->sent, n);
  if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
    return -1;
  r->sent += n;
  if (!last) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  request_clear(r);
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
http_api_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
  const struct lws_protocols *proto = lws_get_protocol(wsi);
  WbServer *srv = proto != NULL ? proto->user : NULL;
  Request *r = user;

  /* lws calls some reasons without per-session data: a connection accepted
   * while the loop was not running and timed out before its first request
   * closes with user == NULL. */
  if (r == NULL || srv == NULL)
    return lws_callback_http_dummy(wsi, reason, user, in, len);

  switch (reason) {
  case LWS_CALLBACK_HTTP:
    request_clear(r);
    request_read(wsi, r);
    if (r->has_body)
      return 0; /* answered at LWS_CALLBACK_HTTP_BODY_COMPLETION */
    return answer(srv, wsi, r);
  case LWS_CALLBACK_HTTP_BODY:
    r->body_len += len;
    /* Past the limit the rest is read and dropped: the answer is 413. */
    if (r->body_len <= (gsize)srv->engine->cfg->max_body_bytes) {
      if (r->body == NULL)
        r->body = g_byte_array_new();
      g_byte_array_append(r->body, in, (guint)len);
    }
    return 0;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION: return answer(srv, wsi, r);
  case LWS_CALLBACK_HTTP_WRITEABLE:
    if (r->headers_due) {
      r->headers_due = FALSE;
      return send_reply_headers(wsi, r);
    }
    if (r->reply == NULL)
      return 0;
    return send_reply_body(wsi, r);
  case LWS_CALLBACK_CLOSED_HTTP:
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL: request_clear(r); break;
  default: break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* Installed pages if present, else the source tree's: a build directory
 * runs without installing. */
static char *
find_dashboards(const WbConfig *cfg)
{
  if (cfg->dashboards_dir != NULL && *cfg->dashboards_dir != '\0')
    return g_strdup(cfg->dashboards_dir);
  g_autofree char *installed = g_build_filename(WB_DATADIR, "dashboards", NULL);
  g_autofree char *index = g_build_filename(installed, "index.html", NULL);
  if (g_file_test(index, G_FILE_TEST_EXISTS))
    return g_steal_pointer(&installed);
  return g_build_filename(WB_SOURCE_DIR, "dashboards", NULL);
}

/* An npm package's files, installed or in the source tree; NULL if npm
 * has not put it there (the page then does without). */
static char *
find_vendor(gsize i)
{
  g_autofree char *installed = g_build_filename(WB_DATADIR, vendors[i].installed, NULL);
  if (g_file_test(installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer(&installed);
  g_autofree char *npm = g_build_filename(WB_SOURCE_DIR, vendors[i].npm, NULL);
  if (g_file_test(npm, G_FILE_TEST_IS_DIR))
    return g_steal_pointer(&npm);
  g_message("server: %s is missing (npm ci installs it); %s is not served", vendors[i].npm,
            vendors[i].mountpoint);
  return NULL;
}

static gboolean
parse_listen(const char *listen, char **host, int *port, GError **error)
{
  const char *colon = strrchr(listen, ':');
  char *end = NULL;

  if (colon == NULL || colon == listen) {
    g_set_error(error, WB_SERVER_ERROR, 0, "listen: expected HOST:PORT, got '%s'", listen);
    return FALSE;
  }
  gint64 p = g_ascii_strtoll(colon + 1, &end, 10);
  if (end == colon + 1 || *end != '\0' || p < 0 || p > 65535) {
    g_set_error(error, WB_SERVER_ERROR, 0, "listen: bad port in '%s'", listen);
    return FALSE;
  }
  *host = g_strndup(listen, colon - listen);
  if ((*host)[0] == '[') { /* [::1]:8080 */
    char *h = g_strndup(*host + 1, strlen(*host) - 2);
    g_free(*host);
    *host = h;
  }
  *port = (int)p;
  return TRUE;
}

static void
setup_mounts(WbServer *srv)
{
  /* Mounts are matched longest first by lws; the chain order is ours. */
  srv->mount_root.mountpoint = "/";
  srv->mount_root.mountpoint_len = 1;
  srv->mount_root.origin = srv->dashboards;
  srv->mount_root.def = "index.html";
  srv->mount_root.origin_protocol = LWSMPRO_FILE;

  srv->mount_api.mount_next = &srv->mount_root;
  srv->mount_api.mountpoint = "/api";
  srv->mount_api.mountpoint_len = 4;
  srv->mount_api.origin = "http-api";
  srv->mount_api.origin_protocol = LWSMPRO_CALLBACK;

  srv->mount_health.mount_next = &srv->mount_api;
  srv->mount_health.mountpoint = "/healthz";
  srv->mount_health.mountpoint_len = 8;
  srv->mount_health.origin = "http-api";
  srv->mount_health.origin_protocol = LWSMPRO_CALLBACK;

  srv->mount_metrics.mount_next = &srv->mount_health;
  srv->mount_metrics.mountpoint = "/metrics";
  srv->mount_metrics.mountpoint_len = 8;
  srv->mount_metrics.origin = "http-api";
  srv->mount_metrics.origin_protocol = LWSMPRO_CALLBACK;

  const struct lws_http_mount *next = &srv->mount_metrics;
  for (gsize i = 0; i < VENDOR_COUNT; i++) {
    srv->vendor_dirs[i] = find_vendor(i);
    if (srv->vendor_dirs[i] == NULL)
      continue;
    struct lws_http_mount *m = &srv->mount_vendor[i];
    m->mount_next = next;
    m->mountpoint = vendors[i].mountpoint;
    m->mountpoint_len = (unsigned char)strlen(vendors[i].mountpoint);
    m->origin = srv->vendor_dirs[i];
    m->origin_protocol = LWSMPRO_FILE;
    /* A library changes only with its version: let browsers keep it. */
    m->cache_max_age = 86400;
    m->cache_reusable = 1;
    next = m;
  }
  srv->mounts = next;
}

WbServer *
wb_server_start(WbEngine *engine, GMainLoop *loop, GError **error)
{
  g_autoptr(WbServer) srv = g_new0(WbServer, 1);
  struct lws_context_creation_info info;
  void *loops[1];
  int port = 0;

  srv->engine = engine;
  if (!parse_listen(engine->cfg->listen, &srv->iface, &port, error))
    return NULL;
  srv->uv = wb_uv_loop_new(g_main_loop_get_context(loop), error);
  if (srv->uv == NULL)
    return NULL;
  loops[0] = wb_uv_loop_get(srv->uv);
  srv->dashboards = find_dashboards(engine->cfg);
  srv->topics = wb_topics_new(engine);
  engine->topics = srv->topics; /* for /metrics */

  srv->protocols[PROTO_HTTP_API].name = "http-api";
  srv->protocols[PROTO_HTTP_API].callback = http_api_callback;
  srv->protocols[PROTO_HTTP_API].per_session_data_size = sizeof(Request);
  srv->protocols[PROTO_HTTP_API].user = srv;
  wb_topics_protocol(srv->topics, &srv->protocols[PROTO_TOPICS]);
  wb_ingest_ws_protocol(engine, &srv->protocols[PROTO_INGEST]);
  setup_mounts(srv);

  lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_glib);
  memset(&info, 0, sizeof(info));
  info.port = port;
  /* lws takes an interface name or an address; "any" is NULL. */
  info.iface =
      (strcmp(srv->iface, "0.0.0.0") == 0 || strcmp(srv->iface, "::") == 0 || *srv->iface == '\0')
          ? NULL
          : srv->iface;
  info.protocols = srv->protocols;
  info.mounts = srv->mounts;
  info.options = LWS_SERVER_OPTION_LIBUV |
                 LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE |
                 LWS_SERVER_OPTION_VALIDATE_UTF8;
  /* lws gives an answer this long from the request to its last byte (and
   * a body this long to arrive). Its default, 5 s, is short on the libuv
   * loop, which runs due timers before I/O: a stall of the main loop as
   * long would end requests whose answers were ready to send. */
  info.timeout_secs = ANSWER_TIMEOUT_S;
  info.foreign_loops = loops;
  info.pcontext = &srv->context;
  info.user = srv;

  /* lws loads its libuv event library as a plugin and unloads it in
   * lws_context_destroy(), while the loop may still hold handles whose
   * callbacks live in it (with the GLib plugin this crashed on shutdown,
   * docs/performance.md, "WebSocket fan-out"): keep it mapped for the
   * life of the process. A missing file is lws' error to report, below. */
  (void)dlopen("libwebsockets-evlib_uv.so", RTLD_NOW | RTLD_NODELETE);
  srv->context = lws_create_context(&info);
  if (srv->context == NULL) {
    g_set_error(error, WB_SERVER_ERROR, 0,
                "server: cannot listen on %s (address in use, or libwebsockets-evlib-uv "
                "missing?)",
                engine->cfg->listen);
    return NULL;
  }
  struct lws_vhost *vh = lws_get_vhost_by_name(srv->context, "default");
  int real_port = vh != NULL ? lws_get_vhost_listen_port(vh) : port;
  const char *host = info.iface != NULL ? srv->iface : "127.0.0.1";
  gboolean v6 = strchr(host, ':') != NULL;
  srv->url = g_strdup_printf("http://%s%s%s:%d/", v6 ? "[" : "", host, v6 ? "]" : "", real_port);
  wb_topics_start(srv->topics, srv->context);
  g_message("server: listening on %s, pages from %s", srv->url, srv->dashboards);
  return g_steal_pointer(&srv);
}

const char *
wb_server_url(WbServer *srv)
{
  return srv->url;
}

/* On a foreign libuv loop lws_context_destroy() only starts: lws closes
 * its handles on the loop and leaves the last step to its caller. Once
 * none is left, destroying again frees the context (and clears
 * srv->context through info.pcontext). */
static void
finish_destroy(WbServer *srv)
{
  if (srv->context != NULL && !uv_loop_alive(wb_uv_loop_get(srv->uv)))
    lws_context_destroy(srv->context);
  /* A context already past its second step needs a third call. */
  if (srv->context != NULL && !uv_loop_alive(wb_uv_loop_get(srv->uv)))
    lws_context_destroy(srv->context);
}

static gboolean
on_stop_poll(gpointer data)
{
  WbServer *srv = data;
  finish_destroy(srv);
  if (srv->context != NULL)
    return G_SOURCE_CONTINUE;
  srv->stop_id = 0;
  if (srv->done != NULL)
    srv->done(srv->done_data);
  return G_SOURCE_REMOVE;
}

void
wb_server_stop(WbServer *srv, GSourceFunc done, gpointer user_data)
{
  srv->done = done;
  srv->done_data = user_data;
  wb_topics_stop(srv->topics);
  if (srv->context != NULL)
    lws_context_destroy(srv->context);
  srv->stop_id = g_timeout_add(10, on_stop_poll, srv);
}

void
wb_server_free(WbServer *srv)
{
  if (srv == NULL)
    return;
  if (srv->stop_id != 0)
    g_source_remove(srv->stop_id);
  if (srv->context != NULL) {
    lws_context_destroy(srv->context);
    wb_uv_loop_drain(srv->uv);
    finish_destroy(srv);
  }
  wb_uv_loop_free(srv->uv);
  if (srv->engine != NULL && srv->engine->topics == srv->topics)
    srv->engine->topics = NULL;
  wb_topics_free(srv->topics);
  for (gsize i = 0; i < VENDOR_COUNT; i++)
    g_free(srv->vendor_dirs[i]);
  g_free(srv->iface);
  g_free(srv->dashboards);
  g_free(srv->url);
  g_free(srv);
}
