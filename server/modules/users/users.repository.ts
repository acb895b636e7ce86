import type { Kysely } from 'kysely';
import type { StaffRole } from '../../../common/roles.ts';
import { inScope, type Scope } from '../../authz/scope.ts';
import type { DB } from '../../db/schema.ts';
import { escapeLike } from '../orgs/orgs.repository.ts';

function baseQuery(db: Kysely<DB>, scope: Scope) {
  return db
    .selectFrom('users as u')
    .innerJoin('org_units as o', 'o.id', 'u.org_id')
    .where(inScope(scope, 'o'))
    .select([
      'u.id',
      'u.username',
      'u.display_name',
      'u.role',
      'u.org_id',
      'u.active',
      'u.version',
      'u.last_login_at',
      'u.locked_until',
      'o.name as org_name',
      'o.path',
      'o.county_code',
    ]);
}

export type UserRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

/** A staff account whose unit lies in the scope, or undefined. */
export function findUserInScope(db: Kysely<DB>, scope: Scope, id: string): Promise<UserRow | undefined> {
  return baseQuery(db, scope).where('u.id', '=', id).executeTakeFirst();
}

export interface UserSearch {
  role?: StaffRole | undefined;
  orgId?: string | undefined;
  q?: string | undefined;
  limit: number;
  offset: number;
}

/** Staff accounts in the scope, filtered. */
export async function searchUsersInScope(db: Kysely<DB>, scope: Scope, s: UserSearch) {
  let q = baseQuery(db, scope);
  if (s.role) q = q.where('u.role', '=', s.role);
  if (s.orgId) q = q.where('u.org_id', '=', s.orgId);
  if (s.q) {
    const like = `%${escapeLike(s.q)}%`;
    q = q.where((eb) => eb.or([eb('u.username', 'like', like), eb('u.display_name', 'like', like)]));
  }
  const rows = await q
    .orderBy('o.path')
    .orderBy('u.username')
    .limit(s.limit + 1)
    .offset(s.offset)
    .execute();
  return { items: rows.slice(0, s.limit), hasMore: rows.length > s.limit };
}
