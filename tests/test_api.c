/* test_api.c: the route helpers the server relies on: answers that come
 * later (a login checked off the main loop). */
#include "engine/api.h"
#include "testutil.h"

typedef struct {
  int calls;
  guint status;
  char *body;
} Got;

static void
got_answer(WbApiReply *reply, gpointer data)
{
  Got *g = data;
  g->calls++;
  g->status = reply->status;
  g->body = g_steal_pointer(&reply->body);
}

static void
answer_with(WbApiLater *later, guint status)
{
  WbApiReply reply = {0};
  wb_api_reply_error(&reply, status, "status %u", status);
  wb_api_later_answer(later, &reply);
  ck_assert_ptr_null(reply.body);
}

START_TEST(test_later_answer)
{
  /* Waited for, then answered: handed over once. */
  WbApiReply out = {0};
  Got got = {0};
  WbApiLater *later = wb_api_later_new(&out);
  ck_assert_ptr_eq(out.later, later);
  wb_api_later_wait(g_steal_pointer(&out.later), got_answer, &got);
  ck_assert_int_eq(got.calls, 0);
  answer_with(later, 401);
  ck_assert_int_eq(got.calls, 1);
  ck_assert_uint_eq(got.status, 401);
  ck_assert_str_eq(got.body, "{\"error\":\"status 401\"}");
  g_free(got.body);

  /* Answered before the server waits: handed over at the wait. */
  Got early = {0};
  later = wb_api_later_new(&out);
  answer_with(later, 200);
  wb_api_later_wait(g_steal_pointer(&out.later), got_answer, &early);
  ck_assert_int_eq(early.calls, 1);
  ck_assert_uint_eq(early.status, 200);
  g_free(early.body);
}
END_TEST

START_TEST(test_later_dropped)
{
  /* The client left while the route worked: the answer goes nowhere. */
  WbApiReply out = {0};
  Got got = {0};
  WbApiLater *later = wb_api_later_new(&out);
  WbApiLater *server = g_steal_pointer(&out.later);
  wb_api_later_wait(server, got_answer, &got);
  wb_api_later_drop(server);
  answer_with(later, 200);
  ck_assert_int_eq(got.calls, 0);

  /* A reply cleared with its later answer still due drops it too. */
  later = wb_api_later_new(&out);
  wb_api_reply_clear(&out);
  ck_assert_ptr_null(out.later);
  answer_with(later, 200);

  /* Answered, then dropped before the wait: the kept answer is freed. */
  later = wb_api_later_new(&out);
  answer_with(later, 200);
  wb_api_later_drop(g_steal_pointer(&out.later));
}
END_TEST

static Suite *
api_suite(void)
{
  Suite *s = suite_create("api");
  TCase *tc = tcase_create("later");
  tcase_add_test(tc, test_later_answer);
  tcase_add_test(tc, test_later_dropped);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(api_suite());
}
