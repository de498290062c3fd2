// supervisor.js: the shift lead's desk page.
//
// Reads the REST API with a supervisor's token and refreshes once a minute:
// the day's roster with attendance (/api/v1/roster), coverage gaps of the
// next seven days (/api/v1/coverage), the month's attendance
// (/api/v1/attendance), stability (/api/v1/stability) and training
// compliance (/api/v1/training). Field names are those of docs/protocol.md.
//
// The token comes from ?token= or is typed in, and is kept for the browser
// tab only (sessionStorage): it is a supervisor's credential, not a TV's.

const REFRESH_MS = 60000;
const COVERAGE_DAYS = 7;
const TOKEN_KEY = 'wb.supervisor.token';

const params = new URLSearchParams(window.location.search);
const lang = params.get('lang') === 'en' ? 'en' : 'zh-CN';
let labels = {};
let token = params.get('token') || sessionStorage.getItem(TOKEN_KEY) || '';
let timer = null;

const $ = (sel) => document.querySelector(sel);

// ---- i18n ----
async function loadLabels() {
  try {
    const res = await fetch(new URL(`../i18n/${lang}.json`, import.meta.url));
    if (res.ok) labels = await res.json();
  } catch (e) {
    console.warn('supervisor: labels not loaded, keeping the built-in Chinese', e);
  }
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    const text = labels[el.dataset.i18n];
    if (typeof text === 'string') el.textContent = text;
  }
}

function t(key, fallback, vars = {}) {
  const text = typeof labels[key] === 'string' ? labels[key] : fallback;
  return text.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

// ---- formatting ----
// The API gives local times as ISO-8601 with the centre's offset: the
// wall-clock part is what the floor reads, whatever the browser's zone.
function hhmm(iso) {
  const m = /T(\d{2}:\d{2})/.exec(iso || '');
  return m ? m[1] : '—';
}

function day(iso) {
  return (iso || '').slice(0, 10);
}

// "17:00–19:00"; a span that ends on another day names that day:
// "17:00–11-28 21:38" (an end at midnight is 24:00 of the first day).
function span(from, to, fromMs, toMs) {
  if (day(from) === day(to) || toMs - fromMs <= 0) return `${hhmm(from)}–${hhmm(to)}`;
  if (hhmm(to) === '00:00' && toMs - fromMs <= 86400000) return `${hhmm(from)}–24:00`;
  return `${hhmm(from)}–${day(to).slice(5)} ${hhmm(to)}`;
}

function pct(x) {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`;
}

function num(x, digits = 0) {
  return x === null || x === undefined ? '—' : Number(x).toFixed(digits);
}

function addDays(date, n) {
  const d = new Date(`${date}T12:00:00`);
  d.setDate(d.getDate() + n);
  const z = (v) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}`;
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

// A table of rows; columns = [[header, (row) => text | [text, class]], …].
function table(columns, rows, emptyText) {
  if (!rows.length) {
    const p = document.createElement('p');
    p.className = 'sv-empty';
    p.textContent = emptyText;
    return p;
  }
  const tbl = document.createElement('table');
  const head = tbl.createTHead().insertRow();
  for (const [title] of columns) {
    const th = document.createElement('th');
    th.textContent = title;
    head.appendChild(th);
  }
  const body = tbl.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const [, get] of columns) {
      const v = get(row);
      tr.appendChild(Array.isArray(v) ? cell(v[0], v[1]) : cell(v));
    }
  }
  return tbl;
}

function show(panel, node) {
  const body = $(`#panel-${panel} .sv-body`);
  body.replaceChildren(node);
}

function showError(panel, message) {
  const p = document.createElement('p');
  p.className = 'sv-error';
  p.textContent = message;
  show(panel, p);
}

// ---- API ----
class AuthError extends Error {}

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    body = null;
  }
  if (res.status === 401 || res.status === 403) throw new AuthError(body?.error || res.statusText);
  if (!res.ok) throw new Error(body?.error || `${res.status} ${res.statusText}`);
  return body;
}

// ---- panels ----
// Built-in Chinese for the API's codes, when the labels file lacks them.
const CODES = {
  'sup.status.upcoming': '未到班',
  'sup.status.on_duty': '在岗',
  'sup.status.away': '离岗',
  'sup.status.absent': '缺勤',
  'sup.status.done': '已下班',
  'sup.gap.rostered': '排班不足',
  'sup.gap.present': '到岗不足',
  'sup.absence.absent': '连续缺勤',
  'sup.absence.leave': '休假',
};

function code(prefix, value) {
  return t(`${prefix}.${value}`, CODES[`${prefix}.${value}`] ?? value);
}

const STATUS_CLASS = { absent: 'sv-bad', away: 'sv-warn', on_duty: 'sv-ok', upcoming: '', done: '' };

function renderRoster(r) {
  $('#roster-day').textContent = r.name ? `${r.date} ${r.name}` : r.date;
  const columns = [
    [t('sup.col.name', '姓名'), (s) => s.name],
    [t('sup.col.role', '岗位'), (s) => s.role || '—'],
    [t('sup.col.shift', '班次'), (s) => s.template || '—'],
    [t('sup.col.time', '时间'), (s) => `${hhmm(s.start)}–${hhmm(s.end)}`],
    [t('sup.col.status', '状态'),
      (s) => [code('sup.status', s.status), STATUS_CLASS[s.status] || '']],
    [t('sup.col.first_in', '到岗'), (s) => hhmm(s.first_in)],
    [t('sup.col.last_out', '离岗'), (s) => hhmm(s.last_out)],
    [t('sup.col.late', '迟到'),
      (s) => (s.late ? [t('sup.minutes', '{n} 分钟', { n: Math.round(s.late_s / 60) }), 'sv-warn'] : '')],
    [t('sup.col.early_leave', '早退'),
      (s) => (s.early_leave
        ? [t('sup.minutes', '{n} 分钟', { n: Math.round(s.early_leave_s / 60) }), 'sv-warn'] : '')],
  ];
  show('roster', table(columns, r.shifts, t('sup.no_shifts', '当日无排班')));
}

function renderCoverage(c) {
  const columns = [
    [t('sup.col.day', '日期'), (g) => day(g.from)],
    [t('sup.col.time', '时间'), (g) => span(g.from, g.to, g.from_ms, g.to_ms)],
    [t('sup.col.kind', '类型'),
      (g) => [code('sup.gap', g.kind), g.kind === 'present' ? 'sv-bad' : 'sv-warn']],
    [t('sup.col.required', '需要'), (g) => num(g.required)],
    [t('sup.col.rostered', '排班'), (g) => num(g.rostered)],
    [t('sup.col.present', '在岗'), (g) => num(g.present)],
  ];
  show('coverage', table(columns, c.gaps, t('sup.no_gaps', '无缺口：每分钟都有人值守')));
}

function renderAttendance(a) {
  $('#attendance-month').textContent = day(a.from).slice(0, 7);
  const columns = [
    [t('sup.col.name', '姓名'), (p) => p.name],
    [t('sup.col.shifts', '班次'), (p) => num(p.shifts)],
    [t('sup.col.late', '迟到'), (p) => [num(p.late), p.late ? 'sv-warn' : '']],
    [t('sup.col.early_leave', '早退'), (p) => [num(p.early_leave), p.early_leave ? 'sv-warn' : '']],
    [t('sup.col.absent', '缺勤'), (p) => [num(p.absent), p.absent ? 'sv-bad' : '']],
    [t('sup.col.adherence', '在岗率'), (p) => pct(p.adherence)],
    [t('sup.col.long_absence', '长期缺勤'),
      (p) => (p.long_absence
        ? [`${code('sup.absence', p.long_absence.reason)} ${day(p.long_absence.since)}`,
          'sv-bad'] : '')],
    [t('sup.col.holiday_hours', '节假日工时(法定/休息日)'),
      (p) => `${num(p.holiday_hours.statutory, 1)} / ${num(p.holiday_hours.rest_day, 1)}`],
  ];
  show('attendance', table(columns, a.agents, t('sup.no_agents', '暂无人员')));
}

function renderStability(s) {
  const periods = [s.to_date.month, s.to_date.quarter, s.to_date.year];
  const columns = [
    [t('sup.col.period', '期间'), (p) => p.period],
    [t('sup.col.headcount_start', '期初人数'), (p) => num(p.headcount_start)],
    [t('sup.col.leavers', '离职'), (p) => num(p.leavers)],
    [t('sup.col.hires', '入职'), (p) => num(p.hires)],
    [t('sup.col.stability', '稳定率'),
      (p) => [pct(p.stability), p.meets_target === false ? 'sv-bad' : p.meets_target ? 'sv-ok' : '']],
    [t('sup.col.vacancy_days', '空岗天数'), (p) => num(p.vacancy_days)],
  ];
  const node = table(columns, periods, '');
  const note = document.createElement('p');
  note.className = 'sv-dim';
  const onPost = s.on_post.total;
  note.textContent = t('sup.stability_note', '目标 ≥ {v}；本月在岗 {n} 人，{d} 人天', {
    v: pct(s.target), n: num(onPost.headcount), d: num(onPost.person_days),
  });
  const wrap = document.createElement('div');
  wrap.append(node, note);
  show('stability', wrap);
}

function yesNo(compliant) {
  if (compliant === null || compliant === undefined) return ['—', ''];
  return compliant ? [t('sup.ok', '达标'), 'sv-ok'] : [t('sup.short', '未达标'), 'sv-bad'];
}

function renderTraining(tr) {
  $('#training-month').textContent = tr.month;
  const columns = [
    [t('sup.col.name', '姓名'), (p) => p.name || p.agent],
    [t('sup.col.induction', '岗前培训(天)'),
      (p) => [`${p.induction.days} (${p.induction.classroom_days}/${p.induction.hands_on_days}/${p.induction.field_days})`,
        yesNo(p.induction.compliant)[1]]],
    [t('sup.col.in_service', '在岗培训'), (p) => [num(p.in_service.count), yesNo(p.in_service.compliant)[1]]],
    [t('sup.col.exam', '月考成绩'), (p) => num(p.exam.score, 1)],
    [t('sup.col.safety', '安全培训(年)'), (p) => [num(p.safety.count), yesNo(p.safety.compliant)[1]]],
    [t('sup.col.entry_exam', '入职考试科目'), (p) => [num(p.entry_exam.areas_passed), yesNo(p.entry_exam.compliant)[1]]],
    [t('sup.col.compliant', '合规'), (p) => yesNo(p.compliant)],
  ];
  show('training', table(columns, tr.people, t('sup.no_agents', '暂无人员')));
}

// ---- refresh ----
const PANELS = [
  ['roster', (d) => `/api/v1/roster?date=${d}`, renderRoster],
  ['coverage', (d) => `/api/v1/coverage?from=${d}&to=${addDays(d, COVERAGE_DAYS)}`, renderCoverage],
  ['attendance', (d) => `/api/v1/attendance?month=${d.slice(0, 7)}`, renderAttendance],
  ['stability', (d) => `/api/v1/stability?period=${d.slice(0, 7)}`, renderStability],
  ['training', (d) => `/api/v1/training?month=${d.slice(0, 7)}`, renderTraining],
];

function signIn(message) {
  $('#board').hidden = true;
  $('#signin').hidden = false;
  $('#signin-error').textContent = message || '';
  if (timer) clearTimeout(timer);
  timer = null;
}

async function refresh() {
  if (timer) clearTimeout(timer);
  timer = null;
  let auth = null;
  if (!$('#day').value) {
    // Today is the centre's today, which the server knows (the browser's
    // zone may differ): the roster without a date is today's.
    try {
      $('#day').value = (await api('/api/v1/roster')).date;
    } catch (e) {
      if (e instanceof AuthError) {
        sessionStorage.removeItem(TOKEN_KEY);
        signIn(e.message);
        return;
      }
      showError('roster', e.message);
      timer = setTimeout(refresh, REFRESH_MS);
      return;
    }
  }
  const d = $('#day').value;
  await Promise.all(PANELS.map(async ([name, path, render]) => {
    try {
      render(await api(path(d)));
    } catch (e) {
      if (e instanceof AuthError) auth = e;
      else showError(name, e.message);
    }
  }));
  if (auth) {
    sessionStorage.removeItem(TOKEN_KEY);
    signIn(auth.message);
    return;
  }
  $('#updated').textContent = t('sup.updated', '更新于 {time}', { time: new Date().toLocaleTimeString('zh-CN', { hour12: false }) });
  document.body.dataset.loaded = 'true';
  timer = setTimeout(refresh, REFRESH_MS);
}

function start() {
  $('#signin').hidden = true;
  $('#board').hidden = false;
  refresh();
}

await loadLabels();
$('#day').value = params.get('date') || '';
$('#day').addEventListener('change', refresh);
$('#signin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token = $('#token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  start();
});
if (token) start();
else signIn('');
