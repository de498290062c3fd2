// supervisor.js: the shift lead's desk page.
//
// A supervisor logs in (POST /api/v1/auth/login, a session cookie the page
// never sees; GET /api/v1/auth/me says who it is). Live, from the
// wallboard.v1 WebSocket: the agent board (topic `agents`), the queues
// (topic `wallboard`) and the alerts (topic `alerts`), with a beep when an
// alert is raised and a button to acknowledge it. From the REST API, once a
// minute: the day's roster with attendance (/api/v1/roster), coverage gaps
// of the next seven days (/api/v1/coverage), the month's attendance
// (/api/v1/attendance), stability (/api/v1/stability) and training
// compliance (/api/v1/training); the handover notes and the incident log
// (/api/v1/notes), written and closed from here. Field names are those of
// docs/protocol.md.
//
// A program (a kiosk, a script) may open the page with ?token=TOKEN of a
// supervisor's token instead: it reads everything, but notes and
// acknowledgements need a person, so those are refused (403) for it.
//
// Sound: browsers play audio only after a user gesture; the login click (or
// any click on the page after a reload) starts the audio context.
import { WbClient } from '../js/wb-client.js';
import { clock, offsetFromIso, serverNow, syncClock } from '../js/server-clock.js';
import { loadLabels as fetchLabels, translate } from '../js/i18n.js';
import { ApiError, isAuthError, logIn, logOut, request as apiRequest } from '../js/session.js';

const REFRESH_MS = 60000;
const COVERAGE_DAYS = 7;

const params = new URLSearchParams(window.location.search);
const lang = params.get('lang') === 'en' ? 'en' : 'zh-CN';
const programToken = params.get('token') || '';
let labels = {};
let timer = null;
let me = null; // {user, role, display_name} of the logged-in person
let client = null;
let alertsTopic = false; // the server has alerts (GET /api/v1/alerts answers)

const $ = (sel, root = document) => root.querySelector(sel);

// ---- i18n ----
async function loadLabels() {
  labels = await fetchLabels(lang, 'supervisor');
}

function t(key, fallback, vars = {}) {
  return translate(labels, key, fallback, vars);
}

// ---- server clock and formatting ----
// The page ticks on the server's clock (server-clock.js: heartbeats and
// frames carry its ts_ms), so times in state do not depend on the desk
// PC's clock. The API gives local times as ISO-8601 with the centre's
// offset: their wall-clock part is what the floor reads.
const pad2 = (n) => String(n).padStart(2, '0');
const DAY_MS = 86400000;

function isNum(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

/** "HH:MM:SS" of a server time on the centre's clock. */
function centreHms(ms) {
  const d = new Date(ms + clock.offsetMin * 60000);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** "HH:MM" of an ISO time, "—" for none. */
function hhmm(iso) {
  const m = /T(\d{2}:\d{2})/.exec(iso || '');
  return m ? m[1] : '—';
}

/** "HH:MM:SS" of an ISO time. */
function hms(iso) {
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(iso || '');
  return m ? m[1] : '—';
}

/** "YYYY-MM-DD" of an ISO time. */
function day(iso) {
  return (iso || '').slice(0, 10);
}

/** "MM-DD HH:MM" of an ISO time. */
function dayTime(iso) {
  return iso ? `${day(iso).slice(5)} ${hhmm(iso)}` : '—';
}

/** "17:00–19:00"; a span that ends on another day names that day:
 * "17:00–11-28 21:38" (an end at midnight is 24:00 of the first day). */
function span(from, to, fromMs, toMs) {
  if (day(from) === day(to) || toMs - fromMs <= 0) return `${hhmm(from)}–${hhmm(to)}`;
  if (hhmm(to) === '00:00' && toMs - fromMs <= DAY_MS) return `${hhmm(from)}–24:00`;
  return `${hhmm(from)}–${day(to).slice(5)} ${hhmm(to)}`;
}

/** Seconds as "m:ss" or "h:mm:ss"; "—" for none. */
function fmtClock(seconds) {
  if (!isNum(seconds)) return '—';
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s % 60)}` : `${m}:${pad2(s % 60)}`;
}

function pct(x) {
  return isNum(x) ? `${(x * 100).toFixed(1)}%` : '—';
}

function num(x, digits = 0) {
  return isNum(x) ? x.toFixed(digits) : '—';
}

/** The date n days after YYYY-MM-DD. */
function addDays(date, n) {
  const d = new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS);
  return d.toISOString().slice(0, 10);
}

// ---- DOM ----
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A table of rows; columns = [[header, (row) => text | [text, class]], …].
function table(columns, rows, emptyText) {
  if (!rows.length) return el('p', 'sv-empty', emptyText);
  const tbl = el('table');
  const head = tbl.createTHead().insertRow();
  for (const [title] of columns) head.appendChild(el('th', '', title));
  const body = tbl.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const [, get] of columns) {
      const v = get(row);
      tr.appendChild(Array.isArray(v) ? el('td', v[1], v[0]) : el('td', '', v));
    }
  }
  return tbl;
}

function show(panel, node) {
  $(`#panel-${panel} .sv-body`).replaceChildren(node);
}

function showError(panel, message) {
  show(panel, el('p', 'sv-error', message));
}

// ---- API ----
// The session cookie goes with every request (same origin); a program's
// token as a Bearer header.
function request(path, options = {}) {
  return apiRequest(path, { ...options, token: programToken });
}

function api(path) {
  return request(path);
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

// ---- agent board (topic agents) ----
let agentsData = null;
let wallboard = null;

const STATE_ORDER = { ringing: 0, on_call: 1, acw: 2, paused: 3, available: 4, offline: 5 };

function stateLabel(a) {
  const text = t(`state.${a.state}`, a.state);
  return a.state === 'paused' && a.reason ? `${text}（${a.reason}）` : text;
}

// Seconds in the state past which the time shows amber, then red: the last
// two of [kpi] state_bands_s (sent in the wallboard topic; its default
// until the first frame).
function bandClass(seconds) {
  const b = Array.isArray(wallboard?.state_bands_s) ? wallboard.state_bands_s : [10, 60, 300];
  const top = b[b.length - 1];
  const mid = b.length > 1 ? b[b.length - 2] : top;
  if (seconds >= top) return 'sv-bad';
  if (seconds >= mid) return 'sv-warn';
  return '';
}

function renderAgents() {
  const list = [...(agentsData?.agents || [])].sort((a, b) =>
    (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) ||
    String(a.agent).localeCompare(String(b.agent), 'en', { numeric: true }));
  const online = list.filter((a) => a.state !== 'offline').length;
  $('#agents-count').textContent = t('sup.agents_online', '{n} 人在线 / 共 {m} 人', { n: online, m: list.length });
  if (!list.length) {
    show('agents', el('p', 'sv-empty', t('agents.none', '暂无坐席')));
    return;
  }
  const tbl = el('table', 'sv-agents');
  const head = tbl.createTHead().insertRow();
  const heads = [t('sup.col.name', '姓名'), t('sup.col.agent', '工号'), t('sup.col.state', '状态'),
    t('sup.col.in_state', '状态时长'), t('sup.col.calls', '接听'), t('kpi.aht_s', '平均处理时长')];
  heads.forEach((h, i) => head.appendChild(el('th', i >= 3 ? 'num' : '', h)));
  const body = tbl.createTBody();
  for (const a of list) {
    const tr = body.insertRow();
    tr.dataset.agent = a.agent;
    tr.dataset.state = a.state;
    tr.append(el('td', '', a.name || a.agent), el('td', 'sv-dim', a.agent));
    const st = el('td', 'sv-state');
    st.append(el('span', `sv-dot st-${a.state}`), document.createTextNode(stateLabel(a)));
    const time = el('td', 'sv-in-state num');
    if (isNum(a.since_ms)) time.dataset.since = String(a.since_ms);
    tr.append(st, time, el('td', 'num', isNum(a.calls) ? String(a.calls) : '—'),
      el('td', 'num', fmtClock(a.aht_s)));
  }
  show('agents', tbl);
  tickAgents();
}

function tickAgents() {
  const now = serverNow();
  for (const td of document.querySelectorAll('#panel-agents td.sv-in-state')) {
    if (!td.dataset.since) {
      td.textContent = '—';
      continue;
    }
    const s = Math.max(0, (now - Number(td.dataset.since)) / 1000);
    td.textContent = fmtClock(s);
    td.className = `sv-in-state num ${td.parentElement.dataset.state === 'offline' ? '' : bandClass(s)}`;
  }
}

// ---- queues (topic wallboard) ----
function rateCell(v, target) {
  const td = el('td', 'num', isNum(v) ? `${(v * 100).toFixed(1)}%` : '—');
  if (isNum(v) && isNum(target)) td.classList.add(v >= target - 1e-9 ? 'sv-ok' : 'sv-bad');
  return td;
}

function longestNow(q) {
  if (!isNum(q.longest_wait_s)) return null;
  if (!(q.waiting > 0) || !isNum(wallboard?.ts_ms)) return q.longest_wait_s;
  return q.longest_wait_s + Math.max(0, serverNow() - wallboard.ts_ms) / 1000;
}

function renderQueues() {
  const d = wallboard;
  const rows = [...(d.queues || [])];
  if (d.total) rows.push({ ...d.total, name: t('sup.total', '合计'), queue: '' });
  const tbl = el('table', 'sv-queues');
  const head = tbl.createTHead().insertRow();
  const thr = d.total?.service_level?.threshold_s;
  [t('queue.name', '队列'), t('kpi.waiting', '排队'), t('kpi.longest_wait_s', '最长等待'),
    t('kpi.offered', '来电'), t('kpi.answered', '接通'), t('kpi.abandoned', '放弃'),
    t('kpi.answer_rate', '接通率'), t('kpi.service_level', '{n} 秒服务水平', { n: thr ?? '' }),
    t('kpi.asa_s', '平均应答'), t('kpi.aht_s', '平均处理时长')].forEach((h, i) => {
    head.appendChild(el('th', i >= 1 ? 'num' : '', h));
  });
  const body = tbl.createTBody();
  for (const q of rows) {
    const tr = body.insertRow();
    tr.dataset.queue = q.queue ?? '';
    if (!q.queue) tr.className = 'sv-total';
    const targets = q.targets || d.targets || {};
    const waiting = el('td', 'num', isNum(q.waiting) ? String(q.waiting) : '—');
    if (q.waiting > 0) waiting.classList.add('sv-warn');
    const longest = el('td', 'num sv-longest');
    tr.append(el('td', '', q.name || q.queue), waiting, longest,
      el('td', 'num', isNum(q.offered) ? String(q.offered) : '—'),
      el('td', 'num', isNum(q.answered) ? String(q.answered) : '—'),
      el('td', 'num', isNum(q.abandoned) ? String(q.abandoned) : '—'),
      rateCell(q.answer_rate, targets.answer_rate),
      rateCell(q.service_level?.value, targets.service_level),
      el('td', 'num', fmtClock(q.asa_s)), el('td', 'num', fmtClock(q.aht_s)));
    longest.dataset.index = String(rows.indexOf(q));
  }
  show('queues', tbl);
  tickQueues(rows);
}

let queueRows = [];
function tickQueues(rows = queueRows) {
  queueRows = rows;
  for (const td of document.querySelectorAll('#panel-queues td.sv-longest')) {
    const q = rows[Number(td.dataset.index)];
    td.textContent = q ? fmtClock(longestNow(q)) : '—';
  }
}

// ---- sound ----
// A short tone made with Web Audio (no sound file): two beeps for a
// warning, three falling for a critical alert. Muting is the browser tab's
// (sessionStorage), not the account's.
let audio = null;
let muted = sessionStorage.getItem('wb.supervisor.muted') === '1';
let beeps = 0;

function unlockAudio() {
  try {
    if (!audio) audio = new AudioContext();
    if (audio.state === 'suspended') audio.resume().then(renderSound, () => {});
  } catch (e) {
    console.warn('supervisor: no Web Audio', e);
  }
  renderSound();
}

function renderSound() {
  const b = $('#sound');
  const running = audio?.state === 'running';
  b.dataset.on = String(running && !muted);
  b.textContent = !running ? t('sup.sound_enable', '点击启用提示音')
    : muted ? t('sup.sound_off', '提示音：关') : t('sup.sound_on', '提示音：开');
}

function beep(critical) {
  beeps++;
  document.body.dataset.beeps = String(beeps);
  if (muted || !audio || audio.state !== 'running') return;
  const t0 = audio.currentTime + 0.02;
  const tones = critical ? [988, 784, 659] : [880, 880];
  tones.forEach((f, i) => {
    const o = audio.createOscillator();
    const g = audio.createGain();
    const at = t0 + i * 0.22;
    o.type = 'sine';
    o.frequency.value = f;
    g.gain.setValueAtTime(0.0001, at);
    g.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, at + 0.18);
    o.connect(g).connect(audio.destination);
    o.start(at);
    o.stop(at + 0.2);
  });
}

// ---- alerts (topic alerts) ----
let alertsData = null;
const heard = new Set(); // alert ids already announced
const ackErrors = new Map(); // alert id -> message of a failed acknowledgement

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };

// An alert asks for sound when the server says so (open, not acknowledged,
// not in quiet hours, not info); an older server's alert when open and new.
function wantsSound(a) {
  if (typeof a.sound === 'boolean') return a.sound;
  return a.state !== 'cleared' && !isNum(a.acked_ms) && a.severity !== 'info';
}

function takeAlerts(data) {
  alertsData = data;
  let ring = null;
  for (const a of data?.alerts || []) {
    if (heard.has(a.id)) continue;
    heard.add(a.id);
    if (wantsSound(a) && (ring === null || SEVERITY_ORDER[a.severity] < SEVERITY_ORDER[ring])) ring = a.severity;
  }
  if (ring !== null) beep(ring === 'critical');
  renderAlerts();
}

// The logged-in person by display name; anyone else by account name.
function personName(user) {
  if (!user) return '—';
  return me && user === me.user && me.display_name ? me.display_name : user;
}

function severityLabel(s) {
  return t(`sup.severity.${s}`, { info: '提示', warning: '警告', critical: '严重' }[s] ?? s);
}

function renderAlerts() {
  const list = [...(alertsData?.alerts || [])].sort((a, b) => (b.raised_ms - a.raised_ms) || (b.id - a.id));
  const open = list.filter((a) => a.state !== 'cleared');
  const unacked = open.filter((a) => !isNum(a.acked_ms)).length;
  const badge = $('#alerts-open');
  badge.hidden = open.length === 0;
  badge.textContent = t('sup.alerts_open', '{n} 条未消除', { n: open.length });
  badge.classList.toggle('sv-badge-bad', unacked > 0);
  if (!list.length) {
    show('alerts', el('p', 'sv-empty', t('sup.no_alerts', '当前无告警')));
    return;
  }
  const ul = el('ul', 'sv-alerts');
  for (const a of list) {
    const li = el('li', `sv-alert sv-sev-${a.severity}`);
    li.dataset.alert = String(a.id);
    li.dataset.rule = a.rule;
    li.dataset.state = a.state;
    li.dataset.acked = String(isNum(a.acked_ms));
    const top = el('div', 'sv-alert-top');
    top.append(el('span', `sv-chip sv-chip-${a.severity}`, severityLabel(a.severity)),
      el('span', 'sv-alert-time num', hms(a.raised)),
      el('span', 'sv-alert-msg', a.message || a.rule));
    li.append(top);
    const foot = el('div', 'sv-alert-foot');
    if (a.state === 'cleared') {
      foot.append(el('span', 'sv-dim sv-cleared', t('sup.alert_cleared', '已消除 {time}', { time: hms(a.cleared) })));
    } else {
      foot.append(el('span', 'sv-open', t('sup.alert_open', '未消除')));
    }
    if (isNum(a.acked_ms)) {
      foot.append(el('span', 'sv-acked', t('sup.alert_acked', '{user} 已确认 {time}',
        { user: personName(a.acked_by), time: hms(a.acked) })));
    } else if (a.state !== 'cleared') {
      const b = el('button', 'sv-ack', t('sup.ack', '确认'));
      b.type = 'button';
      b.addEventListener('click', () => acknowledge(a.id, b));
      foot.append(b);
    }
    if (ackErrors.has(a.id)) foot.append(el('span', 'sv-error', ackErrors.get(a.id)));
    li.append(foot);
    ul.append(li);
  }
  show('alerts', ul);
}

// POST /api/v1/alerts/ID/ack; the topic's next frame shows it acknowledged
// (by whom and when), the answer shows it at once.
async function acknowledge(id, button) {
  button.disabled = true;
  ackErrors.delete(id);
  try {
    const reply = await request(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST' });
    const updated = reply?.alert ?? (reply?.id === id ? reply : null);
    if (updated && alertsData) {
      alertsData = { ...alertsData, alerts: alertsData.alerts.map((a) => (a.id === id ? { ...a, ...updated } : a)) };
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      signIn(e.message);
      return;
    }
    ackErrors.set(id, e.message);
    button.disabled = false;
  }
  renderAlerts();
}

// ---- the stream ----
function renderStream(status) {
  const s = $('#stream');
  s.hidden = false;
  s.dataset.state = status.state;
  s.textContent = t(`stream.${status.state}`, status.state);
  document.body.dataset.stream = status.state;
  // A refused stream on a logged-in page: the session may have ended.
  if (status.state === 'auth_error' && !programToken) checkSession();
}

async function checkSession() {
  try {
    me = await api('/api/v1/auth/me');
  } catch (e) {
    if (isAuthError(e)) signIn(t('sup.session_over', '登录已过期，请重新登录'));
  }
}

function startStream() {
  if (client) client.stop();
  const topics = ['wallboard', 'agents'];
  if (alertsTopic) topics.push('alerts');
  client = new WbClient({
    topics,
    token: programToken,
    cookie: !programToken,
    reloadAfterMs: 0, // a desk page with a person at it, not a TV
    onFrame(frame) {
      if (frame.t === 'heartbeat') {
        syncClock(Number(frame.ts_ms));
      } else {
        const ts = Number(frame.data?.ts_ms);
        if (Number.isFinite(ts) && (clock.tsMs === null || ts > serverNow())) syncClock(ts);
      }
    },
    onData(topic, data) {
      if (!data || typeof data !== 'object') return;
      if (topic === 'wallboard') {
        wallboard = data;
        if (isNum(data.clock_rate) && data.clock_rate > 0) clock.rate = data.clock_rate;
        const off = offsetFromIso(data.ts);
        if (off !== null) clock.offsetMin = off;
        renderQueues();
      } else if (topic === 'agents') {
        agentsData = data;
        renderAgents();
      } else if (topic === 'alerts') {
        takeAlerts(data);
      }
    },
    onStatus: renderStream,
  });
  client.start();
  window.wbSupervisor.client = client;
}

function tick() {
  $('#clock').textContent = clock.tsMs === null ? '' : centreHms(serverNow());
  tickAgents();
  tickQueues();
}

// ---- handover notes and incident log (/api/v1/notes) ----
function noteHead(n) {
  const head = el('div', 'sv-note-head');
  if (n.kind === 'incident') head.append(el('span', `sv-chip sv-chip-${n.severity}`, severityLabel(n.severity)));
  head.append(el('span', 'sv-note-time num', dayTime(n.ts)),
    el('span', 'sv-note-author', n.author_name || n.author));
  if (n.title) head.append(el('strong', 'sv-note-title', n.title));
  return head;
}

function renderHandover(j) {
  const notes = j.notes || [];
  if (!notes.length) {
    show('handover', el('p', 'sv-empty', t('sup.no_handover', '近 7 天无交接记录')));
    return;
  }
  const ul = el('ul', 'sv-note-list');
  for (const n of notes) {
    const li = el('li', 'sv-note');
    li.dataset.note = String(n.id);
    li.append(noteHead(n), el('p', 'sv-note-body', n.body));
    ul.append(li);
  }
  show('handover', ul);
}

function renderIncidents(j) {
  const notes = j.notes || [];
  const open = notes.filter((n) => !isNum(n.closed_ms)).length;
  const badge = $('#incidents-open');
  badge.hidden = open === 0;
  badge.textContent = t('sup.incidents_open', '{n} 件处理中', { n: open });
  if (!notes.length) {
    show('incidents', el('p', 'sv-empty', t('sup.no_incidents', '近 7 天无事件')));
    return;
  }
  const ul = el('ul', 'sv-note-list');
  for (const n of notes) {
    const li = el('li', `sv-note sv-incident sv-sev-${n.severity}`);
    li.dataset.note = String(n.id);
    li.dataset.closed = String(isNum(n.closed_ms));
    li.append(noteHead(n), el('p', 'sv-note-body', n.body));
    const foot = el('div', 'sv-note-foot');
    if (isNum(n.closed_ms)) {
      foot.append(el('span', 'sv-dim sv-closed', t('sup.incident_closed', '{user} 已关闭 {time}',
        { user: n.closed_by_name || n.closed_by, time: dayTime(n.closed) })));
    } else {
      foot.append(el('span', 'sv-open', t('sup.incident_open', '处理中')));
      const b = el('button', 'sv-close', t('sup.incident_close', '关闭事件'));
      b.type = 'button';
      b.addEventListener('click', () => closeIncident(n.id, b, foot));
      foot.append(b);
    }
    li.append(foot);
    ul.append(li);
  }
  show('incidents', ul);
}

async function loadNotes() {
  await Promise.all([['handover', renderHandover], ['incident', renderIncidents]].map(async ([kind, render]) => {
    const panel = kind === 'handover' ? 'handover' : 'incidents';
    try {
      render(await api(`/api/v1/notes?kind=${kind}`));
    } catch (e) {
      if (isAuthError(e)) throw e;
      showError(panel, e.message);
    }
  }));
}

async function closeIncident(id, button, foot) {
  button.disabled = true;
  try {
    await request(`/api/v1/notes/${id}/close`, { method: 'POST' });
    await loadNotes();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      signIn(e.message);
      return;
    }
    button.disabled = false;
    foot.append(el('span', 'sv-error', e.message));
  }
}

// The two forms: POST /api/v1/notes with the kind, the list reloaded after.
function wireNoteForm(kind) {
  const form = $(`#${kind}-form`);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const error = $('.sv-form-error', form);
    error.textContent = '';
    const note = { kind, title: $(`#${kind}-title`).value, body: $(`#${kind}-body`).value };
    if (kind === 'incident') note.severity = $('#incident-severity').value;
    const button = $('button[type=submit]', form);
    button.disabled = true;
    try {
      await request('/api/v1/notes', { method: 'POST', body: note });
      form.reset();
      await loadNotes();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) signIn(e.message);
      else error.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  });
}

// ---- refresh ----
const PANELS = [
  ['roster', (d) => `/api/v1/roster?date=${d}`, renderRoster],
  ['coverage', (d) => `/api/v1/coverage?from=${d}&to=${addDays(d, COVERAGE_DAYS)}`, renderCoverage],
  ['attendance', (d) => `/api/v1/attendance?month=${d.slice(0, 7)}`, renderAttendance],
  ['stability', (d) => `/api/v1/stability?period=${d.slice(0, 7)}`, renderStability],
  ['training', (d) => `/api/v1/training?month=${d.slice(0, 7)}`, renderTraining],
];

// Back to the login form (a 401, a refused token, a logout), with why.
function signIn(message) {
  if (timer) clearTimeout(timer);
  timer = null;
  if (client) client.stop();
  client = null;
  me = null;
  $('#board').hidden = true;
  $('#signin').hidden = false;
  for (const id of ['#logout', '#whoami', '#stream', '#sound']) $(id).hidden = true;
  $('#signin-error').textContent = message || '';
  delete document.body.dataset.loaded;
  $('#login-user').focus();
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
      if (isAuthError(e)) {
        signIn(e.message);
        return;
      }
      showError('roster', e.message);
      timer = setTimeout(refresh, REFRESH_MS);
      return;
    }
  }
  const d = $('#day').value;
  const jobs = PANELS.map(async ([name, path, render]) => {
    try {
      render(await api(path(d)));
    } catch (e) {
      if (isAuthError(e)) auth = e;
      else showError(name, e.message);
    }
  });
  jobs.push(loadNotes().catch((e) => { auth = e; }));
  await Promise.all(jobs);
  if (auth) {
    signIn(auth.message);
    return;
  }
  $('#updated').textContent = t('sup.updated', '更新于 {time}', { time: centreHms(serverNow()) });
  document.body.dataset.loaded = 'true';
  timer = setTimeout(refresh, REFRESH_MS);
}

// Whether the server has alerts: GET /api/v1/alerts answers (its list is
// shown until the topic's snapshot comes); 404 on a server without them.
async function loadAlerts() {
  try {
    takeAlerts(await api('/api/v1/alerts'));
    alertsTopic = true;
  } catch (e) {
    alertsTopic = false;
    if (e instanceof ApiError && e.status === 404) {
      show('alerts', el('p', 'sv-empty', t('sup.alerts_missing', '本服务器未启用告警')));
    } else {
      if (isAuthError(e)) throw e;
      showError('alerts', e.message);
      alertsTopic = true; // a passing failure: the topic may still work
    }
  }
}

async function start() {
  $('#signin').hidden = true;
  $('#board').hidden = false;
  $('#logout').hidden = !!programToken;
  const who = $('#whoami');
  who.hidden = !me;
  who.textContent = me ? t('sup.whoami', '{name}（{role}）', {
    name: me.display_name || me.user, role: t(`sup.role.${me.role}`, me.role),
  }) : '';
  $('#sound').hidden = false;
  renderSound();
  try {
    await loadAlerts();
  } catch (e) {
    signIn(e.message);
    return;
  }
  startStream();
  refresh();
}

async function login(ev) {
  ev.preventDefault();
  unlockAudio(); // the click is the gesture that lets the page beep later
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
  await logOut('supervisor');
  signIn('');
}

async function boot() {
  window.wbSupervisor = { client: null };
  await loadLabels();
  $('#day').value = params.get('date') || '';
  $('#day').addEventListener('change', refresh);
  $('#login-form').addEventListener('submit', login);
  $('#logout').addEventListener('click', logout);
  $('#sound').addEventListener('click', () => {
    if (audio?.state === 'running') {
      muted = !muted;
      sessionStorage.setItem('wb.supervisor.muted', muted ? '1' : '0');
    }
    unlockAudio();
  });
  // After a reload nobody has clicked yet: the first click anywhere
  // starts the sound.
  document.addEventListener('pointerdown', unlockAudio, { once: true });
  wireNoteForm('handover');
  wireNoteForm('incident');
  setInterval(tick, 500);
  if (programToken) {
    start();
    return;
  }
  try {
    me = await api('/api/v1/auth/me');
    start();
  } catch (e) {
    signIn(e instanceof ApiError && e.status === 401 ? '' : e.message);
  }
}

boot();
