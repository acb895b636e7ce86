/**
 * The generated datasets the query benchmarks share: a dedicated PostgreSQL database per size
 * (`gz_bench_1m`, `gz_bench_10m`, `gz_bench_open_1m`, …, reused while they hold the requested size
 * and generator version) or, with `--engine=pglite`, a PGlite folder under `bench/results/`.
 * Within one process a dataset is opened once, so `npm run bench -- all --smoke` generates the
 * smoke data once for the dashboard, workbench and sweep benchmarks.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { StaffActor } from '../../server/authz/actor.ts';
import type { AppContext } from '../../server/context.ts';
import { openDatabase } from '../../server/db/database.ts';
import type { BenchOptions } from './bench.ts';
import { benchContext, openBenchPostgres } from './context.ts';
import {
  benchDataReady,
  GENERATOR_VERSION,
  type GenerateOptions,
  type GenerateReport,
  generateBenchData,
  playTemplate,
} from './generate.ts';

const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

export interface Dataset {
  ctx: AppContext;
  engine: 'postgres' | 'pglite';
  /** Database name or PGlite folder. */
  where: string;
  report: GenerateReport;
}

/** Smoke size: small enough to generate in well under a minute on a busy 2-core machine. */
export const SMOKE_CASES = 1500;
export const SMOKE_TEMPLATE = 100;

const open = new Map<string, Promise<Dataset>>();

/** `gz_bench_1m`, `gz_bench_10m`, `gz_bench_250k`, `gz_bench_open_1m`. */
export function benchDatabaseName(n: number, openOnly: boolean): string {
  const size = n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n % 1000 === 0 ? `${n / 1000}k` : String(n);
  return `gz_bench_${openOnly ? 'open_' : ''}${size}`;
}

/**
 * The dataset for a benchmark: `--cases=N` (default `fullCases`, or the smoke size), `--engine=`
 * postgres|pglite (default: PostgreSQL for full runs, PGlite for smoke runs), `--template=N`.
 */
export function dataset(
  o: BenchOptions,
  fullCases: number,
  opts: { openOnly?: boolean } = {},
): Promise<Dataset> {
  const cases = Number(o.args.cases ?? (o.smoke ? SMOKE_CASES : fullCases));
  const engine = (o.args.engine ?? (o.smoke ? 'pglite' : 'postgres')) as 'postgres' | 'pglite';
  const template = o.args.template ? Number(o.args.template) : o.smoke ? SMOKE_TEMPLATE : undefined;
  // Smoke runs share one dataset (with open cases enough for the sweep); full runs each have theirs.
  const openOnly = o.smoke && !o.args.cases ? false : Boolean(opts.openOnly);
  const name = benchDatabaseName(cases, openOnly);
  const key = `${engine}:${name}`;
  let p = open.get(key);
  if (!p) {
    p = (async () => {
      const where = engine === 'pglite' ? path.join(RESULTS, `pglite-${name}`) : name;
      o.log(`dataset ${engine} ${where}: ${cases} cases${openOnly ? ' (open only)' : ''}`);
      const gen: GenerateOptions = {
        cases,
        openOnly,
        ...(template ? { templateCases: template } : {}),
        // A smoke template covers a month, so that some of its cases are still open (the sweep's).
        ...(o.smoke ? { templateDays: 30 } : {}),
        log: o.log,
      };
      const ctx =
        engine === 'pglite'
          ? await benchContext(await openDatabase({ dataDir: where }))
          : await openPostgresDataset(o.databaseUrl, name, gen);
      const report = await generateBenchData(ctx, gen);
      o.log(
        report.reused
          ? `dataset reused: ${report.cases} cases, ${report.events} events`
          : `dataset generated: ${report.cases} cases, ${report.events} events, ${report.rowsPerSecond.toFixed(0)} rows/s`,
      );
      return { ctx, engine, where, report };
    })();
    open.set(key, p);
  }
  return p;
}

/**
 * Opens a dedicated PostgreSQL dataset. When it does not hold the requested data yet, it starts
 * from a copy of the played template (`gz_bench_tpl<version>_<n>[_open]`, made the first time:
 * playing the template through the engine is the slow part) so that other sizes clone at once.
 */
async function openPostgresDataset(
  serverUrl: string,
  name: string,
  gen: GenerateOptions,
): Promise<AppContext> {
  const first = await benchContext(await openBenchPostgres(serverUrl, name));
  if (await benchDataReady(first, gen)) return first;
  await first.database.close();
  const tpl = `gz_bench_tpl${GENERATOR_VERSION}_${gen.templateCases ?? 1200}${gen.openOnly ? '_open' : ''}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const has = await admin.query('select 1 from pg_database where datname = $1', [tpl]);
    await admin.query(`drop database if exists ${name} with (force)`);
    if (has.rowCount) {
      gen.log?.(`starting from the played template ${tpl}`);
      await admin.query(`create database ${name} template ${tpl}`);
    } else {
      await admin.query(`create database ${name}`);
      const ctx = await benchContext(await openBenchPostgres(serverUrl, name));
      await playTemplate(ctx, gen);
      await ctx.database.close();
      await admin.query(`create database ${tpl} template ${name}`);
      gen.log?.(`played template kept as ${tpl}`);
    }
  } finally {
    await admin.end();
  }
  return benchContext(await openBenchPostgres(serverUrl, name));
}

/** Closes every dataset this process opened (the runner exits anyway; tests call it). */
export async function closeDatasets(): Promise<void> {
  const all = [...open.values()];
  open.clear();
  for (const p of all) await (await p).ctx.database.close();
}

/** A staff actor as the session would resolve it, for a user picked by a query. */
export async function staffActor(
  ctx: AppContext,
  pick: { username?: string; role?: string; orgId?: string },
): Promise<StaffActor> {
  let q = ctx.database.db
    .selectFrom('users as u')
    .innerJoin('org_units as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.username', 'u.role', 'u.org_id', 'u.county_code', 'o.scope_path'])
    .where('u.county_code', '=', ctx.config.countyCode);
  if (pick.username) q = q.where('u.username', '=', pick.username);
  if (pick.role) q = q.where('u.role', '=', pick.role);
  if (pick.orgId) q = q.where('u.org_id', '=', pick.orgId);
  const u = await q.orderBy('u.username').executeTakeFirst();
  if (!u) throw new Error(`no staff user for ${JSON.stringify(pick)}`);
  return {
    kind: 'staff',
    userId: u.id,
    username: u.username,
    role: u.role as StaffActor['role'],
    orgId: u.org_id,
    countyCode: u.county_code,
    scopePath: u.scope_path,
  };
}
