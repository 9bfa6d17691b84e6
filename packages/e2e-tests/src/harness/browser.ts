import { Browser, chromium, Page } from 'playwright-core';
import { join } from 'node:path';

/** Debian's chromium, never a downloaded browser build. */
export const CHROMIUM_PATH =
  process.env.PD_CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, dir: string, name: string) {
  // Viewport captures: Backstage's fixed sidebar garbles full-page ones.
  await page.screenshot({ path: join(dir, `${name}.png`) });
}
