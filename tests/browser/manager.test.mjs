#!/usr/bin/env node
// manager.test.mjs: the manager's report page in headless Chromium against
// the real daemon.
//
//   WB_BUILD_DIR=build WB_SOURCE_DIR=. node tests/browser/manager.test.mjs
//
// Imports, with $WB_BUILD_DIR/engine/wallboardctl, last month's calls (as
// tests/integration/test_report.py): every day one call to policy at 10:00,
// answered after 5 s; every Monday one call to visa at 09:15, abandoned
// after 40 s; classified 护照 (days 1-10), 签证 (later days) and 政策咨询
// (the Monday calls). Makes a manager (mgr, 王经理) and a supervisor (sup);
// starts wallboardd with `[report] schedule=monthly`, which makes last
// month's report at once, and checks:
//  1. the supervisor's login is refused by the page: GET /api/v1/reports
//     answers 403 and the login form says the page needs a manager;
//  2. mgr logs in: the header names 王经理; the scheduled monthly report is
//     listed, made by the schedule, with its HTML link opening a new tab,
//     the XLSX link (fetched from the page: 200, a zip, "PK") and the CSVs
//     in a collapsed list; the schedule shows last month made;
//  3. the heat maps of that report: 168 hour × weekday cells, each
//     data-value the known count (10时 the number of that weekday's days,
//     周一 09时 the number of Mondays, 0 elsewhere) with a title tooltip and
//     a legend; the category heat map's totals (签证 days-10, 护照 10,
//     政策咨询 the Mondays); hot topics ranked 签证, 护照, 政策咨询;
//  4. a rectification text written and saved shows mgr as its author;
//     重新生成本期报表 makes a new run (trigger request, by mgr), the page
//     follows it to done, and the new report.json has the text;
//  5. making a report with a bad period (2026-13) shows the server's error
//     (naming the period) on the form;
//  6. the trend: a uPlot canvas; the 30 days' data, last month's days with
//     their known calls offered; the stability summary is filled;
//  7. no console errors but the browser's own reports of the refused
//     requests (401 before login, 403, 400), no request to any host but
//     127.0.0.1.
// Screenshot after step 6: $WB_BUILD_DIR/artefacts/manager.png.
// Exit 0 on success, 1 on failure, 77 (meson: skipped) without playwright-core.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT_SKIP, launchChromium, loadPlaywright } from './chromium.mjs';
import { Daemon, TestFailure, fail, ok, step, stepName, waitFor } from './harness.mjs';

const BUILD_DIR = process.env.WB_BUILD_DIR;
const SOURCE_DIR = process.env.WB_SOURCE_DIR;
if (!BUILD_DIR || !SOURCE_DIR) {
  console.error('manager.test: set WB_BUILD_DIR (meson build dir) and WB_SOURCE_DIR (source tree)');
  process.exit(1);
}
const CTL = path.resolve(BUILD_DIR, 'engine', 'wallboardctl');
const ARTEFACTS = path.resolve(BUILD_DIR, 'artefacts');
const PASSWORD = 'Report-Desk-2026';
const TEXT = '问题：周一上午放弃率偏高。\n整改：周一 09:00-11:00 增加一名坐席。';
const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];

// ---- last month, on the centre's calendar (UTC+8, no summer time) ----
const centreNow = new Date(Date.now() + 8 * 3600e3);
const THIS_Y = centreNow.getUTCFullYear();
const THIS_M = centreNow.getUTCMonth() + 1;
const YEAR = THIS_M === 1 ? THIS_Y - 1 : THIS_Y;
const MONTH = THIS_M === 1 ? 12 : THIS_M - 1;
const DAYS = new Date(Date.UTC(YEAR, MONTH, 0)).getUTCDate();
const PERIOD = `${YEAR}-${String(MONTH).padStart(2, '0')}`;
const NAME = `monthly-${PERIOD}`;

/** Epoch seconds of a local time on day d of last month. */
const local = (d, hh, mm) => Date.UTC(YEAR, MONTH - 1, d, hh - 8, mm) / 1000;
/** 0 for Monday … 6 for Sunday. */
const weekday = (d) => (new Date(Date.UTC(YEAR, MONTH - 1, d)).getUTCDay() + 6) % 7;
const dayOf = (d) => `${PERIOD}-${String(d).padStart(2, '0')}`;
const MONDAYS = [];
for (let d = 1; d <= DAYS; d++) if (weekday(d) === 0) MONDAYS.push(d);

function ctl(stateDir, args, input) {
  const r = spawnSync(CTL, ['--state-dir', stateDir, ...args], { encoding: 'utf8', input });
  if (r.status !== 0) fail(`wallboardctl ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const ql = (...fields) => `${fields.join('|')}\n`;

function importMonth(dir, stateDir) {
  const lines = [];
  const classes = ['call_id,category,request_type,channel\n'];
  for (let d = 1; d <= DAYS; d++) {
    let t = local(d, 10, 0);
    let cid = `${t}.${d}`;
    lines.push([t, ql(t, cid, 'policy', 'NONE', 'ENTERQUEUE', '', `1380000${String(d).padStart(4, '0')}`, 1)],
      [t + 5, ql(t + 5, cid, 'policy', 'PJSIP/8001', 'CONNECT', 5, `${cid}b`, 2)],
      [t + 105, ql(t + 105, cid, 'policy', 'PJSIP/8001', 'COMPLETECALLER', 5, 100, 1)]);
    classes.push(`${cid},${d <= 10 ? '护照' : '签证'},咨询,电话\n`);
    if (weekday(d) === 0) {
      t = local(d, 9, 15);
      cid = `${t}.m${d}`;
      lines.push([t, ql(t, cid, 'visa', 'NONE', 'ENTERQUEUE', '', `1390000${String(d).padStart(4, '0')}`, 1)],
        [t + 40, ql(t + 40, cid, 'visa', 'NONE', 'ABANDON', 1, 1, 40)]);
      classes.push(`${cid},政策咨询,咨询,电话\n`);
    }
  }
  lines.sort((a, b) => a[0] - b[0]);
  const log = path.join(dir, 'queue_log');
  const cls = path.join(dir, 'classifications.csv');
  fs.writeFileSync(log, lines.map((l) => l[1]).join(''));
  fs.writeFileSync(cls, classes.join(''));
  ctl(stateDir, ['import', 'queue_log', log]);
  ctl(stateDir, ['import', 'classifications', cls]);
}

/** The known count of a heat_hour_weekday cell. */
function expectedHeat(row, column) {
  const w = WEEKDAYS.indexOf(row);
  if (w < 0) fail(`heat map row ${row}`);
  let n = 0;
  for (let d = 1; d <= DAYS; d++) {
    if (weekday(d) !== w) continue;
    if (column === 'h10') n++;
    if (column === 'h09' && w === 0) n++;
  }
  return n;
}

/** GET /api/v1/reports as mgr from here (not the browser): the scheduled
 * run is awaited before the page is opened. */
async function scheduledReport(url) {
  const login = await fetch(`${url}api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: 'mgr', password: PASSWORD }),
  });
  if (login.status !== 200) fail(`login mgr: ${login.status} ${await login.text()}`);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const report = await waitFor(async () => {
    const res = await fetch(`${url}api/v1/reports`, { headers: { Cookie: cookie } });
    const body = await res.json();
    const failed = body.runs?.find((r) => r.status === 'failed');
    if (failed) fail(`the scheduled run failed: ${failed.error}`);
    return body.reports?.find((r) => r.name === NAME);
  }, 90000, `the scheduled ${NAME} is not made`);
  await fetch(`${url}api/v1/auth/logout`, { method: 'POST', headers: { Cookie: cookie } });
  return report;
}

async function login(page, user, password) {
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-form button');
}

async function main() {
  const { chromium, why } = await loadPlaywright();
  if (!chromium) {
    console.log(`SKIP: ${why}`);
    return EXIT_SKIP;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-manager-'));
  const config = path.join(dir, 'wallboard.conf');
  fs.writeFileSync(config, '[report]\nschedule = monthly\ncentre_name = 测试中心\n');
  const daemon = new Daemon(BUILD_DIR, dir, ['--config', config]);
  let browser = null;
  const consoleErrors = [];
  const external = [];
  const statuses = [];
  let passed = false;
  try {
    step('last month and accounts: wallboardctl');
    importMonth(dir, daemon.stateDir);
    ctl(daemon.stateDir, ['user', 'add', 'mgr', '--role', 'manager', '--display-name', '王经理',
      '--password-stdin'], `${PASSWORD}\n`);
    ctl(daemon.stateDir, ['user', 'add', 'sup', '--role', 'supervisor', '--password-stdin'], `${PASSWORD}\n`);
    const { url } = await daemon.start();
    const scheduled = await scheduledReport(url);
    if (scheduled.run.trigger !== 'schedule') fail(`the first ${NAME} run: ${JSON.stringify(scheduled.run)}`);
    ok(`daemon at ${url}; ${NAME} made by the schedule (${DAYS} days, ${MONDAYS.length} Mondays)`);

    browser = await launchChromium(chromium);
    const page = await browser.context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('request', (req) => {
      const host = new URL(req.url()).hostname;
      if (host !== '127.0.0.1' && !req.url().startsWith('data:')) external.push(req.url());
    });
    page.on('response', (res) => statuses.push([res.request().method(), new URL(res.url()).pathname, res.status()]));

    step('1. the supervisor is refused');
    await page.goto(`${url}manager/`);
    await page.waitForSelector('#signin:not([hidden])', { timeout: 15000 });
    await login(page, 'sup', PASSWORD);
    await waitFor(async () => (await page.textContent('#signin-error')).includes('无权查看管理报表'), 15000,
      'the supervisor is not refused on the page');
    if (!statuses.some(([m, p, s]) => m === 'GET' && p === '/api/v1/reports' && s === 403)) {
      fail(`no 403 on GET /api/v1/reports: ${JSON.stringify(statuses)}`);
    }
    if (!(await page.isHidden('#board'))) fail('the board shows for a supervisor');
    const refusal = await page.textContent('#signin-error');
    if (!refusal.includes('班长') || !refusal.includes('manager')) fail(`refusal: ${refusal}`);
    ok(`refused: ${refusal}`);

    step('2. mgr logs in: the scheduled report and its files');
    await login(page, 'mgr', PASSWORD);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 20000 });
    const who = await page.textContent('#whoami');
    if (!who.includes('王经理') || !who.includes('经理')) fail(`header: ${who}`);
    const row = `#report-list tr[data-report="${NAME}"]`;
    const rowText = await page.textContent(row);
    if (!rowText.includes(`月报 ${PERIOD}`) || !rowText.includes('定时生成')) fail(`report row: ${rowText}`);
    const html = await page.$eval(`${row} a[data-format="html"]`, (a) => ({ href: a.getAttribute('href'), target: a.target, rel: a.rel }));
    if (html.href !== `/api/v1/reports/files/${NAME}/report.html` || html.target !== '_blank' || !html.rel.includes('noopener')) {
      fail(`HTML link: ${JSON.stringify(html)}`);
    }
    const xlsxHref = await page.getAttribute(`${row} a[data-format="xlsx"]`, 'href');
    const xlsx = await page.evaluate(async (href) => {
      const res = await fetch(href);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, head: String.fromCharCode(bytes[0], bytes[1]), size: bytes.length };
    }, xlsxHref);
    if (xlsx.status !== 200 || xlsx.head !== 'PK') fail(`XLSX ${xlsxHref}: ${JSON.stringify(xlsx)}`);
    const csv = await page.$eval(`${row} details.mg-csv`, (d) => ({
      open: d.open, summary: d.querySelector('summary').textContent, links: d.querySelectorAll('a[data-format="csv"]').length,
    }));
    const csvFiles = scheduled.files.filter((f) => f.format === 'csv').length;
    if (csv.open || csv.links !== csvFiles || csvFiles < 10) fail(`CSV list: ${JSON.stringify(csv)} of ${csvFiles}`);
    const sched = await page.textContent('#schedule-list tr[data-kind="monthly"]');
    if (!sched.includes(PERIOD) || !sched.includes('已生成')) fail(`schedule: ${sched}`);
    ok(`listed with HTML (new tab), XLSX (${xlsx.size} bytes, PK), ${csv.summary} collapsed; schedule: ${sched}`);

    step('3. the heat maps');
    if ((await page.getAttribute('#panel-heat', 'data-report')) !== NAME) fail('the heat maps are not of the monthly report');
    const cells = await page.$$eval('#heat-heat-hour-weekday td[data-value]', (tds) =>
      tds.map((td) => ({ row: td.dataset.row, column: td.dataset.column, value: td.dataset.value, title: td.title, text: td.textContent })));
    if (cells.length !== 168) fail(`${cells.length} hour × weekday cells, not 168`);
    let sum = 0;
    for (const c of cells) {
      const want = expectedHeat(c.row, c.column);
      if (c.value !== String(want) || c.text !== String(want)) fail(`cell ${c.row} ${c.column}: ${c.value}, want ${want}`);
      if (!c.title.startsWith(`${c.row} `) || !c.title.endsWith(`：${want}`)) fail(`tooltip: ${c.title}`);
      sum += want;
    }
    if (sum !== DAYS + MONDAYS.length) fail(`cells sum to ${sum}`);
    const legend = await page.$$eval('#heat-heat-hour-weekday .mg-legend-step', (s) => s.map((x) => x.textContent));
    if (legend[0] !== '0' || legend[legend.length - 1] !== String(Math.max(...cells.map((c) => Number(c.value))))) {
      fail(`legend: ${JSON.stringify(legend)}`);
    }
    const totals = Object.fromEntries(await page.$$eval('#heat-heat-category-day tbody tr', (trs) =>
      trs.map((tr) => [tr.querySelector('th').textContent, tr.querySelector('td[data-total]').dataset.total])));
    const wantTotals = { 签证: String(DAYS - 10), 护照: '10', 政策咨询: String(MONDAYS.length) };
    if (JSON.stringify(totals) !== JSON.stringify(wantTotals)) fail(`category totals ${JSON.stringify(totals)}`);
    const dayCells = await page.$$eval('#heat-heat-category-day tbody tr:first-child td[data-value]', (tds) => tds.length);
    if (dayCells !== DAYS) fail(`${dayCells} day cells, not ${DAYS}`);
    const hot = await page.$$eval('#table-hot-topics tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent));
    if (JSON.stringify(hot) !== JSON.stringify(['签证', '护照', '政策咨询'])) fail(`hot topics: ${JSON.stringify(hot)}`);
    ok(`168 cells as known (sum ${sum}), legend ${legend.join(' ')}; categories ${JSON.stringify(totals)}; hot ${hot.join(' ')}`);

    step('4. the rectification text, and the report made again');
    if ((await page.inputValue('#text-body')) !== '') fail('a text before any was written');
    await page.fill('#text-body', TEXT);
    await page.click('#text-save');
    await waitFor(async () => (await page.textContent('#text-meta')).includes('mgr'), 10000, 'the saved text shows no author');
    const meta = await page.textContent('#text-meta');
    await page.click('#text-remake');
    await page.waitForSelector('#text-status[data-state="done"]', { timeout: 90000 });
    const runId = Number(await page.getAttribute('#text-status', 'data-run'));
    if (!(runId > scheduled.run.id)) fail(`the new run ${runId} is not after ${scheduled.run.id}`);
    const doc = await page.evaluate(async (name) => {
      const list = await (await fetch('/api/v1/reports')).json();
      const r = list.reports.find((x) => x.name === name);
      const json = await (await fetch(r.files.find((f) => f.name === 'report.json').url)).json();
      return { run: r.run, rectification: json.rectification };
    }, NAME);
    if (doc.run.id !== runId || doc.run.trigger !== 'request' || doc.run.requested_by !== 'mgr') fail(`run: ${JSON.stringify(doc.run)}`);
    if (doc.rectification !== TEXT) fail(`report.json rectification: ${JSON.stringify(doc.rectification)}`);
    await waitFor(async () => (await page.getAttribute('#panel-heat', 'data-loaded')) === String(runId), 10000,
      'the page does not show the new run');
    if ((await page.inputValue('#text-body')) !== TEXT) fail('the text is not shown after the run');
    ok(`saved (${meta}); run ${runId} by mgr done; report.json has the text`);

    step('5. a bad period');
    await page.selectOption('#make-kind', 'monthly');
    const hint = await page.textContent('#make-hint');
    if (!hint.includes('YYYY-MM')) fail(`hint: ${hint}`);
    await page.fill('#make-period', '2026-13');
    await page.click('#make-form button[type=submit]');
    await waitFor(async () => (await page.textContent('#make-error')).includes('period'), 10000,
      'the 400 is not shown on the form');
    ok(`hint "${hint}"; error "${await page.textContent('#make-error')}"`);

    step('6. trend and stability');
    await page.waitForSelector('#trend-chart canvas', { timeout: 10000 });
    const trend = await page.evaluate(() => window.wbManager.trend);
    if (trend.length !== 30) fail(`${trend.length} days in the trend`);
    let known = 0;
    for (const d of trend) {
      if (!d.day.startsWith(PERIOD)) {
        // This month has no calls: none offered, no service level.
        if (d.offered !== 0 || d.service_level !== null) fail(`${d.day}: ${JSON.stringify(d)}`);
        continue;
      }
      const n = Number(d.day.slice(8));
      const want = 1 + (weekday(n) === 0 ? 1 : 0);
      if (d.offered !== want) fail(`${d.day} offered ${d.offered}, want ${want}`);
      // The one call of a day but Monday is answered after 5 s: all in time.
      if (weekday(n) !== 0 && d.service_level !== 1) fail(`${d.day} service level ${d.service_level}`);
      const cellText = await page.textContent(`#trend-table tr[data-day="${d.day}"] td`);
      if (cellText !== String(want)) fail(`${d.day} in the table: ${cellText}`);
      known++;
    }
    const today = centreNow.toISOString().slice(0, 10);
    if (trend[trend.length - 1].day !== today || (trend[0].day <= dayOf(DAYS) && known === 0)) {
      fail(`the trend's days: ${trend[0].day}..${trend[trend.length - 1].day}, ${known} of ${PERIOD}`);
    }
    const stability = await page.$$eval('#stability-body tr', (trs) => trs.length);
    if (stability < 5) fail(`stability rows: ${stability}`);
    ok(`chart drawn; ${trend[0].day}..${trend[trend.length - 1].day}, ${known} days of ${PERIOD} as known; stability ${stability} rows`);

    fs.mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTEFACTS, 'manager.png'), fullPage: true });
    ok(`screenshot ${path.join(ARTEFACTS, 'manager.png')}`);

    step('7. console and network');
    const unexpected = consoleErrors.filter((m) => !/status of 40[013]/.test(m));
    if (unexpected.length) fail(`console errors: ${unexpected.join(' | ')}`);
    if (external.length) fail(`requests off loopback: ${external.join(' ')}`);
    ok('no console errors, no request off loopback');
    passed = true;
  } catch (e) {
    if (!(e instanceof TestFailure)) throw e;
    console.error(`FAIL [${stepName()}]: ${e.message}`);
    console.error(`--- wallboardd log (tail) ---\n${daemon.logTail()}`);
  } finally {
    if (browser) await browser.close();
    await daemon.stop();
    if (passed) fs.rmSync(dir, { recursive: true, force: true });
    else console.error(`kept ${dir}`);
  }
  return passed ? 0 : 1;
}

process.exit(await main());
