/* report_svg.c: the charts of the HTML report as inline SVG
 * (report_html_private.h): heat maps drawn as grids with a colour scale
 * legend, and horizontal bars. Sizes are SVG user units (screen pixels);
 * the viewBox lets the print styles scale a chart to the page. No
 * gradients or patterns: they would need url() references, and every
 * colour is a plain fill. */
#define G_LOG_DOMAIN "wb-report"

#include "engine/report/report_html_private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* One character of a label: a CJK glyph at the charts' 11 px type, an
 * upper bound for Latin letters and digits. */
#define CHAR_PX 12
#define LABEL_MAX_CHARS 14
#define HEAT_WIDTH 740 /* the grid's width to aim at */
#define HEAT_ROW_PX 22
#define LEGEND_STEPS 6
#define BAR_MAX_PX 460
#define BAR_ROW_PX 24

typedef struct {
  double r, g, b;
} Rgb;

/* Sequential blues, light for few calls and dark for many (ColorBrewer
 * "Blues"), readable in grey print too: lightness falls with the value. */
static const Rgb ramp[] = {
    {247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};

static void
append_colour(GString *out, double f)
{
  f = CLAMP(f, 0.0, 1.0) * (double)(G_N_ELEMENTS(ramp) - 1);
  guint i = MIN((guint)f, (guint)G_N_ELEMENTS(ramp) - 2);
  double u = f - (double)i;
  const Rgb *a = &ramp[i], *b = &ramp[i + 1];
  g_string_append_printf(out, "#%02x%02x%02x", (unsigned)lround(a->r + (b->r - a->r) * u),
                         (unsigned)lround(a->g + (b->g - a->g) * u),
                         (unsigned)lround(a->b + (b->b - a->b) * u));
}

static gboolean
cell_value(const WbReportTable *t, guint row, guint col, double *v)
{
  const WbReportCell *c = wb_report_table_cell(t, row, col);
  if (c->type == WB_REPORT_CELL_INT)
    *v = (double)c->i;
  else if (c->type == WB_REPORT_CELL_REAL && isfinite(c->d))
    *v = c->d;
  else
    return FALSE;
  return TRUE;
}

/* A row's label as drawn: shortened past LABEL_MAX_CHARS (the tooltip and
 * the table below hold it whole). */
static char *
short_label(const char *s)
{
  if (g_utf8_strlen(s, -1) <= LABEL_MAX_CHARS)
    return g_strdup(s);
  g_autofree char *head = g_utf8_substring(s, 0, LABEL_MAX_CHARS - 1);
  return g_strconcat(head, "…", NULL);
}

static char *
row_label(const WbReportTable *t, guint row)
{
  return wb_report_html_cell_text(t, row, 0);
}

static int
label_width(const WbReportTable *t)
{
  glong chars = 2;
  for (guint r = 0; r < wb_report_table_rows(t); r++) {
    g_autofree char *label = row_label(t, r);
    chars = MAX(chars, MIN(g_utf8_strlen(label, -1), LABEL_MAX_CHARS));
  }
  return (int)chars * CHAR_PX + 10;
}

/* An axis label short enough for a cell: the hour of "h09", the day of
 * "2026-11-05", else the column's Chinese label. */
static char *
axis_label(const WbReportTable *t, guint col)
{
  const char *name = t->column_names[col];
  int a = 0, b = 0, c = 0;
  char tail = 0;
  if (sscanf(name, "h%2d%c", &a, &tail) == 1)
    return g_strdup_printf("%d", a);
  if (sscanf(name, "%4d-%2d-%2d%c", &a, &b, &c, &tail) == 3)
    return g_strdup_printf("%d", c);
  return g_strdup(t->column_labels_zh[col]);
}

/* The month of a column named by its date (heat_category_day), or 0. */
static int
column_month(const WbReportTable *t, guint col)
{
  int y = 0, m = 0, d = 0;
  char tail = 0;
  return sscanf(t->column_names[col], "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 ? m : 0;
}

/* The columns drawn: every number column but the first and the total. */
static GArray *
heat_columns(const WbReportTable *t)
{
  GArray *cols = g_array_new(FALSE, FALSE, sizeof(guint));
  for (guint c = 1; c < t->n_columns; c++) {
    if (strcmp(t->column_names[c], "total") == 0 ||
        wb_report_table_cell(t, 0, c)->type == WB_REPORT_CELL_TEXT)
      continue;
    g_array_append_val(cols, c);
  }
  return cols;
}

typedef struct {
  const WbReportTable *t;
  GArray *cols;
  double max;
  int label_w, cell_w, top;
} Heat;

static void
heat_cell(GString *out, const Heat *h, guint row, guint i)
{
  guint col = g_array_index(h->cols, guint, i);
  double v = 0;
  gboolean has = cell_value(h->t, row, col, &v);
  double f = has && h->max > 0 ? v / h->max : 0;
  int x = h->label_w + (int)i * h->cell_w, y = h->top + (int)row * HEAT_ROW_PX;
  g_autofree char *label = row_label(h->t, row);
  g_autofree char *text = wb_report_html_cell_text(h->t, row, col);
  g_autofree char *raw = wb_report_html_cell_raw(h->t, row, col);
  g_string_append_printf(out,
                         "<rect class=\"cell%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                         "fill=\"",
                         has ? "" : " none", x, y, h->cell_w - 1, HEAT_ROW_PX - 1);
  if (has)
    append_colour(out, f);
  else
    g_string_append(out, "#e4e7eb");
  g_string_append(out, "\" data-row=\"");
  wb_report_html_escape(out, label);
  g_string_append(out, "\" data-column=\"");
  wb_report_html_escape(out, h->t->column_names[col]);
  g_string_append_printf(out, "\" data-value=\"%s\"><title>", raw);
  wb_report_html_escape(out, label);
  g_string_append_c(out, ' ');
  wb_report_html_escape(out, h->t->column_labels_zh[col]);
  g_string_append(out, "：");
  wb_report_html_escape(out, text);
  g_string_append(out, "</title></rect>\n");
  /* The number in the cell where it fits, so that print needs no colour. */
  if (has && (int)strlen(text) * 6 + 2 <= h->cell_w) {
    g_string_append_printf(out, "<text class=\"v\" x=\"%d\" y=\"%d\" pointer-events=\"none\"%s>",
                           x + h->cell_w / 2, y + HEAT_ROW_PX / 2 + 4,
                           f > 0.55 ? " fill=\"#ffffff\""
                           : v == 0 ? " fill=\"#9aa5b1\""
                                    : "");
    wb_report_html_escape(out, text);
    g_string_append(out, "</text>\n");
  }
}

/* Above the days, the month where it starts: a quarter or a year of days
 * numbered 1 to 31 again and again needs it. */
static void
heat_months(GString *out, const Heat *h)
{
  int previous = 0;
  g_string_append(out, "<g class=\"months\" fill=\"#1f2933\">\n");
  for (guint i = 0; i < h->cols->len; i++) {
    int month = column_month(h->t, g_array_index(h->cols, guint, i));
    if (month != 0 && month != previous)
      g_string_append_printf(out, "<text x=\"%d\" y=\"%d\">%d月</text>\n",
                             h->label_w + (int)i * h->cell_w, h->top - 20, month);
    previous = month;
  }
  g_string_append(out, "</g>\n");
}

static void
heat_axes(GString *out, const Heat *h)
{
  heat_months(out, h);
  g_string_append(out, "<g class=\"axis\" text-anchor=\"middle\" fill=\"#52606d\">\n");
  for (guint i = 0; i < h->cols->len; i++) {
    g_autofree char *label = axis_label(h->t, g_array_index(h->cols, guint, i));
    g_string_append_printf(out, "<text x=\"%d\" y=\"%d\">",
                           h->label_w + (int)i * h->cell_w + h->cell_w / 2, h->top - 6);
    wb_report_html_escape(out, label);
    g_string_append(out, "</text>\n");
  }
  g_string_append(out, "</g>\n<g class=\"rows\" text-anchor=\"end\">\n");
  for (guint r = 0; r < wb_report_table_rows(h->t); r++) {
    g_autofree char *label = row_label(h->t, r);
    g_autofree char *shown = short_label(label);
    g_string_append_printf(out, "<text x=\"%d\" y=\"%d\">", h->label_w - 6,
                           h->top + (int)r * HEAT_ROW_PX + HEAT_ROW_PX / 2 + 4);
    wb_report_html_escape(out, shown);
    g_string_append(out, "</text>\n");
  }
  g_string_append(out, "</g>\n");
}

/* Swatches at even steps from 0 to the largest value, labelled; for whole
 * numbers no more steps than values, so that no two labels are equal. */
static void
heat_legend(GString *out, const Heat *h, int y)
{
  gboolean whole = floor(h->max) == h->max;
  int steps = whole && h->max < LEGEND_STEPS - 1 ? (int)h->max + 1 : LEGEND_STEPS;
  g_string_append_printf(out,
                         "<g class=\"legend\" fill=\"#52606d\">\n"
                         "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">图例</text>\n",
                         h->label_w - 6, y + 10);
  for (int k = 0; k < steps; k++) {
    double f = steps > 1 ? (double)k / (steps - 1) : 0;
    int x = h->label_w + k * 48;
    g_string_append_printf(out,
                           "<rect class=\"swatch\" x=\"%d\" y=\"%d\" width=\"46\" "
                           "height=\"12\" stroke=\"#c3cbd5\" fill=\"",
                           x, y);
    append_colour(out, f);
    g_string_append_printf(out, "\"/><text x=\"%d\" y=\"%d\">", x, y + 26);
    if (whole)
      g_string_append_printf(out, "%.0f", round(h->max * f));
    else
      g_string_append_printf(out, "%.1f", h->max * f);
    g_string_append(out, "</text>\n");
  }
  g_string_append(out, "</g>\n");
}

static void
heat_caption(GString *out, const Heat *h)
{
  const WbReportTable *t = h->t;
  guint first = g_array_index(h->cols, guint, 0),
        last = g_array_index(h->cols, guint, h->cols->len - 1);
  g_string_append(out, "<figcaption>横轴：");
  wb_report_html_escape(out, t->column_labels_zh[first]);
  g_string_append(out, "至");
  wb_report_html_escape(out, t->column_labels_zh[last]);
  g_string_append(out, "；纵轴：");
  wb_report_html_escape(out, t->column_labels_zh[0]);
  g_string_append(out, "。颜色越深数值越大，格内为数值（格窄时见下表或悬停提示）。</figcaption>\n");
}

void
wb_report_svg_heat_map(GString *out, const WbReportTable *t)
{
  guint rows = wb_report_table_rows(t);
  if (rows == 0)
    return;
  g_autoptr(GArray) cols = heat_columns(t);
  if (cols->len == 0)
    return;
  /* Room for the month row above date columns. */
  int top = column_month(t, g_array_index(cols, guint, 0)) != 0 ? 34 : 20;
  Heat h = {.t = t, .cols = cols, .label_w = label_width(t), .top = top};
  h.cell_w = CLAMP(HEAT_WIDTH / (int)cols->len, 16, 40);
  for (guint r = 0; r < rows; r++)
    for (guint i = 0; i < cols->len; i++) {
      double v;
      if (cell_value(t, r, g_array_index(cols, guint, i), &v))
        h.max = MAX(h.max, v);
    }
  int legend_y = h.top + (int)rows * HEAT_ROW_PX + 12;
  int width = h.label_w + (int)cols->len * h.cell_w + 8;
  width = MAX(width, h.label_w + LEGEND_STEPS * 48 + 8);
  int height = legend_y + 34;
  g_string_append(out, "<figure class=\"chart heat\">\n<svg class=\"heat\" data-table=\"");
  wb_report_html_escape(out, t->name);
  g_string_append(out, "\" role=\"img\" aria-label=\"");
  wb_report_html_escape(out, t->title_zh);
  g_string_append_printf(out,
                         "\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" font-size=\"11\">\n",
                         width, height, width, height);
  heat_axes(out, &h);
  g_string_append(out, "<g class=\"cells\" text-anchor=\"middle\">\n");
  for (guint r = 0; r < rows; r++)
    for (guint i = 0; i < cols->len; i++)
      heat_cell(out, &h, r, i);
  g_string_append(out, "</g>\n");
  heat_legend(out, &h, legend_y);
  g_string_append(out, "</svg>\n");
  heat_caption(out, &h);
  g_string_append(out, "</figure>\n");
}

/* ---- bars ---- */

static void
bar(GString *out, const WbReportTable *t, guint row, guint col, double max, int label_w)
{
  double v = 0;
  gboolean has = cell_value(t, row, col, &v);
  int y = 6 + (int)row * BAR_ROW_PX;
  int w = has && max > 0 ? (int)lround(MAX(v, 0) / max * BAR_MAX_PX) : 0;
  g_autofree char *label = row_label(t, row);
  g_autofree char *shown = short_label(label);
  g_autofree char *text = wb_report_html_cell_text(t, row, col);
  g_autofree char *raw = wb_report_html_cell_raw(t, row, col);
  gint share_col = wb_report_table_column(t, "share");
  g_autofree char *share =
      share_col >= 0 && wb_report_table_cell(t, row, (guint)share_col)->type != WB_REPORT_CELL_NULL
          ? wb_report_html_cell_text(t, row, (guint)share_col)
          : NULL;
  g_autofree char *value =
      share != NULL ? g_strdup_printf("%s（%s）", text, share) : g_strdup(text);
  g_string_append_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6, y + 13);
  wb_report_html_escape(out, shown);
  g_string_append_printf(out,
                         "</text>\n<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" "
                         "height=\"%d\" fill=\"#2171b5\" data-row=\"",
                         label_w, y, MAX(w, 1), BAR_ROW_PX - 6);
  wb_report_html_escape(out, label);
  g_string_append_printf(out, "\" data-value=\"%s\"><title>", raw);
  wb_report_html_escape(out, label);
  g_string_append(out, "：");
  wb_report_html_escape(out, value);
  g_string_append_printf(out, "</title></rect>\n<text x=\"%d\" y=\"%d\">", label_w + MAX(w, 1) + 6,
                         y + 13);
  wb_report_html_escape(out, value);
  g_string_append(out, "</text>\n");
}

void
wb_report_svg_bars(GString *out, const WbReportTable *t, const char *value_col)
{
  gint col = wb_report_table_column(t, value_col);
  guint rows = wb_report_table_rows(t);
  if (col < 0 || rows == 0)
    return;
  double max = 0;
  for (guint r = 0; r < rows; r++) {
    double v;
    if (cell_value(t, r, (guint)col, &v))
      max = MAX(max, v);
  }
  int label_w = label_width(t);
  int width = label_w + BAR_MAX_PX + 140, height = (int)rows * BAR_ROW_PX + 12;
  g_string_append(out, "<figure class=\"chart bars\">\n<svg class=\"bars\" data-table=\"");
  wb_report_html_escape(out, t->name);
  g_string_append(out, "\" role=\"img\" aria-label=\"");
  wb_report_html_escape(out, t->title_zh);
  g_string_append_printf(out,
                         "\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" font-size=\"11\">\n",
                         width, height, width, height);
  for (guint r = 0; r < rows; r++)
    bar(out, t, r, (guint)col, max, label_w);
  g_string_append(out, "</svg>\n<figcaption>");
  wb_report_html_escape(out, t->column_labels_zh[col]);
  g_string_append(out, "，括号内为占比。</figcaption>\n</figure>\n");
}
