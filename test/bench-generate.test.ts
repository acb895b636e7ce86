import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffActor } from '../bench/lib/datasets.ts';
import {
  GENERATOR_VERSION,
  type GenerateReport,
  generateBenchData,
  recountSql,
} from '../bench/lib/generate.ts';
import { summary } from '../server/modules/assessment/assessment.service.ts';
import { coarseRows, recountCoarse } from './coarse-recount.ts';
import { createTestEnv, type TestEnv } from './context.ts';

// A small template (played through the engine) cloned to a few hundred cases.
const OPTS = {
  cases: 240,
  templateCases: 24,
  templateDays: 40,
  endAt: new Date('2026-06-24T04:00:00Z'),
};

let env: TestEnv;
let report: GenerateReport;

beforeAll(async () => {
  env = await createTestEnv();
  report = await generateBenchData(env.ctx, OPTS);
}, 300_000);
afterAll(() => env?.close());

describe('benchmark data generator', () => {
  it('generates the requested number of cases from the template', () => {
    expect(GENERATOR_VERSION).toBeGreaterThan(0);
    expect(report.reused).toBe(false);
    expect(report.templateCases).toBe(24);
    expect(report.cases).toBeGreaterThanOrEqual(240);
    expect(report.cases).toBeLessThan(240 + 24);
    expect(report.clones).toBeGreaterThan(5);
  });

  it('has rollups equal, row for row, to a recount from the events', async () => {
    const db = env.ctx.database.db;
    const key = (r: Record<string, unknown>) =>
      `${r.day}|${r.loc_id}|${r.unit_id}|${r.category_root}|${r.metric}|${Number(r.value)}`;
    const recount = (await recountSql(env.ctx.config.countyCode).execute(db)).rows.map(key).sort();
    const rollups = (
      await sql<Record<string, unknown>>`
        select to_char(day, 'YYYY-MM-DD') as day, loc_id, unit_id, category_root, metric, value
        from assessment_rollups where value <> 0`.execute(db)
    ).rows
      .map(key)
      .sort();
    expect(rollups.length).toBeGreaterThan(100);
    expect(rollups).toEqual(recount);
  });

  it('has coarse rollups equal to the same recount by year, month or day and township, unit or both', async () => {
    const db = env.ctx.database.db;
    const recount = await recountCoarse(
      db,
      sql`select r.day, r.unit_id, r.metric, r.value, a.loc_path
        from (${recountSql(env.ctx.config.countyCode)}) r
        join (select distinct e.payload->'attr'->>'locId' as loc_id, e.payload->'attr'->>'locPath' as loc_path
          from case_events e) a on a.loc_id = r.loc_id`,
    );
    const coarse = await coarseRows(db);
    expect(coarse.length).toBeGreaterThan(100);
    expect(coarse).toEqual(recount);
  });

  it('gives every case a coherent event history', async () => {
    const db = env.ctx.database.db;
    // Sequence numbers 1..n, each event starting where the previous ended, the last one at the case's state.
    const gaps = await sql<{ n: number }>`
      select count(*)::int as n from (select case_id, min(seq) as lo, max(seq) as hi, count(*) as n
        from case_events group by case_id) x where lo <> 1 or hi <> n`.execute(db);
    const breaks = await sql<{ n: number }>`
      select count(*)::int as n from (select from_state, lag(to_state) over (partition by case_id order by seq) as prev, seq
        from case_events) x where seq > 1 and from_state <> prev`.execute(db);
    const ends = await sql<{ n: number }>`
      select count(*)::int as n from cases c join lateral (select to_state from case_events e
        where e.case_id = c.id order by seq desc limit 1) last on true where last.to_state <> c.state`.execute(
      db,
    );
    const receives = await sql<{ n: number }>`
      select count(*)::int as n from cases c where not exists (select 1 from case_events e
        where e.case_id = c.id and e.seq = 1 and e.action = 'receive' and e.at = c.received_at)`.execute(db);
    const open = await sql<{ n: number }>`
      select count(*)::int as n from cases where state not in ('closed', 'voided', 'merged')`.execute(db);
    const years = await sql<{ n: number }>`
      select count(distinct extract(year from received_at))::int as n from cases`.execute(db);
    expect({
      gaps: gaps.rows[0]!.n,
      breaks: breaks.rows[0]!.n,
      ends: ends.rows[0]!.n,
      receives: receives.rows[0]!.n,
    }).toEqual({ gaps: 0, breaks: 0, ends: 0, receives: 0 });
    expect(open.rows[0]!.n).toBeGreaterThan(0);
    expect(years.rows[0]!.n).toBeGreaterThanOrEqual(3);
  });

  it('gives every clone the units of its case_units (copied, since the clone skips triggers)', async () => {
    const r = await sql<{ drift: number; sent: number }>`
      select count(*) filter (where c.unit_ids is distinct from coalesce((select array_agg(distinct cu.org_id
        order by cu.org_id) from case_units cu where cu.case_id = c.id), '{}'))::int as drift,
        count(*) filter (where cardinality(c.unit_ids) > 0)::int as sent
      from cases c`.execute(env.ctx.database.db);
    expect(r.rows[0]!.drift).toBe(0);
    expect(r.rows[0]!.sent).toBeGreaterThan(100);
  });

  it('serves dashboard figures equal to a naive count of the cases and events', async () => {
    const db = env.ctx.database.db;
    const leader = await staffActor(env.ctx, { username: 'leader' });
    const s = await summary(env.ctx, leader, { from: '2025-07-01', to: '2026-06-24' });
    const received = await sql<{ n: number }>`
      select count(*)::int as n from cases where type = 'appeal'
        and (received_at at time zone 'Asia/Shanghai')::date between '2025-07-01' and '2026-06-24'`.execute(
      db,
    );
    const closedCohort = await sql<{ n: number }>`
      select count(*)::int as n from case_events e join cases c on c.id = e.case_id
      where c.type = 'appeal' and e.action in ('close', 'solve_on_spot', 'auto_close', 'verify')
        and e.to_state = 'closed' and e.from_state <> 'closed'
        and (c.received_at at time zone 'Asia/Shanghai')::date between '2025-07-01' and '2026-06-24'`.execute(
      db,
    );
    const rated = await sql<{ n: number }>`
      select count(*)::int as n from case_events e join cases c on c.id = e.case_id
      where c.type = 'appeal' and e.action in ('revisit', 'rate')
        and (e.at at time zone 'Asia/Shanghai')::date between '2025-07-01' and '2026-06-24'`.execute(db);
    expect(s.counts.received).toBeGreaterThan(0);
    expect(s.counts.received).toBe(received.rows[0]!.n);
    expect(s.counts.rated).toBe(rated.rows[0]!.n);
    // Closure counts the closings of the cases received in the period, on their receive day.
    expect(s.counts.closedCohort).toBe(closedCohort.rows[0]!.n);
  });

  it('reuses data of the same size and version', async () => {
    const again = await generateBenchData(env.ctx, OPTS);
    expect(again.reused).toBe(true);
    expect(again.cases).toBe(report.cases);
  });
});
