/* store_private.h: for modules that keep their own tables in the store.
 *
 * engine/records.c writes the floor's other records in the store's open
 * batch, so they commit (or roll back) with the events they come from.
 */
#pragma once

#include <sqlite3.h>

#include "engine/store.h"

G_BEGIN_DECLS

/* A prepared statement for sql, which must be a static string: statements
 * are cached by its address and live as long as the store. */
sqlite3_stmt *wb_store_statement(WbStore *store, const char *sql, GError **error);
/* Steps st (bound by the caller) inside the open batch, then resets it. */
gboolean wb_store_run(WbStore *store, sqlite3_stmt *st, const char *what, GError **error);
/* Binds s, or NULL when s is NULL or empty. */
void wb_store_bind_text(sqlite3_stmt *st, int i, const char *s);

G_END_DECLS
