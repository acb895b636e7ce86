/**
 * The browser tests' glue to vitest: the server the e2e global setup started (e2e/global-setup.ts),
 * Chromium for the file, people (browser contexts, see browser.ts) whose console and page errors
 * fail the test they happened in, evidence (screenshot and accessibility tree) of a failed test, the
 * one-time code from the server log, and a small API client for reading state in assertions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type APIRequestContext, type Browser, request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { clientAddress, type Device, type Lang, launchBrowser, openPerson, type Person } from './browser.ts';
import { DEMO_PASSWORD, otpFromLog, waitReady } from './server.ts';

export type { Lang, Person } from './browser.ts';
export { LANGS, marker, uniquePhone } from './browser.ts';

/** Where a failed test leaves a screenshot and the accessibility tree of each of its pages. */
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? path.join(os.tmpdir(), 'gongzhi-e2e-artifacts');

export interface Api {
  get<T = unknown>(path: string): Promise<T>;
}

/**
 * Sets up one file's browser tests: waits for the server (and its demo history), launches
 * Chromium, and after each test closes its people and fails it when any of their pages logged an
 * error that was not allowed by name.
 */
export function setupE2E() {
  const base = inject('e2eBase');
  const logFile = inject('e2eLog');
  let browser: Browser | undefined;
  const people: Person[] = [];
  const apis: APIRequestContext[] = [];

  beforeAll(async () => {
    await waitReady(base, logFile, { history: true, timeoutMs: 280_000 });
    browser = await launchBrowser();
  }, 300_000);

  afterEach(async (ctx) => {
    const errors = people.flatMap((p) => p.errors);
    if (ctx.task.result?.state === 'fail' || errors.length) await keepEvidence(ctx.task.name, people);
    for (const p of people.splice(0)) await p.context.close().catch(() => {});
    for (const a of apis.splice(0)) await a.dispose().catch(() => {});
    if (errors.length) throw new Error(`errors in the browser:\n  ${errors.join('\n  ')}`);
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** A new person with their own browser context, closed after the test. */
  async function person(device: Device = 'phone', opts: { lang?: Lang } = {}): Promise<Person> {
    if (!browser) throw new Error('browser not started');
    const p = await openPerson(browser, base, device, opts);
    people.push(p);
    return p;
  }

  /** An API client for reading state, signed in as `username` when given. */
  async function apiAs(username?: string): Promise<Api> {
    const ctx = await request.newContext({
      baseURL: base,
      extraHTTPHeaders: { 'X-Forwarded-For': clientAddress() },
    });
    apis.push(ctx);
    if (username) {
      const r = await ctx.post('/api/auth/login', { data: { username, password: DEMO_PASSWORD } });
      if (!r.ok()) throw new Error(`API sign-in of ${username}: ${r.status()} ${await r.text()}`);
    }
    return {
      async get<T = unknown>(p: string): Promise<T> {
        const r = await ctx.get(p);
        if (!r.ok()) throw new Error(`GET ${p}: ${r.status()} ${await r.text()}`);
        return (await r.json()) as T;
      },
    };
  }

  return {
    base,
    logFile,
    person,
    apiAs,
    /** The latest one-time code the server "sent" to this phone (read from its log). */
    otp: (phone: string) => otpFromLog(logFile, phone),
  };
}

async function keepEvidence(test: string, people: Person[]): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const slug = test.replace(/[^\w\u4e00-\u9fff-]+/g, '-').slice(0, 80);
  for (const [i, p] of people.entries()) {
    for (const [j, page] of p.context.pages().entries()) {
      const file = path.join(ARTIFACTS, `${slug}-${i}-${j}`);
      try {
        await page.screenshot({ path: `${file}.png`, fullPage: true, timeout: 5000 });
        const tree = await page.locator('body').ariaSnapshot({ timeout: 5000 });
        fs.writeFileSync(`${file}.txt`, `${page.url()}\n${tree}`);
        console.error(`[e2e] evidence: ${file}.png (${page.url()})`);
      } catch {
        // a closed or crashed page leaves nothing
      }
    }
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2eBase: string;
    e2eLog: string;
  }
}
