/** Citizen portal steps shared by the journeys (zh-CN, the portal's own form elements). */
import type { Page } from 'playwright-core';
import type { Lang } from './browser.ts';
import { expect } from './expect.ts';
import { DEMO_PASSWORD } from './server.ts';

/** Signs a staff member in on the portal's sign-in page (grid workers use the portal's app). */
export async function portalStaffSignIn(page: Page, username: string, next = '/grid'): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.locator('#panel-staff input[name=username]').fill(username);
  await page.locator('#panel-staff input[name=password]').fill(DEMO_PASSWORD);
  await page.locator('#panel-staff button[type=submit]').click();
  await page.waitForURL((u) => u.pathname === next);
}

export interface AppealInput {
  phone: string;
  /** Reads the one-time code the server "sent" to the phone. */
  otp: (phone: string) => Promise<string>;
  description: string;
  /** Typed into the category search, then the option whose name matches is chosen. */
  categorySearch: string;
  category: RegExp;
  township?: string;
  village?: string;
  address?: string;
  photo?: { name: string; buffer: Buffer };
}

/**
 * Fills and submits the appeal form at `/appeal/new` as an anonymous visitor (signing in with the
 * phone and its code on submit) and returns the tracking code and the case id from the success page.
 */
export async function submitAppeal(page: Page, a: AppealInput): Promise<{ code: string; id: string }> {
  await expect(page.getByRole('heading', { level: 1, name: '我要反映' })).toBeVisible();
  const category = page.getByRole('group', { name: /问题类别/ });
  await category.getByRole('searchbox', { name: '搜索类别' }).fill(a.categorySearch);
  await category.getByRole('button', { name: a.category }).first().click();
  await expect(category).toContainText(a.category);

  await page.getByRole('textbox', { name: /请描述您遇到的问题/ }).fill(a.description);

  if (a.photo) {
    const photos = page.getByRole('group', { name: /照片/ });
    await photos.locator('input[type=file]').setInputFiles({ ...a.photo, mimeType: 'image/jpeg' });
    await expect(photos.getByRole('img')).toHaveCount(1);
  }

  if (a.township && a.village) {
    const place = page.getByRole('group', { name: /发生地点/ });
    await place.getByRole('combobox', { name: '乡镇（街道）' }).selectOption({ label: a.township });
    await place.getByRole('combobox', { name: '村（社区）' }).selectOption({ label: a.village });
    // A tap on the village's grid map: Enter on a grid shape picks its centre.
    const shape = place
      .getByRole('img', { name: /网格地图/ })
      .getByRole('button')
      .first();
    await shape.focus();
    await shape.press('Enter');
    await expect(place.locator('.place-status')).toHaveText(/\S/);
    if (a.address) await place.getByRole('textbox', { name: /详细地址/ }).fill(a.address);
  }

  const signIn = page.getByRole('region', { name: '验证手机号' });
  await signIn.getByRole('textbox', { name: '手机号' }).fill(a.phone);
  await signIn.getByRole('button', { name: '获取验证码' }).click();
  await expect(signIn.getByRole('status')).toContainText('****');
  await signIn.getByRole('textbox', { name: '验证码' }).fill(await a.otp(a.phone));
  await page.getByRole('button', { name: '验证并提交' }).click();

  await expect(page.getByRole('heading', { name: '提交成功' })).toBeVisible();
  const code = ((await page.locator('code.tracking-code').textContent()) ?? '').trim();
  const id = new URL(page.url()).searchParams.get('id') ?? '';
  return { code, id };
}

/** Switches the portal's language with the switch in its header (remembered on the device). */
export async function portalLanguage(page: Page, lang: Lang): Promise<void> {
  await page.locator('.lang-switch select').selectOption(lang);
  await expect(page.locator('html')).toHaveAttribute('lang', lang);
}
