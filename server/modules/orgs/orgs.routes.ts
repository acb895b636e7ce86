import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { errors, STAFF_ERRORS } from '../../http/schemas.ts';
import { OrgDetail, OrgIdParams, OrgListQuery, OrgPatchBody, OrgSchema } from './orgs.schemas.ts';
import { getOrg, listOrgs, patchOrg } from './orgs.service.ts';

/** Org tree endpoints: read within the jurisdiction, edit for admins. */
export function registerOrgRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/orgs',
    {
      config: { access: { who: 'staff', permission: 'org.read' } },
      schema: {
        summary: 'List org units in my jurisdiction',
        description:
          'Townships, villages, centres and departments the signed-in staff member may see, filtered by kind and name.',
        tags: ['orgs'],
        querystring: OrgListQuery,
        response: {
          200: Type.Object({ items: Type.Array(OrgSchema), total: Type.Integer() }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => listOrgs(ctx, staffOf(req), req.query),
  );

  app.get(
    '/api/orgs/:id',
    {
      config: { access: { who: 'staff', permission: 'org.read' } },
      schema: {
        summary: 'One org unit with its children',
        description: 'Answers 404 when the unit lies outside the caller’s jurisdiction.',
        tags: ['orgs'],
        params: OrgIdParams,
        response: { 200: OrgDetail, ...STAFF_ERRORS },
      },
    },
    (req) => getOrg(ctx, staffOf(req), req.params.id),
  );

  app.patch(
    '/api/orgs/:id',
    {
      config: { access: { who: 'staff', permission: 'org.update' } },
      schema: {
        summary: 'Rename or deactivate an org unit',
        description:
          'Optimistic concurrency: send the version you read; 409 CONFLICT if someone changed it first.',
        tags: ['orgs'],
        params: OrgIdParams,
        body: OrgPatchBody,
        response: {
          200: Type.Object({ org: OrgSchema, abilities: Type.Object({ update: Type.Boolean() }) }),
          ...STAFF_ERRORS,
          ...errors(409),
        },
      },
    },
    (req) => patchOrg(ctx, staffOf(req), req.params.id, req.body, metaOf(req)),
  );
}
