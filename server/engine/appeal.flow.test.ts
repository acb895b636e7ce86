import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import {
  as,
  createCitizen,
  createDepartment,
  createStaff,
  createVillage,
  type StaffSession,
} from '../../test/factories.ts';

let env: TestEnv;
let operator: StaffSession;
let dispatcher: StaffSession;
let dept: StaffSession;
let villageId: string;

beforeAll(async () => {
  env = await createTestEnv();
  villageId = await createVillage(env.ctx);
  operator = await createStaff(env, 'operator');
  dispatcher = await createStaff(env, 'county_dispatcher', { orgId: operator.orgId });
  const deptId = await createDepartment(env.ctx);
  dept = await createStaff(env, 'department_handler', { orgId: deptId });
});
afterAll(() => env.close());

describe('an appeal from intake to close', () => {
  it('walks the main path and keeps a timeline', async () => {
    await createCitizen(env.ctx, { homeOrgId: villageId });
    const created = await as(env, operator).post('/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'SR01',
      description: '小区门口垃圾桶满溢，三天没有清运，气味很大。',
      villageId,
      contactPhone: '13912345678',
    });
    expect(created.statusCode, created.body).toBe(201);
    const c = created.json().case;
    expect(c.state).toBe('received');
    expect(c.contact.phoneMasked).toBe('139****5678');
    expect(c.deadlines.map((d: { stage: string }) => d.stage)).toEqual(['dispatch']);
    const act = (s: StaffSession, action: string, input: object = {}) =>
      as(env, s).post(`/api/cases/${c.id}/actions/${action}`, { input });
    const d = await act(operator, 'dispatch', { leadOrgId: dept.orgId, note: '部门职责' });
    expect(d.statusCode, d.body).toBe(200);
    expect(d.json().case.state).toBe('dispatched');
    expect((await act(dept, 'sign')).json().case.state).toBe('signed');
    expect(
      (await act(dept, 'first_contact', { method: 'phone', note: '已电话联系' })).json().case.state,
    ).toBe('in_progress');
    expect((await act(dept, 'reply', { reply: '已安排清运，今后每日清运两次。' })).json().case.state).toBe(
      'replied',
    );
    expect((await act(dispatcher, 'audit', { approved: true })).json().case.state).toBe('audited');
    const revisitor = await createStaff(env, 'revisit_agent', { orgId: operator.orgId });
    expect(
      (await act(revisitor, 'revisit', { resolved: true, satisfaction: 'satisfied' })).json().case.state,
    ).toBe('revisited');
    const closed = await act(dispatcher, 'close', {});
    expect(closed.json().case.state).toBe('closed');
    const tl = await as(env, dispatcher).get(`/api/cases/${c.id}/timeline`);
    expect(tl.json().items.map((e: { action: string }) => e.action)).toEqual([
      'receive',
      'dispatch',
      'sign',
      'first_contact',
      'reply',
      'audit',
      'revisit',
      'close',
    ]);
    const wrong = await act(dept, 'sign');
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json().error.code).toBe('INVALID_TRANSITION');
  });
});
