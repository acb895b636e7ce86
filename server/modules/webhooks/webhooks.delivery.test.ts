import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { TEST_ENGINE } from '../../../test/db.ts';
import {
  as,
  COUNTY,
  createDepartment,
  createStaff,
  createVillage,
  type StaffSession,
} from '../../../test/factories.ts';
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import { type Database, openDatabase } from '../../db/database.ts';
import { commitEvent, loadCase } from '../../engine/engine.ts';
import { FixedClock } from '../../lib/clock.ts';
import { expectedSignature, type Receiver, startReceiver } from './receiver.testkit.ts';
import { deliverWebhooks, WEBHOOK_MAX_ATTEMPTS, webhookBackoffMs } from './webhooks.delivery.ts';

/*
 * The deliverer against a real HTTP receiver on a loopback port. Time is a FixedClock: tests move
 * it and call the deliverer directly instead of waiting for the worker.
 */

const t0 = new Date('2026-03-02T01:00:00Z'); // Monday 09:00 in China

let env: TestEnv;
let clock: FixedClock;
let admin: StaffSession;
let operator: StaffSession;
let dispatcher: StaffSession;
let dept: StaffSession;
let villageId: string;
let rx: Receiver;
/** A second deliverer's context: its own pool on PostgreSQL (a second process), the same on PGlite. */
let ctxB: AppContext;
let ownPool: Database | undefined;

beforeAll(async () => {
  env = await createTestEnv();
  clock = new FixedClock(t0);
  env.ctx.clock = clock;
  villageId = await createVillage(env.ctx);
  admin = await createStaff(env, 'admin');
  operator = await createStaff(env, 'operator');
  dispatcher = await createStaff(env, 'county_dispatcher', { orgId: operator.orgId });
  dept = await createStaff(env, 'department_handler', { orgId: await createDepartment(env.ctx) });
  rx = await startReceiver();
  const url = (env.ctx.database as Database & { url?: string }).url;
  if (TEST_ENGINE === 'postgres') {
    ownPool = await openDatabase({ databaseUrl: url!, poolSize: 4 });
    ctxB = { ...env.ctx, database: ownPool };
  } else {
    ctxB = env.ctx;
  }
});
afterAll(async () => {
  await rx.close();
  await ownPool?.close();
  await env.close();
});

const db = () => env.ctx.database.db;

/** Every subscription made by a test is switched off before the next, so each sees only its own. */
beforeEach(async () => {
  await db().updateTable('webhook_subscriptions').set({ active: false }).execute();
  await db().updateTable('webhook_deliveries').set({ status: 'cancelled', next_attempt_at: null }).execute();
  rx.received.length = 0;
  rx.replies = [];
  rx.fallback = 200;
  // Tests move the clock by hours; each starts again at t0, while the sessions are valid.
  clock.advance(t0.getTime() - clock.now().getTime());
});

async function subscribe(events: string[], url = rx.url): Promise<{ id: string; secret: string }> {
  const res = await as(env, admin).post('/api/integrations/webhooks', {
    name: '城管推送',
    system: '县城市管理局（城管）',
    url,
    events,
  });
  expect(res.statusCode, res.body).toBe(201);
  return { id: res.json().webhook.id, secret: res.json().secret };
}

const PHONE = '13987654321';
const NAME = '张小明';
const DESCRIPTION = '小区门口垃圾桶满溢，三天没有清运，气味很大。';

async function receive(): Promise<{ id: string; code: string }> {
  const res = await as(env, operator).post('/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId: 'SR01',
    description: DESCRIPTION,
    address: '幸福路 12 号',
    villageId,
    contactName: NAME,
    contactPhone: PHONE,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().case;
}

const deliveriesOf = (subscriptionId: string) =>
  db()
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .orderBy('created_at')
    .orderBy('case_event_id')
    .execute();

describe('enqueue and send', () => {
  it('sends case.created as a signed JSON POST without personal data', async () => {
    const sub = await subscribe(['case.created']);
    const c = await receive();
    const [d] = await deliveriesOf(sub.id);
    expect(d).toMatchObject({ event: 'case.created', status: 'pending', attempts: 0, case_id: c.id });
    expect(d!.next_attempt_at).toEqual(t0);

    expect(await deliverWebhooks(env.ctx)).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(rx.received).toHaveLength(1);
    const got = rx.received[0]!;
    expect(got.path).toBe('/hook');
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got.headers['x-gongzhi-event']).toBe('case.created');
    expect(got.headers['x-gongzhi-delivery']).toBe(d!.id);
    const ts = String(t0.getTime() / 1000);
    expect(got.headers['x-gongzhi-timestamp']).toBe(ts);
    expect(got.headers['x-gongzhi-signature']).toBe(expectedSignature(sub.secret, ts, got.body));
    expect(got.headers['x-gongzhi-signature']).not.toBe(expectedSignature('wrong', ts, got.body));

    const body = JSON.parse(got.body);
    expect(body).toMatchObject({
      event: 'case.created',
      action: 'receive',
      county: COUNTY,
      case: {
        id: c.id,
        code: c.code,
        type: 'appeal',
        channel: 'phone',
        category: { id: 'SR01' },
        state: 'received',
        previousState: null,
        villageId,
        receivedAt: t0.toISOString(),
      },
    });
    expect(typeof body.eventId).toBe('number');
    // No contact, no name, no citizen's words, no address.
    for (const secret of [PHONE, PHONE.slice(-4), NAME, DESCRIPTION.slice(0, 6), '幸福路']) {
      expect(got.body).not.toContain(secret);
    }
    const [after] = await deliveriesOf(sub.id);
    expect(after).toMatchObject({ status: 'delivered', attempts: 1, last_status: 200, last_error: null });
    expect(after!.delivered_at).toEqual(t0);
    // Nothing is due any more.
    expect(await deliverWebhooks(env.ctx)).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(rx.received).toHaveLength(1);
  });

  it('maps the workflow to created, dispatched, replied and closed — only the events subscribed', async () => {
    const all = await subscribe(['case.created', 'case.dispatched', 'case.replied', 'case.closed']);
    const closedOnly = await subscribe(['case.closed']);
    const c = await receive();
    const act = async (s: StaffSession, action: string, input: object = {}) => {
      const r = await as(env, s).post(`/api/cases/${c.id}/actions/${action}`, { input });
      expect(r.statusCode, r.body).toBe(200);
    };
    await act(operator, 'dispatch', { leadOrgId: dept.orgId, note: '部门职责' });
    await act(dept, 'sign');
    await act(dept, 'first_contact', { method: 'phone', note: '已电话联系' });
    await act(dept, 'reply', { reply: '已安排清运。' });
    await act(dispatcher, 'audit', { approved: true });
    await act(await createStaff(env, 'revisit_agent', { orgId: operator.orgId }), 'revisit', {
      resolved: true,
      satisfaction: 'satisfied',
    });
    await act(dispatcher, 'close', {});
    const rows = await deliveriesOf(all.id);
    expect(rows.map((r) => [r.event, (r.payload as { action: string }).action])).toEqual([
      ['case.created', 'receive'],
      ['case.dispatched', 'dispatch'],
      ['case.replied', 'reply'],
      ['case.closed', 'close'],
    ]);
    const dispatched = rows[1]!.payload as {
      case: { state: string; previousState: string; leadUnit: object };
    };
    expect(dispatched.case).toMatchObject({
      state: 'dispatched',
      previousState: 'received',
      leadUnit: { id: dept.orgId },
    });
    // Event ids are the case events' ids, in order.
    const ids = rows.map((r) => r.case_event_id!);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect((await deliveriesOf(closedOnly.id)).map((r) => r.event)).toEqual(['case.closed']);

    await deliverWebhooks(env.ctx);
    expect(rx.received.map((r) => r.headers['x-gongzhi-event']).sort()).toEqual(
      ['case.closed', 'case.closed', 'case.created', 'case.dispatched', 'case.replied'].sort(),
    );
  });

  it('enqueues nothing when the engine transaction rolls back', async () => {
    const sub = await subscribe(['case.created', 'case.dispatched', 'case.replied', 'case.closed']);
    const c = await receive();
    const before = (await deliveriesOf(sub.id)).length;
    const system = systemActor(COUNTY);
    const attempt = env.ctx.database.transaction(async (trx) => {
      const row = await loadCase(trx, system, c.id, true);
      await commitEvent(trx, env.ctx, system, row, {
        action: 'void',
        to: 'voided',
        set: {},
        payload: {},
        deadlines: { cancel: 'all' },
        notify: [],
        now: clock.now(),
        bumpVersion: true,
      });
      // The delivery row exists inside the transaction …
      const inside = await trx
        .selectFrom('webhook_deliveries')
        .select('event')
        .where('subscription_id', '=', sub.id)
        .where('event', '=', 'case.closed')
        .execute();
      expect(inside).toHaveLength(1);
      throw new Error('roll back');
    });
    await expect(attempt).rejects.toThrow('roll back');
    // … and is gone with it.
    expect(await deliveriesOf(sub.id)).toHaveLength(before);
    expect((await loadCase(db(), system, c.id)).state).toBe('received');
  });
});

describe('retries', () => {
  it('backs off 30 s × 2^n with jitter, keeps the delivery id, and delivers once the receiver recovers', async () => {
    const sub = await subscribe(['case.created']);
    await receive();
    rx.replies = [
      { status: 500, body: 'database\n  down' },
      { status: 503, body: 'maintenance' },
    ];
    expect(await deliverWebhooks(env.ctx)).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    let [d] = await deliveriesOf(sub.id);
    expect(d).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status: 500,
      last_error: 'HTTP 500: database down',
    });
    const wait1 = d!.next_attempt_at!.getTime() - clock.now().getTime();
    expect(wait1).toBeGreaterThanOrEqual(24_000);
    expect(wait1).toBeLessThanOrEqual(36_000);

    // Not due yet: nothing is sent.
    clock.advance(20_000);
    expect(await deliverWebhooks(env.ctx)).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(rx.received).toHaveLength(1);

    clock.advance(20_000);
    expect(await deliverWebhooks(env.ctx)).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    [d] = await deliveriesOf(sub.id);
    expect(d).toMatchObject({ attempts: 2, last_status: 503 });
    const wait2 = d!.next_attempt_at!.getTime() - clock.now().getTime();
    expect(wait2).toBeGreaterThanOrEqual(48_000);
    expect(wait2).toBeLessThanOrEqual(72_000);

    clock.advance(72_000);
    expect(await deliverWebhooks(env.ctx)).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    [d] = await deliveriesOf(sub.id);
    expect(d).toMatchObject({ status: 'delivered', attempts: 3, last_status: 200, last_error: null });
    expect(rx.received).toHaveLength(3);
    expect(new Set(rx.received.map((r) => r.headers['x-gongzhi-delivery']))).toEqual(new Set([d!.id]));
    // Each attempt is signed with its own timestamp.
    expect(new Set(rx.received.map((r) => r.headers['x-gongzhi-timestamp'])).size).toBe(3);
    for (const r of rx.received) {
      expect(r.headers['x-gongzhi-signature']).toBe(
        expectedSignature(sub.secret, String(r.headers['x-gongzhi-timestamp']), r.body),
      );
    }
  });

  it('gives up after the last attempt (failed) and sends nothing more', async () => {
    const sub = await subscribe(['case.created']);
    await receive();
    rx.fallback = 502;
    for (let i = 1; i <= WEBHOOK_MAX_ATTEMPTS; i++) {
      const run = await deliverWebhooks(env.ctx);
      expect(run).toEqual(
        i < WEBHOOK_MAX_ATTEMPTS
          ? { delivered: 0, retrying: 1, failed: 0 }
          : { delivered: 0, retrying: 0, failed: 1 },
      );
      clock.advance(2 * 60 * 60_000); // past any back-off (capped at an hour + 20 %)
    }
    const [d] = await deliveriesOf(sub.id);
    expect(d).toMatchObject({
      status: 'failed',
      attempts: WEBHOOK_MAX_ATTEMPTS,
      last_status: 502,
      next_attempt_at: null,
    });
    expect(await deliverWebhooks(env.ctx)).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(rx.received).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
  });

  it('counts a refused connection and a redirect as failures (redirects are not followed)', async () => {
    const closed = await startReceiver();
    const deadUrl = closed.url;
    await closed.close();
    const dead = await subscribe(['case.created'], deadUrl);
    const moved = await subscribe(['case.created']);
    rx.replies = [{ status: 302, location: '/elsewhere' }];
    await receive();
    expect(await deliverWebhooks(env.ctx)).toEqual({ delivered: 0, retrying: 2, failed: 0 });
    const [refused] = await deliveriesOf(dead.id);
    expect(refused).toMatchObject({ status: 'pending', attempts: 1, last_status: null });
    expect(refused!.last_error).toMatch(/ECONNREFUSED/);
    const [redirected] = await deliveriesOf(moved.id);
    expect(redirected).toMatchObject({ status: 'pending', attempts: 1, last_status: 302 });
    expect(rx.received.map((r) => r.path)).toEqual(['/hook']);
  });

  it('schedules back-off from the attempt count: doubling, capped at an hour, ±20 %', () => {
    expect(webhookBackoffMs(1, () => 0.5)).toBe(30_000);
    expect(webhookBackoffMs(2, () => 0.5)).toBe(60_000);
    expect(webhookBackoffMs(5, () => 0.5)).toBe(480_000);
    expect(webhookBackoffMs(8, () => 0.5)).toBe(3_600_000);
    expect(webhookBackoffMs(20, () => 0.5)).toBe(3_600_000);
    expect(webhookBackoffMs(1, () => 0)).toBe(24_000);
    expect(webhookBackoffMs(1, () => 1)).toBe(36_000);
  });
});

describe('concurrent deliverers', () => {
  it('claim each due delivery exactly once (FOR UPDATE SKIP LOCKED and a lease)', async () => {
    const sub = await subscribe(['case.created']);
    for (let i = 0; i < 12; i++) await receive();
    const runs = await Promise.all([
      deliverWebhooks(env.ctx, { limit: 50 }),
      deliverWebhooks(ctxB, { limit: 50 }),
      deliverWebhooks(env.ctx, { limit: 50 }),
      deliverWebhooks(ctxB, { limit: 50 }),
    ]);
    expect(runs.reduce((n, r) => n + r.delivered, 0)).toBe(12);
    const ids = rx.received.map((r) => String(r.headers['x-gongzhi-delivery']));
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    const rows = await deliveriesOf(sub.id);
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
  });

  it('leaves a claimed delivery alone until its lease ends, then another deliverer may retry it', async () => {
    const sub = await subscribe(['case.created']);
    await receive();
    const [d] = await deliveriesOf(sub.id);
    // A deliverer claimed it and died before recording anything.
    await db()
      .updateTable('webhook_deliveries')
      .set({ attempts: 1, next_attempt_at: new Date(clock.now().getTime() + 60_000) })
      .where('id', '=', d!.id)
      .execute();
    expect(await deliverWebhooks(ctxB)).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    clock.advance(61_000);
    expect(await deliverWebhooks(ctxB)).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    const [after] = await deliveriesOf(sub.id);
    expect(after).toMatchObject({ status: 'delivered', attempts: 2 });
  });
});
