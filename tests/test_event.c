/* test_event.c: the event model's names, fixed fields and caller masking. */
#include "engine/event.h"
#include "testutil.h"

START_TEST(test_type_names_roundtrip)
{
  for (int t = WB_EVENT_CALL_ENQUEUE; t < WB_EVENT_TYPE_COUNT; t++) {
    const char *name = wb_event_type_name((WbEventType)t);
    ck_assert_int_eq(wb_event_type_from_name(name), t);
  }
  ck_assert_str_eq(wb_event_type_name(WB_EVENT_CALL_RING_NOANSWER), "call.ring_noanswer");
  ck_assert_int_eq(wb_event_type_from_name("no.such"), WB_EVENT_NONE);
  for (int r = 0; r < WB_ABANDON_REASON_COUNT; r++)
    ck_assert_int_eq(wb_abandon_reason_from_name(wb_abandon_reason_name((WbAbandonReason)r)), r);
  for (int e = 0; e < WB_ENDED_BY_COUNT; e++)
    ck_assert_int_eq(wb_ended_by_from_name(wb_ended_by_name((WbEndedBy)e)), e);
}
END_TEST

START_TEST(test_set_str_cuts_on_characters)
{
  char small[8];
  /* "话后整理" is 12 bytes: 7 bytes hold two characters and no half one. */
  wb_event_set_str(small, sizeof(small), "话后整理", -1);
  ck_assert_str_eq(small, "话后");
  ck_assert(g_utf8_validate(small, -1, NULL));
  wb_event_set_str(small, sizeof(small), "abcdefghij", 3);
  ck_assert_str_eq(small, "abc");
  wb_event_set_str(small, sizeof(small), NULL, -1);
  ck_assert_str_eq(small, "");
}
END_TEST

START_TEST(test_caller_mask)
{
  static const struct {
    const char *raw, *mask;
  } table[] = {
      {"13812345678", "138****5678"},
      {"+86 138-1234-5678", "861****5678"},
      {"0700000001", "070****0001"},
      {"12367", "123**"},
      {"12", "**"},
      {"", ""},
      {"anonymous", ""},
  };
  char out[WB_CALLER_MASK_MAX];
  for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {
    wb_caller_mask(table[i].raw, out, sizeof(out));
    ck_assert_msg(strcmp(out, table[i].mask) == 0, "%s -> %s", table[i].raw, out);
  }
}
END_TEST

START_TEST(test_caller_hash_is_keyed)
{
  const guint8 k1[32] = {1}, k2[32] = {2};
  char a[WB_CALLER_HASH_MAX], b[WB_CALLER_HASH_MAX], c[WB_CALLER_HASH_MAX];
  wb_caller_hash(k1, sizeof(k1), "13812345678", a, sizeof(a));
  wb_caller_hash(k1, sizeof(k1), "13812345678", b, sizeof(b));
  wb_caller_hash(k2, sizeof(k2), "13812345678", c, sizeof(c));
  ck_assert_int_eq(strlen(a), 32);
  ck_assert_str_eq(a, b);
  ck_assert_str_ne(a, c);
  ck_assert(strstr(a, "5678") == NULL || strcmp(a, c) != 0);
  wb_caller_hash(k1, sizeof(k1), "", a, sizeof(a));
  ck_assert_str_eq(a, "");
}
END_TEST

static Suite *
event_suite(void)
{
  Suite *s = suite_create("event");
  TCase *tc = tcase_create("event");
  tcase_add_test(tc, test_type_names_roundtrip);
  tcase_add_test(tc, test_set_str_cuts_on_characters);
  tcase_add_test(tc, test_caller_mask);
  tcase_add_test(tc, test_caller_hash_is_keyed);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(event_suite());
}
