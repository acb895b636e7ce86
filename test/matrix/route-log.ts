/**
 * The route inventory of a test file: a `vi.mock('fastify', …)` factory wraps Fastify with
 * `withRouteLog`, so every app the file builds reports each route it registers (method, URL, access
 * rule, schemas) into `seenRoutes` — the matrix and the fuzzer enumerate the app as it really is.
 */
import type { FastifyInstance } from 'fastify';
import type { SeenRoute } from './routes.ts';

export const seenRoutes: SeenRoute[] = [];

export function withRouteLog<M extends { default: unknown }>(mod: M): M {
  const real = mod.default as (...args: unknown[]) => FastifyInstance;
  const logged = (...args: unknown[]) => {
    const app = real(...args);
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat())
        seenRoutes.push({
          method,
          url: r.url,
          config: r.config as SeenRoute['config'],
          schema: r.schema as SeenRoute['schema'],
        });
    });
    return app;
  };
  return { ...mod, default: logged };
}
