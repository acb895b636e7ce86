/**
 * The portal's HTML for a path (web/index.html as built), with what that path's page needs named in
 * it: `<link rel="modulepreload">` for the page's code (loaded on demand otherwise, one 3G round trip
 * after the entry's) and, for the appeal form, the public category tree as JSON data. The browser
 * then fetches the entry, the page and nothing else in one round trip (docs/PERFORMANCE.md, Front end).
 *
 * A first visit (no `gz_js` cookie holding this build's id) gets the code itself instead: the
 * entry, its static imports, the page's chunks and the stylesheet inside the HTML, so the page needs
 * one request round, not two (docs/decisions/0028-inline-first-visit.md). The chunks travel as a
 * JSON block; one inline classic script (server/http/portal-boot.ts, allowed by its sha256 in the
 * CSP together with `blob:`) makes them blob: modules, links them to each other and starts the
 * entry, then warms the HTTP cache and sets the cookie. Both variants are the same for everyone with
 * the same cookie state, so they are compressed once (server/http/app.ts).
 *
 * The build's files are read once and again only when index.html changes (a new build).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bootCategoriesId, portalPageOf } from '../../common/portal-pages.ts';
import { BOOT_SOURCE } from './portal-boot.ts';

/** One entry of Vite's `.vite/manifest.json` (what this module reads of it). */
interface ManifestChunk {
  file: string;
  imports?: string[];
  css?: string[];
}
type Manifest = Record<string, ManifestChunk>;

interface Build {
  mtimeMs: number;
  html: string;
  manifest: Manifest;
  /** Changes with every build: the first `BUILD_ID_LENGTH` hex digits of a sha256 of manifest and HTML. */
  id: string;
  /** The first-visit parts by page module (`index.html` for a page without its own code), cached. */
  inline: Map<string, InlineParts | null>;
}

/** The cookie that says "this browser has this build's files cached": its value is the build id. */
export const JS_COOKIE = 'gz_js';
const BUILD_ID_LENGTH = 12;
/** The id of the `<script type="application/json">` element holding the inlined chunks. */
export const CODE_ID = 'gz-code';

/** The first-visit loader as inlined (server/http/portal-boot.ts). */
export const BOOT_SCRIPT = BOOT_SOURCE;
/** The CSP sources that allow the loader (its sha256) and the modules it makes (`blob:`). */
export const BOOT_SCRIPT_SRC = [
  `'sha256-${createHash('sha256').update(BOOT_SCRIPT).digest('base64')}'`,
  'blob:',
];

interface InlineParts {
  /** What goes before `</head>`: the stylesheet. */
  head: string;
  /** What goes before `</body>`: the chunks as JSON and the loader. */
  body: string;
}

/** A portal page as sent: the HTML, and the script sources its inline script needs (first visit). */
export interface PortalDocument {
  html: string;
  /** Extra CSP `script-src` sources: the loader's hash and `blob:`; empty for the usual HTML. */
  scriptSrc: string[];
}

/** JSON safe inside `<script>`: no `</script>`, no `<!--`, no line separators JS would choke on. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The files a manifest key loads (itself and its static imports), leaving out `skip`'s. */
export function chunkFiles(manifest: Manifest, key: string, skip: ReadonlySet<string>): string[] {
  const files: string[] = [];
  const seen = new Set<string>();
  const visit = (k: string) => {
    if (seen.has(k) || skip.has(k)) return;
    seen.add(k);
    const c = manifest[k];
    if (!c) return;
    files.push(c.file);
    for (const i of c.imports ?? []) visit(i);
  };
  visit(key);
  return files;
}

export interface PortalHtml {
  /** The HTML for `pathname`, or null when there is no build (then the caller answers otherwise). */
  render(pathname: string, data: { categories?: unknown }): string | null;
  /**
   * The page for `pathname` as a browser with `jsCookie` (the `gz_js` cookie's value) gets it: the
   * first-visit variant with the code inside unless the cookie holds this build's id. Null without
   * a build.
   */
  document(
    pathname: string,
    data: { categories?: unknown },
    jsCookie: string | undefined,
  ): PortalDocument | null;
  /** Which category tree the page at `pathname` wants inside its HTML, if any. */
  categoriesFor(pathname: string): 'appeal' | 'event' | undefined;
}

/** True when the chunks' static imports have no cycle (the loader links them one after the other). */
export function acyclic(manifest: Manifest): boolean {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (k: string): boolean => {
    const s = state.get(k);
    if (s === 'done') return true;
    if (s === 'open') return false;
    state.set(k, 'open');
    for (const i of manifest[k]?.imports ?? []) if (!visit(i)) return false;
    state.set(k, 'done');
    return true;
  };
  return Object.keys(manifest).every(visit);
}

/** A stylesheet as a `<style>` element's text, or null when it could end the element early. */
function inlineCss(css: string): string | null {
  return /<\/style/i.test(css) ? null : css;
}

/**
 * The first-visit replacement of the build's script, modulepreload and stylesheet tags for a page
 * (`module` as in the manifest), or null when the build cannot be inlined (a file missing, a tag
 * not where the build puts it, an import cycle): then the usual HTML is sent.
 */
function inlineParts(webDir: string, b: Build, module: string): InlineParts | null {
  if (!b.manifest['index.html'] || !acyclic(b.manifest)) return null;
  const entry = b.manifest['index.html'].file;
  if (!b.html.includes(`<script type="module" crossorigin src="/${entry}"></script>`)) return null;
  const keys = new Set<string>();
  const collect = (k: string) => {
    if (keys.has(k) || !b.manifest[k]) return;
    keys.add(k);
    for (const i of b.manifest[k].imports ?? []) collect(i);
  };
  collect('index.html');
  collect(module);
  const files: Record<string, string> = {};
  const styles: string[] = [];
  const css: string[] = [];
  try {
    for (const k of keys) {
      const c = b.manifest[k]!;
      files[c.file] = fs.readFileSync(path.join(webDir, c.file), 'utf8');
      for (const s of c.css ?? []) {
        if (css.includes(s)) continue;
        const text = inlineCss(fs.readFileSync(path.join(webDir, s), 'utf8'));
        if (text === null) return null;
        css.push(s);
        styles.push(text);
      }
    }
  } catch {
    return null;
  }
  const code = {
    id: b.id,
    cookie: JS_COOKIE,
    entry,
    files,
    // Every chunk's static imports, so that the loader fetches a later page's chunks all at once.
    graph: Object.fromEntries(
      Object.values(b.manifest)
        .filter((c) => c.file.endsWith('.js'))
        .map((c) => [c.file, (c.imports ?? []).map((i) => b.manifest[i]?.file).filter(Boolean)]),
    ),
    // Fetched from their real URLs once the page has loaded, before the cookie is set.
    warm: [...Object.keys(files), ...css],
  };
  return {
    head: styles.length ? `<style>${styles.join('\n')}</style>` : '',
    body:
      `<script type="application/json" id="${CODE_ID}">${scriptSafeJson(code)}</script>\n` +
      `<script>${BOOT_SCRIPT}</script>`,
  };
}

/** Reads `webDir/index.html` and its manifest (cached until index.html changes). */
export function createPortalHtml(webDir: string): PortalHtml {
  const indexFile = path.join(webDir, 'index.html');
  const manifestFile = path.join(webDir, '.vite', 'manifest.json');
  let build: Build | null = null;

  const load = (): Build | null => {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(indexFile).mtimeMs;
    } catch {
      return null;
    }
    if (build?.mtimeMs === mtimeMs) return build;
    let manifestText = '{}';
    try {
      manifestText = fs.readFileSync(manifestFile, 'utf8');
    } catch {
      // A build without a manifest still serves its HTML, only without the hints.
    }
    let manifest: Manifest = {};
    try {
      manifest = JSON.parse(manifestText) as Manifest;
    } catch {
      manifest = {};
    }
    const html = fs.readFileSync(indexFile, 'utf8');
    const id = createHash('sha256').update(manifestText).update(html).digest('hex').slice(0, BUILD_ID_LENGTH);
    build = { mtimeMs, html, manifest, id, inline: new Map() };
    return build;
  };

  /** The usual HTML: the page's chunks named for preloading, its data inside. */
  const usual = (b: Build, pathname: string, data: { categories?: unknown }): string => {
    const page = portalPageOf(pathname);
    if (!page) return b.html;
    // What the entry loads already is on the page's own tags.
    const firstLoad = new Set<string>();
    const markFirst = (k: string) => {
      if (firstLoad.has(k)) return;
      firstLoad.add(k);
      for (const i of b.manifest[k]?.imports ?? []) markFirst(i);
    };
    markFirst('index.html');
    const tags = chunkFiles(b.manifest, page.module, firstLoad).map(
      (file) => `<link rel="modulepreload" crossorigin href="/${file}">`,
    );
    tags.push(...dataTags(pathname, data));
    if (!tags.length) return b.html;
    // A function, not a string: `$&` and the like in the data must stay as they are.
    return b.html.replace('</head>', () => `    ${tags.join('\n    ')}\n  </head>`);
  };

  return {
    categoriesFor(pathname) {
      return portalPageOf(pathname)?.categories;
    },
    render(pathname, data) {
      const b = load();
      return b && usual(b, pathname, data);
    },
    document(pathname, data, jsCookie) {
      const b = load();
      if (!b) return null;
      if (jsCookie === b.id) return { html: usual(b, pathname, data), scriptSrc: [] };
      const module = portalPageOf(pathname)?.module ?? 'index.html';
      if (!b.inline.has(module)) b.inline.set(module, inlineParts(webDir, b, module));
      const parts = b.inline.get(module);
      if (!parts) return { html: usual(b, pathname, data), scriptSrc: [] };
      // The build's own tags go (everything they name is inside); the data and the code come in
      // their place, the loader last, once #root is in the document.
      let html = b.html
        .replace(/[ \t]*<script type="module" crossorigin src="\/[^"]+"><\/script>\n?/g, '')
        .replace(
          /[ \t]*<link rel="(?:modulepreload|stylesheet)" crossorigin href="\/assets\/[^"]+">\n?/g,
          '',
        );
      const head = [parts.head, ...dataTags(pathname, data)].filter(Boolean);
      if (head.length) html = html.replace('</head>', () => `    ${head.join('\n    ')}\n  </head>`);
      html = html.replace('</body>', () => `  ${parts.body}\n  </body>`);
      return { html, scriptSrc: BOOT_SCRIPT_SRC };
    },
  };
}

/** The page's first data as inert JSON (the appeal form's and the kiosk's category tree). */
function dataTags(pathname: string, data: { categories?: unknown }): string[] {
  const page = portalPageOf(pathname);
  if (page?.categories && data.categories !== undefined) {
    return [
      `<script type="application/json" id="${bootCategoriesId(page.categories)}">${scriptSafeJson(data.categories)}</script>`,
    ];
  }
  return [];
}
