import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    // CI retries a failed test once: the integration and browser tests share two cores with two
    // database engines and a browser, and one slow moment must not sink a run. A test that passed
    // only on retry is named in the summary ("PASSED ON RETRY") so flakiness stays visible.
    retry: process.env.CI ? 1 : 0,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'server/**/*.test.ts',
            'common/**/*.test.ts',
            'web/src/**/*.test.ts',
            'test/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
          globalSetup: ['test/global-setup.ts'],
          pool: 'forks',
          // Each file opens its own database (PGlite ~0.8 GB RSS while loading); two at a time on 2 cores.
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          // Browser journeys (e2e/README in docs/TESTING.md): one real server for the run, started by
          // the global setup while the unit tests run; the files then run one at a time after them.
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          globalSetup: ['e2e/global-setup.ts'],
          pool: 'forks',
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
