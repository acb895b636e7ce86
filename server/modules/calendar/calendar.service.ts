import { createRequire } from 'node:module';
import { type Kysely, sql } from 'kysely';
import type { StaffActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import type { DB, Urgency } from '../../db/schema.ts';
import { type LimitUnit, type TimeLimit, WorkCalendar } from '../../engine/calendar.ts';
import { invalidateCountyConfig } from '../../engine/config.ts';
import { DEFAULT_LIMITS, resetCalendarCache } from '../../engine/deadlines.ts';
import { STAGES, type Stage } from '../../engine/workflow.ts';
import { AppError, type FieldError, notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';

/**
 * The working calendar and the time-limit rules, as county settings an admin edits without a release
 * (DESIGN §4 "Deadlines"). Every change resets the engine's cached calendar and is audited.
 */

type Meta = { ip?: string | undefined; requestId?: string | undefined };

export const URGENCIES = ['normal', 'urgent', 'emergency'] as const satisfies readonly Urgency[];
export const LIMIT_UNITS = [
  'hours',
  'working_hours',
  'working_days',
  'natural_days',
] as const satisfies readonly LimitUnit[];

/** The largest limit an admin may set, per unit: beyond these a "limit" no longer limits anything. */
export const MAX_LIMIT: Record<LimitUnit, number> = {
  hours: 720,
  working_hours: 480,
  working_days: 60,
  natural_days: 90,
};

/**
 * Problems with a time limit, as field errors under `field` (empty when it is sound): the amount must
 * be positive and at most `MAX_LIMIT` for its unit; working days (and, with `integer`, every unit)
 * must be whole — the calendar counts whole working days only.
 */
export function timeLimitProblems(
  limit: TimeLimit,
  field: string,
  opts: { integer?: boolean } = {},
): FieldError[] {
  const { amount, unit } = limit;
  const problems: FieldError[] = [];
  if (!(LIMIT_UNITS as readonly string[]).includes(unit)) {
    problems.push({ field: `${field}.unit`, message: '时限单位不正确' });
    return problems;
  }
  if (!Number.isFinite(amount) || amount <= 0) {
    problems.push({ field: `${field}.amount`, message: '时限必须大于 0' });
  } else if (amount > MAX_LIMIT[unit]) {
    problems.push({
      field: `${field}.amount`,
      message: `时限不能超过 ${MAX_LIMIT[unit]}（${unitLabel(unit)}）`,
    });
  } else if ((opts.integer || unit === 'working_days') && !Number.isInteger(amount)) {
    problems.push({ field: `${field}.amount`, message: '工作日数必须是整数' });
  }
  return problems;
}

function unitLabel(unit: LimitUnit): string {
  return { hours: '小时', working_hours: '工作小时', working_days: '工作日', natural_days: '自然日' }[unit];
}

// ── Calendar ────────────────────────────────────────────────────────────────

interface PackageDay {
  name: string;
  nameEn: string;
}

let packageDays: { holidays: Map<string, PackageDay>; workdays: Map<string, PackageDay> } | undefined;

/**
 * The holidays and adjusted working days (调休) shipped by `chinese-days` — the same data file the
 * engine's `WorkCalendar` reads — with their names ("New Year's Day,元旦,1" → 元旦).
 */
function loadPackageDays() {
  if (!packageDays) {
    const require = createRequire(import.meta.url);
    const raw = require('chinese-days/dist/chinese-days.json') as {
      holidays: Record<string, string>;
      workdays: Record<string, string>;
    };
    const parse = (table: Record<string, string>) =>
      new Map(
        Object.entries(table).map(([date, v]) => {
          const [en = '', zh = ''] = v.split(',');
          return [date, { name: zh || en, nameEn: en }] as const;
        }),
      );
    packageDays = { holidays: parse(raw.holidays), workdays: parse(raw.workdays) };
  }
  return packageDays;
}

/** The weekday of a `YYYY-MM-DD` day (0 = Sunday). */
function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/**
 * Parses a `YYYY-MM-DD` path parameter as a real calendar day between 2000 and 2100, else 400 on
 * field `date` (2026-02-30 has the right shape and is no day).
 */
export function parseCalendarDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const ok =
    m !== null &&
    Number(m[1]) >= 2000 &&
    Number(m[1]) <= 2100 &&
    new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10) === date;
  if (!ok) {
    throw new AppError('VALIDATION_FAILED', {
      details: [{ field: 'date', message: '日期无效，应为 2000–2100 年间真实存在的 YYYY-MM-DD' }],
    });
  }
  return date;
}

/** The county's overrides, oldest first. The day is formatted in SQL: drivers turn `date` into a Date at local midnight. */
async function listOverrides(db: Kysely<DB>, countyCode: string) {
  const rows = await db
    .selectFrom('calendar_overrides')
    .select([sql<string>`to_char(day, 'YYYY-MM-DD')`.as('date'), 'working', 'note'])
    .where('county_code', '=', countyCode)
    .orderBy('day')
    .execute();
  return rows.map((r) => ({ date: r.date, working: r.working, note: r.note }));
}

/** One day that is not an ordinary Monday–Friday working day or weekend, or that an admin overrode. */
export interface CalendarDay {
  date: string;
  weekday: number;
  working: boolean;
  source: 'package' | 'override';
  kind: 'holiday' | 'adjusted_workday' | 'override';
  name: string | null;
  nameEn: string | null;
  note: string | null;
}

/**
 * A year of the working calendar: per month, the holidays and adjusted working days from
 * `chinese-days` and the county's overrides (which win), with the effective working status the
 * deadline engine uses; and which years the calendar knows (a year it does not know falls back to
 * Monday–Friday and misses its holidays until an admin adds overrides).
 */
export async function getCalendarYear(ctx: AppContext, actor: StaffActor, year: number) {
  // The route's schema bounds the year; this guards every other caller (and "Infinity", which the
  // query-string coercion lets through as a number).
  if (!Number.isInteger(year) || year < 2000 || year > 2100)
    throw new AppError('VALIDATION_FAILED', {
      details: [{ field: 'year', message: '年份须为 2000–2100 之间的整数' }],
    });
  const overrides = await listOverrides(ctx.database.db, actor.countyCode);
  const calendar = new WorkCalendar(overrides);
  const { holidays, workdays } = loadPackageDays();
  const prefix = `${year}-`;
  const days = new Map<string, CalendarDay>();
  const add = (date: string, source: CalendarDay['source'], kind: CalendarDay['kind'], p?: PackageDay) => {
    days.set(date, {
      date,
      weekday: weekdayOf(date),
      working: calendar.isWorkingDay(date),
      source,
      kind,
      name: p?.name ?? null,
      nameEn: p?.nameEn ?? null,
      note: null,
    });
  };
  for (const [date, p] of holidays) if (date.startsWith(prefix)) add(date, 'package', 'holiday', p);
  for (const [date, p] of workdays) if (date.startsWith(prefix)) add(date, 'package', 'adjusted_workday', p);
  for (const o of overrides) {
    if (!o.date.startsWith(prefix)) continue;
    const p = holidays.get(o.date) ?? workdays.get(o.date);
    add(o.date, 'override', 'override', p);
    days.get(o.date)!.note = o.note;
  }
  const sorted = [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
  const knownYears = WorkCalendar.knownYears(overrides);
  return {
    year,
    known: knownYears.includes(year),
    knownYears,
    months: Array.from({ length: 12 }, (_, i) => {
      const mm = `${prefix}${String(i + 1).padStart(2, '0')}-`;
      return { month: i + 1, days: sorted.filter((d) => d.date.startsWith(mm)) };
    }),
  };
}

/** The effective status of one day after a change. */
async function dayStatus(db: Kysely<DB>, countyCode: string, date: string) {
  const overrides = await listOverrides(db, countyCode);
  const own = overrides.find((o) => o.date === date);
  return {
    date,
    working: new WorkCalendar(overrides).isWorkingDay(date),
    override: own ? { working: own.working, note: own.note } : null,
  };
}

/** Sets (adds or replaces) the county's override for one day; audited; the engine's calendar reloads. */
export async function putCalendarOverride(
  ctx: AppContext,
  actor: StaffActor,
  rawDate: string,
  input: { working: boolean; note?: string | undefined },
  meta: Meta,
) {
  const date = parseCalendarDate(rawDate);
  const note = input.note?.trim() ?? '';
  const result = await ctx.database.transaction(async (trx) => {
    const before = await trx
      .selectFrom('calendar_overrides')
      .select(['working', 'note'])
      .where('county_code', '=', actor.countyCode)
      .where('day', '=', date)
      .executeTakeFirst();
    await trx
      .insertInto('calendar_overrides')
      .values({ county_code: actor.countyCode, day: date, working: input.working, note })
      .onConflict((oc) => oc.columns(['county_code', 'day']).doUpdateSet({ working: input.working, note }))
      .execute();
    await audit(trx, actor, {
      action: 'calendar.updated',
      targetType: 'calendar_day',
      targetId: date,
      detail: { before: before ?? null, after: { working: input.working, note } },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    return dayStatus(trx, actor.countyCode, date);
  });
  resetCalendarCache();
  return result;
}

/** Removes the county's override for one day (404 when there is none); audited; the calendar reloads. */
export async function deleteCalendarOverride(
  ctx: AppContext,
  actor: StaffActor,
  rawDate: string,
  meta: Meta,
) {
  const date = parseCalendarDate(rawDate);
  const result = await ctx.database.transaction(async (trx) => {
    const removed = await trx
      .deleteFrom('calendar_overrides')
      .where('county_code', '=', actor.countyCode)
      .where('day', '=', date)
      .returning(['working', 'note'])
      .executeTakeFirst();
    if (!removed) throw notFound();
    await audit(trx, actor, {
      action: 'calendar.updated',
      targetType: 'calendar_day',
      targetId: date,
      detail: { before: { working: removed.working, note: removed.note }, after: null },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    return dayStatus(trx, actor.countyCode, date);
  });
  resetCalendarCache();
  return result;
}

// ── Time limits ─────────────────────────────────────────────────────────────

/** The settings key `limitFor` in the engine reads. */
export const TIME_LIMITS_KEY = 'time_limits';

export type TimeLimitOverrides = Partial<Record<Stage, Partial<Record<Urgency, TimeLimit>>>>;

async function readTimeLimitRow(db: Kysely<DB>, countyCode: string) {
  return db
    .selectFrom('settings')
    .select(['value', 'updated_at'])
    .where('county_code', '=', countyCode)
    .where('key', '=', TIME_LIMITS_KEY)
    .executeTakeFirst();
}

/** Only the known stages and urgencies with a well-formed limit (stored JSON is not trusted blindly). */
function cleanOverrides(value: unknown): TimeLimitOverrides {
  const out: TimeLimitOverrides = {};
  if (!value || typeof value !== 'object') return out;
  for (const stage of STAGES) {
    const byUrgency = (value as Record<string, unknown>)[stage];
    if (!byUrgency || typeof byUrgency !== 'object') continue;
    for (const urgency of URGENCIES) {
      const l = (byUrgency as Record<string, unknown>)[urgency] as TimeLimit | undefined;
      if (l && typeof l.amount === 'number' && (LIMIT_UNITS as readonly string[]).includes(l.unit)) {
        out[stage] = { ...out[stage], [urgency]: { amount: l.amount, unit: l.unit } };
      }
    }
  }
  return out;
}

/** A limit as shown to admins: the effective one, whether it is overridden, and the default. */
export interface ShownLimit extends TimeLimit {
  overridden: boolean;
  default: TimeLimit;
}

function presentTimeLimits(overrides: TimeLimitOverrides, updatedAt: Date | null) {
  const shown = (stage: Stage, urgency: Urgency): ShownLimit => {
    const def = DEFAULT_LIMITS[stage][urgency];
    const own = overrides[stage]?.[urgency];
    const effective = own ?? def;
    return {
      amount: effective.amount,
      unit: effective.unit,
      overridden: own !== undefined,
      default: { amount: def.amount, unit: def.unit },
    };
  };
  const limits = Object.fromEntries(
    STAGES.map((stage) => [
      stage,
      {
        normal: shown(stage, 'normal'),
        urgent: shown(stage, 'urgent'),
        emergency: shown(stage, 'emergency'),
      },
    ]),
  ) as Record<Stage, Record<Urgency, ShownLimit>>;
  return { limits, overrides, updatedAt: updatedAt ? updatedAt.toISOString() : null };
}

/**
 * The time limits per stage and urgency: the defaults (DESIGN §4) merged with the county's overrides.
 * `updatedAt` is the version to send back with a change (null while nothing is overridden).
 */
export async function getTimeLimits(ctx: AppContext, actor: StaffActor) {
  const row = await readTimeLimitRow(ctx.database.db, actor.countyCode);
  return presentTimeLimits(cleanOverrides(row?.value), row?.updated_at ?? null);
}

/**
 * Replaces the county's time-limit overrides (stages and urgencies left out use the defaults; an empty
 * object removes every override). Optimistic concurrency on `updatedAt`; audited.
 */
export async function putTimeLimits(
  ctx: AppContext,
  actor: StaffActor,
  input: { overrides: TimeLimitOverrides; updatedAt: string | null },
  meta: Meta,
) {
  const problems: FieldError[] = [];
  const next: TimeLimitOverrides = {};
  for (const stage of STAGES) {
    for (const urgency of URGENCIES) {
      const l = input.overrides[stage]?.[urgency];
      if (!l) continue;
      problems.push(...timeLimitProblems(l, `overrides.${stage}.${urgency}`));
      next[stage] = { ...next[stage], [urgency]: { amount: l.amount, unit: l.unit } };
    }
  }
  if (problems.length) throw new AppError('VALIDATION_FAILED', { details: problems });
  const now = ctx.clock.now();
  const result = await ctx.database.transaction(async (trx) => {
    const current = await trx
      .selectFrom('settings')
      .select(['value', 'updated_at'])
      .where('county_code', '=', actor.countyCode)
      .where('key', '=', TIME_LIMITS_KEY)
      .forUpdate()
      .executeTakeFirst();
    const currentVersion = current ? current.updated_at.toISOString() : null;
    if (currentVersion !== input.updatedAt) throw new AppError('CONFLICT');
    if (current) {
      await trx
        .updateTable('settings')
        .set({ value: JSON.stringify(next), updated_at: now })
        .where('county_code', '=', actor.countyCode)
        .where('key', '=', TIME_LIMITS_KEY)
        .execute();
    } else {
      const inserted = await trx
        .insertInto('settings')
        .values({
          county_code: actor.countyCode,
          key: TIME_LIMITS_KEY,
          value: JSON.stringify(next),
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['county_code', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      // Someone else created the row between our read and our insert.
      if (!inserted) throw new AppError('CONFLICT');
    }
    await audit(trx, actor, {
      action: 'settings.updated',
      targetType: 'settings',
      targetId: TIME_LIMITS_KEY,
      detail: { before: cleanOverrides(current?.value), after: next },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    return presentTimeLimits(next, now);
  });
  // The engine caches categories and time limits (engine/config.ts): the next case sees this.
  invalidateCountyConfig();
  return result;
}
