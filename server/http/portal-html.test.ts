import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import { chunkFiles, createPortalHtml, scriptSafeJson } from './portal-html.ts';

const INDEX = `<!doctype html>
<html lang="zh-CN">
  <head>
    <title>共治</title>
    <script type="module" crossorigin src="/assets/index-A.js"></script>
    <link rel="modulepreload" crossorigin href="/assets/preact-B.js">
  </head>
  <body><div id="root"></div><noscript>${'共治平台需要启用 JavaScript。'.repeat(60)}</noscript></body>
</html>
`;
const MANIFEST = {
  'index.html': { file: 'assets/index-A.js', imports: ['_preact-B.js'] },
  '_preact-B.js': { file: 'assets/preact-B.js' },
  '_shared-C.js': { file: 'assets/shared-C.js', imports: ['_preact-B.js'] },
  'src/pages/AppealPage.tsx': {
    file: 'assets/AppealPage-D.js',
    imports: ['_preact-B.js', '_shared-C.js', 'index.html'],
  },
  'src/pages/MyAppealsPage.tsx': {
    file: 'assets/MyAppealsPage-E.js',
    imports: ['_shared-C.js', 'index.html'],
  },
};

function writeBuild(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-portal-html-'));
  fs.mkdirSync(path.join(dir, '.vite'));
  fs.writeFileSync(path.join(dir, 'index.html'), INDEX);
  fs.writeFileSync(path.join(dir, '.vite', 'manifest.json'), JSON.stringify(MANIFEST));
  return dir;
}

describe('the portal HTML for a path', () => {
  it("names the page's own code, not what the entry already loads", () => {
    const html = createPortalHtml(writeBuild()).render('/appeal/new', {})!;
    expect(html).toContain('<link rel="modulepreload" crossorigin href="/assets/AppealPage-D.js">');
    expect(html).toContain('<link rel="modulepreload" crossorigin href="/assets/shared-C.js">');
    // preact-B is the entry's: named once, by the build.
    expect(html.match(/preact-B\.js/g)).toHaveLength(1);
    expect(html.indexOf('AppealPage-D.js')).toBeLessThan(html.indexOf('</head>'));
  });

  it('gives a citizen’s appeal code page the my-appeals code, and the home page the build as it is', () => {
    const portal = createPortalHtml(writeBuild());
    expect(portal.render('/my/GZ20261130-0001', {})).toContain('/assets/MyAppealsPage-E.js');
    expect(portal.render('/', {})).toBe(INDEX);
    expect(portal.render('/no/such/page', {})).toBe(INDEX);
  });

  it('puts the category tree in the appeal form and the kiosk as inert, script-safe JSON', () => {
    const portal = createPortalHtml(writeBuild());
    expect(portal.categoriesFor('/appeal/new')).toBe('appeal');
    expect(portal.categoriesFor('/kiosk')).toBe('appeal');
    expect(portal.categoriesFor('/my')).toBeUndefined();
    const tree = { groups: [{ code: 'X', name: '</script><script>alert(1)</script>', nameEn: 'a & b' }] };
    const html = portal.render('/appeal/new', { categories: tree })!;
    const m = /<script type="application\/json" id="gz-boot-categories-appeal">(.*?)<\/script>/.exec(html);
    expect(m).not.toBeNull();
    expect(JSON.parse(m![1]!)).toEqual(tree);
    expect(html).not.toContain('<script>alert(1)');
    expect(scriptSafeJson('\u2028<!--')).toBe('"\\u2028\\u003c!--"');
  });

  it('reads a new build when index.html changes, and answers null without one', () => {
    const dir = writeBuild();
    const portal = createPortalHtml(dir);
    expect(portal.render('/', {})).toBe(INDEX);
    const next = INDEX.replace('index-A.js', 'index-Z.js');
    fs.writeFileSync(path.join(dir, 'index.html'), next);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(dir, 'index.html'), later, later);
    expect(portal.render('/', {})).toBe(next);
    expect(createPortalHtml(path.join(dir, 'missing')).render('/', {})).toBeNull();
  });

  it('follows static imports transitively and once', () => {
    expect(chunkFiles(MANIFEST, 'src/pages/AppealPage.tsx', new Set(['index.html']))).toEqual([
      'assets/AppealPage-D.js',
      'assets/preact-B.js',
      'assets/shared-C.js',
    ]);
  });
});

describe('the server sends it', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv({ config: { webDir: writeBuild() } });
  });
  afterAll(() => env.close());

  it('with the public category tree the API gives, compressed for a browser that asks', async () => {
    const api = await env.app.inject({ method: 'GET', url: '/api/public/categories?type=appeal' });
    const page = await env.app.inject({
      method: 'GET',
      url: '/appeal/new',
      headers: { accept: 'text/html' },
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['cache-control']).toBe('no-cache');
    const m = /id="gz-boot-categories-appeal">(.*?)<\/script>/.exec(page.body);
    expect(JSON.parse(m![1]!)).toEqual(api.json());

    const br = await env.app.inject({
      method: 'GET',
      url: '/appeal/new',
      headers: { accept: 'text/html', 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toContain('accept-encoding');
    const { brotliDecompressSync } = await import('node:zlib');
    expect(brotliDecompressSync(br.rawPayload).toString('utf8')).toBe(page.body);
  });

  it('at / and at an unknown client route: the build’s HTML as it is; an unknown API path: 404', async () => {
    const home = await env.app.inject({ method: 'GET', url: '/' });
    expect(home.body).toBe(INDEX);
    const other = await env.app.inject({ method: 'GET', url: '/some/client/route' });
    expect(other.body).toBe(INDEX);
    const api = await env.app.inject({ method: 'GET', url: '/api/nope' });
    expect(api.statusCode).toBe(404);
  });
});

describe('the table of pages (common/portal-pages.ts)', () => {
  it('names only pages web/src/App.tsx loads on demand, at the paths it routes', async () => {
    const { PORTAL_PAGES } = await import('../../common/portal-pages.ts');
    const app = fs.readFileSync(new URL('../../web/src/App.tsx', import.meta.url), 'utf8');
    const lazy = new Set([...app.matchAll(/import\('\.\/(pages\/\w+\.tsx)'\)/g)].map((m) => `src/${m[1]}`));
    for (const [route, page] of Object.entries(PORTAL_PAGES)) {
      expect(lazy, route).toContain(page.module);
      expect(app.includes(`'${route}'`), route).toBe(true);
    }
  });
});
