/**
 * `npm run bench -- frontend` — the citizen portal's first load (issue #6 part 9): the gzipped
 * JavaScript it fetches and its time to interactive in Debian's Chromium with Chrome DevTools'
 * "Slow 3G" network and 4× CPU slowdown, cold cache, against the network floor of the same server
 * (one tiny request) in the same run. The staff workbench's first load is reported alongside.
 *
 * It builds nothing: run `npm run build:web` first. Arguments: `--runs=N` (median of N cold
 * loads; 5, smoke 1), `--network=3g|slow4g`, `--cpu=4`, `--repeat=0` (leave out the repeat visit of
 * the appeal form: `gz_js` cookie set, cache emptied — the small HTML and its scripts in a second
 * round; a first visit gets the code inside the HTML, docs/decisions/0028).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../e2e/browser.ts';
import { DEMO_PASSWORD, startServer, WEB_DIR, waitReady } from '../e2e/server.ts';
import { checkBudget, firstLoadGzip, type Manifest, STAFF_MANIFEST } from '../scripts/check-bundle.ts';
import type { Benchmark, BenchResult, Figure } from './lib/bench.ts';
import {
  type LoadResult,
  type LoadSpec,
  measureFloor,
  measureLoad,
  NETWORKS,
  type Throttling,
} from './lib/frontend-load.ts';

const TTI_TARGET_MS = 5000;
const JS_TARGET_BYTES = 150 * 1024;

/** The middle value (lower middle for an even count). */
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

const kb = (bytes: number) => bytes / 1024;

/** The portal's home: the big "我要反映" button is there, rendered by the app (its script ran). */
const PORTAL_HOME: LoadSpec = {
  url: '/',
  ready: '.home-actions a[href="/appeal/new"]',
  async interact(page) {
    // A client-side route change answers: the appeal page's heading (its chunk is loaded on demand).
    await page.locator('.home-actions a[href="/appeal/new"]').click();
    await page.getByRole('heading', { level: 1, name: '我要反映' }).waitFor();
  },
};

/** The appeal form: the category search box, shown once the category list is there, answers typing. */
const PORTAL_APPEAL: LoadSpec = {
  url: '/appeal/new',
  ready: '.category-picker input[type=search]',
  async interact(page) {
    await page.locator('.category-picker input[type=search]').fill('路灯');
    await page.locator('.category-picker .option-list button', { hasText: '路灯' }).first().waitFor();
  },
};

/**
 * The appeal form on a repeat visit with an empty cache: the page has been opened once (the portal
 * then sets its `gz_js` cookie and gets the small HTML with modulepreload links from then on), the
 * cache is emptied — the scripts come over the network in a second round, as before decision 0028.
 */
const PORTAL_APPEAL_REPEAT: LoadSpec = {
  ...PORTAL_APPEAL,
  async before(page: Page) {
    await page.goto('/appeal/new');
    const deadline = Date.now() + 60_000;
    while (!(await page.context().cookies()).some((c) => c.name === 'gz_js')) {
      if (Date.now() > deadline) throw new Error('the portal set no gz_js cookie within 60 s');
      await page.waitForTimeout(200);
    }
    await page.goto('about:blank');
  },
};

const STAFF_LOGIN: LoadSpec = {
  url: '/staff/login',
  ready: '#username',
  async interact(page) {
    await page.locator('#username').fill('operator');
    await page.locator('#password').fill(DEMO_PASSWORD);
  },
};

/** A signed-in operator opens the workbench (cold cache): the queue table has its rows, not a spinner. */
const STAFF_WORKBENCH: LoadSpec = {
  url: '/staff',
  ready: '.ant-table-wrapper:not(:has(.ant-spin-spinning)) .ant-table-tbody > tr',
  async before(page: Page) {
    await page.goto('/staff/login');
    await page.locator('#username').fill('operator');
    await page.locator('#password').fill(DEMO_PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.waitForURL((u) => !u.pathname.startsWith('/staff/login'));
    await page.goto('about:blank');
  },
  async interact(page) {
    // The menu answers: the case-intake screen opens.
    await page.locator('.ant-menu a[href="/staff/intake"]').first().click();
    await page.waitForURL((u) => u.pathname === '/staff/intake');
  },
};

interface Summary {
  tti: number;
  fcp: number;
  response: number;
  jsBytes: number;
  totalBytes: number;
  htmlBytes: number;
  requests: number;
  encodings: string;
  runs: LoadResult[];
}

async function repeat(
  browser: Browser,
  base: string,
  spec: LoadSpec,
  t: Throttling,
  runs: number,
  log: (m: string) => void,
  device: 'phone' | 'desktop' = 'phone',
): Promise<Summary> {
  const all: LoadResult[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await measureLoad(browser, base, spec, t, device);
    log(
      `${spec.url} run ${i + 1}/${runs}: TTI ${r.tti.toFixed(0)} ms (ready ${r.readyAt.toFixed(0)}, FCP ${r.fcp.toFixed(0)}), ` +
        `HTML ${kb(r.htmlBytes).toFixed(1)} KB, JS ${kb(r.jsBytes).toFixed(1)} KB in ${r.scripts.length} files, ` +
        `${r.requests} requests, ${r.longTasks} long tasks`,
    );
    all.push(r);
  }
  return {
    tti: median(all.map((r) => r.tti)),
    fcp: median(all.map((r) => r.fcp)),
    response: median(all.map((r) => r.response)),
    jsBytes: median(all.map((r) => r.jsBytes)),
    totalBytes: median(all.map((r) => r.totalBytes)),
    htmlBytes: median(all.map((r) => r.htmlBytes)),
    requests: median(all.map((r) => r.requests)),
    encodings: [...new Set(all.flatMap((r) => r.scripts.map((s) => s.encoding)))].join(', '),
    runs: all,
  };
}

const frontend: Benchmark = {
  name: 'frontend',
  description:
    "portal first load: JS gzip and time to interactive on Slow 3G + 4× CPU, against one tiny request's floor",
  async run({ smoke, args, log }): Promise<BenchResult> {
    const manifestFile = path.join(WEB_DIR, '.vite', 'manifest.json');
    if (!fs.existsSync(manifestFile)) {
      throw new Error(`no web build at ${WEB_DIR}: run npm run build:web first`);
    }
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
    const budget = checkBudget(manifest, (f) => fs.readFileSync(path.join(WEB_DIR, f)));
    const staffManifest = JSON.parse(
      fs.readFileSync(path.join(WEB_DIR, '.vite', STAFF_MANIFEST), 'utf8'),
    ) as Manifest;
    const staffBuildGzip = firstLoadGzip(
      staffManifest,
      (f) => fs.readFileSync(path.join(WEB_DIR, f)),
      'staff.html',
    );

    const runs = Number(args.runs ?? (smoke ? 1 : 5));
    const network = NETWORKS[args.network ?? '3g'];
    if (!network) throw new Error(`unknown --network (known: ${Object.keys(NETWORKS).join(', ')})`);
    const t: Throttling = { network, cpuRate: Number(args.cpu ?? 4) };

    // `--base=URL` measures a server already running (while working on the portal); otherwise the
    // benchmark starts its own, the way a user does.
    const server = args.base ? null : await startServer({ demoCases: 0 });
    const base = args.base ?? server!.base;
    let browser: Browser | undefined;
    try {
      if (server) {
        log('starting gongzhi (fresh data folder, demo county)');
        // A loaded 2-core machine has taken minutes to create the demo county.
        await waitReady(server.base, server.logFile, { child: server.child, timeoutMs: 600_000 });
      }
      browser = await launchBrowser();
      // One unmeasured load: the server compiles its routes' serialisers and warms its caches.
      await measureLoad(browser, base, PORTAL_APPEAL, { network: NETWORKS.slow4g!, cpuRate: 1 });

      const floors: number[] = [];
      for (let i = 0; i < runs; i++) floors.push(await measureFloor(browser, base, '/api/health', t));
      const floor = median(floors);
      log(`floor (/api/health): ${floors.map((f) => f.toFixed(0)).join(', ')} ms`);

      const home = await repeat(browser, base, PORTAL_HOME, t, runs, log);
      const appeal = await repeat(browser, base, PORTAL_APPEAL, t, runs, log);
      // `--repeat=0` leaves out the repeat visit (the usual HTML, scripts in a second round).
      const again =
        args.repeat === '0' ? null : await repeat(browser, base, PORTAL_APPEAL_REPEAT, t, runs, log);
      // The workbench is for office desktops: informational, one run in smoke mode.
      // The workbench figures are for information; the smoke run (CI) leaves them out unless --staff=1,
      // which keeps CI short (each staff load is ~30 s on Slow 3G).
      const staffRuns =
        args.staff === '0' || (smoke && args.staff !== '1') ? 0 : smoke ? 1 : Math.min(runs, 3);
      const none: Summary = {
        tti: Number.NaN,
        fcp: Number.NaN,
        response: Number.NaN,
        jsBytes: Number.NaN,
        totalBytes: Number.NaN,
        htmlBytes: Number.NaN,
        requests: 0,
        encodings: '',
        runs: [],
      };
      const login = staffRuns ? await repeat(browser, base, STAFF_LOGIN, t, staffRuns, log, 'desktop') : none;
      const bench = staffRuns
        ? await repeat(browser, base, STAFF_WORKBENCH, t, staffRuns, log, 'desktop')
        : none;

      const figures: Figure[] = [
        {
          name: 'portal first-load JS, gzip -9 (build budget check)',
          value: kb(budget.totalGzip),
          unit: 'KB',
          better: 'lower',
          target: kb(JS_TARGET_BYTES),
        },
        {
          name: 'portal JS transferred, first load of /',
          value: kb(home.jsBytes),
          unit: 'KB',
          better: 'lower',
          target: kb(JS_TARGET_BYTES),
        },
        { name: 'portal JS transferred, first load of /appeal/new', value: kb(appeal.jsBytes), unit: 'KB' },
        {
          name: 'portal TTI /appeal/new (category picker answers typing)',
          value: appeal.tti,
          unit: 'ms',
          better: 'lower',
          target: TTI_TARGET_MS,
        },
        {
          name: 'portal TTI / (home, appeal button ready)',
          value: home.tti,
          unit: 'ms',
          better: 'lower',
          target: TTI_TARGET_MS,
        },
        {
          name: 'portal HTML transferred, first visit of / (first screen’s code inside)',
          value: kb(home.htmlBytes),
          unit: 'KB',
        },
        {
          name: 'portal HTML transferred, first visit of /appeal/new',
          value: kb(appeal.htmlBytes),
          unit: 'KB',
        },
        {
          name: 'portal TTI /appeal/new, repeat visit, cache emptied (small HTML, scripts fetched)',
          value: again ? again.tti : Number.NaN,
          unit: 'ms',
        },
        { name: 'portal first contentful paint /appeal/new', value: appeal.fcp, unit: 'ms' },
        { name: 'portal first contentful paint /', value: home.fcp, unit: 'ms' },
        {
          name: 'portal all bytes transferred until ready /appeal/new',
          value: kb(appeal.totalBytes),
          unit: 'KB',
        },
        { name: 'portal requests until ready /appeal/new', value: appeal.requests, unit: 'requests' },
        {
          name: 'portal typing → matching category shown (tool-measured)',
          value: appeal.response,
          unit: 'ms',
        },
        { name: 'baseline: one tiny request (/api/health), last byte', value: floor, unit: 'ms' },
        { name: 'staff first-load JS, gzip -9 (build manifest)', value: kb(staffBuildGzip), unit: 'KB' },
        { name: 'staff JS transferred, sign-in page', value: kb(login.jsBytes), unit: 'KB' },
        { name: 'staff TTI /staff/login (sign-in form)', value: login.tti, unit: 'ms' },
        { name: 'staff TTI /staff signed in (queue rows shown)', value: bench.tti, unit: 'ms' },
        { name: 'staff JS transferred, workbench signed in', value: kb(bench.jsBytes), unit: 'KB' },
      ];
      return {
        // Without --staff the workbench figures are not measured: leave them out rather than print NaN.
        figures: figures.filter((f) => Number.isFinite(f.value)),
        ratios: [
          {
            name: 'portal TTI /appeal/new ÷ network floor',
            value: appeal.tti / floor,
            meaning: 'time to a usable appeal form ÷ time of one tiny request on the same network',
            better: 'lower',
          },
          {
            name: 'portal TTI / ÷ network floor',
            value: home.tti / floor,
            meaning: 'time to a usable home page ÷ time of one tiny request on the same network',
            better: 'lower',
          },
        ],
        notes: [
          `network: ${network.label}; CPU: Emulation.setCPUThrottlingRate ${t.cpuRate}×; phone viewport 390×844 (staff: desktop 1366×800)`,
          `median of ${runs} cold loads each (new browser context, empty cache, service worker blocked), staff ${staffRuns}`,
          'TTI = the moment the page’s ready element is in the document or the end of the long task (≥ 50 ms) that rendered it, whichever is later; a real interaction then proves it answers',
          `portal JS content-encoding as served: ${appeal.encodings || 'none'}; staff: ${bench.encodings || 'none'}`,
          `portal first load by the build manifest: ${budget.chunks.map((c) => `${c.file} ${kb(c.gzip).toFixed(1)} KB`).join(', ')}`,
          `Chromium ${browser.version()}; server: gongzhi start on PGlite, fresh data folder, demo county`,
        ],
      };
    } finally {
      await browser?.close();
      await server?.stop();
    }
  },
};

export default frontend;
