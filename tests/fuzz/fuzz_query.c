/* fuzz_query.c: the query string of the REST API (engine/api.c): the
 * fragments the server splits at '&' into a name -> value table, and each
 * value through the parameter parsers a route applies (times, scope,
 * period, the service-level overrides) and the 400 that names a bad one.
 */
#include <json-glib/json-glib.h>

#include "engine/api.h"
#include "engine/clock.h"
#include "engine/config.h"
#include "engine/kpi.h"
#include "engine/workforce/stability.h"
#include "fuzz_common.h"

/* Longest query string kept: the server's header buffer is smaller. */
#define QUERY_MAX 8192

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static GTimeZone *tz;
static WbKpiSettings default_settings;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_quiet_logs();
  tz = g_time_zone_new_identifier("Asia/Shanghai");
  FUZZ_ASSERT(tz != NULL);
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  default_settings = cfg->kpi;
  return 0;
}

/* A 400's body: JSON whose only member "error" is a non-empty string. */
static void
check_error_reply(const WbApiReply *reply)
{
  FUZZ_ASSERT(reply->status == 400);
  FUZZ_ASSERT(reply->body != NULL);
  g_autoptr(JsonParser) p = json_parser_new();
  FUZZ_ASSERT(json_parser_load_from_data(p, reply->body, -1, NULL));
  JsonNode *root = json_parser_get_root(p);
  FUZZ_ASSERT(root != NULL && JSON_NODE_HOLDS_OBJECT(root));
  const char *msg =
      json_object_get_string_member_with_default(json_node_get_object(root), "error", NULL);
  FUZZ_ASSERT(msg != NULL && msg[0] != '\0' && g_utf8_validate(msg, -1, NULL));
}

/* A time that parses formats back to text that parses to the same time. */
static void
check_time(GHashTable *query, const char *name, const char *value)
{
  gint64 ms = 0;
  if (wb_time_parse(tz, value, &ms)) {
    g_autofree char *text = wb_time_format(tz, ms);
    FUZZ_ASSERT(text != NULL);
    gint64 again = 0;
    FUZZ_ASSERT(wb_time_parse(tz, text, &again));
    FUZZ_ASSERT(again == ms);
  }

  /* The same through the route helper, whose engine only lends its zone. */
  WbEngine e = {.tz = tz};
  WbApiReply reply = {0};
  gint64 out = 0;
  if (!wb_api_param_time(&e, query, name, -1, &out, &reply))
    check_error_reply(&reply);
  else
    FUZZ_ASSERT(reply.body == NULL);
  wb_api_reply_clear(&reply);
}

static void
check_scope(const char *value)
{
  WbScope scope;
  if (!wb_scope_parse(value, &scope))
    return;
  char text[WB_EVENT_ID_MAX + 16];
  wb_scope_format(&scope, text, sizeof(text));
  WbScope again;
  FUZZ_ASSERT(wb_scope_parse(text, &again));
  FUZZ_ASSERT(again.kind == scope.kind && strcmp(again.key, scope.key) == 0);
}

static void
check_period(const char *value)
{
  WbStabilityPeriod p;
  if (!wb_stability_period_parse(value, &p))
    return;
  g_autofree char *text = wb_stability_period_format(&p);
  WbStabilityPeriod again;
  FUZZ_ASSERT(text != NULL && wb_stability_period_parse(text, &again));
  FUZZ_ASSERT(again.kind == p.kind && again.year == p.year && again.index == p.index);
  gint64 start = wb_stability_period_start_ms(tz, &p);
  gint64 end = wb_stability_period_end_ms(tz, &p);
  FUZZ_ASSERT(start < end);
}

static void
check_override(const char *key, const char *value)
{
  WbKpiSettings s = default_settings;
  g_autoptr(GError) error = NULL;
  if (wb_config_kpi_override(&s, key, value, &error)) {
    FUZZ_ASSERT(error == NULL);
    FUZZ_ASSERT((guint)s.sl_variant < WB_SL_VARIANT_COUNT);
    FUZZ_ASSERT(s.sl_threshold_s >= 0 && s.short_abandon_s >= 0);
  } else {
    FUZZ_ASSERT(error != NULL && error->message[0] != '\0');
    /* What the route answers with it. */
    WbApiReply reply = {0};
    wb_api_reply_error(&reply, 400, "%s", error->message);
    check_error_reply(&reply);
    wb_api_reply_clear(&reply);
  }
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
  if (size > QUERY_MAX)
    return 0;
  /* The server hands over C strings: a NUL ends a fragment. */
  g_autofree char *text = g_strndup((const char *)data, size);
  g_auto(GStrv) fragments = g_strsplit(text, "&", -1);
  gsize n = g_strv_length(fragments);
  g_autoptr(GHashTable) query = wb_api_query_new((const char *const *)fragments, n);

  /* Each name once, with the value of its first fragment. */
  FUZZ_ASSERT(g_hash_table_size(query) <= n);
  for (gsize i = 0; i < n; i++) {
    const char *eq = strchr(fragments[i], '=');
    g_autofree char *name =
        eq != NULL ? g_strndup(fragments[i], eq - fragments[i]) : g_strdup(fragments[i]);
    if (*name == '\0')
      FUZZ_ASSERT(!g_hash_table_contains(query, name));
    else
      FUZZ_ASSERT(g_hash_table_contains(query, name));
  }

  /* The service-level overrides, as the KPI routes apply them. */
  for (const char *const *key = wb_config_kpi_override_keys; *key != NULL; key++) {
    const char *value = g_hash_table_lookup(query, *key);
    if (value != NULL)
      check_override(*key, value);
  }

  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, query);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    const char *name = k, *value = v;
    FUZZ_ASSERT(name[0] != '\0' && strchr(name, '&') == NULL);
    FUZZ_ASSERT(strchr(value, ' ') == NULL);
    check_time(query, name, value);
    check_scope(value);
    check_period(value);
    /* Every bad parameter is echoed in its 400, made valid UTF-8. */
    WbApiReply reply = {0};
    wb_api_reply_error(&reply, 400, "%s: bad value '%s'", name, value);
    check_error_reply(&reply);
    wb_api_reply_clear(&reply);
  }
  return 0;
}
