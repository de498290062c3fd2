/* fuzz_ws.c: a client's message on the WebSocket protocol wallboard.v1
 * (engine/topics.c wb_topics_parse_client): hello with a token and
 * topics, ack of an alert, and anything else a browser or a stranger
 * may send.
 */
#include <json-glib/json-glib.h>

#include "engine/topics.h"
#include "fuzz_common.h"

/* A message larger than this never reaches the parser: the session's
 * receive buffer is bounded. */
#define MESSAGE_MAX 65536

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_quiet_logs();
  return 0;
}

/* The error frame the session would send: valid JSON with the text. */
static void
check_error(const char *error)
{
  FUZZ_ASSERT(error != NULL && error[0] != '\0' && g_utf8_validate(error, -1, NULL));
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "error");
  json_builder_add_string_value(b, error);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *frame = json_to_string(root, FALSE);
  g_autoptr(JsonParser) p = json_parser_new();
  FUZZ_ASSERT(json_parser_load_from_data(p, frame, -1, NULL));
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
  if (size > MESSAGE_MAX)
    return 0;
  WbClientMessage m;
  g_autofree char *error = NULL;
  gboolean ok = wb_topics_parse_client((const char *)data, size, &m, &error);

  /* Either a message or a reason, never both nor neither. */
  FUZZ_ASSERT(ok == (error == NULL));
  if (!ok) {
    check_error(error);
    FUZZ_ASSERT(m.token == NULL && m.topics == NULL && m.unknown_topic == NULL);
    return 0;
  }
  if (m.op == WB_CLIENT_ACK) {
    FUZZ_ASSERT(m.alert >= 0);
    FUZZ_ASSERT(m.token == NULL && m.topics == NULL);
  } else {
    FUZZ_ASSERT(m.op == WB_CLIENT_HELLO);
    FUZZ_ASSERT(m.token != NULL && m.topics != NULL);
    gboolean unknown = FALSE;
    for (guint i = 0; i < m.topics->len; i++) {
      gint id = g_array_index(m.topics, gint, i);
      FUZZ_ASSERT(id >= -1 && id < WB_TOPIC_COUNT);
      unknown |= id < 0;
      if (id >= 0)
        FUZZ_ASSERT(wb_topic_name((WbTopicId)id) != NULL);
    }
    /* The unknown name goes back in an error frame: short, valid UTF-8
     * (empty for a topic that is not a string). */
    FUZZ_ASSERT(unknown == (m.unknown_topic != NULL));
    if (unknown) {
      FUZZ_ASSERT(g_utf8_validate(m.unknown_topic, -1, NULL));
      FUZZ_ASSERT(g_utf8_strlen(m.unknown_topic, -1) <= 40);
    }
  }
  wb_client_message_clear(&m);
  return 0;
}
