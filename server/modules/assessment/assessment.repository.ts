import { type Kysely, sql } from 'kysely';
import { inScope, type Scope } from '../../authz/scope.ts';
import type { DB } from '../../db/schema.ts';

/**
 * Reads of the assessment rollups (`assessment_rollups`, kept by the case engine in the same
 * transaction as each event). Every figure comes from the rollups, never from the event log.
 */

/** Which rollup rows count: a territory (a `loc_path` prefix) or a unit (`unit_id`), in one county. */
export type Slice =
  | { countyCode: string; kind: 'territory'; pathPrefix: string }
  | { countyCode: string; kind: 'unit'; unitId: string };

/** A period of China calendar days, both ends included (YYYY-MM-DD). */
export interface Period {
  from: string;
  to: string;
}

/** Case types whose metrics are rolled up. */
export type MetricType = 'appeal' | 'event';

/** Metric sums keyed by the metric name without its type (`received`, `overdue_reply`, …). */
export type MetricSums = Map<string, number>;

/** How rankings group the rows: by township (2nd segment of `loc_path`) or by unit (`unit_id`). */
export type GroupBy = 'township' | 'unit';

function rollups(db: Kysely<DB>, slice: Slice, period: Period, type: MetricType) {
  let q = db
    .selectFrom('assessment_rollups as r')
    .where('r.county_code', '=', slice.countyCode)
    .where('r.day', '>=', period.from)
    .where('r.day', '<=', period.to)
    // The type is a closed list ('appeal' | 'event'), so the pattern holds no LIKE metacharacters.
    .where('r.metric', 'like', `${type}:%`);
  if (slice.kind === 'territory') {
    // Paths hold only digits, capital letters and '/', so the prefix needs no escaping.
    q = q.where('r.loc_path', 'like', `${slice.pathPrefix}%`);
  } else {
    q = q.where('r.unit_id', '=', slice.unitId);
  }
  return q;
}

const stripType = (metric: string) => metric.slice(metric.indexOf(':') + 1);

/** Sums of every metric of a type over the period, for a territory or a unit. */
export async function sumMetrics(
  db: Kysely<DB>,
  slice: Slice,
  period: Period,
  type: MetricType,
): Promise<MetricSums> {
  const rows = await rollups(db, slice, period, type)
    .select(['r.metric', sql<number>`sum(r.value)`.as('total')])
    .groupBy('r.metric')
    .execute();
  return new Map(rows.map((r) => [stripType(r.metric), Number(r.total)]));
}

/**
 * Sums of every metric of a type over the period, grouped by township (the 2nd segment of
 * `loc_path`: `/county/township/village/`) or by unit. Rows attributed to the county itself (no
 * township) or to no unit are left out.
 */
export async function sumMetricsBy(
  db: Kysely<DB>,
  slice: Slice,
  period: Period,
  type: MetricType,
  by: GroupBy,
): Promise<Map<string, MetricSums>> {
  const key = by === 'township' ? sql<string>`split_part(r.loc_path, '/', 3)` : sql<string>`r.unit_id`;
  const rows = await rollups(db, slice, period, type)
    .select([key.as('group_id'), 'r.metric', sql<number>`sum(r.value)`.as('total')])
    .groupBy([key, 'r.metric'])
    .execute();
  const out = new Map<string, MetricSums>();
  for (const r of rows) {
    if (!r.group_id) continue;
    let sums = out.get(r.group_id);
    if (!sums) {
      sums = new Map();
      out.set(r.group_id, sums);
    }
    sums.set(stripType(r.metric), Number(r.total));
  }
  return out;
}

/** An org unit as the assessment needs it. */
export interface AssessedOrg {
  id: string;
  name: string;
  kind: string;
  path: string;
  scope_path: string;
}

/** One org unit inside the scope (out of scope looks exactly like missing). */
export function findAssessedOrg(db: Kysely<DB>, scope: Scope, id: string): Promise<AssessedOrg | undefined> {
  return db
    .selectFrom('org_units')
    .select(['id', 'name', 'kind', 'path', 'scope_path'])
    .where('id', '=', id)
    .where(inScope(scope, 'org_units'))
    .executeTakeFirst();
}

/** Active org units of one kind inside the scope, in display order. */
export function listOrgsOfKindInScope(
  db: Kysely<DB>,
  scope: Scope,
  kind: 'township' | 'department',
): Promise<{ id: string; name: string; kind: string }[]> {
  return db
    .selectFrom('org_units')
    .select(['id', 'name', 'kind'])
    .where(inScope(scope, 'org_units'))
    .where('kind', '=', kind)
    .where('active', '=', true)
    .orderBy('sort')
    .orderBy('id')
    .execute();
}

/**
 * Names of org units of one kind in a county, by id. Only names and kinds: rankings show the units
 * that have figures in the caller's slice even when the unit itself lies outside the jurisdiction
 * (a department working in a township).
 */
export async function orgNamesOfKind(
  db: Kysely<DB>,
  countyCode: string,
  kind: 'township' | 'department',
  ids: string[],
): Promise<Map<string, { id: string; name: string; kind: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('org_units')
    .select(['id', 'name', 'kind'])
    .where('county_code', '=', countyCode)
    .where('kind', '=', kind)
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** A county setting's value and when it was last changed, or undefined when never set. */
export function readSetting(
  db: Kysely<DB>,
  countyCode: string,
  key: string,
): Promise<{ value: unknown; updated_at: Date } | undefined> {
  return db
    .selectFrom('settings')
    .select(['value', 'updated_at'])
    .where('county_code', '=', countyCode)
    .where('key', '=', key)
    .executeTakeFirst();
}

/** Writes a county setting (insert or replace). */
export async function writeSetting(
  db: Kysely<DB>,
  countyCode: string,
  key: string,
  value: unknown,
  now: Date,
): Promise<void> {
  const json = JSON.stringify(value);
  await db
    .insertInto('settings')
    .values({ county_code: countyCode, key, value: json, updated_at: now })
    .onConflict((oc) => oc.columns(['county_code', 'key']).doUpdateSet({ value: json, updated_at: now }))
    .execute();
}
