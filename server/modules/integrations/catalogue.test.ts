import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { as, COUNTY, createStaff, ensureCounty, type StaffSession } from '../../../test/factories.ts';
import { columnsOf } from './catalogue.repository.ts';
import { DEMO_EXCHANGES, seedDemoExchanges } from './catalogue.seed.ts';

let env: TestEnv;
let admin: StaffSession;
let supervisor: StaffSession;
let countyDispatcher: StaffSession;
let townshipDispatcher: StaffSession;
let handler: StaffSession;

const URL = '/api/integrations/catalogue';

beforeAll(async () => {
  env = await createTestEnv();
  await ensureCounty(env.ctx);
  admin = await createStaff(env, 'admin');
  supervisor = await createStaff(env, 'supervisor');
  countyDispatcher = await createStaff(env, 'county_dispatcher');
  townshipDispatcher = await createStaff(env, 'township_dispatcher');
  handler = await createStaff(env, 'village_handler');
});
afterAll(() => env.close());

const entry = (over: object = {}) => ({
  system: '县应急管理局',
  direction: 'in',
  dataItems: ['森林防火告警', ' 森林防火告警 ', '告警位置'],
  channel: 'other',
  legalBasis: '县应急数据共享协议 2026-03 号',
  contact: '县应急管理局指挥中心 0791-0000000',
  ...over,
});

describe('the demo catalogue', () => {
  it('seeds the article’s exchanges once per county', async () => {
    expect(await seedDemoExchanges(env.ctx.database.db, COUNTY, new Date())).toBe(DEMO_EXCHANGES.length);
    expect(await seedDemoExchanges(env.ctx.database.db, COUNTY, new Date())).toBe(0);
    const res = await as(env, supervisor).get(URL);
    expect(res.statusCode, res.body).toBe(200);
    const systems = res.json().items.map((x: { system: string }) => x.system);
    for (const s of [
      '县公安局交通警察大队（交警）',
      '县城市管理局（城管）',
      '综治网格化管理平台（网格数据）',
    ]) {
      expect(systems).toContain(s);
    }
    expect(systems.some((s: string) => s.includes('12345'))).toBe(true);
    const hotline = res.json().items.find((x: { system: string }) => x.system.includes('12345'));
    expect(hotline).toMatchObject({ direction: 'both', channel: 'open311', active: true, version: 1 });
  });
});

describe('who may read and manage the catalogue', () => {
  it('401 without a session, 400 on a bad body, 403 without the permission', async () => {
    expect((await as(env, null).get(URL)).statusCode).toBe(401);
    const bad = await as(env, admin).post(URL, entry({ direction: 'sideways', dataItems: [] }));
    expect(bad.statusCode).toBe(400);
    const fields = new Set(bad.json().error.details.map((d: { field: string }) => d.field));
    expect([...fields].sort()).toEqual(['dataItems', 'direction']);
    for (const s of [townshipDispatcher, handler]) expect((await as(env, s).get(URL)).statusCode).toBe(403);
    for (const s of [supervisor, countyDispatcher, handler]) {
      expect((await as(env, s).post(URL, entry({ system: '不该出现的系统' }))).statusCode).toBe(403);
    }
    const none = await env.ctx.database.db
      .selectFrom('data_exchanges')
      .select('id')
      .where('system', '=', '不该出现的系统')
      .execute();
    expect(none).toEqual([]);
    for (const s of [admin, supervisor, countyDispatcher])
      expect((await as(env, s).get(URL)).statusCode).toBe(200);
  });

  it('admins add (one per system and channel), change with the version read, and every change is audited', async () => {
    const made = await as(env, admin).post(URL, entry());
    expect(made.statusCode, made.body).toBe(201);
    const x = made.json().exchange;
    expect(x).toMatchObject({
      system: '县应急管理局',
      direction: 'in',
      dataItems: ['森林防火告警', '告警位置'],
      channel: 'other',
      legalBasis: '县应急数据共享协议 2026-03 号',
      active: true,
      version: 1,
      updatedBy: { id: admin.userId },
    });
    const dup = await as(env, admin).post(URL, entry());
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('DUPLICATE');
    // Another channel for the same system is a separate entry.
    expect((await as(env, admin).post(URL, entry({ channel: 'iot' }))).statusCode).toBe(201);

    const stale = await as(env, admin).patch(`${URL}/${x.id}`, { active: false, version: 9 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('CONFLICT');
    const clash = await as(env, admin).patch(`${URL}/${x.id}`, { channel: 'iot', version: 1 });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error.code).toBe('DUPLICATE');
    const off = await as(env, admin).patch(`${URL}/${x.id}`, {
      active: false,
      direction: 'both',
      note: '协议到期，暂停',
      version: 1,
    });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json().exchange).toMatchObject({
      active: false,
      direction: 'both',
      note: '协议到期，暂停',
      version: 2,
    });
    expect((await as(env, supervisor).patch(`${URL}/${x.id}`, { active: true, version: 2 })).statusCode).toBe(
      403,
    );
    expect(
      (await as(env, admin).patch(`${URL}/${crypto.randomUUID()}`, { active: true, version: 1 })).statusCode,
    ).toBe(404);
    const audits = await env.ctx.database.db
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('target_id', '=', x.id)
      .orderBy('id')
      .execute();
    expect(audits).toEqual([
      { action: 'exchange.created', detail: { system: '县应急管理局', channel: 'other', direction: 'in' } },
      { action: 'exchange.updated', detail: { changed: ['active', 'direction', 'note'] } },
    ]);
  });

  it('another county’s entry is 404 and unchanged', async () => {
    const db = env.ctx.database.db;
    await db
      .insertInto('counties')
      .values({
        code: '360122',
        name: '新建区',
        city_code: '3601',
        city_name: '南昌市',
        province_code: '36',
        province_name: '江西省',
      })
      .onConflict((oc) => oc.column('code').doNothing())
      .execute();
    const other = await db
      .insertInto('data_exchanges')
      .values({
        county_code: '360122',
        system: '别县交警',
        direction: 'in',
        data_items: ['告警'],
        channel: 'camera',
        created_at: new Date(),
        updated_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const res = await as(env, admin).patch(`${URL}/${other.id}`, { active: false, version: 1 });
    expect(res.statusCode).toBe(404);
    const row = await db
      .selectFrom('data_exchanges')
      .selectAll()
      .where('id', '=', other.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ active: true, version: 1 });
    const list = await as(env, admin).get(URL);
    expect(list.json().items.map((x: { id: string }) => x.id)).not.toContain(other.id);
  });
});

describe('the live view', () => {
  it('lists webhook subscriptions by host only, Open311 keys and IoT device counts by type', async () => {
    const hook = await as(env, admin).post('/api/integrations/webhooks', {
      name: '城管推送',
      system: '县城市管理局（城管）',
      url: 'http://127.0.0.1:9/hooks/cases?token=secret-token',
      events: ['case.dispatched', 'case.closed'],
    });
    expect(hook.statusCode, hook.body).toBe(201);
    const db = env.ctx.database.db;
    const live = async () => (await as(env, countyDispatcher).get(URL)).json().live;
    const first = await live();
    expect(first.webhooks).toEqual([
      {
        id: hook.json().webhook.id,
        name: '城管推送',
        system: '县城市管理局（城管）',
        host: '127.0.0.1:9',
        events: ['case.dispatched', 'case.closed'],
        active: true,
      },
    ]);
    expect(JSON.stringify(first)).not.toContain('secret-token');

    // The Open311 and IoT modules own these tables. Where this database has them, rows go into the
    // real tables; where it has none yet, the catalogue says so, and the test then makes the
    // smallest stand-ins to check that it reads them once they are there.
    const open311 = await columnsOf(db, 'open311_api_keys');
    if (open311.size === 0) {
      expect(first.open311).toEqual({ available: false, note: expect.any(String), keys: [] });
      await sql`create table open311_api_keys (county_code text, name text, system text, key_hash text,
        key_prefix text, revoked_at timestamptz)`.execute(db);
    }
    await sql`insert into open311_api_keys (county_code, name, system, key_hash, key_prefix, revoked_at) values
      (${COUNTY}, '热线对接', '12345 政务服务便民热线', 'h1', 'p1', null),
      (${COUNTY}, '旧密钥', '12345 政务服务便民热线', 'h2', 'p2', now()),
      ('360122', '别县', '别县热线', 'h3', 'p3', null)`.execute(db);

    const iot = await columnsOf(db, 'iot_devices');
    if (iot.size === 0) {
      expect(first.iot).toEqual({ available: false, note: expect.any(String), devices: [] });
      await sql`create table iot_devices (county_code text, code text, type text, name text, lon float8,
        lat float8, path text, owner_org_id text, secret_enc text, status text)`.execute(db);
    }
    await sql`insert into iot_devices
      (county_code, code, type, name, lon, lat, path, owner_org_id, secret_enc, status) values
      (${COUNTY}, 'wc-001', 'smart_toilet', '公厕 1', 115.9, 28.5, ${`/${COUNTY}/`}, ${COUNTY}, 'x', 'active'),
      (${COUNTY}, 'wc-002', 'smart_toilet', '公厕 2', 115.9, 28.5, ${`/${COUNTY}/`}, ${COUNTY}, 'x', 'inactive'),
      (${COUNTY}, 'gas-001', 'gas_sensor', '燃气 1', 115.9, 28.5, ${`/${COUNTY}/`}, ${COUNTY}, 'x', 'active')
      `.execute(db);

    const after = await live();
    expect(after.open311).toEqual({
      available: true,
      note: null,
      keys: [
        { name: '热线对接', system: '12345 政务服务便民热线', active: true },
        { name: '旧密钥', system: '12345 政务服务便民热线', active: false },
      ],
    });
    expect(after.iot).toEqual({
      available: true,
      note: null,
      devices: [
        { type: 'gas_sensor', total: 1, active: 1 },
        { type: 'smart_toilet', total: 2, active: 1 },
      ],
    });
  });
});
