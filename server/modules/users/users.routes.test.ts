import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  COUNTY,
  createCentre,
  createStaff,
  createTownship,
  createVillage,
  PASSWORD,
  type StaffSession,
} from '../../../test/factories.ts';
import { systemActor } from '../../authz/actor.ts';
import { createUser } from './users.service.ts';

let env: TestEnv;
let townshipA: string;
let villageA: string;
let villageB: string;
let admin: StaffSession;
let dispatcherA: StaffSession;
let handlerA: StaffSession;
let userA: { id: string };
let userB: { id: string };

/** Every response body of this file, checked at the end for password hashes. */
const bodies: string[] = [];
type Res = Awaited<ReturnType<ReturnType<typeof as>['get']>>;
const keep = (res: Res) => {
  bodies.push(res.body);
  return res;
};
function api(s: StaffSession | null) {
  const a = as(env, s);
  return {
    get: async (url: string) => keep(await a.get(url)),
    post: async (url: string, body?: unknown) => keep(await a.post(url, body)),
    patch: async (url: string, body?: unknown) => keep(await a.patch(url, body)),
  };
}

beforeAll(async () => {
  env = await createTestEnv();
  townshipA = await createTownship(env.ctx);
  villageA = await createVillage(env.ctx, { townshipId: townshipA });
  villageB = await createVillage(env.ctx);
  admin = await createStaff(env, 'admin');
  dispatcherA = await createStaff(env, 'township_dispatcher', {
    orgId: await createCentre(env.ctx, townshipA),
  });
  handlerA = await createStaff(env, 'village_handler', { orgId: villageA });
  const sys = systemActor(COUNTY);
  const base = { displayName: '网格员', role: 'grid_worker' as const, password: PASSWORD };
  userA = await createUser(env.ctx, sys, { ...base, username: 'worker-a', orgId: villageA });
  userB = await createUser(env.ctx, sys, { ...base, username: 'worker-b', orgId: villageB });
});
afterAll(() => env.close());

const db = () => env.ctx.database.db;
const usersNamed = (username: string) =>
  db().selectFrom('users').select('id').where('username', '=', username).execute();
const userRow = (id: string) =>
  db().selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const newUser = (over: Record<string, unknown> = {}) => ({
  username: 'new-worker',
  displayName: '新网格员 小王',
  role: 'grid_worker',
  orgId: villageA,
  password: 'strong-pass-2026',
  ...over,
});

describe('POST /api/users', () => {
  it('answers 401 without a session', async () => {
    const res = await api(null).post('/api/users', newUser({ username: 'anon-made' }));
    expect(res.statusCode).toBe(401);
    expect(await usersNamed('anon-made')).toEqual([]);
  });

  it('lets an admin create an account (201) that can sign in', async () => {
    const res = await api(admin).post('/api/users', newUser({ username: 'New-Worker' }));
    expect(res.statusCode).toBe(201);
    const { user, abilities } = res.json();
    expect(user).toMatchObject({
      username: 'new-worker',
      displayName: '新网格员 小王',
      role: 'grid_worker',
      orgId: villageA,
      active: true,
      locked: false,
      lastLoginAt: null,
      version: 1,
    });
    expect(abilities).toEqual({ update: true });
    const row = await userRow(user.id);
    expect(row.password_hash).toMatch(/^scrypt\$/);
    const audit = await db()
      .selectFrom('audit_log')
      .select(['actor_id', 'action'])
      .where('target_id', '=', user.id)
      .execute();
    expect(audit).toEqual([{ actor_id: admin.userId, action: 'user.created' }]);
    const login = await env.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'new-worker', password: 'strong-pass-2026' },
      remoteAddress: '10.30.0.1',
    });
    keep(login);
    expect(login.statusCode).toBe(200);
  });

  it('refuses a duplicate username (409 DUPLICATE) and adds no row', async () => {
    const res = await api(admin).post('/api/users', newUser({ username: 'NEW-worker', displayName: '重名' }));
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('DUPLICATE');
    expect(res.json().error.details[0].field).toBe('username');
    expect(await usersNamed('new-worker')).toHaveLength(1);
  });

  it('refuses a weak password with 400 on field password', async () => {
    const res = await api(admin).post('/api/users', newUser({ username: 'weak-one', password: 'short1' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.details.map((d: { field: string }) => d.field)).toEqual(['password']);
    expect(await usersNamed('weak-one')).toEqual([]);
  });

  it('refuses a role that does not fit the unit (department handler in a village) with 400 on field role', async () => {
    const res = await api(admin).post(
      '/api/users',
      newUser({ username: 'misplaced', role: 'department_handler' }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { field: string }) => d.field)).toEqual(['role']);
    expect(await usersNamed('misplaced')).toEqual([]);
  });

  it('refuses an unknown unit with 400 on field orgId', async () => {
    const res = await api(admin).post('/api/users', newUser({ username: 'nowhere', orgId: '360121999999' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { field: string }) => d.field)).toEqual(['orgId']);
    expect(await usersNamed('nowhere')).toEqual([]);
  });

  it('refuses a village handler (403, no user.manage) and adds no row', async () => {
    const res = await api(handlerA).post('/api/users', newUser({ username: 'by-handler' }));
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
    expect(await usersNamed('by-handler')).toEqual([]);
  });
});

describe('GET /api/users', () => {
  it('lists only the accounts of the dispatcher’s township', async () => {
    const res = await api(dispatcherA).get('/api/users?limit=200');
    expect(res.statusCode).toBe(200);
    const items: { id: string; orgId: string }[] = res.json().items;
    const ids = items.map((u) => u.id);
    expect(ids).toContain(userA.id);
    expect(ids).toContain(handlerA.userId);
    expect(ids).toContain(dispatcherA.userId);
    expect(ids).not.toContain(userB.id);
    expect(ids).not.toContain(admin.userId);
    // Every unit below a township carries the township's code as its prefix.
    for (const u of items) expect(u.orgId.startsWith(townshipA)).toBe(true);
  });

  it('shows an account of another township as 404', async () => {
    const res = await api(dispatcherA).get(`/api/users/${userB.id}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    const own = await api(dispatcherA).get(`/api/users/${userA.id}`);
    expect(own.statusCode).toBe(200);
    expect(own.json().abilities).toEqual({ update: false });
  });

  it('answers 400 for a malformed id', async () => {
    const res = await api(dispatcherA).get('/api/users/not-a-uuid');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });
});

describe('PATCH /api/users/:id', () => {
  it('ends the sessions of an account whose role changes', async () => {
    const target = await createStaff(env, 'grid_worker', { orgId: villageA });
    expect((await api(target).get('/api/auth/me')).json().kind).toBe('staff');
    const version = (await userRow(target.userId)).version;
    const res = await api(admin).patch(`/api/users/${target.userId}`, { role: 'village_handler', version });
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ role: 'village_handler', version: version + 1 });
    expect(
      await db().selectFrom('sessions').select('id_hash').where('user_id', '=', target.userId).execute(),
    ).toEqual([]);
    expect((await api(target).get('/api/auth/me')).json()).toEqual({ kind: 'anonymous' });
    const staffOnly = await api(target).get(`/api/orgs/${villageA}`);
    expect(staffOnly.statusCode).toBe(401);
  });

  it('refuses an admin changing their own account (403) and changes nothing', async () => {
    const before = JSON.stringify(await userRow(admin.userId));
    const res = await api(admin).patch(`/api/users/${admin.userId}`, {
      displayName: '我自己',
      version: (await userRow(admin.userId)).version,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
    expect(JSON.stringify(await userRow(admin.userId))).toBe(before);
  });

  it('answers 409 CONFLICT for a stale version and changes nothing', async () => {
    const first = await api(admin).patch(`/api/users/${userA.id}`, { displayName: '改名一次', version: 1 });
    expect(first.statusCode).toBe(200);
    const before = JSON.stringify(await userRow(userA.id));
    const stale = await api(admin).patch(`/api/users/${userA.id}`, { displayName: '改名两次', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('CONFLICT');
    expect(JSON.stringify(await userRow(userA.id))).toBe(before);
  });

  it('refuses a township dispatcher (403, no user.manage) and changes nothing', async () => {
    const before = JSON.stringify(await userRow(userA.id));
    const res = await api(dispatcherA).patch(`/api/users/${userA.id}`, { active: false, version: 2 });
    expect(res.statusCode).toBe(403);
    expect(JSON.stringify(await userRow(userA.id))).toBe(before);
  });
});

describe('password hashes', () => {
  it('never appear in any response', async () => {
    const list = await api(admin).get('/api/users?limit=200');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.length).toBeGreaterThanOrEqual(5);
    const hashes = (await db().selectFrom('users').select('password_hash').execute()).map(
      (r) => r.password_hash,
    );
    expect(bodies.length).toBeGreaterThan(15);
    for (const body of bodies) {
      expect(body).not.toMatch(/scrypt\$/);
      expect(body).not.toMatch(/password_?hash/i);
      for (const h of hashes) expect(body).not.toContain(h.split('$').at(-1));
    }
  });
});
