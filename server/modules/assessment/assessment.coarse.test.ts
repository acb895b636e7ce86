import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coarseRows, recountCoarse } from '../../../test/coarse-recount.ts';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { COUNTY, ensureCounty } from '../../../test/factories.ts';
import { addRollupBatch, type Metrics, rebuildCoarseRollups } from '../../engine/rollups.ts';
import { upsertOrgs } from '../orgs/orgs.loader.ts';
import {
  type GroupBy,
  type MetricType,
  type Period,
  planPeriod,
  type Slice,
  sumMetrics,
  sumMetricsBy,
} from './assessment.repository.ts';

/*
 * The coarse rollups are a second cache of the day rollups. Random deltas over 18 months go in
 * through the engine's upsert; then (1) the coarse table equals the day table summed by year, month
 * or day and township, unit or both (its spans and grains), the same as `rebuildCoarseRollups` (the
 * migration's backfill) makes it, and (2) every read — random periods, "today"s, slices and
 * groupings — answers exactly what the day rows alone answer (the reads before the coarse table).
 */

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(20261130);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const DAY_MS = 86_400_000;
const START = Date.parse('2024-11-01T00:00:00Z');
const SPAN = 548; // 2024-11-01 … 2026-05-02
const dayAt = (i: number) => new Date(START + i * DAY_MS).toISOString().slice(0, 10);

const T1 = `${COUNTY}901`;
const T2 = `${COUNTY}902`;
const PLACES = [
  { locId: `${T1}001`, locPath: `/${COUNTY}/${T1}/${T1}001/` },
  { locId: `${T1}002`, locPath: `/${COUNTY}/${T1}/${T1}002/` },
  { locId: `${T2}001`, locPath: `/${COUNTY}/${T2}/${T2}001/` },
  { locId: T2, locPath: `/${COUNTY}/${T2}/` }, // a case located at the township itself
  { locId: COUNTY, locPath: `/${COUNTY}/` }, // the county's own
];
const UNITS = [`${T1}001`, `${T2}001`, `${COUNTY}D901`, `${COUNTY}D902`, ''];
const METRICS = [
  'appeal:received',
  'appeal:closed',
  'appeal:rated',
  'appeal:overdue_reply',
  'event:received',
];

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
  await ensureCounty(env.ctx);
  const db = env.ctx.database.db;
  // The places and units as org units: the department ranking keeps only the departments.
  await upsertOrgs(
    db,
    COUNTY,
    [
      { id: T1, parentId: COUNTY, kind: 'township', subtype: 'town', name: '一镇', sort: 0 },
      { id: T2, parentId: COUNTY, kind: 'township', subtype: 'town', name: '二镇', sort: 0 },
      ...[`${T1}001`, `${T1}002`, `${T2}001`].map((id) => ({
        id,
        parentId: id.slice(0, -3),
        kind: 'village' as const,
        subtype: 'village',
        name: `村${id}`,
        sort: 0,
      })),
      ...[`${COUNTY}D901`, `${COUNTY}D902`].map((id) => ({
        id,
        parentId: COUNTY,
        kind: 'department' as const,
        subtype: 'test',
        name: `局${id}`,
        sort: 0,
      })),
    ],
    new Date(),
  );
  for (let i = 0; i < 260; i++) {
    const place = pick(PLACES);
    const attr = { ...place, unitId: pick(UNITS), categoryRoot: pick(['C01', 'C02']) };
    const day = dayAt(Math.floor(rand() * SPAN));
    const metrics: Metrics = {};
    for (const m of METRICS) if (rand() < 0.4) metrics[m] = 1 + Math.floor(rand() * 5);
    // A closing also counts on its case's receive day (the cohort): often the same month.
    const cohortDay = dayAt(
      Math.max(0, Math.floor((Date.parse(day) - START) / DAY_MS) - Math.floor(rand() * 40)),
    );
    await addRollupBatch(db, COUNTY, [
      { day, attr, metrics },
      ...(rand() < 0.3 && cohortDay !== day
        ? [{ day: cohortDay, attr, metrics: { 'appeal:closed_cohort': 1 } }]
        : []),
    ]);
  }
}, 120_000);
afterAll(() => env?.close());

/** What the day rows alone say: the reads as they were before the monthly table. */
async function fromDays(
  slice: Slice,
  period: Period,
  type: MetricType,
  by: GroupBy | undefined,
  departmentsOnly: boolean,
) {
  const key = by === 'township' ? sql`split_part(loc_path, '/', 3)` : by === 'unit' ? sql`unit_id` : sql`''`;
  const where =
    slice.kind === 'territory'
      ? sql`loc_path like ${`${slice.pathPrefix}%`}`
      : sql`unit_id = ${slice.unitId}`;
  const r = await sql<{ g: string; metric: string; total: number }>`
    select ${key} as g, metric, sum(value)::bigint as total from assessment_rollups
    where county_code = ${COUNTY} and day between ${period.from}::date and ${period.to}::date
      and metric like ${`${type}:%`} and ${where}
      and (${!departmentsOnly} or unit_id in (select id from org_units where kind = 'department'))
    group by 1, 2`.execute(env.ctx.database.db);
  return r.rows
    .filter((x) => by === undefined || x.g !== '')
    .map((x) => `${x.g}|${x.metric.slice(x.metric.indexOf(':') + 1)}|${Number(x.total)}`)
    .sort();
}

describe('coarse rollups', () => {
  it('equal the day rollups summed by year, month or day and township, unit or both', async () => {
    const db = env.ctx.database.db;
    const expected = await recountCoarse(
      db,
      sql`select to_char(day, 'YYYY-MM-DD') as day, unit_id, metric, value, loc_path from assessment_rollups`,
    );
    const actual = await coarseRows(db);
    expect(expected.length).toBeGreaterThan(1000);
    expect(actual).toEqual(expected);
  });

  it('are rebuilt from the day rollups exactly as the engine kept them', async () => {
    const db = env.ctx.database.db;
    const read = async () =>
      (
        await sql<{ k: string }>`
          select concat_ws('|', span, grain, day, loc_path, unit_id, metric, value) as k
          from assessment_rollups_coarse order by 1`.execute(db)
      ).rows.map((r) => r.k);
    const kept = await read();
    await env.ctx.database.transaction((trx) => rebuildCoarseRollups(trx, COUNTY));
    expect(await read()).toEqual(kept);
  });

  it('plan every period as exactly its days: whole years and months, days added or subtracted', () => {
    const wrong: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const a = Math.floor(rand() * SPAN);
      const b = a + Math.floor(rand() * (rand() < 0.5 ? 40 : 500));
      const period = { from: dayAt(a), to: dayAt(b) };
      const today = rand() < 0.3 ? undefined : dayAt(a + Math.floor(rand() * (b - a + 60)));
      const terms = planPeriod(period, today);
      // Every day from a month before to a month after: covered once inside the period, never outside.
      for (let d = a - 31; d <= b + 31; d++) {
        const day = dayAt(d);
        const month = day.slice(0, 7);
        let n = 0;
        for (const t of terms) {
          const inside =
            t.source === 'days'
              ? day >= t.from && day <= t.to
              : t.source === 'months'
                ? month >= t.from.slice(0, 7) && month <= t.to.slice(0, 7)
                : day.slice(0, 4) >= t.from.slice(0, 4) && day.slice(0, 4) <= t.to.slice(0, 4);
          if (inside) n += t.sign;
        }
        if (n !== (day >= period.from && day <= period.to ? 1 : 0))
          wrong.push(`${day} in ${JSON.stringify(period)} today ${today}: ${JSON.stringify(terms)}`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('plans this year and this month so far, ending today, without any day row', () => {
    // Today is 17 November: the year is the year minus what is still to come.
    expect(planPeriod({ from: '2026-01-01', to: '2026-11-17' }, '2026-11-17')).toEqual([
      { source: 'years', from: '2026-01-01', to: '2026-01-01', sign: 1 },
      { source: 'months', from: '2026-12-01', to: '2026-12-01', sign: -1 },
      { source: 'days', from: '2026-11-18', to: '2026-11-30', sign: -1 },
    ]);
    expect(planPeriod({ from: '2026-11-01', to: '2026-11-17' }, '2026-11-17')).toEqual([
      { source: 'months', from: '2026-11-01', to: '2026-11-01', sign: 1 },
      { source: 'days', from: '2026-11-18', to: '2026-11-30', sign: -1 },
    ]);
    // A single day reads that day; a past quarter ending mid-month reads the days of its last month.
    expect(planPeriod({ from: '2026-11-17', to: '2026-11-17' }, '2026-11-17')).toEqual([
      { source: 'days', from: '2026-11-17', to: '2026-11-17', sign: 1 },
    ]);
    expect(planPeriod({ from: '2026-04-01', to: '2026-06-05' }, '2026-11-17')).toEqual([
      { source: 'months', from: '2026-04-01', to: '2026-05-01', sign: 1 },
      { source: 'days', from: '2026-06-01', to: '2026-06-05', sign: 1 },
    ]);
    // Three years ending today: two whole years, a month less two days, a year less a month to come.
    expect(planPeriod({ from: '2023-12-03', to: '2026-11-30' }, '2026-11-30')).toEqual([
      { source: 'years', from: '2024-01-01', to: '2025-01-01', sign: 1 },
      { source: 'months', from: '2023-12-01', to: '2023-12-01', sign: 1 },
      { source: 'days', from: '2023-12-01', to: '2023-12-02', sign: -1 },
      { source: 'years', from: '2026-01-01', to: '2026-01-01', sign: 1 },
      { source: 'months', from: '2026-12-01', to: '2026-12-01', sign: -1 },
    ]);
  });

  it('answer every read exactly as the day rows alone', { timeout: 300_000 }, async () => {
    const db = env.ctx.database.db;
    const slices: Slice[] = [
      { countyCode: COUNTY, kind: 'territory', pathPrefix: `/${COUNTY}/` },
      { countyCode: COUNTY, kind: 'territory', pathPrefix: `/${COUNTY}/${T1}/` },
      { countyCode: COUNTY, kind: 'territory', pathPrefix: `/${COUNTY}/${T2}/` },
      { countyCode: COUNTY, kind: 'territory', pathPrefix: PLACES[0]!.locPath }, // a village: day rows
      { countyCode: COUNTY, kind: 'unit', unitId: `${COUNTY}D901` },
      { countyCode: COUNTY, kind: 'unit', unitId: `${T2}001` },
    ];
    let nonEmpty = 0;
    for (let i = 0; i < 120; i++) {
      const a = Math.floor(rand() * SPAN) - 20;
      const b = a + Math.floor(rand() * (rand() < 0.3 ? 20 : 400));
      const period = { from: dayAt(a), to: dayAt(b) };
      const today = rand() < 0.2 ? undefined : dayAt(b - 10 + Math.floor(rand() * 40));
      const slice = pick(slices);
      const type = pick(['appeal', 'event'] as const);
      const by = pick([undefined, 'township', 'unit'] as const);
      const unitKind = by === 'unit' && rand() < 0.5 ? ('department' as const) : undefined;
      const want = await fromDays(slice, period, type, by, unitKind !== undefined);
      const got =
        by === undefined
          ? [...(await sumMetrics(db, slice, period, type, { today })).entries()].map(
              ([m, v]) => `|${m}|${v}`,
            )
          : [...(await sumMetricsBy(db, slice, period, type, by, { today, unitKind })).entries()].flatMap(
              ([g, sums]) => [...sums.entries()].map(([m, v]) => `${g}|${m}|${v}`),
            );
      expect(got.sort(), `${JSON.stringify({ slice, period, today, type, by, unitKind })}`).toEqual(want);
      if (want.length) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(60);
  });
});
