/*
 * The entity page's contents, as a user finds them in either frontend system. The legacy entity
 * page has one tab per content. The new frontend system's page (Backstage UI's header) has a
 * "Content navigation" with a link per content, and one menu button per group of contents (ours
 * and Kubernetes' are both in the "Deployment" group), whose menu items link to each.
 */
import { Locator, Page } from 'playwright-core';

export const PROGRESSIVE_DELIVERY_TAB = 'Progressive Delivery';
/** The title of the group our entity content declares (`group: 'deployment'`). */
export const PROGRESSIVE_DELIVERY_GROUP = 'Deployment';

function contentNavigation(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Content navigation' });
}

/**
 * Waits until the entity page shows the Progressive Delivery content as the current one: its
 * legacy tab, its own link, or the checked item of the Deployment group's menu (which it opens to
 * look and closes again).
 */
export async function waitForProgressiveDeliveryTab(
  page: Page,
  timeout = 60_000,
): Promise<void> {
  const legacyTab = page.getByRole('tab', {
    name: PROGRESSIVE_DELIVERY_TAB,
    exact: true,
  });
  const ownLink = contentNavigation(page).getByRole('link', {
    name: PROGRESSIVE_DELIVERY_TAB,
    exact: true,
  });
  const group = contentNavigation(page).getByRole('button', {
    name: PROGRESSIVE_DELIVERY_GROUP,
    exact: true,
  });
  await legacyTab
    .or(ownLink)
    .or(group)
    .filter({ visible: true })
    .first()
    .waitFor({ timeout });
  if ((await legacyTab.count()) || (await ownLink.count())) return;
  await group.click();
  await page
    .getByRole('menuitemradio', {
      name: PROGRESSIVE_DELIVERY_TAB,
      exact: true,
      checked: true,
    })
    .waitFor({ timeout });
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'detached' });
}

/**
 * Opens each of the entity page's contents in turn (a legacy tab, a content link, or each item
 * of a group's menu) and runs `visit` on it with the content's name.
 */
export async function visitEntityContents(
  page: Page,
  visit: (name: string) => Promise<void>,
): Promise<string[]> {
  const names: string[] = [];
  // Their text, not innerText: the legacy theme shows tab names in capitals.
  const tabNames = (await page.getByRole('tab').allTextContents()).map(name =>
    name.trim(),
  );
  for (const tabName of tabNames) {
    await page.getByRole('tab', { name: tabName, exact: true }).first().click();
    names.push(tabName);
    await visit(tabName);
  }
  const nav = contentNavigation(page);
  if (!(await nav.count())) return names;
  const links = (await nav.getByRole('link').allTextContents()).map(name =>
    name.trim(),
  );
  for (const link of links) {
    await nav.getByRole('link', { name: link, exact: true }).click();
    names.push(link);
    await visit(link);
  }
  const groups = (await nav.getByRole('button').allTextContents()).map(name =>
    name.trim(),
  );
  for (const groupName of groups) {
    const group = nav.getByRole('button', { name: groupName, exact: true });
    await group.click();
    const items = (
      await page.getByRole('menu').getByRole('menuitemradio').allTextContents()
    ).map(name => name.trim());
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    for (const item of items) {
      await group.click();
      await page
        .getByRole('menuitemradio', { name: item, exact: true })
        .click();
      await page.getByRole('menu').waitFor({ state: 'detached' });
      names.push(item);
      await visit(item);
    }
  }
  return names;
}
