/* erlang.h: Erlang C staffing (DESIGN.md section 5).
 *
 * Traffic A = calls / period * AHT (erlangs). With N agents the probability
 * that a caller waits comes from the stable recursion B(0) = 1,
 * B(k) = A B(k-1) / (k + A B(k-1)), P_W = N B(N) / (N - A (1 - B(N))); the
 * service level SL(t) = 1 - P_W e^(-(N - A) t / AHT); ASA = P_W AHT / (N - A).
 * Erlang C assumes every caller waits as long as it takes: with abandons the
 * real queue does better, so its agent counts are an upper bound.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gdouble calls;         /* arriving in period_s */
  gdouble period_s;      /* e.g. 1800 for a 30-minute interval */
  gdouble aht_s;         /* average handling time */
  gdouble target_sl;     /* fraction answered within within_s, e.g. 0.8 */
  gdouble within_s;      /* the service-level threshold */
  gdouble max_occupancy; /* at most this busy, (0, 1]; 1: no limit */
  gdouble shrinkage;     /* share of paid time off the phones, [0, 1) */
} WbErlangInput;

typedef struct {
  gint agents;
  gdouble traffic;       /* erlangs */
  gdouble p_wait;        /* probability a caller waits at all */
  gdouble service_level; /* answered within within_s */
  gdouble asa_s;         /* average speed of answer; +inf when N <= A */
  gdouble occupancy;     /* A / N, at most 1 */
  gint scheduled;        /* agents / (1 - shrinkage), rounded up */
} WbErlangResult;

gdouble wb_erlang_traffic(gdouble calls, gdouble period_s, gdouble aht_s);
/* The figures for `agents` agents. With agents <= traffic the queue grows
 * without bound: p_wait 1, service level 0, ASA infinite. */
void wb_erlang_eval(const WbErlangInput *in, gint agents, WbErlangResult *out);
/* The least number of agents that meets the target service level and the
 * maximum occupancy (at most max_agents; FALSE if none does). */
gboolean wb_erlang_required(const WbErlangInput *in, gint max_agents, WbErlangResult *out);
/* Checks the input's ranges; the message names the offending field. */
gboolean wb_erlang_input_valid(const WbErlangInput *in, GError **error);

G_END_DECLS
