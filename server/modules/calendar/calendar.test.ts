import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { as, COUNTY, createStaff, ensureCounty, type StaffSession } from '../../../test/factories.ts';
import { dueFor, limitFor } from '../../engine/deadlines.ts';

let env: TestEnv;
let admin: StaffSession;
let operator: StaffSession;
let handler: StaffSession;

const db = () => env.ctx.database.db;

/** PUT and DELETE with the session's cookie and CSRF token (the shared helper sends GET, POST, PATCH). */
function send(s: StaffSession | null, method: 'PUT' | 'DELETE', url: string, payload?: object) {
  return env.app.inject({
    method,
    url,
    headers: s ? { cookie: s.cookie, 'x-csrf-token': s.csrf } : {},
    ...(payload !== undefined ? { payload } : {}),
  });
}

const overrides = () =>
  db()
    .selectFrom('calendar_overrides')
    .select(['working', 'note'])
    .where('county_code', '=', COUNTY)
    .orderBy('day')
    .execute();
const audits = (action: string) =>
  db()
    .selectFrom('audit_log')
    .select(['target_id', 'detail'])
    .where('action', '=', action)
    .orderBy('id')
    .execute();

/** A case of the county without a category, for deadline arithmetic. */
const plain = { county_code: COUNTY, category_id: null, urgency: 'normal' as const };
const oneWorkingDay = { amount: 1, unit: 'working_days' as const };

beforeAll(async () => {
  env = await createTestEnv();
  await ensureCounty(env.ctx);
  admin = await createStaff(env, 'admin');
  operator = await createStaff(env, 'operator');
  handler = await createStaff(env, 'village_handler');
});
afterAll(() => env.close());

describe('GET /api/calendar', () => {
  it('answers 401 without a session and 400 for a missing or impossible year', async () => {
    expect((await as(env, null).get('/api/calendar?year=2026')).statusCode).toBe(401);
    for (const q of ['', '?year=1999', '?year=abc', '?year=2026&month=1']) {
      const res = await as(env, handler).get(`/api/calendar${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('lists each month’s holidays and adjusted working days from chinese-days, for any staff member', async () => {
    const res = await as(env, handler).get('/api/calendar?year=2026');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ year: 2026, known: true });
    expect(body.knownYears).toContain(2026);
    expect(body.months).toHaveLength(12);
    const jan = body.months[0].days;
    expect(jan.find((d: { date: string }) => d.date === '2026-01-01')).toEqual({
      date: '2026-01-01',
      weekday: 4,
      working: false,
      source: 'package',
      kind: 'holiday',
      name: '元旦',
      nameEn: "New Year's Day",
      note: null,
    });
    // Sunday 4 January 2026 is worked (调休).
    expect(jan.find((d: { date: string }) => d.date === '2026-01-04')).toMatchObject({
      weekday: 0,
      working: true,
      kind: 'adjusted_workday',
    });
    // An ordinary month lists only its special days; every day sits in its own month.
    for (const m of body.months) {
      for (const d of m.days) expect(Number(d.date.slice(5, 7))).toBe(m.month);
    }
    const feb = body.months[1].days as { kind: string; name: string }[];
    expect(feb.some((d) => d.kind === 'holiday' && d.name === '春节')).toBe(true);
  });

  it('says when a year is not known (it falls back to Monday–Friday)', async () => {
    const res = await as(env, handler).get('/api/calendar?year=2099');
    expect(res.statusCode).toBe(200);
    expect(res.json().known).toBe(false);
    expect(res.json().months.flatMap((m: { days: unknown[] }) => m.days)).toEqual([]);
  });
});

describe('PUT and DELETE /api/calendar/overrides/:date', () => {
  it('answers 401 without a session, 400 for an invalid date or body, 403 to non-admins — changing nothing', async () => {
    expect(
      (await send(null, 'PUT', '/api/calendar/overrides/2027-01-04', { working: false })).statusCode,
    ).toBe(401);
    for (const date of [
      '2026-02-30',
      '2027-13-01',
      '2027-00-10',
      '2027-1-4',
      '1999-12-31',
      '2101-01-01',
      'today',
    ]) {
      const res = await send(admin, 'PUT', `/api/calendar/overrides/${date}`, { working: false });
      expect(res.statusCode, date).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(res.json().error.details[0].field).toBe('date');
    }
    for (const body of [
      {},
      { working: 'no' },
      { working: false, note: 'x'.repeat(101) },
      { working: true, x: 1 },
    ]) {
      const res = await send(admin, 'PUT', '/api/calendar/overrides/2027-01-04', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    for (const s of [operator, handler]) {
      const res = await send(s, 'PUT', '/api/calendar/overrides/2027-01-04', { working: false });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    expect(await overrides()).toEqual([]);
    expect(await audits('calendar.updated')).toEqual([]);
  });

  it('makes 2027-01-04 non-working and moves a deadline computed after it', async () => {
    // Fri 1 Jan 2027, 10:00 China time: one working day is Monday 4 January, 17:30.
    const from = new Date('2027-01-01T02:00:00Z');
    const before = await dueFor(db(), plain, 'reply', from, oneWorkingDay);
    expect(before.dueAt.toISOString()).toBe('2027-01-04T09:30:00.000Z');

    const res = await send(admin, 'PUT', '/api/calendar/overrides/2027-01-04', {
      working: false,
      note: '元旦调休（测试）',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      date: '2027-01-04',
      working: false,
      override: { working: false, note: '元旦调休（测试）' },
    });
    // The service reset the engine's cached calendar: the next deadline skips the day.
    const after = await dueFor(db(), plain, 'reply', from, oneWorkingDay);
    expect(after.dueAt.toISOString()).toBe('2027-01-05T09:30:00.000Z');

    const year = (await as(env, operator).get('/api/calendar?year=2027')).json();
    expect(year.known).toBe(true);
    expect(year.months[0].days).toContainEqual({
      date: '2027-01-04',
      weekday: 1,
      working: false,
      source: 'override',
      kind: 'override',
      name: null,
      nameEn: null,
      note: '元旦调休（测试）',
    });
    expect(await audits('calendar.updated')).toEqual([
      {
        target_id: '2027-01-04',
        detail: { before: null, after: { working: false, note: '元旦调休（测试）' } },
      },
    ]);

    // Replacing it (a worked Saturday elsewhere, and this day worked after all).
    const sat = await send(admin, 'PUT', '/api/calendar/overrides/2027-01-09', { working: true });
    expect(sat.json()).toMatchObject({ date: '2027-01-09', working: true });
    const fri = new Date('2027-01-08T02:00:00Z');
    expect((await dueFor(db(), plain, 'reply', fri, oneWorkingDay)).dueAt.toISOString()).toBe(
      '2027-01-09T09:30:00.000Z',
    );
    const again = await send(admin, 'PUT', '/api/calendar/overrides/2027-01-04', { working: true, note: '' });
    expect(again.json()).toMatchObject({ working: true, override: { working: true, note: '' } });
    expect((await dueFor(db(), plain, 'reply', from, oneWorkingDay)).dueAt.toISOString()).toBe(
      '2027-01-04T09:30:00.000Z',
    );
  });

  it('deletes an override (404 when there is none), audited; the calendar follows', async () => {
    await send(admin, 'PUT', '/api/calendar/overrides/2027-03-01', { working: false, note: '地方节日' });
    const from = new Date('2027-02-26T02:00:00Z'); // Friday
    expect((await dueFor(db(), plain, 'reply', from, oneWorkingDay)).dueAt.toISOString()).toBe(
      '2027-03-02T09:30:00.000Z',
    );
    expect((await send(null, 'DELETE', '/api/calendar/overrides/2027-03-01')).statusCode).toBe(401);
    expect((await send(admin, 'DELETE', '/api/calendar/overrides/2027-02-30')).statusCode).toBe(400);
    const forbidden = await send(operator, 'DELETE', '/api/calendar/overrides/2027-03-01');
    expect(forbidden.statusCode).toBe(403);
    const missing = await send(admin, 'DELETE', '/api/calendar/overrides/2027-03-02');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');

    const res = await send(admin, 'DELETE', '/api/calendar/overrides/2027-03-01');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ date: '2027-03-01', working: true, override: null });
    expect((await dueFor(db(), plain, 'reply', from, oneWorkingDay)).dueAt.toISOString()).toBe(
      '2027-03-01T09:30:00.000Z',
    );
    expect((await audits('calendar.updated')).at(-1)).toEqual({
      target_id: '2027-03-01',
      detail: { before: { working: false, note: '地方节日' }, after: null },
    });
    expect((await send(admin, 'DELETE', '/api/calendar/overrides/2027-03-01')).statusCode).toBe(404);
  });
});

describe('GET and PUT /api/settings/time-limits', () => {
  it('answers 401 without a session and 403 to non-admins', async () => {
    expect((await as(env, null).get('/api/settings/time-limits')).statusCode).toBe(401);
    expect((await as(env, operator).get('/api/settings/time-limits')).statusCode).toBe(403);
    const put = await send(operator, 'PUT', '/api/settings/time-limits', {
      overrides: { sign: { normal: { amount: 1, unit: 'hours' } } },
      updatedAt: null,
    });
    expect(put.statusCode).toBe(403);
    expect(await db().selectFrom('settings').selectAll().execute()).toEqual([]);
  });

  it('shows the defaults for every stage and urgency', async () => {
    const res = await as(env, admin).get('/api/settings/time-limits');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.updatedAt).toBeNull();
    expect(body.overrides).toEqual({});
    expect(Object.keys(body.limits).sort()).toEqual(
      ['audit', 'dispatch', 'first_contact', 'reply', 'report', 'revisit', 'sign', 'supervision'].sort(),
    );
    expect(body.limits.sign.normal).toEqual({
      amount: 24,
      unit: 'hours',
      overridden: false,
      default: { amount: 24, unit: 'hours' },
    });
    expect(body.limits.dispatch.emergency).toMatchObject({ amount: 0.5, unit: 'hours' });
  });

  it('refuses a malformed shape or a bad limit with 400 on the field', async () => {
    const cases: [unknown, string][] = [
      [{ sorting: { normal: { amount: 1, unit: 'hours' } } }, 'overrides.sorting'],
      [{ sign: { slow: { amount: 1, unit: 'hours' } } }, 'overrides.sign.slow'],
      [{ sign: { normal: { amount: 0, unit: 'hours' } } }, 'overrides.sign.normal.amount'],
      [{ sign: { normal: { amount: 1, unit: 'weeks' } } }, 'overrides.sign.normal.unit'],
      [{ reply: { normal: { amount: 1.5, unit: 'working_days' } } }, 'overrides.reply.normal.amount'],
      [{ reply: { urgent: { amount: 1000, unit: 'hours' } } }, 'overrides.reply.urgent.amount'],
    ];
    for (const [o, field] of cases) {
      const res = await send(admin, 'PUT', '/api/settings/time-limits', { overrides: o, updatedAt: null });
      expect(res.statusCode, JSON.stringify(o)).toBe(400);
      expect(res.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    const noVersion = await send(admin, 'PUT', '/api/settings/time-limits', { overrides: {} });
    expect(noVersion.statusCode).toBe(400);
    expect(await db().selectFrom('settings').selectAll().execute()).toEqual([]);
  });

  it('overrides a limit: limitFor follows, the change is audited, stale writes get 409', async () => {
    expect(await limitFor(db(), plain, 'sign')).toEqual({ amount: 24, unit: 'hours' });
    const res = await send(admin, 'PUT', '/api/settings/time-limits', {
      overrides: {
        sign: { normal: { amount: 12, unit: 'hours' } },
        first_contact: { urgent: { amount: 0.5, unit: 'working_hours' } },
      },
      updatedAt: null,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.limits.sign.normal).toEqual({
      amount: 12,
      unit: 'hours',
      overridden: true,
      default: { amount: 24, unit: 'hours' },
    });
    expect(body.limits.sign.urgent.overridden).toBe(false);
    expect(body.updatedAt).toEqual(expect.any(String));
    expect(await limitFor(db(), plain, 'sign')).toEqual({ amount: 12, unit: 'hours' });
    expect(await limitFor(db(), { ...plain, urgency: 'urgent' }, 'first_contact')).toEqual({
      amount: 0.5,
      unit: 'working_hours',
    });
    expect(await limitFor(db(), { ...plain, urgency: 'urgent' }, 'sign')).toEqual({
      amount: 4,
      unit: 'hours',
    });
    expect((await as(env, admin).get('/api/settings/time-limits')).json()).toEqual(body);

    // A second admin who read the defaults earlier (updatedAt null) is refused.
    const stale = await send(admin, 'PUT', '/api/settings/time-limits', { overrides: {}, updatedAt: null });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('CONFLICT');
    expect(await limitFor(db(), plain, 'sign')).toEqual({ amount: 12, unit: 'hours' });

    // Clearing every override restores the defaults.
    const clear = await send(admin, 'PUT', '/api/settings/time-limits', {
      overrides: {},
      updatedAt: body.updatedAt,
    });
    expect(clear.statusCode, clear.body).toBe(200);
    expect(clear.json().limits.sign.normal.overridden).toBe(false);
    expect(await limitFor(db(), plain, 'sign')).toEqual({ amount: 24, unit: 'hours' });

    const log = await audits('settings.updated');
    expect(log).toHaveLength(2);
    expect(log[0]!.detail).toMatchObject({ before: {}, after: { sign: { normal: { amount: 12 } } } });
    expect(log[1]!.detail).toMatchObject({ after: {} });
  });
});
