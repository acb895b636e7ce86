import { Type } from 'typebox';
import { STAFF_ROLES } from '../../../common/roles.ts';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { errors, STAFF_ERRORS } from '../../http/schemas.ts';
import { createUser, getUser, listUsers, patchUser } from './users.service.ts';

const RoleSchema = Type.Union(STAFF_ROLES.map((r) => Type.Literal(r)));
const UserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: Type.String(),
  orgId: Type.String(),
  orgName: Type.String(),
  active: Type.Boolean(),
  locked: Type.Boolean(),
  lastLoginAt: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(),
});
const UserDetail = Type.Object({ user: UserSchema, abilities: Type.Object({ update: Type.Boolean() }) });
const UserId = Type.Object({ id: Type.String({ format: 'uuid' }) });
const DisplayName = Type.String({ minLength: 1, maxLength: 50, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
const OrgId = Type.String({ pattern: '^[0-9A-Z]{1,32}$' });

/** Staff accounts: read in the jurisdiction; create and change for user managers. */
export function registerUserRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/users',
    {
      config: { access: { who: 'staff', permission: 'user.read' } },
      schema: {
        summary: 'Staff accounts in my jurisdiction',
        description: 'Filter by role, unit or a name fragment.',
        tags: ['users'],
        querystring: Type.Object(
          {
            role: Type.Optional(RoleSchema),
            orgId: Type.Optional(OrgId),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
            limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
            offset: Type.Integer({ minimum: 0, maximum: 100000, default: 0 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(UserSchema), hasMore: Type.Boolean() }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => listUsers(ctx, staffOf(req), req.query),
  );

  app.get(
    '/api/users/:id',
    {
      config: { access: { who: 'staff', permission: 'user.read' } },
      schema: {
        summary: 'One staff account',
        description: '404 when the account’s unit is outside the caller’s jurisdiction.',
        tags: ['users'],
        params: UserId,
        response: { 200: UserDetail, ...STAFF_ERRORS },
      },
    },
    (req) => getUser(ctx, staffOf(req), req.params.id),
  );

  app.post(
    '/api/users',
    {
      config: { access: { who: 'staff', permission: 'user.manage' } },
      schema: {
        summary: 'Create a staff account',
        description:
          'The unit must lie in the caller’s jurisdiction and fit the role. Password: ≥10 characters with letters and digits.',
        tags: ['users'],
        body: Type.Object(
          {
            username: Type.String({ minLength: 3, maxLength: 40 }),
            displayName: DisplayName,
            role: RoleSchema,
            orgId: OrgId,
            password: Type.String({ minLength: 1, maxLength: 128 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: UserDetail, ...STAFF_ERRORS, ...errors(409) },
      },
    },
    async (req, reply) => {
      const actor = staffOf(req);
      const { id } = await createUser(ctx, actor, req.body, metaOf(req));
      return reply.status(201).send(await getUser(ctx, actor, id));
    },
  );

  app.patch(
    '/api/users/:id',
    {
      config: { access: { who: 'staff', permission: 'user.manage' } },
      schema: {
        summary: 'Change a staff account',
        description:
          'Rename, change role or unit, deactivate, reset the password or unlock. Changing rights ends the account’s sessions.',
        tags: ['users'],
        params: UserId,
        body: Type.Object(
          {
            displayName: Type.Optional(DisplayName),
            role: Type.Optional(RoleSchema),
            orgId: Type.Optional(OrgId),
            active: Type.Optional(Type.Boolean()),
            password: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            unlock: Type.Optional(Type.Boolean()),
            version: Type.Integer({ minimum: 1 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: UserDetail, ...STAFF_ERRORS, ...errors(409) },
      },
    },
    (req) => patchUser(ctx, staffOf(req), req.params.id, req.body, metaOf(req)),
  );
}
