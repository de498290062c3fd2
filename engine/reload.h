/* reload.h: a new configuration applied while the daemon runs (SIGHUP,
 * DESIGN.md section 11).
 *
 * The engine's WbConfig keeps its address (the live model, the bus, the
 * alerts and the server hold it) and takes the new values in place, on the
 * loop thread, between two events: WebSocket sessions stay open and the
 * next frame shows the new targets and names. Keys read once at start
 * (the listen address, the state directory, the collectors, the time
 * zone…) keep their running values; each one changed in the file is
 * named as needing a restart. Report runs read their own copy
 * (engine/report/reports.h) and are not disturbed.
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

typedef struct {
  GPtrArray *applied; /* keys now in effect, as wb_config_changes names them */
  GPtrArray *restart; /* keys changed in the file that keep their running values */
} WbReloadChanges;

void wb_reload_changes_clear(WbReloadChanges *c);

/* Whether a change of key (wb_config_changes's name) only applies at the
 * next start. */
gboolean wb_reload_needs_restart(const char *key);

/* Checks next (alert rules, report schedule) and puts it into e->cfg,
 * except the keys that need a restart; rebuilds the alert rules when an
 * [alert.NAME] group changed and rereads the report schedule. On success
 * next holds the replaced values: the caller keeps it as long as
 * anything may still point into it (the daemon: until exit). FALSE with
 * an error and nothing changed when next is not usable. */
gboolean wb_reload_apply(WbEngine *e, WbConfig *next, WbReloadChanges *out, GError **error);

/* The audit row of a reload: action config_change, detail the keys
 * applied and those needing a restart ("no change" when none). */
gboolean wb_reload_audit(WbEngine *e, const char *actor, const char *target,
                         const WbReloadChanges *c, GError **error);
/* The same detail text. */
char *wb_reload_describe(const WbReloadChanges *c);

G_END_DECLS
