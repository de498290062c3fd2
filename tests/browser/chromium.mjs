// chromium.mjs: launches Debian's Chromium through playwright-core, the one
// way both browser scripts start a browser. Never downloads a browser.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.WB_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const VIEWPORT = { width: 1920, height: 1080 };

// Exit code meson reads as "skipped".
export const EXIT_SKIP = 77;

/** playwright-core's chromium, or null with the reason when it is missing. */
export async function loadPlaywright() {
  try {
    const pw = await import('playwright-core');
    return { chromium: pw.chromium ?? pw.default?.chromium };
  } catch (e) {
    return { chromium: null, why: `playwright-core is not installed (npm ci in the source tree): ${e.message}` };
  }
}

/**
 * Starts Chromium with a fresh user-data-dir and returns {context, close}.
 * headless is false for Playwright because '--headless=new' in the argument
 * list already asks for it; Playwright would otherwise add its own flag.
 */
export async function launchChromium(chromium) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: false,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
    locale: 'zh-CN',
    timeout: 60000,
  });
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}
