/* auth.h: who may read what (DESIGN.md section 10).
 *
 * For now display tokens: the TV's credential, seeing aggregates and names.
 * Named accounts and roles build on this.
 */
#pragma once

#include <glib.h>

#include "engine/store.h"

G_BEGIN_DECLS

typedef enum {
  WB_ROLE_NONE = 0,
  WB_ROLE_DISPLAY,
  WB_ROLE_SUPERVISOR,
  WB_ROLE_MANAGER,
  WB_ROLE_ADMIN,
  WB_ROLE_AUDITOR,
} WbRole;

/* Makes sure <state_dir>/display-token (mode 0600) holds a valid display
 * token, creating one on first start. Returns it. */
char *wb_auth_ensure_display_token(WbStore *store, const char *state_dir, GError **error);
WbRole wb_auth_role(WbStore *store, const char *token);
const char *wb_auth_role_name(WbRole role);

/* A token for a program that reads the API in a role (display,
 * supervisor or manager; a person logs in instead). The token is stored
 * only as a hash: show it once. */
char *wb_auth_add_token(WbStore *store, WbRole role, const char *label, GError **error);
/* The role named, or WB_ROLE_NONE. */
WbRole wb_auth_role_from_name(const char *name);

/* Ingest keys: one per sending system, role "ingest", its label naming
 * the source. They read nothing; they only send events. */
#define WB_AUTH_INGEST_ROLE "ingest"
/* Makes a new key for the source label (wb_ingest_label_valid); returns
 * the key, which is stored only as a hash: show it once. */
char *wb_auth_add_ingest_key(WbStore *store, const char *label, GError **error);
/* The label of a valid ingest key, or NULL. */
char *wb_auth_ingest_label(WbStore *store, const char *key);

G_END_DECLS
