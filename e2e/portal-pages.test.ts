/**
 * Every portal page (citizen, kiosk, grid worker) in zh-CN, zh-TW and English, chosen with the
 * language switch: each shows the demo county's real data, logs no console error, and axe-core finds
 * no serious or critical accessibility violation on it.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { beforeAll, describe, it, expect as vexpect } from 'vitest';
import { type AxeViolation, axeViolations, formatViolations } from './axe.ts';
import { expect } from './expect.ts';
import { LANGS, type Lang, marker, setupE2E, uniquePhone } from './harness.ts';
import { portalText } from './i18n.ts';
import { portalLanguage, portalStaffSignIn, submitAppeal } from './portal.ts';

const e2e = setupE2E();

/** A signed-in citizen with one appeal, made through the form once for all languages. */
let citizen: { state: Awaited<ReturnType<BrowserContext['storageState']>>; code: string; id: string };

beforeAll(async () => {
  const p = await e2e.person('phone');
  const phone = uniquePhone();
  await p.page.goto('/appeal/new');
  const { code, id } = await submitAppeal(p.page, {
    phone,
    otp: e2e.otp,
    description: `${marker('路灯')} 村口路灯坏了一个多月，晚上很黑，老人小孩出行不安全。`,
    categorySearch: '路灯',
    category: /路灯/,
    township: '莲塘镇',
    village: '府前路社区居委会',
  });
  citizen = { state: await p.context.storageState(), code, id };
}, 180_000);

/** Checks a page: the data is there, then axe; violations are collected, not thrown one by one. */
async function check(
  found: { where: string; violations: AxeViolation[] }[],
  page: Page,
  where: string,
  data: Locator,
) {
  await expect(data.first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  const violations = await axeViolations(page);
  if (violations.length) found.push({ where, violations });
}

/** A township select listing the demo county's townships. */
function townshipSelect(page: Page): Locator {
  return page.locator('select').filter({ has: page.locator('option', { hasText: '莲塘镇' }) });
}

function report(lang: Lang, found: { where: string; violations: AxeViolation[] }[]) {
  const text = found.map((f) => formatViolations(`${lang} ${f.where}`, f.violations)).join('\n\n');
  vexpect(found, `accessibility violations:\n${text}`).toEqual([]);
}

describe.each(LANGS)('portal pages in %s', (lang) => {
  const t = (key: Parameters<typeof portalText>[1], vars?: Record<string, string | number>) =>
    portalText(lang, key, vars);

  it('citizen pages show the demo county, log no errors and pass axe', async () => {
    const found: { where: string; violations: AxeViolation[] }[] = [];
    const { page, context } = await e2e.person('phone', { lang });
    await context.addCookies(citizen.state.cookies);
    await page.goto('/');
    await portalLanguage(page, lang);
    const nav = page.getByRole('navigation', { name: t('header.nav') });
    await expect(nav.getByRole('link', { name: t('nav.home') })).toBeVisible();

    await check(found, page, 'home', page.getByRole('link', { name: /莲塘镇/ }));
    await page.getByRole('link', { name: /莲塘镇/ }).click();
    await check(found, page, 'township', page.getByRole('link', { name: /府前路社区居委会/ }));
    await page.getByRole('link', { name: /府前路社区居委会/ }).click();
    await check(found, page, 'village grids', page.getByRole('button', { name: '府前路社区第1网格' }));

    await page.goto('/appeal/new');
    await expect(page.getByRole('heading', { level: 1, name: t('appeal.title') })).toBeVisible();
    await check(found, page, 'appeal form', townshipSelect(page));

    await page.goto(`/appeal/done?id=${citizen.id}&code=${citizen.code}`);
    await check(found, page, 'appeal success', page.getByText(citizen.code));

    await page.goto('/my');
    await expect(page.getByRole('heading', { level: 1, name: t('my.title') })).toBeVisible();
    await check(found, page, 'my appeals', page.getByRole('link', { name: new RegExp(citizen.code) }));
    await page
      .getByRole('region', { name: t('my.listTitle') })
      .getByRole('link', { name: new RegExp(citizen.code) })
      .click();
    await check(
      found,
      page,
      'my appeal detail',
      page.getByRole('region', { name: t('detail.timeline') }).getByRole('listitem'),
    );

    await page.goto('/me');
    await check(found, page, 'me (citizen)', page.getByRole('heading', { name: t('me.citizenAccount') }));

    await page.goto('/board');
    await expect(page.getByRole('heading', { level: 1, name: t('board.title') })).toBeVisible();
    await check(found, page, 'board', page.locator('dd').filter({ hasText: /[1-9]/ }));

    report(lang, found);
  });

  it('kiosk, sign-in and grid worker pages show the demo county, log no errors and pass axe', async () => {
    const found: { where: string; violations: AxeViolation[] }[] = [];
    const { page } = await e2e.person('phone', { lang });
    await page.goto('/login');
    await portalLanguage(page, lang);

    // The kiosk ends any session it finds, so it is visited here, before anyone signs in.
    await page.goto('/kiosk');
    await expect(page.getByRole('heading', { level: 1, name: t('kiosk.title') })).toBeVisible();
    await check(found, page, 'kiosk', townshipSelect(page));
    await expect(page.locator('html')).toHaveAttribute('lang', lang);

    await page.goto('/login');
    await check(
      found,
      page,
      'sign in (staff)',
      page.getByRole('heading', { level: 1, name: t('login.title') }),
    );
    await page.getByRole('tab', { name: t('login.tabCitizen') }).click();
    await check(found, page, 'sign in (citizen)', page.locator('#panel-citizen input[name=phone]'));

    await portalStaffSignIn(page, 'grid_worker', '/grid');
    await expect(page.getByRole('heading', { level: 1, name: t('grid.title') })).toBeVisible();
    const tabs = page.getByRole('navigation', { name: t('grid.tabsLabel') });
    await check(found, page, 'grid worker map', page.getByRole('button', { name: '府前路社区第1网格' }));
    await tabs.getByRole('link', { name: t('grid.tabReport') }).click();
    await check(
      found,
      page,
      'grid worker report',
      page
        .getByRole('region', { name: t('report.title') })
        .getByRole('button', { name: '府前路社区第1网格' }),
    );
    await tabs.getByRole('link', { name: new RegExp(t('grid.tabTasks')) }).click();
    await check(found, page, 'grid worker tasks', page.getByRole('heading', { name: t('tasks.reported') }));

    await page.goto('/me');
    await check(found, page, 'me (staff)', page.getByText('府前路社区居委会').first());

    report(lang, found);
  });
});
