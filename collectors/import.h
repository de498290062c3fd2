/* import.h: the floor's record files as events (docs/import-templates/).
 *
 * A file is a spreadsheet saved as CSV (UTF-8 with or without BOM, GBK/
 * GB18030 from Chinese Excel, or Excel's UTF-16 "Unicode text"; comma,
 * TAB or semicolon separated) whose header names the columns by the event
 * fields of engine/event_fields.c, in English or Chinese; or, for punches,
 * a ZKTeco terminal's attlog.dat. Each row becomes one or more events with
 * source "import:KIND" and a source_pos that hashes the event's type, time
 * and fields: importing a file again stores nothing new, and an edited row
 * is a new event that wins in the tables by being newer.
 *
 * Rows that cannot be events are rejected one by one (named by their
 * spreadsheet row, the header being row 1) and quarantined; the good ones
 * go to the sink. A file that cannot be read or decoded, or whose header
 * lacks a required column, is an error for the whole file and sends
 * nothing.
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"

G_BEGIN_DECLS

#define WB_IMPORT_ERROR (wb_import_error_quark())
GQuark wb_import_error_quark(void);
typedef enum {
  WB_IMPORT_ERROR_READ,     /* cannot be read, or too large */
  WB_IMPORT_ERROR_ENCODING, /* not text in an encoding we know */
  WB_IMPORT_ERROR_COLUMNS,  /* no header, a required column missing, … */
} WbImportError;

/* Files larger than this are refused: split them. */
#define WB_IMPORT_MAX_BYTES (64 * 1024 * 1024)

typedef enum {
  WB_IMPORT_STAFF = 0,       /* staff.record */
  WB_IMPORT_ROSTER,          /* roster.shift, long or grid layout */
  WB_IMPORT_PUNCHES,         /* staff.punch, CSV or ZKTeco attlog.dat */
  WB_IMPORT_TRAINING,        /* training.record */
  WB_IMPORT_EXAMS,           /* exam.record */
  WB_IMPORT_QA,              /* qa.score */
  WB_IMPORT_WORKORDERS,      /* workorder.open / .update / .close */
  WB_IMPORT_CLASSIFICATIONS, /* call.classify */
  WB_IMPORT_KIND_COUNT
} WbImportKind;

/* "staff", "roster", …: the KIND of `wallboardctl import KIND`. */
const char *wb_import_kind_name(WbImportKind kind);
gboolean wb_import_kind_from_name(const char *name, WbImportKind *out);

/* A shift template ([shift.CODE] in the configuration): what a roster's
 * code means. */
typedef struct {
  const char *code;
  const char *label; /* may be NULL; a grid cell may name it instead of code */
  const char *role;  /* may be NULL */
  gint start_min;    /* minutes after local midnight, 0..1439 */
  gint end_min;      /* 0..1440; at or before start_min: the next day */
} WbImportShift;

/* A template's hours on a day, where they depend on the date (seasons):
 * minutes after the day's local midnight, an end at or before the start
 * being on the next day. */
typedef void (*WbImportShiftHours)(const WbImportShift *shift, int year, int month, int day,
                                   gint *start_min, gint *end_min, gpointer user_data);

/* The shifts already stored for agent that start in [from_ms, to_ms) and
 * are not newer than as_of_ms: gint64 pairs (start, end) appended to out.
 * FALSE if the store could not say (then nothing is cancelled). */
typedef gboolean (*WbImportStoredShifts)(const char *agent, gint64 from_ms, gint64 to_ms,
                                         gint64 as_of_ms, GArray *out, gpointer user_data);

typedef struct {
  WbSink *sink;       /* events, and the rejected rows to quarantine */
  WbAgentMap *agents; /* staff numbers and PINs to agent keys; may be NULL */
  GTimeZone *tz;      /* of times written without an offset */
  const WbImportShift *shifts;
  guint n_shifts;
  /* NULL: a template's start_min and end_min, whatever the date. */
  WbImportShiftHours shift_hours;
  gpointer shift_hours_data;
  /* A roster file is the plan of each person on each day it covers (a
   * grid's rest cell included): a stored shift of such a day that the file
   * no longer has is cancelled. NULL: shifts are only added or changed. */
  WbImportStoredShifts stored_shifts;
  gpointer stored_shifts_data;
} WbImportOptions;

typedef struct {
  guint row; /* spreadsheet row (the header is row 1); line of an attlog.dat */
  char *reason;
} WbImportRejected;

typedef struct {
  char *format;       /* how the file was read: "CSV, GB18030, comma-separated" */
  guint rows;         /* data rows, blank ones not counted */
  guint events;       /* events the good rows gave */
  guint stored;       /* events the sink took as new */
  guint already;      /* events the sink already had */
  guint repeated;     /* events identical to an earlier one of the same file */
  guint cancelled;    /* stored shifts of the file's days that it no longer has */
  GArray *rejected;   /* WbImportRejected, in row order */
  GPtrArray *ignored; /* headers of the columns that mean nothing here */
} WbImportResult;

void wb_import_result_init(WbImportResult *r);
void wb_import_result_clear(WbImportResult *r);

/* Reads path; events without a time column are stamped with the file's
 * modification time (when it was exported). */
gboolean wb_import_file(WbImportKind kind, const char *path, const WbImportOptions *opts,
                        WbImportResult *out, GError **error);
/* The same from memory; name is what quarantine records as the file. */
gboolean wb_import_bytes(WbImportKind kind, const char *name, const void *data, gsize len,
                         gint64 file_ms, const WbImportOptions *opts, WbImportResult *out,
                         GError **error);

G_END_DECLS
