import { type Kysely, sql } from 'kysely';
import { inScope, type Scope } from '../../authz/scope.ts';
import type { DB } from '../../db/schema.ts';

/**
 * A citizen is placed by their home village; one without a home belongs to the county root, so
 * only county-wide staff see them.
 */
function placedCitizens(db: Kysely<DB>) {
  return db
    .selectFrom('citizens as c')
    .leftJoin('org_units as h', 'h.id', 'c.home_org_id')
    .select([
      'c.id',
      'c.county_code',
      'c.phone_enc',
      'c.phone_masked',
      'c.name_enc',
      'c.id_number_enc',
      'c.home_org_id',
      'h.name as home_name',
      'c.created_at',
      sql<string>`coalesce(h.path, '/' || c.county_code || '/')`.as('path'),
    ])
    .as('x');
}

/** A citizen in the scope, or undefined. */
export function findCitizenInScope(db: Kysely<DB>, scope: Scope, id: string) {
  return db
    .selectFrom(placedCitizens(db))
    .selectAll()
    .where('x.id', '=', id)
    .where(inScope(scope, 'x'))
    .executeTakeFirst();
}
