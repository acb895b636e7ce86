/**
 * The portal's first visit (docs/decisions/0028): the HTML carries the first screen's code, one
 * inline loader (allowed by its hash in the CSP) makes blob: modules of it, and after load the files
 * are fetched into the cache and the `gz_js` cookie is set, so the next visit gets the small HTML.
 * A CSP violation or a second copy of Preact would show as a console or page error, which fails the
 * test (e2e/harness.ts).
 */
import type { Page, Request, Response } from 'playwright-core';
import { describe, it, expect as vexpect } from 'vitest';
import { expect } from './expect.ts';
import { setupE2E } from './harness.ts';

const e2e = setupE2E();

/** The code block of a first-visit page: the build id and the files inside. */
async function codeBlock(response: Response | null): Promise<{ id: string; files: string[] } | null> {
  vexpect(response, 'navigation response').not.toBeNull();
  const html = await response!.text();
  const m = /<script type="application\/json" id="gz-code">(.*?)<\/script>/.exec(html);
  if (!m) return null;
  const code = JSON.parse(m[1]!) as { id: string; files: Record<string, string> };
  return { id: code.id, files: Object.keys(code.files).map((f) => `/${f}`) };
}

/** Every same-origin request of the page from now on: path and resource type. */
function recordRequests(page: Page): { path: string; type: string }[] {
  const seen: { path: string; type: string }[] = [];
  page.on('request', (r: Request) => {
    if (!/^https?:/.test(r.url())) return;
    seen.push({ path: new URL(r.url()).pathname, type: r.resourceType() });
  });
  return seen;
}

/** The appeal form answers: typing in the category search shows the matching category. */
async function categorySearchWorks(page: Page) {
  const search = page.locator('.category-picker input[type=search]');
  await expect(search).toBeVisible();
  await search.fill('路灯');
  await expect(
    page.locator('.category-picker .option-list button', { hasText: '路灯' }).first(),
  ).toBeVisible();
}

/** Waits until the page has set the gz_js cookie (after load, once the files are cached). */
async function jsCookie(page: Page): Promise<string> {
  let value: string | undefined;
  await vexpect
    .poll(
      async () => {
        value = (await page.context().cookies()).find((c) => c.name === 'gz_js')?.value;
        return value;
      },
      { timeout: 30_000, interval: 200 },
    )
    .toBeTruthy();
  return value!;
}

describe('the portal on a first visit', () => {
  it('runs /appeal/new from the code inside the page, then caches the files and gets the small page next time', async () => {
    const { page } = await e2e.person('phone');
    const requests = recordRequests(page);
    const response = await page.goto('/appeal/new');
    const code = await codeBlock(response);
    vexpect(code, 'a first visit carries the code').not.toBeNull();
    vexpect(code!.files.some((f) => /\/assets\/AppealPage-[\w-]+\.js$/.test(f))).toBe(true);
    const csp = (await response!.headerValue('content-security-policy')) ?? '';
    vexpect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*' blob:;/);

    await categorySearchWorks(page);
    // The loader's own code ran: no script element fetched any of the files inside the page.
    vexpect(await page.evaluate(() => typeof (window as { __gzImport?: unknown }).__gzImport)).toBe(
      'function',
    );
    const inlined = new Set(code!.files);
    vexpect(requests.filter((r) => inlined.has(r.path) && r.type === 'script')).toEqual([]);

    // After load the files are fetched from their real URLs, and only then is the cookie set.
    vexpect(await jsCookie(page)).toBe(code!.id);
    for (const f of inlined)
      vexpect(
        requests.some((r) => r.path === f && r.type === 'fetch'),
        f,
      ).toBe(true);

    // The next visit: the small HTML, the same files as scripts (from the cache or the network).
    requests.length = 0;
    const again = await page.reload();
    vexpect(await codeBlock(again)).toBeNull();
    const scriptSrc = /(?:^|;)\s*script-src ([^;]*)/.exec(
      (await again!.headerValue('content-security-policy')) ?? '',
    );
    vexpect(scriptSrc?.[1]).toBe("'self'");
    await categorySearchWorks(page);
    const entry = code!.files.find((f) => /\/assets\/index-[\w-]+\.js$/.test(f))!;
    vexpect(requests.filter((r) => r.path === entry).map((r) => r.type)).toContain('script');
  });

  it('loads pages on demand into the same modules: home → board → appeal form', async () => {
    const { page } = await e2e.person('phone');
    const requests = recordRequests(page);
    const code = await codeBlock(await page.goto('/'));
    vexpect(code, 'a first visit carries the code').not.toBeNull();
    await page.getByRole('link', { name: '办结公示' }).click();
    await expect(page.getByRole('heading', { level: 1, name: '办结公示' })).toBeVisible();
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '首页' }).click();
    await page
      .getByRole('link', { name: /我要反映/ })
      .first()
      .click();
    await expect(page.getByRole('heading', { level: 1, name: '我要反映' })).toBeVisible();
    // Hooks, context and the router work across the inlined and the fetched chunks: one Preact.
    await categorySearchWorks(page);
    // The pages' chunks came through the loader (fetch), never as a second copy by a script element.
    const board = requests.filter((r) => /\/assets\/BoardPage-[\w-]+\.js$/.test(r.path));
    vexpect(board.map((r) => r.type)).toEqual(['fetch']);
    const inlined = new Set(code!.files);
    vexpect(requests.filter((r) => inlined.has(r.path) && r.type === 'script')).toEqual([]);
  });
});
