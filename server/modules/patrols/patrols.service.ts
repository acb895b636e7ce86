import { pathLength } from '../../../common/distance.ts';
import type { StaffActor } from '../../authz/actor.ts';
import { roleCan } from '../../authz/permissions.ts';
import { pathInScope, scopeOf } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import type { PatrolPoint } from '../../db/schema.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import {
  findByClientId,
  findPatrolVisible,
  insertPatrol,
  listPatrolsInScope,
  lockOwnPatrol,
  openPatrolsOf,
  savePoints,
  workerGrid,
} from './patrols.repository.ts';

/** A patrol keeps at most this many points (one every 10 m or minute: a long day's walk). */
export const MAX_POINTS = 20_000;
/** Points may come this long before the start (clock skew between phone and server). */
const SKEW_MS = 5 * 60_000;

type Row = NonNullable<Awaited<ReturnType<typeof lockOwnPatrol>>>;

function fieldError(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', { details: [{ field, message }] });
}

function present(p: {
  id: string;
  user_id: string;
  grid_id: string | null;
  started_at: Date;
  ended_at: Date | null;
  point_count: number;
  distance_m: number;
  display_name?: string;
}) {
  return {
    id: p.id,
    userId: p.user_id,
    workerName: p.display_name ?? null,
    gridId: p.grid_id,
    startedAt: p.started_at.toISOString(),
    endedAt: p.ended_at?.toISOString() ?? null,
    active: p.ended_at === null,
    pointCount: p.point_count,
    distanceM: Math.round(p.distance_m),
  };
}

/** Merges new points into a track: ordered by time, one point per instant, inside the patrol. */
function merge(row: Row, incoming: PatrolPoint[], now: Date, endedAt: Date | null): PatrolPoint[] {
  const start = row.started_at.getTime() - SKEW_MS;
  const end = (endedAt?.getTime() ?? now.getTime()) + SKEW_MS;
  incoming.forEach(([, , t], i) => {
    if (t < start || t > end) throw fieldError(`points/${i}`, '轨迹点的时间不在这次巡查的时间内');
  });
  const byTime = new Map<number, PatrolPoint>();
  for (const p of row.points) byTime.set(p[2], p);
  for (const p of incoming) byTime.set(p[2], p);
  const points = [...byTime.values()].sort((a, b) => a[2] - b[2]);
  if (points.length > MAX_POINTS) throw fieldError('points', `一次巡查最多记录 ${MAX_POINTS} 个轨迹点`);
  return points;
}

/**
 * Starts a patrol for a grid worker or cadre. The device names the patrol (`clientId`), so a start
 * sent twice from the offline queue makes one patrol; starting a new one ends any still open.
 */
export async function startPatrol(
  ctx: AppContext,
  actor: StaffActor,
  input: { clientId: string; gridId?: string | undefined; startedAt?: string | undefined },
) {
  const now = ctx.clock.now();
  const startedAt = input.startedAt ? new Date(input.startedAt) : now;
  if (startedAt.getTime() > now.getTime() + SKEW_MS || now.getTime() - startedAt.getTime() > 7 * 86400_000)
    throw fieldError('startedAt', '开始时间不对（不能晚于现在，也不能早于 7 天前）');
  return ctx.database.transaction(async (trx) => {
    const existing = await findByClientId(trx, actor.countyCode, actor.userId, input.clientId);
    if (existing) return { patrol: present(existing), replayed: true };
    let path = actor.scopePath;
    if (input.gridId) {
      const grid = await workerGrid(trx, actor.countyCode, actor.userId, input.gridId);
      // A grid of one's own, or any grid in one's territory (a cadre walking a village).
      if (!grid || (!grid.user_id && !pathInScope(scopeOf(actor), actor.countyCode, grid.path)))
        throw fieldError('gridId', '不是您负责的网格');
      path = grid.path;
    }
    const row = await insertPatrol(trx, {
      countyCode: actor.countyCode,
      userId: actor.userId,
      clientId: input.clientId,
      gridId: input.gridId ?? null,
      path,
      startedAt,
    });
    if (!row) {
      // A concurrent retry inserted it first.
      const again = await findByClientId(trx, actor.countyCode, actor.userId, input.clientId);
      return { patrol: present(again!), replayed: true };
    }
    for (const open of await openPatrolsOf(trx, actor.countyCode, actor.userId, row.id)) {
      const last = open.points.at(-1)?.[2];
      const endedAt = new Date(
        Math.max(open.started_at.getTime(), Math.min(startedAt.getTime(), last ?? startedAt.getTime())),
      );
      await trx
        .updateTable('patrols')
        .set({ ended_at: endedAt, updated_at: now })
        .where('id', '=', open.id)
        .execute();
    }
    return { patrol: present(row), replayed: false };
  });
}

/**
 * Adds track points to the caller's own patrol (also after it ended: a phone that was offline
 * sends its points late). Points are [lon, lat, epoch ms]; the same instant sent twice counts once.
 */
export async function recordPoints(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  input: { points: PatrolPoint[]; end?: boolean | undefined; endedAt?: string | undefined },
) {
  const now = ctx.clock.now();
  return ctx.database.transaction(async (trx) => {
    const row = await lockOwnPatrol(trx, actor.countyCode, actor.userId, id);
    if (!row) throw notFound();
    let endedAt = row.ended_at;
    if (input.end && !endedAt) {
      endedAt = input.endedAt ? new Date(input.endedAt) : now;
      if (endedAt < row.started_at || endedAt.getTime() > now.getTime() + SKEW_MS)
        throw fieldError('endedAt', '结束时间不对');
    }
    const points = merge(row, input.points, now, endedAt);
    const saved = await savePoints(trx, id, {
      points,
      distanceM: pathLength(points),
      endedAt,
      now,
    });
    return { patrol: present(saved) };
  });
}

/** Readers see their territory's patrols; grid workers and cadres their own; others nothing. */
function mayLook(actor: StaffActor): void {
  if (!roleCan(actor.role, 'patrol.read') && !roleCan(actor.role, 'patrol.record'))
    throw new AppError('FORBIDDEN');
}

/** Patrols a reader may see: their territory's (or, for a grid worker, their own). */
export async function listPatrols(
  ctx: AppContext,
  actor: StaffActor,
  q: { userId?: string; gridId?: string; from?: string; to?: string; limit?: number },
) {
  mayLook(actor);
  const ownOnly = !roleCan(actor.role, 'patrol.read');
  const rows = await listPatrolsInScope(ctx.database.db, scopeOf(actor), {
    userId: ownOnly ? actor.userId : q.userId,
    gridId: q.gridId,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    limit: q.limit ?? 50,
  });
  return { items: rows.map(present) };
}

/** One patrol with its track as a GeoJSON LineString; 404 outside the reader's reach. */
export async function getPatrol(ctx: AppContext, actor: StaffActor, id: string) {
  mayLook(actor);
  const row = await findPatrolVisible(ctx.database.db, scopeOf(actor), actor.userId, id);
  if (!row || (row.user_id !== actor.userId && !roleCan(actor.role, 'patrol.read'))) throw notFound();
  return {
    patrol: present(row),
    track: {
      type: 'Feature' as const,
      properties: { times: row.points.map((p) => new Date(p[2]).toISOString()) },
      geometry: { type: 'LineString' as const, coordinates: row.points.map(([lon, lat]) => [lon, lat]) },
    },
  };
}
