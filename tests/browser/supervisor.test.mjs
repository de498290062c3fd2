#!/usr/bin/env node
// supervisor.test.mjs: the shift lead's page in headless Chromium against
// the real daemon.
//
//   WB_BUILD_DIR=build WB_SOURCE_DIR=. node tests/browser/supervisor.test.mjs
//
// Imports, with $WB_BUILD_DIR/engine/wallboardctl, three staff, a roster
// two days ago on the default (tender's) shift templates (2001 day shift,
// 2002 night shift) and 2001's punches (in at 08:20, out at 17:40); makes
// two accounts (`user add … --password-stdin`): the supervisor liwei (李伟)
// and tv, a display account; starts wallboardd on a queue_log (agents 8001
// and 8002 logged in, one call answered, 8002 paused) with the waiting
// alert made quick ([alert.waiting] threshold 3, for_s 2, clear 1 for 2 s)
// and checks:
//  1. without a session the page shows the login form; a wrong password is
//     refused on the form; the display account's login is refused by the
//     supervisor's routes (403) and the page says so;
//  2. liwei logs in: the header names 李伟; the roster of that day shows 王丽
//     done and 20 minutes late, 张伟 absent; the coverage panel lists the
//     gap the tender's templates leave before the night shift (17:00 or
//     17:30 to 19:00, by season); the month's attendance counts the late
//     and the absent shift; stability and training panels are filled;
//  3. live panels: the agent board lists 8001 and 8002 (8002 paused, 培训)
//     with a time in state that ticks, 8001 with one call; the queue table
//     shows the answered call;
//  4. a burst of five callers appended to the queue_log raises the waiting
//     alert: it appears in the list, open and not acknowledged, and the
//     page beeps; 确认 acknowledges it: the list shows 李伟 and the
//     server has it acknowledged by liwei; the callers hang up and the
//     alert shows cleared (已消除). The wallboard (display token) beside it
//     shows the alert's message in its banner, and no banner once cleared;
//  5. a handover note and an incident written through the forms are listed
//     with their author; the incident is closed from the list;
//  6. logout ends the session (GET /api/v1/auth/me answers 401 after);
//  7. a program's supervisor token (?token=) reads the page without a
//     login, and its note is refused: a note needs a named user;
//  8. no console errors but the browser's own reports of the refused
//     requests, and no request to any host but 127.0.0.1.
// Screenshots: $WB_BUILD_DIR/artefacts/supervisor.png after step 5,
// wallboard-alert.png (the TV with the banner) in step 4.
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
  console.error('supervisor.test: set WB_BUILD_DIR (meson build dir) and WB_SOURCE_DIR (source tree)');
  process.exit(1);
}
const CTL = path.resolve(BUILD_DIR, 'engine', 'wallboardctl');
const ARTEFACTS = path.resolve(BUILD_DIR, 'artefacts');
const PASSWORD = 'Shift-Lead-2026';

/** The centre's date (UTC+8) `days` from today, YYYY-MM-DD. */
function centreDate(days) {
  return new Date(Date.now() + 8 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
}

function ctl(stateDir, args, input) {
  const r = spawnSync(CTL, ['--state-dir', stateDir, ...args], { encoding: 'utf8', input });
  if (r.status !== 0) fail(`wallboardctl ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function importRecords(dir, stateDir, day) {
  const files = {
    staff: 'staff,name,role,status,hired\n2001,王丽,agent,active,2024-01-02\n'
      + '2002,张伟,agent,active,2024-01-02\n2003,李娜,team_lead,active,2023-06-01\n',
    roster: `staff,date,template\n2001,${day},白\n2002,${day},夜\n`,
    punches: `staff,ts,direction,device\n2001,${day} 08:20:00,in,zk-1\n2001,${day} 17:40:00,out,zk-1\n`,
  };
  for (const [kind, text] of Object.entries(files)) {
    const file = path.join(dir, `${kind}.csv`);
    fs.writeFileSync(file, text);
    ctl(stateDir, ['import', kind, file]);
  }
}

// ---- queue_log ----
// Seconds before now, squeezed after the centre's midnight (UTC+8) when the
// test runs just after it: the live panels count today only.
function timeline() {
  const now = Math.floor(Date.now() / 1000);
  const sinceMidnight = (now + 8 * 3600) % 86400;
  const scale = Math.max(0.02, Math.min(1, (sinceMidnight - 5) / 200));
  return (offset) => now - Math.round(offset * scale);
}

function initialQueueLog() {
  const at = timeline();
  const c1 = `${at(150)}.101`;
  return [
    `${at(200)}|MANAGER|policy|SIP/8001|ADDMEMBER|`,
    `${at(200)}|MANAGER|policy|SIP/8002|ADDMEMBER|`,
    `${at(150)}|${c1}|policy|NONE|ENTERQUEUE||13800000001|1`,
    `${at(140)}|${c1}|policy|8001|CONNECT|10|${c1}9|2`,
    `${at(60)}|${c1}|policy|8001|COMPLETECALLER|10|80|1`,
    `${at(50)}|NONE|policy|8002|PAUSE|培训`,
  ].join('\n') + '\n';
}

// Five callers waiting at once: more than the threshold of 3.
let burstAt = 0;
function burstQueueLog() {
  const now = Math.floor(Date.now() / 1000);
  burstAt = now;
  const lines = [];
  for (let i = 0; i < 5; i++) lines.push(`${now}|${now}.${201 + i}|policy|NONE|ENTERQUEUE||1390000000${i}|${i + 1}`);
  return lines.join('\n') + '\n';
}

// The same five hang up: nobody waits, below the clear threshold of 1.
function drainQueueLog() {
  const now = Math.max(Math.floor(Date.now() / 1000), burstAt);
  const lines = [];
  for (let i = 0; i < 5; i++) lines.push(`${now}|${burstAt}.${201 + i}|policy|NONE|ABANDON|1|${i + 1}|${now - burstAt}`);
  return lines.join('\n') + '\n';
}

const CONFIG = `[alert.waiting]
threshold = 3
clear = 1
for_s = 2
clear_for_s = 2
`;

async function panelRows(page, panel) {
  return page.$$eval(`#panel-${panel} tbody tr`, (rows) =>
    rows.map((tr) => [...tr.cells].map((td) => ({ text: td.textContent.trim(), cls: td.className }))));
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-supervisor-'));
  const queueLog = path.join(dir, 'queue_log');
  const config = path.join(dir, 'wallboard.conf');
  fs.writeFileSync(queueLog, initialQueueLog());
  fs.writeFileSync(config, CONFIG);
  const daemon = new Daemon(BUILD_DIR, dir, ['--queue-log', queueLog, '--config', config]);
  let browser = null;
  const consoleErrors = [];
  const external = [];
  let passed = false;
  try {
    step('records and accounts: wallboardctl');
    const day = centreDate(-2);
    importRecords(dir, daemon.stateDir, day);
    ctl(daemon.stateDir, ['user', 'add', 'liwei', '--role', 'supervisor', '--display-name', '李伟',
      '--password-stdin'], `${PASSWORD}\n`);
    ctl(daemon.stateDir, ['user', 'add', 'tv', '--role', 'display', '--password-stdin'], `${PASSWORD}\n`);
    const supervisorToken = ctl(daemon.stateDir, ['token', 'add', 'supervisor', 'browser-test']).trim();
    const { url } = await daemon.start();
    ok(`daemon at ${url}, roster of ${day}`);

    browser = await launchChromium(chromium);
    const page = await browser.context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('request', (req) => {
      const host = new URL(req.url()).hostname;
      if (host !== '127.0.0.1' && !req.url().startsWith('data:')) external.push(req.url());
    });

    step('1. the login form; a wrong password; a display account');
    await page.goto(`${url}supervisor/?date=${day}`);
    await page.waitForSelector('#signin:not([hidden])', { timeout: 15000 });
    await login(page, 'liwei', 'not-the-password');
    await waitFor(async () => (await page.textContent('#signin-error')).trim().length > 0, 15000,
      'a wrong password shows no error');
    if (!(await page.isHidden('#board'))) fail('the board shows after a wrong password');
    await login(page, 'tv', PASSWORD);
    await waitFor(async () => (await page.textContent('#signin-error')).includes('display'), 15000,
      'a display account is not refused on the page');
    if (!(await page.isHidden('#board'))) fail('the board shows for a display account');
    ok('login form; wrong password and display account refused');

    step('2. liwei logs in');
    await login(page, 'liwei', PASSWORD);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15000 });
    const who = await page.textContent('#whoami');
    if (!who.includes('李伟')) fail(`header: ${who}`);
    if (await page.inputValue('#login-password')) fail('the password stays in the form');
    const roster = await panelRows(page, 'roster');
    const byName = Object.fromEntries(roster.map((r) => [r[0].text, r]));
    if (roster.length !== 2 || !byName['王丽'] || !byName['张伟']) {
      fail(`roster rows: ${JSON.stringify(roster.map((r) => r.map((c) => c.text)))}`);
    }
    const wang = byName['王丽'].map((c) => c.text);
    const zhang = byName['张伟'];
    if (wang[4] !== '已下班' || wang[5] !== '08:20' || wang[6] !== '17:40' || wang[7] !== '20 分钟') {
      fail(`王丽: ${JSON.stringify(wang)}`);
    }
    if (zhang[4].text !== '缺勤' || zhang[4].cls !== 'sv-bad' || zhang[5].text !== '—') {
      fail(`张伟: ${JSON.stringify(zhang)}`);
    }
    ok('roster: 王丽 done and 20 minutes late, 张伟 absent');

    const month = Number(day.slice(5, 7));
    const gapStart = month >= 5 && month <= 9 ? '17:30' : '17:00';
    const gaps = (await panelRows(page, 'coverage')).map((r) => r.map((c) => c.text));
    if (!gaps.some((g) => g[0] === day && g[1] === `${gapStart}–19:00` && g[3] === '1' && g[4] === '0')) {
      fail(`no ${gapStart}–19:00 gap on ${day}: ${JSON.stringify(gaps.slice(0, 8))}`);
    }
    ok(`coverage: the templates' gap ${gapStart}–19:00 on ${day}`);

    const attendance = Object.fromEntries((await panelRows(page, 'attendance'))
      .map((r) => [r[0].text, r.map((c) => c.text)]));
    if (attendance['王丽']?.[2] !== '1' || attendance['张伟']?.[4] !== '1') {
      fail(`attendance: ${JSON.stringify(attendance)}`);
    }
    ok('attendance: one late shift, one absent shift');

    const stability = await panelRows(page, 'stability');
    const training = await panelRows(page, 'training');
    if (stability.length !== 3 || training.length !== 3) {
      fail(`stability rows ${stability.length}, training rows ${training.length}`);
    }
    ok('stability (month, quarter, year) and training (3 people) shown');

    step('3. agent board and queues');
    const agents = await waitFor(async () => {
      const rows = await panelRows(page, 'agents');
      return rows.length === 2 ? rows.map((r) => r.map((c) => c.text)) : null;
    }, 15000, 'the agent board does not list 8001 and 8002');
    const a1 = agents.find((r) => r[1] === '8001');
    const a2 = agents.find((r) => r[1] === '8002');
    if (!a1 || !a2) fail(`agents: ${JSON.stringify(agents)}`);
    if (a2[2] !== '暂停（培训）') fail(`8002 not paused for 培训: ${JSON.stringify(a2)}`);
    if (a1[4] !== '1') fail(`8001 calls: ${JSON.stringify(a1)}`);
    if (!/^\d+:\d\d$/.test(a2[3])) fail(`8002 time in state: ${a2[3]}`);
    const before = a2[3];
    await waitFor(async () => {
      const rows = await panelRows(page, 'agents');
      const r = rows.map((x) => x.map((c) => c.text)).find((x) => x[1] === '8002');
      return r && r[3] !== before;
    }, 5000, `8002's time in state does not tick (stuck at ${before})`);
    const queues = (await panelRows(page, 'queues')).map((r) => r.map((c) => c.text));
    const total = queues[queues.length - 1];
    if (total[0] !== '合计' || total[3] !== '1' || total[4] !== '1') fail(`queues: ${JSON.stringify(queues)}`);
    ok(`agents: 8001 ${a1[2]} with 1 call, 8002 ${a2[2]} ticking; queues: 1 offered, 1 answered`);

    step('4. a burst of callers raises the waiting alert; acknowledge it');
    // The floor's TV, on the display token, beside the supervisor's page.
    const tv = await browser.context.newPage();
    tv.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`wallboard: ${msg.text()}`);
    });
    await tv.goto(`${url}wallboard/?token=${daemon.token}`);
    await waitFor(async () => tv.evaluate(() => window.wbClient?.state === 'live'), 15000,
      'the wallboard does not go live');
    if (!(await tv.isHidden('#alert-banner'))) fail('the wallboard shows an alert banner before any alert');
    const beepsBefore = Number(await page.evaluate(() => document.body.dataset.beeps || 0));
    fs.appendFileSync(queueLog, burstQueueLog());
    const alertSel = '#panel-alerts li[data-rule="waiting"][data-state="open"]';
    await page.waitForSelector(alertSel, { timeout: 30000 });
    const alertId = await page.getAttribute(alertSel, 'data-alert');
    const raised = (await page.evaluate(async () => (await (await fetch('/api/v1/alerts')).json()).alerts))
      .find((a) => String(a.id) === alertId);
    await tv.waitForSelector('#alert-banner:not([hidden])', { timeout: 15000 });
    const banner = {
      severity: await tv.getAttribute('#alert-banner', 'data-severity'),
      chip: (await tv.textContent('#alert-chip')).trim(),
      msg: (await tv.textContent('#alert-msg')).trim(),
    };
    if (banner.severity !== 'warning' || banner.chip !== '警告' || banner.msg !== raised.message) {
      fail(`wallboard banner ${JSON.stringify(banner)} for alert ${JSON.stringify(raised)}`);
    }
    const layout = await tv.evaluate(() => ({
      w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,
      cards: [...document.querySelectorAll('#agent-cards .agent')]
        .filter((el) => el.getBoundingClientRect().bottom > window.innerHeight).length,
    }));
    if (layout.w > 1920 || layout.h > 1080 || layout.cards > 0) {
      fail(`the wallboard with its banner does not fit 1920x1080: ${JSON.stringify(layout)}`);
    }
    fs.mkdirSync(ARTEFACTS, { recursive: true });
    await tv.screenshot({ path: path.join(ARTEFACTS, 'wallboard-alert.png') });
    ok(`the wallboard's banner: ${banner.chip} ${banner.msg}; the board still fits the screen`);
    if ((await page.getAttribute(alertSel, 'data-acked')) !== 'false') fail('the new alert is already acknowledged');
    await waitFor(async () => Number(await page.evaluate(() => document.body.dataset.beeps || 0)) > beepsBefore,
      5000, 'no beep for the new alert');
    const audioState = await page.evaluate(() => document.querySelector('#sound').dataset.on);
    ok(`alert ${alertId} listed, open; beeped (sound ${audioState === 'true' ? 'on' : 'not started'})`);
    await page.click(`${alertSel} button.sv-ack`);
    await waitFor(async () => {
      const text = await page.textContent(`#panel-alerts li[data-alert="${alertId}"]`);
      return text.includes('李伟') && text.includes('已确认');
    }, 15000, 'the alert does not show 李伟 已确认');
    const server = await page.evaluate(async () => (await (await fetch('/api/v1/alerts')).json()).alerts);
    const acked = server.find((a) => String(a.id) === alertId);
    if (!acked || acked.acked_by !== 'liwei' || typeof acked.acked_ms !== 'number') {
      fail(`GET /api/v1/alerts: ${JSON.stringify(acked)}`);
    }
    ok(`acknowledged by liwei, shown as "${await page.textContent(`#panel-alerts li[data-alert="${alertId}"] .sv-acked`)}"`);
    fs.appendFileSync(queueLog, drainQueueLog());
    await page.waitForSelector(`#panel-alerts li[data-alert="${alertId}"][data-state="cleared"]`, { timeout: 30000 });
    const cleared = await page.textContent(`#panel-alerts li[data-alert="${alertId}"]`);
    if (!cleared.includes('已消除')) fail(`the cleared alert reads: ${cleared}`);
    await tv.waitForSelector('#alert-banner', { state: 'hidden', timeout: 15000 });
    await tv.close();
    ok('the callers hang up: the alert clears on the page (已消除), still acknowledged; '
      + 'the wallboard\'s banner is gone');

    step('5. a handover note and an incident');
    await page.fill('#handover-title', '夜班交接');
    await page.fill('#handover-body', '政策咨询队列 22 点后来电多。');
    await page.click('#handover-form button[type=submit]');
    await page.waitForSelector('#panel-handover li.sv-note', { timeout: 10000 });
    const handover = await page.textContent('#panel-handover li.sv-note');
    if (!handover.includes('李伟') || !handover.includes('夜班交接') || !handover.includes('22 点后来电多')) {
      fail(`handover note: ${handover}`);
    }
    if (await page.inputValue('#handover-body')) fail('the handover form is not cleared');
    await page.fill('#incident-title', '排队系统卡顿');
    await page.selectOption('#incident-severity', 'critical');
    await page.fill('#incident-body', '10:05 起坐席无法示闲，已报运维。');
    await page.click('#incident-form button[type=submit]');
    const incidentSel = '#panel-incidents li.sv-incident[data-closed="false"]';
    await page.waitForSelector(incidentSel, { timeout: 10000 });
    const incident = await page.textContent(incidentSel);
    if (!incident.includes('李伟') || !incident.includes('严重') || !incident.includes('排队系统卡顿')) {
      fail(`incident: ${incident}`);
    }
    if ((await page.textContent('#incidents-open')).trim() !== '1 件处理中') fail('no open-incident badge');
    await page.click(`${incidentSel} button.sv-close`);
    await page.waitForSelector('#panel-incidents li.sv-incident[data-closed="true"]', { timeout: 10000 });
    const closed = await page.textContent('#panel-incidents li.sv-incident[data-closed="true"] .sv-closed');
    if (!closed.includes('李伟') || !closed.includes('已关闭')) fail(`closed incident: ${closed}`);
    ok(`handover note and incident by 李伟; incident ${closed}`);

    fs.mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTEFACTS, 'supervisor.png'), fullPage: true });
    ok(`screenshot ${path.join(ARTEFACTS, 'supervisor.png')}`);

    step('6. logout');
    await page.click('#logout');
    await page.waitForSelector('#signin:not([hidden])', { timeout: 10000 });
    const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
    if (me !== 401) fail(`GET /api/v1/auth/me after logout: ${me}`);
    ok('logged out: the login form, /api/v1/auth/me 401');

    step('7. a program with a supervisor token (?token=)');
    await page.goto(`${url}supervisor/?date=${day}&token=${encodeURIComponent(supervisorToken)}`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15000 });
    if (!(await page.isHidden('#logout'))) fail('a token page offers a logout');
    if ((await panelRows(page, 'roster')).length !== 2) fail('no roster with the token');
    await page.fill('#handover-body', '程序写的交接');
    await page.click('#handover-form button[type=submit]');
    await waitFor(async () => (await page.textContent('#handover-form .sv-form-error')).includes('named user'),
      10000, 'a note by a token is not refused on the form');
    ok('the token reads the board; its note is refused (a note needs a named user)');

    step('8. console and network');
    const unexpected = consoleErrors.filter((m) => !/status of 40[13]/.test(m));
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
