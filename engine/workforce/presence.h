/* presence.h: when each person was at work (DESIGN.md section 5:
 * "present (punched in or logged in)").
 *
 * Presence is the union of two kinds of evidence: the time clock's
 * punches (in until out) and the phone system's agent sessions (login
 * until logout). Either alone is enough; both are usual.
 */
#pragma once

#include <glib.h>

#include "engine/store.h"

G_BEGIN_DECLS

/* Punches (presence.c says how they pair): an in with no out within the
 * cap ends at the cap (a night shift, 19:00 to 08:00, is 13 h); punches of
 * unknown direction closer than the debounce to the previous one are one
 * press; pairing looks back this far to start after a gap longer than the
 * cap. */
#define WB_PRESENCE_PUNCH_CAP_MS (14 * G_GINT64_CONSTANT(3600000))
#define WB_PRESENCE_PUNCH_DEBOUNCE_MS (5 * G_GINT64_CONSTANT(60000))
#define WB_PRESENCE_PUNCH_LOOKBACK_MS (8 * G_GINT64_CONSTANT(86400000))

/* Where a span's evidence came from (bits). */
enum {
  WB_PRESENCE_PUNCH = 1 << 0, /* time clock */
  WB_PRESENCE_LOGIN = 1 << 1, /* logged in to the phone system */
};

typedef struct {
  char *agent;
  gint64 from_ms;
  gint64 to_ms; /* > from_ms; a span still open ends at the query's now */
  guint sources;
} WbPresenceSpan;

void wb_presence_span_free(WbPresenceSpan *span);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbPresenceSpan, wb_presence_span_free)

/* The spans of presence that overlap [from_ms, to_ms), clipped to it,
 * sorted by agent then from_ms; one agent's spans never overlap (evidence
 * that overlaps is merged). Nothing after now_ms is presence. Returns a
 * GPtrArray of WbPresenceSpan* that frees them, or NULL with error. */
GPtrArray *wb_presence_spans(WbStore *store, gint64 from_ms, gint64 to_ms, gint64 now_ms,
                             GError **error);

/* Whether agent is present at ts_ms according to spans (as returned above). */
gboolean wb_presence_at(const GPtrArray *spans, const char *agent, gint64 ts_ms);

/* Milliseconds of agent's presence within [from_ms, to_ms). */
gint64 wb_presence_overlap_ms(const GPtrArray *spans, const char *agent, gint64 from_ms,
                              gint64 to_ms);
/* The start of the first and the end of the last of agent's spans that
 * overlap [from_ms, to_ms), not clipped to it (as far as the spans reach);
 * FALSE if none overlaps. first_ms and last_ms may be NULL. */
gboolean wb_presence_bounds(const GPtrArray *spans, const char *agent, gint64 from_ms, gint64 to_ms,
                            gint64 *first_ms, gint64 *last_ms);

G_END_DECLS
