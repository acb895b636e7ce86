/**
 * Who may take each workflow action. For EVERY action of the appeal and event workflows (the list is
 * read from the workflow tables, so a new action without a case here fails): a case is driven through
 * the API into a state where the action is allowed, then
 * (a) a staff member of the right role in another township / village / department — who cannot see the
 *     case — gets 404 NOT_FOUND and nothing about the case changes;
 * (b) a wrong role who can see the case gets 403 FORBIDDEN and nothing changes;
 * (c) the right actor succeeds, and the action was offered to them in `abilities.actions`.
 * Also: stale versions, wrong states, invalid input and citizens acting on others' appeals.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../common/roles.ts';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import {
  COUNTY,
  createCentre,
  createDepartment,
  createTownship,
  createVillage,
  PASSWORD,
} from '../../test/factories.ts';
import { systemActor } from '../authz/actor.ts';
import { createUser } from '../modules/users/users.service.ts';
import { perform } from './engine.ts';
import { APPEAL_WORKFLOW } from './workflows/appeal.ts';
import { EVENT_WORKFLOW } from './workflows/event.ts';

let env: TestEnv;

/** A signed-in user (staff or citizen) who calls from an address of their own. */
interface Session {
  kind: 'staff' | 'citizen';
  id: string;
  cookie: string;
  csrf: string;
  ip: string;
}

let ipSerial = 0;
const nextIp = () => {
  ipSerial++;
  return `10.31.${Math.floor(ipSerial / 250)}.${(ipSerial % 250) + 1}`;
};

/** A staff account in the given unit, signed in from its own address (login limits are per address). */
async function staff(role: StaffRole, orgId: string): Promise<Session> {
  const ip = nextIp();
  const username = `authz${role.replace(/_/g, '')}${ipSerial}`;
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
  return { kind: 'staff', id, cookie: `gz_session=${cookie.value}`, csrf: res.json().csrfToken, ip };
}

/** A citizen signed in with a one-time code. */
async function citizen(phone: string): Promise<Session> {
  const ip = nextIp();
  const req = await env.app.inject({
    method: 'POST',
    url: '/api/auth/otp/request',
    payload: { phone },
    remoteAddress: ip,
  });
  if (req.statusCode !== 200) throw new Error(`otp request failed: ${req.body}`);
  const text = env.sms.sent.filter((m) => m.phone === phone).at(-1)!.text;
  const code = /([0-9]{6})/.exec(text)![1]!;
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/otp/verify',
    payload: { phone, code },
    remoteAddress: ip,
  });
  if (res.statusCode !== 200) throw new Error(`citizen sign-in failed: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session')!;
  return {
    kind: 'citizen',
    id: res.json().citizen.id,
    cookie: `gz_session=${cookie.value}`,
    csrf: res.json().csrfToken,
    ip,
  };
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

/** Takes an action through the route its actor uses (citizens rate through the portal route). */
function attempt(s: Session, caseId: string, action: string, input: object, version?: number) {
  if (s.kind === 'citizen') {
    if (action !== 'rate') throw new Error(`citizens only rate, not ${action}`);
    return call(s, 'POST', `/api/my/cases/${caseId}/rate`, { ...input, ...(version ? { version } : {}) });
  }
  return call(s, 'POST', `/api/cases/${caseId}/actions/${action}`, {
    input,
    ...(version ? { version } : {}),
  });
}

/** Takes an action that must succeed, as a step of driving a case. */
async function step(s: Session, caseId: string, action: string, input: object = {}) {
  const res = await attempt(s, caseId, action, input);
  if (res.statusCode !== 200) throw new Error(`${action} failed: ${res.statusCode} ${res.body}`);
  return res.json().case;
}

/**
 * The world: township T1 with villages V1 and V1b, township T2 with village V2, departments D1 and
 * D2. Cases live in V1; everyone of T2, V2 and D2 is an outsider.
 */
const W = {} as {
  t1: string;
  t2: string;
  v1: string;
  v1b: string;
  v2: string;
  d1: string;
  d2: string;
  t1Disp: Session;
  t2Disp: Session;
  v1H: Session;
  v1bH: Session;
  v2H: Session;
  g1: Session;
  g2: Session;
  d1H: Session;
  d2H: Session;
  county: Session;
  sup: Session;
  sup2: Session;
  revisitor: Session;
  citA: Session;
  citB: Session;
};

beforeAll(async () => {
  env = await createTestEnv();
  W.t1 = await createTownship(env.ctx);
  W.t2 = await createTownship(env.ctx);
  W.v1 = await createVillage(env.ctx, { townshipId: W.t1 });
  W.v1b = await createVillage(env.ctx, { townshipId: W.t1 });
  W.v2 = await createVillage(env.ctx, { townshipId: W.t2 });
  W.d1 = await createDepartment(env.ctx);
  W.d2 = await createDepartment(env.ctx);
  const countyCentre = await createCentre(env.ctx, COUNTY);
  const t2Centre = await createCentre(env.ctx, W.t2);
  W.t1Disp = await staff('township_dispatcher', await createCentre(env.ctx, W.t1));
  W.t2Disp = await staff('township_dispatcher', t2Centre);
  W.v1H = await staff('village_handler', W.v1);
  W.v1bH = await staff('village_handler', W.v1b);
  W.v2H = await staff('village_handler', W.v2);
  W.g1 = await staff('grid_worker', W.v1);
  W.g2 = await staff('grid_worker', W.v2);
  W.d1H = await staff('department_handler', W.d1);
  W.d2H = await staff('department_handler', W.d2);
  W.county = await staff('county_dispatcher', countyCentre);
  W.sup = await staff('supervisor', countyCentre);
  W.sup2 = await staff('supervisor', t2Centre);
  W.revisitor = await staff('revisit_agent', countyCentre);
  W.citA = await citizen('13900001111');
  W.citB = await citizen('13900002222');
});
afterAll(() => env.close());

type CaseType = 'appeal' | 'event';
let descSerial = 0;

/** A new case in village V1: an appeal (from citizen A, or taken by phone) or a grid worker's event. */
async function newCase(type: CaseType, opts: { byCitizen?: boolean } = {}): Promise<string> {
  const body = {
    type,
    categoryId: 'JF01',
    description: `邻里因排水沟堵塞发生争执，需要协调处理（${++descSerial}）`,
    villageId: W.v1,
  };
  const res =
    type === 'event'
      ? await call(W.g1, 'POST', '/api/cases', { ...body, channel: 'grid' })
      : opts.byCitizen
        ? await call(W.citA, 'POST', '/api/my/cases', { ...body, channel: 'web' })
        : await call(W.t1Disp, 'POST', '/api/cases', {
            ...body,
            channel: 'phone',
            contactPhone: '13912345678',
          });
  if (res.statusCode !== 201) throw new Error(`intake failed: ${res.body}`);
  return res.json().case.id;
}

const APPEAL_PATH = ['received', 'dispatched', 'signed', 'in_progress', 'replied', 'audited', 'revisited'];
const EVENT_PATH = ['reported', 'dispatched', 'signed', 'in_progress', 'replied'];

interface DriveOpts {
  byCitizen?: boolean;
  assist?: boolean;
  satisfaction?: 'satisfied' | 'unsatisfied';
}

/** Drives a new case through the API into `state` (along the main path, or a side path). */
async function caseIn(type: CaseType, state: string, opts: DriveOpts = {}): Promise<string> {
  const id = await newCase(type, opts);
  if (state === 'return_requested') {
    await driveTo(type, id, 'dispatched', opts);
    await step(W.v1H, id, 'request_return', { reason: '不属于本村职责', legalBasis: '村民委员会组织法' });
  } else if (state === 'suspended') {
    await driveTo(type, id, 'dispatched', opts);
    await step(W.t1Disp, id, 'suspend', { reason: '等待司法鉴定结果' });
  } else {
    await driveTo(type, id, state, opts);
  }
  return id;
}

async function driveTo(type: CaseType, id: string, state: string, opts: DriveOpts) {
  const path = type === 'appeal' ? APPEAL_PATH : EVENT_PATH;
  const target = path.indexOf(state);
  if (target < 0) throw new Error(`no path to ${state}`);
  for (let i = 1; i <= target; i++) {
    const s = path[i];
    if (s === 'dispatched')
      await step(W.t1Disp, id, 'dispatch', {
        leadOrgId: W.v1,
        ...(opts.assist ? { assistOrgIds: [W.v1b] } : {}),
      });
    if (s === 'signed') await step(W.v1H, id, 'sign');
    if (s === 'in_progress') {
      if (type === 'appeal')
        await step(W.v1H, id, 'first_contact', { method: 'phone', note: '已电话联系双方' });
      else await step(W.v1H, id, 'handle', { note: '已到现场查看' });
    }
    if (s === 'replied') {
      if (opts.assist) await step(W.v1bH, id, 'assist_reply', { reply: '已配合疏通下游' });
      if (type === 'appeal') await step(W.v1H, id, 'reply', { reply: '已组织双方协商，疏通排水沟。' });
      else await step(W.v1H, id, 'reply', { result: '排水沟已疏通' });
    }
    if (s === 'audited') await step(W.t1Disp, id, 'audit', { approved: true });
    if (s === 'revisited')
      await step(W.t1Disp, id, 'revisit', {
        resolved: opts.satisfaction !== 'unsatisfied',
        satisfaction: opts.satisfaction ?? 'satisfied',
      });
  }
}

/** A case with a whistle to D1 blown by V1, optionally already reported by D1. */
async function whistled(type: CaseType, reported: boolean) {
  const id = await caseIn(type, 'dispatched');
  const c = await step(W.v1H, id, 'whistle', {
    departmentIds: [W.d1],
    reasonClass: 'joint_enforcement',
    message: '排水沟涉及违建，需执法部门联合处理',
  });
  const whistleId = c.whistles[0].id as string;
  if (reported) await step(W.d1H, id, 'report', { whistleId, responder: '执法中队张队长' });
  return { id, whistleId };
}

/** One action's test: the case, the right actor and input, an outsider, and a wrong role who sees it. */
interface Spec {
  id: string;
  right: Session;
  input: object;
  outsider: Session;
  wrong: Session;
}
type Setup = (type: CaseType) => Promise<Spec>;

const first = (type: CaseType) => (type === 'appeal' ? 'received' : 'reported');

/** Actions both workflows share (shared.ts). */
const SHARED: Record<string, Setup> = {
  urge: async (type) => ({
    id: await caseIn(type, 'dispatched'),
    right: W.sup,
    input: { message: '请加快办理' },
    outsider: W.sup2,
    wrong: W.v1H,
  }),
  supervise: async (type) => ({
    id: await caseIn(type, 'dispatched'),
    right: W.sup,
    input: { level: 'yellow', message: '黄牌督办，三日内办结' },
    outsider: W.sup2,
    wrong: W.t1Disp,
  }),
  suspend: async (type) => ({
    id: await caseIn(type, 'dispatched'),
    right: W.t1Disp,
    input: { reason: '等待司法鉴定结果' },
    outsider: W.t2Disp,
    wrong: W.v1H,
  }),
  resume: async (type) => ({
    id: await caseIn(type, 'suspended'),
    right: W.t1Disp,
    input: { note: '鉴定结果已出' },
    outsider: W.t2Disp,
    wrong: W.v1H,
  }),
  void: async (type) => ({
    id: await caseIn(type, first(type)),
    right: W.t1Disp,
    input: { reason: '重复录入' },
    outsider: W.t2Disp,
    wrong: W.v1H,
  }),
  whistle: async (type) => ({
    id: await caseIn(type, 'dispatched'),
    right: W.v1H,
    input: { departmentIds: [W.d1], reasonClass: 'resident_demand', message: '群众反映强烈，村里无力解决' },
    outsider: W.v2H,
    wrong: W.g1,
  }),
  report: async (type) => {
    const { id, whistleId } = await whistled(type, false);
    return {
      id,
      right: W.d1H,
      input: { whistleId, responder: '执法中队张队长' },
      outsider: W.d2H,
      wrong: W.v1H,
    };
  },
  report_done: async (type) => {
    const { id, whistleId } = await whistled(type, true);
    return {
      id,
      right: W.d1H,
      input: { whistleId, actionTaken: '已拆除违建，疏通排水' },
      outsider: W.d2H,
      wrong: W.v1H,
    };
  },
  rate_report: async (type) => {
    const { id, whistleId } = await whistled(type, true);
    return {
      id,
      right: W.v1H,
      input: { whistleId, departmentId: W.d1, rating: 4 },
      outsider: W.v2H,
      wrong: W.d1H,
    };
  },
};

const APPEAL_SETUPS: Record<string, Setup> = {
  ...SHARED,
  answer_directly: async () => ({
    id: await caseIn('appeal', 'received'),
    right: W.t1Disp,
    input: { answer: '已告知相关政策' },
    outsider: W.t2Disp,
    wrong: W.v1H,
  }),
  dispatch: async () => ({
    id: await caseIn('appeal', 'received'),
    right: W.t1Disp,
    input: { leadOrgId: W.v1 },
    outsider: W.t2Disp,
    wrong: W.g1,
  }),
  sign: async () => ({
    id: await caseIn('appeal', 'dispatched'),
    right: W.v1H,
    input: {},
    outsider: W.v2H,
    wrong: W.g1,
  }),
  first_contact: async () => ({
    id: await caseIn('appeal', 'signed'),
    right: W.v1H,
    input: { method: 'visit', note: '上门走访' },
    outsider: W.v2H,
    wrong: W.g1,
  }),
  assist_reply: async () => ({
    id: await caseIn('appeal', 'dispatched', { assist: true }),
    right: W.v1bH,
    input: { reply: '已配合疏通下游' },
    outsider: W.v2H,
    wrong: W.g1,
  }),
  reply: async () => ({
    id: await caseIn('appeal', 'in_progress'),
    right: W.v1H,
    input: { reply: '已疏通排水沟' },
    outsider: W.v2H,
    wrong: W.g1,
  }),
  audit: async () => ({
    id: await caseIn('appeal', 'replied'),
    right: W.t1Disp,
    input: { approved: true },
    outsider: W.t2Disp,
    wrong: W.v1H,
  }),
  revisit: async () => ({
    id: await caseIn('appeal', 'audited'),
    right: W.revisitor,
    input: { resolved: true, satisfaction: 'satisfied', method: 'phone' },
    outsider: W.t2Disp,
    wrong: W.v1H,
  }),
  rate: async () => ({
    id: await caseIn('appeal', 'replied', { byCitizen: true }),
    right: W.citA,
    input: { resolved: true, satisfaction: 'basically_satisfied' },
    outsider: W.citB,
    wrong: W.t1Disp,
  }),
  close: async () => ({
    id: await caseIn('appeal', 'revisited'),
    right: W.t1Disp,
    input: {},
    outsider: W.t2Disp,
    wrong: W.v1H,
  }),
  redo: async () => ({
    id: await caseIn('appeal', 'revisited', { satisfaction: 'unsatisfied' }),
    right: W.t1Disp,
    input: { reason: '群众不满意，重新办理' },
    outsider: W.t2Disp,
    wrong: W.v1H,
  }),
  request_return: async () => ({
    id: await caseIn('appeal', 'dispatched'),
    right: W.v1H,
    input: { reason: '不属于本村职责' },
    outsider: W.v2H,
    wrong: W.g1,
  }),
  decide_return: async () => ({
    id: await caseIn('appeal', 'return_requested'),
    right: W.t1Disp,
    input: { decision: 'insist', note: '属村内事务，请继续办理' },
    outsider: W.t2Disp,
    wrong: W.v1H,
  }),
  request_extension: async () => ({
    id: await caseIn('appeal', 'signed'),
    right: W.v1H,
    input: { days: 3, reason: '需等待双方到场' },
    outsider: W.v2H,
    wrong: W.g1,
  }),
  decide_extension: async () => {
    const id = await caseIn('appeal', 'signed');
    await step(W.v1H, id, 'request_extension', { days: 3, reason: '需等待双方到场' });
    return { id, right: W.t1Disp, input: { approved: true }, outsider: W.t2Disp, wrong: W.v1H };
  },
  reassign: async () => ({
    id: await caseIn('appeal', 'dispatched'),
    right: W.t1Disp,
    input: { leadOrgId: W.v1b, reason: '排水沟位于邻村' },
    outsider: W.t2Disp,
    wrong: W.v1H,
  }),
  merge: async () => {
    const target = await caseIn('appeal', 'received');
    return {
      id: await caseIn('appeal', 'received'),
      right: W.t1Disp,
      input: { intoCaseId: target, note: '同一排水沟' },
      outsider: W.t2Disp,
      wrong: W.v1H,
    };
  },
};

const EVENT_SETUPS: Record<string, Setup> = {
  ...SHARED,
  solve_on_spot: async () => ({
    id: await caseIn('event', 'reported'),
    right: W.g1,
    input: { result: '现场劝解，双方和解' },
    outsider: W.g2,
    wrong: W.t1Disp,
  }),
  dispatch: async () => ({
    id: await caseIn('event', 'reported'),
    right: W.t1Disp,
    input: { leadOrgId: W.v1 },
    outsider: W.t2Disp,
    wrong: W.g1,
  }),
  sign: async () => ({
    id: await caseIn('event', 'dispatched'),
    right: W.v1H,
    input: {},
    outsider: W.v2H,
    wrong: W.g1,
  }),
  handle: async () => ({
    id: await caseIn('event', 'signed'),
    right: W.v1H,
    input: { note: '已到现场' },
    outsider: W.v2H,
    wrong: W.g1,
  }),
  reply: async () => ({
    id: await caseIn('event', 'in_progress'),
    right: W.v1H,
    input: { result: '排水沟已疏通' },
    outsider: W.v2H,
    wrong: W.g1,
  }),
  verify: async () => ({
    id: await caseIn('event', 'replied'),
    right: W.g1,
    input: { passed: true, note: '现场核实已疏通' },
    outsider: W.g2,
    wrong: W.v1H,
  }),
};

/** Everything an action could change about a case, as JSON. */
async function snapshot(caseId: string): Promise<string> {
  const db = env.ctx.database.db;
  const [row, events, deadlines, units, reports, notifications] = await Promise.all([
    db.selectFrom('cases').selectAll().where('id', '=', caseId).executeTakeFirstOrThrow(),
    db.selectFrom('case_events').selectAll().where('case_id', '=', caseId).orderBy('seq').execute(),
    db.selectFrom('case_deadlines').selectAll().where('case_id', '=', caseId).orderBy('id').execute(),
    db
      .selectFrom('case_units')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('org_id')
      .orderBy('relation')
      .execute(),
    db
      .selectFrom('whistle_reports as r')
      .innerJoin('whistles as w', 'w.id', 'r.whistle_id')
      .selectAll('r')
      .where('w.case_id', '=', caseId)
      .orderBy('r.department_id')
      .execute(),
    db
      .selectFrom('notifications')
      .select(['id', 'kind'])
      .where('case_id', '=', caseId)
      .orderBy('id')
      .execute(),
  ]);
  const rollups = await db
    .selectFrom('assessment_rollups')
    .select(sql<string>`coalesce(sum(value), 0)::text`.as('total'))
    .executeTakeFirstOrThrow();
  return JSON.stringify({ row, events, deadlines, units, reports, notifications, rollups });
}

async function abilitiesOf(s: Session, caseId: string): Promise<string[]> {
  const res =
    s.kind === 'citizen'
      ? await call(s, 'GET', `/api/my/cases/${caseId}`)
      : await call(s, 'GET', `/api/cases/${caseId}`);
  expect(res.statusCode, res.body).toBe(200);
  const detail = s.kind === 'citizen' ? res.json().detail : res.json();
  return detail.abilities.actions;
}

async function checkAction(type: CaseType, action: string, setup: Setup | undefined) {
  expect(setup, `no authorization case for ${type} action "${action}"`).toBeDefined();
  const spec = await setup!(type);
  const before = await snapshot(spec.id);

  // (a) The right role elsewhere: the case does not exist for them.
  const out = await attempt(spec.outsider, spec.id, action, spec.input);
  expect(out.statusCode, out.body).toBe(404);
  expect(out.json().error.code).toBe('NOT_FOUND');
  const outRead =
    spec.outsider.kind === 'citizen'
      ? await call(spec.outsider, 'GET', `/api/my/cases/${spec.id}`)
      : await call(spec.outsider, 'GET', `/api/cases/${spec.id}`);
  expect(outRead.statusCode).toBe(404);
  expect(await snapshot(spec.id)).toBe(before);

  // (b) A wrong role who sees the case: forbidden, and not offered the action.
  expect(await abilitiesOf(spec.wrong, spec.id)).not.toContain(action);
  const wrong = await attempt(spec.wrong, spec.id, action, spec.input);
  expect(wrong.statusCode, wrong.body).toBe(403);
  expect(wrong.json().error.code).toBe('FORBIDDEN');
  expect(await snapshot(spec.id)).toBe(before);

  // (c) The right actor: offered the action, and it succeeds.
  expect(await abilitiesOf(spec.right, spec.id)).toContain(action);
  const ok = await attempt(spec.right, spec.id, action, spec.input);
  expect(ok.statusCode, ok.body).toBe(200);
  const events = await env.ctx.database.db
    .selectFrom('case_events')
    .select(['action', 'actor_kind', 'actor_id'])
    .where('case_id', '=', spec.id)
    .orderBy('seq', 'desc')
    .executeTakeFirstOrThrow();
  expect(events).toEqual({ action, actor_kind: spec.right.kind, actor_id: spec.right.id });
}

describe('every appeal action: outsiders 404, wrong roles 403, the right actor 200', () => {
  it.each(Object.keys(APPEAL_WORKFLOW.actions))('appeal %s', (action) =>
    checkAction('appeal', action, APPEAL_SETUPS[action]),
  );
  it('has no authorization case for an action that does not exist', () => {
    expect(Object.keys(APPEAL_SETUPS).filter((a) => !(a in APPEAL_WORKFLOW.actions))).toEqual([]);
  });
});

/**
 * An action only the system may take (a device's recovery closing its event): every staff member
 * who sees the case is refused (403) and not offered it; the system actor performs it.
 */
async function checkSystemAction(type: CaseType, action: string, input: object) {
  const id = await caseIn(type, 'dispatched');
  const before = await snapshot(id);
  for (const s of [W.t1Disp, W.v1H, W.g1]) {
    expect(await abilitiesOf(s, id)).not.toContain(action);
    const res = await attempt(s, id, action, input);
    expect(res.statusCode, res.body).toBe(403);
  }
  expect(await snapshot(id)).toBe(before);
  const done = await perform(env.ctx, systemActor(COUNTY), id, action, input);
  expect(done.case.state).toBe('closed');
}

const EVENT_SYSTEM_ONLY: Record<string, object> = { auto_close: { result: '设备已恢复正常' } };

describe('every event action: outsiders 404, wrong roles 403, the right actor 200', () => {
  it.each(Object.keys(EVENT_WORKFLOW.actions))('event %s', (action) =>
    action in EVENT_SYSTEM_ONLY
      ? checkSystemAction('event', action, EVENT_SYSTEM_ONLY[action]!)
      : checkAction('event', action, EVENT_SETUPS[action]),
  );
  it('has no authorization case for an action that does not exist', () => {
    expect(Object.keys(EVENT_SETUPS).filter((a) => !(a in EVENT_WORKFLOW.actions))).toEqual([]);
  });
});

describe('refusals that change nothing', () => {
  it('answers a stale version with 409 CONFLICT; the current version succeeds', async () => {
    const id = await caseIn('appeal', 'dispatched');
    const read = await call(W.v1H, 'GET', `/api/cases/${id}`);
    const version = read.json().case.version as number;
    expect(version).toBeGreaterThan(1);
    const before = await snapshot(id);
    const stale = await attempt(W.v1H, id, 'sign', {}, version - 1);
    expect(stale.statusCode, stale.body).toBe(409);
    expect(stale.json().error.code).toBe('CONFLICT');
    expect(await snapshot(id)).toBe(before);
    const ok = await attempt(W.v1H, id, 'sign', {}, version);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().case.version).toBe(version + 1);
    // The version just used is now stale too.
    const again = await attempt(W.v1H, id, 'first_contact', { method: 'phone', note: '电话' }, version);
    expect(again.json().error.code).toBe('CONFLICT');
  });

  it('answers an action from a wrong state with 409 INVALID_TRANSITION naming the state in Chinese', async () => {
    const id = await caseIn('appeal', 'received');
    const before = await snapshot(id);
    const res = await attempt(W.t1Disp, id, 'audit', { approved: true });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.code).toBe('INVALID_TRANSITION');
    expect(res.json().error.message).toContain('已受理');
    expect(res.json().error.message).toContain('审核');
    expect(await snapshot(id)).toBe(before);

    const ev = await caseIn('event', 'reported');
    const sign = await attempt(W.v1H, ev, 'sign', {});
    expect(sign.statusCode).toBe(409);
    expect(sign.json().error.code).toBe('INVALID_TRANSITION');
    expect(sign.json().error.message).toContain('已上报');
  });

  it('answers invalid input with 400 VALIDATION_FAILED naming the fields', async () => {
    const id = await caseIn('appeal', 'received');
    const before = await snapshot(id);
    const fields = async (input: object) => {
      const res = await attempt(W.t1Disp, id, 'dispatch', input);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      return (res.json().error.details as { field: string; message: string }[]).map((d) => d.field);
    };
    expect(await fields({})).toEqual(['leadOrgId']);
    expect(await fields({ leadOrgId: 'not an org' })).toEqual(['leadOrgId']);
    expect(await fields({ leadOrgId: W.v1, colour: 'red' })).toContain('colour');
    expect(await fields({ leadOrgId: '360121999999', note: '派往不存在的单位' })).toEqual(['leadOrgId']);
    const unknown = await attempt(W.t1Disp, id, 'fly_away', {});
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details[0].field).toBe('action');
    expect(await snapshot(id)).toBe(before);
  });

  it('lets a citizen act only on their own appeal: another citizen gets 404', async () => {
    const id = await caseIn('appeal', 'replied', { byCitizen: true });
    const before = await snapshot(id);
    const read = await call(W.citB, 'GET', `/api/my/cases/${id}`);
    expect(read.statusCode).toBe(404);
    const rate = await attempt(W.citB, id, 'rate', { resolved: false, satisfaction: 'unsatisfied' });
    expect(rate.statusCode).toBe(404);
    expect(rate.json().error.code).toBe('NOT_FOUND');
    // Citizens have no way into the staff action route at all.
    const staffRoute = await call(W.citA, 'POST', `/api/cases/${id}/actions/rate`, {
      input: { resolved: true, satisfaction: 'satisfied' },
    });
    expect(staffRoute.statusCode).toBe(401);
    expect(await snapshot(id)).toBe(before);
    const own = await attempt(W.citA, id, 'rate', { resolved: true, satisfaction: 'satisfied' });
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json().case.state).toBe('revisited');
  });

  it('does not merge into a case the dispatcher cannot see (404), leaking nothing of it', async () => {
    // A received appeal in township T2, out of T1's reach.
    const res = await call(W.t2Disp, 'POST', '/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'JF01',
      description: '邻里因排水沟堵塞发生争执（外乡镇）',
      villageId: W.v2,
    });
    expect(res.statusCode, res.body).toBe(201);
    const foreign = res.json().case;
    const id = await caseIn('appeal', 'received');
    const before = await snapshot(id);
    const merge = await attempt(W.t1Disp, id, 'merge', { intoCaseId: foreign.id });
    expect(merge.statusCode, merge.body).toBe(404);
    expect(merge.body).not.toContain(foreign.code);
    expect(await snapshot(id)).toBe(before);
  });
});
