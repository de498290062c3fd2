/* erlang.c: Erlang C with the stable recursion. */
#define G_LOG_DOMAIN "erlang"

#include "engine/workforce/erlang.h"

#include <math.h>

gdouble
wb_erlang_traffic(gdouble calls, gdouble period_s, gdouble aht_s)
{
  return period_s > 0 ? calls / period_s * aht_s : 0;
}

/* Erlang B by recursion: no factorials, no overflow, for any N. */
static gdouble
erlang_b(gdouble a, gint n)
{
  gdouble b = 1.0;
  for (gint k = 1; k <= n; k++)
    b = a * b / (k + a * b);
  return b;
}

static gint
scheduled(gint agents, gdouble shrinkage)
{
  /* A hair of tolerance: 10 / (1 - 0.2) is 12.500000000000002 in doubles. */
  return (gint)ceil(agents / (1.0 - shrinkage) - 1e-9);
}

void
wb_erlang_eval(const WbErlangInput *in, gint agents, WbErlangResult *out)
{
  gdouble a = wb_erlang_traffic(in->calls, in->period_s, in->aht_s);

  out->agents = agents;
  out->traffic = a;
  out->scheduled = scheduled(agents, in->shrinkage);
  if (a <= 0) {
    out->p_wait = 0;
    out->service_level = 1;
    out->asa_s = 0;
    out->occupancy = 0;
    return;
  }
  if (agents <= a) {
    out->p_wait = 1;
    out->service_level = 0;
    out->asa_s = INFINITY;
    out->occupancy = 1;
    return;
  }
  gdouble b = erlang_b(a, agents);
  out->p_wait = agents * b / (agents - a * (1 - b));
  out->service_level = 1 - out->p_wait * exp(-(agents - a) * in->within_s / in->aht_s);
  out->asa_s = out->p_wait * in->aht_s / (agents - a);
  out->occupancy = a / agents;
}

gboolean
wb_erlang_required(const WbErlangInput *in, gint max_agents, WbErlangResult *out)
{
  gdouble a = wb_erlang_traffic(in->calls, in->period_s, in->aht_s);
  /* Fewer than A agents never keep up; start just above. */
  gint n = MAX(1, (gint)floor(a) + (a > 0 ? 1 : 0));

  for (; n <= max_agents; n++) {
    wb_erlang_eval(in, n, out);
    if (out->service_level >= in->target_sl && out->occupancy <= in->max_occupancy)
      return TRUE;
  }
  return FALSE;
}

static gboolean
check(gboolean ok, const char *what, GError **error)
{
  if (!ok)
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s", what);
  return ok;
}

gboolean
wb_erlang_input_valid(const WbErlangInput *in, GError **error)
{
  return check(isfinite(in->calls) && in->calls >= 0, "calls must be >= 0", error) &&
         check(isfinite(in->period_s) && in->period_s > 0, "period must be > 0 seconds", error) &&
         check(isfinite(in->aht_s) && in->aht_s > 0, "aht must be > 0 seconds", error) &&
         check(in->target_sl > 0 && in->target_sl < 1, "target must be a fraction in (0, 1)",
               error) &&
         check(isfinite(in->within_s) && in->within_s >= 0, "within must be >= 0 seconds", error) &&
         check(in->max_occupancy > 0 && in->max_occupancy <= 1, "max-occupancy must be in (0, 1]",
               error) &&
         check(in->shrinkage >= 0 && in->shrinkage < 1, "shrinkage must be in [0, 1)", error);
}
