import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { CATEGORY_TAXONOMY } from './taxonomy.ts';

/**
 * Loads the category taxonomy for a county, resolving each department category's default unit from
 * the department's key (org subtype). Existing categories keep admin edits (insert only new codes).
 */
export async function seedCategories(trx: Kysely<DB>, countyCode: string, now: Date): Promise<number> {
  const depts = await trx
    .selectFrom('org_units')
    .select(['id', 'subtype'])
    .where('county_code', '=', countyCode)
    .where('kind', '=', 'department')
    .execute();
  const deptByKey = new Map(depts.map((d) => [d.subtype ?? '', d.id]));
  const rows = CATEGORY_TAXONOMY.map((c, i) => ({
    id: c.code,
    county_code: countyCode,
    parent_id: c.parent,
    name: c.name,
    name_en: c.nameEn,
    level: c.level,
    department_key: c.departmentKey,
    default_org_id:
      c.level === 'department'
        ? (deptByKey.get(c.departmentKey ?? '') ?? null)
        : c.level === 'county'
          ? countyCode
          : null,
    urgency: c.urgency,
    reply_limit_amount: c.replyLimit.amount,
    reply_limit_unit: c.replyLimit.unit,
    case_types: [...c.caseTypes],
    public: c.public,
    keywords: [...c.keywords],
    sort: i,
    updated_at: now,
  }));
  // Parents first (the taxonomy lists each group before its children).
  for (let i = 0; i < rows.length; i += 200) {
    await trx
      .insertInto('categories')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  return rows.length;
}
