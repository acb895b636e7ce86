/**
 * Idempotent intake under concurrent retries, for every intake endpoint of the HTTP API that takes
 * a signed-in caller: the operator's quick entry (phone — the 12345 hotline — and walk-in), a
 * citizen's appeal, and a grid worker's event report. Ten requests with one key fired at once make
 * exactly one case; every answer carries that case; the first answer is 201, every replay 200 with
 * `replayed: true`. The case's side effects (first event, acknowledgement, webhook delivery) happen
 * once. Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL (where the ten really race: two
 * transactions can both pass the key check, and the unique index decides).
 *
 * Open311 (`POST /open311/v2/requests`), IoT alarms and camera events have their own suites: their
 * keys live in their own namespaces (per API key, per device).
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from './context.ts';
import { createCitizen, createGrid, createStaff, createVillage, signInCitizen } from './factories.ts';

let env: TestEnv;
let villageId: string;
let webhookId: string;

interface Caller {
  cookie: string;
  csrf: string;
}

/** One intake endpoint, who calls it, and a body for it. */
interface Endpoint {
  name: string;
  url: string;
  caller: () => Caller;
  body: (text: string) => Record<string, unknown>;
}

const callers: Record<string, Caller> = {};
let burst = 0;

const ENDPOINTS: Endpoint[] = [
  {
    name: 'POST /api/cases — operator, phone (12345 hotline)',
    url: '/api/cases',
    caller: () => callers.operator!,
    body: (text) => ({
      type: 'appeal',
      channel: 'phone',
      categoryId: 'SR01',
      description: text,
      villageId,
      contactPhone: '13911112222',
    }),
  },
  {
    name: 'POST /api/cases — operator, walk-in',
    url: '/api/cases',
    caller: () => callers.operator!,
    body: (text) => ({
      type: 'appeal',
      channel: 'walk_in',
      categoryId: 'SR01',
      description: text,
      villageId,
    }),
  },
  {
    name: 'POST /api/my/cases — citizen',
    url: '/api/my/cases',
    caller: () => callers.citizen!,
    body: (text) => ({ type: 'appeal', channel: 'web', categoryId: 'SR01', description: text, villageId }),
  },
  {
    name: 'POST /api/cases — grid worker event',
    url: '/api/cases',
    caller: () => callers.gridWorker!,
    body: (text) => ({ type: 'event', channel: 'grid', categoryId: 'NY05', description: text, villageId }),
  },
];

beforeAll(async () => {
  env = await createTestEnv();
  villageId = await createVillage(env.ctx);
  await createGrid(env.ctx, { villageId });
  callers.operator = await createStaff(env, 'operator');
  callers.gridWorker = await createStaff(env, 'grid_worker', { orgId: villageId });
  const { phone } = await createCitizen(env.ctx, { homeOrgId: villageId });
  callers.citizen = await signInCitizen(env, phone);
  const { phone: other } = await createCitizen(env.ctx, { homeOrgId: villageId });
  callers.otherCitizen = await signInCitizen(env, other);
  const admin = await createStaff(env, 'admin');
  const hook = await post(admin, '/api/integrations/webhooks', {
    name: '幂等检查',
    system: '测试接收方',
    // Nothing is delivered in this suite; the rows are counted only.
    url: 'http://127.0.0.1:9/hook',
    events: ['case.created'],
  });
  expect(hook.statusCode, hook.body).toBe(201);
  webhookId = hook.json().webhook.id;
});
afterAll(() => env.close());

/**
 * A POST from its own address per burst: the citizen route allows 20 submissions an hour per
 * address, and a burst of retries must not be cut short by another test's.
 */
function post(
  c: Caller,
  url: string,
  payload: object,
  headers: Record<string, string> = {},
  remoteAddress = `10.90.0.${(burst % 250) + 1}`,
): Promise<LightMyRequestResponse> {
  return env.app.inject({
    method: 'POST',
    url,
    payload,
    remoteAddress,
    headers: { cookie: c.cookie, 'x-csrf-token': c.csrf, ...headers },
  });
}

const db = () => env.ctx.database.db;

async function facts(caseId: string) {
  const [events, acks, deliveries] = await Promise.all([
    db().selectFrom('case_events').select('action').where('case_id', '=', caseId).execute(),
    db()
      .selectFrom('notifications')
      .select('channel')
      .where('case_id', '=', caseId)
      .where('kind', '=', 'received')
      .execute(),
    db()
      .selectFrom('webhook_deliveries')
      .select('event')
      .where('case_id', '=', caseId)
      .where('subscription_id', '=', webhookId)
      .execute(),
  ]);
  return { events: events.map((e) => e.action), acks: acks.length, deliveries: deliveries.length };
}

describe.each(ENDPOINTS)('$name', (ep) => {
  it('makes one case of ten concurrent requests with one key; 201 first, 200 replayed for the rest', async () => {
    burst++;
    const key = `burst-${randomUUID()}`;
    const text = `并发重试 ${key.slice(-6)}：路灯不亮`;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post(ep.caller(), ep.url, ep.body(text), { 'idempotency-key': key })),
    );
    for (const a of answers) expect([200, 201], a.body).toContain(a.statusCode);
    expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(1);
    const first = answers.find((a) => a.statusCode === 201)!.json();
    expect(first.replayed).toBe(false);
    for (const a of answers.filter((x) => x.statusCode === 200)) expect(a.json().replayed).toBe(true);
    expect(new Set(answers.map((a) => a.json().case.id))).toEqual(new Set([first.case.id]));
    expect(new Set(answers.map((a) => a.json().case.code))).toEqual(new Set([first.case.code]));

    const rows = await db().selectFrom('cases').select(['id']).where('idempotency_key', '=', key).execute();
    expect(rows).toEqual([{ id: first.case.id }]);
    const f = await facts(first.case.id);
    expect(f.events).toEqual(['receive']);
    expect(f.deliveries).toBe(1);
    // The citizen's acknowledgement (in-app and SMS) is written once; staff intakes have no citizen account.
    expect(f.acks).toBe(ep.url === '/api/my/cases' ? 2 : 0);

    // A later retry — header, body field, or both agreeing — answers the same case with 200.
    const retries: { headers: Record<string, string>; body: Record<string, string> }[] = [
      { headers: { 'idempotency-key': key }, body: {} },
      { headers: {}, body: { idempotencyKey: key } },
      { headers: { 'idempotency-key': key }, body: { idempotencyKey: key } },
    ];
    for (const extra of retries) {
      const again = await post(ep.caller(), ep.url, { ...ep.body(text), ...extra.body }, extra.headers);
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json()).toMatchObject({
        replayed: true,
        case: { id: first.case.id, code: first.case.code },
      });
    }
    expect(await facts(first.case.id)).toEqual(f);
  });

  it('answers a different body under a used key with the first case (200) and stores nothing new', async () => {
    burst++;
    const key = `differs-${randomUUID()}`;
    const first = await post(ep.caller(), ep.url, ep.body('第一次提交：井盖松动'), {
      'idempotency-key': key,
    });
    expect(first.statusCode, first.body).toBe(201);
    const other = await post(ep.caller(), ep.url, ep.body('完全不同的内容：噪音扰民'), {
      'idempotency-key': key,
    });
    expect(other.statusCode).toBe(200);
    expect(other.json()).toMatchObject({ replayed: true, case: { id: first.json().case.id } });
    expect(other.json().case.description).toBe('第一次提交：井盖松动');
    const rows = await db().selectFrom('cases').select('id').where('idempotency_key', '=', key).execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses a malformed key or a header and body that disagree (400), making no case', async () => {
    burst++;
    const before = await db()
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    for (const bad of ['short', 'has space in it', 'x'.repeat(101), 'ключ-кириллица']) {
      const res = await post(ep.caller(), ep.url, ep.body('格式错误的幂等键'), { 'idempotency-key': bad });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error.details).toEqual([{ field: 'idempotency-key', message: expect.any(String) }]);
    }
    const disagree = await post(
      ep.caller(),
      ep.url,
      { ...ep.body('两处幂等键不一致'), idempotencyKey: `body-${randomUUID()}` },
      { 'idempotency-key': `head-${randomUUID()}` },
    );
    expect(disagree.statusCode).toBe(400);
    expect(disagree.json().error.details[0].field).toBe('idempotencyKey');
    const after = await db()
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});

describe('keys are per county', () => {
  it('a citizen reusing another citizen’s key gets 404 — never the other’s case, and no second case', async () => {
    burst++;
    const key = `shared-${randomUUID()}`;
    const body = {
      type: 'appeal',
      channel: 'web',
      categoryId: 'SR01',
      description: '我的诉求：路面积水',
      villageId,
    };
    const mine = await post(callers.citizen!, '/api/my/cases', body, { 'idempotency-key': key });
    expect(mine.statusCode).toBe(201);
    const theirs = await post(callers.otherCitizen!, '/api/my/cases', body, { 'idempotency-key': key });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.body).not.toContain(mine.json().case.code);
    const rows = await db().selectFrom('cases').select('id').where('idempotency_key', '=', key).execute();
    expect(rows).toHaveLength(1);
  });
});
