import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../authz/scope.ts';
import type { DB, PatrolPoint } from '../../db/schema.ts';

const SUMMARY = [
  'p.id',
  'p.user_id',
  'p.client_id',
  'p.grid_id',
  'p.started_at',
  'p.ended_at',
  'p.point_count',
  'p.distance_m',
  'p.updated_at',
] as const;

export async function findByClientId(db: Kysely<DB>, countyCode: string, userId: string, clientId: string) {
  return db
    .selectFrom('patrols')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('user_id', '=', userId)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
}

/** The caller's own patrol, locked for an update. */
export async function lockOwnPatrol(db: Kysely<DB>, countyCode: string, userId: string, id: string) {
  return db
    .selectFrom('patrols')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function insertPatrol(
  db: Kysely<DB>,
  row: {
    countyCode: string;
    userId: string;
    clientId: string;
    gridId: string | null;
    path: string;
    startedAt: Date;
  },
) {
  return db
    .insertInto('patrols')
    .values({
      county_code: row.countyCode,
      user_id: row.userId,
      client_id: row.clientId,
      grid_id: row.gridId,
      path: row.path,
      started_at: row.startedAt,
      updated_at: row.startedAt,
    })
    .onConflict((oc) => oc.columns(['county_code', 'user_id', 'client_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function savePoints(
  db: Kysely<DB>,
  id: string,
  set: { points: PatrolPoint[]; distanceM: number; endedAt?: Date | null; now: Date },
) {
  return db
    .updateTable('patrols')
    .set({
      points: JSON.stringify(set.points),
      point_count: set.points.length,
      distance_m: set.distanceM,
      ...(set.endedAt !== undefined ? { ended_at: set.endedAt } : {}),
      updated_at: set.now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Open patrols of a worker other than `exceptId` (a new start closes them). */
export async function openPatrolsOf(db: Kysely<DB>, countyCode: string, userId: string, exceptId: string) {
  return db
    .selectFrom('patrols')
    .select(['id', 'started_at', 'points'])
    .where('county_code', '=', countyCode)
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .where('id', '!=', exceptId)
    .forUpdate()
    .execute();
}

export interface PatrolListFilter {
  userId?: string | undefined;
  gridId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
}

/** Patrols in a jurisdiction, newest first, with the worker's name. */
export async function listPatrolsInScope(db: Kysely<DB>, scope: Scope, f: PatrolListFilter) {
  let q = db
    .selectFrom('patrols as p')
    .innerJoin('users as u', 'u.id', 'p.user_id')
    .select([...SUMMARY, 'u.display_name'])
    .where(inScope(scope, 'p'));
  if (f.userId) q = q.where('p.user_id', '=', f.userId);
  if (f.gridId) q = q.where('p.grid_id', '=', f.gridId);
  if (f.from) q = q.where('p.started_at', '>=', f.from);
  if (f.to) q = q.where('p.started_at', '<', f.to);
  return q.orderBy('p.started_at', 'desc').orderBy('p.id').limit(f.limit).execute();
}

/** One patrol in a jurisdiction (or the caller's own), with its points. */
export async function findPatrolVisible(db: Kysely<DB>, scope: Scope, userId: string, id: string) {
  return db
    .selectFrom('patrols as p')
    .innerJoin('users as u', 'u.id', 'p.user_id')
    .select([...SUMMARY, 'p.points', 'u.display_name'])
    .where('p.id', '=', id)
    .where((eb) => eb.or([inScope(scope, 'p'), eb('p.user_id', '=', userId)]))
    .executeTakeFirst();
}

export async function workerGrid(db: Kysely<DB>, countyCode: string, userId: string, gridId: string) {
  return db
    .selectFrom('grids as g')
    .leftJoin('user_grids as ug', (j) => j.onRef('ug.grid_id', '=', 'g.id').on('ug.user_id', '=', userId))
    .select(['g.id', 'g.path', 'ug.user_id'])
    .where('g.county_code', '=', countyCode)
    .where('g.id', '=', gridId)
    .executeTakeFirst();
}
