import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { STAFF_ERRORS } from '../../http/schemas.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './apikeys.service.ts';

const ApiKey = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  system: Type.String({ description: 'Who uses the key: the client system' }),
  keyPrefix: Type.String({ description: 'The first characters of the key, to tell keys apart' }),
  active: Type.Boolean(),
  createdBy: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const Label = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\u0000-\\u001f\\u007f]*\\S[^\\u0000-\\u001f\\u007f]*$',
});

/** Admins issue and revoke the API keys of systems that talk Open311 to the county. */
export function registerApiKeyRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/integrations/api-keys',
    {
      config: { access: { who: 'staff', permission: 'apikey.manage' } },
      schema: {
        summary: 'Open311 API keys',
        description:
          'Every API key of the county, newest first: name, system, the first characters of the key, who issued ' +
          'it, when it was revoked and last used. Never the key itself. Admins only (403 otherwise).',
        tags: ['integrations'],
        response: { 200: Type.Object({ items: Type.Array(ApiKey), total: Type.Integer() }), ...STAFF_ERRORS },
      },
    },
    (req) => listApiKeys(ctx, staffOf(req)),
  );

  app.post(
    '/api/integrations/api-keys',
    {
      config: { access: { who: 'staff', permission: 'apikey.manage' } },
      schema: {
        summary: 'Issue an Open311 API key',
        description:
          'Issues a key for a client system (e.g. a FixMyStreet site). The key is in this answer once and never ' +
          'again — only its hash is stored; give it to the system’s operator over a safe channel. Audited.',
        tags: ['integrations'],
        body: Type.Object(
          {
            name: Label,
            system: Type.String({ ...Label, description: 'Who uses it, e.g. “FixMyStreet 南昌县站点”' }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ apiKey: ApiKey, key: Type.String({ description: 'Shown once: gz311_…' }) }),
          ...STAFF_ERRORS,
        },
      },
    },
    async (req, reply) => {
      const body = await createApiKey(ctx, staffOf(req), req.body, metaOf(req));
      return reply.status(201).header('cache-control', 'no-store').send(body);
    },
  );

  app.post(
    '/api/integrations/api-keys/:id/revoke',
    {
      config: { access: { who: 'staff', permission: 'apikey.manage' } },
      schema: {
        summary: 'Revoke an Open311 API key',
        description:
          'From now on the key answers 403 on every Open311 call that needs or checks it. Revoking a revoked key ' +
          'changes nothing. Another county’s key is 404. Audited.',
        tags: ['integrations'],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Object({ apiKey: ApiKey }), ...STAFF_ERRORS },
      },
    },
    (req) => revokeApiKey(ctx, staffOf(req), req.params.id, metaOf(req)),
  );
}
