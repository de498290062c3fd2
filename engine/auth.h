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

G_END_DECLS
