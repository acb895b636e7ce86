import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { createTownship, ensureCounty } from '../../../test/factories.ts';
import { systemActor } from '../../authz/actor.ts';
import { CATEGORY_TAXONOMY } from '../categories/taxonomy.ts';
import { importGridsFile, importOrgsFile } from './orgs.import.ts';

let env: TestEnv;
let dir: string;
let township: string;
const write = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};
const count = async (table: 'org_units' | 'grids') =>
  Number(
    (
      await env.ctx.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  env = await createTestEnv();
  await ensureCounty(env.ctx);
  township = await createTownship(env.ctx);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-import-'));
});
afterAll(() => env.close());

describe('gongzhi import orgs', () => {
  it('imports nothing when any row is bad, and reports every bad row by line', async () => {
    const before = await count('org_units');
    const file = write(
      'bad.csv',
      `code,name,kind,parent_code\n${township}901,新村一,village,${township}\n${township}902,,village,${township}\n360121999901,新村三,village,360121999\n`,
    );
    const r = await importOrgsFile(env.ctx, systemActor('360121'), file);
    expect(r.imported).toBe(0);
    expect(r.errors.map((e) => e.line)).toEqual([3, 4]);
    expect(await count('org_units')).toBe(before);
  });

  it('imports a valid file in one transaction, with paths under the parent', async () => {
    const file = write(
      'good.csv',
      `code,name,kind,parent_code\n${township}911,新村甲,village,${township}\n${township}912,新社区乙,village,${township}\n`,
    );
    const r = await importOrgsFile(env.ctx, systemActor('360121'), file);
    expect(r.errors).toEqual([]);
    expect(r.imported).toBe(2);
    const row = await env.ctx.database.db
      .selectFrom('org_units')
      .selectAll()
      .where('id', '=', `${township}911`)
      .executeTakeFirstOrThrow();
    expect(row.path).toBe(`/360121/${township}/${township}911/`);
  });

  it('reports an unreadable file instead of throwing', async () => {
    const r = await importOrgsFile(env.ctx, systemActor('360121'), path.join(dir, 'missing.csv'));
    expect(r.errors[0]!.reason).toMatch(/无法读取文件/);
  });
});

describe('gongzhi import grids', () => {
  const square = (x: number) => ({
    type: 'Polygon',
    coordinates: [
      [
        [x, 28.5],
        [x + 0.01, 28.5],
        [x + 0.01, 28.51],
        [x, 28.51],
        [x, 28.5],
      ],
    ],
  });

  it('imports nothing when one feature is bad', async () => {
    const before = await count('grids');
    const file = write(
      'bad.geojson',
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', properties: { code: `${township}911001`, name: '甲1' }, geometry: square(116) },
          {
            type: 'Feature',
            properties: { code: `${township}911002`, name: '甲2' },
            geometry: { type: 'Point', coordinates: [116, 28] },
          },
        ],
      }),
    );
    const r = await importGridsFile(env.ctx, systemActor('360121'), file);
    expect(r.imported).toBe(0);
    expect(r.errors.map((e) => e.line)).toEqual([2]);
    expect(await count('grids')).toBe(before);
  });

  it('imports valid grids with bounding box and area', async () => {
    const file = write(
      'good.geojson',
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', properties: { code: `${township}911001`, name: '甲1' }, geometry: square(116) },
        ],
      }),
    );
    const r = await importGridsFile(env.ctx, systemActor('360121'), file);
    expect(r.errors).toEqual([]);
    const g = await env.ctx.database.db
      .selectFrom('grids')
      .selectAll()
      .where('id', '=', `${township}911001`)
      .executeTakeFirstOrThrow();
    expect(g.min_lon).toBeCloseTo(116);
    expect(g.area_m2).toBeGreaterThan(1_000_000);
    expect(g.path).toBe(`/360121/${township}/${township}911/${township}911001/`);
  });
});

describe('gongzhi import orgs into a database without the demo county', () => {
  it('also loads the category taxonomy, so the imported county can take cases', async () => {
    const fresh = await createTestEnv();
    try {
      const db = fresh.ctx.database.db;
      const categories = async () =>
        Number(
          (
            await db
              .selectFrom('categories')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('county_code', '=', '360121')
              .executeTakeFirstOrThrow()
          ).n,
        );
      expect(await categories()).toBe(0);
      const file = write(
        'county.csv',
        'code,name,kind,parent_code\n360121,南昌县,county,\n360121100,莲塘镇,township,360121\n',
      );
      const r = await importOrgsFile(fresh.ctx, systemActor('360121'), file);
      expect(r.errors).toEqual([]);
      expect(await categories()).toBe(CATEGORY_TAXONOMY.length);
    } finally {
      await fresh.close();
    }
  });
});
