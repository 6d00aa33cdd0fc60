// Debian's headless Chromium, driven by playwright-core, for the browser tests
// and the Chromium benchmarks: one list of flags and one way to find it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// Headless; without the last flags Chromium floods a closed network with lookups.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** CHROMIUM=/path when that exists, else `chromium` or `chromium-browser` on PATH; null when there is none. */
export function findChromium() {
  if (process.env.CHROMIUM) return existsSync(process.env.CHROMIUM) ? process.env.CHROMIUM : null;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim().split('\n')[0] || null;
  } catch {
    return null;
  }
}

/** Launch Chromium at `executablePath` (default: findChromium()) with CHROMIUM_ARGS. */
export async function launchChromium(executablePath = findChromium()) {
  if (!executablePath) throw new Error('no Chromium found: install Debian\'s `chromium` package or set CHROMIUM=/path/to/chromium');
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
