/**
 * The cases API around the engine: work queues, keyword search in Chinese, filters, pagination,
 * duplicate suggestions, contact masking and reveal (DESIGN §7), and the citizen's own appeals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../../common/roles.ts';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  COUNTY,
  createCentre,
  createDepartment,
  createTownship,
  createVillage,
  PASSWORD,
} from '../../../test/factories.ts';
import { systemActor } from '../../authz/actor.ts';
import { chinaDay } from '../../engine/rollups.ts';
import { sweepOverdue } from '../../engine/sweep.ts';
import { createUser } from '../users/users.service.ts';

let env: TestEnv;

interface Session {
  id: string;
  name: string;
  cookie: string;
  csrf: string;
  ip: string;
}

let ipSerial = 0;
async function staff(role: StaffRole, orgId: string): Promise<Session> {
  const ip = `10.34.0.${++ipSerial}`;
  const username = `cases${role.replace(/_/g, '')}${ipSerial}`;
  const name = `经办人${ipSerial}号`;
  const { id } = await createUser(env.ctx, systemActor(COUNTY), {
    username,
    displayName: name,
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
  return { id, name, cookie: `gz_session=${cookie.value}`, csrf: res.json().csrfToken, ip };
}

async function citizen(phone: string): Promise<Session> {
  const ip = `10.34.1.${++ipSerial}`;
  await env.app.inject({
    method: 'POST',
    url: '/api/auth/otp/request',
    payload: { phone },
    remoteAddress: ip,
  });
  const code = /([0-9]{6})/.exec(env.sms.sent.filter((m) => m.phone === phone).at(-1)!.text)![1]!;
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/otp/verify',
    payload: { phone, code },
    remoteAddress: ip,
  });
  if (res.statusCode !== 200) throw new Error(`citizen sign-in failed: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session')!;
  return {
    id: res.json().citizen.id,
    name: phone,
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
async function act(s: Session, id: string, action: string, input: object = {}) {
  const res = await call(s, 'POST', `/api/cases/${id}/actions/${action}`, { input });
  if (res.statusCode !== 200) throw new Error(`${action} failed: ${res.statusCode} ${res.body}`);
  return res.json().case;
}

const W = {} as {
  t1: string;
  t2: string;
  v1: string;
  v2: string;
  d1: string;
  operator: Session;
  county: Session;
  sup: Session;
  t1Disp: Session;
  t2Disp: Session;
  v1H: Session;
  v2H: Session;
  d1H: Session;
  d2H: Session;
  citA: Session;
  citB: Session;
};

beforeAll(async () => {
  env = await createTestEnv();
  W.t1 = await createTownship(env.ctx);
  W.t2 = await createTownship(env.ctx);
  W.v1 = await createVillage(env.ctx, { townshipId: W.t1 });
  W.v2 = await createVillage(env.ctx, { townshipId: W.t2 });
  W.d1 = await createDepartment(env.ctx);
  const countyCentre = await createCentre(env.ctx, COUNTY);
  W.operator = await staff('operator', countyCentre);
  W.county = await staff('county_dispatcher', countyCentre);
  W.sup = await staff('supervisor', countyCentre);
  W.t1Disp = await staff('township_dispatcher', await createCentre(env.ctx, W.t1));
  W.t2Disp = await staff('township_dispatcher', await createCentre(env.ctx, W.t2));
  W.v1H = await staff('village_handler', W.v1);
  W.v2H = await staff('village_handler', W.v2);
  W.d1H = await staff('department_handler', W.d1);
  W.d2H = await staff('department_handler', await createDepartment(env.ctx));
  W.citA = await citizen('13911112222');
  W.citB = await citizen('13933334444');
});
afterAll(() => env.close());

interface IntakeOpts {
  categoryId?: string;
  villageId?: string;
  lon?: number;
  lat?: number;
  contactPhone?: string;
  anonymous?: boolean;
  confidential?: boolean;
}
/** An appeal taken by the county hotline operator. */
async function appeal(description: string, opts: IntakeOpts = {}) {
  const res = await call(W.operator, 'POST', '/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId: opts.categoryId ?? 'JF01',
    description,
    villageId: opts.villageId ?? W.v1,
    ...opts,
  });
  if (res.statusCode !== 201) throw new Error(`intake failed: ${res.body}`);
  return res.json().case as { id: string; code: string; version: number };
}

async function list(s: Session, query: string) {
  const res = await call(s, 'GET', `/api/cases?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: { id: string; categoryId: string; state: string }[]; hasMore: boolean };
}
const ids = async (s: Session, query: string) => (await list(s, query)).items.map((i) => i.id);
const q = (text: string) => `q=${encodeURIComponent(text)}`;

describe('work queues', () => {
  it('to_dispatch shows a township centre only the received cases of its township', async () => {
    const here = await appeal('邻居装修噪音扰民，协商无果');
    const there = await appeal('邻居装修噪音扰民，另一乡镇', { villageId: W.v2 });
    const dispatched = await appeal('邻居装修噪音扰民，已派单');
    await act(W.t1Disp, dispatched.id, 'dispatch', { leadOrgId: W.v1 });

    const t1 = await ids(W.t1Disp, 'queue=to_dispatch');
    expect(t1).toContain(here.id);
    expect(t1).not.toContain(there.id);
    expect(t1).not.toContain(dispatched.id);
    const t2 = await ids(W.t2Disp, 'queue=to_dispatch');
    expect(t2).toContain(there.id);
    expect(t2).not.toContain(here.id);
    // The county centre sees both.
    expect(await ids(W.county, 'queue=to_dispatch')).toEqual(expect.arrayContaining([here.id, there.id]));
    // A department has no territory: nothing waits for it to dispatch.
    expect(await ids(W.d1H, 'queue=to_dispatch')).toEqual([]);
  });

  it('to_sign shows the lead unit its dispatched cases until signed; then in_progress', async () => {
    const c = await appeal('小区门口占道经营，影响通行', { categoryId: 'SR03' });
    await act(W.county, c.id, 'dispatch', { leadOrgId: W.d1, note: '城管职责，测试部门承办' });
    expect(await ids(W.d1H, 'queue=to_sign')).toContain(c.id);
    expect(await ids(W.d2H, 'queue=to_sign')).not.toContain(c.id);
    expect(await ids(W.v1H, 'queue=to_sign')).not.toContain(c.id);
    await act(W.d1H, c.id, 'sign');
    expect(await ids(W.d1H, 'queue=to_sign')).not.toContain(c.id);
    expect(await ids(W.d1H, 'queue=in_progress')).toContain(c.id);
    // The department sees the case sent to it, and only that.
    const all = await ids(W.d1H, 'queue=all');
    expect(all).toContain(c.id);
    expect((await call(W.d2H, 'GET', `/api/cases/${c.id}`)).statusCode).toBe(404);
  });
});

describe('search, filters and pages', () => {
  it('finds Chinese keywords in the description; several terms must all appear', async () => {
    const garbage = await appeal('小区门口垃圾清运不及时，气味很大', { categoryId: 'SR01' });
    const noise = await appeal('夜间施工噪声扰民', { categoryId: 'ST04' });
    const found = await ids(W.county, q('垃圾'));
    expect(found).toContain(garbage.id);
    expect(found).not.toContain(noise.id);
    expect(await ids(W.county, q('垃圾 清运'))).toContain(garbage.id);
    expect(await ids(W.county, q('垃圾 噪声'))).toEqual([]);
    expect(await ids(W.county, q('噪声'))).toContain(noise.id);
    // The tracking code is searchable too.
    expect(await ids(W.county, q(garbage.code))).toEqual([garbage.id]);
    // LIKE wildcards are plain characters.
    expect(await ids(W.county, q('%'))).toEqual([]);
    // Outside the searcher's territory: nothing.
    expect(await ids(W.t2Disp, q('垃圾'))).not.toContain(garbage.id);
  });

  it('filters by category (a group code matches its children), type and state', async () => {
    const sr01 = await appeal('垃圾桶满溢，筛选测试', { categoryId: 'SR01' });
    const sr03 = await appeal('流动摊贩占道，筛选测试', { categoryId: 'SR03' });
    const jf01 = await appeal('邻里纠纷，筛选测试');
    const group = await ids(W.county, `categoryId=SR&${q('筛选测试')}`);
    expect([...group].sort()).toEqual([sr01.id, sr03.id].sort());
    expect(await ids(W.county, `categoryId=SR01&${q('筛选测试')}`)).toEqual([sr01.id]);
    expect(await ids(W.county, `categoryId=JF&${q('筛选测试')}`)).toEqual([jf01.id]);
    expect(await ids(W.county, `type=event&${q('筛选测试')}`)).toEqual([]);
    await act(W.county, jf01.id, 'dispatch', { leadOrgId: W.v1 });
    expect(await ids(W.county, `state=dispatched&${q('筛选测试')}`)).toEqual([jf01.id]);
    expect(await ids(W.county, `townshipId=${W.t2}&${q('筛选测试')}`)).toEqual([]);
    const bad = await call(W.county, 'GET', '/api/cases?categoryId=sr01');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('categoryId');
  });

  it('pages with limit and offset and says whether there is more', async () => {
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await appeal(`分页测试第${i}件，邻里排水纠纷`)).id);
    const p1 = await list(W.county, `limit=2&${q('分页测试')}`);
    expect(p1.items).toHaveLength(2);
    expect(p1.hasMore).toBe(true);
    const p2 = await list(W.county, `limit=2&offset=2&${q('分页测试')}`);
    expect(p2.items).toHaveLength(1);
    expect(p2.hasMore).toBe(false);
    const seen = [...p1.items, ...p2.items].map((i) => i.id);
    expect([...seen].sort()).toEqual([...made].sort());
    // Newest first.
    expect(p1.items[0]!.id).toBe(made[2]);
    const exact = await list(W.county, `limit=3&${q('分页测试')}`);
    expect(exact.hasMore).toBe(false);
  });
});

describe('duplicate suggestions', () => {
  it('suggests an earlier similar open appeal nearby, with reasons', async () => {
    const at = { lon: 115.9, lat: 28.6 };
    const earlier = await appeal('小区门口垃圾桶满溢，三天没有清运，气味很大', { categoryId: 'SR01', ...at });
    const unrelated = await appeal('路灯不亮，晚上出行不便', { categoryId: 'SR05', ...at });
    const text = '小区门口的垃圾桶满了好几天没人清运';
    const res = await call(
      W.operator,
      'GET',
      `/api/cases/duplicates?categoryId=SR01&text=${encodeURIComponent(text)}&lon=115.9003&lat=28.6002`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { id: string; code: string; score: number; reasons: string[] }[];
    const hit = items.find((i) => i.id === earlier.id);
    expect(hit, res.body).toBeDefined();
    expect(hit!.code).toBe(earlier.code);
    expect(hit!.score).toBeGreaterThanOrEqual(0.45);
    expect(hit!.reasons).toEqual(
      expect.arrayContaining([
        '同一类别',
        expect.stringMatching(/^相距 \d+ 米$/),
        expect.stringMatching(/^描述相似度/),
      ]),
    );
    expect(items.map((i) => i.id)).not.toContain(unrelated.id);

    // A later appeal about the same thing lists the earlier one as a candidate to merge with.
    const later = await appeal(text, { categoryId: 'SR01', lon: 115.9003, lat: 28.6002 });
    const forCase = await call(W.county, 'GET', `/api/cases/${later.id}/duplicates`);
    expect(forCase.statusCode).toBe(200);
    const candidates = forCase.json().items.map((i: { id: string }) => i.id);
    expect(candidates).toContain(earlier.id);
    expect(candidates).not.toContain(later.id);

    // Closed (merged) appeals are no longer suggested, and other townships see nothing of them.
    await act(W.county, later.id, 'merge', { intoCaseId: earlier.id });
    const again = await call(W.county, 'GET', `/api/cases/${earlier.id}/duplicates`);
    expect(again.json().items.map((i: { id: string }) => i.id)).not.toContain(later.id);
    const outsider = await call(
      W.t2Disp,
      'GET',
      `/api/cases/duplicates?categoryId=SR01&text=${encodeURIComponent(text)}&lon=115.9003&lat=28.6002`,
    );
    expect(outsider.json().items).toEqual([]);
  });
});

describe('contact masking (PIPL)', () => {
  const auditsOf = (caseId: string) =>
    env.ctx.database.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id', 'detail'])
      .where('target_id', '=', caseId)
      .where('action', '=', 'case.contact_revealed')
      .execute();

  it('shows a handler the masked phone only; reveal is audited', async () => {
    const c = await appeal('楼上漏水，物业不管', { contactPhone: '13912345678' });
    await act(W.t1Disp, c.id, 'dispatch', { leadOrgId: W.v1 });
    const res = await call(W.v1H, 'GET', `/api/cases/${c.id}`);
    expect(res.json().case.contact).toEqual({
      anonymous: false,
      confidential: false,
      phoneMasked: '139****5678',
      hasName: false,
    });
    expect(res.body).not.toContain('13912345678');
    expect(res.json().abilities.revealContact).toBe(true);
    const reveal = await call(W.v1H, 'POST', `/api/cases/${c.id}/reveal-contact`, { reason: '回访核实' });
    expect(reveal.statusCode, reveal.body).toBe(200);
    expect(reveal.json()).toEqual({ name: null, phone: '13912345678' });
    expect(await auditsOf(c.id)).toHaveLength(1);
    // The list never carries contact data.
    expect((await call(W.v1H, 'GET', '/api/cases?queue=all')).body).not.toContain('5678');
  });

  it('keeps an anonymous appeal’s contact from everyone', async () => {
    const c = await appeal('举报某厂夜间偷排废水', {
      categoryId: 'ST02',
      contactPhone: '13987654321',
      anonymous: true,
    });
    const row = await env.ctx.database.db
      .selectFrom('cases')
      .select(['contact_phone_enc', 'contact_phone_masked'])
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ contact_phone_enc: null, contact_phone_masked: null });
    for (const s of [W.county, W.operator, W.v1H]) {
      const res = await call(s, 'GET', `/api/cases/${c.id}`);
      expect(res.json().case.contact).toMatchObject({ anonymous: true, phoneMasked: null, hasName: false });
      expect(res.json().abilities.revealContact).toBe(false);
      expect(res.body).not.toContain('4321');
    }
    const reveal = await call(W.county, 'POST', `/api/cases/${c.id}/reveal-contact`, { reason: '核实举报' });
    expect(reveal.statusCode).toBe(403);
    expect(await auditsOf(c.id)).toEqual([]);
  });

  it('hides a confidential appeal’s contact from the lead department; only the centre may reveal, audited', async () => {
    const c = await appeal('反映某单位工作人员吃拿卡要', {
      categoryId: 'SR03',
      contactPhone: '13912345678',
      confidential: true,
    });
    await act(W.county, c.id, 'dispatch', { leadOrgId: W.d1, note: '测试部门承办' });
    const dept = await call(W.d1H, 'GET', `/api/cases/${c.id}`);
    expect(dept.statusCode).toBe(200);
    expect(dept.json().case.contact).toEqual({
      anonymous: false,
      confidential: true,
      phoneMasked: null,
      hasName: false,
    });
    expect(dept.json().abilities.revealContact).toBe(false);
    expect(dept.body).not.toContain('5678');
    const refused = await call(W.d1H, 'POST', `/api/cases/${c.id}/reveal-contact`, {
      reason: '想联系诉求人',
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('FORBIDDEN');
    expect(refused.body).not.toContain('5678');
    expect(await auditsOf(c.id)).toEqual([]);

    const centre = await call(W.county, 'GET', `/api/cases/${c.id}`);
    expect(centre.json().case.contact.phoneMasked).toBeNull();
    expect(centre.json().abilities.revealContact).toBe(true);
    const revealed = await call(W.county, 'POST', `/api/cases/${c.id}/reveal-contact`, {
      reason: '需核实身份',
    });
    expect(revealed.statusCode, revealed.body).toBe(200);
    expect(revealed.json().phone).toBe('13912345678');
    expect(await auditsOf(c.id)).toEqual([
      { action: 'case.contact_revealed', actor_id: W.county.id, detail: { reason: '需核实身份' } },
    ]);
    // An outsider cannot even find it.
    expect(
      (await call(W.t2Disp, 'POST', `/api/cases/${c.id}/reveal-contact`, { reason: '看看' })).statusCode,
    ).toBe(404);
  });
});

describe('citizens and their own appeals', () => {
  it('submits, lists and follows an appeal with a public timeline; another citizen gets 404', async () => {
    const res = await call(W.citA, 'POST', '/api/my/cases', {
      type: 'appeal',
      channel: 'web',
      categoryId: 'SR01',
      description: '我家门口的垃圾点三天没有清运了',
      villageId: W.v1,
      contactPhone: '13911112222',
    });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json().case;
    const day = chinaDay(new Date(c.receivedAt)).replaceAll('-', '').slice(2);
    expect(c.code).toMatch(new RegExp(`^S${day}\\d{4}$`));
    expect(c).toMatchObject({ state: 'received', routing: null, deadlines: [], whistles: [], pending: {} });
    expect(c.contact.phoneMasked).toBe('139****2222');

    const mine = await call(W.citA, 'GET', '/api/my/cases');
    expect(mine.statusCode).toBe(200);
    expect(mine.json().items.map((i: { id: string }) => i.id)).toContain(c.id);
    expect(
      (await call(W.citB, 'GET', '/api/my/cases')).json().items.map((i: { id: string }) => i.id),
    ).not.toContain(c.id);
    expect((await call(W.citB, 'GET', `/api/my/cases/${c.id}`)).statusCode).toBe(404);

    // Staff work it, with internal steps the citizen must not see.
    await act(W.county, c.id, 'dispatch', { leadOrgId: W.d1, note: '测试部门承办' });
    await act(W.sup, c.id, 'urge', { message: '请尽快签收' });
    await act(W.d1H, c.id, 'sign');
    await act(W.sup, c.id, 'supervise', { level: 'yellow', message: '群众反映多次' });
    await act(W.d1H, c.id, 'first_contact', { method: 'phone', note: '已电话联系' });
    await act(W.d1H, c.id, 'reply', { reply: '已清运，并增加清运频次。' });
    await act(W.county, c.id, 'audit', { approved: true, comment: '内部意见：答复合格' });

    const detail = await call(W.citA, 'GET', `/api/my/cases/${c.id}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const body = detail.json();
    expect(body.detail.case).toMatchObject({ state: 'audited', supervisionLevel: 'none', deadlines: [] });
    const items = body.timeline.items as {
      action: string;
      actor: { kind: string; name: string };
      details: object;
    }[];
    expect(items.map((e) => e.action)).toEqual(['receive', 'dispatch', 'sign', 'reply']);
    expect(items[0]!.actor).toEqual({ kind: 'citizen', name: '我' });
    const deptName = body.detail.case.lead.name as string;
    expect(items[2]!.actor).toEqual({ kind: 'staff', name: deptName });
    expect(items[1]!.details).toEqual({ leadName: deptName });
    expect(items[3]!.details).toEqual({ reply: '已清运，并增加清运频次。' });
    // No officer's name, no internal message.
    for (const s of [W.county, W.sup, W.d1H]) expect(detail.body).not.toContain(s.name);
    for (const text of ['请尽快签收', '群众反映多次', '内部意见', '已电话联系'])
      expect(detail.body).not.toContain(text);

    // Staff see everything, with the officers' names.
    const staffTl = await call(W.county, 'GET', `/api/cases/${c.id}/timeline`);
    expect(staffTl.json().items.map((e: { action: string }) => e.action)).toEqual([
      'receive',
      'dispatch',
      'urge',
      'sign',
      'supervise',
      'first_contact',
      'reply',
      'audit',
    ]);
    expect(staffTl.body).toContain(W.d1H.name);

    // The citizen rates through the portal; another citizen cannot.
    const other = await call(W.citB, 'POST', `/api/my/cases/${c.id}/rate`, {
      resolved: true,
      satisfaction: 'satisfied',
    });
    expect(other.statusCode).toBe(404);
    const rated = await call(W.citA, 'POST', `/api/my/cases/${c.id}/rate`, {
      resolved: true,
      satisfaction: 'satisfied',
      comment: '处理及时',
    });
    expect(rated.statusCode, rated.body).toBe(200);
    expect(rated.json().case).toMatchObject({
      state: 'revisited',
      satisfaction: 'satisfied',
      resolved: true,
    });
  });
});

describe('overdue queue', () => {
  it('lists a case whose deadline has passed, once the sweep has marked it', async () => {
    const late = await appeal('逾期测试：村道积水');
    const detail = await call(W.t1Disp, 'GET', `/api/cases/${late.id}`);
    const due = detail.json().case.deadlines.find((d: { stage: string }) => d.stage === 'dispatch')
      .dueAt as string;
    expect(await ids(W.t1Disp, 'queue=overdue')).not.toContain(late.id);
    await sweepOverdue(env.ctx, { now: new Date(new Date(due).getTime() + 60_000) });
    const fresh = await appeal('逾期测试：刚受理');
    const overdue = await ids(W.t1Disp, 'queue=overdue');
    expect(overdue).toContain(late.id);
    expect(overdue).not.toContain(fresh.id);
    expect(await ids(W.t2Disp, 'queue=overdue')).not.toContain(late.id);
    const after = await call(W.t1Disp, 'GET', `/api/cases/${late.id}`);
    expect(after.json().case.deadlines).toContainEqual(
      expect.objectContaining({ stage: 'dispatch', status: 'overdue', dueAt: due }),
    );
  });
});
