/* demo.h: the records a real centre would import, made up for the demo.
 *
 * The demo's phone traffic comes from collectors/sim.c through the real
 * queue_log parser. A centre also imports its staff register and roster;
 * the demo adds them for the simulated staff, on the rota the simulated
 * agents follow (wb_sim_rota), so that the staffing panel, coverage and
 * attendance show what they would on a real floor: the same shifts, the
 * tender's 17:00-19:00 gap included.
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

/* Sends the staff records and the roster from days_back days before the
 * day of now_ms to days_ahead days after it to the bus (source
 * "demo:records"). Idempotent: each record has a fixed position, so a
 * restart adds only the days that are new. */
gboolean wb_demo_records(WbEngine *e, guint64 seed, gint64 now_ms, guint days_back,
                         guint days_ahead, GError **error);

G_END_DECLS
