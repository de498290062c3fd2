/* bench_machine.c: the machine a benchmark ran on (bench/bench_machine.h). */
#include "bench/bench_machine.h"

#include <string.h>

char *
bench_machine_cpu_model(void)
{
  g_autofree char *info = NULL;
  if (!g_file_get_contents("/proc/cpuinfo", &info, NULL, NULL))
    return g_strdup("unknown CPU");
  const char *model = strstr(info, "model name");
  const char *colon = model != NULL ? strchr(model, ':') : NULL;
  if (colon == NULL)
    return g_strdup("unknown CPU");
  return g_strstrip(g_strndup(colon + 1, strcspn(colon + 1, "\n")));
}

double
bench_machine_load_average(void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents("/proc/loadavg", &text, NULL, NULL))
    return -1.0;
  return g_ascii_strtod(text, NULL);
}

gint64
bench_machine_mem_total_kib(void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL))
    return -1;
  const char *t = strstr(text, "MemTotal:");
  return t != NULL ? g_ascii_strtoll(t + strlen("MemTotal:"), NULL, 10) : -1;
}
