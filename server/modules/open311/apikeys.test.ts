/**
 * The admins' API for Open311 keys: /api/integrations/api-keys (list, issue, revoke), in the order
 * 401 → 400 → 403 → 404 → 200; the key is shown once and only its hash is kept; every change is
 * audited; the CLI's path (a system actor) works too.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { as, COUNTY, createStaff, type StaffSession } from '../../../test/factories.ts';
import { systemActor } from '../../authz/actor.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './apikeys.service.ts';
import { open311 } from './fixtures/georeport-client.ts';

let env: TestEnv;
let admin: StaffSession;
let dispatcher: StaffSession;

const db = () => env.ctx.database.db;
const keyRows = () => db().selectFrom('open311_api_keys').selectAll().execute();
const auditRows = (action: string) =>
  db().selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

beforeAll(async () => {
  env = await createTestEnv();
  admin = await createStaff(env, 'admin');
  dispatcher = await createStaff(env, 'county_dispatcher');
});
afterAll(() => env.close());

describe('/api/integrations/api-keys', () => {
  it('401 without a session', async () => {
    expect((await as(env, null).get('/api/integrations/api-keys')).statusCode).toBe(401);
    expect(
      (await as(env, null).post('/api/integrations/api-keys', { name: 'x', system: 'y' })).statusCode,
    ).toBe(401);
    expect((await keyRows()).length).toBe(0);
  });

  it('400 for a bad body', async () => {
    for (const body of [
      {},
      { name: '', system: 'y' },
      { name: 'x' },
      { name: 'x', system: 'y', extra: 1 },
      { name: ' ', system: 'y' },
    ]) {
      const res = await as(env, admin).post('/api/integrations/api-keys', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await as(env, admin).post('/api/integrations/api-keys/not-a-uuid/revoke')).statusCode).toBe(400);
    expect((await keyRows()).length).toBe(0);
  });

  it('403 for staff without apikey.manage, and nothing changes', async () => {
    expect((await as(env, dispatcher).get('/api/integrations/api-keys')).statusCode).toBe(403);
    const res = await as(env, dispatcher).post('/api/integrations/api-keys', { name: 'x', system: 'y' });
    expect(res.statusCode).toBe(403);
    expect((await keyRows()).length).toBe(0);
  });

  it('issues a key shown once, keeps only its hash, lists it without the key, audits it', async () => {
    const res = await as(env, admin).post('/api/integrations/api-keys', {
      name: 'FixMyStreet 南昌县站点',
      system: 'FixMyStreet（mySociety）',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const { key, apiKey } = res.json();
    expect(key).toMatch(/^gz311_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({
      name: 'FixMyStreet 南昌县站点',
      system: 'FixMyStreet（mySociety）',
      keyPrefix: key.slice(0, 12),
      active: true,
      createdBy: { id: admin.userId },
      revokedAt: null,
      lastUsedAt: null,
    });
    const [row] = await keyRows();
    expect(row!.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(key);

    const list = await as(env, admin).get('/api/integrations/api-keys');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ items: [apiKey], total: 1 });
    expect(list.body).not.toContain(key);
    expect(list.body).not.toContain(row!.key_hash);

    const [entry] = await auditRows('apikey.created');
    expect(entry).toMatchObject({
      actor_id: admin.userId,
      target_type: 'open311_api_key',
      target_id: apiKey.id,
    });
    expect(JSON.stringify(entry)).not.toContain(key);

    // Using the key notes when it was last used.
    expect((await open311(env).get(`services.json?api_key=${key}`)).statusCode).toBe(200);
    const used = (await as(env, admin).get('/api/integrations/api-keys')).json().items[0];
    expect(used.lastUsedAt).not.toBeNull();
  });

  it('404 for a key that is not there or belongs to another county; revokes once and audits once', async () => {
    const missing = await as(env, admin).post(
      '/api/integrations/api-keys/00000000-0000-4000-8000-000000000000/revoke',
    );
    expect(missing.statusCode).toBe(404);

    await db()
      .insertInto('counties')
      .values({
        code: '360122',
        name: '新建区',
        city_code: '3601',
        city_name: '南昌市',
        province_code: '36',
        province_name: '江西省',
      })
      .execute();
    const foreign = await db()
      .insertInto('open311_api_keys')
      .values({
        county_code: '360122',
        name: '外县',
        system: '外县系统',
        key_hash: 'f'.repeat(64),
        key_prefix: 'gz311_foreig',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await as(env, admin).post(`/api/integrations/api-keys/${foreign.id}/revoke`)).statusCode).toBe(
      404,
    );
    const f = await db()
      .selectFrom('open311_api_keys')
      .selectAll()
      .where('id', '=', foreign.id)
      .executeTakeFirstOrThrow();
    expect(f.revoked_at).toBeNull();
    expect(
      (await as(env, admin).get('/api/integrations/api-keys')).json().items.map((k: { id: string }) => k.id),
    ).not.toContain(foreign.id);

    const issued = (
      await as(env, admin).post('/api/integrations/api-keys', { name: '临时', system: '测试' })
    ).json();
    const ok = await open311(env).post('requests.json', {
      api_key: issued.key,
      service_code: 'SC01',
      address_string: '某地',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const r1 = await as(env, admin).post(`/api/integrations/api-keys/${issued.apiKey.id}/revoke`);
    expect(r1.statusCode).toBe(200);
    expect(r1.json().apiKey).toMatchObject({ active: false, revokedAt: expect.any(String) });
    const r2 = await as(env, admin).post(`/api/integrations/api-keys/${issued.apiKey.id}/revoke`);
    expect(r2.json().apiKey.revokedAt).toBe(r1.json().apiKey.revokedAt);
    expect((await auditRows('apikey.revoked')).map((a) => a.target_id)).toEqual([issued.apiKey.id]);
    const refused = await open311(env).post('requests.json', {
      api_key: issued.key,
      service_code: 'SC01',
      address_string: '某地',
    });
    expect(refused.statusCode).toBe(403);
    // A revoked key is refused on reads that check a given key, too.
    expect((await open311(env).get(`services.xml?api_key=${issued.key}`)).statusCode).toBe(403);
  });
});

describe('the CLI’s path: keys issued and revoked by the system', () => {
  it('creates, lists and revokes with a system actor (no issuing user)', async () => {
    const actor = systemActor(COUNTY);
    const { key, apiKey } = await createApiKey(env.ctx, actor, { name: '  命令行  ', system: '运维' }, {});
    expect(key.startsWith('gz311_')).toBe(true);
    expect(apiKey).toMatchObject({ name: '命令行', createdBy: null, active: true });
    expect((await listApiKeys(env.ctx, actor)).items.map((k) => k.id)).toContain(apiKey.id);
    const { apiKey: revoked } = await revokeApiKey(env.ctx, actor, apiKey.id, {});
    expect(revoked.active).toBe(false);
    const entries = await auditRows('apikey.revoked');
    expect(entries.at(-1)).toMatchObject({ actor_kind: 'system', target_id: apiKey.id });
  });
});
