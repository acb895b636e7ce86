import type { Kysely } from 'kysely';
import type { CategoriesTable, DB } from '../db/schema.ts';
import { GridIndex } from '../modules/grids/geometry.ts';

/** Why a case went where it went; stored on the case and shown to operators. */
export interface RoutingDecision {
  gridId: string | null;
  villageId: string | null;
  townshipId: string | null;
  path: string;
  level: 'village' | 'township' | 'department' | 'county';
  suggestedLeadOrgId: string;
  reasons: string[];
}

let cache: { key: string; index: GridIndex } | undefined;

/**
 * What says whether the cached index is current: the county's grid stamp, which every change to
 * its grids bumps in the same transaction (a trigger, migration 20261130140000_grid_stamps).
 */
function stampKey(countyCode: string, version: number | null): string {
  return `${countyCode}:${version ?? 0}`;
}

/**
 * The county's grid index (point → grid), rebuilt when grids change. Flatbush keeps lookups fast at
 * 100,000 grids (bench/routing.bench.ts; correctness tested in geometry.test.ts).
 */
async function buildIndex(db: Kysely<DB>, countyCode: string, key: string): Promise<GridIndex> {
  const grids = await db
    .selectFrom('grids')
    .select(['id', 'geometry'])
    .where('county_code', '=', countyCode)
    .execute();
  const index = new GridIndex(grids.map((g) => ({ id: g.id, geometry: g.geometry as never })));
  cache = { key, index };
  return index;
}

/** The grids' stamp and a village, in one round trip. */
async function stampAndVillage(db: Kysely<DB>, countyCode: string, villageId: string | null) {
  const row = await db
    .selectFrom('counties as k')
    .leftJoin('grid_stamps as g', 'g.county_code', 'k.code')
    .leftJoin('org_units as v', (j) =>
      j
        .on('v.id', '=', villageId ?? '')
        .on('v.county_code', '=', countyCode)
        .on('v.kind', '=', 'village'),
    )
    .select(['g.version', 'v.id', 'v.name', 'v.parent_id', 'v.path'])
    .where('k.code', '=', countyCode)
    .executeTakeFirst();
  const village =
    row?.id && row.name !== null && row.path !== null
      ? { id: row.id, name: row.name, parent_id: row.parent_id, path: row.path }
      : undefined;
  return { key: stampKey(countyCode, row?.version ?? null), village };
}

/**
 * Point → grid → village. The point is located in the index this process holds, and the grids'
 * stamp is read in the same statement as that village; only when the grids changed since (or there
 * is no index yet) is the index rebuilt and the point located again. One statement in the common
 * case, and never a stale answer.
 */
async function locate(
  db: Kysely<DB>,
  countyCode: string,
  point: { lon: number; lat: number } | null,
  villageGiven: string | null,
) {
  const villageOf = (gridId: string | null) => (gridId ? gridId.slice(0, 12) : villageGiven);
  const held = cache?.key.startsWith(`${countyCode}:`) ? cache : undefined;
  let gridId = point && held ? held.index.locate(point.lon, point.lat) : null;
  const firstId = villageOf(gridId);
  const first = await stampAndVillage(db, countyCode, firstId);
  if (!point || first.key === held?.key)
    return { gridId, villageId: villageOf(gridId), village: first.village };
  gridId = (await buildIndex(db, countyCode, first.key)).locate(point.lon, point.lat);
  const villageId = villageOf(gridId);
  if (villageId === firstId) return { gridId, villageId, village: first.village };
  return { gridId, villageId, village: (await stampAndVillage(db, countyCode, villageId)).village };
}

/**
 * Decides where a case belongs: the position resolves to a grid (point in polygon), else the
 * village given; the category decides the level — village-level categories go to the village,
 * township-level to the township, department categories to their department, and unclear
 * ownership to the county centre (兜底).
 */
export async function route(
  db: Kysely<DB>,
  countyCode: string,
  input: { lon?: number | null; lat?: number | null; villageId?: string | null; categoryId: string | null },
  /** The category, when the caller has it already (the engine's cached copy). */
  known?: Pick<CategoriesTable, 'id' | 'name' | 'level' | 'default_org_id'>,
): Promise<RoutingDecision> {
  const reasons: string[] = [];
  const point = input.lon != null && input.lat != null ? { lon: input.lon, lat: input.lat } : null;
  const found = await locate(db, countyCode, point, input.villageId ?? null);
  const gridId = found.gridId;
  let villageId = found.villageId;
  const village = villageId ? found.village : undefined;
  if (point) {
    if (gridId) reasons.push(`位置 (${point.lon.toFixed(5)}, ${point.lat.toFixed(5)}) 落在网格 ${gridId}`);
    else reasons.push('位置不在本县任何网格内');
  }
  if (!gridId && input.villageId) reasons.push(`按所选村（社区）${input.villageId} 定位`);
  if (villageId && !village) {
    reasons.push(`村（社区）${villageId} 不存在，按全县处理`);
    villageId = null;
  }
  const townshipId = village?.parent_id ?? null;
  const path = village ? (gridId ? `${village.path}${gridId}/` : village.path) : `/${countyCode}/`;
  const category =
    known && known.id === input.categoryId
      ? known
      : input.categoryId
        ? await db
            .selectFrom('categories')
            .select(['id', 'name', 'level', 'default_org_id'])
            .where('id', '=', input.categoryId)
            .where('county_code', '=', countyCode)
            .executeTakeFirst()
        : undefined;
  let level: RoutingDecision['level'] = category?.level ?? 'county';
  let lead: string = countyCode;
  if (level === 'village' && village) {
    lead = village.id;
    reasons.push(`类别“${category?.name}”属村（社区）级事项，由 ${village.name} 办理`);
  } else if (level === 'township' && townshipId) {
    lead = townshipId;
    reasons.push(`类别“${category?.name}”属乡镇（街道）级事项，由所在乡镇办理`);
  } else if (level === 'department' && category?.default_org_id) {
    lead = category.default_org_id;
    reasons.push(`类别“${category.name}”属部门职责，派往默认承办部门`);
  } else {
    if (level !== 'county') reasons.push('无法确定承办单位（缺少位置或默认部门）');
    level = 'county';
    lead = countyCode;
    reasons.push('归属不明确，由县中心兜底办理');
  }
  return {
    gridId,
    villageId: village?.id ?? null,
    townshipId,
    path,
    level,
    suggestedLeadOrgId: lead,
    reasons,
  };
}
