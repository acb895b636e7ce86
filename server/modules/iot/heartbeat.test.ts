/**
 * The heartbeat monitor: a device silent for more than 3× its interval raises one "设备离线" event
 * through the one intake — exactly once, also with two monitors at once (a second context with its
 * own pool on PostgreSQL); back online it is noted as a recovery; silent again while the event is
 * open, it folds into it. Alarms a crash left unfinished are finished. Time is a FixedClock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { TEST_ENGINE } from '../../../test/db.ts';
import type { AppContext } from '../../context.ts';
import { type Database, openDatabase } from '../../db/database.ts';
import { FixedClock } from '../../lib/clock.ts';
import { unsafeFindDevice } from './devices.repository.ts';
import { raiseOfflineEvents } from './heartbeat.ts';
import { finishUnsettledAlarms, ingestHttp } from './ingest.service.ts';
import { alarmBody, createTestDevice, signedPost, type TestDevice } from './iot.fixtures.ts';
import { newNonce } from './signing.ts';

let env: TestEnv;
let clock: FixedClock;
let ctxB: AppContext;
let ownPool: Database | undefined;

beforeAll(async () => {
  env = await createTestEnv();
  clock = new FixedClock(new Date('2026-12-03T00:00:00Z'));
  env.ctx.clock = clock;
  const url = (env.ctx.database as Database & { url?: string }).url;
  if (TEST_ENGINE === 'postgres') {
    ownPool = await openDatabase({ databaseUrl: url!, poolSize: 4 });
    ctxB = { ...env.ctx, database: ownPool };
  } else {
    ctxB = env.ctx;
  }
});
afterAll(async () => {
  await ownPool?.close();
  await env.close();
});

const heartbeat = (d: TestDevice) =>
  signedPost(env, d, '/api/iot/alarms', {
    kind: 'heartbeat',
    at: clock.now().toISOString(),
    nonce: newNonce(),
  });

/** The offline alarms and the cases they made, for a device. */
const offlineOf = (deviceId: string) =>
  env.ctx.database.db
    .selectFrom('iot_alarms as a')
    .leftJoin('cases as c', 'c.id', 'a.case_id')
    .select(['a.kind', 'a.outcome', 'a.case_id', 'c.title', 'c.category_id', 'c.urgency', 'c.channel'])
    .where('a.device_id', '=', deviceId)
    .where('a.alarm_type', '=', 'offline')
    .orderBy('a.received_at')
    .orderBy('a.kind')
    .execute();

describe('heartbeat loss', () => {
  it('raises one offline event after 3× the interval — not before, and not again', async () => {
    const d = await createTestDevice(env.ctx, { type: 'smart_toilet', heartbeatIntervalS: 60 });
    expect((await heartbeat(d)).statusCode).toBe(200);
    clock.advance(180_000); // exactly 3 intervals: not yet
    expect(await raiseOfflineEvents(env.ctx)).toBe(0);
    clock.advance(1000);
    expect(await raiseOfflineEvents(env.ctx)).toBe(1);
    expect(await raiseOfflineEvents(env.ctx)).toBe(0);
    clock.advance(3600_000);
    expect(await raiseOfflineEvents(env.ctx)).toBe(0);
    const rows = await offlineOf(d.id);
    expect(rows).toEqual([
      {
        kind: 'alarm',
        outcome: 'opened',
        case_id: expect.any(String),
        title: expect.stringMatching(/^公厕设备离线：/),
        category_id: 'SR02',
        urgency: 'normal',
        channel: 'iot',
      },
    ]);
    const device = await unsafeFindDevice(env.ctx.database.db, d.id);
    expect(device!.offline_at).not.toBeNull();
  });

  it('two monitors at once raise exactly one event per device', async () => {
    const devices: TestDevice[] = [];
    for (let i = 0; i < 6; i++) devices.push(await createTestDevice(env.ctx, { heartbeatIntervalS: 30 }));
    for (const d of devices) await heartbeat(d);
    clock.advance(91_000);
    const [a, b] = await Promise.all([raiseOfflineEvents(env.ctx), raiseOfflineEvents(ctxB)]);
    expect(a + b).toBe(6);
    for (const d of devices) {
      const rows = await offlineOf(d.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.outcome).toBe('opened');
    }
    const cases = await env.ctx.database.db
      .selectFrom('iot_alarms')
      .select('case_id')
      .where(
        'device_id',
        'in',
        devices.map((d) => d.id),
      )
      .execute();
    expect(new Set(cases.map((c) => c.case_id)).size).toBe(6);
    expect(await Promise.all([raiseOfflineEvents(env.ctx), raiseOfflineEvents(ctxB)])).toEqual([0, 0]);
  });

  it('back online closes the offline event (auto_close); silent again opens a new one', async () => {
    const d = await createTestDevice(env.ctx, { heartbeatIntervalS: 60 });
    await heartbeat(d);
    clock.advance(200_000);
    expect(await raiseOfflineEvents(env.ctx)).toBe(1);
    clock.advance(60_000);
    // Any signed message brings it back.
    expect((await heartbeat(d)).json().outcome).toBe('heartbeat');
    const device = await unsafeFindDevice(env.ctx.database.db, d.id);
    expect(device!.offline_at).toBeNull();
    clock.advance(200_000);
    expect(await raiseOfflineEvents(env.ctx)).toBe(1);
    const rows = await offlineOf(d.id);
    expect(rows.map((r) => [r.kind, r.outcome])).toEqual([
      ['alarm', 'opened'],
      // The offline rule closes on recovery: the system closes the event through the engine.
      ['recovery', 'closed'],
      ['alarm', 'opened'],
    ]);
    const cases = [...new Set(rows.map((r) => r.case_id))];
    expect(cases).toHaveLength(2);
    const states = await env.ctx.database.db
      .selectFrom('cases')
      .select(['id', 'state'])
      .where('id', 'in', cases as string[])
      .execute();
    expect(states.map((c) => c.state).sort()).toEqual(['closed', 'reported']);
  });

  it('leaves alone devices never heard from, and deactivated ones', async () => {
    const never = await createTestDevice(env.ctx, { heartbeatIntervalS: 10 });
    const off = await createTestDevice(env.ctx, { heartbeatIntervalS: 10 });
    await heartbeat(off);
    await env.ctx.database.db
      .updateTable('iot_devices')
      .set({ status: 'inactive' })
      .where('id', '=', off.id)
      .execute();
    clock.advance(3600_000);
    await raiseOfflineEvents(env.ctx);
    expect(await offlineOf(never.id)).toEqual([]);
    expect(await offlineOf(off.id)).toEqual([]);
  });

  it('a device type without an offline rule still raises its event (the built-in fallback)', async () => {
    await env.ctx.database.db
      .deleteFrom('iot_alarm_rules')
      .where('device_type', '=', 'water_level')
      .where('alarm_type', '=', 'offline')
      .execute();
    const d = await createTestDevice(env.ctx, { type: 'water_level', heartbeatIntervalS: 60 });
    await heartbeat(d);
    clock.advance(181_000);
    expect(await raiseOfflineEvents(env.ctx)).toBe(1);
    const [row] = await offlineOf(d.id);
    expect(row).toMatchObject({
      outcome: 'opened',
      category_id: 'QT04',
      title: expect.stringMatching(/^设备离线：/),
    });
  });
});

describe('unfinished alarms', () => {
  it('an alarm a crash left unfinished is finished by the monitor once — and its redelivery is not a replay', async () => {
    const d = await createTestDevice(env.ctx);
    const device = (await unsafeFindDevice(env.ctx.database.db, d.id))!;
    // As if the process died right after storing the alarm: nonce and alarm row, no case.
    const body = alarmBody(env.ctx, { alarmType: 'ammonia', level: 3 });
    await env.ctx.database.db
      .insertInto('iot_nonces')
      .values({ device_id: d.id, nonce: body.nonce, county_code: device.county_code, seen_at: clock.now() })
      .execute();
    const stored = await env.ctx.database.db
      .insertInto('iot_alarms')
      .values({
        county_code: device.county_code,
        device_id: d.id,
        kind: 'alarm',
        alarm_type: 'ammonia',
        level: 3,
        device_at: clock.now(),
        received_at: clock.now(),
        nonce: body.nonce,
        via: 'http',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    // Within the first minute the monitor leaves it to the process handling it.
    expect(await finishUnsettledAlarms(env.ctx)).toBe(0);
    // The device retries the same message: finished, not refused as a replay.
    const retry = await ingestHttp(env.ctx, device, body, 'test');
    expect(retry).toMatchObject({ outcome: 'opened', alarmId: stored.id });

    // Another one left unfinished is picked up after a minute, by one of two monitors.
    const body2 = alarmBody(env.ctx, { alarmType: 'paper_out', level: 1 });
    await env.ctx.database.db
      .insertInto('iot_alarms')
      .values({
        county_code: device.county_code,
        device_id: d.id,
        kind: 'alarm',
        alarm_type: 'paper_out',
        level: 1,
        device_at: clock.now(),
        received_at: clock.now(),
        nonce: body2.nonce,
        via: 'mqtt',
      })
      .execute();
    clock.advance(61_000);
    const [a, b] = await Promise.all([finishUnsettledAlarms(env.ctx), finishUnsettledAlarms(ctxB)]);
    expect(a + b).toBe(1);
    const rows = await env.ctx.database.db
      .selectFrom('iot_alarms')
      .select(['alarm_type', 'outcome', 'case_id'])
      .where('device_id', '=', d.id)
      .orderBy('alarm_type')
      .execute();
    expect(rows.map((r) => [r.alarm_type, r.outcome])).toEqual([
      ['ammonia', 'opened'],
      ['paper_out', 'opened'],
    ]);
    expect(rows.every((r) => r.case_id)).toBe(true);
  });

  it('a second alarm arriving while the first is still opening its case folds into that case', async () => {
    const d = await createTestDevice(env.ctx);
    const device = (await unsafeFindDevice(env.ctx.database.db, d.id))!;
    const first = alarmBody(env.ctx, { alarmType: 'ammonia', level: 3 });
    const second = alarmBody(env.ctx, { alarmType: 'ammonia', level: 2 });
    const [r1, r2] = await Promise.all([
      ingestHttp(env.ctx, device, first, 'test'),
      ingestHttp(ctxB, device, second, 'test'),
    ]);
    expect([r1.outcome, r2.outcome].sort()).toEqual(['folded', 'opened']);
    expect(r1.caseId).toBe(r2.caseId);
  });
});

describe('HTTP heartbeats', () => {
  it('keep a device online (no event while it beats in time)', async () => {
    const d = await createTestDevice(env.ctx, { heartbeatIntervalS: 60 });
    for (let i = 0; i < 5; i++) {
      await heartbeat(d);
      clock.advance(150_000);
      expect(await raiseOfflineEvents(env.ctx)).toBe(0);
    }
    expect(await offlineOf(d.id)).toEqual([]);
  });
});
