import type { Kysely, Selectable } from 'kysely';
import type { AppContext } from '../context.ts';
import type { CategoriesTable, DB, Urgency } from '../db/schema.ts';
import type { TimeLimit } from './calendar.ts';
import type { Stage } from './workflow.ts';

/** The columns of a category the engine needs on every action (validation, routing, limits, metrics). */
export type CategoryInfo = Pick<
  Selectable<CategoriesTable>,
  | 'id'
  | 'name'
  | 'parent_id'
  | 'level'
  | 'default_org_id'
  | 'urgency'
  | 'reply_limit_amount'
  | 'reply_limit_unit'
  | 'case_types'
  | 'active'
>;

export type TimeLimitOverrides = Partial<Record<Stage, Partial<Record<Urgency, TimeLimit>>>>;

/** What the engine reads on every action and admins change rarely. */
export interface CountyConfig {
  categories: ReadonlyMap<string, CategoryInfo>;
  /** The admins' time-limit overrides (`settings.time_limits`), if any. */
  timeLimits: TimeLimitOverrides | undefined;
}

/**
 * How long a process trusts its copy. An edit made through this process is seen at once (the
 * admin services call {@link invalidateCountyConfig}); another app process on the same PostgreSQL
 * sees it within this time. That staleness is harmless: a case received in those seconds is routed
 * and timed as if it had come in just before the edit, which is what happens to every case received
 * before it — and a dispatcher can still redirect it.
 */
export const CONFIG_TTL_MS = 10_000;

interface Entry {
  at: number;
  generation: number;
  config: CountyConfig;
}

/** Per open database (tests open many in one process), per county. */
const caches = new WeakMap<object, Map<string, Entry>>();
let generation = 0;

/**
 * The county's categories and time-limit overrides, read once per {@link CONFIG_TTL_MS} instead of
 * three to five times per action. Pass the transaction when inside one: on PGlite the pool has one
 * connection, which the transaction holds. Only finished reads are shared — a caller never waits
 * for another caller's read, which on PGlite could wait for the connection this caller holds.
 */
export async function countyConfig(
  ctx: Pick<AppContext, 'database'>,
  countyCode: string,
  db: Kysely<DB> = ctx.database.db,
): Promise<CountyConfig> {
  let byCounty = caches.get(ctx.database);
  if (!byCounty) {
    byCounty = new Map();
    caches.set(ctx.database, byCounty);
  }
  const hit = byCounty.get(countyCode);
  if (hit && hit.generation === generation && Date.now() - hit.at < CONFIG_TTL_MS) return hit.config;
  const at = Date.now();
  const seen = generation;
  const config = await load(db, countyCode);
  // An edit made while we read leaves the entry stale, so the next caller reads again.
  byCounty.set(countyCode, { at, generation: seen, config });
  return config;
}

async function load(db: Kysely<DB>, countyCode: string): Promise<CountyConfig> {
  const rows = await db
    .selectFrom('categories')
    .select([
      'id',
      'name',
      'parent_id',
      'level',
      'default_org_id',
      'urgency',
      'reply_limit_amount',
      'reply_limit_unit',
      'case_types',
      'active',
    ])
    .where('county_code', '=', countyCode)
    .execute();
  const limits = await db
    .selectFrom('settings')
    .select('value')
    .where('county_code', '=', countyCode)
    .where('key', '=', 'time_limits')
    .executeTakeFirst();
  return {
    categories: new Map(rows.map((r) => [r.id, r])),
    timeLimits: (limits?.value as TimeLimitOverrides | undefined) ?? undefined,
  };
}

/** Forgets every cached copy (after an admin changes categories or time limits). */
export function invalidateCountyConfig(): void {
  generation++;
}
