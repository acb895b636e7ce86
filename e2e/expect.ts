/**
 * Retrying assertions on locators (playwright-core has no `expect`; @playwright/test would bring
 * its own runner and browser downloads). Each polls until it holds or the time is up, then fails
 * with what it last saw.
 */
import type { Locator } from 'playwright-core';

const DEFAULT_TIMEOUT = 15_000;

type Text = string | RegExp;

function normalise(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function matches(actual: string, expected: Text, whole: boolean): boolean {
  const a = normalise(actual);
  if (expected instanceof RegExp) return expected.test(a);
  return whole ? a === normalise(expected) : a.includes(normalise(expected));
}

async function poll<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  describe: (v: T | undefined, err: unknown) => string,
  timeout: number,
): Promise<T> {
  const limit = Date.now() + timeout;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      lastError = undefined;
      if (ok(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > limit) throw new Error(describe(last, lastError));
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `expect(locator).toBeVisible()` and friends; `{ timeout }` in milliseconds. */
export function expect(locator: Locator, opts: { timeout?: number } = {}) {
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT;
  const what = locator.toString();
  const text = async () => (await locator.textContent({ timeout: 1000 })) ?? '';
  return {
    async toBeVisible(): Promise<void> {
      await locator.waitFor({ state: 'visible', timeout });
    },
    async toBeHidden(): Promise<void> {
      await locator.waitFor({ state: 'hidden', timeout });
    },
    /** The whole visible text (whitespace collapsed) equals a string or matches a pattern. */
    async toHaveText(expected: Text): Promise<string> {
      return poll(
        text,
        (v) => matches(v, expected, true),
        (v, e) => `${what}: expected text ${String(expected)}, got ${JSON.stringify(v)}${e ? ` (${e})` : ''}`,
        timeout,
      );
    },
    async toContainText(expected: Text): Promise<string> {
      return poll(
        text,
        (v) => matches(v, expected, false),
        (v, e) =>
          `${what}: expected to contain ${String(expected)}, got ${JSON.stringify(v?.slice(0, 2000))}${e ? ` (${e})` : ''}`,
        timeout,
      );
    },
    async toHaveCount(n: number): Promise<void> {
      await poll(
        () => locator.count(),
        (v) => v === n,
        (v) => `${what}: expected ${n} elements, found ${v}`,
        timeout,
      );
    },
    async toHaveAttribute(name: string, expected: Text): Promise<void> {
      await poll(
        () => locator.getAttribute(name, { timeout: 1000 }),
        (v) => v !== null && matches(v, expected, true),
        (v, e) =>
          `${what}: expected [${name}] ${String(expected)}, got ${JSON.stringify(v)}${e ? ` (${e})` : ''}`,
        timeout,
      );
    },
  };
}

/** Polls a value until the check holds (for state read through the API). */
export async function eventually<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  timeout = DEFAULT_TIMEOUT,
): Promise<T> {
  return poll(read, ok, (v, e) => `${what}: last ${JSON.stringify(v)}${e ? ` (${e})` : ''}`, timeout);
}
