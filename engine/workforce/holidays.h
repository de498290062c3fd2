/* holidays.h: China's statutory holidays and make-up working days
 * (DESIGN.md section 5, data/holidays-cn/).
 *
 * Days are local calendar days, named by GDate. The State Council's notices
 * list the exceptions only: a day off, or a weekend day made a working day
 * (调休); every other day follows Monday to Friday. Which days off are
 * statutory holidays (法定节假日, paid at 300 % when worked) is a list of
 * its own: the rest of a break are moved weekend days.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WB_HOLIDAYS_ERROR (wb_holidays_error_quark())
GQuark wb_holidays_error_quark(void);

typedef struct WbHolidays WbHolidays;

WbHolidays *wb_holidays_new(void);
void wb_holidays_free(WbHolidays *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbHolidays, wb_holidays_free)

/* Loads the shipped calendar: every YYYY.json and statutory.json of dir. */
gboolean wb_holidays_load_dir(WbHolidays *h, const char *dir, GError **error);
/* Loads one file of the YYYY.json format (an override: its days replace
 * what was loaded; a day may carry "isStatutory"). */
gboolean wb_holidays_load_file(WbHolidays *h, const char *path, GError **error);
/* The installed calendar, else the source tree's. */
char *wb_holidays_default_dir(void);
/* The calendar as configured ([holidays] data_dir, file): dir's files
 * (NULL or empty: wb_holidays_default_dir), then the local override file
 * if override_file is neither NULL nor empty. NULL with error if one of
 * them cannot be read. */
WbHolidays *wb_holidays_open(const char *dir, const char *override_file, GError **error);

gboolean wb_holidays_is_workday(const WbHolidays *h, const GDate *day);
gboolean wb_holidays_is_statutory_holiday(const WbHolidays *h, const GDate *day);
gboolean wb_holidays_is_makeup_workday(const WbHolidays *h, const GDate *day);
/* A day off by notice (statutory or moved), not an ordinary weekend. */
gboolean wb_holidays_is_day_off(const WbHolidays *h, const GDate *day);
/* The holiday's name ("春节"), or NULL for an ordinary day. */
const char *wb_holidays_name(const WbHolidays *h, const GDate *day);
/* TRUE if the notice for the year is loaded (its days are known). */
gboolean wb_holidays_year_known(const WbHolidays *h, gint year);

G_END_DECLS
