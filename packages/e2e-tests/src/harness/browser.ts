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

/**
 * Opens `url`, entering as the guest when the app's sign-in page asks first. `isVisible` does not
 * wait whatever timeout it is given, so this waits for the sign-in button or the app's
 * navigation, whichever the app shows. Only visible ones count, and of the navigation its links:
 * the first navigation in the document can be hidden, and the legacy sidebar's own box is empty
 * (its drawer is fixed), so waiting for either to show took the whole timeout every time.
 */
export async function openAsGuest(page: Page, url: string, timeoutMs = 30_000) {
  await page.goto(url);
  const enter = page.getByRole('button', { name: 'Enter' });
  await enter
    .or(page.getByRole('navigation').getByRole('link'))
    .filter({ visible: true })
    .first()
    .waitFor({ timeout: timeoutMs })
    .catch(() => undefined);
  if (!(await enter.isVisible())) return;
  await enter.click();
  await enter.waitFor({ state: 'detached' });
  if (page.url() !== url) await page.goto(url);
}
