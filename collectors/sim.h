/* sim.h: demo traffic of the 12367 hotline, written as Asterisk queue_log.
 *
 * The simulation writes queue_log lines to a file that the queue_log
 * collector tails, so the demo exercises the real parser. It is a discrete
 * event simulation that is a pure function of (seed, origin): the same seed
 * and origin give the same lines, byte for byte, whatever the wall clock or
 * the speed-up. On start it regenerates from its origin (kept beside the file
 * in PATH.sim) and appends only what the file does not hold yet, so a restart
 * neither repeats nor skips traffic, as a phone system that kept running.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WB_SIM_ERROR (wb_sim_error_quark())
GQuark wb_sim_error_quark(void);

typedef struct {
  const char *key;  /* agent key, as the queue_log writes it (member name) */
  const char *name; /* display name */
  const char *role; /* "agent" or "lead" */
} WbSimAgent;

typedef struct {
  const char *key;  /* queue name in the queue_log */
  const char *name; /* display name */
} WbSimQueue;

/* The simulated staff and queues, for the engine to name them. */
const WbSimAgent *wb_sim_agents(gsize *n);
const WbSimQueue *wb_sim_queues(gsize *n);
/* The rota the simulated agents follow: the shift agent (an index into
 * wb_sim_agents) works on date, on the tender's templates (day 08:00 to
 * 17:30 in summer and 17:00 in winter, night 19:00 to 08:00). */
typedef enum { WB_SIM_OFF, WB_SIM_DAY, WB_SIM_NIGHT } WbSimShift;
WbSimShift wb_sim_rota(guint64 seed, const GDate *date, gsize agent);

/* The pause reason the simulated agents use for after-call work. */
#define WB_SIM_WRAPUP_REASON "话后整理"

typedef struct WbSim WbSim;

typedef struct {
  const char *path; /* queue_log file to append to; its directory must exist */
  guint64 seed;
  gdouble speed;      /* simulated seconds per real second, >= 0.1 */
  GTimeZone *tz;      /* the centre's time zone: hour-of-day profile, shifts */
  guint history_days; /* a first start begins this many days before today */
} WbSimOptions;

/* Opens (or resumes) the demo file and writes everything up to now: traffic
 * since local midnight of the origin day, history_days before today on a
 * first start (a week of history gives trends something to compare with;
 * at most 30 days). Then attaches a
 * timer to the thread-default main context that appends new lines as
 * simulated time passes. */
WbSim *wb_sim_start(const WbSimOptions *opts, GError **error);
/* Simulated now, epoch ms: the clock the engine uses while the demo runs. */
gint64 wb_sim_now_ms(WbSim *sim);
void wb_sim_stop(WbSim *sim);
void wb_sim_free(WbSim *sim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbSim, wb_sim_free)

/* The pure generator, for tests and benchmarks: every line (with its '\n')
 * whose timestamp is in [from_ms, to_ms), in the order the file gets them,
 * for a simulation that starts at origin_ms. */
typedef void (*WbSimLineFunc)(const char *line, gsize len, gpointer user_data);
void wb_sim_generate(guint64 seed, GTimeZone *tz, gint64 origin_ms, gint64 from_ms, gint64 to_ms,
                     WbSimLineFunc func, gpointer user_data);

G_END_DECLS
