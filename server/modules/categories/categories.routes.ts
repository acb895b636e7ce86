import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { errors, STAFF_ERRORS } from '../../http/schemas.ts';
import { createCategory, listCategories, patchCategory, publicCategoryTree } from './categories.service.ts';

const CaseType = Type.Union([Type.Literal('appeal'), Type.Literal('event')]);
const Level = Type.Union(
  [Type.Literal('village'), Type.Literal('township'), Type.Literal('department'), Type.Literal('county')],
  {
    description:
      'Who handles it: the village, the township, the default department, or the county centre (兜底)',
  },
);
const Urgency = Type.Union([Type.Literal('normal'), Type.Literal('urgent'), Type.Literal('emergency')]);
const ReplyLimit = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: 1000 }),
    unit: Type.Union([
      Type.Literal('hours'),
      Type.Literal('working_hours'),
      Type.Literal('working_days'),
      Type.Literal('natural_days'),
    ]),
  },
  { additionalProperties: false },
);
const Name = Type.String({ minLength: 1, maxLength: 50, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
const NameEn = Type.String({ maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]*$' });
const OrgId = Type.String({ pattern: '^[0-9A-Z]{1,32}$' });
/** Null first: with type coercion on, a string branch first would turn null into "". */
const NullableOrgId = Type.Union([Type.Null(), OrgId]);

const PublicNode = Type.Object({ code: Type.String(), name: Type.String(), nameEn: Type.String() });
const PublicTree = Type.Object({
  groups: Type.Array(
    Type.Object({
      code: Type.String(),
      name: Type.String(),
      nameEn: Type.String(),
      children: Type.Array(PublicNode),
    }),
  ),
});

const CategorySchema = Type.Object({
  id: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  nameEn: Type.String(),
  level: Level,
  defaultOrg: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  urgency: Urgency,
  replyLimit: Type.Object({ amount: Type.Integer(), unit: Type.String() }),
  caseTypes: Type.Array(Type.String()),
  public: Type.Boolean(),
  active: Type.Boolean(),
  keywords: Type.Array(Type.String()),
  version: Type.Integer(),
});

/** The category taxonomy: the public tree for the portal, the full list for staff, edits for admins. */
export function registerCategoryRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/public/categories',
    {
      config: { access: { who: 'public' } },
      schema: {
        summary: 'Categories offered to the public',
        description:
          'The active, public two-level taxonomy (groups and their categories) for the portal’s category picker, ' +
          'optionally only those for appeals or for events. Codes and names only; cacheable for five minutes.',
        tags: ['public'],
        querystring: Type.Object({ type: Type.Optional(CaseType) }, { additionalProperties: false }),
        response: { 200: PublicTree, ...errors(400) },
      },
    },
    async (req, reply) => {
      const body = await publicCategoryTree(ctx, req.query.type);
      return reply.header('cache-control', 'public, max-age=300').send(body);
    },
  );

  app.get(
    '/api/categories',
    {
      config: { access: { who: 'staff' } },
      schema: {
        summary: 'All categories with their routing settings',
        description:
          'Every category of the county, active or not, in taxonomy order: handling level, default unit, urgency, ' +
          'reply limit, case types, flags and version. For staff who read cases and for admins (403 otherwise).',
        tags: ['categories'],
        querystring: Type.Object({ type: Type.Optional(CaseType) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ items: Type.Array(CategorySchema), total: Type.Integer() }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => listCategories(ctx, staffOf(req), req.query),
  );

  app.patch(
    '/api/categories/:id',
    {
      config: { access: { who: 'staff', permission: 'category.manage' } },
      schema: {
        summary: 'Change a category',
        description:
          'Names, handling level, default unit (an active department, township, village or the county of this ' +
          'county; a department-level category needs a department), urgency, reply limit, public and active flags. ' +
          'Cases received from now on follow it. Send the version you read: 409 CONFLICT if someone changed it first.',
        tags: ['categories'],
        params: Type.Object({ id: Type.String({ pattern: '^[A-Z]{2}([0-9]{2})?$' }) }),
        body: Type.Object(
          {
            name: Type.Optional(Name),
            nameEn: Type.Optional(NameEn),
            level: Type.Optional(Level),
            defaultOrgId: Type.Optional(NullableOrgId),
            urgency: Type.Optional(Urgency),
            replyLimit: Type.Optional(ReplyLimit),
            public: Type.Optional(Type.Boolean()),
            active: Type.Optional(Type.Boolean()),
            version: Type.Integer({ minimum: 1, description: 'The version you read' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ category: CategorySchema }), ...STAFF_ERRORS, ...errors(409) },
      },
    },
    (req) => patchCategory(ctx, staffOf(req), req.params.id, req.body, metaOf(req)),
  );

  app.post(
    '/api/categories',
    {
      config: { access: { who: 'staff', permission: 'category.manage' } },
      schema: {
        summary: 'Add a category under a group',
        description:
          'Adds a second-level category to an existing top-level group: code = the group’s two letters and two ' +
          'digits (CJ09). Settings left out come from the group. 409 DUPLICATE when the code is taken.',
        tags: ['categories'],
        body: Type.Object(
          {
            code: Type.String({ pattern: '^[A-Z]{2}[0-9]{2}$' }),
            name: Name,
            nameEn: Type.Optional(NameEn),
            level: Type.Optional(Level),
            defaultOrgId: Type.Optional(NullableOrgId),
            urgency: Type.Optional(Urgency),
            replyLimit: Type.Optional(ReplyLimit),
            caseTypes: Type.Optional(Type.Array(CaseType, { minItems: 1, maxItems: 2 })),
            public: Type.Optional(Type.Boolean()),
            keywords: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { maxItems: 20 }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ category: CategorySchema }), ...STAFF_ERRORS, ...errors(409) },
      },
    },
    async (req, reply) => {
      const body = await createCategory(ctx, staffOf(req), req.body, metaOf(req));
      return reply.status(201).send(body);
    },
  );
}
