import type { Kysely } from 'kysely';
import type { Actor } from '../authz/actor.ts';
import type { CaseRow, DB, OrgUnit } from '../db/schema.ts';
import { AppError } from '../lib/errors.ts';

/** Units that can handle a case: villages, townships, departments (centres act for their territory). */
const HANDLING_KINDS = ['village', 'township', 'department', 'county'] as const;

/**
 * Checks that the named units exist in the case's county and can handle cases; a township
 * dispatcher may only send work inside their own township. Unknown ids are field errors.
 */
export async function checkUnits(
  trx: Kysely<DB>,
  actor: Actor,
  c: CaseRow,
  ids: readonly string[],
  field: string,
  kinds: readonly string[] = HANDLING_KINDS,
): Promise<OrgUnit[]> {
  if (ids.length === 0) return [];
  const rows = await trx
    .selectFrom('org_units')
    .selectAll()
    .where('county_code', '=', c.county_code)
    .where('id', 'in', [...new Set(ids)])
    .where('active', '=', true)
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of ids) {
    const org = byId.get(id);
    if (!org || !kinds.includes(org.kind)) {
      throw new AppError('VALIDATION_FAILED', {
        details: [{ field, message: `单位 ${id} 不存在或不能承办` }],
      });
    }
    if (
      actor.kind === 'staff' &&
      actor.role === 'township_dispatcher' &&
      !org.path.startsWith(actor.scopePath)
    ) {
      throw new AppError('VALIDATION_FAILED', {
        details: [{ field, message: '乡镇中心只能派往本乡镇内的单位；需要部门处理请吹哨或报县中心' }],
      });
    }
  }
  return ids.map((id) => byId.get(id)!);
}

/** Replaces the lead and assisting units of a case (whistled departments stay). */
export async function setHandlingUnits(
  trx: Kysely<DB>,
  c: CaseRow,
  lead: string,
  assists: readonly string[],
  now: Date,
): Promise<void> {
  await trx
    .deleteFrom('case_units')
    .where('case_id', '=', c.id)
    .where('relation', 'in', ['lead', 'assist'])
    .execute();
  await trx
    .insertInto('case_units')
    .values([
      { case_id: c.id, org_id: lead, relation: 'lead', county_code: c.county_code, assigned_at: now },
      ...[...new Set(assists)]
        .filter((a) => a !== lead)
        .map((a) => ({
          case_id: c.id,
          org_id: a,
          relation: 'assist' as const,
          county_code: c.county_code,
          assigned_at: now,
        })),
    ])
    .execute();
}

/** Assisting units that have not yet replied to the lead. */
export async function pendingAssists(trx: Kysely<DB>, caseId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('case_units')
    .select('org_id')
    .where('case_id', '=', caseId)
    .where('relation', '=', 'assist')
    .where('replied_at', 'is', null)
    .execute();
  return rows.map((r) => r.org_id);
}
