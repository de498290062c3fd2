#!/usr/bin/env node
// wallboard.test.mjs: the TV wallboard in headless Chromium against the real
// daemon.
//
//   WB_BUILD_DIR=build WB_SOURCE_DIR=. node tests/browser/wallboard.test.mjs
//
// Imports a day of history (today so far, the same weekday last week) with
// $WB_BUILD_DIR/engine/wallboardctl, starts $WB_BUILD_DIR/engine/wallboardd
// --no-demo on a queue_log written here, opens /wallboard/?token=… at
// 1920x1080 and checks, step by step:
//  1. the tiles show what GET /api/v1/live says (offered, answered,
//     abandoned, waiting) and there is a card for agent 8001 in the state the
//     API gives; no demo mark; the clock names today's holiday (a local
//     [holidays] file makes today one); the page does not scroll; clock and time in
//     state tick between frames;
//  2. lines appended to the queue_log reach the page without a reload;
//  3. SIGSTOP: the red "数据中断 自 HH:MM:SS" banner within 15 s;
//     SIGCONT: the banner goes and the figures are current again;
//  4. kill and restart on the same port: banner, then data again (the
//     restarted daemon numbers its topics afresh);
//  5. a wrong token shows "显示令牌无效";
//  1b. the staffing panel (topic "staffing") shows what GET /api/v1/staffing
//     says for a roster and punches sent to the ingest API here: required,
//     present and on the phones (present red when fewer than required), the
//     next interval's forecast, the shift's name and the on-duty list with
//     who is present and who is not;
//  6. no console errors (except the browser's own "WebSocket connection …
//     failed" while the daemon is deliberately down) and no request to any
//     host but 127.0.0.1.
// And today's trend panel: when GET /api/v1/series answers (asked once
// before the page opens; a 404 means "not there yet", reported as "skipped:
// no /api/v1/series" with no failure), the panel draws uPlot charts whose
// today's offered series has as many non-null points as the API gives for
// the page's own request (today from the centre's midnight to the next, last
// week 7 days before), with the legend 今日 / 上周同日; it asks again after a
// reconnect. Without the endpoint the panel shows "暂无趋势数据" and the only
// console errors allowed are the browser's own "Failed to load resource: …
// 404" for /api/v1/series.
// Screenshots: $WB_BUILD_DIR/artefacts/wallboard.png (and wallboard-stale.png).
// Exit 0 on success, 1 on failure (with the step and the daemon's log tail),
// 77 (meson: skipped) without playwright-core.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT_SKIP, launchChromium, loadPlaywright } from './chromium.mjs';

const STALE_WITHIN_MS = 15000;
const RECOVER_WITHIN_MS = 25000;
const SERIES_WAIT_MS = 30000;

class TestFailure extends Error {}

function fail(message) {
  throw new TestFailure(message);
}

let currentStep = 'setup';
function step(name) {
  currentStep = name;
  console.log(`# ${name}`);
}

function ok(message) {
  console.log(`ok - ${message}`);
}

/** Polls fn until it returns a truthy value; fails with what() after ms. */
async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      if (e instanceof TestFailure) throw e; // a verdict, not a miss: no more polling
      last = e;
    }
    if (Date.now() > end) {
      const detail = last instanceof Error ? `: ${last.message}` : last !== undefined ? ` (last: ${JSON.stringify(last)})` : '';
      fail(`${typeof what === 'function' ? what() : what} (waited ${ms / 1000} s)${detail}`);
    }
    await sleep(200);
  }
}

// ---- environment ----
const BUILD_DIR = process.env.WB_BUILD_DIR;
const SOURCE_DIR = process.env.WB_SOURCE_DIR;
if (!BUILD_DIR || !SOURCE_DIR) {
  console.error('wallboard.test: set WB_BUILD_DIR (meson build dir) and WB_SOURCE_DIR (source tree)');
  process.exit(1);
}
const DAEMON = path.resolve(BUILD_DIR, 'engine', 'wallboardd');
const ARTEFACTS = path.resolve(BUILD_DIR, 'artefacts');

// ---- queue_log ----
// Offsets (seconds before now) of the first lines; squeezed so that all of
// them fall after the centre's midnight (UTC+8 by default) when the test runs
// just after it: /api/v1/live counts today only.
function timeline() {
  const now = Math.floor(Date.now() / 1000);
  const sinceMidnight = (now + 8 * 3600) % 86400;
  const span = 300;
  const scale = Math.max(0.02, Math.min(1, (sinceMidnight - 5) / span));
  return (offset) => now - Math.round(offset * scale);
}

function initialQueueLog() {
  const at = timeline();
  const call = (offset, n) => `${at(offset)}.${100 + n}`;
  const c1 = call(290, 1);
  const c2 = call(180, 2);
  const c3 = call(120, 3);
  return [
    `${at(300)}|MANAGER|policy|SIP/8001|ADDMEMBER|`,
    `${at(300)}|MANAGER|policy|SIP/8002|ADDMEMBER|`,
    `${at(290)}|${c1}|policy|NONE|ENTERQUEUE||13800000001|1`,
    `${at(282)}|${c1}|policy|8001|CONNECT|8|${c1}9|2`,
    `${at(200)}|${c1}|policy|8001|COMPLETECALLER|8|82|1`,
    `${at(180)}|${c2}|policy|NONE|ENTERQUEUE||13800000002|1`,
    `${at(150)}|${c2}|policy|8001|CONNECT|30|${c2}9|3`,
    `${at(100)}|${c2}|policy|8001|COMPLETEAGENT|30|50|1`,
    `${at(120)}|${c3}|policy|NONE|ENTERQUEUE||13800000003|1`,
    `${at(95)}|${c3}|policy|NONE|ABANDON|1|1|25`,
    `${at(60)}|NONE|policy|8002|PAUSE|培训`,
  ].sort((a, b) => Number(a.split('|')[0]) - Number(b.split('|')[0])).join('\n') + '\n';
}

function appendedQueueLog() {
  const now = Math.floor(Date.now() / 1000);
  const c4 = `${now - 6}.104`;
  const c5 = `${now - 5}.105`;
  return [
    `${now - 6}|${c4}|policy|NONE|ENTERQUEUE||13800000004|1`,
    `${now - 5}|${c5}|policy|NONE|ENTERQUEUE||13800000005|2`,
    `${now - 3}|${c4}|policy|8001|CONNECT|3|${c4}9|1`,
    `${now - 1}|${c5}|policy|NONE|ABANDON|1|2|4`,
  ].join('\n') + '\n';
}

// History for the trend panel, imported with wallboardctl before the daemon
// starts: the hotline's day (peaks 9-11 and 14-16) from 08:00 to 20:00 on
// the same weekday last week, and today until 20 minutes ago. The centre is
// taken as UTC+8, as above.
function historyQueueLog() {
  const now = Math.floor(Date.now() / 1000);
  const midnight = now - ((now + 8 * 3600) % 86400);
  const perStep = (h, k) => Math.round(k * (1 + 6 * Math.exp(-((h - 10) ** 2) / 2) + 5 * Math.exp(-((h - 15) ** 2) / 2)));
  const lines = [];
  let n = 0;
  const day = (start, until, k) => {
    lines.push(`${start + 7 * 3600}|MANAGER|policy|SIP/8001|ADDMEMBER|`);
    for (let step = start + 8 * 3600; step < start + 20 * 3600 && step + 900 <= until; step += 900) {
      const calls = perStep((step - start) / 3600 + 0.125, k);
      for (let j = 0; j < calls; j++) {
        const t = step + 20 + Math.floor((j * 880) / calls);
        const id = `${t}.${9000 + ++n}`;
        const hold = n % 6 === 0 ? 20 + (n % 17) : 3 + (n % 11); // about one in six after 15 s
        lines.push(`${t}|${id}|policy|NONE|ENTERQUEUE||1390000${String(n).padStart(4, '0')}|1`,
          `${t + hold}|${id}|policy|8001|CONNECT|${hold}|${id}9|2`,
          `${t + hold + 40}|${id}|policy|8001|COMPLETECALLER|${hold}|40|1`);
      }
    }
  };
  day(midnight - 7 * 86400, midnight - 6 * 86400, 1);
  day(midnight, now - 1200, 1.15);
  return lines.sort((a, b) => Number(a.split('|')[0]) - Number(b.split('|')[0])).join('\n') + '\n';
}

// ---- the daemon ----
class Daemon {
  constructor(dir, queueLog) {
    this.dir = dir;
    this.stateDir = path.join(dir, 'state');
    this.queueLog = queueLog;
    this.logPath = path.join(dir, 'wallboardd.log');
    this.proc = null;
    this.exited = null;
  }

  async start(listen) {
    fs.mkdirSync(this.stateDir, { recursive: true });
    fs.rmSync(path.join(this.stateDir, 'wallboardd.url'), { force: true });
    const log = fs.openSync(this.logPath, 'a');
    const args = ['--no-demo', '--listen', listen, '--state-dir', this.stateDir, '--queue-log', this.queueLog,
      '--config', holidayConfig(this.dir)];
    fs.writeSync(log, `\n=== ${DAEMON} ${args.join(' ')}\n`);
    this.exited = null;
    this.stopping = false;
    // cwd: the temp dir, where a core file (if any) is kept for a look.
    this.proc = spawn(DAEMON, args, { cwd: this.dir, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.proc.on('exit', (code, signal) => { this.exited = { code, signal }; });
    this.proc.on('error', (e) => { this.exited = { error: e.message }; });
    const urlFile = path.join(this.stateDir, 'wallboardd.url');
    const url = await waitFor(() => {
      if (this.exited) fail(`wallboardd exited before listening: ${JSON.stringify(this.exited)}`);
      if (!fs.existsSync(urlFile)) return null;
      const text = fs.readFileSync(urlFile, 'utf8').trim();
      return /^https?:\/\/[^/]+\/$/.test(text) ? text : null;
    }, 20000, `wallboardd did not write ${urlFile}`);
    const tokenFile = path.join(this.stateDir, 'display-token');
    const token = await waitFor(() => fs.existsSync(tokenFile) && fs.readFileSync(tokenFile, 'utf8').trim(),
      5000, `no display token in ${tokenFile}`);
    this.url = url;
    this.token = token;
    return { url, token };
  }

  // Fails at once, with the cause, when the daemon died without being asked.
  assertAlive() {
    if (this.exited && !this.stopping) {
      const how = this.exited.signal ? `signal ${this.exited.signal}` : this.exited.error || `exit code ${this.exited.code}`;
      fail(`wallboardd died (${how}); a core file, if enabled (ulimit -c), is in ${this.dir}`);
    }
  }

  signal(sig) {
    if (this.proc && !this.exited) this.proc.kill(sig);
  }

  async stop() {
    if (!this.proc || this.exited) return;
    this.stopping = true;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const end = Date.now() + 8000;
    while (!this.exited && Date.now() < end) await sleep(100);
    if (!this.exited) {
      this.signal('SIGKILL');
      while (!this.exited) await sleep(50);
    }
  }

  logTail(lines = 40) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

// ---- a holiday today ----
// A local holiday calendar ([holidays] file) that makes today a day off
// named HOLIDAY_NAME, so that the clock must show it.
const HOLIDAY_NAME = '测试假日';

function holidayConfig(dir) {
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  const calendar = path.join(dir, 'holidays.json');
  fs.writeFileSync(calendar, JSON.stringify({
    year: Number(today.slice(0, 4)),
    days: [{ name: HOLIDAY_NAME, date: today, isOffDay: true }],
  }));
  const config = path.join(dir, 'wallboard.conf');
  fs.writeFileSync(config, `[holidays]\nfile = ${calendar}\n`);
  return config;
}

// ---- the page ----
// The page's own Chinese labels (the page is opened without ?lang=).
const LABELS = JSON.parse(fs.readFileSync(path.join(SOURCE_DIR, 'dashboards', 'i18n', 'zh-CN.json'), 'utf8'));
const LABELS_EN = JSON.parse(fs.readFileSync(path.join(SOURCE_DIR, 'dashboards', 'i18n', 'en.json'), 'utf8'));
const stateLabel = (state) => LABELS[`state.${state}`] ?? state;

async function readPage(page) {
  return page.evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.textContent.trim() ?? null;
    const card = document.querySelector('.agent[data-agent="8001"]');
    return {
      offered: text('[data-kpi="offered"] .v'),
      answered: text('[data-kpi="answered"] .v'),
      abandoned: text('[data-kpi="abandoned"] .v'),
      waiting: text('[data-kpi="waiting"] .v'),
      stream: document.body.dataset.stream,
      agent8001: card ? {
        visible: card.getBoundingClientRect().height > 0,
        state: card.querySelector('.agent-state')?.textContent.trim(),
        time: card.querySelector('.agent-time')?.textContent.trim(),
      } : null,
    };
  });
}

function expected(live) {
  const t = live.total || {};
  const a = (live.agents || []).find((x) => x.agent === '8001');
  return {
    offered: String(t.offered),
    answered: String(t.answered),
    abandoned: String(t.abandoned),
    waiting: String(t.waiting),
    agent8001: a ? (a.state === 'paused' && a.reason ? a.reason : stateLabel(a.state)) : null,
  };
}

function sameAsApi(shown, want) {
  return shown.offered === want.offered && shown.answered === want.answered &&
    shown.abandoned === want.abandoned && shown.waiting === want.waiting &&
    (want.agent8001 === null || shown.agent8001?.state === want.agent8001);
}

// ---- main ----
async function main() {
  if (!fs.existsSync(DAEMON)) fail(`no daemon at ${DAEMON} (meson compile -C ${BUILD_DIR})`);
  const { chromium, why } = await loadPlaywright();
  if (!chromium) {
    console.log(`SKIP: ${why}`);
    return EXIT_SKIP;
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-browser-'));
  const queueLog = path.join(dir, 'queue_log');
  fs.writeFileSync(queueLog, initialQueueLog());
  const daemon = new Daemon(dir, queueLog);
  // Interrupted (Ctrl-C, a meson timeout): leave no daemon behind, stopped
  // or running.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      daemon.signal('SIGCONT');
      daemon.signal('SIGKILL');
      console.error(`FAIL [${currentStep}]: interrupted by ${sig}; kept ${dir}`);
      process.exit(1);
    });
  }
  let browser = null;
  const consoleErrors = [];
  const external = [];
  let outage = false; // while true, the browser's WebSocket failures are expected
  let expectedFailures = 0;
  // What the page's socket did, printed on failure.
  const trace = [];
  const t0 = Date.now();
  const note = (what) => {
    trace.push(`${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
    if (trace.length > 60) trace.shift();
  };
  let passed = false;

  try {
    const ctl = path.resolve(BUILD_DIR, 'engine', 'wallboardctl');
    if (fs.existsSync(ctl)) {
      step('history for the trend: wallboardctl import');
      const history = path.join(dir, 'history.queue_log');
      fs.writeFileSync(history, historyQueueLog());
      fs.mkdirSync(daemon.stateDir, { recursive: true });
      const r = spawnSync(ctl, ['--state-dir', daemon.stateDir, 'import', 'queue_log', history],
        { encoding: 'utf8', timeout: 60000 });
      if (r.status !== 0) fail(`wallboardctl import: ${r.error?.message || `exit ${r.status}`}\n${r.stdout}${r.stderr}`);
      ok(`imported ${history}: ${(r.stdout + r.stderr).trim().split('\n').filter((l) => /^imported|RRD/.test(l)).join('; ')}`);
    }

    step('start wallboardd');
    const { url, token } = await daemon.start('127.0.0.1:0');
    const port = new URL(url).port;
    ok(`wallboardd listens at ${url} (port ${port})`);

    const api = async () => {
      daemon.assertAlive();
      const res = await fetch(`${daemon.url}api/v1/live`, { headers: { Authorization: `Bearer ${daemon.token}` } });
      if (res.status !== 200) fail(`GET /api/v1/live: HTTP ${res.status}: ${await res.text()}`);
      return res.json();
    };
    const live0 = await waitFor(async () => {
      const l = await api();
      return l.total?.offered >= 3 ? l : null;
    }, 20000, 'GET /api/v1/live never counted the 3 calls of the queue_log (total.offered >= 3)');
    ok(`API: offered ${live0.total.offered}, answered ${live0.total.answered}, abandoned ${live0.total.abandoned}`);

    step('roster and punches for staffing: POST /api/v1/events');
    await feedStaffing(daemon);

    step('is there /api/v1/series?');
    const seriesUrl = (metric, from, to) => `${daemon.url}api/v1/series?metric=${metric}&scope=total` +
      `&from=${from}&to=${to}&resolution=900`;
    const series = async (u) => {
      daemon.assertAlive();
      const r = await fetch(u, { headers: { Authorization: `Bearer ${daemon.token}` } });
      return { status: r.status, text: await r.text() };
    };
    const today0 = centreDay(live0);
    // 404 "no such resource": not there (yet). Another 404 (the archive
    // has nothing for the scope yet) may turn into 200 within a few
    // samples: asked again for up to SERIES_WAIT_MS.
    let probe;
    const probeEnd = Date.now() + SERIES_WAIT_MS;
    for (;;) {
      probe = await series(seriesUrl('offered', today0.from, today0.to));
      if (probe.status !== 404 || /no such resource/.test(probe.text) || Date.now() > probeEnd) break;
      await sleep(1000);
    }
    const hasSeries = probe.status !== 404;
    if (!hasSeries) {
      console.log(`skipped: no /api/v1/series (HTTP 404: ${probe.text.trim().slice(0, 120)}); ` +
        'the trend panel must show 暂无趋势数据');
    } else {
      if (probe.status !== 200) fail(`GET /api/v1/series: HTTP ${probe.status}: ${probe.text.slice(0, 300)}`);
      const body = parseSeries(probe.text, 'offered');
      ok(`/api/v1/series answers: step_s ${body.step_s}, ${body.points.length} points, ` +
        `${nonNull(body.points)} not null (today ${today0.day})`);
      // The chart library comes from the daemon (node_modules/uplot/dist),
      // never from a CDN.
      for (const f of ['uPlot.esm.js', 'uPlot.min.css']) {
        const r = await fetch(`${url}vendor/uplot/${f}`);
        const type = r.headers.get('content-type') || '';
        if (r.status !== 200 || !/(javascript|css)/.test(type))
          fail(`/api/v1/series is there but GET /vendor/uplot/${f} answers HTTP ${r.status} (${type}); ` +
            'the trend panel cannot draw without it');
      }
      ok('/vendor/uplot/uPlot.esm.js and uPlot.min.css are served');
    }

    step('page labels are those of /api/v1/definitions');
    await checkLabels(url);

    step('open the wallboard');
    browser = await launchChromium(chromium);
    const { context } = browser;
    const isLocal = (u) => {
      const parsed = new URL(u);
      return ['data:', 'blob:', 'about:'].includes(parsed.protocol) || parsed.hostname === '127.0.0.1';
    };
    context.on('request', (r) => { if (!isLocal(r.url())) external.push(r.url()); });
    await context.route((u) => !isLocal(u.href), (route) => route.abort());

    const page = await context.newPage();
    let navigations = 0;
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
    page.on('websocket', (ws) => {
      if (!isLocal(ws.url())) external.push(ws.url());
      note(`websocket ${ws.url()} opened`);
      ws.on('close', () => note('websocket closed'));
      ws.on('socketerror', (e) => note(`websocket error ${e}`));
      ws.on('framereceived', (f) => {
        const text = String(f.payload);
        if (!text.startsWith('{"t":"update"')) note(`frame ${text.slice(0, 90)}`);
      });
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    // The page's trend requests, in order.
    const seriesRequests = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/v1/series') seriesRequests.push({ url: u, at: Date.now() });
    });
    let series404 = 0;
    page.on('console', (m) => {
      note(`console ${m.type()}: ${m.text()}`);
      if (m.type() !== 'error') return;
      const text = m.text();
      if (outage && /WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/' failed/.test(text)) {
        expectedFailures++;
        return;
      }
      // A trend request that was under way when the daemon went down.
      if (outage && /Failed to load resource: net::ERR_/.test(text) &&
          new URL(m.location().url || 'http://x/', 'http://x/').pathname === '/api/v1/series') {
        expectedFailures++;
        return;
      }
      // Without the endpoint the browser itself logs each 404 of the
      // trend's request; the page logs nothing.
      if (!hasSeries && /Failed to load resource: .*status of 404/.test(text) &&
          new URL(m.location().url || 'http://x/', 'http://x/').pathname === '/api/v1/series') {
        series404++;
        return;
      }
      consoleErrors.push(`console error: ${text}${m.location().url ? ` (${m.location().url})` : ''}`);
    });

    const wallboardUrl = `${url}wallboard/?token=${encodeURIComponent(token)}`;
    const res = await page.goto(wallboardUrl, { waitUntil: 'load' });
    if (!res || res.status() !== 200) fail(`GET /wallboard/: HTTP ${res?.status()}`);
    await page.evaluate(() => { window.__wbNoReload = true; });

    step('tiles show /api/v1/live');
    let shown;
    let want;
    await waitFor(async () => {
      shown = await readPage(page);
      want = expected(await api());
      return sameAsApi(shown, want);
    }, 15000, () => `page does not match the API: page ${JSON.stringify(shown)}, API ${JSON.stringify(want)}`);
    ok(`tiles: offered ${shown.offered}, answered ${shown.answered}, abandoned ${shown.abandoned}, waiting ${shown.waiting}`);
    if (!shown.agent8001?.visible) fail('no visible agent card for 8001');
    ok(`agent card 8001: ${shown.agent8001.state}, ${shown.agent8001.time}`);

    const layout = await page.evaluate(() => ({
      w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,
      demo: !document.getElementById('demo-mark').hidden,
    }));
    if (layout.w > 1920 || layout.h > 1080) fail(`the page scrolls at 1920x1080: content is ${layout.w}x${layout.h}`);
    ok('no scrolling at 1920x1080');
    if (layout.demo) fail('the demo mark shows although the daemon runs with --no-demo');
    ok('no demo mark');
    await waitFor(async () => (await page.textContent('#clock-holiday')) === HOLIDAY_NAME, 10000,
      `the clock does not show today's holiday ${HOLIDAY_NAME} of the [holidays] file`);
    ok(`the clock shows today's holiday: ${HOLIDAY_NAME}`);

    step('staffing panel shows /api/v1/staffing');
    await checkStaffing(page, daemon);

    const tick0 = await page.evaluate(() => [document.getElementById('clock-time').textContent,
      document.querySelector('.agent[data-agent="8001"] .agent-time')?.textContent]);
    await sleep(2200);
    const tick1 = await page.evaluate(() => [document.getElementById('clock-time').textContent,
      document.querySelector('.agent[data-agent="8001"] .agent-time')?.textContent]);
    if (tick0[0] === tick1[0]) fail(`the clock does not tick: ${tick0[0]}`);
    if (tick0[1] === tick1[1]) fail(`agent 8001's time in state does not tick: ${tick0[1]}`);
    ok(`clock ${tick0[0]} -> ${tick1[0]}, time in state ${tick0[1]} -> ${tick1[1]}`);

    step(hasSeries ? 'trend panel draws /api/v1/series' : 'trend panel without /api/v1/series');
    await checkTrend(page, { hasSeries, seriesRequests, series, base: url, live: await api() });

    fs.mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTEFACTS, 'wallboard.png') });
    ok(`screenshot ${path.join(ARTEFACTS, 'wallboard.png')}`);

    step('appended queue_log lines reach the page without reload');
    const before = await api();
    fs.appendFileSync(queueLog, appendedQueueLog());
    const after = await waitFor(async () => {
      const l = await api();
      return l.total.offered >= before.total.offered + 2 ? l : null;
    }, 15000, `the API did not count the appended calls (offered stayed ${before.total.offered})`);
    await waitFor(async () => {
      shown = await readPage(page);
      want = expected(await api());
      return sameAsApi(shown, want) && Number(shown.offered) >= after.total.offered;
    }, 15000, () => `page does not follow the API: page ${JSON.stringify(shown)}, API ${JSON.stringify(want)}`);
    ok(`tiles: offered ${shown.offered}, abandoned ${shown.abandoned}; 8001 ${shown.agent8001.state}`);
    if (!(await page.evaluate(() => window.__wbNoReload === true)) || navigations !== 1)
      fail(`the page reloaded (navigations: ${navigations})`);
    ok('no reload');

    const centreOffsetMin = offsetMinutes(after.ts);
    const checkStale = async (what) => {
      const since = Date.now();
      const banner = await waitFor(() => page.evaluate(() => {
        const el = document.getElementById('stale');
        return el && !el.hidden && el.getBoundingClientRect().height > 0 ? el.textContent.trim() : null;
      }), STALE_WITHIN_MS, `no stale banner within ${STALE_WITHIN_MS / 1000} s after ${what}`);
      const m = /数据中断 自 (\d{2}):(\d{2}):(\d{2})/.exec(banner);
      if (!m) fail(`stale banner text is "${banner}", expected "数据中断 自 HH:MM:SS"`);
      // The time shown is that of the last frame: at most one heartbeat
      // before the stop (and a second of rounding).
      const heartbeatS = await page.evaluate(() => window.wbClient?.heartbeatS ?? 5);
      const shownS = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
      const stopS = Math.floor((since / 1000 + centreOffsetMin * 60) % 86400);
      const diff = ((stopS - shownS) % 86400 + 86400) % 86400;
      if (diff > heartbeatS + 2)
        fail(`stale banner says ${m[0]}, but the daemon stopped at ${hhmmss(stopS)} (heartbeat_s ${heartbeatS})`);
      ok(`"${banner}" after ${((Date.now() - since) / 1000).toFixed(1)} s`);
    };
    const checkRecovered = async (what) => {
      const since = Date.now();
      await waitFor(() => {
        daemon.assertAlive();
        return page.evaluate(() => document.getElementById('stale').hidden &&
          document.body.dataset.stream === 'live');
      }, RECOVER_WITHIN_MS,
      `the stale banner stayed ${RECOVER_WITHIN_MS / 1000} s after ${what}`);
      await waitFor(async () => {
        shown = await readPage(page);
        want = expected(await api());
        return sameAsApi(shown, want);
      }, 10000, () => `after ${what} the page does not match the API: page ${JSON.stringify(shown)}, API ${JSON.stringify(want)}`);
      ok(`banner gone and data back ${((Date.now() - since) / 1000).toFixed(1)} s after ${what}`);
    };

    step('SIGSTOP: stale banner; SIGCONT: live again');
    outage = true;
    note('SIGSTOP');
    daemon.signal('SIGSTOP');
    await checkStale('SIGSTOP');
    await page.screenshot({ path: path.join(ARTEFACTS, 'wallboard-stale.png') });
    note('SIGCONT');
    daemon.signal('SIGCONT');
    await checkRecovered('SIGCONT');
    outage = false;

    step('kill: stale banner; restart on the same port: live again');
    outage = true;
    await daemon.stop();
    await checkStale('the daemon was killed');
    const asked = seriesRequests.length;
    const restartedAt = Date.now();
    await daemon.start(`127.0.0.1:${port}`);
    if (daemon.url !== url) fail(`restarted daemon listens at ${daemon.url}, not ${url}`);
    await checkRecovered('the restart');
    outage = false;
    // The trend is asked for again at once, not only with the minute's refresh.
    await waitFor(() => seriesRequests.length > asked, 10000,
      'the page did not ask /api/v1/series again within 10 s of the reconnect');
    ok(`trend asked again ${((seriesRequests[asked].at - restartedAt) / 1000).toFixed(1)} s after the restart`);
    if (!(await page.evaluate(() => window.__wbNoReload === true))) fail('the page reloaded during the outage');

    step('a wrong token shows 显示令牌无效');
    const bad = await context.newPage();
    bad.on('pageerror', (e) => consoleErrors.push(`page error (wrong token page): ${e.message}`));
    bad.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`console error (wrong token page): ${m.text()}`); });
    await bad.goto(`${url}wallboard/?token=not-the-token`, { waitUntil: 'load' });
    await waitFor(() => bad.evaluate(() => {
      const el = document.getElementById('fatal');
      return el && !el.hidden && el.textContent.includes('显示令牌无效');
    }), 10000, 'no "显示令牌无效" message with a wrong token');
    ok('显示令牌无效');
    await bad.close();

    step('no console errors, no external requests');
    if (consoleErrors.length) fail(`console errors:\n  ${consoleErrors.join('\n  ')}`);
    ok(`no console errors (${expectedFailures} "WebSocket connection … failed" while the daemon was down, expected` +
      `${hasSeries ? '' : `; ${series404} "Failed to load resource: … 404" for /api/v1/series, expected without it`})`);
    if (external.length) fail(`requests to hosts other than 127.0.0.1:\n  ${external.join('\n  ')}`);
    ok('only 127.0.0.1 was asked');

    passed = true;
    console.log('PASS: wallboard browser test');
    return 0;
  } catch (e) {
    console.error(`FAIL [${currentStep}]: ${e instanceof TestFailure ? e.message : e.stack || e}`);
    if (consoleErrors.length) console.error(`console errors so far:\n  ${consoleErrors.join('\n  ')}`);
    if (trace.length) console.error(`--- page trace (last ${trace.length}) ---\n${trace.join('\n')}`);
    console.error(`--- wallboardd log (${daemon.logPath}) ---\n${daemon.logTail()}`);
    if (daemon.exited) console.error(`wallboardd had exited: ${JSON.stringify(daemon.exited)}`);
    return 1;
  } finally {
    outage = true;
    if (browser) await browser.close();
    await daemon.stop();
    if (passed) fs.rmSync(dir, { recursive: true, force: true });
    else console.error(`kept ${dir} for a look`);
  }
}

// ---- staffing ----
// Shifts covering now for 8001 (logged in by the queue_log), 8002 (logged
// in, paused) and 8003 (neither: absent), all on template 白班; 8004 punched
// in without a shift. 8001 has a name in the staff register.
async function feedStaffing(daemon) {
  const ctl = path.resolve(BUILD_DIR, 'engine', 'wallboardctl');
  const r = spawnSync(ctl, ['--state-dir', daemon.stateDir, 'key', 'add', 'hr'], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) fail(`wallboardctl key add: exit ${r.status}: ${r.stderr}`);
  const key = r.stdout.trim();
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString();
  let id = 0;
  const ev = (o) => ({ event_id: `browser-staffing-${++id}`, ...o });
  const shift = (staff) => ev({ type: 'roster.shift', ts: iso(now - 86400000), staff, start: iso(now - 2 * 3600000),
    end: iso(now + 6 * 3600000), role: 'agent', template: '白班' });
  const events = [
    ev({ type: 'staff.record', ts: iso(now - 7 * 86400000), staff: '8001', name: '张伟', role: 'agent', status: 'active' }),
    shift('8001'), shift('8002'), shift('8003'),
    ev({ type: 'staff.punch', ts: iso(now - 3600000), staff: '8004', direction: 'in', device: 'zk-1' }),
  ];
  const res = await fetch(`${daemon.url}api/v1/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/x-ndjson' },
    body: events.map((e) => JSON.stringify(e)).join('\n') + '\n',
  });
  const body = await res.text();
  if (res.status !== 200 || JSON.parse(body).accepted !== events.length) fail(`POST /api/v1/events: HTTP ${res.status}: ${body}`);
  ok(`sent ${events.length} staffing records`);
}

async function readStaffing(page) {
  return page.evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.textContent.trim() ?? null;
    const root = document.getElementById('staffing');
    const box = root.getBoundingClientRect();
    return {
      required: text('[data-staffing="required"] .sf-n'),
      present: text('[data-staffing="present"] .sf-n'),
      onPhones: text('[data-staffing="on_phones"] .sf-n'),
      presentRed: document.querySelector('[data-staffing="present"] .sf-n').classList.contains('bad'),
      short: root.classList.contains('short'),
      next: text('#staffing-next'),
      window: text('#staffing-window'),
      shifts: text('#staffing-shifts'),
      duty: [...document.querySelectorAll('#on-duty .duty')].map((el) => {
        const r = el.getBoundingClientRect();
        return { agent: el.dataset.agent, name: el.querySelector('.duty-name')?.textContent, present: el.dataset.present === '1',
          inside: r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.height > 0 };
      }),
      fits: root.scrollHeight <= root.clientHeight + 1,
    };
  });
}

async function checkStaffing(page, daemon) {
  const get = async () => {
    const res = await fetch(`${daemon.url}api/v1/staffing`, { headers: { Authorization: `Bearer ${daemon.token}` } });
    if (res.status !== 200) fail(`GET /api/v1/staffing: HTTP ${res.status}: ${await res.text()}`);
    return res.json();
  };
  const api = await waitFor(async () => {
    const s = await get();
    return s.rostered === 3 && s.present === 3 ? s : null;
  }, 10000, 'GET /api/v1/staffing never counted the 3 rostered and 3 present');
  // 8001 and 8002 logged in, 8004 punched in; 8001 alone takes calls.
  const duty = api.on_duty.map((p) => `${p.agent}:${p.present ? 'in' : 'out'}`).join(' ');
  if (duty !== '8001:in 8002:in 8003:out 8004:in') fail(`on_duty from the API: ${duty}`);
  if (api.on_phones !== 1) fail(`on_phones ${api.on_phones}, expected 1 (8001; 8002 is paused)`);
  if (api.on_duty[0].name !== '张伟') fail(`8001's name: ${api.on_duty[0].name}`);
  ok(`API: required ${api.interval.required}, rostered ${api.rostered}, present ${api.present}, on phones ${api.on_phones}; ${duty}`);

  let shown;
  let want;
  await waitFor(async () => {
    shown = await readStaffing(page);
    want = await get();
    return shown.required === String(want.interval.required) && shown.present === String(want.present) &&
      shown.onPhones === String(want.on_phones) && shown.duty.length === want.on_duty.length &&
      shown.duty.every((d, i) => d.agent === want.on_duty[i].agent && d.present === want.on_duty[i].present &&
        d.name === want.on_duty[i].name);
  }, 15000, () => `staffing panel does not match the API: page ${JSON.stringify(shown)}, API ${JSON.stringify(want)}`);
  const short = want.present < want.interval.required;
  if (shown.short !== short || shown.presentRed !== short)
    fail(`present ${want.present} vs required ${want.interval.required}: panel red ${shown.short}/${shown.presentRed}, expected ${short}`);
  if (!shown.shifts.includes('白班')) fail(`current shift shows "${shown.shifts}", expected 白班`);
  const nextForecast = String(Math.round(want.next_interval.forecast.offered));
  if (!shown.next.includes(nextForecast) || !shown.next.includes(want.next_interval.from.slice(11, 16)))
    fail(`next interval line "${shown.next}" lacks ${want.next_interval.from.slice(11, 16)} and ${nextForecast} calls`);
  if (!shown.fits || !shown.duty.every((d) => d.inside)) fail(`the staffing panel overflows: ${JSON.stringify(shown)}`);
  ok(`panel: 需要 ${shown.required} 在岗 ${shown.present} 接线 ${shown.onPhones}${short ? ' (red)' : ''}; ${shown.window}; ` +
    `${shown.next}; 班次 ${shown.shifts}; ${shown.duty.map((d) => `${d.name}${d.present ? '' : '(未到)'}`).join(' ')}`);
}

// One name for one thing: a KPI or state label on the page is the
// registry's (engine/kpi.c, served at /api/v1/definitions). The registry
// writes the service-level threshold as "N"; the page as "{n}". An English
// label may add the threshold after the registry's words.
async function checkLabels(url) {
  const res = await fetch(`${url}api/v1/definitions`);
  if (res.status !== 200) fail(`GET /api/v1/definitions: HTTP ${res.status}`);
  const defs = await res.json();
  const wrong = [];
  const compare = (what, page, zh, en, defZh, defEn) => {
    if (zh !== undefined && zh !== defZh.replace('N', '{n}')) wrong.push(`${what}: zh-CN.json "${zh}", registry "${defZh}"`);
    if (en !== undefined && !en.startsWith(defEn)) wrong.push(`${what}: en.json "${en}", registry "${defEn}"`);
  };
  let n = 0;
  for (const k of defs.kpis || []) {
    const key = `kpi.${k.key}`;
    if (LABELS[key] === undefined && LABELS_EN[key] === undefined) continue;
    n++;
    compare(k.key, key, LABELS[key], LABELS_EN[key], k.label_zh, k.label_en);
  }
  for (const st of defs.states || []) {
    n++;
    const key = `state.${st.key}`;
    if (LABELS[key] === undefined) wrong.push(`state ${st.key}: missing in zh-CN.json`);
    compare(`state ${st.key}`, key, LABELS[key], LABELS_EN[key], st.label_zh, st.label_en);
  }
  if (wrong.length) fail(`labels differ from /api/v1/definitions:\n  ${wrong.join('\n  ')}`);
  ok(`${n} labels agree with /api/v1/definitions`);
}

// The centre's day of a /api/v1/live answer: its date, midnight and the next
// midnight in epoch ms (the offset of its ts; the centre keeps no DST).
function centreDay(live) {
  const off = offsetMinutes(live.ts);
  let [y, m, d] = (live.day || '').split('-').map(Number);
  if (!y) {
    const c = new Date(live.ts_ms + off * 60000);
    [y, m, d] = [c.getUTCFullYear(), c.getUTCMonth() + 1, c.getUTCDate()];
  }
  const from = Date.UTC(y, m - 1, d) - off * 60000;
  const to = Date.UTC(y, m - 1, d + 1) - off * 60000;
  return { day: live.day, from, to };
}

// A request's from/to: epoch ms or ISO-8601.
function timeParam(v) {
  if (v === null) return NaN;
  return /^\d+$/.test(v) ? Number(v) : Date.parse(v);
}

function parseSeries(text, metric) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    fail(`/api/v1/series is not JSON: ${text.slice(0, 200)}`);
  }
  if (!Array.isArray(body.points)) fail(`/api/v1/series has no points array: ${text.slice(0, 200)}`);
  if (body.metric !== metric) fail(`/api/v1/series answered metric ${JSON.stringify(body.metric)} for ${metric}`);
  for (const p of body.points) {
    if (!Array.isArray(p) || p.length !== 2 || !Number.isFinite(p[0]) || !(p[1] === null || Number.isFinite(p[1])))
      fail(`/api/v1/series: a point is not [ms, number|null]: ${JSON.stringify(p)}`);
  }
  return body;
}

const nonNull = (points) => points.filter((p) => p[1] !== null).length;

// The trend panel. With the endpoint: the page's requests cover the centre's
// today and the same day last week; the offered chart (a uPlot canvas)
// holds as many non-null points for today as the API gives for the page's
// very request; the legend says 今日 and 上周同日. Without it: "暂无趋势数据",
// no canvas, and the layout still whole.
async function checkTrend(page, { hasSeries, seriesRequests, series, base, live }) {
  const read = () => page.evaluate(() => {
    const root = document.getElementById('trend');
    const r = root?.getBoundingClientRect();
    const empty = root?.querySelector('.trend-empty');
    const canvas = root?.querySelector('[data-chart="offered"] .uplot canvas');
    const u = window.wbTrend?.charts?.offered;
    return {
      state: root?.dataset.trend,
      box: r ? { top: r.top, bottom: r.bottom, height: r.height, width: r.width } : null,
      empty: empty && !empty.hidden && empty.getBoundingClientRect().height > 0 ? empty.textContent.trim() : null,
      canvases: root ? root.querySelectorAll('canvas').length : 0,
      canvas: canvas ? { w: canvas.width, h: canvas.height } : null,
      legend: [...(root?.querySelectorAll('.trend-legend') || [])].map((el) => el.innerText.replace(/\s+/g, ' ').trim()),
      today: u ? u.data[1].filter((v) => v !== null && v !== undefined).length : null,
      todayValues: u ? u.data[1].filter((v) => v !== null && v !== undefined) : null,
    };
  });
  const inView = (t) => t.box && t.box.height > 150 && t.box.width > 600 && t.box.bottom <= 1080;

  if (!hasSeries) {
    const t = await waitFor(async () => {
      const x = await read();
      return x.empty === '暂无趋势数据' ? x : null;
    }, 15000, 'the trend panel does not show 暂无趋势数据 without /api/v1/series');
    if (t.canvases) fail(`the trend panel draws ${t.canvases} canvas(es) without /api/v1/series`);
    if (!inView(t)) fail(`the trend panel is not whole on screen: ${JSON.stringify(t.box)}`);
    await waitFor(() => seriesRequests.length > 0, 10000, 'the page never asked /api/v1/series');
    ok(`暂无趋势数据, ${Math.round(t.box.width)}x${Math.round(t.box.height)} px, after ${seriesRequests.length} request(s)`);
    return;
  }

  const day = centreDay(live);
  const find = (metric, from) => seriesRequests.filter((r) => r.url.searchParams.get('metric') === metric &&
    timeParam(r.url.searchParams.get('from')) === from).at(-1);
  await waitFor(() => find('offered', day.from) && find('service_level', day.from - 7 * 86400000),
    15000, () => `the page did not ask today's offered and last week's service_level; it asked:\n  ` +
      seriesRequests.map((r) => r.url.search).join('\n  '));
  for (const [metric, from, to, what] of [
    ['offered', day.from, day.to, 'today'], ['offered', day.from - 7 * 86400000, day.to - 7 * 86400000, 'last week'],
    ['service_level', day.from, day.to, 'today'], ['service_level', day.from - 7 * 86400000, day.to - 7 * 86400000, 'last week'],
  ]) {
    const r = find(metric, from);
    if (!r) fail(`no request for ${metric} ${what} from ${new Date(from).toISOString()}`);
    const q = r.url.searchParams;
    if (timeParam(q.get('to')) !== to) fail(`${metric} ${what}: to=${q.get('to')}, expected ${to} (the next midnight)`);
    if (q.get('resolution') !== '900' || q.get('scope') !== 'total')
      fail(`${metric} ${what}: resolution=${q.get('resolution')} scope=${q.get('scope')}`);
  }
  ok(`the page asks offered and service_level for ${day.day} (from ${day.from}) and 7 days before`);

  const req = () => find('offered', day.from).url;
  let want;
  let t;
  let tries = 0;
  await waitFor(async () => {
    t = await read();
    if (t.state !== 'chart' && t.state !== 'nodata') return null;
    const a = await series(`${base}${req().pathname.slice(1)}${req().search}`);
    if (a.status !== 200) fail(`GET ${req().search}: HTTP ${a.status}: ${a.text.slice(0, 200)}`);
    const body = parseSeries(a.text, 'offered');
    // Steps that have begun: the page draws today up to now only (an
    // archive filled ahead by an import holds values for the rest of the day).
    const stepMs = (body.step_s || 900) * 1000;
    const now = Date.now();
    const begun = body.points.filter((p) => p[0] - stepMs <= now);
    want = {
      n: nonNull(begun), values: begun.filter((p) => p[1] !== null).map((p) => p[1]), step: body.step_s,
      ahead: nonNull(body.points) - nonNull(begun), total: body.points.length,
    };
    if (t.today === want.n) return true;
    // A step may have filled in between the page's request and ours.
    if (++tries % 5 === 0) await page.evaluate(() => window.wbTrend.refresh('test'));
    return null;
  }, 30000, () => (t?.state === 'empty' ? 'the trend panel stays 暂无趋势数据 although /api/v1/series answers'
    : `the trend's today series has ${t?.today} non-null points, the API ${want?.n} (state ${t?.state})`));
  if (!t.canvas || !(t.canvas.w > 100 && t.canvas.h > 50)) fail(`no uPlot canvas in the offered chart: ${JSON.stringify(t.canvas)}`);
  if (!(t.canvases >= 2)) fail(`expected two uPlot canvases (offered, service level), found ${t.canvases}`);
  if (want.step === 900 && JSON.stringify(t.todayValues) !== JSON.stringify(want.values))
    fail(`the chart's today values differ from the API's:\n  chart ${JSON.stringify(t.todayValues)}\n  API   ${JSON.stringify(want.values)}`);
  const legend = t.legend.join(' | ');
  if (!legend.includes('今日') || !legend.includes('上周同日')) fail(`the trend legend lacks 今日 / 上周同日: "${legend}"`);
  if (t.state === 'nodata' && t.empty !== '暂无趋势数据') fail('no trend data, but no 暂无趋势数据 either');
  if (!inView(t)) fail(`the trend panel is not whole on screen: ${JSON.stringify(t.box)}`);
  ok(`uPlot canvas ${t.canvas.w}x${t.canvas.h}; today ${t.today} non-null points as the API; legend "${legend}"` +
    `${t.state === 'nodata' ? ' (no data yet: 暂无趋势数据 over the axes)' : ''}`);
  if (want.ahead > 0)
    console.log(`note: /api/v1/series gives ${want.ahead} non-null value(s) for today's steps after now ` +
      `(of ${want.total} points); the page leaves them out`);
}

function offsetMinutes(iso) {
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(iso || '');
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

function hhmmss(s) {
  const p = (n) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

process.exitCode = await main();
