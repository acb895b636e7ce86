import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  COUNTY,
  createDepartment,
  createStaff,
  createVillage,
  type StaffSession,
  signInCitizen,
} from '../../../test/factories.ts';

let env: TestEnv;
let operator: StaffSession;
let supervisor: StaffSession;
let deptA: StaffSession;
let deptB: StaffSession;
let villageId: string;
let caseId: string;

interface Item {
  id: number;
  kind: string;
  title: string;
  caseId: string | null;
  recipient: { kind: string; id: string };
  createdAt: string;
  readAt: string | null;
}

const db = () => env.ctx.database.db;
const inbox = async (s: { cookie: string; csrf: string }, query = '') => {
  const res = await as(env, s).get(`/api/notifications${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: Item[]; total: number; unread: number };
};
const row = (id: number) =>
  db().selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
/** A notification written directly, as the engine's outbox would. */
const notify = async (to: { kind: 'user' | 'org' | 'citizen'; id: string }, kind: string, at?: Date) =>
  (
    await db()
      .insertInto('notifications')
      .values({
        county_code: COUNTY,
        recipient_kind: to.kind,
        recipient_id: to.id,
        channel: 'inapp',
        kind,
        case_id: null,
        title: `测试通知 ${kind}`,
        body: '正文',
        ...(at ? { created_at: at } : {}),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;

beforeAll(async () => {
  env = await createTestEnv();
  villageId = await createVillage(env.ctx);
  operator = await createStaff(env, 'operator');
  supervisor = await createStaff(env, 'supervisor', { orgId: operator.orgId });
  deptA = await createStaff(env, 'department_handler', { orgId: await createDepartment(env.ctx) });
  deptB = await createStaff(env, 'department_handler', { orgId: await createDepartment(env.ctx) });
  const created = await as(env, operator).post('/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId: 'SR01',
    description: '小区门口垃圾桶满溢，三天没有清运。',
    villageId,
    contactPhone: '13912345678',
  });
  expect(created.statusCode, created.body).toBe(201);
  caseId = created.json().case.id;
  const d = await as(env, operator).post(`/api/cases/${caseId}/actions/dispatch`, {
    input: { leadOrgId: deptA.orgId, note: '由部门办理' },
  });
  expect(d.statusCode, d.body).toBe(200);
});
afterAll(() => env.close());

describe('GET /api/notifications', () => {
  it('answers 401 without a session and 400 for a bad filter', async () => {
    expect((await as(env, null).get('/api/notifications')).statusCode).toBe(401);
    for (const q of ['?unread=maybe', '?limit=0', '?limit=101', '?offset=-1', '?other=1']) {
      const res = await as(env, deptA).get(`/api/notifications${q}`);
      expect(res.statusCode, q).toBe(400);
    }
  });

  it('shows a dispatch’s new work to the lead department, not to another department', async () => {
    const mine = await inbox(deptA);
    const item = mine.items.find((n) => n.caseId === caseId && n.kind === 'new_work');
    expect(item).toMatchObject({ recipient: { kind: 'org', id: deptA.orgId }, readAt: null });
    expect(item!.title).toMatch(/^新工单：/);
    expect(mine.unread).toBeGreaterThanOrEqual(1);
    const theirs = await inbox(deptB);
    expect(theirs.items.some((n) => n.caseId === caseId)).toBe(false);
    expect(theirs.items.some((n) => n.id === item!.id)).toBe(false);
  });

  it('shows the county centre’s notifications to supervisors and county dispatchers only', async () => {
    const id = await notify({ kind: 'org', id: `${COUNTY}C` }, 'return_requested');
    expect((await inbox(supervisor)).items.map((n) => n.id)).toContain(id);
    expect((await inbox(operator)).items.map((n) => n.id)).not.toContain(id);
    expect((await inbox(deptA)).items.map((n) => n.id)).not.toContain(id);
  });

  it('lists the caller’s own, newest first, with limit and offset', async () => {
    const t = Date.now();
    const ids = [
      await notify({ kind: 'user', id: deptA.userId }, 'to_verify', new Date(t + 60_000)),
      await notify({ kind: 'user', id: deptA.userId }, 'to_verify', new Date(t + 120_000)),
      await notify({ kind: 'user', id: deptA.userId }, 'to_verify', new Date(t + 180_000)),
    ];
    const all = await inbox(deptA);
    expect(all.items.slice(0, 3).map((n) => n.id)).toEqual([...ids].reverse());
    const page = await inbox(deptA, '?limit=1&offset=1');
    expect(page.items.map((n) => n.id)).toEqual([ids[1]]);
    expect(page.total).toBe(all.total);
    expect((await inbox(deptB)).items.map((n) => n.id)).not.toContain(ids[0]);
  });
});

describe('POST /api/notifications/:id/read', () => {
  it('answers 400 for a malformed id and 404 for one addressed to someone else, leaving it unread', async () => {
    const item = (await inbox(deptA)).items.find((n) => n.caseId === caseId && n.kind === 'new_work')!;
    for (const id of ['abc', '0', '1.5']) {
      expect((await as(env, deptA).post(`/api/notifications/${id}/read`)).statusCode, id).toBe(400);
    }
    for (const s of [deptB, operator, supervisor]) {
      const res = await as(env, s).post(`/api/notifications/${item.id}/read`);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    expect((await as(env, deptA).post('/api/notifications/999999999/read')).statusCode).toBe(404);
    expect((await row(item.id)).read_at).toBeNull();
  });

  it('marks it read for the recipient, keeps the first time, and the unread filter leaves it out', async () => {
    const item = (await inbox(deptA)).items.find((n) => n.caseId === caseId && n.kind === 'new_work')!;
    const before = await inbox(deptA);
    const res = await as(env, deptA).post(`/api/notifications/${item.id}/read`);
    expect(res.statusCode, res.body).toBe(200);
    const readAt = res.json().notification.readAt;
    expect(readAt).toEqual(expect.any(String));
    const again = await as(env, deptA).post(`/api/notifications/${item.id}/read`);
    expect(again.json().notification.readAt).toBe(readAt);

    const unread = await inbox(deptA, '?unread=true');
    expect(unread.items.map((n) => n.id)).not.toContain(item.id);
    expect(unread.items.every((n) => n.readAt === null)).toBe(true);
    expect(unread.unread).toBe(before.unread - 1);
    expect(unread.total).toBe(unread.unread);
    expect((await inbox(deptA)).items.find((n) => n.id === item.id)!.readAt).toBe(readAt);
  });
});

describe('POST /api/notifications/read-all', () => {
  it('marks all of the caller’s unread notifications read, and nobody else’s', async () => {
    const other = await notify({ kind: 'org', id: deptB.orgId }, 'urged');
    expect((await as(env, null).post('/api/notifications/read-all')).statusCode).toBe(401);
    const before = await inbox(deptA);
    expect(before.unread).toBeGreaterThan(0);
    const res = await as(env, deptA).post('/api/notifications/read-all');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ updated: before.unread });
    expect((await inbox(deptA)).unread).toBe(0);
    expect((await inbox(deptA, '?unread=true')).items).toEqual([]);
    expect((await row(other)).read_at).toBeNull();
    expect((await as(env, deptA).post('/api/notifications/read-all')).json()).toEqual({ updated: 0 });
  });
});

describe('a citizen’s notifications', () => {
  it('shows the acceptance of their appeal (in-app only, not the SMS twin); others’ stay out of reach', async () => {
    const citizen = await signInCitizen(env, '13800138123', '10.78.0.1');
    const filed = await as(env, citizen).post('/api/my/cases', {
      type: 'appeal',
      channel: 'web',
      categoryId: 'SR01',
      description: '楼道里的路灯坏了一个多月。',
      villageId,
    });
    expect(filed.statusCode, filed.body).toBe(201);
    const appealId = filed.json().case.id;
    const rows = await db()
      .selectFrom('notifications')
      .select('channel')
      .where('case_id', '=', appealId)
      .execute();
    expect(rows.map((r) => r.channel).sort()).toEqual(['inapp', 'sms']);

    const mine = await inbox(citizen);
    expect(mine.items).toHaveLength(1);
    expect(mine.items[0]).toMatchObject({
      kind: 'received',
      caseId: appealId,
      recipient: { kind: 'citizen' },
    });
    expect(mine.items[0]!.title).toMatch(/^诉求已受理：S/);
    // Staff do not see it, nor may they read it; the citizen cannot read staff notifications.
    expect((await inbox(operator)).items.map((n) => n.id)).not.toContain(mine.items[0]!.id);
    expect((await as(env, operator).post(`/api/notifications/${mine.items[0]!.id}/read`)).statusCode).toBe(
      404,
    );
    const staffItem = (await inbox(deptA)).items[0]!;
    expect((await as(env, citizen).post(`/api/notifications/${staffItem.id}/read`)).statusCode).toBe(404);

    const read = await as(env, citizen).post(`/api/notifications/${mine.items[0]!.id}/read`);
    expect(read.statusCode).toBe(200);
    expect((await inbox(citizen, '?unread=true')).items).toEqual([]);
  });
});
