/* ctl_user.c: wallboardctl user: named accounts and the TVs' display
 * tokens. Every change writes an audit row with the actor "wallboardctl".
 * Works beside a running daemon, like key and token. */
#define G_LOG_DOMAIN "wallboardctl"

#include "engine/ctl.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "engine/audit.h"
#include "engine/auth.h"
#include "engine/clock.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/users.h"

#define ACTOR "wallboardctl"

static const char usage_text[] =
    "wallboardctl: usage: user add NAME --role ROLE [--display-name TEXT] [--password-stdin]\n"
    "                     user passwd NAME [--password-stdin]\n"
    "                     user lock NAME | user unlock NAME | user list\n"
    "                     user token [LABEL]\n"
    "  ROLE: display, supervisor, manager, admin or auditor. The password is read from\n"
    "  standard input (one line), or asked twice without echo on a terminal.\n"
    "  user token prints the TVs' display token of <state-dir>/display-token; with a\n"
    "  LABEL it makes another display token, for one more TV.\n";

static char *
state_dir_of(const char *config, const char *state_dir, GError **error)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  if (config != NULL && !wb_config_load_file(cfg, config, error))
    return NULL;
  if (state_dir != NULL && !wb_config_set(cfg, "store", "state_dir", state_dir, error))
    return NULL;
  char *dir = wb_engine_state_dir(cfg);
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot create %s", dir);
    g_free(dir);
    return NULL;
  }
  return dir;
}

/* One line of standard input, without its line end; NULL at end of input. */
static char *
read_line(void)
{
  char buf[WB_USERS_PASSWORD_MAX + 2];
  if (fgets(buf, sizeof(buf), stdin) == NULL)
    return NULL;
  buf[strcspn(buf, "\r\n")] = '\0';
  char *line = g_strdup(buf);
  memset(buf, 0, sizeof(buf));
  return line;
}

static char *
prompt_no_echo(const char *prompt)
{
  struct termios saved, quiet;
  g_printerr("%s", prompt);
  if (tcgetattr(STDIN_FILENO, &saved) != 0)
    return read_line();
  quiet = saved;
  quiet.c_lflag &= ~(tcflag_t)ECHO;
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  char *line = read_line();
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  g_printerr("\n");
  return line;
}

/* From a terminal: asked twice. Otherwise (or with --password-stdin): one
 * line of standard input. */
static char *
read_password(gboolean from_stdin, GError **error)
{
  if (from_stdin || !isatty(STDIN_FILENO)) {
    char *p = read_line();
    if (p == NULL)
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no password on standard input");
    return p;
  }
  g_autofree char *first = prompt_no_echo("Password: ");
  g_autofree char *second = prompt_no_echo("Password again: ");
  if (first == NULL || second == NULL || strcmp(first, second) != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the passwords differ");
    return NULL;
  }
  return g_steal_pointer(&first);
}

static int
fail(const char *verb, GError *error)
{
  g_printerr("wallboardctl: user %s: %s\n", verb, error->message);
  return g_error_matches(error, WB_USERS_ERROR, WB_USERS_ERROR_INVALID) ? 2 : 1;
}

static int
user_list(WbStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = wb_users_list(store, &error);
  if (users == NULL)
    return fail("list", error);
  g_autoptr(GTimeZone) tz = g_time_zone_new_local();
  gint64 now = g_get_real_time() / 1000;
  g_print("%-20s %-10s %-8s %-20s %s\n", "NAME", "ROLE", "STATE", "DISPLAY NAME", "CHANGED");
  for (guint i = 0; i < users->len; i++) {
    const WbUser *u = g_ptr_array_index(users, i);
    g_autofree char *changed = wb_time_format(tz, u->changed_ms);
    const char *state = u->disabled ? "locked" : u->locked_until_ms > now ? "locked30" : "active";
    g_print("%-20s %-10s %-8s %-20s %s\n", u->name, wb_auth_role_name(u->role), state,
            u->display_name != NULL ? u->display_name : "", changed);
  }
  return 0;
}

static int
user_token(WbStore *store, const char *dir, const char *label)
{
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time() / 1000;
  if (label == NULL) {
    g_autofree char *token = wb_auth_ensure_display_token(store, dir, &error);
    if (token == NULL)
      return fail("token", error);
    g_printerr("the display token of %s/display-token (for the TVs' wallboard URL):\n", dir);
    g_print("%s\n", token);
    return 0;
  }
  if (!wb_users_name_valid(label)) {
    g_printerr("wallboardctl: user token: LABEL is 1 to 64 of A-Z a-z 0-9 . _ -\n");
    return 2;
  }
  g_autofree char *token = wb_auth_add_token(store, WB_ROLE_DISPLAY, label, &error);
  if (token == NULL)
    return fail("token", error);
  if (!wb_audit_log(store, now, ACTOR, WB_AUDIT_USER, label, "display token added", NULL, &error))
    return fail("token", error);
  g_printerr("display token %s (shown only now; the store keeps its hash):\n", label);
  g_print("%s\n", token);
  return 0;
}

int
wb_ctl_user(const char *config, const char *state_dir, const WbCtlUserOptions *opt, char **args,
            int n)
{
  g_autoptr(GError) error = NULL;
  const char *verb = n > 0 ? args[0] : "";
  const char *name = n > 1 ? args[1] : NULL;
  gboolean named = strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0 ||
                   strcmp(verb, "lock") == 0 || strcmp(verb, "unlock") == 0;
  gboolean ok_args = (named && n == 2) || (strcmp(verb, "list") == 0 && n == 1) ||
                     (strcmp(verb, "token") == 0 && n <= 2);
  WbRole role = wb_auth_role_from_name(opt->role);

  if (!ok_args || (strcmp(verb, "add") == 0 && role == WB_ROLE_NONE)) {
    g_printerr("%s", usage_text);
    return 2;
  }
  if (named && !wb_users_name_valid(name)) {
    g_printerr("wallboardctl: user: NAME is 1 to 64 of A-Z a-z 0-9 . _ -\n");
    return 2;
  }
  g_autofree char *dir = state_dir_of(config, state_dir, &error);
  if (dir == NULL)
    return fail(verb, error);
  g_autofree char *db = g_build_filename(dir, "wallboard.db", NULL);
  g_autoptr(WbStore) store = wb_store_open(db, &error);
  if (store == NULL)
    return fail(verb, error);
  gint64 now = g_get_real_time() / 1000;

  if (strcmp(verb, "list") == 0)
    return user_list(store);
  if (strcmp(verb, "token") == 0)
    return user_token(store, dir, name);
  if (strcmp(verb, "lock") == 0 || strcmp(verb, "unlock") == 0) {
    gboolean lock = strcmp(verb, "lock") == 0;
    if (!wb_users_set_locked(store, name, lock, ACTOR, now, &error))
      return fail(verb, error);
    g_print("user %s %s\n", name, lock ? "locked" : "unlocked");
    return 0;
  }
  if (strcmp(verb, "add") == 0) {
    WbUser existing = {0};
    if (wb_users_get(store, name, &existing, NULL)) {
      wb_user_clear(&existing);
      g_printerr("wallboardctl: user add: user %s exists\n", name);
      return 1;
    }
  }
  g_autofree char *password = read_password(opt->password_stdin, &error);
  if (password == NULL)
    return fail(verb, error);
  gboolean ok =
      strcmp(verb, "add") == 0
          ? wb_users_add(store, name, role, opt->display_name, password, ACTOR, now, &error)
          : wb_users_set_password(store, name, password, ACTOR, now, &error);
  sodium_memzero(password, strlen(password));
  if (!ok)
    return fail(verb, error);
  if (strcmp(verb, "add") == 0)
    g_print("user %s added, role %s\n", name, wb_auth_role_name(role));
  else
    g_print("password of %s changed\n", name);
  return 0;
}
