import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  createCentre,
  createGrid,
  createStaff,
  createTownship,
  createVillage,
  type StaffSession,
} from '../../../test/factories.ts';

let env: TestEnv;
let township: string;
let village: string;
let otherVillage: string;
let grid: string;
let otherGrid: string;
let handler: StaffSession;
let outsiderHandler: StaffSession;
let dispatcher: StaffSession;
let outsiderDispatcher: StaffSession;
let worker: StaffSession;
let foreignWorker: StaffSession;

beforeAll(async () => {
  env = await createTestEnv();
  township = await createTownship(env.ctx);
  village = await createVillage(env.ctx, { townshipId: township });
  otherVillage = await createVillage(env.ctx);
  grid = await createGrid(env.ctx, { villageId: village });
  otherGrid = await createGrid(env.ctx, { villageId: otherVillage });
  handler = await createStaff(env, 'village_handler', { orgId: village });
  outsiderHandler = await createStaff(env, 'village_handler', { orgId: otherVillage });
  dispatcher = await createStaff(env, 'township_dispatcher', {
    orgId: await createCentre(env.ctx, township),
  });
  outsiderDispatcher = await createStaff(env, 'township_dispatcher');
  worker = await createStaff(env, 'grid_worker', { orgId: village });
  foreignWorker = await createStaff(env, 'grid_worker', { orgId: otherVillage });
  // The handler's own village has a grid with someone assigned, so workerNames has content.
  await env.ctx.database.db
    .insertInto('user_grids')
    .values({ user_id: worker.userId, grid_id: grid, county_code: '360121' })
    .execute();
});
afterAll(() => env.close());

const db = () => env.ctx.database.db;
/** The grid row and its assignments, as JSON, to prove a refused call changed nothing. */
async function snapshot(id: string): Promise<string> {
  const row = await db().selectFrom('grids').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const assigned = await db()
    .selectFrom('user_grids')
    .select(['user_id', 'grid_id'])
    .where('grid_id', '=', id)
    .orderBy('user_id')
    .execute();
  return JSON.stringify({ row, assigned });
}
const versionOf = async (id: string) =>
  (await db().selectFrom('grids').select('version').where('id', '=', id).executeTakeFirstOrThrow()).version;

describe('GET /api/grids?village=', () => {
  it('answers 401 without a session', async () => {
    const res = await as(env, null).get(`/api/grids?village=${village}`);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('AUTH_REQUIRED');
  });

  it('lists the grids of the handler’s own village with the names of assigned staff', async () => {
    const res = await as(env, handler).get(`/api/grids?village=${village}`);
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: grid, villageId: village, version: expect.any(Number) });
    expect(items[0].workerNames).toEqual([`grid_worker ${worker.username}`]);
  });

  it('answers an empty list for a village outside the jurisdiction', async () => {
    const res = await as(env, handler).get(`/api/grids?village=${otherVillage}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [] });
  });

  it('answers 400 for a malformed village code', async () => {
    const res = await as(env, handler).get('/api/grids?village=12ab');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.details[0].field).toBe('village');
  });
});

describe('GET /api/grids/:id', () => {
  it('shows one grid with geometry, workers and abilities', async () => {
    const res = await as(env, handler).get(`/api/grids/${grid}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.grid).toMatchObject({ id: grid, villageId: village, version: expect.any(Number) });
    expect(body.grid.geometry.type).toBe('Polygon');
    expect(body.grid.geometry.coordinates[0]).toHaveLength(5);
    expect(body.grid.areaM2).toBeGreaterThan(0);
    expect(body.workers).toEqual([
      { id: worker.userId, displayName: `grid_worker ${worker.username}`, role: 'grid_worker' },
    ]);
    expect(body.abilities).toEqual({ update: false });
    const asDispatcher = await as(env, dispatcher).get(`/api/grids/${grid}`);
    expect(asDispatcher.json().abilities).toEqual({ update: true });
  });

  it('answers 404 to a handler of another village, the same as a missing grid', async () => {
    const res = await as(env, outsiderHandler).get(`/api/grids/${grid}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    const missing = await as(env, outsiderHandler).get(`/api/grids/${village}999`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toEqual(res.json().error);
  });
});

describe('PATCH /api/grids/:id', () => {
  it('lets the township’s dispatcher rename the grid and assign a grid worker of the township', async () => {
    const version = await versionOf(grid);
    const newWorker = await createStaff(env, 'grid_worker', { orgId: village });
    const res = await as(env, dispatcher).patch(`/api/grids/${grid}`, {
      name: '莲塘第一网格',
      workerIds: [newWorker.userId],
      version,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().grid).toMatchObject({ id: grid, name: '莲塘第一网格', version: version + 1 });
    expect(res.json().workers.map((w: { id: string }) => w.id)).toEqual([newWorker.userId]);
    const assigned = await db()
      .selectFrom('user_grids')
      .select('user_id')
      .where('grid_id', '=', grid)
      .execute();
    expect(assigned).toEqual([{ user_id: newWorker.userId }]);
    const row = await db()
      .selectFrom('grids')
      .select(['name', 'version'])
      .where('id', '=', grid)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ name: '莲塘第一网格', version: version + 1 });
    const audit = await db()
      .selectFrom('audit_log')
      .select(['actor_id'])
      .where('action', '=', 'grid.updated')
      .where('target_id', '=', grid)
      .execute();
    expect(audit).toEqual([{ actor_id: dispatcher.userId }]);
  });

  it('refuses a worker from another township with 400 on workerIds and changes nothing', async () => {
    const before = await snapshot(grid);
    const res = await as(env, dispatcher).patch(`/api/grids/${grid}`, {
      name: '不该生效',
      workerIds: [foreignWorker.userId],
      version: await versionOf(grid),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.details).toEqual([{ field: 'workerIds', message: expect.any(String) }]);
    expect(await snapshot(grid)).toBe(before);
  });

  it('refuses a village handler (403, no grid.update) and changes nothing', async () => {
    const before = await snapshot(grid);
    const res = await as(env, handler).patch(`/api/grids/${grid}`, {
      name: '村里改的',
      version: await versionOf(grid),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
    expect(await snapshot(grid)).toBe(before);
  });

  it('answers 404 to the dispatcher of another township and changes nothing', async () => {
    const before = await snapshot(grid);
    const res = await as(env, outsiderDispatcher).patch(`/api/grids/${grid}`, {
      name: '外乡改的',
      workerIds: [],
      version: await versionOf(grid),
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    expect(await snapshot(grid)).toBe(before);
  });

  it('answers 409 CONFLICT for a stale version and changes nothing', async () => {
    const version = await versionOf(grid);
    expect(version).toBeGreaterThan(1);
    const before = await snapshot(grid);
    const res = await as(env, dispatcher).patch(`/api/grids/${grid}`, {
      name: '旧版本',
      workerIds: [],
      version: version - 1,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('CONFLICT');
    expect(await snapshot(grid)).toBe(before);
  });

  it('answers 400 for an unknown field, before touching anything', async () => {
    const before = await snapshot(otherGrid);
    const res = await as(env, dispatcher).patch(`/api/grids/${otherGrid}`, {
      villageId: village,
      version: 1,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('villageId');
    expect(await snapshot(otherGrid)).toBe(before);
  });
});
