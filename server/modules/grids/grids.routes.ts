import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { errors, STAFF_ERRORS } from '../../http/schemas.ts';
import { getGrid, listGrids, patchGrid } from './grids.service.ts';

const GridId = Type.Object({ id: Type.String({ pattern: '^[0-9]{15}$' }) });
const Geometry = Type.Object(
  {
    type: Type.Union([Type.Literal('Polygon'), Type.Literal('MultiPolygon')]),
    coordinates: Type.Array(Type.Any()),
  },
  { description: 'GeoJSON geometry (WGS-84 lon/lat)' },
);
const Worker = Type.Object({ id: Type.String(), displayName: Type.String(), role: Type.String() });
const GridDetail = Type.Object({
  grid: Type.Object({
    id: Type.String(),
    name: Type.String(),
    villageId: Type.String(),
    geometry: Geometry,
    areaM2: Type.Integer(),
    version: Type.Integer(),
  }),
  workers: Type.Array(Worker),
  abilities: Type.Object({ update: Type.Boolean() }),
});

/** Grid endpoints for staff. */
export function registerGridRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/grids',
    {
      config: { access: { who: 'staff', permission: 'grid.read' } },
      schema: {
        summary: 'Grids of a village in my jurisdiction',
        description:
          'Lists the grids of one village with the staff assigned to each; empty outside the jurisdiction.',
        tags: ['grids'],
        querystring: Type.Object(
          { village: Type.String({ pattern: '^[0-9]{12}$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                villageId: Type.String(),
                version: Type.Integer(),
                workerNames: Type.Array(Type.String()),
              }),
            ),
          }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => listGrids(ctx, staffOf(req), req.query.village),
  );

  app.get(
    '/api/grids/:id',
    {
      config: { access: { who: 'staff', permission: 'grid.read' } },
      schema: {
        summary: 'One grid with its shape and staff',
        description: '404 outside the caller’s jurisdiction.',
        tags: ['grids'],
        params: GridId,
        response: { 200: GridDetail, ...STAFF_ERRORS },
      },
    },
    (req) => getGrid(ctx, staffOf(req), req.params.id),
  );

  app.patch(
    '/api/grids/:id',
    {
      config: { access: { who: 'staff', permission: 'grid.update' } },
      schema: {
        summary: 'Rename a grid or assign its staff',
        description: 'Replaces the assigned grid workers and cadres. Optimistic concurrency by version.',
        tags: ['grids'],
        params: GridId,
        body: Type.Object(
          {
            name: Type.Optional(
              Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
            ),
            workerIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 50 })),
            version: Type.Integer({ minimum: 1 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: GridDetail, ...STAFF_ERRORS, ...errors(409) },
      },
    },
    (req) => patchGrid(ctx, staffOf(req), req.params.id, req.body, metaOf(req)),
  );
}
