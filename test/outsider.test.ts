/**
 * The outsider suite: for every /api route that takes a record, a staff member of another village
 * or township — holding the permission the route needs — gets 404 (never 403, which would confirm
 * that the record exists) and the record is left exactly as it was.
 *
 * The routes are collected from the application itself, and the test fails when a route is in
 * neither OUTSIDER_CASES nor EXEMPT: a new endpoint cannot ship without saying how outsiders fare.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemActor } from '../server/authz/actor.ts';
import type { DB } from '../server/db/schema.ts';
import { createUser } from '../server/modules/users/users.service.ts';
import { createTestEnv, type TestEnv } from './context.ts';
import {
  as,
  COUNTY,
  createCentre,
  createCitizen,
  createGrid,
  createTownship,
  createVillage,
  PASSWORD,
  type StaffSession,
} from './factories.ts';

/** Every route the app registers, seen by an `onRoute` hook attached when Fastify is created. */
const seen = vi.hoisted(() => [] as { method: string; url: string }[]);
vi.mock('fastify', async (importOriginal) => {
  const mod = await importOriginal<typeof import('fastify')>();
  const real = mod.default as unknown as (...args: unknown[]) => FastifyInstance;
  const withRouteLog = (...args: unknown[]) => {
    const app = real(...args);
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) seen.push({ method, url: r.url });
    });
    return app;
  };
  return { ...mod, default: withRouteLog };
});

/** The staff roles used on both sides; each side has one of each. */
type Actor = 'handler' | 'dispatcher' | 'admin';

interface Side {
  township: string;
  village: string;
  staff: Record<Actor, StaffSession>;
}

interface World {
  /** The outsiders' side. */
  a: Side;
  /** Where the records live. */
  b: Side;
}

type Table = 'org_units' | 'grids' | 'users' | 'citizens';

/** A record in village B and the request that touches it. */
interface Built {
  /** Which staff member of A calls (and of B, as the control that the same call works inside). */
  actor: Actor;
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  body?: unknown;
  table: Table;
  id: string;
}

let env: TestEnv;
let world: World;
let serial = 0;

/** A staff account signed in from an address of its own (the login limit is per address). */
async function staffAt(
  role: 'village_handler' | 'township_dispatcher' | 'admin',
  orgId: string,
): Promise<StaffSession> {
  const username = `outsider${++serial}`;
  const { id } = await createUser(env.ctx, systemActor(COUNTY), {
    username,
    displayName: `外人 ${username}`,
    role,
    orgId,
    password: PASSWORD,
  });
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: PASSWORD },
    remoteAddress: `10.50.0.${serial}`,
  });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session')!;
  return { userId: id, username, orgId, cookie: `gz_session=${cookie.value}`, csrf: res.json().csrfToken };
}

async function side(): Promise<Side> {
  const township = await createTownship(env.ctx);
  const village = await createVillage(env.ctx, { townshipId: township });
  const handler = await staffAt('village_handler', village);
  const dispatcher = await staffAt('township_dispatcher', await createCentre(env.ctx, township));
  // Only admins hold org.update and user.manage, and admins sit at the county. To check that those
  // routes scope their queries (not merely that the role is county-wide), this admin's unit is
  // moved into the township directly in the database, bypassing the role/unit rule.
  const admin = await staffAt('admin', COUNTY);
  await env.ctx.database.db
    .updateTable('users')
    .set({ org_id: township })
    .where('id', '=', admin.userId)
    .execute();
  return { township, village, staff: { handler, dispatcher, admin } };
}

/** A user of village B who is signed in, so that a wrongful change would also end a session. */
async function signedInUserOf(village: string): Promise<string> {
  return (await staffAt('village_handler', village)).userId;
}

/** A grid worker of village B, without a session. */
async function workerOf(village: string): Promise<string> {
  const username = `worker${++serial}`;
  const { id } = await createUser(env.ctx, systemActor(COUNTY), {
    username,
    displayName: `网格员 ${username}`,
    role: 'grid_worker',
    orgId: village,
    password: PASSWORD,
  });
  return id;
}

/**
 * Routes that take a record id, each with a builder of a fresh record in village B. Keyed by the
 * route exactly as Fastify registers it.
 */
const OUTSIDER_CASES: Record<string, (w: World) => Promise<Built>> = {
  'GET /api/orgs/:id': async (w) => {
    const id = w.b.village;
    return { actor: 'handler', method: 'GET', url: `/api/orgs/${id}`, table: 'org_units', id };
  },
  'PATCH /api/orgs/:id': async (w) => {
    const id = await createVillage(env.ctx, { townshipId: w.b.township });
    return {
      actor: 'admin',
      method: 'PATCH',
      url: `/api/orgs/${id}`,
      body: { name: '外人改的名', active: false, version: 1 },
      table: 'org_units',
      id,
    };
  },
  'GET /api/grids/:id': async (w) => {
    const id = await createGrid(env.ctx, { villageId: w.b.village });
    return { actor: 'handler', method: 'GET', url: `/api/grids/${id}`, table: 'grids', id };
  },
  'PATCH /api/grids/:id': async (w) => {
    const id = await createGrid(env.ctx, { villageId: w.b.village });
    const worker = await workerOf(w.b.village);
    await env.ctx.database.db
      .insertInto('user_grids')
      .values({ user_id: worker, grid_id: id, county_code: COUNTY })
      .execute();
    return {
      actor: 'dispatcher',
      method: 'PATCH',
      url: `/api/grids/${id}`,
      body: { name: '外人改的网格', workerIds: [], version: 1 },
      table: 'grids',
      id,
    };
  },
  'GET /api/users/:id': async (w) => {
    const id = await workerOf(w.b.village);
    return { actor: 'handler', method: 'GET', url: `/api/users/${id}`, table: 'users', id };
  },
  'PATCH /api/users/:id': async (w) => {
    const id = await signedInUserOf(w.b.village);
    return {
      actor: 'admin',
      method: 'PATCH',
      url: `/api/users/${id}`,
      body: { displayName: '外人改的', role: 'grid_worker', version: 1 },
      table: 'users',
      id,
    };
  },
  'GET /api/citizens/:id': async (w) => {
    const { id } = await createCitizen(env.ctx, { homeOrgId: w.b.village });
    return { actor: 'handler', method: 'GET', url: `/api/citizens/${id}`, table: 'citizens', id };
  },
  'POST /api/citizens/:id/reveal': async (w) => {
    const { id } = await createCitizen(env.ctx, { homeOrgId: w.b.village });
    return {
      actor: 'handler',
      method: 'POST',
      url: `/api/citizens/${id}/reveal`,
      body: { reason: '外村想看看' },
      table: 'citizens',
      id,
    };
  },
};

/** Routes without an outsider case, each with the reason. None of them takes a record id. */
const EXEMPT: Record<string, string> = {
  'GET /api/health': 'public readiness probe; no record',
  'GET /api/public/regions': 'public territorial tree by design; no personal data (public.routes.test)',
  'GET /api/public/grids': 'public grid shapes by design; no personal data (public.routes.test)',
  'POST /api/auth/login': 'acts on the caller’s own credentials only',
  'GET /api/auth/me': 'answers the caller’s own session only',
  'POST /api/auth/logout': 'ends the caller’s own session only',
  'POST /api/auth/otp/request': 'acts on the phone the caller types; no record id',
  'POST /api/auth/otp/verify': 'acts on the phone the caller types; no record id',
  'GET /api/orgs': 'list filtered by the jurisdiction; no record id (orgs.routes.test)',
  'GET /api/grids': 'list filtered by the jurisdiction; outside it the list is empty (grids.routes.test)',
  'GET /api/users': 'list filtered by the jurisdiction; no record id (users.routes.test)',
  'POST /api/users':
    'creates; no record id. A unit outside the jurisdiction is a 400 on orgId (users.routes.test)',
};

/** The record's row, rows that hang off it, and audit entries about it, as JSON. */
async function snapshot(table: Table, id: string): Promise<string> {
  const db = env.ctx.database.db;
  const row = await db
    .selectFrom(table as keyof DB & Table)
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const related =
    table === 'grids'
      ? await db
          .selectFrom('user_grids')
          .select(['user_id', 'grid_id'])
          .where('grid_id', '=', id)
          .orderBy('user_id')
          .execute()
      : table === 'users'
        ? await db
            .selectFrom('sessions')
            .select(['id_hash', 'csrf_token'])
            .where('user_id', '=', id)
            .orderBy('id_hash')
            .execute()
        : table === 'citizens'
          ? await db.selectFrom('sessions').select('id_hash').where('citizen_id', '=', id).execute()
          : await db
              .selectFrom('org_units')
              .select(['id', 'name'])
              .where('parent_id', '=', id)
              .orderBy('id')
              .execute();
  const audits = await db
    .selectFrom('audit_log')
    .select(['id', 'action'])
    .where('target_id', '=', id)
    .orderBy('id')
    .execute();
  return JSON.stringify({ row, related, audits });
}

function call(s: StaffSession, b: Built) {
  const api = as(env, s);
  if (b.method === 'GET') return api.get(b.url);
  if (b.method === 'POST') return api.post(b.url, b.body);
  return api.patch(b.url, b.body);
}

beforeAll(async () => {
  env = await createTestEnv();
  world = { a: await side(), b: await side() };
});
afterAll(() => env.close());

describe('outsider access', () => {
  it('covers every /api route: each is an outsider case or exempt with a reason', () => {
    const routes = [
      ...new Set(
        seen
          // HEAD routes are Fastify's automatic twins of GET routes (same options and handler).
          .filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD')
          .map((r) => `${r.method} ${r.url}`),
      ),
    ].sort();
    expect(routes.length).toBeGreaterThanOrEqual(20);
    const cases = Object.keys(OUTSIDER_CASES);
    const exempt = Object.keys(EXEMPT);
    expect(
      routes.filter((r) => !cases.includes(r) && !exempt.includes(r)),
      'routes without an outsider case',
    ).toEqual([]);
    expect(
      [...cases, ...exempt].filter((k) => !routes.includes(k)),
      'entries for routes that do not exist',
    ).toEqual([]);
    expect(cases.filter((k) => exempt.includes(k))).toEqual([]);
    // A route that takes a record id must have a case: exemption is for routes without one.
    expect(exempt.filter((k) => k.includes('/:'))).toEqual([]);
    expect(Object.entries(EXEMPT).filter(([, why]) => why.trim().length < 10)).toEqual([]);
  });

  it.each(Object.keys(OUTSIDER_CASES))('%s answers 404 to an outsider and changes nothing', async (route) => {
    const built = await OUTSIDER_CASES[route]!(world);
    expect(`${built.method} ${built.url}`.replace(/\/[0-9a-f-]{12,36}(?=\/|$)/g, '/:id')).toBe(route);
    const before = await snapshot(built.table, built.id);

    const res = await call(world.a.staff[built.actor], built);
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    expect(await snapshot(built.table, built.id)).toBe(before);

    // Control: the same call by the same role inside the jurisdiction succeeds, so the 404 above
    // came from the jurisdiction and not from a wrong URL or body.
    const inside = await call(world.b.staff[built.actor], built);
    expect(inside.statusCode, inside.body).toBeLessThan(300);
  });
});
