import { Type } from 'typebox';

export const OrgKindSchema = Type.Union([
  Type.Literal('county'),
  Type.Literal('township'),
  Type.Literal('village'),
  Type.Literal('department'),
  Type.Literal('centre'),
]);

export const OrgSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: OrgKindSchema,
  subtype: Type.Union([Type.String(), Type.Null()]),
  parentId: Type.Union([Type.String(), Type.Null()]),
  path: Type.String(),
  active: Type.Boolean(),
  version: Type.Integer(),
});

export const OrgIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9A-Z]{1,32}$' }) });

export const OrgDetail = Type.Object({
  org: OrgSchema,
  ancestors: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), kind: OrgKindSchema }), {
    description: 'From the top of the caller’s jurisdiction down to the parent',
  }),
  children: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      kind: OrgKindSchema,
      subtype: Type.Union([Type.String(), Type.Null()]),
      active: Type.Boolean(),
    }),
  ),
  abilities: Type.Object({ update: Type.Boolean() }),
});

export const OrgListQuery = Type.Object(
  {
    kind: Type.Optional(OrgKindSchema),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 100000, default: 0 }),
  },
  { additionalProperties: false },
);

export const OrgPatchBody = Type.Object(
  {
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
    ),
    active: Type.Optional(Type.Boolean()),
    version: Type.Integer({
      minimum: 1,
      description: 'The version you read; a stale one answers 409 CONFLICT',
    }),
  },
  { additionalProperties: false },
);
