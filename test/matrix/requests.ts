/**
 * A well-formed request for any route, aimed at a record of one side: path parameters name the
 * side's record of the route's resource, query and body are the schema's required fields (from
 * `sample`) with fields that must name real records filled from the side.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../../server/http/app.ts';
import { type Hints, sample } from '../fuzz/schema.ts';
import { fillUrl, type Route } from './routes.ts';
import type { ActorName, Session, Side, World } from './world.ts';

/** What a path parameter names, by route. A route with a parameter not listed here fails the test. */
type Resource =
  | 'org'
  | 'grid'
  | 'user'
  | 'citizen'
  | 'case'
  | 'myCase'
  | 'notification'
  | 'patrol'
  | 'attachment'
  | 'device'
  | 'action'
  | 'caseCode'
  | 'format'
  | 'serviceCode'
  | 'token'
  | `county:${keyof World['county']}`;

/** `[route pattern, parameter, resource]`, first match wins. */
const RESOURCES: [RegExp, string, Resource][] = [
  [/^\/api\/orgs\/:id/, 'id', 'org'],
  [/^\/api\/grids\/:id/, 'id', 'grid'],
  [/^\/api\/users\/:id/, 'id', 'user'],
  [/^\/api\/citizens\/:id/, 'id', 'citizen'],
  [/^\/api\/cases\/:id/, 'id', 'case'],
  [/^\/api\/cases\/:id\/actions\/:action/, 'action', 'action'],
  [/^\/api\/iot\/cases\/:id/, 'id', 'case'],
  [/^\/api\/my\/cases\/:id/, 'id', 'myCase'],
  [/^\/api\/notifications\/:id/, 'id', 'notification'],
  [/^\/api\/patrols\/:id/, 'id', 'patrol'],
  [/^\/api\/attachments\/:id/, 'id', 'attachment'],
  [/^\/open311\/v2\/media\/:attachment_id/, 'attachment_id', 'attachment'],
  [/^\/api\/devices\/rules\/:id/, 'id', 'county:rule'],
  [/^\/api\/devices\/:id/, 'id', 'device'],
  [/^\/api\/categories\/:id/, 'id', 'county:category'],
  [/^\/api\/calendar\/overrides\/:date/, 'date', 'county:date'],
  [/^\/api\/integrations\/webhooks\/deliveries\/:id/, 'id', 'county:delivery'],
  [/^\/api\/integrations\/webhooks\/:id/, 'id', 'county:webhook'],
  [/^\/api\/integrations\/catalogue\/:id/, 'id', 'county:catalogue'],
  [/^\/api\/integrations\/api-keys\/:id/, 'id', 'county:apiKey'],
  [/^\/open311\//, 'format', 'format'],
  [/^\/open311\//, 'service_code', 'serviceCode'],
  [/^\/open311\//, 'service_request_id', 'caseCode'],
  [/^\/open311\//, 'token', 'token'],
];

export function resourceOf(route: Route, param: string): Resource | undefined {
  return RESOURCES.find(([re, p]) => p === param && re.test(route.url))?.[2];
}

/** Whether a route names a record placed in the org tree (so another side's record is "outside"). */
export function placedResource(route: Route): Resource | undefined {
  for (const p of route.paramNames) {
    const r = resourceOf(route, p);
    if (
      r &&
      !r.startsWith('county:') &&
      !['action', 'format', 'serviceCode', 'token', 'caseCode'].includes(r)
    )
      return r;
  }
  return undefined;
}

/** The id of the side's record of a resource, as the given person would name their own. */
function idOf(world: World, side: Side, resource: Resource, actor: ActorName): string {
  switch (resource) {
    case 'org':
      return actor === 'department_handler' ? side.department : side.village;
    case 'grid':
      return side.grid;
    case 'user':
      return side.worker;
    case 'citizen':
      return side.citizenRecord.id;
    case 'case':
      return side.case.id;
    case 'myCase':
      return side.citizenCase;
    case 'notification':
      return (
        side.notifications.get(actor === 'citizen' ? `citizen${side.name}` : actor) ??
        side.notifications.get(`dispatcher${side.name}`)!
      );
    case 'patrol':
      return side.patrol;
    case 'attachment':
      return actor === 'citizen' ? side.citizenAttachment : side.attachment;
    case 'device':
      return side.device;
    case 'action':
      // The action route's rule is the workflow's (server/engine/actions.authz.test.ts covers every
      // action); here one action stands for it.
      return 'dispatch';
    case 'caseCode':
      return side.case.code;
    case 'format':
      return 'json';
    case 'serviceCode':
      return 'JF01';
    case 'token':
      return 'matrix-token';
    default:
      return world.county[resource.slice('county:'.length) as keyof World['county']];
  }
}

/** Values for query fields that must name real records of the side, or pick a sensible view. */
function queryHints(side: Side): Hints {
  return { village: side.village, villageId: side.village, categoryId: 'JF01', year: 2026, queue: 'all' };
}

/** Values for body fields that must name real records of the side. */
function bodyHints(side: Side, route: Route): Hints {
  return {
    // Citizens submit appeals only (an event is the staff's: FORBIDDEN by the intake's rule).
    ...(route.url.endsWith('/cases') ? { type: 'appeal' } : {}),
    villageId: side.village,
    categoryId: 'JF01',
    orgId: side.village,
    ownerOrgId: side.department,
    leadOrgId: side.department,
    gridId: side.grid,
    version: 1,
    workerIds: [],
    active: true,
    contactPhone: undefined,
    attachments: [],
    points: [[115.9, 28.68, Date.now()]],
    input: { leadOrgId: side.department, note: '矩阵测试' },
    reason: '授权矩阵测试',
  };
}

/** The id of a record that exists for a path parameter (own side), or none when unmapped. */
export function knownId(world: World, route: Route, param: string, actor: ActorName): string | undefined {
  const resource = resourceOf(route, param);
  return resource ? idOf(world, world.a, resource, actor) : undefined;
}

export interface Request {
  method: Route['method'];
  url: string;
  payload?: unknown;
  headers: Record<string, string>;
  remoteAddress: string;
}

export class Unmapped extends Error {}

/** A well-formed request for `route` by `actor` against `side`'s records. */
export function requestFor(world: World, route: Route, actor: ActorName, side: Side): Request {
  const params: Record<string, string> = {};
  for (const p of route.paramNames) {
    const resource = resourceOf(route, p);
    if (!resource)
      throw new Unmapped(
        `${route.key}: the test does not know what :${p} names — add it to RESOURCES in test/matrix/requests.ts`,
      );
    params[p] = idOf(world, side, resource, actor);
  }
  let url = fillUrl(route, params);
  const hints = bodyHints(side, route);
  const query = sample(route.query, queryHints(side)) as Record<string, unknown> | undefined;
  if (query && Object.keys(query).length > 0) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      for (const one of [v].flat()) qs.append(k, String(one));
    }
    url += `?${qs}`;
  }
  const session = world.actors[actor];
  const headers: Record<string, string> = session
    ? { cookie: session.cookie, 'x-csrf-token': session.csrf }
    : {};
  const remoteAddress = session?.ip ?? '10.99.99.99';
  const req: Request = { method: route.method, url, headers, remoteAddress };
  if (route.method !== 'GET' && route.method !== 'DELETE') {
    if (route.url === '/api/uploads') {
      // A raw image body: content decides the type (not schema-described JSON).
      req.payload = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
      headers['content-type'] = 'image/jpeg';
    } else if (route.open311) {
      const form = (sample(route.body, hints) ?? {}) as Record<string, unknown>;
      req.payload = new URLSearchParams(
        Object.entries(form).map(([k, v]) => [k, String(v)]) as [string, string][],
      ).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      req.payload = route.body ? sample(route.body, hints) : {};
    }
  }
  return req;
}

export interface Answer {
  status: number;
  body: string;
}

let server: { base: string } | undefined;

/**
 * Sends a request: through `app.inject`, or for a never-ending event stream over a socket, reading
 * only the status and the first chunk.
 */
export async function send(app: App, route: Route, req: Request): Promise<Answer> {
  if (!route.streaming) {
    const res = await app.inject({
      method: req.method,
      url: req.url,
      headers: req.headers,
      remoteAddress: req.remoteAddress,
      ...(req.payload !== undefined
        ? { payload: req.payload as string | Buffer | Record<string, unknown> }
        : {}),
    });
    return { status: res.statusCode, body: res.body };
  }
  if (!server) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    server = { base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
  }
  const base = server.base;
  return new Promise((resolve, reject) => {
    const r = http.request(`${base}${req.url}`, { method: req.method, headers: req.headers }, (res) => {
      res.once('data', (chunk: Buffer) => {
        resolve({ status: res.statusCode ?? 0, body: chunk.toString('utf8') });
        r.destroy();
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: '' }));
    });
    r.on('error', (e) => {
      if (!(e as NodeJS.ErrnoException).code?.startsWith('ECONNRESET')) reject(e);
    });
    r.end();
  });
}

/** Forgets the socket server (one per app). */
export function resetSocket(): void {
  server = undefined;
}

export type { Session };
