/* ingest.h: events sent by other systems as JSON (docs/protocol.md).
 *
 * The body of POST /api/v1/events, or a message of the WebSocket protocol
 * ingest.v1: one JSON object, a JSON array of objects, or NDJSON (one object
 * per line). Each object is an event: its `event_id` (unique per source,
 * what makes a retry harmless), `type`, `ts`, and the type's fields named as
 * in engine/event_fields.c. Good events go to the sink; each bad one is
 * named with its line number and reason, and kept in quarantine.
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"
#include <json-glib/json-glib.h>

#include "engine/clock.h"

G_BEGIN_DECLS

#define WB_INGEST_ERROR (wb_ingest_error_quark())
GQuark wb_ingest_error_quark(void);

typedef struct {
  guint line;     /* 1-based: the line of NDJSON, the element of an array */
  char *event_id; /* as sent, or NULL */
  char *error;
} WbIngestReject;

typedef struct {
  guint accepted;
  guint duplicates;
  GArray *rejected; /* WbIngestReject */
} WbIngestResult;

void wb_ingest_result_init(WbIngestResult *r);
void wb_ingest_result_clear(WbIngestResult *r);

typedef struct WbIngest WbIngest;

/* sink, clock and tz are borrowed; map is taken. */
WbIngest *wb_ingest_new(WbSink *sink, const WbClock *clock, GTimeZone *tz, WbAgentMap *map);
/* The collector face: per-source counters for /healthz. Owned by the
 * caller (freeing it frees the ingest). */
WbCollector *wb_ingest_collector(WbIngest *ingest);

/* Decodes one JSON object into ev, for source. */
gboolean wb_ingest_decode(WbIngest *ingest, JsonNode *node, const char *source, WbEvent *ev,
                          GError **error);
/* Hands every event of body to the sink. `via` names the channel in
 * quarantine ("POST /api/v1/events", "ingest.v1"). */
void wb_ingest_body(WbIngest *ingest, const char *source, const char *via, const char *body,
                    gsize len, WbIngestResult *out);

/* The stored source name of an ingest key's label: "api:LABEL". */
char *wb_ingest_source_name(const char *label);
/* TRUE if label may name a source: 1-64 of [A-Za-z0-9._-]. */
gboolean wb_ingest_label_valid(const char *label);

G_END_DECLS
