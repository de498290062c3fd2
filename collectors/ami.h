/* ami.h: the Asterisk Manager Interface collector.
 *
 * A client of the manager port (TCP, optionally TLS) that logs in (plain or
 * MD5 challenge), turns the queue events of Asterisk 1.8 to 22
 * (input-formats.md 2.2-2.3) into WbEvents, polls QueueSummary into
 * acd.snapshot events, keeps the connection alive with Ping and reconnects
 * with a capped exponential backoff. What makes a repeated event harmless
 * is described in ami_parse.c (whose contract is ami_parse.h); how a caller
 * who leaves by timeout or an emptied queue is told from one who hangs up,
 * in ami.c; both in docs/collectors.md.
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"

G_BEGIN_DECLS

/* The key of an MD5 login: md5(challenge + secret) in lowercase hex. */
char *wb_ami_md5_key(const char *challenge, const char *secret);

typedef enum {
  WB_AMI_AUTH_PLAIN,
  WB_AMI_AUTH_MD5,
} WbAmiAuth;

typedef struct {
  const char *host;
  guint16 port;
  const char *username;
  const char *secret;
  WbAmiAuth auth;
  gboolean tls;
  /* With tls: a PEM file of the certificate authority (or the manager's
   * self-signed certificate) to trust; NULL or "": the system's. */
  const char *tls_ca;
  guint summary_s;       /* QueueSummary every this many seconds; 0: never */
  guint keepalive_s;     /* Ping every this many seconds */
  guint reconnect_max_s; /* longest wait between two connection attempts */
  WbSink *sink;
  WbAgentMap *agents; /* borrowed; must outlive the collector */
  /* Tests: do not connect; bytes come from wb_ami_feed(). */
  gboolean offline;
} WbAmiOptions;

/* Starts the client on the thread-default main context. Nothing connects
 * before the context runs. Fails only on bad options: those checked here,
 * tls without TLS support in GIO, a tls_ca that cannot be read. */
WbCollector *wb_ami_start(const WbAmiOptions *opts, GError **error);
/* Hands the collector bytes as if the server had sent them on a logged-in
 * connection (tests). */
void wb_ami_feed(WbCollector *c, const char *data, gsize len);
/* Settles every caller exit still held back (what stop() does too). */
void wb_ami_settle_all(WbCollector *c);
/* Parses "plain" or "md5". */
gboolean wb_ami_auth_from_name(const char *name, WbAmiAuth *out);
/* The source name: "ami:" HOST ":" PORT. */
char *wb_ami_source_name(const char *host, guint16 port);

G_END_DECLS
