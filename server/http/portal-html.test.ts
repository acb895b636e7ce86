import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import { BOOT_SOURCE } from './portal-boot.ts';
import {
  acyclic,
  BOOT_SCRIPT,
  BOOT_SCRIPT_SRC,
  CODE_ID,
  chunkFiles,
  createPortalHtml,
  JS_COOKIE,
  scriptSafeJson,
} from './portal-html.ts';

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

/** The chunks' code, as the build writes it: siblings imported by relative names, in any quotes. */
const CODE: Record<string, string> = {
  'assets/index-A.js':
    'import{h as e}from"./preact-B.js";const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["assets/AppealPage-D.js","assets/shared-C.js"])))=>i.map(i=>d[i]);' +
    'window.__seen=import.meta.url;const a=()=>import(`./AppealPage-D.js`),b=()=>import("./MyAppealsPage-E.js");e(a,b,"$&$\'");',
  'assets/preact-B.js': 'export const h=(...a)=>a;/* </script><!-- */',
  'assets/shared-C.js': "import{h}from'./preact-B.js';export const s=h;",
  'assets/AppealPage-D.js':
    'import{h as e}from"./preact-B.js";import{s}from`./shared-C.js`;import"./index-A.js";export const AppealPage=()=>e(s);',
  'assets/MyAppealsPage-E.js':
    'import{s}from"./shared-C.js";import"./index-A.js";export const MyAppealsPage=()=>s;',
};
const CSS = '.boot{color:#a8232b}';
const INDEX_WITH_CSS = INDEX.replace(
  '</head>',
  '  <link rel="stylesheet" crossorigin href="/assets/index-F.css">\n  </head>',
);

/** A build folder: index.html and the manifest; with `files`, the chunks and the stylesheet too. */
function writeBuild(opts: { files?: boolean } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-portal-html-'));
  fs.mkdirSync(path.join(dir, '.vite'));
  fs.writeFileSync(path.join(dir, 'index.html'), opts.files ? INDEX_WITH_CSS : INDEX);
  const manifest = opts.files
    ? { ...MANIFEST, 'index.html': { ...MANIFEST['index.html'], css: ['assets/index-F.css'] } }
    : MANIFEST;
  fs.writeFileSync(path.join(dir, '.vite', 'manifest.json'), JSON.stringify(manifest));
  if (opts.files) {
    fs.mkdirSync(path.join(dir, 'assets'));
    for (const [file, code] of Object.entries(CODE)) fs.writeFileSync(path.join(dir, file), code);
    fs.writeFileSync(path.join(dir, 'assets/index-F.css'), CSS);
  }
  return dir;
}

interface CodeBlock {
  id: string;
  cookie: string;
  entry: string;
  files: Record<string, string>;
  graph: Record<string, string[]>;
  warm: string[];
}

/** The JSON block of inlined chunks in a first-visit page. */
function codeBlock(html: string): CodeBlock {
  const m = new RegExp(`<script type="application/json" id="${CODE_ID}">(.*?)</script>`).exec(html);
  if (!m) throw new Error('no code block');
  return JSON.parse(m[1]!) as CodeBlock;
}

/** The text of every script element the browser would run inline (no src, a script type). */
function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/g)]
    .filter((m) => !/\ssrc=/.test(m[1] ?? '') && !/type="application\/json"/.test(m[1] ?? ''))
    .map((m) => m[2]!);
}

const sha256Source = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

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

describe('a first visit (no gz_js cookie with this build id)', () => {
  it('gets the entry, its imports, the page’s chunks and the stylesheet inside the HTML, and no tags that fetch them', () => {
    const portal = createPortalHtml(writeBuild({ files: true }));
    const page = portal.document('/appeal/new', {}, undefined)!;
    const code = codeBlock(page.html);
    expect(code.entry).toBe('assets/index-A.js');
    expect(code.cookie).toBe(JS_COOKIE);
    // Exactly the files the usual HTML names for this path, byte for byte; not another page's.
    expect(Object.keys(code.files).sort()).toEqual([
      'assets/AppealPage-D.js',
      'assets/index-A.js',
      'assets/preact-B.js',
      'assets/shared-C.js',
    ]);
    for (const [file, text] of Object.entries(code.files)) expect(text, file).toBe(CODE[file]);
    expect(code.warm.sort()).toEqual([...Object.keys(code.files), 'assets/index-F.css'].sort());
    expect(code.graph['assets/MyAppealsPage-E.js']).toEqual(['assets/shared-C.js', 'assets/index-A.js']);
    expect(page.html).toContain(`<style>${CSS}</style>`);
    const markup = page.html.replace(/<script>[\s\S]*?<\/script>/g, '');
    expect(markup).not.toMatch(/<script type="module"|rel="modulepreload"|rel="stylesheet"/);
    // The code's own `</script>` and `$&` arrive intact, without ending the element early.
    expect(page.html).not.toContain('</script><!--');
    // The loader runs after #root is in the document.
    expect(page.html.indexOf('id="root"')).toBeLessThan(page.html.indexOf(BOOT_SCRIPT));
  });

  it('is allowed to run exactly its one inline script: the hash in script-src is that script’s', () => {
    const page = createPortalHtml(writeBuild({ files: true })).document('/my', {}, undefined)!;
    const scripts = inlineScripts(page.html);
    expect(scripts).toEqual([BOOT_SCRIPT]);
    expect(page.scriptSrc).toEqual([sha256Source(scripts[0]!), 'blob:']);
    expect(page.scriptSrc).toEqual(BOOT_SCRIPT_SRC);
    // The home page (no code of its own) inlines the entry and its imports only.
    const home = createPortalHtml(writeBuild({ files: true })).document('/', {}, undefined)!;
    expect(Object.keys(codeBlock(home.html).files).sort()).toEqual([
      'assets/index-A.js',
      'assets/preact-B.js',
    ]);
  });

  it('with the cookie of this build: the usual small HTML, no code, no inline script, no blob:', () => {
    const dir = writeBuild({ files: true });
    const portal = createPortalHtml(dir);
    const { id } = codeBlock(portal.document('/appeal/new', {}, undefined)!.html);
    const page = portal.document('/appeal/new', {}, id)!;
    expect(page.scriptSrc).toEqual([]);
    expect(page.html).toBe(portal.render('/appeal/new', {}));
    expect(page.html).not.toContain(CODE_ID);
    expect(inlineScripts(page.html)).toEqual([]);
    expect(page.html).toContain('<link rel="modulepreload" crossorigin href="/assets/AppealPage-D.js">');
    // A cookie of another build inlines again.
    expect(portal.document('/appeal/new', {}, 'a1b2c3d4e5f6')!.scriptSrc).toEqual(BOOT_SCRIPT_SRC);
  });

  it('a new build has a new id: the cookie of the last one gets the code again', () => {
    const dir = writeBuild({ files: true });
    const portal = createPortalHtml(dir);
    const before = codeBlock(portal.document('/', {}, undefined)!.html).id;
    expect(portal.document('/', {}, before)!.scriptSrc).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, '.vite/manifest.json'), 'utf8'));
    manifest['_preact-B.js'].file = 'assets/preact-B2.js';
    fs.writeFileSync(path.join(dir, 'assets/preact-B2.js'), CODE['assets/preact-B.js']!);
    fs.writeFileSync(path.join(dir, '.vite/manifest.json'), JSON.stringify(manifest));
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(dir, 'index.html'), later, later);
    const next = portal.document('/', {}, before)!;
    expect(next.scriptSrc).toEqual(BOOT_SCRIPT_SRC);
    expect(codeBlock(next.html).id).not.toBe(before);
    expect(codeBlock(next.html).files['assets/preact-B2.js']).toBeDefined();
  });

  it('falls back to the usual HTML when the build cannot be inlined (files missing, an import cycle)', () => {
    const portal = createPortalHtml(writeBuild());
    const page = portal.document('/appeal/new', {}, undefined)!;
    expect(page.scriptSrc).toEqual([]);
    expect(page.html).toBe(portal.render('/appeal/new', {}));
    expect(acyclic(MANIFEST)).toBe(true);
    expect(
      acyclic({ ...MANIFEST, '_preact-B.js': { file: 'assets/preact-B.js', imports: ['index.html'] } }),
    ).toBe(false);
  });
});

/** Runs the loader against a page's code block with the browser APIs it uses stubbed. */
async function runLoader(html: string, fetched: string[]) {
  const blobs = new Map<string, string>();
  const listeners: Record<string, () => void> = {};
  const head: { rel: string; href: string }[] = [];
  const win: Record<string, unknown> = {};
  const imported: string[] = [];
  const doc = {
    cookie: '',
    getElementById: (id: string) =>
      id === CODE_ID ? { textContent: JSON.stringify(codeBlock(html)), remove() {} } : null,
    createElement: () => ({}) as { rel: string; href: string },
    head: { appendChild: (l: { rel: string; href: string }) => head.push(l) },
    body: { appendChild: () => undefined },
  };
  const fetchStub = async (url: string) => {
    fetched.push(url);
    const file = url.slice(1);
    const text = CODE[file] ?? (file.endsWith('.css') ? CSS : undefined);
    return text === undefined
      ? new Response('', { status: 404 })
      : new Response(text, { status: 200, headers: { 'content-type': 'text/javascript' } });
  };
  let n = 0;
  const URLStub = class extends URL {
    static override createObjectURL(blob: Blob) {
      const u = `blob:http://127.0.0.1:3000/${++n}`;
      blobs.set(u, '');
      void blob.text().then((t) => blobs.set(u, t));
      return u;
    }
  };
  // `import()` of a blob: URL cannot run here: recorded instead.
  const source = BOOT_SOURCE.replaceAll('import(u)', '__import(u)');
  expect(source.match(/__import\(u\)/g)).toHaveLength(3);
  const run = new Function(
    'document',
    'window',
    'location',
    'fetch',
    'URL',
    'addEventListener',
    'setTimeout',
    '__import',
    source,
  );
  run(
    doc,
    win,
    { origin: 'http://127.0.0.1:3000' },
    fetchStub,
    URLStub,
    (type: string, fn: () => void) => {
      listeners[type] = fn;
    },
    (fn: () => void) => fn(),
    async (u: string) => {
      imported.push(u);
      return {};
    },
  );
  const settle = () => new Promise((r) => setTimeout(r, 20));
  await settle();
  return { blobs, listeners, head, win, imported, doc, settle };
}

describe('the first-visit loader (server/http/portal-boot.ts)', () => {
  it('links the inlined chunks to each other by blob: URL, once each, and starts the entry', async () => {
    const html = createPortalHtml(writeBuild({ files: true })).document('/appeal/new', {}, undefined)!.html;
    const fetched: string[] = [];
    const { blobs, imported, head, win, settle } = await runLoader(html, fetched);
    // Every chunk inside the page is linked and imported at once (the page's too: it is the first
    // screen); the app's own import of the page later finds it made already.
    expect(blobs.size).toBe(4);
    await (win.__gzImport as (f: string) => Promise<unknown>)('assets/AppealPage-D.js');
    await settle();
    expect(fetched).toEqual([]);
    // One blob per inlined chunk: four modules, each made once.
    expect(blobs.size).toBe(4);
    const byCode = (needle: string) => [...blobs].find(([, t]) => t.includes(needle))!;
    const [preactUrl] = byCode('export const h=');
    const [sharedUrl, shared] = byCode('export const s=h');
    const [entryUrl, entry] = byCode('window.__seen');
    const [, appeal] = byCode('AppealPage=');
    // Static imports, in any quotes, point at the one blob of the sibling; no relative name is left.
    expect(entry).toContain(`from${JSON.stringify(preactUrl)}`);
    expect(shared).toContain(`from${JSON.stringify(preactUrl)}`);
    expect(appeal).toContain(`from${JSON.stringify(sharedUrl)}`);
    expect(appeal).toContain(`import${JSON.stringify(entryUrl)}`);
    for (const [, t] of blobs) expect(t).not.toMatch(/["'`]\.\//);
    // Dynamic imports go through the loader; import.meta.url is the file's real URL.
    expect(entry).toContain('__gzImport("assets/AppealPage-D.js")');
    expect(entry).toContain('__gzImport("assets/MyAppealsPage-E.js")');
    expect(entry).toContain('window.__seen="http://127.0.0.1:3000/assets/index-A.js"');
    expect(entry).toContain(`"$&$'"`);
    expect(imported).toContain(entryUrl);
    expect(new Set(imported)).toEqual(new Set(blobs.keys()));
    // Vite's preload helper sees every chunk named already: it adds no fetching link.
    expect(head.map((l) => `${l.rel} ${l.href}`)).toContain('gz-module /assets/MyAppealsPage-E.js');
  });

  it('loads a page that is not inlined from the network, linked to the same modules (one instance)', async () => {
    const html = createPortalHtml(writeBuild({ files: true })).document('/appeal/new', {}, undefined)!.html;
    const fetched: string[] = [];
    const { blobs, win, imported, settle } = await runLoader(html, fetched);
    await (win.__gzImport as (f: string) => Promise<unknown>)('assets/AppealPage-D.js');
    await settle();
    const sharedUrl = [...blobs].find(([, t]) => t.includes('export const s=h'))![0];
    await (win.__gzImport as (f: string) => Promise<unknown>)('assets/MyAppealsPage-E.js');
    await settle();
    expect(fetched).toEqual(['/assets/MyAppealsPage-E.js']);
    const my = [...blobs].find(([, t]) => t.includes('MyAppealsPage='))!;
    expect(my[1]).toContain(`from${JSON.stringify(sharedUrl)}`);
    expect(imported).toContain(my[0]);
    expect(blobs.size).toBe(5);
    expect((win.__gzResolve as (s: string) => string)('/assets/x.js')).toBe(
      'http://127.0.0.1:3000/assets/x.js',
    );
  });

  it('after load, fetches the inlined files from their URLs and only then sets the cookie', async () => {
    const html = createPortalHtml(writeBuild({ files: true })).document('/appeal/new', {}, undefined)!.html;
    const fetched: string[] = [];
    const { listeners, doc, settle } = await runLoader(html, fetched);
    expect(doc.cookie).toBe('');
    listeners.load!();
    await settle();
    expect(fetched.sort()).toEqual(
      codeBlock(html)
        .warm.map((f) => `/${f}`)
        .sort(),
    );
    expect(doc.cookie).toBe(`${JS_COOKIE}=${codeBlock(html).id}; Path=/; Max-Age=2592000; SameSite=Lax`);
    // A file that cannot be fetched: no cookie (the next visit gets the code again).
    const kept = CODE['assets/shared-C.js']!;
    delete CODE['assets/shared-C.js'];
    try {
      const again = await runLoader(html, []);
      again.listeners.load!();
      await again.settle();
      expect(again.doc.cookie).toBe('');
    } finally {
      CODE['assets/shared-C.js'] = kept;
    }
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
