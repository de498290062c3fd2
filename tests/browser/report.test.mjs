#!/usr/bin/env node
// report.test.mjs: the monthly report's HTML page in headless Chromium,
// opened from disk as the manager would open a mailed file.
//
//   WB_BUILD_DIR=build WB_SOURCE_DIR=. node tests/browser/report.test.mjs
//
// Imports into a fresh state directory, with $WB_BUILD_DIR/engine/wallboardctl,
// the last whole month (centre's time, UTC+8) of calls: every day one call
// to policy at 10:00 answered after 5 s by 8001 and talked 100 s; every
// Monday one call to visa at 09:15 abandoned after 40 s. The 10:00 calls
// of days 1-10 are classified 护照, the later ones 签证; the Monday calls
// 证件<进度>&查询 (a name to be escaped). Then runs
// `wallboardctl report monthly --period YYYY-MM --out OUT` and opens
// OUT/report.html as file:// and checks:
//  1. the title, the centre and the period on the cover; the Chinese
//     headings of the sections (总体指标, both heat maps, 热点诉求,
//     问题与整改) are visible, with the placeholder （未填写）;
//  2. the Chinese text is drawn in a CJK face: "诉求分类热力图" is as wide
//     as seven CJK glyphs of its size (one em each), and the fonts Chromium
//     used for the cover's title (DevTools CSS.getPlatformFontsForNode)
//     are CJK faces only;
//  3. the hour x weekday heat map has 168 cells; Monday 09时 holds the
//     Monday calls, Tuesday 09时 none, and the 10时 cells add up to the
//     month's days; the category map has a row per category with the
//     escaped name shown as written; the answer rate shows as a percent;
//  4. nothing but the file itself was requested, no console error;
//  5. page.pdf() in A4 makes a PDF of several pages.
// Artefacts: $WB_BUILD_DIR/artefacts/report.png (the full page) and report.pdf.
// Exit 0 on success, 1 on failure, 77 (meson: skipped) without playwright-core.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT_SKIP, launchChromium, loadPlaywright } from './chromium.mjs';
import { TestFailure, fail, ok, step, stepName } from './harness.mjs';

const BUILD_DIR = process.env.WB_BUILD_DIR;
const SOURCE_DIR = process.env.WB_SOURCE_DIR;
if (!BUILD_DIR || !SOURCE_DIR) {
  console.error('report.test: set WB_BUILD_DIR (meson build dir) and WB_SOURCE_DIR (source tree)');
  process.exit(1);
}
const CTL = path.resolve(BUILD_DIR, 'engine', 'wallboardctl');
const ARTEFACTS = path.resolve(BUILD_DIR, 'artefacts');
const ODD = '证件<进度>&查询';

function ctl(stateDir, args) {
  const r = spawnSync(CTL, ['--state-dir', stateDir, ...args], { encoding: 'utf8', timeout: 300000 });
  if (r.status !== 0) fail(`wallboardctl ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The last whole month in the centre's calendar (UTC+8, no daylight saving). */
function lastMonth() {
  const today = new Date(Date.now() + 8 * 3600e3);
  const first = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1);
  const last = new Date(first - 86400e3);
  const year = last.getUTCFullYear(), month = last.getUTCMonth() + 1, days = last.getUTCDate();
  return { year, month, days, period: `${year}-${String(month).padStart(2, '0')}` };
}

function monthData(m) {
  const local = (d, hh, mm) => Date.UTC(m.year, m.month - 1, d, hh - 8, mm) / 1000;
  const weekday = (d) => (new Date(Date.UTC(m.year, m.month - 1, d)).getUTCDay() + 6) % 7; // Monday 0
  const lines = [];
  const classes = ['call_id,category,request_type,channel'];
  const mondays = [];
  for (let d = 1; d <= m.days; d++) {
    let t = local(d, 10, 0);
    let id = `${t}.${d}`;
    lines.push([t, `${t}|${id}|policy|NONE|ENTERQUEUE||1380000${String(d).padStart(4, '0')}|1`]);
    lines.push([t + 5, `${t + 5}|${id}|policy|PJSIP/8001|CONNECT|5|${id}b|2`]);
    lines.push([t + 105, `${t + 105}|${id}|policy|PJSIP/8001|COMPLETECALLER|5|100|1`]);
    classes.push(`${id},${d <= 10 ? '护照' : '签证'},咨询,电话`);
    if (weekday(d) === 0) {
      mondays.push(d);
      t = local(d, 9, 15);
      id = `${t}.m${d}`;
      lines.push([t, `${t}|${id}|visa|NONE|ENTERQUEUE||1390000${String(d).padStart(4, '0')}|1`]);
      lines.push([t + 40, `${t + 40}|${id}|visa|NONE|ABANDON|1|1|40`]);
      classes.push(`${id},"${ODD}",咨询,电话`);
    }
  }
  lines.sort((a, b) => a[0] - b[0]);
  return { queueLog: lines.map((l) => l[1]).join('\n') + '\n', classes: classes.join('\n') + '\n', mondays };
}

async function visibleText(page, selector) {
  const el = await page.$(selector);
  if (!el) fail(`no ${selector}`);
  if (!(await el.isVisible())) fail(`${selector} is not visible`);
  return (await el.textContent()).trim();
}

async function main() {
  const { chromium, why } = await loadPlaywright();
  if (!chromium) {
    console.log(`SKIP: ${why}`);
    return EXIT_SKIP;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-report-'));
  const stateDir = path.join(dir, 'state');
  const out = path.join(dir, 'out');
  const m = lastMonth();
  let browser = null;
  const consoleErrors = [];
  const requests = [];
  let passed = false;
  try {
    step(`data: ${m.period}, wallboardctl import and report`);
    const data = monthData(m);
    fs.writeFileSync(path.join(dir, 'queue_log'), data.queueLog);
    fs.writeFileSync(path.join(dir, 'classifications.csv'), data.classes);
    ctl(stateDir, ['import', 'queue_log', path.join(dir, 'queue_log')]);
    ctl(stateDir, ['import', 'classifications', path.join(dir, 'classifications.csv')]);
    const printed = ctl(stateDir, ['report', 'monthly', '--period', m.period, '--out', out]).trim();
    if (printed !== out) fail(`report printed ${printed}, not ${out}`);
    const file = path.join(out, 'report.html');
    if (!fs.existsSync(file)) fail(`no ${file}`);
    ok(`${file}: ${fs.statSync(file).size} bytes`);

    browser = await launchChromium(chromium);
    const page = await browser.context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (req) => requests.push(req.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready);

    step('1. cover and headings');
    const title = `月报 ${m.period}`;
    if (!(await page.title()).endsWith(` ${title}`)) fail(`title: ${await page.title()}`);
    if (!(await visibleText(page, '.cover .centre'))) fail('no centre name on the cover');
    if ((await visibleText(page, '.cover h1')) !== title) fail('cover h1');
    const period = await visibleText(page, '.cover .period');
    const want = `${m.year}年${m.month}月1日 至 ${m.year}年${m.month}月${m.days}日（共 ${m.days} 天）`;
    if (period !== want) fail(`period: ${period}, want ${want}`);
    for (const [id, heading] of [['t-summary', '总体指标'], ['t-heat_hour_weekday', '呼入量热力图'],
      ['t-heat_category_day', '诉求分类热力图'], ['t-hot_topics', '热点诉求'], ['rectification', '问题与整改']]) {
      const text = await visibleText(page, `#${id} h2`);
      if (!text.includes(heading)) fail(`#${id} h2: ${text}`);
    }
    if ((await visibleText(page, '#rectification .placeholder')) !== '（未填写）') fail('no placeholder');
    ok('title, period, headings and the rectification placeholder visible');

    step('2. a CJK face draws the Chinese text');
    const glyphs = await page.evaluate(() => {
      const h = document.querySelector('#t-heat_category_day h2');
      const span = document.createElement('span');
      span.textContent = '诉求分类热力图';
      h.appendChild(span);
      const width = span.getBoundingClientRect().width;
      const size = parseFloat(getComputedStyle(span).fontSize);
      span.remove();
      return { width, size };
    });
    // CJK glyphs are one em wide; a missing glyph's box or a Latin fallback is not.
    if (Math.abs(glyphs.width - 7 * glyphs.size) > 0.5) {
      fail(`"诉求分类热力图" is ${glyphs.width} px wide at ${glyphs.size} px, not 7 em`);
    }
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '.cover h1' });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    if (!fonts.length || !fonts.every((f) => /CJK|Han Sans|YaHei/.test(f.familyName))) {
      fail(`cover title drawn in ${JSON.stringify(fonts)}`);
    }
    ok(`7 glyphs ${glyphs.width} px at ${glyphs.size} px; fonts ${fonts.map((f) => f.familyName).join(', ')}`);

    step('3. heat maps and numbers');
    const cells = await page.$$eval('svg.heat[data-table="heat_hour_weekday"] rect.cell', (rs) =>
      rs.map((r) => ({ row: r.dataset.row, col: r.dataset.column, value: r.dataset.value })));
    if (cells.length !== 168) fail(`${cells.length} hour cells, not 168`);
    const at = (row, col) => cells.find((c) => c.row === row && c.col === col)?.value;
    if (at('周一', 'h09') !== String(data.mondays.length)) fail(`周一 09时: ${at('周一', 'h09')}`);
    if (at('周二', 'h09') !== '0') fail(`周二 09时: ${at('周二', 'h09')}`);
    const tens = cells.filter((c) => c.col === 'h10').reduce((s, c) => s + Number(c.value), 0);
    if (tens !== m.days) fail(`10时 cells add up to ${tens}, not ${m.days}`);
    const tip = await page.$eval('svg.heat[data-table="heat_hour_weekday"] rect.cell[data-row="周一"][data-column="h09"] title',
      (t) => t.textContent);
    if (tip !== `周一 09时：${data.mondays.length}`) fail(`tooltip: ${tip}`);
    const rows = await page.$$eval('svg.heat[data-table="heat_category_day"] rect.cell', (rs) =>
      [...new Set(rs.map((r) => r.dataset.row))]);
    if (JSON.stringify(rows) !== JSON.stringify(['签证', '护照', ODD])) fail(`category rows: ${rows}`);
    const shown = await page.$$eval('table[data-table="hot_topics"] tbody tr td:first-child',
      (tds) => tds.map((td) => td.textContent));
    if (!shown.includes(ODD)) fail(`hot topics: ${shown}`);
    const rate = await page.$eval('table[data-table="summary"]', (t) => {
      const row = [...t.tBodies[0].rows].find((r) => r.cells[0].textContent === 'answer_rate');
      const col = [...t.tHead.rows[0].cells].findIndex((c) => c.dataset.column === 'value');
      return row.cells[col].textContent;
    });
    const wantRate = `${(100 * m.days / (m.days + data.mondays.length)).toFixed(1)}%`;
    if (!rate.startsWith(wantRate)) fail(`answer rate ${rate}, want ${wantRate}`);
    ok(`168 hour cells, 3 category rows, answer rate ${rate}`);

    fs.mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTEFACTS, 'report.png'), fullPage: true });
    ok(`screenshot ${path.join(ARTEFACTS, 'report.png')}`);

    step('4. requests and console');
    const foreign = requests.filter((u) => u !== url);
    if (foreign.length) fail(`requests besides the file: ${foreign.join(' ')}`);
    if (consoleErrors.length) fail(`console errors: ${consoleErrors.join(' | ')}`);
    ok(`one request (${url}), no console error`);

    step('5. A4 PDF');
    await page.emulateMedia({ media: 'print' });
    const pdfPath = path.join(ARTEFACTS, 'report.pdf');
    const pdf = await page.pdf({ path: pdfPath, format: 'A4', preferCSSPageSize: true, printBackground: true });
    const text = pdf.toString('latin1');
    const pages = (text.match(/\/Type\s*\/Page[^s]/g) || []).length;
    if (!text.startsWith('%PDF-') || pages < 3) fail(`PDF: ${pdf.length} bytes, ${pages} pages`);
    // A4 portrait (595 x 842 pt) for the cover, landscape for the wide tables.
    const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)]
      .map((b) => `${Math.round(b[1])}x${Math.round(b[2])}`);
    if (!boxes.includes('595x842')) fail(`no A4 portrait page: ${boxes}`);
    ok(`${pdfPath}: ${pages} pages, ${[...new Set(boxes)].join(' ')}`);
    passed = true;
  } catch (e) {
    if (!(e instanceof TestFailure)) throw e;
    console.error(`FAIL [${stepName()}]: ${e.message}`);
  } finally {
    if (browser) await browser.close();
    if (passed) fs.rmSync(dir, { recursive: true, force: true });
    else console.error(`kept ${dir}`);
  }
  return passed ? 0 : 1;
}

process.exit(await main());
