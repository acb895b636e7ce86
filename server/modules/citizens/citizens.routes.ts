import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { STAFF_ERRORS } from '../../http/schemas.ts';
import { CitizenExport, exportCitizen } from '../privacy/export.ts';
import { getCitizen, revealCitizen } from './citizens.service.ts';

const CitizenId = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Citizens' records for staff: masked by default, revealed with a reason and an audit entry. */
export function registerCitizenRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/citizens/:id',
    {
      config: { access: { who: 'staff', permission: 'citizen.read' } },
      schema: {
        summary: 'A citizen, masked',
        description: 'Phone masked as 138****1234. 404 outside the jurisdiction. The read is audited.',
        tags: ['citizens'],
        params: CitizenId,
        response: {
          200: Type.Object({
            citizen: Type.Object({
              id: Type.String(),
              phoneMasked: Type.String(),
              hasName: Type.Boolean(),
              hasIdNumber: Type.Boolean(),
              homeOrgId: Type.Union([Type.String(), Type.Null()]),
              homeOrgName: Type.Union([Type.String(), Type.Null()]),
              createdAt: Type.String(),
            }),
            abilities: Type.Object({ reveal: Type.Boolean() }),
          }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => getCitizen(ctx, staffOf(req), req.params.id, metaOf(req)),
  );

  app.post(
    '/api/citizens/:id/reveal',
    {
      config: { access: { who: 'staff', permission: 'citizen.reveal' } },
      schema: {
        summary: 'Reveal a citizen’s contact details',
        description:
          'Returns the full phone number (and name and ID number when held). Requires a reason; every reveal is audited.',
        tags: ['citizens'],
        params: CitizenId,
        body: Type.Object(
          { reason: Type.String({ minLength: 2, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            phone: Type.String(),
            name: Type.Union([Type.String(), Type.Null()]),
            idNumber: Type.Union([Type.String(), Type.Null()]),
          }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => revealCitizen(ctx, staffOf(req), req.params.id, req.body.reason, metaOf(req)),
  );

  app.get(
    '/api/citizens/:id/export',
    {
      config: { access: { who: 'staff', permission: 'citizen.export' } },
      schema: {
        summary: 'Everything held about one citizen (PIPL copy)',
        description:
          'Administrators only. The account with the decrypted phone, name and ID number; the citizen’s cases with contacts and replies; ' +
          'the case events they wrote; upload metadata; sessions; a pending one-time code; messages sent to them; and the audit trail of ' +
          'their own actions and of every look at their data. Nothing about other citizens. The export is audited (`privacy.exported`).',
        tags: ['citizens'],
        params: CitizenId,
        response: { 200: CitizenExport, ...STAFF_ERRORS },
      },
    },
    async (req, reply) => {
      const data = await exportCitizen(ctx, staffOf(req), req.params.id, metaOf(req));
      return reply
        .header('content-disposition', `attachment; filename="citizen-${req.params.id}.json"`)
        .send(data);
    },
  );
}
