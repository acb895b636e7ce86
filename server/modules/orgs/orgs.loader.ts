import type { Kysely } from 'kysely';
import type { DB, OrgKind } from '../../db/schema.ts';
import { bboxOf, geometryAreaM2, type MultiPolygon, type Polygon } from '../grids/geometry.ts';

/** An org unit to load (from the demo data or an import file). */
export interface OrgInput {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  subtype: string | null;
  name: string;
  sort: number;
}

/** A grid to load. */
export interface GridInput {
  id: string;
  villageId: string;
  name: string;
  geometry: Polygon | MultiPolygon;
}

const BATCH = 500;

/**
 * Inserts or updates org units, parents first, computing the materialised path and the scope path
 * (a centre's staff see the centre's territory; everyone else sees their own subtree). Runs inside
 * the caller's transaction so that a failed import leaves nothing behind.
 */
export async function upsertOrgs(
  trx: Kysely<DB>,
  countyCode: string,
  orgs: OrgInput[],
  now: Date,
): Promise<number> {
  const existing = await trx
    .selectFrom('org_units')
    .select(['id', 'path'])
    .where('county_code', '=', countyCode)
    .execute();
  const paths = new Map(existing.map((o) => [o.id, o.path]));
  const rows = [];
  for (const o of orgs) {
    const parentPath = o.parentId ? paths.get(o.parentId) : '/';
    if (parentPath === undefined) throw new Error(`parent ${o.parentId} of ${o.id} is not loaded`);
    const path = `${parentPath}${o.id}/`;
    paths.set(o.id, path);
    rows.push({
      id: o.id,
      county_code: countyCode,
      parent_id: o.parentId,
      kind: o.kind,
      subtype: o.subtype,
      name: o.name,
      path,
      scope_path: o.kind === 'centre' ? parentPath : path,
      sort: o.sort,
      updated_at: now,
    });
  }
  for (let i = 0; i < rows.length; i += BATCH) {
    await trx
      .insertInto('org_units')
      .values(rows.slice(i, i + BATCH))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          subtype: eb.ref('excluded.subtype'),
          sort: eb.ref('excluded.sort'),
          updated_at: eb.ref('excluded.updated_at'),
          version: eb('org_units.version', '+', 1),
        })),
      )
      .execute();
  }
  return rows.length;
}

/** Inserts or replaces grids (geometry, name), deriving path, bounding box and area. */
export async function upsertGrids(
  trx: Kysely<DB>,
  countyCode: string,
  grids: GridInput[],
  now: Date,
): Promise<number> {
  const villages = await trx
    .selectFrom('org_units')
    .select(['id', 'path'])
    .where('county_code', '=', countyCode)
    .where('kind', '=', 'village')
    .execute();
  const villagePath = new Map(villages.map((v) => [v.id, v.path]));
  const rows = grids.map((g) => {
    const vp = villagePath.get(g.villageId);
    if (!vp) throw new Error(`village ${g.villageId} of grid ${g.id} is not loaded`);
    const [minLon, minLat, maxLon, maxLat] = bboxOf(g.geometry);
    return {
      id: g.id,
      county_code: countyCode,
      village_id: g.villageId,
      name: g.name,
      path: `${vp}${g.id}/`,
      geometry: JSON.stringify(g.geometry),
      min_lon: minLon,
      min_lat: minLat,
      max_lon: maxLon,
      max_lat: maxLat,
      area_m2: geometryAreaM2(g.geometry),
      updated_at: now,
    };
  });
  for (let i = 0; i < rows.length; i += BATCH) {
    await trx
      .insertInto('grids')
      .values(rows.slice(i, i + BATCH))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          geometry: eb.ref('excluded.geometry'),
          min_lon: eb.ref('excluded.min_lon'),
          min_lat: eb.ref('excluded.min_lat'),
          max_lon: eb.ref('excluded.max_lon'),
          max_lat: eb.ref('excluded.max_lat'),
          area_m2: eb.ref('excluded.area_m2'),
          updated_at: eb.ref('excluded.updated_at'),
          version: eb('grids.version', '+', 1),
        })),
      )
      .execute();
  }
  return rows.length;
}
