/** Workbench steps shared by the journeys (Ant Design widgets driven as a user would). */
import type { Locator, Page } from 'playwright-core';
import { expect } from './expect.ts';
import { DEMO_PASSWORD } from './server.ts';

/** Signs a staff member in through the workbench sign-in form (`/staff/login`). */
export async function staffSignIn(page: Page, username: string, next?: string): Promise<void> {
  await page.goto(next ? `/staff/login?next=${encodeURIComponent(next)}` : '/staff/login');
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(DEMO_PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/staff/login'));
}

/**
 * Runs one workflow action from the case detail: its button in "可办理的操作", the form in the
 * dialog (`fill`), "确认…", then waits for the dialog to close on success.
 */
export async function act(
  page: Page,
  name: string,
  fill?: (dialog: Locator) => Promise<void>,
): Promise<void> {
  const actions = page.locator('.ant-card').filter({ has: page.getByText('可办理的操作', { exact: true }) });
  await actions.getByRole('button', { name, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: new RegExp(`^${name} · `) });
  await expect(dialog).toBeVisible();
  await fill?.(dialog);
  await dialog.getByRole('button', { name: `确认${name}` }).click();
  await expect(dialog).toBeHidden();
}

/** Chooses a unit in an org picker (an Ant Design select with search) by part of its name. */
export async function pickOrg(scope: Locator, label: string, name: string): Promise<void> {
  const box = scope.getByRole('combobox', { name: label });
  await box.click();
  await box.fill(name);
  const dropdown = scope.page().locator('.ant-select-dropdown:visible');
  const option = dropdown.locator('.ant-select-item-option').filter({ hasText: name }).first();
  try {
    await option.waitFor({ timeout: 15_000 });
  } catch {
    // Say what the user sees rather than only that an option never came.
    const shown = await dropdown.textContent({ timeout: 1000 }).catch(() => '');
    throw new Error(
      `the "${label}" picker offers no unit named like "${name}" (it shows "${shown}"); ` +
        'it searches GET /api/orgs as the signed-in user',
    );
  }
  await option.click();
}

/** The photos of a case on its detail page (an element named 照片 / Photos). */
export function photosOf(page: Page): Locator {
  return page.getByRole('region', { name: /^(照片|Photos)$/ });
}

/** Chooses an option of an Ant Design select or cascader (with search) by its label's text. */
export async function antSelect(page: Page, label: string, search: string, option: RegExp): Promise<void> {
  const box = page.getByRole('combobox', { name: label });
  await box.click();
  await box.fill(search);
  await page
    .locator('.ant-select-dropdown:visible')
    .locator('.ant-select-item-option, .ant-cascader-menu-item')
    .filter({ hasText: option })
    .first()
    .click();
}
