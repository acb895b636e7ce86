/**
 * One cold first load of a page in Debian's Chromium under emulated network and CPU throttling,
 * for `bench/frontend.bench.ts`: what was transferred, when the page first painted, and when it
 * became usable (see {@link LoadResult.tti}).
 */
import type { Browser, CDPSession, Page } from 'playwright-core';
import { clientAddress, VIEWPORTS } from '../../e2e/browser.ts';

/** What `Network.emulateNetworkConditions` takes: latency per request in ms, throughput in bytes/s. */
export interface NetworkProfile {
  id: string;
  label: string;
  latency: number;
  downloadThroughput: number;
  uploadThroughput: number;
}

/**
 * Chrome DevTools' own presets (front_end/core/sdk/NetworkManager.ts). DevTools throttles per
 * request, not per packet, so its latency is the target round trip times a factor for the round
 * trips of a request on a fresh connection (DNS, TCP, TLS, request).
 */
export const NETWORKS: Record<string, NetworkProfile> = {
  // "Slow 3G" until DevTools renamed it "3G" in 2024: 400 ms RTT × 5, 500 kbit/s × 0.8.
  '3g': {
    id: '3g',
    label: 'DevTools "Slow 3G" (now "3G"): 2000 ms latency a request, 400 kbit/s (50,000 B/s) down and up',
    latency: 400 * 5,
    downloadThroughput: ((500 * 1000) / 8) * 0.8,
    uploadThroughput: ((500 * 1000) / 8) * 0.8,
  },
  // "Fast 3G" until 2024, Lighthouse's mobile network: 150 ms RTT × 3.75, 1.6 Mbit/s × 0.9 down.
  slow4g: {
    id: 'slow4g',
    label: 'DevTools "Slow 4G" (was "Fast 3G"): 562.5 ms latency a request, 1.44 Mbit/s down, 675 kbit/s up',
    latency: 150 * 3.75,
    downloadThroughput: ((1.6 * 1000 * 1000) / 8) * 0.9,
    uploadThroughput: ((750 * 1000) / 8) * 0.9,
  },
};

export interface Throttling {
  network: NetworkProfile;
  /** `Emulation.setCPUThrottlingRate`: 4 means every task takes four times as long. */
  cpuRate: number;
}

/** Applies the throttling to a page before it navigates (the session lives as long as the page). */
export async function throttle(page: Page, t: Throttling): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: t.network.latency,
    downloadThroughput: t.network.downloadThroughput,
    uploadThroughput: t.network.uploadThroughput,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: t.cpuRate });
  return cdp;
}

export interface LoadResult {
  /**
   * Time to interactive, ms from navigation start: the moment the page's `ready` element is in the
   * document, or the end of the long task (≥ 50 ms) that put it there, whichever is later — the
   * main thread is free to answer input from then on. `interact` then proves it answers.
   */
  tti: number;
  /** When `ready` first matched (a MutationObserver in the page). */
  readyAt: number;
  /** First contentful paint, ms. */
  fcp: number;
  /** The document's last byte arrived, ms. */
  documentEnd: number;
  /** From the start of the interaction until its answer was on the page, ms (tool-measured). */
  response: number;
  /** Encoded (on the wire) body bytes of JavaScript, of everything, and the request count until ready. */
  jsBytes: number;
  totalBytes: number;
  requests: number;
  /** Encoded bytes of the HTML document (on a first visit it carries the first screen's code). */
  htmlBytes: number;
  /** JavaScript files fetched until ready, with their encoded sizes. */
  scripts: { url: string; bytes: number; encoding: string }[];
  longTasks: number;
}

export interface LoadSpec {
  url: string;
  /** CSS selector of the element whose presence means the page can be used. */
  ready: string;
  /** A real interaction after ready that must succeed (typing, a click and its answer). */
  interact?: (page: Page) => Promise<void>;
  /** Runs in a fresh page before the measured navigation (e.g. signing in); not measured. */
  before?: (page: Page) => Promise<void>;
}

/**
 * Collects long tasks and the ready moment from the very start of the document. A string, not a
 * function: tsx would wrap a function's inner names in helpers the page does not have.
 */
function initScript(selector: string): string {
  return `(() => {
  const b = (window.__bench = { longTasks: [], readyAt: null });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longTasks.push([e.startTime, e.startTime + e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  const selector = ${JSON.stringify(selector)};
  const observer = new MutationObserver(() => {
    if (b.readyAt === null && document.querySelector(selector)) {
      b.readyAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { childList: true, subtree: true });
})();`;
}

/**
 * Opens `spec.url` in a new browser context (cold cache, phone viewport, no service worker — it
 * would answer later requests from its own unthrottled fetches) and measures it.
 */
export async function measureLoad(
  browser: Browser,
  base: string,
  spec: LoadSpec,
  t: Throttling,
  device: 'phone' | 'desktop' = 'phone',
): Promise<LoadResult> {
  const context = await browser.newContext({
    baseURL: base,
    viewport: VIEWPORTS[device],
    deviceScaleFactor: device === 'phone' ? 2 : 1,
    isMobile: device === 'phone',
    hasTouch: device === 'phone',
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    serviceWorkers: 'block',
    extraHTTPHeaders: { 'X-Forwarded-For': clientAddress() },
  });
  context.setDefaultTimeout(120_000);
  try {
    const page = await context.newPage();
    if (spec.before) {
      await spec.before(page);
      // Cold again: what `before` loaded must come over the throttled network once more.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.clearBrowserCache');
      await cdp.detach();
    }
    await page.addInitScript(initScript(spec.ready));
    const scripts: LoadResult['scripts'] = [];
    let totalBytes = 0;
    let htmlBytes = 0;
    let requests = 0;
    let counting = true;
    const pending: Promise<void>[] = [];
    page.on('requestfinished', (req) => {
      // blob: modules made by the first-visit loader from code inside the page are no requests.
      if (!counting || !/^https?:/.test(req.url())) return;
      pending.push(
        (async () => {
          const sizes = await req.sizes().catch(() => null);
          const resp = await req.response().catch(() => null);
          if (!sizes || !resp) return;
          requests++;
          totalBytes += sizes.responseBodySize;
          if (req.resourceType() === 'document') htmlBytes += sizes.responseBodySize;
          if (req.resourceType() === 'script') {
            scripts.push({
              url: new URL(req.url()).pathname,
              bytes: sizes.responseBodySize,
              encoding: (await resp.headerValue('content-encoding').catch(() => null)) ?? 'identity',
            });
          }
        })(),
      );
    });
    await throttle(page, t);
    await page.goto(spec.url, { waitUntil: 'commit', timeout: 120_000 });
    await page.waitForFunction(
      () => (window as unknown as { __bench?: { readyAt: number | null } }).__bench?.readyAt != null,
      undefined,
      { polling: 100, timeout: 120_000 },
    );
    counting = false;
    await Promise.all(pending);
    const t0 = Date.now();
    await spec.interact?.(page);
    const response = Date.now() - t0;
    const m = await page.evaluate(() => {
      const b = (window as unknown as { __bench: { longTasks: [number, number][]; readyAt: number } })
        .__bench;
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN;
      return { longTasks: b.longTasks, readyAt: b.readyAt, fcp, documentEnd: nav?.responseEnd ?? Number.NaN };
    });
    // The long task that rendered the ready element ends after the observer saw it.
    let tti = m.readyAt;
    for (const [start, end] of m.longTasks) if (start <= m.readyAt && end > tti) tti = end;
    return {
      tti,
      readyAt: m.readyAt,
      fcp: m.fcp,
      documentEnd: m.documentEnd,
      response,
      jsBytes: scripts.reduce((n, s) => n + s.bytes, 0),
      totalBytes,
      htmlBytes,
      requests,
      scripts,
      longTasks: m.longTasks.length,
    };
  } finally {
    await context.close();
  }
}

/**
 * The network floor: one request for a tiny answer of the same server (`/api/health`, no
 * subresources, no script) under the same throttling — ms from navigation start until its last
 * byte arrived (not until its load event: drawing a JSON viewer is no part of the network).
 */
export async function measureFloor(
  browser: Browser,
  base: string,
  path: string,
  t: Throttling,
): Promise<number> {
  const context = await browser.newContext({
    baseURL: base,
    serviceWorkers: 'block',
    extraHTTPHeaders: { 'X-Forwarded-For': clientAddress() },
  });
  try {
    const page = await context.newPage();
    await throttle(page, t);
    await page.goto(path, { waitUntil: 'load', timeout: 120_000 });
    return await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return nav.responseEnd;
    });
  } finally {
    await context.close();
  }
}
