import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestEnv, NEVER_IDLE_MINUTES, type TestEnv } from '../../test/context.ts';
import {
  as,
  COUNTY,
  createDepartment,
  createStaff,
  createVillage,
  type StaffSession,
} from '../../test/factories.ts';
import { FixedClock } from '../lib/clock.ts';
import { resetCalendarCache } from './deadlines.ts';
import { sweepOverdue, sweepWarnings } from './sweep.ts';

/*
 * Deadlines through the engine (HTTP actions, the sweeps called directly) with a fixed clock.
 * Every expected instant below was worked out by hand on the official 2026 calendar:
 *   春节   Feb 15 (Sun) – Feb 23 (Mon) off;   Feb 14 (Sat) and Feb 28 (Sat) worked
 *   中秋   Sep 25 (Fri) – Sep 27 (Sun) off
 *   国庆   Oct 1 (Thu) – Oct 7 (Wed) off;     Sep 20 (Sun) and Oct 10 (Sat) worked
 * Limits (deadlines.ts defaults, category JF01 = 7 working days): dispatch 2 h after intake; sign
 * 24 h after dispatch; first contact 24 h after signing; reply 7 working days after the dispatch day,
 * due at 17:30 of the 7th working day; emergencies 0.5 h / 1 h / 2 h / 2 h round the clock; a
 * whistle report 0.5 working hours (08:30–12:00, 14:00–17:30 on working days).
 */

/** An instant given as China wall-clock time `YYYY-MM-DD HH:MM`. */
const cn = (s: string) => new Date(`${s.replace(' ', 'T')}:00+08:00`);
/** China wall-clock `YYYY-MM-DD HH:MM` of an instant. */
const fmt = (d: Date | string) =>
  new Date(new Date(d).getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');

let env: TestEnv;
let operator: StaffSession;
let dispatcher: StaffSession;
let handler: StaffSession;
let dept: StaffSession;
let villageId: string;
const CENTRE = `${COUNTY}C`;

/** Sets the clock to a China wall-clock time (each test starts its own day). */
function at(s: string): void {
  env.ctx.clock = new FixedClock(cn(s));
}

beforeAll(async () => {
  env = await createTestEnv({ config: { sessionIdleMinutes: NEVER_IDLE_MINUTES } });
  villageId = await createVillage(env.ctx);
  operator = await createStaff(env, 'operator');
  dispatcher = await createStaff(env, 'county_dispatcher', { orgId: operator.orgId });
  handler = await createStaff(env, 'village_handler', { orgId: villageId });
  dept = await createStaff(env, 'department_handler', { orgId: await createDepartment(env.ctx) });
  // Sessions last 12 h of the (fixed) clock; these tests jump across months.
  await env.ctx.database.db
    .updateTable('sessions')
    .set({ expires_at: new Date('2099-01-01') })
    .execute();
});
afterAll(() => env.close());

interface CaseJson {
  id: string;
  code: string;
  state: string;
  version: number;
  deadlines: { stage: string; orgId: string | null; dueAt: string; status: string }[];
  whistles: { id: string; departmentId: string; dueAt: string; late: boolean; status: string }[];
}

async function receive(extra: Record<string, unknown> = {}): Promise<CaseJson> {
  const res = await as(env, operator).post('/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId: 'JF01',
    description: '村口道路积水严重，群众出行不便，请尽快处理。',
    villageId,
    ...extra,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().case;
}

async function act(s: StaffSession, id: string, action: string, input: object = {}): Promise<CaseJson> {
  const res = await as(env, s).post(`/api/cases/${id}/actions/${action}`, { input });
  expect(res.statusCode, `${action}: ${res.body}`).toBe(200);
  return res.json().case;
}

/** Receives and dispatches to the village at the given China times. */
async function dispatched(receivedAt: string, dispatchedAt: string, extra: Record<string, unknown> = {}) {
  at(receivedAt);
  const c = await receive(extra);
  at(dispatchedAt);
  return act(dispatcher, c.id, 'dispatch', { leadOrgId: villageId });
}

/** Open deadlines of a case as `stage → China due time`. */
async function openDue(id: string): Promise<Record<string, string>> {
  const rows = await env.ctx.database.db
    .selectFrom('case_deadlines')
    .select(['stage', 'due_at'])
    .where('case_id', '=', id)
    .where('status', 'in', ['pending', 'warned', 'overdue'])
    .orderBy('id')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.stage, fmt(r.due_at)]));
}

function deadlineRows(id: string) {
  return env.ctx.database.db
    .selectFrom('case_deadlines')
    .selectAll()
    .where('case_id', '=', id)
    .orderBy('id')
    .execute();
}

function eventsOf(id: string) {
  return env.ctx.database.db
    .selectFrom('case_events')
    .selectAll()
    .where('case_id', '=', id)
    .orderBy('seq')
    .execute();
}

function notificationsOf(id: string) {
  return env.ctx.database.db
    .selectFrom('notifications')
    .select(['recipient_kind', 'recipient_id', 'kind', 'channel', 'created_at'])
    .where('case_id', '=', id)
    .orderBy('id')
    .execute();
}

describe('deadlines on the 2026 calendar', () => {
  it('opens dispatch 2 h after intake, then sign 24 h and reply 7 working days (over a weekend) at dispatch', async () => {
    at('2026-03-12 09:00'); // Thursday
    const c = await receive();
    expect(c.deadlines).toEqual([
      { stage: 'dispatch', orgId: null, dueAt: cn('2026-03-12 11:00').toISOString(), status: 'pending' },
    ]);
    at('2026-03-12 10:00');
    const d = await act(dispatcher, c.id, 'dispatch', { leadOrgId: villageId });
    expect(d.state).toBe('dispatched');
    // Fri 13 = 1, Mon 16 … Fri 20 = 2–6, Mon 23 = 7.
    expect(await openDue(c.id)).toEqual({ sign: '2026-03-13 10:00', reply: '2026-03-23 17:30' });
    const rows = await deadlineRows(c.id);
    const byStage = new Map(rows.map((r) => [r.stage, r]));
    expect(byStage.get('dispatch')).toMatchObject({ status: 'done', done_at: cn('2026-03-12 10:00') });
    // Warn a quarter of the time before, at most a day: 6 h before signing, 24 h before the reply.
    expect(fmt(byStage.get('sign')!.warn_at!)).toBe('2026-03-13 04:00');
    expect(fmt(byStage.get('reply')!.warn_at!)).toBe('2026-03-22 17:30');
    expect(byStage.get('sign')!.org_id).toBe(villageId);
    at('2026-03-12 15:00');
    await act(handler, c.id, 'sign');
    expect(await openDue(c.id)).toEqual({ reply: '2026-03-23 17:30', first_contact: '2026-03-13 15:00' });
  });

  it('counts across the Spring Festival block and its worked Saturdays (14 and 28 Feb 2026)', async () => {
    // Thu 12 Feb: Fri 13 = 1, Sat 14 (worked) = 2, 15–23 off, Tue 24 … Fri 27 = 3–6, Sat 28 (worked) = 7.
    const a = await dispatched('2026-02-12 09:00', '2026-02-12 10:00');
    expect(await openDue(a.id)).toEqual({ sign: '2026-02-13 10:00', reply: '2026-02-28 17:30' });
    // Fri 13 Feb: Sat 14 = 1, Tue 24 … Fri 27 = 2–5, Sat 28 = 6, Mon 2 Mar = 7.
    const b = await dispatched('2026-02-13 09:00', '2026-02-13 10:00');
    expect(await openDue(b.id)).toEqual({ sign: '2026-02-14 10:00', reply: '2026-03-02 17:30' });
    // Taken in during the holiday (Wed 18 Feb): natural hours run on, working days start on Tue 24.
    const c = await dispatched('2026-02-18 10:00', '2026-02-18 10:30');
    expect(await openDue(c.id)).toEqual({ sign: '2026-02-19 10:30', reply: '2026-03-03 17:30' });
  });

  it('counts across Mid-Autumn and National Day 2026 (20 Sep and 10 Oct worked)', async () => {
    // Fri 18 Sep: Sun 20 (worked) = 1, Mon 21 … Thu 24 = 2–5, 25–27 off, Mon 28 = 6, Tue 29 = 7.
    const a = await dispatched('2026-09-18 09:00', '2026-09-18 10:00');
    expect(await openDue(a.id)).toEqual({ sign: '2026-09-19 10:00', reply: '2026-09-29 17:30' });
    // Thu 24 Sep: 28, 29, 30 = 1–3, Oct 1–7 off, Thu 8, Fri 9 = 4–5, Sat 10 (worked) = 6, Mon 12 = 7.
    const b = await dispatched('2026-09-24 09:00', '2026-09-24 10:00');
    expect(await openDue(b.id)).toEqual({ sign: '2026-09-25 10:00', reply: '2026-10-12 17:30' });
    // Wed 30 Sep: Thu 8, Fri 9, Sat 10 = 1–3, Mon 12 … Thu 15 = 4–7.
    const c = await dispatched('2026-09-30 09:00', '2026-09-30 10:00');
    expect(await openDue(c.id)).toEqual({ sign: '2026-10-01 10:00', reply: '2026-10-15 17:30' });
    // Sat 3 Oct, in the holiday: the same 7 working days from Thu 8.
    const d = await dispatched('2026-10-03 09:00', '2026-10-03 09:30');
    expect(await openDue(d.id)).toEqual({ sign: '2026-10-04 09:30', reply: '2026-10-15 17:30' });
  });

  it('follows a calendar_overrides row once the cache is reset; stored deadlines do not move', async () => {
    const before = await dispatched('2026-03-12 09:00', '2026-03-12 10:30');
    expect(await openDue(before.id)).toMatchObject({ reply: '2026-03-23 17:30' });
    await env.ctx.database.db
      .insertInto('calendar_overrides')
      .values({ county_code: COUNTY, day: '2026-03-20', working: false, note: '县内防汛停休（测试）' })
      .execute();
    resetCalendarCache();
    try {
      // Fri 20 Mar is now off: Fri 13 = 1, Mon 16 … Thu 19 = 2–5, Mon 23 = 6, Tue 24 = 7.
      const after = await dispatched('2026-03-12 11:00', '2026-03-12 11:30');
      expect(await openDue(after.id)).toEqual({ sign: '2026-03-13 11:30', reply: '2026-03-24 17:30' });
      expect(await openDue(before.id)).toMatchObject({ reply: '2026-03-23 17:30' });
    } finally {
      await env.ctx.database.db.deleteFrom('calendar_overrides').where('county_code', '=', COUNTY).execute();
      resetCalendarCache();
    }
    const again = await dispatched('2026-03-12 12:00', '2026-03-12 12:30');
    expect(await openDue(again.id)).toMatchObject({ reply: '2026-03-23 17:30' });
  });

  it('counts emergencies in natural hours, at night and at the weekend', async () => {
    at('2026-03-14 22:00'); // Saturday night
    const c = await receive({ urgency: 'emergency' });
    expect(await openDue(c.id)).toEqual({ dispatch: '2026-03-14 22:30' });
    at('2026-03-14 22:10');
    await act(dispatcher, c.id, 'dispatch', { leadOrgId: villageId });
    expect(await openDue(c.id)).toEqual({ sign: '2026-03-14 23:10', reply: '2026-03-15 00:10' });
    at('2026-03-14 22:20');
    await act(handler, c.id, 'sign');
    expect(await openDue(c.id)).toEqual({ reply: '2026-03-15 00:10', first_contact: '2026-03-15 00:20' });
  });
});

describe('the deadline sweeps', () => {
  // Exact sweep counts: deadlines left open by earlier tests are not this test's business.
  beforeEach(async () => {
    await env.ctx.database.db
      .updateTable('case_deadlines')
      .set({ status: 'cancelled' })
      .where('status', 'in', ['pending', 'warned', 'overdue'])
      .execute();
  });

  it('warns once before a deadline and writes one due_soon notification', async () => {
    // Mon 16 Mar: sign due Tue 17 09:00 (warn 03:00); reply due Wed 25 17:30 (warn Tue 24 17:30).
    const c = await dispatched('2026-03-16 08:50', '2026-03-16 09:00');
    at('2026-03-17 02:59');
    expect(await sweepWarnings(env.ctx)).toBe(0);
    at('2026-03-17 04:00');
    expect(await sweepWarnings(env.ctx)).toBe(1);
    at('2026-03-17 05:00');
    expect(await sweepWarnings(env.ctx)).toBe(0);
    const sign = (await deadlineRows(c.id)).find((d) => d.stage === 'sign')!;
    expect(sign).toMatchObject({ status: 'warned', warned_at: cn('2026-03-17 04:00') });
    const notes = (await notificationsOf(c.id)).filter((n) => n.kind === 'due_soon');
    expect(notes).toEqual([
      {
        recipient_kind: 'org',
        recipient_id: villageId,
        kind: 'due_soon',
        channel: 'inapp',
        created_at: cn('2026-03-17 04:00'),
      },
    ]);
    // A warned deadline still goes overdue once it passes.
    at('2026-03-17 09:30');
    expect(await sweepOverdue(env.ctx)).toBe(1);
    expect((await deadlineRows(c.id)).find((d) => d.stage === 'sign')).toMatchObject({
      status: 'overdue',
      overdue_at: cn('2026-03-17 09:30'),
    });
    // The reply warning comes the day before, once.
    at('2026-03-24 18:00');
    expect(await sweepWarnings(env.ctx)).toBe(1);
    expect(await sweepWarnings(env.ctx)).toBe(0);
    expect((await notificationsOf(c.id)).filter((n) => n.kind === 'due_soon')).toHaveLength(2);
  });

  it('marks overdue once, with one overdue event per deadline, notifying the unit and the supervisors', async () => {
    at('2026-03-17 10:00'); // Tuesday
    const idle = await receive(); // never dispatched: dispatch due 12:00, no unit yet
    const unsigned = await receive();
    at('2026-03-17 10:30');
    await act(dispatcher, unsigned.id, 'dispatch', { leadOrgId: villageId }); // sign due Wed 10:30
    const versions = [
      idle.version,
      (await act(dispatcher, unsigned.id, 'urge', { message: '请尽快签收' })).version,
    ];
    at('2026-03-17 11:59');
    expect(await sweepOverdue(env.ctx)).toBe(0);
    at('2026-03-18 11:00');
    expect(await sweepOverdue(env.ctx)).toBe(2);
    expect(await sweepOverdue(env.ctx)).toBe(0);
    at('2026-03-18 12:00');
    expect(await sweepOverdue(env.ctx)).toBe(0);

    for (const [c, stage, unit] of [
      [idle, 'dispatch', CENTRE],
      [unsigned, 'sign', villageId],
    ] as const) {
      const rows = (await deadlineRows(c.id)).filter((d) => d.stage === stage);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        status: 'overdue',
        overdue_at: cn('2026-03-18 11:00'),
        escalated_at: cn('2026-03-18 11:00'),
      });
      const overdue = (await eventsOf(c.id)).filter((e) => e.action === 'overdue');
      expect(overdue).toHaveLength(1);
      expect(overdue[0]).toMatchObject({ actor_kind: 'system', at: cn('2026-03-18 11:00') });
      expect(overdue[0]!.payload).toMatchObject({
        stage,
        deadlineId: rows[0]!.id,
        dueAt: rows[0]!.due_at.toISOString(),
        m: { [`appeal:overdue_${stage}`]: 1 },
      });
      const notes = (await notificationsOf(c.id)).filter(
        (n) => n.kind === 'overdue' || n.kind === 'escalated',
      );
      expect(notes.map((n) => [n.kind, n.recipient_id])).toEqual([
        ['overdue', unit],
        ['escalated', CENTRE],
      ]);
    }
    // System events do not bump the version the users hold.
    const now = await env.ctx.database.db
      .selectFrom('cases')
      .select(['id', 'version', 'state'])
      .where('id', 'in', [idle.id, unsigned.id])
      .execute();
    expect(Object.fromEntries(now.map((r) => [r.id, r.version]))).toEqual({
      [idle.id]: versions[0],
      [unsigned.id]: versions[1],
    });
    // Signing late counts as signed, not on time.
    at('2026-03-18 12:30');
    await act(handler, unsigned.id, 'sign');
    const sign = (await eventsOf(unsigned.id)).at(-1)!;
    expect(sign.action).toBe('sign');
    expect((sign.payload as { m: Record<string, number> }).m).toEqual({ 'appeal:signed': 1 });
  });

  it('flags a whistle report late when its deadline passes, and counts the report late', async () => {
    // Fri 20 Mar 17:20: ten working minutes on Friday, twenty more from Mon 23 08:30.
    const c = await dispatched('2026-03-20 16:00', '2026-03-20 16:10');
    at('2026-03-20 16:20');
    await act(handler, c.id, 'sign');
    at('2026-03-20 16:30');
    await act(handler, c.id, 'first_contact', { method: 'phone', note: '已电话联系' });
    at('2026-03-20 17:20');
    const w = await act(handler, c.id, 'whistle', {
      departmentIds: [dept.orgId],
      reasonClass: 'joint_enforcement',
      message: '违章搭建需联合执法',
    });
    expect(w.whistles).toHaveLength(1);
    expect(fmt(w.whistles[0]!.dueAt)).toBe('2026-03-23 08:50');
    expect((await openDue(c.id)).report).toBe('2026-03-23 08:50');
    at('2026-03-23 08:49');
    expect(await sweepOverdue(env.ctx)).toBe(0);
    at('2026-03-23 09:00');
    expect(await sweepOverdue(env.ctx)).toBe(1);
    expect(await sweepOverdue(env.ctx)).toBe(0);
    const report = await env.ctx.database.db
      .selectFrom('whistle_reports')
      .selectAll()
      .where('whistle_id', '=', w.whistles[0]!.id)
      .executeTakeFirstOrThrow();
    expect(report).toMatchObject({ status: 'pending', late: true });
    const overdue = (await eventsOf(c.id)).filter((e) => e.action === 'overdue');
    expect(overdue).toHaveLength(1);
    expect(overdue[0]!.payload).toMatchObject({
      stage: 'report',
      orgId: dept.orgId,
      m: { 'appeal:overdue_report': 1 },
      attr: { unitId: dept.orgId },
    });
    expect(
      (await notificationsOf(c.id))
        .filter((n) => n.kind === 'overdue' || n.kind === 'escalated')
        .map((n) => [n.kind, n.recipient_id]),
    ).toEqual([
      ['overdue', dept.orgId],
      ['escalated', CENTRE],
    ]);
    at('2026-03-23 09:10');
    await act(dept, c.id, 'report', { whistleId: w.whistles[0]!.id, responder: '执法队 王队长' });
    const ev = (await eventsOf(c.id)).at(-1)!;
    expect(ev.action).toBe('report');
    expect(ev.payload).toMatchObject({
      late: true,
      m: { 'appeal:whistle_reports': 1, 'appeal:whistle_reports_late': 1 },
    });
    expect((await deadlineRows(c.id)).find((d) => d.stage === 'report')).toMatchObject({
      status: 'done',
      done_at: cn('2026-03-23 09:10'),
    });
    // An emergency whistle runs 30 natural minutes, whatever the hour.
    at('2026-03-23 19:00');
    const e = await act(handler, c.id, 'whistle', {
      departmentIds: [dept.orgId],
      reasonClass: 'emergency',
      message: '夜间险情',
    });
    expect(e.whistles.map((x) => fmt(x.dueAt))).toContain('2026-03-23 19:30');
  });

  it('stops the clock of a suspended case: no warning or overdue while suspended, deadlines move on resume', async () => {
    // Mon 23 Mar: reply due Wed 1 Apr 17:30 (Tue 24 … Fri 27, Mon 30, Tue 31, Wed 1).
    const c = await dispatched('2026-03-23 08:50', '2026-03-23 09:00');
    at('2026-03-23 09:30');
    await act(handler, c.id, 'sign');
    at('2026-03-23 10:00');
    await act(handler, c.id, 'first_contact', { method: 'visit', note: '上门了解情况' });
    expect(await openDue(c.id)).toEqual({ reply: '2026-04-01 17:30' });
    at('2026-03-23 11:00');
    expect((await act(dispatcher, c.id, 'suspend', { reason: '等待司法鉴定结果' })).state).toBe('suspended');
    at('2026-04-02 12:00'); // past the original reply deadline
    expect(await sweepWarnings(env.ctx)).toBe(0);
    expect(await sweepOverdue(env.ctx)).toBe(0);
    expect((await deadlineRows(c.id)).find((d) => d.stage === 'reply')!.status).toBe('pending');
    at('2026-04-03 11:00'); // 11 days (264 h) after the suspension
    const resumed = await act(dispatcher, c.id, 'resume', { note: '鉴定结果已出' });
    expect(resumed.state).toBe('in_progress');
    expect(await openDue(c.id)).toEqual({ reply: '2026-04-12 17:30' });
    const reply = (await deadlineRows(c.id)).find((d) => d.stage === 'reply')!;
    expect(fmt(reply.warn_at!)).toBe('2026-04-11 17:30');
    const ev = (await eventsOf(c.id)).at(-1)!;
    expect(ev).toMatchObject({ action: 'resume', from_state: 'suspended', to_state: 'in_progress' });
    expect(ev.payload).toMatchObject({ pausedMs: 264 * 3_600_000 });
    const row = await env.ctx.database.db
      .selectFrom('cases')
      .select(['suspended_at', 'suspended_ms'])
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ suspended_at: null, suspended_ms: 264 * 3_600_000 });
    expect(await sweepOverdue(env.ctx)).toBe(0);
    expect((await eventsOf(c.id)).filter((e) => e.action === 'overdue')).toEqual([]);
    at('2026-04-12 17:31');
    expect(await sweepOverdue(env.ctx)).toBe(1);
  });

  it('keeps a swept deadline overdue when an extension is approved late, so it goes overdue only once', async () => {
    // Mon 13 Apr: reply due Wed 22 Apr 17:30 (Tue 14 … Fri 17, Mon 20 … Wed 22).
    const c = await dispatched('2026-04-13 08:50', '2026-04-13 09:00');
    at('2026-04-13 09:10');
    await act(handler, c.id, 'sign');
    at('2026-04-13 09:20');
    await act(handler, c.id, 'first_contact', { method: 'phone', note: '已联系' });
    expect(await openDue(c.id)).toEqual({ reply: '2026-04-22 17:30' });
    at('2026-04-20 10:00'); // two working days before: in time to ask
    await act(handler, c.id, 'request_extension', { days: 3, reason: '需等待检测报告' });
    at('2026-04-22 17:31');
    expect(await sweepOverdue(env.ctx)).toBe(1);
    at('2026-04-23 09:00'); // the centre decides after the deadline passed
    const decided = await act(dispatcher, c.id, 'decide_extension', { approved: true });
    // Three working days after Wed 22: Thu 23, Fri 24, Mon 27.
    expect(decided.deadlines).toEqual([
      { stage: 'reply', orgId: villageId, dueAt: cn('2026-04-27 17:30').toISOString(), status: 'overdue' },
    ]);
    at('2026-04-28 09:00');
    expect(await sweepOverdue(env.ctx)).toBe(0);
    expect((await eventsOf(c.id)).filter((e) => e.action === 'overdue')).toHaveLength(1);
  });
});
