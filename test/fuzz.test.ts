/**
 * Hostile input, CI size: every route fuzzed from its own schemas (`test/fuzz/runner.ts`) with a
 * fixed seed and a few requests per route and caller — 0 answers 5xx, no stack traces or internal
 * paths, errors in the stable format, nothing changed by a rejected request, no prototype
 * pollution. The full run (100,000 requests) is `npm run fuzz -- --runs=100000`; its results are in
 * docs/SECURITY.md.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestEnv, type TestEnv } from './context.ts';
import { fuzzPlan, fuzzWorld } from './fuzz/plan.ts';
import { type FuzzResult, fuzz } from './fuzz/runner.ts';
import { installChangeCounter } from './matrix/fingerprint.ts';
import { resetSocket } from './matrix/requests.ts';
import { seenRoutes } from './matrix/route-log.ts';
import { apiRoutes, type Route } from './matrix/routes.ts';

// Every route the app registers, as the app registers it (test/matrix/route-log.ts).
vi.mock('fastify', async (importOriginal) =>
  (await import('./matrix/route-log.ts')).withRouteLog(await importOriginal<typeof import('fastify')>()),
);
const seen = seenRoutes;

/** Fixed, so a CI failure replays exactly (FUZZ_SEED overrides it to explore). */
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
/** Requests per route and caller in CI. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 6);
/** The full run (`npm run fuzz`, scripts/fuzz.ts): this many requests in all, spread over every route and caller. */
const TOTAL = Number(process.env.FUZZ_TOTAL ?? 0);

let env: TestEnv;
let routes: Route[];
let result: FuzzResult;
let runs = RUNS;

beforeAll(
  async () => {
    env = await createTestEnv();
    const world = await fuzzWorld(env);
    await installChangeCounter(env.ctx.database);
    routes = apiRoutes(seen);
    const plan = fuzzPlan(world);
    const pairs = routes.reduce((n, r) => n + plan.callersFor(r).length, 0);
    runs = TOTAL ? Math.ceil(TOTAL / pairs) : RUNS;
    const started = Date.now();
    result = await fuzz(env.app, env.ctx.database, routes, plan, {
      seed: SEED,
      runs,
      ...(TOTAL ? { onProgress: (n: number) => process.stderr.write(`fuzz: ${n} requests\n`) } : {}),
    });
    const summary = {
      seed: SEED,
      engine: process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite',
      routes: routes.length,
      routeCallerPairs: pairs,
      runsPerPair: runs,
      requests: result.requests,
      seconds: Math.round((Date.now() - started) / 1000),
      byStatus: result.byStatus,
      findings: result.findings,
    };
    if (process.env.FUZZ_REPORT) fs.writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(summary, null, 2));
    console.info(
      `fuzz: seed ${SEED}, ${runs} per route and caller, ${routes.length} routes, ${result.requests} requests in ${summary.seconds} s, by status ${JSON.stringify(result.byStatus)}, ${result.findings.length} findings`,
    );
  },
  TOTAL ? 24 * 3600_000 : 600_000,
);
afterAll(async () => {
  resetSocket();
  await env.close();
});

describe('hostile input on every route', () => {
  it('fuzzes every route the application registers', () => {
    expect(routes.length).toBeGreaterThanOrEqual(80);
    expect(result.requests).toBeGreaterThanOrEqual(routes.length * runs);
  });

  it('never answers 5xx, never shows internals, keeps the error format, and a rejected request changes nothing', () => {
    // One line per finding, with what replays it.
    expect(
      result.findings.map((f) => `${f.problem}: ${f.caller} ${f.method} ${f.url} → ${f.status} ${f.body}`),
    ).toEqual([]);
  });
});
