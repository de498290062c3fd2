#!/usr/bin/env node
// wallboard.test.mjs: the TV wallboard in headless Chromium against the real
// daemon.
//
//   WB_BUILD_DIR=build WB_SOURCE_DIR=. node tests/browser/wallboard.test.mjs
//
// Starts $WB_BUILD_DIR/engine/wallboardd --no-demo on a queue_log written
// here, opens /wallboard/?token=… at 1920x1080 and checks, step by step:
//  1. the tiles show what GET /api/v1/live says (offered, answered,
//     abandoned, waiting) and there is a card for agent 8001 in the state the
//     API gives; no demo mark; the page does not scroll; clock and time in
//     state tick between frames;
//  2. lines appended to the queue_log reach the page without a reload;
//  3. SIGSTOP: the red "数据中断 自 HH:MM:SS" banner within 15 s;
//     SIGCONT: the banner goes and the figures are current again;
//  4. kill and restart on the same port: banner, then data again (the
//     restarted daemon numbers its topics afresh);
//  5. a wrong token shows "显示令牌无效";
//  6. no console errors (except the browser's own "WebSocket connection …
//     failed" while the daemon is deliberately down) and no request to any
//     host but 127.0.0.1.
// Screenshots: $WB_BUILD_DIR/artefacts/wallboard.png (and wallboard-stale.png).
// Exit 0 on success, 1 on failure (with the step and the daemon's log tail),
// 77 (meson: skipped) without playwright-core.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT_SKIP, launchChromium, loadPlaywright } from './chromium.mjs';

const STALE_WITHIN_MS = 15000;
const RECOVER_WITHIN_MS = 25000;

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
    const args = ['--no-demo', '--listen', listen, '--state-dir', this.stateDir, '--queue-log', this.queueLog];
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
    page.on('console', (m) => {
      note(`console ${m.type()}: ${m.text()}`);
      if (m.type() !== 'error') return;
      const text = m.text();
      if (outage && /WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/' failed/.test(text)) {
        expectedFailures++;
        return;
      }
      consoleErrors.push(`console error: ${text}`);
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

    const tick0 = await page.evaluate(() => [document.getElementById('clock-time').textContent,
      document.querySelector('.agent[data-agent="8001"] .agent-time')?.textContent]);
    await sleep(2200);
    const tick1 = await page.evaluate(() => [document.getElementById('clock-time').textContent,
      document.querySelector('.agent[data-agent="8001"] .agent-time')?.textContent]);
    if (tick0[0] === tick1[0]) fail(`the clock does not tick: ${tick0[0]}`);
    if (tick0[1] === tick1[1]) fail(`agent 8001's time in state does not tick: ${tick0[1]}`);
    ok(`clock ${tick0[0]} -> ${tick1[0]}, time in state ${tick0[1]} -> ${tick1[1]}`);

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
    await daemon.start(`127.0.0.1:${port}`);
    if (daemon.url !== url) fail(`restarted daemon listens at ${daemon.url}, not ${url}`);
    await checkRecovered('the restart');
    outage = false;
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
    ok(`no console errors (${expectedFailures} "WebSocket connection … failed" while the daemon was down, expected)`);
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
