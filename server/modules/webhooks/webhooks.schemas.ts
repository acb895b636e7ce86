import { Type } from 'typebox';
import { WEBHOOK_EVENTS } from './webhooks.outbox.ts';

const Text = (max: number, description?: string) =>
  Type.String({
    minLength: 1,
    maxLength: max,
    pattern: '^[^\\u0000-\\u001f\\u007f]+$',
    ...(description ? { description } : {}),
  });
const SYSTEM = 'The receiving system, e.g. 城管 urban management, 12345 hotline';
const NStr = Type.Union([Type.String(), Type.Null()]);

export const WebhookEventSchema = Type.Union(
  WEBHOOK_EVENTS.map((e) => Type.Literal(e)),
  { description: 'case.created, case.dispatched, case.replied or case.closed' },
);
const DeliveryEvent = Type.Union([...WEBHOOK_EVENTS, 'ping'].map((e) => Type.Literal(e)));
const DeliveryStatus = Type.Union(
  ['pending', 'delivered', 'failed', 'cancelled'].map((s) => Type.Literal(s)),
  {
    description:
      'pending (waiting for its next attempt), delivered (2xx), failed (attempts used up), cancelled',
  },
);

export const WebhookIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const Url = Type.String({
  minLength: 8,
  maxLength: 500,
  pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
  description: 'http or https only; no credentials in the URL',
});
const Events = Type.Array(WebhookEventSchema, { minItems: 1, maxItems: 4, uniqueItems: true });

export const WebhookCreateBody = Type.Object(
  {
    name: Text(50),
    system: Text(50, SYSTEM),
    url: Url,
    events: Events,
    active: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const WebhookPatchBody = Type.Object(
  {
    name: Type.Optional(Text(50)),
    system: Type.Optional(Text(50, SYSTEM)),
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    active: Type.Optional(
      Type.Boolean({ description: 'false deactivates: its pending deliveries are cancelled' }),
    ),
    rotateSecret: Type.Optional(
      Type.Boolean({ description: 'true replaces the signing secret; the answer shows the new one once' }),
    ),
    version: Type.Integer({ minimum: 1, description: 'The version you read' }),
  },
  { additionalProperties: false },
);

export const Webhook = Type.Object({
  id: Type.String(),
  name: Type.String(),
  system: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  active: Type.Boolean(),
  version: Type.Integer(),
  createdBy: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  stats: Type.Object({
    pending: Type.Integer(),
    delivered: Type.Integer(),
    failed: Type.Integer(),
    lastDeliveredAt: NStr,
  }),
});

export const WebhookWithSecret = Type.Object({
  webhook: Webhook,
  secret: Type.Optional(
    Type.String({ description: 'The signing secret — only in the answer that made or rotated it' }),
  ),
});

export const Delivery = Type.Object({
  id: Type.String({ description: 'Also sent as X-Gongzhi-Delivery; the same on a redelivery' }),
  webhookId: Type.String(),
  webhookName: Type.String(),
  event: Type.String(),
  eventId: Type.Union([Type.Integer(), Type.Null()]),
  caseId: NStr,
  caseCode: NStr,
  status: Type.String(),
  attempts: Type.Integer(),
  nextAttemptAt: NStr,
  lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status of the last attempt' }),
  lastError: NStr,
  deliveredAt: NStr,
  createdAt: Type.String(),
  payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The JSON body sent' }),
});

export const DeliveryQuery = Type.Object(
  {
    webhookId: Type.Optional(Type.String({ format: 'uuid' })),
    status: Type.Optional(DeliveryStatus),
    event: Type.Optional(DeliveryEvent),
    caseCode: Type.Optional(Type.String({ pattern: '^[A-Z][0-9]{6,14}$' })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 100000, default: 0 }),
  },
  { additionalProperties: false },
);
