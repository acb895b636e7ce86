/**
 * Takes screenshots of the main screens (phone and desktop) from a running server:
 *   npm start   # in one terminal
 *   npm run screenshots -- http://127.0.0.1:3000
 * Writes docs/screenshots/*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser } from './browser.ts';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const out = path.resolve('docs/screenshots');
fs.mkdirSync(out, { recursive: true });

const browser = await launchBrowser();
const errors: string[] = [];
try {
  for (const [device, viewport] of [
    ['phone', { width: 390, height: 844 }],
    ['desktop', { width: 1366, height: 800 }],
  ] as const) {
    const context = await browser.newContext({
      viewport,
      locale: 'zh-CN',
      deviceScaleFactor: device === 'phone' ? 2 : 1,
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${device} ${page.url()}: ${m.text()}`);
    });
    const shot = async (name: string) =>
      page.screenshot({ path: path.join(out, `${name}-${device}.png`), fullPage: false });
    await page.goto(`${base}/`, { waitUntil: 'networkidle' });
    await shot('home');
    const township = page
      .getByRole('button', { name: /莲塘镇/ })
      .or(page.getByRole('link', { name: /莲塘镇/ }))
      .first();
    await township.click();
    await page.waitForLoadState('networkidle');
    await shot('township');
    const village = page
      .getByRole('button', { name: /社区|村/ })
      .or(page.getByRole('link', { name: /社区|村/ }))
      .first();
    await village.click();
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(300);
    await shot('village-grids');
    await page.goto(`${base}/login`, { waitUntil: 'networkidle' });
    await page.getByLabel(/用户名/).fill('township_dispatcher');
    await page.getByLabel(/密码/).fill('gongzhi2026');
    await page.getByRole('button', { name: /登录/ }).last().click();
    await page.waitForURL(/\/me/);
    await page.waitForLoadState('networkidle');
    await shot('staff-me');
    await context.close();
  }
} finally {
  await browser.close();
}
if (errors.length) {
  console.error(`console errors:\n${errors.join('\n')}`);
  process.exitCode = 1;
}
console.log(`screenshots written to ${out}`);
