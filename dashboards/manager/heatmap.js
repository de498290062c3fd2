// heatmap.js: a report's heat map table (report.json, docs/reports.md) as an
// HTML table whose cells are shaded on a blue scale, light for few calls and
// dark for many, as in the HTML report. The number is written in every cell
// (colour is never the only signal), each cell has a title tooltip
// ("周一 09时：4") and data-row, data-column and data-value (the exact
// number, "" for no data) for programs and tests. A table keeps the row and
// column headers that a screen reader announces with each cell.

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

// Lightness of the scale: 96 % at zero, 30 % at the largest value.
const L_LOW = 96;
const L_HIGH = 30;

/** Background and text colour of value v on a scale up to max. */
export function heatColour(v, max) {
  if (!isNum(v)) return { bg: 'transparent', fg: 'inherit' };
  const f = max > 0 ? Math.min(1, Math.max(0, v / max)) : 0;
  const l = L_LOW - (L_LOW - L_HIGH) * f;
  return { bg: `hsl(214, 85%, ${l.toFixed(1)}%)`, fg: l > 60 ? '#0b1a33' : '#ffffff' };
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The legend: a gradient from 0 to max and five labelled steps. */
function legend(max, t) {
  const box = el('div', 'mg-legend');
  box.append(el('span', 'mg-dim', t('mgr.legend', '来电数')));
  const steps = max > 0 ? [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(max * f)) : [0];
  for (const v of [...new Set(steps)]) {
    const item = el('span', 'mg-legend-step');
    const sw = el('span', 'mg-swatch');
    const c = heatColour(v, max);
    sw.style.background = c.bg;
    sw.setAttribute('aria-hidden', 'true');
    item.append(sw, el('span', 'num', String(v)));
    box.append(item);
  }
  return box;
}

/**
 * table: a report.json table (heat_hour_weekday or heat_category_day): the
 * first column is the row's key, then the cells, then `total`. Returns a
 * figure with the table and its legend.
 */
export function heatMap(table, t) {
  const cols = table.columns || [];
  const cells = cols.map((c, i) => i).filter((i) => i > 0 && cols[i].name !== 'total');
  const totalAt = cols.findIndex((c) => c.name === 'total');
  let max = 0;
  for (const row of table.rows || []) for (const i of cells) if (isNum(row[i])) max = Math.max(max, row[i]);

  const figure = el('figure', 'mg-heat');
  figure.id = `heat-${table.name.replace(/_/g, '-')}`;
  figure.dataset.table = table.name;
  figure.dataset.max = String(max);
  const wrap = el('div', 'mg-heat-wrap');
  const tbl = el('table', 'mg-heat-table');
  tbl.append(el('caption', '', table.title));
  const head = tbl.createTHead().insertRow();
  for (const [i, c] of cols.entries()) {
    const th = el('th', i === totalAt ? 'mg-total' : '', c.label);
    th.scope = 'col';
    th.dataset.column = c.name;
    head.append(th);
  }
  const body = tbl.createTBody();
  for (const row of table.rows || []) {
    const tr = body.insertRow();
    const key = String(row[0] ?? '');
    const th = el('th', '', key);
    th.scope = 'row';
    tr.append(th);
    for (let i = 1; i < cols.length; i++) {
      const v = row[i];
      const td = el('td', i === totalAt ? 'mg-total num' : 'mg-cell num', isNum(v) ? String(v) : '—');
      if (i === totalAt) {
        td.dataset.total = isNum(v) ? String(v) : '';
      } else {
        const c = heatColour(v, max);
        td.style.background = c.bg;
        td.style.color = c.fg;
        td.dataset.row = key;
        td.dataset.column = cols[i].name;
        td.dataset.value = isNum(v) ? String(v) : '';
        if (v === 0) td.classList.add('mg-zero');
      }
      td.title = `${key} ${cols[i].label}：${isNum(v) ? v : t('mgr.no_data', '无数据')}`;
      tr.append(td);
    }
  }
  wrap.append(tbl);
  figure.append(wrap, legend(max, t));
  return figure;
}
