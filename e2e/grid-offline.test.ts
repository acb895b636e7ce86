/**
 * Journey b: a grid worker reports an event with the phone offline; it waits on the device, goes
 * when the network is back, arrives exactly once, and a reload sends nothing again.
 */
import { describe, it, expect as vexpect } from 'vitest';
import { eventually, expect } from './expect.ts';
import { marker, setupE2E } from './harness.ts';
import { testJpeg } from './photo.ts';
import { portalStaffSignIn } from './portal.ts';

const e2e = setupE2E();

interface CaseList {
  items: { id: string; code: string; title: string }[];
}

describe('grid worker app without a network', () => {
  it('queues a report offline and delivers it once when the network returns', async () => {
    const worker = await e2e.person('phone');
    const { page, context } = worker;
    await portalStaffSignIn(page, 'grid_worker', '/grid');
    await page.getByRole('navigation', { name: '工作台' }).getByRole('link', { name: '上报事件' }).click();
    const form = page.getByRole('region', { name: '上报事件' });
    // Everything the form needs is on the device before the network goes.
    await expect(form.getByRole('button', { name: /市容环卫/ })).toBeVisible();
    await expect(form.getByRole('img', { name: '网格地图' })).toBeVisible();

    // From here requests fail on purpose; the browser logs each failed one.
    worker.allow(/net::ERR_INTERNET_DISCONNECTED/, 'the phone is offline on purpose in this test');
    await context.setOffline(true);
    await expect(page.locator('.net-status')).toContainText('当前离线');

    const text = `离线上报${marker('')}：府前路路口垃圾堆积，已有异味，需要清运。`;
    await form.getByRole('searchbox', { name: '搜索类别' }).fill('垃圾');
    await form.getByRole('button', { name: /垃圾/ }).first().click();
    await form.getByRole('textbox', { name: /事件描述/ }).fill(text);
    await form
      .getByRole('group', { name: /照片/ })
      .locator('input[type=file]')
      .setInputFiles({ name: 'laji.jpg', mimeType: 'image/jpeg', buffer: await testJpeg(2) });
    await expect(form.getByRole('group', { name: /照片/ }).getByRole('img')).toHaveCount(1);
    const shape = form.getByRole('button', { name: '府前路社区第1网格' });
    await shape.focus();
    await shape.press('Enter');
    await expect(form.locator('.place-status')).toHaveText(/\S/);
    await form.getByRole('button', { name: '上报', exact: true }).click();
    await expect(form.getByRole('status').filter({ hasText: '已保存，正在排队发送' })).toContainText(
      text.slice(0, 10),
    );

    // It waits on the device.
    await page
      .getByRole('navigation', { name: '工作台' })
      .getByRole('link', { name: /我的任务/ })
      .click();
    const outbox = page.getByRole('region', { name: '待发送与最近发送' });
    const item = outbox.getByRole('listitem').filter({ hasText: text.slice(0, 10) });
    await expect(item).toContainText('联网后自动发送');

    // Nothing has arrived yet.
    const api = await e2e.apiAs('county_dispatcher');
    const search = `/api/cases?queue=all&type=event&q=${encodeURIComponent(text.slice(0, 16))}`;
    vexpect((await api.get<CaseList>(search)).items).toHaveLength(0);

    // Back online: the queue flushes by itself.
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/cases') posts.push(r.url());
    });
    await context.setOffline(false);
    await expect(item, { timeout: 30_000 }).toContainText(/已受理，编号 \w+/);
    const arrived = await eventually(
      () => api.get<CaseList>(search),
      (l) => l.items.length > 0,
      'the report on the server',
    );
    vexpect(arrived.items).toHaveLength(1);
    // With its photo, uploaded when the report went.
    const detail = await api.get<{ case: { attachments: unknown[]; channel: string } }>(
      `/api/cases/${arrived.items[0]!.id}`,
    );
    vexpect(detail.case.attachments).toHaveLength(1);
    vexpect(detail.case.channel).toBe('grid');

    // A reload sends nothing again.
    const before = posts.length;
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: '网格员工作台' })).toBeVisible();
    await page.waitForLoadState('networkidle');
    vexpect(posts.length).toBe(before);
    vexpect((await api.get<CaseList>(search)).items).toHaveLength(1);
  });
});
