#!/usr/bin/env node
// supervisor.test.mjs: the shift lead's page in headless Chromium against
// the real daemon.
//
//   WB_BUILD_DIR=build WB_SOURCE_DIR=. node tests/browser/supervisor.test.mjs
//
// Imports, with $WB_BUILD_DIR/engine/wallboardctl, three staff, a roster
// two days ago on the default (tender's) shift templates (2001 day shift,
// 2002 night shift) and 2001's punches (in at 08:20, out at 17:40), makes a
// supervisor token, starts wallboardd and checks:
//  1. without a token the page asks for one; a display token is refused
//     (403) and the page says so;
//  2. with the supervisor's token: the roster of that day shows 王丽 done
//     and 20 minutes late, 张伟 absent; the coverage panel lists the gap
//     the tender's templates leave before the night shift (17:00 or 17:30
//     to 19:00, by season); the month's attendance counts the late and the
//     absent shift; stability and training panels are filled;
//  3. no console errors but the browser's own report of the refused
//     request, and no request to any host but 127.0.0.1.
// Screenshot: $WB_BUILD_DIR/artefacts/supervisor.png.
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

/** The centre's date (UTC+8) `days` from today, YYYY-MM-DD. */
function centreDate(days) {
  return new Date(Date.now() + 8 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
}

function ctl(stateDir, ...args) {
  const r = spawnSync(CTL, ['--state-dir', stateDir, ...args], { encoding: 'utf8' });
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
    ctl(stateDir, 'import', kind, file);
  }
}

async function panelRows(page, panel) {
  return page.$$eval(`#panel-${panel} tbody tr`, (rows) =>
    rows.map((tr) => [...tr.cells].map((td) => ({ text: td.textContent.trim(), cls: td.className }))));
}

async function main() {
  const { chromium, why } = await loadPlaywright();
  if (!chromium) {
    console.log(`SKIP: ${why}`);
    return EXIT_SKIP;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-supervisor-'));
  const daemon = new Daemon(BUILD_DIR, dir);
  let browser = null;
  const consoleErrors = [];
  const external = [];
  let passed = false;
  try {
    step('records and a supervisor token: wallboardctl');
    const day = centreDate(-2);
    importRecords(dir, daemon.stateDir, day);
    const supervisorToken = ctl(daemon.stateDir, 'token', 'add', 'supervisor', 'browser-test').trim();
    const { url, token } = await daemon.start();
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

    step('1. no token, then a display token');
    await page.goto(`${url}supervisor/?date=${day}`);
    await page.waitForSelector('#signin:not([hidden])', { timeout: 15000 });
    await page.fill('#token', token);
    await page.click('#signin-form button');
    await waitFor(async () => (await page.textContent('#signin-error')).includes('display'), 15000,
      'a display token is not refused on the page');
    if (!(await page.isHidden('#board'))) fail('the board shows with a display token');
    ok('the page asks for a token and refuses a display token');

    step('2. the supervisor token');
    await page.fill('#token', supervisorToken);
    await page.click('#signin-form button');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15000 });
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

    fs.mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTEFACTS, 'supervisor.png'), fullPage: true });
    ok(`screenshot ${path.join(ARTEFACTS, 'supervisor.png')}`);

    step('3. console and network');
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
