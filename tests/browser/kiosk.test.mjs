#!/usr/bin/env node
// kiosk.test.mjs: the kiosk box's browser (systemd/wallboard-kiosk,
// docs/kiosk.md) against the real daemon.
//
//   WB_BUILD_DIR=build WB_SOURCE_DIR=. node tests/browser/kiosk.test.mjs
//
// Starts $WB_BUILD_DIR/engine/wallboardd --no-demo on a queue_log written
// here (a call answered, one waiting), asks systemd/wallboard-kiosk
// --print-command for the Chromium command line with the daemon's URL and
// display token, and runs exactly those flags, headless (cage and Wayland
// have no place here), on exactly that URL:
//  1. the kiosk flags are there and the URL is WALLBOARD_URL/wallboard/
//     ?token=WALLBOARD_TOKEN;
//  2. the page is the wallboard (its title), goes live with the token (no
//     "显示令牌无效"), and shows the waiting call and the answered one;
//  3. no scroll bars at 1920x1080 (a TV has no mouse to scroll with), no
//     script error.
// Screenshot: $WB_BUILD_DIR/artefacts/kiosk.png.
// Exit 0 on success, 1 on failure, 77 (meson: skipped) without
// playwright-core.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, EXIT_SKIP, VIEWPORT, loadPlaywright } from './chromium.mjs';
import { Daemon, TestFailure, fail, ok, step, stepName, waitFor } from './harness.mjs';

const BUILD_DIR = process.env.WB_BUILD_DIR;
const SOURCE_DIR = process.env.WB_SOURCE_DIR;
if (!BUILD_DIR || !SOURCE_DIR) {
  console.error('kiosk.test: set WB_BUILD_DIR (meson build dir) and WB_SOURCE_DIR (source tree)');
  process.exit(1);
}
const KIOSK = path.resolve(SOURCE_DIR, 'systemd', 'wallboard-kiosk');
const ARTEFACTS = path.resolve(BUILD_DIR, 'artefacts');

// Seconds before now, squeezed after the centre's midnight (UTC+8) when the
// test runs just after it: the tiles count today only.
function timeline() {
  const now = Math.floor(Date.now() / 1000);
  const sinceMidnight = (now + 8 * 3600) % 86400;
  const scale = Math.max(0.02, Math.min(1, (sinceMidnight - 5) / 200));
  return (offset) => now - Math.round(offset * scale);
}

function queueLog() {
  const at = timeline();
  const c1 = `${at(150)}.101`;
  const c2 = `${at(20)}.102`;
  return [
    `${at(200)}|MANAGER|policy|SIP/8001|ADDMEMBER|`,
    `${at(150)}|${c1}|policy|NONE|ENTERQUEUE||13800000001|1`,
    `${at(140)}|${c1}|policy|8001|CONNECT|10|${c1}9|2`,
    `${at(60)}|${c1}|policy|8001|COMPLETECALLER|10|80|1`,
    `${at(20)}|${c2}|policy|NONE|ENTERQUEUE||13800000002|1`,
  ].join('\n') + '\n';
}

/** The kiosk's Chromium command line, one argument a line. */
function kioskCommand(url, token, profile) {
  const r = spawnSync('sh', [KIOSK, '--print-command'], {
    encoding: 'utf8',
    env: { ...process.env, WALLBOARD_URL: url, WALLBOARD_TOKEN: token, STATE_DIRECTORY: profile,
      WALLBOARD_CHROMIUM: CHROMIUM },
  });
  if (r.status !== 0) fail(`wallboard-kiosk --print-command: exit ${r.status}\n${r.stderr}`);
  return r.stdout.trimEnd().split('\n');
}

async function main() {
  const { chromium, why } = await loadPlaywright();
  if (!chromium) {
    console.log(`skipped: ${why}`);
    return EXIT_SKIP;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-kiosk-'));
  const log = path.join(dir, 'queue_log');
  fs.writeFileSync(log, queueLog());
  const daemon = new Daemon(BUILD_DIR, dir, ['--queue-log', log]);
  let context = null;
  let passed = false;
  try {
    step('setup');
    const { url, token } = await daemon.start();
    ok(`wallboardd at ${url}`);

    step('1. the command line');
    const profile = path.join(dir, 'profile');
    const argv = kioskCommand(url, token, profile);
    if (argv[0] !== CHROMIUM) fail(`browser ${argv[0]}, not ${CHROMIUM}`);
    for (const flag of ['--kiosk', '--noerrdialogs', '--disable-session-crashed-bubble',
      '--disable-infobars', '--check-for-update-interval=31536000', '--ozone-platform=wayland']) {
      if (!argv.includes(flag)) fail(`no ${flag} in ${argv.join(' ')}`);
    }
    const pageUrl = argv[argv.length - 1];
    if (pageUrl !== `${url}wallboard/?token=${token}`) fail(`page URL ${pageUrl}`);
    const dataDir = argv.find((a) => a.startsWith('--user-data-dir='));
    if (dataDir !== `--user-data-dir=${profile}`) fail(`profile ${dataDir}`);
    ok('kiosk flags, the wallboard URL with the display token, the state directory as profile');

    step('2. the wallboard, live');
    // The kiosk's flags but the profile (Playwright's own argument) and the
    // page (opened below), then the headless ones of every browser test.
    const flags = argv.slice(1, -1).filter((a) => !a.startsWith('--user-data-dir='));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: false,
      args: [...flags, ...CHROMIUM_ARGS],
      viewport: VIEWPORT,
      deviceScaleFactor: 1,
      timeout: 60000,
    });
    const page = context.pages()[0] ?? await context.newPage();
    // Script errors fail; a missing resource is the pages' own business
    // (wallboard.test.mjs checks them) and is only reported.
    const errors = [];
    const missing = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    page.on('response', (r) => { if (r.status() >= 400) missing.push(`${r.status()} ${new URL(r.url()).pathname}`); });
    await page.goto(pageUrl);
    const title = await page.title();
    if (title !== '12367 实时监控大屏') fail(`title "${title}"`);
    await page.waitForSelector('#stream-state[data-state="live"]', { timeout: 20000 });
    if (!(await page.isHidden('#fatal'))) fail('the page says the display token is invalid');
    const tile = (kpi) => page.textContent(`[data-kpi="${kpi}"] .v`).then((t) => t.trim());
    await waitFor(async () => (await tile('waiting')) === '1' && (await tile('answered')) === '1',
      15000, async () => `waiting/answered tiles`);
    ok(`"${title}" live: 1 waiting, 1 answered`);

    step('3. fits the screen');
    const size = await page.evaluate(() => [document.documentElement.scrollWidth,
      document.documentElement.scrollHeight]);
    if (size[0] > VIEWPORT.width || size[1] > VIEWPORT.height) fail(`page ${size.join('x')} scrolls`);
    fs.mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTEFACTS, 'kiosk.png') });
    ok(`screenshot ${path.join(ARTEFACTS, 'kiosk.png')}`);
    if (missing.length) console.log(`# not found (not a kiosk matter): ${missing.join(', ')}`);
    if (errors.length) fail(`script errors: ${errors.join(' | ')}`);
    passed = true;
  } catch (e) {
    if (!(e instanceof TestFailure)) throw e;
    console.error(`FAIL [${stepName()}]: ${e.message}`);
    console.error(`--- wallboardd log (tail) ---\n${daemon.logTail()}`);
  } finally {
    if (context) await context.close().catch(() => {});
    await daemon.stop();
    if (passed) fs.rmSync(dir, { recursive: true, force: true });
    else console.error(`kept ${dir}`);
  }
  return passed ? 0 : 1;
}

process.exit(await main());
