/* ctl_erlang.c: wallboardctl erlang, what-if staffing. */
#define G_LOG_DOMAIN "wallboardctl"

#include "engine/ctl.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>

#include "engine/workforce/erlang.h"
#include "engine/kpi_json.h"

#define AGENTS_MAX 100000

/* Seven decimals: the precision of the published checks. */
static void
number(JsonBuilder *b, const char *name, gdouble v)
{
  json_builder_set_member_name(b, name);
  if (isfinite(v))
    json_builder_add_double_value(b, round(v * 1e7) / 1e7);
  else
    json_builder_add_null_value(b);
}

static void
print_json(const WbErlangInput *in, const WbErlangResult *r, gboolean met)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  number(b, "calls", in->calls);
  number(b, "period_s", in->period_s);
  number(b, "aht_s", in->aht_s);
  number(b, "target", in->target_sl);
  number(b, "within_s", in->within_s);
  number(b, "max_occupancy", in->max_occupancy);
  number(b, "shrinkage", in->shrinkage);
  number(b, "traffic_erlangs", r->traffic);
  wb_kpi_json_int(b, "agents", r->agents);
  wb_kpi_json_int(b, "scheduled", r->scheduled);
  number(b, "p_wait", r->p_wait);
  number(b, "service_level", r->service_level);
  /* A queue that never empties has no ASA: null, as JSON has no infinity. */
  number(b, "asa_s", r->asa_s);
  number(b, "occupancy", r->occupancy);
  json_builder_set_member_name(b, "meets_target");
  json_builder_add_boolean_value(b, met);
  json_builder_end_object(b);
  g_autofree char *text = wb_kpi_json_to_string(b);
  g_print("%s\n", text);
}

static void
print_table(const WbErlangInput *in, const WbErlangResult *r, gboolean met, gboolean asked)
{
  g_print("traffic          %.4f erlangs (%g calls in %g s, AHT %g s)\n", r->traffic, in->calls,
          in->period_s, in->aht_s);
  g_print("agents           %d%s\n", r->agents,
          asked ? "" : (met ? " (the least that meets the target)" : ""));
  g_print("scheduled        %d (shrinkage %.0f %%)\n", r->scheduled, in->shrinkage * 100);
  g_print("P(wait)          %.7f\n", r->p_wait);
  g_print("service level    %.5f within %g s (target %.0f %%)%s\n", r->service_level, in->within_s,
          in->target_sl * 100, met ? "" : "  NOT MET");
  if (isfinite(r->asa_s))
    g_print("ASA              %.3f s\n", r->asa_s);
  else
    g_print("ASA              unbounded (agents <= traffic)\n");
  g_print("occupancy        %.3f (max %.2f)\n", r->occupancy, in->max_occupancy);
  g_print("Erlang C ignores callers who hang up: these agent counts are an upper bound.\n");
}

int
wb_ctl_erlang(int argc, char **argv)
{
  WbErlangInput in = {.max_occupancy = 1.0};
  gint agents = 0;
  gboolean json = FALSE;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
      {"calls", 0, 0, G_OPTION_ARG_DOUBLE, &in.calls, "Calls arriving in the period", "N"},
      {"period", 0, 0, G_OPTION_ARG_DOUBLE, &in.period_s, "Length of the period", "SEC"},
      {"aht", 0, 0, G_OPTION_ARG_DOUBLE, &in.aht_s, "Average handling time", "SEC"},
      {"target", 0, 0, G_OPTION_ARG_DOUBLE, &in.target_sl, "Service-level target, e.g. 0.8",
       "FRACTION"},
      {"within", 0, 0, G_OPTION_ARG_DOUBLE, &in.within_s, "Service-level threshold", "SEC"},
      {"agents", 0, 0, G_OPTION_ARG_INT, &agents,
       "Evaluate this many agents instead of finding the least", "N"},
      {"max-occupancy", 0, 0, G_OPTION_ARG_DOUBLE, &in.max_occupancy,
       "Highest acceptable occupancy (default 1: no limit)", "F"},
      {"shrinkage", 0, 0, G_OPTION_ARG_DOUBLE, &in.shrinkage,
       "Share of paid time off the phones (default 0)", "F"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON object", NULL},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- staffing by Erlang C");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("wallboardctl: erlang: %s\n", error->message);
    return 2;
  }
  if (argc > 1) {
    g_printerr("wallboardctl: erlang: unexpected argument '%s'\n", argv[1]);
    return 2;
  }
  if (!wb_erlang_input_valid(&in, &error)) {
    g_printerr("wallboardctl: erlang: %s (see --help)\n", error->message);
    return 2;
  }
  if (agents < 0) {
    g_printerr("wallboardctl: erlang: agents must be >= 1\n");
    return 2;
  }

  WbErlangResult r;
  gboolean met;
  if (agents > 0) {
    wb_erlang_eval(&in, agents, &r);
    met = r.service_level >= in.target_sl && r.occupancy <= in.max_occupancy;
  } else {
    met = wb_erlang_required(&in, AGENTS_MAX, &r);
    if (!met) {
      g_printerr("wallboardctl: erlang: no staffing up to %d agents meets the target\n",
                 AGENTS_MAX);
      return 1;
    }
  }
  if (json)
    print_json(&in, &r, met);
  else
    print_table(&in, &r, met, agents > 0);
  return 0;
}
