/* ctl.h: wallboardctl's commands that live outside ctl.c. */
#pragma once

#include <glib.h>

#include "engine/config.h"

G_BEGIN_DECLS

/* wallboardctl key add SOURCE | list | revoke SOURCE: ingest keys. Works
 * beside a running daemon (the store takes concurrent writers). Returns
 * the exit status. */
/* The configuration of a command ([store] state_dir set from --state-dir)
 * and its time zone; NULL after printing why. */
WbConfig *wb_ctl_config(const char *config, const char *state_dir, GTimeZone **tz);
int wb_ctl_key(const char *config, const char *state_dir, char **args, int n);
int wb_ctl_token(const char *config, const char *state_dir, char **args, int n);

/* wallboardctl user add NAME --role ROLE [--display-name TEXT]
 * [--password-stdin] | passwd NAME | lock NAME | unlock NAME | list |
 * token [LABEL]: named accounts (engine/users.h) and display tokens.
 * Returns the exit status: 0, 1 a failure, 2 a usage error or a password
 * the policy refuses. */
typedef struct {
  const char *role;
  const char *display_name;
  gboolean password_stdin;
} WbCtlUserOptions;
int wb_ctl_user(const char *config, const char *state_dir, const WbCtlUserOptions *opt, char **args,
                int n);

/* wallboardctl import KIND FILE... [--dry-run] for the record kinds of
 * collectors/import.h (not queue_log). Returns the exit status: 0 all rows
 * stored, 3 some rows rejected (the others stored), 1 a file could not be
 * imported, 2 a usage error. */
int wb_ctl_import(const char *config, const char *state_dir, gboolean dry_run, char **args, int n);

/* wallboardctl erlang --calls N --period SEC --aht SEC --target F --within SEC
 *   [--agents N] [--max-occupancy F] [--shrinkage F] [--json]: what-if
 * staffing by Erlang C. argv[0] is "erlang". Returns the exit status. */
int wb_ctl_erlang(int argc, char **argv);

/* wallboardctl coverage [--from D] [--to D] [--json]: the minutes short of
 * the minimum (default today), read from the store beside a running
 * daemon. Returns the exit status: 0, 1 no store or a failure, 2 a usage
 * error. */
int wb_ctl_coverage(const char *config, const char *state_dir, const char *from, const char *to,
                    gboolean json);

/* wallboardctl report KIND [--period P] [--out DIR] [--scheduled]: a
 * management report (engine/report/report.h) in every format, into
 * <state-dir>/reports/KIND-PERIOD as a recorded run, or into DIR
 * unrecorded; scheduled (a timer's run): recorded as "timer", and nothing
 * done when the period already has a run. Prints the directory. Returns
 * the exit status: 0, 1 no store or a failure, 2 a usage error. */
int wb_ctl_report(const char *config, const char *state_dir, const char *kind, const char *period,
                  const char *out_dir, gboolean scheduled);

G_END_DECLS
