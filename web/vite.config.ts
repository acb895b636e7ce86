import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type UserConfig } from 'vite';
import { precompress } from './compress.plugin.ts';
import { serviceWorker } from './service-worker.plugin.ts';

/** The API server started by `npm run dev` (server/cli.ts); the dev server forwards API and docs calls to it. */
const apiTarget = 'http://127.0.0.1:3000';

// The root is this folder, whatever the working directory, so `vite build --config web/vite.config.ts`
// from the repository root and `vite` run inside web/ behave the same.
const root = fileURLToPath(new URL('.', import.meta.url));

const proxy = {
  '/api': { target: apiTarget, changeOrigin: false },
  '/docs': { target: apiTarget, changeOrigin: false },
};

/** Our source files the portal's entry (src/main.tsx) imports statically, followed transitively. */
function entryGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !fs.existsSync(file)) return;
    seen.add(file);
    const source = fs.readFileSync(file, 'utf8');
    // Static and side-effect (styles) imports; not `import('…')`, a page loaded on demand, and not
    // re-exports (`geo.ts` passes common/distance.ts on, which only on-demand pages call).
    const imports = /(?:^|\n)\s*import\s(?:[^;]*?from\s+)?'(\.{1,2}\/[^']+)'/g;
    for (const m of source.matchAll(imports)) visit(path.resolve(path.dirname(file), m[1]!));
  };
  visit(path.resolve(root, entry));
  return seen;
}

let portalEntryFiles: Set<string> | undefined;
/** A module of ours that only the portal's on-demand pages load (not the entry's, not a page itself). */
function onDemandOnly(id: string): boolean {
  portalEntryFiles ??= entryGraph('src/main.tsx');
  const file = id.split('?')[0]!;
  return (
    (file.startsWith(path.join(root, 'src') + path.sep) ||
      file.startsWith(path.join(root, '..', 'common') + path.sep)) &&
    !file.includes(`${path.sep}pages${path.sep}`) &&
    !file.includes(`${path.sep}i18n${path.sep}`) &&
    !portalEntryFiles.has(file)
  );
}

/**
 * The two web applications are two builds into one folder (docs/decisions/0025):
 * - `portal` (index.html): the citizen portal, kiosk and grid worker app, for cheap phones on weak
 *   networks. It runs on Preact through `preact/compat` — the same React code and types, ~60 KB of
 *   gzipped JavaScript less than React DOM on every first load. Built first; it empties the folder
 *   and writes the service worker (which lists only portal files).
 * - `staff` (staff.html): the workbench on React 19, Ant Design and ECharts. Built second, into the
 *   same folder, with its own manifest (`.vite/manifest.staff.json`).
 * They cannot be one build: code both use (router, i18n helpers, api) would have to be one module
 * bound to one of the two runtimes.
 */
export function webConfig(app: 'portal' | 'staff'): UserConfig {
  const portal = app === 'portal';
  return {
    root,
    // precompress: .gz and .br copies of the built files, sent as they are by the server (preCompressed).
    plugins: [react(), ...(portal ? [serviceWorker()] : []), precompress()],
    resolve: portal
      ? {
          // Order matters: the sub-paths before the bare names.
          alias: [
            { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
            { find: /^react\/jsx-runtime$/, replacement: 'preact/jsx-runtime' },
            { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/jsx-dev-runtime' },
            { find: /^react-dom$/, replacement: 'preact/compat' },
            { find: /^react$/, replacement: 'preact/compat' },
          ],
        }
      : {},
    build: {
      outDir: '../dist/web',
      emptyOutDir: portal,
      // Citizens use cheap phones on weak networks: no source maps shipped.
      sourcemap: false,
      // dist/web/.vite/manifest*.json: what each entry loads, read by the bundle budget (scripts/check-bundle.ts).
      manifest: portal ? '.vite/manifest.json' : '.vite/manifest.staff.json',
      chunkSizeWarningLimit: 240,
      rolldownOptions: {
        input: portal
          ? { index: fileURLToPath(new URL('index.html', import.meta.url)) }
          : { staff: fileURLToPath(new URL('staff.html', import.meta.url)) },
        output: {
          // The UI runtime changes far less often than our code: its own chunk stays cached across releases.
          codeSplitting: {
            // A group takes only the modules its test names, not what they import (the entry's own).
            includeDependenciesRecursively: false,
            groups: portal
              ? [
                  { name: 'preact', test: /[\\/]node_modules[\\/]preact[\\/]/, priority: 10 },
                  // What only the on-demand pages use (the appeal form's parts, the map picker…) in
                  // one chunk, not one per component: Chromium opens at most 6 connections to a
                  // server over HTTP/1.1, and every request past that waits another 2 s on 3G.
                  { name: 'pages', test: (id: string) => onDemandOnly(id), priority: 5 },
                ]
              : [{ name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|scheduler)[\\/]/ }],
          },
        },
      },
    },
    server: { proxy },
    preview: { proxy },
  };
}

export default defineConfig(webConfig('portal'));
