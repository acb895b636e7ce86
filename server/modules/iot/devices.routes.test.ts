/**
 * The device registry and alarm-rule API: 401 → 400 → 403 → 404 → 200 per endpoint, jurisdiction
 * (township dispatchers see their township's devices, departments the devices they look after,
 * outside is 404 and nothing changes), secrets shown once and stored encrypted, rules checked and
 * audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  COUNTY,
  createCentre,
  createDepartment,
  createTownship,
  createVillage,
  type StaffSession,
} from '../../../test/factories.ts';
import { FixedClock } from '../../lib/clock.ts';
import {
  alarmBody,
  createTestDevice,
  createTestGrid,
  signedPost,
  staffAt,
  type TestDevice,
} from './iot.fixtures.ts';
import { DEFAULT_RULES } from './rules.ts';

let env: TestEnv;
let clock: FixedClock;
/** Two townships with a village each; a device in each, looked after by two departments. */
const W = {} as {
  tA: string;
  tB: string;
  vA: string;
  vB: string;
  deptA: string;
  deptB: string;
  devA: TestDevice;
  devB: TestDevice;
  admin: StaffSession;
  county: StaffSession;
  supervisor: StaffSession;
  dispA: StaffSession;
  handlerA: StaffSession;
  deptHandlerA: StaffSession;
};

beforeAll(async () => {
  env = await createTestEnv();
  clock = new FixedClock(new Date('2026-12-04T02:00:00Z'));
  env.ctx.clock = clock;
  W.tA = await createTownship(env.ctx);
  W.tB = await createTownship(env.ctx);
  W.vA = await createVillage(env.ctx, { townshipId: W.tA });
  W.vB = await createVillage(env.ctx, { townshipId: W.tB });
  W.deptA = await createDepartment(env.ctx);
  W.deptB = await createDepartment(env.ctx);
  W.devA = await createTestDevice(env.ctx, { villageId: W.vA, ownerOrgId: W.deptA });
  W.devB = await createTestDevice(env.ctx, { villageId: W.vB, ownerOrgId: W.deptB });
  W.admin = await staffAt(env, 'admin');
  W.county = await staffAt(env, 'county_dispatcher');
  W.supervisor = await staffAt(env, 'supervisor');
  W.dispA = await staffAt(env, 'township_dispatcher', await createCentre(env.ctx, W.tA));
  W.handlerA = await staffAt(env, 'village_handler', W.vA);
  W.deptHandlerA = await staffAt(env, 'department_handler', W.deptA);
});
afterAll(() => env.close());

const codes = (res: { json(): { items: { code: string }[] } }) =>
  res
    .json()
    .items.map((d) => d.code)
    .sort();
const deviceRow = (id: string) =>
  env.ctx.database.db.selectFrom('iot_devices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const audits = (id: string) =>
  env.ctx.database.db
    .selectFrom('audit_log')
    .select('action')
    .where('target_id', '=', id)
    .orderBy('id')
    .execute();

describe('GET /api/devices', () => {
  it('401 without a session, 400 on a bad filter, 403 for a role without device.read', async () => {
    expect((await as(env, null).get('/api/devices')).statusCode).toBe(401);
    const bad = await as(env, W.admin).get('/api/devices?type=toaster');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('type');
    expect((await as(env, W.handlerA).get('/api/devices')).statusCode).toBe(403);
  });

  it('lists by jurisdiction: the county sees both, a township its own, a department what it looks after', async () => {
    const both = [W.devA.code, W.devB.code].sort();
    for (const s of [W.admin, W.county, W.supervisor]) {
      const res = await as(env, s).get('/api/devices?limit=200');
      expect(res.statusCode).toBe(200);
      expect(codes(res)).toEqual(expect.arrayContaining(both));
    }
    expect(codes(await as(env, W.dispA).get('/api/devices'))).toEqual([W.devA.code]);
    expect(codes(await as(env, W.deptHandlerA).get('/api/devices'))).toEqual([W.devA.code]);
  });

  it('filters by type, connectivity, owner, place and text', async () => {
    const cam = await createTestDevice(env.ctx, { type: 'camera', villageId: W.vA, ownerOrgId: W.deptA });
    const api = as(env, W.dispA);
    expect(codes(await api.get('/api/devices?type=camera'))).toEqual([cam.code]);
    expect(codes(await api.get(`/api/devices?placeId=${W.vA}`))).toEqual([W.devA.code, cam.code].sort());
    expect(codes(await api.get(`/api/devices?placeId=${W.vB}`))).toEqual([]);
    expect(codes(await api.get(`/api/devices?q=${encodeURIComponent(cam.code)}`))).toEqual([cam.code]);
    expect(codes(await api.get(`/api/devices?ownerOrgId=${W.deptA}&connectivity=unknown`))).toEqual(
      [W.devA.code, cam.code].sort(),
    );
    await signedPost(env, cam, '/api/iot/alarms', {
      kind: 'heartbeat',
      at: clock.now().toISOString(),
      nonce: 'hb-filter-1',
    });
    expect(codes(await api.get('/api/devices?connectivity=online'))).toEqual([cam.code]);
  });
});

describe('GET /api/devices/:id', () => {
  it('400 for a malformed id, 404 outside what I may see, 200 inside — never the secret', async () => {
    expect((await as(env, W.dispA).get('/api/devices/not-a-uuid')).statusCode).toBe(400);
    expect((await as(env, W.dispA).get(`/api/devices/${W.devB.id}`)).statusCode).toBe(404);
    expect((await as(env, W.deptHandlerA).get(`/api/devices/${W.devB.id}`)).statusCode).toBe(404);
    const res = await as(env, W.deptHandlerA).get(`/api/devices/${W.devA.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      device: {
        code: W.devA.code,
        villageId: W.vA,
        gridId: W.devA.gridId,
        townshipId: W.tA,
        ownerOrg: { id: W.deptA },
        connectivity: 'unknown',
        status: 'active',
      },
      abilities: { manage: false },
    });
    expect(res.body).not.toContain(W.devA.secret);
    expect(res.body).not.toContain('secret_enc');
  });
});

describe('POST /api/devices', () => {
  const body = (over: Record<string, unknown> = {}) => ({
    code: `NEW-${Math.random().toString(36).slice(2, 8)}`,
    type: 'smoke_sensor',
    name: '新烟感',
    lon: 0,
    lat: 0,
    ownerOrgId: W.deptA,
    ...over,
  });

  it('401, 400, 403 in that order', async () => {
    const g = await createTestGrid(env.ctx, W.vA);
    expect((await as(env, null).post('/api/devices', body({ lon: g.lon, lat: g.lat }))).statusCode).toBe(401);
    const bad = await as(env, W.county).post(
      '/api/devices',
      body({ code: 'a/b', type: 'toaster', lon: g.lon, lat: g.lat }),
    );
    expect(bad.statusCode).toBe(400);
    expect([...new Set(bad.json().error.details.map((d: { field: string }) => d.field))].sort()).toEqual([
      'code',
      'type',
    ]);
    expect((await as(env, W.county).post('/api/devices', body({ lon: g.lon, lat: g.lat }))).statusCode).toBe(
      403,
    );
  });

  it('registers in the grid of its position, answers the secret once and keeps it encrypted; audited', async () => {
    const g = await createTestGrid(env.ctx, W.vB);
    const res = await as(env, W.admin).post(
      '/api/devices',
      body({ lon: g.lon, lat: g.lat, heartbeatIntervalS: 120 }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const { device, secret } = res.json();
    expect(device).toMatchObject({
      gridId: g.id,
      villageId: W.vB,
      townshipId: W.tB,
      heartbeatIntervalS: 120,
    });
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await deviceRow(device.id);
    expect(row.secret_enc).not.toContain(secret);
    expect(env.ctx.cipher.decrypt(row.secret_enc)).toBe(secret);
    expect(row.path).toBe(`/${COUNTY}/${W.tB}/${W.vB}/${g.id}/`);
    expect(await audits(device.id)).toEqual([{ action: 'device.created' }]);
    // The secret works at once.
    const hb = await signedPost(env, { code: device.code, secret }, '/api/iot/alarms', {
      kind: 'heartbeat',
      at: clock.now().toISOString(),
      nonce: 'first-heartbeat',
    });
    expect(hb.statusCode).toBe(200);
  });

  it('409 DUPLICATE for a taken code; 400 for an owner that cannot look after devices', async () => {
    const g = await createTestGrid(env.ctx, W.vA);
    const dup = await as(env, W.admin).post(
      '/api/devices',
      body({ code: W.devA.code, lon: g.lon, lat: g.lat }),
    );
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('DUPLICATE');
    const owner = await as(env, W.admin).post(
      '/api/devices',
      body({ ownerOrgId: `${W.tA}C`, lon: g.lon, lat: g.lat }),
    );
    expect(owner.statusCode).toBe(400);
    expect(owner.json().error.details[0].field).toBe('ownerOrgId');
  });

  it('400 for a position outside the jurisdiction of an admin placed in a township', async () => {
    const scoped = await staffAt(env, 'admin');
    await env.ctx.database.db
      .updateTable('users')
      .set({ org_id: W.tA })
      .where('id', '=', scoped.userId)
      .execute();
    const g = await createTestGrid(env.ctx, W.vB);
    const res = await as(env, scoped).post(
      '/api/devices',
      body({ lon: g.lon, lat: g.lat, ownerOrgId: W.vA }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ field: 'lon', message: '设备位置不在您的辖区内' }]);
  });
});

describe('PATCH /api/devices/:id and rotate-secret', () => {
  it('renames, moves, deactivates and reactivates with optimistic concurrency; audited', async () => {
    const d = await createTestDevice(env.ctx, { villageId: W.vA, ownerOrgId: W.deptA });
    const api = as(env, W.admin);
    expect((await api.patch(`/api/devices/${d.id}`, { name: 'x', version: 0 })).statusCode).toBe(400);
    expect((await as(env, W.dispA).patch(`/api/devices/${d.id}`, { name: 'x', version: 1 })).statusCode).toBe(
      403,
    );
    const renamed = await api.patch(`/api/devices/${d.id}`, { name: '改名后的公厕', version: 1 });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json().device).toMatchObject({ name: '改名后的公厕', version: 2 });
    const stale = await api.patch(`/api/devices/${d.id}`, { name: '旧版本', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('CONFLICT');

    const g = await createTestGrid(env.ctx, W.vB);
    const moved = await api.patch(`/api/devices/${d.id}`, { lon: g.lon, lat: g.lat, version: 2 });
    expect(moved.json().device).toMatchObject({ gridId: g.id, villageId: W.vB, townshipId: W.tB });
    // Now in township B: township A's dispatcher no longer sees it (its department still does).
    expect((await as(env, W.dispA).get(`/api/devices/${d.id}`)).statusCode).toBe(404);
    expect((await as(env, W.deptHandlerA).get(`/api/devices/${d.id}`)).statusCode).toBe(200);

    await signedPost(env, d, '/api/iot/alarms', {
      kind: 'heartbeat',
      at: clock.now().toISOString(),
      nonce: 'hb-before-off',
    });
    const off = await api.patch(`/api/devices/${d.id}`, { status: 'inactive', version: 3 });
    expect(off.json().device).toMatchObject({ status: 'inactive', connectivity: 'inactive' });
    const refused = await signedPost(env, d, '/api/iot/alarms', alarmBody(env.ctx));
    expect(refused.statusCode).toBe(401);
    const on = await api.patch(`/api/devices/${d.id}`, { status: 'active', version: 4 });
    expect(on.json().device).toMatchObject({ status: 'active', connectivity: 'unknown', lastSeenAt: null });
    expect((await audits(d.id)).map((a) => a.action)).toEqual([
      'device.created',
      'device.updated',
      'device.updated',
      'device.updated',
      'device.updated',
    ]);
  });

  it('outside the jurisdiction: 404 and nothing changes (patch, rotate, alarms)', async () => {
    const scoped = await staffAt(env, 'admin');
    await env.ctx.database.db
      .updateTable('users')
      .set({ org_id: W.tA })
      .where('id', '=', scoped.userId)
      .execute();
    const before = JSON.stringify(await deviceRow(W.devB.id));
    const api = as(env, scoped);
    const patch = await api.patch(`/api/devices/${W.devB.id}`, {
      name: '外人改的',
      status: 'inactive',
      version: 1,
    });
    expect(patch.statusCode).toBe(404);
    expect(patch.json().error.code).toBe('NOT_FOUND');
    expect((await api.post(`/api/devices/${W.devB.id}/rotate-secret`, {})).statusCode).toBe(404);
    expect((await api.get(`/api/devices/${W.devB.id}/alarms`)).statusCode).toBe(404);
    expect(JSON.stringify(await deviceRow(W.devB.id))).toBe(before);
    expect(await audits(W.devB.id)).toEqual([{ action: 'device.created' }]);
    // Inside, the same admin may.
    expect((await api.get(`/api/devices/${W.devA.id}`)).statusCode).toBe(200);
  });

  it('rotates the secret: answered once, the old one kept for the grace period or dropped at once', async () => {
    const d = await createTestDevice(env.ctx, { villageId: W.vA });
    const res = await as(env, W.admin).post(`/api/devices/${d.id}/rotate-secret`, { keepPreviousMinutes: 0 });
    expect(res.statusCode).toBe(200);
    expect(res.json().previousValidUntil).toBeNull();
    expect(env.ctx.cipher.decrypt((await deviceRow(d.id)).secret_enc)).toBe(res.json().secret);
    expect((await signedPost(env, d, '/api/iot/alarms', alarmBody(env.ctx))).statusCode).toBe(401);
    expect(
      (
        await signedPost(
          env,
          { code: d.code, secret: res.json().secret },
          '/api/iot/alarms',
          alarmBody(env.ctx),
        )
      ).statusCode,
    ).toBe(200);
    expect((await audits(d.id)).map((a) => a.action)).toEqual(['device.created', 'device.secret_rotated']);
  });
});

describe('GET /api/devices/:id/alarms', () => {
  it('lists a device’s alarms newest first with their outcome and case', async () => {
    const d = await createTestDevice(env.ctx, { villageId: W.vA, ownerOrgId: W.deptA });
    await signedPost(env, d, '/api/iot/alarms', alarmBody(env.ctx, { level: 3 }));
    clock.advance(1000);
    await signedPost(env, d, '/api/iot/alarms', alarmBody(env.ctx, { level: 4 }));
    const res = await as(env, W.deptHandlerA).get(`/api/devices/${d.id}/alarms?limit=10`);
    expect(res.statusCode).toBe(200);
    expect(res.json().total).toBe(2);
    expect(res.json().items.map((a: { outcome: string; level: number }) => [a.outcome, a.level])).toEqual([
      ['folded', 4],
      ['opened', 3],
    ]);
    expect(res.json().items[0].caseCode).toMatch(/^E/);
  });
});

describe('alarm rules', () => {
  it('are the defaults once the county has a device; readable with device.read', async () => {
    const res = await as(env, W.dispA).get('/api/devices/rules');
    expect(res.statusCode).toBe(200);
    expect(res.json().total).toBe(DEFAULT_RULES.length);
    expect(res.json().items.find((r: { alarmType: string }) => r.alarmType === 'smoke')).toMatchObject({
      deviceType: 'smoke_sensor',
      categoryId: 'GA03',
      categoryName: '烟感报警',
      urgency: 'emergency',
      recoveryCloses: false,
      active: true,
    });
    expect((await as(env, W.handlerA).get('/api/devices/rules')).statusCode).toBe(403);
  });

  it('are added and changed by admins (400, 403, 409), audited, and alarms follow them', async () => {
    const rule = {
      deviceType: 'smart_toilet',
      alarmType: 'help_button',
      label: '公厕一键求助',
      categoryId: 'GA01',
      urgency: 'urgent',
    };
    expect((await as(env, W.county).post('/api/devices/rules', rule)).statusCode).toBe(403);
    const appealOnly = await as(env, W.admin).post('/api/devices/rules', { ...rule, categoryId: 'LD01' });
    expect(appealOnly.statusCode).toBe(400);
    expect(appealOnly.json().error.details[0].field).toBe('categoryId');
    const created = await as(env, W.admin).post('/api/devices/rules', rule);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().rule).toMatchObject({ ...rule, minLevel: 1, recoveryCloses: false, version: 1 });
    expect((await as(env, W.admin).post('/api/devices/rules', rule)).statusCode).toBe(409);

    const d = await createTestDevice(env.ctx, { villageId: W.vA });
    const alarm = await signedPost(
      env,
      d,
      '/api/iot/alarms',
      alarmBody(env.ctx, { alarmType: 'help_button', level: 1 }),
    );
    expect(alarm.json().outcome).toBe('opened');

    const id = created.json().rule.id;
    const off = await as(env, W.admin).patch(`/api/devices/rules/${id}`, { active: false, version: 1 });
    expect(off.statusCode).toBe(200);
    expect(
      (await as(env, W.admin).patch(`/api/devices/rules/${id}`, { active: true, version: 1 })).statusCode,
    ).toBe(409);
    const other = await createTestDevice(env.ctx, { villageId: W.vA });
    const ignored = await signedPost(
      env,
      other,
      '/api/iot/alarms',
      alarmBody(env.ctx, { alarmType: 'help_button', level: 1 }),
    );
    expect(ignored.json().outcome).toBe('ignored');
    expect((await audits(id)).map((a) => a.action)).toEqual(['iot_rule.created', 'iot_rule.updated']);
    expect(
      (
        await as(env, W.admin).patch('/api/devices/rules/00000000-0000-4000-8000-000000000000', {
          active: true,
          version: 1,
        })
      ).statusCode,
    ).toBe(404);
  });
});

describe('GET /api/iot/rejections', () => {
  it('shows admins the refused messages (device.manage only)', async () => {
    await signedPost(env, { code: 'NOBODY-42', secret: 'x' }, '/api/iot/alarms', alarmBody(env.ctx));
    await signedPost(env, { code: W.devA.code, secret: 'wrong' }, '/api/iot/alarms', alarmBody(env.ctx));
    expect((await as(env, W.county).get('/api/iot/rejections')).statusCode).toBe(403);
    const res = await as(env, W.admin).get('/api/iot/rejections?limit=100');
    expect(res.statusCode).toBe(200);
    const seen = res
      .json()
      .items.map((r: { deviceCode: string; reason: string }) => [r.deviceCode, r.reason]);
    expect(seen).toEqual(
      expect.arrayContaining([
        ['NOBODY-42', 'unknown_device'],
        [W.devA.code, 'bad_signature'],
      ]),
    );
    const one = await as(env, W.admin).get(`/api/iot/rejections?deviceId=${W.devA.id}&reason=bad_signature`);
    expect(one.json().items.every((r: { deviceId: string }) => r.deviceId === W.devA.id)).toBe(true);
  });
});
