import { ROLE_ORG_KINDS, type StaffRole } from '../../../common/roles.ts';
import type { Actor, StaffActor } from '../../authz/actor.ts';
import { canManageUser } from '../../authz/policies.ts';
import { countyScope, type Scope, scopeOf } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import { checkPasswordPolicy, hashPassword } from '../../lib/crypto.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import { findOrgInScope } from '../orgs/orgs.repository.ts';
import { findUserInScope, searchUsersInScope, type UserRow, type UserSearch } from './users.repository.ts';

/** A staff account as the API shows it (never the password hash). */
export function presentUser(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    displayName: u.display_name,
    role: u.role,
    orgId: u.org_id,
    orgName: u.org_name,
    active: u.active,
    locked: Boolean(u.locked_until && u.locked_until > new Date()),
    lastLoginAt: u.last_login_at ? u.last_login_at.toISOString() : null,
    version: u.version,
  };
}

export async function listUsers(ctx: AppContext, actor: StaffActor, search: UserSearch) {
  const { items, hasMore } = await searchUsersInScope(ctx.database.db, scopeOf(actor), search);
  return { items: items.map(presentUser), hasMore };
}

export async function getUser(ctx: AppContext, actor: StaffActor, id: string) {
  const u = await findUserInScope(ctx.database.db, scopeOf(actor), id);
  if (!u) throw notFound();
  return { user: presentUser(u), abilities: { update: canManageUser(actor, u) && u.id !== actor.userId } };
}

export interface NewUserInput {
  username: string;
  displayName: string;
  role: StaffRole;
  orgId: string;
  password: string;
}

/**
 * Creates a staff account in a unit of the caller's jurisdiction. The unit's kind must fit the role
 * (a department handler belongs to a department, …). Used by the API, the CLI and the demo seed.
 */
export async function createUser(
  ctx: AppContext,
  actor: Actor,
  input: NewUserInput,
  meta: { ip?: string; requestId?: string } = {},
): Promise<{ id: string }> {
  const scope: Scope = actor.kind === 'staff' ? scopeOf(actor) : countyScope(actor.countyCode);
  const username = input.username.trim().toLowerCase();
  const problems: { field: string; message: string }[] = [];
  const policy = checkPasswordPolicy(input.password, username);
  if (policy) problems.push({ field: 'password', message: policy });
  if (!/^[a-z0-9_.-]{3,40}$/.test(username)) {
    problems.push({ field: 'username', message: '用户名为 3–40 位小写字母、数字、点、下划线或连字符' });
  }
  const passwordHash = await hashPassword(input.password);
  return ctx.database.transaction(async (trx) => {
    const org = await findOrgInScope(trx, scope, input.orgId);
    if (!org) problems.push({ field: 'orgId', message: '所属单位不存在或不在您的辖区内' });
    else if (!(ROLE_ORG_KINDS[input.role] as readonly string[]).includes(org.kind)) {
      problems.push({ field: 'role', message: '该角色不能设在此类单位' });
    }
    if (problems.length) throw new AppError('VALIDATION_FAILED', { details: problems });
    if (actor.kind === 'staff' && !canManageUser(actor, org!)) throw new AppError('FORBIDDEN');
    const taken = await trx
      .selectFrom('users')
      .select('id')
      .where('username', '=', username)
      .executeTakeFirst();
    if (taken) {
      throw new AppError('DUPLICATE', {
        message: '用户名已被使用',
        details: [{ field: 'username', message: '用户名已被使用' }],
      });
    }
    const row = await trx
      .insertInto('users')
      .values({
        county_code: org!.county_code,
        username,
        display_name: input.displayName,
        role: input.role,
        org_id: org!.id,
        password_hash: passwordHash,
        updated_at: ctx.clock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await audit(trx, actor, {
      action: 'user.created',
      targetType: 'user',
      targetId: row.id,
      detail: { username, role: input.role, orgId: org!.id },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    return { id: row.id };
  });
}

export interface UserPatch {
  displayName?: string | undefined;
  role?: StaffRole | undefined;
  orgId?: string | undefined;
  active?: boolean | undefined;
  password?: string | undefined;
  unlock?: boolean | undefined;
  version: number;
}

/** Changes a staff account. Managers cannot change their own account here (no self-escalation). */
export async function patchUser(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  patch: UserPatch,
  meta: { ip?: string; requestId?: string },
) {
  const scope = scopeOf(actor);
  if (patch.password) {
    const policy = checkPasswordPolicy(patch.password);
    if (policy)
      throw new AppError('VALIDATION_FAILED', { details: [{ field: 'password', message: policy }] });
  }
  const passwordHash = patch.password ? await hashPassword(patch.password) : undefined;
  await ctx.database.transaction(async (trx) => {
    const u = await findUserInScope(trx, scope, id);
    if (!u) throw notFound();
    if (!canManageUser(actor, u) || u.id === actor.userId) throw new AppError('FORBIDDEN');
    const policy = patch.password ? checkPasswordPolicy(patch.password, u.username) : null;
    if (policy)
      throw new AppError('VALIDATION_FAILED', { details: [{ field: 'password', message: policy }] });
    const role = patch.role ?? (u.role as StaffRole);
    const orgId = patch.orgId ?? u.org_id;
    if (patch.role || patch.orgId) {
      const org = await findOrgInScope(trx, scope, orgId);
      if (!org) {
        throw new AppError('VALIDATION_FAILED', {
          details: [{ field: 'orgId', message: '所属单位不存在或不在您的辖区内' }],
        });
      }
      if (!(ROLE_ORG_KINDS[role] as readonly string[]).includes(org.kind)) {
        throw new AppError('VALIDATION_FAILED', {
          details: [{ field: 'role', message: '该角色不能设在此类单位' }],
        });
      }
    }
    const updated = await trx
      .updateTable('users')
      .set((eb) => ({
        ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
        ...(patch.active !== undefined ? { active: patch.active } : {}),
        ...(passwordHash ? { password_hash: passwordHash } : {}),
        ...(patch.unlock ? { locked_until: null, failed_logins: 0 } : {}),
        role,
        org_id: orgId,
        version: eb('version', '+', 1),
        updated_at: ctx.clock.now(),
      }))
      .where('id', '=', id)
      .where('version', '=', patch.version)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw new AppError('CONFLICT');
    // Role, unit or password changes end the account's sessions so that new rights apply at once.
    if (patch.role || patch.orgId || patch.password || patch.active === false) {
      await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
    }
    await audit(trx, actor, {
      action: patch.password ? 'user.password_reset' : 'user.updated',
      targetType: 'user',
      targetId: id,
      detail: {
        displayName: patch.displayName,
        role: patch.role,
        orgId: patch.orgId,
        active: patch.active,
        unlock: patch.unlock,
      },
      ip: meta.ip,
      requestId: meta.requestId,
    });
  });
  return getUser(ctx, actor, id);
}
