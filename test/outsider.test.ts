/**
 * The outsider suite: for every /api route that takes a record, a staff member of another village
 * or township — holding the permission the route needs — gets 404 (never 403, which would confirm
 * that the record exists) and the record is left exactly as it was.
 *
 * The routes are collected from the application itself, and the test fails when a route is in
 * neither OUTSIDER_CASES nor EXEMPT: a new endpoint cannot ship without saying how outsiders fare.
 */
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemActor } from '../server/authz/actor.ts';
import type { DB } from '../server/db/schema.ts';
import { storeImage } from '../server/modules/attachments/attachments.service.ts';
import { createDevice } from '../server/modules/iot/devices.service.ts';
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

/** The users on both sides: staff of each role, and a citizen (who owns appeals). */
type Actor = 'handler' | 'dispatcher' | 'admin' | 'citizen' | 'worker';

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

type Table =
  | 'org_units'
  | 'grids'
  | 'users'
  | 'citizens'
  | 'cases'
  | 'notifications'
  | 'attachments'
  | 'patrols'
  | 'iot_devices';

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
  role: 'village_handler' | 'township_dispatcher' | 'admin' | 'grid_worker',
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

/** A citizen of the village, signed in with a one-time code (session fields as for staff). */
async function citizenOf(village: string): Promise<StaffSession> {
  const phone = `1390000${String(++serial).padStart(4, '0')}`;
  const remoteAddress = `10.51.0.${serial}`;
  await env.app.inject({ method: 'POST', url: '/api/auth/otp/request', payload: { phone }, remoteAddress });
  const code = /([0-9]{6})/.exec(env.sms.sent.filter((m) => m.phone === phone).at(-1)!.text)![1]!;
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/otp/verify',
    payload: { phone, code },
    remoteAddress,
  });
  if (res.statusCode !== 200) throw new Error(`citizen sign-in failed: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session')!;
  return {
    userId: res.json().citizen.id,
    username: phone,
    orgId: village,
    cookie: `gz_session=${cookie.value}`,
    csrf: res.json().csrfToken,
  };
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
  const citizen = await citizenOf(village);
  const worker = await staffAt('grid_worker', village);
  return { township, village, staff: { handler, dispatcher, admin, citizen, worker } };
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

/** A received appeal in village B, taken by B's township centre (optionally with a phone). */
async function caseOf(w: World, contactPhone?: string): Promise<string> {
  const res = await as(env, w.b.staff.dispatcher).post('/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId: 'JF01',
    description: '邻里因宅基地边界发生争执',
    villageId: w.b.village,
    ...(contactPhone ? { contactPhone } : {}),
  });
  if (res.statusCode !== 201) throw new Error(`intake failed: ${res.body}`);
  return res.json().case.id;
}

/** A device in village B (placed by the village: its position lies in no grid). */
async function deviceOf(w: World): Promise<string> {
  const { device } = await createDevice(env.ctx, systemActor(COUNTY), {
    code: `OUT-${++serial}`,
    type: 'smart_toilet',
    name: '村 B 的公厕',
    lon: 120,
    lat: 30,
    villageId: w.b.village,
    ownerOrgId: w.b.village,
  });
  return device.id;
}

/** Citizen B's own appeal in village B, answered directly by B's centre (so it can be rated). */
async function citizenCaseOf(w: World): Promise<string> {
  const res = await as(env, w.b.staff.citizen).post('/api/my/cases', {
    type: 'appeal',
    channel: 'web',
    categoryId: 'ZX01',
    description: '请问农村低保怎么申请？',
    villageId: w.b.village,
  });
  if (res.statusCode !== 201) throw new Error(`citizen intake failed: ${res.body}`);
  const id = res.json().case.id as string;
  const answered = await as(env, w.b.staff.dispatcher).post(`/api/cases/${id}/actions/answer_directly`, {
    input: { answer: '可向村委会提交申请材料。' },
  });
  if (answered.statusCode !== 200) throw new Error(`answer failed: ${answered.body}`);
  return id;
}

/** A patrol of village B's grid worker, started now. */
async function patrolOf(w: World): Promise<string> {
  const res = await as(env, w.b.staff.worker).post('/api/patrols', {
    clientId: `outsider-${++serial}-patrol`,
  });
  if (res.statusCode !== 201) throw new Error(`patrol start failed: ${res.body}`);
  return res.json().patrol.id;
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
  'GET /api/citizens/:id/export': async (w) => {
    const { id } = await createCitizen(env.ctx, { homeOrgId: w.b.village });
    return { actor: 'admin', method: 'GET', url: `/api/citizens/${id}/export`, table: 'citizens', id };
  },
  'GET /api/cases/:id': async (w) => {
    const id = await caseOf(w);
    return { actor: 'handler', method: 'GET', url: `/api/cases/${id}`, table: 'cases', id };
  },
  'GET /api/cases/:id/timeline': async (w) => {
    const id = await caseOf(w);
    return { actor: 'handler', method: 'GET', url: `/api/cases/${id}/timeline`, table: 'cases', id };
  },
  'GET /api/cases/:id/duplicates': async (w) => {
    const id = await caseOf(w);
    return { actor: 'dispatcher', method: 'GET', url: `/api/cases/${id}/duplicates`, table: 'cases', id };
  },
  'POST /api/cases/:id/actions/:action': async (w) => {
    const id = await caseOf(w);
    return {
      actor: 'dispatcher',
      method: 'POST',
      url: `/api/cases/${id}/actions/dispatch`,
      body: { input: { leadOrgId: w.b.village } },
      table: 'cases',
      id,
    };
  },
  'POST /api/cases/:id/reveal-contact': async (w) => {
    const id = await caseOf(w, '13912345678');
    return {
      actor: 'handler',
      method: 'POST',
      url: `/api/cases/${id}/reveal-contact`,
      body: { reason: '外村想看看' },
      table: 'cases',
      id,
    };
  },
  'GET /api/my/cases/:id': async (w) => {
    const id = await citizenCaseOf(w);
    return { actor: 'citizen', method: 'GET', url: `/api/my/cases/${id}`, table: 'cases', id };
  },
  'POST /api/notifications/:id/read': async (w) => {
    // A 12-digit id, so that the route check below reads it as :id like the other ids.
    const id = 100_000_000_000 + ++serial;
    await env.ctx.database.db
      .insertInto('notifications')
      .values({
        id,
        county_code: COUNTY,
        recipient_kind: 'org',
        recipient_id: w.b.village,
        channel: 'inapp',
        kind: 'new_work',
        case_id: null,
        title: '新工单',
        body: '村 B 的通知',
      })
      .execute();
    const url = `/api/notifications/${id}/read`;
    return { actor: 'handler', method: 'POST', url, table: 'notifications', id: String(id) };
  },
  'GET /api/patrols/:id': async (w) => {
    const id = await patrolOf(w);
    return { actor: 'handler', method: 'GET', url: `/api/patrols/${id}`, table: 'patrols', id };
  },
  'POST /api/patrols/:id/points': async (w) => {
    const id = await patrolOf(w);
    return {
      actor: 'worker',
      method: 'POST',
      url: `/api/patrols/${id}/points`,
      body: { points: [[115.9, 28.68, Date.now()]], end: true },
      table: 'patrols',
      id,
    };
  },
  'GET /api/attachments/:id': async (w) => {
    const dispatcher = w.b.staff.dispatcher;
    const photo = await storeImage(env.ctx, {
      countyCode: COUNTY,
      bytes: await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
        .jpeg()
        .toBuffer(),
      uploader: { kind: 'staff', id: dispatcher.userId },
    });
    const res = await as(env, dispatcher).post('/api/cases', {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'JF01',
      description: '村 B 的诉求，附照片',
      villageId: w.b.village,
      attachments: [photo.id],
    });
    if (res.statusCode !== 201) throw new Error(`intake failed: ${res.body}`);
    const url = `/api/attachments/${photo.id}`;
    return { actor: 'handler', method: 'GET', url, table: 'attachments', id: photo.id };
  },
  'GET /api/devices/:id': async (w) => {
    const id = await deviceOf(w);
    return { actor: 'dispatcher', method: 'GET', url: `/api/devices/${id}`, table: 'iot_devices', id };
  },
  'PATCH /api/devices/:id': async (w) => {
    const id = await deviceOf(w);
    return {
      actor: 'admin',
      method: 'PATCH',
      url: `/api/devices/${id}`,
      body: { name: '外人改的设备', status: 'inactive', version: 1 },
      table: 'iot_devices',
      id,
    };
  },
  'POST /api/devices/:id/rotate-secret': async (w) => {
    const id = await deviceOf(w);
    const url = `/api/devices/${id}/rotate-secret`;
    return { actor: 'admin', method: 'POST', url, body: {}, table: 'iot_devices', id };
  },
  'GET /api/devices/:id/alarms': async (w) => {
    const id = await deviceOf(w);
    return { actor: 'dispatcher', method: 'GET', url: `/api/devices/${id}/alarms`, table: 'iot_devices', id };
  },
  'GET /api/iot/cases/:id/alarms': async (w) => {
    const id = await caseOf(w);
    return { actor: 'handler', method: 'GET', url: `/api/iot/cases/${id}/alarms`, table: 'cases', id };
  },
  'POST /api/my/cases/:id/rate': async (w) => {
    const id = await citizenCaseOf(w);
    return {
      actor: 'citizen',
      method: 'POST',
      url: `/api/my/cases/${id}/rate`,
      body: { resolved: false, satisfaction: 'unsatisfied', comment: '别人替我评价' },
      table: 'cases',
      id,
    };
  },
};

/**
 * Routes whose id names county-wide configuration (a category, a calendar day), not a record placed in
 * the org tree: inside the county there is no outsider to them, and each service bounds its reads
 * and writes by the caller's county. They are exempt although they take an id.
 */
const COUNTY_CONFIG = [
  'PATCH /api/categories/:id',
  'PUT /api/calendar/overrides/:date',
  'DELETE /api/calendar/overrides/:date',
  'GET /api/integrations/webhooks/:id',
  'PATCH /api/integrations/webhooks/:id',
  'POST /api/integrations/webhooks/:id/ping',
  'POST /api/integrations/webhooks/deliveries/:id/redeliver',
  'PATCH /api/integrations/catalogue/:id',
  'POST /api/integrations/api-keys/:id/revoke',
  'PATCH /api/devices/rules/:id',
];

/** Routes without an outsider case, each with the reason. None of them takes a record id but COUNTY_CONFIG. */
const EXEMPT: Record<string, string> = {
  'GET /api/health': 'public readiness probe; no record',
  'POST /api/uploads': 'stores the caller’s own upload; no record id (attachments.test)',
  'POST /api/patrols': 'starts the caller’s own patrol; a grid outside is a 400 on gridId (patrols.test)',
  'GET /api/patrols': 'list filtered by the jurisdiction, or the caller’s own (patrols.test)',
  'GET /api/public/regions': 'public territorial tree by design; no personal data (public.routes.test)',
  'GET /api/public/grids': 'public grid shapes by design; no personal data (public.routes.test)',
  'GET /api/live': 'stream filtered by the caller’s jurisdiction; no record id (live.test)',
  'GET /api/public/config': 'public settings (county code, map tile URL); no record or personal data',
  'GET /api/public/board': 'public anonymised board by design; no text, names or ids (board.test)',
  'POST /api/auth/login': 'acts on the caller’s own credentials only',
  'GET /api/auth/me': 'answers the caller’s own session only',
  'POST /api/auth/logout': 'ends the caller’s own session only',
  'POST /api/auth/otp/request': 'acts on the phone the caller types; no record id',
  'POST /api/auth/otp/verify': 'acts on the phone the caller types; no record id',
  'GET /api/orgs':
    'list filtered by the jurisdiction (departments: the county’s, whom anyone may whistle); no record id (orgs.routes.test)',
  'GET /api/grids': 'list filtered by the jurisdiction; outside it the list is empty (grids.routes.test)',
  'GET /api/users': 'list filtered by the jurisdiction; no record id (users.routes.test)',
  'GET /api/assessment/summary':
    'no record id in the path; an orgId outside the jurisdiction answers 404 (assessment.test)',
  'GET /api/assessment/rankings': 'figures from the caller’s own territory or unit only (assessment.test)',
  'GET /api/assessment/export': 'the rankings of the caller’s own territory or unit only (assessment.test)',
  'GET /api/assessment/weights': 'county-wide settings, no record id or personal data (assessment.test)',
  'PUT /api/assessment/weights': 'county-wide settings for admins; no record id (assessment.test)',
  'POST /api/users':
    'creates; no record id. A unit outside the jurisdiction is a 400 on orgId (users.routes.test)',
  'GET /api/public/categories': 'public category tree by design; codes and names only (categories.test)',
  'GET /api/categories': 'the county’s category settings, not partitioned by jurisdiction (categories.test)',
  'POST /api/categories': 'admins add county-wide configuration; no record id (categories.test)',
  'PATCH /api/categories/:id':
    'county-wide configuration for admins; another county’s category is 404 (categories.test)',
  'GET /api/calendar': 'the county’s working calendar; no record id or personal data (calendar.test)',
  'PUT /api/calendar/overrides/:date':
    'county-wide calendar for admins; the date is no record (calendar.test)',
  'DELETE /api/calendar/overrides/:date':
    'county-wide calendar for admins; the date is no record (calendar.test)',
  'GET /api/settings/time-limits': 'county-wide settings for admins; no record id (calendar.test)',
  'PUT /api/settings/time-limits': 'county-wide settings for admins; no record id (calendar.test)',
  'GET /api/notifications': 'only notifications addressed to the caller (notifications.test)',
  'POST /api/notifications/read-all': 'marks only notifications addressed to the caller (notifications.test)',
  'POST /api/cases':
    'intake; no record id. The case is placed by its location, not the caller (cases.routes.test, event.workflow.test)',
  'GET /api/cases': 'queues filtered by caseVisibleTo; outside it the list is empty (cases.routes.test)',
  'GET /api/cases/duplicates':
    'suggestions filtered by caseVisibleTo; another township gets none (cases.routes.test)',
  'POST /api/my/cases': 'a citizen submits their own appeal; no record id (cases.routes.test)',
  'GET /api/my/cases': 'the signed-in citizen’s own appeals only (cases.routes.test)',
  'GET /api/integrations/webhooks':
    'county-wide integration settings for admins; no record id (webhooks.routes.test)',
  'POST /api/integrations/webhooks':
    'admins add county-wide integration settings; no record id (webhooks.routes.test)',
  'GET /api/integrations/webhooks/deliveries':
    'the county’s delivery log for admins; codes only, no personal data (webhooks.routes.test)',
  'GET /api/integrations/webhooks/:id':
    'county-wide integration setting for admins; another county’s is 404 (webhooks.routes.test)',
  'PATCH /api/integrations/webhooks/:id':
    'county-wide integration setting for admins; another county’s is 404 (webhooks.routes.test)',
  'POST /api/integrations/webhooks/:id/ping':
    'county-wide integration setting for admins; another county’s is 404 (webhooks.routes.test)',
  'POST /api/integrations/webhooks/deliveries/:id/redeliver':
    'a delivery of the county’s log for admins; another county’s is 404 (webhooks.routes.test)',
  'GET /api/integrations/catalogue':
    'the county’s data-sharing catalogue, not partitioned by jurisdiction (catalogue.test)',
  'POST /api/integrations/catalogue': 'admins add to the county’s catalogue; no record id (catalogue.test)',
  'PATCH /api/integrations/catalogue/:id':
    'county-wide catalogue entry for admins; another county’s is 404 (catalogue.test)',
  'GET /api/integrations/api-keys': 'the county’s Open311 API keys for admins; never the keys (apikeys.test)',
  'POST /api/integrations/api-keys': 'admins issue a county-wide API key; no record id (apikeys.test)',
  'POST /api/integrations/api-keys/:id/revoke':
    'a county-wide API key for admins; another county’s is 404 (apikeys.test)',
  'GET /api/devices': 'devices filtered by jurisdiction or owning unit; no record id (devices.routes.test)',
  'POST /api/devices':
    'registers; no record id. A position outside the jurisdiction is a 400 on lon (devices.routes.test)',
  'GET /api/devices/rules': 'the county’s alarm rules, not partitioned by jurisdiction (devices.routes.test)',
  'POST /api/devices/rules': 'admins add a county-wide alarm rule; no record id (devices.routes.test)',
  'PATCH /api/devices/rules/:id':
    'county-wide alarm rule for admins; another county’s is 404 (devices.routes.test)',
  'GET /api/iot/rejections':
    'refusals of devices the caller may see and of unknown senders only (devices.routes.test)',
  'POST /api/iot/alarms': 'a device’s own signed message; no staff and no record id (ingest.http.test)',
  'POST /api/iot/camera-events': 'a camera’s own signed event; no staff and no record id (camera.test)',
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
          : table === 'cases'
            ? {
                events: await db
                  .selectFrom('case_events')
                  .selectAll()
                  .where('case_id', '=', id)
                  .orderBy('seq')
                  .execute(),
                deadlines: await db
                  .selectFrom('case_deadlines')
                  .selectAll()
                  .where('case_id', '=', id)
                  .orderBy('id')
                  .execute(),
                units: await db
                  .selectFrom('case_units')
                  .selectAll()
                  .where('case_id', '=', id)
                  .orderBy('org_id')
                  .execute(),
              }
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
    expect(exempt.filter((k) => k.includes('/:') && !COUNTY_CONFIG.includes(k))).toEqual([]);
    expect(Object.entries(EXEMPT).filter(([, why]) => why.trim().length < 10)).toEqual([]);
  });

  it.each(Object.keys(OUTSIDER_CASES))('%s answers 404 to an outsider and changes nothing', async (route) => {
    const built = await OUTSIDER_CASES[route]!(world);
    expect(
      `${built.method} ${built.url}`
        .replace(/\/[0-9a-f-]{12,36}(?=\/|$)/g, '/:id')
        .replace(/\/actions\/[a-z_]+$/, '/actions/:action'),
    ).toBe(route);
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
