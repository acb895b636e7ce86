/**
 * Screenshots of every main screen, phone and desktop, into docs/screenshots/:
 *
 *   npm run screenshots
 *
 * Builds the web app if needed, starts its own server on a fresh data folder with a demo history,
 * plays a short day through the real UI (a citizen's appeal with a photo, dispatched, signed, replied
 * and rated; a grid worker's report sent while offline) and photographs each screen on the way.
 * The old PNGs are replaced only when every shot was taken; console errors are listed and make the
 * command fail. CHROMIUM_PATH picks the browser (default /usr/bin/chromium).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type Device, launchBrowser, openPerson, type Person, uniquePhone } from './browser.ts';
import { expect } from './expect.ts';
import { testJpeg } from './photo.ts';
import { portalLanguage, portalStaffSignIn, submitAppeal } from './portal.ts';
import { ensureWebBuild, otpFromLog, ROOT, startServer, waitReady } from './server.ts';
import { act, pickOrg, staffSignIn } from './staff.ts';

const OUT = path.join(ROOT, 'docs/screenshots');
const DEMO_CASES = Number(process.env.DEMO_CASES ?? 240);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-shots-'));
const taken: string[] = [];
const people: Person[] = [];

/** Waits for the page to settle (requests done, fonts and charts drawn), then photographs it. */
async function shot(page: Page, name: string, device: Device): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(400);
  const file = `${name}-${device}.png`;
  await page.screenshot({ path: path.join(tmp, file) });
  taken.push(file);
  console.log(`  ${file}`);
}

async function person(browser: Browser, base: string, device: Device): Promise<Person> {
  const p = await openPerson(browser, base, device);
  people.push(p);
  return p;
}

async function portalPages(browser: Browser, base: string, device: Device): Promise<void> {
  const { page } = await person(browser, base, device);
  await page.goto('/');
  await expect(page.getByRole('link', { name: /莲塘镇/ })).toBeVisible();
  await shot(page, 'portal-home', device);
  await page.getByRole('link', { name: /莲塘镇/ }).click();
  await expect(page.getByRole('link', { name: /府前路社区居委会/ })).toBeVisible();
  await shot(page, 'portal-township', device);
  await page.getByRole('link', { name: /府前路社区居委会/ }).click();
  await expect(page.getByRole('button', { name: '府前路社区第1网格' }).first()).toBeVisible();
  await shot(page, 'portal-village-grids', device);
  await page.goto('/board');
  await expect(page.locator('dd').filter({ hasText: /[1-9]/ }).first()).toBeVisible();
  await shot(page, 'portal-board', device);
  await page.goto('/login?tab=citizen');
  await shot(page, 'portal-login', device);
  await page.goto('/appeal/new');
  await expect(
    page
      .getByRole('group', { name: /问题类别/ })
      .getByRole('button')
      .first(),
  ).toBeVisible();
  await shot(page, 'portal-appeal-form', device);
  await page.goto('/kiosk');
  await expect(page.locator('select').first()).toBeVisible();
  await shot(page, 'kiosk-start', device);
}

async function main(): Promise<void> {
  ensureWebBuild((s) => console.log(s));
  console.log(`starting a server with ${DEMO_CASES} appeals of demo history…`);
  const server = await startServer({ demoCases: DEMO_CASES });
  let browser: Browser | undefined;
  try {
    await waitReady(server.base, server.logFile, { history: true, timeoutMs: 900_000, child: server.child });
    const base = server.base;
    browser = await launchBrowser();
    console.log(`writing screenshots (${base})`);

    await portalPages(browser, base, 'phone');
    await portalPages(browser, base, 'desktop');

    // A citizen's appeal with a photo, on a phone.
    const citizen = await person(browser, base, 'phone');
    const cp = citizen.page;
    await cp.goto('/appeal/new');
    await portalLanguage(cp, 'en');
    await shot(cp, 'portal-appeal-en', 'phone');
    await portalLanguage(cp, 'zh-CN');
    await cp.getByRole('button', { name: '大字模式' }).click();
    await shot(cp, 'portal-appeal-large-text', 'phone');
    await cp.getByRole('button', { name: '大字模式' }).click();
    const text = '小区楼道堆放杂物和垃圾，物业一直不清理，存在消防隐患，请督促处理。';
    const { code } = await submitAppeal(cp, {
      phone: uniquePhone(),
      otp: (phone) => otpFromLog(server.logFile, phone),
      description: text,
      categorySearch: '物业',
      category: /物业管理/,
      township: '莲塘镇',
      village: '府前路社区居委会',
      address: '府前路 8 号小区 3 栋',
      photo: { name: 'louti.jpg', buffer: await testJpeg(3) },
    });
    await shot(cp, 'portal-appeal-success', 'phone');

    // The operator's queue and the case, then dispatch.
    const operator = await person(browser, base, 'desktop');
    const op = operator.page;
    await staffSignIn(op, 'operator');
    await expect(op.getByRole('link', { name: code })).toBeVisible();
    await shot(op, 'staff-workbench', 'desktop');
    await op.getByRole('link', { name: code }).click();
    await expect(op.getByText(text.slice(0, 12)).first()).toBeVisible();
    await shot(op, 'staff-case', 'desktop');
    await act(op, '派单', async (dialog) => {
      await pickOrg(dialog, '主办单位', '住房和城乡建设');
      await shot(op, 'staff-case-dispatch', 'desktop');
    });

    // The department signs, contacts and replies.
    const dept = (await person(browser, base, 'desktop')).page;
    await staffSignIn(dept, 'department_handler');
    await dept.getByRole('tab', { name: /待签收/ }).click();
    await dept.getByRole('link', { name: code }).click();
    await act(dept, '签收');
    await act(dept, '先行联系', async (d) => {
      await d.getByRole('textbox', { name: /联系情况/ }).fill('已电话联系群众，约定明天上门查看。');
    });
    await act(dept, '答复', async (d) => {
      await d
        .getByRole('textbox', { name: /答复内容/ })
        .fill('已约谈物业公司，楼道杂物和垃圾已全部清运，今后每日巡查；消防通道已恢复畅通。');
      await d.getByRole('radio', { name: '已解决' }).check();
    });
    await shot(dept, 'staff-case-replied', 'desktop');

    // The citizen reads the reply and rates it.
    await cp.goto('/my');
    await expect(cp.getByRole('link', { name: new RegExp(code) }).first()).toBeVisible();
    await shot(cp, 'portal-my-appeals', 'phone');
    await cp
      .getByRole('region', { name: '已提交的诉求' })
      .getByRole('link', { name: new RegExp(code) })
      .click();
    const rate = cp.getByRole('region', { name: '评价办理结果' });
    await expect(rate).toBeVisible();
    await shot(cp, 'portal-appeal-detail', 'phone');
    await rate.getByRole('radio', { name: '已解决' }).check();
    await rate.getByRole('radio', { name: '满意', exact: true }).check();
    await rate.getByRole('button', { name: '提交评价' }).click();
    await expect(cp.getByText('感谢您的评价！')).toBeVisible();
    await shot(cp, 'portal-appeal-rated', 'phone');

    // The grid worker's app, a report sent while offline.
    const worker = await person(browser, base, 'phone');
    worker.allow(/net::ERR_INTERNET_DISCONNECTED/, 'the phone is offline on purpose');
    const gp = worker.page;
    await portalStaffSignIn(gp, 'grid_worker', '/grid');
    await expect(gp.getByRole('button', { name: '府前路社区第1网格' }).first()).toBeVisible();
    await shot(gp, 'grid-map', 'phone');
    const tabs = gp.getByRole('navigation', { name: '工作台' });
    await tabs.getByRole('link', { name: '上报事件' }).click();
    const form = gp.getByRole('region', { name: '上报事件' });
    await expect(form.getByRole('button', { name: /市容环卫/ })).toBeVisible();
    await shot(gp, 'grid-report', 'phone');
    await worker.context.setOffline(true);
    await form.getByRole('searchbox', { name: '搜索类别' }).fill('垃圾');
    await form.getByRole('button', { name: /垃圾/ }).first().click();
    await form.getByRole('textbox', { name: /事件描述/ }).fill('府前路路口垃圾堆积，已有异味，需要清运。');
    const shape = form.getByRole('button', { name: '府前路社区第1网格' });
    await shape.focus();
    await shape.press('Enter');
    await form.getByRole('button', { name: '上报', exact: true }).click();
    await tabs.getByRole('link', { name: /我的任务/ }).click();
    await expect(gp.getByRole('region', { name: '待发送与最近发送' })).toContainText('联网后自动发送');
    await shot(gp, 'grid-offline-queue', 'phone');
    await worker.context.setOffline(false);
    await expect(gp.getByRole('region', { name: '待发送与最近发送' }), { timeout: 30_000 }).toContainText(
      '已受理',
    );
    await shot(gp, 'grid-tasks', 'phone');

    // The workbench screens of a county dispatcher.
    const staff = (await person(browser, base, 'desktop')).page;
    await staff.goto('/staff/login');
    await shot(staff, 'staff-login', 'desktop');
    await staffSignIn(staff, 'county_dispatcher');
    await staff.getByRole('tab', { name: /^全部/ }).click();
    await shot(staff, 'staff-queue-all', 'desktop');
    await staff.goto('/staff/intake');
    await shot(staff, 'staff-intake', 'desktop');
    await staff.goto('/staff/supervision');
    await shot(staff, 'staff-supervision', 'desktop');
    await staff.goto('/staff/revisit');
    await shot(staff, 'staff-revisit', 'desktop');
    await staff.goto('/staff/dashboard');
    await expect(staff.locator('.gz-kpi-value').last()).toHaveText(/\d/);
    await shot(staff, 'staff-dashboard', 'desktop');

    // The command centre on the wall screen.
    const leader = await person(browser, base, 'wall');
    await staffSignIn(leader.page, 'leader', '/staff/dashboard?wall=1');
    await expect(leader.page.locator('.gz-kpi-value').last()).toHaveText(/\d/);
    await shot(leader.page, 'staff-dashboard', 'wall');

    // Every administration tab.
    const admin = (await person(browser, base, 'desktop')).page;
    await staffSignIn(admin, 'admin', '/staff/admin');
    await expect(admin.getByRole('treeitem', { name: /莲塘镇/ })).toBeVisible();
    const keys = await admin
      .locator('.ant-tabs-tab[data-node-key]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-node-key') ?? ''));
    for (const key of keys) {
      await admin.locator(`.ant-tabs-tab[data-node-key="${key}"]`).click();
      await shot(admin, `staff-admin-${key}`, 'desktop');
    }
  } finally {
    await browser?.close();
    await server.stop();
  }

  const errors = people.flatMap((p) => p.errors);
  // Every shot was taken: replace the old set.
  for (const f of fs.readdirSync(OUT)) if (f.endsWith('.png')) fs.rmSync(path.join(OUT, f));
  for (const f of taken) fs.copyFileSync(path.join(tmp, f), path.join(OUT, f));
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`${taken.length} screenshots written to ${path.relative(ROOT, OUT)}/`);
  if (errors.length) {
    console.error(`console errors while taking them:\n  ${errors.join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
