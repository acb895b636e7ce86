/**
 * The IoT simulator (`gongzhi simulate iot`): drives devices over MQTT as real ones would — a
 * heartbeat from each device every round, now and then an alarm of a type its rules know, and
 * later its recovery — every message signed with the device's secret.
 */
import type { IotDeviceType } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { DEFAULT_RULES, OFFLINE } from './rules.ts';
import { deviceTopic, newNonce, type SignedFields, signedPayload } from './signing.ts';

export interface SimDevice {
  code: string;
  type: IotDeviceType;
  secret: string;
}

export interface SimulateOptions {
  url: string;
  prefix: string;
  countyCode: string;
  devices: readonly SimDevice[];
  /** Rounds to play; 0 plays until `signal` aborts. */
  rounds: number;
  /** Pause between rounds. */
  intervalMs: number;
  /** Chance per device and round of a new alarm (default 0.05). */
  alarmChance?: number;
  /** Chance per open alarm and round of its recovery (default 0.3). */
  recoveryChance?: number;
  /** Random numbers in [0, 1) (default Math.random); a seeded one makes a run repeatable. */
  random?: () => number;
  /** Time written in `at` (default the machine's clock). */
  clock?: Clock;
  signal?: AbortSignal;
  /** One line per alarm and recovery, and one per round. */
  log?: (line: string) => void;
}

export interface SimulateResult {
  rounds: number;
  heartbeats: number;
  alarms: number;
  recoveries: number;
  /** What was published, in order (topic and nonce), for checking. */
  published: { topic: string; nonce: string }[];
}

/** Alarm types (and the level that raises a case) a device of this type may report. */
function alarmTypesOf(type: IotDeviceType): { alarmType: string; level: number; label: string }[] {
  const seen = new Map<string, { alarmType: string; level: number; label: string }>();
  for (const r of DEFAULT_RULES) {
    if (r.deviceType !== type || r.alarmType === OFFLINE || seen.has(r.alarmType)) continue;
    seen.set(r.alarmType, { alarmType: r.alarmType, level: r.minLevel, label: r.label });
  }
  return [...seen.values()];
}

/** Readings that look like the alarm (ammonia in ppm, PM2.5 in µg/m³, …). */
function readingFor(alarmType: string, random: () => number): number | undefined {
  const r = (lo: number, hi: number) => Math.round((lo + random() * (hi - lo)) * 10) / 10;
  switch (alarmType) {
    case 'ammonia':
      return r(1.5, 8);
    case 'pm25':
      return r(115, 300);
    case 'dust':
      return r(0.8, 3);
    case 'noise':
      return r(70, 95);
    case 'high_water':
      return r(19.5, 23);
    default:
      return undefined;
  }
}

/** Plays the simulation; resolves with what was published. */
export async function simulateIot(opts: SimulateOptions): Promise<SimulateResult> {
  const random = opts.random ?? Math.random;
  const now = () => (opts.clock ?? { now: () => new Date() }).now();
  const alarmChance = opts.alarmChance ?? 0.05;
  const recoveryChance = opts.recoveryChance ?? 0.3;
  const log = opts.log ?? (() => {});
  const client = await connectOrFail(opts.url);
  const result: SimulateResult = { rounds: 0, heartbeats: 0, alarms: 0, recoveries: 0, published: [] };
  const open = new Map<string, Set<string>>();
  const publish = async (
    d: SimDevice,
    kind: 'alarm' | 'recovery' | 'heartbeat',
    fields: Omit<SignedFields, 'at' | 'nonce'>,
  ) => {
    const topic = deviceTopic(opts.prefix, opts.countyCode, d.code, kind);
    const f: SignedFields = { ...fields, at: now().toISOString(), nonce: newNonce() };
    await client.publishAsync(topic, signedPayload(topic, d.secret, f), { qos: 1 });
    result.published.push({ topic, nonce: f.nonce });
  };
  try {
    while ((opts.rounds === 0 || result.rounds < opts.rounds) && !opts.signal?.aborted) {
      for (const d of opts.devices) {
        await publish(d, 'heartbeat', {});
        result.heartbeats++;
        const active = open.get(d.code) ?? new Set<string>();
        open.set(d.code, active);
        for (const alarmType of [...active]) {
          if (random() >= recoveryChance) continue;
          await publish(d, 'recovery', { alarmType, message: '恢复正常' });
          active.delete(alarmType);
          result.recoveries++;
          log(`恢复 recovery  ${d.code} ${alarmType}`);
        }
        const choices = alarmTypesOf(d.type).filter((a) => !active.has(a.alarmType));
        if (choices.length && random() < alarmChance) {
          const a = choices[Math.floor(random() * choices.length)]!;
          const level = Math.min(5, a.level + (random() < 0.3 ? 1 : 0));
          const value = readingFor(a.alarmType, random);
          await publish(d, 'alarm', {
            alarmType: a.alarmType,
            level,
            ...(value !== undefined ? { value } : {}),
            message: `模拟报警：${a.label}`,
          });
          active.add(a.alarmType);
          result.alarms++;
          log(`报警 alarm     ${d.code} ${a.alarmType} 级别 level ${level}`);
        }
      }
      result.rounds++;
      log(
        `第 ${result.rounds} 轮 round: ${opts.devices.length} 台设备心跳 heartbeats; ` +
          `累计 total ${result.alarms} 报警 alarms, ${result.recoveries} 恢复 recoveries`,
      );
      if (opts.rounds !== 0 && result.rounds >= opts.rounds) break;
      await sleep(opts.intervalMs, opts.signal);
    }
  } finally {
    await client.endAsync();
  }
  return result;
}

/** Connects once; a broker that cannot be reached is an error, not an endless retry. */
async function connectOrFail(url: string) {
  // Loaded on use: the server bundle holds this command too, and should not load mqtt at start.
  const { connect } = await import('mqtt');
  const client = connect(url, {
    protocolVersion: 5,
    clientId: `gongzhi-sim-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (err) => reject(err));
    client.once('close', () =>
      reject(new Error(`无法连接 MQTT 服务器 / cannot reach the MQTT broker: ${url}`)),
    );
  });
  return client;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
