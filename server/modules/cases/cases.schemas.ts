import { Type } from 'typebox';
import { QUEUES } from './cases.repository.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Str = Type.String();
const NStr = Nullable(Type.String());
const NNum = Type.Union([Type.Number(), Type.Null()]);
/** Free-form JSON object (routing reasons, event details). */
const Obj = Type.Record(Type.String(), Type.Unknown());

export const CaseIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const IntakeBody = Type.Object(
  {
    type: Type.Union([Type.Literal('appeal'), Type.Literal('event')], { default: 'appeal' }),
    channel: Type.Union(
      ['web', 'kiosk', 'phone', 'walk_in', 'grid', 'iot', 'camera', 'open311', 'app'].map((c) =>
        Type.Literal(c),
      ),
    ),
    categoryId: Type.String({ pattern: '^[A-Z]{2}[0-9]{0,2}$' }),
    urgency: Type.Optional(
      Type.Union([Type.Literal('normal'), Type.Literal('urgent'), Type.Literal('emergency')]),
    ),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.String({ minLength: 5, maxLength: 5000 }),
    lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    address: Type.Optional(Type.String({ maxLength: 200 })),
    villageId: Type.Optional(Type.String({ pattern: '^[0-9]{12}$' })),
    contactName: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    contactPhone: Type.Optional(Type.String({ pattern: '^1[3-9][0-9]{9}$' })),
    anonymous: Type.Optional(Type.Boolean()),
    confidential: Type.Optional(Type.Boolean()),
    attachments: Type.Optional(
      Type.Array(Type.String({ format: 'uuid' }), {
        maxItems: 9,
        description: 'Ids of photos uploaded first with POST /api/uploads',
      }),
    ),
    idempotencyKey: Type.Optional(
      Type.String({ minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
    ),
  },
  { additionalProperties: false },
);

export const CaseDetail = Type.Object({
  case: Type.Object({
    id: Str,
    code: Str,
    type: Str,
    typeLabel: Str,
    state: Str,
    stateLabel: Str,
    version: Type.Integer(),
    channel: Str,
    category: Type.Union([Type.Object({ id: Str, name: Str }), Type.Null()]),
    urgency: Str,
    title: Str,
    description: Str,
    location: Type.Object({
      lon: NNum,
      lat: NNum,
      address: NStr,
      gridId: NStr,
      villageId: NStr,
      villageName: NStr,
      townshipId: NStr,
      townshipName: NStr,
    }),
    routing: Type.Union([Obj, Type.Null()]),
    lead: Type.Union([Type.Object({ id: Str, name: Str }), Type.Null()]),
    units: Type.Array(Type.Object({ orgId: Str, name: Str, relation: Str, status: Str, reply: NStr })),
    supervisionLevel: Str,
    redoCount: Type.Integer(),
    extensionCount: Type.Integer(),
    returnCount: Type.Integer(),
    pending: Obj,
    contact: Type.Object({
      anonymous: Type.Boolean(),
      confidential: Type.Boolean(),
      phoneMasked: NStr,
      hasName: Type.Boolean(),
    }),
    resolved: Type.Union([Type.Boolean(), Type.Null()]),
    satisfaction: NStr,
    attachments: Type.Array(
      Type.Object({
        id: Str,
        width: Type.Integer(),
        height: Type.Integer(),
        size: Type.Integer(),
        source: Str,
        createdAt: Str,
      }),
      { description: 'Photos; fetch each from /api/attachments/{id} (size=thumb for a thumbnail)' },
    ),
    receivedAt: Str,
    dispatchedAt: NStr,
    repliedAt: NStr,
    closedAt: NStr,
    mergedInto: NStr,
    deadlines: Type.Array(Type.Object({ stage: Str, orgId: NStr, dueAt: Str, status: Str })),
    whistles: Type.Array(
      Type.Object({
        id: Str,
        reasonClass: Str,
        message: Str,
        createdAt: Str,
        whistlerOrgId: Str,
        departmentId: Str,
        departmentName: Str,
        status: Str,
        dueAt: Str,
        reportedAt: NStr,
        responder: NStr,
        actionTaken: NStr,
        late: Type.Boolean(),
        rating: Type.Union([Type.Integer(), Type.Null()]),
      }),
    ),
  }),
  abilities: Type.Object({
    actions: Type.Array(Str, { description: 'Workflow actions this reader may take now' }),
    revealContact: Type.Boolean(),
  }),
  replayed: Type.Optional(
    Type.Boolean({ description: 'True when an idempotency key matched an earlier intake' }),
  ),
});

export const CaseListQuery = Type.Object(
  {
    queue: Type.Union(
      QUEUES.map((q) => Type.Literal(q)),
      { default: 'all' },
    ),
    type: Type.Optional(Type.Union([Type.Literal('appeal'), Type.Literal('event')])),
    state: Type.Optional(Type.String({ pattern: '^[a-z_]{3,30}$' })),
    categoryId: Type.Optional(Type.String({ pattern: '^[A-Z]{2}[0-9]{0,2}$' })),
    townshipId: Type.Optional(Type.String({ pattern: '^[0-9]{9}$' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 100000, default: 0 }),
  },
  { additionalProperties: false },
);

export const CaseListItem = Type.Object({
  id: Str,
  code: Str,
  type: Str,
  state: Str,
  stateLabel: Str,
  title: Str,
  urgency: Str,
  channel: Str,
  categoryId: NStr,
  categoryName: NStr,
  leadOrgId: NStr,
  leadName: NStr,
  villageId: NStr,
  villageName: NStr,
  supervisionLevel: Str,
  receivedAt: Str,
  nextDueAt: NStr,
  version: Type.Integer(),
});

export const ActionBody = Type.Object(
  {
    version: Type.Optional(
      Type.Integer({ minimum: 1, description: 'The version you read; 409 CONFLICT if someone acted first' }),
    ),
    input: Type.Optional(Obj),
  },
  { additionalProperties: false },
);

export const Timeline = Type.Object({
  items: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      at: Str,
      action: Str,
      label: Str,
      fromState: NStr,
      toState: Str,
      actor: Type.Object({ kind: Str, name: Str }),
      details: Obj,
    }),
  ),
});

export const DuplicateList = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Str,
      code: Str,
      title: Str,
      state: Str,
      receivedAt: Str,
      score: Type.Number(),
      reasons: Type.Array(Str),
    }),
  ),
});
