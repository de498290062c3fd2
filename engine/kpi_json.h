/* kpi_json.h: the KPI object's JSON shape (docs/protocol.md), one shape for
 * REST, WebSocket and wallboardctl --json.
 *
 * Rates are fractions, durations seconds, a value without calls is null.
 * Fields that do not apply to a scope are null (an agent has no abandons),
 * so every KPI object has the same members.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "engine/kpi.h"
#include "engine/query.h"

G_BEGIN_DECLS

void wb_kpi_json_number(JsonBuilder *b, const char *name, gdouble v);
void wb_kpi_json_int(JsonBuilder *b, const char *name, gint64 v);
void wb_kpi_json_string(JsonBuilder *b, const char *name, const char *v);
void wb_kpi_json_time(JsonBuilder *b, GTimeZone *tz, const char *name, gint64 ms);
/* name as ISO-8601 and name_ms as epoch ms; both null when ms < 0 (none). */
void wb_kpi_json_time_twin(JsonBuilder *b, GTimeZone *tz, const char *name, gint64 ms);
/* A string, or null for NULL. */
void wb_kpi_json_string_or_null(JsonBuilder *b, const char *name, const char *v);
/* A boolean, or null when it is not known (a rule not judged yet). */
void wb_kpi_json_bool_or_null(JsonBuilder *b, const char *name, gboolean known, gboolean v);
char *wb_kpi_json_to_string(JsonBuilder *b);
/* A WebSocket control frame: {"t":t,"<key>":value}. */
char *wb_kpi_json_frame(const char *t, const char *key, const char *value);

/* The KPI members for a scope of this kind, into an open object; pause_ms
 * (reason -> gint64* ms) may be NULL. */
void wb_kpi_json_members(JsonBuilder *b, const WbKpi *k, WbScopeKind kind, GHashTable *pause_ms);

/* A whole KPI object: scope, name, from, to and the members. */
void wb_kpi_json_result(JsonBuilder *b, const WbQueryResult *r, const WbConfig *cfg, GTimeZone *tz);

G_END_DECLS
