/* test_users.c: accounts, password policy, lockout, sessions, audit. */
#include <sodium.h>

#include "engine/audit.h"
#include "engine/users.h"
#include "testutil.h"

#define MIN_MS 60000LL
#define T0 1795000000000LL /* 2026-11-19, any fixed time */

typedef struct {
  char *dir;
  char *db;
  WbStore *store;
  WbUsersPolicy policy;
} Fixture;

static void
fixture_init(Fixture *f)
{
  g_autoptr(GError) error = NULL;
  f->dir = test_tmpdir();
  f->db = g_build_filename(f->dir, "wallboard.db", NULL);
  f->store = wb_store_open(f->db, &error);
  ck_assert_msg(f->store != NULL, "%s", error != NULL ? error->message : "?");
  f->policy = (WbUsersPolicy){.max_failures = 5, .lock_min = 30, .session_idle_s = 1800};
}

static void
fixture_clear(Fixture *f)
{
  wb_store_free(f->store);
  test_rmtree(f->dir);
  g_free(f->dir);
  g_free(f->db);
}

static void
add_user(Fixture *f, const char *name, WbRole role, const char *password)
{
  g_autoptr(GError) error = NULL;
  ck_assert_msg(wb_users_add(f->store, name, role, NULL, password, "test", T0, &error), "%s",
                error != NULL ? error->message : "?");
}

static WbUsersLogin
login(Fixture *f, const char *name, const char *password, gint64 now, char **session)
{
  WbUser u = {0};
  char *s = NULL;
  g_autoptr(GError) error = NULL;
  WbUsersLogin r =
      wb_users_login(f->store, &f->policy, name, password, "192.0.2.7", now, &u, &s, &error);
  ck_assert_msg(r != WB_USERS_LOGIN_ERROR, "%s", error != NULL ? error->message : "?");
  if (r == WB_USERS_LOGIN_OK) {
    ck_assert_str_eq(u.name, name);
    wb_user_clear(&u);
  }
  if (session != NULL)
    *session = s;
  else
    g_free(s);
  return r;
}

static char *
sql(Fixture *f, const char *query)
{
  g_autoptr(GError) error = NULL;
  ck_assert(wb_store_commit(f->store, &error));
  return test_dump_sql(f->db, query);
}

START_TEST(test_password_policy)
{
  static const struct {
    const char *password;
    gboolean ok;
  } cases[] = {
      {"Abcdefg1", TRUE},     /* 8 characters: lower, upper, digit */
      {"abcdef1!", TRUE},     /* lower, digit, other */
      {"abcdefg1", FALSE},    /* two kinds */
      {"ABCDEFGH", FALSE},    /* one kind */
      {"Abc1!", FALSE},       /* four kinds but 5 characters */
      {"Abcdef1", FALSE},     /* 7 characters */
      {"密码密码ab12", TRUE}, /* others (non-ASCII), lower, digit: 8 characters */
      {"密码ab12", FALSE},    /* 6 characters though 12 bytes */
      {"", FALSE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    ck_assert_msg(wb_users_password_ok(cases[i].password, &error) == cases[i].ok, "%s",
                  cases[i].password);
    ck_assert(cases[i].ok == (error == NULL));
  }
  ck_assert(wb_users_name_valid("zhang.wei-2"));
  ck_assert(!wb_users_name_valid(""));
  ck_assert(!wb_users_name_valid("a b"));
  ck_assert(!wb_users_name_valid("x'--"));
}
END_TEST

START_TEST(test_add_and_login)
{
  Fixture f;
  fixture_init(&f);
  g_autoptr(GError) error = NULL;
  ck_assert(wb_users_add(f.store, "li", WB_ROLE_SUPERVISOR, "Li Na", "Hotline-12367", "test", T0,
                         &error));
  /* Stored as an Argon2id string, never the password. */
  g_autofree char *hash = sql(&f, "SELECT substr(password_hash, 1, 10) FROM users");
  ck_assert_str_eq(hash, "$argon2id$|\n");
  g_autofree char *plain = sql(&f, "SELECT count(*) FROM users WHERE password_hash LIKE "
                                   "'%Hotline-12367%'");
  ck_assert_str_eq(plain, "0|\n");

  /* The same name again, a weak password, a bad name, no role: refused. */
  ck_assert(!wb_users_add(f.store, "li", WB_ROLE_ADMIN, NULL, "Hotline-12367", "test", T0, &error));
  ck_assert(g_error_matches(error, WB_USERS_ERROR, WB_USERS_ERROR_EXISTS));
  g_clear_error(&error);
  ck_assert(!wb_users_add(f.store, "wang", WB_ROLE_ADMIN, NULL, "password", "test", T0, &error));
  ck_assert(g_error_matches(error, WB_USERS_ERROR, WB_USERS_ERROR_INVALID));
  g_clear_error(&error);
  ck_assert(
      !wb_users_add(f.store, "a b", WB_ROLE_ADMIN, NULL, "Hotline-12367", "test", T0, &error));
  g_clear_error(&error);
  ck_assert(
      !wb_users_add(f.store, "wang", WB_ROLE_NONE, NULL, "Hotline-12367", "test", T0, &error));
  g_clear_error(&error);

  g_autofree char *session = NULL;
  ck_assert_int_eq(login(&f, "li", "Hotline-12367", T0 + 1000, &session), WB_USERS_LOGIN_OK);
  ck_assert_int_eq(strlen(session), 64);
  /* The store keeps the session's hash only. */
  g_autofree char *query =
      g_strdup_printf("SELECT count(*) FROM sessions WHERE id_hash = '%s'", session);
  g_autofree char *raw = sql(&f, query);
  ck_assert_str_eq(raw, "0|\n");
  g_autofree char *rows = sql(&f, "SELECT user, created_ms FROM sessions");
  ck_assert_str_eq(rows, "li|1795000001000|\n");

  g_autofree char *who = NULL;
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, session, T0 + 2000, &who),
                   WB_ROLE_SUPERVISOR);
  ck_assert_str_eq(who, "li");
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, "00", T0, NULL), WB_ROLE_NONE);
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, NULL, T0, NULL), WB_ROLE_NONE);

  /* Wrong password and unknown name: the same answer. */
  ck_assert_int_eq(login(&f, "li", "hotline-12367", T0 + 3000, NULL), WB_USERS_LOGIN_BAD);
  ck_assert_int_eq(login(&f, "nobody", "Hotline-12367", T0 + 3000, NULL), WB_USERS_LOGIN_BAD);

  ck_assert(wb_users_logout(f.store, session, "192.0.2.7", T0 + 4000, &error));
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, session, T0 + 5000, NULL), WB_ROLE_NONE);

  g_autofree char *audit =
      sql(&f, "SELECT ts_ms - 1795000000000, actor, action, target, detail, remote FROM audit"
              " ORDER BY id");
  ck_assert_str_eq(audit, "0|test|user_change|li|added, role supervisor|NULL|\n"
                          "1000|li|login|li|supervisor|192.0.2.7|\n"
                          "3000|NULL|login_failed|li|wrong password|192.0.2.7|\n"
                          "3000|NULL|login_failed|nobody|unknown user|192.0.2.7|\n"
                          "4000|li|logout|li|NULL|192.0.2.7|\n");
  fixture_clear(&f);
}
END_TEST

START_TEST(test_lockout)
{
  Fixture f;
  fixture_init(&f);
  add_user(&f, "zhao", WB_ROLE_MANAGER, "Hotline-12367");

  /* Four wrong, then the right one: the count starts again. */
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(login(&f, "zhao", "wrong", T0 + i, NULL), WB_USERS_LOGIN_BAD);
  g_autofree char *four = sql(&f, "SELECT failures, locked_until_ms FROM users");
  ck_assert_str_eq(four, "4|NULL|\n");
  ck_assert_int_eq(login(&f, "zhao", "Hotline-12367", T0 + 10, NULL), WB_USERS_LOGIN_OK);
  g_autofree char *zero = sql(&f, "SELECT failures FROM users");
  ck_assert_str_eq(zero, "0|\n");

  /* Five wrong in a row lock it for 30 minutes from the fifth. */
  gint64 t = T0 + 100 * MIN_MS;
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(login(&f, "zhao", "wrong", t, NULL), WB_USERS_LOGIN_BAD);
  ck_assert_int_eq(login(&f, "zhao", "wrong", t + 1000, NULL), WB_USERS_LOGIN_BAD);
  g_autofree char *locked = sql(&f, "SELECT locked_until_ms - 1795000000000 FROM users");
  ck_assert_str_eq(locked, "7801000|\n"); /* 100 min + 1 s + 30 min */
  ck_assert_int_eq(login(&f, "zhao", "Hotline-12367", t + 2000, NULL), WB_USERS_LOGIN_LOCKED);
  ck_assert_int_eq(login(&f, "zhao", "Hotline-12367", t + 1000 + 30 * MIN_MS - 1, NULL),
                   WB_USERS_LOGIN_LOCKED);
  ck_assert_int_eq(login(&f, "zhao", "Hotline-12367", t + 1000 + 30 * MIN_MS, NULL),
                   WB_USERS_LOGIN_OK);
  g_autofree char *open = sql(&f, "SELECT failures, locked_until_ms FROM users");
  ck_assert_str_eq(open, "0|NULL|\n");

  g_autofree char *audit = sql(&f, "SELECT action, count(*) FROM audit GROUP BY action"
                                   " ORDER BY action");
  ck_assert_str_eq(audit, "locked|1|\nlogin|2|\nlogin_failed|11|\nuser_change|1|\n");
  g_autofree char *lock_row = sql(&f, "SELECT target, detail FROM audit WHERE action = 'locked'");
  ck_assert_str_eq(lock_row, "zhao|5 wrong passwords: locked for 30 min|\n");

  /* After a lock runs out the count starts from one again. */
  ck_assert_int_eq(login(&f, "zhao", "wrong", t + 2 * 60 * MIN_MS, NULL), WB_USERS_LOGIN_BAD);
  g_autofree char *one = sql(&f, "SELECT failures FROM users");
  ck_assert_str_eq(one, "1|\n");
  fixture_clear(&f);
}
END_TEST

START_TEST(test_session_idle)
{
  Fixture f;
  fixture_init(&f);
  add_user(&f, "sun", WB_ROLE_AUDITOR, "Hotline-12367");
  g_autofree char *s = NULL;
  ck_assert_int_eq(login(&f, "sun", "Hotline-12367", T0, &s), WB_USERS_LOGIN_OK);

  /* Used within the minute: not written. */
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, s, T0 + 30000, NULL), WB_ROLE_AUDITOR);
  g_autofree char *a = sql(&f, "SELECT last_seen_ms - 1795000000000 FROM sessions");
  ck_assert_str_eq(a, "0|\n");
  /* 29 minutes later: still on, and moved on. */
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, s, T0 + 29 * MIN_MS, NULL),
                   WB_ROLE_AUDITOR);
  g_autofree char *b = sql(&f, "SELECT last_seen_ms - 1795000000000 FROM sessions");
  ck_assert_str_eq(b, "1740000|\n");
  /* 30 minutes after that use: still on; 30 minutes and 1 ms: ended. */
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, s, T0 + 59 * MIN_MS, NULL),
                   WB_ROLE_AUDITOR);
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, s, T0 + 89 * MIN_MS + 1, NULL),
                   WB_ROLE_NONE);
  g_autofree char *gone = sql(&f, "SELECT count(*) FROM sessions");
  ck_assert_str_eq(gone, "0|\n");
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, s, T0 + 89 * MIN_MS + 2, NULL),
                   WB_ROLE_NONE);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_lock_and_password_change)
{
  Fixture f;
  fixture_init(&f);
  g_autoptr(GError) error = NULL;
  add_user(&f, "qian", WB_ROLE_ADMIN, "Hotline-12367");
  g_autofree char *s1 = NULL;
  g_autofree char *s2 = NULL;
  ck_assert_int_eq(login(&f, "qian", "Hotline-12367", T0, &s1), WB_USERS_LOGIN_OK);

  /* Locked by an administrator: sessions end, no login until unlocked. */
  ck_assert(wb_users_set_locked(f.store, "qian", TRUE, "wallboardctl", T0 + 1, &error));
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, s1, T0 + 2, NULL), WB_ROLE_NONE);
  ck_assert_int_eq(login(&f, "qian", "Hotline-12367", T0 + 3, NULL), WB_USERS_LOGIN_LOCKED);
  ck_assert_int_eq(wb_users_count_role(f.store, WB_ROLE_ADMIN, &error), 0);
  ck_assert(wb_users_set_locked(f.store, "qian", FALSE, "wallboardctl", T0 + 4, &error));
  ck_assert_int_eq(wb_users_count_role(f.store, WB_ROLE_ADMIN, &error), 1);
  ck_assert_int_eq(login(&f, "qian", "Hotline-12367", T0 + 5, &s2), WB_USERS_LOGIN_OK);

  /* A new password ends the sessions; the old one no longer works. */
  ck_assert(!wb_users_set_password(f.store, "qian", "weak", "wallboardctl", T0 + 6, &error));
  g_clear_error(&error);
  ck_assert(
      wb_users_set_password(f.store, "qian", "New-Password-9", "wallboardctl", T0 + 7, &error));
  ck_assert_int_eq(wb_users_session(f.store, &f.policy, s2, T0 + 8, NULL), WB_ROLE_NONE);
  ck_assert_int_eq(login(&f, "qian", "Hotline-12367", T0 + 9, NULL), WB_USERS_LOGIN_BAD);
  ck_assert_int_eq(login(&f, "qian", "New-Password-9", T0 + 10, NULL), WB_USERS_LOGIN_OK);
  ck_assert(!wb_users_set_locked(f.store, "nobody", TRUE, "wallboardctl", T0, &error));
  ck_assert(g_error_matches(error, WB_USERS_ERROR, WB_USERS_ERROR_NOT_FOUND));

  g_autofree char *changes = sql(&f, "SELECT actor, detail FROM audit WHERE action ="
                                     " 'user_change' ORDER BY id");
  ck_assert_str_eq(changes, "test|added, role admin|\n"
                            "wallboardctl|locked|\n"
                            "wallboardctl|unlocked|\n"
                            "wallboardctl|password changed|\n");
  g_autoptr(GPtrArray) users = wb_users_list(f.store, &error);
  ck_assert_int_eq(users->len, 1);
  const WbUser *u = g_ptr_array_index(users, 0);
  ck_assert_str_eq(u->name, "qian");
  ck_assert_int_eq(u->role, WB_ROLE_ADMIN);
  ck_assert(!u->disabled);
  ck_assert_int_eq(u->changed_ms, T0 + 7);
  fixture_clear(&f);
}
END_TEST

static void
count_row(const WbAuditRow *row, gpointer user_data)
{
  g_string_append_printf(user_data, "%" G_GINT64_FORMAT " %s %s;", row->ts_ms, row->action,
                         row->actor != NULL ? row->actor : "-");
}

START_TEST(test_audit_rows_and_prune)
{
  Fixture f;
  fixture_init(&f);
  g_autoptr(GError) error = NULL;
  ck_assert(wb_audit_log(f.store, 1000, "admin", WB_AUDIT_CONFIG, "kpi", "sl 15", NULL, &error));
  ck_assert(wb_audit_log(f.store, 2000, NULL, WB_AUDIT_EXPORT, NULL, NULL, "::1", &error));
  ck_assert(wb_audit_log(f.store, 3000, "li", WB_AUDIT_ALERT_ACK, "7", NULL, NULL, &error));

  g_autoptr(GString) seen = g_string_new(NULL);
  gboolean more = TRUE;
  ck_assert(wb_audit_foreach(f.store, 0, 10000, 10, count_row, seen, &more, &error));
  ck_assert_str_eq(seen->str, "1000 config_change admin;2000 export -;3000 alert_ack li;");
  ck_assert(!more);
  g_string_truncate(seen, 0);
  ck_assert(wb_audit_foreach(f.store, 1500, 10000, 1, count_row, seen, &more, &error));
  ck_assert_str_eq(seen->str, "2000 export -;");
  ck_assert(more);

  ck_assert_int_eq(wb_audit_prune(f.store, 2500, &error), 2);
  ck_assert_int_eq(wb_audit_prune(f.store, 2500, &error), 0);
  g_string_truncate(seen, 0);
  ck_assert(wb_audit_foreach(f.store, 0, 10000, 10, count_row, seen, NULL, &error));
  ck_assert_str_eq(seen->str, "3000 alert_ack li;");

  /* [auth] audit_keep_days: 180 by default, never less. */
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  ck_assert_int_eq(cfg->auth_audit_keep_days, 180);
  ck_assert(!wb_config_set(cfg, "auth", "audit_keep_days", "179", &error));
  g_clear_error(&error);
  ck_assert(wb_config_set(cfg, "auth", "audit_keep_days", "400", &error));
  ck_assert_int_eq(cfg->auth_audit_keep_days, 400);
  WbUsersPolicy p;
  wb_users_policy_from_config(cfg, &p);
  ck_assert_int_eq(p.max_failures, 5);
  ck_assert_int_eq(p.lock_min, 30);
  ck_assert_int_eq(p.session_idle_s, 1800);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_roles_tokens_cookie)
{
  Fixture f;
  fixture_init(&f);
  g_autoptr(GError) error = NULL;
  ck_assert(wb_users_role_supervises(WB_ROLE_SUPERVISOR));
  ck_assert(wb_users_role_supervises(WB_ROLE_MANAGER));
  ck_assert(wb_users_role_supervises(WB_ROLE_ADMIN));
  ck_assert(!wb_users_role_supervises(WB_ROLE_AUDITOR));
  ck_assert(!wb_users_role_supervises(WB_ROLE_DISPLAY));
  ck_assert(wb_users_role_audits(WB_ROLE_AUDITOR));
  ck_assert(wb_users_role_audits(WB_ROLE_ADMIN));
  ck_assert(!wb_users_role_audits(WB_ROLE_MANAGER));

  g_autofree char *tv = wb_auth_add_token(f.store, WB_ROLE_DISPLAY, "tv1", &error);
  add_user(&f, "zhou", WB_ROLE_SUPERVISOR, "Hotline-12367");
  g_autofree char *s = NULL;
  ck_assert_int_eq(login(&f, "zhou", "Hotline-12367", T0, &s), WB_USERS_LOGIN_OK);
  g_autofree char *who = NULL;
  /* A token answers first and names no one. */
  ck_assert_int_eq(wb_users_caller(f.store, &f.policy, tv, s, T0, &who), WB_ROLE_DISPLAY);
  ck_assert_ptr_null(who);
  ck_assert_int_eq(wb_users_caller(f.store, &f.policy, "bad", s, T0, &who), WB_ROLE_SUPERVISOR);
  ck_assert_str_eq(who, "zhou");

  g_autofree char *c1 = wb_users_cookie("ab12", FALSE);
  ck_assert_str_eq(c1, "wb_session=ab12; Path=/; HttpOnly; SameSite=Strict");
  g_autofree char *c2 = wb_users_cookie(NULL, TRUE);
  ck_assert_str_eq(c2, "wb_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure");
  fixture_clear(&f);
}
END_TEST

static gpointer
check_thread(gpointer data)
{
  wb_users_login_check(data);
  return NULL;
}

/* The login in three steps, the check on worker threads, as the daemon
 * runs it: the same answers as wb_users_login, with the account read
 * again at the end. */
static WbUsersLogin
end_login(Fixture *f, WbUsersAttempt *a, gint64 now)
{
  WbUser u = {0};
  g_autofree char *s = NULL;
  g_autoptr(GError) error = NULL;
  WbUsersLogin r = wb_users_login_end(f->store, &f->policy, a, "192.0.2.7", now, &u, &s, &error);
  ck_assert_msg(r != WB_USERS_LOGIN_ERROR, "%s", error != NULL ? error->message : "?");
  ck_assert((r == WB_USERS_LOGIN_OK) == (s != NULL));
  wb_user_clear(&u);
  return r;
}

START_TEST(test_login_in_steps)
{
  Fixture f;
  fixture_init(&f);
  add_user(&f, "qian", WB_ROLE_SUPERVISOR, "Hotline-12367");

  /* Right, wrong and unknown, each checked on its own thread at once. */
  static const char *const names[] = {"qian", "qian", "qian", "nobody"};
  static const char *const passwords[] = {"Hotline-12367", "wrong-1", "wrong-2", "Hotline-12367"};
  WbUsersAttempt *a[4];
  GThread *th[4];
  for (int i = 0; i < 4; i++)
    a[i] = wb_users_login_begin(f.store, names[i], passwords[i], T0);
  for (int i = 0; i < 4; i++)
    th[i] = g_thread_new("check", check_thread, a[i]);
  for (int i = 0; i < 4; i++)
    g_thread_join(th[i]);
  ck_assert_int_eq(end_login(&f, a[1], T0 + 1), WB_USERS_LOGIN_BAD);
  ck_assert_int_eq(end_login(&f, a[2], T0 + 2), WB_USERS_LOGIN_BAD);
  /* Both failures count, though both began before either ended. */
  g_autofree char *two = sql(&f, "SELECT failures FROM users");
  ck_assert_str_eq(two, "2|\n");
  ck_assert_int_eq(end_login(&f, a[3], T0 + 3), WB_USERS_LOGIN_BAD);
  ck_assert_int_eq(end_login(&f, a[0], T0 + 4), WB_USERS_LOGIN_OK);
  g_autofree char *zero = sql(&f, "SELECT failures FROM users");
  ck_assert_str_eq(zero, "0|\n");
  for (int i = 0; i < 4; i++)
    wb_users_attempt_free(a[i]);

  /* The password changed while the old one was checked: refused. */
  g_autoptr(GError) error = NULL;
  WbUsersAttempt *old = wb_users_login_begin(f.store, "qian", "Hotline-12367", T0 + 10);
  wb_users_login_check(old);
  ck_assert(wb_users_set_password(f.store, "qian", "Hotline-99999", "test", T0 + 11, &error));
  ck_assert_int_eq(end_login(&f, old, T0 + 12), WB_USERS_LOGIN_BAD);
  wb_users_attempt_free(old);

  /* Locked while the password was checked: locked, not a failure. */
  WbUsersAttempt *late = wb_users_login_begin(f.store, "qian", "Hotline-99999", T0 + 20);
  wb_users_login_check(late);
  ck_assert(wb_users_set_locked(f.store, "qian", TRUE, "test", T0 + 21, &error));
  ck_assert_int_eq(end_login(&f, late, T0 + 22), WB_USERS_LOGIN_LOCKED);
  wb_users_attempt_free(late);

  g_autofree char *audit = sql(&f, "SELECT ts_ms - 1795000000000, action, target, detail"
                                   " FROM audit WHERE action LIKE 'login%' ORDER BY id");
  ck_assert_str_eq(audit, "1|login_failed|qian|wrong password|\n"
                          "2|login_failed|qian|wrong password|\n"
                          "3|login_failed|nobody|unknown user|\n"
                          "4|login|qian|supervisor|\n"
                          "12|login_failed|qian|wrong password|\n"
                          "22|login_failed|qian|account locked by an administrator|\n");
  fixture_clear(&f);
}
END_TEST

static Suite *
users_suite(void)
{
  Suite *s = suite_create("users");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_password_policy);
  tcase_add_test(tc, test_add_and_login);
  tcase_add_test(tc, test_lockout);
  tcase_add_test(tc, test_login_in_steps);
  tcase_add_test(tc, test_session_idle);
  tcase_add_test(tc, test_lock_and_password_change);
  tcase_add_test(tc, test_audit_rows_and_prune);
  tcase_add_test(tc, test_roles_tokens_cookie);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  if (sodium_init() < 0)
    return 1;
  return test_run_suite(users_suite());
}
