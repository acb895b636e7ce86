import { type Insertable, type Kysely, sql } from 'kysely';
import type { AppContext } from '../context.ts';
import type { CaseDeadlinesTable, CaseRow, DB, Urgency } from '../db/schema.ts';
import { type TimeLimit, WorkCalendar } from './calendar.ts';
import type { CountyConfig } from './config.ts';
import type { DeadlineEffect, Stage } from './workflow.ts';

/**
 * Default time limits per stage (DESIGN §4), by urgency. The reply limit comes from the category;
 * admins override any of these in the `settings` table under `time_limits`.
 */
export const DEFAULT_LIMITS: Record<Stage, Record<Urgency, TimeLimit>> = {
  dispatch: { normal: h(2), urgent: h(1), emergency: { amount: 0.5, unit: 'hours' } },
  sign: { normal: h(24), urgent: h(4), emergency: h(1) },
  first_contact: { normal: h(24), urgent: h(8), emergency: h(2) },
  reply: { normal: wd(7), urgent: wd(3), emergency: h(2) },
  audit: { normal: wd(1), urgent: wd(1), emergency: h(4) },
  revisit: { normal: wd(1), urgent: wd(1), emergency: wd(1) },
  report: {
    normal: { amount: 0.5, unit: 'working_hours' },
    urgent: { amount: 0.5, unit: 'hours' },
    emergency: { amount: 0.5, unit: 'hours' },
  },
  supervision: { normal: wd(3), urgent: wd(2), emergency: wd(1) },
};

/** Extension requests: at least this many working days before the reply deadline, at most this long. */
export const EXTENSION_RULES = { minWorkingDaysBefore: 1, maxWorkingDays: 15 };
/** A return (退单) must be asked within this many working days of dispatch. */
export const RETURN_WINDOW_WORKING_DAYS = 2;

function h(amount: number): TimeLimit {
  return { amount, unit: 'hours' };
}
function wd(amount: number): TimeLimit {
  return { amount, unit: 'working_days' };
}

let cached: { at: number; county: string; calendar: WorkCalendar } | undefined;

/** The working calendar with the county's overrides (cached for a minute; edits reset it). */
export async function calendarFor(db: Kysely<DB>, countyCode: string): Promise<WorkCalendar> {
  if (cached && cached.county === countyCode && Date.now() - cached.at < 60_000) return cached.calendar;
  const rows = await db
    .selectFrom('calendar_overrides')
    // Formatted in SQL: the driver turns a `date` into a Date at local midnight (String() of it is
    // "Fri Mar 20 …", which the calendar rejects).
    .select([sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'), 'working', 'note'])
    .where('county_code', '=', countyCode)
    .execute();
  const calendar = new WorkCalendar(rows.map((r) => ({ date: r.day, working: r.working, note: r.note })));
  cached = { at: Date.now(), county: countyCode, calendar };
  return calendar;
}

/** Forgets the cached calendar (after an admin edits overrides). */
export function resetCalendarCache(): void {
  cached = undefined;
}

/**
 * The limit for a stage of a case, with the category's reply limit and admin overrides applied.
 * With the engine's cached `config` (see config.ts) it reads nothing from the database.
 */
export async function limitFor(
  db: Kysely<DB>,
  c: Pick<CaseRow, 'county_code' | 'category_id' | 'urgency'>,
  stage: Stage,
  config?: CountyConfig,
): Promise<TimeLimit> {
  const overrides = config
    ? config.timeLimits
    : ((
        await db
          .selectFrom('settings')
          .select('value')
          .where('county_code', '=', c.county_code)
          .where('key', '=', 'time_limits')
          .executeTakeFirst()
      )?.value as Partial<Record<Stage, Partial<Record<Urgency, TimeLimit>>>> | undefined);
  const o = overrides?.[stage]?.[c.urgency];
  if (o) return o;
  if (stage === 'reply' && c.urgency !== 'emergency' && c.category_id) {
    const cat = config
      ? config.categories.get(c.category_id)
      : await db
          .selectFrom('categories')
          .select(['reply_limit_amount', 'reply_limit_unit'])
          .where('id', '=', c.category_id)
          .executeTakeFirst();
    if (cat) {
      const fromCategory: TimeLimit = { amount: cat.reply_limit_amount, unit: cat.reply_limit_unit };
      return c.urgency === 'urgent' ? shorter(fromCategory, DEFAULT_LIMITS.reply.urgent) : fromCategory;
    }
  }
  return DEFAULT_LIMITS[stage][c.urgency];
}

function shorter(a: TimeLimit, b: TimeLimit): TimeLimit {
  const approx = (l: TimeLimit) =>
    l.amount * (l.unit === 'working_days' ? 24 * 1.4 : l.unit === 'natural_days' ? 24 : 1);
  return approx(a) <= approx(b) ? a : b;
}

/** When a stage falls due, and when to warn (a quarter of the time before, at most a day). */
export async function dueFor(
  db: Kysely<DB>,
  c: Pick<CaseRow, 'county_code' | 'category_id' | 'urgency'>,
  stage: Stage,
  from: Date,
  limit?: TimeLimit,
  config?: CountyConfig,
): Promise<{ dueAt: Date; warnAt: Date }> {
  const calendar = await calendarFor(db, c.county_code);
  const l = limit ?? (await limitFor(db, c, stage, config));
  const dueAt = calendar.addLimit(from, l);
  const span = dueAt.getTime() - from.getTime();
  const warnAt = new Date(dueAt.getTime() - Math.min(span / 4, 24 * 3600_000));
  return { dueAt, warnAt };
}

/**
 * Applies an action's deadline effects inside its transaction: closes (done) or cancels open
 * deadlines and opens new ones. Opening a stage replaces an open deadline of the same stage.
 * At most one update per new status and one insert, whatever the effect lists: a stage listed to
 * cancel is cancelled, else one listed as done is done, else one being opened anew is cancelled.
 * `fresh`: the case was created in this transaction and has no deadlines yet.
 */
export async function applyDeadlines(
  trx: Kysely<DB>,
  c: CaseRow,
  effect: DeadlineEffect,
  now: Date,
  opts: {
    orgId?: string | null;
    limits?: Partial<Record<Stage, TimeLimit>>;
    config?: CountyConfig;
    fresh?: boolean;
  } = {},
): Promise<NewDeadline[]> {
  const rows = await planDeadlines(trx, c, effect, now, opts);
  return insertDeadlines(trx, rows);
}

/** A deadline row to insert. */
export type DeadlineRow = Insertable<CaseDeadlinesTable>;

/**
 * The first half of `applyDeadlines`: closes and cancels what the effect says (statements of their
 * own), and returns the rows of the deadlines it opens, for the caller to insert — several events'
 * rows in one statement (`insertDeadlines`).
 */
export async function planDeadlines(
  trx: Kysely<DB>,
  c: CaseRow,
  effect: DeadlineEffect,
  now: Date,
  opts: Parameters<typeof applyDeadlines>[4] = {},
): Promise<DeadlineRow[]> {
  const open = ['pending', 'warned', 'overdue'] as const;
  if (!opts.fresh) {
    if (effect.cancel === 'all') {
      await trx
        .updateTable('case_deadlines')
        .set({ status: 'cancelled', done_at: now })
        .where('case_id', '=', c.id)
        .where('status', 'in', open)
        .execute();
    } else {
      const cancel = new Set<Stage>(effect.cancel ?? []);
      const done = (effect.done ?? []).filter((s) => !cancel.has(s));
      for (const s of effect.set ?? []) if (!done.includes(s)) cancel.add(s);
      if (done.length) {
        await trx
          .updateTable('case_deadlines')
          .set({ status: 'done', done_at: now })
          .where('case_id', '=', c.id)
          .where('stage', 'in', done)
          .where('status', 'in', open)
          .execute();
      }
      if (cancel.size) {
        await trx
          .updateTable('case_deadlines')
          .set({ status: 'cancelled', done_at: now })
          .where('case_id', '=', c.id)
          .where('stage', 'in', [...cancel])
          .where('status', 'in', open)
          .execute();
      }
    }
  }
  const stages = effect.set ?? [];
  if (!stages.length) return [];
  const rows: DeadlineRow[] = [];
  for (const stage of stages) {
    const { dueAt, warnAt } = await dueFor(trx, c, stage, now, opts.limits?.[stage], opts.config);
    rows.push({
      case_id: c.id,
      county_code: c.county_code,
      stage,
      org_id: opts.orgId ?? c.lead_org_id,
      due_at: dueAt,
      warn_at: warnAt,
    });
  }
  return rows;
}

/** Inserts deadline rows (open, `pending`) and answers them as the case detail shows them. */
export async function insertDeadlines(trx: Kysely<DB>, rows: readonly DeadlineRow[]): Promise<NewDeadline[]> {
  if (rows.length) await trx.insertInto('case_deadlines').values(rows).execute();
  return toNewDeadlines(rows);
}

/** Deadline rows as the case detail shows them (open, `pending`). */
export function toNewDeadlines(rows: readonly DeadlineRow[]): NewDeadline[] {
  return rows.map((r) => ({
    stage: r.stage as Stage,
    org_id: r.org_id ?? null,
    due_at: r.due_at as Date,
    status: 'pending' as const,
  }));
}

/** A deadline as `applyDeadlines` set it (open, `pending`). */
export interface NewDeadline {
  stage: Stage;
  org_id: string | null;
  due_at: Date;
  status: 'pending';
}

/** The open deadline of a stage, if any. */
export function openDeadline(trx: Kysely<DB>, caseId: string, stage: Stage) {
  return trx
    .selectFrom('case_deadlines')
    .selectAll()
    .where('case_id', '=', caseId)
    .where('stage', '=', stage)
    .where('status', 'in', ['pending', 'warned', 'overdue'])
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/**
 * Moves every open deadline of a case later by `ms` (resume after suspension: the clock stood still).
 * `now` is the action's time (the engine's clock, not the database server's).
 */
export async function shiftOpenDeadlines(
  trx: Kysely<DB>,
  caseId: string,
  ms: number,
  now: Date = new Date(),
): Promise<void> {
  const interval = `${Math.round(ms)} milliseconds`;
  await trx
    .updateTable('case_deadlines')
    .set({
      due_at: sql`due_at + ${interval}::interval`,
      warn_at: sql`warn_at + ${interval}::interval`,
      // A deadline that had passed before the pause but is now in the future again reopens.
      status: sql`case when status = 'overdue' and due_at + ${interval}::interval > ${now} then 'pending' else status end`,
    })
    .where('case_id', '=', caseId)
    .where('status', 'in', ['pending', 'warned', 'overdue'])
    .execute();
}

/** Whether the open deadline of a stage was met at `at` (true when there is none). */
export async function metDeadline(trx: Kysely<DB>, caseId: string, stage: Stage, at: Date): Promise<boolean> {
  const d = await openDeadline(trx, caseId, stage);
  return !d || at.getTime() <= d.due_at.getTime();
}

export type { AppContext };
