/* simgen.c: the demo traffic generator (see sim.h and simgen.h).
 *
 * A discrete-event simulation in whole seconds, because queue_log stamps are
 * whole seconds and the hold and talk times Asterisk writes are differences of
 * them: simulating in seconds keeps every data field consistent with the line
 * stamps. Events are processed in (time, scheduling order), every line is
 * written at the time of the event that produces it, so the lines come out in
 * non-decreasing time. All randomness comes from one xoshiro256** stream
 * seeded from the seed, and the local calendar from the given time zone, so
 * the lines are a pure function of (seed, origin, tz), however the run is cut
 * into pieces. sim.c keeps such a run going in a real file.
 */
#define G_LOG_DOMAIN "sim"

#include "collectors/simgen.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

/* ---- the centre: staff, queues, traffic, rota ---------------------------- */

static const WbSimAgent sim_agents[] = {
    {"8001", "王丽", "agent"}, {"8002", "李娜", "agent"}, {"8003", "张伟", "agent"},
    {"8004", "刘洋", "agent"}, {"8005", "陈静", "agent"}, {"8006", "杨帆", "agent"},
    {"8007", "赵敏", "agent"}, {"8008", "黄磊", "agent"}, {"8009", "周婷", "lead"},
};

static const WbSimQueue sim_queues[] = {
    {"policy", "政策咨询"},
    {"progress", "办证进度查询"},
};

#define N_AGENTS ((int)G_N_ELEMENTS(sim_agents))
#define N_QUEUES ((int)G_N_ELEMENTS(sim_queues))
enum { LEAD = 8 }; /* index of the shift lead in sim_agents */
G_STATIC_ASSERT(LEAD == G_N_ELEMENTS(sim_agents) - 1);

/* What the simulated PBX and callers do (queues.conf and behaviour). */
enum {
  RING_TIMEOUT_S = 15,   /* member ring timeout: RINGNOANSWER after it */
  RETRY_S = 5,           /* before a member who did not answer is rung again */
  QUEUE_TIMEOUT_S = 300, /* Queue() timeout: EXITWITHTIMEOUT */
  MIN_TALK_S = 20,
  MAX_TALK_S = 1200,
  MIN_WRAPUP_S = 20,
  MAX_WRAPUP_S = 90,
  LEAD_MIN_WAITING = 2,     /* the lead is rung only when this many wait */
  LATEST_BREAK_S = 15 * 60, /* no break starts closer than this to shift end */
};
#define POLICY_SHARE 0.70    /* of calls, the rest ask about progress */
#define REPEAT_CALLER_P 0.08 /* a caller who already called today */
#define NO_ANSWER_P 0.05
#define WRAPUP_P 0.40
#define TRANSFER_P 0.02
#define CALLER_HANGS_UP_P 0.60 /* of calls that are not transferred */
/* Caller patience: a few hang up at once (misdials, second thoughts), the
 * rest are lognormal with a mean of 75 s. */
#define IMPATIENT_P 0.05
#define MAX_IMPATIENT_S 8
#define PATIENCE_MEAN_S 75.0
#define PATIENCE_SIGMA 0.7
/* Talk time is lognormal with a mean of about 175 s (AHT about 3 min). */
#define TALK_SIGMA 0.55
#define TALK_MEAN_S 175.0

/* Calls per hour on an ordinary weekday, by local hour: an immigration
 * hotline is nearly silent at night, peaks mid-morning and mid-afternoon
 * and dips at lunch. */
static const double calls_per_hour[24] = {
    2.0,  1.5,  1.0,  1.0,  1.0,  1.5,  2.5,  5.0,  /* 00-07 */
    30.0, 47.0, 53.0, 44.0, 25.0, 33.0, 48.0, 51.0, /* 08-15 */
    42.0, 26.0, 15.0, 9.0,  7.0,  5.0,  3.0,  2.5,  /* 16-23 */
};

/* By GDateWeekday (1 = Monday): Mondays are busiest, weekends about 60 %. */
static const double weekday_factor[8] = {0, 1.08, 1.0, 1.0, 0.98, 0.94, 0.62, 0.58};

/* Mobile number blocks of the three carriers. */
static const guint16 mobile_prefixes[] = {
    130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158,
    159, 166, 173, 176, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199,
};

/* Second-line desks that calls are blind-transferred to. */
static const char *const transfer_extens[] = {"6001", "6002", "6003"};
#define TRANSFER_CONTEXT "from-internal"

#define REASON_BREAK "小休"
#define REASON_MEAL "用餐"
#define REASON_TRAINING "培训"

typedef enum { SHIFT_OFF, SHIFT_DAY, SHIFT_NIGHT } ShiftKind;

/* Shift templates of the tender, in minutes after local midnight of the
 * shift's day. Nothing covers 17:30 (17:00 in winter) to 19:00: the tender's
 * templates leave that gap and the demo shows it. */
enum {
  DAY_START_MIN = 8 * 60,
  SUMMER_DAY_END_MIN = 17 * 60 + 30,
  WINTER_DAY_END_MIN = 17 * 60,
  NIGHT_START_MIN = 19 * 60,
  NIGHT_END_MIN = 32 * 60, /* 08:00 the next day */
};

/* An 8-day cycle per agent, each agent one day further along it, so every
 * day has one agent in each slot: 5 day, 1 night, 2 off on weekdays. On
 * weekends slot 6 works the night instead (4 day, 2 night). Both night slots
 * are followed by an off day. */
static const ShiftKind rota_cycle[8] = {
    SHIFT_DAY, SHIFT_DAY, SHIFT_NIGHT, SHIFT_OFF, SHIFT_DAY, SHIFT_DAY, SHIFT_DAY, SHIFT_OFF,
};
enum { WEEKEND_NIGHT_SLOT = 6 };

/* A break in a shift. Agents on the same shift are staggered by their rank
 * so that they do not all go for lunch together. */
typedef struct {
  const char *reason;
  int at_min;      /* minutes after local midnight of the shift's day */
  int stagger_min; /* times the agent's rank on the shift */
  int jitter_min;
  int min_len_min;
  int max_len_min;
  double probability;
} PausePlan;

static const PausePlan day_pauses[] = {
    {REASON_BREAK, 10 * 60 + 15, 12, 6, 10, 15, 1.0},
    {REASON_MEAL, 11 * 60 + 30, 20, 8, 30, 45, 1.0},
    {REASON_BREAK, 15 * 60, 12, 6, 10, 15, 1.0},
    {REASON_TRAINING, 16 * 60, 0, 10, 25, 40, 0.12},
};
static const PausePlan night_pauses[] = {
    {REASON_BREAK, 22 * 60 + 30, 25, 10, 10, 15, 1.0},
    {REASON_MEAL, 24 * 60 + 15, 50, 5, 30, 40, 1.0},
    {REASON_BREAK, 27 * 60 + 30, 25, 10, 10, 15, 1.0},
    {REASON_BREAK, 30 * 60, 25, 10, 10, 15, 0.5},
};
/* The lead is also the trainer: training sessions are hers to give. */
static const PausePlan lead_pauses[] = {
    {REASON_BREAK, 10 * 60 + 45, 0, 10, 10, 15, 1.0},
    {REASON_MEAL, 12 * 60 + 45, 0, 10, 30, 40, 1.0},
    {REASON_TRAINING, 14 * 60 + 30, 0, 30, 45, 90, 0.4},
};
#define MAX_PLANNED_PAUSES 4
G_STATIC_ASSERT(G_N_ELEMENTS(day_pauses) <= MAX_PLANNED_PAUSES);
G_STATIC_ASSERT(G_N_ELEMENTS(night_pauses) <= MAX_PLANNED_PAUSES);
G_STATIC_ASSERT(G_N_ELEMENTS(lead_pauses) <= MAX_PLANNED_PAUSES);

const WbSimAgent *
wb_sim_agents(gsize *n)
{
  if (n)
    *n = G_N_ELEMENTS(sim_agents);
  return sim_agents;
}

const WbSimQueue *
wb_sim_queues(gsize *n)
{
  if (n)
    *n = G_N_ELEMENTS(sim_queues);
  return sim_queues;
}

/* ---- random numbers: xoshiro256**, seeded by splitmix64 ------------------- */

typedef struct {
  guint64 s[4];
} Rng;

static guint64
splitmix64(guint64 *state)
{
  guint64 z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void
rng_seed(Rng *rng, guint64 seed)
{
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64(&seed);
}

static guint64
rotl(guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
rng_next(Rng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl(s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* Uniform in [0, 1). */
static double
rng_double(Rng *rng)
{
  return (double)(rng_next(rng) >> 11) * 0x1.0p-53;
}

/* Uniform in [lo, hi]; the modulo bias is far below what anyone could see. */
static int
rng_int(Rng *rng, int lo, int hi)
{
  return lo + (int)(rng_next(rng) % (guint64)(hi - lo + 1));
}

static gboolean
rng_chance(Rng *rng, double p)
{
  return rng_double(rng) < p;
}

static double
rng_exp(Rng *rng, double mean)
{
  return -mean * log1p(-rng_double(rng));
}

static double
rng_lognormal(Rng *rng, double mean, double sigma)
{
  double u1 = 1.0 - rng_double(rng); /* (0, 1]: log stays finite */
  double u2 = rng_double(rng);
  double normal = sqrt(-2.0 * log(u1)) * cos(2.0 * G_PI * u2);
  return exp(log(mean) - sigma * sigma / 2.0 + sigma * normal);
}

/* A number that depends only on the seed and the day, for what is decided
 * per day (the day's traffic level) without touching the event stream. */
static double
day_uniform(guint64 seed, guint julian)
{
  guint64 x = seed ^ ((guint64)julian * 0xd1b54a32d192ed03ULL);
  return (double)(splitmix64(&x) >> 11) * 0x1.0p-53;
}

/* ---- local calendar -------------------------------------------------------- */

gint64
wb_sim_floor_div(gint64 a, gint64 b)
{
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void
date_from_julian(GDate *date, guint julian)
{
  g_date_clear(date, 1);
  g_date_set_julian(date, julian);
}

/* Epoch seconds of a local wall-clock time `minutes` after midnight of
 * `date` (minutes may run into the next days). */
static gint64
local_epoch(GTimeZone *tz, const GDate *date, int minutes)
{
  GDate day = *date;
  g_date_add_days(&day, (guint)(minutes / 1440));
  minutes %= 1440;
  g_autoptr(GDateTime) dt = g_date_time_new(tz, g_date_get_year(&day), g_date_get_month(&day),
                                            g_date_get_day(&day), minutes / 60, minutes % 60, 0);
  return dt ? g_date_time_to_unix(dt) : 0;
}

static guint
local_julian(GTimeZone *tz, gint64 t_s)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t_s);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
  GDate date;
  g_date_clear(&date, 1);
  g_date_set_dmy(&date, (GDateDay)g_date_time_get_day_of_month(local),
                 (GDateMonth)g_date_time_get_month(local), (GDateYear)g_date_time_get_year(local));
  return g_date_get_julian(&date);
}

/* The rota: a pure function of seed and day. `slot` orders agents on the
 * same shift, for staggering breaks. */
static ShiftKind
rota_shift(guint64 seed, const GDate *date, int agent, guint *slot)
{
  GDateWeekday weekday = g_date_get_weekday(date);
  gboolean weekend = weekday >= G_DATE_SATURDAY;
  *slot = (guint)((g_date_get_julian(date) + (guint)agent + seed % 8) % 8);
  if (agent == LEAD)
    return weekend ? SHIFT_OFF : SHIFT_DAY;
  if (weekend && *slot == WEEKEND_NIGHT_SLOT)
    return SHIFT_NIGHT;
  return rota_cycle[*slot];
}

WbSimShift
wb_sim_rota(guint64 seed, const GDate *date, gsize agent)
{
  guint slot;
  if (agent >= G_N_ELEMENTS(sim_agents))
    return WB_SIM_OFF;
  switch (rota_shift(seed, date, (int)agent, &slot)) {
  case SHIFT_DAY: return WB_SIM_DAY;
  case SHIFT_NIGHT: return WB_SIM_NIGHT;
  default: return WB_SIM_OFF;
  }
}

/* ---- simulation state ------------------------------------------------------ */

typedef enum { CALL_WAITING, CALL_RINGING, CALL_TALKING, CALL_DONE } CallState;

typedef struct {
  char id[48];            /* caller channel uniqueid: the queue_log callid */
  char agent_channel[48]; /* uniqueid of the member channel last rung */
  char caller[16];
  guint64 serial; /* arrival order, to break ties between queues */
  int queue;
  int orig_pos;
  gint64 enter_s;
  gint64 ring_start_s;
  gint64 answer_s;
  int agent;        /* being rung or talking to, or -1 */
  guint ring_token; /* bumped when a ring ends, to void its RING_END */
  int refused_by;   /* did not answer; not rung again before refused_until_s */
  gint64 refused_until_s;
  CallState state;
  int refs; /* scheduled events that point here */
} Call;

typedef enum { AGENT_OFF, AGENT_IDLE, AGENT_RINGING, AGENT_TALKING, AGENT_PAUSED } AgentState;

typedef struct {
  const char *reason;
  int len_s;
} PlannedPause;

typedef struct {
  AgentState state;
  const char *pause_reason;
  gboolean in_wrapup;
  guint shift_no;    /* voids the events of an earlier shift */
  guint pause_token; /* voids the PAUSE_END of a pause ended early */
  gint64 shift_end_s;
  gint64 idle_since_s;
  int calls_today;
  int pending_pause; /* a break that fell due while busy, or -1 */
  gboolean pending_logout;
  PlannedPause plan[MAX_PLANNED_PAUSES];
} Agent;

typedef enum {
  EV_BOOT,
  EV_DAY,         /* local midnight: plan the day; token = julian day */
  EV_SHIFT_START, /* arg = ShiftKind, arg2 = rank, token = julian, t2 = end */
  EV_SHIFT_END,   /* token = shift_no */
  EV_PAUSE_DUE,   /* arg = plan index, token = shift_no */
  EV_PAUSE_END,   /* token = pause_token */
  EV_CHANNEL,     /* a caller's channel is created: the IVR before the queue */
  EV_ENTER,
  EV_PATIENCE,
  EV_TIMEOUT,
  EV_EMPTY_CHECK, /* leavewhenempty: nobody logged in */
  EV_RETRY,
  EV_RING_END, /* arg = answered, token = ring_token */
  EV_CALL_END,
} EventKind;

typedef struct {
  gint64 t;
  guint64 seq; /* scheduling order: ties at one second keep it */
  EventKind kind;
  int agent;
  int arg;
  int arg2;
  guint token;
  gint64 t2;
  Call *call; /* holds a reference */
} Event;

/* The day whose arrivals are being drawn. */
typedef struct {
  gint64 hour_s[25]; /* local hour boundaries */
  double rate_per_s[24];
} Day;

struct WbSimGen {
  GTimeZone *tz;
  guint64 seed;
  Rng rng;
  GArray *heap; /* of Event, a binary min-heap on (t, seq) */
  guint64 next_seq;
  gint64 now_s;
  Agent agents[G_N_ELEMENTS(sim_agents)];
  GQueue waiting[G_N_ELEMENTS(sim_queues)]; /* Call *; ringing calls stay in, as in app_queue */
  int logged_in[G_N_ELEMENTS(sim_queues)];
  guint64 channel_seq; /* the uniqueid counter, restarted by the boot */
  guint64 call_serial;
  Day day;
  double arrival_s;      /* exact time of the last arrival drawn */
  GArray *callers_today; /* guint64 numbers, for repeat callers */
  GString *line;
  WbSimEmitFunc emit;
  gpointer emit_data;
};
typedef struct WbSimGen Gen;

/* ---- event heap ------------------------------------------------------------ */

static gboolean
event_before(const Event *a, const Event *b)
{
  return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static void
schedule(Gen *gen, Event ev)
{
  GArray *heap = gen->heap;
  ev.seq = gen->next_seq++;
  if (ev.call)
    ev.call->refs++;
  g_array_append_val(heap, ev);
  Event *e = (Event *)heap->data;
  for (guint i = heap->len - 1; i > 0;) {
    guint parent = (i - 1) / 2;
    if (!event_before(&e[i], &e[parent]))
      break;
    Event tmp = e[i];
    e[i] = e[parent];
    e[parent] = tmp;
    i = parent;
  }
}

static Event
heap_pop(GArray *heap)
{
  Event *e = (Event *)heap->data;
  Event top = e[0];
  e[0] = e[heap->len - 1];
  g_array_set_size(heap, heap->len - 1);
  for (guint i = 0, n = heap->len;;) {
    guint left = 2 * i + 1, right = left + 1, least = i;
    if (left < n && event_before(&e[left], &e[least]))
      least = left;
    if (right < n && event_before(&e[right], &e[least]))
      least = right;
    if (least == i)
      break;
    Event tmp = e[i];
    e[i] = e[least];
    e[least] = tmp;
    i = least;
  }
  return top;
}

/* ---- lines ----------------------------------------------------------------- */

static void G_GNUC_PRINTF(6, 7) emit(Gen *gen, const char *callid, const char *queue,
                                     const char *agent, const char *event, const char *fmt, ...)
{
  va_list args;
  g_string_printf(gen->line, "%" G_GINT64_FORMAT "|%s|%s|%s|%s|", gen->now_s, callid, queue, agent,
                  event);
  va_start(args, fmt);
  g_string_append_vprintf(gen->line, fmt, args);
  va_end(args);
  g_string_append_c(gen->line, '\n');
  if (gen->emit)
    gen->emit(gen->now_s, gen->line->str, gen->line->len, gen->emit_data);
}

/* Membership and pause lines: one per queue, as app_queue writes them. */
static void
emit_member(Gen *gen, int agent, const char *callid, const char *event, const char *data)
{
  for (int q = 0; q < N_QUEUES; q++)
    emit(gen, callid, sim_queues[q].key, sim_agents[agent].key, event, "%s", data);
}

/* ---- agents ---------------------------------------------------------------- */

static void
agent_logout(Gen *gen, int a)
{
  Agent *agent = &gen->agents[a];
  emit_member(gen, a, "MANAGER", "REMOVEMEMBER", "");
  agent->state = AGENT_OFF;
  agent->pending_logout = FALSE;
  agent->pending_pause = -1;
  for (int q = 0; q < N_QUEUES; q++) {
    if (--gen->logged_in[q] > 0)
      continue;
    /* The last member left: app_queue notices on its next check. */
    for (GList *l = gen->waiting[q].head; l; l = l->next)
      schedule(gen, (Event){.t = gen->now_s + rng_int(&gen->rng, 1, 2),
                            .kind = EV_EMPTY_CHECK,
                            .call = l->data});
  }
}

static void
agent_pause(Gen *gen, int a, const char *reason, int len_s)
{
  Agent *agent = &gen->agents[a];
  emit_member(gen, a, "NONE", "PAUSE", reason);
  agent->state = AGENT_PAUSED;
  agent->pause_reason = reason;
  agent->in_wrapup = strcmp(reason, WB_SIM_WRAPUP_REASON) == 0;
  schedule(gen, (Event){.t = gen->now_s + len_s,
                        .kind = EV_PAUSE_END,
                        .agent = a,
                        .token = ++agent->pause_token});
}

/* Starts planned break i unless the shift is nearly over; FALSE if not. */
static gboolean
agent_take_break(Gen *gen, int a, int i)
{
  Agent *agent = &gen->agents[a];
  if (gen->now_s > agent->shift_end_s - LATEST_BREAK_S)
    return FALSE;
  agent_pause(gen, a, agent->plan[i].reason, agent->plan[i].len_s);
  return TRUE;
}

static gboolean
agent_can_take(const Gen *gen, int a, const Call *call)
{
  const Agent *agent = &gen->agents[a];
  return agent->state == AGENT_IDLE && !agent->pending_logout && agent->pending_pause < 0 &&
         !(call->refused_by == a && gen->now_s < call->refused_until_s);
}

/* app_queue's fewestcalls strategy, ties to the longest idle. */
static gboolean
agent_better(const Gen *gen, int a, int than)
{
  const Agent *x = &gen->agents[a], *y = &gen->agents[than];
  if (x->calls_today != y->calls_today)
    return x->calls_today < y->calls_today;
  return x->idle_since_s < y->idle_since_s;
}

/* The member to ring for a call, or -1. The lead has a higher penalty: she
 * is rung only when no agent is free and the queue is getting long. */
static int
pick_agent(const Gen *gen, const Call *call)
{
  int best = -1;
  for (int a = 0; a < LEAD; a++)
    if (agent_can_take(gen, a, call) && (best < 0 || agent_better(gen, a, best)))
      best = a;
  if (best < 0 && gen->waiting[call->queue].length >= LEAD_MIN_WAITING &&
      agent_can_take(gen, LEAD, call))
    best = LEAD;
  return best;
}

/* ---- calls ----------------------------------------------------------------- */

static void
call_ring(Gen *gen, Call *call, int a)
{
  gboolean answers = !rng_chance(&gen->rng, NO_ANSWER_P);
  int ring_s = answers ? rng_int(&gen->rng, 2, 8) : RING_TIMEOUT_S;
  g_snprintf(call->agent_channel, sizeof call->agent_channel,
             "%" G_GINT64_FORMAT ".%" G_GUINT64_FORMAT, gen->now_s, ++gen->channel_seq);
  call->state = CALL_RINGING;
  call->agent = a;
  call->ring_start_s = gen->now_s;
  gen->agents[a].state = AGENT_RINGING;
  schedule(gen, (Event){.t = gen->now_s + ring_s,
                        .kind = EV_RING_END,
                        .call = call,
                        .arg = answers,
                        .token = call->ring_token});
}

/* Rings free members for waiting callers, first come first served: in each
 * queue the first caller someone can take, and across queues the one that
 * arrived first. */
static void
dispatch(Gen *gen)
{
  for (;;) {
    Call *best = NULL;
    int best_agent = -1;
    for (int q = 0; q < N_QUEUES; q++) {
      for (GList *l = gen->waiting[q].head; l; l = l->next) {
        Call *call = l->data;
        int a = call->state == CALL_WAITING ? pick_agent(gen, call) : -1;
        if (a < 0)
          continue;
        if (!best || call->serial < best->serial) {
          best = call;
          best_agent = a;
        }
        break;
      }
    }
    if (!best)
      return;
    call_ring(gen, best, best_agent);
  }
}

/* An agent is free again: after a ring, a call, or a pause. */
static void
agent_free(Gen *gen, int a)
{
  Agent *agent = &gen->agents[a];
  agent->state = AGENT_IDLE;
  agent->in_wrapup = FALSE;
  agent->idle_since_s = gen->now_s;
  if (agent->pending_logout) {
    agent_logout(gen, a);
    return;
  }
  if (agent->pending_pause >= 0) {
    int i = agent->pending_pause;
    agent->pending_pause = -1;
    if (agent_take_break(gen, a, i))
      return;
  }
  dispatch(gen);
}

/* The caller leaves without an agent: ABANDON, EXITEMPTY or EXITWITHTIMEOUT. */
static void
call_leave(Gen *gen, Call *call, const char *event)
{
  GQueue *queue = &gen->waiting[call->queue];
  int position = g_queue_index(queue, call) + 1;
  int ringing = call->state == CALL_RINGING ? call->agent : -1;
  emit(gen, call->id, sim_queues[call->queue].key, "NONE", event, "%d|%d|%" G_GINT64_FORMAT,
       position, call->orig_pos, gen->now_s - call->enter_s);
  g_queue_remove(queue, call);
  call->state = CALL_DONE;
  call->ring_token++;
  if (ringing >= 0)
    agent_free(gen, ringing);
}

static void
call_answered(Gen *gen, Call *call)
{
  int a = call->agent;
  emit(gen, call->id, sim_queues[call->queue].key, sim_agents[a].key, "CONNECT",
       "%" G_GINT64_FORMAT "|%s|%" G_GINT64_FORMAT, gen->now_s - call->enter_s, call->agent_channel,
       gen->now_s - call->ring_start_s);
  g_queue_remove(&gen->waiting[call->queue], call);
  call->state = CALL_TALKING;
  call->answer_s = gen->now_s;
  gen->agents[a].state = AGENT_TALKING;
  double talk = rng_lognormal(&gen->rng, TALK_MEAN_S, TALK_SIGMA);
  talk = CLAMP(talk, MIN_TALK_S, MAX_TALK_S);
  schedule(gen, (Event){.t = gen->now_s + (gint64)talk, .kind = EV_CALL_END, .call = call});
}

static void
call_not_answered(Gen *gen, Call *call)
{
  int a = call->agent;
  emit(gen, call->id, sim_queues[call->queue].key, sim_agents[a].key, "RINGNOANSWER",
       "%" G_GINT64_FORMAT, (gen->now_s - call->ring_start_s) * 1000);
  call->state = CALL_WAITING;
  call->agent = -1;
  call->refused_by = a;
  call->refused_until_s = gen->now_s + RETRY_S;
  schedule(gen, (Event){.t = call->refused_until_s, .kind = EV_RETRY, .call = call});
  agent_free(gen, a);
}

static void
call_end(Gen *gen, Call *call)
{
  int a = call->agent;
  const char *queue = sim_queues[call->queue].key, *agent = sim_agents[a].key;
  gint64 hold = call->answer_s - call->enter_s, talk = gen->now_s - call->answer_s;
  if (rng_chance(&gen->rng, TRANSFER_P)) {
    const char *exten = transfer_extens[rng_int(&gen->rng, 0, G_N_ELEMENTS(transfer_extens) - 1)];
    emit(gen, call->id, queue, agent, "BLINDTRANSFER",
         "%s|%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%d", exten, TRANSFER_CONTEXT, hold, talk,
         call->orig_pos);
  } else {
    const char *event =
        rng_chance(&gen->rng, CALLER_HANGS_UP_P) ? "COMPLETECALLER" : "COMPLETEAGENT";
    emit(gen, call->id, queue, agent, event, "%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%d", hold,
         talk, call->orig_pos);
  }
  call->state = CALL_DONE;
  gen->agents[a].calls_today++;
  if (rng_chance(&gen->rng, WRAPUP_P))
    agent_pause(gen, a, WB_SIM_WRAPUP_REASON, rng_int(&gen->rng, MIN_WRAPUP_S, MAX_WRAPUP_S));
  else
    agent_free(gen, a);
}

static void
caller_number(Gen *gen, char *out, gsize size)
{
  GArray *seen = gen->callers_today;
  guint64 number;
  if (seen->len > 0 && rng_chance(&gen->rng, REPEAT_CALLER_P)) {
    number = g_array_index(seen, guint64, rng_int(&gen->rng, 0, (int)seen->len - 1));
  } else {
    guint16 prefix = mobile_prefixes[rng_int(&gen->rng, 0, G_N_ELEMENTS(mobile_prefixes) - 1)];
    number = prefix * G_GUINT64_CONSTANT(100000000) + (guint64)rng_int(&gen->rng, 0, 99999999);
    g_array_append_val(seen, number);
  }
  g_snprintf(out, size, "%" G_GUINT64_FORMAT, number);
}

/* ---- arrivals -------------------------------------------------------------- */

static void
day_init(Gen *gen, const GDate *date)
{
  Day *day = &gen->day;
  guint julian = g_date_get_julian(date);
  double factor =
      weekday_factor[g_date_get_weekday(date)] * (0.92 + 0.16 * day_uniform(gen->seed, julian));
  for (int h = 0; h <= 24; h++) {
    day->hour_s[h] = local_epoch(gen->tz, date, h * 60);
    /* a time-zone change must not make an hour run backwards */
    if (h > 0 && day->hour_s[h] < day->hour_s[h - 1])
      day->hour_s[h] = day->hour_s[h - 1];
  }
  for (int h = 0; h < 24; h++)
    day->rate_per_s[h] = calls_per_hour[h] * factor / 3600.0;
}

/* Next arrival of the piecewise-constant Poisson process after `from`, by
 * spending a unit exponential of hazard across the day's hours; FALSE when
 * the day ends first (the next day starts a fresh draw: memoryless). */
static gboolean
day_next_arrival(const Day *day, double from, double hazard, double *out)
{
  for (int h = 0; h < 24; h++) {
    double lo = MAX(from, (double)day->hour_s[h]), hi = (double)day->hour_s[h + 1];
    if (hi <= lo || day->rate_per_s[h] <= 0)
      continue;
    double mass = day->rate_per_s[h] * (hi - lo);
    if (hazard < mass) {
      *out = lo + hazard / day->rate_per_s[h];
      return TRUE;
    }
    hazard -= mass;
  }
  return FALSE;
}

static void
schedule_next_arrival(Gen *gen)
{
  double next;
  if (!day_next_arrival(&gen->day, gen->arrival_s, rng_exp(&gen->rng, 1.0), &next))
    return;
  gen->arrival_s = next;
  schedule(gen, (Event){.t = (gint64)floor(next), .kind = EV_CHANNEL});
}

/* ---- planning -------------------------------------------------------------- */

static void
plan_shifts(Gen *gen, guint julian, gint64 from_s)
{
  GDate date;
  date_from_julian(&date, julian);
  GDateMonth month = g_date_get_month(&date);
  gboolean summer = month >= G_DATE_MAY && month <= G_DATE_SEPTEMBER;
  ShiftKind kind[G_N_ELEMENTS(sim_agents)];
  guint slot[G_N_ELEMENTS(sim_agents)];
  for (int a = 0; a < N_AGENTS; a++)
    kind[a] = rota_shift(gen->seed, &date, a, &slot[a]);
  for (int a = 0; a < N_AGENTS; a++) {
    if (kind[a] == SHIFT_OFF)
      continue;
    int rank = 0;
    for (int b = 0; b < LEAD; b++)
      rank += b != a && kind[b] == kind[a] && slot[b] < slot[a];
    gboolean day_shift = kind[a] == SHIFT_DAY;
    int end_min = !day_shift ? NIGHT_END_MIN : summer ? SUMMER_DAY_END_MIN : WINTER_DAY_END_MIN;
    gint64 start = local_epoch(gen->tz, &date, day_shift ? DAY_START_MIN : NIGHT_START_MIN);
    gint64 end = local_epoch(gen->tz, &date, end_min);
    if (end <= from_s)
      continue;
    schedule(gen, (Event){.t = MAX(start, from_s),
                          .kind = EV_SHIFT_START,
                          .agent = a,
                          .arg = kind[a],
                          .arg2 = rank,
                          .token = julian,
                          .t2 = end});
  }
}

static const PausePlan *
pause_plan(int a, ShiftKind kind, gsize *n)
{
  if (a == LEAD) {
    *n = G_N_ELEMENTS(lead_pauses);
    return lead_pauses;
  }
  if (kind == SHIFT_DAY) {
    *n = G_N_ELEMENTS(day_pauses);
    return day_pauses;
  }
  *n = G_N_ELEMENTS(night_pauses);
  return night_pauses;
}

static void
plan_pauses(Gen *gen, int a, ShiftKind kind, guint julian, int rank)
{
  Agent *agent = &gen->agents[a];
  gsize n;
  const PausePlan *plan = pause_plan(a, kind, &n);
  GDate date;
  date_from_julian(&date, julian);
  for (gsize i = 0; i < n; i++) {
    const PausePlan *p = &plan[i];
    gboolean wanted = rng_chance(&gen->rng, p->probability);
    int at = p->at_min + rank * p->stagger_min + rng_int(&gen->rng, 0, p->jitter_min);
    int len_s = rng_int(&gen->rng, p->min_len_min * 60, p->max_len_min * 60);
    gint64 due = local_epoch(gen->tz, &date, at);
    if (!wanted || due < gen->now_s || due > agent->shift_end_s - LATEST_BREAK_S)
      continue;
    agent->plan[i] = (PlannedPause){p->reason, len_s};
    schedule(
        gen,
        (Event){
            .t = due, .kind = EV_PAUSE_DUE, .agent = a, .arg = (int)i, .token = agent->shift_no});
  }
}

static void
start_day(Gen *gen, guint julian)
{
  GDate date;
  date_from_julian(&date, julian);
  day_init(gen, &date);
  for (int a = 0; a < N_AGENTS; a++)
    gen->agents[a].calls_today = 0;
  g_array_set_size(gen->callers_today, 0);
  plan_shifts(gen, julian, gen->now_s);
  gen->arrival_s = (double)gen->now_s;
  schedule_next_arrival(gen);
  schedule(gen, (Event){.t = gen->day.hour_s[24], .kind = EV_DAY, .token = julian + 1});
}

/* ---- event handlers -------------------------------------------------------- */

static void
on_boot(Gen *gen)
{
  emit(gen, "NONE", "NONE", "NONE", "QUEUESTART", "%s", "");
  guint julian = local_julian(gen->tz, gen->now_s);
  /* whoever started the night shift yesterday evening is still on */
  plan_shifts(gen, julian - 1, gen->now_s);
  start_day(gen, julian);
}

static void
on_shift_start(Gen *gen, const Event *ev)
{
  Agent *agent = &gen->agents[ev->agent];
  /* The rota leaves at least 90 minutes between shifts, more than any call
   * lasts, so the agent has always logged out by now. */
  if (agent->state != AGENT_OFF)
    return;
  agent->state = AGENT_IDLE;
  agent->shift_no++;
  agent->shift_end_s = ev->t2;
  agent->idle_since_s = gen->now_s;
  agent->pending_pause = -1;
  agent->pending_logout = FALSE;
  emit_member(gen, ev->agent, "MANAGER", "ADDMEMBER", "");
  for (int q = 0; q < N_QUEUES; q++)
    gen->logged_in[q]++;
  plan_pauses(gen, ev->agent, (ShiftKind)ev->arg, ev->token, ev->arg2);
  schedule(
      gen,
      (Event){.t = ev->t2, .kind = EV_SHIFT_END, .agent = ev->agent, .token = agent->shift_no});
  dispatch(gen);
}

static void
on_shift_end(Gen *gen, const Event *ev)
{
  Agent *agent = &gen->agents[ev->agent];
  if (agent->shift_no != ev->token || agent->state == AGENT_OFF)
    return;
  agent->pending_pause = -1;
  if (agent->state == AGENT_IDLE) {
    agent_logout(gen, ev->agent);
  } else if (agent->state == AGENT_PAUSED && !agent->in_wrapup) {
    /* back from the break to log off; its PAUSE_END is void */
    emit_member(gen, ev->agent, "NONE", "UNPAUSE", agent->pause_reason);
    agent->pause_token++;
    agent_logout(gen, ev->agent);
  } else {
    agent->pending_logout = TRUE; /* after the call and its wrap-up */
  }
}

static void
on_pause_due(Gen *gen, const Event *ev)
{
  Agent *agent = &gen->agents[ev->agent];
  if (agent->shift_no != ev->token || agent->state == AGENT_OFF || agent->pending_logout)
    return;
  if (agent->state == AGENT_IDLE)
    agent_take_break(gen, ev->agent, ev->arg);
  else
    agent->pending_pause = ev->arg;
}

static void
on_pause_end(Gen *gen, const Event *ev)
{
  Agent *agent = &gen->agents[ev->agent];
  if (agent->pause_token != ev->token || agent->state != AGENT_PAUSED)
    return;
  emit_member(gen, ev->agent, "NONE", "UNPAUSE", agent->pause_reason);
  agent_free(gen, ev->agent);
}

static void
on_channel(Gen *gen)
{
  Call *call = g_new0(Call, 1);
  call->serial = ++gen->call_serial;
  call->queue = rng_chance(&gen->rng, POLICY_SHARE) ? 0 : 1;
  call->agent = -1;
  call->refused_by = -1;
  /* other channels (IVR-only calls, outbound, member legs) take numbers too */
  gen->channel_seq += (guint64)rng_int(&gen->rng, 1, 3);
  g_snprintf(call->id, sizeof call->id, "%" G_GINT64_FORMAT ".%" G_GUINT64_FORMAT, gen->now_s,
             gen->channel_seq);
  caller_number(gen, call->caller, sizeof call->caller);
  schedule(gen,
           (Event){.t = gen->now_s + rng_int(&gen->rng, 3, 8), .kind = EV_ENTER, .call = call});
  schedule_next_arrival(gen);
}

static void
on_enter(Gen *gen, Call *call)
{
  int q = call->queue;
  call->enter_s = gen->now_s;
  g_queue_push_tail(&gen->waiting[q], call);
  call->orig_pos = (int)g_queue_get_length(&gen->waiting[q]);
  emit(gen, call->id, sim_queues[q].key, "NONE", "ENTERQUEUE", "|%s|%d", call->caller,
       call->orig_pos);
  gint64 patience = rng_chance(&gen->rng, IMPATIENT_P)
                        ? rng_int(&gen->rng, 1, MAX_IMPATIENT_S)
                        : (gint64)ceil(rng_lognormal(&gen->rng, PATIENCE_MEAN_S, PATIENCE_SIGMA));
  if (patience < QUEUE_TIMEOUT_S)
    schedule(gen, (Event){.t = gen->now_s + patience, .kind = EV_PATIENCE, .call = call});
  else
    schedule(gen, (Event){.t = gen->now_s + QUEUE_TIMEOUT_S, .kind = EV_TIMEOUT, .call = call});
  /* app_queue checks leavewhenempty as soon as the caller is first in
   * line, so with nobody logged in the caller leaves at once */
  if (gen->logged_in[q] == 0)
    schedule(gen, (Event){.t = gen->now_s, .kind = EV_EMPTY_CHECK, .call = call});
  dispatch(gen);
}

static void
on_ring_end(Gen *gen, const Event *ev)
{
  Call *call = ev->call;
  if (call->state != CALL_RINGING || call->ring_token != ev->token)
    return;
  call->ring_token++;
  if (ev->arg)
    call_answered(gen, call);
  else
    call_not_answered(gen, call);
}

static void
process(Gen *gen, const Event *ev)
{
  Call *call = ev->call;
  gboolean in_queue = call && (call->state == CALL_WAITING || call->state == CALL_RINGING);
  switch (ev->kind) {
  case EV_BOOT: on_boot(gen); break;
  case EV_DAY: start_day(gen, ev->token); break;
  case EV_SHIFT_START: on_shift_start(gen, ev); break;
  case EV_SHIFT_END: on_shift_end(gen, ev); break;
  case EV_PAUSE_DUE: on_pause_due(gen, ev); break;
  case EV_PAUSE_END: on_pause_end(gen, ev); break;
  case EV_CHANNEL: on_channel(gen); break;
  case EV_ENTER: on_enter(gen, call); break;
  case EV_PATIENCE:
    if (in_queue)
      call_leave(gen, call, "ABANDON");
    break;
  case EV_TIMEOUT:
    if (in_queue)
      call_leave(gen, call, "EXITWITHTIMEOUT");
    break;
  case EV_EMPTY_CHECK:
    if (call->state == CALL_WAITING && gen->logged_in[call->queue] == 0)
      call_leave(gen, call, "EXITEMPTY");
    break;
  case EV_RETRY: dispatch(gen); break;
  case EV_RING_END: on_ring_end(gen, ev); break;
  case EV_CALL_END: call_end(gen, call); break;
  }
}

/* ---- the generator --------------------------------------------------------- */

void
wb_sim_gen_free(Gen *gen)
{
  if (!gen)
    return;
  while (gen->heap->len > 0) {
    Event ev = heap_pop(gen->heap);
    if (ev.call && --ev.call->refs == 0)
      g_free(ev.call);
  }
  for (int q = 0; q < N_QUEUES; q++)
    g_queue_clear(&gen->waiting[q]);
  g_array_unref(gen->heap);
  g_array_unref(gen->callers_today);
  g_string_free(gen->line, TRUE);
  g_time_zone_unref(gen->tz);
  g_free(gen);
}

Gen *
wb_sim_gen_new(guint64 seed, GTimeZone *tz, gint64 origin_s)
{
  Gen *gen = g_new0(Gen, 1);
  gen->tz = g_time_zone_ref(tz);
  gen->seed = seed;
  rng_seed(&gen->rng, seed);
  gen->heap = g_array_new(FALSE, FALSE, sizeof(Event));
  gen->now_s = origin_s;
  gen->callers_today = g_array_new(FALSE, FALSE, sizeof(guint64));
  gen->line = g_string_sized_new(256);
  for (int q = 0; q < N_QUEUES; q++)
    g_queue_init(&gen->waiting[q]);
  for (int a = 0; a < N_AGENTS; a++)
    gen->agents[a].pending_pause = -1;
  schedule(gen, (Event){.t = origin_s, .kind = EV_BOOT});
  return gen;
}

/* Processes every event before limit_s, handing each line to emit. */
void
wb_sim_gen_run_until(Gen *gen, gint64 limit_s, WbSimEmitFunc emit_func, gpointer user_data)
{
  gen->emit = emit_func;
  gen->emit_data = user_data;
  while (gen->heap->len > 0 && g_array_index(gen->heap, Event, 0).t < limit_s) {
    Event ev = heap_pop(gen->heap);
    gen->now_s = ev.t;
    process(gen, &ev);
    if (ev.call && --ev.call->refs == 0 && ev.call->state == CALL_DONE)
      g_free(ev.call);
  }
  gen->emit = NULL;
  gen->emit_data = NULL;
}

typedef struct {
  gint64 from_ms;
  WbSimLineFunc func;
  gpointer user_data;
} GenerateWindow;

static void
generate_window(gint64 ts_s, const char *line, gsize len, gpointer data)
{
  GenerateWindow *window = data;
  if (ts_s * 1000 >= window->from_ms)
    window->func(line, len, window->user_data);
}

void
wb_sim_generate(guint64 seed, GTimeZone *tz, gint64 origin_ms, gint64 from_ms, gint64 to_ms,
                WbSimLineFunc func, gpointer user_data)
{
  g_return_if_fail(tz != NULL && func != NULL);
  GenerateWindow window = {from_ms, func, user_data};
  g_autoptr(WbSimGen) gen = wb_sim_gen_new(seed, tz, wb_sim_floor_div(origin_ms, 1000));
  /* a line at second s has ts s * 1000, inside the window when below to_ms */
  wb_sim_gen_run_until(gen, -wb_sim_floor_div(-to_ms, 1000), generate_window, &window);
}

gint64
wb_sim_local_midnight_ms(GTimeZone *tz, gint64 t_ms)
{
  GDate date;
  date_from_julian(&date, local_julian(tz, wb_sim_floor_div(t_ms, 1000)));
  return local_epoch(tz, &date, 0) * 1000;
}
