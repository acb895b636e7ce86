/**
 * The working calendar for deadlines (DESIGN §4 "Deadlines"): the official Chinese calendar with its
 * public holidays and adjusted working days (调休), from the data file shipped by `chinese-days`, plus
 * date-level overrides an admin adds (a year the package does not know yet, a local holiday). Pure:
 * no database, no clock; the caller passes instants and gets instants back.
 *
 * Calendar-day decisions use China time, a fixed UTC+8 without DST, computed with plain offsets so
 * that the process time zone never matters. A date neither overridden nor in the package data falls
 * back to Monday–Friday working.
 *
 * Why the data file and not `isWorkday()`: the package's helpers parse `YYYY-MM-DD` as UTC midnight
 * but read it back with local-time getters, so they answer for the wrong day in a process time zone
 * west of UTC. The data file (documented by the package, the same tables its helpers use) is read
 * once into sets and looked up by a China-time date string.
 */
import { createRequire } from 'node:module';

/** A date-level override an admin adds when the package does not know a year yet (or a local holiday). */
export interface CalendarOverride {
  /** YYYY-MM-DD, China time. */
  date: string;
  working: boolean;
  note?: string;
}

export type LimitUnit = 'hours' | 'working_hours' | 'working_days' | 'natural_days';

export interface TimeLimit {
  amount: number;
  unit: LimitUnit;
}

export interface WorkCalendarOptions {
  /** Start of the working day, China time, `HH:MM`. Default `08:30`. */
  workdayStart?: string;
  /** End of the working day, China time, `HH:MM`. Default `17:30`. */
  workdayEnd?: string;
  /** Lunch break, not working time. Default `['12:00', '14:00']`; two equal times mean no break. */
  lunch?: [string, string];
  /**
   * Called once per calendar year when a day of a year that neither the package nor an override
   * covers is looked up (it then falls back to Monday–Friday): wire it to a logger or an admin alert.
   */
  onUnknownYear?: (year: number) => void;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** China Standard Time is UTC+8 all year. */
const CN_OFFSET = 8 * HOUR;
/** A sanity bound for day-by-day walks: no deadline is a century away. */
const MAX_SCAN_DAYS = 366 * 100;

interface PackageData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

interface CalendarData {
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
  years: readonly number[];
}

let packageData: CalendarData | undefined;

/** The package's holiday and adjusted-working-day tables, read once. */
function loadPackageData(): CalendarData {
  if (!packageData) {
    const require = createRequire(import.meta.url);
    const raw = require('chinese-days/dist/chinese-days.json') as PackageData;
    const holidays = new Set(Object.keys(raw.holidays));
    const workdays = new Set(Object.keys(raw.workdays));
    const years = new Set<number>();
    for (const key of [...holidays, ...workdays]) years.add(Number(key.slice(0, 4)));
    packageData = { holidays, workdays, years: [...years].sort((a, b) => a - b) };
  }
  return packageData;
}

/** Days since 1970-01-01 of the China-time calendar day containing the instant `t` (ms). */
function chinaDay(t: number): number {
  return Math.floor((t + CN_OFFSET) / DAY);
}

/** The instant (ms) of China-time midnight starting `day`. */
function dayStartInstant(day: number): number {
  return day * DAY - CN_OFFSET;
}

/** `YYYY-MM-DD` of a day number. */
function dayKey(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** Day number of a `YYYY-MM-DD` string; rejects malformed and non-existent dates. */
function parseDayKey(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new RangeError(`invalid date "${s}": expected YYYY-MM-DD`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const day = ms / DAY;
  if (dayKey(day) !== s) throw new RangeError(`invalid date "${s}": no such day`);
  return day;
}

/** Minutes since midnight of an `HH:MM` string (00:00–24:00). */
function parseClock(s: string, what: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(s);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!m || Number(m[2]) > 59 || minutes > 24 * 60) {
    throw new RangeError(`invalid ${what} "${s}": expected HH:MM`);
  }
  return minutes;
}

function instantOf(d: Date, what: string): number {
  const t = d instanceof Date ? d.getTime() : Number.NaN;
  if (Number.isNaN(t)) throw new RangeError(`invalid ${what}: not a valid Date`);
  return t;
}

interface Interval {
  from: number;
  to: number;
}

/** Validates, sorts and merges pauses into disjoint intervals; empty ones vanish. */
function normalizePauses(pauses: readonly { from: Date; to: Date }[]): Interval[] {
  const list: Interval[] = [];
  for (const p of pauses) {
    const from = instantOf(p.from, 'pause start');
    const to = instantOf(p.to, 'pause end');
    if (to < from) throw new RangeError('invalid pause: it ends before it starts');
    if (to > from) list.push({ from, to });
  }
  list.sort((a, b) => a.from - b.from);
  const merged: Interval[] = [];
  for (const p of list) {
    const last = merged[merged.length - 1];
    if (last && p.from <= last.to) last.to = Math.max(last.to, p.to);
    else merged.push({ ...p });
  }
  return merged;
}

function checkLimit(limit: TimeLimit): void {
  const { amount, unit } = limit;
  if (!Number.isFinite(amount) || amount < 0) {
    throw new RangeError(`invalid time limit amount ${amount}: expected a finite number ≥ 0`);
  }
  if (unit === 'working_days' && !Number.isInteger(amount)) {
    throw new RangeError(`invalid time limit: ${amount} working days is not a whole number`);
  }
  if (unit !== 'hours' && unit !== 'natural_days' && unit !== 'working_hours' && unit !== 'working_days') {
    throw new RangeError(`invalid time limit unit "${String(unit)}"`);
  }
}

/**
 * Working days and hours on the official Chinese calendar plus overrides. Build a new one when the
 * overrides change (they are data an admin edits, so the calendar is updatable without a release).
 */
export class WorkCalendar {
  private readonly overrides = new Map<string, boolean>();
  private readonly overrideYears = new Set<number>();
  private readonly cache = new Map<number, boolean>();
  private readonly warnedYears = new Set<number>();
  private readonly onUnknownYear: ((year: number) => void) | undefined;
  /** Working-time segments of a working day, as [from, to) offsets in ms from China-time midnight. */
  private readonly segments: readonly (readonly [number, number])[];
  private readonly dayLength: number;
  private readonly startOffset: number;
  private readonly endOffset: number;

  /** Later overrides of the same date win. Throws RangeError on a malformed date or time. */
  constructor(overrides: readonly CalendarOverride[] = [], opts: WorkCalendarOptions = {}) {
    for (const o of overrides) {
      parseDayKey(o.date);
      this.overrides.set(o.date, o.working);
      this.overrideYears.add(Number(o.date.slice(0, 4)));
    }
    const start = parseClock(opts.workdayStart ?? '08:30', 'workdayStart');
    const end = parseClock(opts.workdayEnd ?? '17:30', 'workdayEnd');
    const [lunchFrom, lunchTo] = opts.lunch ?? ['12:00', '14:00'];
    const l0 = parseClock(lunchFrom, 'lunch start');
    const l1 = parseClock(lunchTo, 'lunch end');
    if (!(start < end)) throw new RangeError('invalid working hours: workdayStart must be before workdayEnd');
    if (!(start <= l0 && l0 <= l1 && l1 <= end)) {
      throw new RangeError('invalid lunch break: it must lie within the working hours');
    }
    const segs = (
      [
        [start, l0],
        [l1, end],
      ] as const
    ).filter(([a, b]) => b > a);
    this.segments = segs.map(([a, b]) => [a * MINUTE, b * MINUTE] as const);
    this.dayLength = this.segments.reduce((sum, [a, b]) => sum + (b - a), 0);
    this.startOffset = start * MINUTE;
    this.endOffset = end * MINUTE;
    this.onUnknownYear = opts.onUnknownYear;
  }

  /**
   * The years the package's data covers, plus those of `overrides` if given; sorted. A day outside
   * them falls back to Monday–Friday working, which misses that year's holidays: add overrides.
   */
  static knownYears(overrides: readonly CalendarOverride[] = []): number[] {
    const years = new Set(loadPackageData().years);
    for (const o of overrides) {
      parseDayKey(o.date);
      years.add(Number(o.date.slice(0, 4)));
    }
    return [...years].sort((a, b) => a - b);
  }

  /** Whether the package data or this calendar's overrides cover `year`. */
  coversYear(year: number): boolean {
    return this.overrideYears.has(year) || loadPackageData().years.includes(year);
  }

  /**
   * Whether a China-time calendar day is a working day: overrides first, then the package's adjusted
   * working days (调休) and holidays, then Monday–Friday. A string is `YYYY-MM-DD`; a Date is the
   * China-time day containing that instant.
   */
  isWorkingDay(date: string | Date): boolean {
    const day = typeof date === 'string' ? parseDayKey(date) : chinaDay(instantOf(date, 'date'));
    return this.isWorkingDayNumber(day);
  }

  /**
   * Adds a limit to a start instant:
   * - `hours`: natural hours; `natural_days`: n × 24 h (both ignore the calendar);
   * - `working_days`: the end of working hours on the nth working day after the start day (the start
   *   day never counts, whether or not it is a working day or the start is before working hours);
   * - `working_hours`: only time inside working hours on working days counts; a limit used up exactly
   *   at the end of a segment ends there (17:30, not 08:30 the next working day).
   * A zero amount returns the start. Throws RangeError on a negative, non-finite or (for working
   * days) fractional amount.
   */
  addLimit(start: Date, limit: TimeLimit): Date {
    checkLimit(limit);
    const t = instantOf(start, 'start');
    const { amount, unit } = limit;
    if (amount === 0) return new Date(t);
    switch (unit) {
      case 'hours':
        return new Date(t + amount * HOUR);
      case 'natural_days':
        return new Date(t + amount * DAY);
      case 'working_hours':
        return new Date(this.walkWorkingTime(t, amount * HOUR, []));
      case 'working_days': {
        let day = chinaDay(t);
        const first = day;
        for (let counted = 0; counted < amount; ) {
          day++;
          if (day - first > MAX_SCAN_DAYS) throw new RangeError('time limit too far in the future');
          if (this.isWorkingDayNumber(day)) counted++;
        }
        return new Date(dayStartInstant(day) + this.endOffset);
      }
    }
  }

  /**
   * Same as `addLimit`, but the clock stops during the paused intervals (a suspended case); pauses may
   * overlap and may start before `start`. Natural units move by the paused time after the start;
   * working hours move by the working time inside the pauses; working days count, from the day after
   * the start day, n full working days of working time outside the pauses — so a pause over a holiday
   * or a weekend moves nothing, one over whole working days moves the deadline by those days, and a
   * pause of part of a working day moves it by that much working time (it may then end mid-day).
   */
  addLimitWithPauses(start: Date, limit: TimeLimit, pauses: readonly { from: Date; to: Date }[]): Date {
    checkLimit(limit);
    const t = instantOf(start, 'start');
    const merged = normalizePauses(pauses);
    const { amount, unit } = limit;
    if (amount === 0 || merged.length === 0) return this.addLimit(start, limit);
    switch (unit) {
      case 'hours':
      case 'natural_days': {
        let due = t + amount * (unit === 'hours' ? HOUR : DAY);
        for (const p of merged) {
          const from = Math.max(p.from, t);
          if (p.to <= from) continue;
          if (from >= due) break;
          due += p.to - from;
        }
        return new Date(due);
      }
      case 'working_hours':
        return new Date(this.walkWorkingTime(t, amount * HOUR, merged));
      case 'working_days':
        return new Date(
          this.walkWorkingTime(dayStartInstant(chinaDay(t) + 1), amount * this.dayLength, merged),
        );
    }
  }

  /**
   * Working days d with day(from) < d ≤ day(to), China time: the inverse of `addLimit` in working
   * days (`workingDaysBetween(s, addLimit(s, n working days)) === n`). An extension asked at `now`
   * for a deadline `due` is "≥ 1 working day before" when `workingDaysBetween(now, due) >= 1`.
   * Negative when `to` is on an earlier day than `from`.
   */
  workingDaysBetween(from: Date, to: Date): number {
    const a = chinaDay(instantOf(from, 'from'));
    const b = chinaDay(instantOf(to, 'to'));
    if (b < a) return -this.workingDaysBetween(to, from);
    if (b - a > MAX_SCAN_DAYS) throw new RangeError('range too long');
    let n = 0;
    for (let d = a + 1; d <= b; d++) if (this.isWorkingDayNumber(d)) n++;
    return n;
  }

  /** The start of working hours on the first working day after the China-time day of `after`. */
  nextWorkingDayStart(after: Date): Date {
    const first = chinaDay(instantOf(after, 'date'));
    let day = first + 1;
    while (!this.isWorkingDayNumber(day)) {
      day++;
      if (day - first > MAX_SCAN_DAYS) throw new RangeError('no working day found');
    }
    return new Date(dayStartInstant(day) + this.startOffset);
  }

  private isWorkingDayNumber(day: number): boolean {
    const cached = this.cache.get(day);
    if (cached !== undefined) return cached;
    const key = dayKey(day);
    let working = this.overrides.get(key);
    if (working === undefined) {
      const data = loadPackageData();
      if (data.workdays.has(key)) working = true;
      else if (data.holidays.has(key)) working = false;
      else {
        const wd = weekday(day);
        working = wd >= 1 && wd <= 5;
        this.warnIfUnknown(Number(key.slice(0, 4)));
      }
    }
    this.cache.set(day, working);
    return working;
  }

  private warnIfUnknown(year: number): void {
    if (!this.onUnknownYear || this.warnedYears.has(year) || this.coversYear(year)) return;
    this.warnedYears.add(year);
    this.onUnknownYear(year);
  }

  /**
   * The instant when `budget` ms of working time, outside `pauses` (sorted, disjoint), have passed
   * since `from`. Steps by working-time segments (two per working day), never by minutes.
   */
  private walkWorkingTime(from: number, budget: number, pauses: readonly Interval[]): number {
    let remaining = budget;
    let p = 0;
    const firstDay = chinaDay(from);
    for (let day = firstDay; day - firstDay <= MAX_SCAN_DAYS; day++) {
      if (!this.isWorkingDayNumber(day)) continue;
      const base = dayStartInstant(day);
      for (const [s, e] of this.segments) {
        let pos = Math.max(base + s, from);
        const end = base + e;
        while (pos < end) {
          while (p < pauses.length && pauses[p]!.to <= pos) p++;
          const pause = pauses[p];
          if (pause && pause.from <= pos) {
            pos = Math.min(pause.to, end);
            continue;
          }
          const next = pause ? Math.min(pause.from, end) : end;
          const available = next - pos;
          if (available >= remaining) return pos + remaining;
          remaining -= available;
          pos = next;
        }
      }
    }
    throw new RangeError('time limit too far in the future');
  }
}

/** Shifts a due instant by the length of a pause (suspension) — for moving existing deadlines on resume. */
export function shiftBy(due: Date, ms: number): Date {
  const t = instantOf(due, 'due');
  if (!Number.isFinite(ms)) throw new RangeError(`invalid shift ${ms}: expected a finite number of ms`);
  return new Date(t + ms);
}
