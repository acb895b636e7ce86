import type { Kysely } from 'kysely';
import type { Actor } from '../../authz/actor.ts';
import type { DB } from '../../db/schema.ts';

/**
 * The closed list of audited actions. Adding one is a deliberate change reviewed with the privacy
 * notice (docs/SECURITY.md).
 */
export type AuditAction =
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.locked'
  | 'auth.logout'
  | 'auth.otp_requested'
  | 'auth.otp_verified'
  | 'auth.otp_failed'
  | 'org.updated'
  | 'org.imported'
  | 'grid.updated'
  | 'grid.imported'
  | 'user.created'
  | 'user.updated'
  | 'user.password_reset'
  | 'citizen.viewed'
  | 'citizen.revealed'
  | 'demo.seeded'
  | 'case.contact_revealed'
  | 'category.created'
  | 'category.updated'
  | 'calendar.updated'
  | 'settings.updated'
  | 'device.created'
  | 'device.updated'
  | 'device.secret_rotated'
  | 'iot_rule.created'
  | 'iot_rule.updated'
  | 'webhook.created'
  | 'webhook.updated'
  | 'webhook.redelivered'
  | 'exchange.created'
  | 'exchange.updated'
  | 'apikey.created'
  | 'apikey.revoked'
  | 'open311.request'
  | 'keys.rotated'
  | 'keys.retired'
  | 'privacy.retention'
  | 'privacy.exported';

export interface AuditEntry {
  action: AuditAction;
  targetType?: string;
  targetId?: string;
  detail?: Record<string, unknown>;
  ip?: string | undefined;
  requestId?: string | undefined;
}

/**
 * Appends to the audit log. Call it with the same transaction as the change it records, so the
 * change and its record commit or vanish together.
 */
export async function audit(db: Kysely<DB>, actor: Actor, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      county_code: actor.countyCode,
      actor_kind: actor.kind,
      actor_id: actor.kind === 'staff' ? actor.userId : actor.kind === 'citizen' ? actor.citizenId : null,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
      ip: entry.ip ?? null,
      request_id: entry.requestId ?? null,
    })
    .execute();
}
