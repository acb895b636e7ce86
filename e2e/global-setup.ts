import { ensureWebBuild, startServer } from './server.ts';

/** Demo history the e2e server plays after start: enough for every screen to show real numbers. */
export const E2E_DEMO_CASES = 24;

/**
 * Builds the web app when it is missing or stale, then starts one server for the browser tests of
 * this run. It does not wait for it: the unit tests run meanwhile, and each e2e file waits for
 * health and the demo history in `setupE2E()`.
 */
export default async function setup({ provide }: { provide: (key: string, value: string) => void }) {
  // While writing a test: reuse a server you started yourself (its log must be at LOG_LEVEL=info,
  // TRUST_PROXY=1), e.g. E2E_BASE_URL=http://127.0.0.1:3000 E2E_LOG=/tmp/gz.log npx vitest run e2e/x.
  if (process.env.E2E_BASE_URL && process.env.E2E_LOG) {
    provide('e2eBase', process.env.E2E_BASE_URL);
    provide('e2eLog', process.env.E2E_LOG);
    return;
  }
  ensureWebBuild((s) => console.log(`[e2e] ${s}`));
  const server = await startServer({ demoCases: E2E_DEMO_CASES });
  provide('e2eBase', server.base);
  provide('e2eLog', server.logFile);
  return async () => {
    await server.stop();
    console.log(`[e2e] server log: ${server.logFile}`);
  };
}
