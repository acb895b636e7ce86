/**
 * Routing's grid index (routing.ts): a point is located in the index this process holds, and the
 * county's grid stamp — bumped by a trigger on every change to its grids — is read with the village
 * in one statement. Whatever writes the grids (here plain SQL, as a script or an import would), the
 * next route sees the change: the index is never used under a stamp older than the grids.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/context.ts';
import { COUNTY, createVillage, ensureCounty } from '../../test/factories.ts';
import { route } from './routing.ts';

let env: TestEnv;
let villageA: string;
let villageB: string;
const db = () => env.ctx.database.db;

// A square of 0.001° with its south-west corner at (lon, lat).
const square = (lon: number, lat: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [lon, lat],
      [lon + 0.001, lat],
      [lon + 0.001, lat + 0.001],
      [lon, lat + 0.001],
      [lon, lat],
    ],
  ],
});
const P = { lon: 117.3005, lat: 29.1005 };

async function insertGrid(id: string, villageId: string, lon: number, lat: number) {
  await sql`insert into grids (id, county_code, village_id, name, path, geometry, min_lon, min_lat, max_lon, max_lat, area_m2)
    select ${id}, ${COUNTY}, ${villageId}, ${`网格${id.slice(-3)}`}, v.path || ${id} || '/', ${JSON.stringify(square(lon, lat))}::jsonb,
      ${lon}, ${lat}, ${lon + 0.001}, ${lat + 0.001}, 10000
    from org_units v where v.id = ${villageId}`.execute(db());
}

const stamp = async () =>
  (
    await db()
      .selectFrom('grid_stamps')
      .select('version')
      .where('county_code', '=', COUNTY)
      .executeTakeFirst()
  )?.version ?? 0;
const routeP = () => route(db(), COUNTY, { ...P, villageId: null, categoryId: null });

beforeAll(async () => {
  env = await createTestEnv();
  await ensureCounty(env.ctx);
  villageA = await createVillage(env.ctx);
  villageB = await createVillage(env.ctx);
});
afterAll(() => env.close());

describe('grid index freshness', () => {
  it('every insert, update and delete of a grid bumps the county stamp; a rolled-back one does not', async () => {
    const s0 = await stamp();
    await insertGrid(`${villageA}901`, villageA, 117.5, 29.5);
    const s1 = await stamp();
    expect(s1).toBe(s0 + 1);
    await sql`update grids set name = '改名' where id = ${`${villageA}901`}`.execute(db());
    expect(await stamp()).toBe(s1 + 1);
    await expect(
      env.ctx.database.transaction(async (trx) => {
        await sql`delete from grids where id = ${`${villageA}901`}`.execute(trx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await stamp()).toBe(s1 + 1);
    await sql`delete from grids where id = ${`${villageA}901`}`.execute(db());
    expect(await stamp()).toBe(s1 + 2);
  });

  it('routes a point to the grid that holds it, and follows grids changed by plain SQL at once', async () => {
    // No grid holds P yet.
    const none = await routeP();
    expect(none.gridId).toBeNull();
    expect(none.reasons.join()).toContain('不在本县任何网格内');

    // A grid of village A appears around P: the very next route finds it.
    const a = `${villageA}902`;
    await insertGrid(a, villageA, 117.3, 29.1);
    const first = await routeP();
    expect(first).toMatchObject({
      gridId: a,
      villageId: villageA,
      path: expect.stringContaining(`${villageA}/${a}/`),
    });

    // Grid A moves away and a grid of village B takes P: the index held so far is stale.
    const b = `${villageB}903`;
    await sql`update grids set geometry = ${JSON.stringify(square(117.6, 29.6))}::jsonb,
      min_lon = 117.6, min_lat = 29.6, max_lon = 117.601, max_lat = 29.601 where id = ${a}`.execute(db());
    await insertGrid(b, villageB, 117.3, 29.1);
    const moved = await routeP();
    expect(moved).toMatchObject({ gridId: b, villageId: villageB });
    expect(moved.townshipId).toBe(
      (
        await db()
          .selectFrom('org_units')
          .select('parent_id')
          .where('id', '=', villageB)
          .executeTakeFirstOrThrow()
      ).parent_id,
    );

    // Grid B is deleted: P is in no grid again; the village chosen by hand is used instead.
    await sql`delete from grids where id = ${b}`.execute(db());
    const gone = await route(db(), COUNTY, { ...P, villageId: villageA, categoryId: null });
    expect(gone).toMatchObject({ gridId: null, villageId: villageA });
    expect(gone.reasons.join()).toContain('按所选村（社区）');
  });

  it('routes by the chosen village without a point, and falls back to the county for an unknown village', async () => {
    expect(await route(db(), COUNTY, { villageId: villageB, categoryId: null })).toMatchObject({
      gridId: null,
      villageId: villageB,
    });
    const unknown = await route(db(), COUNTY, { villageId: '360121999999', categoryId: null });
    expect(unknown).toMatchObject({
      villageId: null,
      townshipId: null,
      path: `/${COUNTY}/`,
      level: 'county',
    });
    expect(unknown.reasons.join()).toContain('不存在');
  });
});
