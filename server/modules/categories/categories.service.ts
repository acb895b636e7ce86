import type { StaffActor } from '../../authz/actor.ts';
import { roleCan } from '../../authz/permissions.ts';
import type { AppContext } from '../../context.ts';
import type { Category, HandlingLevel, LimitUnitColumn, Urgency } from '../../db/schema.ts';
import { invalidateCountyConfig } from '../../engine/config.ts';
import { AppError, type FieldError, notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import { timeLimitProblems } from '../calendar/calendar.service.ts';
import {
  type CategoryPatchRow,
  type CategoryWithUnit,
  categoryCodeTaken,
  findCategory,
  findDefaultUnitCandidate,
  insertCategory,
  listCountyCategories,
  nextCategorySort,
  unsafeListPublicCategories,
  updateCategory,
} from './categories.repository.ts';

type Meta = { ip?: string | undefined; requestId?: string | undefined };
type CaseType = 'appeal' | 'event';

/** A category as staff and admins see it. */
export function presentCategory(c: Category, defaultOrgName: string | null) {
  return {
    id: c.id,
    parentId: c.parent_id,
    name: c.name,
    nameEn: c.name_en,
    level: c.level,
    defaultOrg: c.default_org_id ? { id: c.default_org_id, name: defaultOrgName ?? c.default_org_id } : null,
    urgency: c.urgency,
    replyLimit: { amount: c.reply_limit_amount, unit: c.reply_limit_unit },
    caseTypes: c.case_types,
    public: c.public,
    active: c.active,
    keywords: c.keywords,
    version: c.version,
  };
}

/**
 * The public, active two-level tree for the portal: groups with their children, optionally only
 * what applies to one case type. A group is shown when it is active and public and it, or one of its
 * children, applies; an inactive group hides its children too.
 */
export async function publicCategoryTree(ctx: AppContext, type: CaseType | undefined) {
  const rows = await unsafeListPublicCategories(ctx.database.db, ctx.config.countyCode);
  const fits = (r: { case_types: string[] }) => !type || r.case_types.includes(type);
  const groups = rows
    .filter((r) => r.parent_id === null)
    .map((g) => ({
      code: g.id,
      name: g.name,
      nameEn: g.name_en,
      fits: fits(g),
      children: rows
        .filter((c) => c.parent_id === g.id && fits(c))
        .map((c) => ({ code: c.id, name: c.name, nameEn: c.name_en })),
    }))
    .filter((g) => g.fits || g.children.length > 0)
    .map(({ fits: _fits, ...g }) => g);
  return { groups };
}

/**
 * Who may list categories with their routing settings: staff who read cases, and the admins who
 * manage categories (they hold no `case.read`). Categories are county-wide, not in a jurisdiction.
 */
export function canReadCategories(actor: StaffActor): boolean {
  return roleCan(actor.role, 'case.read') || roleCan(actor.role, 'category.manage');
}

/** Every category of the county with its level, default unit, urgency, reply limit and flags. */
export async function listCategories(
  ctx: AppContext,
  actor: StaffActor,
  filter: { type?: CaseType | undefined },
) {
  if (!canReadCategories(actor)) throw new AppError('FORBIDDEN');
  const rows = await listCountyCategories(ctx.database.db, actor.countyCode);
  const items = rows
    .filter((r) => !filter.type || r.case_types.includes(filter.type))
    .map((r: CategoryWithUnit) => presentCategory(r, r.default_org_name));
  return { items, total: items.length };
}

export interface CategoryPatch {
  name?: string | undefined;
  nameEn?: string | undefined;
  level?: HandlingLevel | undefined;
  defaultOrgId?: string | null | undefined;
  urgency?: Urgency | undefined;
  replyLimit?: { amount: number; unit: LimitUnitColumn } | undefined;
  public?: boolean | undefined;
  active?: boolean | undefined;
  version: number;
}

/**
 * Checks the routing settings a category would have after a change: its default unit must be an
 * active department, village, township or county unit of the county, and a department-level
 * category needs a department (routing sends its cases there). Returns the department key to store
 * (the department's subtype) and the field problems.
 */
async function checkRouting(
  db: AppContext['database']['db'],
  countyCode: string,
  level: HandlingLevel,
  defaultOrgId: string | null,
): Promise<{ departmentKey: string | null; problems: FieldError[] }> {
  const problems: FieldError[] = [];
  let departmentKey: string | null = null;
  if (defaultOrgId !== null) {
    const org = await findDefaultUnitCandidate(db, countyCode, defaultOrgId);
    if (!org) {
      problems.push({
        field: 'defaultOrgId',
        message: '默认承办单位须为本县在用的部门、乡镇、村（社区）或县',
      });
    } else if (level === 'department') {
      if (org.kind !== 'department')
        problems.push({ field: 'defaultOrgId', message: '部门级类别的默认承办单位必须是部门' });
      else departmentKey = org.subtype;
    }
  } else if (level === 'department') {
    problems.push({ field: 'defaultOrgId', message: '部门级类别必须指定默认承办部门' });
  }
  return { departmentKey, problems };
}

/**
 * Changes a category's names, routing (level, default unit), urgency, reply limit and flags, with
 * optimistic concurrency and an audit entry. Cases received from now on follow the change.
 */
export async function patchCategory(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  input: CategoryPatch,
  meta: Meta,
) {
  const result = await ctx.database.transaction(async (trx) => {
    const before = await findCategory(trx, actor.countyCode, id);
    if (!before) throw notFound();
    const problems: FieldError[] = [];
    if (input.replyLimit)
      problems.push(...timeLimitProblems(input.replyLimit, 'replyLimit', { integer: true }));
    const level = input.level ?? before.level;
    const defaultOrgId = input.defaultOrgId !== undefined ? input.defaultOrgId : before.default_org_id;
    const patch: CategoryPatchRow = {};
    if (input.level !== undefined || input.defaultOrgId !== undefined) {
      const routing = await checkRouting(trx, actor.countyCode, level, defaultOrgId);
      problems.push(...routing.problems);
      patch.level = level;
      patch.default_org_id = defaultOrgId;
      patch.department_key = routing.departmentKey;
    }
    if (problems.length) throw new AppError('VALIDATION_FAILED', { details: problems });
    if (input.name !== undefined) patch.name = input.name.trim();
    if (input.nameEn !== undefined) patch.name_en = input.nameEn.trim();
    if (input.urgency !== undefined) patch.urgency = input.urgency;
    if (input.replyLimit) {
      patch.reply_limit_amount = input.replyLimit.amount;
      patch.reply_limit_unit = input.replyLimit.unit;
    }
    if (input.public !== undefined) patch.public = input.public;
    if (input.active !== undefined) patch.active = input.active;
    const after = await updateCategory(trx, actor.countyCode, id, input.version, patch, ctx.clock.now());
    if (!after) throw new AppError('CONFLICT');
    await audit(trx, actor, {
      action: 'category.updated',
      targetType: 'category',
      targetId: id,
      detail: { before: auditView(before), after: auditView(after) },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    const org = after.default_org_id
      ? await findDefaultUnitCandidate(trx, actor.countyCode, after.default_org_id)
      : undefined;
    return { category: presentCategory(after, org?.name ?? null) };
  });
  // The engine caches categories and time limits (engine/config.ts): the next case sees this.
  invalidateCountyConfig();
  return result;
}

function auditView(c: Category) {
  return {
    name: c.name,
    nameEn: c.name_en,
    level: c.level,
    defaultOrgId: c.default_org_id,
    urgency: c.urgency,
    replyLimit: { amount: c.reply_limit_amount, unit: c.reply_limit_unit },
    public: c.public,
    active: c.active,
  };
}

export interface NewCategory {
  code: string;
  name: string;
  nameEn?: string | undefined;
  level?: HandlingLevel | undefined;
  defaultOrgId?: string | null | undefined;
  urgency?: Urgency | undefined;
  replyLimit?: { amount: number; unit: LimitUnitColumn } | undefined;
  caseTypes?: CaseType[] | undefined;
  public?: boolean | undefined;
  keywords?: string[] | undefined;
}

/**
 * Adds a second-level category under an existing top-level one of the county: the code is the
 * group's two letters and two digits (CJ09). Whatever the input leaves out comes from the group, as
 * in the built-in taxonomy. A code in use (in any county: codes are global keys) is 409 DUPLICATE.
 */
export async function createCategory(ctx: AppContext, actor: StaffActor, input: NewCategory, meta: Meta) {
  const result = await ctx.database.transaction(async (trx) => {
    const parentId = input.code.slice(0, 2);
    const parent = await findCategory(trx, actor.countyCode, parentId);
    if (!parent || parent.parent_id !== null) {
      throw new AppError('VALIDATION_FAILED', {
        details: [{ field: 'code', message: `没有一级类别 ${parentId}，编码须为已有一级类别编码加两位数字` }],
      });
    }
    if (await categoryCodeTaken(trx, input.code)) {
      throw new AppError('DUPLICATE', {
        message: `类别编码 ${input.code} 已被使用`,
        details: [{ field: 'code', message: '类别编码已被使用' }],
      });
    }
    const level = input.level ?? parent.level;
    const defaultOrgId =
      input.defaultOrgId !== undefined
        ? input.defaultOrgId
        : level === parent.level
          ? parent.default_org_id
          : level === 'county'
            ? actor.countyCode
            : null;
    const replyLimit = input.replyLimit ?? {
      amount: parent.reply_limit_amount,
      unit: parent.reply_limit_unit,
    };
    const problems: FieldError[] = timeLimitProblems(replyLimit, 'replyLimit', { integer: true });
    const routing = await checkRouting(trx, actor.countyCode, level, defaultOrgId);
    problems.push(...routing.problems);
    if (problems.length) throw new AppError('VALIDATION_FAILED', { details: problems });
    const row = await insertCategory(trx, {
      id: input.code,
      county_code: actor.countyCode,
      parent_id: parent.id,
      name: input.name.trim(),
      name_en: input.nameEn?.trim() ?? '',
      level,
      department_key: routing.departmentKey,
      default_org_id: defaultOrgId,
      urgency: input.urgency ?? parent.urgency,
      reply_limit_amount: replyLimit.amount,
      reply_limit_unit: replyLimit.unit,
      case_types: input.caseTypes ? [...new Set(input.caseTypes)] : [...parent.case_types],
      public: input.public ?? parent.public,
      keywords: input.keywords ?? [],
      sort: await nextCategorySort(trx, actor.countyCode),
      updated_at: ctx.clock.now(),
    }).catch((err: unknown) => {
      // Two admins adding one code at once: the loser's insert hits the primary key.
      if ((err as { code?: string }).code === '23505') {
        throw new AppError('DUPLICATE', { details: [{ field: 'code', message: '类别编码已被使用' }] });
      }
      throw err;
    });
    await audit(trx, actor, {
      action: 'category.created',
      targetType: 'category',
      targetId: row.id,
      detail: { after: auditView(row), parentId: parent.id },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    const org = row.default_org_id
      ? await findDefaultUnitCandidate(trx, actor.countyCode, row.default_org_id)
      : undefined;
    return { category: presentCategory(row, org?.name ?? null) };
  });
  // The engine caches categories and time limits (engine/config.ts): the next case sees this.
  invalidateCountyConfig();
  return result;
}
