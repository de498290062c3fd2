/* api_auth.c: login, logout, who am I, the audit trail, the accounts. */
#define G_LOG_DOMAIN "api"

#include "engine/api_auth.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/kpi_json.h"
#include "engine/users.h"

/* Accounts, sessions and the audit trail run on the real clock, also in
 * the demo whose floor runs faster. */
static gint64
real_now_ms(void)
{
  return g_get_real_time() / 1000;
}

static const char *
body_string(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

static void
user_object(JsonBuilder *b, const char *name, WbRole role, const char *display_name)
{
  json_builder_begin_object(b);
  wb_kpi_json_string_or_null(b, "user", name);
  wb_kpi_json_string(b, "role", wb_auth_role_name(role));
  wb_kpi_json_string_or_null(b, "display_name", display_name);
  json_builder_end_object(b);
}

/* Passwords checked at once, each on a worker thread with 64 MiB. Beyond
 * this a login is refused (429) rather than queued: a flood of logins
 * costs the server neither its main loop nor its memory. */
#define LOGINS_CHECKING_MAX 4

typedef struct {
  WbEngine *engine;
  WbApiLater *later;
  WbUsersAttempt *attempt;
  char *remote;
} LoginJob;

static void
login_job_free(LoginJob *job)
{
  wb_users_attempt_free(job->attempt);
  g_free(job->remote);
  g_free(job);
}

/* The worker thread's part: the attempt only, nothing shared. */
static void
login_check_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  LoginJob *job = data;
  (void)source;
  (void)cancellable;
  wb_users_login_check(job->attempt);
  g_task_return_boolean(task, TRUE);
}

static void
login_reply(WbEngine *e, const WbUsersAttempt *attempt, const char *remote, WbApiReply *out)
{
  WbUsersPolicy policy;
  WbUser user = {0};
  g_autofree char *session = NULL;
  g_autoptr(GError) error = NULL;

  wb_users_policy_from_config(e->cfg, &policy);
  switch (wb_users_login_end(e->store, &policy, attempt, remote, real_now_ms(), &user, &session,
                             &error)) {
  case WB_USERS_LOGIN_OK: break;
  case WB_USERS_LOGIN_BAD: wb_api_reply_error(out, 401, "wrong user name or password"); return;
  case WB_USERS_LOGIN_LOCKED:
    wb_api_reply_error(out, 423, "account locked: try again later, or ask an administrator");
    return;
  case WB_USERS_LOGIN_ERROR: wb_api_reply_error(out, 500, "%s", error->message); return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  user_object(b, user.name, user.role, user.display_name);
  wb_api_reply_json(out, b);
  out->set_cookie = wb_users_cookie(session, e->cfg->auth_cookie_secure);
  wb_user_clear(&user);
}

/* Back on the main loop (the daemon's loop runs until the engine is
 * cleared, so the engine is still there). */
static void
login_checked(GObject *source, GAsyncResult *res, gpointer data)
{
  LoginJob *job = g_task_get_task_data(G_TASK(res));
  WbApiReply reply = {0};
  (void)source;
  (void)data;

  job->engine->logins_checking--;
  login_reply(job->engine, job->attempt, job->remote, &reply);
  wb_api_later_answer(g_steal_pointer(&job->later), &reply);
}

void
wb_api_login(WbEngine *e, const WbApiRequest *req, WbApiReply *out)
{
  g_autoptr(JsonParser) parser = json_parser_new();

  if (req->body == NULL ||
      !json_parser_load_from_data(parser, req->body, (gssize)req->body_len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    wb_api_reply_error(out, 400, "body: expected a JSON object {\"user\", \"password\"}");
    return;
  }
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  const char *name = body_string(o, "user");
  const char *password = body_string(o, "password");
  if (name == NULL || password == NULL) {
    wb_api_reply_error(out, 400, "%s: expected a string", name == NULL ? "user" : "password");
    return;
  }
  if (e->logins_checking >= LOGINS_CHECKING_MAX) {
    wb_api_reply_error(out, 429, "too many logins at once: try again in a few seconds");
    return;
  }
  LoginJob *job = g_new0(LoginJob, 1);
  job->engine = e;
  job->attempt = wb_users_login_begin(e->store, name, password, real_now_ms());
  job->remote = g_strdup(req->remote);
  job->later = wb_api_later_new(out);
  e->logins_checking++;
  g_autoptr(GTask) task = g_task_new(NULL, NULL, login_checked, NULL);
  g_task_set_task_data(task, job, (GDestroyNotify)login_job_free);
  g_task_run_in_thread(task, login_check_thread);
}

void
wb_api_logout(WbEngine *e, const WbApiRequest *req, WbApiReply *out)
{
  g_autoptr(GError) error = NULL;
  if (!wb_users_logout(e->store, req->session, req->remote, real_now_ms(), &error)) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "ok");
  json_builder_add_boolean_value(b, TRUE);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
  out->set_cookie = wb_users_cookie(NULL, e->cfg->auth_cookie_secure);
}

void
wb_api_me(WbEngine *e, const WbApiCaller *caller, WbApiReply *out)
{
  WbUser user = {0};
  /* A token has no name: only its role is told. */
  if (caller->user != NULL)
    wb_users_get(e->store, caller->user, &user, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();
  user_object(b, caller->user, caller->role, user.display_name);
  wb_api_reply_json(out, b);
  wb_user_clear(&user);
}

typedef struct {
  JsonBuilder *b;
  GTimeZone *tz;
} AuditRows;

static void
audit_row(const WbAuditRow *row, gpointer user_data)
{
  AuditRows *a = user_data;
  json_builder_begin_object(a->b);
  wb_kpi_json_int(a->b, "id", row->id);
  wb_kpi_json_time_twin(a->b, a->tz, "time", row->ts_ms);
  wb_kpi_json_string_or_null(a->b, "actor", row->actor);
  wb_kpi_json_string(a->b, "action", row->action);
  wb_kpi_json_string_or_null(a->b, "target", row->target);
  wb_kpi_json_string_or_null(a->b, "detail", row->detail);
  wb_kpi_json_string_or_null(a->b, "remote", row->remote);
  json_builder_end_object(a->b);
}

void
wb_api_audit(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 now = real_now_ms();
  gint64 from, to;
  gint64 limit = WB_API_AUDIT_LIMIT;
  const char *limit_text = g_hash_table_lookup(query, "limit");
  g_autoptr(GError) error = NULL;

  if (!wb_api_param_time(e, query, "from", wb_day_start_ms(e->tz, now), &from, out) ||
      !wb_api_param_time(e, query, "to", wb_day_end_ms(e->tz, now), &to, out))
    return;
  if (from >= to) {
    wb_api_reply_error(out, 400, "from must be earlier than to");
    return;
  }
  if (limit_text != NULL && *limit_text != '\0') {
    char *end = NULL;
    limit = g_ascii_strtoll(limit_text, &end, 10);
    if (end == limit_text || *end != '\0' || limit < 1 || limit > WB_API_AUDIT_LIMIT_MAX) {
      wb_api_reply_error(out, 400, "limit: expected 1 to %d, got '%s'", WB_API_AUDIT_LIMIT_MAX,
                         limit_text);
      return;
    }
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  AuditRows rows = {b, e->tz};
  gboolean more = FALSE;
  json_builder_begin_object(b);
  wb_kpi_json_time_twin(b, e->tz, "from", from);
  wb_kpi_json_time_twin(b, e->tz, "to", to);
  json_builder_set_member_name(b, "rows");
  json_builder_begin_array(b);
  if (!wb_audit_foreach(e->store, from, to, (guint)limit, audit_row, &rows, &more, &error)) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "truncated");
  json_builder_add_boolean_value(b, more);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}

void
wb_api_users(WbEngine *e, WbApiReply *out)
{
  gint64 now = real_now_ms();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = wb_users_list(e->store, &error);
  if (users == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "users");
  json_builder_begin_array(b);
  for (guint i = 0; i < users->len; i++) {
    const WbUser *u = g_ptr_array_index(users, i);
    gboolean locked = u->locked_until_ms > now;
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "user", u->name);
    wb_kpi_json_string_or_null(b, "display_name", u->display_name);
    wb_kpi_json_string(b, "role", wb_auth_role_name(u->role));
    json_builder_set_member_name(b, "disabled");
    json_builder_add_boolean_value(b, u->disabled);
    json_builder_set_member_name(b, "locked");
    json_builder_add_boolean_value(b, u->disabled || locked);
    wb_kpi_json_time_twin(b, e->tz, "locked_until", locked ? u->locked_until_ms : -1);
    wb_kpi_json_int(b, "failures", u->failures);
    wb_kpi_json_time_twin(b, e->tz, "created", u->created_ms);
    wb_kpi_json_time_twin(b, e->tz, "changed", u->changed_ms);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}
