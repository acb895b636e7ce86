import { createRequire } from 'node:module';
import { getDayDetail, isWorkday } from 'chinese-days';
import { describe, expect, it } from 'vitest';
import { type CalendarOverride, shiftBy, WorkCalendar } from './calendar.ts';

/*
 * The official 2026 schedule (国务院办公厅, gov.cn content_7047091), as in chinese-days 1.5.7:
 *   元旦   Jan 1 (Thu) – Jan 3 (Sat) off;            Jan 4 (Sun) worked
 *   春节   Feb 15 (Sun) – Feb 23 (Mon) off;          Feb 14 (Sat) and Feb 28 (Sat) worked
 *   清明   Apr 4 (Sat) – Apr 6 (Mon) off
 *   劳动节 May 1 (Fri) – May 5 (Tue) off;            May 9 (Sat) worked
 *   端午   Jun 19 (Fri) – Jun 21 (Sun) off
 *   中秋   Sep 25 (Fri) – Sep 27 (Sun) off
 *   国庆   Oct 1 (Thu) – Oct 7 (Wed) off;            Sep 20 (Sun) and Oct 10 (Sat) worked
 * Every expectation below was worked out by hand from this table; the first block checks the table
 * itself against the package's data file and its own isWorkday().
 */

/** An instant given as China wall-clock time. */
const cn = (s: string) => new Date(`${s.replace(' ', 'T')}:00+08:00`);

/** China-time `YYYY-MM-DD HH:MM` of an instant, for readable assertions. */
const fmt = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');

const require = createRequire(import.meta.url);
const data = require('chinese-days/dist/chinese-days.json') as {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
  inLieuDays: Record<string, string>;
};

/** The package's data file read directly: 调休 working days, then holidays, then Monday–Friday. */
const fromData = (ymd: string) => {
  if (data.workdays[ymd]) return true;
  if (data.holidays[ymd]) return false;
  const wd = new Date(`${ymd}T00:00:00Z`).getUTCDay();
  return wd >= 1 && wd <= 5;
};

/**
 * The package's own helpers, asked with a local-midnight Date. They build their tables with
 * local-time getters on UTC-parsed dates, so they are one day off in a process time zone west of
 * UTC (one reason calendar.ts reads the data file); the cross-check runs only where they are right.
 */
const pkgIsWorkday = (ymd: string) => {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  return isWorkday(new Date(y, m - 1, d));
};
const pkgHelpersReliable = new Date(2026, 0, 1).getTimezoneOffset() <= 0;

const cal = new WorkCalendar();

describe('the 2026 schedule as chinese-days has it', () => {
  it('lists the holiday blocks and the adjusted working days of 2026', () => {
    const y2026 = (o: Record<string, string>) => Object.keys(o).filter((k) => k.startsWith('2026-'));
    expect(y2026(data.workdays)).toEqual([
      '2026-01-04',
      '2026-02-14',
      '2026-02-28',
      '2026-05-09',
      '2026-09-20',
      '2026-10-10',
    ]);
    const holidays = y2026(data.holidays);
    expect(holidays).toHaveLength(33);
    for (const d of ['2026-02-15', '2026-02-20', '2026-02-23', '2026-05-01', '2026-05-05', '2026-10-07']) {
      expect(holidays).toContain(d);
    }
    expect(data.holidays['2026-02-16']).toContain('春节');
    expect(data.holidays['2026-10-01']).toContain('国庆');
    expect(data.holidays['2026-05-01']).toContain('劳动节');
  });

  it('agrees with the data file on every day it covers (2004–2026)', () => {
    const mismatches: string[] = [];
    for (let t = Date.UTC(2004, 0, 1); t <= Date.UTC(2026, 11, 31); t += 86_400_000) {
      const ymd = new Date(t).toISOString().slice(0, 10);
      if (cal.isWorkingDay(ymd) !== fromData(ymd)) mismatches.push(ymd);
    }
    expect(mismatches).toEqual([]);
  });

  it.runIf(pkgHelpersReliable)('agrees with chinese-days isWorkday on every day it knows (2004–2026)', () => {
    expect(getDayDetail(new Date(2026, 1, 14))).toMatchObject({ date: '2026-02-14', work: true });
    const mismatches: string[] = [];
    for (let t = Date.UTC(2004, 0, 1); t <= Date.UTC(2026, 11, 31); t += 86_400_000) {
      const ymd = new Date(t).toISOString().slice(0, 10);
      if (cal.isWorkingDay(ymd) !== pkgIsWorkday(ymd)) mismatches.push(ymd);
    }
    expect(mismatches).toEqual([]);
  });

  it('knows the years of the package data, plus those of overrides', () => {
    const years = WorkCalendar.knownYears();
    expect(years[0]).toBe(2004);
    expect(years.at(-1)).toBe(2026);
    expect(years).toEqual(Array.from({ length: 23 }, (_, i) => 2004 + i));
    expect(WorkCalendar.knownYears([{ date: '2027-01-01', working: false }])).toContain(2027);
    expect(cal.coversYear(2026)).toBe(true);
    expect(cal.coversYear(2027)).toBe(false);
  });
});

describe('isWorkingDay', () => {
  it('treats ordinary weekends as days off and weekdays as working', () => {
    expect(cal.isWorkingDay('2026-03-06')).toBe(true); // Fri
    expect(cal.isWorkingDay('2026-03-07')).toBe(false); // Sat
    expect(cal.isWorkingDay('2026-03-08')).toBe(false); // Sun
    expect(cal.isWorkingDay('2026-03-09')).toBe(true); // Mon
  });

  it('knows the Spring Festival block and its adjusted working Saturdays', () => {
    expect(cal.isWorkingDay('2026-02-13')).toBe(true); // Fri before
    expect(cal.isWorkingDay('2026-02-14')).toBe(true); // Sat, 调休 worked
    for (let d = 15; d <= 23; d++) expect(cal.isWorkingDay(`2026-02-${d}`)).toBe(false);
    expect(cal.isWorkingDay('2026-02-24')).toBe(true); // Tue after
    expect(cal.isWorkingDay('2026-02-28')).toBe(true); // Sat, 调休 worked
    expect(cal.isWorkingDay('2026-03-01')).toBe(false); // Sun, ordinary
    for (const d of ['2026-02-14', '2026-02-16', '2026-02-23', '2026-02-28']) {
      expect(cal.isWorkingDay(d)).toBe(fromData(d));
    }
  });

  it('knows National Day and its adjusted working Sunday and Saturday', () => {
    expect(cal.isWorkingDay('2026-09-20')).toBe(true); // Sun, 调休 worked
    expect(cal.isWorkingDay('2026-09-25')).toBe(false); // Fri, 中秋
    expect(cal.isWorkingDay('2026-09-30')).toBe(true); // Wed
    for (let d = 1; d <= 7; d++) expect(cal.isWorkingDay(`2026-10-0${d}`)).toBe(false);
    expect(cal.isWorkingDay('2026-10-08')).toBe(true); // Thu
    expect(cal.isWorkingDay('2026-10-10')).toBe(true); // Sat, 调休 worked
    expect(cal.isWorkingDay('2026-10-11')).toBe(false); // Sun
  });

  it('knows Labour Day and its adjusted working Saturday', () => {
    expect(cal.isWorkingDay('2026-04-30')).toBe(true); // Thu
    for (let d = 1; d <= 5; d++) expect(cal.isWorkingDay(`2026-05-0${d}`)).toBe(false);
    expect(cal.isWorkingDay('2026-05-06')).toBe(true); // Wed
    expect(cal.isWorkingDay('2026-05-09')).toBe(true); // Sat, 调休 worked
    expect(cal.isWorkingDay('2026-05-10')).toBe(false); // Sun
  });

  it('decides the day of an instant in China time, whatever the UTC date', () => {
    expect(cal.isWorkingDay(new Date('2026-02-13T16:00:00Z'))).toBe(true); // Feb 14 00:00 in China
    expect(cal.isWorkingDay(new Date('2026-02-14T15:59:59Z'))).toBe(true); // Feb 14 23:59:59
    expect(cal.isWorkingDay(new Date('2026-02-14T16:00:00Z'))).toBe(false); // Feb 15 00:00
    expect(cal.isWorkingDay(cn('2026-10-08 00:00'))).toBe(true);
  });

  it('falls back to Monday–Friday beyond the data, and warns once per unknown year', () => {
    const warned: number[] = [];
    const c = new WorkCalendar([], { onUnknownYear: (y) => warned.push(y) });
    expect(Object.keys(data.holidays).some((k) => k.startsWith('2027-'))).toBe(false); // no 2027 data
    expect(c.isWorkingDay('2027-01-01')).toBe(true); // Fri
    expect(c.isWorkingDay('2027-01-02')).toBe(false); // Sat
    expect(c.isWorkingDay('2027-01-04')).toBe(true); // Mon
    expect(c.isWorkingDay('2026-03-09')).toBe(true);
    expect(warned).toEqual([2027]);
  });

  it('rejects malformed dates', () => {
    expect(() => cal.isWorkingDay('2026-2-3')).toThrow(RangeError);
    expect(() => cal.isWorkingDay('2026-02-30')).toThrow(RangeError);
    expect(() => cal.isWorkingDay(new Date('nope'))).toThrow(RangeError);
    expect(() => new WorkCalendar([{ date: '2026-13-01', working: true }])).toThrow(RangeError);
    expect(() => new WorkCalendar([], { workdayStart: '18:00' })).toThrow(RangeError);
    expect(() => new WorkCalendar([], { lunch: ['07:00', '08:00'] })).toThrow(RangeError);
  });
});

describe('overrides', () => {
  it('come before the package: a local holiday on a weekday, a worked Sunday, a cancelled 调休', () => {
    const c = new WorkCalendar([
      { date: '2026-03-05', working: false, note: '县庆' },
      { date: '2026-03-08', working: true },
      { date: '2026-02-14', working: false },
    ]);
    expect(c.isWorkingDay('2026-03-05')).toBe(false);
    expect(c.isWorkingDay('2026-03-08')).toBe(true);
    expect(c.isWorkingDay('2026-02-14')).toBe(false);
    expect(c.isWorkingDay('2026-03-04')).toBe(true);
  });

  it('a weekday marked as local holiday shifts a working-day deadline by one day', () => {
    // Mon Mar 2 + 7 working days: Mar 3, 4, 5, 6, 9, 10, 11 → Wed Mar 11 17:30.
    const start = cn('2026-03-02 10:00');
    expect(fmt(cal.addLimit(start, { amount: 7, unit: 'working_days' }))).toBe('2026-03-11 17:30');
    // Without Thu Mar 5: Mar 3, 4, 6, 9, 10, 11, 12 → Thu Mar 12 17:30.
    const c = new WorkCalendar([{ date: '2026-03-05', working: false }]);
    expect(fmt(c.addLimit(start, { amount: 7, unit: 'working_days' }))).toBe('2026-03-12 17:30');
  });

  it('a Sunday marked as working counts', () => {
    const start = cn('2026-03-06 10:00'); // Fri
    expect(fmt(cal.addLimit(start, { amount: 1, unit: 'working_days' }))).toBe('2026-03-09 17:30');
    const c = new WorkCalendar([{ date: '2026-03-08', working: true }]);
    expect(fmt(c.addLimit(start, { amount: 1, unit: 'working_days' }))).toBe('2026-03-08 17:30');
    expect(c.workingDaysBetween(start, cn('2026-03-09 12:00'))).toBe(2);
    expect(fmt(c.nextWorkingDayStart(cn('2026-03-07 18:00')))).toBe('2026-03-08 08:30');
  });

  it('fill a year the package does not know, and make it known', () => {
    const warned: number[] = [];
    const overrides: CalendarOverride[] = [{ date: '2027-01-01', working: false, note: '元旦' }];
    const c = new WorkCalendar(overrides, { onUnknownYear: (y) => warned.push(y) });
    expect(c.isWorkingDay('2027-01-01')).toBe(false);
    expect(c.isWorkingDay('2027-01-04')).toBe(true);
    expect(c.coversYear(2027)).toBe(true);
    expect(warned).toEqual([]);
    // Thu 2026-12-31 + 1 working day: not Fri Jan 1 (overridden), so Mon Jan 4.
    expect(fmt(c.addLimit(cn('2026-12-31 10:00'), { amount: 1, unit: 'working_days' }))).toBe(
      '2027-01-04 17:30',
    );
  });

  it('later entries for the same date win', () => {
    const c = new WorkCalendar([
      { date: '2026-03-09', working: false },
      { date: '2026-03-09', working: true },
    ]);
    expect(c.isWorkingDay('2026-03-09')).toBe(true);
  });
});

describe('addLimit', () => {
  it('"7 working days" from the Friday before the Spring Festival', () => {
    // Fri Feb 13 10:00; day 1 = Sat Feb 14 (调休), Feb 15–23 off, then Feb 24, 25, 26, 27,
    // Sat Feb 28 (调休), Mon Mar 2 = day 7 → 17:30.
    const due = cal.addLimit(cn('2026-02-13 10:00'), { amount: 7, unit: 'working_days' });
    expect(fmt(due)).toBe('2026-03-02 17:30');
    expect(due.toISOString()).toBe('2026-03-02T09:30:00.000Z');
  });

  it('"7 working days" before 中秋 and before National Day', () => {
    // Fri Sep 18: Sun Sep 20 (调休), 21, 22, 23, 24, (25–27 off), 28, Tue Sep 29.
    expect(fmt(cal.addLimit(cn('2026-09-18 10:00'), { amount: 7, unit: 'working_days' }))).toBe(
      '2026-09-29 17:30',
    );
    // Wed Sep 30: (Oct 1–7 off), Oct 8, 9, Sat Oct 10 (调休), 12, 13, 14, Thu Oct 15.
    expect(fmt(cal.addLimit(cn('2026-09-30 10:00'), { amount: 7, unit: 'working_days' }))).toBe(
      '2026-10-15 17:30',
    );
  });

  it('"15 working days" across the Spring Festival', () => {
    // Feb 14, 24, 25, 26, 27, 28, Mar 2, 3, 4, 5, 6, 9, 10, 11, 12.
    expect(fmt(cal.addLimit(cn('2026-02-13 10:00'), { amount: 15, unit: 'working_days' }))).toBe(
      '2026-03-12 17:30',
    );
  });

  it('never counts the start day, working or not, early or late', () => {
    const one = { amount: 1, unit: 'working_days' } as const;
    expect(fmt(cal.addLimit(cn('2026-03-09 07:00'), one))).toBe('2026-03-10 17:30'); // Mon before hours
    expect(fmt(cal.addLimit(cn('2026-03-09 23:00'), one))).toBe('2026-03-10 17:30');
    expect(fmt(cal.addLimit(cn('2026-03-07 10:00'), one))).toBe('2026-03-09 17:30'); // Sat
    expect(fmt(cal.addLimit(cn('2026-05-02 10:00'), one))).toBe('2026-05-06 17:30'); // in Labour Day
    expect(fmt(cal.addLimit(cn('2026-05-08 10:00'), one))).toBe('2026-05-09 17:30'); // → 调休 Sat
  });

  it('"24 hours" and "1 natural day" across a holiday ignore the calendar', () => {
    const start = cn('2026-09-30 18:00');
    expect(fmt(cal.addLimit(start, { amount: 24, unit: 'hours' }))).toBe('2026-10-01 18:00');
    expect(fmt(cal.addLimit(start, { amount: 1, unit: 'natural_days' }))).toBe('2026-10-01 18:00');
    expect(fmt(cal.addLimit(cn('2026-02-13 10:00'), { amount: 2, unit: 'hours' }))).toBe('2026-02-13 12:00');
    expect(fmt(cal.addLimit(cn('2026-02-14 10:00'), { amount: 0.5, unit: 'hours' }))).toBe(
      '2026-02-14 10:30',
    );
  });

  it('"2 working hours" from 16:45 ends at 09:45 on the next working day', () => {
    const two = { amount: 2, unit: 'working_hours' } as const;
    expect(fmt(cal.addLimit(cn('2026-03-09 16:45'), two))).toBe('2026-03-10 09:45'); // Mon → Tue
    expect(fmt(cal.addLimit(cn('2026-03-06 16:45'), two))).toBe('2026-03-09 09:45'); // Fri → Mon
    expect(fmt(cal.addLimit(cn('2026-02-13 16:45'), two))).toBe('2026-02-14 09:45'); // → 调休 Sat
    expect(fmt(cal.addLimit(cn('2026-02-14 16:45'), two))).toBe('2026-02-24 09:45'); // over 春节
  });

  it('working hours respect lunch, the day bounds and days off', () => {
    const h = (amount: number) => ({ amount, unit: 'working_hours' }) as const;
    expect(fmt(cal.addLimit(cn('2026-03-09 11:30'), h(2)))).toBe('2026-03-09 15:30'); // 30 min + 1.5 h
    expect(fmt(cal.addLimit(cn('2026-03-09 12:30'), h(1)))).toBe('2026-03-09 15:00'); // starts in lunch
    expect(fmt(cal.addLimit(cn('2026-03-09 10:00'), h(2)))).toBe('2026-03-09 12:00'); // ends at lunch
    expect(fmt(cal.addLimit(cn('2026-03-09 07:00'), h(1)))).toBe('2026-03-09 09:30'); // before hours
    expect(fmt(cal.addLimit(cn('2026-03-09 16:30'), h(1)))).toBe('2026-03-09 17:30'); // ends at close
    expect(fmt(cal.addLimit(cn('2026-02-20 10:00'), h(1)))).toBe('2026-02-24 09:30'); // on a holiday
    // 105 h = 15 days of 7 h: Mon Mar 9 08:30 → Fri Mar 27 17:30.
    expect(fmt(cal.addLimit(cn('2026-03-09 08:30'), h(105)))).toBe('2026-03-27 17:30');
  });

  it('uses configured working hours', () => {
    const c = new WorkCalendar([], { workdayStart: '09:00', workdayEnd: '17:00', lunch: ['12:00', '13:00'] });
    expect(fmt(c.addLimit(cn('2026-03-09 16:45'), { amount: 2, unit: 'working_hours' }))).toBe(
      '2026-03-10 10:45',
    );
    expect(fmt(c.addLimit(cn('2026-03-09 10:00'), { amount: 1, unit: 'working_days' }))).toBe(
      '2026-03-10 17:00',
    );
    const noLunch = new WorkCalendar([], { lunch: ['12:00', '12:00'] });
    expect(fmt(noLunch.addLimit(cn('2026-03-09 11:30'), { amount: 1, unit: 'working_hours' }))).toBe(
      '2026-03-09 12:30',
    );
  });

  it('returns the start for a zero limit and rejects bad limits', () => {
    const start = cn('2026-03-09 10:00');
    expect(cal.addLimit(start, { amount: 0, unit: 'working_days' })).toEqual(start);
    expect(() => cal.addLimit(start, { amount: -1, unit: 'hours' })).toThrow(RangeError);
    expect(() => cal.addLimit(start, { amount: 1.5, unit: 'working_days' })).toThrow(RangeError);
    expect(() => cal.addLimit(start, { amount: Number.POSITIVE_INFINITY, unit: 'hours' })).toThrow(
      RangeError,
    );
  });
});

describe('addLimitWithPauses', () => {
  it('a 3-day suspension moves a natural-hours deadline by 3 days', () => {
    const start = cn('2026-03-09 10:00');
    const pause = { from: cn('2026-03-09 12:00'), to: cn('2026-03-12 12:00') };
    expect(fmt(cal.addLimitWithPauses(start, { amount: 24, unit: 'hours' }, [pause]))).toBe(
      '2026-03-13 10:00',
    );
    expect(fmt(cal.addLimitWithPauses(start, { amount: 1, unit: 'natural_days' }, [pause]))).toBe(
      '2026-03-13 10:00',
    );
  });

  it('natural time: pauses after the due instant do nothing; one from before the start counts from the start', () => {
    const start = cn('2026-03-09 10:00');
    const day = { amount: 24, unit: 'hours' } as const;
    const late = { from: cn('2026-03-10 10:00'), to: cn('2026-03-11 10:00') };
    expect(fmt(cal.addLimitWithPauses(start, day, [late]))).toBe('2026-03-10 10:00');
    const early = { from: cn('2026-03-08 10:00'), to: cn('2026-03-09 16:00') };
    expect(fmt(cal.addLimitWithPauses(start, day, [early]))).toBe('2026-03-10 16:00');
  });

  it('overlapping pauses count once', () => {
    const pauses = [
      { from: cn('2026-03-10 00:00'), to: cn('2026-03-11 00:00') },
      { from: cn('2026-03-10 12:00'), to: cn('2026-03-12 00:00') },
    ];
    expect(fmt(cal.addLimitWithPauses(cn('2026-03-09 10:00'), { amount: 24, unit: 'hours' }, pauses))).toBe(
      '2026-03-12 10:00',
    );
  });

  it('a pause over the Spring Festival alone does not move a working-day deadline', () => {
    // Fri Feb 6 + 7 working days: Feb 9, 10, 11, 12, 13, Sat 14 (调休), Tue 24.
    const start = cn('2026-02-06 10:00');
    const seven = { amount: 7, unit: 'working_days' } as const;
    expect(fmt(cal.addLimit(start, seven))).toBe('2026-02-24 17:30');
    const overHoliday = { from: cn('2026-02-15 00:00'), to: cn('2026-02-24 00:00') };
    expect(fmt(cal.addLimitWithPauses(start, seven, [overHoliday]))).toBe('2026-02-24 17:30');
  });

  it('a pause over working days and the holiday moves a working-day deadline by the working days only', () => {
    // Paused Fri Feb 13 – Tue Feb 24 00:00: Feb 13 and Sat Feb 14 (调休) lost, Feb 15–23 were off anyway.
    // Counted: Feb 9, 10, 11, 12, then 24, 25, 26 → Thu Feb 26 17:30.
    const start = cn('2026-02-06 10:00');
    const pause = { from: cn('2026-02-13 00:00'), to: cn('2026-02-24 00:00') };
    expect(fmt(cal.addLimitWithPauses(start, { amount: 7, unit: 'working_days' }, [pause]))).toBe(
      '2026-02-26 17:30',
    );
  });

  it('working days: a pause on the start day changes nothing, part of a working day moves by that time', () => {
    const start = cn('2026-03-02 10:00');
    const one = { amount: 1, unit: 'working_days' } as const;
    const sameDay = { from: cn('2026-03-02 11:00'), to: cn('2026-03-02 16:00') };
    expect(fmt(cal.addLimitWithPauses(start, one, [sameDay]))).toBe('2026-03-03 17:30');
    const oneHour = { from: cn('2026-03-03 14:00'), to: cn('2026-03-03 15:00') };
    expect(fmt(cal.addLimitWithPauses(start, one, [oneHour]))).toBe('2026-03-04 09:30');
    const weekend = { from: cn('2026-03-07 00:00'), to: cn('2026-03-09 00:00') };
    expect(fmt(cal.addLimitWithPauses(start, { amount: 5, unit: 'working_days' }, [weekend]))).toBe(
      fmt(cal.addLimit(start, { amount: 5, unit: 'working_days' })),
    );
  });

  it('working hours stop during a pause', () => {
    const pause = { from: cn('2026-03-09 09:30'), to: cn('2026-03-09 10:30') };
    // 09:00–09:30 (30 min), paused, 10:30–12:00 (90 min).
    expect(
      fmt(cal.addLimitWithPauses(cn('2026-03-09 09:00'), { amount: 2, unit: 'working_hours' }, [pause])),
    ).toBe('2026-03-09 12:00');
  });

  it('without pauses it is addLimit, and it rejects a pause ending before it starts', () => {
    const start = cn('2026-02-13 10:00');
    for (const limit of [
      { amount: 7, unit: 'working_days' },
      { amount: 15, unit: 'working_days' },
      { amount: 2, unit: 'working_hours' },
      { amount: 24, unit: 'hours' },
    ] as const) {
      expect(cal.addLimitWithPauses(start, limit, [])).toEqual(cal.addLimit(start, limit));
    }
    const bad = { from: cn('2026-03-10 00:00'), to: cn('2026-03-09 00:00') };
    expect(() => cal.addLimitWithPauses(start, { amount: 1, unit: 'hours' }, [bad])).toThrow(RangeError);
  });
});

describe('shiftBy', () => {
  it('moves a due instant by a pause length', () => {
    const due = cn('2026-03-11 17:30');
    expect(fmt(shiftBy(due, 3 * 86_400_000))).toBe('2026-03-14 17:30');
    expect(shiftBy(due, 0)).toEqual(due);
    expect(() => shiftBy(due, Number.NaN)).toThrow(RangeError);
  });
});

describe('workingDaysBetween', () => {
  it('counts working days after the first day up to and including the last', () => {
    const start = cn('2026-02-13 10:00');
    expect(cal.workingDaysBetween(start, cn('2026-03-02 17:30'))).toBe(7);
    expect(cal.workingDaysBetween(start, cn('2026-02-13 17:00'))).toBe(0);
    expect(cal.workingDaysBetween(start, cn('2026-02-24 09:00'))).toBe(2); // Feb 14 (调休), Feb 24
    expect(cal.workingDaysBetween(cn('2026-09-30 10:00'), cn('2026-10-08 10:00'))).toBe(1);
    expect(cal.workingDaysBetween(cn('2026-03-02 17:30'), start)).toBe(-7);
  });

  it('is the inverse of addLimit in working days', () => {
    const start = cn('2026-09-18 15:00');
    for (const n of [1, 2, 7, 15]) {
      expect(cal.workingDaysBetween(start, cal.addLimit(start, { amount: n, unit: 'working_days' }))).toBe(n);
    }
  });

  it('answers "extension asked at least 1 working day before the deadline"', () => {
    const due = cn('2026-03-02 17:30');
    expect(cal.workingDaysBetween(cn('2026-02-28 16:00'), due)).toBeGreaterThanOrEqual(1); // 调休 Sat
    expect(cal.workingDaysBetween(cn('2026-03-02 09:00'), due)).toBe(0);
  });
});

describe('nextWorkingDayStart', () => {
  it('from a Friday evening before the Spring Festival week is the 调休 Saturday at 08:30', () => {
    expect(fmt(cal.nextWorkingDayStart(cn('2026-02-13 19:00')))).toBe('2026-02-14 08:30');
    expect(fmt(cal.nextWorkingDayStart(cn('2026-02-14 19:00')))).toBe('2026-02-24 08:30');
  });

  it('skips Labour Day and National Day and ordinary weekends', () => {
    expect(fmt(cal.nextWorkingDayStart(cn('2026-04-30 20:00')))).toBe('2026-05-06 08:30');
    expect(fmt(cal.nextWorkingDayStart(cn('2026-09-30 20:00')))).toBe('2026-10-08 08:30');
    expect(fmt(cal.nextWorkingDayStart(cn('2026-09-18 20:00')))).toBe('2026-09-20 08:30'); // 调休 Sun
    expect(fmt(cal.nextWorkingDayStart(cn('2026-03-06 20:00')))).toBe('2026-03-09 08:30');
  });

  it('is always a later day, even before working hours', () => {
    expect(fmt(cal.nextWorkingDayStart(cn('2026-03-09 07:00')))).toBe('2026-03-10 08:30');
    const c = new WorkCalendar([], { workdayStart: '09:00' });
    expect(c.nextWorkingDayStart(cn('2026-03-09 07:00')).toISOString()).toBe('2026-03-10T01:00:00.000Z');
  });
});
