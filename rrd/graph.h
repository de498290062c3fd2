/* graph.h: PNG and SVG graphs of the RRD archive, for the reports.
 *
 * One graph shows up to WB_RRD_GRAPH_MAX_METRICS data sources of one scope's
 * file (rrd/archive.h) over [from_s, to_s], one line each, at one step for
 * the whole span (wb_rrd_graph_step): counts (offered, answered, abandoned)
 * as calls per step, the service level in percent, the other metrics as
 * they are stored. Labels are the caller's, in any script: text is drawn
 * with "Noto Sans CJK SC" (Debian fonts-noto-cjk) unless told otherwise.
 *
 * Rendering goes through librrd's rrd_graph_v, which draws with cairo and
 * pango: tens of milliseconds to seconds a graph. wb_rrd_graph_render blocks
 * and must never run on the main loop thread; the loop uses
 * wb_rrd_graph_render_async, which renders in a worker thread. Graphs are
 * drawn one at a time in the whole process (librrd's graph code is not known
 * to be thread-safe).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define WB_RRD_GRAPH_ERROR (wb_rrd_graph_error_quark())
GQuark wb_rrd_graph_error_quark(void);
typedef enum {
  WB_RRD_GRAPH_ERROR_INVALID,   /* the options: unknown metric, empty span, format… */
  WB_RRD_GRAPH_ERROR_NOT_FOUND, /* no directory, or no file for the scope yet */
  WB_RRD_GRAPH_ERROR_FAILED,    /* librrd refused; the message is its own */
} WbRrdGraphError;

#define WB_RRD_GRAPH_MAX_METRICS 8
#define WB_RRD_GRAPH_FONT "Noto Sans CJK SC"
#define WB_RRD_GRAPH_WIDTH 800 /* of the plot area, pixels */
#define WB_RRD_GRAPH_HEIGHT 300

typedef struct {
  const char *rrd_dir; /* the archive's directory */
  const char *scope;   /* "total", "queue:NAME", "agent:KEY" */
  /* Data source names (the API's metric names), up to the first NULL. */
  const char *metrics[WB_RRD_GRAPH_MAX_METRICS];
  /* The legend of each metric; NULL: the metric's name. */
  const char *labels[WB_RRD_GRAPH_MAX_METRICS];
  const char *cf; /* consolidation: "AVERAGE" (NULL), "MIN" or "MAX" */
  gint64 from_s, to_s;
  gint64 step_s;              /* seconds per point; 0: wb_rrd_graph_step chooses */
  guint width, height;        /* of the plot area in pixels; 0: the defaults above */
  const char *format;         /* "PNG" (NULL) or "SVG", any case */
  const char *title;          /* NULL: none */
  const char *vertical_label; /* NULL: none */
  const char *font;           /* a fontconfig family; NULL: WB_RRD_GRAPH_FONT */
  /* rrdcached address: the file is flushed through it before it is read.
   * NULL or "": none. */
  const char *daemon_addr;
} WbRrdGraphOptions;

/* Seconds per point of the graph o describes: o->step_s if set, else the
 * first of 10 s, 1 min, 5 min, 15 min, 1 h, 1 day, 1 week that gives at most
 * one point per pixel (a whole number of days beyond). Counts are drawn per
 * this step; a caller may name it in the vertical label. */
gint64 wb_rrd_graph_step(const WbRrdGraphOptions *o);

/* Renders the graph in memory: the PNG or SVG file's bytes. Blocks: never on
 * the main loop thread. An SVG carries the title as its <title> element too
 * (cairo draws text as glyph outlines). */
GBytes *wb_rrd_graph_render(const WbRrdGraphOptions *o, GError **error);

/* The same in a worker thread. o and everything it points to are copied
 * before this returns; cb runs in the thread-default main context of the
 * caller. Cancelling stops a graph that has not started drawing. */
void wb_rrd_graph_render_async(const WbRrdGraphOptions *o, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
GBytes *wb_rrd_graph_render_finish(GAsyncResult *result, GError **error);

G_END_DECLS
