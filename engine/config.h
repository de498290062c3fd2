/* config.h: the configuration table.
 *
 * One table (config.c) names every key with its group, type, default, bounds
 * and help. The same table parses the GKeyFile, applies command-line
 * overrides, answers queries, and writes docs/configuration.md and the
 * commented example file. The daemon runs with no file at all.
 *
 * Besides the fixed keys, two families of groups name things:
 *   [queue.NAME]  name, sl_threshold_s, sl_variant, sl_exclude_short_abandons,
 *                 short_abandon_s, wrapup_reasons, target_answer_rate,
 *                 target_service_level
 *   [agent.KEY]   name, aliases (source spellings mapped to KEY)
 *   [shift.CODE]  start, end, summer_start, summer_end, winter_start,
 *                 winter_end, role, label (a roster's shift template)
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"

G_BEGIN_DECLS

#define WB_CONFIG_ERROR (wb_config_error_quark())
GQuark wb_config_error_quark(void);
typedef enum {
  WB_CONFIG_ERROR_INVALID,
  WB_CONFIG_ERROR_UNKNOWN_KEY,
} WbConfigError;

typedef enum {
  WB_SL_ANSWERED = 0,      /* answered <= T / answered (default) */
  WB_SL_OFFERED,           /* answered <= T / offered */
  WB_SL_IGNORE_ABANDONS,   /* answered <= T / (offered - abandoned <= T) */
  WB_SL_POSITIVE_ABANDONS, /* (answered <= T + abandoned <= T) / offered */
  WB_SL_VARIANT_COUNT
} WbSlVariant;

const char *wb_sl_variant_name(WbSlVariant v);
gboolean wb_sl_variant_from_name(const char *name, WbSlVariant *out);

/* The service-level settings that apply to one scope. */
typedef struct {
  gint sl_threshold_s;
  WbSlVariant sl_variant;
  gboolean sl_exclude_short_abandons;
  gint short_abandon_s;
} WbKpiSettings;

typedef struct {
  char *key;
  char *name;
  WbKpiSettings kpi;
  gdouble target_answer_rate;
  gdouble target_service_level;
  char **wrapup_reasons;
} WbQueueConfig;

typedef struct {
  char *key;
  char *name;
  char **aliases;
} WbAgentConfig;

/* A shift template: what a roster's code means. Its hours may differ by
 * season ([roster] summer_from, winter_from): engine/workforce/roster.h
 * picks the season's by date. */
typedef struct {
  char *code;
  char *label;
  char *role;
  gint start_min; /* `start`: minutes after local midnight, 0..1439; -1 if not given */
  gint end_min;   /* `end`: 0..1440, at or before start_min: the next day; -1 if not given */
  /* Each season's hours: summer_start etc. if given, else start and end. */
  gint summer_start_min, summer_end_min;
  gint winter_start_min, winter_end_min;
} WbShiftConfig;

/* A minimum number of staff over a band of the day ([coverage] minimum). */
/* A named group whose keys another module interprets. */
typedef struct {
  char *name; /* after the prefix: NAME of [alert.NAME] */
  char **keys;
  char **values; /* stripped, same order as keys */
} WbConfigGroup;

typedef struct {
  gint start_min; /* 0..1439 */
  gint end_min;   /* 1..1440; at or before start_min: the next day */
  gint minimum;
} WbConfigBand;

typedef struct {
  /* [server] */
  char *listen;
  char *dashboards_dir;
  gint update_ms;
  gint heartbeat_s;
  gint max_body_bytes;
  /* [store] */
  char *state_dir;
  gint flush_ms;
  gint batch_events;
  /* [auth] */
  gint auth_max_failures;
  gint auth_lock_min;
  gint auth_session_idle_s;
  gint auth_audit_keep_days;
  gboolean auth_cookie_secure;
  /* [kpi] */
  char *timezone;
  WbKpiSettings kpi;
  char **wrapup_reasons;
  gdouble target_answer_rate;
  gdouble target_service_level;
  char **state_bands_s;
  /* [roster] */
  gint summer_from; /* month * 100 + day: 501 is 05-01 */
  gint winter_from;
  /* [coverage] */
  char *coverage_minimum;
  /* [staffing] */
  gint staffing_interval_min;
  gdouble staffing_default_aht_s;
  gdouble staffing_max_occupancy;
  gdouble staffing_shrinkage;
  /* [stability] */
  gdouble stability_target;
  gint stability_establishment;
  /* [training] */
  char **training_induction_classroom;
  char **training_induction_hands_on;
  char **training_induction_field;
  char **training_safety;
  gint training_induction_days;
  gint training_induction_classroom_days;
  gint training_induction_hands_on_days;
  gint training_induction_field_days;
  gint training_in_service_per_month;
  gint training_safety_per_year;
  gint training_entry_exam_areas;
  gdouble training_exam_pass_score;
  /* [attendance] */
  gint attendance_late_grace_min;
  gint attendance_early_grace_min;
  gint attendance_absent_after_min;
  gint attendance_long_absence_days;
  /* [holidays] */
  char *holidays_data_dir;
  char *holidays_file;
  /* [report] */
  char *report_centre_name;
  char **report_schedule;
  gint report_schedule_hour;
  /* [rrd] */
  gboolean rrd_enabled;
  char *rrd_dir;
  char *rrd_daemon;
  /* [queue_log] */
  char **queue_logs;
  gint poll_ms;
  /* [ami] */
  gboolean ami_enabled;
  char *ami_host;
  gint ami_port;
  char *ami_username;
  char *ami_secret;
  char *ami_auth;
  gboolean ami_tls;
  char *ami_tls_ca;
  gint ami_summary_s;
  gint ami_keepalive_s;
  gint ami_reconnect_max_s;
  /* [demo] */
  gboolean demo;
  gint64 demo_seed;
  gdouble demo_speed;
  /* [log] */
  char *log_level;

  GPtrArray *queues; /* WbQueueConfig*, from [queue.NAME] groups */
  GPtrArray *agents; /* WbAgentConfig*, from [agent.KEY] groups */
  GPtrArray *shifts; /* WbShiftConfig*, from [shift.CODE] groups */
  /* [alert.NAME] groups as written: engine/alerts.c reads and checks them. */
  GPtrArray *alert_groups; /* WbConfigGroup* */
} WbConfig;

WbConfig *wb_config_new_defaults(void);
void wb_config_free(WbConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbConfig, wb_config_free)

/* Reads a GKeyFile over the defaults. Unknown keys and values out of bounds
 * are errors that name the key and the file. */
gboolean wb_config_load_file(WbConfig *cfg, const char *path, GError **error);
/* Sets one key from text, as the command line does ("server", "listen", "…"). */
gboolean wb_config_set(WbConfig *cfg, const char *group, const char *key, const char *value,
                       GError **error);

/* Applies one of the service-level keys (sl_threshold_s, sl_variant,
 * sl_exclude_short_abandons, short_abandon_s) to settings, with the bounds
 * of the configuration table: an answer computed another way on request. */
gboolean wb_config_kpi_override(WbKpiSettings *settings, const char *key, const char *value,
                                GError **error);
/* The names wb_config_kpi_override takes, NULL-terminated. */
extern const char *const wb_config_kpi_override_keys[];

/* The settings for one queue: its [queue.NAME] overrides over [kpi]. */
WbKpiSettings wb_config_kpi_for_queue(const WbConfig *cfg, const char *queue);
const char *wb_config_queue_name(const WbConfig *cfg, const char *queue);
const char *wb_config_agent_name(const WbConfig *cfg, const char *agent);
/* Adds a [agent.KEY] entry unless one exists (the demo names its agents). */
void wb_config_add_agent(WbConfig *cfg, const char *key, const char *name);
void wb_config_add_queue(WbConfig *cfg, const char *key, const char *name);
/* Builds the alias map for collectors from the [agent.KEY] groups. */
WbAgentMap *wb_config_agent_map(const WbConfig *cfg);
/* True if a pause reason counts as after-call work: in a queue's list when
 * the pause names a queue that has one, else in [kpi] wrapup_reasons. */
gboolean wb_config_is_wrapup(const WbConfig *cfg, const char *queue, const char *reason);
/* The targets that colour a queue's figures (queue NULL: the centre's). */
void wb_config_targets(const WbConfig *cfg, const char *queue, gdouble *answer_rate,
                       gdouble *service_level);

/* Parses a list of bands, "08:00-19:00=2;19:00-08:00=1" (';' or ','
 * between bands), as [coverage] minimum takes it. Returns a GArray of
 * WbConfigBand in the order given, or NULL with error. */
GArray *wb_config_parse_bands(const char *text, GError **error);

/* Generated documentation: a Markdown table and a commented example file. */
char *wb_config_docs_markdown(void);
char *wb_config_example_file(void);

/* A deep copy (a report run reads its own while a reload replaces the
 * daemon's). */
WbConfig *wb_config_copy(const WbConfig *cfg);
/* The keys whose values differ between a and b, "group.key" (g_free'd
 * strings): the fixed keys in table order, then each named group that
 * differs, appeared or went as a whole ("queue.policy", "alert.long_wait"). */
GPtrArray *wb_config_changes(const WbConfig *a, const WbConfig *b);
/* Sets one key of dst, named as wb_config_changes names it, to src's value
 * (a named group: as in src, present or absent). FALSE: no such key. */
gboolean wb_config_copy_key(WbConfig *dst, const WbConfig *src, const char *name);

G_END_DECLS
