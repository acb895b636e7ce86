import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import type { App, AppState } from '../../http/app.ts';

/** `GET /api/health`: 200 once migrated, seeded and the database answers; 503 otherwise. */
export function registerHealthRoutes(app: App, ctx: AppContext, state: AppState): void {
  app.get(
    '/api/health',
    {
      config: { access: { who: 'public' } },
      schema: {
        summary: 'Readiness and liveness',
        description:
          'Answers 200 `{"status":"ok"}` when the platform is ready; 503 while starting or when the database is unreachable.',
        tags: ['system'],
        response: {
          200: Type.Object({ status: Type.Literal('ok') }),
          503: Type.Object({
            status: Type.Union([Type.Literal('starting'), Type.Literal('database_unavailable')]),
          }),
        },
      },
    },
    async (_req, reply) => {
      if (!state.ready) return reply.status(503).send({ status: 'starting' as const });
      if (!(await ctx.database.ping()))
        return reply.status(503).send({ status: 'database_unavailable' as const });
      return { status: 'ok' as const };
    },
  );
}
