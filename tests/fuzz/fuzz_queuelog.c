/* fuzz_queuelog.c: the queue_log parser, line by line and through the
 * file tailer (line splitting, NUL runs, over-long lines, a last line
 * without its newline).
 */
#include <fcntl.h>
#include <unistd.h>

#include "collectors/queuelog.h"
#include "fuzz_common.h"

#define SOURCE "queue_log:fuzz"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static WbAgentMap *agents;
static char *tail_path;
static int tail_fd = -1;

static void
remove_tail(void)
{
  unlink(tail_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_quiet_logs();
  agents = wb_agent_map_new();
  wb_agent_map_add(agents, "1001", "张伟");
  wb_agent_map_add(agents, "1002", "SIP/telefon5");
  g_autoptr(GError) error = NULL;
  tail_fd = g_file_open_tmp("fuzz-queuelog-XXXXXX", &tail_path, &error);
  FUZZ_ASSERT(tail_fd >= 0);
  atexit(remove_tail);
  return 0;
}

static void
check_line(const WbQueuelogLine *l)
{
  switch (l->result) {
  case WB_QUEUELOG_EVENTS:
    FUZZ_ASSERT(l->n_events >= 1 && l->n_events <= (int)G_N_ELEMENTS(l->events));
    for (int i = 0; i < l->n_events; i++)
      fuzz_check_event(&l->events[i], SOURCE, FALSE);
    break;
  case WB_QUEUELOG_MALFORMED:
    FUZZ_ASSERT(l->reason != NULL && l->reason[0] != '\0');
    FUZZ_ASSERT(l->n_events == 0);
    break;
  case WB_QUEUELOG_UNKNOWN:
    /* Not necessarily non-empty: a name cut to its field on a UTF-8
     * boundary is empty when it is all continuation bytes. */
    FUZZ_ASSERT(memchr(l->event_name, '\0', sizeof(l->event_name)) != NULL);
    FUZZ_ASSERT(l->n_events == 0);
    break;
  case WB_QUEUELOG_BLANK:
  case WB_QUEUELOG_IGNORED: FUZZ_ASSERT(l->n_events == 0); break;
  default: FUZZ_ASSERT(!"result out of range");
  }
}

/* Each line on its own, as the tailer hands it over (NUL bytes removed). */
static void
parse_lines(const guint8 *data, size_t size)
{
  const char *text = (const char *)data;
  gsize done = 0;
  while (done < size) {
    const char *nl = memchr(text + done, '\n', size - done);
    gsize len = nl != NULL ? (gsize)(nl - (text + done)) : size - done;
    if (len < WB_QUEUELOG_LINE_MAX) {
      g_autofree char *line = g_malloc(len + 1);
      gsize n = 0;
      for (gsize i = 0; i < len; i++)
        if (text[done + i] != '\0')
          line[n++] = text[done + i];
      line[n] = '\0';
      WbQueuelogLine parsed;
      wb_queuelog_parse_line(agents, SOURCE, line, n, &parsed);
      check_line(&parsed);
    }
    done += len + 1;
  }
}

/* The whole input as a queue_log file read by the collector. */
static void
tail_file(const guint8 *data, size_t size)
{
  FUZZ_ASSERT(ftruncate(tail_fd, 0) == 0);
  FUZZ_ASSERT(pwrite(tail_fd, data, size, 0) == (ssize_t)size);

  FuzzSink sink;
  fuzz_sink_init(&sink, NULL, FALSE);
  const char *paths[] = {tail_path, NULL};
  WbQueuelogOptions opts = {.paths = paths, .sink = &sink.sink, .agents = agents, .poll_ms = 1000};
  g_autoptr(GError) error = NULL;
  WbCollector *c = wb_queuelog_start(&opts, &error);
  FUZZ_ASSERT(c != NULL);
  wb_queuelog_poll(c);

  WbCollectorStats st;
  c->ops->stats(c, 0, &st);
  FUZZ_ASSERT(st.bytes <= size);
  FUZZ_ASSERT(st.events == sink.taken);
  FUZZ_ASSERT(st.events + st.duplicates == sink.calls);
  FUZZ_ASSERT(st.quarantined == sink.quarantined);
  /* One event per line, two at most (a login that is also a pause). */
  FUZZ_ASSERT(sink.calls <= 2 * st.lines);
  wb_collector_free(c);
  fuzz_sink_clear(&sink);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
  parse_lines(data, size);
  tail_file(data, size);
  return 0;
}
