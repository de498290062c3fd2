// wallboard.js: the floor TV page.
//
// Topics "wallboard" (the /api/v1/live object without agents), "agents" and
// "staffing" (the /api/v1/staffing object) arrive through wb-client.js; this
// file turns them into tiles, the queue strip, the staffing panel and agent
// cards. Field names are those of docs/protocol.md.
//
// Time: the page keeps the server's clock, not its own. "Server now" is the
// ts_ms of the last frame plus the local time elapsed since, times
// clock_rate (the demo may run faster than real time). The clock, the
// longest wait and each agent's time in state tick from it between frames.
//
// Today's trend (trend.js) fetches /api/v1/series once a minute and after a
// reconnect, not on frames; this file only tells it the day and the stream.

import { WbClient, tokenFromPage } from '../js/wb-client.js';
import { clock, offsetFromIso, serverNow, syncClock } from '../js/server-clock.js';
import { TrendPanel } from './trend.js';

// ---- thresholds that the server does not send ----
// Rates: green at or above target, amber up to RATE_AMBER_BAND below, red
// below that. Calls waiting: amber from WAITING_AMBER, red from WAITING_RED.
// Longest wait: amber past the service-level threshold (a call that waits
// longer already misses it), red past LONGEST_WAIT_RED_S (the default alert).
const RATE_AMBER_BAND = 0.05;
const WAITING_AMBER = 3;
const WAITING_RED = 6;
const LONGEST_WAIT_RED_S = 60;
const DEFAULT_SL_THRESHOLD_S = 15;

const STATES = ['available', 'ringing', 'on_call', 'acw', 'paused', 'offline'];
const EPS = 1e-9;

// ---- i18n ----
const params = new URLSearchParams(window.location.search);
const lang = params.get('lang') === 'en' ? 'en' : 'zh-CN';
let labels = {};

async function loadLabels() {
  try {
    const res = await fetch(new URL(`../i18n/${lang}.json`, import.meta.url));
    if (res.ok) labels = await res.json();
  } catch (e) {
    console.warn('wallboard: labels not loaded, keeping the built-in Chinese', e);
  }
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    const text = labels[el.dataset.i18n];
    if (typeof text === 'string') el.textContent = text;
  }
  if (labels['app.subtitle']) document.title = `12367 ${labels['app.subtitle']}`;
}

function t(key, vars = {}) {
  const text = labels[key];
  if (typeof text !== 'string') return key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

// ---- server clock ----
// Wall-clock fields of a server time in the centre's time zone.
function centreTime(ms) {
  const d = new Date(ms + clock.offsetMin * 60000);
  return {
    y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(), wd: d.getUTCDay(),
    hh: d.getUTCHours(), mm: d.getUTCMinutes(), ss: d.getUTCSeconds(),
  };
}

const pad2 = (n) => String(n).padStart(2, '0');
const hms = (c) => `${pad2(c.hh)}:${pad2(c.mm)}:${pad2(c.ss)}`;

// ---- formatting: null is "—", never 0 or 100 % ----
const NA = () => t('na') === 'na' ? '—' : t('na');
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

function fmtCount(v) {
  return isNum(v) ? String(Math.round(v)) : NA();
}

function fmtPercent(v) {
  if (!isNum(v)) return { v: NA(), u: '' };
  const p = v * 100;
  return { v: p >= 99.95 ? '100' : p.toFixed(1), u: '%' };
}

// Clock-style duration: 0:42, 12:05, 1:02:03.
function fmtClock(s) {
  if (!isNum(s)) return NA();
  const total = Math.max(0, Math.floor(s));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(sec)}` : `${m}:${pad2(sec)}`;
}

// Averages: whole seconds under 100 s ("9 秒"), else clock style ("2:51").
function fmtAverage(s) {
  if (!isNum(s)) return { v: NA(), u: '' };
  if (s < 99.5) return { v: String(Math.round(s)), u: t('unit.s') };
  return { v: fmtClock(s), u: '' };
}

function rateClass(v, target) {
  if (!isNum(v)) return 'na';
  if (!isNum(target)) return '';
  if (v >= target - EPS) return 'good';
  if (v >= target - RATE_AMBER_BAND - EPS) return 'warn';
  return 'bad';
}

function waitingClass(n) {
  if (!isNum(n)) return 'na';
  if (n >= WAITING_RED) return 'bad';
  if (n >= WAITING_AMBER) return 'warn';
  return 'good';
}

function longestClass(s, thresholdS) {
  if (!isNum(s)) return 'na';
  if (s > LONGEST_WAIT_RED_S) return 'bad';
  if (s > thresholdS) return 'warn';
  return 'good';
}

// ---- DOM helpers ----
const $ = (sel, root = document) => root.querySelector(sel);

function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

function setClass(el, base, cls) {
  const want = cls ? `${base} ${cls}` : base;
  if (el && el.className !== want) el.className = want;
}

function tile(key) {
  const root = $(`[data-kpi="${key}"]`);
  return { root, v: $('.v', root), foot: $('.tile-foot', root), label: $('.tile-label', root) };
}

// value: {v, u} (number and unit) or a string; cls: threshold class;
// foot: see setFoot, undefined leaves the foot alone
function setTile(key, value, cls, foot) {
  const el = tile(key);
  const { v, u } = typeof value === 'string' ? { v: value, u: '' } : value;
  setText(el.v, v);
  setClass(el.v, 'v', cls);
  let unit = $('.u', el.root);
  if (u && !unit) {
    unit = document.createElement('span');
    unit.className = 'u';
    el.v.after(unit);
  }
  if (unit) setText(unit, u);
  if (foot !== undefined) setFoot(el.foot, foot);
  fitValue(el.root);
}

// A value wider than its tile ("1:02:03" waited, a long day's count) is
// shrunk to fit instead of spilling over; measured only when it changed.
function fitValue(root) {
  const box = $('.tile-value', root);
  const text = box.textContent;
  if (box.dataset.fitted === text && box.dataset.fitW === String(box.clientWidth)) return;
  box.style.fontSize = '';
  const kids = [...box.children];
  if (kids.length) {
    const left = Math.min(...kids.map((k) => k.getBoundingClientRect().left));
    const right = Math.max(...kids.map((k) => k.getBoundingClientRect().right));
    const need = right - left;
    const room = box.clientWidth;
    if (need > room && room > 0) {
      const px = parseFloat(getComputedStyle(box).fontSize);
      box.style.fontSize = `${Math.floor(px * (room / need) * 0.97)}px`;
    }
  }
  box.dataset.fitted = text;
  box.dataset.fitW = String(box.clientWidth);
}

// parts: HTML snippets (escaped by the caller), laid out left to right
function setFoot(el, parts) {
  const html = parts.map((p) => (p ? `<span>${p}</span>` : '<span></span>')).join('');
  if (el.innerHTML !== html) el.innerHTML = html;
}

function escapeHtml(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// ---- state ----
let wallboard = null; // last data of topic "wallboard"
let agentsData = null; // last data of topic "agents"
let staffingData = null; // last data of topic "staffing"

function slThreshold(kpi) {
  const t0 = kpi?.service_level?.threshold_s;
  return isNum(t0) ? t0 : DEFAULT_SL_THRESHOLD_S;
}

function slVariantLabel(sl) {
  if (!sl) return '';
  let text = t(`sl.variant.${sl.variant}`);
  if (text.startsWith('sl.variant.')) text = sl.variant || '';
  if (sl.excludes_short_abandons) text += t('sl.excludes_short_abandons');
  return text;
}

// Longest wait now: the value at ts_ms plus the server time since, while
// anybody waits.
function tickingLongest(kpi, data) {
  const base = kpi?.longest_wait_s;
  if (!isNum(base)) return null;
  if (!(kpi.waiting > 0) || !isNum(data?.ts_ms)) return base;
  return base + Math.max(0, serverNow() - data.ts_ms) / 1000;
}

function renderWallboard() {
  const d = wallboard;
  if (!d) return;
  const total = d.total || {};
  const targets = d.targets || {};
  const thr = slThreshold(total);

  $('#demo-mark').hidden = d.demo !== true;

  setTile('waiting', fmtCount(total.waiting), waitingClass(total.waiting), []);
  renderLongest();

  const ar = total.answer_rate;
  setTile('answer_rate', fmtPercent(ar), rateClass(ar, targets.answer_rate),
    [isNum(targets.answer_rate) ? t('target', { v: fmtPercent(targets.answer_rate).v + '%' }) : '']);

  const sl = total.service_level || {};
  setText(tile('service_level').label, t('kpi.service_level', { n: thr }));
  setTile('service_level', fmtPercent(sl.value), rateClass(sl.value, targets.service_level), [
    escapeHtml(slVariantLabel(sl)),
    isNum(targets.service_level) ? t('target', { v: fmtPercent(targets.service_level).v + '%' }) : '',
  ]);

  setTile('asa_s', fmtAverage(total.asa_s), isNum(total.asa_s) ? '' : 'na', []);
  setTile('aht_s', fmtAverage(total.aht_s), isNum(total.aht_s) ? '' : 'na', []);
  setTile('offered', fmtCount(total.offered), isNum(total.offered) ? '' : 'na', []);
  setTile('answered', fmtCount(total.answered), isNum(total.answered) ? '' : 'na', []);
  setTile('abandoned', fmtCount(total.abandoned), isNum(total.abandoned) ? '' : 'na', [
    `${escapeHtml(t('kpi.short_abandons'))} <b class="sub-n num">${fmtCount(total.short_abandons)}</b>`,
  ]);

  renderQueues();
  renderCounts();
  renderAlerts();
}

// Sizes that follow the space the panels have: after a resize, and when
// the alert banner comes or goes.
function refit() {
  renderAgents();
  if (staffingData) {
    $('#on-duty').dataset.html = '';
    renderStaffing();
  }
  for (const el of document.querySelectorAll('.tile')) fitValue(el);
}

// The banner shows the first open alert the server lists (the most severe,
// then the newest) and how many more there are; info alerts stay off the TV.
function renderAlerts() {
  const list = Array.isArray(wallboard?.alerts)
    ? wallboard.alerts.filter((a) => a && a.severity !== 'info') : [];
  const box = $('#alert-banner');
  if (box.hidden !== (list.length === 0)) {
    box.hidden = list.length === 0;
    refit(); // the banner's row takes its height from the panels below
  }
  if (list.length === 0) return;
  const top = list[0];
  box.dataset.severity = top.severity;
  setText($('#alert-chip'), t(`sup.severity.${top.severity}`));
  setText($('#alert-msg'), top.message || top.rule || '');
  setText($('#alert-more'), list.length > 1 ? t('alerts.more', { n: list.length - 1 }) : '');
}

function renderLongest() {
  const d = wallboard;
  if (!d) return;
  const total = d.total || {};
  const s = tickingLongest(total, d);
  setTile('longest_wait_s', fmtClock(s), longestClass(s, slThreshold(total)));
  for (const row of document.querySelectorAll('#queue-rows tr')) {
    const q = (d.queues || []).find((x) => x.queue === row.dataset.queue);
    if (!q) continue;
    const qs = tickingLongest(q, d);
    const cell = $('.q-longest', row);
    setText(cell, fmtClock(qs));
    setClass(cell, 'q-longest', longestClass(qs, slThreshold(q)));
  }
}

function renderQueues() {
  const d = wallboard;
  const queues = d.queues || [];
  const targets = d.targets || {};
  const thr = slThreshold(d.total);
  setText($('#queue-sl-head'), t('kpi.service_level', { n: thr }));
  const body = $('#queue-rows');
  const rows = queues.map((q) => {
    const ar = fmtPercent(q.answer_rate);
    const sl = fmtPercent(q.service_level?.value);
    const qThr = slThreshold(q);
    const own = qThr !== thr ? `<span class="q-sl-t">${escapeHtml(t('kpi.service_level', { n: qThr }))}</span>` : '';
    return `<tr data-queue="${escapeHtml(q.queue)}">` +
      `<td class="q-name">${escapeHtml(q.name || q.queue)}</td>` +
      `<td class="q-waiting ${waitingClass(q.waiting)} num">${fmtCount(q.waiting)}</td>` +
      '<td class="q-longest num"></td>' +
      `<td class="q-offered num">${fmtCount(q.offered)}</td>` +
      `<td class="q-answer-rate ${rateClass(q.answer_rate, (q.targets || targets).answer_rate)} num">${ar.v}${ar.u}</td>` +
      `<td class="q-service-level ${rateClass(q.service_level?.value, (q.targets || targets).service_level)} num">${sl.v}${sl.u}${own}</td>` +
      '</tr>';
  }).join('');
  if (body.dataset.html !== rows) {
    body.innerHTML = rows;
    body.dataset.html = rows;
  }
  renderLongest();
}

function renderCounts() {
  const by = wallboard?.agents_by_state || {};
  for (const st of STATES) {
    const el = $(`#state-counts [data-state="${st}"] .count-n`);
    setText(el, fmtCount(by[st]));
  }
}

// ---- agents ----
function bandOf(seconds, bands) {
  const b = Array.isArray(bands) && bands.length ? bands : [10, 60, 300];
  let i = 0;
  while (i < b.length && seconds >= b[i]) i++;
  return i; // 0 .. bands.length
}

function stateLabel(a) {
  if (a.state === 'paused' && a.reason) return a.reason;
  const text = t(`state.${a.state}`);
  return text.startsWith('state.') ? a.state : text;
}

function sortedAgents(list) {
  const key = (a) => String(a.agent ?? '');
  return [...list].sort((a, b) => {
    const off = (a.state === 'offline') - (b.state === 'offline');
    if (off) return off;
    return key(a).localeCompare(key(b), 'en', { numeric: true });
  });
}

function makeCard(a) {
  const el = document.createElement('div');
  el.dataset.agent = a.agent;
  el.innerHTML = '<div class="agent-name"></div><div class="agent-time num"></div>' +
    '<div class="agent-state"></div><div class="agent-calls"></div>';
  return el;
}

// Fits every card on screen: the fewest columns (2 to 5) whose rows still
// fit, cards as tall as the room allows up to CARD_MAX_REM, the text scaled
// with the card. Few agents get big cards; 40 still fit in five columns.
const CARD_MAX_REM = 7.6;
const CARD_MIN_REM = 3.4;
const CARD_BASE_REM = 5.6; // the height at which --card-font is 1rem

function fitCards(container, n) {
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  const h = container.clientHeight / rem;
  const gap = 0.5;
  let cols = 2;
  let cardH = CARD_MAX_REM;
  for (cols = 2; cols <= 5; cols++) {
    const rows = Math.max(1, Math.ceil(n / cols));
    cardH = Math.min(CARD_MAX_REM, (h - gap * (rows - 1)) / rows);
    if (cardH >= CARD_MIN_REM || cols === 5) break;
  }
  // Narrower columns need smaller text too: scale by height and by width.
  const byHeight = cardH / CARD_BASE_REM;
  // (2.15 suits the 37.75rem wide cards area the sizes were tuned on.)
  const byWidth = (2.15 / cols) * Math.min(1, container.clientWidth / rem / 37.75);
  // Four or more columns: name over state and time, no call count.
  const dense = cols >= 4;
  const font = Math.max(0.5, Math.min(1.25, byHeight, dense ? byWidth * 1.45 : byWidth));
  container.classList.toggle('dense', dense);
  container.style.setProperty('--cols', String(cols));
  container.style.setProperty('--card-h', `${cardH}rem`);
  container.style.setProperty('--card-font', `${font}rem`);
}

function renderAgents() {
  const container = $('#agent-cards');
  const list = sortedAgents(agentsData?.agents || []);
  const existing = new Map([...container.querySelectorAll('.agent')].map((el) => [el.dataset.agent, el]));
  const none = $('.agents-none', container);
  if (none) none.remove();

  list.forEach((a, i) => {
    let el = existing.get(String(a.agent));
    if (!el) el = makeCard(a);
    existing.delete(String(a.agent));
    if (container.children[i] !== el) container.insertBefore(el, container.children[i] || null);
    el.dataset.state = a.state;
    setClass(el, 'agent', `st-${a.state}`);
    setText($('.agent-name', el), a.name || String(a.agent));
    el.title = String(a.agent);
    setText($('.agent-state', el), stateLabel(a));
    setText($('.agent-calls', el), isNum(a.calls) ? t('kpi.calls_today', { n: a.calls }) : '');
  });
  for (const el of existing.values()) el.remove();
  if (!list.length) {
    const empty = document.createElement('div');
    empty.className = 'agents-none';
    empty.textContent = t('agents.none');
    container.append(empty);
  }
  fitCards(container, list.length);
  tickAgents();
}

function tickAgents() {
  const now = serverNow();
  const bands = wallboard?.state_bands_s;
  for (const a of agentsData?.agents || []) {
    const el = $(`.agent[data-agent="${CSS.escape(String(a.agent))}"] .agent-time`);
    if (!el) continue;
    if (!isNum(a.since_ms)) {
      setText(el, NA());
      setClass(el, 'agent-time num', '');
      continue;
    }
    const s = Math.max(0, (now - a.since_ms) / 1000);
    setText(el, fmtClock(s));
    setClass(el, 'agent-time num', `band-${bandOf(s, bands)}`);
  }
}

// ---- staffing ----
// "2026-11-28T14:00:00.000+08:00" -> "14:00" (the centre's wall clock).
const hhmm = (iso) => (typeof iso === 'string' && iso.length >= 16 ? iso.slice(11, 16) : '');

// Fewer people present than required: red. Present is compared with
// required (Erlang C's agents, an upper bound), not with scheduled.
function renderStaffing() {
  const d = staffingData;
  if (!d) return;
  const root = $('#staffing');
  const cur = d.interval || {};
  const next = d.next_interval || {};
  const required = cur.required;
  const short = isNum(required) && isNum(d.present) && d.present < required;
  root.dataset.state = 'live';
  root.classList.toggle('short', short);
  const fig = (key, v, cls) => {
    const el = $(`[data-staffing="${key}"] .sf-n`, root);
    setText(el, fmtCount(v));
    setClass(el, 'sf-n num', isNum(v) ? cls : 'na');
  };
  fig('required', required, '');
  fig('present', d.present, short ? 'bad' : (isNum(required) ? 'good' : ''));
  fig('on_phones', d.on_phones, '');
  const forecast = (iv) => fmtCount(iv.forecast?.offered);
  setText($('#staffing-window'), t('staffing.now', { from: hhmm(cur.from), to: hhmm(cur.to), n: forecast(cur) }));
  const nextHtml = escapeHtml(t('staffing.next', { from: hhmm(next.from), to: hhmm(next.to) })) +
    ` <b class="num">${escapeHtml(forecast(next))}</b> ${escapeHtml(t('unit.calls'))}` +
    ` · ${escapeHtml(t('staffing.required'))} <b class="num">${escapeHtml(fmtCount(next.required))}</b>`;
  const nextEl = $('#staffing-next');
  if (nextEl.innerHTML !== nextHtml) nextEl.innerHTML = nextHtml;
  nextEl.title = t('staffing.upper_bound');
  const shifts = (d.shifts || []).map((sh) => `${sh.label || sh.code || t('staffing.no_template')} ${hhmm(sh.from)}–${hhmm(sh.to)}`);
  setText($('#staffing-shifts'), shifts.length ? shifts.join('、') : t('staffing.no_shift'));
  renderOnDuty(d.on_duty || []);
}

function renderOnDuty(list) {
  const box = $('#on-duty');
  const html = list.length ? list.map((p) => {
    const cls = p.present ? 'duty' : 'duty absent';
    const note = p.present ? '' : ` <span class="duty-note">${escapeHtml(t('staffing.absent'))}</span>`;
    // Present without a shift (came in, logged in): marked as not rostered.
    const extra = p.rostered ? '' : ` <span class="duty-extra">${escapeHtml(t('staffing.unrostered'))}</span>`;
    return `<span class="${cls}" data-agent="${escapeHtml(p.agent)}" data-present="${p.present ? 1 : 0}">` +
      `<span class="duty-name">${escapeHtml(p.name || p.agent)}</span>${note}${extra}</span>`;
  }).join('') : `<span class="on-duty-none">${escapeHtml(t('staffing.none'))}</span>`;
  if (box.dataset.html === html) return;
  box.innerHTML = html;
  box.dataset.html = html;
  // As large as the room allows: smaller chips until they all fit.
  let px = 1.9;
  box.style.setProperty('--duty-font', `${px}rem`);
  while (box.scrollHeight > box.clientHeight + 1 && px > 0.9) {
    px -= 0.1;
    box.style.setProperty('--duty-font', `${px.toFixed(2)}rem`);
  }
}

// ---- clock and banners ----
let lastClockText = '';

// The day's place in China's holiday calendar (GET /api/v1/holidays): the
// holiday's name on a day off, 调休上班 on a make-up working day. Asked for
// the year on view, again each hour (a notice may be added to the
// calendar); a failure keeps what was known. Only while the stream is
// live: a wrong token is the stream's to report, once.
const holidays = { year: null, at: 0, days: new Map() };

async function loadHolidays(year) {
  holidays.year = year;
  holidays.at = Date.now();
  try {
    const res = await fetch(`/api/v1/holidays?year=${year}`, {
      headers: { Authorization: `Bearer ${tokenFromPage()}` },
    });
    if (!res.ok) return;
    const body = await res.json();
    holidays.days = new Map((body.days || []).map((d) => [d.date, d]));
    lastClockText = ''; // redraw now
  } catch (e) {
    console.warn('wallboard: holiday calendar not loaded', e);
  }
}

function holidayText(c) {
  const due = holidays.year !== c.y || Date.now() - holidays.at > 3600e3;
  if (due && document.body.dataset.stream === 'live') loadHolidays(c.y);
  const day = holidays.days.get(`${c.y}-${pad2(c.m)}-${pad2(c.d)}`);
  if (!day) return '';
  if (day.is_makeup_workday) return t('holiday.makeup');
  return day.is_day_off && day.name ? day.name : '';
}

function tickClock() {
  const c = centreTime(serverNow());
  const text = hms(c);
  if (text === lastClockText) return;
  lastClockText = text;
  setText($('#clock-time'), text);
  setText($('#clock-date'), t('date', { y: c.y, m: pad2(c.m), d: pad2(c.d) }));
  const wd = Array.isArray(labels.weekday) ? labels.weekday[c.wd] : '';
  setText($('#clock-weekday'), wd);
  setText($('#clock-holiday'), holidayText(c));
  renderLongest();
  tickAgents();
}

// Server time at which the last frame arrived (for "数据中断 自 HH:MM:SS").
let lastFrameServerMs = null;
let trend = null;

function renderStatus(status) {
  // Live again after an outage (or for the first time): the trend panel
  // refetches with the next wallboard frame.
  if (trend) trend.setLive(status.state === 'live');
  document.body.dataset.stream = status.state;
  const badge = $('#stream-state');
  badge.dataset.state = status.state;
  setText($('#stream-label'), t(`stream.${status.state}`));

  const stale = $('#stale');
  if (status.state === 'stale') {
    const text = lastFrameServerMs === null ? t('banner.stale_never')
      : t('banner.stale', { time: hms(centreTime(lastFrameServerMs)) });
    setText($('#stale-text'), text);
    // Under the header, so that the clock and the demo mark stay in view.
    stale.style.top = `${$('.wb-header').getBoundingClientRect().bottom}px`;
    stale.hidden = false;
  } else {
    stale.hidden = true;
  }

  const fatal = $('#fatal');
  if (status.state === 'auth_error') {
    setText($('#fatal-hint'), tokenFromPage() ? t('banner.token_hint') : t('banner.token_missing'));
    fatal.hidden = false;
  } else {
    fatal.hidden = true;
  }
}

// ---- wiring ----
async function main() {
  await loadLabels();
  tickClock();

  let client = null;
  trend = new TrendPanel({
    root: $('#trend'),
    token: tokenFromPage(),
    t,
    serverNow,
    offsetMin: () => clock.offsetMin,
    // A killed daemon closes the socket at once, seconds before the stream
    // counts as stale.
    online: () => client?.state === 'live' && client.ws?.readyState === WebSocket.OPEN,
  });
  window.wbTrend = trend; // for the browser test

  client = new WbClient({
    topics: ['wallboard', 'agents', 'staffing'],
    onFrame(frame) {
      // Heartbeats carry the server's now. A topic's ts_ms is the time of
      // its data, which may be older (nothing changed since): it sets the
      // clock only before anything else did, or moves it forward.
      if (frame.t === 'heartbeat') {
        syncClock(Number(frame.ts_ms));
      } else {
        const ts = Number(frame.data?.ts_ms);
        if (Number.isFinite(ts) && (clock.tsMs === null || ts > serverNow())) syncClock(ts);
      }
      lastFrameServerMs = serverNow();
    },
    onData(topic, data) {
      if (!data || typeof data !== 'object') return;
      if (topic === 'wallboard') {
        wallboard = data;
        if (isNum(data.clock_rate) && data.clock_rate > 0) clock.rate = data.clock_rate;
        const off = offsetFromIso(data.ts);
        if (off !== null) clock.offsetMin = off;
        renderWallboard();
        trend.update(data);
        if (agentsData) tickAgents();
      } else if (topic === 'agents') {
        agentsData = data;
        renderAgents();
      } else if (topic === 'staffing') {
        staffingData = data;
        renderStaffing();
      }
    },
    onStatus: renderStatus,
  });
  renderStatus(client.status());
  client.start();
  window.wbClient = client; // for the browser test and for a look from devtools

  // Ticks: the clock and the ticking values change once a second; checking
  // four times a second keeps them on the second without drifting.
  setInterval(tickClock, 250);
  window.addEventListener('resize', refit);
}

main();
