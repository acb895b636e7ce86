import { type Kysely, type Selectable, sql } from 'kysely';
import type {
  DB,
  WebhookDeliveriesTable,
  WebhookDeliveryStatus,
  WebhookEvent,
  WebhookSubscriptionsTable,
} from '../../db/schema.ts';

/**
 * Webhook subscriptions are county-wide configuration, not records placed in the org tree: every
 * read and write is bounded by the county, and no jurisdiction inside it partitions them.
 */

export type Subscription = Selectable<WebhookSubscriptionsTable> & { created_by_name: string | null };
export type Delivery = Selectable<WebhookDeliveriesTable> & { subscription_name: string };

/** Per subscription: how many deliveries are in each status, and the last success. */
export interface DeliveryStats {
  pending: number;
  delivered: number;
  failed: number;
  lastDeliveredAt: Date | null;
}

function subscriptions(db: Kysely<DB>, countyCode: string) {
  return db
    .selectFrom('webhook_subscriptions as s')
    .leftJoin('users as u', 'u.id', 's.created_by')
    .selectAll('s')
    .select('u.display_name as created_by_name')
    .where('s.county_code', '=', countyCode);
}

/** Every subscription of the county, active ones first. */
export function listSubscriptions(db: Kysely<DB>, countyCode: string): Promise<Subscription[]> {
  return subscriptions(db, countyCode).orderBy('s.active', 'desc').orderBy('s.created_at').execute();
}

/** One subscription of the county (another county's looks exactly like a missing one). */
export function findSubscription(
  db: Kysely<DB>,
  countyCode: string,
  id: string,
): Promise<Subscription | undefined> {
  return subscriptions(db, countyCode).where('s.id', '=', id).executeTakeFirst();
}

/** Delivery counts per subscription of the county. */
export async function deliveryStats(db: Kysely<DB>, countyCode: string): Promise<Map<string, DeliveryStats>> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => [
      'subscription_id',
      eb.fn.countAll<number>().filterWhere('status', '=', 'pending').as('pending'),
      eb.fn.countAll<number>().filterWhere('status', '=', 'delivered').as('delivered'),
      eb.fn.countAll<number>().filterWhere('status', '=', 'failed').as('failed'),
      eb.fn.max('delivered_at').as('last_delivered_at'),
    ])
    .where('county_code', '=', countyCode)
    .groupBy('subscription_id')
    .execute();
  return new Map(
    rows.map((r) => [
      r.subscription_id,
      {
        pending: Number(r.pending),
        delivered: Number(r.delivered),
        failed: Number(r.failed),
        lastDeliveredAt: (r.last_delivered_at as Date | null) ?? null,
      },
    ]),
  );
}

export interface DeliveryFilter {
  webhookId?: string | undefined;
  status?: WebhookDeliveryStatus | undefined;
  event?: WebhookEvent | 'ping' | undefined;
  caseCode?: string | undefined;
  limit: number;
  offset: number;
}

function deliveries(db: Kysely<DB>, countyCode: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
    .where('d.county_code', '=', countyCode);
}

/** The delivery log of the county, newest first, with filters. */
export async function searchDeliveries(
  db: Kysely<DB>,
  countyCode: string,
  f: DeliveryFilter,
): Promise<{ rows: Delivery[]; total: number }> {
  let q = deliveries(db, countyCode);
  if (f.webhookId) q = q.where('d.subscription_id', '=', f.webhookId);
  if (f.status) q = q.where('d.status', '=', f.status);
  if (f.event) q = q.where('d.event', '=', f.event);
  if (f.caseCode) q = q.where(sql<string>`d.payload -> 'case' ->> 'code'`, '=', f.caseCode);
  const [rows, total] = await Promise.all([
    q
      .selectAll('d')
      .select('s.name as subscription_name')
      .orderBy('d.created_at', 'desc')
      .orderBy('d.id')
      .limit(f.limit)
      .offset(f.offset)
      .execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

/** One delivery of the county. */
export function findDelivery(db: Kysely<DB>, countyCode: string, id: string): Promise<Delivery | undefined> {
  return deliveries(db, countyCode)
    .selectAll('d')
    .select('s.name as subscription_name')
    .where('d.id', '=', id)
    .executeTakeFirst();
}
