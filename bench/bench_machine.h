/* bench_machine.h: what a benchmark prints of the machine it ran on,
 * beside its figures (docs/performance.md gives every figure a machine). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* /proc/cpuinfo's first "model name", or "unknown CPU". */
char *bench_machine_cpu_model(void);
/* The 1-minute load average (other work skews the figures), or -1. */
double bench_machine_load_average(void);
/* /proc/meminfo's MemTotal in KiB, or -1. */
gint64 bench_machine_mem_total_kib(void);

G_END_DECLS
