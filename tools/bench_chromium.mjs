// `python3 build.py bench`, Chromium side: open the benchmark page
// (tools/bench_page/, served by tools/bench.py) in Debian's headless Chromium
// with playwright-core, wait for it to finish and print its result as JSON.
// Usage: node tools/bench_chromium.mjs URL [CHROMIUM_BINARY]
// Progress (the page's console) goes to stderr.
import { launchChromium } from './chromium.mjs';

const log = (msg) => process.stderr.write(`[chromium] ${msg}\n`);
const [url, given] = process.argv.slice(2);
let browser;
let code = 0;
try {
  browser = await launchChromium(given || undefined);
  const page = await browser.newPage();
  page.on('console', (msg) => log(msg.text()));
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) log(`HTTP ${r.status()} for ${r.url()}`); });
  await page.goto(url);
  await page.waitForFunction(() => window.__bench?.done, null, { timeout: 20 * 60 * 1000, polling: 500 });
  const state = await page.evaluate(() => window.__bench);
  if (state.error) throw new Error(state.error);
  state.result.runtime.engine = `Chromium ${browser.version()}`;
  process.stdout.write(JSON.stringify(state.result) + '\n');
} catch (e) {
  log(`error: ${String(e?.message ?? e).trim().split('\n').slice(-6).join('\n')}`);
  code = 1;
} finally {
  await browser?.close();
}
process.exit(code);
