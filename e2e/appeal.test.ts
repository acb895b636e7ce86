/**
 * Journey a: on a phone a citizen submits an appeal with a photo → an operator dispatches it →
 * the department signs and replies → the citizen reads the reply and rates it → the dashboard's
 * counts have moved.
 */
import { describe, it, expect as vexpect } from 'vitest';
import { expect } from './expect.ts';
import { marker, setupE2E, uniquePhone } from './harness.ts';
import { testJpeg } from './photo.ts';
import { submitAppeal } from './portal.ts';
import { act, photosOf, pickOrg, staffSignIn } from './staff.ts';

const e2e = setupE2E();

/** A number shown in the dashboard's "受理与办结" panel, by its label. */
async function kpi(page: import('playwright-core').Page, label: string): Promise<number> {
  const panel = page.getByRole('region', { name: '受理与办结' });
  const value = panel
    .locator('div', { hasText: new RegExp(`^${label}$`) })
    .locator('xpath=following-sibling::div[1]');
  await expect(value).toHaveText(/\d/);
  return Number(((await value.textContent()) ?? '').replace(/[^\d]/g, ''));
}

describe('citizen appeal, from the phone to the dashboard', () => {
  it('is submitted with a photo, dispatched, signed, replied, rated and counted', async () => {
    // The dashboard before.
    const leader = await e2e.person('desktop');
    await staffSignIn(leader.page, 'leader', '/staff/dashboard');
    const receivedBefore = await kpi(leader.page, '受理');
    const dispatchedBefore = await kpi(leader.page, '派单');

    // A citizen on a phone: category by search, description, place, photo, phone + code.
    const citizen = await e2e.person('phone');
    const page = citizen.page;
    const phone = uniquePhone();
    const text = `${marker('楼道')} 小区物业长期不清理楼道垃圾，夏天气味很大，请督促物业处理。`;
    await page.goto('/');
    await page.getByRole('link', { name: /我要反映/ }).click();

    const { code } = await submitAppeal(page, {
      phone,
      otp: e2e.otp,
      description: text,
      categorySearch: '物业',
      category: /物业管理/,
      township: '莲塘镇',
      village: '府前路社区居委会',
      address: '府前路 8 号小区 3 栋',
      photo: { name: 'louti.jpg', buffer: await testJpeg(1) },
    });

    // An operator finds it in the queue and dispatches it to the housing department.
    const operator = await e2e.person('desktop');
    const op = operator.page;
    await staffSignIn(op, 'operator');
    await op.getByRole('tab', { name: /待派单/ }).click();
    await op.getByRole('searchbox', { name: '搜索工单' }).fill(code);
    await op.getByRole('searchbox', { name: '搜索工单' }).press('Enter');
    await op.getByRole('link', { name: code }).click();
    await expect(op.getByText(text.slice(0, 20)).first()).toBeVisible();
    await expect(photosOf(op).locator('img')).toHaveCount(1);
    await act(op, '派单', async (dialog) => {
      await pickOrg(dialog, '主办单位', '住房和城乡建设');
    });

    // The department handler signs, contacts the citizen first and replies.
    const handler = await e2e.person('desktop');
    const dept = handler.page;
    await staffSignIn(dept, 'department_handler');
    await dept.getByRole('tab', { name: /待签收/ }).click();
    await dept.getByRole('link', { name: code }).click();
    await act(dept, '签收');
    await act(dept, '先行联系', async (dialog) => {
      await dialog.getByRole('textbox', { name: /联系情况/ }).fill('已电话联系群众，约定明天上门查看。');
    });
    const reply = `已约谈物业公司，楼道垃圾已清运，今后每日清扫两次。${marker('R')}`;
    await act(dept, '答复', async (dialog) => {
      await dialog.getByRole('textbox', { name: /答复内容/ }).fill(reply);
      await dialog.getByRole('radio', { name: '已解决' }).check();
    });

    // The citizen opens "my appeals", reads the reply in the timeline and rates it.
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '首页' }).click();
    await page.getByRole('link', { name: /^我的诉求/ }).click();
    await page
      .getByRole('region', { name: '已提交的诉求' })
      .getByRole('link', { name: new RegExp(code) })
      .click();
    const timeline = page.getByRole('region', { name: '办理过程' });
    await expect(timeline).toContainText(reply.slice(0, 20));
    const rate = page.getByRole('region', { name: '评价办理结果' });
    await rate.getByRole('radio', { name: '已解决' }).check();
    await rate.getByRole('radio', { name: '满意', exact: true }).check();
    await rate.getByRole('button', { name: '提交评价' }).click();
    await expect(page.getByText('感谢您的评价！')).toBeVisible();

    // The dashboard after: one more received and dispatched.
    await leader.page.reload();
    vexpect(await kpi(leader.page, '受理')).toBe(receivedBefore + 1);
    vexpect(await kpi(leader.page, '派单')).toBe(dispatchedBefore + 1);
  });
});
