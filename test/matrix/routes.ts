/**
 * The application's routes as it registers them, with their access rule and schemas. A test file
 * fills `seen` through an `onRoute` hook (see `routeSpy`), so the inventory cannot fall behind
 * `buildApp`: a new route is in it the moment it is registered.
 */
import type { Access } from '../../server/http/access.ts';
import type { JsonSchema } from '../fuzz/schema.ts';

export interface SeenRoute {
  method: string;
  url: string;
  config?: { access?: Access };
  schema?: {
    hide?: boolean;
    body?: JsonSchema;
    querystring?: JsonSchema;
    params?: JsonSchema;
    headers?: JsonSchema;
    response?: Record<string, unknown>;
  };
}

export interface Route {
  /** `METHOD /url` exactly as Fastify registers it, e.g. `GET /api/orgs/:id`. */
  key: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  access: Access | undefined;
  body?: JsonSchema;
  query?: JsonSchema;
  params?: JsonSchema;
  headers?: JsonSchema;
  /** Path parameter names in order. */
  paramNames: string[];
  /** A server-sent-events stream: it never ends by itself, so it is read over a socket. */
  streaming: boolean;
  /** Outside /api: the Open311 GeoReport v2 interface (its own error format). */
  open311: boolean;
}

/** The API routes (`/api/…` and `/open311/…`), without Fastify's automatic HEAD twins. */
export function apiRoutes(seen: SeenRoute[]): Route[] {
  const byKey = new Map<string, Route>();
  for (const r of seen) {
    if (r.method === 'HEAD' || r.method === 'OPTIONS') continue;
    if (!r.url.startsWith('/api/') && !r.url.startsWith('/open311/')) continue;
    const key = `${r.method} ${r.url}`;
    const ok = r.schema?.response?.['200'] as { content?: Record<string, unknown> } | undefined;
    byKey.set(key, {
      key,
      method: r.method as Route['method'],
      url: r.url,
      access: r.config?.access,
      ...(r.schema?.body ? { body: r.schema.body } : {}),
      ...(r.schema?.querystring ? { query: r.schema.querystring } : {}),
      ...(r.schema?.params ? { params: r.schema.params } : {}),
      ...(r.schema?.headers ? { headers: r.schema.headers } : {}),
      paramNames: [...r.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!),
      streaming: Boolean(ok?.content && 'text/event-stream' in ok.content),
      open311: r.url.startsWith('/open311/'),
    });
  }
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** Fills a URL's `:params` (and Open311's `.:format`) from a map. */
export function fillUrl(route: Route, values: Record<string, string>): string {
  return route.url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`${route.key}: no value for :${name}`);
    return encodeURIComponent(v);
  });
}
