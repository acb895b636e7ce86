import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../authz/scope.ts';
import type { DB, OrgKind, OrgUnit } from '../../db/schema.ts';

/** An org unit inside the scope, or undefined (out of scope looks exactly like missing). */
export function findOrgInScope(db: Kysely<DB>, scope: Scope, id: string): Promise<OrgUnit | undefined> {
  return db
    .selectFrom('org_units')
    .selectAll()
    .where('id', '=', id)
    .where(inScope(scope, 'org_units'))
    .executeTakeFirst();
}

/** Children of an org unit that lie inside the scope, in display order. */
export function listChildrenInScope(db: Kysely<DB>, scope: Scope, parentId: string): Promise<OrgUnit[]> {
  return db
    .selectFrom('org_units')
    .selectAll()
    .where('parent_id', '=', parentId)
    .where(inScope(scope, 'org_units'))
    .orderBy('sort')
    .orderBy('id')
    .execute();
}

/** Ancestors of an org unit from the top of the scope down (for breadcrumbs). */
export function listAncestorsInScope(db: Kysely<DB>, scope: Scope, org: OrgUnit): Promise<OrgUnit[]> {
  const ids = org.path.split('/').filter(Boolean).slice(0, -1);
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('org_units')
    .selectAll()
    .where('id', 'in', ids)
    .where(inScope(scope, 'org_units'))
    .orderBy('path')
    .execute();
}

export interface OrgSearch {
  kind?: OrgKind | undefined;
  q?: string | undefined;
  limit: number;
  offset: number;
}

/** Searches org units by kind and name within the scope. */
export async function searchOrgsInScope(
  db: Kysely<DB>,
  scope: Scope,
  search: OrgSearch,
): Promise<{ items: OrgUnit[]; total: number }> {
  let q = db.selectFrom('org_units').where(inScope(scope, 'org_units'));
  if (search.kind) q = q.where('kind', '=', search.kind);
  if (search.q) q = q.where('name', 'like', `%${escapeLike(search.q)}%`);
  const [items, total] = await Promise.all([
    q.selectAll().orderBy('path').limit(search.limit).offset(search.offset).execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: total.n };
}

/** Updates an org unit if its version still matches; returns the new row or undefined on a stale write. */
export function updateOrg(
  db: Kysely<DB>,
  id: string,
  version: number,
  patch: { name?: string | undefined; active?: boolean | undefined },
  now: Date,
): Promise<OrgUnit | undefined> {
  return db
    .updateTable('org_units')
    .set((eb) => ({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.active !== undefined ? { active: patch.active } : {}),
      version: eb('version', '+', 1),
      updated_at: now,
    }))
    .where('id', '=', id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();
}

/** All territorial units of a county (public region data), unscoped by design: names and codes only. */
export function unsafeListTerritory(db: Kysely<DB>, countyCode: string) {
  return db
    .selectFrom('org_units')
    .select(['id', 'parent_id', 'kind', 'subtype', 'name'])
    .where('county_code', '=', countyCode)
    .where('kind', 'in', ['county', 'township', 'village'])
    .where('active', '=', true)
    .orderBy('sort')
    .orderBy('id')
    .execute();
}

/** Escapes LIKE metacharacters in user text. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
