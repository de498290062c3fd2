/* collector.h: the contract between the engine and a collector.
 *
 * A collector turns one source into WbEvents and hands them to a WbSink. It
 * knows nothing of SQLite, RRD or WebSockets. It reports, through the same
 * sink, the position it has reached (committed with its events, so a restart
 * resumes exactly there) and every line it could not understand.
 */
#pragma once

#include <glib.h>

#include "engine/event.h"

G_BEGIN_DECLS

/* Where a file-reading collector stands in its file. `generation` counts the
 * rotations and truncations seen; an event's source_pos is
 * WB_SOURCE_POS(generation, offset of its line, n-th event of the line). */
typedef struct {
  char source[WB_EVENT_SOURCE_MAX];
  gint64 inode;
  gint64 generation;
  gint64 offset;   /* bytes consumed in this generation */
  gint64 line_no;  /* lines consumed in this generation */
  gint64 head_len; /* bytes of the file's start that head_hash covers */
  gint64 head_hash;
} WbPosition;

/* 40 bits of offset (1 TiB per generation), 1 bit for the second event a
 * line can give (ADDMEMBER …|PAUSED is a login and a pause), 22 bits of
 * generation. */
#define WB_SOURCE_POS(generation, offset, sub)                                                     \
  (((gint64)(generation) << 41) | ((gint64)(offset) << 1) | (gint64)(sub))

/* A line that did not parse, kept with where it came from. */
typedef struct {
  const char *source;
  const char *file;
  gint64 line_no;
  const char *reason;
  const char *line;
  gsize line_len;
  gint64 ts_ms; /* when it was read */
} WbQuarantined;

typedef struct WbSink WbSink;
struct WbSink {
  /* Returns TRUE if the event was new (not already stored). */
  gboolean (*event)(WbSink *sink, WbEvent *ev);
  void (*quarantine)(WbSink *sink, const WbQuarantined *q);
  /* The collector has consumed everything up to *pos, and the events of
   * what it consumed have all gone to event(). The sink keeps the pointer
   * and reads it when it commits, so *pos must stay valid and current for
   * the collector's lifetime; the engine commits before freeing collectors.
   * The sink may commit inside this call, never inside event(). */
  void (*checkpoint)(WbSink *sink, const WbPosition *pos);
  /* Looks up the last checkpoint of a source; FALSE if there is none. */
  gboolean (*resume)(WbSink *sink, const char *source, WbPosition *out);
};

/* Maps a source's agent spelling to the canonical agent key. */
typedef struct WbAgentMap WbAgentMap;
WbAgentMap *wb_agent_map_new(void);
void wb_agent_map_free(WbAgentMap *map);
/* Adds `alias` (matched case-insensitively, also after normalisation) for `key`. */
void wb_agent_map_add(WbAgentMap *map, const char *key, const char *alias);
/* Writes the canonical key for `spelling` (len bytes) into out; map may be
 * NULL (no aliases). `NONE` and
 * empty give "". Without an alias, technology prefixes are dropped:
 * SIP/1001, PJSIP/1001, Local/1001@from-queue/n and Agent/1001 give 1001. */
void wb_agent_map_lookup(WbAgentMap *map, const char *spelling, gssize len, char *out,
                         gsize out_size);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbAgentMap, wb_agent_map_free)

/* Per-collector counters, shown on /healthz and /metrics. */
typedef struct {
  guint64 bytes; /* read and consumed, all generations */
  guint64 lines;
  guint64 events;
  guint64 duplicates; /* events already stored */
  guint64 quarantined;
  guint64 blank;
  guint64 ignored; /* known events with no meaning for KPIs */
  guint64 unknown; /* unknown event names, skipped */
  guint64 nul_bytes;
  guint64 rotations;
  guint64 truncations;
  gint64 last_event_ms; /* wall clock of the last line read */
  gint connected;       /* -1: not a network source, 0: down, 1: up (logged in) */
} WbCollectorStats;

typedef struct WbCollector WbCollector;

/* One ops table per kind of collector (collectd's registration model). */
typedef struct {
  const char *name;
  void (*stop)(WbCollector *c);
  /* A collector may read several sources (files read in order). */
  guint (*n_sources)(WbCollector *c);
  const char *(*source)(WbCollector *c, guint i);
  void (*stats)(WbCollector *c, guint i, WbCollectorStats *out);
  /* TRUE while it reads a backlog (at start, after a stop): what it sends
   * then is history, not now. */
  gboolean (*catching_up)(WbCollector *c);
  /* Optional, for collectors that poll: reads what their sources hold
   * now, so that a frame built next carries it (without waiting for the
   * next poll). */
  void (*read_now)(WbCollector *c);
  void (*free)(WbCollector *c);
} WbCollectorOps;

struct WbCollector {
  const WbCollectorOps *ops;
};

static inline void
wb_collector_free(WbCollector *c)
{
  if (c != NULL)
    c->ops->free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbCollector, wb_collector_free)

G_END_DECLS
