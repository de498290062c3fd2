/* users.h: named accounts, their roles and login sessions (DESIGN.md
 * section 10, docs/security.md).
 *
 * A person logs in with a name and a password (Argon2id, libsodium
 * crypto_pwhash_str) and gets a session: 32 random bytes sent as the
 * cookie WB_USERS_COOKIE, of which the store keeps only a hash. A session
 * ends after [auth] session_idle_s without a request, at logout, or when
 * the account's password changes or it is locked. [auth] max_failures
 * wrong passwords in a row lock the account for [auth] lock_min minutes.
 *
 * Times are passed in (epoch ms of the real clock) so tests can move them.
 * Logins, failures, locks and every change of an account write audit rows.
 */
#pragma once

#include <glib.h>

#include "engine/auth.h"
#include "engine/config.h"
#include "engine/store.h"

G_BEGIN_DECLS

#define WB_USERS_ERROR (wb_users_error_quark())
GQuark wb_users_error_quark(void);
typedef enum {
  WB_USERS_ERROR_INVALID, /* a bad name, role or password */
  WB_USERS_ERROR_EXISTS,
  WB_USERS_ERROR_NOT_FOUND,
} WbUsersError;

#define WB_USERS_COOKIE "wb_session"
#define WB_USERS_PASSWORD_MIN 8
#define WB_USERS_PASSWORD_MAX 1024 /* bytes */

typedef struct {
  gint max_failures;
  gint lock_min;
  gint session_idle_s;
} WbUsersPolicy;

void wb_users_policy_from_config(const WbConfig *cfg, WbUsersPolicy *out);

/* 1 to 64 of A-Z a-z 0-9 . _ - */
gboolean wb_users_name_valid(const char *name);
/* At least WB_USERS_PASSWORD_MIN characters of at least three classes:
 * lower-case, upper-case, digits, others (punctuation, space, non-ASCII). */
gboolean wb_users_password_ok(const char *password, GError **error);

typedef struct {
  char *name;
  char *display_name; /* NULL when none */
  WbRole role;
  gint failures;
  gint64 locked_until_ms; /* 0: not locked by failures */
  gboolean disabled;      /* locked by an administrator until unlocked */
  gint64 created_ms;
  gint64 changed_ms;
} WbUser;

void wb_user_clear(WbUser *user);
void wb_user_free(WbUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbUser, wb_user_free)

/* actor names who makes the change ("wallboardctl", or the admin's name)
 * for the audit row. */
gboolean wb_users_add(WbStore *store, const char *name, WbRole role, const char *display_name,
                      const char *password, const char *actor, gint64 now_ms, GError **error);
/* A new password; the account's sessions end. */
gboolean wb_users_set_password(WbStore *store, const char *name, const char *password,
                               const char *actor, gint64 now_ms, GError **error);
/* lock: disabled until unlocked, sessions end. unlock: also clears the
 * failures and a lock from wrong passwords. */
gboolean wb_users_set_locked(WbStore *store, const char *name, gboolean locked, const char *actor,
                             gint64 now_ms, GError **error);
gboolean wb_users_get(WbStore *store, const char *name, WbUser *out, GError **error);
/* Every account by name (WbUser *), NULL on error. */
GPtrArray *wb_users_list(WbStore *store, GError **error);
/* How many enabled accounts have role; -1 on error. */
gint64 wb_users_count_role(WbStore *store, WbRole role, GError **error);

typedef enum {
  WB_USERS_LOGIN_OK,
  WB_USERS_LOGIN_BAD,    /* unknown name or wrong password: the same answer */
  WB_USERS_LOGIN_LOCKED, /* locked, by failures or an administrator */
  WB_USERS_LOGIN_ERROR,  /* the store failed: error is set */
} WbUsersLogin;

/* Checks name and password. OK fills *user and *session (the cookie's
 * value, shown once). Writes the audit row of the login, the failure,
 * or the lock that the failure causes. */
WbUsersLogin wb_users_login(WbStore *store, const WbUsersPolicy *policy, const char *name,
                            const char *password, const char *remote, gint64 now_ms, WbUser *user,
                            char **session, GError **error);
/* The same login in three steps, so that the Argon2id check (about 0.1 s
 * and 64 MiB) can run on a worker thread: begin and end on the thread
 * that owns the store, check on any. begin copies name and password and
 * reads the stored hash; end reads the account again, counts a failure or
 * opens the session, and writes the audit rows, as wb_users_login does. */
typedef struct WbUsersAttempt WbUsersAttempt;

WbUsersAttempt *wb_users_login_begin(WbStore *store, const char *name, const char *password,
                                     gint64 now_ms);
void wb_users_login_check(WbUsersAttempt *attempt);
WbUsersLogin wb_users_login_end(WbStore *store, const WbUsersPolicy *policy,
                                const WbUsersAttempt *attempt, const char *remote, gint64 now_ms,
                                WbUser *user, char **session, GError **error);
void wb_users_attempt_free(WbUsersAttempt *attempt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbUsersAttempt, wb_users_attempt_free)

/* Ends the session (if it exists) and writes the logout row. */
gboolean wb_users_logout(WbStore *store, const char *session, const char *remote, gint64 now_ms,
                         GError **error);
/* The role of a live session, its user's name into *user (may be NULL);
 * WB_ROLE_NONE when unknown, idle too long or the account is disabled.
 * Use moves its idle time on (written at most every minute). */
WbRole wb_users_session(WbStore *store, const WbUsersPolicy *policy, const char *session,
                        gint64 now_ms, char **user);
/* Who asks: a token (wb_auth_role) first, else the session. */
WbRole wb_users_caller(WbStore *store, const WbUsersPolicy *policy, const char *token,
                       const char *session, gint64 now_ms, char **user);

/* Supervisor, manager or admin: may see people's records and alerts. */
gboolean wb_users_role_supervises(WbRole role);
/* Auditor or admin: may read the audit trail. */
gboolean wb_users_role_audits(WbRole role);

/* The Set-Cookie value for a session, or (session NULL) one that deletes it. */
char *wb_users_cookie(const char *session, gboolean secure);

G_END_DECLS
