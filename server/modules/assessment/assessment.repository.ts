import { type Kysely, type RawBuilder, sql } from 'kysely';
import { inScope, type Scope } from '../../authz/scope.ts';
import type { DB } from '../../db/schema.ts';
import type { CoarseGrain } from '../../engine/rollups.ts';

/**
 * Reads of the assessment rollups, kept by the case engine in the same statement as each event
 * (`addRollupBatch`): the day rows (`assessment_rollups`: day × village × unit × category × metric)
 * and the coarse rows (`assessment_rollups_coarse`: by year, month or day, summed by township, by
 * unit or — years and months only — by both; see `CoarseGrain`). Every figure comes from the
 * rollups, never from the event log.
 *
 * A period is answered from its whole years and months and only the days of its partial months
 * (`planPeriod`), all in the coarse grain the read groups by, so a year reads a few hundred rows
 * whatever the number of cases. A partial year or month may also be read as the whole of it minus
 * what lies outside the period, when that is less — what lies after today costs nothing, so "this
 * year so far" is one year's rows. The village day rows are read only for a territory below the
 * township (a village), and for the days of the township × unit reads (one township's departments,
 * one department's townships).
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

/** What the reads may use beyond the period. */
export interface ReadOptions {
  /** Today (China day): later days cost nothing to subtract (see `planPeriod`). */
  today?: string | undefined;
  /**
   * Grouped by unit: only units of this kind (org_units.kind) — a caller that keeps only, say, the
   * departments among the groups gets the same answer from fewer rows.
   */
  unitKind?: 'department' | undefined;
}

/**
 * One part of a period's sum: whole years or months of the coarse rows (`from`/`to` are the first
 * days of the first and last one) or days, added (+1) or subtracted (−1).
 */
export interface Term {
  source: 'years' | 'months' | 'days';
  from: string;
  to: string;
  sign: 1 | -1;
}

type Level = 'years' | 'months' | 'days';
const FINER = { years: 'months', months: 'days' } as const;

const DAY_MS = 86_400_000;

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** First day of the year or month of a day. */
function bucketStart(level: 'years' | 'months', day: string): string {
  return level === 'years' ? `${day.slice(0, 4)}-01-01` : `${day.slice(0, 7)}-01`;
}

/** Last day of the year or month of a day. */
function bucketEnd(level: 'years' | 'months', day: string): string {
  if (level === 'years') return `${day.slice(0, 4)}-12-31`;
  const d = new Date(Date.parse(`${day.slice(0, 7)}-01T00:00:00Z`));
  d.setUTCMonth(d.getUTCMonth() + 1);
  return addDays(d.toISOString().slice(0, 10), -1);
}

/** Days from `a` to `b` inclusive (0 when b < a). */
function daysIn(a: string, b: string): number {
  return b < a ? 0 : Math.round((Date.parse(b) - Date.parse(a)) / DAY_MS) + 1;
}

interface Plan {
  terms: Term[];
  /** Rows read, roughly: one per day, one per year or month (they hold about as many rows). */
  cost: number;
}

const NOTHING: Plan = { terms: [], cost: 0 };
const join = (...plans: Plan[]): Plan => ({
  terms: plans.flatMap((p) => p.terms),
  cost: plans.reduce((c, p) => c + p.cost, 0),
});
const negate = (p: Plan): Plan => ({
  terms: p.terms.map((t) => ({ ...t, sign: t.sign === 1 ? -1 : 1 })),
  cost: p.cost,
});

/**
 * How a period is read: its whole years and months, and the days of the partial ones — each partial
 * year or month at an end either as what of it lies in the period, or as the whole of it minus what
 * lies outside, whichever reads less (recursively: a partial year is months and days). Days and
 * months after `today` are counted as free (nothing happened yet), but are still subtracted: the
 * answer never depends on the guess, only its cost does. So "this year so far" is one year minus
 * the rest of it, "this month so far" one month, and 3 years a few years and months.
 */
export function planPeriod(period: Period, today?: string): Term[] {
  const future = (day: string) => today !== undefined && day > today;
  const cover = (a: string, b: string, level: Level): Plan => {
    if (a > b) return NOTHING;
    if (level === 'days') {
      return {
        terms: [{ source: 'days', from: a, to: b, sign: 1 }],
        cost: daysIn(a, today && today < b ? today : b),
      };
    }
    const whole = (from: string, to: string): Plan => {
      let cost = 0;
      for (let d = from; d <= to; d = addDays(bucketEnd(level, d), 1)) if (!future(d)) cost++;
      return { terms: [{ source: level, from, to, sign: 1 }], cost };
    };
    const finer = FINER[level];
    const first = bucketStart(level, a);
    const last = bucketStart(level, b);
    if (first === last) {
      const end = bucketEnd(level, a);
      if (a === first && b === end) return whole(first, first);
      const inside = cover(a, b, finer);
      const outside = join(
        whole(first, first),
        negate(cover(first, addDays(a, -1), finer)),
        negate(cover(addDays(b, 1), end, finer)),
      );
      return outside.cost < inside.cost ? outside : inside;
    }
    // Several years or months: the partial ones at the ends on their own, the whole ones between.
    const head = a === first ? NOTHING : cover(a, bucketEnd(level, a), level);
    const tail = b === bucketEnd(level, b) ? NOTHING : cover(last, b, level);
    const from = a === first ? first : addDays(bucketEnd(level, a), 1);
    const to = b === bucketEnd(level, b) ? last : bucketStart(level, addDays(last, -1));
    return join(from <= to ? whole(from, to) : NOTHING, head, tail);
  };
  return cover(period.from, period.to, 'years').terms;
}

/**
 * The coarse grain that answers a read, or null when only the village day rows can: a territory
 * deeper than a township (the coarse rows keep the path only down to the township).
 */
function coarseGrain(slice: Slice, by: GroupBy | undefined): CoarseGrain | null {
  if (slice.kind === 'unit') return by === 'township' ? 'township_unit' : 'unit';
  const depth = /^\/[^/]+\/$/.test(slice.pathPrefix)
    ? 1
    : /^\/[^/]+\/[^/]+\/$/.test(slice.pathPrefix)
      ? 2
      : 0;
  if (depth === 0) return null;
  // The unit grain keeps the path down to the county: it serves a county-wide territory only.
  if (by === 'unit') return depth === 1 ? 'unit' : 'township_unit';
  return 'township';
}

const SPAN_OF = { years: 'year', months: 'month', days: 'day' } as const;

/**
 * The rows of a period's terms for a slice and type: `group_id` (or '' ungrouped), `metric`, signed
 * `v`. The coarse terms are read in ONE scan (their ranges OR-ed, each row weighted by the signs of
 * the terms holding it), so the plan stays one small index scan — a UNION of one scan per term made
 * PostgreSQL plan a parallel append, whose workers cost more to start than the reads; the village
 * day rows, when some terms need them, in a second scan.
 */
function rowsOf(
  db: Kysely<DB>,
  terms: Term[],
  grain: CoarseGrain | null,
  slice: Slice,
  type: MetricType,
  by: GroupBy | undefined,
  opts: ReadOptions,
) {
  const key =
    by === 'township'
      ? sql<string>`split_part(r.loc_path, '/', 3)`
      : by === 'unit'
        ? sql<string>`r.unit_id`
        : sql<string>`''`;
  // The type is a closed list ('appeal' | 'event'), so the pattern holds no LIKE metacharacters.
  const metricLike = `${type}:%`;
  // `= any(array(…))`: the units are read once, and the unit index then finds each one's rows.
  const ofKind = (kind: 'department') =>
    sql<boolean>`r.unit_id = any(array(select id from org_units where county_code = ${slice.countyCode} and kind = ${kind}))`;
  // Whole years and months in their grain; days in the township or unit grain; else the village
  // day rows.
  const coarse = terms.filter(
    (t) => grain && (t.source !== 'days' || grain === 'township' || grain === 'unit'),
  );
  const fine = terms.filter((t) => !coarse.includes(t));
  // A row counts once for every term whose range holds it, with the term's sign (a plan may in
  // principle name a range twice; the sum stays exact).
  const signed = (ts: Term[], inRange: (t: Term) => RawBuilder<boolean>) =>
    ts.length === 1 && ts[0]!.sign === 1
      ? sql<number>`r.value`
      : sql<number>`r.value * (${sql.join(
          ts.map((t) => sql`case when ${inRange(t)} then ${sql.lit(t.sign)} else 0 end`),
          sql` + `,
        )})`;
  const parts = [];
  if (coarse.length && grain) {
    const inRange = (t: Term) =>
      sql<boolean>`(r.span = ${SPAN_OF[t.source]} and r.day between ${t.from} and ${t.to})`;
    let q = db
      .selectFrom('assessment_rollups_coarse as r')
      .select([key.as('group_id'), 'r.metric', signed(coarse, inRange).as('v')])
      .where('r.county_code', '=', slice.countyCode)
      .where('r.grain', '=', grain)
      .where(sql<boolean>`(${sql.join(coarse.map(inRange), sql` or `)})`)
      .where('r.metric', 'like', metricLike);
    // Paths hold only digits, capital letters and '/', so the prefix needs no escaping.
    if (slice.kind === 'territory') q = q.where('r.loc_path', 'like', `${slice.pathPrefix}%`);
    else q = q.where('r.unit_id', '=', slice.unitId);
    if (by === 'unit' && opts.unitKind) q = q.where(ofKind(opts.unitKind));
    parts.push(q);
  }
  if (fine.length) {
    const inRange = (t: Term) => sql<boolean>`(r.day between ${t.from} and ${t.to})`;
    let q = db
      .selectFrom('assessment_rollups as r')
      .select([key.as('group_id'), 'r.metric', signed(fine, inRange).as('v')])
      .where('r.county_code', '=', slice.countyCode)
      .where(sql<boolean>`(${sql.join(fine.map(inRange), sql` or `)})`)
      .where('r.metric', 'like', metricLike);
    if (slice.kind === 'territory') q = q.where('r.loc_path', 'like', `${slice.pathPrefix}%`);
    else q = q.where('r.unit_id', '=', slice.unitId);
    if (by === 'unit' && opts.unitKind) q = q.where(ofKind(opts.unitKind));
    parts.push(q);
  }
  return parts;
}

/** Sums per (group, metric) over the period, from the terms of its plan. */
async function sums(
  db: Kysely<DB>,
  slice: Slice,
  period: Period,
  type: MetricType,
  by: GroupBy | undefined,
  opts: ReadOptions,
): Promise<{ group_id: string; metric: string; total: number }[]> {
  const grain = coarseGrain(slice, by);
  const terms: Term[] = grain
    ? planPeriod(period, opts.today)
    : [{ source: 'days', from: period.from, to: period.to, sign: 1 }];
  const [first, ...rest] = rowsOf(db, terms, grain, slice, type, by, opts);
  let all = first!;
  for (const q of rest) all = all.unionAll(q);
  let q = db
    .selectFrom(all.as('x'))
    .select(['x.group_id', 'x.metric', sql<number>`sum(x.v)`.as('total')])
    .groupBy(['x.group_id', 'x.metric']);
  // With subtracted days a (group, metric) that had nothing in the period sums to 0: leave it out,
  // as the day rows alone would (every metric delta is positive, so rows present ⇔ sum > 0).
  if (terms.some((t) => t.sign === -1)) q = q.having(sql`sum(x.v)`, '<>', 0);
  return q.execute();
}

const stripType = (metric: string) => metric.slice(metric.indexOf(':') + 1);

/** Sums of every metric of a type over the period, for a territory or a unit. */
export async function sumMetrics(
  db: Kysely<DB>,
  slice: Slice,
  period: Period,
  type: MetricType,
  opts: ReadOptions = {},
): Promise<MetricSums> {
  const rows = await sums(db, slice, period, type, undefined, opts);
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
  opts: ReadOptions = {},
): Promise<Map<string, MetricSums>> {
  const rows = await sums(db, slice, period, type, by, opts);
  const out = new Map<string, MetricSums>();
  for (const r of rows) {
    if (!r.group_id) continue;
    let group = out.get(r.group_id);
    if (!group) {
      group = new Map();
      out.set(r.group_id, group);
    }
    group.set(stripType(r.metric), Number(r.total));
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
