/* api_notes.h: the supervisor's shift handover notes and incident log in
 * the REST API (docs/protocol.md). engine/api.c routes, checks the role
 * and says who asks; these read and write the `notes` table.
 *
 *   GET  /api/v1/notes?kind=handover|incident&from=&to=   newest first
 *   POST /api/v1/notes {"kind","title","body","severity"}  written by the caller
 *   POST /api/v1/notes/ID/close                            an incident closed
 *
 * A note is stored at once, outside the batch of ingested events: what a
 * supervisor wrote survives a crash a second later. Writing needs a named
 * user (a logged-in person), not a program's token: a note has an author.
 */
#pragma once

#include <glib.h>

#include "engine/api.h"
#include "engine/engine.h"

G_BEGIN_DECLS

/* Longest body and title, in characters. */
#define WB_NOTES_BODY_MAX 4000
#define WB_NOTES_TITLE_MAX 200
/* Longest window one GET answers for. */
#define WB_NOTES_WINDOW_MAX_DAYS 367

void wb_api_notes_list(WbEngine *e, GHashTable *query, WbApiReply *out);
void wb_api_notes_add(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller,
                      WbApiReply *out);
/* req->path is /api/v1/notes/ID/close. */
void wb_api_notes_close(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller,
                        WbApiReply *out);

G_END_DECLS
