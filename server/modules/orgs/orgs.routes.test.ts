import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  createDepartment,
  createStaff,
  createVillage,
  type StaffSession,
} from '../../../test/factories.ts';

let env: TestEnv;
let handler: StaffSession;
let admin: StaffSession;
let ownVillage: string;
let otherVillage: string;

beforeAll(async () => {
  env = await createTestEnv();
  ownVillage = await createVillage(env.ctx);
  otherVillage = await createVillage(env.ctx);
  handler = await createStaff(env, 'village_handler', { orgId: ownVillage });
  admin = await createStaff(env, 'admin');
});
afterAll(() => env.close());

describe('GET /api/orgs/:id', () => {
  it('answers 401 without a session', async () => {
    const res = await as(env, null).get(`/api/orgs/${ownVillage}`);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('AUTH_REQUIRED');
  });

  it('shows the handler’s own village with abilities', async () => {
    const res = await as(env, handler).get(`/api/orgs/${ownVillage}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().org.id).toBe(ownVillage);
    expect(res.json().abilities).toEqual({ update: false });
  });

  it('answers 404 for another village (outsider), same as a missing one', async () => {
    const res = await as(env, handler).get(`/api/orgs/${otherVillage}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    const missing = await as(env, handler).get('/api/orgs/360121999999');
    expect(missing.statusCode).toBe(404);
  });

  it('answers 400 with a field error for a malformed id', async () => {
    const res = await as(env, handler).get('/api/orgs/bad-id!');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });
});

describe('PATCH /api/orgs/:id', () => {
  it('lets an admin rename a village and records the version', async () => {
    const before = (await as(env, admin).get(`/api/orgs/${ownVillage}`)).json();
    const res = await as(env, admin).patch(`/api/orgs/${ownVillage}`, {
      name: '新名字村',
      version: before.org.version,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().org.name).toBe('新名字村');
    expect(res.json().org.version).toBe(before.org.version + 1);
    const stale = await as(env, admin).patch(`/api/orgs/${ownVillage}`, {
      name: '再改',
      version: before.org.version,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('CONFLICT');
  });

  it('refuses a village handler (403) and changes nothing', async () => {
    const res = await as(env, handler).patch(`/api/orgs/${otherVillage}`, { name: 'x', version: 1 });
    expect(res.statusCode).toBe(403);
    const row = await env.ctx.database.db
      .selectFrom('org_units')
      .select('name')
      .where('id', '=', otherVillage)
      .executeTakeFirstOrThrow();
    expect(row.name).not.toBe('x');
  });
});

describe('GET /api/orgs', () => {
  it('lists the county’s departments to a village handler (whom to whistle), other kinds only in scope', async () => {
    const dept = await createDepartment(env.ctx);
    const res = await as(env, handler).get('/api/orgs?kind=department&limit=200');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items.map((o: { id: string }) => o.id)).toContain(dept);
    const villages = await as(env, handler).get('/api/orgs?kind=village&limit=200');
    const ids = villages.json().items.map((o: { id: string }) => o.id);
    expect(ids).toContain(ownVillage);
    expect(ids).not.toContain(otherVillage);
    expect((await as(env, null).get('/api/orgs?kind=department')).statusCode).toBe(401);
  });
});
