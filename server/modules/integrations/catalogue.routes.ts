import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { errors, STAFF_ERRORS } from '../../http/schemas.ts';
import { createExchange, getCatalogue, updateExchange } from './catalogue.service.ts';

const TAG = 'integrations';
const Line = (max: number, description?: string) =>
  Type.String({
    maxLength: max,
    pattern: '^[^\\u0000-\\u001f\\u007f]*$',
    ...(description ? { description } : {}),
  });
const System = Type.String({
  minLength: 1,
  maxLength: 60,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  description: 'The external system, e.g. 县公安局交通警察大队（交警）',
});
const Direction = Type.Union([Type.Literal('in'), Type.Literal('out'), Type.Literal('both')], {
  description: 'in: it sends us data; out: we send it data; both',
});
const Channel = Type.Union(
  ['open311', 'iot', 'camera', 'webhook', 'file_import', 'other'].map((c) => Type.Literal(c)),
  { description: 'How the data moves' },
);
const DataItems = Type.Array(Type.String({ minLength: 1, maxLength: 60 }), {
  minItems: 1,
  maxItems: 30,
  description: 'What is exchanged, one item each (no personal data should travel without a legal basis)',
});
const Extra = {
  legalBasis: Type.Optional(Line(200, 'Legal basis or agreement reference')),
  contact: Type.Optional(Line(100, 'A responsible office and its phone, not a private person')),
  note: Type.Optional(Line(200)),
  active: Type.Optional(Type.Boolean()),
};

const Exchange = Type.Object({
  id: Type.String(),
  system: Type.String(),
  direction: Type.String(),
  dataItems: Type.Array(Type.String()),
  channel: Type.String(),
  legalBasis: Type.String(),
  contact: Type.String(),
  note: Type.String(),
  active: Type.Boolean(),
  version: Type.Integer(),
  updatedBy: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  updatedAt: Type.String(),
});

const Live = Type.Object({
  webhooks: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      system: Type.String(),
      host: Type.String({ description: 'Host only; the full URL is for webhook admins' }),
      events: Type.Array(Type.String()),
      active: Type.Boolean(),
    }),
  ),
  open311: Type.Object({
    available: Type.Boolean({ description: 'false when the Open311 module is not installed' }),
    note: Type.Union([Type.String(), Type.Null()]),
    keys: Type.Array(
      Type.Object({
        name: Type.String(),
        system: Type.Union([Type.String(), Type.Null()]),
        active: Type.Boolean(),
      }),
    ),
  }),
  iot: Type.Object({
    available: Type.Boolean({ description: 'false when the IoT module is not installed' }),
    note: Type.Union([Type.String(), Type.Null()]),
    devices: Type.Array(Type.Object({ type: Type.String(), total: Type.Integer(), active: Type.Integer() })),
  }),
});

/** The data-sharing catalogue: which external systems send or receive what, and over which channel. */
export function registerCatalogueRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/integrations/catalogue',
    {
      config: { access: { who: 'staff', permission: 'catalogue.read' } },
      schema: {
        summary: 'Data-sharing catalogue',
        description:
          'Which external systems (交警, 城管, 网格, 12345 …) send or receive which data, over which channel, on ' +
          'which legal basis — as registered by admins — and, under `live`, what is actually configured: webhook ' +
          'subscriptions, Open311 API keys, IoT devices by type (each only when its module is installed). ' +
          'For admins, supervisors and county dispatchers.',
        tags: [TAG],
        response: { 200: Type.Object({ items: Type.Array(Exchange), live: Live }), ...STAFF_ERRORS },
      },
    },
    (req) => getCatalogue(ctx, staffOf(req)),
  );

  app.post(
    '/api/integrations/catalogue',
    {
      config: { access: { who: 'staff', permission: 'catalogue.manage' } },
      schema: {
        summary: 'Register a data exchange',
        description:
          'One entry per system and channel (409 DUPLICATE otherwise): direction, data items, channel, legal ' +
          'basis, contact. Audited.',
        tags: [TAG],
        body: Type.Object(
          { system: System, direction: Direction, dataItems: DataItems, channel: Channel, ...Extra },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ exchange: Exchange }), ...STAFF_ERRORS, ...errors(409) },
      },
    },
    async (req, reply) => {
      const r = await createExchange(ctx, staffOf(req), req.body, metaOf(req));
      return reply.status(201).send(r);
    },
  );

  app.patch(
    '/api/integrations/catalogue/:id',
    {
      config: { access: { who: 'staff', permission: 'catalogue.manage' } },
      schema: {
        summary: 'Change a data exchange',
        description:
          'Any field; `active: false` keeps the entry as history. Send the version you read: 409 CONFLICT if ' +
          'someone changed it first, 409 DUPLICATE if the system already has an entry for that channel. Audited.',
        tags: [TAG],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: Type.Object(
          {
            system: Type.Optional(System),
            direction: Type.Optional(Direction),
            dataItems: Type.Optional(DataItems),
            channel: Type.Optional(Channel),
            ...Extra,
            version: Type.Integer({ minimum: 1, description: 'The version you read' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ exchange: Exchange }), ...STAFF_ERRORS, ...errors(409) },
      },
    },
    (req) => updateExchange(ctx, staffOf(req), req.params.id, req.body, metaOf(req)),
  );
}
