import { type RawBuilder, sql } from 'kysely';
import type { StaffActor } from './actor.ts';

/** A jurisdiction: one county, and a path prefix inside it. */
export interface Scope {
  countyCode: string;
  pathPrefix: string;
}

/** The jurisdiction of a staff member: their org's scope path. */
export function scopeOf(actor: StaffActor): Scope {
  return { countyCode: actor.countyCode, pathPrefix: actor.scopePath };
}

/** The whole county (system work, public data). */
export function countyScope(countyCode: string): Scope {
  return { countyCode, pathPrefix: `/${countyCode}/` };
}

/**
 * The one filter that scopes a query to a jurisdiction: `county_code = ? and path like 'prefix%'`
 * on the given table alias. Every repository read of jurisdiction data goes through it, so a
 * record outside it is simply not found (404), never "forbidden".
 */
export function inScope(scope: Scope, table: string): RawBuilder<boolean> {
  // Paths hold only digits, capital letters and '/', so no LIKE metacharacters need escaping.
  return sql<boolean>`(${sql.ref(`${table}.county_code`)} = ${scope.countyCode} and ${sql.ref(
    `${table}.path`,
  )} like ${`${scope.pathPrefix}%`})`;
}

/** Whether a path lies inside a scope (for records already loaded). */
export function pathInScope(scope: Scope, countyCode: string, path: string): boolean {
  return countyCode === scope.countyCode && path.startsWith(scope.pathPrefix);
}
