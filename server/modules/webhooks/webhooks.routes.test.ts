import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { as, createStaff, createVillage, type StaffSession } from '../../../test/factories.ts';
import { expectedSignature, type Receiver, startReceiver } from './receiver.testkit.ts';
import { deliverWebhooks } from './webhooks.delivery.ts';

let env: TestEnv;
let admin: StaffSession;
let supervisor: StaffSession;
let dispatcher: StaffSession;
let operator: StaffSession;
let villageId: string;
let rx: Receiver;
/** A subscription and a delivery of another county: must look exactly like missing ones. */
let foreign: { webhookId: string; deliveryId: string };

const BASE = '/api/integrations/webhooks';

beforeAll(async () => {
  env = await createTestEnv();
  villageId = await createVillage(env.ctx);
  admin = await createStaff(env, 'admin');
  supervisor = await createStaff(env, 'supervisor');
  operator = await createStaff(env, 'operator');
  dispatcher = await createStaff(env, 'county_dispatcher', { orgId: operator.orgId });
  rx = await startReceiver();
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
  const w = await db
    .insertInto('webhook_subscriptions')
    .values({
      county_code: '360122',
      name: '别县的订阅',
      system: '别县城管',
      url: 'https://elsewhere.example/hook',
      secret_enc: env.ctx.cipher.encrypt('whsec_other'),
      events: ['case.created'],
      created_at: new Date(),
      updated_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const d = await db
    .insertInto('webhook_deliveries')
    .values({
      county_code: '360122',
      subscription_id: w.id,
      event: 'ping',
      payload: JSON.stringify({ event: 'ping' }),
      status: 'failed',
      created_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  foreign = { webhookId: w.id, deliveryId: d.id };
});
afterAll(async () => {
  await rx.close();
  await env.close();
});

const body = (over: object = {}) => ({
  name: '城管推送',
  system: '县城市管理局（城管）',
  url: rx.url,
  events: ['case.created', 'case.closed'],
  ...over,
});

async function create(over: object = {}) {
  const res = await as(env, admin).post(BASE, body(over));
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { webhook: { id: string; version: number }; secret: string };
}

const auditOf = (targetId: string) =>
  env.ctx.database.db
    .selectFrom('audit_log')
    .select(['action', 'detail'])
    .where('target_id', '=', targetId)
    .orderBy('id')
    .execute();

describe('who may manage webhooks', () => {
  it('401 without a session, 400 on a bad body, 403 without webhook.manage, 404 outside the county', async () => {
    expect((await as(env, null).get(BASE)).statusCode).toBe(401);
    expect((await as(env, null).post(BASE, body())).statusCode).toBe(401);

    const bad = await as(env, admin).post(BASE, body({ events: [], url: 'ftp://x.example/' }));
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.details.map((d: { field: string }) => d.field)
        .sort(),
    ).toEqual(['events', 'url']);

    for (const s of [supervisor, dispatcher, operator]) {
      expect((await as(env, s).get(BASE)).statusCode).toBe(403);
      expect((await as(env, s).post(BASE, body())).statusCode).toBe(403);
      expect((await as(env, s).get(`${BASE}/deliveries`)).statusCode).toBe(403);
    }
    const before = await env.ctx.database.db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('id', '=', foreign.webhookId)
      .executeTakeFirstOrThrow();
    const a = as(env, admin);
    expect((await a.get(`${BASE}/${foreign.webhookId}`)).statusCode).toBe(404);
    expect((await a.patch(`${BASE}/${foreign.webhookId}`, { active: false, version: 1 })).statusCode).toBe(
      404,
    );
    expect((await a.post(`${BASE}/${foreign.webhookId}/ping`)).statusCode).toBe(404);
    expect((await a.post(`${BASE}/deliveries/${foreign.deliveryId}/redeliver`)).statusCode).toBe(404);
    expect((await a.get(`${BASE}/${crypto.randomUUID()}`)).statusCode).toBe(404);
    const list = await a.get(`${BASE}/deliveries?webhookId=${foreign.webhookId}`);
    expect(list.json()).toEqual({ items: [], total: 0 });
    const after = await env.ctx.database.db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('id', '=', foreign.webhookId)
      .executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    expect(
      await env.ctx.database.db
        .selectFrom('webhook_deliveries')
        .select('status')
        .where('id', '=', foreign.deliveryId)
        .executeTakeFirstOrThrow(),
    ).toEqual({ status: 'failed' });
  });
});

describe('subscriptions', () => {
  it('shows the secret once, stores it encrypted, and audits without it', async () => {
    const made = await create();
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(made.webhook).toMatchObject({
      name: '城管推送',
      system: '县城市管理局（城管）',
      url: rx.url,
      events: ['case.created', 'case.closed'],
      active: true,
      version: 1,
      createdBy: { id: admin.userId },
      stats: { pending: 0, delivered: 0, failed: 0, lastDeliveredAt: null },
    });
    const one = await as(env, admin).get(`${BASE}/${made.webhook.id}`);
    expect(one.statusCode).toBe(200);
    expect(one.body).not.toContain(made.secret);
    expect(one.json().secret).toBeUndefined();
    const list = await as(env, admin).get(BASE);
    expect(list.body).not.toContain(made.secret);
    expect(list.json().items.map((w: { id: string }) => w.id)).toContain(made.webhook.id);
    const row = await env.ctx.database.db
      .selectFrom('webhook_subscriptions')
      .select('secret_enc')
      .where('id', '=', made.webhook.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_enc).not.toContain(made.secret);
    expect(env.ctx.cipher.decrypt(row.secret_enc)).toBe(made.secret);
    const audits = await auditOf(made.webhook.id);
    expect(audits).toEqual([
      {
        action: 'webhook.created',
        detail: {
          name: '城管推送',
          system: '县城市管理局（城管）',
          host: new URL(rx.url).host,
          events: ['case.created', 'case.closed'],
        },
      },
    ]);
  });

  it('refuses URLs that are not http(s) or carry credentials', async () => {
    for (const url of [
      'ftp://files.example/hook',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'gopher://x.example/',
    ]) {
      const res = await as(env, admin).post(BASE, body({ url }));
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.details[0].field).toBe('url');
    }
    const creds = await as(env, admin).post(BASE, body({ url: 'https://user:pw@hooks.example/x' }));
    expect(creds.statusCode).toBe(400);
    expect(creds.json().error.details).toEqual([{ field: 'url', message: '地址中不能包含用户名或密码' }]);
    // Loopback (nothing listens on port 9): tests send nothing off this machine.
    const upper = await as(env, admin).post(BASE, body({ url: 'HTTP://LocalHost:9/x' }));
    expect(upper.statusCode, upper.body).toBe(201);
    expect(upper.json().webhook.url).toBe('http://localhost:9/x');
    const notEvent = await as(env, admin).post(BASE, body({ events: ['case.signed'] }));
    expect(notEvent.statusCode).toBe(400);
  });

  it('changes with the version read (409 otherwise), rotates the secret, and deactivation cancels pending deliveries', async () => {
    const made = await create({ events: ['case.created'] });
    const id = made.webhook.id;
    const stale = await as(env, admin).patch(`${BASE}/${id}`, { name: '新名字', version: 7 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('CONFLICT');

    const renamed = await as(env, admin).patch(`${BASE}/${id}`, {
      name: '城管推送（新）',
      events: ['case.created', 'case.dispatched'],
      rotateSecret: true,
      version: 1,
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    const rotated = renamed.json().secret as string;
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(made.secret);
    expect(renamed.json().webhook).toMatchObject({ name: '城管推送（新）', version: 2 });
    // The ping is signed with the new secret.
    const ping = await as(env, admin).post(`${BASE}/${id}/ping`);
    const got = rx.received.at(-1)!;
    expect(ping.json().delivery.status).toBe('delivered');
    expect(got.headers['x-gongzhi-signature']).toBe(
      expectedSignature(rotated, String(got.headers['x-gongzhi-timestamp']), got.body),
    );

    // An appeal makes a pending delivery; deactivating cancels it and stops new ones.
    const intake = await as(env, operator).post('/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'SR01',
      description: '路灯不亮已经一周了',
      villageId,
    });
    expect(intake.statusCode).toBe(201);
    const pending = await as(env, admin).get(`${BASE}/deliveries?webhookId=${id}&status=pending`);
    expect(pending.json().total).toBe(1);
    const off = await as(env, admin).patch(`${BASE}/${id}`, { active: false, version: 2 });
    expect(off.statusCode).toBe(200);
    expect(off.json().webhook.active).toBe(false);
    expect(off.json().secret).toBeUndefined();
    const cancelled = await as(env, admin).get(`${BASE}/deliveries?webhookId=${id}&status=cancelled`);
    expect(cancelled.json().items).toMatchObject([{ event: 'case.created', lastError: '订阅已停用' }]);
    await as(env, operator).post('/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'SR01',
      description: '路灯又不亮了',
      villageId,
    });
    const all = await as(env, admin).get(`${BASE}/deliveries?webhookId=${id}&event=case.created`);
    expect(all.json().total).toBe(1);
    expect((await auditOf(id)).map((a) => a.action)).toEqual([
      'webhook.created',
      'webhook.updated',
      'webhook.updated',
    ]);
    const last = (await auditOf(id)).at(-1)!.detail as Record<string, unknown>;
    expect(last).toEqual({ changed: ['active'], active: false, cancelledDeliveries: 1 });
  });
});

describe('ping, delivery log and redelivery', () => {
  it('pings once without retries and reports the receiver’s answer', async () => {
    const made = await create();
    rx.replies = [{ status: 500, body: 'boom' }];
    const failed = await as(env, admin).post(`${BASE}/${made.webhook.id}/ping`);
    expect(failed.statusCode).toBe(200);
    expect(failed.json().delivery).toMatchObject({
      event: 'ping',
      status: 'failed',
      attempts: 1,
      lastStatus: 500,
      lastError: 'HTTP 500: boom',
      nextAttemptAt: null,
    });
    const got = rx.received.at(-1)!;
    expect(got.headers['x-gongzhi-event']).toBe('ping');
    expect(JSON.parse(got.body)).toMatchObject({ event: 'ping', webhook: { id: made.webhook.id } });
    const ok = await as(env, admin).post(`${BASE}/${made.webhook.id}/ping`);
    expect(ok.json().delivery).toMatchObject({ status: 'delivered', lastStatus: 200, lastError: null });
  });

  it('lists deliveries newest first with filters and redelivers a failed one under the same id', async () => {
    const made = await create({ events: ['case.created'] });
    const id = made.webhook.id;
    const intake = await as(env, operator).post('/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'SR01',
      description: '井盖松动，车辆经过响声很大',
      villageId,
    });
    const code = intake.json().case.code as string;
    // Give up at once: mark it failed as the deliverer would after its last attempt.
    const [row] = await env.ctx.database.db
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', attempts: 10, next_attempt_at: null, last_status: 503 })
      .where('subscription_id', '=', id)
      .returning('id')
      .execute();
    // Every active subscription to case.created got one; this subscription's is the one.
    const forCode = await as(env, admin).get(`${BASE}/deliveries?caseCode=${code}`);
    expect(forCode.json().total).toBeGreaterThanOrEqual(1);
    expect(forCode.json().items.every((d: { caseCode: string }) => d.caseCode === code)).toBe(true);
    const byCode = await as(env, admin).get(`${BASE}/deliveries?caseCode=${code}&webhookId=${id}`);
    expect(byCode.json().items).toHaveLength(1);
    expect(byCode.json().items[0]).toMatchObject({
      id: row!.id,
      webhookId: id,
      webhookName: '城管推送',
      event: 'case.created',
      caseCode: code,
      status: 'failed',
      attempts: 10,
      lastStatus: 503,
    });
    expect(byCode.json().items[0].payload).toMatchObject({ event: 'case.created', case: { code } });
    expect((await as(env, admin).get(`${BASE}/deliveries?caseCode=S0000000000`)).json().total).toBe(0);
    expect((await as(env, admin).get(`${BASE}/deliveries?status=bogus`)).statusCode).toBe(400);

    const again = await as(env, admin).post(`${BASE}/deliveries/${row!.id}/redeliver`);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().delivery).toMatchObject({
      id: row!.id,
      status: 'delivered',
      attempts: 1,
      lastStatus: 200,
    });
    expect(rx.received.at(-1)!.headers['x-gongzhi-delivery']).toBe(row!.id);
    expect(await auditOf(row!.id)).toEqual([
      {
        action: 'webhook.redelivered',
        detail: { webhookId: id, event: 'case.created', previousStatus: 'failed' },
      },
    ]);
    // Nothing of it is left for the worker.
    await deliverWebhooks(env.ctx, { limit: 100 });
    expect(rx.received.filter((r) => r.headers['x-gongzhi-delivery'] === row!.id)).toHaveLength(1);

    // A deactivated subscription's deliveries are not sent again.
    await as(env, admin).patch(`${BASE}/${id}`, { active: false, version: 1 });
    const refused = await as(env, admin).post(`${BASE}/deliveries/${row!.id}/redeliver`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('CONFLICT');
    expect(
      (await as(env, admin).post(`${BASE}/deliveries/${crypto.randomUUID()}/redeliver`)).statusCode,
    ).toBe(404);
  });
});
