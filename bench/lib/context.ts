/**
 * An application context for benchmarks: the real services on a database of the benchmark's own
 * (a dedicated PostgreSQL database, or PGlite), with fixed benchmark keys and a silent logger.
 */
import os from 'node:os';
import pg from 'pg';
import pino from 'pino';
import type { AppContext } from '../../server/context.ts';
import { type Database, openDatabase } from '../../server/db/database.ts';
import { migrate } from '../../server/db/migrate.ts';
import { systemClock } from '../../server/lib/clock.ts';
import { loadConfig } from '../../server/lib/config.ts';
import { FieldCipher } from '../../server/lib/crypto.ts';
import { LogSmsSender } from '../../server/lib/sms.ts';

/** Fixed keys: benchmark data is synthetic, its encrypted columns need no secrecy. */
function benchCipher(): FieldCipher {
  return new FieldCipher([{ id: 'b1', key: Buffer.alloc(32, 7) }], 'b1', Buffer.alloc(32, 9));
}

/** A context on an open database (migrated here), as the server would build it. */
export async function benchContext(database: Database): Promise<AppContext> {
  await migrate(database);
  const log = pino({ level: process.env.BENCH_LOG ?? 'silent' });
  return {
    config: { ...loadConfig({ NODE_ENV: 'production', COUNTY_CODE: '360121' }), webDir: '/nonexistent' },
    database,
    cipher: benchCipher(),
    sms: new LogSmsSender(log),
    clock: systemClock,
    log,
  };
}

/** `postgres://…/name` from a server URL and a database name. */
export function urlWithDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Opens (creating it when missing) a dedicated benchmark database on the PostgreSQL server, e.g.
 * `gz_bench_1m`. Kept between runs so that generated data is reused; `fresh` drops it first.
 */
export async function openBenchPostgres(
  serverUrl: string,
  name: string,
  opts: { fresh?: boolean; poolSize?: number } = {},
): Promise<Database & { url: string }> {
  if (!/^gz_bench_[a-z0-9_]+$/.test(name)) throw new Error(`not a benchmark database name: ${name}`);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    if (opts.fresh) await admin.query(`drop database if exists ${name} with (force)`);
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = urlWithDatabase(serverUrl, name);
  const database = await openDatabase({ databaseUrl: url, poolSize: opts.poolSize ?? 8 });
  return Object.assign(database, { url });
}

/** Load average and CPU count, for the notes: other work on the machine shares the cores. */
export function machineNote(): string {
  const [l1, l5, l15] = os.loadavg().map((n) => n.toFixed(2));
  return `load average ${l1} ${l5} ${l15} on ${os.cpus().length} cores (other work shares the machine)`;
}

/** Times an async call in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}
