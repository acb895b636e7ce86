/**
 * 村社吹哨、部门报到 (DESIGN §4): a village or township centre that cannot solve a problem blows the
 * whistle to county departments; each must report (acknowledge and name who comes) within its limit
 * — 30 minutes on working hours, or round the clock for emergencies — then record what it did; the
 * whistler rates each response; whistle counts and response times feed the rollups.
 * Time is a FixedClock, moved by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../common/roles.ts';
import { createTestEnv, NEVER_IDLE_MINUTES, type TestEnv } from '../../test/context.ts';
import {
  COUNTY,
  createCentre,
  createDepartment,
  createTownship,
  createVillage,
  PASSWORD,
} from '../../test/factories.ts';
import { systemActor } from '../authz/actor.ts';
import { FixedClock } from '../lib/clock.ts';
import { createUser } from '../modules/users/users.service.ts';
import { sweepOverdue } from './sweep.ts';

let env: TestEnv;
let clock: FixedClock;

interface Session {
  id: string;
  cookie: string;
  csrf: string;
  ip: string;
}

let ipSerial = 0;
async function staff(role: StaffRole, orgId: string): Promise<Session> {
  const ip = `10.32.0.${++ipSerial}`;
  const username = `whistle${role.replace(/_/g, '')}${ipSerial}`;
  const { id } = await createUser(env.ctx, systemActor(COUNTY), {
    username,
    displayName: `${role} ${username}`,
    role,
    orgId,
    password: PASSWORD,
  });
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: PASSWORD },
    remoteAddress: ip,
  });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session')!;
  return { id, cookie: `gz_session=${cookie.value}`, csrf: res.json().csrfToken, ip };
}

function call(s: Session, method: 'GET' | 'POST', url: string, payload?: object) {
  return env.app.inject({
    method,
    url,
    remoteAddress: s.ip,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    ...(method === 'POST' ? { payload: payload ?? {} } : {}),
  });
}
const act = (s: Session, id: string, action: string, input: object = {}) =>
  call(s, 'POST', `/api/cases/${id}/actions/${action}`, { input });

/** China time (UTC+8) as an instant. */
const cst = (local: string) => new Date(`${local}+08:00`);
const minutes = (n: number) => n * 60_000;

const W = {} as {
  t1: string;
  v1: string;
  v2: string;
  d1: string;
  d2: string;
  d3: string;
  v1H: Session;
  v2H: Session;
  g1: Session;
  t1Disp: Session;
  t2Disp: Session;
  d1H: Session;
  d2H: Session;
  d3H: Session;
};

beforeAll(async () => {
  env = await createTestEnv({ config: { sessionIdleMinutes: NEVER_IDLE_MINUTES } });
  clock = new FixedClock(cst('2026-11-23T09:00:00'));
  env.ctx.clock = clock;
  W.t1 = await createTownship(env.ctx);
  const t2 = await createTownship(env.ctx);
  W.v1 = await createVillage(env.ctx, { townshipId: W.t1 });
  W.v2 = await createVillage(env.ctx, { townshipId: t2 });
  W.d1 = await createDepartment(env.ctx);
  W.d2 = await createDepartment(env.ctx);
  W.d3 = await createDepartment(env.ctx);
  W.v1H = await staff('village_handler', W.v1);
  W.v2H = await staff('village_handler', W.v2);
  W.g1 = await staff('grid_worker', W.v1);
  W.t1Disp = await staff('township_dispatcher', await createCentre(env.ctx, W.t1));
  W.t2Disp = await staff('township_dispatcher', await createCentre(env.ctx, t2));
  W.d1H = await staff('department_handler', W.d1);
  W.d2H = await staff('department_handler', W.d2);
  W.d3H = await staff('department_handler', W.d3);
  // The test moves the clock over days; sessions must outlive that.
  await env.ctx.database.db
    .updateTable('sessions')
    .set({ expires_at: new Date('2100-01-01T00:00:00Z') })
    .execute();
});
afterAll(() => env.close());

/** A normal-urgency appeal in V1, dispatched by the township centre to the village (its lead). */
async function dispatchedCase(description = '村口排水沟被违建占压，雨天积水严重'): Promise<string> {
  const created = await call(W.t1Disp, 'POST', '/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId: 'JF01',
    urgency: 'normal',
    description,
    villageId: W.v1,
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().case.id as string;
  const d = await act(W.t1Disp, id, 'dispatch', { leadOrgId: W.v1 });
  expect(d.statusCode, d.body).toBe(200);
  return id;
}

interface WhistleView {
  id: string;
  departmentId: string;
  whistlerOrgId: string;
  reasonClass: string;
  status: string;
  dueAt: string;
  responder: string | null;
  actionTaken: string | null;
  late: boolean;
  rating: number | null;
}

async function whistlesOf(s: Session, id: string): Promise<WhistleView[]> {
  const res = await call(s, 'GET', `/api/cases/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().case.whistles;
}

async function queue(s: Session, name: string): Promise<string[]> {
  const res = await call(s, 'GET', `/api/cases?queue=${name}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items.map((i: { id: string }) => i.id);
}

/** The whistle metrics of one China day, by unit. */
async function whistleRollups(day: string) {
  const rows = await env.ctx.database.db
    .selectFrom('assessment_rollups')
    .select(['unit_id', 'loc_id', 'metric', 'value'])
    .where('day', '=', day)
    .where('metric', 'like', 'appeal:whistle%')
    .orderBy('unit_id')
    .orderBy('metric')
    .execute();
  return rows.map((r) => ({ ...r, value: Number(r.value) }));
}

describe('村社吹哨、部门报到', () => {
  it('a village whistles to two departments; both see it, report in time, record what they did and are rated once', async () => {
    clock = new FixedClock(cst('2026-11-24T10:00:00')); // Tuesday, working hours
    env.ctx.clock = clock;
    const id = await dispatchedCase();

    const w = await act(W.v1H, id, 'whistle', {
      departmentIds: [W.d1, W.d2],
      reasonClass: 'joint_enforcement',
      message: '排水沟被违建占压，需住建、城管联合执法',
    });
    expect(w.statusCode, w.body).toBe(200);
    const blown = w.json().case.whistles as WhistleView[];
    expect(blown.map((x) => x.departmentId).sort()).toEqual([W.d1, W.d2].sort());
    const whistleId = blown[0]!.id;
    for (const x of blown) {
      expect(x).toMatchObject({
        id: whistleId,
        whistlerOrgId: W.v1,
        reasonClass: 'joint_enforcement',
        status: 'pending',
        late: false,
        rating: null,
      });
      // 30 working minutes from 10:00 on a Tuesday.
      expect(x.dueAt).toBe(cst('2026-11-24T10:30:00').toISOString());
    }
    const deadlines = w.json().case.deadlines as { stage: string; orgId: string }[];
    expect(
      deadlines
        .filter((d) => d.stage === 'report')
        .map((d) => d.orgId)
        .sort(),
    ).toEqual([W.d1, W.d2].sort());

    // Both departments find it in their whistled queue and can read it; a third department cannot.
    expect(await queue(W.d1H, 'whistled')).toContain(id);
    expect(await queue(W.d2H, 'whistled')).toContain(id);
    expect(await queue(W.d3H, 'whistled')).not.toContain(id);
    const d1View = await call(W.d1H, 'GET', `/api/cases/${id}`);
    expect(d1View.statusCode).toBe(200);
    expect(d1View.json().abilities.actions).toEqual(expect.arrayContaining(['report']));
    expect((await call(W.d3H, 'GET', `/api/cases/${id}`)).statusCode).toBe(404);
    const d3Report = await act(W.d3H, id, 'report', { whistleId, responder: '不相干的人' });
    expect(d3Report.statusCode).toBe(404);
    expect(d3Report.json().error.code).toBe('NOT_FOUND');

    // Recording what was done before reporting is refused.
    const early = await act(W.d1H, id, 'report_done', { whistleId, actionTaken: '还没到场' });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('GUARD_FAILED');

    clock.advance(minutes(10));
    const r1 = await act(W.d1H, id, 'report', {
      whistleId,
      responder: '住建执法队 王队长',
      note: '10 分钟到场',
    });
    expect(r1.statusCode, r1.body).toBe(200);
    clock.advance(minutes(15));
    const r2 = await act(W.d2H, id, 'report', { whistleId, responder: '城管中队 李队长' });
    expect(r2.statusCode, r2.body).toBe(200);
    // A second report of the same department is refused.
    const twice = await act(W.d2H, id, 'report', { whistleId, responder: '城管中队 李队长' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('GUARD_FAILED');

    let view = await whistlesOf(W.v1H, id);
    const byDept = (dept: string) => view.find((x) => x.departmentId === dept)!;
    expect(byDept(W.d1)).toMatchObject({ status: 'reported', responder: '住建执法队 王队长', late: false });
    expect(byDept(W.d2)).toMatchObject({ status: 'reported', responder: '城管中队 李队长', late: false });
    // Report deadlines are done.
    expect(
      (await call(W.v1H, 'GET', `/api/cases/${id}`))
        .json()
        .case.deadlines.filter((d: { stage: string }) => d.stage === 'report'),
    ).toEqual([]);

    clock.advance(minutes(60));
    expect((await act(W.d1H, id, 'report_done', { whistleId, actionTaken: '已拆除违建' })).statusCode).toBe(
      200,
    );
    expect((await act(W.d2H, id, 'report_done', { whistleId, actionTaken: '已清理排水沟' })).statusCode).toBe(
      200,
    );
    // Done: out of the whistled queue, but the department can still read the case.
    expect(await queue(W.d1H, 'whistled')).not.toContain(id);
    expect((await call(W.d1H, 'GET', `/api/cases/${id}`)).statusCode).toBe(200);

    // Only the whistler rates: the township centre (which also sees the case) may not.
    const notWhistler = await act(W.t1Disp, id, 'rate_report', { whistleId, departmentId: W.d1, rating: 1 });
    expect(notWhistler.statusCode, notWhistler.body).toBe(403);
    // Ratings are 1–5.
    const six = await act(W.v1H, id, 'rate_report', { whistleId, departmentId: W.d1, rating: 6 });
    expect(six.statusCode).toBe(400);
    expect(six.json().error.details[0].field).toBe('rating');
    expect(
      (await act(W.v1H, id, 'rate_report', { whistleId, departmentId: W.d1, rating: 5, comment: '到场迅速' }))
        .statusCode,
    ).toBe(200);
    expect(
      (await act(W.v1H, id, 'rate_report', { whistleId, departmentId: W.d2, rating: 3 })).statusCode,
    ).toBe(200);
    const again = await act(W.v1H, id, 'rate_report', { whistleId, departmentId: W.d1, rating: 1 });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('GUARD_FAILED');

    view = await whistlesOf(W.d1H, id);
    expect(byDept(W.d1)).toMatchObject({ status: 'done', actionTaken: '已拆除违建', rating: 5 });
    expect(byDept(W.d2)).toMatchObject({ status: 'done', actionTaken: '已清理排水沟', rating: 3 });

    // The timeline records the whistle, both reports, both results and both ratings.
    const tl = await call(W.v1H, 'GET', `/api/cases/${id}/timeline`);
    expect(tl.json().items.map((e: { action: string }) => e.action)).toEqual([
      'receive',
      'dispatch',
      'whistle',
      'report',
      'report',
      'report_done',
      'report_done',
      'rate_report',
      'rate_report',
    ]);

    // Rollups: one whistle for the village; each report (10 and 25 minutes) and rating for its department.
    expect(await whistleRollups('2026-11-24')).toEqual(
      [
        { unit_id: W.v1, loc_id: W.v1, metric: 'appeal:whistled_departments', value: 2 },
        { unit_id: W.v1, loc_id: W.v1, metric: 'appeal:whistles', value: 1 },
        { unit_id: W.d1, loc_id: W.v1, metric: 'appeal:whistle_rating_sum', value: 5 },
        { unit_id: W.d1, loc_id: W.v1, metric: 'appeal:whistle_ratings', value: 1 },
        { unit_id: W.d1, loc_id: W.v1, metric: 'appeal:whistle_report_minutes', value: 10 },
        { unit_id: W.d1, loc_id: W.v1, metric: 'appeal:whistle_reports', value: 1 },
        { unit_id: W.d2, loc_id: W.v1, metric: 'appeal:whistle_rating_sum', value: 3 },
        { unit_id: W.d2, loc_id: W.v1, metric: 'appeal:whistle_ratings', value: 1 },
        { unit_id: W.d2, loc_id: W.v1, metric: 'appeal:whistle_report_minutes', value: 25 },
        { unit_id: W.d2, loc_id: W.v1, metric: 'appeal:whistle_reports', value: 1 },
      ].sort((a, b) => (a.unit_id + a.metric < b.unit_id + b.metric ? -1 : 1)),
    );
  });

  it('flags a report after the due time as late, whether or not the sweep marked it first', async () => {
    clock = new FixedClock(cst('2026-11-25T09:00:00')); // Wednesday
    env.ctx.clock = clock;
    const id = await dispatchedCase('村道旁堆放建筑垃圾，影响通行');
    const w = await act(W.v1H, id, 'whistle', {
      departmentIds: [W.d1, W.d2],
      reasonClass: 'resident_demand',
      message: '群众反映强烈，村里无力清运',
    });
    const whistleId = w.json().case.whistles[0].id as string;
    expect(w.json().case.whistles[0].dueAt).toBe(cst('2026-11-25T09:30:00').toISOString());

    // D1 reports 45 minutes after the whistle, before any sweep ran.
    clock.advance(minutes(45));
    const r1 = await act(W.d1H, id, 'report', { whistleId, responder: '住建执法队 王队长' });
    expect(r1.statusCode, r1.body).toBe(200);
    // The sweep then finds D2's passed deadline and flags it before D2 reports.
    expect(await sweepOverdue(env.ctx)).toBe(1);
    let view = await whistlesOf(W.v1H, id);
    expect(view.find((x) => x.departmentId === W.d2)).toMatchObject({ status: 'pending', late: true });
    expect(await queue(W.d2H, 'overdue')).toContain(id);
    expect(await queue(W.d1H, 'overdue')).toContain(id); // the case has an overdue deadline

    clock.advance(minutes(15)); // 60 minutes after the whistle
    const r2 = await act(W.d2H, id, 'report', { whistleId, responder: '城管中队 李队长' });
    expect(r2.statusCode, r2.body).toBe(200);
    view = await whistlesOf(W.v1H, id);
    expect(view.map((x) => [x.departmentId, x.status, x.late]).sort()).toEqual(
      [
        [W.d1, 'reported', true],
        [W.d2, 'reported', true],
      ].sort(),
    );
    const tl = await call(W.v1H, 'GET', `/api/cases/${id}/timeline`);
    const items = tl.json().items as { action: string; details: Record<string, unknown> }[];
    expect(items.filter((e) => e.action === 'report').map((e) => e.details)).toEqual([
      expect.objectContaining({ late: true, minutes: 45 }),
      expect.objectContaining({ late: true, minutes: 60 }),
    ]);
    expect(items.filter((e) => e.action === 'overdue').map((e) => e.details)).toEqual([
      expect.objectContaining({ stage: 'report', orgId: W.d2 }),
    ]);

    const rollups = await whistleRollups('2026-11-25');
    const metric = (unit: string, m: string) =>
      rollups.find((r) => r.unit_id === unit && r.metric === `appeal:${m}`)?.value;
    expect(metric(W.v1, 'whistles')).toBe(1);
    expect(metric(W.d1, 'whistle_reports')).toBe(1);
    expect(metric(W.d1, 'whistle_reports_late')).toBe(1);
    expect(metric(W.d1, 'whistle_report_minutes')).toBe(45);
    expect(metric(W.d2, 'whistle_reports')).toBe(1);
    expect(metric(W.d2, 'whistle_reports_late')).toBe(1);
    expect(metric(W.d2, 'whistle_report_minutes')).toBe(60);
  });

  it('counts working hours for normal whistles and natural time for emergencies', async () => {
    // Friday 17:20: ten working minutes are left today; the rest runs on Monday from 08:30.
    clock = new FixedClock(cst('2026-11-27T17:10:00'));
    env.ctx.clock = clock;
    const id = await dispatchedCase('村委会旁变压器附近有异味');
    clock.advance(minutes(10));
    const normal = await act(W.v1H, id, 'whistle', {
      departmentIds: [W.d1],
      reasonClass: 'resident_demand',
      message: '请部门周一前来查看',
    });
    expect(normal.statusCode, normal.body).toBe(200);
    expect(normal.json().case.whistles[0].dueAt).toBe(cst('2026-11-30T08:50:00').toISOString());

    const emergency = await act(W.v1H, id, 'whistle', {
      departmentIds: [W.d2],
      reasonClass: 'emergency',
      message: '疑似燃气泄漏，请立即到场',
    });
    expect(emergency.statusCode, emergency.body).toBe(200);
    const e = (emergency.json().case.whistles as WhistleView[]).find((x) => x.reasonClass === 'emergency')!;
    expect(e.dueAt).toBe(cst('2026-11-27T17:50:00').toISOString());

    // An emergency on Saturday night still runs 30 minutes.
    clock = new FixedClock(cst('2026-11-28T22:00:00'));
    env.ctx.clock = clock;
    const night = await act(W.v1H, id, 'whistle', {
      departmentIds: [W.d3],
      reasonClass: 'emergency',
      message: '水管爆裂，路面塌陷',
    });
    expect(night.statusCode, night.body).toBe(200);
    const n = (night.json().case.whistles as WhistleView[]).find((x) => x.departmentId === W.d3)!;
    expect(n.dueAt).toBe(cst('2026-11-28T22:30:00').toISOString());
    // Reported within the half hour on a Saturday night: not late.
    clock.advance(minutes(20));
    const r = await act(W.d3H, id, 'report', { whistleId: n.id, responder: '水务抢修队' });
    expect(r.statusCode, r.body).toBe(200);
    const after = (await whistlesOf(W.d3H, id)).find((x) => x.departmentId === W.d3)!;
    expect(after).toMatchObject({ status: 'reported', late: false });
  });

  it('lets a township centre whistle on a case in its township, but not a grid worker or another township', async () => {
    clock = new FixedClock(cst('2026-11-26T10:00:00'));
    env.ctx.clock = clock;
    const id = await dispatchedCase('两村交界处河道被侵占');
    const input = {
      departmentIds: [W.d1],
      reasonClass: 'joint_enforcement',
      message: '需水务、自然资源联合执法',
    };
    const worker = await act(W.g1, id, 'whistle', input);
    expect(worker.statusCode, worker.body).toBe(403);
    expect(worker.json().error.code).toBe('FORBIDDEN');
    const otherTownship = await act(W.t2Disp, id, 'whistle', input);
    expect(otherTownship.statusCode).toBe(404);
    const otherVillage = await act(W.v2H, id, 'whistle', input);
    expect(otherVillage.statusCode).toBe(404);
    // Only departments can be whistled.
    const toVillage = await act(W.t1Disp, id, 'whistle', { ...input, departmentIds: [W.v2] });
    expect(toVillage.statusCode).toBe(400);
    expect(toVillage.json().error.details[0].field).toBe('departmentIds');
    expect((await call(W.t1Disp, 'GET', `/api/cases/${id}`)).json().case.whistles).toEqual([]);

    const ok = await act(W.t1Disp, id, 'whistle', input);
    expect(ok.statusCode, ok.body).toBe(200);
    const [w] = ok.json().case.whistles as WhistleView[];
    expect(w).toMatchObject({ departmentId: W.d1, whistlerOrgId: W.t1, status: 'pending' });
    clock.advance(minutes(5));
    expect((await act(W.d1H, id, 'report', { whistleId: w!.id, responder: '水务执法队' })).statusCode).toBe(
      200,
    );
    // The township is the whistler and rates; the village (lead) is not.
    expect(
      (await act(W.v1H, id, 'rate_report', { whistleId: w!.id, departmentId: W.d1, rating: 2 })).statusCode,
    ).toBe(403);
    expect(
      (await act(W.t1Disp, id, 'rate_report', { whistleId: w!.id, departmentId: W.d1, rating: 4 }))
        .statusCode,
    ).toBe(200);
    const whistles = await whistleRollups('2026-11-26');
    expect(whistles.find((r) => r.metric === 'appeal:whistles')).toMatchObject({ unit_id: W.v1, value: 1 });
  });

  it('refuses a whistle on a case that is not being worked on (received) with 409 INVALID_TRANSITION', async () => {
    const created = await call(W.t1Disp, 'POST', '/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'JF01',
      description: '刚受理、尚未派单的诉求',
      villageId: W.v1,
    });
    const res = await act(W.v1H, created.json().case.id, 'whistle', {
      departmentIds: [W.d1],
      reasonClass: 'resident_demand',
      message: '还没派单就吹哨',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('INVALID_TRANSITION');
    expect(res.json().error.message).toContain('已受理');
  });
});
