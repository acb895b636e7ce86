/**
 * Benchmark data: the demo county with a large history of appeals and grid events, consistent with
 * what the case engine writes.
 *
 * How: a template history is first played THROUGH THE ENGINE (`generateDemoHistory`: real intake,
 * real actions by the people who would take them, the daily deadline sweep) — so every workflow
 * path (closed, answered directly, returned, whistled, extended, overdue, redone, revisited, rated,
 * voided, merged, still open…) comes with the engine's own events, deadlines, case units, whistles
 * and rollups. The template is then cloned inside the database, set-based (`INSERT … SELECT` over
 * `generate_series`, one transaction per batch of clones — bounded memory on both sides whatever
 * the size), each clone shifted back in time by whole weeks of 364-day years so the weekdays stay
 * right and the history spans several years:
 *
 * - clone ids are `md5(template id ':' clone)::uuid`, codes `<template code>-<clone>`;
 * - every timestamp moves by the clone's shift, the event's `payload.mcDay` (the cohort day) too;
 * - only clones with shift 0 carry the template's open cases (so open work exists only where it is
 *   plausible, and no years-old deadline waits for the sweep); shifted clones copy the finished
 *   cases;
 * - the rollups of the clones are the template's per-case metric deltas (`payload.m`/`payload.mc`,
 *   which the engine stores on each event for exactly this) shifted by the same days and multiplied
 *   by how many clones share the shift — equal, row for row, to a recount from the events (tested);
 *   the coarse rollups (by month and day, township and unit) are then summed again from those day
 *   rows (`rebuildCoarseRollups`).
 *
 * Left out of the clones: notifications (an outbox the benchmarks do not read), audit rows, IoT and
 * Open311 records, attachments. Payload fields that name other rows (deadline ids, whistle ids) keep
 * the template's values.
 */
import { sql } from 'kysely';
import type { AppContext } from '../../server/context.ts';
import { rebuildCoarseRollups } from '../../server/engine/rollups.ts';
import { generateDemoHistory } from '../../server/modules/demo/demo.history.ts';
import { seedDemoCounty } from '../../server/modules/demo/demo.seed.ts';

/** Bumped whenever the generated data changes shape: a database of another version is rebuilt. */
export const GENERATOR_VERSION = 1;
const MARKER_KEY = 'bench_data';
const TEMPLATE_KEY = 'bench_template';
/** Share of open cases in a history dataset (a county's backlog). */
const OPEN_SHARE = 0.03;
const YEAR_DAYS = 364;

export interface GenerateOptions {
  /** Total cases wanted (appeals and grid events; the template counts). */
  cases: number;
  /** Cases of the template played through the engine (default 1200: 1000 appeals + 200 events). */
  templateCases?: number;
  /** Days of the template history (default 365; 10 for open-only data). */
  templateDays?: number;
  /** Years of history (default 3). */
  years?: number;
  /** Only open cases (the deadline sweep's dataset): every clone has shift 0 and copies open cases. */
  openOnly?: boolean;
  /** End of the template history (default now). */
  endAt?: Date;
  /** Drop secondary indexes during the copy (default: from 200,000 cases). */
  dropIndexes?: boolean;
  /** Clones per transaction (default: about 50,000 cases each). */
  batchCases?: number;
  log?: (message: string) => void;
}

export interface GenerateReport {
  reused: boolean;
  cases: number;
  events: number;
  deadlines: number;
  rollupRows: number;
  templateCases: number;
  clones: number;
  /** Seconds to play the template through the engine. */
  templateSeconds: number;
  /** Seconds to clone it and add the rollups. */
  cloneSeconds: number;
  /** Rows written by the cloning (cases, events, deadlines, units, whistles, reports) per second. */
  rowsPerSecond: number;
}

interface Marker {
  version: number;
  cases: number;
  openOnly: boolean;
  report: GenerateReport;
}

async function readMarker(ctx: AppContext): Promise<Marker | undefined> {
  const row = await ctx.database.db
    .selectFrom('settings')
    .select('value')
    .where('county_code', '=', ctx.config.countyCode)
    .where('key', '=', MARKER_KEY)
    .executeTakeFirst();
  return row?.value as Marker | undefined;
}

/** Whether the database already holds data of this size, version and kind. */
export async function benchDataReady(ctx: AppContext, opts: GenerateOptions): Promise<GenerateReport | null> {
  const m = await readMarker(ctx);
  if (m && m.version === GENERATOR_VERSION && m.cases === opts.cases && m.openOnly === Boolean(opts.openOnly))
    return { ...m.report, reused: true };
  return null;
}

/**
 * Fills an empty, migrated database with the demo county and `opts.cases` cases, or reuses what a
 * previous run left there (same size, kind and generator version). A database holding other cases
 * is refused: the caller drops and recreates dedicated benchmark databases.
 */
export async function generateBenchData(ctx: AppContext, opts: GenerateOptions): Promise<GenerateReport> {
  const log = opts.log ?? (() => {});
  const ready = await benchDataReady(ctx, opts);
  if (ready) return ready;
  const db = ctx.database.db;
  const county = ctx.config.countyCode;
  const template = (await templateReady(ctx, opts)) ?? (await playTemplate(ctx, opts));
  const { all: tAll, finished: tFinished, seconds: templateSeconds } = template;
  const tOpen = tAll - tFinished;
  const stray = await sql<{ n: number }>`
    select count(*)::int as n from cases c where not exists (select 1 from bench_template t where t.id = c.id)`.execute(
    db,
  );
  if (stray.rows[0]!.n > 0)
    throw new Error('benchmark data: the database holds cases of an unfinished run (drop it)');

  // The clone plan. History clones copy the finished cases into the past, each shifted by its own
  // number of days (spread over the years, so every day and place has its own rollup rows, as a
  // real county's would). Open clones copy the open cases at shift 0 so that about 3 % of all
  // cases are open work (a county's backlog), with deadlines in the future as on a live system.
  const years = Math.max(1, opts.years ?? 3);
  const span = years * YEAR_DAYS;
  const plan: { shift: number; mode: CloneMode }[] = [];
  let total = opts.openOnly ? tOpen : tAll;
  const openWanted = opts.openOnly ? opts.cases : Math.round(opts.cases * OPEN_SHARE);
  let open = tOpen;
  while (tOpen > 0 && open < openWanted && total < opts.cases) {
    plan.push({ shift: 0, mode: 'open' });
    open += tOpen;
    total += tOpen;
  }
  for (let k = 1; !opts.openOnly && total < opts.cases && tFinished > 0; k++) {
    // A stride coprime with the span visits every day before repeating one.
    plan.push({ shift: 1 + ((k * 389) % (span - 1)), mode: 'finished' });
    total += tFinished;
  }
  log(
    `template ${tAll} cases (${tFinished} finished) played in ${templateSeconds.toFixed(1)} s; ${plan.length} clones`,
  );

  const t1 = performance.now();
  // Large loads: secondary indexes are dropped during the copy and built once after (much faster
  // than maintaining them row by row); unique and primary keys stay.
  const dropped = (opts.dropIndexes ?? opts.cases >= 200_000) ? await dropSecondaryIndexes(ctx) : [];
  let rows = 0;
  const batchCases = opts.batchCases ?? 50_000;
  for (let i = 0; i < plan.length; ) {
    const batch: { k: number; shift: number; mode: CloneMode }[] = [];
    let n = 0;
    while (i < plan.length && (batch.length === 0 || n < batchCases)) {
      const p = plan[i]!;
      batch.push({ k: i + 1, ...p });
      n += p.mode === 'open' ? tOpen : p.mode === 'finished' ? tFinished : tAll;
      i++;
    }
    rows += await ctx.database.transaction(async (trx) => {
      await sql`set local synchronous_commit = off`.execute(trx);
      // Copies of rows that already satisfy every foreign key: skip the per-row RI triggers.
      await sql`set local session_replication_role = replica`.execute(trx);
      return cloneBatch(trx, batch);
    });
    const s = (performance.now() - t1) / 1000;
    log(`cloned ${i}/${plan.length} clones, ${rows} rows, ${(rows / s).toFixed(0)} rows/s`);
  }

  for (const def of dropped) {
    log(`index: ${def.slice(0, 90)}`);
    await sql.raw(def).execute(db);
  }

  // Rollups of the clones: each template case's metric deltas, shifted and multiplied.
  const shifts = new Map<string, { shift: number; mode: CloneMode; mult: number }>();
  for (const p of plan) {
    const key = `${p.shift}:${p.mode}`;
    const s = shifts.get(key) ?? { ...p, mult: 0 };
    s.mult++;
    shifts.set(key, s);
  }
  const shiftRows = [...shifts.values()];
  if (shiftRows.length) {
    await ctx.database.transaction(async (trx) => {
      await sql`create temporary table bench_shifts (shift int, mode text, mult int) on commit drop`.execute(
        trx,
      );
      await sql`insert into bench_shifts values ${sql.join(
        shiftRows.map((s) => sql`(${s.shift}, ${s.mode}, ${s.mult})`),
      )}`.execute(trx);
      await sql`
        insert into assessment_rollups (county_code, day, loc_id, loc_path, unit_id, category_root, metric, value)
        select ${county}, x.day - s.shift, x.loc_id, x.loc_path, x.unit_id, x.category_root, x.metric,
          sum(x.value * s.mult)
        from (${templateDeltas(county)}) x
        join bench_template t on t.id = x.case_id
        join bench_shifts s on ${picks('s.mode')}
        group by 1, 2, 3, 4, 5, 6, 7
        on conflict (county_code, day, loc_id, unit_id, category_root, metric)
        do update set value = assessment_rollups.value + excluded.value`.execute(trx);
      // The coarse rollups, summed again from the day rows (cheaper than a second pass over the
      // clones' deltas); the engine keeps both in one statement from here on.
      await rebuildCoarseRollups(trx, county);
    });
  }
  const cloneSeconds = (performance.now() - t1) / 1000;
  await sql`analyze`.execute(db);

  const n = async (table: 'cases' | 'case_events' | 'case_deadlines' | 'assessment_rollups') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const report: GenerateReport = {
    reused: false,
    cases: await n('cases'),
    events: await n('case_events'),
    deadlines: await n('case_deadlines'),
    rollupRows: await n('assessment_rollups'),
    templateCases: tAll,
    clones: plan.length,
    templateSeconds,
    cloneSeconds,
    rowsPerSecond: rows / Math.max(cloneSeconds, 1e-6),
  };
  const marker: Marker = {
    version: GENERATOR_VERSION,
    cases: opts.cases,
    openOnly: Boolean(opts.openOnly),
    report,
  };
  await db
    .insertInto('settings')
    .values({ county_code: county, key: MARKER_KEY, value: JSON.stringify(marker), updated_at: new Date() })
    .onConflict((oc) => oc.columns(['county_code', 'key']).doUpdateSet({ value: JSON.stringify(marker) }))
    .execute();
  return report;
}

type CloneMode = 'open' | 'finished';

/** Which template cases (`t`) a clone of this mode copies. */
function picks(mode: string) {
  return sql`((${sql.ref(mode)} = 'open' and not t.finished) or (${sql.ref(mode)} = 'finished' and t.finished))`;
}

/** The template's marker: it was played completely (a run stopped half-way plays it again). */
async function templateReady(ctx: AppContext, opts: GenerateOptions) {
  const row = await ctx.database.db
    .selectFrom('settings')
    .select('value')
    .where('county_code', '=', ctx.config.countyCode)
    .where('key', '=', TEMPLATE_KEY)
    .executeTakeFirst();
  const m = row?.value as (TemplateInfo & { version: number; openOnly: boolean }) | undefined;
  return m && m.version === GENERATOR_VERSION && m.openOnly === Boolean(opts.openOnly) ? m : undefined;
}

interface TemplateInfo {
  all: number;
  finished: number;
  seconds: number;
}

/**
 * Loads the demo county and plays the template history through the engine into an empty database,
 * then records which template cases are finished (terminal state, no open deadline, a merge target
 * that is itself finished) and may therefore be copied into the past.
 */
export async function playTemplate(ctx: AppContext, opts: GenerateOptions): Promise<TemplateInfo> {
  const log = opts.log ?? (() => {});
  const db = ctx.database.db;
  const county = ctx.config.countyCode;
  const existing = await db
    .selectFrom('cases')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(existing.n) > 0)
    throw new Error('benchmark data: the database already holds other cases (use a fresh database)');
  const saved = process.env.DEMO_CASES;
  process.env.DEMO_CASES = '0';
  try {
    await seedDemoCounty(ctx);
  } finally {
    if (saved === undefined) delete process.env.DEMO_CASES;
    else process.env.DEMO_CASES = saved;
  }
  const templateTotal = Math.max(12, Math.min(opts.templateCases ?? 1200, opts.cases));
  const appeals = Math.round((templateTotal * 5) / 6);
  const t0 = performance.now();
  log(`template: ${templateTotal} cases through the engine`);
  const history = await generateDemoHistory(ctx, {
    cases: appeals,
    events: templateTotal - appeals,
    // The sweep's dataset wants open cases: a short history leaves most of them open.
    days: opts.templateDays ?? (opts.openOnly ? 10 : 365),
    ...(opts.endAt ? { endAt: opts.endAt } : {}),
  });
  if (history.failures > 0) throw new Error(`template history: ${history.failures} scripts failed`);
  const seconds = (performance.now() - t0) / 1000;
  await sql`drop table if exists bench_template`.execute(db);
  await sql`create table bench_template as
    select c.id, c.merged_into,
      (c.state in ('closed', 'voided', 'merged')
        and not exists (select 1 from case_deadlines d where d.case_id = c.id and d.status in ('pending', 'warned'))
      ) as finished
    from cases c where c.county_code = ${county}`.execute(db);
  await sql`update bench_template t set finished = false where t.merged_into is not null
    and not exists (select 1 from bench_template m where m.id = t.merged_into and m.finished)`.execute(db);
  await sql`create unique index on bench_template (id)`.execute(db);
  const counts = await sql<{ all: number; finished: number }>`
    select count(*)::int as all, count(*) filter (where finished)::int as finished from bench_template`.execute(
    db,
  );
  const info: TemplateInfo = { ...counts.rows[0]!, seconds };
  const marker = { ...info, version: GENERATOR_VERSION, openOnly: Boolean(opts.openOnly) };
  await db
    .insertInto('settings')
    .values({ county_code: county, key: TEMPLATE_KEY, value: JSON.stringify(marker), updated_at: new Date() })
    .execute();
  return info;
}

/** Drops the plain (non-constraint) indexes of the cloned tables; returns their definitions. */
async function dropSecondaryIndexes(ctx: AppContext): Promise<string[]> {
  const r = await sql<{ name: string; def: string }>`
    select i.indexname as name, i.indexdef as def from pg_indexes i
    where i.schemaname = 'public'
      and i.tablename in ('cases', 'case_events', 'case_deadlines', 'case_units', 'whistles', 'whistle_reports')
      and not exists (select 1 from pg_constraint k where k.conname = i.indexname)`.execute(ctx.database.db);
  for (const x of r.rows) await sql.raw(`drop index ${x.name}`).execute(ctx.database.db);
  return r.rows.map((x) => x.def);
}

/**
 * The metric deltas of the template's events, one row per (case, day, place, unit, category,
 * metric): `payload.m` on the event's China day and the cohort deltas `payload.mc` on `mcDay`.
 * The same expression over all events is the naive recount the tests compare the rollups with.
 */
function templateDeltas(county: string) {
  return sql`
    select e.case_id, (e.at at time zone 'Asia/Shanghai')::date as day,
      e.payload->'attr'->>'locId' as loc_id, e.payload->'attr'->>'locPath' as loc_path,
      e.payload->'attr'->>'unitId' as unit_id, e.payload->'attr'->>'categoryRoot' as category_root,
      m.key as metric, m.value::bigint as value
    from case_events e
    join bench_template t on t.id = e.case_id
    cross join lateral jsonb_each_text(coalesce(e.payload->'m', '{}'::jsonb)) m
    where e.county_code = ${county} and m.value::numeric <> 0
    union all
    select e.case_id, (e.payload->>'mcDay')::date,
      e.payload->'attr'->>'locId', e.payload->'attr'->>'locPath',
      e.payload->'attr'->>'unitId', e.payload->'attr'->>'categoryRoot',
      m.key, m.value::bigint
    from case_events e
    join bench_template t on t.id = e.case_id
    cross join lateral jsonb_each_text(e.payload->'mc') m
    where e.county_code = ${county} and e.payload ? 'mc' and m.value::numeric <> 0`;
}

/**
 * Rollups recomputed from every event in the database (the naive recount): rows of
 * (day, loc_id, unit_id, category_root, metric, value). Used by the consistency test.
 */
export function recountSql(county: string) {
  return sql<{
    day: string;
    loc_id: string;
    unit_id: string;
    category_root: string;
    metric: string;
    value: number;
  }>`
    select to_char(day, 'YYYY-MM-DD') as day, loc_id, unit_id, category_root, metric, sum(value)::bigint as value
    from (
      select (e.at at time zone 'Asia/Shanghai')::date as day, e.payload->'attr'->>'locId' as loc_id,
        e.payload->'attr'->>'unitId' as unit_id, e.payload->'attr'->>'categoryRoot' as category_root,
        m.key as metric, m.value::bigint as value
      from case_events e cross join lateral jsonb_each_text(coalesce(e.payload->'m', '{}'::jsonb)) m
      where e.county_code = ${county}
      union all
      select (e.payload->>'mcDay')::date, e.payload->'attr'->>'locId', e.payload->'attr'->>'unitId',
        e.payload->'attr'->>'categoryRoot', m.key, m.value::bigint
      from case_events e cross join lateral jsonb_each_text(e.payload->'mc') m
      where e.county_code = ${county} and e.payload ? 'mc'
    ) x
    group by 1, 2, 3, 4, 5
    having sum(value) <> 0
    order by 1, 2, 3, 4, 5`;
}

/** One transaction's worth of clones; returns the rows written. */
async function cloneBatch(
  trx: Parameters<Parameters<AppContext['database']['transaction']>[0]>[0],
  batch: { k: number; shift: number; mode: CloneMode }[],
): Promise<number> {
  const values = sql.join(batch.map((b) => sql`(${b.k}::int, ${b.shift}::int, ${b.mode}::text)`));
  const pick = picks('p.mode');
  const clones = sql`(values ${values}) as p(k, shift, mode)`;
  const id = (col: string) => sql`md5(${sql.ref(col)}::text || ':' || p.k)::uuid`;
  const sh = (col: string) => sql`${sql.ref(col)} - make_interval(days => p.shift)`;
  let rows = 0;
  const count = (r: { numAffectedRows?: bigint }) => {
    rows += Number(r.numAffectedRows ?? 0);
  };
  count(
    await sql`
    insert into cases (id, county_code, type, code, state, version, channel, category_id, urgency, title,
      description, lon, lat, address, grid_id, village_id, township_id, path, citizen_id, contact_name_enc,
      contact_phone_enc, contact_phone_masked, anonymous, confidential, reporter_user_id, lead_org_id, routing,
      supervision_level, merged_into, redo_count, extension_count, return_count, suspended_at, suspended_ms,
      pending, resolved, satisfaction, attachments, idempotency_key, received_at, dispatched_at, signed_at,
      first_contact_at, replied_at, closed_at, search_text, unit_ids, created_at, updated_at)
    select ${id('c.id')}, c.county_code, c.type, c.code || '-' || p.k, c.state, c.version, c.channel,
      c.category_id, c.urgency, c.title, c.description, c.lon, c.lat, c.address, c.grid_id, c.village_id,
      c.township_id, c.path, c.citizen_id, c.contact_name_enc, c.contact_phone_enc, c.contact_phone_masked,
      c.anonymous, c.confidential, c.reporter_user_id, c.lead_org_id, c.routing, c.supervision_level,
      case when c.merged_into is null then null else ${id('c.merged_into')} end,
      c.redo_count, c.extension_count, c.return_count, ${sh('c.suspended_at')}, c.suspended_ms, c.pending,
      c.resolved, c.satisfaction, '[]'::jsonb, null, ${sh('c.received_at')}, ${sh('c.dispatched_at')},
      ${sh('c.signed_at')}, ${sh('c.first_contact_at')}, ${sh('c.replied_at')}, ${sh('c.closed_at')},
      replace(c.search_text, c.code, c.code || '-' || p.k), c.unit_ids, ${sh('c.created_at')}, ${sh('c.updated_at')}
    from bench_template t join cases c on c.id = t.id cross join ${clones}
    where ${pick}
    -- a merged case points at its target: insert targets first
    order by (c.merged_into is not null)`.execute(trx),
  );
  count(
    await sql`
    insert into case_events (case_id, county_code, seq, action, from_state, to_state, actor_kind, actor_id,
      actor_org_id, at, payload)
    select ${id('e.case_id')}, e.county_code, e.seq, e.action, e.from_state, e.to_state, e.actor_kind,
      e.actor_id, e.actor_org_id, ${sh('e.at')},
      case when e.payload ? 'mcDay'
        then jsonb_set(e.payload, '{mcDay}', to_jsonb(to_char((e.payload->>'mcDay')::date - p.shift, 'YYYY-MM-DD')))
        else e.payload end
    from bench_template t join case_events e on e.case_id = t.id cross join ${clones}
    where ${pick}`.execute(trx),
  );
  count(
    await sql`
    insert into case_deadlines (case_id, county_code, stage, org_id, due_at, warn_at, status, escalated_at,
      warned_at, overdue_at, done_at, created_at)
    select ${id('d.case_id')}, d.county_code, d.stage, d.org_id, ${sh('d.due_at')}, ${sh('d.warn_at')}, d.status,
      ${sh('d.escalated_at')}, ${sh('d.warned_at')}, ${sh('d.overdue_at')}, ${sh('d.done_at')}, ${sh('d.created_at')}
    from bench_template t join case_deadlines d on d.case_id = t.id cross join ${clones}
    where ${pick}`.execute(trx),
  );
  count(
    await sql`
    insert into case_units (case_id, org_id, relation, county_code, status, assigned_at, signed_at, replied_at, reply)
    select ${id('u.case_id')}, u.org_id, u.relation, u.county_code, u.status, ${sh('u.assigned_at')},
      ${sh('u.signed_at')}, ${sh('u.replied_at')}, u.reply
    from bench_template t join case_units u on u.case_id = t.id cross join ${clones}
    where ${pick}`.execute(trx),
  );
  count(
    await sql`
    insert into whistles (id, case_id, county_code, whistler_org_id, whistler_user_id, reason_class, message, created_at)
    select ${id('w.id')}, ${id('w.case_id')}, w.county_code, w.whistler_org_id, w.whistler_user_id,
      w.reason_class, w.message, ${sh('w.created_at')}
    from bench_template t join whistles w on w.case_id = t.id cross join ${clones}
    where ${pick}`.execute(trx),
  );
  count(
    await sql`
    insert into whistle_reports (whistle_id, department_id, county_code, status, due_at, reported_at, responder,
      arrival_note, action_taken, done_at, late, rating, rating_comment)
    select ${id('r.whistle_id')}, r.department_id, r.county_code, r.status, ${sh('r.due_at')},
      ${sh('r.reported_at')}, r.responder, r.arrival_note, r.action_taken, ${sh('r.done_at')}, r.late, r.rating,
      r.rating_comment
    from bench_template t join whistles w on w.case_id = t.id join whistle_reports r on r.whistle_id = w.id
      cross join ${clones}
    where ${pick}`.execute(trx),
  );
  return rows;
}
