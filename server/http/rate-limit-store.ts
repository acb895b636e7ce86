import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.ts';

type Result = { current: number; ttl: number };
type Callback = (err: Error | null, res?: Result) => void;

/**
 * Counts one hit of `key` in its current window and answers the count and the milliseconds left.
 * One statement: a new key, or one whose window has ended, starts again at 1; PostgreSQL's row lock
 * on the key makes concurrent hits from any number of processes count one after the other.
 */
export async function countHit(db: Kysely<DB>, key: string, windowMs: number): Promise<Result> {
  const r = await sql<{ hits: number; ttl: number }>`
    insert into rate_limits as r (key, hits, window_end)
    values (${key}, 1, clock_timestamp() + make_interval(secs => ${windowMs / 1000}))
    on conflict (key) do update set
      hits = case when r.window_end <= clock_timestamp() then 1 else r.hits + 1 end,
      window_end = case when r.window_end <= clock_timestamp() then excluded.window_end else r.window_end end
    returning hits, greatest(0, ceil(extract(epoch from r.window_end - clock_timestamp()) * 1000))::int as ttl`.execute(
    db,
  );
  const row = r.rows[0]!;
  return { current: row.hits, ttl: row.ttl };
}

/** Forgets windows that ended more than an hour ago (the worker calls it; the longest window is an hour). */
export async function forgetEndedRateLimits(db: Kysely<DB>): Promise<number> {
  const r = await db
    .deleteFrom('rate_limits')
    .where('window_end', '<', sql<Date>`now() - interval '1 hour'`)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * A store for `@fastify/rate-limit` that keeps the counts in the database, so that every app process
 * behind a load balancer shares one count per route and address (decision 0032); the plugin's own
 * store counts in each process's memory, which lets N processes take N times the limit. Used on
 * PostgreSQL; PGlite runs in one process and keeps the in-memory store. Each route gets a child
 * store whose keys start with its method and URL. A failing database does not fail the request
 * here (`skipOnError` where it is registered): the request then meets the database itself.
 */
export function databaseRateLimitStore(db: Kysely<DB>): FastifyRateLimitStoreCtor {
  class DatabaseRateLimitStore implements FastifyRateLimitStore {
    readonly prefix: string;

    constructor(_options?: unknown, prefix = '') {
      this.prefix = prefix;
    }

    incr(key: string, cb: Callback, timeWindow: number): void {
      countHit(db, this.prefix + key, timeWindow).then(
        (res) => cb(null, res),
        (err: Error) => cb(err),
      );
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      // The plugin passes the route's limit options with the route under `routeInfo` (its typings
      // name the route itself); either way the method and URL name the route.
      const route: { method?: string | string[]; url?: string } =
        (routeOptions as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo ??
        routeOptions;
      const method = Array.isArray(route.method) ? route.method.join(',') : (route.method ?? '');
      return new DatabaseRateLimitStore(undefined, `${this.prefix}${method} ${route.url ?? ''} `);
    }
  }
  return DatabaseRateLimitStore;
}
