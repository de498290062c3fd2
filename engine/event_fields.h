/* event_fields.h: the named fields of each event type.
 *
 * One vocabulary for everything that writes events from outside: the JSON
 * ingest API (its member names), file imports (their column headers) and
 * the docs. The names are DESIGN.md section 3's; each maps to a WbEvent
 * field. Values are parsed and checked here, so an event is refused with
 * the same words whichever way it came.
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"
#include "engine/event.h"

G_BEGIN_DECLS

#define WB_EVENT_FIELD_ERROR (wb_event_field_error_quark())
GQuark wb_event_field_error_quark(void);

typedef enum {
  WB_FIELD_TEXT,     /* a string, at most the WbEvent field's size */
  WB_FIELD_AGENT,    /* an agent or staff key, through the agent map */
  WB_FIELD_CALLER,   /* the caller's number: hashed and masked by the bus */
  WB_FIELD_TIME,     /* ISO-8601, epoch ms, or a spreadsheet's local time */
  WB_FIELD_DATE,     /* a day: its local midnight */
  WB_FIELD_MS,       /* a duration in milliseconds, >= 0 */
  WB_FIELD_COUNT,    /* a whole number >= 0 */
  WB_FIELD_NUMBER,   /* a finite number >= 0 (scores, hours) */
  WB_FIELD_ABANDON,  /* abandon, timeout, empty, key, withdraw */
  WB_FIELD_ENDED_BY, /* caller, agent, transfer */
} WbFieldKind;

typedef struct {
  const char *name; /* JSON member and CSV column */
  const char *zh;   /* the column's Chinese header, accepted by imports */
  WbFieldKind kind;
  glong offset; /* into WbEvent */
  gsize size;   /* of the WbEvent field */
  gboolean required;
  const char *const *choices; /* for TEXT: the values allowed, or NULL */
} WbEventField;

/* The fields of a type (not counting the envelope: type, ts, event_id). */
const WbEventField *wb_event_fields(WbEventType type, guint *n_fields);
/* The field called name (or its Chinese header), or NULL. */
const WbEventField *wb_event_field_find(WbEventType type, const char *name);

/* Which fields of a type have been set: bit i for the i-th field. */
typedef guint32 WbFieldSet;

/* Sets a field from text (a CSV cell, a JSON string) and marks it in
 * *seen; an empty or blank text leaves it unset. map may be NULL. */
gboolean wb_event_field_set_text(WbEvent *ev, const WbEventField *f, const char *text,
                                 GTimeZone *tz, WbAgentMap *map, WbFieldSet *seen, GError **error);
/* Sets a numeric or time field (epoch ms) from a JSON number. */
gboolean wb_event_field_set_number(WbEvent *ev, const WbEventField *f, gdouble value,
                                   WbFieldSet *seen, GError **error);
/* After the fields are set: the required ones present, the values coherent
 * (a shift ends after it starts, …). */
gboolean wb_event_fields_check(const WbEvent *ev, WbFieldSet seen, GError **error);

/* docs/events.md: every type's fields, for senders and importers. */
char *wb_event_fields_docs_markdown(void);

G_END_DECLS
