/**
 * The full hostile-input run: `npm run fuzz -- --runs=100000 [--seed=N] [--database-url=postgres://…]`.
 *
 * Runs `test/fuzz.test.ts` (the same generators and checks as CI) with FUZZ_TOTAL requests spread
 * over every route and caller, on PGlite or — with --database-url / TEST_DATABASE_URL — on
 * PostgreSQL, then prints the summary and the findings; the JSON report is kept for the docs
 * (docs/SECURITY.md). Exits 1 when anything was found.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const arg = (name: string) =>
  process.argv
    .find((a) => a.startsWith(`--${name}=`))
    ?.split('=')
    .slice(1)
    .join('=');
const runs = Number(arg('runs') ?? 100_000);
const seed = Number(arg('seed') ?? 20261130);
const databaseUrl = arg('database-url') ?? process.env.TEST_DATABASE_URL;
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- --runs=100000 [--seed=20261130] [--database-url=postgres://…]');
  process.exit(2);
}
const report =
  arg('report') ??
  path.join(os.tmpdir(), `gongzhi-fuzz-${seed}-${runs}-${databaseUrl ? 'postgres' : 'pglite'}.json`);
fs.rmSync(report, { force: true });

const vitest = path.join(import.meta.dirname, '..', 'node_modules', 'vitest', 'vitest.mjs');
const started = Date.now();
const child = spawnSync(
  process.execPath,
  [vitest, 'run', '--project', 'unit', 'test/fuzz.test.ts', '--reporter=dot'],
  {
    stdio: 'inherit',
    cwd: path.join(import.meta.dirname, '..'),
    env: {
      ...process.env,
      FUZZ_TOTAL: String(runs),
      FUZZ_SEED: String(seed),
      FUZZ_REPORT: report,
      ...(databaseUrl ? { TEST_DATABASE_URL: databaseUrl } : {}),
    },
  },
);
if (!fs.existsSync(report)) {
  console.error(`fuzz: no report (vitest exited ${child.status})`);
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(report, 'utf8')) as {
  engine: string;
  seed: number;
  routes: number;
  requests: number;
  seconds: number;
  byStatus: Record<string, number>;
  findings: { problem: string; route: string; caller: string; method: string; url: string; status: number }[];
};
const fivexx = Object.entries(r.byStatus)
  .filter(([s]) => Number(s) >= 500)
  .reduce((n, [, c]) => n + c, 0);
console.log(
  `\nfuzz ${r.engine}: seed ${r.seed}, ${r.routes} routes, ${r.requests} requests in ${r.seconds} s ` +
    `(${Math.round((Date.now() - started) / 1000)} s with setup); 5xx: ${fivexx}; findings: ${r.findings.length}`,
);
console.log(`by status: ${JSON.stringify(r.byStatus)}`);
const byProblem = new Map<string, number>();
for (const f of r.findings)
  byProblem.set(`${f.problem} — ${f.route}`, (byProblem.get(`${f.problem} — ${f.route}`) ?? 0) + 1);
for (const [k, n] of byProblem) console.log(`  ${n} × ${k}`);
console.log(`report: ${report}`);
process.exit(r.findings.length === 0 && child.status === 0 ? 0 : 1);
