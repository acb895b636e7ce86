import type { ExpressionBuilder, Selectable } from 'kysely';
import type { StaffRole } from '../../../common/roles.ts';
import type { Actor } from '../../authz/actor.ts';
import { actingUnitOf } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import type { DB, NotificationsTable } from '../../db/schema.ts';
import { AppError, notFound } from '../../lib/errors.ts';

/**
 * The in-app inbox. Notifications are written by the engine in each action's transaction (the
 * outbox, `engine/notify.ts`), addressed to a user, an org unit or a citizen; this module only reads
 * them and marks them read. SMS rows of the same table are the outbox's business and never listed.
 *
 * A notification addressed to a unit is one row shared by the unit's staff: whoever reads it marks
 * it read for the unit (the table has one `read_at`).
 */

type Address = { kind: 'user' | 'org' | 'citizen'; id: string };

/**
 * Roles that also read the county centre's inbox (`${county}C`): the engine sends returns,
 * supervision and overdue escalations there ("supervisors").
 */
const CENTRE_INBOX_ROLES: readonly StaffRole[] = ['supervisor', 'county_dispatcher'];

/** The addresses whose notifications a caller may read: never more than these. */
export function addressesOf(actor: Actor): Address[] {
  if (actor.kind === 'citizen') return [{ kind: 'citizen', id: actor.citizenId }];
  if (actor.kind !== 'staff') throw new AppError('AUTH_REQUIRED');
  const list: Address[] = [
    { kind: 'user', id: actor.userId },
    { kind: 'org', id: actingUnitOf(actor) },
  ];
  if (CENTRE_INBOX_ROLES.includes(actor.role)) list.push({ kind: 'org', id: `${actor.countyCode}C` });
  return list;
}

/** The one filter for "in-app notifications addressed to this caller". */
function addressedTo(actor: Actor) {
  const addresses = addressesOf(actor);
  return (eb: ExpressionBuilder<DB, 'notifications'>) =>
    eb.and([
      eb('notifications.county_code', '=', actor.countyCode),
      eb('notifications.channel', '=', 'inapp'),
      eb.or(
        addresses.map((a) =>
          eb.and([
            eb('notifications.recipient_kind', '=', a.kind),
            eb('notifications.recipient_id', '=', a.id),
          ]),
        ),
      ),
    ]);
}

function presentNotification(n: Selectable<NotificationsTable>) {
  return {
    id: n.id,
    kind: n.kind,
    title: n.title,
    body: n.body,
    caseId: n.case_id,
    recipient: { kind: n.recipient_kind, id: n.recipient_id },
    createdAt: n.created_at.toISOString(),
    readAt: n.read_at ? n.read_at.toISOString() : null,
  };
}

/** The caller's in-app notifications, newest first, with the total and the unread count. */
export async function listNotifications(
  ctx: AppContext,
  actor: Actor,
  query: { unread?: boolean | undefined; limit: number; offset: number },
) {
  const db = ctx.database.db;
  const mine = db.selectFrom('notifications').where(addressedTo(actor));
  const listed = query.unread ? mine.where('read_at', 'is', null) : mine;
  const [items, total, unread] = await Promise.all([
    listed
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .offset(query.offset)
      .execute(),
    listed.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    mine
      .where('read_at', 'is', null)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { items: items.map(presentNotification), total: Number(total.n), unread: Number(unread.n) };
}

/**
 * Marks one notification read (keeping the first reading time). One not addressed to the caller is
 * not found, exactly like a missing one, and stays unread.
 */
export async function markRead(ctx: AppContext, actor: Actor, id: number) {
  const db = ctx.database.db;
  const now = ctx.clock.now();
  const row = await db
    .updateTable('notifications')
    .set((eb) => ({ read_at: eb.fn.coalesce('read_at', eb.val(now)) }))
    .where('id', '=', id)
    .where(addressedTo(actor))
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound();
  return { notification: presentNotification(row) };
}

/** Marks every unread notification addressed to the caller read; answers how many. */
export async function markAllRead(ctx: AppContext, actor: Actor) {
  const result = await ctx.database.db
    .updateTable('notifications')
    .set({ read_at: ctx.clock.now() })
    .where(addressedTo(actor))
    .where('read_at', 'is', null)
    .executeTakeFirst();
  return { updated: Number(result.numUpdatedRows) };
}
