/* records.h: the floor's other records (DESIGN.md sections 3 and 4).
 *
 * Staff, rosters, punches, training, exams, QA scores, work orders,
 * complaints, ACD snapshots and call classifications arrive as events like
 * calls do. Each new event of those types is applied here to its table, in
 * the same batch as the event itself; the tables are what reports and the
 * staffing views read. Applying is order-tolerant: a record that is older
 * than what a table holds does not overwrite it.
 */
#pragma once

#include <glib.h>

#include "engine/event.h"
#include "engine/store.h"

G_BEGIN_DECLS

/* Applies ev (wb_event_is_record(ev->type)) to its table. */
gboolean wb_records_apply(WbStore *store, const WbEvent *ev, GError **error);

G_END_DECLS
