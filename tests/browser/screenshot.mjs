#!/usr/bin/env node
// screenshot.mjs: a 1920x1080 screenshot of one page.
//
//   node tests/browser/screenshot.mjs URL OUT.png [--wait-ms N]
//
// For a wallboard URL it waits until the stream is live and both topics have
// drawn (at most 20 s), then N more milliseconds (default 1500) so that
// ticking values and fonts settle.
import fs from 'node:fs';
import path from 'node:path';
import { EXIT_SKIP, launchChromium, loadPlaywright } from './chromium.mjs';

function usage(message) {
  if (message) console.error(`screenshot: ${message}`);
  console.error('usage: node tests/browser/screenshot.mjs URL OUT.png [--wait-ms N]');
  process.exit(2);
}

const argv = process.argv.slice(2);
let waitMs = 1500;
const positional = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--wait-ms') waitMs = Number(argv[++i]);
  else if (argv[i] === '-h' || argv[i] === '--help') usage();
  else positional.push(argv[i]);
}
if (positional.length !== 2) usage('need a URL and an output path');
const [url, out] = positional;
if (!Number.isFinite(waitMs) || waitMs < 0) usage('--wait-ms takes milliseconds');

const { chromium, why } = await loadPlaywright();
if (!chromium) {
  console.error(`screenshot: ${why}`);
  process.exit(EXIT_SKIP);
}

let browser;
try {
  browser = await launchChromium(chromium);
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error(`screenshot: page error: ${e.message}`));
  await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  if (new URL(url).pathname.startsWith('/wallboard')) {
    await page.waitForFunction(
      () => document.body.dataset.stream === 'live' &&
        document.querySelector('[data-kpi="offered"] .v')?.textContent !== '—' &&
        document.querySelector('#agent-cards')?.children.length > 0,
      null, { timeout: 20000 },
    ).catch(() => console.error('screenshot: the wallboard did not go live within 20 s; taking it as it is'));
  }
  await page.waitForTimeout(waitMs);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  await page.screenshot({ path: out, fullPage: false });
  console.log(`screenshot: wrote ${out}`);
} catch (e) {
  console.error(`screenshot: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
}
