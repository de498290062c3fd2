/* fuzz_ami.c: the AMI wire format and the message-to-events mapping.
 *
 * The first byte chooses whether the stream starts with a banner and seeds
 * the chunk sizes; the rest is what the server sent. The same bytes are
 * read twice, once whole and once in chunks: TCP may cut the stream
 * anywhere, so both must give the same messages.
 */
#include "collectors/ami_parse.h"
#include "fuzz_common.h"

#define SOURCE "ami:fuzz"
/* 2026-11-28T08:00:00+08:00 */
#define NOW_MS G_GINT64_CONSTANT(1795824000000)
#define TEXT_MAX (1024 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static WbAgentMap *agents;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_quiet_logs();
  agents = wb_agent_map_new();
  wb_agent_map_add(agents, "1001", "张伟");
  wb_agent_map_add(agents, "1002", "PJSIP/1002");
  return 0;
}

static void
check_parsed(const WbAmiParsed *p)
{
  FUZZ_ASSERT((guint)p->result <= WB_AMI_QUEUE_STATUS_COMPLETE);
  FUZZ_ASSERT(p->n_events >= 0 && p->n_events <= (int)G_N_ELEMENTS(p->events));
  FUZZ_ASSERT(memchr(p->name, '\0', sizeof(p->name)) != NULL);
  FUZZ_ASSERT(memchr(p->call_id, '\0', sizeof(p->call_id)) != NULL);
  FUZZ_ASSERT(memchr(p->queue, '\0', sizeof(p->queue)) != NULL);
  FUZZ_ASSERT(memchr(p->status, '\0', sizeof(p->status)) != NULL);
  if (p->result == WB_AMI_MALFORMED)
    FUZZ_ASSERT(p->reason != NULL && p->reason[0] != '\0');
  if (p->result == WB_AMI_EVENTS)
    FUZZ_ASSERT(p->n_events >= 1);
  if (p->result == WB_AMI_LEAVE)
    FUZZ_ASSERT(p->n_events >= 1);
  for (int i = 0; i < p->n_events; i++)
    fuzz_check_event(&p->events[i], SOURCE, FALSE);
  if (!p->has_ts)
    FUZZ_ASSERT(p->ts_ms == NOW_MS);
}

/* The messages of the stream, as text, each checked and parsed. */
static GPtrArray *
read_stream(gboolean banner, const char *data, gsize size, guint32 seed, char **banner_out)
{
  g_autoptr(WbAmiReader) r = wb_ami_reader_new(banner);
  GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
  gsize done = 0;

  while (done < size) {
    gsize chunk = size - done;
    if (seed != 0) {
      /* A small xorshift: chunks of 1 to 64 bytes, repeatable. */
      seed ^= seed << 13;
      seed ^= seed >> 17;
      seed ^= seed << 5;
      chunk = MIN(chunk, 1 + seed % 64);
    }
    wb_ami_reader_feed(r, data + done, chunk);
    done += chunk;
    WbAmiMessage *m;
    while ((m = wb_ami_reader_next(r)) != NULL) {
      const char *why = wb_ami_message_malformed(m);
      FUZZ_ASSERT(why == NULL || why[0] != '\0');
      FUZZ_ASSERT(wb_ami_message_n_headers(m) <= WB_AMI_HEADERS_MAX);
      for (guint i = 0; i < wb_ami_message_n_headers(m) && i < 4; i++)
        (void)wb_ami_message_get_nth(m, "Event", i);
      WbAmiParsed parsed;
      wb_ami_message_parse(m, agents, SOURCE, NOW_MS, &parsed);
      check_parsed(&parsed);
      char *text = wb_ami_message_text(m, TEXT_MAX);
      FUZZ_ASSERT(text != NULL && strlen(text) <= TEXT_MAX);
      const char *body = wb_ami_message_body(m);
      g_ptr_array_add(texts, g_strdup_printf("%s\n--body %s\n--skipped %u\n--malformed %s", text,
                                             body != NULL ? body : "(none)",
                                             wb_ami_message_n_skipped(m), why ? why : "-"));
      g_free(text);
      wb_ami_message_free(m);
    }
  }
  const char *b = wb_ami_reader_banner(r);
  *banner_out = g_strdup(b != NULL ? b : "(none)");
  return texts;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
  if (size < 1)
    return 0;
  gboolean banner = (data[0] & 1) != 0;
  guint32 seed = data[0] | 0x100u;
  const char *stream = (const char *)data + 1;
  gsize len = size - 1;

  g_autofree char *banner_whole = NULL;
  g_autofree char *banner_chunked = NULL;
  g_autoptr(GPtrArray) whole = read_stream(banner, stream, len, 0, &banner_whole);
  g_autoptr(GPtrArray) chunked = read_stream(banner, stream, len, seed, &banner_chunked);
  FUZZ_ASSERT(strcmp(banner_whole, banner_chunked) == 0);
  FUZZ_ASSERT(whole->len == chunked->len);
  for (guint i = 0; i < whole->len; i++)
    FUZZ_ASSERT(strcmp(g_ptr_array_index(whole, i), g_ptr_array_index(chunked, i)) == 0);

  /* The one-message form the tests use reads the same way. */
  WbAmiParsed parsed;
  wb_ami_parse_message(stream, (gssize)len, agents, SOURCE, NOW_MS, &parsed);
  check_parsed(&parsed);
  return 0;
}
