import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { StaffActor } from '../../authz/actor.ts';
import { actingUnitOf, inScope, scopeOf } from '../../authz/scope.ts';
import type {
  DB,
  IotAlarmRulesTable,
  IotAlarmsTable,
  IotDevicesTable,
  IotDeviceType,
  IotRejectionsTable,
} from '../../db/schema.ts';
import { escapeLike } from '../orgs/orgs.repository.ts';

export type DeviceRow = Selectable<IotDevicesTable>;
export type RuleRow = Selectable<IotAlarmRulesTable>;
export type AlarmRow = Selectable<IotAlarmsTable>;

/**
 * The one filter for devices a staff member may see: inside their jurisdiction (the device's
 * location path), or looked after by the unit they act for — that is how a department sees its own
 * devices wherever they stand.
 */
export function deviceVisibleTo(actor: StaffActor, table: string): RawBuilder<boolean> {
  return sql<boolean>`(${inScope(scopeOf(actor), table)} or (${sql.ref(`${table}.county_code`)} = ${
    actor.countyCode
  } and ${sql.ref(`${table}.owner_org_id`)} = ${actingUnitOf(actor)}))`;
}

/** A device with the names of its owner and village, as the staff API shows it. */
function deviceQuery(db: Kysely<DB>) {
  return db
    .selectFrom('iot_devices as d')
    .innerJoin('org_units as o', 'o.id', 'd.owner_org_id')
    .leftJoin('org_units as v', 'v.id', 'd.village_id')
    .selectAll('d')
    .select(['o.name as owner_name', 'v.name as village_name']);
}
export type DeviceView = Awaited<ReturnType<ReturnType<typeof deviceQuery>['executeTakeFirstOrThrow']>>;

/** A device the actor may see, or undefined (out of jurisdiction looks exactly like missing). */
export function findDeviceVisible(db: Kysely<DB>, actor: StaffActor, id: string) {
  return deviceQuery(db).where('d.id', '=', id).where(deviceVisibleTo(actor, 'd')).executeTakeFirst();
}

export interface DeviceSearch {
  type?: IotDeviceType | undefined;
  status?: 'active' | 'inactive' | undefined;
  connectivity?: 'online' | 'offline' | 'unknown' | undefined;
  ownerOrgId?: string | undefined;
  /** A township, village or grid code: devices placed under it. */
  placeId?: string | undefined;
  q?: string | undefined;
  limit: number;
  offset: number;
}

/** Devices the actor may see, filtered, with the total. */
export async function searchDevicesVisible(db: Kysely<DB>, actor: StaffActor, s: DeviceSearch) {
  let q = deviceQuery(db).where(deviceVisibleTo(actor, 'd'));
  if (s.type) q = q.where('d.type', '=', s.type);
  if (s.status) q = q.where('d.status', '=', s.status);
  if (s.connectivity === 'offline') q = q.where('d.offline_at', 'is not', null);
  if (s.connectivity === 'unknown') q = q.where('d.last_seen_at', 'is', null);
  if (s.connectivity === 'online')
    q = q.where('d.offline_at', 'is', null).where('d.last_seen_at', 'is not', null);
  if (s.ownerOrgId) q = q.where('d.owner_org_id', '=', s.ownerOrgId);
  if (s.placeId) q = q.where('d.path', 'like', `%/${s.placeId}/%`);
  if (s.q) {
    const like = `%${escapeLike(s.q)}%`;
    q = q.where((eb) => eb.or([eb('d.code', 'like', like), eb('d.name', 'like', like)]));
  }
  const [items, total] = await Promise.all([
    q.orderBy('d.code').limit(s.limit).offset(s.offset).execute(),
    q
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { items, total: total.n };
}

/**
 * A device by its code, for authenticating what it sends. Unscoped by design: the caller is the
 * device itself, proven by its signature afterwards; never shown to anyone.
 */
export function unsafeFindDeviceByCode(db: Kysely<DB>, countyCode: string, code: string) {
  return db
    .selectFrom('iot_devices')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('code', '=', code)
    .executeTakeFirst();
}

/** A device by id, unscoped: for the ingest pipeline and the monitor (system work). */
export function unsafeFindDevice(db: Kysely<DB>, id: string) {
  return db.selectFrom('iot_devices').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The county's rules for one device type and alarm type. */
export function rulesFor(db: Kysely<DB>, countyCode: string, deviceType: string, alarmType: string) {
  return db
    .selectFrom('iot_alarm_rules')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('device_type', '=', deviceType as IotDeviceType)
    .where('alarm_type', '=', alarmType)
    .execute();
}

export function findRule(db: Kysely<DB>, countyCode: string, id: string) {
  return db
    .selectFrom('iot_alarm_rules')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Every rule of the county, by device type, alarm type and level. */
export function listRules(db: Kysely<DB>, countyCode: string) {
  return db
    .selectFrom('iot_alarm_rules as r')
    .innerJoin('categories as c', 'c.id', 'r.category_id')
    .selectAll('r')
    .select('c.name as category_name')
    .where('r.county_code', '=', countyCode)
    .orderBy('r.device_type')
    .orderBy('r.alarm_type')
    .orderBy('r.min_level')
    .execute();
}

/** Alarms with their device's code and name and their case's tracking code. */
function alarmQuery(db: Kysely<DB>) {
  return db
    .selectFrom('iot_alarms as a')
    .innerJoin('iot_devices as d', 'd.id', 'a.device_id')
    .leftJoin('cases as c', 'c.id', 'a.case_id')
    .selectAll('a')
    .select(['d.code as device_code', 'd.name as device_name', 'c.code as case_code']);
}
export type AlarmView = Awaited<ReturnType<ReturnType<typeof alarmQuery>['executeTakeFirstOrThrow']>>;

/** Alarms of a device, newest first. */
export async function listAlarmsOfDevice(db: Kysely<DB>, deviceId: string, limit: number, offset: number) {
  const [items, total] = await Promise.all([
    alarmQuery(db)
      .where('a.device_id', '=', deviceId)
      .orderBy('a.received_at', 'desc')
      .orderBy('a.id')
      .limit(limit)
      .offset(offset)
      .execute(),
    db
      .selectFrom('iot_alarms')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('device_id', '=', deviceId)
      .executeTakeFirstOrThrow(),
  ]);
  return { items, total: total.n };
}

/** Alarms that opened, were folded into or closed one case, oldest first. */
export function listAlarmsOfCase(db: Kysely<DB>, caseId: string) {
  return alarmQuery(db).where('a.case_id', '=', caseId).orderBy('a.received_at').orderBy('a.id').execute();
}

/**
 * Refused messages the actor may see: those naming a device they may see, and those naming no
 * registered device (unknown senders), newest first.
 */
export async function listRejectionsVisible(
  db: Kysely<DB>,
  actor: StaffActor,
  s: { deviceId?: string | undefined; reason?: string | undefined; limit: number; offset: number },
) {
  let q = db
    .selectFrom('iot_rejections as r')
    .where('r.county_code', '=', actor.countyCode)
    .where((eb) =>
      eb.or([
        eb('r.device_id', 'is', null),
        eb(
          'r.device_id',
          'in',
          eb.selectFrom('iot_devices as d').select('d.id').where(deviceVisibleTo(actor, 'd')),
        ),
      ]),
    );
  if (s.deviceId) q = q.where('r.device_id', '=', s.deviceId);
  if (s.reason) q = q.where('r.reason', '=', s.reason as IotRejectionsTable['reason']);
  const [items, total] = await Promise.all([
    q
      .selectAll('r')
      .orderBy('r.received_at', 'desc')
      .orderBy('r.id', 'desc')
      .limit(s.limit)
      .offset(s.offset)
      .execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: total.n };
}
