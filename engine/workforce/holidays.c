/* holidays.c: the holiday calendar from the shipped JSON files. */
#define G_LOG_DOMAIN "holidays"

#include "engine/workforce/holidays.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "wb-build-config.h"

G_DEFINE_QUARK(wb_holidays_error, wb_holidays_error)

typedef struct {
  gboolean off;       /* a day off by notice; else a make-up working day */
  gboolean statutory; /* 法定节假日 */
  char *name;
} Day;

struct WbHolidays {
  GHashTable *days;  /* julian day -> Day* */
  GHashTable *years; /* year -> TRUE, when its notice has days */
};

static void
day_free(gpointer p)
{
  Day *d = p;
  g_free(d->name);
  g_free(d);
}

WbHolidays *
wb_holidays_new(void)
{
  WbHolidays *h = g_new0(WbHolidays, 1);
  h->days = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, day_free);
  h->years = g_hash_table_new(g_direct_hash, g_direct_equal);
  return h;
}

void
wb_holidays_free(WbHolidays *h)
{
  if (h == NULL)
    return;
  g_hash_table_unref(h->days);
  g_hash_table_unref(h->years);
  g_free(h);
}

static gboolean
parse_date(const char *text, GDate *out)
{
  int y, m, d;
  char tail;
  if (text == NULL || sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
      !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
    return FALSE;
  g_date_clear(out, 1);
  g_date_set_dmy(out, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
  return TRUE;
}

static gpointer
day_key(const GDate *day)
{
  return GUINT_TO_POINTER(g_date_get_julian(day));
}

static Day *
day_get(WbHolidays *h, const GDate *date)
{
  Day *d = g_hash_table_lookup(h->days, day_key(date));
  if (d == NULL) {
    d = g_new0(Day, 1);
    g_hash_table_insert(h->days, day_key(date), d);
  }
  return d;
}

static JsonNode *
load_json(const char *path, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_file(parser, path, error))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error(error, WB_HOLIDAYS_ERROR, 0, "%s: not a JSON object", path);
    return NULL;
  }
  return json_node_copy(root);
}

static gboolean
bad_day(const char *path, guint i, const char *why, GError **error)
{
  g_set_error(error, WB_HOLIDAYS_ERROR, 0, "%s: days[%u]: %s", path, i, why);
  return FALSE;
}

gboolean
wb_holidays_load_file(WbHolidays *h, const char *path, GError **error)
{
  g_autoptr(JsonNode) root = load_json(path, error);
  if (root == NULL)
    return FALSE;
  JsonObject *o = json_node_get_object(root);
  JsonNode *days = json_object_get_member(o, "days");
  if (days == NULL || !JSON_NODE_HOLDS_ARRAY(days)) {
    g_set_error(error, WB_HOLIDAYS_ERROR, 0, "%s: no \"days\" array", path);
    return FALSE;
  }
  JsonArray *a = json_node_get_array(days);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *n = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_OBJECT(n))
      return bad_day(path, i, "not an object", error);
    JsonObject *e = json_node_get_object(n);
    GDate date;
    if (!parse_date(json_object_get_string_member_with_default(e, "date", NULL), &date))
      return bad_day(path, i, "no date YYYY-MM-DD", error);
    JsonNode *off = json_object_get_member(e, "isOffDay");
    if (off == NULL || json_node_get_value_type(off) != G_TYPE_BOOLEAN)
      return bad_day(path, i, "no isOffDay true or false", error);
    Day *d = day_get(h, &date);
    d->off = json_node_get_boolean(off);
    g_free(d->name);
    d->name = g_strdup(json_object_get_string_member_with_default(e, "name", ""));
    if (json_object_has_member(e, "isStatutory"))
      d->statutory = json_object_get_boolean_member_with_default(e, "isStatutory", FALSE);
    else if (!d->off)
      d->statutory = FALSE;
    g_hash_table_add(h->years, GINT_TO_POINTER(g_date_get_year(&date)));
  }
  return TRUE;
}

/* statutory.json: {"years":{"2026":{"2026-01-01":"元旦",…},…}} */
static gboolean
load_statutory(WbHolidays *h, const char *path, GError **error)
{
  g_autoptr(JsonNode) root = load_json(path, error);
  if (root == NULL)
    return FALSE;
  JsonObject *years = json_object_get_object_member(json_node_get_object(root), "years");
  if (years == NULL) {
    g_set_error(error, WB_HOLIDAYS_ERROR, 0, "%s: no \"years\" object", path);
    return FALSE;
  }
  JsonObjectIter yi;
  const char *year;
  JsonNode *node;
  json_object_iter_init(&yi, years);
  while (json_object_iter_next(&yi, &year, &node)) {
    if (!JSON_NODE_HOLDS_OBJECT(node))
      continue;
    JsonObjectIter di;
    const char *date_text;
    JsonNode *name;
    json_object_iter_init(&di, json_node_get_object(node));
    while (json_object_iter_next(&di, &date_text, &name)) {
      GDate date;
      if (!parse_date(date_text, &date)) {
        g_set_error(error, WB_HOLIDAYS_ERROR, 0, "%s: %s: not a date", path, date_text);
        return FALSE;
      }
      Day *d = day_get(h, &date);
      d->off = TRUE;
      d->statutory = TRUE;
      if (d->name == NULL || *d->name == '\0') {
        g_free(d->name);
        d->name = g_strdup(JSON_NODE_HOLDS_VALUE(name) ? json_node_get_string(name) : "");
      }
    }
  }
  return TRUE;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

gboolean
wb_holidays_load_dir(WbHolidays *h, const char *dir, GError **error)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, error);
  if (d == NULL)
    return FALSE;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL)
    if (strlen(name) == 9 && g_str_has_suffix(name, ".json") && g_ascii_isdigit(name[0]))
      g_ptr_array_add(names, g_strdup(name));
  /* Year order: a December day may sit in the next year's notice too. */
  g_ptr_array_sort(names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
    if (!wb_holidays_load_file(h, path, error))
      return FALSE;
  }
  g_autofree char *statutory = g_build_filename(dir, "statutory.json", NULL);
  return load_statutory(h, statutory, error);
}

char *
wb_holidays_default_dir(void)
{
  g_autofree char *installed = g_build_filename(WB_DATADIR, "holidays-cn", NULL);
  if (g_file_test(installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer(&installed);
  return g_build_filename(WB_SOURCE_DIR, "data", "holidays-cn", NULL);
}

WbHolidays *
wb_holidays_open(const char *dir, const char *override_file, GError **error)
{
  g_autoptr(WbHolidays) h = wb_holidays_new();
  g_autofree char *def = dir == NULL || *dir == '\0' ? wb_holidays_default_dir() : NULL;
  if (!wb_holidays_load_dir(h, def != NULL ? def : dir, error)) {
    g_prefix_error(error, "holidays: ");
    return NULL;
  }
  /* After the shipped calendar, so its days win. */
  if (override_file != NULL && *override_file != '\0' &&
      !wb_holidays_load_file(h, override_file, error)) {
    g_prefix_error(error, "holidays: [holidays] file: ");
    return NULL;
  }
  return g_steal_pointer(&h);
}

static const Day *
lookup(const WbHolidays *h, const GDate *day)
{
  return g_hash_table_lookup(h->days, day_key(day));
}

static gboolean
weekend(const GDate *day)
{
  GDateWeekday w = g_date_get_weekday(day);
  return w == G_DATE_SATURDAY || w == G_DATE_SUNDAY;
}

gboolean
wb_holidays_is_workday(const WbHolidays *h, const GDate *day)
{
  const Day *d = lookup(h, day);
  return d != NULL ? !d->off : !weekend(day);
}

gboolean
wb_holidays_is_statutory_holiday(const WbHolidays *h, const GDate *day)
{
  const Day *d = lookup(h, day);
  return d != NULL && d->off && d->statutory;
}

gboolean
wb_holidays_is_makeup_workday(const WbHolidays *h, const GDate *day)
{
  const Day *d = lookup(h, day);
  return d != NULL && !d->off && weekend(day);
}

gboolean
wb_holidays_is_day_off(const WbHolidays *h, const GDate *day)
{
  const Day *d = lookup(h, day);
  return d != NULL && d->off;
}

const char *
wb_holidays_name(const WbHolidays *h, const GDate *day)
{
  const Day *d = lookup(h, day);
  return d != NULL && d->name != NULL && *d->name != '\0' ? d->name : NULL;
}

gboolean
wb_holidays_year_known(const WbHolidays *h, gint year)
{
  return g_hash_table_contains(h->years, GINT_TO_POINTER(year));
}
