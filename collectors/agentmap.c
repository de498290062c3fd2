/* agentmap.c: one agent, many spellings.
 *
 * queue_log names the same person by interface in ADDMEMBER (SIP/1001), by
 * member name elsewhere (Sathish), sometimes with case changes (karthik).
 * Config lists the spellings per agent key; without an entry, technology
 * prefixes are dropped so SIP/1001 and PJSIP/1001 both give 1001.
 */
#define G_LOG_DOMAIN "agentmap"

#include <string.h>

#include "collectors/collector.h"

struct WbAgentMap {
  GHashTable *aliases;  /* casefolded spelling -> key */
  GHashTable *resolved; /* exact spelling -> key: the hot path, no folding */
};

/* Spellings are few (agents x sources); the bound only guards against a
 * source that writes a new agent name on every line. */
#define RESOLVED_MAX 4096

WbAgentMap *
wb_agent_map_new(void)
{
  WbAgentMap *map = g_new0(WbAgentMap, 1);
  map->aliases = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  map->resolved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return map;
}

void
wb_agent_map_free(WbAgentMap *map)
{
  if (map == NULL)
    return;
  g_hash_table_unref(map->aliases);
  g_hash_table_unref(map->resolved);
  g_free(map);
}

/* "SIP/1001" -> "1001", "Local/101@from-queue/n" -> "101", "Agent/7" -> "7".
 * Free-text member names ("Paty Marin") are left alone. */
static void
normalise(const char *spelling, gsize len, GString *out)
{
  const char *end = spelling + len;
  const char *slash = memchr(spelling, '/', len);

  g_string_truncate(out, 0);
  if (slash != NULL && slash > spelling && memchr(spelling, ' ', len) == NULL) {
    const char *tech_end = slash;
    gboolean tech_ok = TRUE;
    for (const char *p = spelling; p < tech_end; p++)
      if (!g_ascii_isalnum(*p) && *p != '_')
        tech_ok = FALSE;
    if (tech_ok) {
      const char *start = slash + 1;
      const char *stop = start;
      while (stop < end && *stop != '@' && *stop != '/')
        stop++;
      if (stop > start) {
        g_string_append_len(out, start, stop - start);
        return;
      }
    }
  }
  g_string_append_len(out, spelling, len);
}

static char *
fold(const char *s, gssize len)
{
  return g_utf8_casefold(s, len);
}

void
wb_agent_map_add(WbAgentMap *map, const char *key, const char *alias)
{
  g_hash_table_replace(map->aliases, fold(alias, -1), g_strdup(key));
  g_hash_table_remove_all(map->resolved);
}

static void
resolve(const WbAgentMap *map, const char *spelling, gsize n, char *out, gsize out_size)
{

  while (n > 0 && g_ascii_isspace(*spelling)) {
    spelling++;
    n--;
  }
  while (n > 0 && g_ascii_isspace(spelling[n - 1]))
    n--;
  if (n == 0 || (n == 4 && memcmp(spelling, "NONE", 4) == 0)) {
    g_strlcpy(out, "", out_size);
    return;
  }
  if (!g_utf8_validate(spelling, n, NULL)) {
    /* A broken byte in a name must not break the JSON that shows it. */
    g_autofree char *valid = g_utf8_make_valid(spelling, n);
    resolve(map, valid, strlen(valid), out, out_size);
    return;
  }

  g_autoptr(GString) norm = g_string_sized_new(n);
  normalise(spelling, n, norm);
  if (map != NULL) {
    g_autofree char *raw_fold = fold(spelling, n);
    const char *key = g_hash_table_lookup(map->aliases, raw_fold);
    if (key == NULL) {
      g_autofree char *norm_fold = fold(norm->str, norm->len);
      key = g_hash_table_lookup(map->aliases, norm_fold);
    }
    if (key != NULL) {
      wb_event_set_str(out, out_size, key, -1);
      return;
    }
  }
  wb_event_set_str(out, out_size, norm->str, norm->len);
}

void
wb_agent_map_lookup(WbAgentMap *map, const char *spelling, gssize len, char *out, gsize out_size)
{
  gsize n = len < 0 ? strlen(spelling) : (gsize)len;
  char buf[WB_EVENT_ID_MAX * 2];

  if (map == NULL || n >= sizeof(buf)) {
    resolve(map, spelling, n, out, out_size);
    return;
  }
  memcpy(buf, spelling, n);
  buf[n] = '\0';
  const char *hit = g_hash_table_lookup(map->resolved, buf);
  if (hit != NULL) {
    g_strlcpy(out, hit, out_size);
    return;
  }
  resolve(map, buf, n, out, out_size);
  if (g_hash_table_size(map->resolved) >= RESOLVED_MAX)
    g_hash_table_remove_all(map->resolved);
  g_hash_table_insert(map->resolved, g_strdup(buf), g_strdup(out));
}
