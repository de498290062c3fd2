/* archive.h: the RRD archive, the wallboard's memory (DESIGN.md section 4).
 *
 * One RRD file per scope: total.rrd, queue-NAME.rrd, agent-KEY.rrd (names
 * outside [A-Za-z0-9_.-] written as %XX), step 10 s, the data sources of
 * WbRrdDs, and AVERAGE, MIN and MAX archives at 10 s for 2 days, 1 min for
 * 14 days, 15 min for 2 years and 1 h for 10 years. Files are readable by
 * the stock rrdtool command.
 *
 * Samples are queued per file and written with one rrd_update_r call of many
 * values (or rrdc_update when an rrdcached address is set); a sample not
 * later than the file's last update (a clock that went backwards) is skipped
 * and counted, never an error.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WB_RRD_ERROR (wb_rrd_error_quark())
GQuark wb_rrd_error_quark(void);

#define WB_RRD_STEP_S 10
/* Longer than a 15-minute interval, so a backfill can write one sample per
 * interval; a gap longer than this is unknown. */
#define WB_RRD_HEARTBEAT_S 1200

/* The data sources, named as the metrics of the API. Counts are ABSOLUTE
 * (calls since the previous sample; fetched as calls per step), the rest
 * GAUGE. */
typedef enum {
  WB_RRD_WAITING = 0,
  WB_RRD_LONGEST_WAIT,
  WB_RRD_AVAILABLE,
  WB_RRD_RINGING,
  WB_RRD_ON_CALL,
  WB_RRD_ACW,
  WB_RRD_PAUSED,
  WB_RRD_OFFLINE,
  WB_RRD_OFFERED,
  WB_RRD_ANSWERED,
  WB_RRD_ABANDONED,
  WB_RRD_SERVICE_LEVEL,
  WB_RRD_DS_COUNT
} WbRrdDs;

const char *wb_rrd_ds_name(WbRrdDs ds);
gboolean wb_rrd_ds_from_name(const char *name, WbRrdDs *out);
gboolean wb_rrd_ds_is_count(WbRrdDs ds);

typedef struct {
  gint64 ts_s;                /* end of the time it stands for, seconds */
  gint64 span_s;              /* how long before ts_s it covers; 0: one step */
  gdouble v[WB_RRD_DS_COUNT]; /* NAN: unknown */
} WbRrdSample;

typedef struct {
  guint64 updates;           /* rrd_update calls */
  guint64 values;            /* samples written */
  guint64 skipped_backwards; /* samples not later than the file's last */
  guint64 errors;
  guint files;
} WbRrdStats;

typedef struct WbRrdArchive WbRrdArchive;

/* dir is made if missing. daemon_addr: an rrdcached address
 * ("unix:/run/rrdcached.sock"), or NULL/"" to write the files directly. */
WbRrdArchive *wb_rrd_archive_new(const char *dir, const char *daemon_addr, GError **error);
void wb_rrd_archive_free(WbRrdArchive *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbRrdArchive, wb_rrd_archive_free)

/* The file of a scope ("total", "queue:NAME", "agent:KEY"). */
char *wb_rrd_archive_path(WbRrdArchive *a, const char *scope);
/* Queues a sample for the scope's file (created on first need). */
void wb_rrd_archive_add(WbRrdArchive *a, const char *scope, const WbRrdSample *sample);
/* Writes every queued sample, one update call per file. Returns FALSE with
 * the first error (rrd_get_error's text) but still writes the other files. */
gboolean wb_rrd_archive_flush(WbRrdArchive *a, GError **error);
/* The newest time written to a scope's file, 0 if it has none. */
gint64 wb_rrd_archive_last(WbRrdArchive *a, const char *scope);
void wb_rrd_archive_stats(WbRrdArchive *a, WbRrdStats *out);

/* A fetched series: values[i] at start_s + (i + 1) * step_s (the end of
 * each step, as rrdtool fetch prints them), NAN where unknown. Counts are
 * per step. */
typedef struct {
  gint64 start_s;
  gint64 step_s;
  guint n;
  gdouble *values;
} WbRrdSeries;

void wb_rrd_series_clear(WbRrdSeries *s);

/* Fetches [from_s, to_s] of one data source with consolidation cf
 * ("AVERAGE", "MIN", "MAX"), from the archive that fits resolution_s (0:
 * the finest that covers the span). Flushes rrdcached first. */
gboolean wb_rrd_archive_fetch(WbRrdArchive *a, const char *scope, WbRrdDs ds, const char *cf,
                              gint64 from_s, gint64 to_s, gint64 resolution_s, WbRrdSeries *out,
                              GError **error);

G_END_DECLS
