/**
 * IoT alarms over HTTP (`POST /api/iot/alarms`): device authentication (401 codes, logged), body
 * checks after it (400), replay protection (409), and the pipeline — an alarm opens an event
 * through the one intake, repeats fold into it, a recovery acts on it per rule, levels below every
 * rule are ignored. Time is a FixedClock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { as, createStaff } from '../../../test/factories.ts';
import { FixedClock } from '../../lib/clock.ts';
import { alarmBody, createTestDevice, signedPost, type TestDevice } from './iot.fixtures.ts';
import { httpCanonical, newNonce, sign } from './signing.ts';

let env: TestEnv;
let clock: FixedClock;
const URL = '/api/iot/alarms';

beforeAll(async () => {
  env = await createTestEnv();
  clock = new FixedClock(new Date('2026-12-01T02:00:00Z'));
  env.ctx.clock = clock;
});
afterAll(() => env.close());

const rejections = (deviceCode: string) =>
  env.ctx.database.db
    .selectFrom('iot_rejections')
    .select(['reason', 'via', 'device_id'])
    .where('device_code', '=', deviceCode)
    .orderBy('id')
    .execute();
const casesOf = (deviceId: string) =>
  env.ctx.database.db
    .selectFrom('iot_alarms as a')
    .innerJoin('cases as c', 'c.id', 'a.case_id')
    .select(['c.id', 'c.code', 'c.state', 'a.outcome'])
    .where('a.device_id', '=', deviceId)
    .orderBy('a.received_at')
    .execute();

describe('device authentication (401 before 400)', () => {
  let d: TestDevice;
  beforeAll(async () => {
    d = await createTestDevice(env.ctx);
  });

  it('refuses a request without the device headers: 401 DEVICE_AUTH_REQUIRED', async () => {
    for (const missing of ['x-device-id', 'x-timestamp', 'x-signature']) {
      const res = await signedPost(env, d, URL, alarmBody(env.ctx), { headers: { [missing]: undefined } });
      expect(res.statusCode, missing).toBe(401);
      expect(res.json().error.code).toBe('DEVICE_AUTH_REQUIRED');
    }
    const res = await signedPost(env, d, URL, alarmBody(env.ctx), { timestamp: '2026-12-01T02:00:00Z' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('DEVICE_AUTH_REQUIRED');
  });

  it('refuses an unknown device, a wrong signature and a deactivated device alike, and logs each', async () => {
    const other = await createTestDevice(env.ctx);
    const unknown = await signedPost(
      env,
      { code: 'NO-SUCH-DEVICE', secret: d.secret },
      URL,
      alarmBody(env.ctx),
    );
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.code).toBe('DEVICE_AUTH_FAILED');
    expect(await rejections('NO-SUCH-DEVICE')).toEqual([
      { reason: 'unknown_device', via: 'http', device_id: null },
    ]);

    // Signed with another device's secret.
    const wrong = await signedPost(env, { code: d.code, secret: other.secret }, URL, alarmBody(env.ctx));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('DEVICE_AUTH_FAILED');
    // The body changed after signing.
    const body = alarmBody(env.ctx);
    const ts = String(Math.floor(clock.now().getTime() / 1000));
    const sig = sign(d.secret, httpCanonical(ts, URL, Buffer.from(JSON.stringify(body))));
    const tampered = await signedPost(env, d, URL, null, {
      raw: JSON.stringify({ ...body, level: 5 }),
      timestamp: ts,
      headers: { 'x-signature': sig },
    });
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json().error.code).toBe('DEVICE_AUTH_FAILED');

    await env.ctx.database.db
      .updateTable('iot_devices')
      .set({ status: 'inactive' })
      .where('id', '=', other.id)
      .execute();
    const inactive = await signedPost(env, other, URL, alarmBody(env.ctx));
    expect(inactive.statusCode).toBe(401);
    expect(inactive.json().error.code).toBe('DEVICE_AUTH_FAILED');
    expect(inactive.json().error.message).toBe(wrong.json().error.message);

    // (The ISO timestamp of the test before was logged as malformed.)
    expect((await rejections(d.code)).map((r) => r.reason)).toEqual([
      'malformed',
      'bad_signature',
      'bad_signature',
    ]);
    expect(await rejections(other.code)).toEqual([
      { reason: 'inactive_device', via: 'http', device_id: other.id },
    ]);
    // Nothing was stored for any of them.
    expect(
      await env.ctx.database.db
        .selectFrom('iot_alarms')
        .select('id')
        .where('device_id', 'in', [d.id, other.id])
        .execute(),
    ).toEqual([]);
  });

  it('refuses a timestamp more than 5 minutes off: 401 DEVICE_CLOCK_SKEW', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    for (const ts of [now - 301, now + 301]) {
      const res = await signedPost(env, d, URL, alarmBody(env.ctx), { timestamp: String(ts) });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('DEVICE_CLOCK_SKEW');
    }
    // At the edge of the window it is still accepted.
    const edge = await signedPost(env, d, URL, alarmBody(env.ctx, { alarmType: 'fault' }), {
      timestamp: String(now - 300),
    });
    expect(edge.statusCode, edge.body).toBe(200);
    expect((await rejections(d.code)).filter((r) => r.reason === 'stale')).toHaveLength(2);
  });

  it('checks the body only after the device: 400 for bad JSON or fields, with the signature valid', async () => {
    const notJson = await signedPost(env, d, URL, null, { raw: '{"alarmType": "ammonia",' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('BAD_REQUEST');
    // Bad JSON from an unauthenticated sender is a 401: it learns nothing about the body.
    const anon = await signedPost(env, { code: d.code, secret: 'not-the-secret' }, URL, null, {
      raw: '{"alarmType": ',
    });
    expect(anon.statusCode).toBe(401);

    const bad = await signedPost(env, d, URL, { ...alarmBody(env.ctx), level: 9, extra: 1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    expect(
      bad
        .json()
        .error.details.map((x: { field: string }) => x.field)
        .sort(),
    ).toEqual(['extra', 'level']);

    const noType = await signedPost(env, d, URL, { at: clock.now().toISOString(), nonce: newNonce() });
    expect(noType.statusCode).toBe(400);
    expect(noType.json().error.details).toEqual([{ field: 'alarmType', message: '此项必填' }]);
  });

  it('accepts the previous secret for a while after a rotation, then no more', async () => {
    const admin = await createStaff(env, 'admin');
    const rotated = await as(env, admin).post(`/api/devices/${d.id}/rotate-secret`, {
      keepPreviousMinutes: 10,
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const fresh = rotated.json().secret as string;
    expect(fresh).not.toBe(d.secret);
    expect(
      (await signedPost(env, d, URL, { kind: 'heartbeat', at: clock.now().toISOString(), nonce: newNonce() }))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await signedPost(env, { code: d.code, secret: fresh }, URL, {
          kind: 'heartbeat',
          at: clock.now().toISOString(),
          nonce: newNonce(),
        })
      ).statusCode,
    ).toBe(200);
    clock.advance(11 * 60_000);
    const old = await signedPost(env, d, URL, {
      kind: 'heartbeat',
      at: clock.now().toISOString(),
      nonce: newNonce(),
    });
    expect(old.statusCode).toBe(401);
    d.secret = fresh;
  });
});

describe('alarms become cases through the one intake', () => {
  it('opens an event for the first alarm: channel iot, the rule’s category and urgency, the device’s grid', async () => {
    const d = await createTestDevice(env.ctx);
    const res = await signedPost(
      env,
      d,
      URL,
      alarmBody(env.ctx, { alarmType: 'ammonia', level: 4, value: 31.5, message: '男厕' }),
    );
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ outcome: 'opened', caseCode: expect.stringMatching(/^E\d{10}$/) });
    const c = await env.ctx.database.db
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', body.caseId)
      .executeTakeFirstOrThrow();
    expect(c).toMatchObject({
      type: 'event',
      channel: 'iot',
      state: 'reported',
      category_id: 'SR02',
      urgency: 'urgent', // the level-4 rule, not the level-2 one
      grid_id: d.gridId,
      village_id: d.villageId,
      lon: d.lon,
      lat: d.lat,
      reporter_user_id: null,
      idempotency_key: `iot:alarm:${body.alarmId}`,
    });
    expect(c.title).toBe(`公厕氨气浓度严重超标：${await deviceName(d.id)}`);
    expect(c.description).toContain('读数 31.5');
    expect(c.description).toContain('设备信息：男厕');
    const events = await env.ctx.database.db
      .selectFrom('case_events')
      .select(['action', 'actor_kind'])
      .where('case_id', '=', c.id)
      .execute();
    expect(events).toEqual([{ action: 'receive', actor_kind: 'system' }]);
  });

  it('folds repeats of the same alarm type into the open case, and opens another case for another type', async () => {
    const d = await createTestDevice(env.ctx);
    const first = (await signedPost(env, d, URL, alarmBody(env.ctx))).json();
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      const again = await signedPost(env, d, URL, alarmBody(env.ctx, { level: 2 + i }));
      expect(again.json()).toMatchObject({
        outcome: 'folded',
        caseId: first.caseId,
        caseCode: first.caseCode,
      });
    }
    const other = (
      await signedPost(env, d, URL, alarmBody(env.ctx, { alarmType: 'paper_out', level: 1 }))
    ).json();
    expect(other.outcome).toBe('opened');
    expect(other.caseId).not.toBe(first.caseId);
    expect(await casesOf(d.id)).toHaveLength(5);
    const cases = await env.ctx.database.db
      .selectFrom('cases')
      .select('id')
      .where('idempotency_key', 'like', 'iot:alarm:%')
      .where('id', 'in', [first.caseId, other.caseId])
      .execute();
    expect(cases).toHaveLength(2);

    // The folded alarms are the case's IoT history, for anyone who can see the case.
    const dispatcher = await createStaff(env, 'county_dispatcher');
    const history = await as(env, dispatcher).get(`/api/iot/cases/${first.caseId}/alarms`);
    expect(history.statusCode, history.body).toBe(200);
    expect(history.json().items.map((a: { outcome: string; level: number }) => [a.outcome, a.level])).toEqual(
      [
        ['opened', 3],
        ['folded', 2],
        ['folded', 3],
        ['folded', 4],
      ],
    );
  });

  it('refuses a replayed nonce with 409 DEVICE_REPLAY, logs it, and changes nothing', async () => {
    const d = await createTestDevice(env.ctx);
    const body = alarmBody(env.ctx);
    const first = await signedPost(env, d, URL, body);
    expect(first.json().outcome).toBe('opened');
    const before = await casesOf(d.id);
    clock.advance(30_000);
    const replay = await signedPost(env, d, URL, body);
    expect(replay.statusCode).toBe(409);
    expect(replay.json().error.code).toBe('DEVICE_REPLAY');
    expect(await casesOf(d.id)).toEqual(before);
    expect((await rejections(d.code)).map((r) => r.reason)).toEqual(['replayed']);
  });

  it('ignores an alarm below every rule’s level or of a type without a rule (recorded, no case)', async () => {
    const d = await createTestDevice(env.ctx);
    const low = await signedPost(env, d, URL, alarmBody(env.ctx, { alarmType: 'ammonia', level: 1 }));
    expect(low.json()).toMatchObject({ outcome: 'ignored', caseId: null });
    const unknown = await signedPost(env, d, URL, alarmBody(env.ctx, { alarmType: 'door_open' }));
    expect(unknown.json()).toMatchObject({ outcome: 'ignored', caseId: null });
    expect(await casesOf(d.id)).toEqual([]);
  });

  it('a heartbeat keeps the device online and makes no case', async () => {
    const d = await createTestDevice(env.ctx);
    const res = await signedPost(env, d, URL, {
      kind: 'heartbeat',
      at: clock.now().toISOString(),
      nonce: newNonce(),
    });
    expect(res.json()).toEqual({ outcome: 'heartbeat', alarmId: null, caseId: null, caseCode: null });
    const row = await env.ctx.database.db
      .selectFrom('iot_devices')
      .select('last_seen_at')
      .where('id', '=', d.id)
      .executeTakeFirstOrThrow();
    expect(row.last_seen_at).toEqual(clock.now());
  });
});

describe('recoveries', () => {
  it('with a rule that does not close: noted on the open case, which stays open', async () => {
    const d = await createTestDevice(env.ctx);
    const opened = (
      await signedPost(env, d, URL, alarmBody(env.ctx, { alarmType: 'water_leak', level: 1 }))
    ).json();
    const rec = await signedPost(
      env,
      d,
      URL,
      alarmBody(env.ctx, { kind: 'recovery', alarmType: 'water_leak' }),
    );
    expect(rec.json()).toMatchObject({ outcome: 'recovered', caseId: opened.caseId });
    const c = await caseRow(opened.caseId);
    expect(c.state).toBe('reported');
  });

  it('with nothing open: recorded only', async () => {
    const d = await createTestDevice(env.ctx);
    const rec = await signedPost(env, d, URL, alarmBody(env.ctx, { kind: 'recovery', alarmType: 'ammonia' }));
    expect(rec.json()).toMatchObject({ outcome: 'recorded', caseId: null });
  });

  it('with a closing rule: closes the case through the engine as the system (auto_close)', async () => {
    const d = await createTestDevice(env.ctx);
    const opened = (await signedPost(env, d, URL, alarmBody(env.ctx))).json();
    clock.advance(5 * 60_000);
    const rec = await signedPost(env, d, URL, alarmBody(env.ctx, { kind: 'recovery', alarmType: 'ammonia' }));
    expect(rec.json()).toMatchObject({ outcome: 'closed', caseId: opened.caseId });
    const c = await caseRow(opened.caseId);
    expect(c.state).toBe('closed');
    const events = await env.ctx.database.db
      .selectFrom('case_events')
      .select(['action', 'actor_kind', 'to_state'])
      .where('case_id', '=', c.id)
      .orderBy('seq')
      .execute();
    expect(events).toEqual([
      { action: 'receive', actor_kind: 'system', to_state: 'reported' },
      { action: 'auto_close', actor_kind: 'system', to_state: 'closed' },
    ]);
    // The next alarm of that type opens a new case: the old one has ended.
    const next = (await signedPost(env, d, URL, alarmBody(env.ctx))).json();
    expect(next.outcome).toBe('opened');
    expect(next.caseId).not.toBe(opened.caseId);
  });
});

async function caseRow(id: string) {
  return env.ctx.database.db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}
async function deviceName(id: string) {
  return (
    await env.ctx.database.db
      .selectFrom('iot_devices')
      .select('name')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  ).name;
}
