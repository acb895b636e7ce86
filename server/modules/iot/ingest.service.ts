/**
 * What happens to a signed device message, whichever way it came (MQTT, HTTP, camera webhook, or
 * the heartbeat monitor itself):
 *
 * 1. the nonce is recorded with the alarm in one transaction (a replay is refused; a redelivery of
 *    an alarm that a crash left unfinished is finished instead), and the device is seen alive;
 * 2. an alarm joins the open case of its device and alarm type (folded: stored here as the case's
 *    alarm history), or — when nothing is open and a rule applies — opens a new case through
 *    `receiveCase`, keyed by the alarm's id;
 * 3. a recovery is noted on the open case and, when the rule says so, closes it through the engine.
 *
 * Every step is idempotent and claims its row with a conditional write, so any number of app
 * processes may handle messages at once and a redelivered message never makes a second case.
 */
import type { Kysely } from 'kysely';
import { Value } from 'typebox/value';
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import type { CaseRow, DB, IotAlarmOutcome, IotRejectionReason } from '../../db/schema.ts';
import { perform } from '../../engine/engine.ts';
import { type IntakeInput, receiveCase } from '../../engine/intake.ts';
import { workflowOf } from '../../engine/registry.ts';
import { AppError } from '../../lib/errors.ts';
import {
  type AlarmRow,
  type DeviceRow,
  findRule,
  rulesFor,
  unsafeFindDevice,
  unsafeFindDeviceByCode,
} from './devices.repository.ts';
import { MqttPayload } from './iot.schemas.ts';
import { DEVICE_TYPE_LABELS, OFFLINE, OFFLINE_FALLBACK, pickRule } from './rules.ts';
import { httpCanonical, mqttCanonical, parseAt, signatureMatches, withinWindow } from './signing.ts';

export type MessageKind = 'alarm' | 'recovery' | 'heartbeat';
export type Via = 'mqtt' | 'http' | 'camera' | 'monitor';

/** A message from a device, after its signature was checked. */
export interface DeviceMessage {
  kind: MessageKind;
  alarmType?: string | undefined;
  level?: number | undefined;
  value?: number | string | undefined;
  message?: string | undefined;
  at: Date;
  nonce: string;
  lon?: number | undefined;
  lat?: number | undefined;
  attachmentId?: string | undefined;
}

/** What became of a message. */
export interface IngestResult {
  outcome: 'heartbeat' | IotAlarmOutcome;
  alarmId: string | null;
  caseId: string | null;
  caseCode: string | null;
}

/** A message refused before it had any effect; the reason is logged for admins. */
export class Refused extends Error {
  constructor(readonly reason: IotRejectionReason) {
    super(`iot message refused: ${reason}`);
  }
}

/** How the rule that opened a case reads here (a rule row, or the built-in offline fallback). */
interface Rule {
  id: string | null;
  label: string;
  categoryId: string;
  urgency: 'normal' | 'urgent' | 'emergency';
  recoveryCloses: boolean;
}

// ── refusals ─────────────────────────────────────────────────────────────────────────────────────

/** Logs a refused message: a row for admins (`/api/iot/rejections`) and a warning in the log. */
export async function logRejection(
  ctx: AppContext,
  r: {
    countyCode: string;
    via: 'mqtt' | 'http' | 'camera';
    reason: IotRejectionReason;
    deviceCode?: string | undefined;
    deviceId?: string | undefined;
    source?: string | undefined;
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  ctx.log.warn(
    { via: r.via, reason: r.reason, device: r.deviceCode, source: r.source, ...r.detail },
    'iot message refused',
  );
  await ctx.database.db
    .insertInto('iot_rejections')
    .values({
      county_code: r.countyCode,
      received_at: ctx.clock.now(),
      via: r.via,
      reason: r.reason,
      device_code: r.deviceCode?.slice(0, 100) ?? null,
      device_id: r.deviceId ?? null,
      source: r.source?.slice(0, 300) ?? null,
      detail: JSON.stringify(r.detail ?? {}),
    })
    .execute();
}

/** The device's secrets that may sign now: the current one, and the previous one during its grace. */
function secretsOf(ctx: AppContext, d: DeviceRow): string[] {
  const out = [ctx.cipher.decrypt(d.secret_enc)];
  if (d.previous_secret_enc && d.previous_secret_until && d.previous_secret_until > ctx.clock.now()) {
    out.push(ctx.cipher.decrypt(d.previous_secret_enc));
  }
  return out;
}

/** Whether one of the device's secrets signed the data. */
export function signedBy(ctx: AppContext, d: DeviceRow, data: string | Buffer, signature: string): boolean {
  // Every candidate is checked (no early exit), so timing does not tell which one matched.
  return secretsOf(ctx, d)
    .map((s) => signatureMatches(s, data, signature))
    .some(Boolean);
}

// ── HTTP ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * Authenticates a signed HTTP request (alarms, camera events): `X-Device-Id`, `X-Timestamp` (Unix
 * seconds within 5 minutes of the server) and `X-Signature` = HMAC over timestamp, path and the raw
 * body. Throws 401 (`DEVICE_AUTH_REQUIRED`, `DEVICE_AUTH_FAILED`, `DEVICE_CLOCK_SKEW`) after logging;
 * unknown device, wrong secret and deactivated device look the same from outside.
 */
export async function authenticateRequest(
  ctx: AppContext,
  req: {
    deviceCode: string | undefined;
    timestamp: string | undefined;
    signature: string | undefined;
    path: string;
    body: Buffer;
    via: 'http' | 'camera';
    source: string;
  },
): Promise<DeviceRow> {
  const county = ctx.config.countyCode;
  if (!req.deviceCode || !req.timestamp || !req.signature) {
    ctx.log.warn({ via: req.via, source: req.source }, 'iot request without device credentials');
    throw new AppError('DEVICE_AUTH_REQUIRED');
  }
  const refuse = async (reason: IotRejectionReason, deviceId?: string, detail?: Record<string, unknown>) => {
    await logRejection(ctx, {
      countyCode: county,
      via: req.via,
      reason,
      deviceCode: req.deviceCode,
      deviceId,
      source: req.source,
      ...(detail ? { detail } : {}),
    });
  };
  if (!/^[0-9]{9,11}$/.test(req.timestamp)) {
    await refuse('malformed', undefined, { problem: 'X-Timestamp must be Unix seconds' });
    throw new AppError('DEVICE_AUTH_REQUIRED', { message: 'X-Timestamp 须为 Unix 秒数' });
  }
  const device = /^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$/.test(req.deviceCode)
    ? await unsafeFindDeviceByCode(ctx.database.db, county, req.deviceCode)
    : undefined;
  if (!device) {
    await refuse('unknown_device');
    throw new AppError('DEVICE_AUTH_FAILED');
  }
  if (!signedBy(ctx, device, httpCanonical(req.timestamp, req.path, req.body), req.signature)) {
    await refuse('bad_signature', device.id);
    throw new AppError('DEVICE_AUTH_FAILED');
  }
  if (device.status !== 'active') {
    await refuse('inactive_device', device.id);
    throw new AppError('DEVICE_AUTH_FAILED');
  }
  const sent = new Date(Number(req.timestamp) * 1000);
  if (!withinWindow(sent, ctx.clock.now())) {
    await refuse('stale', device.id, { timestamp: req.timestamp });
    throw new AppError('DEVICE_CLOCK_SKEW');
  }
  return device;
}

/**
 * Handles an authenticated HTTP message (an alarm, recovery or heartbeat). A reused nonce answers
 * 409 `DEVICE_REPLAY` and changes nothing.
 */
export async function ingestHttp(
  ctx: AppContext,
  device: DeviceRow,
  body: {
    kind?: MessageKind | undefined;
    alarmType?: string | undefined;
    level?: number | undefined;
    value?: number | string | undefined;
    message?: string | undefined;
    at: string;
    nonce: string;
  },
  source: string,
): Promise<IngestResult> {
  const kind = body.kind ?? 'alarm';
  const at = parseAt(body.at);
  const details: { field: string; message: string }[] = [];
  if (!at) details.push({ field: 'at', message: '时间格式不正确' });
  if (kind !== 'heartbeat' && !body.alarmType) details.push({ field: 'alarmType', message: '此项必填' });
  if (details.length) throw new AppError('VALIDATION_FAILED', { details });
  try {
    return await acceptMessage(ctx, device, { ...body, kind, at: at! }, 'http');
  } catch (err) {
    if (err instanceof Refused) {
      await logRejection(ctx, {
        countyCode: device.county_code,
        via: 'http',
        reason: err.reason,
        deviceCode: device.code,
        deviceId: device.id,
        source,
        detail: { nonce: body.nonce },
      });
      throw new AppError('DEVICE_REPLAY');
    }
    throw err;
  }
}

// ── MQTT ─────────────────────────────────────────────────────────────────────────────────────────

export type MqttOutcome = { ok: true; result: IngestResult } | { ok: false; reason: IotRejectionReason };

/**
 * Handles one MQTT message on `{prefix}/{county}/devices/{code}/{alarm|recovery|heartbeat}`. The
 * payload's `sig` covers the topic and every field (`mqttCanonical`); `at` must lie within 5
 * minutes of the server's clock. Refusals are logged and answered in the return value (MQTT has no
 * reply): a bad message never throws.
 */
export async function ingestMqtt(
  ctx: AppContext,
  m: { topic: string; payload: Buffer; prefix: string; countyCode: string },
): Promise<MqttOutcome> {
  const parts = m.topic.split('/');
  const prefixParts = m.prefix.split('/');
  const [county, devicesLevel, code, kind] = parts.slice(prefixParts.length);
  const refuse = async (
    reason: IotRejectionReason,
    device?: DeviceRow,
    detail?: Record<string, unknown>,
  ): Promise<MqttOutcome> => {
    await logRejection(ctx, {
      countyCode: m.countyCode,
      via: 'mqtt',
      reason,
      deviceCode: code,
      deviceId: device?.id,
      source: m.topic,
      ...(detail ? { detail } : {}),
    });
    return { ok: false, reason };
  };
  if (
    parts.length !== prefixParts.length + 4 ||
    parts.slice(0, prefixParts.length).join('/') !== m.prefix ||
    county !== m.countyCode ||
    devicesLevel !== 'devices' ||
    !code ||
    (kind !== 'alarm' && kind !== 'recovery' && kind !== 'heartbeat')
  ) {
    return refuse('malformed', undefined, { problem: 'topic' });
  }
  const device = await unsafeFindDeviceByCode(ctx.database.db, m.countyCode, code);
  if (!device) return refuse('unknown_device');
  let payload: unknown;
  try {
    payload = JSON.parse(m.payload.toString('utf8'));
  } catch {
    return refuse('malformed', device, { problem: 'not JSON' });
  }
  if (!Value.Check(MqttPayload, payload)) {
    const first = [...Value.Errors(MqttPayload, payload)][0];
    return refuse('malformed', device, { problem: 'payload', at: first?.instancePath ?? '' });
  }
  const p = payload as {
    alarmType?: string;
    level?: number;
    value?: number | string;
    message?: string;
    at: string;
    nonce: string;
    sig: string;
  };
  if (!signedBy(ctx, device, mqttCanonical(m.topic, p), p.sig)) return refuse('bad_signature', device);
  if (device.status !== 'active') return refuse('inactive_device', device);
  const at = parseAt(p.at);
  if (!at) return refuse('malformed', device, { problem: 'at' });
  if (!withinWindow(at, ctx.clock.now())) return refuse('stale', device, { at: p.at });
  if (kind !== 'heartbeat' && !p.alarmType) return refuse('malformed', device, { problem: 'alarmType' });
  try {
    const result = await acceptMessage(ctx, device, { ...p, kind, at }, 'mqtt');
    return { ok: true, result };
  } catch (err) {
    if (err instanceof Refused) return refuse(err.reason, device, { nonce: p.nonce });
    throw err;
  }
}

// ── the pipeline ─────────────────────────────────────────────────────────────────────────────────

/**
 * Accepts an authenticated message: records its nonce (and the alarm) and marks the device alive
 * in one transaction, then settles the alarm. A device that was offline comes back with a recovery
 * of its offline event. Throws `Refused('replayed')` for a nonce seen before.
 */
export async function acceptMessage(
  ctx: AppContext,
  device: DeviceRow,
  msg: DeviceMessage,
  via: Via,
): Promise<IngestResult> {
  const now = ctx.clock.now();
  const stored = await ctx.database.transaction(async (trx) => {
    const fresh = await trx
      .insertInto('iot_nonces')
      .values({ device_id: device.id, nonce: msg.nonce, county_code: device.county_code, seen_at: now })
      .onConflict((oc) => oc.columns(['device_id', 'nonce']).doNothing())
      .returning('nonce')
      .executeTakeFirst();
    if (!fresh) {
      // The same alarm again: if a crash left it unfinished, finish it; otherwise it is a replay.
      const unfinished =
        msg.kind === 'heartbeat'
          ? undefined
          : await trx
              .selectFrom('iot_alarms')
              .selectAll()
              .where('device_id', '=', device.id)
              .where('nonce', '=', msg.nonce)
              .where('outcome', '=', 'received')
              .executeTakeFirst();
      if (!unfinished) throw new Refused('replayed');
      return { alarm: unfinished, back: undefined };
    }
    const before = await trx
      .selectFrom('iot_devices')
      .select('offline_at')
      .where('id', '=', device.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('iot_devices')
      .set({ last_seen_at: now, offline_at: null })
      .where('id', '=', device.id)
      .execute();
    // Back online: the offline event's recovery, stored now so that a crash cannot lose it.
    const back = before.offline_at
      ? await insertAlarm(trx, device, {
          kind: 'recovery',
          alarmType: OFFLINE,
          at: now,
          nonce: `online:${before.offline_at.getTime()}`,
          message: '设备恢复在线',
          via: 'monitor',
          now,
        })
      : undefined;
    const alarm =
      msg.kind === 'heartbeat'
        ? undefined
        : await insertAlarm(trx, device, { ...msg, alarmType: msg.alarmType!, kind: msg.kind, via, now });
    return { alarm, back };
  });
  if (stored.back) await settleAlarm(ctx, device, stored.back);
  if (!stored.alarm) return { outcome: 'heartbeat', alarmId: null, caseId: null, caseCode: null };
  return settleAlarm(ctx, device, stored.alarm);
}

async function insertAlarm(
  trx: Kysely<DB>,
  device: DeviceRow,
  a: Omit<DeviceMessage, 'kind'> & { kind: 'alarm' | 'recovery'; alarmType: string; via: Via; now: Date },
): Promise<AlarmRow> {
  const row = await trx
    .insertInto('iot_alarms')
    .values({
      county_code: device.county_code,
      device_id: device.id,
      kind: a.kind,
      alarm_type: a.alarmType,
      level: a.level ?? null,
      value: a.value === undefined ? null : String(a.value),
      message: a.message ?? null,
      lon: a.lon ?? null,
      lat: a.lat ?? null,
      device_at: a.at,
      received_at: a.now,
      nonce: a.nonce,
      via: a.via,
      attachment_id: a.attachmentId ?? null,
    })
    // The monitor's own alarms (offline, back online) may be written twice by two processes.
    .onConflict((oc) => oc.columns(['device_id', 'nonce']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return (
    row ??
    (await trx
      .selectFrom('iot_alarms')
      .selectAll()
      .where('device_id', '=', device.id)
      .where('nonce', '=', a.nonce)
      .executeTakeFirstOrThrow())
  );
}

/**
 * Stores an alarm the server raises itself (the heartbeat monitor's offline event) and settles it.
 * The nonce makes it idempotent: raised twice, it is stored once.
 */
export async function raiseSystemAlarm(
  ctx: AppContext,
  trx: Kysely<DB>,
  device: DeviceRow,
  a: { kind: 'alarm' | 'recovery'; alarmType: string; nonce: string; message: string; at: Date },
): Promise<AlarmRow> {
  return insertAlarm(trx, device, { ...a, via: 'monitor', now: ctx.clock.now() });
}

/** Finishes an alarm: a recovery acts on the open case, an alarm joins it or opens one. */
export async function settleAlarm(
  ctx: AppContext,
  device: DeviceRow,
  alarm: AlarmRow,
): Promise<IngestResult> {
  if (alarm.outcome !== 'received') return resultOf(ctx.database.db, alarm);
  return alarm.kind === 'recovery' ? settleRecovery(ctx, device, alarm) : settleNewAlarm(ctx, device, alarm);
}

async function settleNewAlarm(ctx: AppContext, device: DeviceRow, alarm: AlarmRow): Promise<IngestResult> {
  const db = ctx.database.db;
  for (let attempt = 0; attempt < 5; attempt++) {
    const stream = await findStream(db, device.id, alarm.alarm_type);
    if (stream && stream.case_id === null) {
      // An opening in progress elsewhere, or cut short by a crash: finish it (same key, same case).
      const opened = await openStreamCase(ctx, device, stream);
      if (stream.opener_alarm_id === alarm.id) {
        return opened ? finish(db, alarm, 'opened', opened) : resultOf(db, alarm);
      }
      continue;
    }
    if (stream?.case_id) {
      const c = await caseById(db, stream.case_id);
      if (c && isOpen(c)) {
        return finish(db, alarm, stream.opener_alarm_id === alarm.id ? 'opened' : 'folded', c);
      }
    }
    // Nothing open: a rule decides whether this alarm opens a case.
    const rule = await matchRule(db, device, alarm.alarm_type, alarm.level);
    if (!rule) return finish(db, alarm, 'ignored', null, '没有适用的告警规则（报警类型或级别）');
    if (rule.id && alarm.rule_id !== rule.id) {
      await db.updateTable('iot_alarms').set({ rule_id: rule.id }).where('id', '=', alarm.id).execute();
    }
    const claimed = await claimEpisode(db, device, alarm, stream);
    if (!claimed) continue; // another alarm opened an episode first: fold into it
    const opened = await openStreamCase(ctx, device, claimed);
    return opened ? finish(db, alarm, 'opened', opened) : resultOf(db, alarm);
  }
  // Heavy contention: leave it `received`; the monitor finishes it shortly.
  return resultOf(db, alarm);
}

async function settleRecovery(ctx: AppContext, device: DeviceRow, alarm: AlarmRow): Promise<IngestResult> {
  const db = ctx.database.db;
  const stream = await findStream(db, device.id, alarm.alarm_type);
  if (!stream) return finish(db, alarm, 'recorded', null, '没有该报警类型的未结案件');
  const c = stream.case_id ? await caseById(db, stream.case_id) : await openStreamCase(ctx, device, stream);
  if (!c || !isOpen(c)) return finish(db, alarm, 'recorded', null, '没有该报警类型的未结案件');
  const opener = await db
    .selectFrom('iot_alarms')
    .selectAll()
    .where('id', '=', stream.opener_alarm_id)
    .executeTakeFirstOrThrow();
  const rule = await ruleOf(db, device, opener);
  if (!rule?.recoveryCloses) return finish(db, alarm, 'recovered', c, '按规则，恢复不自动办结');
  const closed = await closeThroughEngine(ctx, c, device, alarm);
  return closed.ok ? finish(db, alarm, 'closed', closed.case) : finish(db, alarm, 'recovered', c, closed.why);
}

/**
 * Closes a case on a device's recovery through the engine, as the system: with the event
 * workflow's action that a system actor may take from the current state into `closed`. Answers why
 * not when the workflow has no such action (the case then stays open for its handler).
 */
async function closeThroughEngine(
  ctx: AppContext,
  c: CaseRow,
  device: DeviceRow,
  alarm: AlarmRow,
): Promise<{ ok: true; case: CaseRow } | { ok: false; why: string }> {
  const wf = workflowOf(c.type);
  const action = Object.entries(wf.actions).find(
    ([, def]) =>
      def.to === 'closed' &&
      (def.from as readonly string[]).includes(c.state) &&
      def.who.some((w) => (w.roles as readonly string[]).includes('system')),
  )?.[0];
  if (!action) {
    return { ok: false, why: '设备已恢复正常；办理流程中没有系统可执行的办结操作，请经办人核实后办结' };
  }
  try {
    const r = await perform(ctx, systemActor(c.county_code), c.id, action, {
      result: `设备 ${device.name}（${device.code}）报告已恢复正常（${chinaTime(alarm.device_at)}），系统自动办结。`,
    });
    return { ok: true, case: r.case };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, why: `自动办结未成功：${err.message}` };
    throw err;
  }
}

// ── episodes: the one open case per device and alarm type ────────────────────────────────────────

function findStream(db: Kysely<DB>, deviceId: string, alarmType: string) {
  return db
    .selectFrom('iot_device_cases')
    .selectAll()
    .where('device_id', '=', deviceId)
    .where('alarm_type', '=', alarmType)
    .executeTakeFirst();
}
type Stream = NonNullable<Awaited<ReturnType<typeof findStream>>>;

/**
 * Claims a new episode for the alarm with a conditional write: the first row for the device and
 * alarm type, or the next episode after an ended case. Undefined when another alarm won.
 */
async function claimEpisode(
  db: Kysely<DB>,
  device: DeviceRow,
  alarm: AlarmRow,
  previous: Stream | undefined,
): Promise<Stream | undefined> {
  if (!previous) {
    return db
      .insertInto('iot_device_cases')
      .values({
        device_id: device.id,
        alarm_type: alarm.alarm_type,
        county_code: device.county_code,
        opener_alarm_id: alarm.id,
        updated_at: alarm.received_at,
      })
      .onConflict((oc) => oc.columns(['device_id', 'alarm_type']).doNothing())
      .returningAll()
      .executeTakeFirst();
  }
  return db
    .updateTable('iot_device_cases')
    .set((eb) => ({
      episode: eb('episode', '+', 1),
      opener_alarm_id: alarm.id,
      case_id: null,
      updated_at: alarm.received_at,
    }))
    .where('device_id', '=', device.id)
    .where('alarm_type', '=', alarm.alarm_type)
    .where('episode', '=', previous.episode)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Opens (or finds) the case of an episode: `receiveCase` with the idempotency key of the episode's
 * first alarm, so whichever process gets here — the opener, a later alarm, the monitor after a
 * crash — there is one case. A rule that no longer fits (category retired) ends the episode.
 */
async function openStreamCase(ctx: AppContext, device: DeviceRow, stream: Stream): Promise<CaseRow | null> {
  const db = ctx.database.db;
  const opener = await db
    .selectFrom('iot_alarms')
    .selectAll()
    .where('id', '=', stream.opener_alarm_id)
    .executeTakeFirstOrThrow();
  const rule = await ruleOf(db, device, opener);
  let c: CaseRow;
  try {
    if (!rule) throw new AppError('VALIDATION_FAILED', { message: '告警规则已不存在' });
    c = (await receiveCase(ctx, systemActor(device.county_code), intakeFor(device, opener, rule))).case;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    await finish(db, opener, 'ignored', null, `未能立案：${err.details?.[0]?.message ?? err.message}`);
    await db
      .deleteFrom('iot_device_cases')
      .where('device_id', '=', device.id)
      .where('alarm_type', '=', stream.alarm_type)
      .where('episode', '=', stream.episode)
      .where('case_id', 'is', null)
      .execute();
    return null;
  }
  await db
    .updateTable('iot_device_cases')
    .set({ case_id: c.id, updated_at: ctx.clock.now() })
    .where('device_id', '=', device.id)
    .where('alarm_type', '=', stream.alarm_type)
    .where('episode', '=', stream.episode)
    .where('case_id', 'is', null)
    .execute();
  await finish(db, opener, 'opened', c);
  return c;
}

/** What a new case from this alarm looks like: the one entry, channel iot (or camera). */
export function intakeFor(device: DeviceRow, alarm: AlarmRow, rule: Rule): IntakeInput {
  const facts = [
    `${DEVICE_TYPE_LABELS[device.type]}“${device.name}”（编号 ${device.code}）于 ${chinaTime(alarm.device_at)} 报告：${rule.label}`,
  ];
  if (alarm.level !== null) facts.push(`级别 ${alarm.level}`);
  if (alarm.value !== null) facts.push(`读数 ${alarm.value}`);
  if (alarm.message) facts.push(`设备信息：${alarm.message}`);
  return {
    type: 'event',
    channel: device.type === 'camera' ? 'camera' : 'iot',
    categoryId: rule.categoryId,
    urgency: rule.urgency,
    title: `${rule.label}：${device.name}`.slice(0, 100),
    description: `${facts.join('；')}。`,
    lon: alarm.lon ?? device.lon,
    lat: alarm.lat ?? device.lat,
    villageId: device.village_id ?? undefined,
    attachments: alarm.attachment_id ? [alarm.attachment_id] : [],
    idempotencyKey: `iot:alarm:${alarm.id}`,
  };
}

// ── rules ────────────────────────────────────────────────────────────────────────────────────────

function asRule(r: {
  id: string;
  label: string;
  category_id: string;
  urgency: Rule['urgency'];
  recovery_closes: boolean;
}): Rule {
  return {
    id: r.id,
    label: r.label,
    categoryId: r.category_id,
    urgency: r.urgency,
    recoveryCloses: r.recovery_closes,
  };
}

/**
 * The rule for an alarm: the county's active rule of the device type and alarm type with the
 * highest level not above the alarm's. An offline alarm without any rule of its own uses the
 * built-in fallback, so a silent device always raises its event.
 */
async function matchRule(
  db: Kysely<DB>,
  device: DeviceRow,
  alarmType: string,
  level: number | null,
): Promise<Rule | undefined> {
  const rules = await rulesFor(db, device.county_code, device.type, alarmType);
  const picked = pickRule(rules, level);
  if (picked) return asRule(picked);
  if (alarmType === OFFLINE && rules.length === 0) return { id: null, ...OFFLINE_FALLBACK };
  return undefined;
}

/** The rule an alarm was matched with (the fallback for an offline alarm without one). */
async function ruleOf(db: Kysely<DB>, device: DeviceRow, alarm: AlarmRow): Promise<Rule | undefined> {
  if (alarm.rule_id) {
    const r = await findRule(db, device.county_code, alarm.rule_id);
    return r ? asRule(r) : undefined;
  }
  return alarm.alarm_type === OFFLINE ? { id: null, ...OFFLINE_FALLBACK } : undefined;
}

// ── small helpers ────────────────────────────────────────────────────────────────────────────────

function caseById(db: Kysely<DB>, id: string) {
  return db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
}

function isOpen(c: CaseRow): boolean {
  return !(workflowOf(c.type).terminal as readonly string[]).includes(c.state);
}

/**
 * Records what became of an alarm, once: the first writer wins (`outcome = 'received'`), so two
 * processes finishing the same alarm agree.
 */
async function finish(
  db: Kysely<DB>,
  alarm: AlarmRow,
  outcome: IotAlarmOutcome,
  c: CaseRow | null,
  note?: string,
): Promise<IngestResult> {
  const row = await db
    .updateTable('iot_alarms')
    .set({ outcome, case_id: c?.id ?? null, note: note ?? null })
    .where('id', '=', alarm.id)
    .where('outcome', '=', 'received')
    .returningAll()
    .executeTakeFirst();
  if (row) return { outcome, alarmId: alarm.id, caseId: c?.id ?? null, caseCode: c?.code ?? null };
  return resultOf(db, alarm);
}

async function resultOf(db: Kysely<DB>, alarm: AlarmRow): Promise<IngestResult> {
  const row = await db
    .selectFrom('iot_alarms as a')
    .leftJoin('cases as c', 'c.id', 'a.case_id')
    .select(['a.id', 'a.outcome', 'a.case_id', 'c.code'])
    .where('a.id', '=', alarm.id)
    .executeTakeFirstOrThrow();
  return { outcome: row.outcome, alarmId: row.id, caseId: row.case_id, caseCode: row.code };
}

/** China time as "2026-11-30 16:05:00" for case texts. */
export function chinaTime(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Finishes alarms that a crash (or heavy contention) left `received` for over a minute: each is
 * claimed with a conditional update, then settled like a fresh one — idempotently.
 */
export async function finishUnsettledAlarms(ctx: AppContext, limit = 20): Promise<number> {
  const db = ctx.database.db;
  const cutoff = new Date(ctx.clock.now().getTime() - 60_000);
  const candidates = await db
    .selectFrom('iot_alarms')
    .select('id')
    .where('outcome', '=', 'received')
    .where('received_at', '<', cutoff)
    .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<', cutoff)]))
    .orderBy('received_at')
    .limit(limit)
    .execute();
  let done = 0;
  for (const { id } of candidates) {
    const alarm = await db
      .updateTable('iot_alarms')
      .set({ claimed_at: ctx.clock.now() })
      .where('id', '=', id)
      .where('outcome', '=', 'received')
      .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<', cutoff)]))
      .returningAll()
      .executeTakeFirst();
    if (!alarm) continue; // another process claimed it
    const device = await unsafeFindDevice(db, alarm.device_id);
    if (!device) continue;
    await settleAlarm(ctx, device, alarm);
    done++;
  }
  return done;
}
