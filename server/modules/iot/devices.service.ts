import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Actor, StaffActor } from '../../authz/actor.ts';
import { roleCan } from '../../authz/permissions.ts';
import { countyScope, pathInScope, type Scope, scopeOf } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import type { DB, IotDeviceType, Urgency } from '../../db/schema.ts';
import { loadCase } from '../../engine/engine.ts';
import { route } from '../../engine/routing.ts';
import { AppError, type FieldError, notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import { findOrgInScope } from '../orgs/orgs.repository.ts';
import {
  type AlarmView,
  type DeviceSearch,
  type DeviceView,
  findDeviceVisible,
  findRule,
  listAlarmsOfCase,
  listAlarmsOfDevice,
  listRejectionsVisible,
  listRules,
  searchDevicesVisible,
} from './devices.repository.ts';
import { DEFAULT_RULES, DEVICE_TYPE_LABELS } from './rules.ts';
import { newDeviceSecret } from './signing.ts';

type Meta = { ip?: string | undefined; requestId?: string | undefined };

/** Units that may look after devices. */
const OWNER_KINDS = ['department', 'township', 'village'];

/** A device as staff see it — never its secret. */
export function presentDevice(d: DeviceView) {
  return {
    id: d.id,
    code: d.code,
    type: d.type,
    typeLabel: DEVICE_TYPE_LABELS[d.type],
    name: d.name,
    lon: d.lon,
    lat: d.lat,
    gridId: d.grid_id,
    villageId: d.village_id,
    villageName: d.village_name,
    townshipId: d.township_id,
    ownerOrg: { id: d.owner_org_id, name: d.owner_name },
    heartbeatIntervalS: d.heartbeat_interval_s,
    lastSeenAt: d.last_seen_at?.toISOString() ?? null,
    offlineSince: d.offline_at?.toISOString() ?? null,
    connectivity:
      d.status === 'inactive'
        ? ('inactive' as const)
        : d.offline_at
          ? ('offline' as const)
          : d.last_seen_at
            ? ('online' as const)
            : ('unknown' as const),
    status: d.status,
    secretRotatedUntil: d.previous_secret_until?.toISOString() ?? null,
    version: d.version,
    createdAt: d.created_at.toISOString(),
  };
}

/** An alarm as staff see it. */
export function presentAlarm(a: AlarmView) {
  return {
    id: a.id,
    deviceId: a.device_id,
    deviceCode: a.device_code,
    deviceName: a.device_name,
    kind: a.kind,
    alarmType: a.alarm_type,
    level: a.level,
    value: a.value,
    message: a.message,
    deviceAt: a.device_at.toISOString(),
    receivedAt: a.received_at.toISOString(),
    via: a.via,
    outcome: a.outcome,
    note: a.note,
    caseId: a.case_id,
    caseCode: a.case_code,
    attachmentId: a.attachment_id,
  };
}

/** Devices the staff member may see (jurisdiction, or looked after by their unit). */
export async function listDevices(ctx: AppContext, actor: StaffActor, search: DeviceSearch) {
  const { items, total } = await searchDevicesVisible(ctx.database.db, actor, search);
  return { items: items.map(presentDevice), total };
}

/** One device (404 outside what the actor may see), with what they may do with it. */
export async function getDevice(ctx: AppContext, actor: StaffActor, id: string) {
  const d = await findDeviceVisible(ctx.database.db, actor, id);
  if (!d) throw notFound();
  return { device: presentDevice(d), abilities: { manage: roleCan(actor.role, 'device.manage') } };
}

export interface NewDevice {
  code: string;
  type: IotDeviceType;
  name: string;
  lon: number;
  lat: number;
  villageId?: string | undefined;
  ownerOrgId: string;
  heartbeatIntervalS?: number | undefined;
}

/** Where a position lies (grid, village, township, path) — the same routing as cases. */
async function place(
  db: Kysely<DB>,
  countyCode: string,
  p: { lon: number; lat: number; villageId?: string | null },
) {
  return route(db, countyCode, { lon: p.lon, lat: p.lat, villageId: p.villageId ?? null, categoryId: null });
}

/** Checks the owner (an active department, township or village the actor may see). */
async function checkOwner(db: Kysely<DB>, scope: Scope, ownerOrgId: string, problems: FieldError[]) {
  const org = await findOrgInScope(db, scope, ownerOrgId);
  if (!org?.active || !OWNER_KINDS.includes(org.kind)) {
    problems.push({ field: 'ownerOrgId', message: '维护单位须为您辖区内在用的部门、乡镇或村（社区）' });
  }
}

/**
 * Registers a device: places it by its position (grid, village, township — the routing used for
 * cases), checks the owner, gives it a fresh secret (encrypted at rest, returned only now) and
 * loads the county's default alarm rules the first time. Used by the API, the CLI and the demo
 * seed (which passes its own derived secret).
 */
export async function createDevice(
  ctx: AppContext,
  actor: Actor,
  input: NewDevice & { secret?: string },
  meta: Meta = {},
): Promise<{ device: ReturnType<typeof presentDevice>; secret: string }> {
  const county = actor.countyCode;
  const scope = actor.kind === 'staff' ? scopeOf(actor) : countyScope(county);
  const secret = input.secret ?? newDeviceSecret();
  const now = ctx.clock.now();
  return ctx.database.transaction(async (trx) => {
    const problems: FieldError[] = [];
    const where = await place(trx, county, input);
    if (!pathInScope(scope, county, where.path)) {
      problems.push({ field: 'lon', message: '设备位置不在您的辖区内' });
    }
    await checkOwner(trx, scope, input.ownerOrgId, problems);
    if (problems.length) throw new AppError('VALIDATION_FAILED', { details: problems });
    const taken = await trx
      .selectFrom('iot_devices')
      .select('id')
      .where('county_code', '=', county)
      .where('code', '=', input.code)
      .executeTakeFirst();
    if (taken) {
      throw new AppError('DUPLICATE', {
        message: '设备编号已被使用',
        details: [{ field: 'code', message: '设备编号已被使用' }],
      });
    }
    const row = await trx
      .insertInto('iot_devices')
      .values({
        county_code: county,
        code: input.code,
        type: input.type,
        name: input.name,
        lon: input.lon,
        lat: input.lat,
        grid_id: where.gridId,
        village_id: where.villageId,
        township_id: where.townshipId,
        path: where.path,
        owner_org_id: input.ownerOrgId,
        secret_enc: ctx.cipher.encrypt(secret),
        heartbeat_interval_s: input.heartbeatIntervalS ?? 300,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await ensureDefaultRules(trx, county, now);
    await audit(trx, actor, {
      action: 'device.created',
      targetType: 'iot_device',
      targetId: row.id,
      detail: { code: input.code, type: input.type, ownerOrgId: input.ownerOrgId, path: where.path },
      ...meta,
    });
    const view = await trx
      .selectFrom('iot_devices as d')
      .innerJoin('org_units as o', 'o.id', 'd.owner_org_id')
      .leftJoin('org_units as v', 'v.id', 'd.village_id')
      .selectAll('d')
      .select(['o.name as owner_name', 'v.name as village_name'])
      .where('d.id', '=', row.id)
      .executeTakeFirstOrThrow();
    return { device: presentDevice(view), secret };
  });
}

export interface DevicePatch {
  name?: string | undefined;
  lon?: number | undefined;
  lat?: number | undefined;
  villageId?: string | undefined;
  ownerOrgId?: string | undefined;
  heartbeatIntervalS?: number | undefined;
  status?: 'active' | 'inactive' | undefined;
  version: number;
}

/**
 * Changes a device: name, position (placed again), owner, heartbeat interval, or status —
 * `inactive` deactivates it (its messages are refused, the monitor leaves it alone); reactivated,
 * it counts as never heard from until it speaks. 404 outside the jurisdiction, 409 on a stale version.
 */
export async function updateDevice(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  patch: DevicePatch,
  meta: Meta = {},
) {
  const now = ctx.clock.now();
  const scope = scopeOf(actor);
  return ctx.database.transaction(async (trx) => {
    const d = await findDeviceVisible(trx, actor, id);
    if (!d) throw notFound();
    if (d.version !== patch.version) throw new AppError('CONFLICT');
    const problems: FieldError[] = [];
    const moved = patch.lon !== undefined || patch.lat !== undefined || patch.villageId !== undefined;
    const where = moved
      ? await place(trx, d.county_code, {
          lon: patch.lon ?? d.lon,
          lat: patch.lat ?? d.lat,
          villageId: patch.villageId ?? null,
        })
      : undefined;
    if (where && !pathInScope(scope, d.county_code, where.path)) {
      problems.push({ field: 'lon', message: '设备位置不在您的辖区内' });
    }
    if (patch.ownerOrgId !== undefined) await checkOwner(trx, scope, patch.ownerOrgId, problems);
    if (problems.length) throw new AppError('VALIDATION_FAILED', { details: problems });
    const reactivated = patch.status === 'active' && d.status === 'inactive';
    const updated = await trx
      .updateTable('iot_devices')
      .set((eb) => ({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(where
          ? {
              lon: patch.lon ?? d.lon,
              lat: patch.lat ?? d.lat,
              grid_id: where.gridId,
              village_id: where.villageId,
              township_id: where.townshipId,
              path: where.path,
            }
          : {}),
        ...(patch.ownerOrgId !== undefined ? { owner_org_id: patch.ownerOrgId } : {}),
        ...(patch.heartbeatIntervalS !== undefined ? { heartbeat_interval_s: patch.heartbeatIntervalS } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(reactivated ? { last_seen_at: null, offline_at: null } : {}),
        version: eb('version', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('version', '=', patch.version)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw new AppError('CONFLICT');
    const { version: _v, ...changed } = patch;
    await audit(trx, actor, {
      action: 'device.updated',
      targetType: 'iot_device',
      targetId: id,
      detail: { code: d.code, ...changed, ...(where ? { path: where.path } : {}) },
      ...meta,
    });
    const after = await findDeviceVisible(trx, actor, id);
    // The new position may lie outside what the actor sees only if the check above let it: it does not.
    return { device: presentDevice(after!) };
  });
}

/**
 * Gives a device a new secret, returned only now. The old one keeps working for
 * `keepPreviousMinutes` (default 60) so the device can be reconfigured without losing alarms.
 */
export async function rotateSecret(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  opts: { keepPreviousMinutes?: number | undefined },
  meta: Meta = {},
) {
  const now = ctx.clock.now();
  const keep = opts.keepPreviousMinutes ?? 60;
  const secret = newDeviceSecret();
  return ctx.database.transaction(async (trx) => {
    const d = await findDeviceVisible(trx, actor, id);
    if (!d) throw notFound();
    const until = keep > 0 ? new Date(now.getTime() + keep * 60_000) : null;
    await trx
      .updateTable('iot_devices')
      .set((eb) => ({
        secret_enc: ctx.cipher.encrypt(secret),
        previous_secret_enc: until ? d.secret_enc : null,
        previous_secret_until: until,
        version: eb('version', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', id)
      .execute();
    await audit(trx, actor, {
      action: 'device.secret_rotated',
      targetType: 'iot_device',
      targetId: id,
      detail: { code: d.code, keepPreviousMinutes: keep },
      ...meta,
    });
    const after = await findDeviceVisible(trx, actor, id);
    return { device: presentDevice(after!), secret, previousValidUntil: until?.toISOString() ?? null };
  });
}

/** A device's alarms, newest first (404 outside what the actor may see). */
export async function listDeviceAlarms(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  page: { limit: number; offset: number },
) {
  const d = await findDeviceVisible(ctx.database.db, actor, id);
  if (!d) throw notFound();
  const { items, total } = await listAlarmsOfDevice(ctx.database.db, d.id, page.limit, page.offset);
  return { items: items.map(presentAlarm), total };
}

/**
 * The device alarms of a case: the one that opened it, the repeats folded into it and the recovery
 * — its IoT history beside the case timeline. 404 when the case is not visible to the actor.
 */
export async function listCaseAlarms(ctx: AppContext, actor: StaffActor, caseId: string) {
  const c = await loadCase(ctx.database.db, actor, caseId);
  const items = await listAlarmsOfCase(ctx.database.db, c.id);
  return { items: items.map(presentAlarm) };
}

/** Refused messages: of devices the actor may see, and of senders naming no registered device. */
export async function listRejectionsFor(
  ctx: AppContext,
  actor: StaffActor,
  q: { deviceId?: string | undefined; reason?: string | undefined; limit: number; offset: number },
) {
  if (q.deviceId && !(await findDeviceVisible(ctx.database.db, actor, q.deviceId))) throw notFound();
  const { items, total } = await listRejectionsVisible(ctx.database.db, actor, q);
  return {
    items: items.map((r) => ({
      id: r.id,
      receivedAt: r.received_at.toISOString(),
      via: r.via,
      reason: r.reason,
      deviceCode: r.device_code,
      deviceId: r.device_id,
      source: r.source,
      detail: r.detail,
    })),
    total,
  };
}

// ── rules ────────────────────────────────────────────────────────────────────────────────────────

type RuleView = Awaited<ReturnType<typeof listRules>>[number];

export function presentRule(r: RuleView) {
  return {
    id: r.id,
    deviceType: r.device_type,
    alarmType: r.alarm_type,
    label: r.label,
    minLevel: r.min_level,
    categoryId: r.category_id,
    categoryName: r.category_name,
    caseType: r.case_type,
    urgency: r.urgency,
    recoveryCloses: r.recovery_closes,
    active: r.active,
    version: r.version,
  };
}

/**
 * Loads the default rules into a county that has none yet (its first device or rule). Rules whose
 * category the county lacks are left out. Returns how many were added.
 */
export async function ensureDefaultRules(db: Kysely<DB>, countyCode: string, now: Date): Promise<number> {
  const any = await db
    .selectFrom('iot_alarm_rules')
    .select('id')
    .where('county_code', '=', countyCode)
    .executeTakeFirst();
  if (any) return 0;
  const categories = new Set(
    (
      await db
        .selectFrom('categories')
        .select('id')
        .where('county_code', '=', countyCode)
        .where(sql<boolean>`'event' = any(case_types)`)
        .execute()
    ).map((c) => c.id),
  );
  const rows = DEFAULT_RULES.filter((r) => categories.has(r.categoryId)).map((r) => ({
    county_code: countyCode,
    device_type: r.deviceType,
    alarm_type: r.alarmType,
    label: r.label,
    min_level: r.minLevel,
    category_id: r.categoryId,
    urgency: r.urgency,
    recovery_closes: r.recoveryCloses,
    updated_at: now,
  }));
  if (rows.length === 0) return 0;
  const inserted = await db
    .insertInto('iot_alarm_rules')
    .values(rows)
    .onConflict((oc) => oc.columns(['county_code', 'device_type', 'alarm_type', 'min_level']).doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

/** The county's alarm rules. */
export async function listAlarmRules(ctx: AppContext, actor: StaffActor) {
  const items = await listRules(ctx.database.db, actor.countyCode);
  return { items: items.map(presentRule), total: items.length };
}

/** A category a rule may point at: active, of this county, taking events. */
async function checkCategory(db: Kysely<DB>, countyCode: string, id: string, problems: FieldError[]) {
  const c = await db
    .selectFrom('categories')
    .select(['id', 'active', 'case_types'])
    .where('county_code', '=', countyCode)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!c?.active || !c.case_types.includes('event')) {
    problems.push({ field: 'categoryId', message: '类别不存在、已停用或不适用于事件' });
  }
}

async function ruleView(db: Kysely<DB>, countyCode: string, id: string) {
  const all = await listRules(db, countyCode);
  return all.find((r) => r.id === id)!;
}

export interface NewRule {
  deviceType: IotDeviceType;
  alarmType: string;
  label: string;
  minLevel?: number | undefined;
  categoryId: string;
  urgency: Urgency;
  recoveryCloses?: boolean | undefined;
}

/** Adds a rule (409 DUPLICATE when the device type, alarm type and level already have one). */
export async function createRule(ctx: AppContext, actor: StaffActor, input: NewRule, meta: Meta = {}) {
  const now = ctx.clock.now();
  return ctx.database.transaction(async (trx) => {
    const problems: FieldError[] = [];
    await checkCategory(trx, actor.countyCode, input.categoryId, problems);
    if (problems.length) throw new AppError('VALIDATION_FAILED', { details: problems });
    await ensureDefaultRules(trx, actor.countyCode, now);
    const row = await trx
      .insertInto('iot_alarm_rules')
      .values({
        county_code: actor.countyCode,
        device_type: input.deviceType,
        alarm_type: input.alarmType,
        label: input.label,
        min_level: input.minLevel ?? 1,
        category_id: input.categoryId,
        urgency: input.urgency,
        recovery_closes: input.recoveryCloses ?? false,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['county_code', 'device_type', 'alarm_type', 'min_level']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) {
      throw new AppError('DUPLICATE', { message: '该设备类型、报警类型和级别已有规则，请修改原规则' });
    }
    await audit(trx, actor, {
      action: 'iot_rule.created',
      targetType: 'iot_alarm_rule',
      targetId: row.id,
      detail: { ...input },
      ...meta,
    });
    return { rule: presentRule(await ruleView(trx, actor.countyCode, row.id)) };
  });
}

export interface RulePatch {
  label?: string | undefined;
  categoryId?: string | undefined;
  urgency?: Urgency | undefined;
  recoveryCloses?: boolean | undefined;
  active?: boolean | undefined;
  version: number;
}

/** Changes a rule; alarms from now on follow it (an open case keeps what it was opened with). */
export async function updateRule(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  patch: RulePatch,
  meta: Meta = {},
) {
  const now = ctx.clock.now();
  return ctx.database.transaction(async (trx) => {
    const rule = await findRule(trx, actor.countyCode, id);
    if (!rule) throw notFound();
    if (rule.version !== patch.version) throw new AppError('CONFLICT');
    const problems: FieldError[] = [];
    if (patch.categoryId !== undefined)
      await checkCategory(trx, actor.countyCode, patch.categoryId, problems);
    if (problems.length) throw new AppError('VALIDATION_FAILED', { details: problems });
    const updated = await trx
      .updateTable('iot_alarm_rules')
      .set((eb) => ({
        ...(patch.label !== undefined ? { label: patch.label } : {}),
        ...(patch.categoryId !== undefined ? { category_id: patch.categoryId } : {}),
        ...(patch.urgency !== undefined ? { urgency: patch.urgency } : {}),
        ...(patch.recoveryCloses !== undefined ? { recovery_closes: patch.recoveryCloses } : {}),
        ...(patch.active !== undefined ? { active: patch.active } : {}),
        version: eb('version', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('version', '=', patch.version)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw new AppError('CONFLICT');
    const { version: _v, ...changed } = patch;
    await audit(trx, actor, {
      action: 'iot_rule.updated',
      targetType: 'iot_alarm_rule',
      targetId: id,
      detail: changed,
      ...meta,
    });
    return { rule: presentRule(await ruleView(trx, actor.countyCode, id)) };
  });
}
