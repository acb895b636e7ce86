import type { Insertable, Kysely } from 'kysely';
import type {
  CategoriesTable,
  Category,
  DB,
  HandlingLevel,
  LimitUnitColumn,
  Urgency,
} from '../../db/schema.ts';

/**
 * Categories are county-wide configuration, not records placed in the org tree: every read and write
 * is bounded by the county, and no jurisdiction inside it partitions them.
 */

/** One category row with the name of its default unit. */
export type CategoryWithUnit = Category & { default_org_name: string | null };

/** Every category of a county (active or not), parents and children in taxonomy order. */
export function listCountyCategories(db: Kysely<DB>, countyCode: string): Promise<CategoryWithUnit[]> {
  return db
    .selectFrom('categories as c')
    .leftJoin('org_units as o', 'o.id', 'c.default_org_id')
    .selectAll('c')
    .select('o.name as default_org_name')
    .where('c.county_code', '=', countyCode)
    .orderBy('c.sort')
    .orderBy('c.id')
    .execute();
}

/**
 * The categories offered to the public (active and public), unscoped by design: only the columns
 * the portal shows — codes, names, parent and case types.
 */
export function unsafeListPublicCategories(db: Kysely<DB>, countyCode: string) {
  return db
    .selectFrom('categories')
    .select(['id', 'parent_id', 'name', 'name_en', 'case_types'])
    .where('county_code', '=', countyCode)
    .where('active', '=', true)
    .where('public', '=', true)
    .orderBy('sort')
    .orderBy('id')
    .execute();
}

/** A category of the county, or undefined (another county's category looks exactly like a missing one). */
export function findCategory(db: Kysely<DB>, countyCode: string, id: string): Promise<Category | undefined> {
  return db
    .selectFrom('categories')
    .selectAll()
    .where('county_code', '=', countyCode)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Whether a category code is taken in any county (codes are the table's primary key). */
export async function categoryCodeTaken(db: Kysely<DB>, id: string): Promise<boolean> {
  const row = await db.selectFrom('categories').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

/** An active org unit of the county that may be a category's default unit, or undefined. */
export function findDefaultUnitCandidate(db: Kysely<DB>, countyCode: string, orgId: string) {
  return db
    .selectFrom('org_units')
    .select(['id', 'name', 'kind', 'subtype'])
    .where('county_code', '=', countyCode)
    .where('id', '=', orgId)
    .where('kind', 'in', ['department', 'village', 'township', 'county'])
    .where('active', '=', true)
    .executeTakeFirst();
}

/** The next sort number in a county (a new category goes last within its group). */
export async function nextCategorySort(db: Kysely<DB>, countyCode: string): Promise<number> {
  const row = await db
    .selectFrom('categories')
    .select((eb) => eb.fn.max('sort').as('max'))
    .where('county_code', '=', countyCode)
    .executeTakeFirst();
  return Number(row?.max ?? -1) + 1;
}

export interface CategoryPatchRow {
  name?: string;
  name_en?: string;
  level?: HandlingLevel;
  department_key?: string | null;
  default_org_id?: string | null;
  urgency?: Urgency;
  reply_limit_amount?: number;
  reply_limit_unit?: LimitUnitColumn;
  public?: boolean;
  active?: boolean;
}

/** Updates a category if its version still matches; undefined on a stale write. */
export function updateCategory(
  db: Kysely<DB>,
  countyCode: string,
  id: string,
  version: number,
  patch: CategoryPatchRow,
  now: Date,
): Promise<Category | undefined> {
  return db
    .updateTable('categories')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1), updated_at: now }))
    .where('county_code', '=', countyCode)
    .where('id', '=', id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();
}

/** Inserts a category. */
export function insertCategory(db: Kysely<DB>, row: Insertable<CategoriesTable>): Promise<Category> {
  return db.insertInto('categories').values(row).returningAll().executeTakeFirstOrThrow();
}
