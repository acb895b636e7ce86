/**
 * The portal's HTML for a path (web/index.html as built), with what that path's page needs named in
 * it: `<link rel="modulepreload">` for the page's code (loaded on demand otherwise, one 3G round trip
 * after the entry's) and, for the appeal form, the public category tree as JSON data. The browser
 * then fetches the entry, the page and nothing else in one round trip (docs/PERFORMANCE.md, Front end).
 *
 * The build's files are read once and again only when index.html changes (a new build).
 */
import fs from 'node:fs';
import path from 'node:path';
import { bootCategoriesId, portalPageOf } from '../../common/portal-pages.ts';

/** One entry of Vite's `.vite/manifest.json` (what this module reads of it). */
interface ManifestChunk {
  file: string;
  imports?: string[];
}
type Manifest = Record<string, ManifestChunk>;

interface Build {
  mtimeMs: number;
  html: string;
  manifest: Manifest;
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
  /** Which category tree the page at `pathname` wants inside its HTML, if any. */
  categoriesFor(pathname: string): 'appeal' | 'event' | undefined;
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
    let manifest: Manifest = {};
    try {
      manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
    } catch {
      // A build without a manifest still serves its HTML, only without the hints.
    }
    build = { mtimeMs, html: fs.readFileSync(indexFile, 'utf8'), manifest };
    return build;
  };

  return {
    categoriesFor(pathname) {
      return portalPageOf(pathname)?.categories;
    },
    render(pathname, data) {
      const b = load();
      if (!b) return null;
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
      if (page.categories && data.categories !== undefined) {
        tags.push(
          `<script type="application/json" id="${bootCategoriesId(page.categories)}">${scriptSafeJson(data.categories)}</script>`,
        );
      }
      if (!tags.length) return b.html;
      return b.html.replace('</head>', `    ${tags.join('\n    ')}\n  </head>`);
    },
  };
}
