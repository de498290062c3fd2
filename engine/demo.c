/* demo.c: the demo's staff register and roster. */
#define G_LOG_DOMAIN "demo"

#include "engine/demo.h"

#include "collectors/sim.h"
#include "engine/clock.h"
#include "engine/workforce/roster.h"

#define DEMO_SOURCE "demo:records"
/* Positions: the staff records first, then one per agent and day. */
#define POS_ROSTER 1000
#define DAY_MS (G_GINT64_CONSTANT(86400000))

static void
send(WbEngine *e, WbEvent *ev, gint64 pos)
{
  WbSink *sink = wb_bus_sink(e->bus);
  WB_EVENT_SET(ev, source, DEMO_SOURCE, -1);
  ev->source_pos = pos;
  sink->event(sink, ev);
}

/* Everyone hired on 2024-03-01, the record made then. */
static void
staff_records(WbEngine *e)
{
  gsize n = 0;
  const WbSimAgent *agents = wb_sim_agents(&n);
  gint64 hired = wb_day_midnight_ms(e->tz, 2024, 3, 1);
  for (gsize i = 0; i < n; i++) {
    WbEvent ev;
    wb_event_init(&ev, WB_EVENT_STAFF_RECORD);
    ev.ts_ms = hired;
    WB_EVENT_SET(&ev, agent, agents[i].key, -1);
    WB_EVENT_SET(&ev, name, agents[i].name, -1);
    WB_EVENT_SET(&ev, role, g_strcmp0(agents[i].role, "lead") == 0 ? "team_lead" : "agent", -1);
    WB_EVENT_SET(&ev, status, "active", -1);
    ev.start_ms = hired;
    send(e, &ev, (gint64)i + 1);
  }
}

/* The shifts of one day, planned a fortnight before. */
static gboolean
roster_day(WbEngine *e, guint64 seed, const GDate *day, GError **error)
{
  gsize n = 0;
  const WbSimAgent *agents = wb_sim_agents(&n);
  for (gsize i = 0; i < n; i++) {
    WbSimShift shift = wb_sim_rota(seed, day, i);
    if (shift == WB_SIM_OFF)
      continue;
    const char *code = shift == WB_SIM_DAY ? "白" : "夜";
    WbEvent ev;
    wb_event_init(&ev, WB_EVENT_ROSTER_SHIFT);
    if (!wb_roster_template_for(e->cfg, e->tz, code, day, &ev.start_ms, &ev.end_ms)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                  "demo: no shift template '%s' ([shift.CODE] groups replace the tender's)", code);
      return FALSE;
    }
    ev.ts_ms = ev.start_ms - 14 * DAY_MS;
    WB_EVENT_SET(&ev, agent, agents[i].key, -1);
    WB_EVENT_SET(&ev, kind, code, -1);
    send(e, &ev, POS_ROSTER + (gint64)g_date_get_julian(day) * 16 + (gint64)i);
  }
  return TRUE;
}

gboolean
wb_demo_records(WbEngine *e, guint64 seed, gint64 now_ms, guint days_back, guint days_ahead,
                GError **error)
{
  GDate day;
  staff_records(e);
  wb_day_of(e->tz, now_ms, &day);
  g_date_subtract_days(&day, days_back);
  for (guint i = 0; i <= days_back + days_ahead; i++, g_date_add_days(&day, 1))
    if (!roster_day(e, seed, &day, error))
      return FALSE;
  return wb_bus_flush(e->bus, error);
}
