import { type Insertable, type Kysely, sql } from 'kysely';
import type { AssessmentRollupsTable, CaseRow, DB } from '../db/schema.ts';

/** Metric deltas one event contributes to the assessment rollups (names are `type:metric`). */
export type Metrics = Record<string, number>;

/** Where an event counts: the case's village (or deepest place), the unit, the top-level category. */
export interface Attribution {
  locId: string;
  locPath: string;
  unitId: string;
  categoryRoot: string;
}

/** The China calendar day (UTC+8) of an instant, as YYYY-MM-DD. */
export function chinaDay(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** Attribution of a case at the moment of an event. */
export function attributionOf(
  c: Pick<CaseRow, 'path' | 'lead_org_id' | 'category_id'>,
  categoryRoot: string,
  unitId?: string,
): Attribution {
  // The location path down to the village (grids are too fine for assessment).
  const parts = c.path.split('/').filter(Boolean).slice(0, 3);
  return {
    locId: parts.at(-1) ?? '',
    locPath: `/${parts.join('/')}/`,
    unitId: unitId ?? c.lead_org_id ?? '',
    categoryRoot,
  };
}

/**
 * Adds an event's metrics to the rollups in the caller's transaction. The same deltas are stored on
 * the event (`payload.m`, `payload.attr`), so the rollups can always be recomputed from the log.
 */
export async function addRollups(
  trx: Kysely<DB>,
  countyCode: string,
  at: Date,
  attr: Attribution,
  metrics: Metrics,
): Promise<void> {
  await addRollupBatch(trx, countyCode, [{ day: chinaDay(at), attr, metrics }]);
}

/** The month (its first day, YYYY-MM-01) of a China calendar day. */
export function monthOf(day: string): string {
  return `${day.slice(0, 7)}-01`;
}

/** The year (its first day, YYYY-01-01) of a China calendar day. */
export function yearOf(day: string): string {
  return `${day.slice(0, 4)}-01-01`;
}

/**
 * A location path cut down to the township: `/county/township/village/` → `/county/township/`;
 * shorter paths stay as they are. The same rule as the migration's backfill (`split_part`).
 */
export function townshipPath(locPath: string): string {
  const p = locPath.split('/');
  return p[2] ? `/${p[1]}/${p[2]}/` : locPath;
}

/** A location path cut down to the county: `/county/township/village/` → `/county/`. */
export function countyPath(locPath: string): string {
  const p = locPath.split('/');
  return p[1] ? `/${p[1]}/` : locPath;
}

/**
 * The coarse rollups (`assessment_rollups_coarse`) hold the same deltas as the day rollups without
 * village and category, summed by `span` — the year, the month or the day (`day` is the span's
 * first day) — and by `grain`, so that each read of the assessment finds the rows it groups by
 * without summing the others:
 * - `township`: township path × metric (`unit_id` ''), for territories and township rankings;
 * - `unit`: county path × unit × metric, for a department and the county's department ranking;
 * - `township_unit` (years and months only): township path × unit × metric, for one township's
 *   departments and one department's townships.
 */
export type CoarseGrain = 'township' | 'unit' | 'township_unit';
export type Span = 'year' | 'month' | 'day';

interface CoarseRow {
  county_code: string;
  span: Span;
  grain: CoarseGrain;
  day: string;
  loc_path: string;
  unit_id: string;
  metric: string;
  value: number;
}

/**
 * Several days' deltas in one upsert (an event's own day and, for a closing, its cohort's day; or
 * the events of a batch of intakes). Deltas of the same row are summed first.
 *
 * The same statement adds the deltas to the coarse rollups (see `CoarseGrain`), which the
 * assessment reads for whole years and months and for the days of partial ones: those rows go in
 * through a
 * data-modifying WITH that the statement does not read, which PostgreSQL runs to completion after
 * the statement's own (day) rows. So every upsert locks its day rows first and its coarse rows (the
 * busier ones, shared by a township's or a unit's whole day, month or year) last, each set in a fixed
 * order — no deadlock between two such upserts, and the busiest rows are held the shortest time
 * (until the COMMIT that follows).
 */
export async function addRollupBatch(
  trx: Kysely<DB>,
  countyCode: string,
  items: readonly { day: string; attr: Attribution; metrics: Metrics }[],
): Promise<void> {
  // One row per key, summed (several events of a batch may share a village, unit, category, day
  // and metric; one statement cannot update a row twice), and a fixed order of rows, which keeps
  // concurrent upserts from deadlocking on each other.
  const byKey = new Map<string, Insertable<AssessmentRollupsTable>>();
  for (const { day, attr, metrics } of items)
    for (const [metric, value] of Object.entries(metrics)) {
      if (value === 0) continue;
      const key = `${day}|${metric}|${attr.locId}|${attr.unitId}|${attr.categoryRoot}`;
      const row = byKey.get(key);
      if (row) row.value += value;
      else
        byKey.set(key, {
          county_code: countyCode,
          day,
          loc_id: attr.locId,
          loc_path: attr.locPath,
          unit_id: attr.unitId,
          category_root: attr.categoryRoot,
          metric,
          value,
        });
    }
  const rows = [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => r)
    .filter((r) => r.value !== 0);
  if (rows.length === 0) return;
  // Two days of one month or year (an event and its cohort) share rows there: one row each, summed.
  const coarse = new Map<string, CoarseRow>();
  const add = (
    span: Span,
    grain: CoarseGrain,
    day: string,
    loc_path: string,
    unit_id: string,
    r: { metric: string; value: number },
  ) => {
    const key = `${span}|${grain}|${day}|${loc_path}|${unit_id}|${r.metric}`;
    const c = coarse.get(key);
    if (c) c.value += r.value;
    else
      coarse.set(key, {
        county_code: countyCode,
        span,
        grain,
        day,
        loc_path,
        unit_id,
        metric: r.metric,
        value: r.value,
      });
  };
  for (const r of rows) {
    const township = townshipPath(r.loc_path);
    const county = countyPath(r.loc_path);
    add('day', 'township', r.day, township, '', r);
    add('day', 'unit', r.day, county, r.unit_id, r);
    for (const [span, start] of [
      ['month', monthOf(r.day)],
      ['year', yearOf(r.day)],
    ] as const) {
      add(span, 'township', start, township, '', r);
      add(span, 'unit', start, county, r.unit_id, r);
      add(span, 'township_unit', start, township, r.unit_id, r);
    }
  }
  const coarseRows = [...coarse.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
  await trx
    .with('coarse', (db) =>
      db
        .insertInto('assessment_rollups_coarse')
        .values(coarseRows)
        .onConflict((oc) =>
          oc
            .columns(['county_code', 'span', 'grain', 'day', 'loc_path', 'unit_id', 'metric'])
            .doUpdateSet({ value: sql`assessment_rollups_coarse.value + excluded.value` }),
        ),
    )
    .insertInto('assessment_rollups')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['county_code', 'day', 'loc_id', 'unit_id', 'category_root', 'metric'])
        .doUpdateSet({ value: sql`assessment_rollups.value + excluded.value` }),
    )
    .execute();
}

/**
 * Rebuilds a county's coarse rollups from its day rollups (the migration's backfill, for code that
 * writes day rows in bulk — the benchmark data generator). Run it in the transaction that wrote them.
 */
export async function rebuildCoarseRollups(trx: Kysely<DB>, countyCode: string): Promise<void> {
  await trx.deleteFrom('assessment_rollups_coarse').where('county_code', '=', countyCode).execute();
  for (const statement of COARSE_BACKFILL) {
    await sql`${sql.raw(statement)} and county_code = ${countyCode} group by 1, 2, 3, 4, 5, 6, 7`.execute(
      trx,
    );
  }
}

/**
 * The backfill of the coarse rollups, one statement per span and grain, each followed by its county
 * filter and grouping (the migration spells out the same statements). The paths are cut as
 * `townshipPath` and `countyPath` do; months are summed from days, years from months.
 */
const TOWNSHIP_PATH = `case when split_part(loc_path, '/', 3) = '' then loc_path
    else '/' || split_part(loc_path, '/', 2) || '/' || split_part(loc_path, '/', 3) || '/' end`;
const COUNTY_PATH = `case when split_part(loc_path, '/', 2) = '' then loc_path
    else '/' || split_part(loc_path, '/', 2) || '/' end`;
const INSERT = `insert into assessment_rollups_coarse (county_code, span, grain, day, loc_path, unit_id, metric, value)`;
const COARSE_BACKFILL = [
  `${INSERT} select county_code, 'day', 'township', day, ${TOWNSHIP_PATH}, '', metric, sum(value)
    from assessment_rollups where true`,
  `${INSERT} select county_code, 'day', 'unit', day, ${COUNTY_PATH}, unit_id, metric, sum(value)
    from assessment_rollups where true`,
  `${INSERT} select county_code, 'month', 'township_unit', date_trunc('month', day)::date, ${TOWNSHIP_PATH},
    unit_id, metric, sum(value) from assessment_rollups where true`,
  ...(['township', 'unit'] as const).map(
    (
      grain,
    ) => `${INSERT} select county_code, 'month', grain, date_trunc('month', day)::date, loc_path, unit_id,
    metric, sum(value) from assessment_rollups_coarse where span = 'day' and grain = '${grain}'`,
  ),
  ...(['township', 'unit', 'township_unit'] as const).map(
    (grain) => `${INSERT} select county_code, 'year', grain, date_trunc('year', day)::date, loc_path, unit_id,
    metric, sum(value) from assessment_rollups_coarse where span = 'month' and grain = '${grain}'`,
  ),
];
