import type { Reporter, TestCase, TestModule } from 'vitest/node';

/** `file > suite > test`, for the lists below. */
function nameOf(t: TestCase): string {
  return `${t.module.moduleId.replace(`${process.cwd()}/`, '')} > ${t.fullName}`;
}

/**
 * Prints the plain `N passed, N failed` line that CI reads, after vitest's own summary, preceded by
 * the names of the tests that failed and of those that passed only when retried (CI retries a
 * failed test once: `retry` in vitest.config.ts), so that the end of a CI log says what went wrong.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const failures: string[] = [];
    const flaky: string[] = [];
    for (const m of modules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') {
          passed++;
          if (t.diagnostic()?.flaky) {
            // The error of the attempt that failed (vitest keeps it on a test passed on retry).
            const first = t.result().errors?.[0]?.message?.split('\n')[0]?.slice(0, 300);
            flaky.push(`${nameOf(t)}${first ? ` — first attempt: ${first}` : ''}`);
          }
        } else if (s === 'failed') {
          failedHere++;
          failures.push(nameOf(t));
        } else skipped++;
      }
      // A file that failed to load, or whose beforeAll/afterAll failed (its tests then show as
      // skipped), counts as one failure so that it cannot pass silently.
      if (m.state() === 'failed' && failedHere === 0) {
        failedHere = 1;
        failures.push(`${m.moduleId.replace(`${process.cwd()}/`, '')} (the file itself: load or hooks)`);
      }
      failed += failedHere;
    }
    const lines: string[] = [];
    for (const f of failures) lines.push(`FAILED TEST: ${f}`);
    for (const f of flaky) lines.push(`PASSED ON RETRY: ${f}`);
    process.stdout.write(
      `\n${lines.length ? `${lines.join('\n')}\n` : ''}${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${flaky.length ? ` (${flaky.length} passed on retry)` : ''}\n`,
    );
  }
}
