// trend.js: today's trend on the wallboard, beside the same weekday last week.
//
// Two small uPlot charts: offered calls per 15 minutes (today as bars, last
// week as a lighter line) and today's running service level (today and last
// week as lines, the target dashed). A vertical line marks the current time.
//
// Data: GET /api/v1/series (docs/protocol.md), four requests per refresh:
// metric offered and service_level, for today (local midnight to the next,
// in the centre's time zone from the wallboard topic's day and timezone) and
// for the same range a week earlier. Refreshed every REFRESH_MS, right after
// a reconnect and when the day changes; never on a WebSocket frame.
//
// uPlot (npm "uplot") is served by the daemon at /vendor/uplot/ and loaded
// only once the endpoint has answered: a daemon without it costs one 404 a
// minute and shows "暂无趋势数据", never a broken layout. Nothing here writes
// console.error (the browser test fails on console errors).

import { loadUplot } from '../js/uplot-loader.js';

const SERIES_URL = '/api/v1/series';
const RESOLUTION_S = 900;
const REFRESH_MS = 60000;
const FETCH_TIMEOUT_MS = 15000;
const DAY_MS = 86400000;
const HOUR_MS = 3600000;

const COLOURS = {
  today: '#38bdf8',
  todayFill: 'rgba(56, 189, 248, 0.78)',
  lastWeek: 'rgba(203, 213, 225, 0.62)',
  target: 'rgba(251, 191, 36, 0.9)',
  now: 'rgba(255, 255, 255, 0.9)',
};

const pad2 = (n) => String(n).padStart(2, '0');
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

// ---- the centre's calendar ----
const zoneFormats = new Map();

// UTC offset in minutes of time zone tz at epoch ms, or null if the browser
// does not know tz.
function zoneOffsetMin(ms, tz) {
  if (!tz) return null;
  let f = zoneFormats.get(tz);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      f = null;
    }
    zoneFormats.set(tz, f);
  }
  if (!f) return null;
  const p = {};
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

// Epoch ms of local midnight starting calendar day (y, m, d) in tz, with
// fallbackMin as the offset where tz is unknown. d may overflow (d + 1).
function midnight(y, m, d, tz, fallbackMin) {
  const wall = Date.UTC(y, m - 1, d);
  const off = (ms) => zoneOffsetMin(ms, tz) ?? fallbackMin;
  let ms = wall - off(wall) * 60000;
  ms = wall - off(ms) * 60000; // once more, for a day a DST change starts
  return ms;
}

// "2026-11-28" -> [2026, 11, 28]; else the centre's day at nowMs.
function dayParts(day, nowMs, offsetMin) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(nowMs + offsetMin * 60000);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

// ---- series onto a grid ----
// The grid: n steps of stepMs from `from`. A point [end, v] of a series
// with step s covers [end - s, end). Counts are spread over the grid steps
// they overlap (a coarser series keeps its rate per grid step); a level
// (service level) is taken at each grid step's end.
function toGrid(body, from, n, stepMs, kind) {
  const out = new Array(n).fill(null);
  const points = Array.isArray(body?.points) ? body.points : [];
  const s = isNum(body?.step_s) && body.step_s > 0 ? body.step_s * 1000 : stepMs;
  for (const p of points) {
    if (!Array.isArray(p) || !isNum(p[0]) || !isNum(p[1])) continue;
    const end = p[0];
    const v = p[1];
    if (kind === 'level') {
      // grid steps whose end falls in (end - s, end]
      const first = Math.max(0, Math.ceil((end - s - from) / stepMs + 1e-9) - 1);
      const last = Math.min(n - 1, Math.floor((end - from) / stepMs + 1e-9) - 1);
      for (let i = first; i <= last; i++) out[i] = v;
    } else {
      const start = end - s;
      const i0 = Math.max(0, Math.floor((start - from) / stepMs));
      const i1 = Math.min(n - 1, Math.ceil((end - from) / stepMs) - 1);
      for (let i = i0; i <= i1; i++) {
        const a = Math.max(start, from + i * stepMs);
        const b = Math.min(end, from + (i + 1) * stepMs);
        if (b <= a) continue;
        out[i] = (out[i] ?? 0) + v * ((b - a) / s);
      }
    }
  }
  return out;
}

const countNonNull = (a) => a.reduce((k, v) => k + (v === null ? 0 : 1), 0);

// A round axis maximum at or above v.
function niceMax(v) {
  if (!(v > 0)) return 10;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const k of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (k * p >= v) return k * p;
  return 10 * p;
}

// Points on a line only where they would not be seen otherwise: a value
// with no neighbour (a line of one point draws nothing); for today also the
// latest value.
function lone(u, si) {
  return lonePoints(u.data[si], false);
}

function loneAndLast(u, si) {
  return lonePoints(u.data[si], true);
}

function lonePoints(d, withLast) {
  const idx = [];
  let last = -1;
  for (let i = 0; i < d.length; i++) {
    if (d[i] === null || d[i] === undefined) continue;
    last = i;
    const prev = i > 0 ? d[i - 1] : null;
    const next = i + 1 < d.length ? d[i + 1] : null;
    if ((prev === null || prev === undefined) && (next === null || next === undefined)) idx.push(i);
  }
  if (withLast && last >= 0 && !idx.includes(last)) idx.push(last);
  return idx.length ? idx : null;
}

export class TrendPanel {
  /**
   * root: the .trend section; t(key, vars): the page's labels; serverNow():
   * the server clock in epoch ms; offsetMin(): the centre's UTC offset in
   * minutes (from data.ts) where the browser does not know data.timezone;
   * online(): whether the stream's socket is open and live (the minute's
   * refresh asks nothing of a daemon that is down: the browser would log
   * each refused request as an error).
   */
  constructor({ root, token, t, serverNow, offsetMin, online }) {
    this.root = root;
    this.token = token;
    this.t = t;
    this.serverNow = serverNow;
    this.offsetMin = offsetMin;
    this.online = online || (() => this.live);
    this.data = null; // last wallboard topic data
    this.day = null; // the day the charts show ("2026-11-28")
    this.askedDay = null; // the day of the last refresh
    this.again = false; // a refresh was asked while one ran
    this.range = null; // {from, to, lastFrom, lastTo, n, stepMs}
    this.state = 'loading'; // loading (no answer yet) | empty | nodata | chart
    this.inFlight = null;
    this.pending = true; // refresh at the next wallboard frame
    this.charts = {}; // offered, service_level: uPlot instances
    this.series = null; // grid values of the last good answer
    this.rem = 0;
    this.live = false;
    this.timer = setInterval(() => {
      if (this.live && this.online()) this.refresh('timer');
      else this.redraw(); // the current time moves on
    }, REFRESH_MS);
    this.plots = {
      offered: root.querySelector('[data-chart="offered"] .trend-plot'),
      service_level: root.querySelector('[data-chart="service_level"] .trend-plot'),
    };
    if (typeof ResizeObserver === 'function') {
      this.resizer = new ResizeObserver(() => this.resize());
      for (const el of Object.values(this.plots)) this.resizer.observe(el);
    }
    this.setState('loading');
  }

  // Every wallboard frame: cheap. Refreshes only on a new day or when a
  // reconnect asked for it.
  update(data) {
    this.data = data;
    this.labels();
    const day = this.dayOf(data);
    if (this.pending || day !== this.askedDay) {
      this.pending = false;
      this.refresh(day !== this.askedDay ? 'day' : 'reconnect');
    }
  }

  // The stream's state. Live again (or for the first time): refresh with
  // the next wallboard frame, which carries the day.
  setLive(live) {
    if (live && !this.live) this.pending = true;
    this.live = live;
  }

  dayOf(data) {
    const [y, m, d] = dayParts(data?.day, this.serverNow(), this.offsetMin());
    return `${y}-${pad2(m)}-${pad2(d)}`;
  }

  thresholdS() {
    const v = this.data?.total?.service_level?.threshold_s;
    return isNum(v) ? v : 15;
  }

  target() {
    const v = this.data?.total?.targets?.service_level ?? this.data?.targets?.service_level;
    return isNum(v) ? v : null;
  }

  labels() {
    const sl = this.root.querySelector('[data-chart="service_level"] .trend-title-text');
    const text = this.t('kpi.service_level', { n: this.thresholdS() });
    if (sl && sl.textContent !== text) sl.textContent = text;
    const target = this.target();
    const item = this.root.querySelector('.lg-target');
    if (item) {
      item.hidden = !isNum(target);
      const pct = isNum(target) ? `${+(target * 100).toFixed(1)}%` : '';
      const label = this.t('target', { v: pct });
      const el = item.querySelector('.lg-target-text');
      if (el.textContent !== label) el.textContent = label;
    }
  }

  computeRange(day) {
    const tz = this.data?.timezone;
    const off = this.offsetMin();
    const [y, m, d] = dayParts(day, this.serverNow(), off);
    const from = midnight(y, m, d, tz, off);
    const to = midnight(y, m, d + 1, tz, off);
    const lastFrom = midnight(y, m, d - 7, tz, off);
    const lastTo = midnight(y, m, d - 6, tz, off);
    const stepMs = RESOLUTION_S * 1000;
    return { from, to, lastFrom, lastTo, stepMs, n: Math.round((to - from) / stepMs) };
  }

  url(metric, from, to) {
    const q = new URLSearchParams({ metric, scope: 'total', from: String(from), to: String(to), resolution: String(RESOLUTION_S) });
    return `${SERIES_URL}?${q}`;
  }

  async get(url) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
    try {
      const res = await fetch(url, {
        headers: { Authorization: `Bearer ${this.token}` }, cache: 'no-store', signal: ctl.signal,
      });
      if (!res.ok) return { status: res.status, body: null };
      return { status: res.status, body: await res.json() };
    } catch (e) {
      return { status: 0, body: null, error: String(e?.message || e) };
    } finally {
      clearTimeout(timer);
    }
  }

  async refresh(why) {
    if (!this.data || !this.token) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const day = this.dayOf(this.data);
    this.askedDay = day;
    const r = this.computeRange(day);
    const urls = {
      offered: this.url('offered', r.from, r.to),
      offeredLast: this.url('offered', r.lastFrom, r.lastTo),
      sl: this.url('service_level', r.from, r.to),
      slLast: this.url('service_level', r.lastFrom, r.lastTo),
    };
    this.inFlight = (async () => {
      // Today's offered calls first: a daemon without the endpoint costs
      // one 404 (which the browser logs itself), not four.
      const first = await this.get(urls.offered);
      const rest = ['offeredLast', 'sl', 'slLast'];
      const others = first.status === 200 ? await Promise.all(rest.map((k) => this.get(urls[k]))) : [];
      const answers = [first, ...others];
      const a = { offered: first, ...Object.fromEntries(rest.map((k, i) => [k, others[i]])) };
      const ok = answers.every((x) => x.status === 200 && x.body);
      if (!ok) {
        const missing = answers.some((x) => x.status === 404 || x.status === 401 || x.status === 403);
        // A passing failure (daemon restarting, a timeout) keeps the
        // charts of this day; no endpoint, or a new day, empties the panel.
        if (missing || day !== this.day || this.state === 'empty' || this.state === 'loading') {
          this.day = day;
          this.series = null;
          this.setState('empty');
        }
        if (answers.some((x) => x.status !== 404 && x.status !== 200))
          console.warn('trend: /api/v1/series', why, answers.map((x) => x.status || x.error).join(' '));
        this.redraw();
        return;
      }
      const uPlot = await loadUplot('trend');
      if (!uPlot) {
        this.day = day;
        this.setState('empty');
        return;
      }
      this.uPlot = uPlot;
      this.day = day;
      this.range = r;
      // Today ends now: a value for a step that has not begun (an archive
      // filled ahead, say) is not drawn.
      const now = this.serverNow();
      const upToNow = (values) => values.map((v, i) => (r.from + i * r.stepMs <= now ? v : null));
      this.series = {
        offered: upToNow(toGrid(a.offered.body, r.from, r.n, r.stepMs, 'count')),
        offeredLast: toGrid(a.offeredLast.body, r.lastFrom, r.n, r.stepMs, 'count'),
        sl: upToNow(toGrid(a.sl.body, r.from, r.n, r.stepMs, 'level')),
        slLast: toGrid(a.slLast.body, r.lastFrom, r.n, r.stepMs, 'level'),
      };
      const any = Object.values(this.series).some((s) => countNonNull(s) > 0);
      this.setState(any ? 'chart' : 'nodata');
      this.draw();
    })();
    try {
      await this.inFlight;
    } catch (e) {
      console.warn('trend: refresh failed', e);
      this.setState('empty');
    } finally {
      this.inFlight = null;
    }
    if (this.again) {
      this.again = false;
      this.refresh('again');
    }
  }

  setState(state) {
    this.state = state;
    this.root.dataset.trend = state;
    const empty = this.root.querySelector('.trend-empty');
    if (empty) empty.hidden = state === 'chart' || state === 'loading';
    if (state === 'empty') this.destroy();
  }

  destroy() {
    for (const u of Object.values(this.charts)) u.destroy();
    this.charts = {};
  }

  // ---- drawing ----

  style() {
    const cs = getComputedStyle(document.documentElement);
    const rem = parseFloat(cs.fontSize) || 16;
    const family = getComputedStyle(this.root).fontFamily || 'sans-serif';
    return {
      rem,
      font: `600 ${Math.round(1.2 * rem)}px ${family}`,
      small: `700 ${Math.round(1.1 * rem)}px ${family}`,
      axis: cs.getPropertyValue('--text-dim').trim() || '#9fb0c8',
      grid: cs.getPropertyValue('--panel-edge').trim() || '#223049',
    };
  }

  size(el) {
    const r = el.getBoundingClientRect();
    return { width: Math.max(50, Math.floor(r.width)), height: Math.max(50, Math.floor(r.height)) };
  }

  draw() {
    if (!this.series || !this.uPlot) return;
    const st = this.style();
    if (st.rem !== this.rem) {
      this.destroy(); // fonts follow the screen size
      this.rem = st.rem;
    }
    const { n, stepMs } = this.range;
    const stepH = stepMs / HOUR_MS;
    const mid = Array.from({ length: n }, (_, i) => (i + 0.5) * stepH);
    const ends = Array.from({ length: n }, (_, i) => (i + 1) * stepH);
    const s = this.series;

    const offeredData = [mid, s.offered, s.offeredLast];
    const slData = [ends, s.sl, s.slLast];
    const maxOffered = Math.max(0, ...s.offered.filter(isNum), ...s.offeredLast.filter(isNum));
    this.yOffered = niceMax(Math.max(4, maxOffered * 1.08));
    const slValues = [...s.sl, ...s.slLast].filter(isNum);
    const target = this.target();
    const lo = Math.min(1, ...slValues, ...(isNum(target) ? [target] : []));
    this.ySlMin = Math.max(0, Math.min(0.8, Math.floor((lo - 0.05) * 10) / 10));

    if (!this.charts.offered) this.charts.offered = this.make('offered', st, offeredData);
    else this.charts.offered.setData(offeredData);
    if (!this.charts.service_level) this.charts.service_level = this.make('service_level', st, slData);
    else this.charts.service_level.setData(slData);
  }

  // The now line moves; redraw without new data.
  redraw() {
    for (const u of Object.values(this.charts)) u.redraw(false, false);
  }

  resize() {
    if (!Object.keys(this.charts).length) return;
    const st = this.style();
    if (st.rem !== this.rem) {
      this.draw();
      return;
    }
    for (const [key, u] of Object.entries(this.charts)) {
      const sz = this.size(this.plots[key]);
      if (sz.width !== u.width || sz.height !== u.height) u.setSize(sz);
    }
  }

  make(key, st, data) {
    const uPlot = this.uPlot;
    const el = this.plots[key];
    const { rem } = st;
    const hours = this.range.n * this.range.stepMs / HOUR_MS;
    const hourSplits = [];
    for (let h = 0; h <= hours + 1e-9; h += 3) hourSplits.push(h);
    const isSl = key === 'service_level';
    const axisCommon = {
      stroke: st.axis,
      font: st.font,
      gap: Math.round(0.35 * rem),
      grid: { stroke: st.grid, width: 1 },
      ticks: { stroke: st.grid, width: 1, size: Math.round(0.35 * rem) },
    };
    const series = isSl ? [
      {},
      { label: this.t('trend.today'), stroke: COLOURS.today, width: Math.max(2, 0.22 * rem),
        points: { show: false, filter: loneAndLast, size: 0.6 * rem, fill: COLOURS.today } },
      { label: this.t('trend.last_week'), stroke: COLOURS.lastWeek, width: Math.max(1.5, 0.14 * rem),
        points: { show: false, filter: lone, size: 0.45 * rem, fill: COLOURS.lastWeek } },
    ] : [
      {},
      { label: this.t('trend.today'), stroke: COLOURS.todayFill, fill: COLOURS.todayFill, width: 1,
        paths: uPlot.paths.bars({ size: [0.78, Infinity], align: 0 }), points: { show: false } },
      { label: this.t('trend.last_week'), stroke: COLOURS.lastWeek, width: Math.max(1.5, 0.14 * rem),
        points: { show: false, filter: lone, size: 0.45 * rem, fill: COLOURS.lastWeek } },
    ];
    const opts = {
      ...this.size(el),
      class: `trend-uplot-${key}`,
      padding: [Math.round(0.9 * rem), Math.round(1.6 * rem), 0, 0],
      legend: { show: false },
      cursor: { show: false },
      select: { show: false },
      scales: {
        x: { time: false, range: [0, hours] },
        y: { range: () => (isSl ? [this.ySlMin, 1] : [0, this.yOffered]) },
      },
      axes: [
        { ...axisCommon, splits: () => hourSplits, values: (u, sp) => sp.map((h) => `${pad2(h)}:00`),
          size: Math.round(2.2 * rem) },
        { ...axisCommon, size: Math.round((isSl ? 4.2 : 3.4) * rem),
          space: Math.round(2.4 * rem),
          incrs: isSl ? [0.05, 0.1, 0.2, 0.25, 0.5] : [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000],
          values: (u, sp) => sp.map((v) => (isSl ? `${Math.round(v * 100)}%` : String(v))) },
      ],
      series,
      hooks: { draw: [(u) => this.overlay(u, key, st)] },
    };
    return new uPlot(opts, data, el);
  }

  // Target line (service level) and the current time.
  overlay(u, key, st) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const pr = uPlotRatio();
    ctx.save();
    if (key === 'service_level') {
      const target = this.target();
      if (isNum(target) && target >= this.ySlMin) {
        const y = Math.round(u.valToPos(target, 'y', true));
        ctx.strokeStyle = COLOURS.target;
        ctx.lineWidth = Math.max(1, 0.12 * st.rem) * pr;
        ctx.setLineDash([0.6 * st.rem * pr, 0.4 * st.rem * pr]);
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + width, y);
        ctx.stroke();
        ctx.setLineDash([]);
      }
    }
    if (this.range) {
      const now = this.serverNow();
      const h = (now - this.range.from) / HOUR_MS;
      const hours = this.range.n * this.range.stepMs / HOUR_MS;
      if (h >= 0 && h <= hours) {
        const x = Math.round(u.valToPos(h, 'x', true));
        ctx.strokeStyle = COLOURS.now;
        ctx.lineWidth = Math.max(1, 0.14 * st.rem) * pr;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        // "19:42" beside the line, on the side with room.
        const c = new Date(now + (this.localOffsetAt(now)) * 60000);
        const text = `${pad2(c.getUTCHours())}:${pad2(c.getUTCMinutes())}`;
        ctx.font = st.small.replace(/(\d+)px/, (_, n) => `${Math.round(n * pr)}px`);
        ctx.textBaseline = 'top';
        const w = ctx.measureText(text).width;
        const gap = 0.4 * st.rem * pr;
        const right = x + gap + w <= left + width;
        ctx.textAlign = right ? 'left' : 'right';
        ctx.fillStyle = COLOURS.now;
        ctx.fillText(text, right ? x + gap : x - gap, top + 0.2 * st.rem * pr);
      }
    }
    ctx.restore();
  }

  localOffsetAt(ms) {
    return zoneOffsetMin(ms, this.data?.timezone) ?? this.offsetMin();
  }
}

function uPlotRatio() {
  return window.devicePixelRatio || 1;
}

/** The grid helpers, for a unit test or a look from devtools. */
export const internals = { toGrid, midnight, zoneOffsetMin, niceMax };
