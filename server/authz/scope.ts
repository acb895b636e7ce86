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
 * A case's keys (migration 20261130170000_case_access_keys): who may see it — 'p:' and every
 * '/'-ended prefix of its path, 'u:' and its lead and every unit of case_units, 'r:' its reporter —
 * and 't:' its 30-day period. The expression is the second column of `cases_search_idx`; written
 * the same way here so that the index serves it.
 */
export function caseKeys(table: string): RawBuilder<string[]> {
  const t = (col: string) => sql.ref(`${table}.${col}`);
  return sql<string[]>`gz_case_keys(${t('path')}, ${t('lead_org_id')}, ${t('reporter_user_id')}, ${t(
    'received_at',
  )}, ${t('unit_ids')})`;
}

/** The keys of `caseKeys` a staff member holds: their territory, their unit, themselves. */
function actorCaseKeys(actor: StaffActor): string[] {
  return [`p:${actor.scopePath}`, `u:${actingUnitOf(actor)}`, `r:${actor.userId}`];
}

/** The length of the periods of the 't:' keys, in seconds (30 days, as `gz_case_keys` counts them). */
export const PERIOD_SECONDS = 2_592_000;

/** The number of the period holding an instant. */
export function periodOf(at: Date): number {
  return Math.floor(at.getTime() / 1000 / PERIOD_SECONDS);
}

/** The 't:' key of a period. */
export function periodKey(period: number): string {
  return `t:${period}`;
}

/**
 * The one filter for cases a staff member may see: inside their territory, or sent to their unit
 * (lead, assisting, whistled), or reported by them. Everything else is "not found". It is one
 * test of the case's keys against the actor's (`caseKeys`, `actorCaseKeys`), which the GIN index
 * `cases_search_idx` answers together with a search's terms. Staff of the whole county see every
 * case of it: for them the test is the county alone (every case's path lies under the county's).
 */
export function caseVisibleTo(actor: StaffActor, table: string): RawBuilder<boolean> {
  const t = (col: string) => sql.ref(`${table}.${col}`);
  if (actor.scopePath === `/${actor.countyCode}/`)
    return sql<boolean>`(${t('county_code')} = ${actor.countyCode} and ${t('path')} like ${`${actor.scopePath}%`})`;
  return sql<boolean>`(${t('county_code')} = ${actor.countyCode} and ${caseKeys(table)} && ${sql.val(
    actorCaseKeys(actor),
  )}::text[])`;
}
