import { type Insertable, type Kysely, sql } from 'kysely';
import type { AppContext } from '../context.ts';
import type { CaseRow, DB, NotificationsTable } from '../db/schema.ts';
import type { NotificationSpec } from './workflow.ts';

/**
 * Writes notifications in the action's transaction (the outbox): in-app rows are read by the
 * recipients' inboxes; SMS rows are delivered afterwards by `deliverOutbox`, so a rolled-back
 * action never sends a message and a committed one is never forgotten.
 */
export async function enqueueNotifications(
  trx: Kysely<DB>,
  _ctx: AppContext,
  c: CaseRow,
  specs: readonly NotificationSpec[],
  now: Date,
): Promise<void> {
  const rows = notificationRows(c, specs, now);
  if (rows.length) await trx.insertInto('notifications').values(rows).execute();
}

/** The outbox rows of a case event's notifications (written by the caller, in its transaction). */
export function notificationRows(
  c: CaseRow,
  specs: readonly NotificationSpec[],
  now: Date,
): Insertable<NotificationsTable>[] {
  const rows: Insertable<NotificationsTable>[] = [];
  for (const n of specs) {
    const target =
      n.to === 'lead'
        ? c.lead_org_id
          ? { kind: 'org' as const, id: c.lead_org_id }
          : null
        : n.to === 'citizen'
          ? c.citizen_id
            ? { kind: 'citizen' as const, id: c.citizen_id }
            : null
          : n.to === 'supervisors'
            ? { kind: 'org' as const, id: `${c.county_code}C` }
            : n.to;
    if (!target) continue;
    const base = {
      county_code: c.county_code,
      recipient_kind: target.kind,
      recipient_id: target.id,
      kind: n.kind,
      case_id: c.id,
      title: n.title.replaceAll('{code}', c.code),
      body: n.body.replaceAll('{code}', c.code).replaceAll('{title}', c.title),
      created_at: now,
    };
    rows.push({ ...base, channel: 'inapp' });
    if (n.sms && target.kind === 'citizen') rows.push({ ...base, channel: 'sms' });
  }
  return rows;
}

/**
 * Sends pending SMS notifications. Each row is claimed with `FOR UPDATE SKIP LOCKED` and marked sent
 * in the same transaction as the send attempt, so two workers never send one message twice.
 */
export async function deliverOutbox(ctx: AppContext, limit = 50): Promise<number> {
  let sent = 0;
  await ctx.database.transaction(async (trx) => {
    const rows = await trx
      .selectFrom('notifications as n')
      .leftJoin('citizens as z', (j) => j.on((eb) => eb(sql`z.id::text`, '=', eb.ref('n.recipient_id'))))
      .select(['n.id', 'n.body', 'n.attempts', 'z.phone_enc'])
      .where('n.channel', '=', 'sms')
      .where('n.sent_at', 'is', null)
      .where('n.attempts', '<', 5)
      .where('n.recipient_kind', '=', 'citizen')
      .orderBy('n.id')
      .limit(limit)
      .forUpdate('n')
      .skipLocked()
      .execute();
    for (const r of rows) {
      try {
        if (!r.phone_enc) throw new Error('no phone');
        await ctx.sms.send(ctx.cipher.decrypt(r.phone_enc), r.body);
        await trx
          .updateTable('notifications')
          .set({ sent_at: ctx.clock.now(), attempts: r.attempts + 1 })
          .where('id', '=', r.id)
          .execute();
        sent++;
      } catch (err) {
        await trx
          .updateTable('notifications')
          .set({ attempts: r.attempts + 1, last_error: String((err as Error).message).slice(0, 200) })
          .where('id', '=', r.id)
          .execute();
      }
    }
  });
  return sent;
}
