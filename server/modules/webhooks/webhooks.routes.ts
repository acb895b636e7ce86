import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { errors, STAFF_ERRORS } from '../../http/schemas.ts';
import {
  Delivery,
  DeliveryQuery,
  Webhook,
  WebhookCreateBody,
  WebhookIdParams,
  WebhookPatchBody,
  WebhookWithSecret,
} from './webhooks.schemas.ts';
import {
  createWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  pingWebhook,
  redeliver,
  updateWebhook,
} from './webhooks.service.ts';

const TAG = 'integrations';
const ACCESS = { access: { who: 'staff' as const, permission: 'webhook.manage' as const } };
const SIGNING =
  'Each delivery is a JSON POST with X-Gongzhi-Event, X-Gongzhi-Delivery (its id, for the receiver’s ' +
  'idempotency), X-Gongzhi-Timestamp and X-Gongzhi-Signature: sha256=<hex HMAC-SHA-256 of "timestamp.body">. ' +
  'See docs/channels/webhooks.md.';

/** Outbound webhooks for other systems (case created, dispatched, replied, closed), for admins. */
export function registerWebhookRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/integrations/webhooks',
    {
      config: ACCESS,
      schema: {
        summary: 'Webhook subscriptions',
        description:
          'Every subscription of the county (active first) with its events and delivery counts. Never the secret. ' +
          SIGNING,
        tags: [TAG],
        response: { 200: Type.Object({ items: Type.Array(Webhook) }), ...STAFF_ERRORS },
      },
    },
    (req) => listWebhooks(ctx, staffOf(req)),
  );

  app.post(
    '/api/integrations/webhooks',
    {
      config: ACCESS,
      schema: {
        summary: 'Subscribe another system to case events',
        description:
          'Adds a subscription: name, receiving system, an http(s) URL (no credentials in it) and the events ' +
          '(case.created, case.dispatched, case.replied, case.closed). The answer shows the signing secret once; ' +
          'store it in the receiving system. Audited. ' +
          SIGNING,
        tags: [TAG],
        body: WebhookCreateBody,
        response: { 201: WebhookWithSecret, ...STAFF_ERRORS },
      },
    },
    async (req, reply) => {
      const r = await createWebhook(ctx, staffOf(req), req.body, metaOf(req));
      return reply.status(201).send(r);
    },
  );

  // Static paths before `:id`: find-my-way prefers them anyway; the order is for readers.
  app.get(
    '/api/integrations/webhooks/deliveries',
    {
      config: ACCESS,
      schema: {
        summary: 'Webhook delivery log',
        description:
          'Deliveries of the county, newest first, with attempts, the last HTTP status and error, and the body ' +
          'sent (no personal data). Filters: webhookId, status, event, caseCode.',
        tags: [TAG],
        querystring: DeliveryQuery,
        response: {
          200: Type.Object({ items: Type.Array(Delivery), total: Type.Integer() }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => listDeliveries(ctx, staffOf(req), req.query),
  );

  app.post(
    '/api/integrations/webhooks/deliveries/:id/redeliver',
    {
      config: ACCESS,
      schema: {
        summary: 'Send a delivery again',
        description:
          'Tries the delivery now with the same delivery id (a receiver that already has it recognises it). ' +
          'A failed or cancelled delivery starts over with all its attempts; a pending one is tried now. ' +
          '409 CONFLICT while the subscription is deactivated. Audited.',
        tags: [TAG],
        params: WebhookIdParams,
        response: { 200: Type.Object({ delivery: Delivery }), ...STAFF_ERRORS, ...errors(409) },
      },
    },
    (req) => redeliver(ctx, staffOf(req), req.params.id, metaOf(req)),
  );

  app.get(
    '/api/integrations/webhooks/:id',
    {
      config: ACCESS,
      schema: {
        summary: 'One webhook subscription',
        description: 'The subscription with its delivery counts; another county’s is 404. Never the secret.',
        tags: [TAG],
        params: WebhookIdParams,
        response: { 200: Type.Object({ webhook: Webhook }), ...STAFF_ERRORS },
      },
    },
    (req) => getWebhook(ctx, staffOf(req), req.params.id),
  );

  app.patch(
    '/api/integrations/webhooks/:id',
    {
      config: ACCESS,
      schema: {
        summary: 'Change, deactivate or re-key a subscription',
        description:
          'Name, system, URL, events, active (false deactivates and cancels its pending deliveries), ' +
          '`rotateSecret: true` (the answer shows the new secret once). Send the version you read: 409 CONFLICT ' +
          'if someone changed it first. Audited.',
        tags: [TAG],
        params: WebhookIdParams,
        body: WebhookPatchBody,
        response: { 200: WebhookWithSecret, ...STAFF_ERRORS, ...errors(409) },
      },
    },
    (req) => updateWebhook(ctx, staffOf(req), req.params.id, req.body, metaOf(req)),
  );

  app.post(
    '/api/integrations/webhooks/:id/ping',
    {
      config: ACCESS,
      schema: {
        summary: 'Send a test ping',
        description:
          'Sends a signed `ping` event to the URL now (one attempt, no retries; also to a deactivated ' +
          'subscription) and answers the delivery with its HTTP status or error.',
        tags: [TAG],
        params: WebhookIdParams,
        response: { 200: Type.Object({ delivery: Delivery }), ...STAFF_ERRORS },
      },
    },
    (req) => pingWebhook(ctx, staffOf(req), req.params.id),
  );
}
