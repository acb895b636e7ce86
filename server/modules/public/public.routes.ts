import { type Static, Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import type { App } from '../../http/app.ts';
import { errors } from '../../http/schemas.ts';
import { AppError } from '../../lib/errors.ts';
import { unsafeListVillageGridShapes } from '../grids/grids.repository.ts';
import { unsafeListTerritory } from '../orgs/orgs.repository.ts';
import { publicBoard } from './board.ts';

const Village = Type.Object({
  code: Type.String(),
  name: Type.String(),
  subtype: Type.String(),
  gridCount: Type.Integer(),
});
const Township = Type.Object({
  code: Type.String(),
  name: Type.String(),
  subtype: Type.String(),
  villages: Type.Array(Village),
});

const Regions = Type.Object({
  county: Type.Object({ code: Type.String(), name: Type.String() }),
  townships: Type.Array(Township),
});
type RegionsBody = Static<typeof Regions>;

/**
 * Region data for the citizen portal: names, codes and synthetic grid shapes. No login, and by
 * construction no personal data (the queries select only these columns).
 */
const BoardItem = Type.Object({
  category: Type.String(),
  categoryEn: Type.String(),
  township: Type.String(),
  village: Type.String(),
  receivedOn: Type.String({ description: 'China date, YYYY-MM-DD' }),
  closedOn: Type.String(),
  days: Type.Number({ description: 'Calendar days from receipt to closing' }),
  resolved: Type.Union([Type.Boolean(), Type.Null()]),
  satisfaction: Type.Union([Type.String(), Type.Null()]),
});
const Rate = Type.Union([Type.Number(), Type.Null()]);

export function registerPublicRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/public/config',
    {
      config: { access: { who: 'public' } },
      schema: {
        summary: 'Settings the web app needs before sign-in',
        description:
          'The county code and the optional raster map tile URL (`MAP_TILE_URL`, with `{z}`/`{x}`/`{y}`) drawn under the grid maps; `null` means the grids are drawn from their GeoJSON alone.',
        tags: ['public'],
        response: {
          200: Type.Object({
            countyCode: Type.String(),
            mapTileUrl: Type.Union([Type.String(), Type.Null()]),
            mapTileAttribution: Type.String(),
          }),
        },
      },
    },
    async (_req, reply) =>
      reply.header('cache-control', 'public, max-age=300').send({
        countyCode: ctx.config.countyCode,
        mapTileUrl: ctx.config.mapTileUrl ?? null,
        mapTileAttribution: ctx.config.mapTileAttribution,
      }),
  );

  app.get(
    '/api/public/board',
    {
      config: { access: { who: 'public' }, rateLimit: { max: 120, timeWindow: '1 minute' } },
      schema: {
        summary: 'Public board of resolved appeals (anonymised)',
        description:
          'Closed appeals, newest first, for the county, a township or a village: category, place (village), dates, days taken, resolved, rating; and this year’s totals for the area. ' +
          'No text, names, contact or exact place is ever included, and confidential appeals never appear. Page with `before` = the previous `next`.',
        tags: ['public'],
        querystring: Type.Object(
          {
            township: Type.Optional(Type.String({ pattern: '^[0-9]{9}$' })),
            village: Type.Optional(Type.String({ pattern: '^[0-9]{12}$' })),
            before: Type.Optional(Type.String({ minLength: 8, maxLength: 400 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            year: Type.Integer(),
            summary: Type.Object({
              closed: Type.Integer(),
              resolvedRate: Rate,
              satisfactionRate: Rate,
              averageDays: Rate,
            }),
            items: Type.Array(BoardItem),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors(400, 404, 429),
        },
      },
    },
    async (req, reply) => {
      const body = await publicBoard(ctx, req.query);
      return reply.header('cache-control', 'public, max-age=60').send(body);
    },
  );

  // The tree changes only by admin import; cache it in memory for a minute.
  let cached: { at: number; body: RegionsBody } | undefined;

  app.get(
    '/api/public/regions',
    {
      config: { access: { who: 'public' } },
      schema: {
        summary: 'Townships with their villages and communities',
        description:
          'The county’s territorial tree (GB/T 2260 codes and names) for the portal’s place picker.',
        tags: ['public'],
        response: {
          200: Regions,
        },
      },
    },
    async (_req, reply) => {
      if (cached && Date.now() - cached.at < 60_000)
        return reply.header('cache-control', 'public, max-age=60').send(cached.body);
      const { db } = ctx.database;
      const [units, counts] = await Promise.all([
        unsafeListTerritory(db, ctx.config.countyCode),
        db
          .selectFrom('grids')
          .select(['village_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('county_code', '=', ctx.config.countyCode)
          .groupBy('village_id')
          .execute(),
      ]);
      const gridCount = new Map(counts.map((c) => [c.village_id, c.n]));
      const county = units.find((u) => u.kind === 'county');
      const townships = units
        .filter((u) => u.kind === 'township')
        .map((t) => ({
          code: t.id,
          name: t.name,
          subtype: t.subtype ?? 'township',
          villages: units
            .filter((v) => v.kind === 'village' && v.parent_id === t.id)
            .map((v) => ({
              code: v.id,
              name: v.name,
              subtype: v.subtype ?? 'village',
              gridCount: gridCount.get(v.id) ?? 0,
            })),
        }));
      const body: RegionsBody = {
        county: { code: county?.id ?? ctx.config.countyCode, name: county?.name ?? '' },
        townships,
      };
      cached = { at: Date.now(), body };
      return reply.header('cache-control', 'public, max-age=60').send(body);
    },
  );

  app.get(
    '/api/public/grids',
    {
      config: { access: { who: 'public' } },
      schema: {
        summary: 'Grid shapes of one village (GeoJSON)',
        description:
          'A GeoJSON FeatureCollection of the village’s grids. The demo county’s geometry is synthetic.',
        tags: ['public'],
        querystring: Type.Object(
          { village: Type.String({ pattern: '^[0-9]{12}$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            type: Type.Literal('FeatureCollection'),
            features: Type.Array(
              Type.Object({
                type: Type.Literal('Feature'),
                id: Type.String(),
                properties: Type.Object({
                  code: Type.String(),
                  name: Type.String(),
                  villageCode: Type.String(),
                }),
                geometry: Type.Object({ type: Type.String(), coordinates: Type.Array(Type.Any()) }),
              }),
            ),
          }),
          ...errors(400, 404),
        },
      },
    },
    async (req, reply) => {
      const rows = await unsafeListVillageGridShapes(
        ctx.database.db,
        ctx.config.countyCode,
        req.query.village,
      );
      if (rows.length === 0) {
        const village = await ctx.database.db
          .selectFrom('org_units')
          .select('id')
          .where('id', '=', req.query.village)
          .where('county_code', '=', ctx.config.countyCode)
          .where('kind', '=', 'village')
          .executeTakeFirst();
        if (!village) throw new AppError('NOT_FOUND', { message: '没有这个村（社区）' });
      }
      reply.header('cache-control', 'public, max-age=300');
      return {
        type: 'FeatureCollection' as const,
        features: rows.map((g) => ({
          type: 'Feature' as const,
          id: g.id,
          properties: { code: g.id, name: g.name, villageCode: g.village_id },
          geometry: g.geometry as { type: string; coordinates: unknown[] },
        })),
      };
    },
  );
}
