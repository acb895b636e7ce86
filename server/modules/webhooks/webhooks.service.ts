import type { StaffActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import type { WebhookEvent } from '../../db/schema.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import { deliverNow } from './webhooks.delivery.ts';
import {
  type Delivery,
  type DeliveryFilter,
  type DeliveryStats,
  deliveryStats,
  findDelivery,
  findSubscription,
  listSubscriptions,
  type Subscription,
  searchDeliveries,
} from './webhooks.repository.ts';
import { newWebhookSecret, webhookUrlProblem } from './webhooks.signature.ts';

type Meta = { ip?: string | undefined; requestId?: string | undefined };

const NO_STATS: DeliveryStats = { pending: 0, delivered: 0, failed: 0, lastDeliveredAt: null };

/** The host of a URL, for audit rows and read-only views (a query string may hold a token). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** A subscription as admins see it: never the secret (it is shown once, when made or rotated). */
export function presentWebhook(s: Subscription, stats: DeliveryStats = NO_STATS) {
  return {
    id: s.id,
    name: s.name,
    system: s.system,
    url: s.url,
    events: s.events,
    active: s.active,
    version: s.version,
    createdBy: s.created_by ? { id: s.created_by, name: s.created_by_name ?? '' } : null,
    createdAt: s.created_at.toISOString(),
    updatedAt: s.updated_at.toISOString(),
    stats: {
      pending: stats.pending,
      delivered: stats.delivered,
      failed: stats.failed,
      lastDeliveredAt: stats.lastDeliveredAt?.toISOString() ?? null,
    },
  };
}

/** One line of the delivery log. */
export function presentDelivery(d: Delivery) {
  const payload = d.payload as { case?: { code?: string } };
  return {
    id: d.id,
    webhookId: d.subscription_id,
    webhookName: d.subscription_name,
    event: d.event,
    eventId: d.case_event_id,
    caseId: d.case_id,
    caseCode: payload.case?.code ?? null,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.next_attempt_at?.toISOString() ?? null,
    lastStatus: d.last_status,
    lastError: d.last_error,
    deliveredAt: d.delivered_at?.toISOString() ?? null,
    createdAt: d.created_at.toISOString(),
    payload: d.payload,
  };
}

/** The URL as stored: checked, then normalised (scheme and host in lower case). */
function checkedUrl(url: string): string {
  const problem = webhookUrlProblem(url);
  if (problem) throw new AppError('VALIDATION_FAILED', { details: [{ field: 'url', message: problem }] });
  return new URL(url).href;
}

const unique = (events: WebhookEvent[]) => [...new Set(events)];

/** The county's subscriptions with their delivery counts. */
export async function listWebhooks(ctx: AppContext, actor: StaffActor) {
  const db = ctx.database.db;
  const [subs, stats] = await Promise.all([
    listSubscriptions(db, actor.countyCode),
    deliveryStats(db, actor.countyCode),
  ]);
  return { items: subs.map((s) => presentWebhook(s, stats.get(s.id))) };
}

/** One subscription of the county (404 otherwise). */
export async function getWebhook(ctx: AppContext, actor: StaffActor, id: string) {
  const s = await findSubscription(ctx.database.db, actor.countyCode, id);
  if (!s) throw notFound();
  const stats = await deliveryStats(ctx.database.db, actor.countyCode);
  return { webhook: presentWebhook(s, stats.get(s.id)) };
}

export interface WebhookInput {
  name: string;
  system: string;
  url: string;
  events: WebhookEvent[];
  active?: boolean | undefined;
}

/**
 * Adds a subscription with a fresh signing secret, stored encrypted. The answer carries the secret
 * this once; afterwards it can only be replaced (`rotateSecret`), never read. Audited.
 */
export async function createWebhook(ctx: AppContext, actor: StaffActor, input: WebhookInput, meta: Meta) {
  const url = checkedUrl(input.url);
  const secret = newWebhookSecret();
  const now = ctx.clock.now();
  const id = await ctx.database.transaction(async (trx) => {
    const row = await trx
      .insertInto('webhook_subscriptions')
      .values({
        county_code: actor.countyCode,
        name: input.name.trim(),
        system: input.system.trim(),
        url,
        secret_enc: ctx.cipher.encrypt(secret),
        events: unique(input.events),
        active: input.active ?? true,
        created_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await audit(trx, actor, {
      action: 'webhook.created',
      targetType: 'webhook',
      targetId: row.id,
      detail: { name: input.name, system: input.system, host: hostOf(url), events: input.events },
      ...meta,
    });
    return row.id;
  });
  return { ...(await getWebhook(ctx, actor, id)), secret };
}

export interface WebhookPatch extends Partial<WebhookInput> {
  rotateSecret?: boolean | undefined;
  version: number;
}

/**
 * Changes a subscription (optimistic: the version read, else 409 CONFLICT). Deactivating cancels
 * its pending deliveries — a subscription switched back on months later must not replay a backlog;
 * single deliveries can still be redelivered. `rotateSecret` answers the new secret once. Audited.
 */
export async function updateWebhook(
  ctx: AppContext,
  actor: StaffActor,
  id: string,
  patch: WebhookPatch,
  meta: Meta,
) {
  const db = ctx.database.db;
  const current = await findSubscription(db, actor.countyCode, id);
  if (!current) throw notFound();
  const url = patch.url !== undefined ? checkedUrl(patch.url) : undefined;
  const secret = patch.rotateSecret ? newWebhookSecret() : undefined;
  const now = ctx.clock.now();
  await ctx.database.transaction(async (trx) => {
    const updated = await trx
      .updateTable('webhook_subscriptions')
      .set((eb) => ({
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.system !== undefined ? { system: patch.system.trim() } : {}),
        ...(url !== undefined ? { url } : {}),
        ...(patch.events !== undefined ? { events: unique(patch.events) } : {}),
        ...(patch.active !== undefined ? { active: patch.active } : {}),
        ...(secret ? { secret_enc: ctx.cipher.encrypt(secret) } : {}),
        version: eb('version', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('county_code', '=', actor.countyCode)
      .where('version', '=', patch.version)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw new AppError('CONFLICT');
    let cancelled = 0;
    if (patch.active === false && current.active) {
      const r = await trx
        .updateTable('webhook_deliveries')
        .set({ status: 'cancelled', next_attempt_at: null, last_error: '订阅已停用' })
        .where('subscription_id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      cancelled = Number(r.numUpdatedRows);
    }
    const changed = Object.keys(patch).filter((k) => k !== 'version' && k !== 'url');
    await audit(trx, actor, {
      action: 'webhook.updated',
      targetType: 'webhook',
      targetId: id,
      detail: {
        changed: url !== undefined ? [...changed, 'url'] : changed,
        ...(url !== undefined ? { host: hostOf(url) } : {}),
        ...(patch.active !== undefined ? { active: patch.active } : {}),
        ...(cancelled ? { cancelledDeliveries: cancelled } : {}),
      },
      ...meta,
    });
  });
  return { ...(await getWebhook(ctx, actor, id)), ...(secret ? { secret } : {}) };
}

/**
 * Sends a signed `ping` to the subscription now and answers how it went (one attempt, no retries),
 * so an admin can check the URL and the receiver's signature check before real events flow.
 */
export async function pingWebhook(ctx: AppContext, actor: StaffActor, id: string) {
  const db = ctx.database.db;
  const s = await findSubscription(db, actor.countyCode, id);
  if (!s) throw notFound();
  const now = ctx.clock.now();
  const row = await db
    .insertInto('webhook_deliveries')
    .values({
      county_code: actor.countyCode,
      subscription_id: s.id,
      event: 'ping',
      payload: JSON.stringify({
        event: 'ping',
        occurredAt: now.toISOString(),
        county: actor.countyCode,
        webhook: { id: s.id, name: s.name, events: s.events },
      }),
      next_attempt_at: now,
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await deliverNow(ctx, row.id);
  return getDelivery(ctx, actor, row.id);
}

/** One delivery of the county's log (404 otherwise). */
export async function getDelivery(ctx: AppContext, actor: StaffActor, id: string) {
  const d = await findDelivery(ctx.database.db, actor.countyCode, id);
  if (!d) throw notFound();
  return { delivery: presentDelivery(d) };
}

/** The delivery log, newest first, filtered by subscription, status, event or case code. */
export async function listDeliveries(ctx: AppContext, actor: StaffActor, filter: DeliveryFilter) {
  const { rows, total } = await searchDeliveries(ctx.database.db, actor.countyCode, filter);
  return { items: rows.map(presentDelivery), total };
}

/**
 * Sends a delivery again, now, with the same delivery id (receivers that already processed it
 * recognise it by `X-Gongzhi-Delivery`). A failed or cancelled one starts over with a full set of
 * attempts; a pending one is simply tried now. Refused (409) while its subscription is switched off.
 * Audited.
 */
export async function redeliver(ctx: AppContext, actor: StaffActor, id: string, meta: Meta) {
  const db = ctx.database.db;
  const d = await findDelivery(db, actor.countyCode, id);
  if (!d) throw notFound();
  const s = await findSubscription(db, actor.countyCode, d.subscription_id);
  if (!s?.active && d.event !== 'ping') {
    throw new AppError('CONFLICT', { message: '该订阅已停用，请先启用后再重发' });
  }
  const now = ctx.clock.now();
  await ctx.database.transaction(async (trx) => {
    await trx
      .updateTable('webhook_deliveries')
      .set({
        status: 'pending',
        next_attempt_at: now,
        ...(d.status === 'pending' ? {} : { attempts: 0, delivered_at: null }),
      })
      .where('id', '=', id)
      .execute();
    await audit(trx, actor, {
      action: 'webhook.redelivered',
      targetType: 'webhook_delivery',
      targetId: id,
      detail: { webhookId: d.subscription_id, event: d.event, previousStatus: d.status },
      ...meta,
    });
  });
  await deliverNow(ctx, id);
  return getDelivery(ctx, actor, id);
}
