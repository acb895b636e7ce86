/**
 * The engine's cached categories and time limits (config.ts): an admin's change is seen by the very
 * next intake of this process, although the copy is otherwise kept for ten seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import { as, createStaff, createVillage, ensureCounty, type StaffSession } from '../../test/factories.ts';

let env: TestEnv;
let admin: StaffSession;
let operator: StaffSession;
let villageId: string;

beforeAll(async () => {
  env = await createTestEnv();
  await ensureCounty(env.ctx);
  admin = await createStaff(env, 'admin');
  operator = await createStaff(env, 'operator');
  villageId = await createVillage(env.ctx);
});
afterAll(() => env.close());

const db = () => env.ctx.database.db;

async function receive(categoryId: string) {
  return as(env, operator).post('/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId,
    description: '小区门口路灯不亮，晚上出行不便',
    villageId,
  });
}

async function category(id: string) {
  return db().selectFrom('categories').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('cached categories and time limits', () => {
  it('a deactivated category is refused by the next intake, and accepted again once reactivated', async () => {
    const id = 'CJ03';
    expect((await receive(id)).statusCode).toBe(201);
    const off = await as(env, admin).patch(`/api/categories/${id}`, {
      active: false,
      version: (await category(id)).version,
    });
    expect(off.statusCode, off.body).toBe(200);
    const refused = await receive(id);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('categoryId');
    await as(env, admin).patch(`/api/categories/${id}`, {
      active: true,
      version: (await category(id)).version,
    });
    expect((await receive(id)).statusCode).toBe(201);
  });

  it('a category moved to the county level routes the next intake to the county centre', async () => {
    const id = 'JF01'; // village-level in the built-in taxonomy
    expect((await category(id)).level).toBe('village');
    const before = await receive(id);
    expect(before.statusCode, before.body).toBe(201);
    const routedBefore = await db()
      .selectFrom('cases')
      .select('routing')
      .where('id', '=', before.json().case.id)
      .executeTakeFirstOrThrow();
    expect((routedBefore.routing as { level: string }).level).toBe('village');
    const res = await as(env, admin).patch(`/api/categories/${id}`, {
      level: 'county',
      version: (await category(id)).version,
    });
    expect(res.statusCode, res.body).toBe(200);
    const after = await receive(id);
    const routed = await db()
      .selectFrom('cases')
      .select('routing')
      .where('id', '=', after.json().case.id)
      .executeTakeFirstOrThrow();
    expect((routed.routing as { level: string; suggestedLeadOrgId: string }).level).toBe('county');
  });

  it('a changed dispatch time limit sets the next intake’s deadline', async () => {
    const dispatchDue = async (caseId: string) => {
      const [c, d] = await Promise.all([
        db().selectFrom('cases').select('received_at').where('id', '=', caseId).executeTakeFirstOrThrow(),
        db()
          .selectFrom('case_deadlines')
          .select('due_at')
          .where('case_id', '=', caseId)
          .where('stage', '=', 'dispatch')
          .executeTakeFirstOrThrow(),
      ]);
      return (d.due_at.getTime() - c.received_at.getTime()) / 3600_000;
    };
    const first = await receive('CJ01');
    expect(await dispatchDue(first.json().case.id)).toBe(2);
    const put = await env.app.inject({
      method: 'PUT',
      url: '/api/settings/time-limits',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf },
      payload: { overrides: { dispatch: { normal: { amount: 5, unit: 'hours' } } }, updatedAt: null },
    });
    expect(put.statusCode, put.body).toBe(200);
    const second = await receive('CJ01');
    expect(await dispatchDue(second.json().case.id)).toBe(5);
  });
});
