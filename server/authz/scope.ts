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

/** The unit a staff member acts for: a centre's staff act for the territory their centre serves. */
export function actingUnitOf(actor: StaffActor): string {
  return actor.scopePath.split('/').filter(Boolean).at(-1) ?? actor.orgId;
}

/**
 * The one filter for cases a staff member may see: inside their territory, or sent to their unit
 * (lead, assisting, whistled), or reported by them. Everything else is "not found".
 * (`cu.county_code` is the case's county, always: it lets the unit's rows come from
 * `case_units_org_idx` when the planner reads them all at once, e.g. for a department's list.)
 */
export function caseVisibleTo(actor: StaffActor, table: string): RawBuilder<boolean> {
  const unit = actingUnitOf(actor);
  const t = (col: string) => sql.ref(`${table}.${col}`);
  return sql<boolean>`(${t('county_code')} = ${actor.countyCode} and (
    ${t('path')} like ${`${actor.scopePath}%`}
    or ${t('lead_org_id')} = ${unit}
    or ${t('reporter_user_id')} = ${actor.userId}
    or exists (select 1 from case_units cu
      where cu.case_id = ${t('id')} and cu.county_code = ${actor.countyCode} and cu.org_id = ${unit})
  ))`;
}
