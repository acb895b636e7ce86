import { Type } from 'typebox';
import type { Actor } from '../../authz/actor.ts';
import { countyScope, scopeOf } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import { notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import { findCitizenInScope } from '../citizens/citizens.repository.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Free = Type.Record(Type.String(), Type.Unknown());

/** The export's shape (also its OpenAPI response schema). */
export const CitizenExport = Type.Object({
  exportedAt: Type.String(),
  account: Type.Object({
    id: Type.String(),
    phone: Type.String(),
    name: Nullable(Type.String()),
    idNumber: Nullable(Type.String()),
    homeOrgId: Nullable(Type.String()),
    createdAt: Type.String(),
    lastLoginAt: Nullable(Type.String()),
  }),
  cases: Type.Array(
    Type.Object({
      id: Type.String(),
      code: Type.String(),
      type: Type.String(),
      state: Type.String(),
      channel: Type.String(),
      categoryId: Nullable(Type.String()),
      title: Type.String(),
      description: Type.String(),
      address: Nullable(Type.String()),
      lon: Nullable(Type.Number()),
      lat: Nullable(Type.Number()),
      contactName: Nullable(Type.String()),
      contactPhone: Nullable(Type.String()),
      anonymous: Type.Boolean(),
      confidential: Type.Boolean(),
      resolved: Nullable(Type.Boolean()),
      satisfaction: Nullable(Type.String()),
      receivedAt: Type.String(),
      closedAt: Nullable(Type.String()),
      replies: Type.Array(Type.Object({ orgId: Type.String(), reply: Type.String() })),
      open311Email: Nullable(Type.String()),
    }),
  ),
  eventsWritten: Type.Array(
    Type.Object({
      caseId: Type.String(),
      seq: Type.Integer(),
      action: Type.String(),
      at: Type.String(),
      payload: Free,
    }),
  ),
  uploads: Type.Array(
    Type.Object({
      id: Type.String(),
      caseId: Nullable(Type.String()),
      contentType: Type.String(),
      width: Type.Integer(),
      height: Type.Integer(),
      size: Type.Integer(),
      createdAt: Type.String(),
    }),
  ),
  sessions: Type.Array(
    Type.Object({
      createdAt: Type.String(),
      expiresAt: Type.String(),
      lastSeenAt: Type.String(),
      ip: Nullable(Type.String()),
      userAgent: Nullable(Type.String()),
    }),
  ),
  oneTimeCode: Nullable(
    Type.Object({ sentAt: Type.String(), expiresAt: Type.String(), attempts: Type.Integer() }),
  ),
  notifications: Type.Array(
    Type.Object({
      channel: Type.String(),
      kind: Type.String(),
      caseId: Nullable(Type.String()),
      title: Type.String(),
      body: Type.String(),
      createdAt: Type.String(),
      sentAt: Nullable(Type.String()),
    }),
  ),
  activity: Type.Array(
    Type.Object({
      at: Type.String(),
      action: Type.String(),
      byThem: Type.Boolean(),
      actorKind: Type.String(),
      ip: Nullable(Type.String()),
      detail: Free,
    }),
  ),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Everything held about one citizen (PIPL art. 45, the right to a copy): the account with the
 * decrypted phone, name and ID number; their cases with contacts and the replies they received;
 * the events they wrote; uploads (metadata, not bytes); sessions; a pending one-time code; the
 * messages sent to them; and the audit trail of what they did and of every look at their data.
 * Nothing of anyone else: other citizens' rows are never read. The export itself is audited.
 */
export async function exportCitizen(
  ctx: AppContext,
  actor: Actor,
  citizenId: string,
  meta: { ip?: string; requestId?: string } = {},
) {
  const { db } = ctx.database;
  const county = actor.countyCode;
  // Staff export only citizens placed in their jurisdiction (admins sit at the county); the CLI
  // (system) sees the whole county.
  const scope = actor.kind === 'staff' ? scopeOf(actor) : countyScope(county);
  if (!(await findCitizenInScope(db, scope, citizenId))) throw notFound();
  const c = await db
    .selectFrom('citizens')
    .selectAll()
    .where('id', '=', citizenId)
    .where('county_code', '=', county)
    .executeTakeFirst();
  if (!c) throw notFound();
  const dec = (v: string | null) => (v ? ctx.cipher.decrypt(v) : null);

  const cases = await db
    .selectFrom('cases')
    .selectAll()
    .where('citizen_id', '=', c.id)
    .where('county_code', '=', county)
    .orderBy('received_at')
    .execute();
  const caseIds = cases.map((k) => k.id);
  const replies = caseIds.length
    ? await db
        .selectFrom('case_units')
        .select(['case_id', 'org_id', 'reply'])
        .where('case_id', 'in', caseIds)
        .where('reply', 'is not', null)
        .execute()
    : [];
  const open311 = caseIds.length
    ? await db
        .selectFrom('open311_requests')
        .select(['case_id', 'email_enc'])
        .where('case_id', 'in', caseIds)
        .execute()
    : [];
  const events = await db
    .selectFrom('case_events')
    .select(['case_id', 'seq', 'action', 'at', 'payload'])
    .where('actor_kind', '=', 'citizen')
    .where('actor_id', '=', c.id)
    .where('county_code', '=', county)
    .orderBy('at')
    .orderBy('seq')
    .execute();
  const uploads = await db
    .selectFrom('attachments')
    .select(['id', 'case_id', 'content_type', 'width', 'height', 'size', 'created_at'])
    .where('county_code', '=', county)
    .where((eb) =>
      eb.or([
        eb.and([eb('uploader_kind', '=', 'citizen'), eb('uploader_id', '=', c.id)]),
        ...(caseIds.length ? [eb('case_id', 'in', caseIds)] : []),
      ]),
    )
    .orderBy('created_at')
    .execute();
  const sessions = await db
    .selectFrom('sessions')
    .select(['created_at', 'expires_at', 'last_seen_at', 'ip', 'user_agent'])
    .where('citizen_id', '=', c.id)
    .orderBy('created_at')
    .execute();
  const otp = await db
    .selectFrom('otp_codes')
    .select(['created_at', 'expires_at', 'attempts'])
    .where('county_code', '=', county)
    .where('phone_hash', '=', c.phone_hash)
    .executeTakeFirst();
  const notifications = await db
    .selectFrom('notifications')
    .select(['channel', 'kind', 'case_id', 'title', 'body', 'created_at', 'sent_at'])
    .where('county_code', '=', county)
    .where('recipient_kind', '=', 'citizen')
    .where('recipient_id', '=', c.id)
    .orderBy('created_at')
    .execute();
  const activity = await db
    .selectFrom('audit_log')
    .select(['at', 'action', 'actor_kind', 'actor_id', 'ip', 'detail'])
    .where('county_code', '=', county)
    .where((eb) =>
      eb.or([
        eb.and([eb('actor_kind', '=', 'citizen'), eb('actor_id', '=', c.id)]),
        eb.and([eb('target_type', '=', 'citizen'), eb('target_id', '=', c.id)]),
      ]),
    )
    .orderBy('at')
    .execute();

  const result = {
    exportedAt: ctx.clock.now().toISOString(),
    account: {
      id: c.id,
      phone: ctx.cipher.decrypt(c.phone_enc),
      name: dec(c.name_enc),
      idNumber: dec(c.id_number_enc),
      homeOrgId: c.home_org_id,
      createdAt: c.created_at.toISOString(),
      lastLoginAt: iso(c.last_login_at),
    },
    cases: cases.map((k) => ({
      id: k.id,
      code: k.code,
      type: k.type,
      state: k.state,
      channel: k.channel,
      categoryId: k.category_id,
      title: k.title,
      description: k.description,
      address: k.address,
      lon: k.lon,
      lat: k.lat,
      contactName: dec(k.contact_name_enc),
      contactPhone: dec(k.contact_phone_enc),
      anonymous: k.anonymous,
      confidential: k.confidential,
      resolved: k.resolved,
      satisfaction: k.satisfaction,
      receivedAt: k.received_at.toISOString(),
      closedAt: iso(k.closed_at),
      replies: replies
        .filter((r) => r.case_id === k.id)
        .map((r) => ({ orgId: r.org_id, reply: r.reply ?? '' })),
      open311Email: dec(open311.find((o) => o.case_id === k.id)?.email_enc ?? null),
    })),
    eventsWritten: events.map((e) => ({
      caseId: e.case_id,
      seq: e.seq,
      action: e.action,
      at: e.at.toISOString(),
      payload: e.payload as Record<string, unknown>,
    })),
    uploads: uploads.map((u) => ({
      id: u.id,
      caseId: u.case_id,
      contentType: u.content_type,
      width: u.width,
      height: u.height,
      size: u.size,
      createdAt: u.created_at.toISOString(),
    })),
    sessions: sessions.map((s) => ({
      createdAt: s.created_at.toISOString(),
      expiresAt: s.expires_at.toISOString(),
      lastSeenAt: s.last_seen_at.toISOString(),
      ip: s.ip,
      userAgent: s.user_agent,
    })),
    oneTimeCode: otp
      ? {
          sentAt: otp.created_at.toISOString(),
          expiresAt: otp.expires_at.toISOString(),
          attempts: otp.attempts,
        }
      : null,
    notifications: notifications.map((n) => ({
      channel: n.channel,
      kind: n.kind,
      caseId: n.case_id,
      title: n.title,
      body: n.body,
      createdAt: n.created_at.toISOString(),
      sentAt: iso(n.sent_at),
    })),
    activity: activity.map((a) => ({
      at: a.at.toISOString(),
      action: a.action,
      byThem: a.actor_kind === 'citizen' && a.actor_id === c.id,
      actorKind: a.actor_kind,
      ip: a.ip,
      detail: (typeof a.detail === 'string' ? JSON.parse(a.detail) : a.detail) as Record<string, unknown>,
    })),
  };
  await audit(db, actor, {
    action: 'privacy.exported',
    targetType: 'citizen',
    targetId: c.id,
    detail: { cases: cases.length },
    ip: meta.ip,
    requestId: meta.requestId,
  });
  return result;
}
