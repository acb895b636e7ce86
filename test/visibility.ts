import { type RawBuilder, sql } from 'kysely';
import type { StaffActor } from '../server/authz/actor.ts';
import { actingUnitOf } from '../server/authz/scope.ts';

/**
 * The visibility rule of DESIGN §2 written out plainly, with nothing precomputed: inside the
 * staff member's territory, or led by their unit, or sent to their unit (case_units: lead,
 * assisting, whistled), or reported by them. `caseVisibleTo` answers it from the case's keys
 * (`gz_case_keys`, `cases.unit_ids`); tests compare the two.
 */
export function visibleByDefinition(actor: StaffActor, table: string): RawBuilder<boolean> {
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
