import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  COUNTY,
  createDepartment,
  createGrid,
  createStaff,
  createVillage,
  type StaffSession,
} from '../../../test/factories.ts';

let env: TestEnv;
let villageA: string;
let villageB: string;
let gridA: string;
let gridB: string;
let workerA: StaffSession;
let workerA2: StaffSession;
let workerB: StaffSession;
let handlerA: StaffSession;
let handlerB: StaffSession;
let department: StaffSession;
let serial = 0;

const clientId = () => `patrol-test-${++serial}-${Date.now()}`;
/** A walk north-east from the demo county's seat, one point a minute, ~111 m apart. */
const walk = (from: number, n: number, t0 = Date.now() - 60 * 60_000) =>
  Array.from({ length: n }, (_, i) => [115.9 + (from + i) * 0.001, 28.68, t0 + (from + i) * 60_000]);

const row = (id: string) =>
  env.ctx.database.db.selectFrom('patrols').selectAll().where('id', '=', id).executeTakeFirst();

async function assign(user: string, grid: string) {
  await env.ctx.database.db
    .insertInto('user_grids')
    .values({ user_id: user, grid_id: grid, county_code: COUNTY })
    .execute();
}

beforeAll(async () => {
  env = await createTestEnv();
  villageA = await createVillage(env.ctx);
  villageB = await createVillage(env.ctx);
  gridA = await createGrid(env.ctx, { villageId: villageA });
  gridB = await createGrid(env.ctx, { villageId: villageB });
  workerA = await createStaff(env, 'grid_worker', { orgId: villageA });
  workerA2 = await createStaff(env, 'grid_worker', { orgId: villageA });
  workerB = await createStaff(env, 'grid_worker', { orgId: villageB });
  handlerA = await createStaff(env, 'village_handler', { orgId: villageA });
  handlerB = await createStaff(env, 'village_handler', { orgId: villageB });
  department = await createStaff(env, 'department_handler', { orgId: await createDepartment(env.ctx) });
  await assign(workerA.userId, gridA);
  await assign(workerA2.userId, gridA);
  await assign(workerB.userId, gridB);
});
afterAll(() => env?.close());

describe('starting a patrol', () => {
  it('401 without a session, 400 on a bad body, 403 for a role that does not patrol', async () => {
    expect((await as(env, null).post('/api/patrols', { clientId: clientId() })).statusCode).toBe(401);
    const bad = await as(env, workerA).post('/api/patrols', { clientId: 'x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('clientId');
    const before = await env.ctx.database.db.selectFrom('patrols').select('id').execute();
    const res = await as(env, handlerA).post('/api/patrols', { clientId: clientId() });
    expect(res.statusCode).toBe(403);
    expect(await env.ctx.database.db.selectFrom('patrols').select('id').execute()).toEqual(before);
  });

  it('starts once per client id: the offline retry answers the same patrol', async () => {
    const id = clientId();
    const first = await as(env, workerA).post('/api/patrols', { clientId: id, gridId: gridA });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().patrol).toMatchObject({ gridId: gridA, active: true, pointCount: 0, distanceM: 0 });
    const again = await as(env, workerA).post('/api/patrols', { clientId: id, gridId: gridA });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ replayed: true, patrol: { id: first.json().patrol.id } });
  });

  it('refuses a grid that is not the worker’s (as a field error, revealing nothing)', async () => {
    const res = await as(env, workerA).post('/api/patrols', { clientId: clientId(), gridId: gridB });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('gridId');
    const unknown = await as(env, workerA).post('/api/patrols', { clientId: clientId(), gridId: 'NOPE' });
    expect(unknown.statusCode).toBe(400);
  });

  it('starting a new patrol ends the one still open', async () => {
    const a = (await as(env, workerA2).post('/api/patrols', { clientId: clientId() })).json().patrol.id;
    const b = (await as(env, workerA2).post('/api/patrols', { clientId: clientId() })).json().patrol.id;
    expect((await row(a))!.ended_at).not.toBeNull();
    expect((await row(b))!.ended_at).toBeNull();
  });
});

describe('recording the track', () => {
  it('adds points in time order, counts each instant once, measures the distance and ends', async () => {
    const t0 = Date.now() - 30 * 60_000;
    const start = await as(env, workerA).post('/api/patrols', {
      clientId: clientId(),
      gridId: gridA,
      startedAt: new Date(t0).toISOString(),
    });
    expect(start.statusCode, start.body).toBe(201);
    const id = start.json().patrol.id;
    const late = walk(5, 5, t0);
    const early = walk(0, 5, t0);
    expect((await as(env, workerA).post(`/api/patrols/${id}/points`, { points: late })).statusCode).toBe(200);
    const res = await as(env, workerA).post(`/api/patrols/${id}/points`, { points: [...early, ...late] });
    expect(res.statusCode, res.body).toBe(200);
    // 10 points, 9 steps of 0.001° of longitude at 28.68° N (~97.6 m each).
    expect(res.json().patrol.pointCount).toBe(10);
    expect(res.json().patrol.distanceM).toBeGreaterThan(870);
    expect(res.json().patrol.distanceM).toBeLessThan(890);
    const stored = (await row(id))!.points.map((p) => p[2]);
    expect(stored).toEqual([...stored].sort((x, y) => x - y));

    const ended = await as(env, workerA).post(`/api/patrols/${id}/points`, { points: [], end: true });
    expect(ended.json().patrol).toMatchObject({ active: false });

    // A phone that was offline sends its last points after the end: accepted if inside the patrol.
    const t = new Date(ended.json().patrol.endedAt).getTime() - 1000;
    const lateOk = await as(env, workerA).post(`/api/patrols/${id}/points`, {
      points: [[115.95, 28.69, t]],
    });
    expect(lateOk.statusCode).toBe(200);
    expect(lateOk.json().patrol.pointCount).toBe(11);
    const after = await as(env, workerA).post(`/api/patrols/${id}/points`, {
      points: [[115.95, 28.69, Date.now() + 3600_000]],
    });
    expect(after.statusCode).toBe(400);
    expect(after.json().error.details[0].field).toBe('points/0');
  });

  it('refuses points out of range (400) and another worker’s patrol (404); nothing changes', async () => {
    const id = (await as(env, workerA).post('/api/patrols', { clientId: clientId() })).json().patrol.id;
    const before = await row(id);
    const bad = await as(env, workerA).post(`/api/patrols/${id}/points`, { points: [[200, 28, Date.now()]] });
    expect(bad.statusCode).toBe(400);
    const theirs = await as(env, workerB).post(`/api/patrols/${id}/points`, { points: walk(0, 2) });
    expect(theirs.statusCode).toBe(404);
    const sameVillage = await as(env, workerA2).post(`/api/patrols/${id}/points`, {
      points: walk(0, 2),
      end: true,
    });
    expect(sameVillage.statusCode).toBe(404);
    expect(await row(id)).toEqual(before);
  });
});

describe('reading patrols', () => {
  it('the village handler sees the village’s patrols with the track; another village sees none', async () => {
    const id = (await as(env, workerA).post('/api/patrols', { clientId: clientId(), gridId: gridA })).json()
      .patrol.id;
    const added = await as(env, workerA).post(`/api/patrols/${id}/points`, {
      points: walk(0, 3, Date.now() - 3 * 60_000),
    });
    expect(added.statusCode, added.body).toBe(200);

    const list = await as(env, handlerA).get(`/api/patrols?gridId=${gridA}`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((p: { id: string }) => p.id)).toContain(id);
    expect(list.json().items[0].workerName).toBeTruthy();

    const one = await as(env, handlerA).get(`/api/patrols/${id}`);
    expect(one.statusCode).toBe(200);
    expect(one.json().track.geometry.type).toBe('LineString');
    expect(one.json().track.geometry.coordinates).toHaveLength(3);
    expect(one.json().track.properties.times).toHaveLength(3);

    expect((await as(env, handlerB).get(`/api/patrols/${id}`)).statusCode).toBe(404);
    const other = await as(env, handlerB).get('/api/patrols');
    expect(other.json().items.map((p: { id: string }) => p.id)).not.toContain(id);
  });

  it('a grid worker sees only their own; a department handler may not look (403)', async () => {
    const mine = await as(env, workerA2).get('/api/patrols');
    expect(mine.statusCode).toBe(200);
    expect(mine.json().items.every((p: { userId: string }) => p.userId === workerA2.userId)).toBe(true);
    const aPatrol = (await as(env, workerA).get('/api/patrols')).json().items[0].id;
    expect((await as(env, workerA2).get(`/api/patrols/${aPatrol}`)).statusCode).toBe(404);
    expect((await as(env, department).get('/api/patrols')).statusCode).toBe(403);
    expect((await as(env, department).get(`/api/patrols/${aPatrol}`)).statusCode).toBe(403);
  });
});
