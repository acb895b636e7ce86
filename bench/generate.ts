/**
 * `node --import tsx bench/generate.ts --cases=1000000 [--open-only] [--engine=postgres|pglite] [--template=1200]`
 * — fills the dedicated benchmark database for that size on the local PostgreSQL (`gz_bench_1m`,
 * `gz_bench_open_1m`, … on `BENCH_DATABASE_URL`'s server, default postgres://postgres@127.0.0.1:5432)
 * or a PGlite folder under bench/results/ with the demo county and that many cases (see
 * bench/lib/generate.ts), or says it is already there. The benchmarks call the same code and reuse
 * what this leaves, so a long generation can be started ahead of a run.
 */
import { machineNote } from './lib/context.ts';
import { closeDatasets, dataset } from './lib/datasets.ts';

const args: Record<string, string> = {};
for (const a of process.argv.slice(2)) {
  const m = /^--([\w-]+)(?:=(.*))?$/.exec(a);
  if (m) args[m[1]!] = m[2] ?? 'true';
}
const cases = Number(args.cases ?? 100_000);
if (!Number.isInteger(cases) || cases <= 0) throw new Error('--cases=<positive integer>');
const log = (m: string) => process.stderr.write(`[generate] ${m}\n`);
log(machineNote());
const ds = await dataset(
  {
    smoke: false,
    args: {
      cases: String(cases),
      engine: args.engine ?? 'postgres',
      ...(args.template ? { template: args.template } : {}),
    },
    databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    log,
  },
  cases,
  { openOnly: args['open-only'] === 'true' },
);
console.log(JSON.stringify({ engine: ds.engine, database: ds.where, ...ds.report }, null, 2));
log(machineNote());
await closeDatasets();
