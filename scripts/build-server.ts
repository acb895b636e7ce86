/**
 * Bundles the server's TypeScript into one ES module, `dist/server/cli.mjs`, which `npm start` runs
 * with plain `node`. Running through `tsx` instead costs ~65 MB of resident memory (the transpiler,
 * its hooks and every transpiled module's source kept for source maps) — most of the gap between
 * the server's idle memory and the 400 MB target (docs/PERFORMANCE.md, Memory).
 *
 * Packages stay external (`node_modules` is resolved at run time as usual); only our own code is
 * bundled. The output sits two folders below the repository root, like `server/<module>.ts`, so
 * the paths the code derives from `import.meta.url` (`../../migrations/`) stay right. A source
 * map is written beside it: `node --enable-source-maps dist/server/cli.mjs …` maps stack traces
 * back to the TypeScript when debugging (not on by default: it keeps the map in memory).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
export const SERVER_BUNDLE = path.join(root, 'dist', 'server', 'cli.mjs');

/**
 * Builds the bundle; resolves when it is written. Each file is written beside its place and then
 * renamed over it, so a process starting the server meanwhile (a test, a benchmark, CI runs them side
 * by side) reads the old bundle or the new one, never half of one.
 */
export async function buildServer(): Promise<void> {
  const out = await build({
    write: false,
    entryPoints: [path.join(root, 'server', 'cli.ts')],
    outfile: SERVER_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    keepNames: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  fs.mkdirSync(path.dirname(SERVER_BUNDLE), { recursive: true });
  for (const file of out.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, file.contents);
    fs.renameSync(tmp, file.path);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildServer();
}
