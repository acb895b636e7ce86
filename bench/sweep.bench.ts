/**
 * Deadline sweep: with about a million open cases, 10,000 deadlines (of 10,000 different cases) are
 * made to fall due within one minute; the real background worker (`startWorker`: warnings, then
 * `sweepOverdue`, then the outbox…, every second) must handle every one within 60 s of its due time,
 * exactly once — checked by counting the `overdue` events per deadline and per case.
 * The clock is the system clock moved to the dataset's own "now" (the end of its generated history),
 * so the rest of the open cases keep their future deadlines; natural deadlines falling due in the
 * same minute are swept as well and counted.
 * Baseline in the same run: the same number of deadline rows set overdue by one plain UPDATE (rolled
 * back), i.e. the database's floor for touching those rows without events, notifications, rollups.
 *
 * `npm run bench -- sweep [--cases=1000000] [--engine=postgres|pglite] [--due=10000] [--window=60]`
 */
import { sql } from 'kysely';
import { startWorker } from '../server/jobs/worker.ts';
import type { Clock } from '../server/lib/clock.ts';
import { type Benchmark, percentile } from './lib/bench.ts';
import { machineNote } from './lib/context.ts';
import { dataset } from './lib/datasets.ts';

const bench: Benchmark = {
  name: 'sweep',
  description:
    '10,000 deadlines falling due within a minute among ~1M open cases, swept by the worker vs one plain UPDATE',
  async run(o) {
    const ds = await dataset(o, 1_000_000, { openOnly: true });
    const { ctx } = ds;
    const db = ctx.database.db;
    const wanted = Number(o.args.due ?? (o.smoke ? 30 : 10_000));
    // Smoke: the same path over a 10 s spread, so CI does not wait a full minute.
    const windowS = Number(o.args.window ?? (o.smoke ? 10 : 60));
    const open = await sql<{ n: number }>`
      select count(*)::int as n from cases where state not in ('closed', 'voided', 'merged')`.execute(db);

    // The dataset's now: after its last event (the history's end, or the previous run of this bench).
    const last = await sql<{ at: Date }>`select max(at) as at from case_events`.execute(db);
    const t0 = new Date(new Date(last.rows[0]!.at).getTime() + 1000);
    const offset = t0.getTime() - Date.now();
    const clock: Clock = { now: () => new Date(Date.now() + offset) };

    // Deadlines far enough ahead that nothing else would touch them; one per case. Not of suspended
    // cases: their clock stands still and the sweep rightly leaves them (server/engine/sweep.ts).
    const pool = await sql<{ id: number; case_id: string }>`
      select d.id, d.case_id from case_deadlines d
      where d.status = 'pending' and d.due_at > ${new Date(t0.getTime() + 3600_000)}
        and not exists (select 1 from cases c where c.id = d.case_id and c.state = 'suspended')
      order by md5(d.id::text) limit ${wanted * 3}`.execute(db);
    const seen = new Set<string>();
    const chosen: number[] = [];
    const spare: number[] = [];
    for (const d of pool.rows) {
      if (seen.has(d.case_id)) continue;
      seen.add(d.case_id);
      (chosen.length < wanted ? chosen : spare).push(Number(d.id));
    }
    if (chosen.length < wanted) throw new Error(`only ${chosen.length} pending deadlines to choose from`);

    // Baseline: one plain UPDATE of as many rows (other deadlines), rolled back.
    const baseRows = spare.length >= wanted ? spare.slice(0, wanted) : chosen;
    const b0 = performance.now();
    await db
      .transaction()
      .execute(async (trx) => {
        await trx
          .updateTable('case_deadlines')
          .set({ status: 'overdue', overdue_at: t0, escalated_at: t0 })
          .where('id', 'in', baseRows)
          .execute();
        throw new RollBack();
      })
      .catch((e) => {
        if (!(e instanceof RollBack)) throw e;
      });
    const baselineMs = performance.now() - b0;

    // Make them fall due over the next `windowS` seconds, starting 5 s from now.
    const start = clock.now().getTime() + 5000;
    const due = new Map<number, number>();
    for (const [i, id] of chosen.entries())
      due.set(id, start + Math.floor((i / chosen.length) * windowS * 1000));
    // What the chosen deadlines were, to put them back afterwards: the dataset is kept between runs,
    // and the next run needs pending deadlines far ahead to choose from again (a smoke dataset has
    // only a few dozen). Their overdue events stay: later runs count only events after their start.
    const original = await sql<{ id: number; status: string; due_at: Date; warn_at: Date | null }>`
      select id, status, due_at, warn_at from case_deadlines where id = any(${chosen}::bigint[])`.execute(db);
    const maxEventBefore = Number(
      (await sql<{ id: number }>`select coalesce(max(id), 0) as id from case_events`.execute(db)).rows[0]!.id,
    );
    for (let i = 0; i < chosen.length; i += 2000) {
      const part = chosen.slice(i, i + 2000);
      await sql`update case_deadlines d set due_at = v.due, warn_at = null
        from (select unnest(${part}::bigint[]) as id, unnest(${part.map((id) => new Date(due.get(id)!))}::timestamptz[]) as due) v
        where d.id = v.id`.execute(db);
    }

    try {
      // The real worker, ticking every second on the dataset's clock.
      const saved = ctx.clock;
      ctx.clock = clock;
      const worker = startWorker(ctx, { intervalMs: 1000 });
      const deadline = start + windowS * 1000 + 120_000;
      let handled = 0;
      try {
        for (;;) {
          await new Promise((r) => setTimeout(r, 1000));
          const r = await sql<{ n: number }>`
          select count(*)::int as n from case_deadlines where id = any(${chosen}::bigint[]) and status = 'overdue'`.execute(
            db,
          );
          handled = r.rows[0]!.n;
          if (handled === chosen.length || clock.now().getTime() > deadline) break;
        }
      } finally {
        await worker.stop();
        ctx.clock = saved;
      }
      const rows = await sql<{ id: number; overdue_at: Date | null; events: number }>`
      select d.id, d.overdue_at,
        (select count(*)::int from case_events e where e.id > ${maxEventBefore} and e.case_id = d.case_id
          and e.action = 'overdue' and (e.payload->>'deadlineId')::bigint = d.id) as events
      from case_deadlines d where d.id = any(${chosen}::bigint[])`.execute(db);
      const lags = rows.rows
        .filter((r) => r.overdue_at)
        .map((r) => (new Date(r.overdue_at!).getTime() - due.get(Number(r.id))!) / 1000);
      const missed = rows.rows.filter((r) => !r.overdue_at).length;
      const twice = rows.rows.filter((r) => r.events > 1).length;
      const noEvent = rows.rows.filter((r) => r.overdue_at && r.events === 0).length;
      const perCase = await sql<{ n: number }>`
      select count(*)::int as n from (
        select e.case_id from case_events e where e.id > ${maxEventBefore} and e.action = 'overdue'
        group by e.case_id having count(*) > 1) x`.execute(db);
      const allOverdue = await sql<{ n: number }>`
      select count(*)::int as n from case_events where id > ${maxEventBefore} and action = 'overdue'`.execute(
        db,
      );
      const lastLag = Math.max(...lags, 0);
      const sweptSeconds =
        (Math.max(...rows.rows.map((r) => (r.overdue_at ? new Date(r.overdue_at).getTime() : 0))) - start) /
        1000;
      if (missed || twice || noEvent)
        throw new Error(`sweep: ${missed} missed, ${twice} handled twice, ${noEvent} without an event`);
      return {
        figures: [
          {
            name: 'deadlines handled',
            value: handled,
            unit: `of ${chosen.length}`,
            better: 'higher',
            target: chosen.length,
          },
          { name: 'max lag after due', value: lastLag, unit: 's', better: 'lower', target: 60 },
          { name: 'median lag after due', value: percentile(lags, 50), unit: 's', better: 'lower' },
          { name: 'p99 lag after due', value: percentile(lags, 99), unit: 's', better: 'lower' },
          {
            name: 'cases with more than one overdue event',
            value: perCase.rows[0]!.n,
            unit: '',
            better: 'lower',
            target: 0,
          },
          { name: 'plain UPDATE of as many rows', value: baselineMs, unit: 'ms' },
        ],
        ratios: [
          {
            name: 'sweep ÷ plain UPDATE',
            value: (sweptSeconds * 1000) / baselineMs,
            meaning: `time from the first due to the last handled (${sweptSeconds.toFixed(1)} s, due spread over ${windowS} s) ÷ one UPDATE of ${baseRows.length} rows`,
            better: 'lower',
          },
        ],
        notes: [
          `${ds.engine} ${ds.where}: ${ds.report.cases} cases, ${open.rows[0]!.n} open${ds.report.reused ? ' (reused)' : ''}`,
          `${chosen.length} chosen deadlines of ${chosen.length} cases, due ${new Date(start).toISOString()} + ${windowS} s (dataset clock); ${allOverdue.rows[0]!.n} overdue events written in all (natural deadlines in the same minute included)`,
          `exactly once: every chosen deadline has one overdue event; no case got two`,
          machineNote(),
        ],
      };
    } finally {
      await sql`update case_deadlines d
        set status = o.status, due_at = o.due_at, warn_at = o.warn_at,
            overdue_at = null, escalated_at = null, warned_at = null
        from jsonb_to_recordset(${JSON.stringify(original.rows)}::jsonb)
          as o(id bigint, status text, due_at timestamptz, warn_at timestamptz)
        where d.id = o.id`.execute(db);
    }
  },
};

class RollBack extends Error {}

export default bench;
