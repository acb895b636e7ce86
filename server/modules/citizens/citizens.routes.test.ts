import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { as, createCitizen, createStaff, createVillage, type StaffSession } from '../../../test/factories.ts';

let env: TestEnv;
let village: string;
let otherVillage: string;
let citizen: { id: string; phone: string };
let homeless: { id: string; phone: string };
let handler: StaffSession;
let worker: StaffSession;
let outsider: StaffSession;
let countyDispatcher: StaffSession;

beforeAll(async () => {
  env = await createTestEnv();
  village = await createVillage(env.ctx);
  otherVillage = await createVillage(env.ctx);
  citizen = await createCitizen(env.ctx, { homeOrgId: village, phone: '13812345678' });
  homeless = await createCitizen(env.ctx, { phone: '13987654321' });
  handler = await createStaff(env, 'village_handler', { orgId: village });
  worker = await createStaff(env, 'grid_worker', { orgId: village });
  outsider = await createStaff(env, 'village_handler', { orgId: otherVillage });
  countyDispatcher = await createStaff(env, 'county_dispatcher');
});
afterAll(() => env.close());

const db = () => env.ctx.database.db;
const auditsBy = (actorId: string) =>
  db()
    .selectFrom('audit_log')
    .select(['action', 'target_id', 'detail'])
    .where('actor_id', '=', actorId)
    .orderBy('id')
    .execute();
const citizenRow = async (id: string) =>
  JSON.stringify(
    await db().selectFrom('citizens').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
  );

describe('GET /api/citizens/:id', () => {
  it('answers 401 without a session', async () => {
    const res = await as(env, null).get(`/api/citizens/${citizen.id}`);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('AUTH_REQUIRED');
  });

  it('shows the citizen masked, without the phone, and audits the read', async () => {
    const res = await as(env, handler).get(`/api/citizens/${citizen.id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.citizen).toMatchObject({
      id: citizen.id,
      phoneMasked: '138****5678',
      homeOrgId: village,
      hasName: false,
      hasIdNumber: false,
    });
    expect(body.citizen).not.toHaveProperty('phone');
    expect(res.body).not.toContain(citizen.phone);
    expect(body.abilities).toEqual({ reveal: true });
    const audits = await auditsBy(handler.userId);
    expect(audits.filter((a) => a.action === 'citizen.viewed')).toEqual([
      { action: 'citizen.viewed', target_id: citizen.id, detail: {} },
    ]);
  });

  it('answers 400 for a malformed id', async () => {
    const res = await as(env, handler).get('/api/citizens/12345');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });
});

describe('POST /api/citizens/:id/reveal', () => {
  it('shows the full phone to the village handler of the home village and audits the reason', async () => {
    const res = await as(env, handler).post(`/api/citizens/${citizen.id}/reveal`, { reason: '回访核实诉求' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ phone: citizen.phone, name: null, idNumber: null });
    const reveals = (await auditsBy(handler.userId)).filter((a) => a.action === 'citizen.revealed');
    expect(reveals).toEqual([
      { action: 'citizen.revealed', target_id: citizen.id, detail: { reason: '回访核实诉求' } },
    ]);
  });

  it('requires a reason (400) and reveals nothing without one', async () => {
    const before = (await auditsBy(handler.userId)).length;
    const res = await as(env, handler).post(`/api/citizens/${citizen.id}/reveal`, {});
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('reason');
    expect(res.body).not.toContain(citizen.phone);
    expect((await auditsBy(handler.userId)).length).toBe(before);
  });

  it('refuses a grid worker (citizen.read, not citizen.reveal) with 403 and records no reveal', async () => {
    const view = await as(env, worker).get(`/api/citizens/${citizen.id}`);
    expect(view.statusCode).toBe(200);
    expect(view.json().abilities).toEqual({ reveal: false });
    const res = await as(env, worker).post(`/api/citizens/${citizen.id}/reveal`, { reason: '想看看' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
    expect(res.body).not.toContain(citizen.phone);
    const reveals = (await auditsBy(worker.userId)).filter((a) => a.action === 'citizen.revealed');
    expect(reveals).toEqual([]);
  });
});

describe('outside the jurisdiction', () => {
  it('answers 404 on read and reveal to a handler of another village, leaving no audit row', async () => {
    const before = await citizenRow(citizen.id);
    const auditBefore = await auditsBy(outsider.userId);
    const read = await as(env, outsider).get(`/api/citizens/${citizen.id}`);
    expect(read.statusCode).toBe(404);
    expect(read.json().error.code).toBe('NOT_FOUND');
    const reveal = await as(env, outsider).post(`/api/citizens/${citizen.id}/reveal`, { reason: '外村查看' });
    expect(reveal.statusCode).toBe(404);
    expect(reveal.json().error.code).toBe('NOT_FOUND');
    expect(reveal.body).not.toContain(citizen.phone);
    expect(await auditsBy(outsider.userId)).toEqual(auditBefore);
    expect(await citizenRow(citizen.id)).toBe(before);
  });

  it('shows a citizen without a home village only to county-level staff', async () => {
    const county = await as(env, countyDispatcher).get(`/api/citizens/${homeless.id}`);
    expect(county.statusCode).toBe(200);
    expect(county.json().citizen).toMatchObject({
      id: homeless.id,
      phoneMasked: '139****4321',
      homeOrgId: null,
    });
    const reveal = await as(env, countyDispatcher).post(`/api/citizens/${homeless.id}/reveal`, {
      reason: '县中心回访',
    });
    expect(reveal.statusCode).toBe(200);
    expect(reveal.json().phone).toBe(homeless.phone);

    const village = await as(env, handler).get(`/api/citizens/${homeless.id}`);
    expect(village.statusCode).toBe(404);
    const villageReveal = await as(env, handler).post(`/api/citizens/${homeless.id}/reveal`, {
      reason: '村里查看',
    });
    expect(villageReveal.statusCode).toBe(404);
    const handlerAudits = (await auditsBy(handler.userId)).filter((a) => a.target_id === homeless.id);
    expect(handlerAudits).toEqual([]);
  });
});
