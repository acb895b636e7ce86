import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  createCentre,
  createStaff,
  createTownship,
  createVillage,
  type StaffSession,
} from '../../../test/factories.ts';

let env: TestEnv;
let township: string;
let villageA: string;
let villageB: string;
let dispatcher: StaffSession;

const SECRET_TEXT = '张三家的狗半夜一直叫，电话13912345678';

/** An appeal taken by phone, answered directly, revisited and closed by the township centre. */
async function closedAppeal(village: string, opts: { confidential?: boolean; satisfaction?: string } = {}) {
  const api = as(env, dispatcher);
  const created = await api.post('/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId: 'ZX01',
    description: SECRET_TEXT,
    villageId: village,
    contactName: '张三',
    contactPhone: '13912345678',
    address: '幸福路 8 号',
    ...(opts.confidential ? { confidential: true } : {}),
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().case.id as string;
  const steps: [string, object][] = [
    ['answer_directly', { answer: '已电话答复：可向村委会申请。' }],
    ['revisit', { resolved: true, satisfaction: opts.satisfaction ?? 'satisfied' }],
    ['close', opts.satisfaction === 'unsatisfied' ? { note: '已答复政策，不予重办' } : {}],
  ];
  for (const [action, input] of steps) {
    const res = await api.post(`/api/cases/${id}/actions/${action}`, { input });
    expect(res.statusCode, `${action}: ${res.body}`).toBe(200);
  }
  return id;
}

beforeAll(async () => {
  env = await createTestEnv();
  township = await createTownship(env.ctx);
  villageA = await createVillage(env.ctx, { townshipId: township });
  villageB = await createVillage(env.ctx, { townshipId: township });
  dispatcher = await createStaff(env, 'township_dispatcher', {
    orgId: await createCentre(env.ctx, township),
  });
  await closedAppeal(villageA);
  await closedAppeal(villageA, { satisfaction: 'unsatisfied' });
  await closedAppeal(villageB);
  await closedAppeal(villageB, { confidential: true });
  // An open appeal is not on the board.
  await as(env, dispatcher).post('/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId: 'ZX01',
    description: '还在办理中的诉求内容',
    villageId: villageA,
  });
});
afterAll(() => env?.close());

describe('GET /api/public/board', () => {
  it('lists closed appeals for anyone, without a session, newest first', async () => {
    const res = await as(env, null).get(`/api/public/board?township=${township}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toContain('public');
    const body = res.json();
    // Three closed, one of them confidential: two villages, confidential left out.
    expect(body.items).toHaveLength(3);
    expect(body.summary).toMatchObject({ closed: 3, resolvedRate: 1 });
    expect(body.summary.satisfactionRate).toBeCloseTo(2 / 3);
    expect(body.items[0]).toMatchObject({ category: expect.any(String), resolved: true });
    expect(new Set(body.items.map((i: { village: string }) => i.village)).size).toBe(2);
  });

  it('never includes text, names, phone numbers, addresses or case ids', async () => {
    const res = await as(env, null).get(`/api/public/board?township=${township}`);
    const text = res.body;
    for (const secret of ['张三', '13912345678', '幸福路', '半夜', '已电话答复', '村委会申请'])
      expect(text).not.toContain(secret);
    const ids = await env.ctx.database.db.selectFrom('cases').select(['id', 'code']).execute();
    for (const { id, code } of ids) {
      expect(text).not.toContain(id);
      expect(text).not.toContain(code);
    }
    expect(Object.keys(res.json().items[0]).sort()).toEqual(
      [
        'category',
        'categoryEn',
        'closedOn',
        'days',
        'receivedOn',
        'resolved',
        'satisfaction',
        'township',
        'village',
      ].sort(),
    );
  });

  it('filters by village, and pages with an opaque cursor', async () => {
    const village = await as(env, null).get(`/api/public/board?village=${villageA}`);
    expect(village.json().items).toHaveLength(2);
    const first = (await as(env, null).get(`/api/public/board?township=${township}&limit=2`)).json();
    expect(first.items).toHaveLength(2);
    expect(first.next).toEqual(expect.any(String));
    const second = (
      await as(env, null).get(`/api/public/board?township=${township}&limit=2&before=${first.next}`)
    ).json();
    expect(second.items).toHaveLength(1);
    expect(second.next).toBeNull();
  });

  it('answers 400 for a bad cursor or code and 404 for a place that does not exist', async () => {
    const bad = await as(env, null).get('/api/public/board?before=not-a-real-cursor');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('before');
    expect((await as(env, null).get('/api/public/board?village=12')).statusCode).toBe(400);
    expect((await as(env, null).get('/api/public/board?village=360121999999')).statusCode).toBe(404);
    // A township code given as a village is not a village.
    expect((await as(env, null).get(`/api/public/board?village=${township}000`)).statusCode).toBe(404);
  });
});
