/**
 * Journey c (村社吹哨、部门报到): a case lies with a village; its handler whistles the housing
 * department, the department's handler reports, and the village sees the whistle as reported.
 */
import { describe, it } from 'vitest';
import { expect } from './expect.ts';
import { marker, setupE2E } from './harness.ts';
import { act, antSelect, pickOrg, staffSignIn } from './staff.ts';

const e2e = setupE2E();

describe('whistle and report', () => {
  it('a village whistles a department, the department reports, the village sees it', async () => {
    // A phone call taken at the township centre, in 府前路社区, sent to the village.
    const township = await e2e.person('desktop');
    const tw = township.page;
    await staffSignIn(tw, 'township_dispatcher', '/staff/intake');
    const text = `村内道路塌陷${marker('')}，旁边两户房屋墙体开裂，村里处理不了，请住建部门到场。`;
    await antSelect(tw, '事项分类', '村内道路', /村内道路/);
    await tw.getByRole('textbox', { name: /诉求描述/ }).fill(text);
    await antSelect(tw, '乡镇（街道）', '莲塘', /^莲塘镇$/);
    await antSelect(tw, '村（社区）', '府前路', /府前路社区/);
    await tw.getByRole('textbox', { name: '联系人' }).fill('张先生');
    await tw.getByRole('textbox', { name: '联系电话' }).fill('13900001111');
    await tw.getByRole('button', { name: '受理', exact: true }).click();
    const created = tw.getByText(/已受理/).first();
    await expect(created).toBeVisible();
    const createdText = (await created.textContent()) ?? '';
    const code = /[A-Z]\d{10}/.exec(createdText)?.[0];
    if (!code) throw new Error(`no case code in "${createdText}"`);
    await tw.getByRole('button', { name: '查看工单' }).click();
    await act(tw, '派单', async (dialog) => {
      await pickOrg(dialog, '主办单位', '府前路社区');
    });

    // The village handler signs it and whistles the housing department.
    const village = await e2e.person('desktop');
    const vp = village.page;
    await staffSignIn(vp, 'village_handler');
    await vp.getByRole('tab', { name: /待签收/ }).click();
    await vp.getByRole('link', { name: code }).click();
    await act(vp, '签收');
    await act(vp, '吹哨', async (dialog) => {
      await pickOrg(dialog, '吹哨部门', '住房和城乡建设');
      await dialog
        .getByRole('textbox', { name: /需要部门做什么/ })
        .fill('请派人鉴定房屋安全，指导群众临时避险。');
    });
    const whistles = vp.locator('.ant-card').filter({ has: vp.getByText('吹哨与报到', { exact: true }) });
    await expect(whistles.getByRole('row').filter({ hasText: '住房和城乡建设局' })).toContainText('待报到');

    // The department handler finds it under "whistled to me" and reports.
    const dept = await e2e.person('desktop');
    const dp = dept.page;
    await staffSignIn(dp, 'department_handler');
    await dp.getByRole('tab', { name: /吹哨/ }).click();
    await dp.getByRole('link', { name: code }).click();
    await act(dp, '报到', async (dialog) => {
      await dialog.getByRole('textbox', { name: '到场人员' }).fill('住建局 赵磊、质监站 王工');
    });

    // The village sees the department reported.
    await vp.reload();
    await expect(whistles.getByRole('row').filter({ hasText: '住房和城乡建设局' })).toContainText('已报到');
  });
});
