import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Access } from '../server/http/access.ts';
import { buildApp } from '../server/http/app.ts';
import { createTestEnv, type TestEnv } from './context.ts';

/**
 * Every route the application registers, seen through an `onRoute` hook that is attached to each
 * Fastify instance as it is created — so the list cannot fall behind `buildApp`.
 */
const seen = vi.hoisted(() => [] as { method: string; url: string; access: unknown }[]);
vi.mock('fastify', async (importOriginal) => {
  const mod = await importOriginal<typeof import('fastify')>();
  const real = mod.default as unknown as (...args: unknown[]) => FastifyInstance;
  const withRouteLog = (...args: unknown[]) => {
    const app = real(...args);
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) seen.push({ method, url: r.url, access: r.config?.access });
    });
    return app;
  };
  return { ...mod, default: withRouteLog };
});

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

let env: TestEnv;
let operations: { key: string; method: string; path: string; op: Operation }[];

/** `/api/orgs/:id` as OpenAPI writes it: `/api/orgs/{id}`. */
const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const apiRoutes = () => {
  const byKey = new Map<string, { method: string; url: string; access: Access | undefined }>();
  for (const r of seen) {
    // HEAD routes are Fastify's automatic twins of GET routes (same options, same handler).
    if (!r.url.startsWith('/api/') || r.method === 'HEAD') continue;
    byKey.set(`${r.method} ${r.url}`, {
      method: r.method,
      url: r.url,
      access: r.access as Access | undefined,
    });
  }
  return [...byKey.values()];
};

beforeAll(async () => {
  env = await createTestEnv();
  const res = await env.app.inject({ method: 'GET', url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  const doc = res.json() as { openapi: string; paths: Record<string, Record<string, Operation>> };
  expect(doc.openapi).toMatch(/^3\./);
  operations = Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/api/'))
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        key: `${method.toUpperCase()} ${path}`,
        method,
        path,
        op,
      })),
    );
});
afterAll(() => env.close());

describe('the OpenAPI document at /docs/json', () => {
  it('lists every /api route of the application', () => {
    const routes = apiRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const documented = new Set(operations.map((o) => o.key));
    const missing = routes.map((r) => `${r.method} ${openapiPath(r.url)}`).filter((k) => !documented.has(k));
    expect(missing).toEqual([]);
  });

  it('gives every operation a summary, a description and a tag', () => {
    const bad = operations.filter(
      ({ op }) =>
        !op.summary?.trim() || !op.description?.trim() || !op.tags?.length || op.tags.some((t) => !t.trim()),
    );
    expect(bad.map((o) => o.key)).toEqual([]);
  });

  it('gives every operation a 2xx response with a schema (or an empty 204)', () => {
    const bad = operations.filter(({ op }) => {
      const ok = Object.entries(op.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
      if (ok.length === 0) return true;
      return !ok.some(([status, r]) =>
        status === '204' ? !r.content : Object.values(r.content ?? {}).some((c) => Boolean(c.schema)),
      );
    });
    expect(bad.map((o) => o.key)).toEqual([]);
  });

  it('documents the error responses that apply: 400 for input, 404 for a record id, 401/403 for guarded routes', () => {
    const access = new Map(apiRoutes().map((r) => [`${r.method} ${openapiPath(r.url)}`, r.access]));
    const problems: string[] = [];
    for (const { key, method, op } of operations) {
      const has = (status: number) => String(status) in op.responses;
      const need = (status: number, why: string) => {
        if (!has(status)) problems.push(`${key}: no ${status} (${why})`);
      };
      const params = op.parameters ?? [];
      const rule = access.get(key);
      if (params.some((p) => p.in === 'path')) {
        need(400, 'malformed id');
        need(404, 'record not found or outside the jurisdiction');
      }
      if (params.some((p) => p.in === 'query') || op.requestBody) need(400, 'validation');
      if (method !== 'get') {
        need(400, 'malformed body');
        need(403, 'CSRF');
      }
      if (rule && rule.who !== 'public') need(401, 'sign-in required');
      if (rule?.who === 'staff' && rule.permission) need(403, `permission ${rule.permission}`);
      // Error responses share one body shape.
      for (const [status, r] of Object.entries(op.responses)) {
        if (!/^[45]\d\d$/.test(status) || key === 'GET /api/health') continue;
        const schema = r.content?.['application/json']?.schema as
          | { properties?: Record<string, unknown> }
          | undefined;
        if (!schema?.properties?.error || !schema.properties.requestId)
          problems.push(`${key}: ${status} is not the error body`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('knows the access rule of every /api route', () => {
    const without = apiRoutes().filter((r) => !r.access);
    expect(without).toEqual([]);
  });
});

describe('/docs', () => {
  it('serves the API explorer as HTML', async () => {
    const res = await env.app.inject({ method: 'GET', url: '/docs' });
    const page =
      res.statusCode === 302
        ? await env.app.inject({ method: 'GET', url: String(res.headers.location) })
        : res;
    expect(page.statusCode).toBe(200);
    expect(String(page.headers['content-type'])).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<html/i);
  });
});

describe('access rules', () => {
  it('refuses to register an /api route that declares no access rule', async () => {
    const app = await buildApp(env.ctx);
    try {
      expect(() => app.get('/api/x', async () => ({ ok: true }))).toThrow(/declares no access rule/);
      expect(() => app.post('/api/y', { config: {} }, async () => ({ ok: true }))).toThrow(
        /POST \/api\/y declares no access rule/,
      );
      // With a rule, or outside /api, registration succeeds.
      app.get('/api/z', { config: { access: { who: 'public' } }, schema: { hide: true } }, async () => ({
        ok: true,
      }));
      app.get('/not-api', { schema: { hide: true } }, async () => 'ok');
      await app.ready();
      expect((await app.inject({ method: 'GET', url: '/api/z' })).statusCode).toBe(200);
      expect(app.hasRoute({ method: 'GET', url: '/api/x' })).toBe(false);
    } finally {
      await app.close();
    }
  });
});
