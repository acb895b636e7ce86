/**
 * The machine's Chromium (never a downloaded browser) and one browser context per simulated
 * person: phone or desktop, own language, own client address, and every console error and page
 * error of its pages collected. Used by the browser tests (harness.ts) and `npm run screenshots`.
 */
import { type Browser, type BrowserContext, type ConsoleMessage, chromium, type Page } from 'playwright-core';

/** Flags for the machine's Chromium: no sandbox (root), and no background calls to a closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Debian's Chromium (`CHROMIUM_PATH`, default /usr/bin/chromium). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

export type Lang = 'zh-CN' | 'zh-TW' | 'en';
export const LANGS: Lang[] = ['zh-CN', 'zh-TW', 'en'];

export type Device = 'phone' | 'desktop' | 'wall';
export const VIEWPORTS: Record<Device, { width: number; height: number }> = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1366, height: 800 },
  wall: { width: 1920, height: 1080 },
};

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors so far, as readable lines. */
  errors: string[];
  /** Accepts console errors matching `pattern` from now on in this context; say why. */
  allow(pattern: RegExp, why: string): void;
}

let counter = 0;
/**
 * A distinct client address per browser context: the server runs with TRUST_PROXY=1 in tests, so
 * the per-address sign-in limits (10 a minute) count per simulated person, as behind the county's proxy.
 */
export function clientAddress(): string {
  counter++;
  return `10.${(process.pid >> 8) & 255}.${process.pid & 255}.${counter % 250}`;
}

function describeConsole(m: ConsoleMessage, page: Page): string {
  const loc = m.location();
  const where = loc.url ? ` (${loc.url}${loc.lineNumber ? `:${loc.lineNumber}` : ''})` : '';
  return `console.error on ${page.url()}: ${m.text()}${where}`;
}

/** A new person: a browser context of their own with one page, its errors collected. */
export async function openPerson(
  browser: Browser,
  base: string,
  device: Device = 'phone',
  opts: { lang?: Lang } = {},
): Promise<Person> {
  const lang = opts.lang ?? 'zh-CN';
  const context = await browser.newContext({
    baseURL: base,
    viewport: VIEWPORTS[device],
    deviceScaleFactor: device === 'phone' ? 2 : 1,
    isMobile: device === 'phone',
    hasTouch: device === 'phone',
    locale: lang,
    timezoneId: 'Asia/Shanghai',
    extraHTTPHeaders: { 'X-Forwarded-For': clientAddress() },
  });
  context.setDefaultTimeout(15_000);
  const allowed: { pattern: RegExp; why: string }[] = [];
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const line = describeConsole(m, page);
      if (!allowed.some((a) => a.pattern.test(line))) errors.push(line);
    });
    page.on('pageerror', (e) => errors.push(`page error on ${page.url()}: ${e.stack ?? e.message}`));
  };
  context.on('page', watch);
  const page = await context.newPage();
  return {
    context,
    page,
    errors,
    allow: (pattern, why) => {
      if (!why.trim()) throw new Error('say why a console error is allowed');
      allowed.push({ pattern, why });
    },
  };
}

/** A phone number nobody else in this run uses (mainland mobile format). */
export function uniquePhone(): string {
  const n = (Date.now() % 1e8) + Math.floor(Math.random() * 1000) + counter++;
  return `139${String(n).padStart(8, '0').slice(-8)}`;
}

/** A short text no other test types, to find what this test made (digits: the search is exact). */
export function marker(prefix: string): string {
  return `${prefix}${String(Date.now() % 1e7).padStart(7, '0')}${Math.floor(Math.random() * 100)}`;
}
