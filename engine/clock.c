/* clock.c: now, local days, ISO-8601. */
#define G_LOG_DOMAIN "clock"

#include "engine/clock.h"

#include <stdio.h>
#include <string.h>

gint64
wb_clock_now_ms(const WbClock *clock)
{
  if (clock != NULL && clock->func != NULL)
    return clock->func(clock->user_data);
  return g_get_real_time() / 1000;
}

static GDateTime *
local_time(GTimeZone *tz, gint64 ms)
{
  /* Floor, not truncation: -1500 ms is 1.5 s before 1970, not 0.5 s. */
  gint64 s = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(s);
  return utc != NULL ? g_date_time_to_timezone(utc, tz) : NULL;
}

gint64
wb_day_start_ms(GTimeZone *tz, gint64 ms)
{
  g_autoptr(GDateTime) t = local_time(tz, ms);
  if (t == NULL)
    return ms;
  g_autoptr(GDateTime) midnight =
      g_date_time_new(tz, g_date_time_get_year(t), g_date_time_get_month(t),
                      g_date_time_get_day_of_month(t), 0, 0, 0);
  return g_date_time_to_unix(midnight) * 1000;
}

gint64
wb_day_end_ms(GTimeZone *tz, gint64 ms)
{
  /* 26 h past midnight is always in the next local day, DST or not. */
  gint64 start = wb_day_start_ms(tz, ms);
  return wb_day_start_ms(tz, start + 26 * 3600 * 1000LL);
}

char *
wb_time_format(GTimeZone *tz, gint64 ms)
{
  g_autoptr(GDateTime) t = local_time(tz, ms);
  if (t == NULL)
    return g_strdup("");
  /* Local mean time (Asia/Shanghai before 1901: +08:05:43) has an offset
   * that ISO-8601 cannot write: such a time goes out in UTC (+00:00). */
  if (g_date_time_get_utc_offset(t) % G_TIME_SPAN_MINUTE != 0) {
    GDateTime *utc = g_date_time_to_utc(t);
    g_date_time_unref(t);
    t = utc;
  }
  /* The year in four digits (GLib's %Y does not pad years before 1000). */
  g_autofree char *rest = g_date_time_format(t, "%m-%dT%H:%M:%S");
  g_autofree char *offset = g_date_time_format(t, "%:z");
  gint64 frac = ms % 1000;
  if (frac < 0)
    frac += 1000;
  return g_strdup_printf("%04d-%s.%03d%s", g_date_time_get_year(t), rest, (int)frac, offset);
}

char *
wb_day_format(GTimeZone *tz, gint64 ms)
{
  g_autoptr(GDateTime) t = local_time(tz, ms);
  if (t == NULL)
    return g_strdup("");
  return g_strdup_printf("%04d-%02d-%02d", g_date_time_get_year(t), g_date_time_get_month(t),
                         g_date_time_get_day_of_month(t));
}

/* What spreadsheets write, in local time: "2026/11/28 8:00",
 * "2026-11-28 08:00:00", "2026/11/28". */
static GDateTime *
local_spreadsheet_time(GTimeZone *tz, const char *text)
{
  int y, mo, d, h = 0, mi = 0, n = 0;
  double sec = 0;
  char sep1, sep2;

  if (sscanf(text, "%4d%c%2d%c%2d%n", &y, &sep1, &mo, &sep2, &d, &n) != 5 || sep1 != sep2 ||
      (sep1 != '-' && sep1 != '/' && sep1 != '.'))
    return NULL;
  const char *rest = text + n;
  if (*rest == ' ' || *rest == 'T') {
    int m = 0;
    if (sscanf(rest + 1, "%2d:%2d%n", &h, &mi, &m) != 2)
      return NULL;
    rest += 1 + m;
    if (*rest == ':') {
      if (sscanf(rest + 1, "%lf%n", &sec, &m) != 1)
        return NULL;
      rest += 1 + m;
    }
  }
  if (*rest != '\0' || h > 23 || mi > 59 || sec < 0 || sec >= 60)
    return NULL;
  return g_date_time_new(tz, y, mo, d, h, mi, sec);
}

/* ISO-8601, a date alone, or a spreadsheet's local time. */
static gboolean
parse_text(GTimeZone *tz, const char *text, gint64 *out_ms)
{
  g_autoptr(GDateTime) t = NULL;
  if (strlen(text) == 10 && text[4] == '-' && text[7] == '-') {
    g_autofree char *full = g_strconcat(text, "T00:00:00", NULL);
    t = g_date_time_new_from_iso8601(full, tz);
  } else {
    t = g_date_time_new_from_iso8601(text, tz);
  }
  if (t == NULL)
    t = local_spreadsheet_time(tz, text);
  if (t == NULL)
    return FALSE;
  *out_ms = g_date_time_to_unix(t) * 1000 + g_date_time_get_microsecond(t) / 1000;
  return TRUE;
}

gboolean
wb_time_parse(GTimeZone *tz, const char *text, gint64 *out_ms)
{
  if (text == NULL || *text == '\0')
    return FALSE;

  gboolean digits = TRUE;
  for (const char *p = text; *p != '\0'; p++)
    digits &= g_ascii_isdigit(*p) || (p == text && *p == '-');
  gint64 ms;
  if (digits && strlen(text) >= 10) {
    if (!g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &ms, NULL))
      return FALSE;
  } else if (!parse_text(tz, text, &ms)) {
    return FALSE;
  }
  /* Only a time that has a local date (years 1 to 9999): a larger number
   * is a mistake, not a time, and would overflow the arithmetic on it. */
  g_autoptr(GDateTime) local = local_time(tz, ms);
  if (local == NULL)
    return FALSE;
  *out_ms = ms;
  return TRUE;
}

void
wb_day_of(GTimeZone *tz, gint64 ms, GDate *out)
{
  /* Floor, not truncation: a time just before 1970 is on the day before. */
  gint64 s = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(s);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
  g_date_clear(out, 1);
  g_date_set_dmy(out, (GDateDay)g_date_time_get_day_of_month(local),
                 (GDateMonth)g_date_time_get_month(local), (GDateYear)g_date_time_get_year(local));
}

gint64
wb_day_midnight_ms(GTimeZone *tz, gint year, gint month, gint day)
{
  g_autoptr(GDateTime) t = g_date_time_new(tz, year, month, day, 0, 0, 0);
  return g_date_time_to_unix(t) * 1000;
}
