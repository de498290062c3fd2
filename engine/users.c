/* users.c: accounts, passwords, lockout and sessions. */
#define G_LOG_DOMAIN "users"

#include "engine/users.h"

#include <sodium.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/store_private.h"

G_DEFINE_QUARK(wb_users_error, wb_users_error)

#define SESSION_BYTES 32
#define SESSION_HEX (SESSION_BYTES * 2)
/* A session's last use is written at most this often: not every request
 * costs a write, and idle time is still measured to within a minute. */
#define TOUCH_MAX_MS 60000

void
wb_users_policy_from_config(const WbConfig *cfg, WbUsersPolicy *out)
{
  out->max_failures = cfg->auth_max_failures;
  out->lock_min = cfg->auth_lock_min;
  out->session_idle_s = cfg->auth_session_idle_s;
}

gboolean
wb_users_name_valid(const char *name)
{
  gsize n = name != NULL ? strlen(name) : 0;
  if (n == 0 || n > 64)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum(name[i]) && strchr("._-", name[i]) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
wb_users_password_ok(const char *password, GError **error)
{
  if (password == NULL || !g_utf8_validate(password, -1, NULL)) {
    g_set_error(error, WB_USERS_ERROR, WB_USERS_ERROR_INVALID, "password: not UTF-8 text");
    return FALSE;
  }
  if (strlen(password) > WB_USERS_PASSWORD_MAX) {
    g_set_error(error, WB_USERS_ERROR, WB_USERS_ERROR_INVALID, "password: longer than %d bytes",
                WB_USERS_PASSWORD_MAX);
    return FALSE;
  }
  gboolean lower = FALSE, upper = FALSE, digit = FALSE, other = FALSE;
  for (const char *p = password; *p != '\0'; p++) {
    if (g_ascii_islower(*p))
      lower = TRUE;
    else if (g_ascii_isupper(*p))
      upper = TRUE;
    else if (g_ascii_isdigit(*p))
      digit = TRUE;
    else
      other = TRUE;
  }
  glong chars = g_utf8_strlen(password, -1);
  int classes = lower + upper + digit + other;
  if (chars < WB_USERS_PASSWORD_MIN || classes < 3) {
    g_set_error(error, WB_USERS_ERROR, WB_USERS_ERROR_INVALID,
                "password: at least %d characters of at least 3 kinds (lower-case, upper-case, "
                "digits, others); this one has %ld of %d",
                WB_USERS_PASSWORD_MIN, chars, classes);
    return FALSE;
  }
  return TRUE;
}

void
wb_user_clear(WbUser *user)
{
  g_clear_pointer(&user->name, g_free);
  g_clear_pointer(&user->display_name, g_free);
}

void
wb_user_free(WbUser *user)
{
  if (user == NULL)
    return;
  wb_user_clear(user);
  g_free(user);
}

gboolean
wb_users_role_supervises(WbRole role)
{
  return role == WB_ROLE_SUPERVISOR || role == WB_ROLE_MANAGER || role == WB_ROLE_ADMIN;
}

gboolean
wb_users_role_audits(WbRole role)
{
  return role == WB_ROLE_AUDITOR || role == WB_ROLE_ADMIN;
}

/* ---- store access ---- */

static gboolean
sql_fail(sqlite3_stmt *st, GError **error, const char *what)
{
  g_set_error(error, WB_STORE_ERROR, 0, "users: %s: %s", what,
              sqlite3_errmsg(sqlite3_db_handle(st)));
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return FALSE;
}

/* Runs a bound write now, outside the batch of events: an account change
 * is not undone by a failed batch. */
static gboolean
run_now(WbStore *store, sqlite3_stmt *st, const char *what, GError **error)
{
  /* The open batch of events is committed first, so this write never
   * joins it. */
  if (!wb_store_commit(store, error)) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return FALSE;
  }
  if (sqlite3_step(st) != SQLITE_DONE)
    return sql_fail(st, error, what);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return TRUE;
}

static sqlite3_stmt *
statement(WbStore *store, const char *sql, GError **error)
{
  return wb_store_statement(store, sql, error);
}

static char *
password_hash(const char *password, GError **error)
{
  char out[crypto_pwhash_STRBYTES];
  /* Argon2id with libsodium's interactive limits: 2 passes over 64 MiB,
   * about 0.1 s per hash on the server. */
  if (crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    g_set_error(error, WB_USERS_ERROR, WB_USERS_ERROR_INVALID,
                "password: cannot hash it (out of memory)");
    return NULL;
  }
  return g_strdup(out);
}

static char *
session_hash(const char *session)
{
  guint8 h[32];
  char hex[sizeof(h) * 2 + 1];
  crypto_generichash(h, sizeof(h), (const guint8 *)session, strlen(session), NULL, 0);
  sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
  return g_strdup(hex);
}

static void
audit(WbStore *store, gint64 now_ms, const char *actor, const char *action, const char *target,
      const char *detail, const char *remote)
{
  g_autoptr(GError) error = NULL;
  if (!wb_audit_log(store, now_ms, actor, action, target, detail, remote, &error))
    g_warning("audit row %s of %s not written: %s", action, target ? target : "", error->message);
}

static void
user_from_row(sqlite3_stmt *st, WbUser *out)
{
  out->name = g_strdup((const char *)sqlite3_column_text(st, 0));
  out->display_name = g_strdup((const char *)sqlite3_column_text(st, 1));
  out->role = wb_auth_role_from_name((const char *)sqlite3_column_text(st, 2));
  out->failures = sqlite3_column_int(st, 3);
  out->locked_until_ms = sqlite3_column_int64(st, 4);
  out->disabled = sqlite3_column_int(st, 5) != 0;
  out->created_ms = sqlite3_column_int64(st, 6);
  out->changed_ms = sqlite3_column_int64(st, 7);
}

#define USER_COLUMNS                                                                               \
  "name, display_name, role, failures, locked_until_ms, disabled, created_ms, changed_ms"

gboolean
wb_users_get(WbStore *store, const char *name, WbUser *out, GError **error)
{
  static const char sql[] = "SELECT " USER_COLUMNS " FROM users WHERE name = ?";
  sqlite3_stmt *st = statement(store, sql, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    user_from_row(st, out);
  else if (rc != SQLITE_DONE)
    return sql_fail(st, error, "read user");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW) {
    g_set_error(error, WB_USERS_ERROR, WB_USERS_ERROR_NOT_FOUND, "no user %s", name);
    return FALSE;
  }
  return TRUE;
}

GPtrArray *
wb_users_list(WbStore *store, GError **error)
{
  static const char sql[] = "SELECT " USER_COLUMNS " FROM users ORDER BY name";
  sqlite3_stmt *st = statement(store, sql, error);
  if (st == NULL)
    return NULL;
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func((GDestroyNotify)wb_user_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    WbUser *u = g_new0(WbUser, 1);
    user_from_row(st, u);
    g_ptr_array_add(users, u);
  }
  if (rc != SQLITE_DONE) {
    sql_fail(st, error, "list users");
    return NULL;
  }
  sqlite3_reset(st);
  return g_steal_pointer(&users);
}

gint64
wb_users_count_role(WbStore *store, WbRole role, GError **error)
{
  static const char sql[] = "SELECT count(*) FROM users WHERE role = ? AND disabled = 0";
  sqlite3_stmt *st = statement(store, sql, error);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, wb_auth_role_name(role), -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) {
    sql_fail(st, error, "count users");
    return -1;
  }
  gint64 n = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return n;
}

static gboolean
end_sessions(WbStore *store, const char *name, GError **error)
{
  static const char sql[] = "DELETE FROM sessions WHERE user = ?";
  sqlite3_stmt *st = statement(store, sql, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  return run_now(store, st, "end sessions", error);
}

/* ---- account changes ---- */

gboolean
wb_users_add(WbStore *store, const char *name, WbRole role, const char *display_name,
             const char *password, const char *actor, gint64 now_ms, GError **error)
{
  static const char sql[] =
      "INSERT INTO users (name, display_name, role, password_hash, created_ms, changed_ms)"
      " VALUES (?,?,?,?,?,?)";
  if (!wb_users_name_valid(name)) {
    g_set_error(error, WB_USERS_ERROR, WB_USERS_ERROR_INVALID,
                "user name: 1 to 64 of A-Z a-z 0-9 . _ -");
    return FALSE;
  }
  if (role == WB_ROLE_NONE) {
    g_set_error(error, WB_USERS_ERROR, WB_USERS_ERROR_INVALID,
                "role: display, supervisor, manager, admin or auditor");
    return FALSE;
  }
  if (!wb_users_password_ok(password, error))
    return FALSE;
  WbUser existing = {0};
  if (wb_users_get(store, name, &existing, NULL)) {
    wb_user_clear(&existing);
    g_set_error(error, WB_USERS_ERROR, WB_USERS_ERROR_EXISTS, "user %s exists", name);
    return FALSE;
  }
  g_autofree char *hash = password_hash(password, error);
  if (hash == NULL)
    return FALSE;
  sqlite3_stmt *st = statement(store, sql, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  wb_store_bind_text(st, 2, display_name);
  sqlite3_bind_text(st, 3, wb_auth_role_name(role), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, now_ms);
  sqlite3_bind_int64(st, 6, now_ms);
  if (!run_now(store, st, "add user", error))
    return FALSE;
  g_autofree char *detail = g_strdup_printf("added, role %s", wb_auth_role_name(role));
  audit(store, now_ms, actor, WB_AUDIT_USER, name, detail, NULL);
  return TRUE;
}

static gboolean
require_user(WbStore *store, const char *name, GError **error)
{
  WbUser u = {0};
  if (!wb_users_get(store, name, &u, error))
    return FALSE;
  wb_user_clear(&u);
  return TRUE;
}

gboolean
wb_users_set_password(WbStore *store, const char *name, const char *password, const char *actor,
                      gint64 now_ms, GError **error)
{
  static const char sql[] = "UPDATE users SET password_hash = ?, changed_ms = ? WHERE name = ?";
  if (!require_user(store, name, error) || !wb_users_password_ok(password, error))
    return FALSE;
  g_autofree char *hash = password_hash(password, error);
  if (hash == NULL)
    return FALSE;
  sqlite3_stmt *st = statement(store, sql, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now_ms);
  sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
  if (!run_now(store, st, "set password", error) || !end_sessions(store, name, error))
    return FALSE;
  audit(store, now_ms, actor, WB_AUDIT_USER, name, "password changed", NULL);
  return TRUE;
}

gboolean
wb_users_set_locked(WbStore *store, const char *name, gboolean locked, const char *actor,
                    gint64 now_ms, GError **error)
{
  static const char lock_sql[] = "UPDATE users SET disabled = 1, changed_ms = ? WHERE name = ?";
  static const char unlock_sql[] = "UPDATE users SET disabled = 0, failures = 0,"
                                   " locked_until_ms = NULL, changed_ms = ? WHERE name = ?";
  if (!require_user(store, name, error))
    return FALSE;
  sqlite3_stmt *st = statement(store, locked ? lock_sql : unlock_sql, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, now_ms);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  if (!run_now(store, st, "lock user", error))
    return FALSE;
  if (locked && !end_sessions(store, name, error))
    return FALSE;
  audit(store, now_ms, actor, WB_AUDIT_USER, name, locked ? "locked" : "unlocked", NULL);
  return TRUE;
}

/* ---- login and sessions ---- */

static gboolean
set_failures(WbStore *store, const char *name, gint failures, gint64 locked_until_ms,
             GError **error)
{
  static const char sql[] = "UPDATE users SET failures = ?, locked_until_ms = ? WHERE name = ?";
  sqlite3_stmt *st = statement(store, sql, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int(st, 1, failures);
  if (locked_until_ms > 0)
    sqlite3_bind_int64(st, 2, locked_until_ms);
  else
    sqlite3_bind_null(st, 2);
  sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
  return run_now(store, st, "count failures", error);
}

static char *
new_session(WbStore *store, const WbUsersPolicy *policy, const char *name, gint64 now_ms,
            GError **error)
{
  static const char expire_sql[] = "DELETE FROM sessions WHERE last_seen_ms < ?";
  static const char insert_sql[] =
      "INSERT INTO sessions (id_hash, user, created_ms, last_seen_ms) VALUES (?,?,?,?)";
  guint8 raw[SESSION_BYTES];
  char id[SESSION_HEX + 1];

  /* Sessions idle too long go now: the table holds live ones only. */
  sqlite3_stmt *st = statement(store, expire_sql, error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_int64(st, 1, now_ms - policy->session_idle_s * 1000LL);
  if (!run_now(store, st, "expire sessions", error))
    return NULL;

  randombytes_buf(raw, sizeof(raw));
  sodium_bin2hex(id, sizeof(id), raw, sizeof(raw));
  sodium_memzero(raw, sizeof(raw));
  g_autofree char *hash = session_hash(id);
  st = statement(store, insert_sql, error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, now_ms);
  sqlite3_bind_int64(st, 4, now_ms);
  if (!run_now(store, st, "add session", error))
    return NULL;
  return g_strdup(id);
}

/* What the audit trail shows of a name someone typed: valid text, short. */
static char *
shown_name(const char *name)
{
  gsize n = name != NULL ? strlen(name) : 0;
  return g_utf8_make_valid(name != NULL ? name : "", MIN(n, 64));
}

struct WbUsersAttempt {
  char *name;     /* as typed */
  char *password; /* wiped when freed */
  char *hash;     /* the account's stored hash; NULL: unknown name or no check due */
  gboolean check; /* hash the password (a known name, or the same work for an unknown one) */
  gboolean ok;    /* the check's verdict */
};

void
wb_users_attempt_free(WbUsersAttempt *a)
{
  if (a == NULL)
    return;
  g_free(a->name);
  if (a->password != NULL)
    sodium_memzero(a->password, strlen(a->password));
  g_free(a->password);
  g_free(a->hash);
  g_free(a);
}

/* The stored hash of name, NULL when there is none. */
static char *
stored_hash(WbStore *store, const char *name, GError **error)
{
  static const char hash_sql[] = "SELECT password_hash FROM users WHERE name = ?";
  sqlite3_stmt *st = statement(store, hash_sql, error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  char *hash =
      sqlite3_step(st) == SQLITE_ROW ? g_strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return hash;
}

WbUsersAttempt *
wb_users_login_begin(WbStore *store, const char *name, const char *password, gint64 now_ms)
{
  WbUsersAttempt *a = g_new0(WbUsersAttempt, 1);
  WbUser u = {0};

  a->name = g_strdup(name);
  a->password = g_strdup(password != NULL ? password : "");
  /* A locked or disabled account is refused without the check. A store
   * error is met again, and reported, by wb_users_login_end. */
  if (name != NULL && wb_users_get(store, name, &u, NULL)) {
    a->check = !u.disabled && u.locked_until_ms <= now_ms;
    if (a->check)
      a->hash = stored_hash(store, u.name, NULL);
  } else {
    a->check = TRUE;
  }
  wb_user_clear(&u);
  return a;
}

void
wb_users_login_check(WbUsersAttempt *a)
{
  if (!a->check)
    return;
  if (a->hash == NULL) {
    /* The same work as for a known name: the answer's time does not tell
     * which names exist. */
    g_free(password_hash(a->password, NULL));
    return;
  }
  a->ok = strlen(a->password) <= WB_USERS_PASSWORD_MAX &&
          crypto_pwhash_str_verify(a->hash, a->password, strlen(a->password)) == 0;
}

WbUsersLogin
wb_users_login_end(WbStore *store, const WbUsersPolicy *policy, const WbUsersAttempt *a,
                   const char *remote, gint64 now_ms, WbUser *user, char **session, GError **error)
{
  WbUser u = {0};
  g_autoptr(GError) local = NULL;
  g_autofree char *shown = shown_name(a->name);

  /* The account is read again: other logins, an administrator's change or
   * a lock may have come while the password was checked. */
  if (a->name == NULL || !wb_users_get(store, a->name, &u, &local)) {
    if (local != NULL && !g_error_matches(local, WB_USERS_ERROR, WB_USERS_ERROR_NOT_FOUND)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return WB_USERS_LOGIN_ERROR;
    }
    audit(store, now_ms, NULL, WB_AUDIT_LOGIN_FAILED, shown, "unknown user", remote);
    return WB_USERS_LOGIN_BAD;
  }
  if (u.disabled || u.locked_until_ms > now_ms) {
    audit(store, now_ms, NULL, WB_AUDIT_LOGIN_FAILED, u.name,
          u.disabled ? "account locked by an administrator" : "account locked", remote);
    wb_user_clear(&u);
    return WB_USERS_LOGIN_LOCKED;
  }
  g_autofree char *hash = stored_hash(store, u.name, &local);
  if (local != NULL) {
    g_propagate_error(error, g_steal_pointer(&local));
    wb_user_clear(&u);
    return WB_USERS_LOGIN_ERROR;
  }
  /* A password changed during the check: the verdict was on the old one. */
  gboolean ok = a->ok && hash != NULL && a->hash != NULL && strcmp(hash, a->hash) == 0;

  if (!ok) {
    /* A lock from earlier failures has run out: counting starts again. */
    gint failures = (u.locked_until_ms > 0 ? 0 : u.failures) + 1;
    gboolean lock = failures >= policy->max_failures;
    gint64 until = lock ? now_ms + policy->lock_min * 60000LL : 0;
    if (!set_failures(store, u.name, lock ? 0 : failures, until, error)) {
      wb_user_clear(&u);
      return WB_USERS_LOGIN_ERROR;
    }
    audit(store, now_ms, NULL, WB_AUDIT_LOGIN_FAILED, u.name, "wrong password", remote);
    if (lock) {
      g_autofree char *detail =
          g_strdup_printf("%d wrong passwords: locked for %d min", failures, policy->lock_min);
      audit(store, now_ms, NULL, WB_AUDIT_LOCKED, u.name, detail, remote);
    }
    wb_user_clear(&u);
    return WB_USERS_LOGIN_BAD;
  }
  if ((u.failures != 0 || u.locked_until_ms != 0) && !set_failures(store, u.name, 0, 0, error)) {
    wb_user_clear(&u);
    return WB_USERS_LOGIN_ERROR;
  }
  char *id = new_session(store, policy, u.name, now_ms, error);
  if (id == NULL) {
    wb_user_clear(&u);
    return WB_USERS_LOGIN_ERROR;
  }
  audit(store, now_ms, u.name, WB_AUDIT_LOGIN, u.name, wb_auth_role_name(u.role), remote);
  u.failures = 0;
  u.locked_until_ms = 0;
  *user = u;
  *session = id;
  return WB_USERS_LOGIN_OK;
}

WbUsersLogin
wb_users_login(WbStore *store, const WbUsersPolicy *policy, const char *name, const char *password,
               const char *remote, gint64 now_ms, WbUser *user, char **session, GError **error)
{
  g_autoptr(WbUsersAttempt) a = wb_users_login_begin(store, name, password, now_ms);
  wb_users_login_check(a);
  return wb_users_login_end(store, policy, a, remote, now_ms, user, session, error);
}

static gboolean
session_valid(const char *session)
{
  if (session == NULL || strlen(session) != SESSION_HEX)
    return FALSE;
  for (const char *p = session; *p != '\0'; p++)
    if (!g_ascii_isxdigit(*p))
      return FALSE;
  return TRUE;
}

gboolean
wb_users_logout(WbStore *store, const char *session, const char *remote, gint64 now_ms,
                GError **error)
{
  static const char sql[] = "DELETE FROM sessions WHERE id_hash = ? RETURNING user";
  if (!session_valid(session))
    return TRUE;
  g_autofree char *hash = session_hash(session);
  sqlite3_stmt *st = statement(store, sql, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  g_autofree char *name =
      rc == SQLITE_ROW ? g_strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
  if (rc == SQLITE_ROW)
    rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    return sql_fail(st, error, "logout");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (name != NULL)
    audit(store, now_ms, name, WB_AUDIT_LOGOUT, name, NULL, remote);
  return TRUE;
}

WbRole
wb_users_session(WbStore *store, const WbUsersPolicy *policy, const char *session, gint64 now_ms,
                 char **user)
{
  static const char sql[] = "SELECT s.user, s.last_seen_ms, u.role, u.disabled FROM sessions s"
                            " JOIN users u ON u.name = s.user WHERE s.id_hash = ?";
  static const char touch_sql[] = "UPDATE sessions SET last_seen_ms = ? WHERE id_hash = ?";
  static const char end_sql[] = "DELETE FROM sessions WHERE id_hash = ?";
  g_autoptr(GError) error = NULL;

  if (!session_valid(session))
    return WB_ROLE_NONE;
  g_autofree char *hash = session_hash(session);
  sqlite3_stmt *st = statement(store, sql, &error);
  if (st == NULL) {
    g_warning("session: %s", error->message);
    return WB_ROLE_NONE;
  }
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return WB_ROLE_NONE;
  }
  g_autofree char *name = g_strdup((const char *)sqlite3_column_text(st, 0));
  gint64 last_seen = sqlite3_column_int64(st, 1);
  WbRole role = wb_auth_role_from_name((const char *)sqlite3_column_text(st, 2));
  gboolean disabled = sqlite3_column_int(st, 3) != 0;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);

  gint64 idle_ms = policy->session_idle_s * 1000LL;
  if (disabled || now_ms - last_seen > idle_ms) {
    st = statement(store, end_sql, &error);
    if (st != NULL) {
      sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
      run_now(store, st, "end session", &error);
    }
    if (error != NULL)
      g_warning("session: %s", error->message);
    return WB_ROLE_NONE;
  }
  /* Written at most every minute (sooner with a short idle time), so the
   * idle time counts from within that much of the last request. */
  if (now_ms - last_seen >= MIN(TOUCH_MAX_MS, idle_ms / 5)) {
    st = statement(store, touch_sql, &error);
    if (st != NULL) {
      sqlite3_bind_int64(st, 1, now_ms);
      sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
      run_now(store, st, "touch session", &error);
    }
    if (error != NULL)
      g_warning("session: %s", error->message);
  }
  if (user != NULL)
    *user = g_steal_pointer(&name);
  return role;
}

WbRole
wb_users_caller(WbStore *store, const WbUsersPolicy *policy, const char *token, const char *session,
                gint64 now_ms, char **user)
{
  WbRole role = wb_auth_role(store, token);
  if (role != WB_ROLE_NONE)
    return role;
  return wb_users_session(store, policy, session, now_ms, user);
}

char *
wb_users_cookie(const char *session, gboolean secure)
{
  /* HttpOnly: no script reads it; SameSite=Strict: no other site's page
   * sends it. No expiry: it ends with the browser, the server ends it
   * sooner when idle. */
  return g_strdup_printf("%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", WB_USERS_COOKIE,
                         session != NULL ? session : "", session == NULL ? "; Max-Age=0" : "",
                         secure ? "; Secure" : "");
}
