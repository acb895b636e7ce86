import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { STAFF_ERRORS } from '../../http/schemas.ts';
import { getPatrol, listPatrols, MAX_POINTS, recordPoints, startPatrol } from './patrols.service.ts';

const Patrol = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  workerName: Type.Union([Type.String(), Type.Null()]),
  gridId: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String(),
  endedAt: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean(),
  pointCount: Type.Integer(),
  distanceM: Type.Integer(),
});

const Point = Type.Tuple(
  [
    Type.Number({ minimum: -180, maximum: 180 }),
    Type.Number({ minimum: -90, maximum: 90 }),
    Type.Integer({ minimum: 1_500_000_000_000, maximum: 4_000_000_000_000 }),
  ],
  { description: '[longitude, latitude, epoch milliseconds]' },
);
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Iso = Type.String({ format: 'date-time' });

/** Grid workers' patrol tracks (巡查轨迹). */
export function registerPatrolRoutes(app: App, ctx: AppContext): void {
  app.post(
    '/api/patrols',
    {
      config: { access: { who: 'staff', permission: 'patrol.record' } },
      schema: {
        summary: 'Start a patrol',
        description:
          'Starts a patrol of the caller (grid worker or cadre), optionally in one of their grids. `clientId` is the phone’s own id for the patrol: sent again (offline retry) it answers the same patrol with `replayed: true` (200). Starting a patrol ends any still open.',
        tags: ['patrols'],
        body: Type.Object(
          {
            clientId: Type.String({ pattern: '^[A-Za-z0-9_.:-]{8,64}$' }),
            gridId: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
            startedAt: Type.Optional(Iso),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ patrol: Patrol, replayed: Type.Boolean() }),
          200: Type.Object({ patrol: Patrol, replayed: Type.Boolean() }),
          ...STAFF_ERRORS,
        },
      },
    },
    async (req, reply) => {
      const r = await startPatrol(ctx, staffOf(req), req.body);
      return reply.status(r.replayed ? 200 : 201).send(r);
    },
  );

  app.post(
    '/api/patrols/:id/points',
    {
      config: { access: { who: 'staff', permission: 'patrol.record' } },
      schema: {
        summary: 'Add track points (and end the patrol)',
        description: `Adds up to 1,000 points to the caller’s own patrol, also after it ended (a phone that was offline sends late). The same instant sent twice counts once, so a retry changes nothing. \`end: true\` ends the patrol (at \`endedAt\` or now). At most ${MAX_POINTS} points a patrol. Another person’s patrol is 404.`,
        tags: ['patrols'],
        params: IdParams,
        body: Type.Object(
          {
            points: Type.Array(Point, { maxItems: 1000 }),
            end: Type.Optional(Type.Boolean()),
            endedAt: Type.Optional(Iso),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ patrol: Patrol }), ...STAFF_ERRORS },
      },
    },
    (req) => recordPoints(ctx, staffOf(req), req.params.id, req.body),
  );

  app.get(
    '/api/patrols',
    {
      config: { access: { who: 'staff' } },
      schema: {
        summary: 'Patrols',
        description:
          'Patrols in my territory, newest first (village handlers, dispatchers, supervisors); a grid worker or cadre sees their own. Other roles: 403.',
        tags: ['patrols'],
        querystring: Type.Object(
          {
            userId: Type.Optional(Type.String({ format: 'uuid' })),
            gridId: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
            from: Type.Optional(Iso),
            to: Type.Optional(Iso),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(Patrol) }), ...STAFF_ERRORS },
      },
    },
    (req) => listPatrols(ctx, staffOf(req), req.query),
  );

  app.get(
    '/api/patrols/:id',
    {
      config: { access: { who: 'staff' } },
      schema: {
        summary: 'One patrol with its track',
        description:
          'The patrol and its track as a GeoJSON LineString Feature (the times of the points in `properties.times`). 404 outside my territory.',
        tags: ['patrols'],
        params: IdParams,
        response: {
          200: Type.Object({
            patrol: Patrol,
            track: Type.Object({
              type: Type.Literal('Feature'),
              properties: Type.Object({ times: Type.Array(Type.String()) }),
              geometry: Type.Object({
                type: Type.Literal('LineString'),
                coordinates: Type.Array(Type.Array(Type.Number())),
              }),
            }),
          }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => getPatrol(ctx, staffOf(req), req.params.id),
  );
}
