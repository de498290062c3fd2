/* simgen.h: the demo traffic generator, private to sim.c and its tests.
 *
 * A discrete-event simulation of the 12367 hotline in whole seconds whose
 * queue_log lines are a pure function of (seed, origin, time zone).
 */
#pragma once

#include <glib.h>

#include "collectors/sim.h"

G_BEGIN_DECLS

typedef struct WbSimGen WbSimGen;
typedef void (*WbSimEmitFunc)(gint64 ts_s, const char *line, gsize len, gpointer user_data);

/* A run that starts (QUEUESTART) at origin_s. */
WbSimGen *wb_sim_gen_new(guint64 seed, GTimeZone *tz, gint64 origin_s);
/* Processes every event before limit_s, handing each line to emit. */
void wb_sim_gen_run_until(WbSimGen *gen, gint64 limit_s, WbSimEmitFunc emit, gpointer user_data);
void wb_sim_gen_free(WbSimGen *gen);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbSimGen, wb_sim_gen_free)

/* Local midnight at or before t_ms. */
gint64 wb_sim_local_midnight_ms(GTimeZone *tz, gint64 t_ms);
/* Division rounding towards minus infinity. */
gint64 wb_sim_floor_div(gint64 a, gint64 b);

G_END_DECLS
