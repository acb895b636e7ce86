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
 * The county's grid index (point → grid), rebuilt when grids change. Flatbush keeps lookups fast at
 * 100,000 grids (correctness tested in geometry.test.ts; a benchmark is planned under bench/).
 */
export async function gridIndexFor(db: Kysely<DB>, countyCode: string): Promise<GridIndex> {
  const stamp = await db
    .selectFrom('grids')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('at')])
    .where('county_code', '=', countyCode)
    .executeTakeFirstOrThrow();
  const key = `${countyCode}:${stamp.n}:${stamp.at ? new Date(stamp.at as Date).toISOString() : ''}`;
  if (cache?.key === key) return cache.index;
  const grids = await db
    .selectFrom('grids')
    .select(['id', 'geometry'])
    .where('county_code', '=', countyCode)
    .execute();
  const index = new GridIndex(grids.map((g) => ({ id: g.id, geometry: g.geometry as never })));
  cache = { key, index };
  return index;
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
  let gridId: string | null = null;
  let villageId: string | null = null;
  if (input.lon != null && input.lat != null) {
    gridId = (await gridIndexFor(db, countyCode)).locate(input.lon, input.lat);
    if (gridId) reasons.push(`位置 (${input.lon.toFixed(5)}, ${input.lat.toFixed(5)}) 落在网格 ${gridId}`);
    else reasons.push('位置不在本县任何网格内');
  }
  if (gridId) {
    villageId = gridId.slice(0, 12);
  } else if (input.villageId) {
    villageId = input.villageId;
    reasons.push(`按所选村（社区）${input.villageId} 定位`);
  }
  const village = villageId
    ? await db
        .selectFrom('org_units')
        .select(['id', 'name', 'parent_id', 'path'])
        .where('id', '=', villageId)
        .where('county_code', '=', countyCode)
        .where('kind', '=', 'village')
        .executeTakeFirst()
    : undefined;
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
