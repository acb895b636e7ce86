/**
 * IoT alarms over MQTT, against the real Mosquitto broker (mqtt://127.0.0.1:1883, or MQTT_TEST_URL)
 * with a topic prefix of this file's own: alarms become cases, repeats fold, refusals are logged,
 * two bridges in the shared subscription handle each message once, and the simulator's messages
 * are accepted. Tests wait on the bridge's "handled" callback, never on time.
 */
import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { TEST_ENGINE } from '../../../test/db.ts';
import { COUNTY } from '../../../test/factories.ts';
import type { AppContext } from '../../context.ts';
import { type Database, openDatabase } from '../../db/database.ts';
import { FixedClock } from '../../lib/clock.ts';
import type { MqttOutcome } from './ingest.service.ts';
import { createTestDevice, isoNow, type TestDevice } from './iot.fixtures.ts';
import { type MqttBridge, startMqttBridge } from './mqtt.bridge.ts';
import { deviceTopic, newNonce, type SignedFields, signedPayload } from './signing.ts';
import { simulateIot } from './simulator.ts';

const BROKER = process.env.MQTT_TEST_URL ?? 'mqtt://127.0.0.1:1883';
/** This file's own topic space: nothing else publishes or subscribes here. */
const PREFIX = `gztest/${randomBytes(4).toString('hex')}`;

let env: TestEnv;
let clock: FixedClock;
let publisher: MqttClient;

/** Messages handled by bridges, in order, with which bridge handled them. */
const handled: { bridge: string; topic: string; outcome: MqttOutcome }[] = [];
const waiters: { n: number; resolve: () => void }[] = [];
function record(bridge: string) {
  return (e: { topic: string; outcome: MqttOutcome }) => {
    handled.push({ bridge, ...e });
    for (const w of [...waiters]) {
      if (handled.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
}
/** Resolves when `count` more messages than now have been handled (the test timeout bounds it). */
function handledMore(count: number): Promise<typeof handled> {
  const n = handled.length + count;
  return new Promise((resolve) => {
    if (handled.length >= n) resolve(handled.slice(n - count, n));
    else waiters.push({ n, resolve: () => resolve(handled.slice(n - count, n)) });
  });
}

let bridgeA: MqttBridge;

async function publish(
  d: { code: string; secret: string },
  kind: 'alarm' | 'recovery' | 'heartbeat',
  f: Partial<SignedFields> = {},
) {
  const topic = deviceTopic(PREFIX, COUNTY, d.code, kind);
  const fields: SignedFields = { at: isoNow(env.ctx), nonce: newNonce(), ...f };
  await publisher.publishAsync(topic, signedPayload(topic, d.secret, fields), { qos: 1 });
  return { topic, fields };
}

beforeAll(async () => {
  env = await createTestEnv();
  clock = new FixedClock(new Date('2026-12-02T01:00:00Z'));
  env.ctx.clock = clock;
  bridgeA = await startMqttBridge(env.ctx, {
    url: BROKER,
    prefix: PREFIX,
    countyCode: COUNTY,
    onHandled: record('A'),
  });
  await bridgeA.ready;
  publisher = connect(BROKER, {
    protocolVersion: 5,
    clientId: `gztest-pub-${randomBytes(4).toString('hex')}`,
  });
  await new Promise<void>((resolve, reject) => {
    publisher.once('connect', () => resolve());
    publisher.once('error', reject);
  });
});
afterAll(async () => {
  await publisher?.endAsync();
  await bridgeA?.stop();
  await env.close();
});

const alarmsOf = (deviceId: string) =>
  env.ctx.database.db
    .selectFrom('iot_alarms')
    .select(['outcome', 'case_id', 'via', 'nonce'])
    .where('device_id', '=', deviceId)
    .orderBy('received_at')
    .orderBy('id')
    .execute();

describe('alarms over MQTT', () => {
  let d: TestDevice;
  beforeAll(async () => {
    d = await createTestDevice(env.ctx, { type: 'smoke_sensor' });
  });

  it('an alarm becomes an event through the one intake (channel iot, the rule’s category, emergency)', async () => {
    const done = handledMore(1);
    await publish(d, 'alarm', { alarmType: 'smoke', level: 3, value: 0.42, message: '二楼走廊' });
    const [h] = await done;
    expect(h!.outcome).toMatchObject({ ok: true, result: { outcome: 'opened' } });
    const caseId = (h!.outcome as { ok: true; result: { caseId: string } }).result.caseId;
    const c = await env.ctx.database.db
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', caseId)
      .executeTakeFirstOrThrow();
    expect(c).toMatchObject({
      type: 'event',
      channel: 'iot',
      category_id: 'GA03',
      urgency: 'emergency',
      grid_id: d.gridId,
      state: 'reported',
    });
    expect(c.description).toContain('二楼走廊');
  });

  it('repeats of the alarm fold into the open case — a flapping device makes one case', async () => {
    const done = handledMore(5);
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      await publish(d, 'alarm', { alarmType: 'smoke', level: 2 });
    }
    const results = await done;
    expect(
      results.map((r) => (r.outcome as { ok: true; result: { outcome: string } }).result.outcome),
    ).toEqual(['folded', 'folded', 'folded', 'folded', 'folded']);
    const rows = await alarmsOf(d.id);
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.case_id)).size).toBe(1);
    expect(rows.every((r) => r.via === 'mqtt')).toBe(true);
  });

  it('refuses and logs a bad signature, an unknown device, a replayed nonce, a stale time and junk', async () => {
    const other = await createTestDevice(env.ctx, { type: 'smoke_sensor' });
    const done = handledMore(5);
    // Signed with another device's secret.
    await publish({ code: d.code, secret: other.secret }, 'alarm', { alarmType: 'smoke', level: 5 });
    // A device nobody registered.
    await publish({ code: 'GHOST-1', secret: 'x' }, 'alarm', { alarmType: 'smoke', level: 5 });
    // The same message twice: the second is a replay.
    const { topic, fields } = await publish(other, 'alarm', { alarmType: 'low_battery', level: 1 });
    await publisher.publishAsync(topic, signedPayload(topic, other.secret, fields), { qos: 1 });
    // Time 6 minutes behind the server.
    await publish(other, 'heartbeat', { at: isoNow(env.ctx, -6 * 60_000) });
    const results = await done;
    expect(results.map((r) => r.outcome)).toEqual([
      { ok: false, reason: 'bad_signature' },
      { ok: false, reason: 'unknown_device' },
      { ok: true, result: expect.objectContaining({ outcome: 'opened' }) },
      { ok: false, reason: 'replayed' },
      { ok: false, reason: 'stale' },
    ]);
    const junk = handledMore(2);
    await publisher.publishAsync(deviceTopic(PREFIX, COUNTY, other.code, 'alarm'), 'not json', { qos: 1 });
    await publisher.publishAsync(`${PREFIX}/${COUNTY}/devices/${other.code}/reboot`, '{}', { qos: 1 });
    expect((await junk).map((r) => r.outcome)).toEqual([
      { ok: false, reason: 'malformed' },
      { ok: false, reason: 'malformed' },
    ]);
    const log = await env.ctx.database.db
      .selectFrom('iot_rejections')
      .select(['reason', 'device_code', 'via'])
      .where('via', '=', 'mqtt')
      .orderBy('id')
      .execute();
    expect(log).toEqual([
      { reason: 'bad_signature', device_code: d.code, via: 'mqtt' },
      { reason: 'unknown_device', device_code: 'GHOST-1', via: 'mqtt' },
      { reason: 'replayed', device_code: other.code, via: 'mqtt' },
      { reason: 'stale', device_code: other.code, via: 'mqtt' },
      { reason: 'malformed', device_code: other.code, via: 'mqtt' },
      { reason: 'malformed', device_code: other.code, via: 'mqtt' },
    ]);
    // The bad signature changed nothing on the device it named.
    expect(await alarmsOf(d.id)).toHaveLength(6);
  });

  it('a recovery over MQTT is noted on the open case (smoke stays open for people to check)', async () => {
    const done = handledMore(1);
    await publish(d, 'recovery', { alarmType: 'smoke' });
    const [h] = await done;
    expect(h!.outcome).toMatchObject({ ok: true, result: { outcome: 'recovered' } });
  });
});

describe('several app processes', () => {
  /** A second app process: its own context (own pool on PostgreSQL) and its own bridge. */
  let ctxB: AppContext;
  let ownPool: Database | undefined;
  let bridgeB: MqttBridge;
  beforeAll(async () => {
    const url = (env.ctx.database as Database & { url?: string }).url;
    if (TEST_ENGINE === 'postgres') {
      ownPool = await openDatabase({ databaseUrl: url!, poolSize: 4 });
      ctxB = { ...env.ctx, database: ownPool };
    } else {
      ctxB = env.ctx;
    }
    bridgeB = await startMqttBridge(ctxB, {
      url: BROKER,
      prefix: PREFIX,
      countyCode: COUNTY,
      onHandled: record('B'),
    });
    await bridgeB.ready;
  });
  afterAll(async () => {
    await bridgeB?.stop();
    await ownPool?.close();
  });

  it('share the subscription: each of 20 alarms is handled by one of them, and one case per device', async () => {
    const devices = [
      await createTestDevice(env.ctx),
      await createTestDevice(env.ctx),
      await createTestDevice(env.ctx),
      await createTestDevice(env.ctx),
    ];
    const done = handledMore(20);
    for (let i = 0; i < 20; i++) {
      await publish(devices[i % 4]!, 'alarm', { alarmType: 'ammonia', level: 3 });
    }
    const results = await done;
    expect(results.every((r) => r.outcome.ok)).toBe(true);
    // Every message exactly once (no message handled by both) — and both processes took part.
    const nonces = results.map((r) => r.topic);
    expect(nonces).toHaveLength(20);
    expect(new Set(results.map((r) => r.bridge))).toEqual(new Set(['A', 'B']));
    for (const dev of devices) {
      const rows = await alarmsOf(dev.id);
      expect(rows).toHaveLength(5);
      expect(rows.filter((r) => r.outcome === 'opened')).toHaveLength(1);
      expect(rows.filter((r) => r.outcome === 'folded')).toHaveLength(4);
      expect(new Set(rows.map((r) => r.case_id)).size).toBe(1);
    }
  });
});

describe('the simulator', () => {
  it('publishes heartbeats, alarms and recoveries that the bridge accepts', async () => {
    const devices = [
      await createTestDevice(env.ctx, { type: 'smart_toilet' }),
      await createTestDevice(env.ctx, { type: 'environment_sensor' }),
      await createTestDevice(env.ctx, { type: 'smoke_sensor' }),
    ];
    // A seeded generator: every device alarms in the first round and recovers in the second.
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const before = handled.length;
    const r = await simulateIot({
      url: BROKER,
      prefix: PREFIX,
      countyCode: COUNTY,
      devices: devices.map((d) => ({ code: d.code, type: d.type, secret: d.secret })),
      rounds: 3,
      intervalMs: 0,
      alarmChance: 1,
      recoveryChance: 1,
      random,
      clock: env.ctx.clock,
    });
    expect(r.rounds).toBe(3);
    expect(r.heartbeats).toBe(9);
    expect(r.alarms).toBeGreaterThanOrEqual(3);
    expect(r.recoveries).toBeGreaterThanOrEqual(3);
    const total = r.heartbeats + r.alarms + r.recoveries;
    expect(r.published).toHaveLength(total);
    if (handled.length - before < total) await handledMore(total - (handled.length - before));
    const mine = handled.slice(before, before + total);
    expect(mine.filter((h) => !h.outcome.ok)).toEqual([]);
    const outcomes = mine.map((h) => (h.outcome as { ok: true; result: { outcome: string } }).result.outcome);
    expect(outcomes.filter((o) => o === 'heartbeat')).toHaveLength(9);
    expect(outcomes).toContain('opened');
    for (const d of devices) {
      const row = await env.ctx.database.db
        .selectFrom('iot_devices')
        .select('last_seen_at')
        .where('id', '=', d.id)
        .executeTakeFirstOrThrow();
      expect(row.last_seen_at).toEqual(clock.now());
    }
  });
});
