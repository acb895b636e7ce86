import type { StaffActor } from '../../authz/actor.ts';
import { canRevealCitizen } from '../../authz/policies.ts';
import { scopeOf } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import { findCitizenInScope } from './citizens.repository.ts';

/**
 * A citizen's record, masked. Reading personal data is itself audited (PIPL: who looked at whom).
 */
export async function getCitizen(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  meta: { ip?: string; requestId?: string },
) {
  const c = await findCitizenInScope(ctx.database.db, scopeOf(actor), id);
  if (!c) throw notFound();
  await audit(ctx.database.db, actor, {
    action: 'citizen.viewed',
    targetType: 'citizen',
    targetId: id,
    ip: meta.ip,
    requestId: meta.requestId,
  });
  return {
    citizen: {
      id: c.id,
      phoneMasked: c.phone_masked,
      hasName: c.name_enc !== null,
      hasIdNumber: c.id_number_enc !== null,
      homeOrgId: c.home_org_id,
      homeOrgName: c.home_name,
      createdAt: c.created_at.toISOString(),
    },
    abilities: { reveal: canRevealCitizen(actor, c) },
  };
}

/** Shows a citizen's full phone (and name, ID number when held) to a role that may, recording the reveal. */
export async function revealCitizen(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  reason: string,
  meta: { ip?: string; requestId?: string },
) {
  return ctx.database.transaction(async (trx) => {
    const c = await findCitizenInScope(trx, scopeOf(actor), id);
    if (!c) throw notFound();
    if (!canRevealCitizen(actor, c)) throw new AppError('FORBIDDEN');
    // The audit row commits with the reveal: no reveal without its record.
    await audit(trx, actor, {
      action: 'citizen.revealed',
      targetType: 'citizen',
      targetId: id,
      detail: { reason },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    return {
      phone: ctx.cipher.decrypt(c.phone_enc),
      name: c.name_enc ? ctx.cipher.decrypt(c.name_enc) : null,
      idNumber: c.id_number_enc ? ctx.cipher.decrypt(c.id_number_enc) : null,
    };
  });
}
