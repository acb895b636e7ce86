/**
 * Assessment dashboard: what the dashboard screen asks for — the county summary (closure, on-time
 * response, satisfaction and the other rates) and the township and department rankings — through
 * the services the routes call (`summary`, `rankings`), for a county leader, over year, month, day
 * and 3-year windows ending on the data's last day, and a 12-month window and a day a year back.
 * Baseline in the same run: the same sums by a naive GROUP BY over the event log (every event's
 * metric deltas, `payload.m`/`payload.mc`), which also checks that the figures agree.
 *
 * `npm run bench -- dashboard [--cases=10000000] [--engine=postgres|pglite] [--iterations=200]`
 * `npm run bench -- dashboard --saturated=1 [--iterations=200]` — the coarse rollups at the most any
 * case volume can make them (see `saturatedContext`), PostgreSQL.
 */
import { sql } from 'kysely';
import type { StaffActor } from '../server/authz/actor.ts';
import type { AppContext } from '../server/context.ts';
import { chinaDay } from '../server/engine/rollups.ts';
import { rankings, summary } from '../server/modules/assessment/assessment.service.ts';
import { seedDemoCounty } from '../server/modules/demo/demo.seed.ts';
import { type Benchmark, type BenchOptions, type BenchResult, type Figure, percentile } from './lib/bench.ts';
import { benchContext, machineNote, openBenchPostgres } from './lib/context.ts';
import { dataset, staffActor } from './lib/datasets.ts';

interface Window {
  name: string;
  from: string;
  to: string;
}

/** One dashboard load: summary and both rankings, as the screen requests them together. */
async function dashboard(ctx: AppContext, actor: StaffActor, w: Window) {
  const [s, t, d] = await Promise.all([
    summary(ctx, actor, { from: w.from, to: w.to }),
    rankings(ctx, actor, { from: w.from, to: w.to, by: 'township' }),
    rankings(ctx, actor, { from: w.from, to: w.to, by: 'department' }),
  ]);
  return { s, t, d };
}

/** The naive way: sum the metric deltas of the events themselves, for the county and per group. */
async function naive(ctx: AppContext, w: Window) {
  const county = ctx.config.countyCode;
  const r = await sql<{ township: string; unit: string; metric: string; total: number }>`
    select split_part(x.loc_path, '/', 3) as township, x.unit_id as unit, x.metric, sum(x.value)::bigint as total
    from (
      select e.payload->'attr'->>'locPath' as loc_path, e.payload->'attr'->>'unitId' as unit_id,
        m.key as metric, m.value::bigint as value
      from case_events e cross join lateral jsonb_each_text(e.payload->'m') m
      where e.county_code = ${county}
        and (e.at at time zone 'Asia/Shanghai')::date between ${w.from}::date and ${w.to}::date
      union all
      select e.payload->'attr'->>'locPath', e.payload->'attr'->>'unitId', m.key, m.value::bigint
      from case_events e cross join lateral jsonb_each_text(e.payload->'mc') m
      where e.county_code = ${county} and e.payload ? 'mc'
        and (e.payload->>'mcDay')::date between ${w.from}::date and ${w.to}::date
    ) x
    where x.metric like 'appeal:%'
    group by grouping sets ((1, 3), (2, 3), (3))`.execute(ctx.database.db);
  return r.rows;
}

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Every metric name the engine can write (`metrics.ts`), for both case types. */
const METRICS = [
  'received',
  'dispatched',
  'answered_directly',
  'signed',
  'signed_on_time',
  'first_contact',
  'response_ok',
  'replied',
  'replied_on_time',
  'closed',
  'closed_cohort',
  'closed_on_time',
  'solved_on_spot',
  'auto_closed',
  'rated',
  'resolved',
  'satisfied',
  'basically_satisfied',
  'unsatisfied',
  'redo',
  'extension',
  'returned',
  'voided',
  'merged',
  'whistles',
  'whistled_departments',
  'whistle_reports',
  'whistle_report_minutes',
  'whistle_reports_late',
  'whistle_ratings',
  'whistle_rating_sum',
  ...['dispatch', 'sign', 'first_contact', 'reply', 'audit', 'revisit', 'report', 'supervision'].map(
    (s) => `overdue_${s}`,
  ),
].flatMap((m) => [`appeal:${m}`, `event:${m}`]);

const SATURATED_DB = 'gz_bench_saturated';
const SATURATED_KEY = 'bench_saturated';
const SATURATED_VERSION = 1;

/**
 * `--saturated=1`: the coarse rollups the dashboard reads, at the most any case volume can make
 * them — every township (and the county's own path) and every department with every metric on
 * every day of four years, months and years summed from those days — on the demo county's org tree
 * in a database of their own (`gz_bench_saturated`, kept). No cases, no events, no village day rows
 * (the county's reads do not touch them); unit rows only for the departments (the department
 * ranking reads only those, through the unit index). This is the 10-million-appeal county's
 * dashboard volume and more: a real county does not see every metric of every township and
 * department every day.
 */
async function saturatedContext(o: BenchOptions): Promise<AppContext> {
  const ctx = await benchContext(await openBenchPostgres(o.databaseUrl, SATURATED_DB));
  const db = ctx.database.db;
  const county = ctx.config.countyCode;
  const marker = await db
    .selectFrom('settings')
    .select('value')
    .where('county_code', '=', county)
    .where('key', '=', SATURATED_KEY)
    .executeTakeFirst();
  const today = chinaDay(new Date());
  if ((marker?.value as { version?: number; today?: string } | undefined)?.today === today) return ctx;
  o.log(`${SATURATED_DB}: synthesising saturated coarse rollups up to ${today}`);
  const saved = process.env.DEMO_CASES;
  process.env.DEMO_CASES = '0';
  try {
    await seedDemoCounty(ctx);
  } finally {
    if (saved === undefined) delete process.env.DEMO_CASES;
    else process.env.DEMO_CASES = saved;
  }
  await ctx.database.transaction(async (trx) => {
    await sql`select setseed(0.2026)`.execute(trx);
    await sql`delete from assessment_rollups_coarse where county_code = ${county}`.execute(trx);
    const days = sql`generate_series(${addDays(today, -4 * 365)}::date, ${today}::date, interval '1 day') d`;
    const metrics = sql`unnest(${sql.val(METRICS)}::text[]) m`;
    // Day rows: townships (and the county's own cases), then departments; values 1..40.
    await sql`
      insert into assessment_rollups_coarse (county_code, span, grain, day, loc_path, unit_id, metric, value)
      select ${county}, 'day', 'township', d::date, p.path, '', m, 1 + floor(random() * 40)::int
      from ${days}, ${metrics},
        (select path from org_units where county_code = ${county} and kind in ('county', 'township')) p`.execute(
      trx,
    );
    await sql`
      insert into assessment_rollups_coarse (county_code, span, grain, day, loc_path, unit_id, metric, value)
      select ${county}, 'day', 'unit', d::date, ${`/${county}/`}, u.id, m, 1 + floor(random() * 40)::int
      from ${days}, ${metrics},
        (select id from org_units where county_code = ${county} and kind = 'department') u`.execute(trx);
    for (const [span, from] of [
      ['month', 'day'],
      ['year', 'month'],
    ] as const) {
      await sql`
        insert into assessment_rollups_coarse (county_code, span, grain, day, loc_path, unit_id, metric, value)
        select county_code, ${span}, grain, date_trunc(${span}, day)::date, loc_path, unit_id, metric, sum(value)
        from assessment_rollups_coarse where county_code = ${county} and span = ${from}
        group by 1, 2, 3, 4, 5, 6, 7`.execute(trx);
    }
    await trx
      .insertInto('settings')
      .values({
        county_code: county,
        key: SATURATED_KEY,
        value: JSON.stringify({ version: SATURATED_VERSION, today }),
        updated_at: new Date(),
      })
      .onConflict((oc) =>
        oc
          .columns(['county_code', 'key'])
          .doUpdateSet({ value: JSON.stringify({ version: SATURATED_VERSION, today }) }),
      )
      .execute();
  });
  await sql`analyze assessment_rollups_coarse`.execute(db);
  return ctx;
}

/** Times the dashboard over the windows: p50 · p95 · p99 per window. */
async function timeWindows(ctx: AppContext, actor: StaffActor, windows: Window[], iterations: number) {
  // Warm-up: plans cached, pages in memory (what a running server has).
  for (const w of windows) await dashboard(ctx, actor, w);
  const byWindow = new Map<string, number[]>();
  for (let i = 0; i < iterations; i++) {
    for (const w of windows) {
      const t0 = performance.now();
      await dashboard(ctx, actor, w);
      const ms = performance.now() - t0;
      byWindow.set(w.name, [...(byWindow.get(w.name) ?? []), ms]);
    }
  }
  const figures: Figure[] = [];
  for (const w of windows) {
    const xs = byWindow.get(w.name)!;
    figures.push(
      { name: `dashboard (${w.name}) p50`, value: percentile(xs, 50), unit: 'ms', better: 'lower' },
      {
        name: `dashboard (${w.name}) p95`,
        value: percentile(xs, 95),
        unit: 'ms',
        better: 'lower',
        target: 50,
      },
      { name: `dashboard (${w.name}) p99`, value: percentile(xs, 99), unit: 'ms', better: 'lower' },
    );
  }
  return { figures, byWindow };
}

/** The dashboard's windows ending `today`, and two a year back with partial months at both ends. */
function windowsEnding(today: string): Window[] {
  // The generated history is densest in the past (clones are shifted back in time), so two
  // windows a year back, with partial months at both ends, show the day rows' share at full density.
  const pastTo = addDays(today, -379);
  return [
    { name: 'year', from: `${today.slice(0, 4)}-01-01`, to: today },
    { name: 'month', from: `${today.slice(0, 7)}-01`, to: today },
    { name: 'day', from: today, to: today },
    { name: '3 years', from: addDays(today, -(3 * 365 - 2)), to: today },
    { name: '12 months a year back', from: addDays(pastTo, -364), to: pastTo },
    { name: 'one day a year back', from: pastTo, to: pastTo },
  ];
}

/** `--saturated=1`: the dashboard over saturated coarse rollups, checked against their day rows. */
async function saturatedRun(o: BenchOptions): Promise<BenchResult> {
  const ctx = await saturatedContext(o);
  try {
    const actor = await staffActor(ctx, { username: 'leader' });
    const today = chinaDay(new Date());
    const windows = windowsEnding(today);
    const iterations = Number(o.args.iterations ?? (o.smoke ? 15 : 200));
    const { figures } = await timeWindows(ctx, actor, windows, iterations);
    // Every window's county and department received counts equal the sums of the day rows.
    const mismatches: string[] = [];
    for (const w of windows) {
      const { s, d } = await dashboard(ctx, actor, w);
      const sums = await sql<{ grain: string; unit_id: string; n: number }>`
        select grain, unit_id, sum(value)::bigint as n from assessment_rollups_coarse
        where span = 'day' and metric = 'appeal:received' and day between ${w.from}::date and ${w.to}::date
        group by grain, unit_id`.execute(ctx.database.db);
      const want = (grain: string, unit: string) =>
        Number(sums.rows.find((r) => r.grain === grain && r.unit_id === unit)?.n ?? 0);
      if (s.counts.received !== want('township', '')) mismatches.push(`${w.name} county received`);
      for (const item of d.items) {
        if (item.counts.received !== want('unit', item.org.id)) mismatches.push(`${w.name} ${item.org.id}`);
      }
    }
    if (mismatches.length)
      throw new Error(`saturated figures differ from their day rows: ${mismatches.join('; ')}`);
    const rows = await sql<{ span: string; grain: string; n: number }>`
      select span, grain, count(*)::int as n from assessment_rollups_coarse group by 1, 2 order by 1 desc, 2`.execute(
      ctx.database.db,
    );
    return {
      figures,
      ratios: [],
      notes: [
        `postgres ${SATURATED_DB}: saturated coarse rollups (every township and department × ${METRICS.length} metrics × every day of 4 years; months and years summed from them): ${rows.rows.map((r) => `${r.span} × ${r.grain} ${r.n}`).join(', ')}`,
        `windows: ${windows.map((w) => `${w.name} ${w.from}…${w.to}`).join('; ')}`,
        'figures agree with the day rows (county and every department received, every window)',
        `${iterations} dashboard loads per window (summary + 2 rankings in parallel)`,
        machineNote(),
      ],
    };
  } finally {
    await ctx.database.close();
  }
}

const bench: Benchmark = {
  name: 'dashboard',
  description:
    'assessment summary + township/department rankings from the rollups vs a naive GROUP BY over the events',
  async run(o) {
    if (o.args.saturated === '1') return saturatedRun(o);
    const ds = await dataset(o, 10_000_000);
    const { ctx } = ds;
    const actor = await staffActor(ctx, { username: 'leader' });
    // The windows end on the last day with data (the template's end), like "today" on a live system.
    const last = await ctx.database.db
      .selectFrom('case_events')
      .select((eb) => eb.fn.max('at').as('at'))
      .executeTakeFirstOrThrow();
    const today = chinaDay(new Date(last.at as unknown as Date));
    const windows = windowsEnding(today);
    const iterations = Number(o.args.iterations ?? (o.smoke ? 15 : 200));
    const { figures, byWindow } = await timeWindows(ctx, actor, windows, iterations);
    const year = byWindow.get('year')!;

    // Baseline: the naive GROUP BY over the event log, same year window, a few times.
    const baselineRuns = Number(o.args['baseline-runs'] ?? (o.smoke ? 3 : 3));
    const naiveMs: number[] = [];
    let rows: Awaited<ReturnType<typeof naive>> = [];
    for (let i = 0; i < baselineRuns; i++) {
      const t0 = performance.now();
      rows = await naive(ctx, windows[0]!);
      naiveMs.push(performance.now() - t0);
      o.log(`naive GROUP BY ${i + 1}/${baselineRuns}: ${naiveMs.at(-1)!.toFixed(0)} ms`);
    }
    figures.push({ name: 'naive GROUP BY (year) median', value: percentile(naiveMs, 50), unit: 'ms' });

    // The two must agree: the county's counts and every township's and department's received
    // count — for the year, and for the 12 months a year back (partial months at both ends).
    const mismatches: string[] = [];
    const agree = async (w: Window, naiveRows: Awaited<ReturnType<typeof naive>>) => {
      const { s, t, d } = await dashboard(ctx, actor, w);
      const county = new Map(
        naiveRows
          .filter((r) => r.township === null && r.unit === null)
          .map((r) => [r.metric, Number(r.total)]),
      );
      const check = (label: string, a: number, b: number) => {
        if (a !== b) mismatches.push(`${w.name} ${label}: rollups ${a} ≠ events ${b}`);
      };
      check('received', s.counts.received, county.get('appeal:received') ?? 0);
      check('closed_cohort', s.counts.closedCohort, county.get('appeal:closed_cohort') ?? 0);
      check('response_ok', s.counts.responseOk, county.get('appeal:response_ok') ?? 0);
      check('rated', s.counts.rated, county.get('appeal:rated') ?? 0);
      check('satisfied', s.counts.satisfied, county.get('appeal:satisfied') ?? 0);
      for (const item of t.items) {
        const n = naiveRows.find((r) => r.township === item.org.id && r.metric === 'appeal:received');
        check(`${item.org.id} received`, item.counts.received, Number(n?.total ?? 0));
      }
      for (const item of d.items) {
        const n = naiveRows.find((r) => r.unit === item.org.id && r.metric === 'appeal:received');
        check(`${item.org.id} received`, item.counts.received, Number(n?.total ?? 0));
      }
      return { s, t, d };
    };
    const { s, t } = await agree(windows[0]!, rows);
    const past = windows[4]!;
    await agree(past, await naive(ctx, past));
    if (mismatches.length)
      throw new Error(`dashboard figures differ from the events: ${mismatches.join('; ')}`);

    const rate = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
    // Rows of the coarse rollups by span and grain (absent before their migration): they grow with
    // months or days, townships, units and metrics, not with cases.
    const coarse = await sql<{ span: string; grain: string; n: number; spans: number }>`
      select span, grain, count(*)::int as n, count(distinct day)::int as spans
      from assessment_rollups_coarse group by span, grain order by span desc, grain`
      .execute(ctx.database.db)
      .then((r) =>
        r.rows.map((x) => `${x.span} × ${x.grain} ${x.n} rows over ${x.spans} ${x.span}s`).join(', '),
      )
      .catch(() => 'none');
    return {
      figures,
      ratios: [
        {
          name: 'naive ÷ dashboard (year, median)',
          value: percentile(naiveMs, 50) / percentile(year, 50),
          meaning: 'naive GROUP BY over the events ÷ summary + rankings from the rollups',
          better: 'higher',
          target: 100,
        },
      ],
      notes: [
        `${ds.engine} ${ds.where}: ${ds.report.cases} cases, ${ds.report.events} events, ${ds.report.rollupRows} rollup rows${ds.report.reused ? ' (reused)' : ''}`,
        `coarse rollups: ${coarse}`,
        `windows: ${windows.map((w) => `${w.name} ${w.from}…${w.to}`).join('; ')}`,
        `year window ${windows[0]!.from}…${windows[0]!.to}: received ${s.counts.received}, closure ${rate(s.rates.closure)}, response ${rate(s.rates.response)}, on time ${rate(s.rates.onTime)}, satisfaction ${rate(s.rates.satisfaction)}; ${t.items.length} townships ranked`,
        `figures agree with the naive recount (county counts, every township's and department's received; year and ${past.name})`,
        `${iterations} dashboard loads per window (summary + 2 rankings in parallel), ${baselineRuns} naive runs`,
        machineNote(),
      ],
    };
  },
};

export default bench;
