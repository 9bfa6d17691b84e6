/*
 * The entity page's tabs, as a user finds them in either frontend system. The legacy entity
 * page has one tab per content; the new frontend system's groups contents of the same group
 * under one tab (ours and Kubernetes' under "Deployment"), whose menu lists them.
 */
import { Locator, Page } from 'playwright-core';

export const PROGRESSIVE_DELIVERY_TAB = 'Progressive Delivery';
/** The title of the group our entity content declares (`group: 'deployment'`). */
export const PROGRESSIVE_DELIVERY_GROUP = 'Deployment';

/** The menu a group's tab opens, and the contents it links to. */
export function groupMenu(page: Page): Locator {
  return page.getByRole('presentation').getByRole('navigation');
}

/**
 * Waits until the entity page shows the Progressive Delivery tab: as a tab of its own, or as an
 * item of the Deployment group's menu, which it opens to look and closes again.
 */
export async function waitForProgressiveDeliveryTab(
  page: Page,
  timeout = 60_000,
): Promise<void> {
  const ownTab = page.getByRole('tab', { name: PROGRESSIVE_DELIVERY_TAB, exact: true });
  const groupTab = page.getByRole('tab', { name: PROGRESSIVE_DELIVERY_GROUP, exact: true });
  await ownTab.or(groupTab).first().waitFor({ timeout });
  if (await ownTab.count()) return;
  await groupTab.click();
  const item = groupMenu(page).getByRole('button', {
    name: PROGRESSIVE_DELIVERY_TAB,
    exact: true,
  });
  await item.waitFor({ timeout });
  await page.keyboard.press('Escape');
  await groupMenu(page).waitFor({ state: 'detached' });
}

/**
 * Opens each of the entity page's contents in turn: a plain tab by clicking it, a group's contents
 * through its menu. `visit` runs on each with the content's name.
 */
export async function visitEntityContents(
  page: Page,
  visit: (name: string) => Promise<void>,
): Promise<string[]> {
  const names: string[] = [];
  // Their text, not innerText: the theme shows tab names in capitals.
  const tabNames = (await page.getByRole('tab').allTextContents()).map(name => name.trim());
  for (const tabName of tabNames) {
    const tab = page.getByRole('tab', { name: tabName, exact: true }).first();
    await tab.click();
    const menu = groupMenu(page);
    const opened = await menu
      .waitFor({ timeout: 1000 })
      .then(() => true, () => false);
    if (!opened) {
      names.push(tabName);
      await visit(tabName);
      continue;
    }
    const items = (await menu.getByRole('button').allTextContents()).map(name => name.trim());
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    for (const item of items) {
      await tab.click();
      await groupMenu(page).getByRole('button', { name: item, exact: true }).click();
      await groupMenu(page).waitFor({ state: 'detached' });
      names.push(item);
      await visit(item);
    }
  }
  return names;
}
