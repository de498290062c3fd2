/* queuelog.h: the Asterisk queue_log collector.
 *
 * Parses queue_log lines of every Asterisk version (input-formats.md 1.3-1.4,
 * quirks of section 5) and tails files through rotation by rename and by
 * truncation, resuming from the position committed with its events.
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"

G_BEGIN_DECLS

/* Longest line kept; Asterisk itself cuts lines at 8192 bytes. */
#define WB_QUEUELOG_LINE_MAX 65536

typedef enum {
  WB_QUEUELOG_EVENTS,    /* events[0 .. n_events) filled */
  WB_QUEUELOG_BLANK,     /* empty or NUL-only line */
  WB_QUEUELOG_IGNORED,   /* a known event with no meaning for KPIs */
  WB_QUEUELOG_UNKNOWN,   /* an event name we do not know: skipped */
  WB_QUEUELOG_MALFORMED, /* quarantined: see reason */
} WbQueuelogResult;

typedef struct {
  WbQueuelogResult result;
  int n_events;
  WbEvent events[2];
  const char *reason;  /* static text, for MALFORMED */
  char event_name[32]; /* the EVENT column, for UNKNOWN */
} WbQueuelogLine;

/* Parses one line (without its newline; NUL bytes already removed). `source`
 * is copied into the events; source_pos is left to the caller. */
void wb_queuelog_parse_line(WbAgentMap *agents, const char *source, const char *line, gsize len,
                            WbQueuelogLine *out);

typedef struct {
  const char *const *paths; /* NULL-terminated, read in this order */
  WbSink *sink;
  WbAgentMap *agents; /* borrowed; must outlive the collector */
  guint poll_ms;
} WbQueuelogOptions;

/* Starts tailing on the thread-default main context. A missing file is not
 * an error: it is waited for. */
WbCollector *wb_queuelog_start(const WbQueuelogOptions *opts, GError **error);
/* Reads every file to its current end now (tests, import). Returns lines read. */
guint64 wb_queuelog_poll(WbCollector *c);
/* Reads a slice (some ten thousand lines); TRUE while there is more now. */
gboolean wb_queuelog_step(WbCollector *c);

/* The source name of a file: "queue_log:" + absolute path. */
char *wb_queuelog_source_name(const char *path);

G_END_DECLS
