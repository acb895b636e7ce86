/**
 * The citizen portal's bundle budget (issue #4 part 7). Reads the Vite build manifest and sums the
 * gzipped JavaScript the portal entry (index.html) loads on first load — the entry chunk and
 * everything it imports statically, not the pages it loads on demand. Fails when that is over
 * 150 KB, or when the staff workbench's code (its entry or anything under src/staff/) or its
 * libraries (Ant Design, ECharts) are part of it.
 *
 *   node --import tsx scripts/check-bundle.ts [dist/web]
 *
 * The same budget applies to each portal page's first visit, whose HTML carries the entry's code and
 * the page's own chunks ({@link checkFirstVisit}).
 *
 * `npm run build:web` runs it after `vite build`, so an over-budget build fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { PORTAL_PAGES } from '../common/portal-pages.ts';

/** One entry of `.vite/manifest.json`. */
export interface ManifestChunk {
  file: string;
  name?: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

export type Manifest = Record<string, ManifestChunk>;

export const PORTAL_ENTRY = 'index.html';
export const STAFF_ENTRY = 'staff.html';
/** The workbench build's manifest, beside the portal's `.vite/manifest.json`. */
export const STAFF_MANIFEST = 'manifest.staff.json';
export const BUDGET_BYTES = 150 * 1024;

/**
 * Code that belongs to the workbench only, recognised in a chunk by strings its libraries keep
 * after minification (error messages, instance keys), so that it is found whatever chunk it lands in.
 */
export const STAFF_LIBRARIES: { name: string; pattern: RegExp }[] = [
  { name: 'Ant Design', pattern: /@ant-design\/|\[antd: |ant-design-icons/ },
  { name: 'ECharts', pattern: /_echarts_instance_|zrender/ },
];

/** The manifest keys an entry loads before it runs: itself and its static imports, transitively. */
export function firstLoad(manifest: Manifest, entry: string): string[] {
  if (!manifest[entry]) throw new Error(`${entry} is not in the build manifest`);
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const i of manifest[key]?.imports ?? []) visit(i);
  };
  visit(entry);
  return [...seen];
}

export interface ChunkSize {
  key: string;
  file: string;
  bytes: number;
  gzip: number;
}

export interface BudgetReport {
  chunks: ChunkSize[];
  totalGzip: number;
  budget: number;
  problems: string[];
}

/**
 * Checks the portal's first load against the budget and for workbench code. `read` returns a
 * built file's bytes by its path in the manifest (`assets/index-abc.js`).
 */
export function checkBudget(
  manifest: Manifest,
  read: (file: string) => Buffer,
  opts: { budget?: number; portalEntry?: string; staffEntry?: string } = {},
): BudgetReport {
  const budget = opts.budget ?? BUDGET_BYTES;
  const portal = opts.portalEntry ?? PORTAL_ENTRY;
  const staff = opts.staffEntry ?? STAFF_ENTRY;
  const problems: string[] = [];
  const chunks: ChunkSize[] = [];
  for (const key of firstLoad(manifest, portal)) {
    const chunk = manifest[key]!;
    if (!chunk.file.endsWith('.js')) continue;
    const code = read(chunk.file);
    chunks.push({ key, file: chunk.file, bytes: code.length, gzip: gzipSync(code, { level: 9 }).length });
    if (key === staff) problems.push(`the workbench entry (${chunk.file}) is loaded by the portal`);
    else if (chunk.src && /(^|\/)src\/staff\//.test(chunk.src)) {
      problems.push(`workbench code ${chunk.src} (${chunk.file}) is loaded by the portal`);
    }
    const text = code.toString('utf8');
    for (const lib of STAFF_LIBRARIES) {
      if (lib.pattern.test(text))
        problems.push(`${lib.name} is in ${chunk.file}, which the portal loads first`);
    }
  }
  const totalGzip = chunks.reduce((n, c) => n + c.gzip, 0);
  if (totalGzip > budget) {
    problems.push(
      `the portal's first load is ${kb(totalGzip)} of gzipped JavaScript, over the budget of ${kb(budget)}`,
    );
  }
  return { chunks, totalGzip, budget, problems };
}

/**
 * A first visit of a portal page gets its code inside the HTML (server/http/portal-html.ts,
 * docs/decisions/0028): the entry's first load plus the page's own chunks (`module`, a key of the
 * manifest; `index.html` for the home page). The same budget applies to each: it is what a phone
 * downloads before the page can be used. Workbench code in any of them is a problem too.
 */
export function checkFirstVisit(
  manifest: Manifest,
  read: (file: string) => Buffer,
  modules: readonly string[],
  opts: { budget?: number; portalEntry?: string } = {},
): { pages: { module: string; gzip: number }[]; problems: string[] } {
  const budget = opts.budget ?? BUDGET_BYTES;
  const entry = opts.portalEntry ?? PORTAL_ENTRY;
  const gzipOf = new Map<string, number>();
  const problems: string[] = [];
  const pages = [...new Set(modules)].map((module) => {
    const keys = new Set([
      ...firstLoad(manifest, entry),
      ...(manifest[module] ? firstLoad(manifest, module) : []),
    ]);
    let gzip = 0;
    for (const key of keys) {
      const file = manifest[key]!.file;
      if (!file.endsWith('.js')) continue;
      if (!gzipOf.has(file)) {
        const code = read(file);
        gzipOf.set(file, gzipSync(code, { level: 9 }).length);
        const text = code.toString('utf8');
        for (const lib of STAFF_LIBRARIES) {
          if (lib.pattern.test(text))
            problems.push(`${lib.name} is in ${file}, which a first visit of ${module} carries`);
        }
      }
      gzip += gzipOf.get(file)!;
    }
    if (gzip > budget)
      problems.push(
        `a first visit of ${module} carries ${kb(gzip)} of gzipped JavaScript, over the budget of ${kb(budget)}`,
      );
    return { module, gzip };
  });
  return { pages, problems };
}

/**
 * Gzipped bytes of the JavaScript an entry loads before it runs (for the workbench, reported but not
 * budgeted: it is used on office desktops, and each screen behind sign-in loads on demand).
 */
export function firstLoadGzip(manifest: Manifest, read: (file: string) => Buffer, entry: string): number {
  let total = 0;
  for (const key of firstLoad(manifest, entry)) {
    const file = manifest[key]!.file;
    if (file.endsWith('.js')) total += gzipSync(read(file), { level: 9 }).length;
  }
  return total;
}

export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** The figures, one chunk a line, then the total against the budget. */
export function formatReport(r: BudgetReport): string {
  const lines = ['Portal first load (JavaScript, gzip -9):'];
  for (const c of [...r.chunks].sort((a, b) => b.gzip - a.gzip)) {
    lines.push(`  ${kb(c.gzip).padStart(9)}  (${kb(c.bytes).padStart(9)} raw)  ${c.file}`);
  }
  lines.push(`  ${kb(r.totalGzip).padStart(9)}  total, budget ${kb(r.budget)}`);
  return lines.join('\n');
}

function main(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = path.resolve(root, process.argv[2] ?? 'dist/web');
  const manifestFile = path.join(dir, '.vite', 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    console.error(`no build manifest at ${manifestFile} (build.manifest in web/vite.config.ts)`);
    process.exit(1);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  const report = checkBudget(manifest, (file) => fs.readFileSync(path.join(dir, file)));
  console.log(formatReport(report));
  const firstVisit = checkFirstVisit(manifest, (file) => fs.readFileSync(path.join(dir, file)), [
    PORTAL_ENTRY,
    ...Object.values(PORTAL_PAGES).map((p) => p.module),
  ]);
  const largest = [...firstVisit.pages].sort((a, b) => b.gzip - a.gzip)[0];
  if (largest)
    console.log(
      `Portal first visit, code inside the HTML: at most ${kb(largest.gzip)} of gzipped JavaScript (${largest.module}), budget ${kb(BUDGET_BYTES)}`,
    );
  report.problems.push(...firstVisit.problems);
  // The workbench is its own build with its own manifest (web/vite.staff.config.ts).
  const staffManifestFile = path.join(dir, '.vite', STAFF_MANIFEST);
  if (fs.existsSync(staffManifestFile)) {
    const staffManifest = JSON.parse(fs.readFileSync(staffManifestFile, 'utf8')) as Manifest;
    const staff = firstLoadGzip(staffManifest, (file) => fs.readFileSync(path.join(dir, file)), STAFF_ENTRY);
    console.log(`Workbench first load (not budgeted): ${kb(staff)} of gzipped JavaScript`);
  }
  if (report.problems.length) {
    console.error(`\nBundle budget failed:\n${report.problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
