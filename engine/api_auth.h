/* api_auth.h: logins, sessions, the audit trail and the accounts in the
 * REST API (docs/protocol.md, docs/security.md). engine/api.c routes and
 * checks the role; these answer.
 *
 *   POST /api/v1/auth/login {"user","password"}   open; sets the session cookie
 *   POST /api/v1/auth/logout                      open; ends the session
 *   GET  /api/v1/auth/me                          any credential: who asks
 *   GET  /api/v1/audit?from=&to=&limit=           auditor, admin
 *   GET  /api/v1/users                            admin
 */
#pragma once

#include <glib.h>

#include "engine/api.h"
#include "engine/engine.h"

G_BEGIN_DECLS

/* Rows of the audit trail one GET answers with by default, and at most. */
#define WB_API_AUDIT_LIMIT 1000
#define WB_API_AUDIT_LIMIT_MAX 10000

/* 200 {"user","role","display_name"} with the cookie, 400 a bad body, 401
 * unknown name or wrong password (one message for both), 423 locked. */
void wb_api_login(WbEngine *e, const WbApiRequest *req, WbApiReply *out);
/* 200 {"ok":true} and a cookie that deletes the session's. */
void wb_api_logout(WbEngine *e, const WbApiRequest *req, WbApiReply *out);
void wb_api_me(WbEngine *e, const WbApiCaller *caller, WbApiReply *out);
void wb_api_audit(WbEngine *e, GHashTable *query, WbApiReply *out);
void wb_api_users(WbEngine *e, WbApiReply *out);

G_END_DECLS
