/* audit.h: the audit trail (DESIGN.md section 10).
 *
 * Every login, failed login, lock, export, configuration change, user
 * change and alert acknowledgement is a row of the `audit` table: when,
 * who (the user, or a token's label), what (the action), on what (the
 * target), details, and from where. Kept at least [auth] audit_keep_days
 * (180); readable by auditor and admin only (GET /api/v1/audit).
 */
#pragma once

#include <glib.h>

#include "engine/store.h"

G_BEGIN_DECLS

/* Action names, as stored and shown. */
#define WB_AUDIT_LOGIN "login"
#define WB_AUDIT_LOGIN_FAILED "login_failed"
#define WB_AUDIT_LOCKED "locked"
#define WB_AUDIT_LOGOUT "logout"
#define WB_AUDIT_EXPORT "export"
#define WB_AUDIT_CONFIG "config_change"
#define WB_AUDIT_USER "user_change"
#define WB_AUDIT_ALERT_ACK "alert_ack"
#define WB_AUDIT_REPORT_TEXT "report_text" /* a report's problems-and-rectification text */

/* Writes one row now (outside the event batch: an audit row never waits
 * for, nor rolls back with, ingested events). actor, target, detail and
 * remote may be NULL. */
gboolean wb_audit_log(WbStore *store, gint64 ts_ms, const char *actor, const char *action,
                      const char *target, const char *detail, const char *remote, GError **error);

/* Removes the rows older than before_ms; returns how many, -1 on error.
 * The daemon keeps [auth] audit_keep_days (at least 180). */
gint64 wb_audit_prune(WbStore *store, gint64 before_ms, GError **error);

typedef struct {
  gint64 id;
  gint64 ts_ms;
  const char *actor; /* NULL when unknown */
  const char *action;
  const char *target;
  const char *detail;
  const char *remote;
} WbAuditRow;

typedef void (*WbAuditFunc)(const WbAuditRow *row, gpointer user_data);

/* Calls fn for the rows of [from_ms, to_ms) in time order, at most limit
 * of them; *more (may be NULL) tells whether rows were left out. */
gboolean wb_audit_foreach(WbStore *store, gint64 from_ms, gint64 to_ms, guint limit, WbAuditFunc fn,
                          gpointer user_data, gboolean *more, GError **error);

G_END_DECLS
