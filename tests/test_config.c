/* test_config.c: the configuration table, files, errors and generated docs. */
#include "engine/config.h"
#include "testutil.h"

static char *
write_conf(const char *dir, const char *text)
{
  char *path = g_build_filename(dir, "wallboard.conf", NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

START_TEST(test_defaults)
{
  g_autoptr(WbConfig) c = wb_config_new_defaults();
  ck_assert_str_eq(c->listen, "127.0.0.1:8080");
  ck_assert_int_eq(c->kpi.sl_threshold_s, 15);
  ck_assert_int_eq(c->kpi.sl_variant, WB_SL_ANSWERED);
  ck_assert_int_eq(c->kpi.short_abandon_s, 5);
  ck_assert(!c->kpi.sl_exclude_short_abandons);
  ck_assert_str_eq(c->timezone, "Asia/Shanghai");
  ck_assert_int_eq(c->update_ms, 250);
  ck_assert_int_eq(c->flush_ms, 100);
  ck_assert_int_eq(c->batch_events, 1000);
  ck_assert(!c->demo);
  ck_assert(wb_config_is_wrapup(c, NULL, "话后整理"));
  ck_assert(wb_config_is_wrapup(c, NULL, "wrapup"));
  ck_assert(!wb_config_is_wrapup(c, NULL, "小休"));
  ck_assert_double_eq_tol(c->target_answer_rate, 0.95, 1e-9);
  ck_assert_ptr_nonnull(c->queue_logs);
  ck_assert_ptr_null(c->queue_logs[0]);
}
END_TEST

START_TEST(test_load_file)
{
  g_autofree char *dir = test_tmpdir();
  g_autofree char *path = write_conf(
      dir, "[server]\nlisten = 0.0.0.0:9000\n"
           "[kpi]\nsl_threshold_s = 20\nsl_variant = offered\nwrapup_reasons = ACW; 整理\n"
           "[queue_log]\npaths = /var/log/asterisk/queue_log ; /tmp/b\n"
           "[queue.policy]\nname = 政策咨询\nsl_threshold_s = 30\nwrapup_reasons = 记录\n"
           "target_service_level = 0.85\n"
           "[agent.8001]\nname = 王丽\naliases = SIP/1001;Sathish\n");
  g_autoptr(WbConfig) c = wb_config_new_defaults();
  g_autoptr(GError) error = NULL;
  ck_assert_msg(wb_config_load_file(c, path, &error), "%s", error ? error->message : "");
  ck_assert_str_eq(c->listen, "0.0.0.0:9000");
  ck_assert_int_eq(c->kpi.sl_threshold_s, 20);
  ck_assert_int_eq(c->kpi.sl_variant, WB_SL_OFFERED);
  ck_assert_str_eq(c->queue_logs[0], "/var/log/asterisk/queue_log");
  ck_assert_str_eq(c->queue_logs[1], "/tmp/b");
  ck_assert(wb_config_is_wrapup(c, NULL, "整理"));
  ck_assert(!wb_config_is_wrapup(c, NULL, "话后整理"));
  /* The queue's own list and targets, where it has them. */
  ck_assert(wb_config_is_wrapup(c, "policy", "记录"));
  ck_assert(!wb_config_is_wrapup(c, "policy", "整理"));
  ck_assert(wb_config_is_wrapup(c, "other", "整理"));
  gdouble ar, sl;
  wb_config_targets(c, "policy", &ar, &sl);
  ck_assert_double_eq_tol(sl, 0.85, 1e-9);
  ck_assert_double_eq_tol(ar, 0.95, 1e-9);
  wb_config_targets(c, NULL, &ar, &sl);
  ck_assert_double_eq_tol(sl, 0.8, 1e-9);
  /* [queue.policy] overrides its threshold and inherits the variant. */
  WbKpiSettings q = wb_config_kpi_for_queue(c, "policy");
  ck_assert_int_eq(q.sl_threshold_s, 30);
  ck_assert_int_eq(q.sl_variant, WB_SL_OFFERED);
  ck_assert_int_eq(wb_config_kpi_for_queue(c, "other").sl_threshold_s, 20);
  ck_assert_str_eq(wb_config_queue_name(c, "policy"), "政策咨询");
  ck_assert_str_eq(wb_config_queue_name(c, "other"), "other");
  ck_assert_str_eq(wb_config_agent_name(c, "8001"), "王丽");
  g_autoptr(WbAgentMap) map = wb_config_agent_map(c);
  char key[WB_EVENT_ID_MAX];
  wb_agent_map_lookup(map, "sathish", -1, key, sizeof(key));
  ck_assert_str_eq(key, "8001");
  wb_agent_map_lookup(map, "SIP/1001", -1, key, sizeof(key));
  ck_assert_str_eq(key, "8001");
  test_rmtree(dir);
}
END_TEST

typedef struct {
  const char *text;
  const char *must_mention;
} BadCase;

static const BadCase bad[] = {
    {"[server]\nlisen = 1:2\n", "lisen"},
    {"[kpi]\nsl_threshold_s = 0\n", "sl_threshold_s"},
    {"[kpi]\nsl_threshold_s = fifteen\n", "fifteen"},
    {"[kpi]\nsl_variant = best\n", "best"},
    {"[demo]\nenabled = maybe\n", "maybe"},
    {"[queue.policy]\ncolour = red\n", "colour"},
    {"[agent.1]\nnickname = x\n", "nickname"},
    {"[shift.早]\nstart = 8点\nend = 16:00\n", "[shift.早] start: '8点' is not a time of day"},
    {"[shift.早]\nstart = 24:00\nend = 08:00\n", "00:00..23:59"},
    {"[shift.早]\nstart = 08:00\n", "a start and an end"},
    {"[shift.早]\nstart = 08:00\nend = 16:00\ncolour = red\n", "colour"},
    {"[nonsense]\nx = 1\n", "nonsense"},
    {"not a key file", "wallboard.conf"},
};

START_TEST(test_bad_files)
{
  g_autofree char *dir = test_tmpdir();
  g_autofree char *path = write_conf(dir, bad[_i].text);
  g_autoptr(WbConfig) c = wb_config_new_defaults();
  g_autoptr(GError) error = NULL;
  ck_assert(!wb_config_load_file(c, path, &error));
  ck_assert_msg(strstr(error->message, bad[_i].must_mention) != NULL, "'%s' lacks '%s'",
                error->message, bad[_i].must_mention);
  test_rmtree(dir);
}
END_TEST

/* [shift.CODE]: the roster's templates, as the example file shows them. */
START_TEST(test_shift_templates)
{
  g_autofree char *dir = test_tmpdir();
  g_autofree char *path = write_conf(dir, "[shift.早]\nlabel = 早班\nstart = 08:00\nend = 16:00\n"
                                          "[shift.中]\nstart = 16:00\nend = 24:00\n"
                                          "[shift.N]\nstart = 22:00\nend = 06:00\nrole = night\n");
  g_autoptr(WbConfig) c = wb_config_new_defaults();
  g_autoptr(GError) error = NULL;
  ck_assert_msg(wb_config_load_file(c, path, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq(c->shifts->len, 3);
  const WbShiftConfig *s = g_ptr_array_index(c->shifts, 0);
  ck_assert_str_eq(s->code, "早");
  ck_assert_str_eq(s->label, "早班");
  ck_assert_ptr_null(s->role);
  ck_assert_int_eq(s->start_min, 8 * 60);
  ck_assert_int_eq(s->end_min, 16 * 60);
  s = g_ptr_array_index(c->shifts, 1);
  ck_assert_int_eq(s->end_min, 24 * 60);
  s = g_ptr_array_index(c->shifts, 2);
  ck_assert_str_eq(s->role, "night");
  ck_assert_int_eq(s->end_min, 6 * 60);
  test_rmtree(dir);
}
END_TEST

START_TEST(test_set_from_command_line)
{
  g_autoptr(WbConfig) c = wb_config_new_defaults();
  g_autoptr(GError) error = NULL;
  ck_assert(wb_config_set(c, "store", "state_dir", "/tmp/x", &error));
  ck_assert_str_eq(c->state_dir, "/tmp/x");
  ck_assert(!wb_config_set(c, "store", "nothing", "1", &error));
}
END_TEST

/* docs/configuration.md and the example file are generated from the table:
 * they must be what the table makes now. */
START_TEST(test_docs_in_step)
{
  const char *src = g_getenv("WB_SOURCE_DIR");
  g_autofree char *md_path =
      g_build_filename(src != NULL ? src : ".", "docs", "configuration.md", NULL);
  g_autofree char *ex_path =
      g_build_filename(src != NULL ? src : ".", "docs", "wallboard.conf.example", NULL);
  g_autofree char *md = NULL, *ex = NULL;
  ck_assert_msg(g_file_get_contents(md_path, &md, NULL, NULL), "missing %s", md_path);
  ck_assert_msg(g_file_get_contents(ex_path, &ex, NULL, NULL), "missing %s", ex_path);
  g_autofree char *md_now = wb_config_docs_markdown();
  g_autofree char *ex_now = wb_config_example_file();
  ck_assert_msg(strcmp(md, md_now) == 0,
                "docs/configuration.md is stale: run wallboardd --print-config-docs");
  ck_assert_msg(strcmp(ex, ex_now) == 0,
                "docs/wallboard.conf.example is stale: run wallboardd --print-config");
  /* The example file, all commented out, loads and changes nothing. */
  g_autoptr(WbConfig) c = wb_config_new_defaults();
  g_autoptr(GError) error = NULL;
  ck_assert_msg(wb_config_load_file(c, ex_path, &error), "%s", error ? error->message : "");
  ck_assert_str_eq(c->listen, "127.0.0.1:8080");
  ck_assert_uint_eq(c->shifts->len, 0);
}
END_TEST

/* A reload compares the running configuration with the file's: what
 * changed, by name, and a copy that shares nothing with its original. */
START_TEST(test_copy_and_changes)
{
  g_autofree char *dir = test_tmpdir();
  g_autofree char *path =
      write_conf(dir, "[server]\nlisten = 127.0.0.1:9000\n[kpi]\ntarget_answer_rate = 0.9\n"
                      "[queue.policy]\nname = 政策咨询\n[agent.8001]\nname = 王丽\n"
                      "[shift.D]\nstart = 08:00\nend = 17:00\n"
                      "[alert.waiting]\nthreshold = 3\n");
  g_autoptr(WbConfig) a = wb_config_new_defaults();
  g_autoptr(GError) error = NULL;
  ck_assert_msg(wb_config_load_file(a, path, &error), "%s", error ? error->message : "");
  g_autoptr(WbConfig) b = wb_config_copy(a);
  g_autoptr(GPtrArray) none = wb_config_changes(a, b);
  ck_assert_uint_eq(none->len, 0);
  ck_assert_ptr_ne(a->listen, b->listen);
  ck_assert_ptr_ne(g_ptr_array_index(a->queues, 0), g_ptr_array_index(b->queues, 0));

  /* Fixed keys in table order, then the named groups; a group that went
   * and one that came are changes too. */
  g_free(path);
  path = write_conf(dir, "[server]\nlisten = 127.0.0.1:9001\n[kpi]\ntarget_answer_rate = 0.9\n"
                         "[queue.policy]\nname = 政策业务\n[agent.8001]\nname = 王丽\n"
                         "[shift.D]\nstart = 08:00\nend = 18:00\n"
                         "[alert.waiting]\nthreshold = 3\n[alert.new]\nmetric = waiting\n"
                         "scope = total\nthreshold = 9\n[log]\nlevel = info\n");
  g_autoptr(WbConfig) c = wb_config_new_defaults();
  ck_assert_msg(wb_config_load_file(c, path, &error), "%s", error ? error->message : "");
  wb_config_free(g_steal_pointer(&b));
  b = wb_config_copy(c);
  g_autoptr(GPtrArray) changes = wb_config_changes(a, b);
  g_ptr_array_add(changes, NULL);
  g_autofree char *joined = g_strjoinv(",", (char **)changes->pdata);
  ck_assert_str_eq(joined, "server.listen,log.level,queue.policy,shift.D,alert.new");

  /* One key back as it was: the rest stays new. */
  ck_assert(wb_config_copy_key(b, a, "server.listen"));
  ck_assert(wb_config_copy_key(b, a, "alert.new"));
  ck_assert(wb_config_copy_key(b, a, "queue.policy"));
  ck_assert(!wb_config_copy_key(b, a, "server.nothing"));
  ck_assert(!wb_config_copy_key(b, a, "nodot"));
  ck_assert_str_eq(b->listen, "127.0.0.1:9000");
  ck_assert_uint_eq(b->alert_groups->len, 1);
  ck_assert_str_eq(wb_config_queue_name(b, "policy"), "政策咨询");
  g_autoptr(GPtrArray) left = wb_config_changes(a, b);
  ck_assert_uint_eq(left->len, 2);
  ck_assert_str_eq(g_ptr_array_index(left, 0), "log.level");
  ck_assert_str_eq(g_ptr_array_index(left, 1), "shift.D");
}
END_TEST

static Suite *
config_suite(void)
{
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_add_test(tc, test_defaults);
  tcase_add_test(tc, test_load_file);
  tcase_add_loop_test(tc, test_bad_files, 0, G_N_ELEMENTS(bad));
  tcase_add_test(tc, test_shift_templates);
  tcase_add_test(tc, test_set_from_command_line);
  tcase_add_test(tc, test_docs_in_step);
  tcase_add_test(tc, test_copy_and_changes);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(config_suite());
}
