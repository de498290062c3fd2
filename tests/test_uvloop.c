/* test_uvloop.c: a libuv loop run by a GLib main context: its timers fire
 * on time, its descriptors wake the context, an idle loop lets the context
 * sleep, and it closes cleanly. */
#include <unistd.h>

#include "engine/uvloop.h"
#include "testutil.h"

typedef struct {
  int fired;
  gint64 at_us;
  int fd; /* to read from, for a poll */
} Hits;

static void
on_timer(uv_timer_t *timer)
{
  Hits *h = timer->data;
  h->fired++;
  h->at_us = g_get_monotonic_time();
}

static void
on_readable(uv_poll_t *poll, int status, int events)
{
  Hits *h = poll->data;
  char buf[16];
  ck_assert_int_eq(status, 0);
  ck_assert(events & UV_READABLE);
  ck_assert_int_gt(read(h->fd, buf, sizeof(buf)), 0);
  h->fired++;
}

/* Iterates ctx, blocking, until *flag is set or timeout_ms have passed. */
static void
iterate_until(GMainContext *ctx, const int *flag, int timeout_ms)
{
  gint64 end = g_get_monotonic_time() + timeout_ms * 1000;
  while (*flag == 0 && g_get_monotonic_time() < end)
    g_main_context_iteration(ctx, TRUE);
}

START_TEST(test_timer_fires_on_time)
{
  g_autoptr(GMainContext) ctx = g_main_context_new();
  g_autoptr(GError) error = NULL;
  WbUvLoop *l = wb_uv_loop_new(ctx, &error);
  ck_assert_ptr_nonnull(l);
  uv_timer_t timer;
  Hits h = {0};
  ck_assert_int_eq(uv_timer_init(wb_uv_loop_get(l), &timer), 0);
  timer.data = &h;
  gint64 start = g_get_monotonic_time();
  ck_assert_int_eq(uv_timer_start(&timer, on_timer, 50, 0), 0);
  /* No GLib timer here: only the source's own timeout wakes the context. */
  iterate_until(ctx, &h.fired, 5000);
  ck_assert_int_eq(h.fired, 1);
  ck_assert_int_ge(h.at_us - start, 49 * 1000);
  uv_close((uv_handle_t *)&timer, NULL);
  wb_uv_loop_free(l);
}
END_TEST

START_TEST(test_descriptor_wakes_context)
{
  g_autoptr(GMainContext) ctx = g_main_context_new();
  WbUvLoop *l = wb_uv_loop_new(ctx, NULL);
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  uv_poll_t poll;
  Hits h = {.fd = fds[0]};
  ck_assert_int_eq(uv_poll_init(wb_uv_loop_get(l), &poll, fds[0]), 0);
  poll.data = &h;
  ck_assert_int_eq(uv_poll_start(&poll, UV_READABLE, on_readable), 0);
  /* Nothing to read: an iteration that may not block dispatches nothing. */
  for (int i = 0; i < 5; i++)
    g_main_context_iteration(ctx, FALSE);
  ck_assert_int_eq(h.fired, 0);
  ck_assert_int_eq(write(fds[1], "x", 1), 1);
  iterate_until(ctx, &h.fired, 5000);
  ck_assert_int_eq(h.fired, 1);
  uv_close((uv_handle_t *)&poll, NULL);
  wb_uv_loop_free(l);
  close(fds[0]);
  close(fds[1]);
}
END_TEST

/* A loop with nothing active must not keep the context busy: the context
 * has nothing to dispatch and would sleep. */
START_TEST(test_idle_loop_sleeps)
{
  g_autoptr(GMainContext) ctx = g_main_context_new();
  WbUvLoop *l = wb_uv_loop_new(ctx, NULL);
  uv_timer_t timer;
  Hits h = {0};
  uv_timer_init(wb_uv_loop_get(l), &timer);
  timer.data = &h;
  uv_timer_start(&timer, on_timer, 1, 0);
  iterate_until(ctx, &h.fired, 5000);
  uv_close((uv_handle_t *)&timer, NULL);
  /* The close completes on the next runs; then nothing is pending. */
  for (int i = 0; i < 5; i++)
    g_main_context_iteration(ctx, FALSE);
  ck_assert(!uv_loop_alive(wb_uv_loop_get(l)));
  ck_assert(!g_main_context_pending(ctx));
  wb_uv_loop_free(l);
}
END_TEST

static Suite *
uvloop_suite(void)
{
  Suite *s = suite_create("uvloop");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_timer_fires_on_time);
  tcase_add_test(tc, test_descriptor_wakes_context);
  tcase_add_test(tc, test_idle_loop_sleeps);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(uvloop_suite());
}
