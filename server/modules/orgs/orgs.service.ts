import type { StaffActor } from '../../authz/actor.ts';
import { canUpdateOrg } from '../../authz/policies.ts';
import { countyScope, scopeOf } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import type { OrgKind, OrgUnit } from '../../db/schema.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import {
  findOrgInScope,
  listAncestorsInScope,
  listChildrenInScope,
  type OrgSearch,
  searchOrgsInScope,
  updateOrg,
} from './orgs.repository.ts';

/** The public face of an org unit in API responses. */
export function presentOrg(o: OrgUnit) {
  return {
    id: o.id,
    name: o.name,
    kind: o.kind,
    subtype: o.subtype,
    parentId: o.parent_id,
    path: o.path,
    active: o.active,
    version: o.version,
  };
}

/** An org unit with its children and what the actor may do with it; 404 outside the jurisdiction. */
export async function getOrg(ctx: AppContext, actor: StaffActor, id: string) {
  const scope = scopeOf(actor);
  const org = await findOrgInScope(ctx.database.db, scope, id);
  if (!org) throw notFound();
  const [children, ancestors] = await Promise.all([
    listChildrenInScope(ctx.database.db, scope, id),
    listAncestorsInScope(ctx.database.db, scope, org),
  ]);
  return {
    org: presentOrg(org),
    ancestors: ancestors.map((a) => ({ id: a.id, name: a.name, kind: a.kind })),
    children: children.map((c) => ({
      id: c.id,
      name: c.name,
      kind: c.kind,
      subtype: c.subtype,
      active: c.active,
    })),
    abilities: { update: canUpdateOrg(actor, org) },
  };
}

/** Lists org units in the jurisdiction. */
export async function listOrgs(ctx: AppContext, actor: StaffActor, search: OrgSearch) {
  // The county's departments are whom any unit may whistle (吹哨) or hand work to: their names are
  // listed to all staff of the county. Every other kind stays inside the caller's jurisdiction.
  const scope = search.kind === 'department' ? countyScope(actor.countyCode) : scopeOf(actor);
  const { items, total } = await searchOrgsInScope(ctx.database.db, scope, search);
  return { items: items.map(presentOrg), total };
}

/** Renames or (de)activates an org unit, with optimistic concurrency and an audit entry. */
export async function patchOrg(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  input: { name?: string | undefined; active?: boolean | undefined; version: number },
  meta: { ip?: string; requestId?: string },
) {
  return ctx.database.transaction(async (trx) => {
    const org = await findOrgInScope(trx, scopeOf(actor), id);
    if (!org) throw notFound();
    if (!canUpdateOrg(actor, org)) throw new AppError('FORBIDDEN');
    const updated = await updateOrg(trx, id, input.version, input, ctx.clock.now());
    if (!updated) throw new AppError('CONFLICT');
    await audit(trx, actor, {
      action: 'org.updated',
      targetType: 'org',
      targetId: id,
      detail: {
        before: { name: org.name, active: org.active },
        after: { name: updated.name, active: updated.active },
      },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    return { org: presentOrg(updated), abilities: { update: canUpdateOrg(actor, updated) } };
  });
}

export type { OrgKind };
