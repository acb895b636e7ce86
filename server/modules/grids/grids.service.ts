import type { StaffActor } from '../../authz/actor.ts';
import { canUpdateGrid } from '../../authz/policies.ts';
import { inScope, scopeOf } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import { findGridInScope, listGridWorkers, listVillageGridsInScope } from './grids.repository.ts';

/** Grids of a village in the jurisdiction (empty when the village is outside it). */
export async function listGrids(ctx: AppContext, actor: StaffActor, villageId: string) {
  const rows = await listVillageGridsInScope(ctx.database.db, scopeOf(actor), villageId);
  return {
    items: rows.map((g) => ({
      id: g.id,
      name: g.name,
      villageId: g.village_id,
      version: g.version,
      workerNames: g.workers.map((w) => w.displayName),
    })),
  };
}

/** One grid with its shape and assigned staff; 404 outside the jurisdiction. */
export async function getGrid(ctx: AppContext, actor: StaffActor, id: string) {
  const grid = await findGridInScope(ctx.database.db, scopeOf(actor), id);
  if (!grid) throw notFound();
  const workers = (await listGridWorkers(ctx.database.db, [id])).get(id) ?? [];
  return {
    grid: {
      id: grid.id,
      name: grid.name,
      villageId: grid.village_id,
      geometry: grid.geometry,
      areaM2: Math.round(grid.area_m2),
      version: grid.version,
    },
    workers,
    abilities: { update: canUpdateGrid(actor, grid) },
  };
}

/**
 * Renames a grid and/or replaces its assigned staff. Assigned staff must be grid workers or cadres
 * inside the caller's jurisdiction (an outsider's id is reported as a field error, not revealed).
 */
export async function patchGrid(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  input: { name?: string | undefined; workerIds?: string[] | undefined; version: number },
  meta: { ip?: string; requestId?: string },
) {
  const scope = scopeOf(actor);
  await ctx.database.transaction(async (trx) => {
    const grid = await findGridInScope(trx, scope, id);
    if (!grid) throw notFound();
    if (!canUpdateGrid(actor, grid)) throw new AppError('FORBIDDEN');
    if (input.workerIds) {
      const ids = [...new Set(input.workerIds)];
      const found = ids.length
        ? await trx
            .selectFrom('users as u')
            .innerJoin('org_units', 'org_units.id', 'u.org_id')
            .select('u.id')
            .where('u.id', 'in', ids)
            .where('u.role', 'in', ['grid_worker', 'cadre'])
            .where(inScope(scope, 'org_units'))
            .execute()
        : [];
      if (found.length !== ids.length) {
        throw new AppError('VALIDATION_FAILED', {
          details: [{ field: 'workerIds', message: '只能指派本辖区内的网格员或下沉干部' }],
        });
      }
      await trx.deleteFrom('user_grids').where('grid_id', '=', id).execute();
      if (ids.length) {
        await trx
          .insertInto('user_grids')
          .values(ids.map((userId) => ({ user_id: userId, grid_id: id, county_code: grid.county_code })))
          .execute();
      }
    }
    const updated = await trx
      .updateTable('grids')
      .set((eb) => ({
        ...(input.name !== undefined ? { name: input.name } : {}),
        version: eb('version', '+', 1),
        updated_at: ctx.clock.now(),
      }))
      .where('id', '=', id)
      .where('version', '=', input.version)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw new AppError('CONFLICT');
    await audit(trx, actor, {
      action: 'grid.updated',
      targetType: 'grid',
      targetId: id,
      detail: { name: input.name, workerIds: input.workerIds },
      ip: meta.ip,
      requestId: meta.requestId,
    });
  });
  return getGrid(ctx, actor, id);
}
