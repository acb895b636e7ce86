import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../authz/scope.ts';
import type { DB, Grid } from '../../db/schema.ts';

/** A grid inside the scope, or undefined. */
export function findGridInScope(db: Kysely<DB>, scope: Scope, id: string): Promise<Grid | undefined> {
  return db
    .selectFrom('grids')
    .selectAll()
    .where('id', '=', id)
    .where(inScope(scope, 'grids'))
    .executeTakeFirst();
}

/** Grids of one village inside the scope, with the names of the staff assigned to each. */
export async function listVillageGridsInScope(db: Kysely<DB>, scope: Scope, villageId: string) {
  const grids = await db
    .selectFrom('grids')
    .select(['id', 'name', 'village_id', 'version'])
    .where('village_id', '=', villageId)
    .where(inScope(scope, 'grids'))
    .orderBy('id')
    .execute();
  const workers = await listGridWorkers(
    db,
    grids.map((g) => g.id),
  );
  return grids.map((g) => ({ ...g, workers: workers.get(g.id) ?? [] }));
}

/** Staff assigned to grids, grouped by grid id. */
export async function listGridWorkers(db: Kysely<DB>, gridIds: string[]) {
  const map = new Map<string, { id: string; displayName: string; role: string }[]>();
  if (gridIds.length === 0) return map;
  const rows = await db
    .selectFrom('user_grids as ug')
    .innerJoin('users as u', 'u.id', 'ug.user_id')
    .select(['ug.grid_id', 'u.id', 'u.display_name', 'u.role'])
    .where('ug.grid_id', 'in', gridIds)
    .where('u.active', '=', true)
    .orderBy('u.display_name')
    .execute();
  for (const r of rows) {
    const list = map.get(r.grid_id) ?? [];
    list.push({ id: r.id, displayName: r.display_name, role: r.role });
    map.set(r.grid_id, list);
  }
  return map;
}

/** Public grid geometry of one village (codes, names, shapes; no people). */
export function unsafeListVillageGridShapes(db: Kysely<DB>, countyCode: string, villageId: string) {
  return db
    .selectFrom('grids')
    .select(['id', 'name', 'village_id', 'geometry'])
    .where('county_code', '=', countyCode)
    .where('village_id', '=', villageId)
    .orderBy('id')
    .execute();
}
