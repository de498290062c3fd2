// manager.js: the centre manager's page: the management reports.
//
// A manager or admin logs in (session.js: the wb_session cookie, the page
// never sees it). Four sections, all from the REST API (docs/protocol.md,
// docs/reports.md):
//  1. 报表: GET /api/v1/reports: the reports made with their files (HTML
//     opens in a new tab, XLSX and JSON download, the tables' CSVs in a
//     collapsed list), the runs under way or failed with their error, the
//     schedule (next period due, made or not), and a form that asks for a
//     report now (POST /api/v1/reports; 400 and 409 shown on the form) and
//     follows its run until it is done or failed.
//  2. 热力图: the selected report's report.json: the two heat maps
//     (heatmap.js) and the hot and rising topics.
//  3. 问题与整改: the manager's text for the selected report's period
//     (GET/POST /api/v1/reports/text), which the next run of that period
//     prints, with a button to make that run now.
//  4. 趋势: offered calls and service level a day over the last 30 days
//     (GET /api/v1/intervals?size=1440: the day's figures as the KPI
//     definitions count them, kept in the store, rather than the RRD's
//     running level) as a uPlot chart with the same figures as a table, and
//     the month's staff stability (GET /api/v1/stability).
// A supervisor (or any role below manager) is refused by the API (403) and
// the page says so on the login form.
import { loadLabels, translate } from '../js/i18n.js';
import { offsetFromIso } from '../js/server-clock.js';
import { ApiError, isAuthError, logIn, logOut, request } from '../js/session.js';
import { loadUplot } from '../js/uplot-loader.js';
import { heatMap } from './heatmap.js';

const REFRESH_MS = 60000;
const POLL_MS = 1000;
const POLL_LIMIT_MS = 10 * 60000;
const TREND_DAYS = 30;
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
const DAY_MS = 86400000;

const params = new URLSearchParams(window.location.search);
const lang = params.get('lang') === 'en' ? 'en' : 'zh-CN';
let labels = {};
let me = null; // GET /api/v1/auth/me of the logged-in person
let listing = null; // the last GET /api/v1/reports
let selected = null; // name of the report the heat maps and the text are for
let shownDoc = null; // {name, runId} of the report.json drawn
let offsetMin = 480; // the centre's UTC offset, from the API's ISO times
let timer = null;
let chart = null;
let slLabel = '服务水平';
const watching = new Map(); // "kind-period" -> {afterId, status element, since}

const $ = (sel, root = document) => root.querySelector(sel);
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const pad2 = (n) => String(n).padStart(2, '0');

function t(key, fallback, vars = {}) {
  return translate(labels, key, fallback, vars);
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- formatting ----
/** "YYYY-MM-DD HH:MM" of an ISO time in the centre's zone, "—" for none. */
function when(iso) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso || '');
  return m ? `${m[1]} ${m[2]}` : '—';
}

function pct(x) {
  return isNum(x) ? `${(x * 100).toFixed(1)}%` : '—';
}

function plain(x) {
  if (!isNum(x)) return '—';
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 100) / 100);
}

function seconds(x) {
  if (!isNum(x)) return '—';
  if (x < 60) return `${Number.isInteger(x) ? x : x.toFixed(1)} 秒`;
  const s = Math.round(x);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s % 60)}` : `${m}:${pad2(s % 60)}`;
}

const signed = (text, x) => (x > 0 ? `+${text}` : text);

/** A report.json cell by its column's format; changes signed. */
function cell(v, column) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  const change = column.name === 'change' || column.name === 'growth' || column.name.endsWith('_change');
  let text;
  if (column.format === 'percent') text = pct(v);
  else if (column.format === 'seconds') text = seconds(v);
  else text = plain(v);
  return change ? signed(text, v) : text;
}

/** The centre's today as YYYY-MM-DD. */
function centreToday() {
  return new Date(Date.now() + offsetMin * 60000).toISOString().slice(0, 10);
}

function addDays(date, n) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

// ---- login ----
function signIn(message) {
  if (timer) clearTimeout(timer);
  timer = null;
  me = null;
  listing = null;
  selected = null;
  shownDoc = null;
  watching.clear();
  $('#board').hidden = true;
  $('#signin').hidden = false;
  $('#logout').hidden = true;
  $('#whoami').hidden = true;
  $('#signin-error').textContent = message || '';
  delete document.body.dataset.loaded;
  $('#login-user').focus();
}

function roleName(role) {
  return t(`mgr.role.${role}`, { supervisor: '班长', manager: '经理', admin: '管理员', display: '大屏', auditor: '审计员' }[role] ?? role);
}

/** A session whose role may not read the reports: said plainly, and ended. */
async function refuse(e) {
  const who = me ? t('mgr.whoami', '{name}（{role}）', { name: me.display_name || me.user, role: roleName(me.role) }) : '';
  await logOut('manager');
  signIn(t('mgr.forbidden', '账号 {who} 无权查看管理报表：本页需要经理（manager）或管理员（admin）账号。（{error}）',
    { who, error: e.message }));
}

async function authFailed(e) {
  if (e instanceof ApiError && e.status === 403) await refuse(e);
  else signIn(t('mgr.session_over', '登录已过期，请重新登录'));
}

async function login(ev) {
  ev.preventDefault();
  const button = $('#login-form button');
  button.disabled = true;
  $('#signin-error').textContent = '';
  try {
    me = await logIn($('#login-user').value, $('#login-password').value);
    $('#login-password').value = '';
    await start();
  } catch (e) {
    $('#signin-error').textContent = e.message;
  } finally {
    button.disabled = false;
  }
}

async function logout() {
  await logOut('manager');
  signIn('');
}

// ---- 1. reports ----
function triggerText(run) {
  switch (run.trigger) {
    case 'schedule': return t('mgr.trigger.schedule', '定时生成');
    case 'timer': return t('mgr.trigger.timer', '系统定时任务');
    case 'command': return t('mgr.trigger.command', '命令行（{user}）', { user: run.requested_by || '—' });
    case 'request': return t('mgr.trigger.request', '{user} 手动生成', { user: run.requested_by || '—' });
    default: return run.trigger;
  }
}

function kindName(kind) {
  return t(`mgr.kind.${kind}`, { daily: '日报', monthly: '月报', quarterly: '季报', annual: '年报', thematic: '专题报告' }[kind] ?? kind);
}

function fileLink(f, text) {
  const a = el('a', `mg-file mg-file-${f.format}`, text);
  a.href = f.url;
  a.dataset.format = f.format;
  if (f.format === 'html') {
    a.target = '_blank';
    a.rel = 'noopener';
  } else {
    a.download = '';
  }
  a.title = `${f.name}（${Math.max(1, Math.round(f.bytes / 1024))} KB）`;
  return a;
}

function renderReports() {
  const reports = listing.reports || [];
  if (!reports.length) {
    $('#report-list').replaceChildren(el('p', 'mg-empty', t('mgr.no_reports', '尚未生成报表')));
    return;
  }
  const tbl = el('table', 'mg-table');
  const head = tbl.createTHead().insertRow();
  for (const h of [t('mgr.col.report', '报表'), t('mgr.col.made', '生成时间'), t('mgr.col.by', '生成方式'),
    t('mgr.col.files', '下载')]) {
    const th = el('th', '', h);
    th.scope = 'col';
    head.append(th);
  }
  const body = tbl.createTBody();
  for (const r of reports) {
    const tr = body.insertRow();
    tr.dataset.report = r.name;
    const name = el('th', '', r.title);
    name.scope = 'row';
    tr.append(name, el('td', 'num', when(r.run?.finished)), el('td', '', r.run ? triggerText(r.run) : '—'));
    const files = el('td', 'mg-files');
    const byFormat = (fmt) => r.files.filter((f) => f.format === fmt);
    for (const f of byFormat('html')) files.append(fileLink(f, t('mgr.file.html', 'HTML（新窗口）')));
    for (const f of byFormat('xlsx')) files.append(fileLink(f, 'XLSX'));
    for (const f of byFormat('json')) files.append(fileLink(f, 'JSON'));
    const csv = byFormat('csv');
    if (csv.length) {
      const det = el('details', 'mg-csv');
      det.append(el('summary', '', t('mgr.file.csv', 'CSV（{n} 个表）', { n: csv.length })));
      const ul = el('ul');
      for (const f of csv) {
        const li = el('li');
        li.append(fileLink(f, f.name));
        ul.append(li);
      }
      det.append(ul);
      files.append(det);
    }
    tr.append(files);
  }
  $('#report-list').replaceChildren(tbl);
}

function statusText(status) {
  return t(`mgr.status.${status}`, { running: '生成中', done: '已完成', failed: '失败', queued: '排队中' }[status] ?? status);
}

function renderRuns() {
  // Under way, and failures not followed by a good run of the same period.
  const good = new Set((listing.reports || []).map((r) => `${r.kind}-${r.period}:${r.run?.id}`));
  const latest = new Map();
  for (const run of listing.runs || []) {
    const key = `${run.kind}-${run.period}`;
    if (!latest.has(key)) latest.set(key, run);
  }
  const runs = (listing.runs || []).filter((run) => run.status === 'running'
    || (run.status === 'failed' && latest.get(`${run.kind}-${run.period}`) === run))
    .filter((run) => !good.has(`${run.kind}-${run.period}:${run.id}`));
  if (!runs.length) {
    $('#run-list').replaceChildren(el('p', 'mg-empty', t('mgr.no_runs', '没有进行中或失败的任务')));
    return;
  }
  const ul = el('ul', 'mg-runs');
  for (const run of runs) {
    const li = el('li', `mg-run mg-run-${run.status}`);
    li.dataset.run = String(run.id);
    li.dataset.status = run.status;
    li.append(el('span', `mg-chip mg-chip-${run.status}`, statusText(run.status)),
      el('span', '', `${kindName(run.kind)} ${run.period}`),
      el('span', 'mg-dim num', when(run.started)),
      el('span', 'mg-dim', triggerText(run)));
    if (run.error) li.append(el('p', 'mg-error', run.error));
    ul.append(li);
  }
  $('#run-list').replaceChildren(ul);
}

function renderSchedule() {
  const rows = listing.schedule || [];
  if (!rows.length) {
    $('#schedule-list').replaceChildren(el('p', 'mg-empty', t('mgr.no_schedule', '未配置定时生成（[report] schedule）')));
    return;
  }
  const tbl = el('table', 'mg-table');
  const head = tbl.createTHead().insertRow();
  for (const h of [t('mgr.col.kind', '类型'), t('mgr.col.period', '统计期'), t('mgr.col.due', '生成时间'),
    t('mgr.col.state', '状态')]) {
    const th = el('th', '', h);
    th.scope = 'col';
    head.append(th);
  }
  const body = tbl.createTBody();
  for (const s of rows) {
    const tr = body.insertRow();
    tr.dataset.kind = s.kind;
    tr.append(el('td', '', kindName(s.kind)), el('td', 'num', s.period), el('td', 'num', when(s.due)),
      s.made ? el('td', 'mg-ok', t('mgr.made', '✓ 已生成')) : el('td', 'mg-warn', t('mgr.not_made', '○ 未生成')));
  }
  $('#schedule-list').replaceChildren(tbl);
}

function renderPicker() {
  const pick = $('#report-pick');
  const reports = listing.reports || [];
  if (!selected || !reports.some((r) => r.name === selected)) {
    const first = reports.find((r) => r.kind === 'monthly' || r.kind === 'quarterly') || reports[0];
    selected = first ? first.name : null;
  }
  pick.replaceChildren(...reports.map((r) => {
    const o = el('option', '', r.title);
    o.value = r.name;
    return o;
  }));
  pick.disabled = !reports.length;
  if (selected) pick.value = selected;
}

async function loadListing() {
  listing = await request('/api/v1/reports');
  const off = offsetFromIso(listing.runs?.[0]?.started || listing.schedule?.[0]?.due);
  if (off !== null) offsetMin = off;
  renderReports();
  renderRuns();
  renderSchedule();
  renderPicker();
  $('#updated').textContent = t('mgr.updated', '更新于 {time}', {
    time: new Date(Date.now() + offsetMin * 60000).toISOString().slice(11, 19),
  });
}

// ---- making a report, and following its run ----
const PERIOD_HINTS = {
  monthly: ['mgr.hint.monthly', '格式 YYYY-MM，如 {example}；留空为上月'],
  quarterly: ['mgr.hint.quarterly', '格式 YYYY-Qn，如 {example}；留空为上季度'],
  annual: ['mgr.hint.annual', '格式 YYYY，如 {example}；留空为去年'],
  daily: ['mgr.hint.daily', '格式 YYYY-MM-DD，如 {example}；留空为昨天'],
  thematic: ['mgr.hint.thematic', '格式 起始日..结束日（含两端，最多 366 天），如 {example}；必填'],
};

function periodExample(kind) {
  const today = centreToday();
  const [y, m] = [Number(today.slice(0, 4)), Number(today.slice(5, 7))];
  const lastMonth = m === 1 ? `${y - 1}-12` : `${y}-${pad2(m - 1)}`;
  const q = Math.floor((m - 1) / 3);
  switch (kind) {
    case 'monthly': return lastMonth;
    case 'quarterly': return q === 0 ? `${y - 1}-Q4` : `${y}-Q${q}`;
    case 'annual': return String(y - 1);
    case 'daily': return addDays(today, -1);
    default: return `${today.slice(0, 8)}01..${addDays(today, -1)}`;
  }
}

function renderHint() {
  const kind = $('#make-kind').value;
  const [key, fallback] = PERIOD_HINTS[kind];
  const example = periodExample(kind);
  $('#make-hint').textContent = t(key, fallback, { example });
  $('#make-period').placeholder = example;
}

/** POST /api/v1/reports; then follows the run, reporting into statusEl. */
async function make(kind, period, errorEl, statusEl) {
  errorEl.textContent = '';
  statusEl.textContent = '';
  const afterId = Math.max(0, ...(listing?.runs || []).map((r) => r.id));
  let reply;
  try {
    reply = await request('/api/v1/reports', { method: 'POST', body: { kind, period } });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return authFailed(e);
    if (e instanceof ApiError && e.status === 409) {
      errorEl.textContent = t('mgr.busy', '该期报表正在生成，请稍候再试。（{error}）', { error: e.message });
    } else if (e instanceof ApiError && e.status === 400) {
      errorEl.textContent = t('mgr.bad_request', '请求有误：{error}', { error: e.message });
    } else {
      errorEl.textContent = e.message;
    }
    return null;
  }
  const title = `${kindName(reply.kind)} ${reply.period}`;
  statusEl.textContent = t('mgr.queued', '已提交 {title}，正在生成…', { title });
  statusEl.dataset.state = 'queued';
  watching.set(reply.name, { afterId, kind: reply.kind, period: reply.period, errorEl, statusEl, title, since: Date.now() });
  poll();
  return reply;
}

/** Checks the runs being followed; polls again while any is unfinished. */
async function poll() {
  if (timer) clearTimeout(timer);
  timer = null;
  if (!me) return;
  try {
    await loadListing();
  } catch (e) {
    if (isAuthError(e)) return authFailed(e);
    console.warn('manager: listing', e.message);
  }
  for (const [name, w] of watching) {
    const run = (listing?.runs || []).find((r) => r.id > w.afterId && r.kind === w.kind && r.period === w.period);
    if (run?.status === 'done') {
      watching.delete(name);
      w.statusEl.textContent = t('mgr.done', '{title} 已生成（{time}）', { title: w.title, time: when(run.finished) });
      w.statusEl.dataset.state = 'done';
      w.statusEl.dataset.run = String(run.id);
      selected = name;
      renderPicker();
    } else if (run?.status === 'failed') {
      watching.delete(name);
      w.statusEl.textContent = '';
      w.statusEl.dataset.state = 'failed';
      w.errorEl.textContent = t('mgr.failed', '{title} 生成失败：{error}', { title: w.title, error: run.error || '—' });
    } else if (Date.now() - w.since > POLL_LIMIT_MS) {
      watching.delete(name);
      w.statusEl.textContent = t('mgr.slow', '{title} 仍在生成，稍后刷新本页查看', { title: w.title });
    } else if (run) {
      w.statusEl.textContent = t('mgr.running', '{title} 生成中…', { title: w.title });
      w.statusEl.dataset.state = 'running';
    }
  }
  await showSelected();
  timer = setTimeout(poll, watching.size ? POLL_MS : REFRESH_MS);
}

// ---- 2. heat maps and topics ----
function dataTable(table) {
  const wrap = el('div', 'mg-topic');
  wrap.id = `table-${table.name.replace(/_/g, '-')}`;
  if (!table.rows?.length) {
    wrap.append(el('h3', '', table.title), el('p', 'mg-empty', t('mgr.no_rows', '本期无数据')));
    return wrap;
  }
  const tbl = el('table', 'mg-table');
  tbl.append(el('caption', '', table.title));
  const head = tbl.createTHead().insertRow();
  for (const c of table.columns) {
    const th = el('th', '', c.label);
    th.scope = 'col';
    th.dataset.column = c.name;
    head.append(th);
  }
  const body = tbl.createTBody();
  for (const row of table.rows) {
    const tr = body.insertRow();
    table.columns.forEach((c, i) => {
      const td = el(i === 0 ? 'th' : 'td', typeof row[i] === 'number' ? 'num' : '', cell(row[i], c));
      if (i === 0) td.scope = 'row';
      tr.append(td);
    });
  }
  wrap.append(tbl);
  return wrap;
}

function renderDoc(doc) {
  const byName = Object.fromEntries((doc.tables || []).map((tb) => [tb.name, tb]));
  const parts = [];
  const period = doc.period || {};
  const local = (ms) => new Date(ms + offsetMin * 60000).toISOString();
  if (isNum(period.from_ms) && isNum(period.to_ms)) {
    parts.push(el('p', 'mg-dim', t('mgr.doc_period', '{title}：{from} 至 {to}，共 {days} 天；生成于 {made}', {
      title: doc.title, from: local(period.from_ms).slice(0, 10), to: local(period.to_ms - 1).slice(0, 10),
      days: period.days ?? '—', made: isNum(doc.generated_ms) ? local(doc.generated_ms).slice(0, 16).replace('T', ' ') : '—',
    })));
  }
  for (const name of ['heat_hour_weekday', 'heat_category_day']) {
    if (byName[name]) parts.push(byName[name].rows?.length ? heatMap(byName[name], t) : dataTable(byName[name]));
  }
  const topics = el('div', 'mg-cols');
  for (const name of ['hot_topics', 'rising_topics']) if (byName[name]) topics.append(dataTable(byName[name]));
  parts.push(topics);
  $('#heat-body').replaceChildren(...parts);
}

/** Draws the selected report (when it or its run changed) and its text. */
async function showSelected() {
  const r = (listing?.reports || []).find((x) => x.name === selected);
  if (!r) {
    $('#heat-body').replaceChildren(el('p', 'mg-empty', t('mgr.no_report', '尚无报表')));
    $('#text-form').hidden = true;
    return;
  }
  if (shownDoc && shownDoc.name === r.name && shownDoc.runId === r.run?.id) return;
  shownDoc = { name: r.name, runId: r.run?.id };
  const json = r.files.find((f) => f.name === 'report.json');
  $('#panel-heat').dataset.report = r.name;
  if (!json) {
    $('#heat-body').replaceChildren(el('p', 'mg-empty', t('mgr.no_json', '该报表没有 report.json')));
  } else {
    try {
      renderDoc(await request(json.url));
    } catch (e) {
      if (isAuthError(e)) return authFailed(e);
      $('#heat-body').replaceChildren(el('p', 'mg-error', e.message));
      shownDoc = null;
    }
  }
  await loadText(r);
  $('#panel-heat').dataset.loaded = String(r.run?.id ?? '');
}

// ---- 3. the manager's text ----
function renderTextMeta(reply) {
  $('#text-meta').textContent = reply.author
    ? t('mgr.text_meta', '{author} 保存于 {time}', { author: reply.author, time: when(reply.updated) })
    : t('mgr.text_none', '本期尚未填写');
}

async function loadText(r) {
  $('#text-form').hidden = false;
  $('#text-form').dataset.kind = r.kind;
  $('#text-form').dataset.period = r.period;
  $('#text-period').textContent = r.title;
  $('#text-error').textContent = '';
  try {
    const reply = await request(`/api/v1/reports/text?kind=${encodeURIComponent(r.kind)}&period=${encodeURIComponent(r.period)}`);
    $('#text-body').value = reply.body ?? '';
    renderTextMeta(reply);
  } catch (e) {
    if (isAuthError(e)) return authFailed(e);
    $('#text-error').textContent = e.message;
  }
}

async function saveText(ev) {
  ev.preventDefault();
  const form = $('#text-form');
  const button = $('#text-save');
  button.disabled = true;
  $('#text-error').textContent = '';
  $('#text-status').textContent = '';
  try {
    const reply = await request('/api/v1/reports/text', {
      method: 'POST', body: { kind: form.dataset.kind, period: form.dataset.period, body: $('#text-body').value },
    });
    renderTextMeta(reply);
    $('#text-status').textContent = t('mgr.text_saved', '已保存，将写入该期报表的下一次生成');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) authFailed(e);
    else $('#text-error').textContent = e.message;
  } finally {
    button.disabled = false;
  }
}

async function remake() {
  const form = $('#text-form');
  const button = $('#text-remake');
  button.disabled = true;
  try {
    await make(form.dataset.kind, form.dataset.period, $('#text-error'), $('#text-status'));
  } finally {
    button.disabled = false;
  }
}

// ---- 4. trend and stability ----
async function loadTrend() {
  const today = centreToday();
  const from = addDays(today, 1 - TREND_DAYS);
  const to = addDays(today, 1);
  let reply;
  try {
    reply = await request(`/api/v1/intervals?scope=total&size=1440&from=${from}T00:00:00&to=${to}T00:00:00`);
  } catch (e) {
    if (isAuthError(e)) throw e;
    $('#trend-chart').replaceChildren(el('p', 'mg-error', e.message));
    return;
  }
  // service_level is {value, threshold_s, variant}; the threshold names it.
  let threshold = null;
  const days = (reply.intervals || []).map((iv) => {
    const sl = iv.service_level;
    if (isNum(sl?.threshold_s)) threshold = sl.threshold_s;
    return {
      day: (iv.start || '').slice(0, 10), offered: isNum(iv.offered) ? iv.offered : null,
      service_level: isNum(sl?.value) ? sl.value : isNum(sl) ? sl : null,
    };
  });
  slLabel = threshold === null ? t('mgr.col.service_level', '服务水平')
    : t('mgr.col.service_level_n', '服务水平（{n}秒接通率）', { n: threshold });
  window.wbManager.trend = days;
  renderTrendTable(days);
  await drawTrend(days);
}

function renderTrendTable(days) {
  const tbl = el('table', 'mg-table');
  const head = tbl.createTHead().insertRow();
  for (const h of [t('mgr.col.day', '日期'), t('mgr.col.offered', '呼入人工量'), slLabel]) {
    const th = el('th', '', h);
    th.scope = 'col';
    head.append(th);
  }
  const body = tbl.createTBody();
  for (const d of days) {
    const tr = body.insertRow();
    tr.dataset.day = d.day;
    const th = el('th', 'num', d.day);
    th.scope = 'row';
    tr.append(th, el('td', 'num', plain(d.offered)), el('td', 'num', pct(d.service_level)));
  }
  $('#trend-table').replaceChildren(tbl);
}

async function drawTrend(days) {
  const box = $('#trend-chart');
  const uPlot = await loadUplot('manager');
  if (!uPlot) {
    box.replaceChildren(el('p', 'mg-empty', t('mgr.no_chart', '图表库未加载，数据见下表')));
    return;
  }
  if (chart) chart.destroy();
  box.replaceChildren();
  const xs = days.map((_, i) => i);
  const css = getComputedStyle(document.documentElement);
  const text = css.getPropertyValue('--text-dim').trim() || '#9fb0c8';
  const grid = 'rgba(159, 176, 200, 0.15)';
  const opts = {
    width: Math.max(320, box.clientWidth || 600),
    height: 260,
    scales: {
      x: { time: false, range: [-0.5, days.length - 0.5] },
      y: { range: (u, min, max) => [0, Math.max(4, Math.ceil((max || 0) * 1.15))] },
      sl: { range: [0, 1] },
    },
    legend: { show: true },
    series: [
      { label: t('mgr.col.day', '日期'), value: (u, i) => (i === null ? '—' : days[Math.round(i)]?.day ?? '—') },
      {
        label: t('mgr.col.offered', '呼入人工量'), scale: 'y', stroke: '#38bdf8', fill: 'rgba(56, 189, 248, 0.55)',
        paths: uPlot.paths.bars({ size: [0.7, 40], align: 0 }), points: { show: false },
        value: (u, v) => plain(v),
      },
      {
        label: slLabel, scale: 'sl', stroke: '#fbbf24', width: 2, dash: [6, 3],
        points: { show: true, size: 5 }, value: (u, v) => pct(v),
      },
    ],
    axes: [
      { stroke: text, grid: { stroke: grid }, values: (u, splits) => splits.map((i) => days[i]?.day.slice(5) ?? '') },
      { scale: 'y', stroke: text, grid: { stroke: grid }, incrs: COUNT_STEPS, label: t('mgr.col.offered', '呼入人工量') },
      { scale: 'sl', side: 1, stroke: text, grid: { show: false }, values: (u, splits) => splits.map((v) => `${Math.round(v * 100)}%`), label: slLabel },
    ],
  };
  chart = new uPlot(opts, [xs, days.map((d) => d.offered), days.map((d) => d.service_level)], box);
  box.setAttribute('aria-label', t('mgr.chart_label', '近 30 天每日呼入人工量与服务水平，数值见下方数据表'));
  box.dataset.points = String(days.length);
}

const STABILITY_ROWS = [
  ['headcount_start', '期初人数', plain],
  ['headcount_end', '期末人数', plain],
  ['hires', '入职', plain],
  ['leavers', '离职', plain],
  ['attrition', '流失率', pct],
  ['vacancy_days', '空岗天数', plain],
  ['mean_days_to_replace', '平均补员天数', plain],
];

async function loadStability() {
  let s;
  try {
    s = await request('/api/v1/stability');
  } catch (e) {
    if (isAuthError(e)) throw e;
    $('#stability-body').replaceChildren(el('p', 'mg-error', e.message));
    return;
  }
  $('#stability-period').textContent = s.complete ? s.period : t('mgr.to_date', '{period}（截至今日）', { period: s.period });
  const tbl = el('table', 'mg-table mg-kv');
  const body = tbl.createTBody();
  const row = (label, value, cls = '') => {
    const tr = body.insertRow();
    const th = el('th', '', label);
    th.scope = 'row';
    tr.append(th, el('td', `num ${cls}`, value));
  };
  const verdict = s.meets_target === true ? ` ${t('mgr.met', '✓ 达标')}` : s.meets_target === false ? ` ${t('mgr.not_met', '✗ 未达标')}` : '';
  row(t('mgr.stab.stability', '人员稳定率'), `${pct(s.stability)}（${t('mgr.target', '目标')} ${pct(s.target)}）${verdict}`,
    s.meets_target === true ? 'mg-ok' : s.meets_target === false ? 'mg-bad' : '');
  for (const [key, label, fmt] of STABILITY_ROWS) row(t(`mgr.stab.${key}`, label), fmt(s[key]));
  row(t('mgr.stab.on_post', '在岗人数（人日）'), `${plain(s.on_post?.total?.headcount)}（${plain(s.on_post?.total?.person_days)}）`);
  $('#stability-body').replaceChildren(tbl);
}

// ---- start ----
async function start() {
  $('#signin').hidden = true;
  $('#board').hidden = false;
  $('#logout').hidden = false;
  const who = $('#whoami');
  who.hidden = !me;
  who.textContent = me ? t('mgr.whoami', '{name}（{role}）', { name: me.display_name || me.user, role: roleName(me.role) }) : '';
  try {
    await loadListing();
  } catch (e) {
    if (isAuthError(e)) return authFailed(e);
    $('#report-list').replaceChildren(el('p', 'mg-error', e.message));
  }
  renderHint();
  try {
    await Promise.all([showSelected(), loadTrend(), loadStability()]);
  } catch (e) {
    if (isAuthError(e)) return authFailed(e);
    throw e;
  }
  document.body.dataset.loaded = 'true';
  timer = setTimeout(poll, REFRESH_MS);
}

async function boot() {
  window.wbManager = { trend: null };
  labels = await loadLabels(lang, 'manager');
  $('#login-form').addEventListener('submit', login);
  $('#logout').addEventListener('click', logout);
  $('#make-kind').addEventListener('change', renderHint);
  $('#make-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = $('#make-form button[type=submit]');
    button.disabled = true;
    try {
      await make($('#make-kind').value, $('#make-period').value.trim(), $('#make-error'), $('#make-status'));
    } finally {
      button.disabled = false;
    }
  });
  $('#report-pick').addEventListener('change', () => {
    selected = $('#report-pick').value;
    showSelected();
  });
  $('#text-form').addEventListener('submit', saveText);
  $('#text-remake').addEventListener('click', remake);
  try {
    me = await request('/api/v1/auth/me');
    await start();
  } catch (e) {
    signIn(e instanceof ApiError && e.status === 401 ? '' : e.message);
  }
}

boot();
